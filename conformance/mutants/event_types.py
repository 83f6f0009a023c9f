"""Mutants of rules T-1 … T-4: event types and ``integrations`` handled wrongly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.mutants.mutant import Event, Mutant
from conformance.reference import segment_httpx
from conformance.reference.segment_requests import SegmentForwarder

__all__ = ["MUTANTS"]


class IdentifyNotSent(SegmentForwarder):
    """Forwards only track, page, group and alias, as an event-only forwarder does."""

    sent_types = SegmentForwarder.sent_types - {"identify"}


class ScreenForwarded(SegmentForwarder):
    """Forwards screen like page."""

    sent_types = SegmentForwarder.sent_types | {"screen"}


class PlanhatFalseIgnored(SegmentForwarder):
    """Honours ``"All": false`` but not ``"Planhat": false``."""

    def enabled(self, integrations: Any) -> bool:
        if not isinstance(integrations, Mapping):
            return True
        planhat = integrations.get("Planhat")
        return integrations.get("All") is not False or planhat is True or isinstance(planhat, dict)


class IntegrationsCaseFolded(SegmentForwarder):
    """Reads integration names case-insensitively, so ``"planhat": false`` disables Planhat."""

    def enabled(self, integrations: Any) -> bool:
        if isinstance(integrations, Mapping):
            canonical = {"planhat": "Planhat", "all": "All"}
            integrations = {canonical.get(str(k).lower(), k): v for k, v in integrations.items()}
        return super().enabled(integrations)


def alias_unsupported(event: Event, settings: dict[str, Any]) -> None:
    """Raises EventNotSupported for alias instead of skipping it with ok."""
    if event.get("type") == "alias":
        raise segment_httpx.EventNotSupported("alias is not supported")
    segment_httpx.handle(event, settings)


MUTANTS = (
    Mutant(
        "identify-not-sent",
        "identify is not forwarded (EventNotSupported): only track, page, group reach Planhat",
        ("T-1",),
        "segment_requests",
        "T",
        handle=IdentifyNotSent().handle,
    ),
    Mutant(
        "alias-unsupported",
        "alias is reported as unsupported instead of skipped (or sent) with ok",
        ("T-2",),
        "segment_httpx",
        "T",
        handle=alias_unsupported,
    ),
    Mutant(
        "screen-forwarded",
        "screen events are sent to Planhat instead of reported unsupported",
        ("T-3",),
        "segment_requests",
        "T",
        handle=ScreenForwarded().handle,
    ),
    Mutant(
        "planhat-false-ignored",
        'integrations {"Planhat": false} do not stop the event',
        ("T-4",),
        "segment_requests",
        "T",
        handle=PlanhatFalseIgnored().handle,
    ),
    Mutant(
        "integrations-case-insensitive",
        'integration names compared case-insensitively: {"planhat": false} disables Planhat',
        ("T-4",),
        "segment_requests",
        "T",
        handle=IntegrationsCaseFolded().handle,
    ),
)
