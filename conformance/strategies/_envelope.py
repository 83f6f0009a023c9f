"""The envelope every event shares: messageId, timestamps, context, integrations, version,
channel and the extra keys some pipelines add.

Every envelope field but ``messageId`` (which Segment always sets) is optional and shrinks to
absent, so a minimal failing example keeps only the envelope fields that matter.
"""

from __future__ import annotations

import copy
import functools
import string
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from conformance.strategies._draw import (
    Event,
    EventMix,
    _chance,
    _edge,
    _pick,
    _rate,
    _weighted,
)
from conformance.strategies._values import _add_odd_items, _odd_string

_HEX = "0123456789abcdef"
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase


@dataclass(frozen=True)
class _Source:
    channel: str
    library: str
    version: str
    id_format: str


# Simplest first: analytics-python (uuid4 message ids, may send "anonymousId": null).
_SOURCES: tuple[_Source, ...] = (
    _Source("server", "analytics-python", "2.3.3", "uuid"),
    _Source("server", "@segment/analytics-node", "2.1.2", "node"),
    _Source("browser", "analytics.js", "next-1.72.0", "ajs"),
    _Source("mobile", "analytics-kotlin", "1.16.3", "uuid"),
    _Source("mobile", "analytics-swift", "1.5.11", "uuid"),
)
_ENGAGE_SOURCE = _Source("server", "unknown", "unknown", "personas")
_ID_FORMATS = ("uuid", "node", "ajs", "personas")


def _draw_source(draw: DrawFn, prefer: str | None) -> _Source:
    if prefer is not None and _chance(draw, 80):
        return _pick(draw, [s for s in _SOURCES if s.channel == prefer])
    return _pick(draw, _SOURCES)


def _ajs_id(digest: str) -> str:
    return f"ajs-next-{digest}"


def _node_id(parts: tuple[int, UUID]) -> str:
    return f"node-next-{parts[0]}-{parts[1]}"


def _personas_id(ksuid: str) -> str:
    return f"personas_{ksuid}"


@functools.cache  # strategies are immutable; building them anew each draw is slow
def _message_ids(fmt: str) -> SearchStrategy[str]:
    if fmt == "ajs":  # analytics-next: "ajs-next-" + md5 hex
        return st.text(_HEX, min_size=32, max_size=32).map(_ajs_id)
    if fmt == "node":  # analytics-node: "node-next-<ms>-<uuid>"
        return st.tuples(
            st.integers(1_700_000_000_000, 1_800_000_000_000), st.uuids(version=4)
        ).map(_node_id)
    if fmt == "personas":  # Engage: "personas_" + 27-char ksuid
        return st.text(_BASE62, min_size=27, max_size=27).map(_personas_id)
    return st.uuids(version=4).map(str)


def _fresh_message_id(message_id: str, taken: Collection[str]) -> str:
    """The same format with a new tail (hex is valid in every format); same length, so an event
    near 32 KB stays within the limit."""
    for n in range(1, 1 << 32):
        candidate = message_id[:-8] + f"{n:08x}" if len(message_id) >= 8 else f"{message_id}{n}"
        if candidate not in taken:
            return candidate
    raise AssertionError("unreachable: fewer than 2**32 message ids are ever taken")


# (precision, zone) pairs as seen in the wild, simplest (analytics.js default) first (EC-11).
_TS_STYLES: tuple[tuple[str, str], ...] = (
    ("ms", "Z"),
    ("s", "Z"),
    ("us", "+00:00"),
    ("ms", "+02:00"),
    ("us", "Z"),
    ("ns", "Z"),
)
_PLUS_TWO = timezone(timedelta(hours=2))


def _between(start: datetime, end: datetime) -> SearchStrategy[datetime]:
    """Instants from ``start`` (UTC) to ``end`` at microsecond resolution. One integer choice,
    so every range shrinks to its start in a single step (st.datetimes needs seven)."""
    span = int((end - start).total_seconds()) * 1_000_000
    origin = start.replace(tzinfo=UTC)
    return st.integers(0, span).map(lambda us: origin + timedelta(microseconds=us))


def _format_moment(moment: datetime, style: tuple[str, str], nanos: int) -> str:
    precision, zone = style
    if zone == "+02:00":
        moment = moment.astimezone(_PLUS_TWO)
    # Built by hand: strftime("%Y") drops the zero padding of years below 1000 on glibc.
    head = (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )
    fraction = {
        "s": "",
        "ms": f".{moment.microsecond // 1000:03d}",
        "us": f".{moment.microsecond:06d}",
        "ns": f".{moment.microsecond:06d}{nanos:03d}",
    }[precision]
    return f"{head}{fraction}{zone}"


@functools.cache  # strategies are immutable; building them anew each draw is slow
def _recent_moments() -> SearchStrategy[datetime]:
    return _between(datetime(2024, 1, 1), datetime(2026, 12, 31))


