"""Any event, and sequences of events over one identity pool: the mixes' kind weights."""

from __future__ import annotations

import copy
import warnings
from collections.abc import Callable, Collection

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from conformance.strategies._draw import Event, EventMix, _check_mix, _index, _rate, _weighted
from conformance.strategies._engage import (
    _engage_audience_event,
    _engage_audience_sync,
    _engage_computed_trait_event,
)
from conformance.strategies._envelope import _fresh_message_id
from conformance.strategies._group import _group_event
from conformance.strategies._identify import _identify_event
from conformance.strategies._identities import IdentityPool, _identity_pool
from conformance.strategies._other_types import (
    EVENT_TYPES,
    _alias_event,
    _delete_event,
    _unknown_type_event,
)
from conformance.strategies._page import _page_event, _screen_event
from conformance.strategies._track import _track_event

# Kinds of single events, plainest first. b2b counts as track and engage as identify for the
# ``types`` filter.
_KIND_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("identify", 24),
    ("track", 24),
    ("page", 12),
    ("group", 12),
    ("b2b", 8),
    ("engage", 6),
    ("screen", 4),
    ("alias", 4),
    ("delete", 3),
    ("unknown", 3),
)
_KIND_TYPE = {"b2b": "track", "engage": "identify"}

_BUILDERS: dict[str, Callable[[IdentityPool, EventMix], SearchStrategy[Event]]] = {
    "identify": _identify_event,
    "track": lambda pool, mix: _track_event(pool, mix, False),
    "page": _page_event,
    "group": lambda pool, mix: _group_event(pool, mix, None),
    "b2b": lambda pool, mix: _track_event(pool, mix, True),
    "engage": _engage_audience_event,
    "screen": _screen_event,
    "alias": _alias_event,
    "delete": _delete_event,
    "unknown": _unknown_type_event,
}


def _kind_table(types: Collection[str] | None) -> tuple[tuple[str, int], ...]:
    if types is None:
        allowed = set(EVENT_TYPES)
    else:
        if isinstance(types, str):
            raise TypeError(f"types must be a collection of type names, not the string {types!r}")
        allowed = set(types)
        unknown = allowed - set(EVENT_TYPES)
        if unknown:
            raise ValueError(
                f"unknown event types {sorted(unknown)!r}; choose from {list(EVENT_TYPES)!r}"
            )
        if not allowed:
            raise ValueError(f"types must name at least one of {list(EVENT_TYPES)!r}")
    return tuple((kind, w) for kind, w in _KIND_WEIGHTS if _KIND_TYPE.get(kind, kind) in allowed)


@st.composite
def _any_event(
    draw: DrawFn, pool: IdentityPool | None, mix: EventMix, kinds: tuple[tuple[str, int], ...]
) -> Event:
    chosen_pool = pool if pool is not None else draw(_identity_pool(mix))
    kind = _weighted(draw, kinds)
    return draw(_BUILDERS[kind](chosen_pool, mix))


def _chosen_mix(mix: EventMix, profile: EventMix | None) -> EventMix:
    if profile is not None:
        warnings.warn(
            "the 'profile' argument is now called 'mix' (the event mix, as in --events)",
            DeprecationWarning,
            stacklevel=3,
        )
        mix = profile
    _check_mix(mix)
    return mix


def segment_events(
    mix: EventMix = "realistic",
    pool: IdentityPool | None = None,
    types: Collection[str] | None = None,
    *,
    profile: EventMix | None = None,
) -> SearchStrategy[Event]:
    """One event of any type: mostly identify, track, page and group (with Engage audiences and
    B2B events among them), some screen, alias, delete and unknown types. ``types`` restricts
    the choice to names from :data:`EVENT_TYPES`. ``mix``: ``"realistic"`` (the default: what
    Segment's senders send, every edge case now and then) or ``"hostile"`` (edge cases
    dominate). ``profile`` is the old, deprecated name of ``mix``."""
    chosen = _chosen_mix(mix, profile)
    return _any_event(pool, chosen, _kind_table(types))


@st.composite
def _event_sequence(
    draw: DrawFn,
    mix: EventMix,
    min_size: int,
    max_size: int,
    kinds: tuple[tuple[str, int], ...],
) -> list[Event]:
    pool = draw(_identity_pool(mix))
    target = draw(st.integers(min_size, max_size))
    engage = any(kind == "engage" for kind, _ in kinds)
    events: list[Event] = []
    taken: set[str] = set()

    def add(event: Event, *, redelivery: bool = False) -> None:
        message_id = event.get("messageId")
        if isinstance(message_id, str) and not redelivery:
            # Only deliberate redeliveries share a messageId (draws can collide when shrunk).
            if message_id in taken:
                event["messageId"] = message_id = _fresh_message_id(message_id, taken)
            taken.add(message_id)
        events.append(event)

    while len(events) < target:
        step = _weighted(
            draw,
            [
                ("event", 70),
                ("audience_sync", 10 if engage else 0),
                ("computed_trait", 4 if engage else 0),
                ("redelivery", _rate(mix, 2, 8) if events else 0),  # EC-12 same messageId
                ("near_duplicate", _rate(mix, 2, 8) if events else 0),  # EC-12 new messageId
            ],
        )
        if step == "event":
            add(draw(_any_event(pool, mix, kinds)))
        elif step == "audience_sync":
            for event in draw(_engage_audience_sync(pool, mix)):
                add(event)
        elif step == "computed_trait":
            add(draw(_engage_computed_trait_event(pool, mix)))
        else:
            original = events[_index(draw, events)]
            add(copy.deepcopy(original), redelivery=step == "redelivery")
    return events[:target]


def event_sequences(
    mix: EventMix = "realistic",
    min_size: int = 1,
    max_size: int = 12,
    types: Collection[str] | None = None,
    *,
    profile: EventMix | None = None,
) -> SearchStrategy[list[Event]]:
    """Events over one shared :class:`IdentityPool`, so identities recur. Includes Engage audience
    histories, redeliveries (same event, same messageId) and near-duplicates (same content, new
    messageId). ``profile`` is the old, deprecated name of ``mix``."""
    chosen = _chosen_mix(mix, profile)
    if not 0 <= min_size <= max_size:
        raise ValueError(f"need 0 <= min_size <= max_size, got {min_size} and {max_size}")
    return _event_sequence(chosen, min_size, max_size, _kind_table(types))
