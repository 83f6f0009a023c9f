"""A tiny Segment -> Planhat destination in Python (profile ``segment``), for the kit's tests.

Its error classes are its own: the kit maps exceptions by class name, wherever they come from.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx

SUBDOMAINS = ("api", "api-eu", "analytics")
SENT = ("identify", "track", "page", "group", "alias")


class RetryError(Exception):
    pass


class ValidationError(Exception):
    pass


class EventNotSupported(Exception):
    pass


def handle(event: dict[str, Any], settings: dict[str, Any]) -> None:
    """Rules S-1, T-3, W-1..W-4 and O-1..O-3."""
    subdomain = settings.get("subdomain", "api")
    if not settings.get("apiKey") or subdomain not in SUBDOMAINS:
        raise ValidationError("invalid settings")
    if event.get("type") not in SENT:
        raise EventNotSupported(f"{event.get('type')} is not supported")
    base = settings.get("baseUrl") or f"https://{subdomain}.planhat.com"
    token = base64.b64encode(f"{settings['apiKey']}:".encode()).decode()
    try:
        response = httpx.post(
            f"{base}/dock/segment",
            json=event,
            headers={"Authorization": f"Basic {token}"},
            timeout=5.0,
        )
    except httpx.TransportError as exc:
        raise RetryError(f"connection error: {exc}") from exc
    if response.status_code in (408, 429) or response.status_code >= 500:
        raise RetryError(f"Planhat answered {response.status_code}")
    if response.status_code >= 400:
        raise ValidationError(f"Planhat answered {response.status_code}: {response.text}")
