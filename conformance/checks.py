"""One check per rule id of CONTRACT.md, run on the observed run of one event sequence.

A :class:`Run` holds what happened: the events and settings, each delivery attempt with its
outcome and the journal entries it caused (attributed by journal ``seq`` window), the fake's
final state (normalized by content) and the oracle's :class:`~conformance.oracle.Expectation`.
Each check returns a :class:`Verdict`: ``pass``, ``fail`` (with an explanation and the expected
and received texts a report diffs) or ``n/a`` when the run never exercised the rule.

The wire and outcome rules (S, O, T, W, A) judge the requests and outcomes; the Planhat rules
(P) compare the fake's state with the oracle's replay through the per-rule views of
:func:`~conformance.oracle.view`; the equivalence rules (E) compare whole states.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.events import event_size
from conformance.oracle import (
    ACTIVITY_TYPES,
    CORE_TYPES,
    INTAKE_PATH,
    EventExpectation,
    Expectation,
    Profile,
    authorization_of,
    integrations_note,
    integrations_verdict,
    json_equal,
    pretty,
    view,
)
from conformance.outcomes import Delivery
from conformance.rules import RULES
from fake_planhat.intake import company_key, user_key
from fake_planhat.journal import Entry
from fake_planhat.state import email_key, id_key

__all__ = [
    "CHECKS",
    "LARGE_EVENT_BYTES",
    "Attempt",
    "FaultPlan",
    "Run",
    "SentRequest",
    "Verdict",
    "run_checks",
]

VerdictStatus = Literal["pass", "fail", "n/a"]
LARGE_EVENT_BYTES = 16 * 1024  # W-6 is checked on events at least this big
BULK_LIMIT = 5000
TRANSIENT_STATUSES = frozenset({408, 429})  # plus every 5xx (O-2)


@dataclass(frozen=True)
class Verdict:
    """A check's answer for one run. ``event`` is the index of the event a failure is about."""

    status: VerdictStatus
    explanation: str = ""
    expected: str = ""
    received: str = ""
    event: int | None = None

    @property
    def failed(self) -> bool:
        return self.status == "fail"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "explanation": self.explanation,
            "expected": self.expected,
            "received": self.received,
            "event": self.event,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Verdict:
        return cls(
            data["status"],
            data.get("explanation", ""),
            data.get("expected", ""),
            data.get("received", ""),
            data.get("event"),
        )


PASS = Verdict("pass")
NOT_APPLICABLE = Verdict("n/a")


def fail(
    explanation: str, *, expected: str = "", received: str = "", event: int | None = None
) -> Verdict:
    return Verdict("fail", explanation, expected, received, event)


# --- what was observed ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultPlan:
    """A fault the runner injected while one event was delivered (rules O-2, O-3, W-5, E-3).

    ``on_calls`` None: every request made while the event is delivered; ``(1,)``: the first.
    """

    status: int | None = None
    retry_after: int | None = None
    latency: float = 0.0
    cut: Literal["before", "after"] | None = None
    on_calls: tuple[int, ...] | None = None

    @property
    def injected(self) -> bool:
        """Whether Planhat's answer is replaced (a status or a cut), not merely slowed."""
        return self.status is not None or self.cut is not None

    def describe(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"status {self.status}")
            if self.retry_after is not None:
                parts.append(f"Retry-After {self.retry_after}")
        if self.cut == "before":
            parts.append("connection cut before the request took effect")
        if self.cut == "after":
            parts.append("connection cut after the request took effect (lost response)")
        if self.latency:
            parts.append(f"answer delayed {self.latency:g} s")
        when = "every request" if self.on_calls is None else f"request(s) {list(self.on_calls)}"
        return f"{', '.join(parts)} on {when}"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "retryAfter": self.retry_after,
            "latency": self.latency,
            "cut": self.cut,
            "onCalls": list(self.on_calls) if self.on_calls is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultPlan:
        calls = data.get("onCalls")
        return cls(
            status=data.get("status"),
            retry_after=data.get("retryAfter"),
            latency=float(data.get("latency") or 0.0),
            cut=data.get("cut"),
            on_calls=tuple(calls) if calls is not None else None,
        )


