"""The request journal: every request to a Planhat route, bounded, queried in domain terms.

WireMock's unbounded journal ran its users out of memory; this one keeps the newest
``max_entries`` and counts what it dropped. Authorization headers and tenant tokens in paths are
stored as a scheme and a fingerprint, never whole.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from fake_planhat.auth import fingerprint

DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_BODY_LIMIT = 256 * 1024  # bytes of request or answer body kept per entry
# What all entries together keep (bodies, answers, headers, outcomes, everything): 10,000
# entries of 5,000-item bulks would otherwise hold gigabytes. Past it the oldest entries go, as
# past max_entries. docs/security.md gives the memory ceiling this implies.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# Per entry: header values longer than this are clipped; lists in an outcome (effects, touched
# ids) and the entry's own lists keep this many items and say how many more there were.
HEADER_VALUE_LIMIT = 8 * 1024
LIST_LIMIT = 100
# What an entry costs beyond its characters (the objects themselves), counted in the bound.
ENTRY_OVERHEAD = 1024


@dataclass
class Entry:
    """One request and what the fake did with it."""

    seq: int
    time: str
    method: str
    host: str
    path: str  # tenant tokens in the path replaced by their fingerprint
    query: str
    route: str | None  # Flask endpoint, e.g. "dock.segment"; None for an unknown route
    headers: dict[str, str]
    body: str
    body_truncated: bool
    status: int
    answer: str
    tenant: str | None = None  # fingerprint of the tenant's token
    message_id: str | None = None
    outcome: dict[str, Any] | None = None  # intake.Outcome.to_json()
    contacts: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    near_miss: list[str] = field(default_factory=list)
    fault: str | None = None
    duration_ms: float = 0.0
    # the fault that fired, structured: status, retryAfter, latency, cut ("before"/"after")
    fault_spec: dict[str, Any] | None = None

    @property
    def cut(self) -> str | None:
        """How the connection was cut: ``"before"`` or ``"after"`` the route ran, else None."""
        cut = (self.fault_spec or {}).get("cut")
        return cut if isinstance(cut, str) else None

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "method": self.method,
            "host": self.host,
            "path": self.path,
            "query": self.query,
            "route": self.route,
            "headers": dict(self.headers),
            "body": self.body,
            "bodyTruncated": self.body_truncated,
            "status": self.status,
            "answer": self.answer,
            "tenant": self.tenant,
            "messageId": self.message_id,
            "outcome": self.outcome,
            "contacts": list(self.contacts),
            "companies": list(self.companies),
            "nearMiss": list(self.near_miss),
            "fault": self.fault,
            "durationMs": round(self.duration_ms, 3),
            "faultSpec": self.fault_spec,
        }


# Tokens shorter than this are replaced only where they stand alone (not inside a longer
# word), so a three-letter token does not garble every word that contains it.
WHOLE_WORD_BELOW = 8
_WORD = r"A-Za-z0-9_\-"


@functools.lru_cache(maxsize=64)
def _secret_pattern(secrets: frozenset[str]) -> tuple[re.Pattern[str], dict[str, str]] | None:
    """One regex for every form a token takes in text: as is, percent-encoded (``%2F``, ``+``
    for spaces) and JSON-escaped; and what each form stands for."""
    forms: dict[str, str] = {}
    for secret in secrets:
        if secret:
            for form in (secret, quote(secret, safe=""), quote_plus(secret)):
                forms.setdefault(form, secret)
            forms.setdefault(json.dumps(secret)[1:-1], secret)
    if not forms:
        return None
    alternatives = []
    for form in sorted(forms, key=len, reverse=True):  # the longest form first
        escaped = re.escape(form)
        if len(forms[form]) < WHOLE_WORD_BELOW:
            escaped = rf"(?<![{_WORD}]){escaped}(?![{_WORD}])"
        alternatives.append(escaped)
    return re.compile("|".join(alternatives)), forms


def scrub(text: str, secrets: frozenset[str]) -> str:
    """``text`` with every token in ``secrets`` (in any of its forms) shown as ``fp:…``."""
    found = _secret_pattern(secrets)
    if found is None or not text:
        return text
    pattern, forms = found
    return pattern.sub(lambda m: f"fp:{fingerprint(forms[m.group()])}", text)


class Journal:
    """A bounded, thread-safe log of :class:`Entry`, oldest dropped first."""

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        body_limit: int = DEFAULT_BODY_LIMIT,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        if max_entries < 1:
            raise ValueError("the journal needs room for at least one entry")
        self.max_entries = max_entries
        self.body_limit = body_limit
        self.max_bytes = max_bytes
        self._bytes = 0  # characters of body and answer held by the kept entries
        self.enabled = True
        self._entries: deque[Entry] = deque(maxlen=max_entries)
        self._seq = 0
        self._dropped = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def dropped(self) -> int:
        """How many entries the bound pushed out since the last clear."""
        return self._dropped

    @property
    def total(self) -> int:
        """How many requests were journaled since the last clear (kept + dropped)."""
        return len(self._entries) + self._dropped

    def next_seq(self) -> int:
        with self._lock:
            self._seq += 1
            return self._seq

    def clip(self, data: bytes) -> tuple[str, bool]:
        """A body as kept: decoded (invalid UTF-8 replaced), cut at ``body_limit`` bytes."""
        truncated = len(data) > self.body_limit
        return data[: self.body_limit].decode("utf-8", "replace"), truncated

    @property
    def kept_bytes(self) -> int:
        """Characters of request and answer bodies the kept entries hold (bounded by
        ``max_bytes``)."""
        return self._bytes

    def record(self, entry: Entry) -> None:
        if not self.enabled:
            return
        _clip_entry(entry)
        size = entry_size(entry)
        with self._lock:
            if len(self._entries) == self.max_entries:
                self._bytes -= entry_size(self._entries.popleft())
                self._dropped += 1
            self._entries.append(entry)
            self._bytes += size
            # the newest entry always stays, even alone over the budget
            while self._bytes > self.max_bytes and len(self._entries) > 1:
                self._bytes -= entry_size(self._entries.popleft())
                self._dropped += 1

    def clear(self, tenant_token: str | None = None) -> None:
        """Forget everything, or only one tenant's entries."""
        with self._lock:
            if tenant_token is None:
                self._entries.clear()
                self._dropped = 0
                self._bytes = 0
                return
            fp = fingerprint(tenant_token)
            kept = [e for e in self._entries if e.tenant != fp]
            self._entries = deque(kept, maxlen=self.max_entries)
            self._bytes = sum(entry_size(e) for e in kept)

    def query(
        self,
        *,
        route: str | None = None,
        tenant: str | None = None,
        message_id: str | None = None,
        contact: str | None = None,
        company: str | None = None,
        method: str | None = None,
        host: str | None = None,
        status: int | None = None,
        since: int | None = None,
        path_prefix: str | None = None,
    ) -> list[Entry]:
        """Entries matching every given criterion, oldest first.

        ``route`` is a Flask endpoint (``dock.segment``) or its blueprint (``dock``);
        ``tenant`` a tenant token (compared by fingerprint); ``since`` a ``seq`` to start after.
        """
        with self._lock:
            entries: Iterable[Entry] = list(self._entries)
        tenant_fp = fingerprint(tenant) if tenant is not None else None
        method = method.upper() if method is not None else None

        def keep(e: Entry) -> bool:
            return (
                (
                    route is None
                    or e.route == route
                    or (e.route is not None and e.route.split(".")[0] == route)
                )
                and (tenant_fp is None or e.tenant == tenant_fp)
                and (message_id is None or e.message_id == message_id)
                and (contact is None or contact in e.contacts)
                and (company is None or company in e.companies)
                and (method is None or e.method == method)
                and (host is None or e.host == host)
                and (status is None or e.status == status)
                and (since is None or e.seq > since)
                and (path_prefix is None or e.path.startswith(path_prefix))
            )

        return [e for e in entries if keep(e)]

    def last(self) -> Entry | None:
        with self._lock:
            return self._entries[-1] if self._entries else None


