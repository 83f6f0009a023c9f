"""Planhat's tracking endpoints: ``POST /analytics/<tenant_token>`` (one activity) and
``POST /analytics/bulk/<tenant_token>`` (a JSON array), rules A-1 and R-7.

The tenant token in the path authenticates; there is no auth header. Each activity is resolved
as a Segment track is (docs/contract.md §4): matched by ``externalId`` then email (P-4), its
contact created on a known company, dropped silently without one (P-6), and the journal says why
an item was not recorded (P-11).

Documented (docs/fidelity.md): no item cap, only the 32 MB body (A-1); ``action`` is optional;
``date`` is any date string JavaScript parses (R-7, see :mod:`fake_planhat._jsdate`).

Decided (Planhat documents neither):

- Activities posted here carry no ``source``: P-10 is about the Segment intake.
- Field aliases from Planhat's 2017 API: ``euExtId`` and ``id`` mean ``externalId``, ``cId``
  means ``companyExternalId``. The canonical name wins when both are present; among the user
  keys the first usable one in the order ``externalId``, ``euExtId``, ``id`` is taken.
- ``weight`` and ``count`` given as numeric strings (``"2"``) are read as numbers; any other
  string takes the default 1 (R-7 leniency).
- An item that cannot be used (not an object, a field of a type nothing can be made of, a date
  JavaScript would not parse) is a 400 on the single route; in a bulk it is listed in the
  answer's ``errors`` and the other items are recorded (R-7).
- The answer is 200 ``{"processed": <activities recorded>, "ignored": <items not recorded>}``,
  plus ``"errors": [{"item": <index>, "error": "..."}]`` when some items were unusable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Blueprint, Response

from fake_planhat import errors, intake
from fake_planhat._jsdate import parse_js_date
from fake_planhat.api.common import (
    LIMIT_ANALYTICS,
    json_response,
    note,
    path_tenant,
    read_json,
    require_array,
    require_object,
)
from fake_planhat.state import Tenant, email_key, id_key

bp = Blueprint("analytics", __name__)

SINGLE_ROUTE = "/analytics/<tenantToken>"
BULK_ROUTE = "/analytics/bulk/<tenantToken>"
USER_KEY_FIELDS = ("externalId", "euExtId", "id")  # canonical name first: it wins
COMPANY_KEY_FIELDS = ("companyExternalId", "cId")
REASONS_SHOWN = 5  # non-recorded items a merged outcome's reason names one by one


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_id(value: Any) -> bool:
    return isinstance(value, str) or _is_number(value)


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_object(value: Any) -> bool:
    return isinstance(value, dict)


def _is_weight(value: Any) -> bool:
    return _is_number(value) or isinstance(value, str)


def _is_date(value: Any) -> bool:
    return parse_js_date(value) is not None


# field -> (type check, what the message says is expected)
FIELD_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    **{name: (_is_id, "a string or a number") for name in USER_KEY_FIELDS},
    **{name: (_is_id, "a string or a number") for name in COMPANY_KEY_FIELDS},
    "email": (_is_str, "a string"),
    "name": (_is_str, "a string"),
    "companyId": (_is_str, "a string (the company's _id)"),
    "action": (_is_str, "a string"),
    "weight": (_is_weight, "a number"),
    "count": (_is_weight, "a number"),
    "date": (_is_date, "a date JavaScript parses (an ISO-8601 string, say) or epoch milliseconds"),
    "info": (_is_object, "an object"),
}


def _lenient_number(value: Any) -> Any:
    """R-7 (decided leniency): a number as is, a numeric string as its number, else 1."""
    if value is None:
        return 1
    if _is_number(value):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return 1
    if number != number or number in (float("inf"), float("-inf")):
        return 1
    return int(number) if number.is_integer() else number


def parse_activity(item: Mapping[str, Any], subject: str, now: str) -> intake.ActivityInput:
    """One posted activity as the intake's input; ``subject`` names it in 400 messages.

    ``null`` counts as absent; ``action`` is optional (R-7); ``date`` is kept as sent (A-4) and
    defaults to ``now``.
    """
    for name, (is_valid, expected) in FIELD_TYPES.items():
        value = item.get(name)
        if value is not None and not is_valid(value):
            raise errors.wrong_type(f"The field {name!r} of {subject}", expected, value)
    action = item.get("action")
    user_key = next(
        (k for k in (id_key(item.get(f)) for f in USER_KEY_FIELDS) if k is not None), None
    )
    company_key = next(
        (k for k in (id_key(item.get(f)) for f in COMPANY_KEY_FIELDS) if k is not None), None
    )
    email = item.get("email")
    company_id = item.get("companyId")
    info = item.get("info")
    date = item.get("date")
    lenient = any(isinstance(item.get(name), str) for name in ("weight", "count"))
    return intake.ActivityInput(
        user_key=user_key,
        email=email if email_key(email) is not None else None,
        company_key=company_key,
        action=action,
        info=dict(info) if info is not None else {},
        date=date if date is not None else now,
        name=item.get("name"),
        company_id=company_id or None,
        source=None,
        weight=_lenient_number(item.get("weight")),
        count=_lenient_number(item.get("count")),
        decided=["R-7"] if lenient else [],  # a string weight or count read leniently
    )


def merge_outcomes(outcomes: Sequence[intake.Outcome]) -> intake.Outcome:
    """One journal outcome for a bulk request: effects prefixed by item index, ids unioned,
    status ``applied`` when any item was recorded; the reason names the items that were not."""
    merged = intake.Outcome()
    skipped: list[str] = []
    matched_by: set[str] = set()
    for index, outcome in enumerate(outcomes):
        merged.effects.extend(f"item {index}: {effect}" for effect in outcome.effects)
        for contact_id in outcome.contacts:
            merged.touch_contact(contact_id)
        for company_id in outcome.companies:
            merged.touch_company(company_id)
        merged.activities.extend(outcome.activities)
        if outcome.matched_by is not None:
            matched_by.add(outcome.matched_by)
        for rule in outcome.decided:
            merged.decide(rule)
        if outcome.status != "applied":
            skipped.append(f"item {index} {outcome.status}: {outcome.reason}")
    merged.matched_by = matched_by.pop() if len(matched_by) == 1 else None
    if not outcomes:
        return merged.ignored("an empty array: nothing to record")
    if not skipped:
        return merged
    shown = "; ".join(skipped[:REASONS_SHOWN])
    more = f"; and {len(skipped) - REASONS_SHOWN} more" if len(skipped) > REASONS_SHOWN else ""
    reason = f"{len(skipped)} of {len(outcomes)} items not recorded: {shown}{more}"
    if merged.activities:
        merged.reason = reason
        return merged
    statuses = {o.status for o in outcomes}
    return merged.dropped(reason) if "dropped" in statuses else merged.ignored(reason)


def _record(tenant: Tenant, activities: Sequence[intake.ActivityInput]) -> list[intake.Outcome]:
    with tenant.lock:  # one lock for the whole batch: no other request interleaves
        return [intake.record_activity(tenant, a, intake.Outcome()) for a in activities]


def _answer(outcome: intake.Outcome, items: int, problems: list[dict[str, Any]]) -> Response:
    recorded = len(outcome.activities)
    answer: dict[str, Any] = {"processed": recorded, "ignored": items - recorded}
    if problems:
        answer["errors"] = problems
    return json_response(answer)


@bp.post("/analytics/<tenant_token>")
def track_one(tenant_token: str) -> Response:
    """One activity (A-1); resolved by P-4/P-6, answered 200 even when dropped (P-11)."""
    tenant = path_tenant(tenant_token)
    item = require_object(read_json(LIMIT_ANALYTICS, SINGLE_ROUTE), "An activity")
    activity = parse_activity(item, "the activity", tenant.clock.now_iso())
    (outcome,) = _record(tenant, [activity])
    note(outcome=outcome)
    return _answer(outcome, 1, [])


@bp.post("/analytics/bulk/<tenant_token>")
def track_bulk(tenant_token: str) -> Response:
    """An array of activities with no item cap, only the 32 MB body (A-1); an unusable item is
    reported in ``errors`` and the rest are recorded (R-7)."""
    tenant = path_tenant(tenant_token)
    items = require_array(read_json(LIMIT_ANALYTICS, BULK_ROUTE), "A bulk of activities")
    now = tenant.clock.now_iso()
    usable: list[tuple[int, intake.ActivityInput]] = []
    problems: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        try:
            usable.append(
                (index, parse_activity(require_object(item, f"Item {index}"), f"item {index}", now))
            )
        except errors.PlanhatError as exc:
            problems.append({"item": index, "error": exc.message})
    outcomes = [intake.Outcome().ignored(p["error"]) for p in problems]
    recorded = _record(tenant, [a for _, a in usable])
    by_index = dict(zip([i for i, _ in usable], recorded, strict=True))
    by_index.update({p["item"]: o for p, o in zip(problems, outcomes, strict=True)})
    outcome = merge_outcomes([by_index[i] for i in range(len(items))])
    if problems:
        outcome.decide("R-7")  # the per-item answer for unusable items is ours
    note(outcome=outcome)
    return _answer(outcome, len(items), problems)