@functools.cache
def _odd_moments() -> SearchStrategy[datetime]:
    # EC-11 far past and far future; 9999-12-30 leaves room for the +02:00 form and delays.
    return st.one_of(
        st.sampled_from(
            [
                datetime(1970, 1, 1, tzinfo=UTC),
                datetime(1, 1, 1, tzinfo=UTC),
                datetime(9999, 12, 30, tzinfo=UTC),
                datetime(2100, 1, 1, tzinfo=UTC),
                datetime(3000, 6, 15, 12, 0, tzinfo=UTC),
            ]
        ),
        _between(datetime(1, 1, 1), datetime(1999, 12, 31)),
        _between(datetime(2030, 1, 1), datetime(9999, 12, 30)),
    )


def _moment(draw: DrawFn, mix: EventMix) -> datetime:
    if _edge(draw, mix, 5, 40):  # replays of old data, clocks set wrong
        return draw(_odd_moments())
    return draw(_recent_moments())


_STAMP_FIELDS = ("timestamp", "originalTimestamp", "sentAt", "receivedAt")


def _timestamps(
    draw: DrawFn, mix: EventMix, *, engage: bool = False, base: datetime | None = None
) -> dict[str, str | None]:
    moment = base if base is not None else _moment(draw, mix)
    sent = moment + timedelta(milliseconds=draw(st.integers(0, 5_000)))
    delay = timedelta(milliseconds=draw(st.integers(0, 2_000)))
    client = _pick(draw, _TS_STYLES)
    # Segment's servers write timestamp and receivedAt in the ms + Z form.
    server = _pick(draw, _TS_STYLES) if _edge(draw, mix, 3, 100) else _TS_STYLES[0]
    nanos = draw(st.integers(0, 999)) if "ns" in (client[0], server[0]) else 0
    stamps: dict[str, str | None] = {
        "timestamp": _format_moment(moment + delay, server, nanos),
        "originalTimestamp": _format_moment(moment, client, nanos),
        "sentAt": _format_moment(sent, client, nanos),
        "receivedAt": _format_moment(sent + delay, server, nanos),
    }
    if engage or _chance(draw, 10):
        stamps["sentAt"] = None
    # Synthetic events (tests, Functions, replays) may lack any of them (EC-11); each shrinks
    # to absent.
    present = _rate(mix, 96, 70)
    return {k: v for k, v in stamps.items() if _chance(draw, present)}


def _date_value(draw: DrawFn, mix: EventMix) -> str | int:
    """A date trait such as createdAt; now and then EC-7 drift (no zone, date only, epoch)."""
    moment = draw(_recent_moments())
    if not _edge(draw, mix, 10, 40):
        return _format_moment(moment, _TS_STYLES[0], 0)
    form = _pick(draw, ["naive", "date", "epoch_s", "epoch_ms", "offset", "space"])
    if form == "epoch_s":
        return int(moment.timestamp())
    if form == "epoch_ms":
        return int(moment.timestamp() * 1000)
    if form == "offset":
        return _format_moment(moment, ("s", "+02:00"), 0)
    if form == "date":
        return moment.date().isoformat()
    naive = _format_moment(moment, ("s", ""), 0)
    return naive.replace("T", " ") if form == "space" else naive


_IPS = ("203.0.113.7", "198.51.100.23", "2001:db8::1")
_LOCALES = ("en-US", "sv-SE", "de-DE", "ar-EG", "ja-JP")
_TIMEZONES = ("Europe/Stockholm", "America/New_York", "Asia/Tokyo", "UTC")
_USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
)
_SITE = "https://www.example.com"
_PAGES: tuple[tuple[str, str], ...] = (
    ("/", "Home"),
    ("/pricing", "Pricing"),
    ("/docs/getting-started", "Getting started"),
    ("/blog/segment-and-planhat", "Segment and Planhat"),
)


def _page_location(draw: DrawFn, mix: EventMix) -> Event:
    path, title = _pick(draw, _PAGES)
    if _edge(draw, mix, 3, 15):
        odd_pages = [("/sök/åäö", "Sök"), ("/p/%F0%9F%9A%80", " 🚀 Launch "), ("", "")]
        path, title = _pick(draw, odd_pages)
    search = "?utm_source=newsletter&utm_medium=email" if _chance(draw, 25) else ""
    referrer = _pick(draw, ["", "https://www.google.com/", "https://news.ycombinator.com/"])
    return {
        "path": path,
        "referrer": referrer,
        "search": search,
        "title": title,
        "url": f"{_SITE}{path}{search}",
    }


