"""A conformance campaign: deliver events to a destination, inspect the fake, judge every rule.

:func:`run_campaign` starts one :class:`FakePlanhat` (seeded, clock frozen, journal big enough,
plus a second tenant nobody should reach), wires the target to it (in-process interception or one
loopback server per subdomain), then:

1. runs the **delivery scenarios**: a fixed story touching every Planhat rule, a catalogue of
   event types and ``integrations`` (T-1 … T-4), a 32 KB event (W-6), bad settings (S-1), and
   faults injected with the fake's fault rules — 408, 429 with Retry-After, 500/502/503/504,
   400/401/403/404/413/422, a connection cut before, a lost response (cut after), a slow answer —
   so every outcome rule is exercised on every run. Events answered ``retry`` are delivered
   again, as Segment would;
2. **explores** with Hypothesis: random event sequences from :mod:`conformance.events`, every
   selected check on each, shrinking any failure to a minimal sequence. After a failure it
   explores again for the rules not yet failed, so one bug does not hide another (bounded by the
   time budget).

The same seed gives the same :class:`CampaignResult` (timings aside, kept in their own field).
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, assume, given
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase, ExampleDatabase
from hypothesis.errors import FlakyFailure, Unsatisfiable

from conformance.checks import Attempt, FaultPlan, Run, SentRequest, Verdict, run_checks
from conformance.events import MAX_EVENT_BYTES, event_sequences, event_size
from conformance.oracle import (
    FROZEN_AT,
    SUBDOMAINS,
    Oracle,
    Profile,
    canonical_text,
    expect_event,
    normalize_state,
)
from conformance.outcomes import Delivery
from conformance.rules import RULES, Rule
from conformance.targets import Environment, Target, load_target, open_environment
from fake_planhat import FakePlanhat
from fake_planhat.intake import company_key
from fake_planhat.state import id_key

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "PROFILE_RULES",
    "CampaignResult",
    "Case",
    "EventProfile",
    "Failure",
    "ProgressSink",
    "RuleResult",
    "Session",
    "TargetStartError",
    "replay_cases",
    "run_campaign",
    "scenarios",
    "select_rules",
]

EventProfile = Literal["realistic", "hostile"]
RuleStatus = Literal["passed", "failed", "not exercised"]
ProgressSink = Callable[[str, int, int | None], None]  # (stage, done, total)

DEFAULT_MAX_EXAMPLES = 300
OTHER_TENANT_TOKEN = "00000000-0000-4000-8000-0000000000ff"  # must stay empty (E-1)
OTHER_API_TOKEN = "fake-planhat-other-tenant-api-token"
JOURNAL_SIZE = 50_000
SUBDOMAIN_CHOICES: tuple[str | None, ...] = (None, *SUBDOMAINS)  # None: setting absent (api)
FAILURE_MARK = "conformance rules failed: "
FLAKY = "(flaky: the destination failed on these events once, then passed them) "
# The rules a campaign checks by default: the other profile's wire rules, and the Planhat rules
# profile activities cannot reach (it sends no identify or group), would never be exercised.
PROFILE_RULES: dict[Profile, tuple[str, ...]] = {
    "segment": tuple(r for r in RULES if RULES[r].family != "A"),
    "activities": tuple(
        r for r in RULES if RULES[r].family != "W" and r not in ("P-5", "P-7", "P-8")
    ),
}


class TargetStartError(RuntimeError):
    """The destination under test could not be started (a command missing, a port taken …)."""


# --- what is run, and what came out --------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One reproducible run: events, the settings of each, faults by event index, and whether
    events answered ``retry`` are delivered again (as Segment does)."""

    scenario: str
    events: list[dict[str, Any]]
    settings: list[dict[str, Any]]
    faults: dict[int, FaultPlan] = field(default_factory=dict)
    redeliver: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "events": copy.deepcopy(self.events),
            "settings": copy.deepcopy(self.settings),
            "faults": {str(i): f.to_json() for i, f in sorted(self.faults.items())},
            "redeliver": self.redeliver,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Case:
        events = data["events"]
        settings = data["settings"]
        if not isinstance(events, list) or not isinstance(settings, list):
            raise ValueError("a case needs 'events' and 'settings' lists")
        if len(events) != len(settings):
            raise ValueError("a case needs one settings object per event")
        faults = {int(i): FaultPlan.from_json(f) for i, f in (data.get("faults") or {}).items()}
        return cls(
            str(data.get("scenario", "replay")),
            events,
            settings,
            faults,
            bool(data.get("redeliver")),
        )

    def without(self, index: int) -> Case:
        """This case minus one event (fault indices follow their events)."""
        faults = {(i if i < index else i - 1): f for i, f in self.faults.items() if i != index}
        return Case(
            self.scenario,
            self.events[:index] + self.events[index + 1 :],
            self.settings[:index] + self.settings[index + 1 :],
            faults,
            self.redeliver,
        )


