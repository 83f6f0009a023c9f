"""Hypothesis strategies for Segment events as a destination receives them.

The facts come from shared/SEGMENT-EVENTS.md; comments cite its numbered edge cases as EC-1 …
EC-15. Two profiles:

- ``realistic``: what Segment's libraries and Engage really send (analytics.js / analytics-next,
  analytics-node, analytics-python, the mobile libraries, Engage audiences, B2B SaaS tracking).
- ``hostile``: the same plus everything a destination must survive: odd ids, type drift, huge
  numbers, unicode, events near the 32 KB limit, missing timestamps, integrations that disable
  Planhat, redeliveries and near-duplicates.

Events are drawn over a small :class:`IdentityPool`, so a sequence keeps meeting the same users,
emails and companies: matching, updates and unassigned contacts (P-4, P-5, P-8) get exercised
rather than every event creating a stranger.

Shrinking: every choice puts its plainest option first (``_weighted`` and ``_chance`` shrink
to the first entry / to "feature off"), so a minimal failing example is a short, ordinary
event with only the ingredient that matters.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import string
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal, TypeAlias, TypeVar
from uuid import UUID

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

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

Profile: TypeAlias = Literal["realistic", "hostile"]
Event: TypeAlias = dict[str, Any]

#: Segment's per-event limit, measured by :func:`event_size` (W-6).
MAX_EVENT_BYTES = 32_768

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

_T = TypeVar("_T")


def event_size(event: Mapping[str, Any]) -> int:
    """Bytes of the event as compact UTF-8 JSON: how the 32 KB limit is measured here."""
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return len(text.encode("utf-8"))


# ---------------------------------------------------------------------------------------------
# Drawing helpers: both shrink towards their first / "off" choice.
# ---------------------------------------------------------------------------------------------


def _weighted(draw: DrawFn, table: Sequence[tuple[_T, int]]) -> _T:
    """One value of ``table`` with probability proportional to its weight; shrinks to the first."""
    live = [(value, weight) for value, weight in table if weight > 0]
    roll = draw(st.integers(0, sum(weight for _, weight in live) - 1))
    for value, weight in live:
        if roll < weight:
            return value
        roll -= weight
    raise AssertionError("unreachable: the roll is below the total weight")


def _chance(draw: DrawFn, percent: int) -> bool:
    """True about ``percent`` % of the time; shrinks to False so optional extras disappear."""
    if percent <= 0:
        return False
    return draw(st.integers(0, 99)) >= 100 - percent


def _pick(draw: DrawFn, options: Sequence[_T]) -> _T:
    return draw(st.sampled_from(options))


def _index(draw: DrawFn, items: Sequence[Any]) -> int:
    return draw(st.integers(0, len(items) - 1))


# ---------------------------------------------------------------------------------------------
# Identity pools
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityPool:
    """The few people and companies one sequence talks about.

    ``user_ids[i]``, ``emails[i % len(emails)]`` and ``anonymous_ids[i % len(anonymous_ids)]``
    describe person ``i``. Ids may be ints in the hostile profile (EC-3).
    """

    user_ids: tuple[str | int, ...]
    emails: tuple[str, ...]
    group_ids: tuple[str | int, ...]
    anonymous_ids: tuple[str, ...]

    def __post_init__(self) -> None:
        for name in ("user_ids", "emails", "group_ids", "anonymous_ids"):
            if not getattr(self, name):
                raise ValueError(f"IdentityPool.{name} must not be empty")

    def email(self, person: int) -> str:
        """Person ``person``'s email."""
        return self.emails[person % len(self.emails)]

    def anonymous_id(self, person: int) -> str:
        """Person ``person``'s anonymous id."""
        return self.anonymous_ids[person % len(self.anonymous_ids)]


_ALNUM = string.ascii_lowercase + string.digits
_HEX = "0123456789abcdef"
_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase

_FIRST_NAMES = ("Ada", "Grace", "Alan", "Katherine", "Edsger", "Barbara")
_LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Johnson", "Dijkstra", "Liskov")
# EC-5 surrounding spaces, EC-9 unicode (decomposed accent, RTL, CJK, ZWJ sequence).
_HOSTILE_FIRST_NAMES = (" Ada ", "Zoë", "Jose\u0301", "محمد", "李", "👩\u200d💻", "")
_COMPANY_NAMES = ("Acme", "Globex", "Initech", "Umbrella", "Hooli")
_HOSTILE_COMPANY_NAMES = (
    " Acme ",
    "ACME",
    "Société Générale",
    "株式会社テスト",
    "شركة",
    "Acme 🚀",
    "Acme\u0000Inc",
    "",
)
_DOMAINS = ("example.com", "acme.io", "globex.co")


@functools.cache  # strategies are immutable; building them anew each draw is slow
def _user_id_strategy(profile: Profile) -> SearchStrategy[str | int]:
    realistic: SearchStrategy[str | int] = st.one_of(
        st.integers(1, 9_999).map(lambda n: f"user_{n}"),
        st.uuids(version=4).map(str),
        st.text(_ALNUM, min_size=8, max_size=8).map(lambda s: f"usr_{s}"),
    )
    if profile == "realistic":
        return realistic
    return st.one_of(
        realistic,
        st.integers(0, 1_000_000),  # EC-3 numeric id sent as a JSON number
        st.just("00123"),  # EC-3 leading zeros are part of the id
        st.integers(0, 99_999).map(lambda n: f"{n:05d}"),
        st.sampled_from(["", " ", "\t", " user_1 "]),  # EC-3 empty and whitespace ids
        st.sampled_from(["ユーザー1", "user_😀", "u\u0301ser", "مستخدم"]),  # EC-9
        st.just(2**53 + 1),  # EC-8 beyond float precision
    )


@functools.cache  # strategies are immutable; building them anew each draw is slow
def _group_id_strategy(profile: Profile) -> SearchStrategy[str | int]:
    realistic: SearchStrategy[str | int] = st.one_of(
        st.integers(1, 999).map(lambda n: f"acct_{n}"),
        st.integers(1_000, 99_999).map(str),  # numeric CRM ids: company.id may be a number
        st.uuids(version=4).map(str),
        st.text(_BASE62, min_size=10, max_size=10).map(lambda s: f"0015g{s}"),  # Salesforce-like
    )
    if profile == "realistic":
        return realistic
    return st.one_of(
        realistic,
        st.integers(0, 1_000_000),
        st.just("00123"),
        st.sampled_from(["", " ", " acct_1 "]),
        st.sampled_from(["société-1", "组织_1", "acct 😀"]),
    )


