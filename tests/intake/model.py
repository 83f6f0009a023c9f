"""An independent model of docs/contract.md §4 (rules P-1 … P-11, P-6a) for the stateful test.

Written from the contract's text and the decisions recorded in docs/fidelity.md, never from
fake_planhat: plain lists and dicts, linear scans, no indexes, no locks. The stateful test runs
the same messages through the fake and through this model and compares what each holds.

Tenant settings (both values of each are modelled): ``unassigned: keep | discard`` (P-8),
``group: metrics | upsert`` (P-7), ``page: activity | ignore`` (P-6a), ``guess: domain | off``
(P-5).

Decisions this model follows where the contract is silent (the brief's, plus two of its own,
marked *model*):
- reserved contact traits ``name``, ``firstName``, ``lastName``, ``title``, ``email`` apply only
  when their value is a string (email: a non-blank string); every other scalar trait goes to
  ``custom`` unchanged, objects and arrays are not stored;
- keys: a non-blank string verbatim, a number as its decimal string (whole floats as integer
  digits); booleans are not keys;
- a later identify assigns a contact that waits unassigned when its company key names an
  existing company (P-5); a contact already on a company is never moved;
- a new contact with no company key but an email whose domain is held by exactly one company
  (explicit ``domains`` plus its endusers' email domains), not a public mail provider, goes to
  that company (P-5, R-6);
- ``group: metrics``: a known company gets one metric point per numeric trait, and nothing else
  changes; an unknown company, a missing groupId, or no numeric trait → ignored;
- a discarded contact is removed, with its activities; a later identify creates a new one;
- a track without a non-empty string ``event`` is ignored;
- *model*: a new contact stores the P-2 email (``traits.email`` else ``context.traits.email``):
  a contact created from ``context.traits.email`` alone would otherwise hold no key at all and
  every later event would create another one (E-2);
- *model*: a track or page with neither user key nor email is not applied (PLANHAT-FACTS: such
  messages "are dropped without an error"); it never creates a contact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

SOURCE = "Segment"
RESERVED_TRAITS = ("name", "firstName", "lastName", "title", "email")


def as_key(value: Any) -> str | None:
    """P-1 / P-3: what a user key or company key is, or None when the value is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, str) and value.strip() != "":
        return value
    return None


def same_email(a: Any, b: Any) -> bool:
    """P-2: emails compare trimmed and case-insensitively."""
    if not (isinstance(a, str) and isinstance(b, str)):
        return False
    return a.strip() != "" and a.strip().casefold() == b.strip().casefold()


