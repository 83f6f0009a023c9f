"""Engage: audience entries and exits, and computed traits, as identify calls (EC-14)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from conformance.strategies._draw import Event, EventMix, _chance, _edge, _index, _pick, _weighted
from conformance.strategies._envelope import _BASE62, _envelope, _recent_moments
from conformance.strategies._identities import (
    IdentityPool,
    _email_variant,
    _other_email,
    _over_pool,
    _user_key,
)
from conformance.strategies._values import _fit

_AUDIENCE_KEYS = ("order_completed_last_30days", "high_value_users", "trial_users", "churn_risk")
_HOSTILE_AUDIENCE_KEYS = ("Order Completed Last 30 Days", "aud.v2", "$vip", "🔥_users")
_ACCOUNT_AUDIENCE_KEYS = ("high_value_accounts", "expansion_ready", "at_risk_accounts")


def _audience_value(draw: DrawFn, entered: bool, mix: EventMix) -> bool | str:
    """True / False; legacy journeys sent the strings "true" / "false" (EC-14)."""
    if _edge(draw, mix, 8, 15):
        return "true" if entered else "false"
    return entered


def _personas(draw: DrawFn, computation_class: str, key: str, space: str) -> Event:
    prefix = {"audience": "aud", "trait": "tra", "journey_step": "jou"}[computation_class]
    computation_id = draw(st.text(_BASE62, min_size=27, max_size=27))
    return {
        "computation_class": computation_class,
        "computation_id": f"{prefix}_{computation_id}",
        "computation_key": key,
        "namespace": f"spa_{space}",
        "space_id": f"spa_{space}",
    }


_SPACES = st.text(_BASE62, min_size=22, max_size=22)


def _engage_identify(
    draw: DrawFn,
    pool: IdentityPool,
    mix: EventMix,
    *,
    person: int,
    traits: Event,
    personas: Event,
    identifier: str,
    base: datetime | None = None,
) -> Event:
    """One Engage identify: personas context, {"All": false, "Planhat": true}, sentAt null."""
    envelope, _ = _envelope(draw, mix, engage=True, base=base)
    envelope["context"]["personas"] = personas
    traits = dict(traits)
    ids: Event
    if identifier == "user_id":
        ids = {"userId": _user_key(draw, pool, person)}
        if _chance(draw, 50):
            traits["email"] = pool.email(person)
    elif identifier == "email":
        # One event per identifier: the email identifier's event differs in ids and email.
        mailbox = _pick(draw, [pool.email(person), _other_email(draw, pool, person)])
        email = _email_variant(draw, mailbox, mix)
        ids = {"anonymousId": pool.anonymous_id(person)}
        if _chance(draw, 50):
            ids["userId"] = _user_key(draw, pool, person)
        traits["email"] = email
        envelope["context"]["traits"] = {"email": email}
    else:
        ids = {"anonymousId": pool.anonymous_id(person)}
    event: Event = {"type": "identify", **ids, "traits": traits, **envelope}
    return _fit(event)


def _audience_key(draw: DrawFn, mix: EventMix) -> str:
    if _edge(draw, mix, 4, 20):
        return _pick(draw, _HOSTILE_AUDIENCE_KEYS)
    return _pick(draw, _AUDIENCE_KEYS)


@st.composite
def _engage_audience_event(draw: DrawFn, pool: IdentityPool, mix: EventMix) -> Event:
    key = _audience_key(draw, mix)
    person = _index(draw, pool.user_ids)
    value = _audience_value(draw, _pick(draw, [True, False]), mix)
    identifier = _weighted(draw, [("user_id", 70), ("email", 20), ("anonymous_id", 10)])
    personas = _personas(draw, "audience", key, draw(_SPACES))
    return _engage_identify(
        draw,
        pool,
        mix,
        person=person,
        traits={key: value},
        personas=personas,
        identifier=identifier,
    )


# EC-14: membership histories of one person in one audience, simplest first.
_AUDIENCE_PATTERNS: tuple[tuple[tuple[str, tuple[bool, ...]], int], ...] = (
    (("enter", (True,)), 25),
    (("enter_exit", (True, False)), 25),
    (("exit_without_entry", (False,)), 15),
    (("repeated_entry", (True, True)), 15),
    (("enter_exit_enter", (True, False, True)), 10),
    (("several_identifiers", (True,)), 10),
)


@st.composite
def _engage_audience_sync(draw: DrawFn, pool: IdentityPool, mix: EventMix) -> list[Event]:
    name, memberships = _weighted(draw, _AUDIENCE_PATTERNS)
    key = _audience_key(draw, mix)
    person = _index(draw, pool.user_ids)
    personas = _personas(draw, "audience", key, draw(_SPACES))
    start = draw(_recent_moments())
    legacy = _edge(draw, mix, 8, 15)
    identifiers = ["user_id", "email"] if name == "several_identifiers" else ["user_id"]
    events: list[Event] = []
    for step, entered in enumerate(memberships):
        value: bool | str = ("true" if entered else "false") if legacy else entered
        for identifier in identifiers:
            events.append(
                _engage_identify(
                    draw,
                    pool,
                    mix,
                    person=person,
                    traits={key: value},
                    personas=copy.deepcopy(personas),
                    identifier=identifier,
                    base=start + timedelta(hours=step),  # later syncs carry later timestamps
                )
            )
    return events


_COMPUTED_TRAITS: tuple[tuple[str, SearchStrategy[Any]], ...] = (
    ("orders_count", st.integers(0, 500)),
    ("lifetime_value", st.integers(0, 10_000_000).map(lambda c: c / 100)),
    ("favourite_category", st.sampled_from(["Books", "Games", "Garden"])),
    ("last_order_date", st.sampled_from(["2025-03-01T09:30:00.000Z", "2024-12-24T18:00:00.000Z"])),
    ("top_products", st.lists(st.sampled_from(["SKU-1", "SKU-2", "SKU-3"]), max_size=3)),
)


@st.composite
def _engage_computed_trait_event(draw: DrawFn, pool: IdentityPool, mix: EventMix) -> Event:
    key, values = _pick(draw, _COMPUTED_TRAITS)
    person = _index(draw, pool.user_ids)
    personas = _personas(draw, "trait", key, draw(_SPACES))
    return _engage_identify(
        draw,
        pool,
        mix,
        person=person,
        traits={key: draw(values)},
        personas=personas,
        identifier="user_id",
    )


def engage_audience_events(
    pool: IdentityPool | None = None, mix: EventMix = "realistic"
) -> SearchStrategy[Event]:
    """One Engage audience identify: a boolean trait named by the audience key (now and then
    the legacy strings "true"/"false")."""
    return _over_pool(pool, mix, _engage_audience_event)


def engage_audience_syncs(
    pool: IdentityPool | None = None, mix: EventMix = "realistic"
) -> SearchStrategy[list[Event]]:
    """One person's history in one audience: entry, entry then exit, exit without entry,
    repeated entry, re-entry, or one event per identifier (EC-14)."""
    return _over_pool(pool, mix, _engage_audience_sync)


def engage_computed_trait_events(
    pool: IdentityPool | None = None, mix: EventMix = "realistic"
) -> SearchStrategy[Event]:
    """Engage computed traits: a number, string, ISO date or array under the trait key."""
    return _over_pool(pool, mix, _engage_computed_trait_event)
