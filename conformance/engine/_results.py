"""What a campaign runs (:class:`Case`) and what comes out (:class:`CampaignResult`)."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance._words import DestinationProfile, EventMix
from conformance.checks import Verdict
from conformance.contract import Rule
from fake_planhat.faults import FaultSpec

__all__ = ["CampaignResult", "Case", "Failure", "RuleResult", "RuleStatus"]

RuleStatus = Literal["passed", "failed", "not exercised"]


@dataclass(frozen=True)
class Case:
    """One reproducible run: events, the settings of each, faults by event index, and whether
    events answered ``retry`` are delivered again (as Segment does)."""

    scenario: str
    events: list[dict[str, Any]]
    settings: list[dict[str, Any]]
    faults: dict[int, FaultSpec] = field(default_factory=dict)
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
        faults = {int(i): FaultSpec.from_json(f) for i, f in (data.get("faults") or {}).items()}
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

    def with_event(self, index: int, event: dict[str, Any]) -> Case:
        events = [*self.events[:index], event, *self.events[index + 1 :]]
        return Case(self.scenario, events, self.settings, self.faults, self.redeliver)


@dataclass(frozen=True)
class Failure:
    """A rule's failure: the (minimal) case that shows it and the check's verdict, which says
    whether it is a root cause or follows from other failed rules (``verdict.caused_by``)."""

    rule_id: str
    case: Case
    verdict: Verdict

    @property
    def root_cause(self) -> bool:
        return not self.verdict.caused_by

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
        """Keep one failure: a root cause over a consequence, then the fewest events."""

        def rank(f: Failure) -> tuple[bool, int]:
            return (not f.root_cause, len(f.case.events))

        if self.failure is None or rank(failure) < rank(self.failure):
            self.failure = failure


@dataclass
class CampaignResult:
    """Everything a report needs. ``timings`` is the only part that differs between two runs
    with the same seed."""

    target: str
    profile: DestinationProfile
    events: EventMix
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
        """Root causes first, then consequences, each in contract order."""
        found = [r.failure for r in self.rules.values() if r.failure is not None]
        return [f for f in found if f.root_cause] + [f for f in found if not f.root_cause]

    def root_causes(self) -> list[Failure]:
        return [f for f in self.failures() if f.root_cause]

    def counts(self) -> dict[RuleStatus, int]:
        counts: dict[RuleStatus, int] = {"passed": 0, "failed": 0, "not exercised": 0}
        for result in self.rules.values():
            counts[result.status] += 1
        return counts
