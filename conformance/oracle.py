"""The oracle: what a conforming destination does with each event, and what Planhat then holds.

Two halves:

- **Per event** (:func:`expect_event`): from the event, the settings and the profile, the
  outcomes allowed and the requests a conforming destination sends when Planhat answers 2xx —
  rules S-1, T-1 … T-4, W-1 … W-4 (profile ``segment``) and A-1 … A-7 (profile
  ``activities``, §3).
- **Per sequence** (:class:`Oracle`): the Planhat state the delivered events must produce (rule
  E-1). The fake *is* the reference semantics of rules P-1 … P-11, so the oracle replays what a
  conforming destination would have sent into a second, fresh :class:`FakePlanhat` (same seed,
  clock frozen at the same instant) through its Flask test client, and keeps what that fake
  answered and recorded per event (P-11).

States are compared by content, never by ``_id``: :func:`normalize_state` replaces every id by
the key a person would name the document by (a contact's externalId or email, a company's
externalId), and :func:`view` cuts out what one rule speaks about (P-5: the contacts' fields,
P-6: the activities …).
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from conformance._json import canonical_text
from conformance._outcomes import Outcome
from conformance._words import DestinationProfile
from fake_planhat import FakePlanhat
from fake_planhat.semantics import company_key, email_key, email_of, id_key, page_action, user_key
from fake_planhat.semantics import token_fingerprint as fingerprint

__all__ = [
    "CORE_TYPES",
    "FROZEN_AT",
    "INTAKE_PATH",
    "SUBDOMAINS",
    "EventExpectation",
    "Expectation",
    "ExpectedRequest",
    "Oracle",
    "Switch",
    "expect_event",
    "expected_host",
    "integrations_verdict",
    "normalize_state",
    "predict_activity",
    "settings_problem",
]

Profile = DestinationProfile
Send = Literal["must", "may", "never"]
Switch = Literal["enabled", "disabled", "unclear"]  # what ``integrations`` does to Planhat

SUBDOMAINS: Final = ("api", "api-eu", "analytics")  # rule S-1's list
CORE_TYPES: Final = frozenset({"identify", "track", "page", "group"})  # T-1
ACTIVITY_TYPES: Final = frozenset({"track", "page"})
INTAKE_PATH: Final = "/dock/segment"  # W-1
ANALYTICS_HOST: Final = "analytics.planhat.com"
FROZEN_AT: Final = "2026-01-15T10:00:00.000Z"  # both fakes' clocks stand still here
BOOKKEEPING: Final = frozenset({"_id", "createDate", "updatedAt", "__v", "companyName"})


# --- one event: rules S-1, T-1 … T-4 -------------------------------------------------------------


def settings_problem(settings: Mapping[str, Any]) -> str | None:
    """Why the settings are invalid (rule S-1), or None when they are valid."""
    if "apiKey" not in settings or settings["apiKey"] is None:
        return "the apiKey setting is missing"
    api_key = settings["apiKey"]
    if not isinstance(api_key, str):
        return f"the apiKey setting is not a string: {api_key!r}"
    if api_key == "":
        return "the apiKey setting is empty"
    subdomain = settings.get("subdomain")
    if subdomain is not None and subdomain not in SUBDOMAINS:
        return f"the subdomain setting {subdomain!r} is not one of {', '.join(SUBDOMAINS)}"
    return None


def expected_host(settings: Mapping[str, Any]) -> str:
    """``{subdomain}.planhat.com``, ``api`` when the setting is absent (rule W-1)."""
    subdomain = settings.get("subdomain")
    return f"{subdomain if isinstance(subdomain, str) else 'api'}.planhat.com"


def integrations_verdict(integrations: Any) -> Switch:
    """Whether ``integrations`` switches Planhat off (rule T-4); names are case-sensitive.

    ``"Planhat": false`` disables; ``"Planhat": true`` or an options object (``{…}``) enables,
    also under ``"All": false``; ``"All": false`` alone disables. ``"unclear"``: ``"Planhat"``
    set to something neither documents (a string, a number, null): either reading passes.
    """
    if not isinstance(integrations, Mapping) or "Planhat" not in integrations:
        if isinstance(integrations, Mapping) and integrations.get("All") is False:
            return "disabled"
        return "enabled"
    planhat = integrations["Planhat"]
    if planhat is False:
        return "disabled"
    if planhat is True or isinstance(planhat, Mapping):
        return "enabled"
    return "unclear"


def integrations_note(integrations: Any) -> str | None:
    """What makes an event's ``integrations`` a T-4 case worth checking, in words."""
    if not isinstance(integrations, Mapping):
        return None
    verdict = integrations_verdict(integrations)
    shown = json.dumps(integrations, ensure_ascii=False, sort_keys=True)
    if verdict == "disabled":
        return f"integrations {shown} disable Planhat"
    if verdict == "unclear":
        return f"integrations {shown} (a Planhat value neither Segment nor Planhat documents)"
    variants = [k for k in integrations if k.casefold() in ("planhat", "all")]
    if any(k not in ("Planhat", "All") for k in variants):
        return f"integrations {shown} do not disable Planhat (names are case-sensitive)"
    if integrations.get("All") is False:
        return f"integrations {shown} switch everything off but Planhat"
    if isinstance(integrations.get("Planhat"), Mapping):
        return f"integrations {shown} give Planhat options, which enables it"
    return None