@dataclass(frozen=True)
class SentRequest:
    """One journal entry, as the checks see it: the Planhat host it stands for, what the client
    saw (an answer or a cut connection) and what the fake did with the message."""

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
    fault: str | None
    result: str | None  # the fake's verdict on a message: applied / ignored / dropped
    reason: str | None
    touched: int  # contacts, companies and activities the message touched

    @classmethod
    def from_entry(cls, entry: Entry, host: str) -> SentRequest:
        fault = entry.fault or ""
        cut: Literal["before", "after"] | None = None
        if "cut before" in fault:
            cut = "before"
        elif "cut after" in fault:
            cut = "after"
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
            cut=cut,
            fault=entry.fault,
            result=result if isinstance(result, str) else None,
            reason=outcome.get("reason") if isinstance(outcome.get("reason"), str) else None,
            touched=touched,
        )

    @property
    def answered(self) -> int | None:
        """The status the client saw; None when the connection was cut."""
        return None if self.cut is not None else self.status

    @property
    def answered_2xx(self) -> bool:
        return self.answered is not None and 200 <= self.answered < 300

    @property
    def transient(self) -> bool:
        """O-2: a cut connection, 408, 429 or any 5xx."""
        answered = self.answered
        return answered is None or answered in TRANSIENT_STATUSES or answered >= 500

    @property
    def final_4xx(self) -> bool:
        """O-3: any other 4xx."""
        answered = self.answered
        return answered is not None and 400 <= answered < 500 and not self.transient

    @property
    def planhat_route(self) -> bool:
        """The Segment intake or the tracking endpoints: where messages are applied."""
        return self.route is not None and self.route.split(".")[0] in ("dock", "analytics")

    @property
    def applied(self) -> bool:
        """Planhat ran the message (a 2xx, including one whose answer was then lost)."""
        return self.planhat_route and 200 <= self.status < 300 and self.cut != "before"

    def json(self) -> tuple[bool, Any]:
        """(True, value) when the body is JSON; (False, error text) otherwise."""
        try:
            return True, json.loads(self.body, parse_constant=_no_constant)
        except ValueError as exc:
            return False, str(exc)

    def line(self) -> str:
        seen = f"connection cut {self.cut}" if self.cut else str(self.status)
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

    ``redelivery``: Segment's later retry of an event whose first attempt ended in ``retry``.
    """

    index: int
    event: dict[str, Any]
    settings: dict[str, Any]
    delivery: Delivery
    requests: list[SentRequest]
    seconds: float
    fault: FaultPlan | None = None
    redelivery: bool = False

    def summary(self) -> str:
        lines = [r.line() for r in self.requests] or ["(nothing sent)"]
        said = f" ({self.delivery.message})" if self.delivery.message else ""
        return "\n".join([*lines, f"outcome: {self.delivery.outcome}{said}"])


@dataclass
class Run:
    """The observed run of one event sequence, with the oracle's expectation for it."""

    profile: Profile
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


Check = Callable[[Run], Verdict]
CHECKS: dict[str, Check] = {}


def check(rule_id: str) -> Callable[[Check], Check]:
    """Register the check of one contract rule."""

    def register(function: Check) -> Check:
        if rule_id not in RULES:
            raise KeyError(f"no contract rule {rule_id!r}")
        CHECKS[rule_id] = function
        return function

    return register


def run_checks(run: Run, rule_ids: Iterable[str] | None = None) -> dict[str, Verdict]:
    """Every selected check's verdict on ``run``, in contract order."""
    wanted = set(RULES if rule_ids is None else rule_ids)
    return {rule_id: CHECKS[rule_id](run) for rule_id in RULES if rule_id in wanted}


def _first(verdicts: Iterable[Verdict | None]) -> Verdict:
    """The first failure; else pass when anything was checked; else not applicable."""
    checked = False
    for verdict in verdicts:
        if verdict is None or verdict.status == "n/a":
            continue
        if verdict.failed:
            return verdict
        checked = True
    return PASS if checked else NOT_APPLICABLE


def _kind(event: Mapping[str, Any]) -> str:
    kind = event.get("type")
    return kind if isinstance(kind, str) else repr(kind)


def _sent_to_planhat(attempt: Attempt) -> list[SentRequest]:
    return [r for r in attempt.requests if r.planhat_route]


# --- S: settings ---------------------------------------------------------------------------------


@check("S-1")
def check_settings(run: Run) -> Verdict:
    """S-1: invalid settings -> outcome discard and nothing sent."""

    def each() -> Iterator[Verdict | None]:
        for attempt in run.attempts:
            expected = run.expected(attempt.index)
            if expected.because != "S-1":
                yield None
            elif attempt.requests or attempt.delivery.outcome != "discard":
                yield fail(
                    f"{expected.note}: every event must be rejected as a validation error "
                    "(outcome discard) with nothing sent",
                    expected="(nothing sent)\noutcome: discard",
                    received=attempt.summary(),
                    event=attempt.index,
                )
            else:
                yield PASS

    return _first(each())


# --- O: outcomes ---------------------------------------------------------------------------------


@check("O-1")
def check_ok(run: Run) -> Verdict:
    """O-1: Planhat answered 2xx -> ok."""

    def each() -> Iterator[Verdict | None]:
        for attempt in run.attempts:
            if not attempt.requests or not attempt.requests[-1].answered_2xx:
                yield None
            elif attempt.delivery.outcome != "ok":
                yield fail(
                    f"Planhat answered {attempt.requests[-1].status}, so the outcome must be ok",
                    expected="outcome: ok",
                    received=attempt.summary(),
                    event=attempt.index,
                )
            else:
                yield PASS

    return _first(each())


