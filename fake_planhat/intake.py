"""CONTRACT §4 as code: what Planhat does with a Segment message (rules P-1 … P-11).

Pure domain logic over a :class:`~fake_planhat.state.Tenant`; the HTTP layer (``api/dock.py``,
``api/analytics.py``) only parses, authenticates and journals. Every function here runs with the
tenant's lock held by :func:`apply_message` / :func:`record_activity`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fake_planhat.state import Doc, Tenant, UnassignedEntry, email_key, id_key

SOURCE = "Segment"  # rule P-10
# Traits that become contact fields, not custom fields (rule P-5; decided set, see docs).
CONTACT_FIELD_TRAITS = frozenset({"name", "firstName", "lastName", "title", "email"})
SCALARS = (str, int, float, bool, type(None))


@dataclass
class Outcome:
    """What the fake did with one message: the journal's domain view of it (rule P-11)."""

    status: str = "applied"  # "applied" | "ignored" | "dropped"
    reason: str | None = None
    effects: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    companies: list[str] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)
    matched_by: str | None = None

    def ignored(self, reason: str) -> Outcome:
        self.status, self.reason = "ignored", reason
        return self

    def dropped(self, reason: str) -> Outcome:
        self.status, self.reason = "dropped", reason
        return self

    def did(self, effect: str) -> None:
        self.effects.append(effect)

    def touch_contact(self, contact_id: str) -> None:
        if contact_id not in self.contacts:
            self.contacts.append(contact_id)

    def touch_company(self, company_id: str) -> None:
        if company_id not in self.companies:
            self.companies.append(company_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reason": self.reason,
            "effects": list(self.effects),
            "contacts": list(self.contacts),
            "companies": list(self.companies),
            "activities": list(self.activities),
            "matchedBy": self.matched_by,
        }


# --- keys: rules P-1, P-2, P-3 --------------------------------------------------------------


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def user_key(message: Mapping[str, Any]) -> str | None:
    """P-1: ``userId``, else top-level ``user_id``, else ``traits.id``; never ``anonymousId``."""
    for candidate in (
        message.get("userId"),
        message.get("user_id"),
        _obj(message.get("traits")).get("id"),
    ):
        key = id_key(candidate)
        if key is not None:
            return key
    return None


def email_of(message: Mapping[str, Any]) -> str | None:
    """P-2: ``traits.email``, else ``context.traits.email``; returned as sent."""
    for candidate in (
        _obj(message.get("traits")).get("email"),
        _obj(_obj(message.get("context")).get("traits")).get("email"),
    ):
        if email_key(candidate) is not None:
            return str(candidate)
    return None


def company_key(message: Mapping[str, Any]) -> str | None:
    """P-3: ``groupId`` for group; else ``traits.companyId``, ``traits.company_id``,
    ``traits.company.id``, ``context.groupId`` (decided order)."""
    if message.get("type") == "group":
        return id_key(message.get("groupId"))
    traits = _obj(message.get("traits"))
    for candidate in (
        traits.get("companyId"),
        traits.get("company_id"),
        _obj(traits.get("company")).get("id"),
        _obj(message.get("context")).get("groupId"),
    ):
        key = id_key(candidate)
        if key is not None:
            return key
    return None


def page_action(message: Mapping[str, Any]) -> str:
    """P-6: Segment's classic page naming."""
    name, category = message.get("name"), message.get("category")
    has_name = isinstance(name, str) and name != ""
    has_category = isinstance(category, str) and category != ""
    if has_name and has_category:
        return f"Viewed {category} {name} Page"
    if has_name:
        return f"Viewed {name} Page"
    return "Loaded a Page"


# --- matching: rule P-4 ----------------------------------------------------------------------


def _prefer(candidates: list[Doc], company: Doc | None) -> Doc:
    """Several candidates: the one in the company of the company key, else the oldest."""
    if company is not None:
        for doc in candidates:
            if doc.get("companyId") == company["_id"]:
                return doc
    return candidates[0]  # Collection.find returns oldest first


def match_contact(
    tenant: Tenant, key: str | None, email: str | None, company: Doc | None
) -> tuple[Doc | None, str | None]:
    """P-4: match on ``externalId`` = user key, else on email; returns (contact, matched_by)."""
    if key is not None:
        by_key = tenant.contacts.find("externalId", key)
        if by_key:
            return _prefer(by_key, company), "externalId"
    if email is not None:
        by_email = tenant.contacts.find("email", email)
        if by_email:
            return _prefer(by_email, company), "email"
    return None, None


