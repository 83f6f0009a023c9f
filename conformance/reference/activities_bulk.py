"""A translating Segment -> Planhat destination, profile ``activities``: Python and httpx.

Instead of forwarding raw Segment messages, it turns each track and page into a Planhat *user
activity* and posts it to the tracking API, as the PostHog, Hull and analytics-npm plugins do:
``POST https://analytics.planhat.com/analytics/bulk/{apiKey}`` with a JSON array (here of one
activity; a batching forwarder would send up to 5,000). The tenant token in the path
authenticates: no Authorization header. The rules it follows (docs/contract.md):

- S-1: bad settings reject every event as a ``ValidationError``; nothing is sent.
- T-4: ``integrations`` that disable Planhat: ``ok``, nothing sent.
- Identify and group are not sent (they would need Planhat's REST API and an extra API token):
  ``ok``. Alias is skipped (T-2). Every other type is ``EventNotSupported`` (T-3).
- A-1: track and page go to ``/analytics/bulk/{apiKey}`` on ``analytics.planhat.com`` whatever
  the ``subdomain`` (the tracking host is the same for every region), or on
  ``analyticsBaseUrl`` when the test harness gives one.
- A-2: ``action`` = the track's ``event`` verbatim; a page's action is Segment's classic naming
  (P-6). A track without an event name has no action: ``InvalidEventPayload``.
- A-3: ``info`` = the ``properties``, unchanged. A-4: ``date`` = the ``timestamp``.
- A-5: ``externalId`` = ``userId`` (without one, P-1's ``user_id`` or ``traits.id``), never the
  ``anonymousId``.
- A-6: ``email`` from ``context.traits.email``, else ``traits.email``; ``companyExternalId`` =
  the company key of rule P-3.
- A-7: neither a user key nor an email: nothing is sent, ``ok``.
- O-1 … O-3: 2xx ``ok``; connection errors, 408, 429, 5xx ``RetryError``; other 4xx
  ``ValidationError``.

Each field is one method of :class:`ActivityForwarder`, so a variant overrides exactly one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

__all__ = [
    "ANALYTICS_ORIGIN",
    "SUBDOMAINS",
    "ActivityForwarder",
    "EventNotSupported",
    "InvalidEventPayload",
    "RetryError",
    "ValidationError",
    "handle",
]

SUBDOMAINS = ("api", "api-eu", "analytics")  # validated (S-1) though activities ignore it
ANALYTICS_ORIGIN = "https://analytics.planhat.com"  # one tracking host for every region
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
Activity = dict[str, Any]


class RetryError(Exception):
    """Segment retries the event later (O-2)."""


class ValidationError(Exception):
    """Segment drops the event: bad settings (S-1) or a 4xx from Planhat (O-3)."""


class InvalidEventPayload(Exception):
    """Segment drops the event: it cannot be turned into an activity."""


class EventNotSupported(Exception):
    """Segment drops the event: this destination does not handle its type (T-3)."""


class ActivityForwarder:
    """Posts Segment track and page events to Planhat as user activities."""

    translated_types = frozenset({"track", "page"})
    skipped_types = frozenset({"identify", "group", "alias"})  # no REST token; T-2
    path = "/analytics/bulk/{token}"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None

    def handle(self, event: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
        """Deliver one Segment event; return normally for ``ok``, raise Segment's errors."""
        url = self.url(settings)
        if not self.enabled(event.get("integrations")):
            return  # T-4
        kind = event.get("type")
        if kind in self.skipped_types:
            return
        if kind not in self.translated_types:
            raise EventNotSupported(f"event type {kind!r} is not supported by Planhat")  # T-3
        activity = self.activity(event)
        if activity is None:
            return
        self.post(url, [activity])

    # --- settings: S-1, A-1 ----------------------------------------------------------------

    def url(self, settings: Mapping[str, Any]) -> str:
        api_key = settings.get("apiKey")
        if not isinstance(api_key, str) or api_key == "":
            raise ValidationError("the apiKey setting (Planhat tenant token) is missing or empty")
        subdomain = settings.get("subdomain")
        if subdomain is not None and subdomain not in SUBDOMAINS:
            raise ValidationError(
                f"the subdomain setting must be one of {', '.join(SUBDOMAINS)}, not {subdomain!r}"
            )
        override = settings.get("analyticsBaseUrl")  # test-only, like baseUrl (a test-only setting)
        origin = override.rstrip("/") if isinstance(override, str) and override else None
        return (origin or self.origin()) + self.path.format(token=quote(api_key, safe=""))

    def origin(self) -> str:
        return ANALYTICS_ORIGIN

    def enabled(self, integrations: Any) -> bool:
        """T-4, as in the segment profile: names are case-sensitive."""
        if not isinstance(integrations, Mapping):
            return True
        planhat = integrations.get("Planhat")
        if planhat is False:
            return False
        return integrations.get("All") is not False or planhat is True or isinstance(planhat, dict)

    # --- the activity: A-2 … A-7 -----------------------------------------------------------

    def activity(self, event: Mapping[str, Any]) -> Activity | None:
        """The activity for a track or page, or None when nobody is named (A-7)."""
        external_id = self.external_id(event)
        email = self.email(event)
        if external_id is None and email is None:
            return None
        activity: Activity = {"action": self.action(event), "info": self.info(event)}
        optional = {
            "date": self.date(event),
            "externalId": external_id,
            "email": email,
            "companyExternalId": self.company(event),
        }
        activity.update({k: v for k, v in optional.items() if v is not None})
        return activity

    def action(self, event: Mapping[str, Any]) -> str:
        """A-2: the track's event name verbatim; P-6's naming for a page."""
        if event.get("type") == "page":
            name, category = _text(event.get("name")), _text(event.get("category"))
            if name and category:
                return f"Viewed {category} {name} Page"
            return f"Viewed {name} Page" if name else "Loaded a Page"
        name = _text(event.get("event"))
        if not name:
            raise InvalidEventPayload("a track without an event name has no activity action")
        return name

    def info(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """A-3: every property, unchanged."""
        properties = event.get("properties")
        return dict(properties) if isinstance(properties, Mapping) else {}

    def date(self, event: Mapping[str, Any]) -> Any:
        """A-4: the event's own time, so late and replayed events keep it."""
        return event.get("timestamp")

    def external_id(self, event: Mapping[str, Any]) -> Any:
        """A-5: the userId as sent; without one, the user key Planhat would read from the
        message (P-1: top-level ``user_id``, then ``traits.id``). An anonymousId never names a
        Planhat user."""
        user_id = event.get("userId")
        if _identifier(user_id) is not None:
            return user_id
        return _identifier(event.get("user_id")) or _identifier(
            _object(event.get("traits")).get("id")
        )

    def email(self, event: Mapping[str, Any]) -> str | None:
        """A-6: ``context.traits.email``, else ``traits.email``."""
        context = event.get("context")
        for traits in (
            context.get("traits") if isinstance(context, Mapping) else None,
            event.get("traits"),
        ):
            email = traits.get("email") if isinstance(traits, Mapping) else None
            if isinstance(email, str) and email.strip():
                return email
        return None

    def company(self, event: Mapping[str, Any]) -> str | None:
        """A-6: the company key of P-3: ``traits.companyId``, ``traits.company_id``,
        ``traits.company.id``, then ``context.groupId``."""
        traits = _object(event.get("traits"))
        for candidate in (
            traits.get("companyId"),
            traits.get("company_id"),
            _object(traits.get("company")).get("id"),
            _object(event.get("context")).get("groupId"),
        ):
            key = _identifier(candidate)
            if key is not None:
                return key
        return None

    # --- the request: O-1 … O-3 ------------------------------------------------------------

    def post(self, url: str, activities: list[Activity]) -> None:
        try:
            body = json.dumps(activities, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError, UnicodeEncodeError) as exc:
            raise InvalidEventPayload(f"the activity is not valid JSON: {exc}") from None
        try:
            response = self.client().post(
                url, content=body, headers={"Content-Type": "application/json"}
            )
        except httpx.TransportError as exc:  # connection errors and timeouts (O-2)
            raise RetryError(f"Planhat could not be reached: {type(exc).__name__}") from None
        status = response.status_code
        if 200 <= status < 300:
            return  # O-1
        problem = f"Planhat answered {status}: {response.text[:200]}"
        if status in (408, 429) or status >= 500:
            raise RetryError(problem)  # O-2
        raise ValidationError(problem)  # O-3

    def client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=TIMEOUT)
            return self._client


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _identifier(value: Any) -> str | None:
    """An id as Planhat compares it: a non-blank string, or a number as decimals."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str) and value.strip():
        return value
    return None


handle = ActivityForwarder().handle