def is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _usable_email(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() != "" else None


# Public mail providers: a domain there says nothing about a company (P-5's guess). The fake's
# list is longer; the stateful test only draws these.
PUBLIC_MAIL = frozenset({"gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com"})


def domain_of(email: Any) -> str | None:
    if not isinstance(email, str) or "@" not in email.strip():
        return None
    return email.strip().casefold().rsplit("@", 1)[1] or None


@dataclass
class Company:
    external_id: str
    name: str
    custom: dict[str, Any] = field(default_factory=dict)
    domains: list[str] = field(default_factory=list)  # set explicitly (from a CRM, R-6)


@dataclass
class Contact:
    fields: dict[str, Any]  # externalId, email, firstName, lastName, name, title, source
    company: Company | None
    unassigned: bool
    custom: dict[str, Any] = field(default_factory=dict)
    activities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Metric:
    company: Company
    dimension_id: str
    value: Any
    date: Any


class IntakeModel:
    """One tenant as rules P-1 … P-11 describe it."""

    def __init__(self, now: str) -> None:
        self.now = now
        self.contacts: list[Contact] = []  # creation order: the first is the oldest
        self.companies: list[Company] = []
        self.metrics: list[Metric] = []
        self.discard_unassigned = False  # tenant setting unassigned: keep | discard (P-8)
        self.group = "metrics"  # tenant setting group: metrics | upsert (P-7)
        self.page = "activity"  # tenant setting page: activity | ignore (P-6a)
        self.guess = "domain"  # tenant setting guess: domain | off (P-5)

    def add_company(self, external_id: str, name: str, domains: list[str]) -> Company:
        """A company from a CRM or the REST API: where companies come from by default."""
        company = Company(external_id, name, domains=list(domains))
        self.companies.append(company)
        return company

    def guess_company(self, email: str | None) -> Company | None:
        """P-5 / R-6: the one company whose domains hold the email's domain."""
        domain = domain_of(email)
        if domain is None or domain in PUBLIC_MAIL:
            return None
        holders = [
            c
            for c in self.companies
            if domain in [d.casefold() for d in c.domains]
            or any(
                k.company is c and not k.unassigned and domain_of(k.fields.get("email")) == domain
                for k in self.contacts
            )
        ]
        return holders[0] if len(holders) == 1 else None

    # --- keys (P-1, P-2, P-3) ------------------------------------------------------------

    @staticmethod
    def user_key(message: dict[str, Any]) -> str | None:
        traits = _object(message.get("traits"))
        for value in (message.get("userId"), message.get("user_id"), traits.get("id")):
            if as_key(value) is not None:
                return as_key(value)
        return None

    @staticmethod
    def email(message: dict[str, Any]) -> str | None:
        context_traits = _object(_object(message.get("context")).get("traits"))
        for value in (_object(message.get("traits")).get("email"), context_traits.get("email")):
            if _usable_email(value) is not None:
                return str(value)
        return None

    @staticmethod
    def company_key(message: dict[str, Any]) -> str | None:
        if message.get("type") == "group":
            return as_key(message.get("groupId"))
        traits = _object(message.get("traits"))
        candidates = (
            traits.get("companyId"),
            traits.get("company_id"),
            _object(traits.get("company")).get("id"),
            _object(message.get("context")).get("groupId"),
        )
        for value in candidates:
            if as_key(value) is not None:
                return as_key(value)
        return None

    def company(self, key: str | None) -> Company | None:
        return next((c for c in self.companies if c.external_id == key), None)

    # --- matching (P-4) ------------------------------------------------------------------

    def match(self, key: str | None, email: str | None, company: Company | None) -> Contact | None:
        by_key = [c for c in self.contacts if key is not None and c.fields.get("externalId") == key]
        candidates = by_key or [
            c for c in self.contacts if same_email(c.fields.get("email"), email)
        ]
        if not candidates:
            return None
        in_company = [c for c in candidates if company is not None and c.company is company]
        return (in_company or candidates)[0]

    # --- messages ------------------------------------------------------------------------

    def apply(self, message: dict[str, Any]) -> str:
        """Apply one message; answers the intake's ``result``: applied, ignored or dropped."""
        kind = message.get("type")
        if kind == "identify":
            return self._identify(message)
        if kind in ("track", "page"):
            return self._activity(message)
        if kind == "group":
            return self._group(message)
        return "ignored"  # P-9

    def _identify(self, message: dict[str, Any]) -> str:
        key, email = self.user_key(message), self.email(message)
        if key is None and email is None:
            return "ignored"  # P-5
        company_key = self.company_key(message)
        company = self.company(company_key)
        contact = self.match(key, email, company)
        traits = _object(message.get("traits"))
        if contact is not None and contact.unassigned and company is not None:
            self.assign(contact, company)  # P-5: the later identify with a known company
        if contact is None:
            if company is None and company_key is None and self.guess == "domain":
                company = self.guess_company(email)
            if company is None and self.discard_unassigned:
                return "dropped"  # P-8, setting unassigned=discard
            contact = Contact(
                fields={"source": SOURCE}, company=company, unassigned=company is None
            )
            if key is not None:
                contact.fields["externalId"] = key
            if email is not None:
                contact.fields["email"] = email
            self.contacts.append(contact)
        elif key is not None and contact.fields.get("externalId") is None:
            contact.fields["externalId"] = key
        first, last = traits.get("firstName"), traits.get("lastName")
        if isinstance(first, str):
            contact.fields["firstName"] = first
        if isinstance(last, str):
            contact.fields["lastName"] = last
        if isinstance(traits.get("name"), str):
            contact.fields["name"] = traits["name"]
        elif isinstance(first, str) and isinstance(last, str):
            contact.fields["name"] = f"{first} {last}"
        if isinstance(traits.get("title"), str):
            contact.fields["title"] = traits["title"]
        if _usable_email(traits.get("email")) is not None:
            contact.fields["email"] = traits["email"]
        for name, value in traits.items():
            if name not in RESERVED_TRAITS and is_scalar(value):
                contact.custom[name] = value
        return "applied"

    def _activity(self, message: dict[str, Any]) -> str:
        if message.get("type") == "track":
            action = message.get("event")
            if not isinstance(action, str) or action == "":
                return "ignored"
        else:
            if self.page == "ignore":
                return "ignored"  # P-6a
            action = self.page_action(message)
        key, email = self.user_key(message), self.email(message)
        if key is None and email is None:
            return "ignored"
        company = self.company(self.company_key(message))
        contact = self.match(key, email, company)
        if contact is None:
            if company is None:
                return "dropped"  # P-6
            contact = Contact(fields={"source": SOURCE}, company=company, unassigned=False)
            if key is not None:
                contact.fields["externalId"] = key
            if email is not None:
                contact.fields["email"] = email
            name = _object(_object(message.get("context")).get("traits")).get("name")
            if isinstance(name, str):
                contact.fields["name"] = name
            self.contacts.append(contact)
        properties = message.get("properties")
        timestamp = message.get("timestamp")
        contact.activities.append(
            {
                "action": action,
                "info": properties if isinstance(properties, dict) else {},
                "date": timestamp if timestamp is not None else self.now,
                "source": SOURCE,
            }
        )
        return "applied"

    @staticmethod
    def page_action(message: dict[str, Any]) -> str:
        """P-6: Segment's classic page names."""
        name, category = message.get("name"), message.get("category")
        if not isinstance(name, str) or name == "":
            return "Loaded a Page"
        if isinstance(category, str) and category != "":
            return f"Viewed {category} {name} Page"
        return f"Viewed {name} Page"

    def _group(self, message: dict[str, Any]) -> str:
        group_id = as_key(message.get("groupId"))
        if group_id is None:
            return "ignored"  # P-7
        traits = _object(message.get("traits"))
        if self.group == "metrics":
            company = self.company(group_id)
            numbers = [(t, v) for t, v in traits.items() if is_number(v)]
            if company is None or not numbers:
                return "ignored"
            timestamp = message.get("timestamp")
            for trait, value in numbers:
                date = timestamp if timestamp is not None else self.now
                self.metrics.append(Metric(company, trait, value, date))
            return "applied"
        name = traits.get("name")
        company = self.company(group_id)
        if company is None:
            company = Company(group_id, name if isinstance(name, str) else group_id)
            self.companies.append(company)
        elif isinstance(name, str):
            company.name = name
        for trait, value in traits.items():
            if trait != "name" and is_scalar(value):
                company.custom[trait] = value
        timestamp = message.get("timestamp")
        for trait, value in traits.items():
            if is_number(value):
                date = timestamp if timestamp is not None else self.now
                self.metrics.append(Metric(company, trait, value, date))
        contact = self.match(self.user_key(message), self.email(message), company)
        if contact is not None and contact.unassigned:
            self.assign(contact, company)
        return "applied"

    # --- a person's actions (P-8) ----------------------------------------------------------

    def unassigned(self) -> list[Contact]:
        return [c for c in self.contacts if c.unassigned]

    def assign(self, contact: Contact, company: Company) -> None:
        contact.company, contact.unassigned = company, False

    def discard(self, contact: Contact) -> None:
        self.contacts.remove(contact)

    # --- what the stateful test compares -----------------------------------------------------

    def contact_view(self, contact: Contact) -> dict[str, Any]:
        return contact_view(
            contact.fields,
            contact.custom,
            contact.company.external_id if contact.company else None,
            contact.unassigned,
            contact.activities,
        )

    def snapshot(self) -> dict[str, list[dict[str, Any]]]:
        return snapshot(
            [self.contact_view(c) for c in self.contacts],
            [company_view(c.external_id, c.name, c.custom) for c in self.companies],
            [
                metric_view(m.company.external_id, m.dimension_id, m.value, "Company", m.date)
                for m in self.metrics
            ],
        )


# --- the comparable shape both sides are reduced to (content only, never ``_id``) -----------

CONTACT_FIELDS = ("externalId", "email", "firstName", "lastName", "name", "title", "source")


def contact_view(
    fields: dict[str, Any],
    custom: dict[str, Any],
    company: str | None,
    unassigned: bool,
    activities: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        **{f: fields.get(f) for f in CONTACT_FIELDS},
        "custom": dict(custom),
        "company": company,
        "unassigned": unassigned,
        "activities": [
            {k: a.get(k) for k in ("action", "info", "date", "source")} for a in activities
        ],
    }


def company_view(external_id: Any, name: Any, custom: dict[str, Any]) -> dict[str, Any]:
    return {"externalId": external_id, "name": name, "custom": dict(custom)}


def metric_view(
    company: Any, dimension_id: Any, value: Any, model: Any, date: Any
) -> dict[str, Any]:
    return {
        "company": company,
        "dimensionId": dimension_id,
        "value": value,
        "model": model,
        "date": date,
    }


def canonical(value: Any) -> str:
    """Stable text for a view: key order free, ``True`` distinct from ``1`` (unlike ``==``)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, indent=1)


def snapshot(
    contacts: list[dict[str, Any]],
    companies: list[dict[str, Any]],
    metrics: list[dict[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    """Order-free views: creation order is not part of what E-1 compares."""
    return {
        "contacts": sorted(contacts, key=canonical),
        "companies": sorted(companies, key=canonical),
        "metrics": sorted(metrics, key=canonical),
    }
