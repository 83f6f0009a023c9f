"""The conformance campaign as pytest tests: one test per contract rule, one campaign.

In a test module of your own::

    from conformance.pytest_tests import conformance_tests

    test_planhat = conformance_tests(target="py:mydest:handle", profile="segment")

pytest then collects ``test_planhat[S-1]`` … ``test_planhat[E-3]``. The first of them to run
runs one campaign for every rule collected (as ``planhat-conformance run`` does, with the same
defaults); each test then reports its rule from that campaign, so the pytest form costs what
the CLI costs. ``-k W-4`` runs the campaign for the selected rules only (and what they depend
on). A rule no run exercised is skipped with the reason. Hypothesis's example database is
``$PLANHAT_CONFORMANCE_DATABASE`` unless ``database`` is given, as for the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from conformance import _defaults
from conformance._words import DestinationProfile, EventMix
from conformance.engine import CampaignResult, run_campaign, select_rules
from conformance.reporting import failure_text
from conformance.targets import Target

__all__ = ["conformance_tests"]


def conformance_tests(
    target: str | Target,
    profile: DestinationProfile = _defaults.DEFAULT_PROFILE,
    *,
    events: EventMix = _defaults.DEFAULT_EVENTS,
    seed: int = _defaults.DEFAULT_SEED,
    max_examples: int = _defaults.DEFAULT_MAX_EXAMPLES,
    rules: Iterable[str] | None = None,
    database: str | Path | None = _defaults.UNSET_DATABASE,
    time_budget: float | None = _defaults.DEFAULT_TIME_BUDGET,
) -> Callable[..., None]:
    """A pytest test function parametrized by rule id; assign it to a ``test_…`` name.

    ``target``: a spec for :func:`~conformance.targets.load_target` or a Target object.
    ``rules``: the rule ids to generate tests for (default: every rule of the profile).
    The other arguments are :func:`~conformance.run_campaign`'s, with its defaults.
    """
    rule_ids = select_rules(rules, profile)
    campaigns: dict[tuple[str, ...], CampaignResult] = {}

    def campaign(request: pytest.FixtureRequest) -> CampaignResult:
        # the rules of this function's tests that this session runs: one campaign for all
        mine = tuple(
            item.callspec.params["rule_id"]
            for item in request.session.items
            if getattr(item, "function", None) is test_conformance and hasattr(item, "callspec")
        ) or (request.node.callspec.params["rule_id"],)
        if mine not in campaigns:
            campaigns[mine] = run_campaign(
                target,
                profile=profile,
                events=events,
                seed=seed,
                max_examples=max_examples,
                rules=mine,
                time_budget=time_budget,
                database=database,
            )
        return campaigns[mine]

    @pytest.mark.parametrize("rule_id", rule_ids)
    def test_conformance(rule_id: str, request: pytest.FixtureRequest) -> None:
        result = campaign(request)
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
