"""A conformance campaign: deliver events to a destination, inspect the fake, judge every rule.

:func:`run_campaign` starts one :class:`~conformance.engine.Session`, then

1. runs the **delivery scenarios** (:mod:`conformance.engine._scenarios`) that exercise the
   selected rules *and every rule they depend on*, so a rule's verdict never depends on what
   else is selected. Events answered ``retry`` are delivered again, as Segment would;
2. **explores** with Hypothesis: random event sequences, every selected check (and its
   dependencies') on each, shrinking a failure to a minimal sequence, then the envelope of its
   events. After a failure it explores again for the rules not yet failed, so one bug does not
   hide another (bounded by the time budget).

Each failure says whether it is a **root cause** or a consequence of other rules that failed on
the same run (``Verdict.caused_by``, from the rules' declared dependencies). The engine emits
:mod:`events <conformance.engine._events>` to subscribers (reporters, progress, the self-test).
The same seed gives the same :class:`CampaignResult` (timings aside).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, assume, given
from hypothesis import strategies as st
from hypothesis.database import ExampleDatabase
from hypothesis.errors import FlakyFailure, Unsatisfiable

from conformance import _defaults
from conformance._json import canonical_text
from conformance._words import DESTINATION_PROFILES, EVENT_MIXES, DestinationProfile, EventMix
from conformance.checks import Run, Verdict, run_checks
from conformance.contract import RULES
from conformance.engine._database import DatabaseSpec, namespaced, open_database
from conformance.engine._events import (
    CampaignFinished,
    CampaignStarted,
    EngineEvent,
    ExampleJudged,
    Progress,
    RuleFailed,
    Subscriber,
)
from conformance.engine._results import CampaignResult, Case, Failure, RuleResult
from conformance.engine._scenarios import Scenario, scenarios
from conformance.engine._session import Session
from conformance.events import event_sequences
from conformance.oracle import SUBDOMAINS
from conformance.targets import Target, load_target

__all__ = ["replay_cases", "run_campaign", "select_rules"]

SUBDOMAIN_CHOICES: tuple[str | None, ...] = (None, *SUBDOMAINS)  # None: setting absent (api)
FAILURE_MARK = "conformance rules failed: "
FLAKY = "(flaky: the destination failed on these events once, then passed them) "
STATE_FAMILIES = frozenset({"P", "E"})
ENVELOPE_KEEP = frozenset({"type"})  # what an event cannot lose while being minimized
ENVELOPE_TRIES = 40  # fields tried per minimized failure: enough for a short story


class _Campaign:
    def __init__(
        self,
        session: Session,
        result: CampaignResult,
        selected: Sequence[str],
        deadline: float | None,
        subscribers: Sequence[Subscriber],
        database: ExampleDatabase | None,
    ) -> None:
        self.session = session
        self.result = result
        self.selected = list(selected)
        # the selected rules and what they depend on: judged on every run, so each selected
        # rule's verdict, and whether it is a root cause, is the same whatever is selected
        self.judged = [
            *selected,
            *(r for r in RULES.closure(selected, session.profile) if r not in selected),
        ]
        self.deadline = deadline
        self.subscribers = list(subscribers)
        self.database = database
        self._runs: dict[str, Run] = {}
        self.replay = any(RULES[r].family in STATE_FAMILIES for r in self.judged)

    def emit(self, event: EngineEvent) -> None:
        for subscriber in self.subscribers:
            subscriber(event)

    def out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    def judge(self, run: Run, rule_ids: Sequence[str] | None = None) -> dict[str, Verdict]:
        """Verdicts of ``rule_ids`` (default: the selected ones) on ``run``, each failure marked
        with the rules it depends on that failed on the same run."""
        wanted = self.selected if rule_ids is None else list(rule_ids)
        needed = RULES.closure(wanted, self.session.profile)
        verdicts = run_checks(run, [*wanted, *(r for r in needed if r not in wanted)])
        judged: dict[str, Verdict] = {}
        for rule_id in wanted:
            verdict = verdicts[rule_id]
            if verdict.failed:
                upstream = RULES.upstream(rule_id, self.session.profile)
                causes = tuple(r for r in upstream if verdicts[r].failed)
                verdict = verdict.because_of(causes)
            judged[rule_id] = verdict
        return judged

    # (1) the delivery scenarios

    def execute(self, case: Case) -> Run:
        """Run a case once: minimizing several rules retries the same candidates."""
        key = canonical_text(case.to_json())
        run = self._runs.get(key)
        if run is None:
            run = self._runs[key] = self.session.execute(case, replay=self.replay)
        return run

    def chosen_scenarios(self) -> list[Scenario]:
        tags = {tag for r in self.judged for tag in RULES[r].scenarios}
        return [s for s in scenarios(self.session.profile, self.session.api_key) if s.tag in tags]

    def run_scenarios(self) -> None:
        chosen = self.chosen_scenarios()
        for number, scenario in enumerate(chosen, 1):
            self.emit(Progress(f"scenario: {scenario.case.scenario}", number - 1, len(chosen)))
            run = self.execute(scenario.case)
            verdicts = self.judge(run)
            self.emit(ExampleJudged(False, verdicts))
            for rule_id, verdict in verdicts.items():
                rule = self.result.rules[rule_id]
                rule.add(verdict)
                kept = rule.failure
                # minimize once per rule, again only when a root cause replaces a consequence
                settled = kept is not None and (kept.root_cause or verdict.caused_by)
                if verdict.failed and not settled:
                    failure = self.minimize(scenario.case, rule_id, verdict)
                    rule.keep(failure)
            self.result.scenarios.append(scenario.case.scenario)
        self.emit(Progress("scenarios", len(chosen), len(chosen)))

    def minimize(self, case: Case, rule_id: str, verdict: Verdict) -> Failure:
        """Drop events one by one while the rule still fails (faulted events stay), then the
        envelope fields of the events left, one by one."""
        best, best_verdict = case, verdict

        def still_fails(candidate: Case) -> Verdict | None:
            again = self.judge(self.execute(candidate), [rule_id])[rule_id]
            # a root cause stays one: a candidate on which it turned into a consequence is
            # not simpler, it shows another rule's failure
            if again.failed and (again.caused_by or not best_verdict.caused_by):
                return again
            return None

        for index in reversed(range(len(case.events))):
            if index in best.faults or len(best.events) == 1 or self.out_of_time():
                continue
            candidate = best.without(index)
            again = still_fails(candidate)
            if again is not None:
                best, best_verdict = candidate, again
        # the envelope of a root cause only: a consequence's case shows another rule's fault
        budget = ENVELOPE_TRIES if not best_verdict.caused_by else 0
        for index in range(len(best.events)):
            for path in _envelope_paths(best.events[index]):
                budget -= 1
                if self.out_of_time() or budget < 0:
                    break
                candidate = best.with_event(index, _without(best.events[index], path))
                again = still_fails(candidate)
                if again is not None:
                    best, best_verdict = candidate, again
        return Failure(rule_id, best, best_verdict)

    # (2) exploration

    def explore(self, max_examples: int, events: EventMix, seed: int) -> None:
        """Explore for every selected rule no scenario has failed yet; after a failure, again
        for the rest, until none fails or the time budget runs out."""
        self._runs.clear()
        watch = [r for r in self.selected if self.result.rules[r].failure is None]
        final: dict[str, list[int]] = {}
        round_number = 0
        while watch:
            round_number += 1
            tallies = {rule_id: [0, 0, 0] for rule_id in watch}
            failures = self.explore_once(watch, tallies, max_examples, events, seed, round_number)
            for rule_id in watch:
                final[rule_id] = tallies[rule_id]
            if not failures:
                break
            for failure in failures:
                flaky = failure.verdict.explanation.startswith(FLAKY)
                # Hypothesis shrank the sequence; the envelope of its events shrinks here (a
                # flaky failure is kept as seen: running it again may well pass)
                shrunk = (
                    failure
                    if flaky
                    else self.minimize(failure.case, failure.rule_id, failure.verdict)
                )
                self.result.rules[failure.rule_id].keep(shrunk)
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
        events: EventMix,
        seed: int,
        round_number: int,
    ) -> list[Failure]:
        session = self.session
        found: list[Failure] = []
        done = [0]
        namespace = "|".join(
            [session.target.name, session.profile, events, ",".join(sorted(watch))]
        )

        def example(data: st.DataObject) -> None:
            if self.out_of_time() and not found:
                self.result.budget_exhausted = True
                assume(False)  # no more generation; a failure already found still shrinks
            drawn = data.draw(event_sequences(events), label="events")
            subdomain = data.draw(st.sampled_from(SUBDOMAIN_CHOICES), label="subdomain")
            settings = session.settings(subdomain)
            case = Case("exploration", drawn, [dict(settings) for _ in drawn])
            verdicts = self.judge(session.execute(case, replay=self.replay), watch)
            self.emit(ExampleJudged(True, verdicts))
            for rule_id, verdict in verdicts.items():
                tallies[rule_id][("pass", "fail", "n/a").index(verdict.status)] += 1
            done[0] += 1
            self.result.examples += 1
            self.emit(Progress(f"exploring (round {round_number})", done[0], max_examples))
            failed = [r for r, v in verdicts.items() if v.failed]
            if failed:
                found[:] = [Failure(r, case, verdicts[r]) for r in failed]
                raise AssertionError(FAILURE_MARK + ", ".join(failed))

        test = given(st.data())(example)
        test = hypothesis.settings(
            max_examples=max_examples,
            derandomize=False,
            database=namespaced(self.database, namespace),
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
            # once out of time, assume(False) above stops drawing; when Hypothesis replays a
            # prefix that drew more before, it calls the strategy flaky
            if not self.out_of_time():
                raise
        return found


def _envelope_paths(event: dict[str, Any]) -> Iterator[tuple[str, ...]]:
    """Fields an event could lose while a failure is minimized: top-level fields but ``type``,
    then the fields of top-level objects (``context.ip``, ``traits.plan`` …)."""
    for key in list(event):
        if key not in ENVELOPE_KEEP:
            yield (key,)
    for key, value in list(event.items()):
        if isinstance(value, dict):
            for inner in list(value):
                yield (key, inner)


def _without(event: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    smaller = copy.deepcopy(event)
    holder: Any = smaller
    for key in path[:-1]:
        holder = holder.get(key) if isinstance(holder, dict) else None
    if isinstance(holder, dict):
        holder.pop(path[-1], None)
    return smaller


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
    profile: DestinationProfile = _defaults.DEFAULT_PROFILE,
    events: EventMix = _defaults.DEFAULT_EVENTS,
    seed: int = _defaults.DEFAULT_SEED,
    max_examples: int = _defaults.DEFAULT_MAX_EXAMPLES,
    rules: Iterable[str] | None = None,
    time_budget: float | None = _defaults.DEFAULT_TIME_BUDGET,
    subscribers: Sequence[Subscriber] = (),
    database: DatabaseSpec | None = _defaults.UNSET_DATABASE,
) -> CampaignResult:
    """Run the delivery scenarios and a Hypothesis exploration against ``target``.

    ``target``: a :class:`~conformance.targets.Target` or a spec for
    :func:`~conformance.targets.load_target` (``"reference"``, ``"py:mod:handle"`` …).
    ``profile``: the destination profile; ``events``: the event mix the exploration draws.
    ``rules``: rule ids to report (default: the profile's); their dependencies are judged too.
    ``time_budget``: seconds after which no new exploration starts (None: no limit).
    ``subscribers``: callables that receive the engine's events (progress, reporters).
    ``database``: Hypothesis's example database (a directory, ``redis://…``,
    ``github:OWNER/REPO``), default ``$PLANHAT_CONFORMANCE_DATABASE``; with one, failures found
    once replay first and exploration is not seeded. None keeps runs with a seed identical.
    """
    if profile not in DESTINATION_PROFILES:
        raise ValueError(f"profile must be 'segment' or 'activities', not {profile!r}")
    if events not in EVENT_MIXES:
        raise ValueError(f"events must be 'realistic' or 'hostile', not {events!r}")
    if max_examples < 1:
        raise ValueError("max_examples must be at least 1")
    selected = select_rules(rules, profile)
    if database is _defaults.UNSET_DATABASE:
        database = _defaults.default_database()
    opened = open_database(database) if database is not None else None
    loaded = load_target(target) if isinstance(target, str) else target
    name = target if isinstance(target, str) else loaded.name
    result = CampaignResult(
        target=name,
        profile=profile,
        events=events,
        seed=seed,
        max_examples=max_examples,
        rules={rule_id: RuleResult(RULES[rule_id]) for rule_id in selected},
    )
    started = time.perf_counter()
    deadline = started + time_budget if time_budget is not None else None
    with Session(loaded, profile, seed=seed) as session:
        campaign = _Campaign(session, result, selected, deadline, subscribers, opened)
        campaign.emit(CampaignStarted(result))
        campaign.run_scenarios()
        scenarios_done = time.perf_counter()
        campaign.explore(max_examples, events, seed)
    finished = time.perf_counter()
    result.timings = {
        "scenarios": round(scenarios_done - started, 3),
        "exploration": round(finished - scenarios_done, 3),
        "total": round(finished - started, 3),
    }
    campaign.emit(Progress("done", 1, 1))
    for failure in result.failures():
        campaign.emit(RuleFailed(failure))
    campaign.emit(CampaignFinished(result))
    return result


def replay_cases(
    target: Target | str,
    failures: Sequence[Failure],
    *,
    profile: DestinationProfile = _defaults.DEFAULT_PROFILE,
    seed: int = _defaults.DEFAULT_SEED,
    subscribers: Sequence[Subscriber] = (),
) -> CampaignResult:
    """Re-run recorded failing cases exactly (no generation) and judge the rules they failed."""
    loaded = load_target(target) if isinstance(target, str) else target
    name = target if isinstance(target, str) else loaded.name
    selected = select_rules({f.rule_id for f in failures}, profile, only_profile=False)
    result = CampaignResult(
        name, profile, "realistic", seed, 0, {r: RuleResult(RULES[r]) for r in selected}
    )
    result.replayed = True
    started = time.perf_counter()
    with Session(loaded, profile, seed=seed) as session:
        campaign = _Campaign(session, result, selected, None, subscribers, None)
        campaign.emit(CampaignStarted(result))
        for failure in failures:
            verdict = campaign.judge(session.execute(failure.case), [failure.rule_id])[
                failure.rule_id
            ]
            rule = result.rules[failure.rule_id]
            rule.add(verdict)
            if verdict.failed:
                rule.keep(Failure(failure.rule_id, failure.case, verdict))
            result.scenarios.append(failure.case.scenario)
    result.timings = {"total": round(time.perf_counter() - started, 3)}
    campaign.emit(CampaignFinished(result))
    return result


def select_rules(
    rules: Iterable[str] | None,
    profile: DestinationProfile = _defaults.DEFAULT_PROFILE,
    *,
    only_profile: bool = False,
) -> list[str]:
    """Rule ids in contract order (case-insensitive); None: the profile's rules. ValueError
    names unknown ids."""
    if rules is None:
        return [r.id for r in RULES.for_profile(profile)]
    wanted = {r.strip().upper() for r in rules if r.strip()}
    unknown = sorted(r for r in wanted if r not in RULES)
    if unknown:
        raise ValueError(f"unknown rule id(s) {', '.join(unknown)}; known: {', '.join(RULES.ids)}")
    if not wanted:
        raise ValueError("select at least one rule")
    if only_profile:
        wanted &= {r.id for r in RULES.for_profile(profile)}
    return [r for r in RULES.ids if r in wanted]
