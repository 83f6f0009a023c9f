"""Mutants of rules W-1 … W-6: what goes over the wire, profile segment."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from conformance.mutants.mutant import Event, Mutant, transformed
from conformance.reference import segment_httpx
from conformance.reference.segment_requests import SegmentForwarder

__all__ = ["MUTANTS"]

TRUNCATE_AT = 1000  # characters: a "max property length" some forwarders impose


class RegionalHostTypo(SegmentForwarder):
    """Builds the EU host as ``api.eu.planhat.com``."""

    def origin(self, subdomain: str) -> str:
        return "https://api.eu.planhat.com" if subdomain == "api-eu" else super().origin(subdomain)


class TokenAsPassword(SegmentForwarder):
    """Puts the tenant token in the Basic password instead of the user name."""

    def authorization(self, api_key: str) -> str:
        return "Basic " + base64.b64encode(f":{api_key}".encode()).decode("ascii")


class BearerAuth(SegmentForwarder):
    """Sends the tenant token as a Bearer token, as Planhat's REST API takes its API token."""

    def authorization(self, api_key: str) -> str:
        return f"Bearer {api_key}"


class TextContentType(SegmentForwarder):
    """Labels the JSON body ``text/plain``."""

    content_type = "text/plain; charset=utf-8"


class AstralEscapedWrongly(SegmentForwarder):
    """Escapes every non-ASCII character as ``\\u`` plus its code point in hex: right below
    U+10000, wrong above (🚀 becomes ``\\u1f680``, which JSON reads as U+1F68 and "0")."""

    def body(self, event: Mapping[str, Any]) -> bytes:
        text = json.dumps(event, ensure_ascii=False)
        return re.sub(r"[^\x00-\x7f]", lambda m: f"\\u{ord(m.group()):04x}", text).encode("ascii")


class RetryRestamped(SegmentForwarder):
    """Stamps ``sentAt`` afresh on each retry, so the retried body is not the first one."""

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], attempt: int
    ) -> requests.Response:
        if attempt > 1:
            event = json.loads(body)
            event["sentAt"] = datetime.now(UTC).isoformat(timespec="milliseconds")
            body = json.dumps(event).encode("ascii")
        return super().post(url, body, headers, attempt)


def user_id_renamed(event: Event) -> None:
    """Renames the top-level ``user_id`` to ``userId``."""
    if "user_id" in event:
        event["userId"] = event.pop("user_id")


def numeric_strings_coerced(event: Event) -> Event:
    """Turns strings of digits into numbers: ``"00123"`` becomes ``123``."""

    def coerce(value: Any) -> Any:
        if isinstance(value, str) and value.isascii() and value.isdigit():
            return int(value)
        if isinstance(value, dict):
            return {k: coerce(v) for k, v in value.items()}
        if isinstance(value, list):
            return [coerce(v) for v in value]
        return value

    return dict(coerce(event))


def nulls_dropped(event: Event) -> Event:
    """Leaves out every member whose value is null (a "compact" clean-up)."""

    def compact(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: compact(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [compact(v) for v in value]
        return value

    return dict(compact(event))


def ids_stringified(event: Event) -> None:
    """Sends numeric ``userId`` and ``groupId`` as strings, as if every id were text."""
    for key in ("userId", "groupId"):
        value = event.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            event[key] = str(value)


def long_strings_truncated(event: Event) -> Event:
    """Cuts every string to 1,000 characters."""

    def cut(value: Any) -> Any:
        if isinstance(value, str):
            return value[:TRUNCATE_AT]
        if isinstance(value, dict):
            return {k: cut(v) for k, v in value.items()}
        if isinstance(value, list):
            return [cut(v) for v in value]
        return value

    return dict(cut(event))


def sent_twice(event: Event, settings: dict[str, Any]) -> None:
    """Delivers each event twice (a handler and a batch path both forward it)."""
    segment_httpx.handle(event, settings)
    segment_httpx.handle(event, settings)


MUTANTS = (
    Mutant(
        "wrong-host-for-api-eu",
        "subdomain api-eu is sent to api.eu.planhat.com instead of api-eu.planhat.com",
        ("W-1",),
        "segment_requests",
        "W",
        handle=RegionalHostTypo().handle,
    ),
    Mutant(
        "token-as-password",
        "the tenant token is put in the Basic password: base64(':' + apiKey)",
        ("W-2",),
        "segment_requests",
        "W",
        handle=TokenAsPassword().handle,
    ),
    Mutant(
        "bearer-auth",
        "Authorization: Bearer <apiKey> instead of Basic",
        ("W-2",),
        "segment_requests",
        "W",
        handle=BearerAuth().handle,
    ),
    Mutant(
        "basic-auth-without-colon",
        "Basic base64(apiKey), the trailing colon (empty password) missing",
        ("W-2",),
        "segment_node",
        "W",
        script="basic_auth_without_colon.mjs",
    ),
    Mutant(
        "wrong-content-type",
        "the JSON body is sent as Content-Type: text/plain",
        ("W-3",),
        "segment_requests",
        "W",
        handle=TextContentType().handle,
    ),
    Mutant(
        "user-id-renamed",
        "the top-level user_id is renamed userId",
        ("W-4",),
        "segment_httpx",
        "W",
        handle=transformed(segment_httpx.handle, user_id_renamed),
    ),
    Mutant(
        "numeric-strings-coerced",
        'strings of digits are sent as numbers ("00123" becomes 123)',
        ("W-4",),
        "segment_httpx",
        "W",
        handle=transformed(segment_httpx.handle, numeric_strings_coerced),
    ),
    Mutant(
        "unicode-escaped-wrongly",
        "non-ASCII escaped as \\u + code point: characters above U+FFFF (emoji) come out wrong",
        ("W-4",),
        "segment_requests",
        "W",
        handle=AstralEscapedWrongly().handle,
    ),
    Mutant(
        "precision-lost",
        "the body is re-serialised with JSON.parse/JSON.stringify: integers above 2**53 change",
        ("W-4",),
        "segment_node",
        "W",
        script="json_roundtrip.mjs",
        event_profile="hostile",
        max_examples=60,
        rules=("W-4", "E-1"),  # found by exploration: keep the search on the rule it breaks
        time_budget=10.0,  # caps the shrinking of a hostile sequence through a Node process
    ),
    Mutant(
        "nulls-dropped",
        "members whose value is null are left out (sentAt: null, anonymousId: null …)",
        ("W-4",),
        "segment_httpx",
        "W",
        handle=transformed(segment_httpx.handle, nulls_dropped),
        max_examples=30,
        time_budget=10.0,  # no scenario has a null: the exploration must find one
    ),
    Mutant(
        "ids-stringified",
        'numeric userId and groupId are sent as strings (123 becomes "123")',
        ("W-4",),
        "segment_httpx",
        "W",
        handle=transformed(segment_httpx.handle, ids_stringified),
        event_profile="hostile",  # only hostile events carry numeric ids
        max_examples=30,
        time_budget=10.0,
    ),
    Mutant(
        "sent-twice",
        "every event is posted twice",
        ("W-5",),
        "segment_httpx",
        "W",
        handle=sent_twice,
    ),
    Mutant(
        "retry-body-changed",
        "a retry re-stamps sentAt, so the retried body differs from the first",
        ("W-5",),
        "segment_requests",
        "W",
        handle=RetryRestamped().handle,
    ),
    Mutant(
        "long-strings-truncated",
        "strings are cut to 1,000 characters, so a 32 KB event is not sent whole",
        ("W-6",),
        "segment_httpx",
        "W",
        handle=transformed(segment_httpx.handle, long_strings_truncated),
    ),
)
