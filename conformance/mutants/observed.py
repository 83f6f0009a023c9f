"""Mutants of what a destination observes (issue 13): every 2xx, O-5's statuses, timeouts, and
the words a ``py:`` handler may return."""

from __future__ import annotations

from typing import Any

import requests

from conformance.mutants.mutant import Event, Mutant
from conformance.reference import segment_httpx
from conformance.reference.segment_requests import SegmentForwarder, Verdict

__all__ = ["MUTANTS"]


class OnlyTwoHundredIsOk(SegmentForwarder):
    """Takes 200 for success and retries any other 2xx (201, 202, 204 …)."""

    def classify(self, response: requests.Response) -> Verdict:
        if 200 < response.status_code < 300:
            return "retry"
        return super().classify(response)


class GoneIsOk(SegmentForwarder):
    """Reports 410 Gone and 460 as delivered: Planhat did not take the event."""

    def classify(self, response: requests.Response) -> Verdict:
        return "ok" if response.status_code in (410, 460) else super().classify(response)


def returns_retry_word(event: Event, settings: dict[str, Any]) -> str | None:
    """Sends like the reference, then returns ``"retry"`` for tracks it meant to log."""
    segment_httpx.handle(event, settings)
    return "retry" if event.get("type") == "track" else None


MUTANTS = (
    Mutant(
        "only-200-is-ok",
        "any 2xx but 200 (201, 202, 204 …) is retried as a failure",
        ("O-1",),
        "segment_requests",
        "O",
        handle=OnlyTwoHundredIsOk().handle,
    ),
    Mutant(
        "gone-is-ok",
        "410 and 460 are reported as delivered (rule O-5: retry or discard, never ok)",
        ("O-5",),
        "segment_requests",
        "O",
        handle=GoneIsOk().handle,
    ),
    Mutant(
        "returns-retry-word",
        "a py: handler that returns the word 'retry' after a successful track",
        ("O-1",),
        "segment_httpx",
        "O",
        handle=returns_retry_word,
    ),
    Mutant(
        "short-timeout-reported-ok",
        "gives up waiting after 100 ms and reports ok, never having seen Planhat's answer",
        ("O-2",),
        "segment_node",
        "O",
        script="short_timeout_ok.mjs",
    ),
)