@dataclass(frozen=True)
class Failure:
    """A rule's failure: the (minimal) case that shows it and the check's verdict."""

    rule_id: str
    case: Case
    verdict: Verdict

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "case": self.case.to_json(),
            "verdict": self.verdict.to_json(),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Failure:
        return cls(
            str(data["rule"]), Case.from_json(data["case"]), Verdict.from_json(data["verdict"])
        )


@dataclass
class RuleResult:
    """One rule's tally over a campaign: runs where it passed, failed, or did not apply."""

    rule: Rule
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0
    failure: Failure | None = None

    @property
    def status(self) -> RuleStatus:
        if self.failure is not None or self.failed:
            return "failed"
        return "passed" if self.passed else "not exercised"

    def add(self, verdict: Verdict) -> None:
        if verdict.status == "pass":
            self.passed += 1
        elif verdict.status == "fail":
            self.failed += 1
        else:
            self.not_applicable += 1

    def keep(self, failure: Failure) -> None:
        """Keep the failure with the fewest events (a shorter story is easier to read)."""
        if self.failure is None or len(failure.case.events) < len(self.failure.case.events):
            self.failure = failure


@dataclass
class CampaignResult:
    """Everything a report needs. ``timings`` is the only part that differs between two runs
    with the same seed."""

    target: str
    profile: Profile
    event_profile: EventProfile
    seed: int
    max_examples: int
    rules: dict[str, RuleResult]
    examples: int = 0
    scenarios: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    budget_exhausted: bool = False
    replayed: bool = False  # a replay of recorded cases, not a search

    @property
    def ok(self) -> bool:
        return all(r.status != "failed" for r in self.rules.values())

    def failures(self) -> list[Failure]:
        return [r.failure for r in self.rules.values() if r.failure is not None]

    def counts(self) -> dict[RuleStatus, int]:
        counts: dict[RuleStatus, int] = {"passed": 0, "failed": 0, "not exercised": 0}
        for result in self.rules.values():
            counts[result.status] += 1
        return counts


# --- one fake, one target ------------------------------------------------------------------------