@check("O-2")
def check_retry(run: Run) -> Verdict:
    """O-2: connection error, timeout, 408, 429, 5xx -> retry; internal retries honour
    Retry-After and give up with retry."""

    def each() -> Iterator[Verdict | None]:
        for attempt in run.attempts:
            requests = attempt.requests
            if not any(r.transient for r in requests):
                yield None
                continue
            last = requests[-1]
            if last.transient and attempt.delivery.outcome != "retry":
                seen = "the connection was cut" if last.cut else f"Planhat answered {last.status}"
                yield fail(
                    f"{seen}, so the outcome must be retry",
                    expected="outcome: retry",
                    received=attempt.summary(),
                    event=attempt.index,
                )
                continue
            wait = attempt.fault.retry_after if attempt.fault is not None else None
            resent_after_wait = [r for r in requests[:-1] if r.answered in (429, 503)]
            if wait and resent_after_wait and attempt.seconds < wait * len(resent_after_wait):
                yield fail(
                    f"the destination retried {len(resent_after_wait)} time(s) after a "
                    f"{resent_after_wait[0].answered} with Retry-After: {wait}, but the whole "
                    f"delivery took {attempt.seconds:.2f} s: Retry-After was not honoured",
                    expected=f"at least {wait} s between a Retry-After answer and the next try",
                    received=attempt.summary(),
                    event=attempt.index,
                )
                continue
            yield PASS

    return _first(each())


@check("O-3")
def check_discard(run: Run) -> Verdict:
    """O-3: any other 4xx -> discard, and no retry."""

    def each() -> Iterator[Verdict | None]:
        for attempt in run.attempts:
            requests = attempt.requests
            refused = next((i for i, r in enumerate(requests) if r.final_4xx), None)
            if refused is None:
                yield None
                continue
            first = requests[refused]
            again = [
                r
                for r in requests[refused + 1 :]
                if (r.method, r.path) == (first.method, first.path)
            ]
            if again:
                yield fail(
                    f"Planhat answered {first.status}, which must not be retried, but the "
                    f"destination sent the request {len(again)} more time(s)",
                    expected=f"{first.line()}\n(no retry)\noutcome: discard",
                    received=attempt.summary(),
                    event=attempt.index,
                )
            elif requests[-1].final_4xx and attempt.delivery.outcome != "discard":
                yield fail(
                    f"Planhat answered {requests[-1].status}, so the outcome must be discard",
                    expected="outcome: discard",
                    received=attempt.summary(),
                    event=attempt.index,
                )
            else:
                yield PASS

    return _first(each())


@check("O-4")
def check_no_escape(run: Run) -> Verdict:
    """O-4: no exception other than Segment's four escapes the destination."""

    def each() -> Iterator[Verdict | None]:
        for attempt in run.attempts:
            if attempt.delivery.outcome == "error":
                yield fail(
                    "an exception other than RetryError, ValidationError, InvalidEventPayload "
                    "and EventNotSupported escaped the destination (Segment drops such an event "
                    "silently)",
                    expected="outcome: one of ok, retry, discard, unsupported",
                    received=attempt.summary(),
                    event=attempt.index,
                )
            else:
                yield PASS

    return _first(each())


# --- T: event types ------------------------------------------------------------------------------


@check("T-1")
def check_core_types(run: Run) -> Verdict:
    """T-1: identify, track, page and group are delivered."""

    def each() -> Iterator[Verdict | None]:
        for attempt in run.attempts:
            expected = run.expected(attempt.index)
            if expected.send != "must" or _kind(attempt.event) not in CORE_TYPES:
                yield None
            elif not attempt.requests or attempt.delivery.outcome == "unsupported":
                yield fail(
                    f"a {_kind(attempt.event)} must be delivered to Planhat",
                    expected="\n".join(
                        f"{r.method} https://{r.host}{r.paths[0]}" for r in expected.requests
                    ),
                    received=attempt.summary(),
                    event=attempt.index,
                )
            else:
                yield PASS

    return _first(each())


@check("T-2")
def check_alias(run: Run) -> Verdict:
    """T-2: alias may be delivered or skipped, ok either way."""

    def each() -> Iterator[Verdict | None]:
        for attempt in run.attempts:
            if run.expected(attempt.index).because != "T-2":
                yield None
            elif attempt.requests and not attempt.requests[-1].answered_2xx:
                yield None  # Planhat refused or failed: the outcome rules judge
            elif attempt.delivery.outcome != "ok":
                yield fail(
                    "an alias is delivered or skipped with outcome ok",
                    expected="outcome: ok",
                    received=attempt.summary(),
                    event=attempt.index,
                )
            else:
                yield PASS

    return _first(each())


@check("T-3")
def check_unsupported(run: Run) -> Verdict:
    """T-3: screen and other types -> unsupported, nothing sent."""

    def each() -> Iterator[Verdict | None]:
        for attempt in run.attempts:
            expected = run.expected(attempt.index)
            if expected.because != "T-3":
                yield None
            elif attempt.requests or attempt.delivery.outcome != "unsupported":
                yield fail(
                    f"{expected.note}: outcome unsupported, with nothing sent",
                    expected="(nothing sent)\noutcome: unsupported",
                    received=attempt.summary(),
                    event=attempt.index,
                )
            else:
                yield PASS

    return _first(each())