@functools.cache  # strategies are immutable; building them anew each draw is slow
def _anonymous_id_strategy(profile: Profile) -> SearchStrategy[str]:
    realistic = st.uuids(version=4).map(str)
    if profile == "realistic":
        return realistic
    return st.one_of(
        realistic,
        st.integers(0, 999).map(lambda n: f"anon-{n}"),
        st.sampled_from(["00123", " ", "匿名"]),
    )


def _pool_email(draw: DrawFn, index: int, domain: str, hostile: bool, earlier: list[str]) -> str:
    first = _FIRST_NAMES[index % len(_FIRST_NAMES)]
    last = _LAST_NAMES[index % len(_LAST_NAMES)]
    table: list[tuple[str, int]] = [("first", 50), ("first.last", 50)]
    if hostile:
        table += [
            ("mixed_case", 25),  # EC-2
            ("plus", 10),
            ("unicode", 10),  # EC-9
            ("spaces", 10),  # P-2 compares trimmed
            ("shared", 15 if earlier else 0),  # P-4: several contacts share one mailbox
        ]
    style = _weighted(draw, table)
    if style == "first.last":
        return f"{first.lower()}.{last.lower()}@{domain}"
    if style == "mixed_case":
        name, tld = domain.split(".", 1)
        return f"{first}.{last}@{name.capitalize()}.{tld.upper()}"
    if style == "plus":
        return f"{first.lower()}+segment@{domain}"
    if style == "unicode":
        return f"{first.lower()}ë@exämple.com"
    if style == "spaces":
        return f" {first.lower()}@{domain} "
    if style == "shared":
        return earlier[_index(draw, earlier)].upper()
    return f"{first.lower()}@{domain}"


@functools.cache
def _distinct(kind: str, profile: Profile, size: int) -> SearchStrategy[list[str | int]]:
    """``size`` ids of one kind, distinct once stringified (123 and "123" are one user, P-1)."""
    elements: SearchStrategy[str | int] = {
        "user": _user_id_strategy,
        "group": _group_id_strategy,
        "anonymous": _anonymous_id_strategy,
    }[kind](profile)
    return st.lists(elements, min_size=size, max_size=size, unique_by=str)


@st.composite
def _identity_pool(draw: DrawFn, profile: Profile) -> IdentityPool:
    hostile = profile == "hostile"
    n_users = draw(st.integers(2, 4))
    n_groups = draw(st.integers(1, 3))
    user_ids: list[str | int] = draw(_distinct("user", profile, n_users))
    domain = _pick(draw, _DOMAINS)
    emails: list[str] = []
    for i in range(n_users):
        emails.append(_pool_email(draw, i, domain, hostile, emails))
    if hostile:
        for i in range(n_users):
            # EC-2 email as userId (possibly in another case than traits.email will carry).
            if _chance(draw, 20):
                candidate = emails[i] if _chance(draw, 50) else emails[i].lower()
                if candidate not in {str(u) for u in user_ids}:
                    user_ids[i] = candidate
    group_ids: list[str | int] = draw(_distinct("group", profile, n_groups))
    anonymous_ids = [str(a) for a in draw(_distinct("anonymous", profile, n_users))]
    return IdentityPool(tuple(user_ids), tuple(emails), tuple(group_ids), tuple(anonymous_ids))


def identity_pools(profile: Profile = "realistic") -> SearchStrategy[IdentityPool]:
    """A small pool: 2 to 4 people (user id, email, anonymous id) and 1 to 3 group ids."""
    _check_profile(profile)
    return _identity_pool(profile)


# ---------------------------------------------------------------------------------------------
# Envelope: messageId, timestamps, context, integrations, version, channel, extra keys
# ---------------------------------------------------------------------------------------------


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
def _moments(profile: Profile) -> SearchStrategy[datetime]:
    recent = _between(datetime(2024, 1, 1), datetime(2026, 12, 31))
    if profile == "realistic":
        return recent
    # EC-11 far past and far future; 9999-12-30 leaves room for the +02:00 form and delays.
    return st.one_of(
        recent,
        st.sampled_from(
            [
                datetime(1970, 1, 1, tzinfo=UTC),
                datetime(1, 1, 1, tzinfo=UTC),
                datetime(9999, 12, 30, tzinfo=UTC),
            ]
        ),
        _between(datetime(1, 1, 1), datetime(1999, 12, 31)),
        _between(datetime(2030, 1, 1), datetime(9999, 12, 30)),
    )


def _timestamps(
    draw: DrawFn, profile: Profile, *, engage: bool = False, base: datetime | None = None
) -> dict[str, str | None]:
    hostile = profile == "hostile"
    moment = base if base is not None else draw(_moments(profile))
    sent = moment + timedelta(milliseconds=draw(st.integers(0, 5_000)))
    delay = timedelta(milliseconds=draw(st.integers(0, 2_000)))
    client = _pick(draw, _TS_STYLES)
    # Segment's servers write timestamp and receivedAt in the ms + Z form.
    server = _pick(draw, _TS_STYLES) if hostile else _TS_STYLES[0]
    nanos = draw(st.integers(0, 999)) if "ns" in (client[0], server[0]) else 0
    out: dict[str, str | None] = {
        "timestamp": _format_moment(moment + delay, server, nanos),
        "originalTimestamp": _format_moment(moment, client, nanos),
        "sentAt": _format_moment(sent, client, nanos),
        "receivedAt": _format_moment(sent + delay, server, nanos),
    }
    if engage or _chance(draw, 10):
        out["sentAt"] = None
    # Synthetic events (tests, Functions, replays) may lack any of them.
    if _chance(draw, 40 if hostile else 8):
        for field in ("timestamp", "originalTimestamp", "sentAt", "receivedAt"):
            if _chance(draw, 40):
                del out[field]
    return out


def _date_value(draw: DrawFn, hostile: bool) -> str | int:
    """A date trait such as createdAt; hostile: EC-7 drift (no zone, date only, epoch)."""
    moment = draw(_moments("realistic"))
    if not (hostile and _chance(draw, 40)):
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


def _page_location(draw: DrawFn, hostile: bool) -> Event:
    path, title = _pick(draw, _PAGES)
    if hostile and _chance(draw, 15):
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


