"""The rules of docs/contract.md §4 as code: what Planhat does with a Segment message (rules
P-1 … P-11, P-6a).

Pure domain logic over a :class:`~fake_planhat.state.Tenant`; the HTTP layer (``api/dock.py``,
``api/analytics.py``) only parses, authenticates and journals. Every function here runs with the
tenant's lock held by :func:`apply_message` / :func:`record_activity`.

Where Planhat's documents are silent the behaviour is decided, listed in docs/fidelity.md with
the tenant setting that switches it, and named in the :class:`Outcome`'s ``decided`` list, so
the journal and the dashboard show which effects came from a decided behaviour.
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
    decided: list[str] = field(default_factory=list)  # rule ids of decided behaviours applied

    def decide(self, rule: str) -> None:
        """Mark that a decided behaviour (docs/fidelity.md) shaped this outcome."""
        if rule not in self.decided:
            self.decided.append(rule)

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
            "decided": list(self.decided),
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


def _company_keys(message: Mapping[str, Any]) -> list[str]:
    """Every company key a non-group message carries, in P-3's (decided) order."""
    traits = _obj(message.get("traits"))
    candidates = (
        traits.get("companyId"),
        traits.get("company_id"),
        _obj(traits.get("company")).get("id"),
        _obj(message.get("context")).get("groupId"),
    )
    return [key for key in map(id_key, candidates) if key is not None]


def company_key(message: Mapping[str, Any]) -> str | None:
    """P-3: ``groupId`` for group; else ``traits.companyId``, ``traits.company_id``,
    ``traits.company.id``, ``context.groupId`` (decided order)."""
    if message.get("type") == "group":
        return id_key(message.get("groupId"))
    keys = _company_keys(message)
    return keys[0] if keys else None


def _note_company_key_order(message: Mapping[str, Any], outcome: Outcome) -> None:
    """Mark P-3 decided when the message's company keys disagree: only then the order counts."""
    if message.get("type") != "group" and len(set(_company_keys(message))) > 1:
        outcome.decide("P-3")


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
    tenant: Tenant,
    key: str | None,
    email: str | None,
    company: Doc | None,
    outcome: Outcome | None = None,
) -> tuple[Doc | None, str | None]:
    """P-4: match on ``externalId`` = user key, else on email; returns (contact, matched_by).
    Several candidates: the tie-break is decided, and marked so on ``outcome``."""
    for field_name, value in (("externalId", key), ("email", email)):
        if value is None:
            continue
        found = tenant.contacts.find(field_name, value)
        if found:
            if len(found) > 1 and outcome is not None:
                outcome.decide("P-4")
            return _prefer(found, company), field_name
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
    _note_company_key_order(message, outcome)
    contact, matched_by = match_contact(tenant, key, email, company, outcome)
    fields = contact_fields(message)
    if contact is not None:
        outcome.matched_by = matched_by
        if key is not None and id_key(contact.get("externalId")) is None:
            fields["externalId"] = key
        tenant.update_doc(tenant.contacts, contact["_id"], fields)
        outcome.touch_contact(contact["_id"])
        outcome.did(f"updated contact {contact['_id']} (matched by {matched_by})")
        if company is not None and contact["_id"] in tenant.unassigned:
            # P-5 (documented): "as the user … logs in again it'll start working as expected"
            tenant.assign(contact["_id"], company["_id"])
            outcome.touch_company(company["_id"])
            outcome.did(
                f"assigned waiting contact {contact['_id']} to company {company['_id']} (P-5)"
            )
        return outcome
    fields.setdefault("email", email)
    if fields["email"] is None:
        del fields["email"]
    if key is not None:
        fields["externalId"] = key
    if company is None and ckey is None and email is not None and tenant.settings.guess == "domain":
        company = tenant.company_for_email_domain(email)
        if company is not None:
            outcome.decide("P-5")  # the 'certain enough' test of the domain guess is ours
            outcome.did(f"company {company['_id']} guessed from the email's domain (P-5, R-6)")
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
        outcome.decide("P-8")
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
        outcome.decide("P-8")  # waiting, not yet an enduser: ours (unassigned=keep)
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
    action: str | None  # optional
    info: Any
    date: Any
    name: Any = None
    company_id: str | None = None  # Planhat ``_id`` of the company (``/analytics`` companyId)
    source: str | None = SOURCE
    weight: Any = 1
    count: Any = 1
    extra: dict[str, Any] = field(default_factory=dict)
    decided: list[str] = field(default_factory=list)  # decided behaviours that shaped it


