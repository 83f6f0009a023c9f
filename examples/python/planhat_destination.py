"""A Segment -> Planhat destination in Python: one call of ``handle`` delivers one event.

Check it from this folder with:

    planhat-conformance run --target py:planhat_destination:handle

Returning is outcome ``ok``; raising one of Segment's Destination Functions errors is the other
outcomes (``RetryError`` -> retry, ``ValidationError`` -> discard, ``EventNotSupported`` ->
unsupported). Any other exception is a defect the kit reports (rule O-4).
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from conformance import EventNotSupported, RetryError, ValidationError

SUBDOMAINS = ("api", "api-eu", "analytics")
SENT = {"identify", "track", "page", "group"}  # T-1; alias is skipped (T-2), the rest unsupported
client = httpx.Client(timeout=httpx.Timeout(4.0, connect=2.0))  # inside Segment's 5 s


def handle(event: dict[str, Any], settings: dict[str, Any]) -> None:
    # S-1: bad settings reject every event, and nothing is sent
    api_key, subdomain = settings.get("apiKey"), settings.get("subdomain") or "api"
    if not isinstance(api_key, str) or not api_key.strip():
        raise ValidationError("the apiKey setting is missing or empty")
    if subdomain not in SUBDOMAINS:
        raise ValidationError(f"subdomain must be one of {', '.join(SUBDOMAINS)}")
    # T-4: the event's integrations can switch Planhat off
    integrations = event.get("integrations")
    if isinstance(integrations, dict):
        planhat = integrations.get("Planhat")
        on = planhat is True or isinstance(planhat, dict)
        if planhat is False or (integrations.get("All") is False and not on):
            return
    if event.get("type") == "alias":
        return  # T-2: Planhat ignores alias
    if event.get("type") not in SENT:
        raise EventNotSupported(f"{event.get('type')!r} events are not sent to Planhat")  # T-3
    # W-1..W-4: one POST of the event itself, Basic auth with the tenant token and no password.
    # baseUrl is only set by the kit's loopback targets; in-process, the real URL is kept.
    origin = settings.get("baseUrl") or f"https://{subdomain}.planhat.com"
    token = base64.b64encode(f"{api_key}:".encode()).decode()
    try:
        answer = client.post(
            f"{origin}/dock/segment",
            content=json.dumps(event, ensure_ascii=False).encode("utf-8", "surrogatepass"),
            headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
        )
    except httpx.TransportError as exc:  # O-2: connection errors and timeouts
        raise RetryError(f"Planhat could not be reached: {exc!r}") from None
    status = answer.status_code
    if status in (408, 429) or status >= 500:  # O-2
        raise RetryError(f"Planhat answered {status}")
    if status >= 400:  # O-3
        raise ValidationError(f"Planhat answered {status}: {answer.text[:200]}")
