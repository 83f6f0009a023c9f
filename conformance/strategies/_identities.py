"""The few people and companies one sequence talks about, and how one event names them.

Events are drawn over a small :class:`IdentityPool`, so a sequence keeps meeting the same users,
emails and companies: matching, updates and unassigned contacts (P-4, P-5, P-8) get exercised
rather than every event creating a stranger. Comments cite the numbered Segment edge cases
as EC-1 … EC-15 (restated in ``docs/conformance.md``).
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from conformance.strategies._draw import (
    Event,
    EventMix,
    _chance,
    _check_mix,
    _edge,
    _index,
    _pick,
    _rate,
    _weighted,
)

_T = TypeVar("_T")


@dataclass(frozen=True)
class IdentityPool:
    """The few people and companies one sequence talks about.

    ``user_ids[i]``, ``emails[i % len(emails)]`` and ``anonymous_ids[i % len(anonymous_ids)]``
    describe person ``i``. Ids may be ints (EC-3).
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


# EC-3 and EC-9: ids a destination must pass through as they are. In the default mix each pool
# id is one of these now and then; in the hostile mix they are common.
_ODD_USER_IDS: tuple[str | int, ...] = (
    "00123",
    "",
    " ",
    2**53 + 1,  # EC-8 beyond float precision
    " user_1 ",
    "ユーザー1",
    "user_😀",
    "u\u0301ser",
    "مستخدم",
    "\t",
)
_ODD_GROUP_IDS: tuple[str | int, ...] = (
    "00123",
    "",
    " ",
    " acct_1 ",
    "société-1",
    "组织_1",
    "acct 😀",
)


@functools.cache  # strategies are immutable; building them anew each draw is slow
def _user_id_strategy(mix: EventMix) -> SearchStrategy[str | int]:
    realistic: SearchStrategy[str | int] = st.one_of(
        st.integers(1, 9_999).map(lambda n: f"user_{n}"),
        st.uuids(version=4).map(str),
        st.text(_ALNUM, min_size=8, max_size=8).map(lambda s: f"usr_{s}"),
    )
    if mix == "realistic":
        return realistic
    return st.one_of(
        realistic,
        st.integers(0, 1_000_000),  # EC-3 numeric id sent as a JSON number
        st.just("00123"),  # EC-3 leading zeros are part of the id
        st.integers(0, 99_999).map(lambda n: f"{n:05d}"),
        st.sampled_from(_ODD_USER_IDS),
    )


@functools.cache  # strategies are immutable; building them anew each draw is slow
def _group_id_strategy(mix: EventMix) -> SearchStrategy[str | int]:
    realistic: SearchStrategy[str | int] = st.one_of(
        st.integers(1, 999).map(lambda n: f"acct_{n}"),
        st.integers(1_000, 99_999).map(str),  # numeric CRM ids: company.id may be a number
        st.uuids(version=4).map(str),
        st.text(_BASE62, min_size=10, max_size=10).map(lambda s: f"0015g{s}"),  # Salesforce-like
    )
    if mix == "realistic":
        return realistic
    return st.one_of(
        realistic,
        st.integers(0, 1_000_000),
        st.sampled_from(_ODD_GROUP_IDS),
    )


@functools.cache  # strategies are immutable; building them anew each draw is slow
def _anonymous_id_strategy(mix: EventMix) -> SearchStrategy[str]:
    realistic = st.uuids(version=4).map(str)
    if mix == "realistic":
        return realistic
    return st.one_of(
        realistic,
        st.integers(0, 999).map(lambda n: f"anon-{n}"),
        st.sampled_from(["00123", " ", "匿名"]),
    )