@check("T-4")
def check_integrations(run: Run) -> Verdict:
    """T-4: integrations that disable Planhat -> ok, nothing sent; names are case-sensitive."""

    def each() -> Iterator[Verdict | None]:
        for attempt in run.attempts:
            expected = run.expected(attempt.index)
            integrations = attempt.event.get("integrations")
            note = integrations_note(integrations)
            if expected.because == "S-1" or note is None:
                yield None
                continue
            verdict = integrations_verdict(integrations)
            if verdict == "disabled" and (
                attempt.requests or attempt.delivery.outcome not in expected.outcomes
            ):
                allowed = " or ".join(sorted(expected.outcomes))
                yield fail(
                    f"{note}: outcome {allowed}, with nothing sent",
                    expected=f"(nothing sent)\noutcome: {allowed}",
                    received=attempt.summary(),
                    event=attempt.index,
                )
            elif (
                verdict == "unclear"
                and not attempt.requests
                and (attempt.delivery.outcome not in expected.outcomes)
            ):
                yield fail(
                    f"{note}: skipping it is fine, but with outcome ok",
                    expected="outcome: ok",
                    received=attempt.summary(),
                    event=attempt.index,
                )
            elif verdict == "enabled" and expected.send == "must" and not attempt.requests:
                yield fail(
                    f"{note}, yet nothing was sent",
                    expected="\n".join(
                        f"{r.method} https://{r.host}{r.paths[0]}" for r in expected.requests
                    ),
                    received=attempt.summary(),
                    event=attempt.index,
                )
            else:
                yield PASS

    return _first(each())


# --- W: the wire, profile segment ----------------------------------------------------------------


def _segment_attempts(run: Run) -> Iterator[tuple[Attempt, EventExpectation]]:
    """Attempts whose event a conforming destination sends (must or may), profile segment."""
    if run.profile != "segment":
        return
    for attempt in run.attempts:
        expected = run.expected(attempt.index)
        if expected.send != "never":
            yield attempt, expected


@check("W-1")
def check_one_request(run: Run) -> Verdict:
    """W-1: one request per event, POST https://{subdomain}.planhat.com/dock/segment."""

    def each() -> Iterator[Verdict | None]:
        for attempt, expected in _segment_attempts(run):
            host = expected.requests[0].host
            wanted = f"POST https://{host}{INTAKE_PATH}"
            if expected.send == "must" and not attempt.requests:
                yield fail(
                    "nothing was sent for an event that must be delivered",
                    expected=wanted,
                    received=attempt.summary(),
                    event=attempt.index,
                )
                continue
            wrong = [
                r
                for r in attempt.requests
                if (r.method, r.host, r.path) != ("POST", host, INTAKE_PATH)
            ]
            if wrong:
                yield fail(
                    f"the request went to {wrong[0].method} https://{wrong[0].host}{wrong[0].path}",
                    expected=wanted,
                    received=attempt.summary(),
                    event=attempt.index,
                )
            elif len(attempt.requests) > 1 and attempt.requests[0].answered_2xx:
                yield fail(
                    f"{len(attempt.requests)} requests were sent for one event",
                    expected=wanted,
                    received=attempt.summary(),
                    event=attempt.index,
                )
            else:
                yield PASS if attempt.requests else None

    return _first(each())


def _auth_problem(seen: str | None, api_key: str) -> str:
    if seen is None or seen == "(none)":
        return "no Authorization header was sent"
    if not seen.startswith("Basic "):
        return f"the {seen.split(' ', 1)[0]} scheme was used instead of Basic"
    if seen.endswith("+password"):
        return "a password was sent; it must be empty: base64(apiKey + ':')"
    if "(unreadable)" in seen:
        return "the Basic credentials are not base64('<apiKey>:')"
    sent, wanted = seen.split("fp:")[-1], authorization_of(api_key).split("fp:")[-1]
    return f"the user name is not the apiKey (fingerprint {sent}, expected {wanted})"


@check("W-2")
def check_basic_auth(run: Run) -> Verdict:
    """W-2: Authorization: Basic base64(apiKey + ":")."""

    def each() -> Iterator[Verdict | None]:
        for attempt, _ in _segment_attempts(run):
            api_key = str(attempt.settings["apiKey"])
            wanted = authorization_of(api_key)
            for request in attempt.requests:
                if request.authorization != wanted:
                    yield fail(
                        _auth_problem(request.authorization, api_key),
                        expected=f"Authorization: {wanted} (the redacted form of Basic "
                        "base64(apiKey + ':'))",
                        received=f"Authorization: {request.authorization}",
                        event=attempt.index,
                    )
                elif request.status == 401 and request.fault is None:
                    # selftest (issue 5): base64(apiKey) without the colon redacts exactly like
                    # the right header; only Planhat's 401 (not an injected one) tells them apart
                    yield fail(
                        "Planhat refused the Basic credentials (401), though the user name is "
                        "the apiKey: they must be base64(apiKey + ':'), colon included",
                        expected=f"Authorization: {wanted}, accepted",
                        received=f"Authorization: {request.authorization}, answered 401",
                        event=attempt.index,
                    )
                else:
                    yield PASS

    return _first(each())


def _content_type_problem(content_type: str | None) -> str | None:
    if content_type is None:
        return "no Content-Type header was sent"
    media, *params = (p.strip() for p in content_type.split(";"))
    if media.lower() != "application/json":
        return f"Content-Type is {content_type!r}, not application/json"
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return f"Content-Type declares charset {value.strip()!r}; the body must be UTF-8"
    return None


