"""The conformance kit: does a Segment -> Planhat destination send what Planhat needs, and does
Planhat end up in the right state? Rules are the contract's ids (``conformance.RULES``).

    from conformance import run_campaign
    result = run_campaign("py:mydest:handle", profile="segment")
    assert result.ok, [f.rule_id for f in result.root_causes()]

The event strategies serve users' own property tests too::

    from hypothesis import given
    from conformance import event_sequences, segment_events

    @given(segment_events("hostile"))
    def test_my_destination_never_crashes(event): ...

Layers: :mod:`conformance.contract` (one object per rule, with its check),
:mod:`conformance.checks` (what a check sees and says), :mod:`conformance.engine` (sessions,
scenarios, exploration, root causes, events to subscribers), :mod:`conformance.reporting`
(console, JUnit, JSON, HTML, replay: subscribers), :mod:`conformance.targets`,
:mod:`conformance.selftest` (the proof), :mod:`conformance.cli`. The console script
``planhat-conformance`` (also ``python -m conformance``) and
:func:`conformance.pytest_tests.conformance_tests` run the same campaign with the same defaults.
"""

from __future__ import annotations

from conformance._outcomes import (
    Delivery,
    EventNotSupported,
    InvalidEventPayload,
    Outcome,
    RetryError,
    ValidationError,
)
from conformance.checks import Verdict
from conformance.contract import RULES, Rule
from conformance.engine import CampaignResult, Failure, run_campaign
from conformance.events import event_sequences, segment_events
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
    "Verdict",
    "event_sequences",
    "load_target",
    "run_campaign",
    "segment_events",
]