def authorization_of(api_key: str) -> str:
    """The journal's redacted form of ``Basic base64(apiKey + ":")`` (rule W-2)."""
    return f"Basic fp:{fingerprint(api_key)}"


def basic_auth(api_key: str) -> str:
    return "Basic " + base64.b64encode(f"{api_key}:".encode()).decode("ascii")


@dataclass(frozen=True)
class ExpectedRequest:
    """A request a conforming destination sends for one event (when Planhat answers 2xx).

    ``paths`` lists the acceptable paths (A-1 allows single or bulk); ``authorization`` is the
    journal's redacted form, None when the route takes no header; ``body`` the JSON value (the
    event itself for W-4, one activity object for A-2 … A-6).
    """

    method: str
    host: str
    paths: tuple[str, ...]
    authorization: str | None
    body: Any

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "host": self.host,
            "paths": list(self.paths),
            "authorization": self.authorization,
            "body": self.body,
        }


@dataclass(frozen=True)
class EventExpectation:
    """What a conforming destination does with one event.

    ``send``: ``must`` (W-1/T-1/A-1), ``may`` (alias, T-2; identify and group in profile
    ``activities``; unclear integrations) or ``never`` (S-1, T-3, T-4, A-7). ``outcomes``: the
    outcomes allowed when nothing was sent or Planhat answered 2xx. ``because`` names the rule
    that decided; ``note`` says why in words.
    """

    send: Send
    outcomes: frozenset[Outcome]
    because: str
    note: str
    requests: tuple[ExpectedRequest, ...] = ()


def _event_type(event: Mapping[str, Any]) -> str:
    kind = event.get("type")
    return kind if isinstance(kind, str) else repr(kind)


def expect_event(
    event: Mapping[str, Any], settings: Mapping[str, Any], profile: Profile = "segment"
) -> EventExpectation:
    """The expected behaviour for one event under one profile (rules S, O, T, W and A)."""
    problem = settings_problem(settings)
    if problem is not None:
        return EventExpectation("never", frozenset({"discard"}), "S-1", problem)
    kind = _event_type(event)
    enabled = _expect_enabled(event, settings, profile, kind)
    verdict = integrations_verdict(event.get("integrations"))
    if verdict == "enabled":
        return enabled
    note = integrations_note(event.get("integrations")) or "Planhat is switched off"
    skipped: frozenset[Outcome] = frozenset(
        {"ok", "unsupported"} if enabled.because == "T-3" else {"ok"}
    )
    if verdict == "disabled":
        return EventExpectation("never", skipped, "T-4", note)
    send: Send = "never" if enabled.send == "never" else "may"
    return EventExpectation(
        send, enabled.outcomes | skipped, "T-4", note + "; either is accepted", enabled.requests
    )


def _expect_enabled(
    event: Mapping[str, Any], settings: Mapping[str, Any], profile: Profile, kind: str
) -> EventExpectation:
    if profile == "activities":
        return _expect_activities(event, settings, kind)
    if kind in CORE_TYPES:
        return EventExpectation(
            "must", frozenset({"ok"}), "T-1", f"a {kind} is delivered", (_intake(event, settings),)
        )
    if kind == "alias":
        note = "an alias may be sent or skipped"
        return EventExpectation("may", frozenset({"ok"}), "T-2", note, (_intake(event, settings),))
    return EventExpectation(
        "never", frozenset({"unsupported"}), "T-3", f"type {kind} is not supported"
    )


def _intake(event: Mapping[str, Any], settings: Mapping[str, Any]) -> ExpectedRequest:
    """W-1 … W-4: POST https://{subdomain}.planhat.com/dock/segment, Basic, the event as body."""
    return ExpectedRequest(
        "POST",
        expected_host(settings),
        (INTAKE_PATH,),
        authorization_of(str(settings["apiKey"])),
        copy.deepcopy(dict(event)),
    )


# --- profile activities: rules A-1 … A-7 ---------------------------------------------------------