@check("W-3")
def check_json_body(run: Run) -> Verdict:
    """W-3: Content-Type application/json (charset allowed); the body is UTF-8 JSON."""

    def each() -> Iterator[Verdict | None]:
        for attempt, _ in _segment_attempts(run):
            for request in attempt.requests:
                problem = _content_type_problem(request.content_type)
                is_json, parsed = request.json()
                if problem is None and not is_json:
                    problem = f"the body is not JSON: {parsed}"
                if (
                    problem is None
                    and "\ufffd" in request.body
                    and "\ufffd" not in json.dumps(attempt.event, ensure_ascii=False)
                ):
                    problem = "the body is not valid UTF-8 (bytes were replaced when decoding)"
                if problem is not None:
                    yield fail(
                        problem,
                        expected="Content-Type: application/json\n(a UTF-8 JSON body)",
                        received=f"Content-Type: {request.content_type}\n{request.body[:500]}",
                        event=attempt.index,
                    )
                else:
                    yield PASS

    return _first(each())


@check("W-4")
def check_body_is_event(run: Run) -> Verdict:
    """W-4: the body is the Segment event itself, deep-equal, nothing re-typed."""

    def each() -> Iterator[Verdict | None]:
        for attempt, _ in _segment_attempts(run):
            for request in attempt.requests:
                if request.path != INTAKE_PATH:
                    continue
                is_json, body = request.json()
                if not is_json:
                    yield fail(
                        f"the body is not JSON: {body}",
                        expected=pretty(attempt.event),
                        received=request.body[:2000],
                        event=attempt.index,
                    )
                elif not json_equal(body, attempt.event):
                    yield fail(
                        "the body is not the event: keys or values were added, renamed, dropped, "
                        "truncated or re-typed",
                        expected=pretty(attempt.event),
                        received=pretty(body),
                        event=attempt.index,
                    )
                else:
                    yield PASS

    return _first(each())


@check("W-5")
def check_sent_once(run: Run) -> Verdict:
    """W-5: exactly once when Planhat answers 2xx the first time; a retry resends the identical
    body."""
    if run.profile != "segment":
        return NOT_APPLICABLE

    def each() -> Iterator[Verdict | None]:
        for index in range(len(run.events)):
            attempts = run.attempts_of(index)
            sent = [r for a in attempts for r in a.requests if r.path == INTAKE_PATH]
            if not sent:
                yield None
                continue
            first_attempt = attempts[0]
            if (
                first_attempt.requests
                and first_attempt.requests[0].answered_2xx
                and len(first_attempt.requests) > 1
            ):
                yield fail(
                    "Planhat answered 2xx the first time, yet the event was sent "
                    f"{len(first_attempt.requests)} times",
                    expected="one request",
                    received=first_attempt.summary(),
                    event=index,
                )
                continue
            bodies = [r.json()[1] if r.json()[0] else r.body for r in sent]
            differing = next((b for b in bodies[1:] if not json_equal(b, bodies[0])), None)
            if differing is not None:
                yield fail(
                    f"the event was sent {len(sent)} times and a retry's body differs from the "
                    "first",
                    expected=pretty(bodies[0]),
                    received=pretty(differing),
                    event=index,
                )
            else:
                yield PASS

    return _first(each())


@check("W-6")
def check_large_events(run: Run) -> Verdict:
    """W-6: events up to 32 KB are sent whole."""

    def each() -> Iterator[Verdict | None]:
        for attempt, expected in _segment_attempts(run):
            size = event_size(attempt.event)
            if size < LARGE_EVENT_BYTES or expected.send != "must":
                yield None
                continue
            if not attempt.requests:
                yield fail(
                    f"a {size}-byte event (within Segment's 32 KB limit) was not sent",
                    expected=f"the {size}-byte event, whole",
                    received=attempt.summary(),
                    event=attempt.index,
                )
                continue
            for request in attempt.requests:
                is_json, body = request.json()
                if request.body_truncated or not is_json or not json_equal(body, attempt.event):
                    sent = len(request.body.encode("utf-8"))
                    yield fail(
                        f"a {size}-byte event was not sent whole ({sent} bytes arrived, and "
                        "they are not the event)",
                        expected=f"{size} bytes: the event itself",
                        received=f"{sent} bytes: {request.body[:300]}…",
                        event=attempt.index,
                    )
                else:
                    yield PASS

    return _first(each())


# --- A: the wire, profile activities -------------------------------------------------------------


def _activity_attempts(run: Run) -> Iterator[tuple[Attempt, EventExpectation]]:
    """Track and page attempts a conforming activities destination may send."""
    if run.profile != "activities":
        return
    for attempt in run.attempts:
        expected = run.expected(attempt.index)
        if _kind(attempt.event) in ACTIVITY_TYPES and expected.send != "never":
            yield attempt, expected


def _posted_activities(attempt: Attempt) -> list[Any]:
    """The activity objects the attempt posted to /analytics (bulk arrays flattened)."""
    items: list[Any] = []
    for request in attempt.requests:
        if not request.path.startswith("/analytics/"):
            continue
        is_json, body = request.json()
        if is_json:
            items.extend(body if isinstance(body, list) else [body])
    return items


