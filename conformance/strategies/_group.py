"""group calls, some of them Engage account-level audiences (boolean traits)."""

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
from conformance.strategies._engage import (
    _ACCOUNT_AUDIENCE_KEYS,
    _SPACES,
    _audience_value,
    _personas,
)
from conformance.strategies._envelope import _date_value, _envelope
from conformance.strategies._identify import _INDUSTRIES, _PLANS
from conformance.strategies._identities import (
    _COMPANY_NAMES,
    _HOSTILE_COMPANY_NAMES,
    IdentityPool,
    _company_key_value,
    _identity,
    _over_pool,
)
from conformance.strategies._values import _add_odd_items, _fit, _maybe_pad


@st.composite
def _group_event(draw: DrawFn, pool: IdentityPool, mix: EventMix, audience: bool | None) -> Event:
    account_audience = _chance(draw, 8) if audience is None else audience
    index = _index(draw, pool.group_ids)
    group_id = _company_key_value(draw, pool.group_ids[index], mix)
    person = _index(draw, pool.user_ids)
    ids, _, _ = _identity(draw, pool, person, mix, identify=False)
    envelope, _ = _envelope(draw, mix, engage=account_audience)

    traits: Event = {}
    if _chance(draw, 70):
        name = _COMPANY_NAMES[index % len(_COMPANY_NAMES)]
        if _edge(draw, mix, 6, 30):
            name = _pick(draw, _HOSTILE_COMPANY_NAMES)
        traits["name"] = name
    if _chance(draw, 30):
        traits["industry"] = _pick(draw, _INDUSTRIES)
    if _chance(draw, 30):
        # Documented as a string, sent as a number in Segment's own example.
        employees = draw(st.integers(1, 10_000))
        traits["employees"] = str(employees) if _chance(draw, 50) else employees
    if _chance(draw, 30):
        traits["plan"] = _pick(draw, _PLANS)
    if _chance(draw, 20):
        traits["website"] = "https://www.example.com"
    if _chance(draw, 20):
        traits["createdAt"] = _date_value(draw, mix)
    # Numeric traits become metric data points (P-7).
    if _chance(draw, 15):
        traits["total billed"] = draw(st.integers(0, 10_000_000)) / 100
    if _chance(draw, 30):
        traits["mrr"] = draw(st.integers(0, 1_000_000)) / 100
    if _chance(draw, 20):
        traits["seats"] = draw(st.integers(1, 500))
    if account_audience:
        key = _pick(draw, _ACCOUNT_AUDIENCE_KEYS)
        traits[key] = _audience_value(draw, _pick(draw, [True, False]), mix)
        _context(envelope)["personas"] = _personas(draw, "audience", key, draw(_SPACES))
    _add_odd_items(draw, traits, mix)

    event: Event = {"type": "group", **ids}
    if not _edge(draw, mix, 1, 3):  # P-7: a group without groupId is ignored
        event["groupId"] = group_id
    if account_audience or _chance(draw, _rate(mix, 90, 95)):  # optional; shrinks to absent
        event["traits"] = traits
    event.update(envelope)
    if _chance(draw, 20):
        # EC-4: context.groupId naming another account than groupId.
        others = [g for g in pool.group_ids if str(g) != str(group_id)]
        _context(event)["groupId"] = _pick(draw, others) if others else f"{group_id}-other"
    elif _chance(draw, 10):
        _context(event)["groupId"] = group_id
    _maybe_pad(draw, event, mix, "traits")
    return _fit(event)


def group_events(
    pool: IdentityPool | None = None, mix: EventMix = "realistic"
) -> SearchStrategy[Event]:
    """group calls, some of them Engage account-level audiences (boolean traits)."""
    return _over_pool(pool, mix, lambda p, m: _group_event(p, m, None))
