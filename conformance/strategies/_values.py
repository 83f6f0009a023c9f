"""Values: Segment's whole JSON value space, in every position a destination must pass through.

Curated tables name each class a destination can get wrong (EC-6 … EC-10 plus the issue's
gaps): numbers whose int and float forms differ, type drift, container shapes, odd keys,
strings a normaliser, trimmer or control-character filter would change. Free-form JSON comes
last. ``_add_odd_items`` puts a few of them into a payload (traits, properties, context); the
default mix does so now and then, the hostile mix often.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from conformance.strategies._draw import (
    MAX_EVENT_BYTES,
    Event,
    EventMix,
    _chance,
    _context,
    _edge,
    _pick,
    _rate,
    _weighted,
    event_size,
)

_JSON_SCALARS: SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**64), 2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
_JSON_VALUES: SearchStrategy[Any] = st.recursive(
    _JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def json_values() -> SearchStrategy[Any]:
    """Any JSON value: null, booleans, integers up to 2**64, finite floats, text, and lists and
    objects of them (what a Segment payload may hold anywhere)."""
    return _JSON_VALUES


# EC-8 numbers, including those whose int and float forms differ as JSON text (W-4: ``1`` and
# ``1.0`` are different texts; ``2**53 + 1`` is not a double; ``-0.0`` is not ``0``).
_NUMBER_ITEMS: tuple[tuple[str, Any], ...] = (
    ("logins", 0),
    ("balance", -42),
    ("score", 3.14159),
    ("big_float", 1e21),
    ("big_int", 2**53 + 1),
    ("huge_int", 2**64),
    ("negative_big_int", -(2**53) - 1),
    ("tiny", 5e-324),
    ("negative_float", -0.5),
    ("ratio", 1.0),
    ("seats_float", 25.0),
    ("zero_float", 0.0),
    ("negative_zero", -0.0),
    ("int_1e21", 10**21),
    ("price", 19.99),
    ("exponent", 1.5e-7),
    ("count", 1),
)
# EC-7 type drift
_DRIFT_ITEMS: tuple[tuple[str, Any], ...] = (
    ("seats", "42"),
    ("is_admin", "true"),
    ("is_trial", "false"),
    ("mrr", "99.50"),
    ("account_number", "00123"),
    ("one_point_oh", "1.0"),
    ("renewal_date", "2025-03-01"),
    ("last_login", "2025-03-01T09:30:00"),
    ("last_seen", "2025-03-01T09:30:00Z"),
    ("signed_up_at", "2025-03-01 09:30:00+01:00"),
    ("created", 1_714_557_600),
    ("created_ms", 1_714_557_600_123),
    ("verified", True),
    ("opted_out", False),
)
# EC-6 containers: empty, nested, lists of objects, mixed lists; null values.
_SHAPE_ITEMS: tuple[tuple[str, Any], ...] = (
    ("nickname", None),
    ("tags", []),
    ("settings", {}),
    ("roles", ["admin", "billing"]),
    ("preferences", {"theme": "dark", "notifications": {"email": True, "sms": None}}),
    ("matrix", [[1, 2], [3, [4, {"deep": None}]]]),
    ("line_items", [{"sku": "SKU-1", "qty": 1}, {}]),
    ("mixed", [1, "1", 1.5, True, None, {}, []]),
    ("nested_empty", {"a": {}, "b": [], "c": [[]], "d": [{}]}),
    ("single", ["only"]),
)
# Keys a destination may rename: spaces, dots, $, empty, case and style variants, very long,
# non-ASCII, digits, control characters.
_KEY_ITEMS: tuple[tuple[str, Any], ...] = (
    ("favourite colour", "teal"),
    ("utm.source", "newsletter"),
    ("$email", "shadow@example.com"),
    ("$set", {"plan": "pro"}),
    (" padded key ", "x"),
    ("", "empty key"),
    ("Plan Name", "pro"),
    ("planName", "pro"),
    ("plan_name", "pro"),
    ("PLAN-NAME", "pro"),
    ("k" * 256, "a very long key"),
    ("ключ", "value"),
    ("123", "a numeric key"),
    ("a/b", "slash"),
    ("tab\tkey", "tab"),
)
# EC-9 strings a normaliser, trimmer or filter would change.
_STRING_ITEMS: tuple[tuple[str, Any], ...] = (
    ("nickname", "😀"),
    ("family", "👩\u200d👩\u200d👧"),
    ("accented", "e\u0301"),  # NFD: NFC would make it "é"
    ("accented_nfc", "é"),  # NFC: NFD would split it
    ("ligature", "ﬁ"),  # NFKC would make it "fi"
    ("city", "القاهرة"),
    ("motto", "שלום עולם"),
    ("nul", "a\u0000b"),
    ("controls", "a\u0001\u001fb"),
    ("newline", "line 1\nline 2"),
    ("crlf", "a\r\nb"),
    ("tab", "a\tb"),
    ("bidi", "\u200fabc\u200e"),
    ("zero_width", "a\u200bb"),
    ("bom", "\ufeffstart"),
    ("flag", "🇸🇪"),
    ("fraktur", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"),
    ("padded", "  spaced  "),
    ("trailing", "value "),
    ("nbsp", "\u00a0value\u00a0"),
    ("blank", ""),
    ("spaces_only", "   "),
    ("quotes", 'say "hi" \\ bye'),
    ("html", "<b>bold</b> & 'quoted'"),
    ("escaped_looking", "\\u00e9"),
    ("line_separator", "a\u2028b"),
)


# Free text people type or paste: decomposed accents (macOS input), NUL and other control
# characters, surrounding and non-breaking spaces, zero-width and byte-order marks.
_FRAGILE_STRINGS: tuple[str, ...] = (
    "Jose\u0301",
    "a\u0000b",
    "a\u0001\u001fb",
    "  spaced  ",
    "\u00a0value\u00a0",
    "a\u200bb",
    "\ufeffstart",
    "re\u0301sume\u0301\u0007",
)
_FREE_TEXT_KEYS = ("note", "label", "comment")
# Integers a double cannot hold, as sent by Java and Go senders (ids, byte counts, nanoseconds).
_FRAGILE_NUMBERS: tuple[int, ...] = (2**53 + 1, -(2**53) - 1, 2**63 - 1, 10**21 + 1)
_COUNTER_KEYS = ("external_ref", "bytes_sent", "duration_ns")


def _odd_string(draw: DrawFn) -> str:
    """One string of the table above (all of them are strings)."""
    value: str = _pick(draw, _STRING_ITEMS)[1]
    return value


# Curated tables first (each class is a few draws away), free-form JSON last.
_ITEM_SOURCES: tuple[tuple[SearchStrategy[tuple[str, Any]], int], ...] = (
    (st.sampled_from(_NUMBER_ITEMS), 20),
    (st.sampled_from(_DRIFT_ITEMS), 14),
    (st.sampled_from(_SHAPE_ITEMS), 16),
    (st.sampled_from(_KEY_ITEMS), 14),
    (st.sampled_from(_STRING_ITEMS), 24),
    (st.tuples(st.text(max_size=12), _JSON_VALUES), 12),
)


_TABLES: tuple[tuple[tuple[str, Any], ...], ...] = (
    _STRING_ITEMS,
    _NUMBER_ITEMS,
    _SHAPE_ITEMS,
    _KEY_ITEMS,
    _DRIFT_ITEMS,
)


def _add_odd_items(draw: DrawFn, target: Event, mix: EventMix, most: int = 4) -> None:
    """Put items of the tables above into ``target``: now and then a *tour* of one whole
    table (each item shrinks away on its own), else up to ``most`` items; none is plainest.

    Tours are what make the default mix reliable: a few hundred sequences hold a few hundred
    distinct events, too few to meet each of ~90 curated values by single draws.
    setdefault: never clobber what the event is about (ids, email); deepcopy: the curated
    values are shared constants."""
    if _edge(draw, mix, 15, 10):
        for key, value in _pick(draw, _TABLES):
            if _chance(draw, 90):
                target.setdefault(key, copy.deepcopy(value))
        return
    # What a careless serialiser or sanitiser changes most often, on its own now and then.
    if _edge(draw, mix, 10, 20):
        target.setdefault(_pick(draw, _FREE_TEXT_KEYS), _pick(draw, _FRAGILE_STRINGS))
    if _edge(draw, mix, 6, 20):
        target.setdefault(_pick(draw, _COUNTER_KEYS), _pick(draw, _FRAGILE_NUMBERS))
    table = [(0, _rate(mix, 70, 15)), (1, _rate(mix, 18, 30)), (2, _rate(mix, 9, 25))]
    table += [(3, _rate(mix, 3, 15)), (4, _rate(mix, 0, 15))]
    count = _weighted(draw, [(n, w) for n, w in table if n <= most])
    for _ in range(count):
        key, value = draw(_weighted(draw, _ITEM_SOURCES))
        target.setdefault(key, copy.deepcopy(value))


# EC-10: long strings. Filler units of 1–4 UTF-8 bytes; none needs JSON escaping, so the
# event's size can be set to the byte.
_PAD_UNITS = ("a", "é", "漢", "😀", "e\u0301", "ش")
_PAD_KEYS = ("description", "notes", "long text")


def _maybe_pad(draw: DrawFn, event: Event, mix: EventMix, container_key: str | None) -> None:
    """Now and then grow one string so the event lands at or just below MAX_EVENT_BYTES."""
    if not _edge(draw, mix, 3, 12):
        return
    if container_key is None:
        container, key = _context(event), "userAgent"
    else:
        found = event.get(container_key)
        container = found if isinstance(found, dict) else {}
        event[container_key] = container
        key = _pick(draw, _PAD_KEYS)
    container[key] = ""
    room = MAX_EVENT_BYTES - event_size(event)
    if room <= 0:
        return
    band = _weighted(draw, [("at_limit", 40), ("near_limit", 30), ("anywhere", 30)])
    slack = draw(st.integers(0, min(room, {"at_limit": 16, "near_limit": 1_024}.get(band, room))))
    unit = _pick(draw, _PAD_UNITS)
    width = len(unit.encode("utf-8"))
    need = room - slack
    container[key] = unit * (need // width) + "a" * (need % width)


def _longest_string(node: Any) -> tuple[Any, Any, int] | None:
    """(container, key, length) of the longest string value anywhere in ``node``."""
    best: tuple[Any, Any, int] | None = None
    items: Sequence[tuple[Any, Any]]
    if isinstance(node, dict):
        items = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return None
    for key, value in items:
        if isinstance(value, str):
            candidate: tuple[Any, Any, int] | None = (node, key, len(value))
        else:
            candidate = _longest_string(value)
        if candidate is not None and (best is None or candidate[2] > best[2]):
            best = candidate
    return best


def _fit(event: Event) -> Event:
    """Guarantee the size limit: trim the longest string until the event fits.

    Every character costs at least one byte, so cutting ``excess`` characters is enough."""
    excess = event_size(event) - MAX_EVENT_BYTES
    while excess > 0:
        longest = _longest_string(event)
        if longest is None or longest[2] == 0:
            raise AssertionError("event over the size limit without any string to trim")
        container, key, length = longest
        container[key] = container[key][: max(0, length - excess)]
        excess = event_size(event) - MAX_EVENT_BYTES
    return event