def entry_size(entry: Entry) -> int:
    """Characters an entry holds, every field counted, plus :data:`ENTRY_OVERHEAD`."""
    return (
        ENTRY_OVERHEAD
        + len(entry.body)
        + len(entry.answer)
        + len(entry.time)
        + len(entry.method)
        + len(entry.host)
        + len(entry.path)
        + len(entry.query)
        + len(entry.route or "")
        + sum(len(k) + len(v) for k, v in entry.headers.items())
        + len(entry.tenant or "")
        + len(entry.message_id or "")
        + _chars(entry.outcome)
        + sum(len(c) for c in entry.contacts)
        + sum(len(c) for c in entry.companies)
        + sum(len(n) for n in entry.near_miss)
        + len(entry.fault or "")
    )


def _chars(value: Any) -> int:
    """Characters of the strings in a JSON value (keys included), numbers as 8."""
    stack = [value]
    total = 0
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            total += sum(len(str(k)) for k in item)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif item is not None:
            total += 8
    return total


def _clipped_text(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… (clipped: {len(text)} characters)"


def _clipped_list(items: list[Any]) -> list[Any]:
    if len(items) <= LIST_LIMIT:
        return items
    return [*items[:LIST_LIMIT], f"… and {len(items) - LIST_LIMIT} more"]


def _clip_entry(entry: Entry) -> None:
    """Bound what one entry keeps besides its (already clipped) bodies: headers, outcome lists,
    touched ids and near misses (docs/security.md)."""
    if any(len(v) > HEADER_VALUE_LIMIT for v in entry.headers.values()):
        entry.headers = {k: _clipped_text(v, HEADER_VALUE_LIMIT) for k, v in entry.headers.items()}
    if entry.outcome is not None:
        entry.outcome = {
            k: _clipped_list(v) if isinstance(v, list) else v for k, v in entry.outcome.items()
        }
    entry.contacts = _clipped_list(entry.contacts)
    entry.companies = _clipped_list(entry.companies)
    entry.near_miss = _clipped_list(entry.near_miss)
