"""alias, delete and unknown types: what the Planhat destination skips or refuses (T-2, T-3)."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from conformance.strategies._draw import Event, EventMix, _chance, _edge, _index, _pick
from conformance.strategies._envelope import _envelope
from conformance.strategies._identities import IdentityPool, _identity, _over_pool, _user_key
from conformance.strategies._values import _fit, _maybe_pad

#: Names accepted by the ``types`` argument. ``unknown`` selects events of an unknown type;
#: Engage audience identifies count as ``identify``, B2B SaaS events as ``track``.
EVENT_TYPES: tuple[str, ...] = (
    "identify",
    "track",
    "page",
    "group",
    "screen",
    "alias",
    "delete",
    "unknown",
)
_REAL_TYPES = frozenset(EVENT_TYPES) - {"unknown"}


@st.composite
def _alias_event(draw: DrawFn, pool: IdentityPool, mix: EventMix) -> Event:
    person = _index(draw, pool.user_ids)
    user = _user_key(draw, pool, person)
    previous: str | int = pool.anonymous_id(person)
    if _edge(draw, mix, 6, 30):
        other = pool.user_ids[_index(draw, pool.user_ids)]
        previous = _pick(draw, [other, user, "", 123])
    event: Event = {"type": "alias", "userId": user, "previousId": previous}
    if _chance(draw, 30):
        event["anonymousId"] = pool.anonymous_id(person)  # analytics.js sends it too
    envelope, _ = _envelope(draw, mix)
    event.update(envelope)
    _maybe_pad(draw, event, mix, None)
    return _fit(event)


@st.composite
def _delete_event(draw: DrawFn, pool: IdentityPool, mix: EventMix) -> Event:
    person = _index(draw, pool.user_ids)
    ids, _, _ = _identity(draw, pool, person, mix, identify=False)
    envelope, _ = _envelope(draw, mix, prefer="server")
    event: Event = {"type": "delete", **ids, **envelope}
    _maybe_pad(draw, event, mix, None)
    return _fit(event)


_UNKNOWN_TYPES = ("batch", "merge", "experiment_viewed")
# Wrong case and stray spaces are other types too (T-3): type names are exact.
_HOSTILE_UNKNOWN_TYPES = ("Identify", "TRACK", "", " page", "page ")


@st.composite
def _unknown_type_event(draw: DrawFn, pool: IdentityPool, mix: EventMix) -> Event:
    if _edge(draw, mix, 6, 30):
        type_ = draw(st.text(max_size=12).filter(lambda t: t not in _REAL_TYPES))
    elif _edge(draw, mix, 8, 40):
        type_ = _pick(draw, _HOSTILE_UNKNOWN_TYPES)
    else:
        type_ = _pick(draw, _UNKNOWN_TYPES)
    person = _index(draw, pool.user_ids)
    ids, _, _ = _identity(draw, pool, person, mix, identify=False)
    envelope, _ = _envelope(draw, mix)
    event: Event = {"type": type_, **ids}
    if _chance(draw, 50):
        event["properties"] = {"source": "custom"}
    event.update(envelope)
    _maybe_pad(draw, event, mix, None)
    return _fit(event)


def alias_events(
    pool: IdentityPool | None = None, mix: EventMix = "realistic"
) -> SearchStrategy[Event]:
    """alias calls: userId and previousId."""
    return _over_pool(pool, mix, _alias_event)


def delete_events(
    pool: IdentityPool | None = None, mix: EventMix = "realistic"
) -> SearchStrategy[Event]:
    """user deletion requests (type ``delete``)."""
    return _over_pool(pool, mix, _delete_event)


def unknown_type_events(
    pool: IdentityPool | None = None, mix: EventMix = "realistic"
) -> SearchStrategy[Event]:
    """Events whose ``type`` is none of Segment's (including wrong-case ``Identify``)."""
    return _over_pool(pool, mix, _unknown_type_event)
