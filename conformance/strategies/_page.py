"""page and screen calls: optional name and category, properties mirroring context.page."""

from __future__ import annotations

import copy

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
from conformance.strategies._envelope import _envelope, _page_location
from conformance.strategies._identities import IdentityPool, _identity, _over_pool
from conformance.strategies._track import _add_context_traits
from conformance.strategies._values import _add_odd_items, _fit, _maybe_pad


@st.composite
def _page_event(draw: DrawFn, pool: IdentityPool, mix: EventMix) -> Event:
    person = _index(draw, pool.user_ids)
    ids, _, _ = _identity(draw, pool, person, mix, identify=False)
    envelope, _ = _envelope(draw, mix, prefer="browser")
    location = _page_location(draw, mix)
    context = envelope.get("context")
    if isinstance(context, dict) and isinstance(context.get("page"), dict):
        location = copy.deepcopy(context["page"])  # properties mirror context.page
    event: Event = {"type": "page", **ids}
    # name and category are optional; P-6 derives the activity name from them.
    if _chance(draw, 70):
        names = _pick(draw, ["Home", "Pricing", "Docs", "Signup"])
        if _edge(draw, mix, 4, 25):
            names = _pick(draw, ["", " Pricing ", "Prix €", "🚀", "pricing"])
        event["name"] = names
        location.setdefault("name", names)
    if _chance(draw, 40):
        category = _pick(draw, ["Marketing", "Docs", "Product"])
        if _edge(draw, mix, 4, 25):
            category = _pick(draw, ["", " Docs", "ドキュメント"])
        event["category"] = category
    properties: Event = location
    if _chance(draw, 30):
        keywords: list[str] = ["segment", "planhat"]
        if _edge(draw, mix, 10, 100):
            keywords = list(_pick(draw, [[], ["segment"], ["segment", "planhat", "segment"]]))
        properties["keywords"] = keywords
    _add_odd_items(draw, properties, mix, most=2)
    if _chance(draw, _rate(mix, 96, 90)):  # optional; shrinks to absent
        event["properties"] = properties
    event.update(envelope)
    if _chance(draw, 25):
        _add_context_traits(draw, event, pool, person, mix)
    if _chance(draw, 10):
        _context(event)["groupId"] = pool.group_ids[_index(draw, pool.group_ids)]
    _maybe_pad(draw, event, mix, "properties")
    return _fit(event)


@st.composite
def _screen_event(draw: DrawFn, pool: IdentityPool, mix: EventMix) -> Event:
    person = _index(draw, pool.user_ids)
    ids, _, _ = _identity(draw, pool, person, mix, identify=False)
    envelope, _ = _envelope(draw, mix, prefer="mobile")
    event: Event = {"type": "screen", **ids}
    if _chance(draw, 80):
        event["name"] = _pick(draw, ["Dashboard", "Settings", "Onboarding Step 1"])
    properties: Event = {}
    if _chance(draw, 30):
        properties["variant"] = _pick(draw, ["a", "b"])
    _add_odd_items(draw, properties, mix, most=2)
    if _chance(draw, _rate(mix, 96, 90)):
        event["properties"] = properties
    event.update(envelope)
    _maybe_pad(draw, event, mix, "properties")
    return _fit(event)


def page_events(
    pool: IdentityPool | None = None, mix: EventMix = "realistic"
) -> SearchStrategy[Event]:
    """page calls with optional name and category."""
    return _over_pool(pool, mix, _page_event)


def screen_events(
    pool: IdentityPool | None = None, mix: EventMix = "realistic"
) -> SearchStrategy[Event]:
    """screen calls (unsupported by the Planhat destination, T-3)."""
    return _over_pool(pool, mix, _screen_event)