def predict_activity(event: Mapping[str, Any]) -> dict[str, Any]:
    """The activity object a translating destination posts for a track or page (A-2 … A-6)."""
    context = event.get("context")
    context_traits = context.get("traits") if isinstance(context, Mapping) else None
    traits = event.get("traits")
    activity: dict[str, Any] = {
        "action": event.get("event") if event.get("type") == "track" else page_action(event),
        "info": copy.deepcopy(event.get("properties"))
        if isinstance(event.get("properties"), Mapping)
        else {},
    }
    if event.get("timestamp") is not None:
        activity["date"] = event["timestamp"]
    if user_key(event) is not None:
        activity["externalId"] = user_key(event)  # the user key of P-1
    for source in (context_traits, traits):  # context.traits.email, or traits.email
        if isinstance(source, Mapping) and email_key(source.get("email")) is not None:
            activity["email"] = source["email"]
            break
    company = company_key(event)
    if company is not None:
        activity["companyExternalId"] = company  # A-6, company key of P-3
    return activity


def _expect_activities(
    event: Mapping[str, Any], settings: Mapping[str, Any], kind: str
) -> EventExpectation:
    if kind in ("identify", "group"):
        return EventExpectation(
            "may",
            frozenset({"ok", "unsupported"}),
            "T-1",
            f"profile activities: a {kind} may go through the REST API or not at all",
        )
    if kind == "alias":
        return EventExpectation("may", frozenset({"ok"}), "T-2", "an alias may be skipped")
    if kind not in ACTIVITY_TYPES:
        return EventExpectation(
            "never", frozenset({"unsupported"}), "T-3", f"type {kind} is not supported"
        )
    has_email = email_of(event) is not None or _context_email(event) is not None
    if not has_email and user_key(event) is None:
        return EventExpectation(
            "never",
            frozenset({"ok", "discard"}),
            "A-7",
            f"a {kind} with neither a user key nor an email is not sent",
        )
    token = fingerprint(str(settings["apiKey"]))
    request = ExpectedRequest(
        "POST",
        ANALYTICS_HOST,
        (f"/analytics/fp:{token}", f"/analytics/bulk/fp:{token}"),
        None,
        predict_activity(event),
    )
    action = request.body["action"]
    if not isinstance(action, str) or action == "":
        return EventExpectation(
            "may",
            frozenset({"ok", "discard"}),
            "A-2",
            "a track without an event name has no action: Planhat refuses such an activity",
            (request,),
        )
    return EventExpectation("must", frozenset({"ok"}), "A-1", f"a {kind} is posted", (request,))


def _context_email(event: Mapping[str, Any]) -> str | None:
    context = event.get("context")
    traits = context.get("traits") if isinstance(context, Mapping) else None
    if isinstance(traits, Mapping) and email_key(traits.get("email")) is not None:
        return str(traits["email"])
    return None


# --- Planhat's state, by content -----------------------------------------------------------------


def _company_label(company: Mapping[str, Any]) -> str:
    key = id_key(company.get("externalId"))
    return key if key is not None else f"(no externalId, name {company.get('name')!r})"


def _contact_label(contact: Mapping[str, Any]) -> str:
    key = id_key(contact.get("externalId"))
    if key is not None:
        return f"externalId {key}"
    email = contact.get("email")
    return f"email {email}" if isinstance(email, str) else "(no externalId, no email)"


def _strip(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in doc.items() if k not in BOOKKEEPING}


def normalize_state(dump: Mapping[str, Any]) -> dict[str, Any]:
    """A tenant's :meth:`FakePlanhat.dump` with every ``_id`` replaced by a readable key.

    Contacts, unassigned contacts, companies and metrics are sorted by content (creation order
    is not part of any rule); activities keep their order (E-1: "in order").
    """
    companies = {c["_id"]: _company_label(c) for c in dump.get("companies", [])}
    people = {
        c["_id"]: _contact_label(c)
        for c in [*dump.get("endusers", []), *dump.get("unassigned", [])]
    }

    def company_of(doc: Mapping[str, Any]) -> str | None:
        ref = doc.get("companyId")
        return companies.get(ref, f"(unknown company {ref})") if ref else None

    def contact(doc: Mapping[str, Any]) -> dict[str, Any]:
        shown = _strip(doc)
        shown.pop("_unassigned", None)
        shown["companyId"] = company_of(doc)
        return shown

    unassigned = []
    for doc in dump.get("unassigned", []):
        shown = contact(doc)
        why = doc.get("_unassigned", {})
        shown["_unassigned"] = {
            "companyKey": why.get("companyKey"),
            "messageId": why.get("messageId"),
        }
        unassigned.append(shown)
    activities = []
    for doc in dump.get("activities", []):
        shown = _strip(doc)
        shown["contactId"] = people.get(doc.get("contactId"), f"(unknown {doc.get('contactId')})")
        shown["companyId"] = company_of(doc)
        activities.append(shown)
    metrics = []
    for doc in dump.get("metrics", []):
        shown = _strip(doc)
        shown["companyId"] = company_of(doc)
        parent = doc.get("parentId")
        if parent in companies or parent in people:  # the object it measures, by key
            shown["parentId"] = companies[parent] if parent in companies else people[parent]
        metrics.append(shown)
    return {
        "companies": sorted((_strip(c) for c in dump.get("companies", [])), key=canonical_text),
        "contacts": sorted((contact(c) for c in dump.get("endusers", [])), key=canonical_text),
        "unassigned": sorted(unassigned, key=canonical_text),
        "activities": activities,
        "metrics": metrics,
    }


