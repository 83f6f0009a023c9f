"""W: what a destination of profile ``segment`` sends (contract section 2)."""

from __future__ import annotations

import json
from typing import Any

from conformance._json import event_size, json_equal, pretty
from conformance._words import DestinationProfile
from conformance.checks import PASS, Attempt, Run, Verdict, all_of, check, each_attempt, fail, first
from conformance.contract._rule import Rule
from conformance.oracle import INTAKE_PATH, authorization_of

SEGMENT: frozenset[DestinationProfile] = frozenset({"segment"})
TYPES = ("S-1", "T-1", "T-2", "T-3", "T-4")
LARGE_EVENT_BYTES = 16 * 1024  # W-6 is checked on events at least this big
ALL_SCENARIOS = frozenset({"story", "types", "large", "faults", "settings"})

W1 = Rule(
    "W-1",
    "one request per event",
    "One request per event: `POST https://{subdomain}.planhat.com/dock/segment`.",
    profiles=SEGMENT,
    depends_on=TYPES,
    scenarios=ALL_SCENARIOS,
)
W2 = Rule(
    "W-2",
    "basic auth with tenant token",
    '`Authorization: Basic base64(apiKey + ":")` — token as user name, empty password.',
    profiles=SEGMENT,
    depends_on=("W-1", *TYPES),
    scenarios=frozenset({"story", "types"}),
)
W3 = Rule(
    "W-3",
    "JSON content type",
    "`Content-Type: application/json` (a `charset` parameter is allowed); body is UTF-8 JSON.",
    profiles=SEGMENT,
    depends_on=("W-1", *TYPES),
    scenarios=frozenset({"story", "large"}),
)
W4 = Rule(
    "W-4",
    "body is the event, unchanged",
    "The body is the Segment event itself: the same keys and values, deep-equal (key order "
    'free). Nothing invented, renamed, dropped, truncated, or re-typed (`"00123"` stays a '
    "string, `1e21` stays a number, emoji and RTL text survive).",
    profiles=SEGMENT,
    depends_on=("W-1", *TYPES),
    scenarios=frozenset({"story", "types", "large"}),
)
W5 = Rule(
    "W-5",
    "sent exactly once, retries identical",
    "A delivered event is sent exactly once when Planhat answers 2xx the first time; a retry "
    "resends the identical body.",
    profiles=SEGMENT,
    depends_on=("W-1", "W-4", "O-1", "O-2", "O-3", "O-5", *TYPES),
    scenarios=frozenset({"story", "faults"}),
)
W6 = Rule(
    "W-6",
    "events up to 32 KB sent whole",
    "Events up to Segment's 32 KB limit are sent whole.",
    profiles=SEGMENT,
    depends_on=("W-1", *TYPES),
    scenarios=frozenset({"large"}),
)


def _sendable(run: Run, attempt: Attempt) -> bool:
    """Attempts whose event a conforming destination sends (must or may), profile segment."""
    return run.profile == "segment" and run.expected(attempt.index).send != "never"


@each_attempt(W1, where=_sendable)
def check_one_request(run: Run, attempt: Attempt) -> Verdict | None:
    """W-1: one request per event, POST https://{subdomain}.planhat.com/dock/segment."""
    expected = run.expected(attempt.index)
    host = expected.requests[0].host
    wanted = f"POST https://{host}{INTAKE_PATH}"
    if expected.send == "must" and not attempt.requests:
        return fail(
            "nothing was sent for an event that must be delivered",
            expected=wanted,
            received=attempt.summary(),
            event=attempt.index,
        )
    wrong = [
        r for r in attempt.requests if (r.method, r.host, r.path) != ("POST", host, INTAKE_PATH)
    ]
    if wrong:
        return fail(
            f"the request went to {wrong[0].method} https://{wrong[0].host}{wrong[0].path}",
            expected=wanted,
            received=attempt.summary(),
            event=attempt.index,
        )
    if len(attempt.requests) > 1 and attempt.requests[0].answered_2xx:
        return fail(
            f"{len(attempt.requests)} requests were sent for one event",
            expected=wanted,
            received=attempt.summary(),
            event=attempt.index,
        )
    return PASS if attempt.requests else None


