"""The campaign engine (conformance/engine/) and the rule checks (conformance/contract/).

The bundled reference passes every rule. For every rule there is a destination that breaks it
(written below as a variant of one small configurable destination) and the campaign must report
that rule failed: a check that cannot fail would show up here.
"""

from __future__ import annotations

import base64
import copy
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance._outcomes import Delivery, EventNotSupported, RetryError, ValidationError
from conformance.checks import (
    CHECKS,
    Attempt,
    Run,
    SentRequest,
    Verdict,
    run_checks,
)
from conformance.contract import RULES
from conformance.engine import (
    CampaignResult,
    Case,
    Failure,
    Session,
    _campaign,
    run_campaign,
    scenarios,
)
from conformance.oracle import (
    ACTIVITY_TYPES,
    Expectation,
    expect_event,
    expected_host,
    integrations_verdict,
    predict_activity,
    settings_problem,
)
from conformance.reporting import console_report, json_report
from conformance.targets import CommandTarget, PythonTarget
from fake_planhat import DEFAULT_API_TOKEN, DEFAULT_TENANT_TOKEN
from fake_planhat.intake import company_key, user_key

Event = dict[str, Any]
SMALL = 5  # examples per exploration: the scenarios already cover every rule


# --- a small destination with knobs, to break one rule at a time ---------------------------------


def _client() -> httpx.Client:
    return httpx.Client(timeout=5.0)


CLIENT = _client()