def _pool_email(draw: DrawFn, index: int, domain: str, mix: EventMix, earlier: list[str]) -> str:
    first = _FIRST_NAMES[index % len(_FIRST_NAMES)]
    last = _LAST_NAMES[index % len(_LAST_NAMES)]
    table: list[tuple[str, int]] = [
        ("first", 50),
        ("first.last", 50),
        ("mixed_case", _rate(mix, 6, 25)),  # EC-2
        ("plus", _rate(mix, 4, 10)),
        ("unicode", _rate(mix, 2, 10)),  # EC-9
        ("spaces", _rate(mix, 2, 10)),  # P-2 compares trimmed
        ("shared", _rate(mix, 3, 15) if earlier else 0),  # P-4: contacts sharing one mailbox
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
def _distinct(kind: str, mix: EventMix, size: int) -> SearchStrategy[list[str | int]]:
    """``size`` ids of one kind, distinct once stringified (123 and "123" are one user, P-1)."""
    elements: SearchStrategy[str | int] = {
        "user": _user_id_strategy,
        "group": _group_id_strategy,
        "anonymous": _anonymous_id_strategy,
    }[kind](mix)
    return st.lists(elements, min_size=size, max_size=size, unique_by=str)


def _oddly(
    draw: DrawFn, mix: EventMix, ids: list[str | int], odd: tuple[str | int, ...]
) -> list[str | int]:
    """The default mix: now and then a numeric id (as analytics-node and the HTTP API send
    them, EC-3) or an odd one, still distinct once stringified."""
    if mix == "hostile":
        return ids
    out = list(ids)
    for i in range(len(out)):
        if not _chance(draw, 20):
            continue
        if _chance(draw, 50):
            candidate: str | int = draw(st.integers(1, 99_999))
        else:
            candidate = _pick(draw, odd[:5])  # the EC-3 forms first
        if str(candidate) not in {str(x) for x in out}:
            out[i] = candidate
    return out


@st.composite
def _identity_pool(draw: DrawFn, mix: EventMix) -> IdentityPool:
    n_users = draw(st.integers(2, 4))
    n_groups = draw(st.integers(1, 3))
    user_ids = _oddly(draw, mix, draw(_distinct("user", mix, n_users)), _ODD_USER_IDS)
    domain = _pick(draw, _DOMAINS)
    emails: list[str] = []
    for i in range(n_users):
        emails.append(_pool_email(draw, i, domain, mix, emails))
    for i in range(n_users):
        # EC-2 email as userId (possibly in another case than traits.email will carry).
        if _edge(draw, mix, 4, 20):
            candidate = emails[i] if _chance(draw, 50) else emails[i].lower()
            if candidate not in {str(u) for u in user_ids}:
                user_ids[i] = candidate
    group_ids = _oddly(draw, mix, draw(_distinct("group", mix, n_groups)), _ODD_GROUP_IDS)
    anonymous_ids = [str(a) for a in draw(_distinct("anonymous", mix, n_users))]
    return IdentityPool(tuple(user_ids), tuple(emails), tuple(group_ids), tuple(anonymous_ids))


def identity_pools(mix: EventMix = "realistic") -> SearchStrategy[IdentityPool]:
    """A small pool: 2 to 4 people (user id, email, anonymous id) and 1 to 3 group ids."""
    _check_mix(mix)
    return _identity_pool(mix)


def _over_pool(
    pool: IdentityPool | None,
    mix: EventMix,
    build: Callable[[IdentityPool, EventMix], SearchStrategy[_T]],
) -> SearchStrategy[_T]:
    """``build`` over ``pool``, or over a pool drawn first."""
    _check_mix(mix)
    if pool is not None:
        return build(pool, mix)
    return _identity_pool(mix).flatmap(lambda drawn: build(drawn, mix))


# ---------------------------------------------------------------------------------------------
# Identities on one event
# ---------------------------------------------------------------------------------------------


def _user_key(draw: DrawFn, pool: IdentityPool, person: int) -> str | int:
    raw = pool.user_ids[person]
    if isinstance(raw, int) and _chance(draw, 50):
        return str(raw)  # classic libraries stringify numbers; P-1 treats both alike
    return raw


def _email_variant(draw: DrawFn, email: str, mix: EventMix) -> str:
    odd = _rate(mix, 2, 10)
    form = _weighted(draw, [("as_is", 60), ("upper", odd), ("title", odd), ("spaces", odd)])
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
    draw: DrawFn, pool: IdentityPool, person: int, mix: EventMix, *, identify: bool
) -> tuple[Event, str, str | int]:
    """Top-level id keys for one event, the mode used (``traits_id`` asks the caller to put the
    user key into ``traits.id``) and the user key as drawn."""
    hostile = mix == "hostile"
    table: list[tuple[str, int]] = [
        ("both", 50),
        ("user", 15),  # EC-1 userId only
        ("anonymous", 17),  # EC-1 anonymous-only
        ("anonymous_null", 10),  # EC-1 analytics-python: "anonymousId": null
    ]
    if identify:
        # EC-3 user id only in traits.id or a top-level user_id.
        table += [("traits_id", 10), ("user_id_key", 10 if hostile else 8)]
        table.append(("none", _rate(mix, 1, 10)))  # EC-1 identify with traits only
    else:
        table.append(("user_id_key", _rate(mix, 1, 8)))
    mode = _weighted(draw, table)
    user = _user_key(draw, pool, person)
    if not hostile and _chance(draw, 5):
        user = _pick(draw, _ODD_USER_IDS[:5])  # EC-3 on one event, whoever the pool holds
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
        # Segment's API needs userId or anonymousId; synthetic events may lack both.
        if _chance(draw, _rate(mix, 90, 60)):
            ids["anonymousId"] = anonymous
    elif mode == "traits_id":
        ids = {"anonymousId": anonymous} if _chance(draw, _rate(mix, 90, 60)) else {}
    else:
        ids = {}
    return ids, mode, user


def _person_names(draw: DrawFn, person: int, mix: EventMix) -> tuple[str, str]:
    first = _FIRST_NAMES[person % len(_FIRST_NAMES)]
    last = _LAST_NAMES[person % len(_LAST_NAMES)]
    if _edge(draw, mix, 5, 30):
        first = _pick(draw, _HOSTILE_FIRST_NAMES)  # EC-9 unicode, EC-5 surrounding spaces
    if _edge(draw, mix, 8, 15):
        last = f" {last}  "  # EC-5 surrounding spaces
    return first, last


def _company_key_value(draw: DrawFn, group_id: str | int, mix: EventMix) -> str | int:
    """A company id as a string or a number (EC-4)."""
    numeric = isinstance(group_id, str) and group_id.isdigit()
    if numeric and _chance(draw, 40) and (mix == "hostile" or not str(group_id).startswith("0")):
        return int(group_id)  # hostile: "00123" → 123 loses the zeros, as some senders do
    if isinstance(group_id, int) and _chance(draw, 30):
        return str(group_id)
    return group_id
