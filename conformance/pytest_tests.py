"""The conformance campaign as pytest tests: one test per contract rule.

In a test module of your own::

    from conformance.pytest_tests import conformance_tests

    test_planhat = conformance_tests(target="py:mydest:handle", profile="segment")

pytest then collects ``test_planhat[S-1]`` … ``test_planhat[E-3]``; each runs a campaign restricted
to its rule, so ``pytest -n auto`` spreads the rules over cores and ``-k W-4`` picks one. A rule
no run exercised is skipped with the reason. Hypothesis's example database is shared (by default
``.hypothesis/conformance`` under pytest's rootdir), so a failure found once is replayed first;
as in any Hypothesis test, each run explores afresh (the seeded, exactly repeatable run is
``planhat-conformance run --seed N``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from conformance.oracle import Profile
from conformance.report import failure_text
from conformance.runner import EventProfile, run_campaign, select_rules
from conformance.targets import Target

__all__ = ["DEFAULT_DATABASE", "conformance_tests"]

DEFAULT_DATABASE = Path(".hypothesis") / "conformance"  # under pytest's rootdir
DEFAULT_MAX_EXAMPLES = 100


def conformance_tests(
    target: str | Target,
    profile: Profile = "segment",
    *,
    event_profile: EventProfile = "realistic",
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    rules: Iterable[str] | None = None,
    database: str | Path | None = None,
    time_budget: float | None = None,
) -> Callable[..., None]:
    """A pytest test function parametrized by rule id; assign it to a ``test_…`` name.

    ``target``: a spec for :func:`~conformance.targets.load_target` or a Target object.
    ``rules``: the rule ids to generate tests for (default: every rule of the profile).
    ``database``: Hypothesis's example database directory (default
    ``<rootdir>/.hypothesis/conformance``).
    """
    rule_ids = select_rules(rules, profile)

    @pytest.mark.parametrize("rule_id", rule_ids)
    def test_conformance(rule_id: str, request: pytest.FixtureRequest) -> None:
        directory = (
            Path(database) if database is not None else request.config.rootpath / DEFAULT_DATABASE
        )
        result = run_campaign(
            target,
            profile=profile,
            event_profile=event_profile,
            max_examples=max_examples,
            rules=[rule_id],
            time_budget=time_budget,
            database=directory,
        )
        outcome = result.rules[rule_id]
        if outcome.failure is not None:
            pytest.fail(failure_text(result, outcome.failure, None), pytrace=False)
        if outcome.status == "not exercised":
            pytest.skip(f"{rule_id} ({outcome.rule.title}) was not exercised by any run")

    test_conformance.__doc__ = (
        f"Contract rule checks for {target if isinstance(target, str) else target.name}, "
        f"profile {profile}."
    )
    return test_conformance
