"""S: the destination's settings (contract section 1)."""

from __future__ import annotations

from conformance.checks import PASS, Attempt, Run, Verdict, each_attempt, fail
from conformance.contract._rule import Rule

S1 = Rule(
    "S-1",
    "invalid settings reject everything",
    "Missing or empty `apiKey`, or a `subdomain` outside the list (`api`, `api-eu`, "
    "`analytics`): every event is rejected as a validation error (outcome `discard`) and "
    "nothing is sent.",
    scenarios=frozenset({"settings"}),
)


@each_attempt(S1, where=lambda run, a: run.expected(a.index).because == "S-1")
def check_settings(run: Run, attempt: Attempt) -> Verdict:
    """S-1: invalid settings -> outcome discard and nothing sent."""
    if attempt.requests or attempt.delivery.outcome != "discard":
        return fail(
            f"{run.expected(attempt.index).note}: every event must be rejected as a validation "
            "error (outcome discard) with nothing sent",
            expected="(nothing sent)\noutcome: discard",
            received=attempt.summary(),
            event=attempt.index,
        )
    return PASS


RULES = (S1,)
