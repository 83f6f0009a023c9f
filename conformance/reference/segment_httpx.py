"""The reference Segment -> Planhat destination, profile ``segment``: Python and httpx.

A real implementation a user could start from. One call of :func:`handle` delivers one Segment
event and either returns (outcome ``ok``) or raises one of Segment's Destination Functions
errors. The rules it follows (docs/contract.md):

- S-1: settings are checked first; bad settings reject every event as a ``ValidationError``
  and nothing is sent.
- T-4: an event whose ``integrations`` disable Planhat is ``ok`` with nothing sent (names are
  case-sensitive).
- T-1 / T-2 / T-3: identify, track, page and group are sent; alias is skipped (``ok``); every
  other type is ``EventNotSupported``.
- W-1 … W-4, W-6: one ``POST {host}/dock/segment`` with ``Authorization: Basic
  base64(apiKey + ":")``, ``Content-Type: application/json`` and the event itself as the body,
  serialised once, whole, with nothing re-typed.
- O-1 … O-3: 2xx -> ``ok``; connection errors, timeouts, 408, 429 and 5xx -> ``RetryError``
  (Segment retries later; this destination never retries internally, so W-5 holds trivially);
  any other 4xx -> ``ValidationError``.

The exception classes are defined here rather than imported, as a Destination Function would
get them from its runtime: the kit recognises them by name.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from typing import Any

import httpx

__all__ = [
    "SUBDOMAINS",
    "EventNotSupported",
    "InvalidEventPayload",
    "RetryError",
    "ValidationError",
    "handle",
]

SUBDOMAINS = ("api", "api-eu", "analytics")  # Segment's catalog options; "api" is the default
DELIVERED_TYPES = frozenset({"identify", "track", "page", "group"})  # T-1
SKIPPED_TYPES = frozenset({"alias"})  # T-2: Planhat ignores alias (P-9), so it is not sent
TIMEOUT = httpx.Timeout(4.0, connect=2.0)  # inside the 5 s Segment gives a Destination Function
RETRY_STATUSES = frozenset({408, 429})  # plus every 5xx (O-2)


class RetryError(Exception):
    """Segment retries the event later (O-2)."""


class ValidationError(Exception):
    """Segment drops the event: bad settings (S-1) or a 4xx from Planhat (O-3)."""


class InvalidEventPayload(Exception):
    """Segment drops the event: it cannot be sent as it is."""


class EventNotSupported(Exception):
    """Segment drops the event: this destination does not handle its type (T-3)."""


def handle(event: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
    """Deliver one Segment event to Planhat; return normally for ``ok``, raise otherwise."""
    endpoint, authorization = _endpoint(settings)
    if _disabled(event.get("integrations")):
        return  # T-4
    kind = event.get("type")
    if kind in SKIPPED_TYPES:
        return  # T-2
    if kind not in DELIVERED_TYPES:
        raise EventNotSupported(f"event type {kind!r} is not supported by Planhat")  # T-3
    body = _serialise(event)
    try:
        response = _client().post(
            endpoint,
            content=body,
            headers={"Authorization": authorization, "Content-Type": "application/json"},
        )
    except httpx.TransportError as exc:  # connection errors and timeouts (O-2)
        raise RetryError(f"Planhat could not be reached: {type(exc).__name__}: {exc}") from None
    _raise_for_status(response)


# --- settings: rule S-1 ------------------------------------------------------------------------


def _endpoint(settings: Mapping[str, Any]) -> tuple[str, str]:
    """The intake URL and Authorization header, or ValidationError for bad settings (S-1)."""
    api_key = settings.get("apiKey")
    if not isinstance(api_key, str) or not api_key.strip():
        raise ValidationError("the apiKey setting (Planhat tenant token) is missing or empty")
    subdomain = settings.get("subdomain")
    if subdomain is None:
        subdomain = "api"
    if subdomain not in SUBDOMAINS:
        raise ValidationError(
            f"the subdomain setting must be one of {', '.join(SUBDOMAINS)}, got {subdomain!r}"
        )
    base_url = settings.get("baseUrl")
    if isinstance(base_url, str) and base_url:
        origin = base_url.rstrip("/")
    else:
        origin = f"https://{subdomain}.planhat.com"
    token = base64.b64encode(f"{api_key}:".encode()).decode("ascii")  # W-2: empty password
    return f"{origin}/dock/segment", f"Basic {token}"


# --- integrations: rule T-4 ------------------------------------------------------------------


def _disabled(integrations: Any) -> bool:
    """``"Planhat": false``, or ``"All": false`` without Planhat switched on; case-sensitive."""
    if not isinstance(integrations, Mapping):
        return False
    planhat = integrations.get("Planhat")
    if planhat is False:
        return True
    # An options object switches a destination on, as in Segment's own routing.
    return integrations.get("All") is False and not (planhat is True or isinstance(planhat, dict))


# --- the wire: rules W-3, W-4, W-6 ---------------------------------------------------------


def _serialise(event: Mapping[str, Any]) -> bytes:
    """The event itself as UTF-8 JSON: no key added, renamed or dropped; nothing re-typed."""
    try:
        text = json.dumps(event, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidEventPayload(f"the event is not valid JSON: {exc}") from None
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate cannot travel as UTF-8
        raise InvalidEventPayload(f"the event is not valid UTF-8 text: {exc.reason}") from None


# --- outcomes: rules O-1 … O-3 ---------------------------------------------------------------


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return  # O-1
    detail = _detail(response)
    if status in RETRY_STATUSES or status >= 500:
        wait = response.headers.get("Retry-After")
        hint = f", Retry-After {wait}" if wait else ""
        raise RetryError(f"Planhat answered {status}{hint}: {detail}")  # O-2
    raise ValidationError(f"Planhat answered {status}: {detail}")  # O-3


def _detail(response: httpx.Response) -> str:
    """Planhat's error message when the body has one, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        return str(body["message"])
    return response.text[:200]


# --- one client per process: connection pooling, and no TLS setup per event ----------------

_CLIENT: httpx.Client | None = None
_CLIENT_LOCK = threading.Lock()


def _client() -> httpx.Client:
    global _CLIENT
    with _CLIENT_LOCK:
        if _CLIENT is None:
            _CLIENT = httpx.Client(timeout=TIMEOUT)
        return _CLIENT
