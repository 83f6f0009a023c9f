"""Tests of the browser dashboard under ``/_fake/ui`` (issue 8).

Helpers shared by the Flask-client tests and the Playwright tests: Segment messages and one
scripted story (a group, an identify with its company, a track, an identify without a company),
told to a tenant with the setting group=upsert, so the group call makes the company (P-7).
"""

from __future__ import annotations

import base64
from typing import Any

# A trait value that would run if the page did not escape it.
HOSTILE = "<script>window.__pwned = 1; alert('pwned')</script><img src=x onerror=alert(2)>"


def basic(token: str) -> str:
    """``Basic base64(token + ":")``, as rule W-2 requires."""
    return "Basic " + base64.b64encode(f"{token}:".encode()).decode()


def group(group_id: str, name: str, message_id: str, **traits: Any) -> dict[str, Any]:
    return {
        "type": "group",
        "groupId": group_id,
        "userId": "ann",
        "traits": {"name": name, **traits},
        "messageId": message_id,
    }


def identify(
    user_id: str, email: str, message_id: str, company: str | None = None, **traits: Any
) -> dict[str, Any]:
    all_traits: dict[str, Any] = {"email": email, **traits}
    if company is not None:
        all_traits["companyId"] = company
    return {"type": "identify", "userId": user_id, "traits": all_traits, "messageId": message_id}


def track(user_id: str, event: str, message_id: str, **properties: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "userId": user_id,
        "event": event,
        "properties": properties,
        "messageId": message_id,
    }


def story() -> list[dict[str, Any]]:
    """Acme and Ann (a custom trait, an activity), then Dan, who names no company (rule P-8)."""
    return [
        group("acme", "Acme Inc", "m-group", plan="enterprise"),
        identify("ann", "ann@acme.test", "m-ann", company="acme", name="Ann Lee", seats=3),
        track(
            "ann",
            "Report Exported",
            "m-track",
            format="csv",
            rows=1200,
            destination="s3://reports/2026/01/acme-weekly-usage.csv",
        ),
        identify("dan", "dan@nowhere.test", "m-dan"),
    ]
