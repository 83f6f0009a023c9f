"""identify calls: reserved and custom traits, the email and the company key in every place
Segment and its senders put them (EC-2 … EC-5)."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from conformance.strategies._draw import (
    Event,
    EventMix,
    _chance,
    _context,
    _edge,
    _index,
    _pick,
    _rate,
    _weighted,
)
from conformance.strategies._envelope import _date_value, _envelope
from conformance.strategies._identities import (
    _COMPANY_NAMES,
    _FIRST_NAMES,
    IdentityPool,
    _company_key_value,
    _email_variant,
    _identity,
    _other_email,
    _over_pool,
    _person_names,
)
from conformance.strategies._values import _add_odd_items, _fit, _maybe_pad

_CAMEL_SPLIT = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _style_key(key: str, style: str) -> str:
    """``firstName`` as camel, ``first_name`` as snake, ``First Name`` as title (EC-5)."""
    words = [w.lower() for w in _CAMEL_SPLIT.split(key)]
    if style == "snake":
        return "_".join(words)
    if style == "title":
        return " ".join(w.capitalize() for w in words)
    return words[0] + "".join(w.capitalize() for w in words[1:])


_TITLES = ("CTO", "Head of Customer Success", "Software Engineer", "VP Sales")
_HOSTILE_TITLES = ("  CTO ", "Директор", "", "VP, Sales & Ops", "Chief 🚀 Officer")
_PLANS = ("free", "pro", "enterprise")
_OPTIONAL_TRAITS = (
    "title",
    "phone",
    "createdAt",
    "address",
    "age",
    "avatar",
    "birthday",
    "description",
    "gender",
    "username",
    "website",
    "plan",
    "logins",
    "betaUser",
)
_INDUSTRIES = ("Software", "Retail", "Healthcare", "Finance")


def _add_conflict(draw: DrawFn, traits: Event, pool: IdentityPool, person: int) -> None:
    """EC-5: the same trait twice, in different cases or styles, with different values."""
    kind = _weighted(draw, [("plan", 30), ("email", 25), ("first_name", 25), ("name", 20)])
    if kind == "email":
        traits.setdefault("email", pool.email(person))
        traits["Email"] = _other_email(draw, pool, person)
    elif kind == "first_name":
        traits["firstName"] = _FIRST_NAMES[person % len(_FIRST_NAMES)]
        traits["first_name"] = _FIRST_NAMES[(person + 1) % len(_FIRST_NAMES)]
    elif kind == "name":
        traits.setdefault("name", "Ada Lovelace")
        traits["Name"] = "Grace Hopper"
    else:
        traits["plan"] = "pro"
        traits["Plan"] = "free"
        traits["PLAN"] = "enterprise"


@st.composite
def _identify_event(draw: DrawFn, pool: IdentityPool, mix: EventMix) -> Event:
    person = _index(draw, pool.user_ids)
    ids, mode, user = _identity(draw, pool, person, mix, identify=True)
    envelope, _ = _envelope(draw, mix)
    traits: Event = {}

    styles = [("camel", 80), ("snake", 20), ("title", _rate(mix, 5, 15))]
    style = _weighted(draw, styles)

    def put(key: str, value: Any) -> None:
        traits.setdefault(_style_key(key, style), value)

    # EC-2: where the email is.
    email = _email_variant(draw, pool.email(person), mix)
    email_at = _weighted(
        draw,
        [("traits", 60), ("none", 12), ("context", 10), ("both_same", 10), ("both_different", 8)],
    )
    if email_at in ("traits", "both_same", "both_different"):
        traits["email"] = email
    context_email: str | None = None
    if email_at in ("context", "both_same"):
        context_email = email
    elif email_at == "both_different":
        context_email = _other_email(draw, pool, person)

    # EC-5: name vs firstName + lastName.
    first, last = _person_names(draw, person, mix)
    naming = _weighted(draw, [("none", 25), ("name", 25), ("first_last", 30), ("all", 20)])
    if naming in ("name", "all"):
        put("name", f"{first} {last}")
    if naming in ("first_last", "all"):
        put("firstName", first)
        put("lastName", last)

    # EC-3: the user key only in traits.id; the reserved `id` trait otherwise mirrors userId.
    if mode == "traits_id" or (mode in ("both", "user", "anonymous_null") and _chance(draw, 10)):
        traits["id"] = user

    # EC-4: where the company key is (P-3 order: companyId, company_id, company.id, context).
    group_index = _index(draw, pool.group_ids)
    company_key = _company_key_value(draw, pool.group_ids[group_index], mix)
    company_at = _weighted(
        draw,
        [
            ("none", 40),
            ("company", 20),
            ("companyId", 15),
            ("company_id", 10),
            ("company_name_only", 5),
            ("context", 10),
            ("several", _rate(mix, 2, 10)),
        ],
    )
    company_name = _COMPANY_NAMES[group_index % len(_COMPANY_NAMES)]
    if company_at in ("company", "company_name_only"):
        company: Event = {"name": company_name}
        if company_at == "company":
            company["id"] = company_key
        if _chance(draw, 40):
            company["industry"] = _pick(draw, _INDUSTRIES)
        if _chance(draw, 30):
            company["employee_count"] = draw(st.integers(1, 5_000))
        if _chance(draw, 30):
            company["plan"] = _pick(draw, _PLANS)
        traits["company"] = company
    elif company_at in ("companyId", "company_id"):
        traits[company_at] = company_key
    elif company_at == "context":
        _context(envelope)["groupId"] = company_key
    elif company_at == "several":
        # Conflicting company keys: P-3's decided order picks companyId.
        other = pool.group_ids[_index(draw, pool.group_ids)]
        traits["companyId"] = company_key
        traits["company_id"] = other
        traits["company"] = {"name": company_name, "id": other}
        _context(envelope)["groupId"] = other

    # Reserved traits (Segment's identify spec) and a few ordinary custom ones, each optional.
    chosen = set(draw(st.lists(st.sampled_from(_OPTIONAL_TRAITS), unique=True, max_size=6)))
    if "title" in chosen:
        odd_title = _edge(draw, mix, 8, 30)
        put("title", _pick(draw, _HOSTILE_TITLES if odd_title else _TITLES))
    if "phone" in chosen:
        put("phone", "+46 70 123 45 67")
    if "createdAt" in chosen:
        put("createdAt", _date_value(draw, mix))
    if "address" in chosen:
        address = {"street": "1 Main St", "city": "Stockholm", "state": "", "postalCode": "111 22"}
        put("address", {**address, "country": "SE"})
    if "age" in chosen:
        put("age", draw(st.integers(18, 90)))
    if "avatar" in chosen:
        put("avatar", "https://example.com/avatar.png")
    if "birthday" in chosen:
        put("birthday", _pick(draw, ["1990-05-01", "1990-05-01T00:00:00.000Z"]))
    if "description" in chosen:
        put("description", "Power user")
    if "gender" in chosen:
        put("gender", _pick(draw, ["female", "male", "non-binary"]))
    if "username" in chosen:
        put("username", f"{first.strip().lower()}{person}")
    if "website" in chosen:
        put("website", "https://example.com")
    if "plan" in chosen:  # custom traits: P-5 writes scalars to custom
        put("plan", _pick(draw, _PLANS))
    if "logins" in chosen:
        put("logins", draw(st.integers(0, 500)))
    if "betaUser" in chosen:
        put("betaUser", draw(st.booleans()))

    _add_odd_items(draw, traits, mix)
    if _edge(draw, mix, 3, 25):
        _add_conflict(draw, traits, pool, person)

    event: Event = {"type": "identify", **ids}
    if _chance(draw, _rate(mix, 98, 95)):  # traits are optional too
        event["traits"] = traits
    event.update(envelope)
    if context_email is not None:
        _context(event).setdefault("traits", {})["email"] = context_email
    _maybe_pad(draw, event, mix, "traits")
    return _fit(event)


def identify_events(
    pool: IdentityPool | None = None, mix: EventMix = "realistic"
) -> SearchStrategy[Event]:
    """identify calls: reserved and custom traits, email and company keys in every place."""
    return _over_pool(pool, mix, _identify_event)
