"""The fixed delivery scenarios every campaign runs, each tagged with what it exercises.

Rules name the tags of the scenarios that exercise them (:attr:`Rule.scenarios`); a campaign
runs the scenarios of its rules and of everything they depend on, whatever else is selected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from conformance._json import event_size
from conformance._words import DestinationProfile
from conformance.engine._results import Case
from fake_planhat.faults import FaultSpec

__all__ = ["MAX_EVENT_BYTES", "TWO_XX", "UNSETTLED", "Scenario", "scenarios"]

MAX_EVENT_BYTES: Final = 32_768  # Segment's limit (W-6)
# every 2xx a server may answer (O-1), and the statuses Segment's documents disagree on (O-5)
TWO_XX: Final = (200, 201, 202, 203, 204, 205, 206, 207, 208, 226)
UNSETTLED: Final = (410, 460, 501, 505)


@dataclass(frozen=True)
class Scenario:
    """A fixed case and its tag (``story``, ``types``, ``large``, ``faults``, ``settings``)."""

    case: Case
    tag: str


_T0 = "2025-03-01T09:00:00.000Z"
_T1 = "2025-03-01T09:05:00.000Z"
_T2 = "2025-03-01T09:10:00.000Z"


def _story() -> list[dict[str, Any]]:
    """A B2B day touching every Planhat rule (P-1 … P-11)."""
    return [
        {"type": "group", "userId": "00123", "groupId": "acct-1", "messageId": "story-0",
         "traits": {"name": "Acme", "employees": 42, "plan": "pro"}, "timestamp": _T0},
        {"type": "identify", "userId": "00123", "anonymousId": "anon-1", "messageId": "story-1",
         "traits": {"email": "Ada@Example.com", "name": "Ada Lovelace", "title": "CTO",
                    "companyId": "acct-1", "vip": True, "seats": 3, "tags": ["a"]},
         "timestamp": _T0},
        {"type": "track", "userId": "00123", "event": "Signed Up", "messageId": "story-2",
         "properties": {"plan": "pro", "revenue": 19.99, "big": 1e21},
         "context": {"groupId": "acct-1"}, "timestamp": _T1},
        {"type": "page", "userId": "00123", "name": "Pricing", "category": "Docs",
         "messageId": "story-3", "properties": {"path": "/pricing", "title": "Pricing 🚀"},
         "timestamp": _T1},
        {"type": "identify", "user_id": "u-2", "messageId": "story-4",
         "traits": {"email": "grace@example.com", "firstName": "Grace", "lastName": "Hopper"},
         "timestamp": _T1},
        {"type": "track", "anonymousId": "anon-2", "event": "Report Exported",
         "messageId": "story-5", "properties": {"format": "csv"},
         "context": {"traits": {"email": " GRACE@example.com "}}, "timestamp": _T2},
        {"type": "group", "userId": "u-2", "groupId": "acct-2", "messageId": "story-6",
         "traits": {"name": "Globex", "mrr": 99.5}, "timestamp": _T2},
        {"type": "identify", "anonymousId": "anon-3", "messageId": "story-7",
         "traits": {"plan": "free"}, "timestamp": _T2},
        {"type": "track", "userId": "stranger", "event": "Clicked", "messageId": "story-8",
         "timestamp": _T2},
        {"type": "alias", "userId": "00123", "previousId": "anon-1", "messageId": "story-9"},
        {"type": "screen", "userId": "00123", "name": "Home", "messageId": "story-10"},
        {"type": "identify", "anonymousId": "anon-5", "messageId": "story-11",
         "traits": {"email": "lin@example.com", "name": "Lin"}, "timestamp": _T2},
        {"type": "identify", "userId": "u-6", "messageId": "story-12",
         "traits": {"title": "VP Sales", "companyId": "acct-404"}, "timestamp": _T2},
    ]  # fmt: skip


def _catalogue() -> list[dict[str, Any]]:
    """Event types and integrations switches (T-1 … T-4)."""

    def identify(n: int, **extra: Any) -> dict[str, Any]:
        return {"type": "identify", "userId": f"u-{n}", "messageId": f"cat-{n}",
                "traits": {"email": f"user{n}@example.com"}, "timestamp": _T0, **extra}  # fmt: skip

    return [
        identify(1, integrations={"Planhat": False}),
        identify(2, integrations={"All": False}),
        identify(3, integrations={"All": False, "Planhat": True}),
        identify(4, integrations={"planhat": False}),
        identify(5, integrations={"All": False, "Planhat": {}}),
        {"type": "track", "userId": "u-3", "event": "Seen", "messageId": "cat-6",
         "integrations": {"Planhat": False}, "timestamp": _T0},
        {"type": "page", "userId": "u-3", "messageId": "cat-7", "timestamp": _T0},
        {"type": "delete", "userId": "u-3", "messageId": "cat-8"},
        {"type": "Identify", "userId": "u-3", "messageId": "cat-9", "traits": {"x": 1}},
        {"type": "alias", "userId": "u-3", "previousId": "u-4", "messageId": "cat-10"},
        {"type": "track", "anonymousId": "anon-9", "event": "Clicked", "messageId": "cat-11",
         "timestamp": _T0},
    ]  # fmt: skip


def _large_event() -> dict[str, Any]:
    """An identify just under Segment's 32 KB limit, in 1- to 4-byte characters (W-6)."""
    event: dict[str, Any] = {
        "type": "identify", "userId": "00123", "messageId": "large-1", "timestamp": _T0,
        "traits": {"email": "ada@example.com", "title": "CTO", "bio": ""},
    }  # fmt: skip
    room = MAX_EVENT_BYTES - 64 - event_size(event)
    unit = "aé漢😀"  # 1 + 2 + 3 + 4 bytes
    event["traits"]["bio"] = unit * (room // 10) + "a" * (room % 10)
    return event


def _short() -> list[dict[str, Any]]:
    """Three events for fault scenarios: group, identify, track (see ``scenarios``)."""
    story = _story()
    return [story[0], story[1], story[2]]


def scenarios(profile: DestinationProfile, api_key: str) -> list[Scenario]:
    """The fixed delivery scenarios of every campaign, in the order they run.

    Faults hit the event the profile surely sends: the identify (profile segment) or the track
    (profile activities, whose destinations need not send identify).
    """
    hit = 1 if profile == "segment" else 2

    def case(
        name: str,
        events: list[dict[str, Any]],
        settings: dict[str, Any] | None = None,
        faults: dict[int, FaultSpec] | None = None,
        redeliver: bool = False,
    ) -> Case:
        chosen = settings if settings is not None else {"apiKey": api_key, "subdomain": "api-eu"}
        return Case(name, events, [dict(chosen) for _ in events], faults or {}, redeliver)

    def fault(name: str, spec: FaultSpec, *, at: int = hit, redeliver: bool = True) -> Scenario:
        return Scenario(case(name, _short(), faults={at: spec}, redeliver=redeliver), "faults")

    found = [
        Scenario(case("story", _story()), "story"),
        Scenario(case("event types and integrations", _catalogue(), {"apiKey": api_key}), "types"),
        Scenario(
            case("a 32 KB event", [_large_event()], {"apiKey": api_key, "subdomain": "analytics"}),
            "large",
        ),
    ]
    for status in (408, 429, 500, 502, 503, 504):
        wait = 1 if status == 429 else None
        name = f"Planhat answers {status}" + (" with Retry-After: 1" if wait else "")
        found.append(fault(name, FaultSpec(status=status, retry_after=wait)))
    found.append(
        fault(
            "Planhat answers 429 with Retry-After: 1, once",
            FaultSpec(status=429, retry_after=1, on_calls=(1,)),
        )
    )
    for status in (400, 401, 403, 404, 413, 422):
        found.append(fault(f"Planhat answers {status}", FaultSpec(status=status), redeliver=False))
    for status in UNSETTLED:
        found.append(fault(f"Planhat answers {status} (O-5)", FaultSpec(status=status)))
    for status in TWO_XX:
        found.append(fault(f"Planhat answers {status} (O-1)", FaultSpec(status=status)))
    found.append(fault("connection cut before the request", FaultSpec(cut="before")))
    for index, what in ((1, "identify"), (0, "group"), (2, "track")):
        found.append(fault(f"lost response to the {what}", FaultSpec(cut="after"), at=index))
    found.append(fault("slow answer (0.3 s)", FaultSpec(latency=0.3), redeliver=False))
    bad_settings: list[tuple[str, dict[str, Any]]] = [
        ("apiKey missing", {"subdomain": "api"}),
        ("apiKey empty", {"apiKey": "", "subdomain": "api"}),
        ("subdomain 'eu'", {"apiKey": api_key, "subdomain": "eu"}),
        ("subdomain 'API'", {"apiKey": api_key, "subdomain": "API"}),
    ]
    for name, settings in bad_settings:
        found.append(Scenario(case(f"bad settings: {name}", _short(), settings), "settings"))
    return found