def _context_for(draw: DrawFn, source: _Source, hostile: bool) -> Event:
    context: Event = {"library": {"name": source.library, "version": source.version}}
    if source.channel == "browser":
        context["ip"] = _pick(draw, _IPS)
        context["locale"] = _pick(draw, _LOCALES)
        context["timezone"] = _pick(draw, _TIMEZONES)
        context["page"] = _page_location(draw, hostile)
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
    return context


# Whole-object choices; deep-copied on use so no two events share a mutable object.
_REALISTIC_INTEGRATIONS: tuple[tuple[dict[str, Any] | None, int], ...] = (
    (None, 60),
    ({}, 10),
    ({"All": True}, 15),
    ({"Salesforce": False}, 10),
    ({"All": True, "Mixpanel": False}, 5),
)
# EC-13: names are case-sensitive (T-4), values may be options objects.
_HOSTILE_INTEGRATIONS: tuple[tuple[dict[str, Any] | None, int], ...] = (
    ({"Planhat": False}, 10),
    ({"planhat": False}, 8),
    ({"All": False}, 8),
    ({"All": False, "Planhat": True}, 8),
    ({"Planhat": {"apiKey": "override"}}, 5),
    ({"All": False, "Planhat": {}}, 5),
    ({"All": True, "Planhat": False}, 4),
    ({"PLANHAT": False}, 3),
    ({"Planhat": True}, 3),
    ({"All": False, "planhat": True}, 3),
)
_ENGAGE_INTEGRATIONS: dict[str, Any] = {"All": False, "Planhat": True}


def _integrations(draw: DrawFn, hostile: bool) -> dict[str, Any] | None:
    table = _REALISTIC_INTEGRATIONS
    if hostile and _chance(draw, 40):
        table = _HOSTILE_INTEGRATIONS
    return copy.deepcopy(_weighted(draw, table))


def _envelope(
    draw: DrawFn,
    profile: Profile,
    *,
    engage: bool = False,
    prefer: str | None = None,
    base: datetime | None = None,
) -> tuple[Event, _Source]:
    """Every key but ``type``, the ids and the per-type payload."""
    hostile = profile == "hostile"
    source = _ENGAGE_SOURCE if engage else _draw_source(draw, prefer)
    id_format = source.id_format
    if hostile and not engage and _chance(draw, 30):
        id_format = _pick(draw, _ID_FORMATS)
    envelope: Event = {"messageId": draw(_message_ids(id_format))}

    if engage:
        envelope["context"] = {"library": {"name": "unknown", "version": "unknown"}}
    else:
        shape = _weighted(
            draw,
            [("full", 60), ("empty", 20), ("absent", 20)]
            if hostile
            else [("full", 85), ("empty", 10), ("absent", 5)],
        )
        if shape == "full":
            envelope["context"] = _context_for(draw, source, hostile)
        elif shape == "empty":
            envelope["context"] = {}

    if engage:
        integrations: dict[str, Any] | None = copy.deepcopy(_ENGAGE_INTEGRATIONS)
        if _chance(draw, 20):
            integrations = {**_ENGAGE_INTEGRATIONS, "Salesforce": True}
    else:
        integrations = _integrations(draw, hostile)
    if integrations is not None:
        envelope["integrations"] = integrations

    envelope.update(_timestamps(draw, profile, engage=engage, base=base))

    versions: list[tuple[int | str | None, int]] = [(2, 80), (1, 10), ("1.1", 10)]
    if hostile:
        versions.append((None, 10))
    version = _weighted(draw, versions)
    if version is not None:
        envelope["version"] = version
    if not (hostile and _chance(draw, 10)):
        envelope["channel"] = source.channel
    if _chance(draw, 35):  # extra keys some pipelines add
        if _chance(draw, 60):
            envelope["writeKey"] = draw(st.text(_BASE62, min_size=32, max_size=32))
        if _chance(draw, 30):
            envelope["projectId"] = draw(st.text(_BASE62, min_size=22, max_size=22))
        if _chance(draw, 45):
            envelope["_metadata"] = {"bundled": ["Segment.io"], "unbundled": [], "bundledIds": []}
    return envelope, source


def _context(event: Event) -> Event:
    """The event's context object, created when absent (to add traits or groupId)."""
    context = event.get("context")
    if not isinstance(context, dict):
        context = {}
        event["context"] = context
    return context


# ---------------------------------------------------------------------------------------------
# Identities on one event
# ---------------------------------------------------------------------------------------------


def _user_key(draw: DrawFn, pool: IdentityPool, person: int) -> str | int:
    raw = pool.user_ids[person]
    if isinstance(raw, int) and _chance(draw, 50):
        return str(raw)  # classic libraries stringify numbers; P-1 treats both alike
    return raw


def _email_variant(draw: DrawFn, email: str, hostile: bool) -> str:
    if not hostile:
        return email
    form = _weighted(draw, [("as_is", 60), ("upper", 10), ("title", 10), ("spaces", 10)])
    if form == "upper":
        return email.upper()  # EC-2 mixed case: P-2 compares case-insensitively
    if form == "title":
        return email.title()
    if form == "spaces":
        return f"  {email} "
    return email


def _other_email(draw: DrawFn, pool: IdentityPool, person: int) -> str:
    others = [e for e in pool.emails if e.strip().lower() != pool.email(person).strip().lower()]
    if others:
        return _pick(draw, others)
    local, _, domain = pool.email(person).partition("@")
    return f"{local}+work@{domain}"


def _identity(
    draw: DrawFn, pool: IdentityPool, person: int, profile: Profile, *, identify: bool
) -> tuple[Event, str, str | int]:
    """Top-level id keys for one event, the mode used (``traits_id`` asks the caller to put the
    user key into ``traits.id``) and the user key as drawn."""
    hostile = profile == "hostile"
    table: list[tuple[str, int]] = [
        ("both", 50),
        ("user", 15),  # EC-1 userId only
        ("anonymous", 17),  # EC-1 anonymous-only
        ("anonymous_null", 10),  # EC-1 analytics-python: "anonymousId": null
    ]
    if identify:
        # EC-3 user id only in traits.id or a top-level user_id.
        table += [("traits_id", 10 if hostile else 4), ("user_id_key", 10 if hostile else 4)]
        if hostile:
            table.append(("none", 10))  # EC-1 identify with traits only
    elif hostile:
        table.append(("user_id_key", 8))
    mode = _weighted(draw, table)
    user = _user_key(draw, pool, person)
    anonymous = pool.anonymous_id(person)
    ids: Event
    if mode == "both":
        ids = {"userId": user, "anonymousId": anonymous}
    elif mode == "user":
        ids = {"userId": user}
    elif mode == "anonymous":
        ids = {"anonymousId": anonymous}
    elif mode == "anonymous_null":
        ids = {"userId": user, "anonymousId": None}
    elif mode == "user_id_key":
        ids = {"user_id": user}
        # Segment's API needs userId or anonymousId; only hostile events lack both.
        if not hostile or _chance(draw, 60):
            ids["anonymousId"] = anonymous
    elif mode == "traits_id":
        ids = {"anonymousId": anonymous} if not hostile or _chance(draw, 60) else {}
    else:
        ids = {}
    return ids, mode, user