class Session:
    """A started target wired to one fake and one oracle; :meth:`execute` runs a :class:`Case`."""

    def __init__(self, target: Target, profile: Profile, *, seed: int = 0) -> None:
        self.target = target
        self.profile = profile
        self.fake = FakePlanhat(seed=seed, journal_size=JOURNAL_SIZE)
        self.fake.clock.freeze(FROZEN_AT)
        self.fake.add_tenant(OTHER_TENANT_TOKEN, OTHER_API_TOKEN)
        self.oracle = Oracle(
            seed=seed, tenant_token=self.fake.tenant_token, api_token=self.fake.api_token
        )
        self._env_context = open_environment(self.fake, loopback=target.loopback)
        self.env: Environment | None = None

    def __enter__(self) -> Session:
        self.env = self._env_context.__enter__()
        try:
            self.target.start(self.env)
        except Exception as exc:
            self._env_context.__exit__(type(exc), exc, exc.__traceback__)
            raise TargetStartError(f"{self.target.name} did not start: {exc}") from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.target.stop()
        finally:
            self._env_context.__exit__(exc_type, exc, tb)

    @property
    def api_key(self) -> str:
        return self.fake.tenant_token

    def settings(self, subdomain: str | None = "api") -> dict[str, Any]:
        """Valid Segment settings for this run's tenant (``subdomain`` None: left out)."""
        chosen: dict[str, Any] = {"apiKey": self.api_key}
        if subdomain is not None:
            chosen["subdomain"] = subdomain
        return chosen

    def execute(self, case: Case, *, replay: bool = True) -> Run:
        """Deliver the case's events in order and return the observed run, oracle included.

        ``replay=False`` skips the oracle's replay and both states: enough for the wire,
        outcome and type rules (S, O, T, W, A), and much cheaper while shrinking.
        """
        self.fake.reset()  # data, journal and fault rules
        companies = self._existing_companies(case.events)
        tenant = self.fake.tenant()
        with tenant.lock:
            for key in companies:
                tenant.create_company({"name": key, "externalId": key})
        attempts: list[Attempt] = []
        for index, event in enumerate(case.events):
            plan = case.faults.get(index)
            if plan is not None:
                self.fake.faults.add(
                    "*",
                    status=plan.status,
                    retry_after=plan.retry_after,
                    latency=plan.latency,
                    cut=plan.cut,
                    on_calls=plan.on_calls,
                )
            try:
                attempt = self._deliver(index, event, case.settings[index], plan)
            finally:
                self.fake.faults.clear()
            attempts.append(attempt)
            if case.redeliver and attempt.delivery.outcome == "retry":
                attempts.append(
                    self._deliver(index, event, case.settings[index], None, redelivery=True)
                )
        expectation = self.oracle.expect(
            self.profile,
            case.events,
            case.settings,
            times=self._times(case, attempts),
            companies=companies,
            replay=replay,
        )
        if not replay:
            return Run(self.profile, case.events, case.settings, attempts, expectation, {})
        state = normalize_state(self.fake.dump())
        other = normalize_state(self.fake.dump(OTHER_TENANT_TOKEN))
        return Run(self.profile, case.events, case.settings, attempts, expectation, state, other)

    def _existing_companies(self, events: Sequence[Mapping[str, Any]]) -> list[str]:
        """Profile activities: the accounts the events name already exist (a CRM sync made
        them), so activities have somewhere to land. Profile segment: none; groups create them."""
        if self.profile != "activities":
            return []
        keys = {company_key(e) for e in events} | {id_key(e.get("groupId")) for e in events}
        return sorted(k for k in keys if k is not None)

    def _deliver(
        self,
        index: int,
        event: dict[str, Any],
        settings: dict[str, Any],
        plan: FaultPlan | None,
        *,
        redelivery: bool = False,
    ) -> Attempt:
        assert self.env is not None, "use the Session as a context manager"
        last = self.fake.journal.last()
        mark = last.seq if last is not None else 0
        started = time.perf_counter()
        try:
            delivery = self.target.deliver(copy.deepcopy(event), dict(settings))
        except Exception as exc:  # the adapter itself failed: the event's outcome is unknown
            delivery = Delivery("error", f"the target adapter raised {type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - started
        requests = [
            SentRequest.from_entry(entry, self.env.host_of(entry.host))
            for entry in self.fake.journal.query(since=mark)
        ]
        return Attempt(index, event, settings, delivery, requests, seconds, plan, redelivery)

    def _times(self, case: Case, attempts: Sequence[Attempt]) -> list[int]:
        """How often Planhat should have applied each event: once when it must be sent; as
        often as it was applied when faults made resending legitimate (E-3 allows that)."""
        times = []
        for index, event in enumerate(case.events):
            expected = expect_event(event, case.settings[index], self.profile)
            mine = [a for a in attempts if a.index == index]
            applied = sum(r.applied for a in mine for r in a.requests)
            faulted = any(a.fault is not None and a.fault.injected for a in mine)
            if faulted or expected.send == "may":
                times.append(applied)
            elif expected.send == "must":
                times.append(max(1, applied))
            else:
                times.append(0)
        return times


# --- delivery scenarios --------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A fixed case, and the rules it is there to exercise (run when one of them is selected)."""

    case: Case
    rules: frozenset[str]


ALL_RULES = frozenset(RULES)
TYPE_RULES = frozenset(
    {"T-1", "T-2", "T-3", "T-4", "O-1", "O-4", "W-1", "W-2", "W-4", "A-7", "P-9", "P-11", "E-1"}
)
STATE_RULES = frozenset(r for r in RULES if RULES[r].family in ("P", "E"))
OUTCOME_RULES = frozenset({"O-1", "O-2", "O-3", "O-4", "W-1", "W-5", "E-1", "E-2", "E-3"})

_T0 = "2025-03-01T09:00:00.000Z"
_T1 = "2025-03-01T09:05:00.000Z"
_T2 = "2025-03-01T09:10:00.000Z"


def _story() -> list[dict[str, Any]]:
    """A B2B day touching every rule of CONTRACT §4 (P-1 … P-11)."""
    return [
        {"type": "group", "userId": "00123", "groupId": "acct-1", "messageId": "story-0",
         "traits": {"name": "Acme", "employees": 42, "plan": "pro"}, "timestamp": _T0},
        {"type": "identify", "userId": "00123", "anonymousId": "anon-1", "messageId": "story-1",
         "traits": {"email": "Ada@Example.com", "name": "Ada Lovelace", "title": "CTO",
                    "companyId": "acct-1", "vip": True, "seats": 3, "tags": ["a"]},
         "timestamp": _T0},
        {"type": "track", "userId": "00123", "event": "Signed Up", "messageId": "story-2",
         "properties": {"plan": "pro", "revenue": 19.99, "big": 1e21},
         "context": {"groupId": "acct-1"}, "timestamp": _T1},
        {"type": "page", "userId": "00123", "name": "Pricing", "category": "Docs",
         "messageId": "story-3", "properties": {"path": "/pricing", "title": "Pricing 🚀"},
         "timestamp": _T1},
        {"type": "identify", "user_id": "u-2", "messageId": "story-4",
         "traits": {"email": "grace@example.com", "firstName": "Grace", "lastName": "Hopper"},
         "timestamp": _T1},
        {"type": "track", "anonymousId": "anon-2", "event": "Report Exported",
         "messageId": "story-5", "properties": {"format": "csv"},
         "context": {"traits": {"email": " GRACE@example.com "}}, "timestamp": _T2},
        {"type": "group", "userId": "u-2", "groupId": "acct-2", "messageId": "story-6",
         "traits": {"name": "Globex", "mrr": 99.5}, "timestamp": _T2},
        {"type": "identify", "anonymousId": "anon-3", "messageId": "story-7",
         "traits": {"plan": "free"}, "timestamp": _T2},
        {"type": "track", "userId": "stranger", "event": "Clicked", "messageId": "story-8",
         "timestamp": _T2},
        {"type": "alias", "userId": "00123", "previousId": "anon-1", "messageId": "story-9"},
        {"type": "screen", "userId": "00123", "name": "Home", "messageId": "story-10"},
        {"type": "identify", "anonymousId": "anon-5", "messageId": "story-11",
         "traits": {"email": "lin@example.com", "name": "Lin"}, "timestamp": _T2},
        {"type": "identify", "userId": "u-6", "messageId": "story-12",
         "traits": {"title": "VP Sales", "companyId": "acct-404"}, "timestamp": _T2},
    ]  # fmt: skip


def _catalogue() -> list[dict[str, Any]]:
    """Event types and integrations switches (T-1 … T-4)."""

    def identify(n: int, **extra: Any) -> dict[str, Any]:
        return {"type": "identify", "userId": f"u-{n}", "messageId": f"cat-{n}",
                "traits": {"email": f"user{n}@example.com"}, "timestamp": _T0, **extra}  # fmt: skip

    return [
        identify(1, integrations={"Planhat": False}),
        identify(2, integrations={"All": False}),
        identify(3, integrations={"All": False, "Planhat": True}),
        identify(4, integrations={"planhat": False}),
        identify(5, integrations={"All": False, "Planhat": {}}),
        {"type": "track", "userId": "u-3", "event": "Seen", "messageId": "cat-6",
         "integrations": {"Planhat": False}, "timestamp": _T0},
        {"type": "page", "userId": "u-3", "messageId": "cat-7", "timestamp": _T0},
        {"type": "delete", "userId": "u-3", "messageId": "cat-8"},
        {"type": "Identify", "userId": "u-3", "messageId": "cat-9", "traits": {"x": 1}},
        {"type": "alias", "userId": "u-3", "previousId": "u-4", "messageId": "cat-10"},
        {"type": "track", "anonymousId": "anon-9", "event": "Clicked", "messageId": "cat-11",
         "timestamp": _T0},
    ]  # fmt: skip


def _large_event() -> dict[str, Any]:
    """An identify just under Segment's 32 KB limit, in 1- to 4-byte characters (W-6)."""
    event: dict[str, Any] = {
        "type": "identify", "userId": "00123", "messageId": "large-1", "timestamp": _T0,
        "traits": {"email": "ada@example.com", "title": "CTO", "bio": ""},
    }  # fmt: skip
    room = MAX_EVENT_BYTES - 64 - event_size(event)
    unit = "aé漢😀"  # 1 + 2 + 3 + 4 bytes
    event["traits"]["bio"] = unit * (room // 10) + "a" * (room % 10)
    return event


def _short() -> list[dict[str, Any]]:
    """Three events for fault scenarios: group, identify, track (see ``scenarios``)."""
    story = _story()
    return [story[0], story[1], story[2]]


def scenarios(profile: Profile, api_key: str) -> list[Scenario]:
    """The fixed delivery scenarios of every campaign, in the order they run.

    Faults hit the event the profile surely sends: the identify (profile segment) or the track
    (profile activities, whose destinations need not send identify).
    """
    hit = 1 if profile == "segment" else 2

    def case(
        name: str,
        events: list[dict[str, Any]],
        settings: dict[str, Any] | None = None,
        faults: dict[int, FaultPlan] | None = None,
        redeliver: bool = False,
    ) -> Case:
        chosen = settings if settings is not None else {"apiKey": api_key, "subdomain": "api-eu"}
        return Case(name, events, [dict(chosen) for _ in events], faults or {}, redeliver)

    found = [
        Scenario(case("story", _story()), ALL_RULES),
        Scenario(
            case("event types and integrations", _catalogue(), {"apiKey": api_key}),
            TYPE_RULES,
        ),
        Scenario(
            case("a 32 KB event", [_large_event()], {"apiKey": api_key, "subdomain": "analytics"}),
            frozenset({"W-1", "W-3", "W-4", "W-6", "O-1", "P-5", "E-1"}),
        ),
    ]
    for status in (408, 429, 500, 502, 503, 504):
        wait = 1 if status == 429 else None
        name = f"Planhat answers {status}" + (" with Retry-After: 1" if wait else "")
        plan = FaultPlan(status=status, retry_after=wait)
        found.append(
            Scenario(case(name, _short(), faults={hit: plan}, redeliver=True), OUTCOME_RULES)
        )
    found.append(
        Scenario(
            case("Planhat answers 429 with Retry-After: 1, once", _short(),
                 faults={hit: FaultPlan(status=429, retry_after=1, on_calls=(1,))}, redeliver=True),
            OUTCOME_RULES,
        )
    )  # fmt: skip
    for status in (400, 401, 403, 404, 413, 422):
        plan = FaultPlan(status=status)
        found.append(
            Scenario(case(f"Planhat answers {status}", _short(), faults={hit: plan}), OUTCOME_RULES)
        )
    found.append(
        Scenario(
            case("connection cut before the request", _short(),
                 faults={hit: FaultPlan(cut="before")}, redeliver=True),
            OUTCOME_RULES,
        )
    )  # fmt: skip
    for index, what in ((1, "identify"), (0, "group"), (2, "track")):
        found.append(
            Scenario(
                case(f"lost response to the {what}", _short(),
                     faults={index: FaultPlan(cut="after")}, redeliver=True),
                OUTCOME_RULES,
            )
        )  # fmt: skip
    found.append(
        Scenario(
            case("slow answer (0.3 s)", _short(), faults={hit: FaultPlan(latency=0.3)}),
            OUTCOME_RULES,
        )
    )
    bad_settings: list[tuple[str, dict[str, Any]]] = [
        ("apiKey missing", {"subdomain": "api"}),
        ("apiKey empty", {"apiKey": "", "subdomain": "api"}),
        ("subdomain 'eu'", {"apiKey": api_key, "subdomain": "eu"}),
        ("subdomain 'API'", {"apiKey": api_key, "subdomain": "API"}),
    ]
    for name, settings in bad_settings:
        found.append(
            Scenario(case(f"bad settings: {name}", _short(), settings), frozenset({"S-1", "O-4"}))
        )
    return found


# --- Hypothesis's example database, one namespace per campaign -----------------------------------


class _Namespaced(ExampleDatabase):
    """Another database's examples under a key prefix, so campaigns for different rules, profiles
    or targets sharing one directory keep their failures apart."""

    def __init__(self, inner: ExampleDatabase, namespace: str) -> None:
        super().__init__()
        self.inner = inner
        self.prefix = hashlib.sha256(namespace.encode()).hexdigest()[:16].encode() + b":"

    def save(self, key: bytes, value: bytes) -> None:
        self.inner.save(self.prefix + key, value)

    def fetch(self, key: bytes) -> Iterable[bytes]:
        return self.inner.fetch(self.prefix + key)

    def delete(self, key: bytes, value: bytes) -> None:
        self.inner.delete(self.prefix + key, value)

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self.inner.move(self.prefix + src, self.prefix + dest, value)


def _database(
    database: ExampleDatabase | str | Path | None, namespace: str
) -> ExampleDatabase | None:
    if database is None:
        return None
    inner = (
        database
        if isinstance(database, ExampleDatabase)
        else DirectoryBasedExampleDatabase(str(database))
    )
    return _Namespaced(inner, namespace)


# --- the campaign --------------------------------------------------------------------------------


class _Campaign:
    def __init__(
        self,
        session: Session,
        result: CampaignResult,
        selected: Sequence[str],
        deadline: float | None,
        progress: ProgressSink | None,
        database: ExampleDatabase | str | Path | None,
    ) -> None:
        self.session = session
        self.result = result
        self.selected = list(selected)
        self.deadline = deadline
        self.progress = progress
        self.database = database
        self._runs: dict[str, Run] = {}
        self.replay = bool(set(selected) & STATE_RULES)  # only P and E rules need the states

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    def tell(self, stage: str, done: int, total: int | None) -> None:
        if self.progress is not None:
            self.progress(stage, done, total)

    # (1) the delivery scenarios

    def execute(self, case: Case) -> Run:
        """Run a scenario case once: minimizing several rules retries the same candidates."""
        key = canonical_text(case.to_json())
        run = self._runs.get(key)
        if run is None:
            run = self._runs[key] = self.session.execute(case, replay=self.replay)
        return run

    def run_scenarios(self) -> None:
        chosen = [
            s
            for s in scenarios(self.session.profile, self.session.api_key)
            if s.rules & set(self.selected)
        ]
        for number, scenario in enumerate(chosen, 1):
            self.tell(f"scenario: {scenario.case.scenario}", number - 1, len(chosen))
            run = self.execute(scenario.case)
            verdicts = run_checks(run, self.selected)
            for rule_id, verdict in verdicts.items():
                rule = self.result.rules[rule_id]
                rule.add(verdict)
                shortest = rule.failure is not None and len(rule.failure.case.events) == 1
                if verdict.failed and not shortest:
                    rule.keep(self.minimize(scenario.case, rule_id, verdict))
            self.result.scenarios.append(scenario.case.scenario)
        self.tell("scenarios", len(chosen), len(chosen))

    def minimize(self, case: Case, rule_id: str, verdict: Verdict) -> Failure:
        """Drop events one by one while the rule still fails (faulted events stay)."""
        best, best_verdict = case, verdict
        for index in reversed(range(len(case.events))):
            if index in best.faults or len(best.events) == 1 or self.out_of_time():
                continue
            candidate = best.without(index)
            again = run_checks(self.execute(candidate), [rule_id])[rule_id]
            if again.failed:
                best, best_verdict = candidate, again
        return Failure(rule_id, best, best_verdict)

    # (2) exploration

    def explore(self, max_examples: int, event_profile: EventProfile, seed: int) -> None:
        """Explore for every selected rule no scenario has failed yet; after a failure, again
        for the rest, until none fails or the time budget runs out."""
        self._runs.clear()
        watch = [r for r in self.selected if self.result.rules[r].failure is None]
        final: dict[str, list[int]] = {}
        round_number = 0
        while watch:
            round_number += 1
            tallies = {rule_id: [0, 0, 0] for rule_id in watch}
            failures = self.explore_once(
                watch, tallies, max_examples, event_profile, seed, round_number
            )
            for rule_id in watch:
                final[rule_id] = tallies[rule_id]
            if not failures:
                break
            for failure in failures:
                self.result.rules[failure.rule_id].keep(failure)
            failed = {f.rule_id for f in failures}
            watch = [r for r in watch if r not in failed]
            if self.out_of_time():
                self.result.budget_exhausted = True
                break
        for rule_id, (passed, failed_count, not_applicable) in final.items():
            rule = self.result.rules[rule_id]
            rule.passed += passed
            rule.failed += failed_count
            rule.not_applicable += not_applicable

    def explore_once(
        self,
        watch: Sequence[str],
        tallies: dict[str, list[int]],
        max_examples: int,
        event_profile: EventProfile,
        seed: int,
        round_number: int,
    ) -> list[Failure]:
        session = self.session
        found: list[Failure] = []
        done = [0]
        namespace = "|".join(
            [session.target.name, session.profile, event_profile, ",".join(sorted(watch))]
        )

        def example(data: st.DataObject) -> None:
            if self.out_of_time() and not found:
                self.result.budget_exhausted = True
                assume(False)  # no more generation; a failure already found still shrinks
            events = data.draw(event_sequences(event_profile), label="events")
            subdomain = data.draw(st.sampled_from(SUBDOMAIN_CHOICES), label="subdomain")
            settings = session.settings(subdomain)
            case = Case("exploration", events, [dict(settings) for _ in events])
            run = session.execute(case, replay=self.replay)
            verdicts = run_checks(run, watch)
            for rule_id, verdict in verdicts.items():
                tallies[rule_id][("pass", "fail", "n/a").index(verdict.status)] += 1
            done[0] += 1
            self.result.examples += 1
            self.tell(f"exploring (round {round_number})", done[0], max_examples)
            failed = [r for r, v in verdicts.items() if v.failed]
            if failed:
                found[:] = [Failure(r, case, verdicts[r]) for r in failed]
                raise AssertionError(FAILURE_MARK + ", ".join(failed))

        test = given(st.data())(example)
        test = hypothesis.settings(
            max_examples=max_examples,
            derandomize=False,
            database=_database(self.database, namespace),
            deadline=None,
            verbosity=Verbosity.quiet,
            print_blob=False,
            report_multiple_bugs=False,
            phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
            suppress_health_check=list(HealthCheck),
        )(test)
        if self.database is None:
            # hypothesis.seed() switches the example database off: a seeded run is exactly
            # repeatable; with a database, Hypothesis explores afresh and replays saved failures.
            test = hypothesis.seed(seed)(test)
        remaining = self.deadline - time.perf_counter() if self.deadline is not None else None
        try:
            with _shrink_limit(remaining):
                test()
        except AssertionError as exc:
            if not found or not str(exc).startswith(FAILURE_MARK):
                raise
        except FlakyFailure:
            if not found:
                raise
            # the destination failed, then passed the same events: report what it did once
            found[:] = [
                Failure(
                    f.rule_id, f.case, replace(f.verdict, explanation=FLAKY + f.verdict.explanation)
                )
                for f in found
            ]
        except Unsatisfiable:
            pass  # the time budget ran out before any example ran
        except hypothesis.errors.FlakyStrategyDefinition:
            # selftest (issue 5): once out of time, assume(False) above stops drawing; when
            # Hypothesis replays a prefix that drew more before, it calls the strategy flaky
            if not self.out_of_time():
                raise
        return found


@contextmanager
def _shrink_limit(seconds: float | None) -> Iterator[None]:
    """Let Hypothesis shrink for at most ``seconds`` (the time budget left).

    Hypothesis has no public setting for this; its engine reads the module constant
    ``MAX_SHRINKING_SECONDS`` (300) when shrinking starts. Without a budget nothing changes, so
    runs stay identical for a seed.
    """
    from hypothesis.internal.conjecture import engine

    default = getattr(engine, "MAX_SHRINKING_SECONDS", None)
    if seconds is None or not isinstance(default, int):
        yield
        return
    engine.MAX_SHRINKING_SECONDS = max(1, min(default, int(seconds)))
    try:
        yield
    finally:
        engine.MAX_SHRINKING_SECONDS = default


def run_campaign(
    target: Target | str,
    *,
    profile: Profile = "segment",
    event_profile: EventProfile = "realistic",
    seed: int = 0,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    rules: Iterable[str] | None = None,
    time_budget: float | None = None,
    progress: bool | ProgressSink = False,
    database: ExampleDatabase | str | Path | None = None,
) -> CampaignResult:
    """Run the delivery scenarios and a Hypothesis exploration against ``target``.

    ``target``: a :class:`~conformance.targets.Target` or a spec for
    :func:`~conformance.targets.load_target` (``"reference"``, ``"py:mod:handle"`` …).
    ``rules``: rule ids to check (default all). ``time_budget``: seconds after which no new
    exploration starts (scenarios always run; a failure being shrunk finishes).
    ``progress``: True for a progress display on stderr, or a callable ``(stage, done, total)``.
    ``database``: Hypothesis's example database (a directory), so failures found once replay
    first; exploration is then not seeded (Hypothesis turns the database off for seeded runs).
    None (the default) keeps runs with the same seed identical.
    """
    if profile not in ("segment", "activities"):
        raise ValueError(f"profile must be 'segment' or 'activities', not {profile!r}")
    if event_profile not in ("realistic", "hostile"):
        raise ValueError(f"event profile must be 'realistic' or 'hostile', not {event_profile!r}")
    if max_examples < 1:
        raise ValueError("max_examples must be at least 1")
    selected = select_rules(rules, profile)
    loaded = load_target(target) if isinstance(target, str) else target
    name = target if isinstance(target, str) else loaded.name
    sink = _progress_sink(progress)
    result = CampaignResult(
        target=name,
        profile=profile,
        event_profile=event_profile,
        seed=seed,
        max_examples=max_examples,
        rules={rule_id: RuleResult(RULES[rule_id]) for rule_id in selected},
    )
    started = time.perf_counter()
    deadline = started + time_budget if time_budget is not None else None
    with Session(loaded, profile, seed=seed) as session:
        campaign = _Campaign(session, result, selected, deadline, sink, database)
        campaign.run_scenarios()
        scenarios_done = time.perf_counter()
        campaign.explore(max_examples, event_profile, seed)
    finished = time.perf_counter()
    result.timings = {
        "scenarios": round(scenarios_done - started, 3),
        "exploration": round(finished - scenarios_done, 3),
        "total": round(finished - started, 3),
    }
    if sink is not None:
        sink("done", 1, 1)
    return result


def replay_cases(
    target: Target | str,
    failures: Sequence[Failure],
    *,
    profile: Profile = "segment",
    seed: int = 0,
) -> CampaignResult:
    """Re-run recorded failing cases exactly (no generation) and judge the rules they failed."""
    loaded = load_target(target) if isinstance(target, str) else target
    name = target if isinstance(target, str) else loaded.name
    selected = select_rules(sorted({f.rule_id for f in failures}, key=list(RULES).index))
    result = CampaignResult(
        name, profile, "realistic", seed, 0, {r: RuleResult(RULES[r]) for r in selected}
    )
    result.replayed = True
    started = time.perf_counter()
    with Session(loaded, profile, seed=seed) as session:
        for failure in failures:
            verdict = run_checks(session.execute(failure.case), [failure.rule_id])[failure.rule_id]
            rule = result.rules[failure.rule_id]
            rule.add(verdict)
            if verdict.failed:
                rule.keep(Failure(failure.rule_id, failure.case, verdict))
            result.scenarios.append(failure.case.scenario)
    result.timings = {"total": round(time.perf_counter() - started, 3)}
    return result


def select_rules(rules: Iterable[str] | None, profile: Profile = "segment") -> list[str]:
    """Rule ids in contract order; None: the profile's default set. ValueError names unknown
    ids."""
    if rules is None:
        return list(PROFILE_RULES[profile])
    wanted = {r.strip() for r in rules if r.strip()}
    unknown = sorted(wanted - set(RULES))
    if unknown:
        raise ValueError(f"unknown rule id(s) {', '.join(unknown)}; known: {', '.join(RULES)}")
    if not wanted:
        raise ValueError("select at least one rule")
    return [r for r in RULES if r in wanted]


def _progress_sink(progress: bool | ProgressSink) -> ProgressSink | None:
    if progress is True:
        from conformance.report import ConsoleProgress

        return ConsoleProgress()
    if progress is False:
        return None
    return progress
