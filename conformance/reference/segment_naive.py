"""The reference destination written the naive way: ``httpx.post(...)`` per event.

The same rules as :mod:`conformance.reference.segment_httpx` (settings, integrations, types,
wire and outcomes are its helpers), but no shared client: every event builds a new
``httpx.Client`` and throws it away, as a first draft or a serverless handler often does. It
conforms; it is here so the bench can show what the in-process doors cost such code (a new
client loads the CA bundle for its TLS context; the doors defer that to a connection that
never happens) and so the kit's default run is measured against it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from conformance.reference.segment_httpx import (
    DELIVERED_TYPES,
    SKIPPED_TYPES,
    TIMEOUT,
    EventNotSupported,
    InvalidEventPayload,
    RetryError,
    ValidationError,
    _disabled,
    _endpoint,
    _raise_for_status,
    _serialise,
)

__all__ = ["EventNotSupported", "InvalidEventPayload", "RetryError", "ValidationError", "handle"]


def handle(event: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
    """Deliver one Segment event to Planhat with a one-off ``httpx.post``."""
    endpoint, authorization = _endpoint(settings)
    if _disabled(event.get("integrations")):
        return  # T-4
    kind = event.get("type")
    if kind in SKIPPED_TYPES:
        return  # T-2
    if kind not in DELIVERED_TYPES:
        raise EventNotSupported(f"event type {kind!r} is not supported by Planhat")  # T-3
    try:
        response = httpx.post(
            endpoint,
            content=_serialise(event),
            headers={"Authorization": authorization, "Content-Type": "application/json"},
            timeout=TIMEOUT,
        )
    except httpx.TransportError as exc:  # connection errors and timeouts (O-2)
        raise RetryError(f"Planhat could not be reached: {type(exc).__name__}: {exc}") from None
    _raise_for_status(response)