# --- replaying a sequence into the reference fake: rule E-1 --------------------------------------


@dataclass(frozen=True)
class ReplayStep:
    """What the reference fake did with one replayed request (P-11: ignored/dropped still 200)."""

    index: int
    status: int
    outcome: dict[str, Any] | None

    @property
    def result(self) -> str | None:
        """``applied``, ``ignored`` or ``dropped``: the fake's verdict on the message."""
        status = (self.outcome or {}).get("status")
        return status if isinstance(status, str) else None


@dataclass
class Expectation:
    """The oracle's answer for one sequence: per-event behaviour, replay results, final state."""

    profile: Profile
    events: list[EventExpectation]
    replay: dict[int, list[ReplayStep]] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)

    def first_step(self, index: int) -> ReplayStep | None:
        steps = self.replay.get(index)
        return steps[0] if steps else None


class Oracle:
    """Replays what a conforming destination sends into a reference fake (rule E-1).

    One oracle serves a whole campaign: it is reset before each sequence. ``tenant_token`` must
    be the run's apiKey, so activities' token paths resolve in both fakes.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        tenant_token: str,
        api_token: str,
        frozen_at: str = FROZEN_AT,
    ) -> None:
        self.fake = FakePlanhat(
            seed=seed, tenant_token=tenant_token, api_token=api_token, journal_size=64
        )
        self.fake.clock.freeze(frozen_at)
        self.tenant_token = tenant_token
        self._client = self.fake.app.test_client()

    def expect(
        self,
        profile: Profile,
        events: Sequence[Mapping[str, Any]],
        settings: Sequence[Mapping[str, Any]],
        *,
        times: Sequence[int] | None = None,
        companies: Sequence[str] = (),
        replay: bool = True,
        actions: Mapping[int, str] | None = None,
    ) -> Expectation:
        """Expected behaviour and state for ``events`` delivered in order.

        ``times[i]`` is how often Planhat should have applied event ``i`` (default: once when
        it must be sent, never otherwise); the runner raises it after lost responses and
        retries, since a conforming destination then legitimately sends an event again.
        ``companies`` are company externalIds that exist before the run (profile activities:
        accounts created by a CRM sync, so activities have somewhere to land). ``replay=False``:
        the per-event expectations only, no state. ``actions``: the page actions the
        destination chose, by event index (rule A-2 leaves page naming open, so the state is
        predicted with the destination's own).
        """
        per_event = [expect_event(e, s, profile) for e, s in zip(events, settings, strict=True)]
        for index, action in (actions or {}).items():
            expected = per_event[index]
            if expected.requests:
                body = {**expected.requests[0].body, "action": action}
                first = replace(expected.requests[0], body=body)
                per_event[index] = replace(expected, requests=(first, *expected.requests[1:]))
        if not replay:
            return Expectation(profile, per_event)
        self.fake.reset()
        tenant = self.fake.tenant()
        with tenant.lock:
            for key in companies:
                tenant.create_company({"name": key, "externalId": key})
        expectation = Expectation(profile, per_event)
        for index, expected in enumerate(per_event):
            count = (1 if expected.send == "must" else 0) if times is None else times[index]
            for _ in range(count):
                for request in expected.requests:
                    step = self._replay(index, request, settings[index])
                    expectation.replay.setdefault(index, []).append(step)
        expectation.state = normalize_state(self.fake.dump())
        return expectation

    def _replay(
        self, index: int, request: ExpectedRequest, settings: Mapping[str, Any]
    ) -> ReplayStep:
        headers = {"Content-Type": "application/json"}
        if request.authorization is not None:
            headers["Authorization"] = basic_auth(str(settings["apiKey"]))
        path = request.paths[0].replace(
            f"fp:{fingerprint(str(settings['apiKey']))}", str(settings["apiKey"])
        )
        body = json.dumps(request.body, ensure_ascii=False).encode("utf-8")
        response = self._client.post(
            path, data=body, headers=headers, base_url=f"https://{request.host}"
        )
        entry = self.fake.journal.last()
        outcome = entry.outcome if entry is not None else None
        return ReplayStep(index, response.status_code, outcome)
