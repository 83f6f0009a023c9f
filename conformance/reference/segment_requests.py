"""A Segment -> Planhat destination, profile ``segment``: Python and ``requests``, retrying itself.

Where :mod:`conformance.reference.segment_httpx` leaves every retry to Segment, this one retries
a transient failure a few times before giving up, as a forwarder outside Segment's Functions
runtime has to. The rules it follows (docs/contract.md):

- S-1: bad settings (``apiKey`` missing or empty, ``subdomain`` outside the list) reject every
  event as a ``ValidationError``; nothing is sent.
- T-4: ``integrations`` that disable Planhat: ``ok``, nothing sent (names are case-sensitive).
- T-1 / T-2 / T-3: identify, track, page and group are sent; alias is sent too (rule T-2 allows
  it; Planhat ignores it, P-9); every other type is ``EventNotSupported``.
- W-1 … W-4, W-6: one ``POST {host}/dock/segment``, ``Authorization: Basic base64(apiKey + ":")``,
  ``Content-Type: application/json``, the event itself as the body (ASCII-escaped JSON: the same
  JSON value, and safe for any string the event holds).
- O-1 … O-3: 2xx -> ``ok``; any other 4xx -> ``ValidationError`` at once, never retried (O-3).
- O-2 and W-5: a connection error, timeout, 408, 429 or 5xx is retried up to
  ``max_attempts`` times with the **identical body**, waiting what ``Retry-After`` asks (or a
  short backoff without one); when attempts run out, or Planhat asks for a longer wait than
  ``max_wait``, it gives up with ``RetryError`` so Segment retries later — never ``ok``.

The behaviour is split into small methods of :class:`SegmentForwarder`, one decision each, so a
variant (or a mutant of the self-test) overrides exactly one of them.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import requests

__all__ = [
    "SUBDOMAINS",
    "EventNotSupported",
    "InvalidEventPayload",
    "RetryError",
    "SegmentForwarder",
    "ValidationError",
    "handle",
]

log = logging.getLogger(__name__)

SUBDOMAINS = ("api", "api-eu", "analytics")  # Segment's catalog options; "api" is the default
Verdict = Literal["ok", "retry", "discard"]


class RetryError(Exception):
    """Segment retries the event later (O-2)."""


class ValidationError(Exception):
    """Segment drops the event: bad settings (S-1) or a 4xx from Planhat (O-3)."""


class InvalidEventPayload(Exception):
    """Segment drops the event: it cannot be sent as it is."""


class EventNotSupported(Exception):
    """Segment drops the event: this destination does not handle its type (T-3)."""


class SegmentForwarder:
    """Forwards Segment events to Planhat's ``/dock/segment`` intake, retrying transient
    failures itself. ``handle(event, settings)`` returns for ``ok`` and raises otherwise."""

    sent_types = frozenset({"identify", "track", "page", "group", "alias"})  # T-1, T-2
    content_type = "application/json"  # W-3
    max_attempts = 3  # requests per delivery, the first included
    backoff = 0.05  # seconds before the 2nd attempt when Planhat gives no Retry-After; doubles
    max_wait = 5.0  # a longer Retry-After is left to Segment's own retries
    timeout = (5.0, 10.0)  # connect, read

    def __init__(self) -> None:
        self._local = threading.local()  # a requests.Session is not meant to be shared

    # --- one event -------------------------------------------------------------------------

    def handle(self, event: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
        """Deliver one Segment event; return normally for ``ok``, raise Segment's errors."""
        url, api_key = self.configure(settings)
        if not self.enabled(event.get("integrations")):
            return  # T-4
        kind = event.get("type")
        if kind not in self.sent_types:
            raise EventNotSupported(f"event type {kind!r} is not supported by Planhat")  # T-3
        body = self.body(event)
        headers = {"Authorization": self.authorization(api_key), "Content-Type": self.content_type}
        self.send(url, body, headers)

    # --- settings: S-1, W-1 ----------------------------------------------------------------

    def configure(self, settings: Mapping[str, Any]) -> tuple[str, str]:
        """The intake URL and the apiKey, or ``ValidationError`` for bad settings (S-1)."""
        api_key = settings.get("apiKey")
        if not isinstance(api_key, str) or api_key == "":
            raise ValidationError("the apiKey setting (Planhat tenant token) is missing or empty")
        subdomain = settings.get("subdomain")
        if subdomain is None:
            subdomain = "api"
        if subdomain not in SUBDOMAINS:
            raise ValidationError(
                f"the subdomain setting must be one of {', '.join(SUBDOMAINS)}, not {subdomain!r}"
            )
        base_url = settings.get("baseUrl")  # test-only override (a test-only setting)
        origin = base_url.rstrip("/") if isinstance(base_url, str) and base_url else None
        return f"{origin or self.origin(subdomain)}/dock/segment", api_key

    def origin(self, subdomain: str) -> str:
        """W-1: ``https://{subdomain}.planhat.com``."""
        return f"https://{subdomain}.planhat.com"

    # --- integrations: T-4 -----------------------------------------------------------------

    def enabled(self, integrations: Any) -> bool:
        """False for ``"Planhat": false``, or ``"All": false`` unless Planhat is switched on
        (``true`` or an options object). Names are case-sensitive."""
        if not isinstance(integrations, Mapping):
            return True
        planhat = integrations.get("Planhat")
        if planhat is False:
            return False
        return integrations.get("All") is not False or planhat is True or isinstance(planhat, dict)

    # --- the request: W-2, W-3, W-4 --------------------------------------------------------

    def authorization(self, api_key: str) -> str:
        """W-2: the tenant token as user name, empty password."""
        return "Basic " + base64.b64encode(f"{api_key}:".encode()).decode("ascii")

    def body(self, event: Mapping[str, Any]) -> bytes:
        """W-4: the event itself. ASCII escapes keep every string exact (even a lone surrogate)
        and the bytes valid UTF-8 (W-3); Python's ints keep every digit."""
        try:
            return json.dumps(event, allow_nan=False).encode("ascii")
        except (TypeError, ValueError) as exc:
            raise InvalidEventPayload(f"the event is not valid JSON: {exc}") from None

    # --- delivery with retries: O-1 … O-3, W-5 ---------------------------------------------

    def send(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        """POST until Planhat answers for good; the same ``body`` every time (W-5)."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = self.post(url, body, headers, attempt)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem, wait = f"Planhat could not be reached: {type(exc).__name__}", None
            else:
                verdict = self.classify(response)
                if verdict == "ok":
                    return  # O-1
                problem = f"Planhat answered {response.status_code}: {_detail(response)}"
                if verdict == "discard":
                    raise ValidationError(problem)  # O-3: not retried
                wait = self.retry_after(response)
            delay = wait if wait is not None else self.backoff * 2 ** (attempt - 1)
            if attempt == self.max_attempts or delay > self.max_wait:
                self.give_up(f"{problem} (after {attempt} attempt(s))")
                return
            log.info("%s; retrying in %.2f s", problem, delay)
            time.sleep(delay)

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], attempt: int
    ) -> requests.Response:
        log.debug("POST %s (attempt %d)", url, attempt)
        return self.session().post(url, data=body, headers=dict(headers), timeout=self.timeout)

    def classify(self, response: requests.Response) -> Verdict:
        """O-1: 2xx is ok; O-2: 408, 429 and 5xx are transient; O-3: other 4xx are final."""
        status = response.status_code
        if 200 <= status < 300:
            return "ok"
        if status in (408, 429) or status >= 500:
            return "retry"
        return "discard"

    def retry_after(self, response: requests.Response) -> float | None:
        """Seconds Planhat asks to wait: ``Retry-After`` as seconds or an HTTP date."""
        value = response.headers.get("Retry-After")
        if value is None:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return max(0.0, (moment - datetime.now(UTC)).total_seconds())

    def give_up(self, problem: str) -> None:
        """O-2: out of attempts (or asked to wait too long): Segment retries later."""
        raise RetryError(problem)

    def session(self) -> requests.Session:
        """One pooled session per thread."""
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session


def _detail(response: requests.Response) -> str:
    """Planhat's error message when the body has one, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, Mapping) and isinstance(body.get("message"), str):
        return str(body["message"])
    return response.text[:200]


handle = SegmentForwarder().handle
