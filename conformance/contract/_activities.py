"""A: what a destination of profile ``activities`` sends (contract section 3)."""

from __future__ import annotations

import json
from typing import Any

from conformance._json import json_equal, pretty
from conformance._words import DestinationProfile
from conformance.checks import PASS, Attempt, Run, Verdict, all_of, each_attempt, fail, kind
from conformance.contract._rule import Rule
from conformance.oracle import ACTIVITY_TYPES
from fake_planhat.semantics import company_key, email_key, id_key, user_key

ACTIVITIES: frozenset[DestinationProfile] = frozenset({"activities"})
TYPES = ("S-1", "T-1", "T-2", "T-3", "T-4")
MAX_BODY_BYTES = 32 * 1024 * 1024  # Planhat documents a 32 MB body, no item cap
WIRE_SCENARIOS = frozenset({"story", "types", "faults"})

A1 = Rule(
    "A-1",
    "activities endpoint",
    "Track and page go to `POST https://analytics.planhat.com/analytics/{apiKey}` (one object) "
    "or `/analytics/bulk/{apiKey}` (a JSON array). Planhat documents no item cap for the "
    'analytics endpoints, only a 32 MB body ("typically about 150,000 items"); batches of '
    "10,000 are normal.",
    profiles=ACTIVITIES,
    depends_on=TYPES,
    scenarios=WIRE_SCENARIOS,
)
A2 = Rule(
    "A-2",
    "action is the event verbatim",
    "`action` = the track `event` verbatim (no case folding, no character stripping). For a "
    "page no naming is documented: any non-empty action that contains the page `name` (when "
    "the event has one) passes.",
    profiles=ACTIVITIES,
    depends_on=("A-1", *TYPES),
    scenarios=WIRE_SCENARIOS,
)
A3 = Rule(
    "A-3",
    "info is the properties",
    "`info` = all `properties`, unchanged.",
    profiles=ACTIVITIES,
    depends_on=("A-1", *TYPES),
    scenarios=WIRE_SCENARIOS,
)
A4 = Rule(
    "A-4",
    "date is the event timestamp",
    "`date` = the event's `timestamp` (so late or replayed events keep their time).",
    profiles=ACTIVITIES,
    depends_on=("A-1", *TYPES),
    scenarios=WIRE_SCENARIOS,
)
A5 = Rule(
    "A-5",
    "externalId is the user key",
    "`externalId` = the user key of rule P-1 (`userId`, else `user_id`, else `traits.id`); an "
    "`anonymousId` is never sent as `externalId`.",
    profiles=ACTIVITIES,
    depends_on=("A-1", *TYPES),
    scenarios=WIRE_SCENARIOS,
)
A6 = Rule(
    "A-6",
    "email and company key",
    "`email` from `context.traits.email` (or `traits.email`) when present; "
    "`companyExternalId` from the company key (rule P-3) when present.",
    profiles=ACTIVITIES,
    depends_on=("A-1", *TYPES),
    scenarios=WIRE_SCENARIOS,
)
A7 = Rule(
    "A-7",
    "no key, not sent",
    "An event with neither a user key nor an email is not sent (outcome `ok` or `discard`).",
    profiles=ACTIVITIES,
    depends_on=TYPES,
    scenarios=frozenset({"story", "types"}),
)


def _postable(run: Run, attempt: Attempt) -> bool:
    """Track and page attempts a conforming activities destination may send."""
    return (
        run.profile == "activities"
        and kind(attempt.event) in ACTIVITY_TYPES
        and run.expected(attempt.index).send != "never"
    )


def _posted(attempt: Attempt) -> list[Any]:
    """The activity objects the attempt posted to /analytics (bulk arrays flattened)."""
    items: list[Any] = []
    for request in attempt.requests:
        if not request.path.startswith("/analytics/"):
            continue
        is_json, body = request.json()
        if is_json:
            items.extend(body if isinstance(body, list) else [body])
    return items


def _predicted(run: Run, attempt: Attempt) -> dict[str, Any]:
    body: dict[str, Any] = run.expected(attempt.index).requests[0].body
    return body