def _context_for(draw: DrawFn, source: _Source, mix: EventMix) -> Event:
    context: Event = {}
    if _chance(draw, 97):
        context["library"] = {"name": source.library, "version": source.version}
    if source.channel == "browser":
        context["ip"] = _pick(draw, _IPS)
        context["locale"] = _pick(draw, _LOCALES)
        context["timezone"] = _pick(draw, _TIMEZONES)
        context["page"] = _page_location(draw, mix)
        context["userAgent"] = _pick(draw, _USER_AGENTS)
    elif source.channel == "mobile":
        context["app"] = {"name": "Acme", "version": "3.2.1", "build": "321"}
        context["device"] = {"manufacturer": "Apple", "model": "iPhone15,2", "type": "ios"}
        context["os"] = {"name": "iOS", "version": "17.4"}
        context["locale"] = _pick(draw, _LOCALES)
        context["timezone"] = _pick(draw, _TIMEZONES)
        context["ip"] = _pick(draw, _IPS)
    elif _chance(draw, 50):
        context["ip"] = _pick(draw, _IPS)
    if _edge(draw, mix, 8, 20):
        # UTM campaign names are typed by people: any string a normaliser would change.
        context["campaign"] = {"name": _odd_string(draw), "source": "newsletter"}
    if _edge(draw, mix, 15, 25):
        # context is free-form: custom keys, odd values (every position).
        _add_odd_items(draw, context, mix, most=2)
    return context


# Whole-object choices; deep-copied on use so no two events share a mutable object.
# EC-13: every documented value shape: booleans, options objects (empty or not, which enable
# Planhat, T-4), the All fallback, names in other cases (case-sensitive: they do not disable).
_REALISTIC_INTEGRATIONS: tuple[tuple[dict[str, Any] | None, int], ...] = (
    (None, 60),
    ({}, 10),
    ({"All": True}, 15),
    ({"Salesforce": False}, 10),
    ({"All": True, "Mixpanel": False}, 5),
    ({"Salesforce": {"objectType": "Lead"}}, 3),
)
_ODD_INTEGRATIONS: tuple[tuple[dict[str, Any] | None, int], ...] = (
    ({"Planhat": False}, 10),
    ({"planhat": False}, 8),
    ({"All": False}, 8),
    ({"All": False, "Planhat": True}, 8),
    ({"Planhat": {"apiKey": "override"}}, 5),
    ({"Planhat": {}}, 5),
    ({"All": False, "Planhat": {}}, 5),
    ({"All": False, "Planhat": {"subdomain": "api-eu"}}, 3),
    ({"All": True, "Planhat": False}, 4),
    ({"PLANHAT": False}, 3),
    ({"Planhat": True}, 3),
    ({"All": False, "planhat": True}, 3),
    ({"all": False}, 2),
)
_ENGAGE_INTEGRATIONS: dict[str, Any] = {"All": False, "Planhat": True}


def _integrations(draw: DrawFn, mix: EventMix) -> dict[str, Any] | None:
    table = _ODD_INTEGRATIONS if _edge(draw, mix, 12, 40) else _REALISTIC_INTEGRATIONS
    return copy.deepcopy(_weighted(draw, table))


def _envelope(
    draw: DrawFn,
    mix: EventMix,
    *,
    engage: bool = False,
    prefer: str | None = None,
    base: datetime | None = None,
) -> tuple[Event, _Source]:
    """Every key but ``type``, the ids and the per-type payload."""
    source = _ENGAGE_SOURCE if engage else _draw_source(draw, prefer)
    id_format = source.id_format
    if not engage and _edge(draw, mix, 3, 30):
        id_format = _pick(draw, _ID_FORMATS)
    envelope: Event = {"messageId": draw(_message_ids(id_format))}

    if engage:
        envelope["context"] = {"library": {"name": "unknown", "version": "unknown"}}
    elif _chance(draw, _rate(mix, 95, 80)):  # absent: the plainest, so it shrinks there
        empty = _edge(draw, mix, 8, 25)
        envelope["context"] = {} if empty else _context_for(draw, source, mix)

    if engage:
        integrations: dict[str, Any] | None = copy.deepcopy(_ENGAGE_INTEGRATIONS)
        if _chance(draw, 20):
            integrations = {**_ENGAGE_INTEGRATIONS, "Salesforce": True}
    else:
        integrations = _integrations(draw, mix)
    if integrations is not None:
        envelope["integrations"] = integrations

    envelope.update(_timestamps(draw, mix, engage=engage, base=base))

    if _chance(draw, _rate(mix, 97, 90)):
        envelope["version"] = _weighted(draw, [(2, 80), (1, 10), ("1.1", 10)])
    if _chance(draw, _rate(mix, 97, 90)):
        envelope["channel"] = source.channel
    if _chance(draw, 35):  # extra keys some pipelines add
        if _chance(draw, 60):
            envelope["writeKey"] = draw(st.text(_BASE62, min_size=32, max_size=32))
        if _chance(draw, 30):
            envelope["projectId"] = draw(st.text(_BASE62, min_size=22, max_size=22))
        if _chance(draw, 45):
            envelope["_metadata"] = {"bundled": ["Segment.io"], "unbundled": [], "bundledIds": []}
    return envelope, source
