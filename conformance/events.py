"""Deprecated: the event strategies live in :mod:`conformance.strategies` now.

This module only re-exports them for code that still imports ``conformance.events``;
``Profile`` is the old name of :data:`conformance.strategies.EventMix`.
"""

from __future__ import annotations

from typing import TypeAlias

from conformance.strategies import (
    EVENT_TYPES,
    MAX_EVENT_BYTES,
    Event,
    EventMix,
    IdentityPool,
    alias_events,
    b2b_track_events,
    delete_events,
    engage_audience_events,
    engage_audience_syncs,
    engage_computed_trait_events,
    event_sequences,
    event_size,
    group_events,
    identify_events,
    identity_pools,
    page_events,
    screen_events,
    segment_events,
    track_events,
    unknown_type_events,
)

Profile: TypeAlias = EventMix

__all__ = [
    "EVENT_TYPES",
    "MAX_EVENT_BYTES",
    "Event",
    "IdentityPool",
    "Profile",
    "alias_events",
    "b2b_track_events",
    "delete_events",
    "engage_audience_events",
    "engage_audience_syncs",
    "engage_computed_trait_events",
    "event_sequences",
    "event_size",
    "group_events",
    "identify_events",
    "identity_pools",
    "page_events",
    "screen_events",
    "segment_events",
    "track_events",
    "unknown_type_events",
]
