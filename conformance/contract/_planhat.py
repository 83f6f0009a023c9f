"""P: what Planhat does on receipt (contract section 4), checked on the fake's state.

The fake is the reference semantics of these rules: the oracle replays what a conforming
destination sends into a second fake, and each rule compares its own view of both states.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from conformance._json import canonical_text, json_equal, pretty
from conformance._words import DestinationProfile
from conformance.checks import (
    NOT_APPLICABLE,
    PASS,
    Attempt,
    Run,
    Verdict,
    all_of,
    check,
    each_attempt,
    fail,
    kind,
)
from conformance.contract._rule import Rule
from conformance.oracle import ACTIVITY_TYPES, CORE_TYPES
from fake_planhat.semantics import company_key

TYPES = ("S-1", "T-1", "T-2", "T-3", "T-4")
WIRE = ("W-1", "W-2", "W-3", "W-4", "W-5", "W-6", "A-1", "A-2", "A-3", "A-4", "A-5", "A-6")
OUTCOMES = ("O-1", "O-2", "O-3", "O-5")
UPSTREAM = (*TYPES, *WIRE, *OUTCOMES)  # what reaches Planhat decides what it holds
KEYS = ("P-1", "P-2", "P-3", "P-4")
STATE_SCENARIOS = frozenset({"story", "types", "large", "faults"})
SEGMENT: frozenset[DestinationProfile] = frozenset({"segment"})


# --- views: the part of a normalized state a rule speaks about ----------------------------------


def _pick(doc: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {n: doc[n] for n in names if n in doc}


def _people(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [*state.get("contacts", []), *state.get("unassigned", [])]


def _sorted(items: Sequence[Any]) -> list[Any]:
    return sorted(items, key=canonical_text)


def _activities_view(*names: str) -> Callable[[Mapping[str, Any]], Any]:
    """Profile activities is checked on the activities only (rule E-1)."""
    return lambda state: [_pick(a, *names) for a in state.get("activities", [])]


def view(
    segment: Callable[[Mapping[str, Any]], Any],
    activities: Callable[[Mapping[str, Any]], Any] | None = None,
) -> Callable[[Mapping[str, Any], DestinationProfile], Any]:
    def chosen(state: Mapping[str, Any], profile: DestinationProfile) -> Any:
        if profile == "activities":
            return None if activities is None else activities(state)
        return segment(state)

    return chosen


P1 = Rule(
    "P-1",
    "user key",
    "user key = `userId`, else top-level `user_id`, else `traits.id`; a non-empty string "
    "(numbers are turned into their decimal string). `anonymousId` is never a user key.",
    depends_on=UPSTREAM,
    scenarios=STATE_SCENARIOS,
    state_view=view(
        lambda s: {
            "contacts": _sorted([_pick(c, "externalId") for c in _people(s)]),
            "activities": [_pick(a, "action", "externalId") for a in s.get("activities", [])],
        },
        _activities_view("contactId", "externalId"),
    ),
    state_words="user keys (contacts' and activities' externalId)",
)
P2 = Rule(
    "P-2",
    "email",
    "email = `traits.email`, else `context.traits.email`; compared trimmed and "
    "case-insensitively; stored as sent.",
    depends_on=UPSTREAM,
    scenarios=STATE_SCENARIOS,
    state_view=view(
        lambda s: {"contacts": _sorted([_pick(c, "externalId", "email") for c in _people(s)])},
        _activities_view("contactId", "email"),
    ),
    state_words="contacts' emails",
)
P3 = Rule(
    "P-3",
    "company key",
    "company key = for group, `groupId`; otherwise `traits.companyId`, else "
    "`traits.company_id`, else `traits.company.id`, else `context.groupId` (decided order).",
    depends_on=UPSTREAM,
    scenarios=STATE_SCENARIOS,
    state_view=view(
        lambda s: {
            "companies": _sorted([_pick(c, "externalId") for c in s.get("companies", [])]),
            "contacts": _sorted([_pick(c, "externalId", "email", "companyId") for c in _people(s)]),
            "unassigned": _sorted(
                [c.get("_unassigned", {}).get("companyKey") for c in s.get("unassigned", [])]
            ),
        },
        _activities_view("contactId", "companyId"),
    ),
    state_words="companies and the company each contact belongs to",
)
P4 = Rule(
    "P-4",
    "matching",
    "matching. A contact whose `externalId` equals the user key is the match. Otherwise a "
    "contact whose email equals the email is the match; if several share it, prefer the one "
    "in the company of the company key, else the oldest. Otherwise there is no match.",
    depends_on=(*UPSTREAM, "P-1", "P-2", "P-3"),
    scenarios=STATE_SCENARIOS,
    state_view=view(
        lambda s: {
            "contacts": _sorted([_pick(c, "externalId", "email") for c in _people(s)]),
            "activities": [_pick(a, "action", "contactId") for a in s.get("activities", [])],
        },
        _activities_view("action", "contactId"),
    ),
    state_words="matching: which contact each activity landed on",
)
P5 = Rule(
    "P-5",
    "identify",
    "identify.\n"
    "- Neither user key nor email → ignored (HTTP 200, no change).\n"
    "- Match → update only the fields the event carries: `name` (`traits.name`, else "
    '`firstName + " " + lastName` when both are present), `title` (`traits.title`), `email` '
    "(`traits.email`), `externalId` (the user key, when the contact had none). Every other "
    "trait whose value is a string, number, boolean or null is written to "
    "`custom[<trait key>]` unchanged; objects and arrays are not stored as custom fields "
    "(decided).\n"
    "- Match on a contact waiting unassigned (P-8), and the company key names an existing "
    "company → the contact is assigned to it (documented).\n"
    '- No match → a new contact with those fields, `source: "Segment"`, and `companyId` = the '
    "company whose `externalId` equals the company key; no company key, but the email's "
    "domain belongs to exactly one company's `domains` and is not a public mail provider → "
    "that company (documented; the 'certain enough' test is decided); otherwise the contact "
    "is created unassigned (P-8).",
    profiles=SEGMENT,
    depends_on=(*UPSTREAM, *KEYS),
    scenarios=STATE_SCENARIOS,
    state_view=view(
        lambda s: _sorted(
            [
                _pick(c, "externalId", "email", "name", "firstName", "lastName", "title", "custom")
                for c in _people(s)
            ]
        )
    ),
    state_words="contacts' fields (name, title, email, externalId, custom)",
)
P6 = Rule(
    "P-6",
    "track and page",
    "track and page add a user activity to the matched contact: `action` = the track `event`; "
    'for a page `"Viewed {category} {name} Page"`, `"Viewed {name} Page"` without category, '
    '`"Loaded a Page"` without name (Segment\'s classic naming); `info` = `properties`; '
    '`date` = `timestamp` (receive time when absent); `source: "Segment"`.\n'
    "- No match but the company key names an existing company → the contact is created on "
    "that company first (user key, email, `context.traits.name`), then the activity is added.\n"
    "- No match and no company → dropped silently (HTTP 200).",
    depends_on=(*UPSTREAM, *KEYS),
    scenarios=STATE_SCENARIOS,
    state_view=view(
        lambda s: [
            _pick(a, "action", "info", "date", "contactId", "source")
            for a in s.get("activities", [])
        ],
        _activities_view("action", "info", "date", "contactId"),
    ),
    state_words="activities (action, info, date, contact, source)",
)
P7 = Rule(
    "P-7",
    "group",
    "group. By default (tenant setting `group: metrics`) each numeric trait is recorded as a "
    'metric data point (`dimensionId` = trait key, `model: "Company"`, date = `timestamp`) on '
    "the company whose `externalId` = `groupId`; an unknown company, or a missing `groupId` → "
    "ignored (200, the journal says why). No company is created or renamed, no contact "
    "assigned. The setting `group: upsert` turns on the earlier, undocumented reading "
    "(decided): create the company when missing (`name` = `traits.name`, else the "
    "`groupId`), update `name`, scalar traits to `custom`, and assign the event's waiting "
    "contact to it.",
    profiles=SEGMENT,
    depends_on=(*UPSTREAM, *KEYS),
    scenarios=STATE_SCENARIOS,
    state_view=view(
        lambda s: {
            "companies": _sorted(
                [_pick(c, "externalId", "name", "custom") for c in s.get("companies", [])]
            ),
            "metrics": s.get("metrics", []),
            "assigned": _sorted(
                [_pick(c, "externalId", "email", "companyId") for c in s.get("contacts", [])]
            ),
        }
    ),
    state_words="companies (name, custom), metrics and assignments",
)
P8 = Rule(
    "P-8",
    "unassigned contacts",
    "unassigned contacts. A new contact without a company waits in the tenant's unassigned "
    "list (Planhat's report of new Segment contacts). Later events still match it. A person "
    "then assigns it to a company or discards it; the fake exposes both actions. A tenant "
    "setting `unassigned: keep | discard` (default `keep`) makes the fake discard such "
    "contacts at once instead. An unassigned contact is not yet an enduser: `GET /endusers` "
    "does not list it, the fake's control plane does; once assigned it is an ordinary "
    "enduser (decided).",
    profiles=SEGMENT,
    depends_on=(*UPSTREAM, *KEYS),
    scenarios=STATE_SCENARIOS,
    state_view=view(
        lambda s: {
            "unassigned": _sorted(
                [
                    {**_pick(c, "externalId", "email"), **c.get("_unassigned", {})}
                    for c in s.get("unassigned", [])
                ]
            ),
            "endusers": _sorted([_pick(c, "externalId", "email") for c in s.get("contacts", [])]),
        }
    ),
    state_words="unassigned contacts",
)
P9 = Rule(
    "P-9",
    "other types ignored",
    "alias, screen and any other type → ignored, HTTP 200.",
    depends_on=TYPES,
    scenarios=frozenset({"story", "types"}),
)
P10 = Rule(
    "P-10",
    "source is Segment",
    "Every contact created, and every activity added, through the intake carries `source: "
    '"Segment"`.',
    depends_on=(*UPSTREAM, *KEYS),
    scenarios=STATE_SCENARIOS,
    state_view=view(
        lambda s: {
            "contacts": _sorted([_pick(c, "externalId", "email", "source") for c in _people(s)]),
            "activities": [_pick(a, "action", "source") for a in s.get("activities", [])],
        },
        _activities_view("action", "source"),
    ),
    state_words="sources of contacts and activities",
)
P11 = Rule(
    "P-11",
    "ignored still answers 200",
    'Ignored and dropped messages still answer 200 (Planhat drops "without an error"); the '
    "fake records why in its request journal so a test can see it.",
    depends_on=UPSTREAM,
    scenarios=frozenset({"story", "types"}),
)


def compare_view(rule: Rule, run: Run) -> Verdict:
    """``rule``'s view of the fake's state against its view of the oracle's."""
    assert rule.state_view is not None
    expected = rule.state_view(run.expectation.state, run.profile)
    observed = rule.state_view(run.state, run.profile)
    if expected is None:
        return NOT_APPLICABLE
    if json_equal(expected, observed):
        return PASS
    return fail(
        f"Planhat's {rule.state_words or 'state'} differ from what rule {rule.id} produces "
        "from the events",
        expected=pretty(expected),
        received=pretty(observed),
    )


