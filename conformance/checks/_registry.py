"""Checks registered per rule, and the per-attempt loop written once."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from conformance.checks._model import NOT_APPLICABLE, PASS, Attempt, Run, Verdict

__all__ = ["CHECKS", "Check", "Judge", "check", "each_attempt", "first", "run_checks"]


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


Check = Callable[[Run], Verdict]
# Judges one attempt: a failure, PASS, or None when the attempt does not exercise the rule.
Judge = Callable[[Run, Attempt], Verdict | None]
CHECKS: dict[str, Check] = {}


def check(rule: _Identified) -> Callable[[Check], Check]:
    """Register ``rule``'s check: a function of the whole run."""

    def register(function: Check) -> Check:
        if rule.id in CHECKS:
            raise ValueError(f"rule {rule.id} has two checks")
        CHECKS[rule.id] = function
        return function

    return register


def each_attempt(
    rule: _Identified, *, where: Callable[[Run, Attempt], bool] | None = None
) -> Callable[[Judge], Judge]:
    """Register ``rule``'s check as a judge of each delivery attempt (``where`` filters them):
    the rule fails on the first failing attempt, passes when any attempt passed, and is not
    applicable otherwise."""

    def register(judge: Judge) -> Judge:
        def per_attempt(run: Run) -> Verdict:
            return first(judge(run, a) for a in run.attempts if where is None or where(run, a))

        per_attempt.__doc__ = judge.__doc__
        check(rule)(per_attempt)
        return judge

    return register


def first(verdicts: Iterable[Verdict | None]) -> Verdict:
    """The first failure; else pass when anything was checked; else not applicable."""
    checked = False
    for verdict in verdicts:
        if verdict is None or verdict.status == "n/a":
            continue
        if verdict.failed:
            return verdict
        checked = True
    return PASS if checked else NOT_APPLICABLE


def all_of(verdicts: Iterator[Verdict | None] | Iterable[Verdict | None]) -> Verdict | None:
    """:func:`first` for a judge that looks at several requests of one attempt (None: none)."""
    verdict = first(verdicts)
    return None if verdict.status == "n/a" else verdict


def run_checks(run: Run, rule_ids: Iterable[str]) -> dict[str, Verdict]:
    """Each listed rule's verdict on ``run``, in the order given."""
    return {rule_id: CHECKS[rule_id](run) for rule_id in rule_ids}


def kind(event: dict[str, Any]) -> str:
    found = event.get("type")
    return found if isinstance(found, str) else repr(found)
