"""The requests the bench sends: realistic Segment messages and bulk upserts, each built fresh
(unique ids) so a "new contact" stays new however often it is sent.

A :class:`Workload` makes :class:`Call` objects (method, path, headers, body bytes) before a
round starts, so building bodies is never timed; :meth:`Workload.prepare` puts in a fake what
the calls expect to find (the company, the known contacts).
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fake_planhat.fake import FakePlanhat
from fake_planhat.state import DEFAULT_API_TOKEN, DEFAULT_TENANT_TOKEN

__all__ = [
    "COMPANY_KEY",
    "KNOWN_USERS",
    "Call",
    "Workload",
    "bulk_items",
    "identify_message",
    "intake_headers",
    "rest_headers",
    "standard_workloads",
    "track_message",
]

COMPANY_KEY = "acme"  # the company every message names (externalId)
KNOWN_USERS = 200  # contacts "matched" workloads rotate over
_TIMESTAMP = "2026-01-15T10:00:00.000Z"


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def intake_headers(tenant_token: str = DEFAULT_TENANT_TOKEN) -> dict[str, str]:
    """``/dock/segment``: Basic base64('<tenant token>:') (rule W-2), JSON."""
    basic = base64.b64encode(f"{tenant_token}:".encode()).decode()
    return {"Authorization": f"Basic {basic}", "Content-Type": "application/json"}


def rest_headers(api_token: str = DEFAULT_API_TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token}", "Content-Type": "application/json"}


def _context() -> dict[str, Any]:
    return {
        "library": {"name": "analytics.js", "version": "4.1.0"},
        "ip": "203.0.113.7",
        "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
        "locale": "en-GB",
        "page": {"path": "/settings", "url": "https://app.acme.test/settings"},
    }


def identify_message(user: str, number: int) -> dict[str, Any]:
    """A Segment identify of about 500 bytes on the company :data:`COMPANY_KEY`."""
    return {
        "type": "identify",
        "messageId": f"bench-identify-{number}",
        "userId": user,
        "anonymousId": f"anon-{number}",
        "timestamp": _TIMESTAMP,
        "traits": {
            "email": f"{user}@acme.test",
            "firstName": "Ada",
            "lastName": f"Lovelace {number}",
            "title": "CTO",
            "companyId": COMPANY_KEY,
            "plan": "enterprise",
            "logins": number,
        },
        "context": _context(),
    }


def track_message(user: str, number: int) -> dict[str, Any]:
    """A Segment track of about 450 bytes by a known user."""
    return {
        "type": "track",
        "messageId": f"bench-track-{number}",
        "userId": user,
        "event": "Report Exported",
        "timestamp": _TIMESTAMP,
        "properties": {"format": "csv", "rows": number, "dashboard": "Revenue"},
        "context": {**_context(), "groupId": COMPANY_KEY},
    }


def bulk_items(prefix: str, count: int) -> list[dict[str, Any]]:
    """``count`` new endusers for ``PUT /endusers`` (about 170 bytes each)."""
    return [
        {
            "externalId": f"{prefix}-{i}",
            "email": f"{prefix}-{i}@acme.test",
            "firstName": "Grace",
            "lastName": f"Hopper {i}",
            "companyId": f"extid-{COMPANY_KEY}",
            "custom": {"plan": "pro", "seats": i},
        }
        for i in range(count)
    ]


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass
class Workload:
    """One kind of request; ``make(n)`` builds ``n`` calls, each with ids never used before."""

    name: str
    build: Callable[[int], Call]
    items: int = 1  # documents written per call (bulk)
    _numbers: itertools.count[int] = field(default_factory=itertools.count)

    def make(self, count: int) -> list[Call]:
        return [self.build(next(self._numbers)) for _ in range(count)]

    @staticmethod
    def prepare(fake: FakePlanhat) -> None:
        """The company :data:`COMPANY_KEY` and :data:`KNOWN_USERS` contacts on it."""
        tenant = fake.tenant()
        with tenant.lock:
            if tenant.company_by_key(COMPANY_KEY) is not None:
                return
            company = tenant.create_company({"name": "Acme", "externalId": COMPANY_KEY})
            for n in range(KNOWN_USERS):
                user = f"known-{n}"
                tenant.create_contact(
                    {
                        "externalId": user,
                        "email": f"{user}@acme.test",
                        "name": f"Known {n}",
                        "companyId": company["_id"],
                        "source": "Segment",
                    }
                )


def standard_workloads(run_id: str) -> dict[str, Workload]:
    """The request kinds of the request-level comparisons, keyed by a short name. ``run_id``
    keeps ids unique when several fakes share one baseline."""
    intake = intake_headers()
    rest = rest_headers()

    def identify_new(n: int) -> Call:
        body = _json(identify_message(f"new-{run_id}-{n}", n))
        return Call("POST", "/dock/segment", intake, body)

    def identify_matched(n: int) -> Call:
        body = _json(identify_message(f"known-{n % KNOWN_USERS}", n))
        return Call("POST", "/dock/segment", intake, body)

    def track(n: int) -> Call:
        body = _json(track_message(f"known-{n % KNOWN_USERS}", n))
        return Call("POST", "/dock/segment", intake, body)

    def bulk(size: int) -> Callable[[int], Call]:
        # one JSON text with a marker where each call's prefix goes: dumping 5,000 items anew
        # for every call would make building a batch slower than sending it
        marker = "@prefix@"
        template = _json(bulk_items(marker, size))

        def build(n: int) -> Call:
            body = template.replace(marker.encode(), f"bulk-{run_id}-{n}".encode())
            return Call("PUT", "/endusers", rest, body)

        return build

    return {
        "identify-new": Workload("intake identify, new contact", identify_new),
        "identify-matched": Workload("intake identify, matched contact", identify_matched),
        "track": Workload("intake track", track),
        "bulk-100": Workload("bulk upsert PUT /endusers, 100 items", bulk(100), items=100),
        "bulk-5000": Workload("bulk upsert PUT /endusers, 5,000 items", bulk(5000), items=5000),
    }