def _auth_problem(seen: str | None, api_key: str) -> str:
    if seen is None or seen == "(none)":
        return "no Authorization header was sent"
    if not seen.startswith("Basic "):
        return f"the {seen.split(' ', 1)[0]} scheme was used instead of Basic"
    if seen.endswith("+password"):
        return "a password was sent; it must be empty: base64(apiKey + ':')"
    if "(unreadable)" in seen:
        return "the Basic credentials are not base64('<apiKey>:')"
    if "(malformed)" in seen:
        return "the Basic credentials have no colon: base64(apiKey + ':'), colon included"
    sent, wanted = seen.split("fp:")[-1], authorization_of(api_key).split("fp:")[-1]
    return f"the user name is not the apiKey (fingerprint {sent}, expected {wanted})"


@each_attempt(W2, where=_sendable)
def check_basic_auth(run: Run, attempt: Attempt) -> Verdict | None:
    """W-2: Authorization: Basic base64(apiKey + ":")."""
    api_key = str(attempt.settings["apiKey"])
    wanted = authorization_of(api_key)

    def each() -> Any:
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
                # base64(apiKey) without the colon may redact like the right header; only
                # Planhat's own 401 (not an injected one) tells them apart
                yield fail(
                    "Planhat refused the Basic credentials (401), though the user name is the "
                    "apiKey: they must be base64(apiKey + ':'), colon included",
                    expected=f"Authorization: {wanted}, accepted",
                    received=f"Authorization: {request.authorization}, answered 401",
                    event=attempt.index,
                )
            else:
                yield PASS

    return all_of(each())


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


@each_attempt(W3, where=_sendable)
def check_json_body(run: Run, attempt: Attempt) -> Verdict | None:
    """W-3: Content-Type application/json (charset allowed); the body is UTF-8 JSON."""

    def each() -> Any:
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

    return all_of(each())


@each_attempt(W4, where=_sendable)
def check_body_is_event(run: Run, attempt: Attempt) -> Verdict | None:
    """W-4: the body is the Segment event itself, deep-equal, nothing re-typed (``1``, ``1.0``
    and ``"1"`` differ; ``true`` is not ``1``)."""

    def each() -> Any:
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

    return all_of(each())


@check(W5)
def check_sent_once(run: Run) -> Verdict:
    """W-5: exactly once when Planhat answers 2xx the first time; a retry resends the identical
    body."""
    if run.profile != "segment":
        return first(())

    def each() -> Any:
        for index in range(len(run.events)):
            attempts = run.attempts_of(index)
            sent = [r for a in attempts for r in a.requests if r.path == INTAKE_PATH]
            if not sent:
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

    return first(each())


@each_attempt(
    W6,
    where=lambda run, a: (
        _sendable(run, a)
        and run.expected(a.index).send == "must"
        and event_size(a.event) >= LARGE_EVENT_BYTES
    ),
)
def check_large_events(run: Run, attempt: Attempt) -> Verdict | None:
    """W-6: events up to 32 KB are sent whole."""
    size = event_size(attempt.event)
    if not attempt.requests:
        return fail(
            f"a {size}-byte event (within Segment's 32 KB limit) was not sent",
            expected=f"the {size}-byte event, whole",
            received=attempt.summary(),
            event=attempt.index,
        )

    def each() -> Any:
        for request in attempt.requests:
            is_json, body = request.json()
            if request.body_truncated or not is_json or not json_equal(body, attempt.event):
                sent = len(request.body.encode("utf-8", "surrogatepass"))
                yield fail(
                    f"a {size}-byte event was not sent whole ({sent} bytes arrived, and they "
                    "are not the event)",
                    expected=f"{size} bytes: the event itself",
                    received=f"{sent} bytes: {request.body[:300]}…",
                    event=attempt.index,
                )
            else:
                yield PASS

    return all_of(each())


RULES = (W1, W2, W3, W4, W5, W6)