def _each_activity(
    run: Run, judge: Callable[[Attempt, dict[str, Any], Any], Verdict | None]
) -> Verdict:
    def each() -> Iterator[Verdict | None]:
        for attempt, expected in _activity_attempts(run):
            predicted = expected.requests[0].body
            for item in _posted_activities(attempt):
                yield judge(attempt, predicted, item)

    return _first(each())


@check("A-1")
def check_activity_endpoint(run: Run) -> Verdict:
    """A-1: track and page go to POST https://analytics.planhat.com/analytics/{apiKey} (one
    object) or /analytics/bulk/{apiKey} (an array of at most 5,000)."""

    def each() -> Iterator[Verdict | None]:
        for attempt, expected in _activity_attempts(run):
            wanted = expected.requests[0]
            shown = f"POST https://{wanted.host}{wanted.paths[0]} (or {wanted.paths[1]})"
            if expected.send == "must" and not attempt.requests:
                yield fail(
                    f"a {_kind(attempt.event)} with a user key or email must be posted",
                    expected=shown,
                    received=attempt.summary(),
                    event=attempt.index,
                )
                continue
            for request in attempt.requests:
                problem = None
                if (request.method, request.host) != (
                    "POST",
                    wanted.host,
                ) or request.path not in wanted.paths:
                    problem = f"posted to {request.method} https://{request.host}{request.path}"
                else:
                    is_json, body = request.json()
                    bulk = "/bulk/" in request.path
                    if not is_json:
                        problem = f"the body is not JSON: {body}"
                    elif bulk and (not isinstance(body, list) or len(body) > BULK_LIMIT):
                        problem = "a bulk body must be a JSON array of at most 5,000 activities"
                    elif not bulk and not isinstance(body, dict):
                        problem = "a single activity must be a JSON object"
                if problem is not None:
                    yield fail(
                        problem, expected=shown, received=attempt.summary(), event=attempt.index
                    )
                else:
                    yield PASS

    return _first(each())


@check("A-2")
def check_activity_action(run: Run) -> Verdict:
    """A-2: action = the track event verbatim; for a page, P-6's page action."""

    def judge(attempt: Attempt, predicted: dict[str, Any], item: Any) -> Verdict:
        action = item.get("action") if isinstance(item, dict) else None
        if action != predicted["action"]:
            return fail(
                "the activity's action is not the event name verbatim (or P-6's page action)",
                expected=json.dumps(predicted["action"], ensure_ascii=False),
                received=json.dumps(action, ensure_ascii=False),
                event=attempt.index,
            )
        return PASS

    return _each_activity(run, judge)


@check("A-3")
def check_activity_info(run: Run) -> Verdict:
    """A-3: info = all properties, unchanged."""

    def judge(attempt: Attempt, predicted: dict[str, Any], item: Any) -> Verdict:
        info = item.get("info", {}) if isinstance(item, dict) else None
        if not json_equal(info, predicted["info"]):
            return fail(
                "the activity's info is not the event's properties, unchanged",
                expected=pretty(predicted["info"]),
                received=pretty(info),
                event=attempt.index,
            )
        return PASS

    return _each_activity(run, judge)


@check("A-4")
def check_activity_date(run: Run) -> Verdict:
    """A-4: date = the event's timestamp."""

    def judge(attempt: Attempt, predicted: dict[str, Any], item: Any) -> Verdict | None:
        if "date" not in predicted:
            return None
        date = item.get("date") if isinstance(item, dict) else None
        if date != predicted["date"]:
            return fail(
                "the activity's date is not the event's timestamp",
                expected=json.dumps(predicted["date"]),
                received=json.dumps(date),
                event=attempt.index,
            )
        return PASS

    return _each_activity(run, judge)


@check("A-5")
def check_activity_user(run: Run) -> Verdict:
    """A-5: externalId = userId; an anonymousId is never sent as externalId."""

    def judge(attempt: Attempt, predicted: dict[str, Any], item: Any) -> Verdict:
        sent = id_key(item.get("externalId")) if isinstance(item, dict) else None
        anonymous = id_key(attempt.event.get("anonymousId"))
        wanted = id_key(attempt.event.get("userId"))
        if sent is not None and sent == anonymous and sent != user_key(attempt.event):
            return fail(
                "the anonymousId was sent as externalId",
                expected=json.dumps(predicted.get("externalId"), ensure_ascii=False),
                received=json.dumps(item.get("externalId"), ensure_ascii=False),
                event=attempt.index,
            )
        if wanted is not None and sent != wanted:
            return fail(
                "the activity's externalId is not the event's userId",
                expected=json.dumps(attempt.event.get("userId"), ensure_ascii=False),
                received=json.dumps(item.get("externalId") if isinstance(item, dict) else None),
                event=attempt.index,
            )
        return PASS

    return _each_activity(run, judge)