def record_activity(tenant: Tenant, activity: ActivityInput, outcome: Outcome) -> Outcome:
    """P-6: add a user activity to the matched contact, creating it on a known company."""
    for rule in activity.decided:
        outcome.decide(rule)
    with tenant.lock:
        if activity.user_key is None and activity.email is None:
            return outcome.ignored("activity without a user id or email (P-6)")
        company = tenant.company_by_key(activity.company_key)
        if company is None and activity.company_id is not None:
            company = tenant.companies.get(activity.company_id)
        contact, matched_by = match_contact(
            tenant, activity.user_key, activity.email, company, outcome
        )
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
        # P-6a (decided): Planhat's older help acts on identify and track only; Segment's
        # catalog lists page. The tenant setting page: activity | ignore switches it.
        outcome.decide("P-6a")
        if tenant.settings.page == "ignore":
            return outcome.ignored("page ignored: tenant setting page=ignore (P-6a)")
        action = page_action(message)
    _note_company_key_order(message, outcome)
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


def metric_doc(
    tenant: Tenant,
    *,
    dimension: str,
    value: Any,
    model: str,
    parent: Doc,
    company_id: str | None,
    external_id: str | None,
    time: Any,
) -> Doc:
    """One metric data point as R-8 shapes it: ``dimensionId, value, model, time, parentId``
    (the object it measures), ``companyId``; ``externalId`` keeps the key it was posted with."""
    return tenant.new_doc(
        {
            "dimensionId": dimension,
            "value": value,
            "model": model,
            "time": time,
            "parentId": parent["_id"],
            "companyId": company_id,
            "externalId": external_id,
        }
    )


def _record_group_metrics(
    tenant: Tenant, message: Mapping[str, Any], company: Doc, group_id: str, outcome: Outcome
) -> int:
    """P-7: each numeric trait becomes a Company metric data point dated ``timestamp``."""
    timestamp = message.get("timestamp")
    time = timestamp if timestamp is not None else tenant.clock.now_iso()
    recorded = 0
    for dimension, value in _obj(message.get("traits")).items():
        if isinstance(value, int | float) and not isinstance(value, bool):
            point = metric_doc(
                tenant,
                dimension=dimension,
                value=value,
                model="Company",
                parent=company,
                company_id=company["_id"],
                external_id=group_id,
                time=time,
            )
            tenant.metrics.insert(point)
            outcome.did(f"recorded metric {dimension!r}={value!r}")
            recorded += 1
    return recorded


def _group(tenant: Tenant, message: Mapping[str, Any], outcome: Outcome) -> Outcome:
    group_id = id_key(message.get("groupId"))
    if group_id is None:
        return outcome.ignored("group without a groupId (P-7)")
    if tenant.settings.group == "upsert":
        return _group_upsert(tenant, message, group_id, outcome)
    # P-7 (documented): a group call feeds Company Metrics; it "does not update object's fields"
    company = tenant.company_by_key(group_id)
    if company is None:
        return outcome.ignored(
            f"group for an unknown company (no company has externalId {group_id!r}); with "
            "tenant setting group=metrics a group call creates nothing (P-7)"
        )
    outcome.touch_company(company["_id"])
    if _record_group_metrics(tenant, message, company, group_id, outcome) == 0:
        return outcome.ignored("group without numeric traits: no metric to record (P-7)")
    return outcome


def _group_upsert(
    tenant: Tenant, message: Mapping[str, Any], group_id: str, outcome: Outcome
) -> Outcome:
    """P-7 with tenant setting ``group: upsert`` (decided): the earlier, undocumented reading."""
    outcome.decide("P-7")
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
        outcome.did(f"created company {company['_id']} (group=upsert, P-7)")
    else:
        changes: dict[str, Any] = {"custom": custom}
        if isinstance(name, str):
            changes["name"] = name
        tenant.update_doc(tenant.companies, company["_id"], changes)
        outcome.did(f"updated company {company['_id']} (group=upsert, P-7)")
    outcome.touch_company(company["_id"])
    _record_group_metrics(tenant, message, company, group_id, outcome)
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
