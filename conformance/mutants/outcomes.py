"""Mutants of rules O-1 … O-4: the wrong outcome for Planhat's answer, or a crash."""

from __future__ import annotations

from typing import Any

import requests

from conformance.mutants.mutant import Event, Mutant
from conformance.reference import segment_httpx
from conformance.reference.segment_requests import SegmentForwarder, Verdict

__all__ = ["MUTANTS"]


class IgnoredAnswerDiscarded(SegmentForwarder):
    """Reads Planhat's answer and drops the event when Planhat says it ignored the message."""

    def classify(self, response: requests.Response) -> Verdict:
        verdict = super().classify(response)
        try:
            ignored = verdict == "ok" and response.json().get("result") == "ignored"
        except (ValueError, AttributeError):
            ignored = False
        return "discard" if ignored else verdict


class NoRetryOn429(SegmentForwarder):
    """Treats 429 like any other 4xx: dropped."""

    def classify(self, response: requests.Response) -> Verdict:
        return "discard" if response.status_code == 429 else super().classify(response)


class RetriesOn400(SegmentForwarder):
    """Retries a 400 as if it were transient."""

    def classify(self, response: requests.Response) -> Verdict:
        return "retry" if response.status_code == 400 else super().classify(response)


class RetryAfterIgnored(SegmentForwarder):
    """Retries after its own short backoff whatever Retry-After asks."""

    def retry_after(self, response: requests.Response) -> float | None:
        return None


class ServerErrorsOk(SegmentForwarder):
    """Reports every 5xx as delivered."""

    def classify(self, response: requests.Response) -> Verdict:
        return "ok" if response.status_code >= 500 else super().classify(response)


class GivesUpWithOk(SegmentForwarder):
    """Out of attempts, reports success so the event is never retried."""

    def give_up(self, problem: str) -> None:
        return None


def crash_without_traits(event: Event, settings: dict[str, Any]) -> None:
    """Reads ``traits.email`` for a log line before sending: a KeyError without traits."""
    contact = event["traits"].get("email")
    del contact
    segment_httpx.handle(event, settings)


MUTANTS = (
    Mutant(
        "ignored-answer-discarded",
        "a 200 whose body says the message was ignored is reported as discard",
        ("O-1",),
        "segment_requests",
        "O",
        handle=IgnoredAnswerDiscarded().handle,
    ),
    Mutant(
        "no-retry-on-429",
        "429 Too Many Requests is reported as discard instead of retry",
        ("O-2",),
        "segment_requests",
        "O",
        handle=NoRetryOn429().handle,
    ),
    Mutant(
        "retry-after-ignored",
        "retries a 429 after its own 50 ms backoff instead of the Retry-After wait",
        ("O-2",),
        "segment_requests",
        "O",
        handle=RetryAfterIgnored().handle,
    ),
    Mutant(
        "server-error-ok",
        "a 5xx answer is reported as ok",
        ("O-2",),
        "segment_requests",
        "O",
        handle=ServerErrorsOk().handle,
    ),
    Mutant(
        "gives-up-with-ok",
        "after its last retry fails it returns ok instead of raising RetryError",
        ("O-2",),
        "segment_requests",
        "O",
        handle=GivesUpWithOk().handle,
    ),
    Mutant(
        "connection-errors-discarded",
        "a connection error (fetch failed) is reported as discard instead of retry",
        ("O-2",),
        "segment_node",
        "O",
        script="connection_errors_discarded.mjs",
    ),
    Mutant(
        "retries-on-400",
        "400 Bad Request is retried like a transient failure",
        ("O-3",),
        "segment_requests",
        "O",
        handle=RetriesOn400().handle,
    ),
    Mutant(
        "crash-without-traits",
        "reads event['traits'] for logging: KeyError on an event without traits",
        ("O-4",),
        "segment_httpx",
        "O",
        handle=crash_without_traits,
    ),
)
