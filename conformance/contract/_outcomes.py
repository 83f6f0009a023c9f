"""O: the outcome a destination reports for each event (contract section 1)."""

from __future__ import annotations

from conformance.checks import PASS, Attempt, Run, Verdict, each_attempt, fail
from conformance.contract._rule import Rule

EVERY_SCENARIO = frozenset({"story", "types", "large", "faults", "settings"})

O1 = Rule(
    "O-1",
    "2xx is ok",
    "Planhat answered 2xx → `ok`.",
    scenarios=EVERY_SCENARIO,
)
O2 = Rule(
    "O-2",
    "transient failures retry",
    "Connection error, timeout, 408, 429 or any 5xx → `retry` (a destination may retry "
    "internally first; if it does, it honours `Retry-After` and gives up with `retry`, never "
    "`ok`). A Destination Function that runs past Segment's time limit is retried by Segment "
    '("Segment retries invocations that throw RetryError or Timeout errors"), so a harness '
    "timeout counts as `retry`, not as a defect.",
    scenarios=frozenset({"faults"}),
)
O3 = Rule(
    "O-3",
    "other 4xx discard",
    "Any other 4xx (400, 401, 403, 404, 413, 422 …) → `discard`, and no retry.",
    scenarios=frozenset({"faults"}),
)
O4 = Rule(
    "O-4",
    "no escaping exceptions",
    "Any other exception escaping the destination is a defect (Segment would drop the event "
    "silently as an unknown error).",
    scenarios=EVERY_SCENARIO,
)
O5 = Rule(
    "O-5",
    "ambiguous statuses: retry or discard",
    "Where Segment's own documents disagree — 410 and 460 (retried per Segment's retry "
    "article), 501 and 505 (dropped per the same article) — either `retry` or `discard` "
    "passes. The kit never fails a destination on a point Segment or Planhat leave open.",
    scenarios=frozenset({"faults"}),
)


def _answered(run: Run, attempt: Attempt) -> bool:
    return bool(attempt.requests) and attempt.requests[-1].answered_2xx


@each_attempt(O1, where=_answered)
def check_ok(run: Run, attempt: Attempt) -> Verdict:
    """O-1: Planhat answered 2xx -> ok (judged on what the destination could observe)."""
    last = attempt.requests[-1]
    if attempt.delivery.outcome == "ok":
        return PASS
    if last.latency and attempt.delivery.outcome == "retry":
        # the answer was delayed: past the destination's own timeout it is a timeout (O-2)
        return PASS
    return fail(
        f"Planhat answered {last.status}, so the outcome must be ok",
        expected="outcome: ok",
        received=attempt.summary(),
        event=attempt.index,
    )


@each_attempt(O2, where=lambda run, a: any(r.transient for r in a.requests))
def check_retry(run: Run, attempt: Attempt) -> Verdict:
    """O-2: connection error, timeout, 408, 429, 5xx -> retry; internal retries honour
    Retry-After and give up with retry."""
    requests = attempt.requests
    last = requests[-1]
    if last.transient and attempt.delivery.outcome != "retry":
        if last.cut:
            seen = "the connection was cut"
        elif last.timed_out:
            seen = (
                f"the answer was delayed {last.latency:g} s and the destination gave up after "
                f"{attempt.seconds:.2f} s (a timeout)"
            )
        else:
            seen = f"Planhat answered {last.status}"
        return fail(
            f"{seen}, so the outcome must be retry",
            expected="outcome: retry",
            received=attempt.summary(),
            event=attempt.index,
        )
    wait = attempt.fault.retry_after if attempt.fault is not None else None
    resent_after_wait = [r for r in requests[:-1] if r.answered in (429, 503)]
    if wait and resent_after_wait and attempt.seconds < wait * len(resent_after_wait):
        return fail(
            f"the destination retried {len(resent_after_wait)} time(s) after a "
            f"{resent_after_wait[0].answered} with Retry-After: {wait}, but the whole "
            f"delivery took {attempt.seconds:.2f} s: Retry-After was not honoured",
            expected=f"at least {wait} s between a Retry-After answer and the next try",
            received=attempt.summary(),
            event=attempt.index,
        )
    return PASS


@each_attempt(O3, where=lambda run, a: any(r.final_4xx for r in a.requests))
def check_discard(run: Run, attempt: Attempt) -> Verdict:
    """O-3: any other 4xx -> discard, and no retry."""
    requests = attempt.requests
    refused = next(i for i, r in enumerate(requests) if r.final_4xx)
    first_refused = requests[refused]
    again = [
        r
        for r in requests[refused + 1 :]
        if (r.method, r.path) == (first_refused.method, first_refused.path)
    ]
    if again:
        return fail(
            f"Planhat answered {first_refused.status}, which must not be retried, but the "
            f"destination sent the request {len(again)} more time(s)",
            expected=f"{first_refused.line()}\n(no retry)\noutcome: discard",
            received=attempt.summary(),
            event=attempt.index,
        )
    if requests[-1].final_4xx and attempt.delivery.outcome != "discard":
        return fail(
            f"Planhat answered {requests[-1].status}, so the outcome must be discard",
            expected="outcome: discard",
            received=attempt.summary(),
            event=attempt.index,
        )
    return PASS


@each_attempt(O4)
def check_no_escape(run: Run, attempt: Attempt) -> Verdict:
    """O-4: no exception other than Segment's four escapes the destination."""
    if attempt.delivery.outcome == "error":
        return fail(
            "an exception other than RetryError, ValidationError, InvalidEventPayload and "
            "EventNotSupported escaped the destination (Segment drops such an event silently)",
            expected="outcome: one of ok, retry, discard, unsupported",
            received=attempt.summary(),
            event=attempt.index,
        )
    return PASS


@each_attempt(O5, where=lambda run, a: bool(a.requests) and a.requests[-1].unsettled)
def check_unsettled(run: Run, attempt: Attempt) -> Verdict:
    """O-5: 410, 460, 501, 505 -> retry or discard, either passes."""
    if attempt.delivery.outcome in ("retry", "discard"):
        return PASS
    return fail(
        f"Planhat answered {attempt.requests[-1].status}: retry and discard both pass, "
        f"{attempt.delivery.outcome} does not",
        expected="outcome: retry or discard",
        received=attempt.summary(),
        event=attempt.index,
    )


RULES = (O1, O2, O3, O4, O5)