@each_attempt(A1, where=_postable)
def check_activity_endpoint(run: Run, attempt: Attempt) -> Verdict | None:
    """A-1: track and page go to POST https://analytics.planhat.com/analytics/{apiKey} (one
    object) or /analytics/bulk/{apiKey} (an array; no item cap, a 32 MB body)."""
    expected = run.expected(attempt.index)
    wanted = expected.requests[0]
    shown = f"POST https://{wanted.host}{wanted.paths[0]} (or {wanted.paths[1]})"
    if expected.send == "must" and not attempt.requests:
        return fail(
            f"a {kind(attempt.event)} with a user key or email must be posted",
            expected=shown,
            received=attempt.summary(),
            event=attempt.index,
        )

    def each() -> Any:
        for request in attempt.requests:
            problem = None
            if (request.method, request.host) != ("POST", wanted.host) or (
                request.path not in wanted.paths
            ):
                problem = f"posted to {request.method} https://{request.host}{request.path}"
            elif len(request.body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
                problem = "the body is larger than Planhat's 32 MB limit"
            else:
                is_json, body = request.json()
                bulk = "/bulk/" in request.path
                if not is_json:
                    problem = f"the body is not JSON: {body}"
                elif bulk and not isinstance(body, list):
                    problem = "a bulk body must be a JSON array of activities"
                elif not bulk and not isinstance(body, dict):
                    problem = "a single activity must be a JSON object"
            if problem is not None:
                yield fail(problem, expected=shown, received=attempt.summary(), event=attempt.index)
            else:
                yield PASS

    return all_of(each())


def _each_item(judge: Any) -> Any:
    def per_attempt(run: Run, attempt: Attempt) -> Verdict | None:
        predicted = _predicted(run, attempt)
        return all_of(judge(attempt, predicted, item) for item in _posted(attempt))

    per_attempt.__doc__ = judge.__doc__
    return per_attempt


def _action_problem(event: dict[str, Any], action: Any, predicted: Any) -> str | None:
    if event.get("type") == "track":
        if action != predicted:
            return "the activity's action is not the track event name verbatim"
        return None
    if not isinstance(action, str) or action == "":
        return "a page's activity needs a non-empty action"
    name = event.get("name")
    if isinstance(name, str) and name and name not in action:
        return "a page's action must contain the page name"
    return None


@each_attempt(A2, where=_postable)
@_each_item
def check_activity_action(attempt: Attempt, predicted: dict[str, Any], item: Any) -> Verdict:
    """A-2: action = the track event verbatim; a page's action is non-empty and contains the
    page name (no naming is documented)."""
    action = item.get("action") if isinstance(item, dict) else None
    problem = _action_problem(attempt.event, action, predicted["action"])
    if problem is not None:
        shown = predicted["action"] if attempt.event.get("type") == "track" else None
        return fail(
            problem,
            expected=json.dumps(shown, ensure_ascii=False)
            if shown is not None
            else f"a non-empty action containing {attempt.event.get('name')!r}",
            received=json.dumps(action, ensure_ascii=False),
            event=attempt.index,
        )
    return PASS


@each_attempt(A3, where=_postable)
@_each_item
def check_activity_info(attempt: Attempt, predicted: dict[str, Any], item: Any) -> Verdict:
    """A-3: info = all properties, unchanged."""
    info = item.get("info", {}) if isinstance(item, dict) else None
    if not json_equal(info, predicted["info"]):
        return fail(
            "the activity's info is not the event's properties, unchanged",
            expected=pretty(predicted["info"]),
            received=pretty(info),
            event=attempt.index,
        )
    return PASS


@each_attempt(A4, where=_postable)
@_each_item
def check_activity_date(attempt: Attempt, predicted: dict[str, Any], item: Any) -> Verdict | None:
    """A-4: date = the event's timestamp."""
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


@each_attempt(A5, where=_postable)
@_each_item
def check_activity_user(attempt: Attempt, predicted: dict[str, Any], item: Any) -> Verdict:
    """A-5: externalId = the user key of P-1; an anonymousId is never sent as externalId."""
    sent = id_key(item.get("externalId")) if isinstance(item, dict) else None
    anonymous = id_key(attempt.event.get("anonymousId"))
    wanted = user_key(attempt.event)
    if sent is not None and sent == anonymous and sent != wanted:
        return fail(
            "the anonymousId was sent as externalId",
            expected=json.dumps(wanted, ensure_ascii=False),
            received=json.dumps(item.get("externalId"), ensure_ascii=False),
            event=attempt.index,
        )
    if wanted is not None and sent != wanted:
        return fail(
            "the activity's externalId is not the event's user key (P-1: userId, else user_id, "
            "else traits.id)",
            expected=json.dumps(wanted, ensure_ascii=False),
            received=json.dumps(item.get("externalId") if isinstance(item, dict) else None),
            event=attempt.index,
        )
    return PASS


@each_attempt(A6, where=_postable)
@_each_item
def check_activity_email_company(attempt: Attempt, predicted: dict[str, Any], item: Any) -> Verdict:
    """A-6: email from context.traits.email (or traits.email); companyExternalId from the
    company key (P-3)."""
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


@each_attempt(
    A7,
    where=lambda run, a: run.profile == "activities" and run.expected(a.index).because == "A-7",
)
def check_activity_without_key(run: Run, attempt: Attempt) -> Verdict:
    """A-7: an event with neither a user key nor an email is not sent (ok or discard)."""
    expected = run.expected(attempt.index)
    if attempt.requests or attempt.delivery.outcome not in expected.outcomes:
        return fail(
            f"{expected.note}: outcome ok or discard, with nothing sent",
            expected="(nothing sent)\noutcome: ok or discard",
            received=attempt.summary(),
            event=attempt.index,
        )
    return PASS


RULES = (A1, A2, A3, A4, A5, A6, A7)