@check("A-6")
def check_activity_email_company(run: Run) -> Verdict:
    """A-6: email from context.traits.email (or traits.email); companyExternalId from the
    company key (P-3)."""

    def judge(attempt: Attempt, predicted: dict[str, Any], item: Any) -> Verdict:
        item = item if isinstance(item, dict) else {}
        emails = {
            email_key(t.get("email"))
            for t in (
                (attempt.event.get("context") or {}).get("traits"),
                attempt.event.get("traits"),
            )
            if isinstance(t, dict) and email_key(t.get("email")) is not None
        }
        sent_email = email_key(item.get("email"))
        if (emails and sent_email not in emails) or (not emails and sent_email is not None):
            return fail(
                "the activity's email is not the event's context.traits.email or traits.email",
                expected=json.dumps(predicted.get("email"), ensure_ascii=False),
                received=json.dumps(item.get("email"), ensure_ascii=False),
                event=attempt.index,
            )
        wanted = company_key(attempt.event)
        sent_company = id_key(item.get("companyExternalId"))
        if sent_company != wanted:
            return fail(
                "the activity's companyExternalId is not the event's company key (P-3 order: "
                "traits.companyId, traits.company_id, traits.company.id, context.groupId)",
                expected=json.dumps(wanted, ensure_ascii=False),
                received=json.dumps(item.get("companyExternalId"), ensure_ascii=False),
                event=attempt.index,
            )
        return PASS

    return _each_activity(run, judge)


@check("A-7")
def check_activity_without_key(run: Run) -> Verdict:
    """A-7: an event with neither a user key nor an email is not sent (ok or discard)."""

    def each() -> Iterator[Verdict | None]:
        if run.profile != "activities":
            return
        for attempt in run.attempts:
            expected = run.expected(attempt.index)
            if expected.because != "A-7":
                yield None
            elif attempt.requests or attempt.delivery.outcome not in expected.outcomes:
                yield fail(
                    f"{expected.note}: outcome ok or discard, with nothing sent",
                    expected="(nothing sent)\noutcome: ok or discard",
                    received=attempt.summary(),
                    event=attempt.index,
                )
            else:
                yield PASS

    return _first(each())


# --- P: what Planhat holds afterwards ------------------------------------------------------------


_STATE_WORDS = {
    "P-1": "user keys (contacts' and activities' externalId)",
    "P-2": "contacts' emails",
    "P-3": "companies and the company each contact belongs to",
    "P-4": "matching: which contact each activity landed on",
    "P-5": "contacts' fields (name, title, email, externalId, custom)",
    "P-6": "activities (action, info, date, contact, source)",
    "P-7": "companies (name, custom), metrics and assignments",
    "P-8": "unassigned contacts",
    "P-10": "sources of contacts and activities",
}


def _compare_view(rule_id: str, run: Run) -> Verdict:
    expected = view(rule_id, run.expectation.state, run.profile)
    observed = view(rule_id, run.state, run.profile)
    if expected is None:
        return NOT_APPLICABLE
    if json_equal(expected, observed):
        return PASS
    return fail(
        f"Planhat's {_STATE_WORDS.get(rule_id, 'state')} differ from what rule {rule_id} "
        "produces from the events",
        expected=pretty(expected),
        received=pretty(observed),
    )


def _delivered(run: Run, kinds: Iterable[str]) -> bool:
    """Whether the oracle replayed an event of one of ``kinds`` into Planhat."""
    wanted = set(kinds)
    return any(_kind(run.events[i]) in wanted for i in run.expectation.replay)


def _state_rule(rule_id: str, applies: Callable[[Run], bool]) -> Check:
    def state_check(run: Run) -> Verdict:
        return _compare_view(rule_id, run) if applies(run) else NOT_APPLICABLE

    state_check.__name__ = f"check_{rule_id.replace('-', '')}"
    state_check.__doc__ = f"{rule_id}: {RULES[rule_id].title}, compared on the fake's state."
    return state_check


def _has_people(run: Run) -> bool:
    states = (run.expectation.state, run.state)
    if run.profile == "activities":
        return any(s.get("activities") for s in states)
    return any(s.get("contacts") or s.get("unassigned") for s in states)


def _has_emails(run: Run) -> bool:
    return _has_people(run) and any(
        isinstance(p.get("email"), str)
        for s in (run.expectation.state, run.state)
        for p in [*s.get("contacts", []), *s.get("unassigned", []), *s.get("activities", [])]
    )


def _has_company_keys(run: Run) -> bool:
    return any(company_key(run.events[i]) is not None for i in run.expectation.replay)


def _has_matches(run: Run) -> bool:
    return any(
        (step.outcome or {}).get("matchedBy")
        for steps in run.expectation.replay.values()
        for step in steps
    )


def _has_unassigned(run: Run) -> bool:
    return bool(run.expectation.state.get("unassigned") or run.state.get("unassigned"))


def _segment_only(applies: Callable[[Run], bool]) -> Callable[[Run], bool]:
    return lambda run: run.profile == "segment" and applies(run)


check("P-1")(_state_rule("P-1", _has_people))
check("P-2")(_state_rule("P-2", _has_emails))
check("P-3")(_state_rule("P-3", _has_company_keys))
check("P-4")(_state_rule("P-4", _has_matches))
check("P-5")(_state_rule("P-5", _segment_only(lambda run: _delivered(run, {"identify"}))))
check("P-6")(_state_rule("P-6", lambda run: _delivered(run, ACTIVITY_TYPES)))
check("P-7")(_state_rule("P-7", _segment_only(lambda run: _delivered(run, {"group"}))))
check("P-8")(_state_rule("P-8", _segment_only(_has_unassigned)))
check("P-10")(_state_rule("P-10", _has_people))


