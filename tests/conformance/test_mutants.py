"""The mutant catalogue (conformance/mutants/) and the self-test (conformance/selftest.py).

Every mutant must be caught by the rules that name its fault. Most are caught here by a
one-example campaign restricted to those rules. A few would wait on Retry-After or need the
random exploration to meet their fault; for them the test delivers the one scenario (or a
crafted event) that shows the fault, and checks that the reference they derive from passes the
same case. ``make selftest`` runs every mutant through its full campaign.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from conformance import cli
from conformance.checks import run_checks
from conformance.contract import RULES
from conformance.engine import Case, Session, run_campaign, scenarios
from conformance.mutants import MUTANTS, Mutant, mutant
from conformance.mutants.mutant import NODE_DIR
from conformance.selftest import (
    REFERENCES,
    Job,
    JobResult,
    SelftestReport,
    examples_needed,
    jobs_for,
    mutant_status,
)
from conformance.targets import Target, load_target

from .test_references import needs_node

# The faults issue 5 lists, by the mutant that plants each.
ISSUE_FAULTS = {
    "lower-cased event names": "event-names-lower-cased",
    "letters-only event names": "event-names-letters-only",
    "custom properties dropped": "custom-properties-dropped",
    "no date, event time lost": "event-time-dropped",
    "anonymousId sent as externalId": "anonymous-id-as-external-id",
    "identify not sent": "identify-not-sent",
    "wrong host for api-eu": "wrong-host-for-api-eu",
    "token in the wrong place": "token-as-password",
    "Bearer instead of Basic": "bearer-auth",
    "user_id renamed": "user-id-renamed",
    "trailing colon missing in Basic auth": "basic-auth-without-colon",
    "retries on 400": "retries-on-400",
    "no retry on 429": "no-retry-on-429",
    "Retry-After ignored": "retry-after-ignored",
    "a 5xx reported as ok": "server-error-ok",
    "screen forwarded": "screen-forwarded",
    '"Planhat": false ignored': "planhat-false-ignored",
    "body re-serialised with lost precision": "precision-lost",
    "unicode escaped wrongly": "unicode-escaped-wrongly",
    "an event sent twice": "sent-twice",
    "a crash on an event without traits": "crash-without-traits",
}

RETRY_429 = "Planhat answers 429 with Retry-After: 1"
# mutant -> the delivery scenario that shows its fault without waiting long
SCENARIO_OF = {
    "ignored-answer-discarded": "story",
    "no-retry-on-429": RETRY_429,
    "retry-after-ignored": RETRY_429,
    "server-error-ok": "Planhat answers 500",
    "gives-up-with-ok": "Planhat answers 408",
    "connection-errors-discarded": "connection cut before the request",
    "retries-on-400": "Planhat answers 400",
    "wrong-host-for-api-eu": "story",
    "retry-body-changed": "Planhat answers 408",
    "only-200-is-ok": "Planhat answers 201 (O-1)",
    "gone-is-ok": "Planhat answers 410 (O-5)",
    "returns-retry-word": "story",
    "strings-trimmed": "story",
    "lists-as-objects": "story",
    "defaults-added": "story",
    "all-fallback-ignored": "event types and integrations",
}
# mutant -> an event showing a fault only the exploration meets (no scenario has it)
EVENT_OF: dict[str, dict[str, Any]] = {
    "precision-lost": {
        "type": "identify", "userId": "u-1", "messageId": "m-1", "traits": {"n": 2**53 + 1},
    },
    "nulls-dropped": {
        "type": "identify", "userId": "u-1", "anonymousId": None, "sentAt": None,
        "messageId": "m-1", "traits": {"plan": "pro"},
    },
    "ids-stringified": {
        "type": "group", "userId": 123, "groupId": 42, "messageId": "m-1", "traits": {},
    },
    "numeric-user-id-stringified": {
        "type": "identify", "userId": 123, "messageId": "m-1", "traits": {},
    },
    "strings-nfc-normalised": {
        "type": "identify", "userId": "u-1", "messageId": "m-1", "traits": {"a": "e\u0301"},
    },
    "control-characters-stripped": {
        "type": "identify", "userId": "u-1", "messageId": "m-1", "traits": {"a": "a\u0000b"},
    },
    "keys-sanitised": {
        "type": "identify", "userId": "u-1", "messageId": "m-1", "traits": {"utm.source": "x"},
    },
    "numbers-as-doubles": {
        "type": "identify", "userId": "u-1", "messageId": "m-1", "traits": {"n": 2**53 + 1},
    },
    "whole-floats-as-ints": {
        "type": "identify", "userId": "u-1", "messageId": "m-1", "traits": {"ratio": 1.0},
    },
    "empty-containers-dropped": {
        "type": "identify", "userId": "u-1", "messageId": "m-1", "traits": {"settings": {}},
    },
    "options-object-disables": {
        "type": "identify", "userId": "u-1", "messageId": "m-1", "traits": {},
        "integrations": {"Planhat": {}},
    },
}  # fmt: skip
REFERENCE_PROFILES = {r.name: r.profile for r in REFERENCES}


def _params() -> list[Any]:
    return [
        pytest.param(m.name, id=m.name, marks=[needs_node] if m.script else []) for m in MUTANTS
    ]


# --- the catalogue --------------------------------------------------------------------------------


def test_catalogue_has_at_least_30_named_mutants() -> None:
    names = [m.name for m in MUTANTS]
    assert len(names) >= 30
    assert len(set(names)) == len(names)
    assert all(m.description and m.catches for m in MUTANTS)


def test_catalogue_covers_every_rule_family() -> None:
    assert {m.family for m in MUTANTS} == {"S", "O", "T", "W", "A", "P"}
    named = {rule_id for m in MUTANTS for rule_id in m.catches}
    assert {RULES[r].family for r in named} >= {"S", "O", "T", "W", "A", "P"}


@pytest.mark.parametrize(("fault", "name"), ISSUE_FAULTS.items())
def test_catalogue_has_every_fault_issue_5_lists(fault: str, name: str) -> None:
    assert mutant(name).description, fault


def test_mutants_derive_from_bundled_references() -> None:
    for m in MUTANTS:
        assert m.reference in REFERENCE_PROFILES, m.name
        assert REFERENCE_PROFILES[m.reference] == m.profile, m.name
        if m.script is not None:
            assert (NODE_DIR / m.script).is_file(), m.name
            assert m.reference == "segment_node", m.name


def test_a_mutant_whose_campaign_cannot_check_its_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="would not check"):
        Mutant("x", "x", ("W-4",), "segment_httpx", "W", handle=print, rules=("W-1",))
    with pytest.raises(ValueError, match="would not check"):  # A rules: profile activities
        Mutant("x", "x", ("A-2",), "segment_httpx", "A", handle=print)
    with pytest.raises(ValueError, match="exactly one"):
        Mutant("x", "x", ("T-1",), "segment_httpx", "T")
    with pytest.raises(ValueError, match="known rule ids"):
        Mutant("x", "x", ("Z-9",), "segment_httpx", "T", handle=print)


def test_unknown_mutant_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="title-dropped"):
        mutant("no-such-mutant")


# --- every mutant is caught by the rule that names its fault -------------------------------------


def _targeted_case(chosen: Mutant, session: Session) -> Case:
    if chosen.name in EVENT_OF:
        return Case("crafted", [EVENT_OF[chosen.name]], [session.settings("api")])
    wanted = SCENARIO_OF[chosen.name]
    found = [
        s.case for s in scenarios(chosen.profile, session.api_key) if s.case.scenario == wanted
    ]
    assert found, f"the runner has no scenario {wanted!r}"
    return found[0]


def _verdicts(target: Target, chosen: Mutant) -> dict[str, str]:
    with Session(target, chosen.profile) as session:
        run = session.execute(_targeted_case(chosen, session))
    return {r: v.status for r, v in run_checks(run, chosen.catches).items()}


@pytest.mark.parametrize("name", _params())
def test_mutant_is_caught_by_the_rule_naming_its_fault(name: str) -> None:
    chosen = mutant(name)
    if name in SCENARIO_OF or name in EVENT_OF:
        assert _verdicts(chosen.target(), chosen) == dict.fromkeys(chosen.catches, "fail")
        reference = load_target(f"reference:{chosen.reference}")
        assert _verdicts(reference, chosen) == dict.fromkeys(chosen.catches, "pass")
        return
    result = run_campaign(
        chosen.target(),
        profile=chosen.profile,
        events=chosen.event_profile,
        max_examples=1,
        rules=chosen.catches,
    )
    failed = [r for r, v in result.rules.items() if v.status == "failed"]
    assert failed == list(chosen.catches)


# --- the self-test's verdicts and report ----------------------------------------------------------


def _result(name: str, failed: tuple[str, ...], **found: Any) -> JobResult:
    job = Job("mutant", name, "realistic", 8)
    return JobResult(job, failed=failed, rules_checked=10, **found)


def test_selftest_counts_a_mutant_only_when_its_named_rule_caught_it() -> None:
    chosen = mutant("title-dropped")  # catches P-5
    assert mutant_status(chosen, _result(chosen.name, ("P-5", "E-1"))) == "killed"
    assert mutant_status(chosen, _result(chosen.name, ("E-1",))) == "missed by its rule"
    assert mutant_status(chosen, _result(chosen.name, ())) == "survived"
    crashed = JobResult(Job("mutant", chosen.name, "realistic", 8), problem="boom")
    assert mutant_status(chosen, crashed) == "did not run"


def test_selftest_examples_needed() -> None:
    chosen = mutant("nulls-dropped")  # catches W-4
    in_scenario = _result(chosen.name, ("W-4",), caught_in={"W-4": "story"})
    explored = _result(
        chosen.name, ("W-4",), caught_in={"W-4": "exploration"}, first_failure={"W-4": 7}
    )
    assert examples_needed(chosen, in_scenario) == 0
    assert examples_needed(chosen, explored) == 7
    assert examples_needed(chosen, _result(chosen.name, ())) is None


def test_selftest_report_fails_on_a_missed_mutant_and_names_it() -> None:
    caught = _result("title-dropped", ("P-5",), caught_in={"P-5": "story"})
    missed = _result("bearer-auth", ("E-1",), caught_in={"E-1": "story"})
    report = SelftestReport([caught, missed], 2, 1.0, 1.0, "now", None, None)
    assert not report.ok
    assert report.killed == 2
    assert report.named == 1
    assert report.problems() == [
        "mutant bearer-auth missed by its rule: must be caught by W-2, failed E-1"
    ]
    text = report.markdown()
    assert "| `bearer-auth` |" in text
    assert "**MISSED BY ITS RULE** E-1" in text
    assert "kill rate 2/2 (100%); caught by the rule that names the fault: 1/2" in text


def test_selftest_jobs_run_references_first_and_refuse_unknown_names() -> None:
    jobs = jobs_for()
    runs = sum(len(r.mixes) for r in REFERENCES)
    assert [j.kind for j in jobs[:runs]] == ["reference"] * runs
    assert len({j.seed for j in jobs[:runs]}) == runs  # several seeds, one per reference run
    kinds = {r.name.split("_")[-1] for r in REFERENCES}
    assert {"httpx", "requests", "node", "function", "webhook"} <= kinds  # every target kind
    assert {j.name for j in jobs if j.kind == "mutant"} == {m.name for m in MUTANTS}
    with pytest.raises(ValueError, match="unknown reference or mutant nope"):
        jobs_for(["nope"])


def test_selftest_command_runs_in_worker_processes_and_writes_markdown(tmp_path: Path) -> None:
    written = tmp_path / "selftest.md"
    out = io.StringIO()
    status = cli.main(
        [
            "selftest",
            "--only",
            "title-dropped,alias-unsupported",
            "--jobs",
            "2",
            "--no-progress",
            "--write",
            str(written),
        ],
        out=out,
    )
    assert status == 0, out.getvalue()
    assert "kill rate 2/2 (100%)" in out.getvalue()
    text = written.read_text(encoding="utf-8")
    assert "wall time of the whole self-test" in text
    assert "| `alias-unsupported` |" in text
    assert "| `title-dropped` |" in text
