"""What a check sees and says: the observed :class:`Run` of one event sequence (each delivery
:class:`Attempt` with the :class:`SentRequest` journal entries it caused) and the one
:class:`Verdict` type of the kit."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from conformance._outcomes import Delivery
from conformance._words import DestinationProfile
from conformance.oracle import EventExpectation, Expectation
from fake_planhat.faults import FaultSpec
from fake_planhat.journal import Entry

__all__ = [
    "NOT_APPLICABLE",
    "PASS",
    "TRANSIENT_STATUSES",
    "UNSETTLED_STATUSES",
    "Attempt",
    "Run",
    "SentRequest",
    "Verdict",
    "VerdictStatus",
    "fail",
]

VerdictStatus = Literal["pass", "fail", "n/a"]
TRANSIENT_STATUSES = frozenset({408, 429})  # plus every 5xx but O-5's (O-2)
# O-5: Segment's own documents disagree on these; retry and discard both pass.
UNSETTLED_STATUSES = frozenset({410, 460, 501, 505})


@dataclass(frozen=True)
class Verdict:
    """A check's answer for one run. ``event`` is the index of the event a failure is about;
    ``caused_by`` lists the failed rules this failure follows from (empty: a root cause)."""

    status: VerdictStatus
    explanation: str = ""
    expected: str = ""
    received: str = ""
    event: int | None = None
    caused_by: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    @property
    def root_cause(self) -> bool:
        return self.failed and not self.caused_by

    def because_of(self, rule_ids: tuple[str, ...]) -> Verdict:
        return replace(self, caused_by=rule_ids)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "explanation": self.explanation,
            "expected": self.expected,
            "received": self.received,
            "event": self.event,
            "causedBy": list(self.caused_by),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(
            data["status"],
            data.get("explanation", ""),
            data.get("expected", ""),
            data.get("received", ""),
            data.get("event"),
            tuple(data.get("causedBy") or ()),
        )


PASS = Verdict("pass")
NOT_APPLICABLE = Verdict("n/a")


def fail(
    explanation: str, *, expected: str = "", received: str = "", event: int | None = None
) -> Verdict:
    return Verdict("fail", explanation, expected, received, event)


@dataclass(frozen=True)
class SentRequest:
    """One journal entry, as the checks see it: the Planhat host it stands for, what the client
    could observe (an answer, a cut connection, or nothing before it gave up) and what the fake
    did with the message."""

    seq: int
    host: str
    method: str
    path: str
    route: str | None
    authorization: str | None
    content_type: str | None
    body: str
    body_truncated: bool
    status: int
    cut: Literal["before", "after"] | None
    fault: FaultSpec | None
    result: str | None  # the fake's verdict on a message: applied / ignored / dropped
    reason: str | None
    touched: int  # contacts, companies and activities the message touched
    timed_out: bool = False  # the destination gave up before the (delayed) answer came

    @classmethod
    def from_entry(cls, entry: Entry, host: str) -> SentRequest:
        spec = FaultSpec.from_json(entry.fault_spec) if entry.fault_spec is not None else None
        cut = entry.cut
        outcome = entry.outcome or {}
        result = outcome.get("status")
        touched = sum(len(outcome.get(k) or []) for k in ("contacts", "companies", "activities"))
        return cls(
            seq=entry.seq,
            host=host,
            method=entry.method,
            path=entry.path,
            route=entry.route,
            authorization=_header(entry.headers, "Authorization"),
            content_type=_header(entry.headers, "Content-Type"),
            body=entry.body,
            body_truncated=entry.body_truncated,
            status=entry.status,
            cut="before" if cut == "before" else "after" if cut == "after" else None,
            fault=spec,
            result=result if isinstance(result, str) else None,
            reason=outcome.get("reason") if isinstance(outcome.get("reason"), str) else None,
            touched=touched,
        )

    @property
    def injected(self) -> bool:
        """Whether a fault replaced Planhat's own answer (a status or a cut)."""
        return self.fault is not None and self.fault.replaces_answer

    @property
    def latency(self) -> float:
        return self.fault.latency if self.fault is not None else 0.0

    @property
    def answered(self) -> int | None:
        """The status the client saw; None when the connection was cut or it gave up waiting."""
        return None if self.cut is not None or self.timed_out else self.status

    @property
    def answered_2xx(self) -> bool:
        return self.answered is not None and 200 <= self.answered < 300

    @property
    def transient(self) -> bool:
        """O-2: a cut connection, a timeout, 408, 429 or any 5xx (O-5's excepted)."""
        answered = self.answered
        if answered is None:
            return True
        if answered in UNSETTLED_STATUSES:
            return False
        return answered in TRANSIENT_STATUSES or answered >= 500

    @property
    def unsettled(self) -> bool:
        """O-5: a status on which retry and discard both pass."""
        return self.answered in UNSETTLED_STATUSES

    @property
    def final_4xx(self) -> bool:
        """O-3: any other 4xx."""
        answered = self.answered
        return (
            answered is not None
            and 400 <= answered < 500
            and not self.transient
            and not self.unsettled
        )

    @property
    def planhat_route(self) -> bool:
        """The Segment intake or the tracking endpoints: where messages are applied."""
        return self.route is not None and self.route.split(".")[0] in ("dock", "analytics")

    @property
    def applied(self) -> bool:
        """Planhat ran the message (its route answered 2xx, even if the answer was then lost)."""
        return (
            self.planhat_route
            and 200 <= self.status < 300
            and self.cut != "before"
            and not (self.fault is not None and self.fault.status is not None)
        )

    def json(self) -> tuple[bool, Any]:
        """(True, value) when the body is JSON; (False, error text) otherwise."""
        try:
            return True, json.loads(self.body, parse_constant=_no_constant)
        except ValueError as exc:
            return False, str(exc)

    def line(self) -> str:
        if self.cut:
            seen = f"connection cut {self.cut}"
        elif self.timed_out:
            seen = f"no answer before the destination gave up ({self.status} came after "
            seen += f"{self.latency:g} s)"
        else:
            seen = str(self.status)
        return f"{self.method} https://{self.host}{self.path} -> {seen}"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


@dataclass
class Attempt:
    """One delivery of one event: the outcome the destination reported and the requests it made.

    ``event`` is the event as the destination received it (a Function gets it through
    JavaScript's JSON). ``redelivery``: Segment's later retry of an event whose first attempt
    ended in ``retry``.
    """

    index: int
    event: dict[str, Any]
    settings: dict[str, Any]
    delivery: Delivery
    requests: list[SentRequest]
    seconds: float
    fault: FaultSpec | None = None
    redelivery: bool = False

    def summary(self) -> str:
        lines = [r.line() for r in self.requests] or ["(nothing sent)"]
        said = f" ({self.delivery.message})" if self.delivery.message else ""
        return "\n".join([*lines, f"outcome: {self.delivery.outcome}{said}"])


@dataclass
class Run:
    """The observed run of one event sequence, with the oracle's expectation for it."""

    profile: DestinationProfile
    events: list[dict[str, Any]]
    settings: list[dict[str, Any]]
    attempts: list[Attempt]
    expectation: Expectation
    state: dict[str, Any]
    other_tenant: dict[str, Any] = field(default_factory=dict)

    def expected(self, index: int) -> EventExpectation:
        return self.expectation.events[index]

    def attempts_of(self, index: int) -> list[Attempt]:
        return [a for a in self.attempts if a.index == index]

    @property
    def lost_response(self) -> bool:
        return any(r.cut == "after" for a in self.attempts for r in a.requests)