# --- identify: rule P-5 ----------------------------------------------------------------------


def contact_fields(message: Mapping[str, Any]) -> dict[str, Any]:
    """P-5: the contact fields and custom fields an identify carries."""
    traits = _obj(message.get("traits"))
    fields: dict[str, Any] = {}
    first, last = traits.get("firstName"), traits.get("lastName")
    if isinstance(first, str):
        fields["firstName"] = first
    if isinstance(last, str):
        fields["lastName"] = last
    if isinstance(traits.get("name"), str):
        fields["name"] = traits["name"]
    elif isinstance(first, str) and isinstance(last, str):
        fields["name"] = f"{first} {last}"
    if isinstance(traits.get("title"), str):
        fields["title"] = traits["title"]
    if email_key(traits.get("email")) is not None:
        fields["email"] = traits["email"]
    custom = {
        k: v for k, v in traits.items() if k not in CONTACT_FIELD_TRAITS and isinstance(v, SCALARS)
    }
    if custom:
        fields["custom"] = custom
    return fields


def _identify(tenant: Tenant, message: Mapping[str, Any], outcome: Outcome) -> Outcome:
    key, email = user_key(message), email_of(message)
    if key is None and email is None:
        return outcome.ignored("identify without a user id or email (P-5)")
    ckey = company_key(message)
    company = tenant.company_by_key(ckey)
    contact, matched_by = match_contact(tenant, key, email, company)
    fields = contact_fields(message)
    if contact is not None:
        outcome.matched_by = matched_by
        if key is not None and id_key(contact.get("externalId")) is None:
            fields["externalId"] = key
        tenant.update_doc(tenant.contacts, contact["_id"], fields)
        outcome.touch_contact(contact["_id"])
        outcome.did(f"updated contact {contact['_id']} (matched by {matched_by})")
        return outcome
    fields.setdefault("email", email)
    if fields["email"] is None:
        del fields["email"]
    if key is not None:
        fields["externalId"] = key
    return _create_contact(tenant, message, fields, company, ckey, outcome)


def _create_contact(
    tenant: Tenant,
    message: Mapping[str, Any],
    fields: dict[str, Any],
    company: Doc | None,
    ckey: str | None,
    outcome: Outcome,
) -> Outcome:
    """A new contact from the intake: on its company, or unassigned (P-8), source Segment."""
    if company is None and tenant.settings.unassigned == "discard":
        return outcome.dropped(
            "new contact without a company discarded: tenant setting unassigned=discard (P-8)"
        )
    fields["source"] = SOURCE
    fields["companyId"] = company["_id"] if company is not None else None
    contact = tenant.create_contact(fields)
    outcome.touch_contact(contact["_id"])
    if company is None:
        message_id = message.get("messageId")
        tenant.unassigned[contact["_id"]] = UnassignedEntry(
            contact_id=contact["_id"],
            since=contact["createDate"],
            message_id=message_id if isinstance(message_id, str) else None,
            company_key=ckey,
        )
        outcome.did(f"created contact {contact['_id']} unassigned: no company (P-8)")
    else:
        outcome.touch_company(company["_id"])
        outcome.did(f"created contact {contact['_id']} on company {company['_id']}")
    return outcome


# --- track and page: rule P-6 ----------------------------------------------------------------


@dataclass
class ActivityInput:
    """One user activity, however it arrived (Segment track/page or ``/analytics``)."""

    user_key: str | None
    email: str | None
    company_key: str | None
    action: str
    info: Any
    date: Any
    name: Any = None
    company_id: str | None = None  # Planhat ``_id`` of the company (``/analytics`` companyId)
    source: str | None = SOURCE
    weight: Any = 1
    count: Any = 1
    extra: dict[str, Any] = field(default_factory=dict)