@check("P-9")
def check_ignored_types(run: Run) -> Verdict:
    """P-9: alias, screen and other types leave Planhat unchanged (ignored, HTTP 200)."""

    def each() -> Iterator[Verdict | None]:
        for attempt in run.attempts:
            if _kind(attempt.event) in CORE_TYPES:
                yield None
                continue
            changed = [
                r
                for r in attempt.requests
                if (r.planhat_route and (r.result not in (None, "ignored") or r.touched))
                or (
                    not r.planhat_route
                    and r.method not in ("GET", "HEAD")
                    and 200 <= r.status < 300
                )
            ]
            if changed:
                request = changed[0]
                yield fail(
                    f"a {_kind(attempt.event)} changed Planhat's state; Planhat ignores such "
                    "messages, so the destination must have sent something else",
                    expected="no change (Planhat answers 200 and ignores it)",
                    received=f"{request.line()}: {request.result or 'written'}"
                    + (f" ({request.reason})" if request.reason else ""),
                    event=attempt.index,
                )
            else:
                yield PASS

    return _first(each())


@check("P-11")
def check_ignored_answer_200(run: Run) -> Verdict:
    """P-11: messages Planhat ignores or drops still answer 200, and stay ignored or dropped."""

    def each() -> Iterator[Verdict | None]:
        for attempt in run.attempts:
            step = run.expectation.first_step(attempt.index)
            if step is None or step.result not in ("ignored", "dropped"):
                yield None
                continue
            for request in _sent_to_planhat(attempt):
                if request.fault is not None:
                    continue
                if request.status != 200 or request.result != step.result:
                    reason = (step.outcome or {}).get("reason")
                    yield fail(
                        f"Planhat {step.result} this message ({reason}) and answers 200; what "
                        "the destination sent was treated differently",
                        expected=f"200, {step.result}",
                        received=f"{request.status}, {request.result}"
                        + (f" ({request.reason})" if request.reason else ""),
                        event=attempt.index,
                    )
                else:
                    yield PASS

    return _first(each())


# --- E: outcome equivalence ----------------------------------------------------------------------


@check("E-1")
def check_state_equals_oracle(run: Run) -> Verdict:
    """E-1: Planhat's contacts, companies and activities equal what P-1 … P-11 produce from the
    delivered events (profile activities: the activities)."""
    if any(run.other_tenant.get(k) for k in ("companies", "contacts", "unassigned", "activities")):
        return fail(
            "data reached another tenant than the apiKey's",
            expected="(the other tenant stays empty)",
            received=pretty(run.other_tenant),
        )
    if not run.expectation.replay and not any(
        run.state.get(k) for k in ("companies", "contacts", "unassigned", "activities", "metrics")
    ):
        return NOT_APPLICABLE
    return _compare_view("E-1", run)


def _contact_keys(state: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    return [
        (p.get("companyId"), key)
        for p in [*state.get("contacts", []), *state.get("unassigned", [])]
        if (key := id_key(p.get("externalId"))) is not None
    ]


@check("E-2")
def check_no_duplicate_contacts(run: Run) -> Verdict:
    """E-2: one contact per user key per company."""
    keys = _contact_keys(run.state)
    if not keys:
        return NOT_APPLICABLE
    duplicates = sorted((c or "(unassigned)", k, n) for (c, k), n in Counter(keys).items() if n > 1)
    if duplicates:
        company, key, count = duplicates[0]
        return fail(
            f"{count} contacts with user key {key!r} in company {company}",
            expected="one contact per user key per company",
            received="\n".join(f"{k!r} in {c}: {n} contacts" for c, k, n in duplicates),
        )
    return PASS


@check("E-3")
def check_no_duplicates_after_lost_response(run: Run) -> Verdict:
    """E-3: a retry after a lost response never duplicates a contact or a company."""
    if not run.lost_response:
        return NOT_APPLICABLE

    def counts(state: Mapping[str, Any]) -> Counter[str]:
        people = [*state.get("contacts", []), *state.get("unassigned", [])]
        found: Counter[str] = Counter()
        for person in people:
            key = id_key(person.get("externalId"))
            email = email_key(person.get("email"))
            found[f"contact {key}" if key is not None else f"contact {email}"] += 1
        for company in state.get("companies", []):
            found[f"company {id_key(company.get('externalId'))}"] += 1
        return found

    expected, observed = counts(run.expectation.state), counts(run.state)
    extra = sorted(k for k, n in observed.items() if n > max(expected.get(k, 0), 1))
    if extra:
        return fail(
            "after a lost response and its retry, Planhat holds duplicates",
            expected="\n".join(f"{k}: {expected.get(k, 0)}" for k in extra),
            received="\n".join(f"{k}: {observed[k]}" for k in extra),
        )
    return PASS


def missing_checks() -> list[str]:
    """Rule ids without a check (empty when every rule can be checked)."""
    return [rule_id for rule_id in RULES if rule_id not in CHECKS]
