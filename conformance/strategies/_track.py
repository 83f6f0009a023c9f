"""track calls, B2B SaaS events among them (the account in ``context.groupId``)."""

from __future__ import annotations

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
)
from conformance.strategies._envelope import _envelope
from conformance.strategies._identify import _PLANS
from conformance.strategies._identities import (
    IdentityPool,
    _company_key_value,
    _email_variant,
    _identity,
    _over_pool,
    _person_names,
    _user_key,
)
from conformance.strategies._values import _add_odd_items, _fit, _maybe_pad

_TRACK_EVENTS = (
    "Order Completed",
    "Feature Used",
    "Button Clicked",
    "Report Exported",
    "Product Viewed",
    "Checkout Started",
)
_HOSTILE_TRACK_EVENTS = (
    "order completed",
    "ORDER COMPLETED",
    " Order Completed ",
    "Order  Completed",
    "Feature Used!?",
    "🚀 Launched",
    "a.b/c $x",
    "Order\u0000Completed",
    "Läs mer",
    "تم الطلب",
    "",
)
_B2B_EVENTS = (
    "Account Created",
    "Signed Up",
    "Trial Started",
    "Trial Ended",
    "Invite Sent",
    "Account Added User",
    "Subscription Started",
    "Account Deleted",
)


def _track_properties(draw: DrawFn, mix: EventMix) -> Event:
    properties: Event = {}
    if _chance(draw, 35):
        properties["revenue"] = draw(st.integers(0, 50_000)) / 100
        properties["currency"] = _pick(draw, ["USD", "EUR", "SEK", "JPY"])
    if _chance(draw, 20):
        properties["value"] = draw(st.integers(0, 1_000))
    for key, value in draw(
        st.lists(
            st.sampled_from(
                [
                    ("feature", "Reports"),
                    ("plan", "pro"),
                    ("sku", "SKU-1"),
                    ("seats", 5),
                    ("source", "web"),
                ]
            ),
            max_size=2,
        )
    ):
        properties.setdefault(key, value)
    if _edge(draw, mix, 4, 20):
        key, value = _pick(
            draw,
            [
                ("revenue", "19.99"),
                ("revenue", -5),
                ("revenue", 1e21),
                ("revenue", 20.0),
                ("currency", "usd"),
                ("value", None),
            ],
        )
        properties[key] = value
    _add_odd_items(draw, properties, mix, most=3)
    return properties


def _add_context_traits(
    draw: DrawFn, event: Event, pool: IdentityPool, person: int, mix: EventMix
) -> None:
    """User traits on a non-identify call (A-6 and P-2 read context.traits.email)."""
    traits: Event = {"email": _email_variant(draw, pool.email(person), mix)}
    if _chance(draw, 50):
        first, last = _person_names(draw, person, mix)
        traits["name"] = f"{first} {last}"
    _context(event)["traits"] = traits


@st.composite
def _track_event(draw: DrawFn, pool: IdentityPool, mix: EventMix, b2b: bool | None) -> Event:
    is_b2b = _chance(draw, 20) if b2b is None else b2b
    person = _index(draw, pool.user_ids)
    if is_b2b:
        # Sent server-side once the account exists: a user id and the account in context.groupId.
        user = _user_key(draw, pool, person)
        ids: Event = {"userId": user}
        if _chance(draw, 50):
            ids["anonymousId"] = pool.anonymous_id(person)
        name = _pick(draw, _B2B_EVENTS)
    else:
        ids, _, _ = _identity(draw, pool, person, mix, identify=False)
        if _edge(draw, mix, 5, 30):
            name = draw(st.one_of(st.sampled_from(_HOSTILE_TRACK_EVENTS), st.text(max_size=30)))
        else:
            name = _pick(draw, _TRACK_EVENTS)
    envelope, _ = _envelope(draw, mix, prefer="server" if is_b2b else None)
    event: Event = {"type": "track", **ids, "event": name}
    # properties are optional (Segment's spec); absent is the plainest, so it shrinks there
    if is_b2b or _chance(draw, _rate(mix, 96, 90)):
        properties = _track_properties(draw, mix)
        if is_b2b:
            properties.setdefault("plan", _pick(draw, _PLANS))
        event["properties"] = properties
    event.update(envelope)
    group_id = pool.group_ids[_index(draw, pool.group_ids)]
    if is_b2b or _chance(draw, 15):
        _context(event)["groupId"] = _company_key_value(draw, group_id, mix)
    if _chance(draw, 35):
        _add_context_traits(draw, event, pool, person, mix)
    _maybe_pad(draw, event, mix, "properties")
    return _fit(event)


def track_events(
    pool: IdentityPool | None = None, mix: EventMix = "realistic"
) -> SearchStrategy[Event]:
    """track calls, about one in five a B2B SaaS event with context.groupId."""
    return _over_pool(pool, mix, lambda p, m: _track_event(p, m, None))


def b2b_track_events(
    pool: IdentityPool | None = None, mix: EventMix = "realistic"
) -> SearchStrategy[Event]:
    """B2B SaaS track calls ("Account Created", "Signed Up", "Trial Started" …) whose account
    is in context.groupId."""
    return _over_pool(pool, mix, lambda p, m: _track_event(p, m, True))
