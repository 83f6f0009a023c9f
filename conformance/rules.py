"""Every rule id of the Segment -> Planhat contract (shared/CONTRACT.md), as data.

Checks, failure reports and docs cite these ids; keeping the text here lets a report show what a
rule says without the reader opening the contract. The texts restate CONTRACT.md with markdown
emphasis removed (code spans keep their backticks, since they mark literal values).
tests/conformance/test_rules.py keeps this module and the contract in step.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FAMILIES", "RULES", "Rule", "rule"]


@dataclass(frozen=True)
class Rule:
    """One contract rule: ``id`` such as ``"W-4"``, its ``family`` letter, a short ``title``."""

    id: str
    family: str
    title: str
    text: str

    def __str__(self) -> str:
        return f"{self.id} ({self.title})"


FAMILIES: dict[str, str] = {
    "S": "settings",
    "O": "outcomes",
    "T": "event types",
    "W": "wire, profile segment",
    "A": "wire, profile activities",
    "P": "Planhat on receipt",
    "E": "outcome equivalence",
}

_RULES: tuple[tuple[str, str, str], ...] = (
    # -- 1. The destination under test --------------------------------------------------------
    (
        "S-1",
        "invalid settings reject everything",
        "Missing or empty `apiKey`, or a `subdomain` outside the list (`api`, `api-eu`, "
        "`analytics`): every event is rejected as a validation error (outcome `discard`) and "
        "nothing is sent.",
    ),
    ("O-1", "2xx is ok", "Planhat answered 2xx → `ok`."),
    (
        "O-2",
        "transient failures retry",
        "Connection error, timeout, 408, 429 or any 5xx → `retry` (a destination may retry "
        "internally first; if it does, it honours `Retry-After` and gives up with `retry`, "
        "never `ok`).",
    ),
    (
        "O-3",
        "other 4xx discard",
        "Any other 4xx (400, 401, 403, 404, 413, 422 …) → `discard`, and no retry.",
    ),
    (
        "O-4",
        "no escaping exceptions",
        "Any other exception escaping the destination is a defect (Segment would drop the "
        "event silently as an unknown error).",
    ),
    ("T-1", "core types delivered", "identify, track, page, group are delivered."),
    (
        "T-2",
        "alias optional",
        "alias may be delivered or skipped (`ok` either way); Planhat ignores it (rule P-9).",
    ),
    (
        "T-3",
        "other types unsupported",
        "screen, and any other type (`delete`, unknown) → `unsupported`, nothing sent.",
    ),
    (
        "T-4",
        "integrations can disable Planhat",
        'An event whose `integrations` object disables Planhat (`"Planhat": false`, or '
        '`"All": false` without `"Planhat": true`) → `ok` with nothing sent (decided); '
        'names are case-sensitive (`"planhat": false` does not disable).',
    ),
    # -- 2. Wire rules, profile `segment` -----------------------------------------------------
    (
        "W-1",
        "one request per event",
        "One request per event: `POST https://{subdomain}.planhat.com/dock/segment`.",
    ),
    (
        "W-2",
        "basic auth with tenant token",
        '`Authorization: Basic base64(apiKey + ":")` — token as user name, empty password.',
    ),
    (
        "W-3",
        "JSON content type",
        "`Content-Type: application/json` (a `charset` parameter is allowed); body is UTF-8 JSON.",
    ),
    (
        "W-4",
        "body is the event, unchanged",
        "The body is the Segment event itself: the same keys and values, deep-equal (key order "
        'free). Nothing invented, renamed, dropped, truncated, or re-typed (`"00123"` stays a '
        "string, `1e21` stays a number, emoji and RTL text survive).",
    ),
    (
        "W-5",
        "sent exactly once, retries identical",
        "A delivered event is sent exactly once when Planhat answers 2xx the first time; a "
        "retry resends the identical body.",
    ),
    ("W-6", "events up to 32 KB sent whole", "Events up to Segment's 32 KB limit are sent whole."),
    # -- 3. Wire rules, profile `activities` --------------------------------------------------
    (
        "A-1",
        "activities endpoint",
        "Track and page go to `POST https://analytics.planhat.com/analytics/{apiKey}` (one "
        "object) or `/analytics/bulk/{apiKey}` (a JSON array of at most 5,000 objects).",
    ),
    (
        "A-2",
        "action is the event verbatim",
        "`action` = the track `event` verbatim (no case folding, no character stripping); for a "
        "page, the page action of rule P-6.",
    ),
    ("A-3", "info is the properties", "`info` = all `properties`, unchanged."),
    (
        "A-4",
        "date is the event timestamp",
        "`date` = the event's `timestamp` (so late or replayed events keep their time).",
    ),
    (
        "A-5",
        "externalId is the userId",
        "`externalId` = `userId`; an `anonymousId` is never sent as `externalId`.",
    ),
    (
        "A-6",
        "email and company key",
        "`email` from `context.traits.email` (or `traits.email`) when present; "
        "`companyExternalId` from the company key (rule P-3) when present.",
    ),
    (
        "A-7",
        "no key, not sent",
        "An event with neither a user key nor an email is not sent (outcome `ok` or `discard`).",
    ),
    # -- 4. What Planhat does on receipt -------------------------------------------------------
    (
        "P-1",
        "user key",
        "user key = `userId`, else top-level `user_id`, else `traits.id`; a non-empty string "
        "(numbers are turned into their decimal string). `anonymousId` is never a user key.",
    ),
    (
        "P-2",
        "email",
        "email = `traits.email`, else `context.traits.email`; compared trimmed and "
        "case-insensitively; stored as sent.",
    ),
    (
        "P-3",
        "company key",
        "company key = for group, `groupId`; otherwise `traits.companyId`, else "
        "`traits.company_id`, else `traits.company.id`, else `context.groupId` (decided order).",
    ),
    (
        "P-4",
        "matching",
        "matching. A contact whose `externalId` equals the user key is the match. Otherwise a "
        "contact whose email equals the email is the match; if several share it, prefer the "
        "one in the company of the company key, else the oldest. Otherwise there is no match.",
    ),
    (
        "P-5",
        "identify",
        "identify.\n"
        "- Neither user key nor email → ignored (HTTP 200, no change).\n"
        "- Match → update only the fields the event carries: `name` (`traits.name`, else "
        '`firstName + " " + lastName` when both are present), `title` (`traits.title`; the '
        "contact's field is named `title`, as the seed page names it), `email` "
        "(`traits.email`), `externalId` (the user key, when the contact had none). Every other "
        "trait whose value is a string, number, boolean or null is written to "
        "`custom[<trait key>]` unchanged; objects and arrays are not stored as custom fields "
        "(decided). Engage audience traits are such booleans: "
        '`custom["order_completed_last_30days"] = true`, later `false`.\n'
        '- No match → a new contact with those fields, `source: "Segment"`, and `companyId` = '
        "the company whose `externalId` equals the company key. No such company → the contact "
        "is created unassigned (P-8).",
    ),
    (
        "P-6",
        "track and page",
        "track and page add a user activity to the matched contact: `action` = the track "
        '`event`; for a page `"Viewed {category} {name} Page"`, `"Viewed {name} Page"` '
        'without category, `"Loaded a Page"` without name (Segment\'s classic naming); `info` '
        "= `properties`; `date` = `timestamp` (receive time when absent); "
        '`source: "Segment"`.\n'
        "- No match but the company key names an existing company → the contact is created on "
        "that company first (user key, email, `context.traits.name`), then the activity is "
        "added.\n"
        "- No match and no company → dropped silently (HTTP 200).",
    ),
    (
        "P-7",
        "group",
        "group upserts the company whose `externalId` = `groupId`: created when missing "
        "(`name` = `traits.name`, else the `groupId`), `name` updated when `traits.name` is "
        "present; scalar traits go to the company's `custom`; each numeric trait is also "
        'recorded as a metric data point (`dimensionId` = trait key, `model: "Company"`, date '
        "= `timestamp`). The contact resolved from the event's user key or email, when "
        "unassigned, is assigned to this company. `groupId` missing → ignored.",
    ),
    (
        "P-8",
        "unassigned contacts",
        "unassigned contacts. A new contact without a company waits in the tenant's unassigned "
        "list (Planhat's report of new Segment contacts). Later events still match it. A person "
        "then assigns it to a company or discards it; the fake exposes both actions. A tenant "
        "setting `unassigned: keep | discard` (default `keep`) makes the fake discard such "
        "contacts at once instead. An unassigned contact is not yet an enduser: "
        "`GET /endusers` does not list it, the fake's control plane does; once assigned it is "
        "an ordinary enduser (decided).",
    ),
    (
        "P-9",
        "other types ignored",
        "alias, screen and any other type → ignored, HTTP 200.",
    ),
    (
        "P-10",
        "source is Segment",
        "Every contact created, and every activity added, through the intake carries "
        '`source: "Segment"`.',
    ),
    (
        "P-11",
        "ignored still answers 200",
        'Ignored and dropped messages still answer 200 (Planhat drops "without an error"); '
        "the fake records why in its request journal so a test can see it.",
    ),
    # -- 5. Outcome equivalence ----------------------------------------------------------------
    (
        "E-1",
        "state equals the oracle",
        "After a run, the fake's contacts, companies and activities equal what rules P-1…P-11 "
        "produce from the delivered events, in order. For profile `segment` this follows from "
        "W-4; for `activities` it is checked on the activities.",
    ),
    (
        "E-2",
        "no duplicate contacts",
        "No duplicate contacts: one contact per user key per company, whatever the "
        "interleaving of identify, track, page and group, and whatever retries happened.",
    ),
    (
        "E-3",
        "retries never duplicate contacts or companies",
        "A retry after a lost response may duplicate an activity; it never duplicates a "
        "contact or a company.",
    ),
)

RULES: dict[str, Rule] = {
    rule_id: Rule(id=rule_id, family=rule_id.split("-", 1)[0], title=title, text=text)
    for rule_id, title, text in _RULES
}


def rule(rule_id: str) -> Rule:
    """The rule with this id (``"W-4"``); a KeyError names the known ids otherwise."""
    try:
        return RULES[rule_id]
    except KeyError:
        known = ", ".join(RULES)
        hint = ""
        normalised = rule_id.strip().upper()
        if normalised != rule_id and normalised in RULES:
            hint = f" (did you mean {normalised!r}?)"
        raise KeyError(f"unknown contract rule id {rule_id!r}{hint}; known ids: {known}") from None