def record_activity(tenant: Tenant, activity: ActivityInput, outcome: Outcome) -> Outcome:
    """P-6: add a user activity to the matched contact, creating it on a known company."""
    with tenant.lock:
        if activity.user_key is None and activity.email is None:
            return outcome.ignored("activity without a user id or email (P-6)")
        company = tenant.company_by_key(activity.company_key)
        if company is None and activity.company_id is not None:
            company = tenant.companies.get(activity.company_id)
        contact, matched_by = match_contact(tenant, activity.user_key, activity.email, company)
        if contact is None:
            if company is None:
                return outcome.dropped("no matching contact and no known company (P-6)")
            fields: dict[str, Any] = {}
            if activity.user_key is not None:
                fields["externalId"] = activity.user_key
            if activity.email is not None:
                fields["email"] = activity.email
            if isinstance(activity.name, str):
                fields["name"] = activity.name
            if activity.source is not None:
                fields["source"] = activity.source
            fields["companyId"] = company["_id"]
            contact = tenant.create_contact(fields)
            outcome.did(f"created contact {contact['_id']} on company {company['_id']}")
            outcome.touch_company(company["_id"])
        else:
            outcome.matched_by = matched_by
            outcome.did(f"matched contact {contact['_id']} by {matched_by}")
        outcome.touch_contact(contact["_id"])
        doc: dict[str, Any] = {
            "contactId": contact["_id"],
            "companyId": contact.get("companyId"),
            "externalId": contact.get("externalId"),
            "email": contact.get("email"),
            "action": activity.action,
            "info": activity.info,
            "date": activity.date,
            "weight": activity.weight,
            "count": activity.count,
            **activity.extra,
        }
        if activity.source is not None:
            doc["source"] = activity.source
        stored = tenant.activities.insert(tenant.new_doc(doc))
        outcome.activities.append(stored["_id"])
        outcome.did(f"added activity {stored['_id']} {activity.action!r}")
        return outcome


def _track_or_page(tenant: Tenant, message: Mapping[str, Any], outcome: Outcome) -> Outcome:
    if message.get("type") == "track":
        event = message.get("event")
        if not isinstance(event, str) or event == "":
            return outcome.ignored("track without an event name")
        action = event
    else:
        action = page_action(message)
    properties = message.get("properties")
    timestamp = message.get("timestamp")
    context_traits = _obj(_obj(message.get("context")).get("traits"))
    activity = ActivityInput(
        user_key=user_key(message),
        email=email_of(message),
        company_key=company_key(message),
        action=action,
        info=dict(properties) if isinstance(properties, Mapping) else {},
        date=timestamp if timestamp is not None else tenant.clock.now_iso(),
        name=context_traits.get("name"),
    )
    return record_activity(tenant, activity, outcome)


# --- group: rule P-7 -------------------------------------------------------------------------


def _group(tenant: Tenant, message: Mapping[str, Any], outcome: Outcome) -> Outcome:
    group_id = id_key(message.get("groupId"))
    if group_id is None:
        return outcome.ignored("group without a groupId (P-7)")
    traits = _obj(message.get("traits"))
    name = traits.get("name")
    custom = {k: v for k, v in traits.items() if k != "name" and isinstance(v, SCALARS)}
    company = tenant.company_by_key(group_id)
    if company is None:
        company = tenant.create_company(
            {
                "name": name if isinstance(name, str) else group_id,
                "externalId": group_id,
                "custom": custom,
            }
        )
        outcome.did(f"created company {company['_id']}")
    else:
        changes: dict[str, Any] = {"custom": custom}
        if isinstance(name, str):
            changes["name"] = name
        tenant.update_doc(tenant.companies, company["_id"], changes)
        outcome.did(f"updated company {company['_id']}")
    outcome.touch_company(company["_id"])
    timestamp = message.get("timestamp")
    date = timestamp if timestamp is not None else tenant.clock.now_iso()
    for dimension, value in traits.items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            tenant.metrics.insert(
                tenant.new_doc(
                    {
                        "dimensionId": dimension,
                        "value": value,
                        "model": "Company",
                        "companyId": company["_id"],
                        "externalId": group_id,
                        "date": date,
                    }
                )
            )
            outcome.did(f"recorded metric {dimension!r}={value!r}")
    contact, matched_by = match_contact(tenant, user_key(message), email_of(message), company)
    if contact is not None and contact["_id"] in tenant.unassigned:
        tenant.assign(contact["_id"], company["_id"])
        outcome.matched_by = matched_by
        outcome.touch_contact(contact["_id"])
        outcome.did(f"assigned contact {contact['_id']} to company {company['_id']} (P-7)")
    return outcome


# --- dispatch --------------------------------------------------------------------------------


def apply_message(tenant: Tenant, message: Mapping[str, Any]) -> Outcome:
    """Apply one Segment message to a tenant (rules P-1 … P-11); never raises on content."""
    outcome = Outcome()
    kind = message.get("type")
    with tenant.lock:
        if kind == "identify":
            return _identify(tenant, message, outcome)
        if kind in ("track", "page"):
            return _track_or_page(tenant, message, outcome)
        if kind == "group":
            return _group(tenant, message, outcome)
    return outcome.ignored(f"message type {kind!r} is not processed (P-9)")
