"""The conformance kit: does a Segment -> Planhat destination send what Planhat needs, and does
Planhat end up in the right state? Rules are CONTRACT.md's ids (``conformance.rules``).

    from conformance import run_campaign
    result = run_campaign("py:mydest:handle", profile="segment")
    assert result.ok, [f.rule_id for f in result.failures()]

The event strategies serve users' own property tests too::

    from hypothesis import given
    from conformance import event_sequences, segment_events

    @given(segment_events(profile="hostile"))
    def test_my_destination_never_crashes(event): ...

The console script ``planhat-conformance`` and :func:`conformance.pytest_tests.conformance_tests`
wrap the same campaign.
"""

from __future__ import annotations

from conformance.events import event_sequences, segment_events
from conformance.outcomes import (
    Delivery,
    EventNotSupported,
    InvalidEventPayload,
    Outcome,
    RetryError,
    ValidationError,
)
from conformance.rules import RULES, Rule
from conformance.runner import CampaignResult, Failure, run_campaign
from conformance.targets import Target, load_target

__all__ = [
    "RULES",
    "CampaignResult",
    "Delivery",
    "EventNotSupported",
    "Failure",
    "InvalidEventPayload",
    "Outcome",
    "RetryError",
    "Rule",
    "Target",
    "ValidationError",
    "event_sequences",
    "load_target",
    "run_campaign",
    "segment_events",
]
