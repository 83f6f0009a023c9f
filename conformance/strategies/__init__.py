"""Hypothesis strategies for Segment events as a destination receives them.

    from hypothesis import given
    from conformance.strategies import event_sequences, segment_events

    @given(segment_events())                 # the default mix, as `planhat-conformance run`
    def test_my_destination_never_crashes(event): ...

Two **event mixes** (the CLI's ``--events``):

- ``realistic`` (the default, the one users run): what Segment's libraries and Engage really
  send (analytics.js / analytics-next, analytics-node, analytics-python, the mobile libraries,
  Engage audiences, B2B SaaS tracking), with every edge case below mixed in at a low rate, tuned
  so that the default budget of 300 sequences meets each of them several times;
- ``hostile``: the same edge cases made common.

Generators cover Segment's value space in every position (ids, traits, properties, context,
integrations, the envelope): every JSON type; numbers whose int and float forms differ (``1``
and ``1.0``, ``-0.0``, ``1e21``, integers above 2**53); strings a normaliser, trimmer or filter
would change (NFC vs NFD, zero-width and bidi marks, astral emoji, control characters and
``\\u0000``, surrounding spaces); unusual keys (spaces, dots, ``$``, the empty key, very long);
empty and nested containers; every field optional where Segment allows it, envelope fields
included (they shrink to absent, so a minimal failing example keeps only what matters); every
``integrations`` value shape (booleans, options objects empty or not, the ``All`` fallback,
other-case names). The numbered edge cases (EC-1 … EC-15 in comments) are:

1. anonymous-only events; identify with traits only; ``userId`` only; ``anonymousId: null``;
2. email only in ``traits.email``, only in ``context.traits.email``, both and different; email
   as ``userId``; mixed-case emails;
3. the user id only in ``traits.id`` or a top-level ``user_id``; numeric ids; ``"00123"``;
   empty and whitespace ids;
4. ``context.groupId`` differing from ``groupId``; the company key in ``traits.companyId``,
   ``traits.company_id`` or ``traits.company.id`` (string or number);
5. camelCase, snake_case and "Title Case" trait keys, conflicting duplicates; ``name`` vs
   ``firstName`` + ``lastName``; surrounding spaces;
6. nested objects, arrays, empty containers, keys with spaces, dots, ``$``; ``null`` values;
7. type drift: numbers as strings, ``"true"``, dates with and without zone, epoch numbers;
8. numbers: 0, negative, floats, ``1e21``, integers above 2**53;
9. unicode: astral emoji, combining marks, right-to-left text, zero-width joiners, ``\\u0000``;
10. long strings up to the 32 KB event limit;
11. timestamp forms (``Z``, ``+00:00``, ``+02:00``; ms, µs, ns), far future and past, missing;
12. redelivered events (same ``messageId``) and near-duplicates (new ``messageId``);
13. ``integrations`` variants: ``{"Planhat": false}``, ``{"planhat": false}``, options objects;
14. Engage audience entry and exit pairs, exit without entry, repeated entries, ``"true"``;
15. screen, alias, delete and unknown types.

Events are drawn over a small :class:`IdentityPool`, so a sequence keeps meeting the same users,
emails and companies. Every choice shrinks to its plainest option.
"""

from __future__ import annotations

from conformance.strategies._draw import MAX_EVENT_BYTES, MIXES, Event, EventMix, event_size
from conformance.strategies._engage import (
    engage_audience_events,
    engage_audience_syncs,
    engage_computed_trait_events,
)
from conformance.strategies._group import group_events
from conformance.strategies._identify import identify_events
from conformance.strategies._identities import IdentityPool, identity_pools
from conformance.strategies._mixes import event_sequences, segment_events
from conformance.strategies._other_types import (
    EVENT_TYPES,
    alias_events,
    delete_events,
    unknown_type_events,
)
from conformance.strategies._page import page_events, screen_events
from conformance.strategies._track import b2b_track_events, track_events
from conformance.strategies._values import json_values

__all__ = [
    "EVENT_TYPES",
    "MAX_EVENT_BYTES",
    "MIXES",
    "Event",
    "EventMix",
    "IdentityPool",
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
    "json_values",
    "page_events",
    "screen_events",
    "segment_events",
    "track_events",
    "unknown_type_events",
]