# ---------------------------------------------------------------------------------------------
# Values for the hostile profile
# ---------------------------------------------------------------------------------------------

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

# EC-8
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
)
# EC-7
_DRIFT_ITEMS: tuple[tuple[str, Any], ...] = (
    ("seats", "42"),
    ("is_admin", "true"),
    ("is_trial", "false"),
    ("mrr", "99.50"),
    ("renewal_date", "2025-03-01"),
    ("last_login", "2025-03-01T09:30:00"),
    ("last_seen", "2025-03-01T09:30:00Z"),
    ("signed_up_at", "2025-03-01 09:30:00+01:00"),
    ("created", 1_714_557_600),
    ("created_ms", 1_714_557_600_123),
)
# EC-6
_SHAPE_ITEMS: tuple[tuple[str, Any], ...] = (
    ("nickname", None),
    ("tags", []),
    ("settings", {}),
    ("roles", ["admin", "billing"]),
    ("preferences", {"theme": "dark", "notifications": {"email": True, "sms": None}}),
    ("matrix", [[1, 2], [3, [4, {"deep": None}]]]),
    ("favourite colour", "teal"),
    ("utm.source", "newsletter"),
    ("$email", "shadow@example.com"),
    ("$set", {"plan": "pro"}),
    (" padded key ", "x"),
    ("", "empty key"),
)
# EC-9
_UNICODE_ITEMS: tuple[tuple[str, Any], ...] = (
    ("nickname", "😀"),
    ("family", "👩\u200d👩\u200d👧"),
    ("accented", "e\u0301"),
    ("city", "القاهرة"),
    ("motto", "שלום עולם"),
    ("nul", "a\u0000b"),
    ("bidi", "\u200fabc\u200e"),
    ("zero_width", "a\u200bb"),
    ("flag", "🇸🇪"),
    ("fraktur", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"),
)


# Curated tables first (each edge case is a few draws away), free-form JSON last.
_HOSTILE_ITEM_SOURCES: tuple[tuple[SearchStrategy[tuple[str, Any]], int], ...] = (
    (st.sampled_from(_NUMBER_ITEMS), 22),
    (st.sampled_from(_DRIFT_ITEMS), 22),
    (st.sampled_from(_SHAPE_ITEMS), 22),
    (st.sampled_from(_UNICODE_ITEMS), 22),
    (st.tuples(st.text(max_size=12), _JSON_VALUES), 12),
)


def _add_hostile_items(draw: DrawFn, target: Event, most: int = 4) -> None:
    count = _weighted(
        draw, [(n, w) for n, w in ((0, 15), (1, 30), (2, 25), (3, 15), (4, 15)) if n <= most]
    )
    for _ in range(count):
        key, value = draw(_weighted(draw, _HOSTILE_ITEM_SOURCES))
        # setdefault: never clobber what the event is about (ids, email); deepcopy: curated
        # values are shared constants.
        target.setdefault(key, copy.deepcopy(value))


# EC-10: long strings. Filler units of 1–4 UTF-8 bytes; none needs JSON escaping, so the
# event's size can be set to the byte.
_PAD_UNITS = ("a", "é", "漢", "😀", "e\u0301", "ش")
_PAD_KEYS = ("description", "notes", "long text")


def _maybe_pad(draw: DrawFn, event: Event, profile: Profile, container_key: str | None) -> None:
    """Hostile only: grow one string so the event lands at or below MAX_EVENT_BYTES."""
    if profile != "hostile" or not _chance(draw, 12):
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


# ---------------------------------------------------------------------------------------------
# identify
# ---------------------------------------------------------------------------------------------

_CAMEL_SPLIT = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _style_key(key: str, style: str) -> str:
    """``firstName`` as camel, ``first_name`` as snake, ``First Name`` as title (EC-5)."""
    words = [w.lower() for w in _CAMEL_SPLIT.split(key)]
    if style == "snake":
        return "_".join(words)
    if style == "title":
        return " ".join(w.capitalize() for w in words)
    return words[0] + "".join(w.capitalize() for w in words[1:])


def _person_names(draw: DrawFn, person: int, hostile: bool) -> tuple[str, str]:
    first = _FIRST_NAMES[person % len(_FIRST_NAMES)]
    last = _LAST_NAMES[person % len(_LAST_NAMES)]
    if hostile and _chance(draw, 30):
        first = _pick(draw, _HOSTILE_FIRST_NAMES)
    if hostile and _chance(draw, 15):
        last = f" {last}  "  # EC-5 surrounding spaces
    return first, last


def _company_key_value(draw: DrawFn, group_id: str | int, hostile: bool) -> str | int:
    """A company id as a string or a number (EC-4)."""
    numeric = isinstance(group_id, str) and group_id.isdigit()
    if numeric and _chance(draw, 40) and (hostile or not str(group_id).startswith("0")):
        return int(group_id)  # hostile: "00123" → 123 loses the zeros, as some senders do
    if isinstance(group_id, int) and _chance(draw, 30):
        return str(group_id)
    return group_id


_TITLES = ("CTO", "Head of Customer Success", "Software Engineer", "VP Sales")
_HOSTILE_TITLES = ("  CTO ", "Директор", "", "VP, Sales & Ops", "Chief 🚀 Officer")
_PLANS = ("free", "pro", "enterprise")
_OPTIONAL_TRAITS = (
    "title",
    "phone",
    "createdAt",
    "address",
    "age",
    "avatar",
    "birthday",
    "description",
    "gender",
    "username",
    "website",
    "plan",
    "logins",
    "betaUser",
)
_INDUSTRIES = ("Software", "Retail", "Healthcare", "Finance")


def _add_conflict(draw: DrawFn, traits: Event, pool: IdentityPool, person: int) -> None:
    """EC-5: the same trait twice, in different cases or styles, with different values."""
    kind = _weighted(draw, [("plan", 30), ("email", 25), ("first_name", 25), ("name", 20)])
    if kind == "email":
        traits.setdefault("email", pool.email(person))
        traits["Email"] = _other_email(draw, pool, person)
    elif kind == "first_name":
        traits["firstName"] = _FIRST_NAMES[person % len(_FIRST_NAMES)]
        traits["first_name"] = _FIRST_NAMES[(person + 1) % len(_FIRST_NAMES)]
    elif kind == "name":
        traits.setdefault("name", "Ada Lovelace")
        traits["Name"] = "Grace Hopper"
    else:
        traits["plan"] = "pro"
        traits["Plan"] = "free"
        traits["PLAN"] = "enterprise"


@st.composite
def _identify_event(draw: DrawFn, pool: IdentityPool, profile: Profile) -> Event:
    hostile = profile == "hostile"
    person = _index(draw, pool.user_ids)
    ids, mode, user = _identity(draw, pool, person, profile, identify=True)
    envelope, _ = _envelope(draw, profile)
    traits: Event = {}

    styles = [("camel", 80), ("snake", 20)] + ([("title", 15)] if hostile else [])
    style = _weighted(draw, styles)

    def put(key: str, value: Any) -> None:
        traits.setdefault(_style_key(key, style), value)

    # EC-2: where the email is.
    email = _email_variant(draw, pool.email(person), hostile)
    email_at = _weighted(
        draw,
        [("traits", 60), ("none", 12), ("context", 10), ("both_same", 10), ("both_different", 8)],
    )
    if email_at in ("traits", "both_same", "both_different"):
        traits["email"] = email
    context_email: str | None = None
    if email_at in ("context", "both_same"):
        context_email = email
    elif email_at == "both_different":
        context_email = _other_email(draw, pool, person)

    # EC-5: name vs firstName + lastName.
    first, last = _person_names(draw, person, hostile)
    naming = _weighted(draw, [("none", 25), ("name", 25), ("first_last", 30), ("all", 20)])
    if naming in ("name", "all"):
        put("name", f"{first} {last}")
    if naming in ("first_last", "all"):
        put("firstName", first)
        put("lastName", last)

    # EC-3: the user key only in traits.id; the reserved `id` trait otherwise mirrors userId.
    if mode == "traits_id" or (mode in ("both", "user", "anonymous_null") and _chance(draw, 10)):
        traits["id"] = user

    # EC-4: where the company key is (P-3 order: companyId, company_id, company.id, context).
    group_index = _index(draw, pool.group_ids)
    company_key = _company_key_value(draw, pool.group_ids[group_index], hostile)
    company_at = _weighted(
        draw,
        [
            ("none", 40),
            ("company", 20),
            ("companyId", 15),
            ("company_id", 10),
            ("company_name_only", 5),
            ("context", 10),
            ("several", 10 if hostile else 0),
        ],
    )
    company_name = _COMPANY_NAMES[group_index % len(_COMPANY_NAMES)]
    if company_at in ("company", "company_name_only"):
        company: Event = {"name": company_name}
        if company_at == "company":
            company["id"] = company_key
        if _chance(draw, 40):
            company["industry"] = _pick(draw, _INDUSTRIES)
        if _chance(draw, 30):
            company["employee_count"] = draw(st.integers(1, 5_000))
        if _chance(draw, 30):
            company["plan"] = _pick(draw, _PLANS)
        traits["company"] = company
    elif company_at in ("companyId", "company_id"):
        traits[company_at] = company_key
    elif company_at == "context":
        _context(envelope)["groupId"] = company_key
    elif company_at == "several":
        # Conflicting company keys: P-3's decided order picks companyId.
        other = pool.group_ids[_index(draw, pool.group_ids)]
        traits["companyId"] = company_key
        traits["company_id"] = other
        traits["company"] = {"name": company_name, "id": other}
        _context(envelope)["groupId"] = other

    # Reserved traits (Segment's identify spec) and a few ordinary custom ones, each optional.
    chosen = set(draw(st.lists(st.sampled_from(_OPTIONAL_TRAITS), unique=True, max_size=6)))
    if "title" in chosen:
        odd_title = hostile and _chance(draw, 30)
        put("title", _pick(draw, _HOSTILE_TITLES if odd_title else _TITLES))
    if "phone" in chosen:
        put("phone", "+46 70 123 45 67")
    if "createdAt" in chosen:
        put("createdAt", _date_value(draw, hostile))
    if "address" in chosen:
        address = {"street": "1 Main St", "city": "Stockholm", "state": "", "postalCode": "111 22"}
        put("address", {**address, "country": "SE"})
    if "age" in chosen:
        put("age", draw(st.integers(18, 90)))
    if "avatar" in chosen:
        put("avatar", "https://example.com/avatar.png")
    if "birthday" in chosen:
        put("birthday", _pick(draw, ["1990-05-01", "1990-05-01T00:00:00.000Z"]))
    if "description" in chosen:
        put("description", "Power user")
    if "gender" in chosen:
        put("gender", _pick(draw, ["female", "male", "non-binary"]))
    if "username" in chosen:
        put("username", f"{first.strip().lower()}{person}")
    if "website" in chosen:
        put("website", "https://example.com")
    if "plan" in chosen:  # custom traits: P-5 writes scalars to custom
        put("plan", _pick(draw, _PLANS))
    if "logins" in chosen:
        put("logins", draw(st.integers(0, 500)))
    if "betaUser" in chosen:
        put("betaUser", draw(st.booleans()))

    if hostile:
        _add_hostile_items(draw, traits)
        if _chance(draw, 25):
            _add_conflict(draw, traits, pool, person)

    event: Event = {"type": "identify", **ids}
    if not (hostile and _chance(draw, 5)):
        event["traits"] = traits
    event.update(envelope)
    if context_email is not None:
        _context(event).setdefault("traits", {})["email"] = context_email
    _maybe_pad(draw, event, profile, "traits")
    return _fit(event)


# ---------------------------------------------------------------------------------------------
# track (including B2B SaaS events), page, screen
# ---------------------------------------------------------------------------------------------

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


def _track_properties(draw: DrawFn, hostile: bool) -> Event:
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
    if hostile:
        if _chance(draw, 20):
            key, value = _pick(
                draw,
                [
                    ("revenue", "19.99"),
                    ("revenue", -5),
                    ("revenue", 1e21),
                    ("currency", "usd"),
                    ("value", None),
                ],
            )
            properties[key] = value
        _add_hostile_items(draw, properties, most=3)
    return properties


def _add_context_traits(
    draw: DrawFn, event: Event, pool: IdentityPool, person: int, hostile: bool
) -> None:
    """User traits on a non-identify call (A-6 and P-2 read context.traits.email)."""
    traits: Event = {"email": _email_variant(draw, pool.email(person), hostile)}
    if _chance(draw, 50):
        first, last = _person_names(draw, person, hostile)
        traits["name"] = f"{first} {last}"
    _context(event)["traits"] = traits


@st.composite
def _track_event(draw: DrawFn, pool: IdentityPool, profile: Profile, b2b: bool | None) -> Event:
    hostile = profile == "hostile"
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
        ids, _, _ = _identity(draw, pool, person, profile, identify=False)
        if hostile and _chance(draw, 30):
            name = draw(st.one_of(st.sampled_from(_HOSTILE_TRACK_EVENTS), st.text(max_size=30)))
        else:
            name = _pick(draw, _TRACK_EVENTS)
    envelope, _ = _envelope(draw, profile, prefer="server" if is_b2b else None)
    properties = _track_properties(draw, hostile)
    if is_b2b:
        properties.setdefault("plan", _pick(draw, _PLANS))
    event: Event = {"type": "track", **ids, "event": name, "properties": properties, **envelope}
    group_id = pool.group_ids[_index(draw, pool.group_ids)]
    if is_b2b or _chance(draw, 15):
        _context(event)["groupId"] = _company_key_value(draw, group_id, hostile)
    if _chance(draw, 25):
        _add_context_traits(draw, event, pool, person, hostile)
    _maybe_pad(draw, event, profile, "properties")
    return _fit(event)


@st.composite
def _page_event(draw: DrawFn, pool: IdentityPool, profile: Profile) -> Event:
    hostile = profile == "hostile"
    person = _index(draw, pool.user_ids)
    ids, _, _ = _identity(draw, pool, person, profile, identify=False)
    envelope, _ = _envelope(draw, profile, prefer="browser")
    location = _page_location(draw, hostile)
    context = envelope.get("context")
    if isinstance(context, dict) and isinstance(context.get("page"), dict):
        location = copy.deepcopy(context["page"])  # properties mirror context.page
    event: Event = {"type": "page", **ids}
    # name and category are optional; P-6 derives the activity name from them.
    if _chance(draw, 70):
        names = _pick(draw, ["Home", "Pricing", "Docs", "Signup"])
        if hostile and _chance(draw, 25):
            names = _pick(draw, ["", " Pricing ", "Prix €", "🚀", "pricing"])
        event["name"] = names
        location.setdefault("name", names)
    if _chance(draw, 40):
        category = _pick(draw, ["Marketing", "Docs", "Product"])
        if hostile and _chance(draw, 25):
            category = _pick(draw, ["", " Docs", "ドキュメント"])
        event["category"] = category
    properties: Event = location
    if _chance(draw, 30):
        keywords: list[str] = ["segment", "planhat"]
        if hostile:
            keywords = list(_pick(draw, [[], ["segment"], ["segment", "planhat", "segment"]]))
        properties["keywords"] = keywords
    if hostile:
        _add_hostile_items(draw, properties, most=2)
    event["properties"] = properties
    event.update(envelope)
    if _chance(draw, 15):
        _add_context_traits(draw, event, pool, person, hostile)
    if _chance(draw, 10):
        _context(event)["groupId"] = pool.group_ids[_index(draw, pool.group_ids)]
    _maybe_pad(draw, event, profile, "properties")
    return _fit(event)


@st.composite
def _screen_event(draw: DrawFn, pool: IdentityPool, profile: Profile) -> Event:
    hostile = profile == "hostile"
    person = _index(draw, pool.user_ids)
    ids, _, _ = _identity(draw, pool, person, profile, identify=False)
    envelope, _ = _envelope(draw, profile, prefer="mobile")
    event: Event = {"type": "screen", **ids}
    if _chance(draw, 80):
        event["name"] = _pick(draw, ["Dashboard", "Settings", "Onboarding Step 1"])
    properties: Event = {}
    if _chance(draw, 30):
        properties["variant"] = _pick(draw, ["a", "b"])
    if hostile:
        _add_hostile_items(draw, properties, most=2)
    event["properties"] = properties
    event.update(envelope)
    _maybe_pad(draw, event, profile, "properties")
    return _fit(event)


# ---------------------------------------------------------------------------------------------
# group
# ---------------------------------------------------------------------------------------------

_AUDIENCE_KEYS = ("order_completed_last_30days", "high_value_users", "trial_users", "churn_risk")
_HOSTILE_AUDIENCE_KEYS = ("Order Completed Last 30 Days", "aud.v2", "$vip", "🔥_users")
_ACCOUNT_AUDIENCE_KEYS = ("high_value_accounts", "expansion_ready", "at_risk_accounts")


def _audience_value(draw: DrawFn, entered: bool, hostile: bool) -> bool | str:
    """True / False; legacy journeys sent the strings "true" / "false" (EC-14)."""
    if hostile and _chance(draw, 15):
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


@st.composite
def _group_event(
    draw: DrawFn, pool: IdentityPool, profile: Profile, audience: bool | None
) -> Event:
    hostile = profile == "hostile"
    account_audience = _chance(draw, 8) if audience is None else audience
    index = _index(draw, pool.group_ids)
    group_id = _company_key_value(draw, pool.group_ids[index], hostile)
    person = _index(draw, pool.user_ids)
    ids, _, _ = _identity(draw, pool, person, profile, identify=False)
    envelope, _ = _envelope(draw, profile, engage=account_audience)

    traits: Event = {}
    if _chance(draw, 70):
        name = _COMPANY_NAMES[index % len(_COMPANY_NAMES)]
        if hostile and _chance(draw, 30):
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
        traits["createdAt"] = _date_value(draw, hostile)
    # Numeric traits become metric data points (P-7).
    if _chance(draw, 15):
        traits["total billed"] = draw(st.integers(0, 10_000_000)) / 100
    if _chance(draw, 30):
        traits["mrr"] = draw(st.integers(0, 1_000_000)) / 100
    if _chance(draw, 20):
        traits["seats"] = draw(st.integers(1, 500))
    if account_audience:
        key = _pick(draw, _ACCOUNT_AUDIENCE_KEYS)
        traits[key] = _audience_value(draw, _pick(draw, [True, False]), hostile)
        _context(envelope)["personas"] = _personas(draw, "audience", key, draw(_SPACES))
    if hostile:
        _add_hostile_items(draw, traits)

    event: Event = {"type": "group", **ids}
    if not (hostile and _chance(draw, 3)):  # P-7: a group without groupId is ignored
        event["groupId"] = group_id
    event["traits"] = traits
    event.update(envelope)
    if hostile and _chance(draw, 20):
        # EC-4: context.groupId naming another account than groupId.
        others = [g for g in pool.group_ids if str(g) != str(group_id)]
        _context(event)["groupId"] = _pick(draw, others) if others else f"{group_id}-other"
    elif _chance(draw, 10):
        _context(event)["groupId"] = group_id
    _maybe_pad(draw, event, profile, "traits")
    return _fit(event)


# ---------------------------------------------------------------------------------------------
# alias, delete, unknown types
# ---------------------------------------------------------------------------------------------


@st.composite
def _alias_event(draw: DrawFn, pool: IdentityPool, profile: Profile) -> Event:
    hostile = profile == "hostile"
    person = _index(draw, pool.user_ids)
    user = _user_key(draw, pool, person)
    previous: str | int = pool.anonymous_id(person)
    if hostile and _chance(draw, 30):
        other = pool.user_ids[_index(draw, pool.user_ids)]
        previous = _pick(draw, [other, user, "", 123])
    event: Event = {"type": "alias", "userId": user, "previousId": previous}
    if _chance(draw, 30):
        event["anonymousId"] = pool.anonymous_id(person)  # analytics.js sends it too
    envelope, _ = _envelope(draw, profile)
    event.update(envelope)
    _maybe_pad(draw, event, profile, None)
    return _fit(event)


@st.composite
def _delete_event(draw: DrawFn, pool: IdentityPool, profile: Profile) -> Event:
    person = _index(draw, pool.user_ids)
    ids, _, _ = _identity(draw, pool, person, profile, identify=False)
    envelope, _ = _envelope(draw, profile, prefer="server")
    event: Event = {"type": "delete", **ids, **envelope}
    _maybe_pad(draw, event, profile, None)
    return _fit(event)


_UNKNOWN_TYPES = ("batch", "merge", "experiment_viewed")
# Wrong case and stray spaces are other types too (T-3): type names are exact.
_HOSTILE_UNKNOWN_TYPES = ("Identify", "TRACK", "", " page", "page ")


@st.composite
def _unknown_type_event(draw: DrawFn, pool: IdentityPool, profile: Profile) -> Event:
    hostile = profile == "hostile"
    if hostile and _chance(draw, 30):
        type_ = draw(st.text(max_size=12).filter(lambda t: t not in _REAL_TYPES))
    elif hostile and _chance(draw, 40):
        type_ = _pick(draw, _HOSTILE_UNKNOWN_TYPES)
    else:
        type_ = _pick(draw, _UNKNOWN_TYPES)
    person = _index(draw, pool.user_ids)
    ids, _, _ = _identity(draw, pool, person, profile, identify=False)
    envelope, _ = _envelope(draw, profile)
    event: Event = {"type": type_, **ids}
    if _chance(draw, 50):
        event["properties"] = {"source": "custom"}
    event.update(envelope)
    _maybe_pad(draw, event, profile, None)
    return _fit(event)


# ---------------------------------------------------------------------------------------------
# Engage: audiences and computed traits
# ---------------------------------------------------------------------------------------------


def _engage_identify(
    draw: DrawFn,
    pool: IdentityPool,
    profile: Profile,
    *,
    person: int,
    traits: Event,
    personas: Event,
    identifier: str,
    base: datetime | None = None,
) -> Event:
    """One Engage identify: personas context, {"All": false, "Planhat": true}, sentAt null."""
    hostile = profile == "hostile"
    envelope, _ = _envelope(draw, profile, engage=True, base=base)
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
        email = _email_variant(draw, mailbox, hostile)
        ids = {"anonymousId": pool.anonymous_id(person)}
        if _chance(draw, 50):
            ids["userId"] = _user_key(draw, pool, person)
        traits["email"] = email
        envelope["context"]["traits"] = {"email": email}
    else:
        ids = {"anonymousId": pool.anonymous_id(person)}
    event: Event = {"type": "identify", **ids, "traits": traits, **envelope}
    return _fit(event)


def _audience_key(draw: DrawFn, hostile: bool) -> str:
    if hostile and _chance(draw, 20):
        return _pick(draw, _HOSTILE_AUDIENCE_KEYS)
    return _pick(draw, _AUDIENCE_KEYS)


@st.composite
def _engage_audience_event(draw: DrawFn, pool: IdentityPool, profile: Profile) -> Event:
    hostile = profile == "hostile"
    key = _audience_key(draw, hostile)
    person = _index(draw, pool.user_ids)
    value = _audience_value(draw, _pick(draw, [True, False]), hostile)
    identifier = _weighted(draw, [("user_id", 70), ("email", 20), ("anonymous_id", 10)])
    personas = _personas(draw, "audience", key, draw(_SPACES))
    return _engage_identify(
        draw,
        pool,
        profile,
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
def _engage_audience_sync(draw: DrawFn, pool: IdentityPool, profile: Profile) -> list[Event]:
    hostile = profile == "hostile"
    name, memberships = _weighted(draw, _AUDIENCE_PATTERNS)
    key = _audience_key(draw, hostile)
    person = _index(draw, pool.user_ids)
    personas = _personas(draw, "audience", key, draw(_SPACES))
    start = draw(_moments("realistic"))
    legacy = hostile and _chance(draw, 15)
    identifiers = ["user_id", "email"] if name == "several_identifiers" else ["user_id"]
    events: list[Event] = []
    for step, entered in enumerate(memberships):
        value: bool | str = ("true" if entered else "false") if legacy else entered
        for identifier in identifiers:
            events.append(
                _engage_identify(
                    draw,
                    pool,
                    profile,
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
def _engage_computed_trait_event(draw: DrawFn, pool: IdentityPool, profile: Profile) -> Event:
    key, values = _pick(draw, _COMPUTED_TRAITS)
    person = _index(draw, pool.user_ids)
    personas = _personas(draw, "trait", key, draw(_SPACES))
    return _engage_identify(
        draw,
        pool,
        profile,
        person=person,
        traits={key: draw(values)},
        personas=personas,
        identifier="user_id",
    )


# ---------------------------------------------------------------------------------------------
# Public per-type strategies
# ---------------------------------------------------------------------------------------------


def _check_profile(profile: str) -> None:
    if profile not in ("realistic", "hostile"):
        raise ValueError(f"profile must be 'realistic' or 'hostile', not {profile!r}")


def _over_pool(
    pool: IdentityPool | None,
    profile: Profile,
    build: Callable[[IdentityPool, Profile], SearchStrategy[_T]],
) -> SearchStrategy[_T]:
    _check_profile(profile)
    if pool is not None:
        return build(pool, profile)
    return _identity_pool(profile).flatmap(lambda drawn: build(drawn, profile))


def identify_events(
    pool: IdentityPool | None = None, profile: Profile = "realistic"
) -> SearchStrategy[Event]:
    """identify calls: reserved and custom traits, email and company keys in every place."""
    return _over_pool(pool, profile, _identify_event)


def track_events(
    pool: IdentityPool | None = None, profile: Profile = "realistic"
) -> SearchStrategy[Event]:
    """track calls, about one in five a B2B SaaS event with context.groupId."""
    return _over_pool(pool, profile, lambda p, prof: _track_event(p, prof, None))


def b2b_track_events(
    pool: IdentityPool | None = None, profile: Profile = "realistic"
) -> SearchStrategy[Event]:
    """B2B SaaS track calls ("Account Created", "Signed Up", "Trial Started" …) whose account
    is in context.groupId."""
    return _over_pool(pool, profile, lambda p, prof: _track_event(p, prof, True))


def page_events(
    pool: IdentityPool | None = None, profile: Profile = "realistic"
) -> SearchStrategy[Event]:
    """page calls with optional name and category."""
    return _over_pool(pool, profile, _page_event)


def screen_events(
    pool: IdentityPool | None = None, profile: Profile = "realistic"
) -> SearchStrategy[Event]:
    """screen calls (unsupported by the Planhat destination, T-3)."""
    return _over_pool(pool, profile, _screen_event)


def group_events(
    pool: IdentityPool | None = None, profile: Profile = "realistic"
) -> SearchStrategy[Event]:
    """group calls, some of them Engage account-level audiences (boolean traits)."""
    return _over_pool(pool, profile, lambda p, prof: _group_event(p, prof, None))


def alias_events(
    pool: IdentityPool | None = None, profile: Profile = "realistic"
) -> SearchStrategy[Event]:
    """alias calls: userId and previousId."""
    return _over_pool(pool, profile, _alias_event)


def delete_events(
    pool: IdentityPool | None = None, profile: Profile = "realistic"
) -> SearchStrategy[Event]:
    """user deletion requests (type ``delete``)."""
    return _over_pool(pool, profile, _delete_event)


def unknown_type_events(
    pool: IdentityPool | None = None, profile: Profile = "realistic"
) -> SearchStrategy[Event]:
    """Events whose ``type`` is none of Segment's (including wrong-case ``Identify``)."""
    return _over_pool(pool, profile, _unknown_type_event)


def engage_audience_events(
    pool: IdentityPool | None = None, profile: Profile = "realistic"
) -> SearchStrategy[Event]:
    """One Engage audience identify: a boolean trait named by the audience key (hostile: the
    legacy strings "true"/"false" too)."""
    return _over_pool(pool, profile, _engage_audience_event)


def engage_audience_syncs(
    pool: IdentityPool | None = None, profile: Profile = "realistic"
) -> SearchStrategy[list[Event]]:
    """One person's history in one audience: entry, entry then exit, exit without entry,
    repeated entry, re-entry, or one event per identifier (EC-14)."""
    return _over_pool(pool, profile, _engage_audience_sync)


def engage_computed_trait_events(
    pool: IdentityPool | None = None, profile: Profile = "realistic"
) -> SearchStrategy[Event]:
    """Engage computed traits: a number, string, ISO date or array under the trait key."""
    return _over_pool(pool, profile, _engage_computed_trait_event)


# ---------------------------------------------------------------------------------------------
# Any event, and sequences
# ---------------------------------------------------------------------------------------------

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

_BUILDERS: dict[str, Callable[[IdentityPool, Profile], SearchStrategy[Event]]] = {
    "identify": _identify_event,
    "track": lambda pool, profile: _track_event(pool, profile, False),
    "page": _page_event,
    "group": lambda pool, profile: _group_event(pool, profile, None),
    "b2b": lambda pool, profile: _track_event(pool, profile, True),
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
    draw: DrawFn, pool: IdentityPool | None, profile: Profile, kinds: tuple[tuple[str, int], ...]
) -> Event:
    chosen_pool = pool if pool is not None else draw(_identity_pool(profile))
    kind = _weighted(draw, kinds)
    return draw(_BUILDERS[kind](chosen_pool, profile))


def segment_events(
    profile: Profile = "realistic",
    pool: IdentityPool | None = None,
    types: Collection[str] | None = None,
) -> SearchStrategy[Event]:
    """One event of any type: mostly identify, track, page and group (with Engage audiences and
    B2B events among them), some screen, alias, delete and unknown types. ``types`` restricts
    the choice to names from :data:`EVENT_TYPES`."""
    _check_profile(profile)
    return _any_event(pool, profile, _kind_table(types))


@st.composite
def _event_sequence(
    draw: DrawFn,
    profile: Profile,
    min_size: int,
    max_size: int,
    kinds: tuple[tuple[str, int], ...],
) -> list[Event]:
    hostile = profile == "hostile"
    pool = draw(_identity_pool(profile))
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
                ("redelivery", 8 if hostile and events else 0),  # EC-12 same messageId
                ("near_duplicate", 8 if hostile and events else 0),  # EC-12 new messageId
            ],
        )
        if step == "event":
            add(draw(_any_event(pool, profile, kinds)))
        elif step == "audience_sync":
            for event in draw(_engage_audience_sync(pool, profile)):
                add(event)
        elif step == "computed_trait":
            add(draw(_engage_computed_trait_event(pool, profile)))
        else:
            original = events[_index(draw, events)]
            add(copy.deepcopy(original), redelivery=step == "redelivery")
    return events[:target]


def event_sequences(
    profile: Profile = "realistic",
    min_size: int = 1,
    max_size: int = 12,
    types: Collection[str] | None = None,
) -> SearchStrategy[list[Event]]:
    """Events over one shared :class:`IdentityPool`, so identities recur. Includes Engage audience
    histories; the hostile profile adds redeliveries (same event, same messageId) and
    near-duplicates (same content, new messageId)."""
    _check_profile(profile)
    if not 0 <= min_size <= max_size:
        raise ValueError(f"need 0 <= min_size <= max_size, got {min_size} and {max_size}")
    return _event_sequence(profile, min_size, max_size, _kind_table(types))
