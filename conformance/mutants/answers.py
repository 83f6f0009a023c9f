"""Mutants of rules O-1, O-2 and T-4 seen in destinations written elsewhere (issue 13): success
statuses, timeouts and ``integrations`` options read wrongly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from conformance.mutants.mutant import Event, Mutant
from conformance.reference import segment_httpx
from conformance.reference.segment_requests import SegmentForwarder, Verdict

__all__ = ["MUTANTS"]

SHORT_TIMEOUT = 0.2  # seconds: below the kit's slow-answer scenario (0.3 s)


class OnlyOkIsSuccess(SegmentForwarder):
    """Treats only 200 as success: 201, 202 and 204 are retried as unexpected answers."""

    def classify(self, response: Any) -> Verdict:
        if 200 <= response.status_code < 300 and response.status_code != 200:
            return "retry"
        return super().classify(response)


class OptionsObjectIsFalse(SegmentForwarder):
    """Reads ``integrations.Planhat`` by truthiness: an empty options object ``{}`` counts as
    false, so ``{"Planhat": {}}`` or ``{"All": false, "Planhat": {}}`` skip the event."""

    def enabled(self, integrations: Any) -> bool:
        if not isinstance(integrations, Mapping):
            return True
        if "Planhat" in integrations:
            return bool(integrations["Planhat"])
        return integrations.get("All") is not False


class AllFallbackIgnored(SegmentForwarder):
    """Reads only the ``Planhat`` entry: ``{"All": false}`` does not stop the event."""

    def enabled(self, integrations: Any) -> bool:
        if not isinstance(integrations, Mapping):
            return True
        return integrations.get("Planhat") is not False


def timeout_discarded(event: Event, settings: dict[str, Any]) -> None:
    """A 0.2 s read timeout, and a timeout reported as a permanent failure (discard)."""
    endpoint, authorization = segment_httpx._endpoint(settings)
    if segment_httpx._disabled(event.get("integrations")):
        return
    kind = event.get("type")
    if kind in segment_httpx.SKIPPED_TYPES:
        return
    if kind not in segment_httpx.DELIVERED_TYPES:
        raise segment_httpx.EventNotSupported(f"event type {kind!r} is not supported")
    try:
        response = httpx.post(
            endpoint,
            content=segment_httpx._serialise(event),
            headers={"Authorization": authorization, "Content-Type": "application/json"},
            timeout=SHORT_TIMEOUT,
        )
    except httpx.TimeoutException as exc:
        raise segment_httpx.ValidationError(f"Planhat did not answer in time: {exc}") from None
    except httpx.TransportError as exc:
        raise segment_httpx.RetryError(f"Planhat could not be reached: {exc}") from None
    segment_httpx._raise_for_status(response)


MUTANTS = (
    Mutant(
        "only-200-is-success",
        "only 200 counts as success: 201, 202 and 204 are reported as retry",
        ("O-1",),
        "segment_requests",
        "O",
        handle=OnlyOkIsSuccess().handle,
    ),
    Mutant(
        "timeout-discarded",
        "a 0.2 s read timeout, and a timed-out request reported as discard instead of retry",
        ("O-2",),
        "segment_httpx",
        "O",
        handle=timeout_discarded,
    ),
    Mutant(
        "options-object-disables",
        'integrations read by truthiness: an empty options object {"Planhat": {}} disables',
        ("T-4",),
        "segment_requests",
        "T",
        handle=OptionsObjectIsFalse().handle,
    ),
    Mutant(
        "all-fallback-ignored",
        'only the Planhat entry is read: {"All": false} does not stop the event',
        ("T-4",),
        "segment_requests",
        "T",
        handle=AllFallbackIgnored().handle,
    ),
)