def _delivered(run: Run, kinds: set[str] | frozenset[str]) -> bool:
    """Whether the oracle replayed an event of one of ``kinds`` into Planhat."""
    return any(kind(run.events[i]) in kinds for i in run.expectation.replay)


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


def _state_check(rule: Rule, applies: Callable[[Run], bool]) -> None:
    def state_check(run: Run) -> Verdict:
        return compare_view(rule, run) if applies(run) else NOT_APPLICABLE

    state_check.__doc__ = f"{rule.id}: {rule.title}, compared on the fake's state."
    check(rule)(state_check)


_state_check(P1, _has_people)
_state_check(P2, _has_emails)
_state_check(P3, _has_company_keys)
_state_check(P4, _has_matches)
_state_check(P5, lambda run: run.profile == "segment" and _delivered(run, {"identify"}))
_state_check(P6, lambda run: _delivered(run, ACTIVITY_TYPES))
_state_check(P7, lambda run: run.profile == "segment" and _delivered(run, {"group"}))
_state_check(P8, lambda run: run.profile == "segment" and _has_unassigned(run))
_state_check(P10, _has_people)


@each_attempt(P9, where=lambda run, a: kind(a.event) not in CORE_TYPES)
def check_ignored_types(run: Run, attempt: Attempt) -> Verdict:
    """P-9: alias, screen and other types leave Planhat unchanged (ignored, HTTP 200)."""
    changed = [
        r
        for r in attempt.requests
        if (r.planhat_route and (r.result not in (None, "ignored") or r.touched))
        or (not r.planhat_route and r.method not in ("GET", "HEAD") and 200 <= r.status < 300)
    ]
    if changed:
        request = changed[0]
        return fail(
            f"a {kind(attempt.event)} changed Planhat's state; Planhat ignores such messages, so "
            "the destination must have sent something else",
            expected="no change (Planhat answers 200 and ignores it)",
            received=f"{request.line()}: {request.result or 'written'}"
            + (f" ({request.reason})" if request.reason else ""),
            event=attempt.index,
        )
    return PASS


def _ignored_or_dropped(run: Run, attempt: Attempt) -> bool:
    step = run.expectation.first_step(attempt.index)
    return step is not None and step.result in ("ignored", "dropped")


@each_attempt(P11, where=_ignored_or_dropped)
def check_ignored_answer_200(run: Run, attempt: Attempt) -> Verdict | None:
    """P-11: messages Planhat ignores or drops still answer 200, and stay ignored or dropped."""
    step = run.expectation.first_step(attempt.index)
    assert step is not None
    reason = (step.outcome or {}).get("reason")
    return all_of(
        PASS
        if request.status == 200 and request.result == step.result
        else fail(
            f"Planhat {step.result} this message ({reason}) and answers 200; what the "
            "destination sent was treated differently",
            expected=f"200, {step.result}",
            received=f"{request.status}, {request.result}"
            + (f" ({request.reason})" if request.reason else ""),
            event=attempt.index,
        )
        for request in attempt.requests
        if request.planhat_route and request.fault is None
    )


RULES = (P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11)