def _outcome_of(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status in (408, 429) or status >= 500:
        raise RetryError(f"Planhat answered {status}")
    raise ValidationError(f"Planhat answered {status}")


def _post(url: str, body: bytes, headers: Mapping[str, str]) -> httpx.Response:
    try:
        return CLIENT.post(url, content=body, headers=dict(headers))
    except httpx.TransportError as exc:
        raise RetryError(str(exc)) from None


@dataclass(frozen=True)
class SegmentDest:
    """A profile-``segment`` destination; each knob, changed, breaks one rule or more."""

    validate_settings: bool = True
    integrations: str = "exact"  # "exact" | "ignore" | "casefold"
    skip: frozenset[str] = frozenset({"alias"})
    deliver: frozenset[str] = frozenset({"identify", "track", "page", "group"})
    transform: Callable[[Event], Event] | None = None
    fixed_host: str | None = None
    authorization: Callable[[str], str] = lambda key: (
        "Basic " + base64.b64encode(f"{key}:".encode()).decode("ascii")
    )
    content_type: str = "application/json"
    copies: int = 1
    retry_status: Callable[[int], bool] = lambda status: status in (408, 429) or status >= 500
    after_ok: type[Exception] | None = None
    resend_after_4xx: bool = False
    crash_without_traits: bool = False
    identify_via_rest: bool = False

    def __call__(self, event: Event, settings: dict[str, Any]) -> None:
        if self.validate_settings and settings_problem(settings) is not None:
            raise ValidationError(settings_problem(settings) or "")
        if self.integrations != "ignore" and self._disabled(event.get("integrations")):
            return
        kind = event.get("type")
        if kind in self.skip:
            return
        if kind not in self.deliver:
            raise EventNotSupported(f"{kind!r}")
        if self.crash_without_traits and "traits" not in event:
            raise KeyError("traits")
        if self.identify_via_rest and kind == "identify" and company_key(event) is not None:
            self._via_rest(event)
            return
        body = self.transform(copy.deepcopy(event)) if self.transform else event
        host = self.fixed_host or expected_host(
            settings if settings.get("subdomain") in ("api", "api-eu", "analytics") else {}
        )
        headers = {
            "Authorization": self.authorization(str(settings.get("apiKey") or "x")),
            "Content-Type": self.content_type,
        }
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        for _ in range(self.copies):
            response = _post(f"https://{host}/dock/segment", data, headers)
        self._judge(response, lambda: _post(f"https://{host}/dock/segment", data, headers))

    def _disabled(self, integrations: Any) -> bool:
        if self.integrations == "casefold" and isinstance(integrations, dict):
            integrations = {
                ("Planhat" if k.lower() == "planhat" else "All" if k.lower() == "all" else k): v
                for k, v in integrations.items()
            }
        return integrations_verdict(integrations) == "disabled"

    def _judge(self, response: httpx.Response, again: Callable[[], httpx.Response]) -> None:
        status = response.status_code
        if 200 <= status < 300:
            if self.after_ok is not None:
                raise self.after_ok("reported wrongly")
            return
        if self.retry_status(status):
            raise RetryError(f"Planhat answered {status}")
        if self.resend_after_4xx:
            again()
        raise ValidationError(f"Planhat answered {status}")

    def _via_rest(self, event: Event) -> None:
        traits = event.get("traits") or {}
        fields = {
            "externalId": user_key(event),
            "email": traits.get("email"),
            "companyId": f"extid-{company_key(event)}",
        }
        response = _post(
            "https://api.planhat.com/endusers",
            json.dumps({k: v for k, v in fields.items() if v is not None}).encode(),
            {"Authorization": f"Bearer {DEFAULT_API_TOKEN}", "Content-Type": "application/json"},
        )
        _outcome_of(response)


@dataclass(frozen=True)
class ActivitiesDest:
    """A profile-``activities`` destination: track and page posted to /analytics/{apiKey}."""

    host: str = "analytics.planhat.com"
    bulk: bool = False
    change: Callable[[Event, Event], Event] | None = None
    send_without_key: bool = False

    def __call__(self, event: Event, settings: dict[str, Any]) -> None:
        problem = settings_problem(settings)
        if problem is not None:
            raise ValidationError(problem)
        if integrations_verdict(event.get("integrations")) == "disabled":
            return
        kind = event.get("type")
        if kind in ("identify", "group", "alias"):
            return
        if kind not in ACTIVITY_TYPES:
            raise EventNotSupported(f"{kind!r}")
        activity = predict_activity(event)
        if "externalId" not in activity and "email" not in activity and not self.send_without_key:
            return
        if self.change is not None:
            activity = self.change(activity, event)
        path = (
            f"/analytics/bulk/{settings['apiKey']}"
            if self.bulk
            else f"/analytics/{settings['apiKey']}"
        )
        body = [activity] if self.bulk else activity
        response = _post(
            f"https://{self.host}{path}",
            json.dumps(body, ensure_ascii=False).encode("utf-8"),
            {"Content-Type": "application/json"},
        )
        _outcome_of(response)


def target(handle: Callable[[Event, dict[str, Any]], None], name: str) -> PythonTarget:
    return PythonTarget(handle, name)


def _without(key: str, where: str | None = None) -> Callable[[Event], Event]:
    def change(event: Event) -> Event:
        holder = event.get(where) if where else event
        if isinstance(holder, dict):
            holder.pop(key, None)
        return event

    return change


def _rename_user_id(event: Event) -> Event:
    if "userId" in event:
        event["userid"] = event.pop("userId")
    return event


def _lower_email(event: Event) -> Event:
    traits = event.get("traits")
    if isinstance(traits, dict) and isinstance(traits.get("email"), str):
        traits["email"] = traits["email"].lower()
    return event


def _lower_event_name(event: Event) -> Event:
    if isinstance(event.get("event"), str):
        event["event"] = event["event"].lower()
    return event


def _drop_group_traits(event: Event) -> Event:
    if event.get("type") == "group":
        event.pop("traits", None)
    return event


def _default_company(event: Event) -> Event:
    if event.get("type") == "identify" and company_key(event) is None:
        event.setdefault("traits", {})["companyId"] = "default-account"
    return event


def _alias_as_identify(event: Event) -> Event:
    if event.get("type") == "alias":
        event["type"] = "identify"
    return event


def _anonymous_as_user(event: Event) -> Event:
    if event.get("anonymousId") is not None:
        event["userId"] = event["anonymousId"]
    return event


def _truncate_strings(value: Any) -> Any:
    if isinstance(value, str):
        return value[:1000]
    if isinstance(value, dict):
        return {k: _truncate_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_truncate_strings(v) for v in value]
    return value


GOOD = SegmentDest()
drops_title = replace(GOOD, transform=_without("title", "traits"))
anonymous_as_user = replace(GOOD, transform=_anonymous_as_user)

# rule id -> a segment destination that breaks it
SEGMENT_MUTANTS: dict[str, SegmentDest] = {
    "S-1": replace(GOOD, validate_settings=False),
    "O-1": replace(GOOD, after_ok=RetryError),
    "O-2": replace(GOOD, retry_status=lambda status: False),
    "O-3": replace(GOOD, resend_after_4xx=True),
    "O-4": replace(GOOD, crash_without_traits=True),
    "T-1": replace(GOOD, skip=frozenset({"alias", "page"})),
    "T-2": replace(GOOD, skip=frozenset()),
    "T-3": replace(GOOD, deliver=frozenset({"identify", "track", "page", "group", "screen"})),
    "T-4": replace(GOOD, integrations="casefold"),
    "W-1": replace(GOOD, fixed_host="api.planhat.com"),
    "W-2": replace(
        GOOD, authorization=lambda key: "Basic " + base64.b64encode(f"{key}:x".encode()).decode()
    ),
    "W-3": replace(GOOD, content_type="text/plain"),
    "W-4": drops_title,
    "W-5": replace(GOOD, copies=2),
    "W-6": replace(GOOD, transform=_truncate_strings),
    "P-1": replace(GOOD, transform=_rename_user_id),
    "P-2": replace(GOOD, transform=_lower_email),
    "P-3": replace(GOOD, transform=_without("companyId", "traits")),
    "P-4": replace(GOOD, transform=_without("traits", "context")),
    "P-5": drops_title,
    "P-6": replace(GOOD, transform=_lower_event_name),
    "P-7": replace(GOOD, transform=_drop_group_traits),
    "P-8": replace(GOOD, transform=_default_company),
    "P-9": replace(
        GOOD,
        skip=frozenset(),
        deliver=frozenset({"identify", "track", "page", "group", "alias"}),
        transform=_alias_as_identify,
    ),
    "P-10": replace(GOOD, identify_via_rest=True),
    "P-11": anonymous_as_user,
    "E-1": drops_title,
}

ACTIVITIES_GOOD = ActivitiesDest()
ACTIVITIES_MUTANTS: dict[str, ActivitiesDest] = {
    "A-1": replace(ACTIVITIES_GOOD, host="api.planhat.com"),
    "A-2": replace(ACTIVITIES_GOOD, change=lambda a, e: {**a, "action": str(a["action"]).upper()}),
    "A-3": replace(ACTIVITIES_GOOD, change=lambda a, e: {**a, "info": {}} if a["info"] else a),
    "A-4": replace(ACTIVITIES_GOOD, change=lambda a, e: {**a, "date": "2000-01-01T00:00:00.000Z"}),
    "A-5": replace(
        ACTIVITIES_GOOD,
        change=lambda a, e: {**a, "externalId": e["anonymousId"]} if e.get("anonymousId") else a,
    ),
    "A-6": replace(
        ACTIVITIES_GOOD,
        change=lambda a, e: {k: v for k, v in a.items() if k != "companyExternalId"},
    ),
    "A-7": replace(ACTIVITIES_GOOD, send_without_key=True),
    "P-6": replace(ACTIVITIES_GOOD, change=lambda a, e: {**a, "action": "x"}),
    "E-1": replace(ACTIVITIES_GOOD, change=lambda a, e: {**a, "info": {"changed": True}}),
}


def campaign(
    handle: Callable[[Event, dict[str, Any]], None],
    name: str,
    *,
    profile: str = "segment",
    rules: list[str] | None = None,
    **options: Any,
) -> CampaignResult:
    return run_campaign(
        target(handle, name),
        profile=profile,  # type: ignore[arg-type]
        rules=rules,
        max_examples=options.pop("max_examples", SMALL),
        **options,
    )


# --- the reference passes ------------------------------------------------------------------------


@pytest.mark.parametrize("event_profile", ["realistic", "hostile"])
def test_reference_passes_every_rule(event_profile: str) -> None:
    result = run_campaign(
        "reference",
        events=event_profile,
        max_examples=15,  # type: ignore[arg-type]
    )
    assert result.failures() == []
    assert result.ok
    assert set(result.rules) == {r.id for r in RULES.for_profile("segment")}
    not_exercised = [r for r, v in result.rules.items() if v.status == "not exercised"]
    assert not_exercised == []
    assert result.examples >= 15


def test_configurable_destination_without_changes_passes_too() -> None:
    result = campaign(GOOD, "good")
    assert result.failures() == []


def test_activities_destination_passes_the_activities_profile() -> None:
    result = campaign(ACTIVITIES_GOOD, "activities", profile="activities", max_examples=15)
    assert result.failures() == [], console_report(result)
    assert result.counts()["not exercised"] == 0, console_report(result)
    bulk = campaign(replace(ACTIVITIES_GOOD, bulk=True), "bulk", profile="activities")
    assert bulk.failures() == []


def test_every_rule_has_a_check() -> None:
    assert [r.id for r in RULES if r.id not in CHECKS] == []
    assert list(CHECKS) != []
    assert set(CHECKS) == set(RULES.ids)


# --- a destination that breaks a rule fails it ---------------------------------------------------


@pytest.mark.parametrize("rule_id", sorted(SEGMENT_MUTANTS, key=list(RULES.ids).index))
def test_segment_rule_fails_on_a_destination_that_breaks_it(rule_id: str) -> None:
    result = campaign(SEGMENT_MUTANTS[rule_id], f"breaks {rule_id}", rules=[rule_id])
    outcome = result.rules[rule_id]
    assert outcome.status == "failed", console_report(result)
    assert outcome.failure is not None
    assert outcome.failure.verdict.explanation


@pytest.mark.parametrize("rule_id", sorted(ACTIVITIES_MUTANTS, key=list(RULES.ids).index))
def test_activities_rule_fails_on_a_destination_that_breaks_it(rule_id: str) -> None:
    result = campaign(
        ACTIVITIES_MUTANTS[rule_id], f"breaks {rule_id}", profile="activities", rules=[rule_id]
    )
    assert result.rules[rule_id].status == "failed", console_report(result)


def test_W4_P5_dropping_title_fails_with_a_short_sequence() -> None:
    result = campaign(drops_title, "drops title")
    failed = {f.rule_id: f for f in result.failures()}
    assert {"W-4", "P-5"} <= set(failed)
    for rule_id in ("W-4", "P-5"):
        case = failed[rule_id].case
        assert len(case.events) <= 2
        assert any("title" in (e.get("traits") or {}) for e in case.events)
    w4 = failed["W-4"].verdict
    assert '"title"' in w4.expected
    assert '"title"' not in w4.received
    report = console_report(result)
    assert "FAIL          W-4" in report
    assert "FAIL          P-5" in report
    assert "Minimal event sequence (1 event)" in report
    assert '-    "title": "CTO"' in report  # the diff line
    # the envelope shrank too: nothing but what shows the fault is left
    assert failed["W-4"].case.events == [{"type": "identify", "traits": {"title": "CTO"}}]
    assert failed["W-4"].root_cause
    assert not failed["P-5"].root_cause
    assert failed["P-5"].verdict.caused_by == ("W-4",)


def test_W4_anonymous_id_as_user_id_fails_with_a_short_sequence() -> None:
    result = campaign(anonymous_as_user, "anonymousId as userId", rules=["W-4", "P-1", "P-11"])
    failed = {f.rule_id: f for f in result.failures()}
    assert {"W-4", "P-1"} <= set(failed)
    for failure in failed.values():
        assert len(failure.case.events) <= 2
    assert any(e.get("anonymousId") for e in failed["W-4"].case.events)


def test_A5_anonymous_id_as_external_id_fails() -> None:
    result = campaign(ACTIVITIES_MUTANTS["A-5"], "anon", profile="activities", rules=["A-5"])
    failure = result.rules["A-5"].failure
    assert failure is not None
    assert "anonymousId" in failure.verdict.explanation
    assert len(failure.case.events) <= 2


def test_exploration_shrinks_what_no_scenario_shows() -> None:
    """Scenario events carry no context.library: only generated events expose this bug."""
    result = campaign(replace(GOOD, transform=_without("library", "context")), "no library",
                      rules=["W-4"], max_examples=60)  # fmt: skip
    failure = result.rules["W-4"].failure
    assert failure is not None
    assert failure.case.scenario == "exploration"
    assert len(failure.case.events) == 1
    assert "library" in failure.case.events[0]["context"]


def test_one_bug_does_not_hide_another(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a failure, exploration starts again for the rules not failed yet."""
    rounds: list[list[str]] = []
    fails_in_order = [["W-4"], ["O-4", "P-5"], []]

    def explore_once(
        self: Any, watch: list[str], tallies: dict[str, list[int]], *_: Any
    ) -> list[Failure]:
        rounds.append(list(watch))
        for rule_id in watch:
            tallies[rule_id][0] += 1
        failing = fails_in_order[len(rounds) - 1]
        case = Case("exploration", [{"type": "identify"}], [{}])
        return [Failure(r, case, Verdict("fail", "broken")) for r in failing if r in watch]

    monkeypatch.setattr(_campaign._Campaign, "explore_once", explore_once)
    result = campaign(GOOD, "good", rules=["W-4", "O-4", "P-5", "E-1"])
    assert rounds == [["O-4", "W-4", "P-5", "E-1"], ["O-4", "P-5", "E-1"], ["E-1"]]
    assert {f.rule_id for f in result.failures()} == {"W-4", "O-4", "P-5"}
    assert result.rules["E-1"].status == "passed"


# --- determinism ---------------------------------------------------------------------------------


def _comparable(result: CampaignResult) -> tuple[str, str]:
    text = console_report(result).rsplit("Run time:", 1)[0]
    data = json_report(result)
    data.pop("timings")
    return text, json.dumps(data, sort_keys=True)


def test_same_seed_same_report() -> None:
    first = run_campaign("reference", max_examples=10, seed=3)
    second = run_campaign("reference", max_examples=10, seed=3)
    assert first.ok
    assert _comparable(first) == _comparable(second)


def test_same_seed_same_minimal_failure() -> None:
    """Shrinking is deterministic too: the same seed reports the same minimal sequence."""
    broken = replace(GOOD, transform=_without("library", "context"))
    first = campaign(broken, "no library", rules=["W-4"], max_examples=10, seed=3)
    second = campaign(broken, "no library", rules=["W-4"], max_examples=10, seed=3)
    assert not first.ok
    assert _comparable(first) == _comparable(second)


# --- scenarios and the session -------------------------------------------------------------------


def test_scenarios_cover_every_outcome_fault() -> None:
    names = [s.case.scenario for s in scenarios("segment", DEFAULT_TENANT_TOKEN)]
    for status in (408, 429, 500, 502, 503, 504, 400, 401, 403, 404, 413, 422):
        assert any(f"answers {status}" in n for n in names), status
    for expected in ("cut before", "lost response", "slow answer", "apiKey missing",
                     "apiKey empty", "subdomain 'eu'", "subdomain 'API'", "32 KB"):  # fmt: skip
        assert any(expected in n for n in names), expected


def test_E3_lost_response_is_redelivered_without_duplicates() -> None:
    with Session(target(GOOD, "good"), "segment") as session:
        case = next(
            s.case
            for s in scenarios("segment", session.api_key)
            if s.case.scenario == "lost response to the identify"
        )
        run = session.execute(case)
    first, again = run.attempts_of(1)
    assert first.delivery.outcome == "retry"
    assert first.requests[0].cut == "after"
    assert again.redelivery
    assert again.delivery.outcome == "ok"
    assert len(run.state["contacts"]) == 1
    verdicts = run_checks(run, ["E-3", "W-5", "O-2", "E-1"])
    assert {r: v.status for r, v in verdicts.items()} == {
        "O-2": "pass",
        "W-5": "pass",
        "E-1": "pass",
        "E-3": "pass",
    }


def test_O2_retry_after_must_be_honoured_by_internal_retries() -> None:
    def impatient(event: Event, settings: dict[str, Any]) -> None:
        try:
            GOOD(event, settings)
        except RetryError:
            GOOD(event, settings)  # at once, ignoring Retry-After

    result = campaign(impatient, "impatient", rules=["O-2"])
    failure = result.rules["O-2"].failure
    assert failure is not None
    assert "Retry-After" in failure.verdict.explanation


def test_adapter_errors_become_outcome_error() -> None:
    class Exploding(PythonTarget):
        def deliver(self, event: dict[str, Any], settings: dict[str, Any]) -> Delivery:
            raise OSError("adapter broke")

    with Session(Exploding(GOOD, "exploding"), "segment") as session:
        run = session.execute(
            Case("x", [{"type": "identify", "userId": "u"}], [session.settings()])
        )
    assert run.attempts[0].delivery.outcome == "error"
    assert run_checks(run, ["O-4"])["O-4"].failed


def test_unknown_rule_and_profile_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown rule id"):
        run_campaign("reference", rules=["W-9"])
    with pytest.raises(ValueError, match="profile"):
        run_campaign("reference", profile="webhooks")  # type: ignore[arg-type]


# --- E-2 and E-3 on crafted runs: the fake itself never duplicates, so only a destination writing
# --- through other routes (or a regression in the fake) could; the checks still must catch it.


def _run_with_state(state: dict[str, Any], *, lost: bool = False) -> Run:
    event = {"type": "identify", "userId": "u-1"}
    settings = {"apiKey": DEFAULT_TENANT_TOKEN}
    request = SentRequest(
        seq=1, host="api.planhat.com", method="POST", path="/dock/segment",
        route="dock.segment", authorization=None, content_type="application/json", body="{}",
        body_truncated=False, status=200, cut="after" if lost else None, fault=None,
        result="applied", reason=None, touched=1,
    )  # fmt: skip
    attempt = Attempt(0, event, settings, Delivery("ok"), [request], 0.01)
    expected_state = {
        "companies": [],
        "contacts": [{"externalId": "u-1", "companyId": "acct"}],
        "unassigned": [],
        "activities": [],
        "metrics": [],
    }
    expectation = Expectation("segment", [expect_event(event, settings)], {}, expected_state)
    return Run("segment", [event], [settings], [attempt], expectation, state)


def test_E2_duplicate_user_key_in_one_company_fails() -> None:
    twice = {"contacts": [{"externalId": "u-1", "companyId": "acct"}] * 2, "unassigned": []}
    verdict = run_checks(_run_with_state(twice), ["E-2"])["E-2"]
    assert verdict.failed
    assert "u-1" in verdict.explanation
    apart = {
        "contacts": [
            {"externalId": "u-1", "companyId": "acct"},
            {"externalId": "u-1", "companyId": "other"},
        ]
    }
    assert run_checks(_run_with_state(apart), ["E-2"])["E-2"].status == "pass"


def test_E3_duplicates_after_lost_response_fail() -> None:
    twice = {"contacts": [{"externalId": "u-1", "companyId": "acct"}] * 2, "unassigned": []}
    assert run_checks(_run_with_state(twice, lost=True), ["E-3"])["E-3"].failed
    assert run_checks(_run_with_state(twice), ["E-3"])["E-3"].status == "n/a"
    once = {"contacts": [{"externalId": "u-1", "companyId": "acct"}], "unassigned": []}
    assert run_checks(_run_with_state(once, lost=True), ["E-3"])["E-3"].status == "pass"


@dataclass
class _Counter:
    calls: list[str] = field(default_factory=list)


def test_destination_cannot_change_the_runners_events() -> None:
    seen = _Counter()

    def mutating(event: Event, settings: dict[str, Any]) -> None:
        seen.calls.append(str(event.get("type")))
        GOOD(event, settings)
        event.clear()

    with Session(target(mutating, "mutating"), "segment") as session:
        events = [{"type": "identify", "userId": "u-1", "traits": {"title": "CTO"}}]
        run = session.execute(Case("x", copy.deepcopy(events), [session.settings()]))
    assert run.events == events
    assert seen.calls == ["identify"]
    assert run_checks(run, ["W-4"])["W-4"].status == "pass"


COMMAND = """
import json, sys
from conformance._outcomes import outcome_of_exception
from conformance.reference import segment_httpx

for line in sys.stdin:
    request = json.loads(line)
    answer = {"id": request["id"], "outcome": "ok", "message": ""}
    try:
        segment_httpx.handle(request["event"], request["settings"])
    except Exception as exc:
        answer["outcome"], answer["message"] = outcome_of_exception(exc), str(exc)
    print(json.dumps(answer), flush=True)
"""


def test_loopback_target_is_checked_over_real_sockets(tmp_path: Path) -> None:
    """A command target reaches the fake on one loopback port per subdomain; W-1 still sees the
    Planhat host it chose, and faults cut real connections."""
    script = tmp_path / "reference_command.py"
    script.write_text(COMMAND, encoding="utf-8")
    command = CommandTarget([sys.executable, str(script)], name="reference over NDJSON")
    result = run_campaign(
        command, rules=["S-1", "O-1", "O-2", "O-3", "W-1", "W-2", "W-4", "E-1", "E-3"],
        max_examples=3,
    )  # fmt: skip
    assert result.failures() == [], console_report(result)
    assert result.rules["W-1"].passed > 0
    assert result.rules["E-3"].passed > 0  # lost responses over a real socket


def test_a_flaky_destination_is_reported_not_crashed() -> None:
    calls = _Counter()
    dropped: set[str] = set()

    def flaky(event: Event, settings: dict[str, Any]) -> None:
        calls.calls.append("x")
        context = event.get("context")
        # Every third delivery drops context.library (W-4), each event at most once: replaying
        # a failing case passes, so the failure is flaky whatever events it holds.
        seen = str(event.get("messageId"))
        if len(calls.calls) % 3 == 0 and isinstance(context, dict) and seen not in dropped:
            dropped.add(seen)
            event = _without("library", "context")(copy.deepcopy(event))
        GOOD(event, settings)

    result = campaign(flaky, "flaky", rules=["W-4"], max_examples=20)
    failure = result.rules["W-4"].failure
    assert failure is not None
    assert failure.case.scenario == "exploration"  # scenario events carry no context.library
    assert failure.verdict.explanation.startswith("(flaky:")
