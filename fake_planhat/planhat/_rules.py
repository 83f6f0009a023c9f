"""Planhat's write rules per object: the generic ones every object follows, and the quirks of
endusers and companies. No Flask here: the engine calls these, routes never do.

Generic rules (R-2, R-6), decided where Planhat's documentation is silent (the ledger in
``docs/fidelity.md`` lists each):

- each declared required field must be present and not null on create, and cannot be cleared
  by an update: a 400 naming the field;
- a reference (``companyId``, an issue's ``companyIds`` …) takes ``_id``, ``extid-…`` or
  ``srcid-…`` and must name an existing record of the referenced object: else a 400 naming the
  field; it is stored as the record's ``_id``;
- ``externalId`` and ``sourceId`` are each unique per object (an enduser's ``externalId`` per
  company, as Planhat's keyables say); a write that would duplicate one is a 400;
- a record whose ``companyId`` names a company shows that company's ``companyName``.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from fake_planhat import errors
from fake_planhat.state import PUBLIC_MAIL_DOMAINS, Collection, Doc, Tenant, email_domain, id_key

__all__ = ["PUBLIC_MAIL_DOMAINS"]  # decided: the mail providers P-5's guess never uses

if TYPE_CHECKING:
    from fake_planhat.planhat._resources import Resource

# --- keys: _id, extid-…, srcid-… (R-1) ------------------------------------------------------


def split_key(key: str) -> tuple[str, str]:
    """A single-item key: ``extid-…``, ``srcid-…`` or a plain ``_id`` (rule R-1)."""
    if key.startswith("extid-"):
        return "externalId", key[len("extid-") :]
    if key.startswith("srcid-"):
        return "sourceId", key[len("srcid-") :]
    return "_id", key


def find_key(collection: Collection, key: str, visible: Any = None) -> Doc | None:
    """The document a key (``_id``, ``extid-…``, ``srcid-…``) names, oldest on a tie; only
    documents ``visible`` accepts count (an unassigned contact is no enduser, rule P-8)."""
    field_name, value = split_key(key)
    if field_name == "_id":
        found = [d] if (d := collection.get(value)) is not None else []
    else:
        found = collection.find(field_name, value)
    return next((d for d in found if visible is None or visible(d)), None)


# --- computed domains and the email-domain guess (R-6, P-5) ---------------------------------


def _normal_domain(text: str) -> str:
    return text.strip().casefold().lstrip("@")


def explicit_domains(company: Mapping[str, Any]) -> list[str]:
    """The domains set on a company itself (normalised, in order, no repeats)."""
    seen: dict[str, None] = {}
    for domain in company.get("domains") or ():
        if isinstance(domain, str) and domain.strip():
            seen.setdefault(_normal_domain(domain), None)
    return list(seen)


def computed_domains(tenant: Tenant, company: Mapping[str, Any]) -> list[str]:
    """R-6: the company's ``domains`` as the API shows them: the email domains of its endusers
    plus any set explicitly (explicit ones first, as set; then its endusers', oldest first)."""
    shown: dict[str, None] = {}
    for domain in company.get("domains") or ():
        if isinstance(domain, str) and domain.strip() and _normal_domain(domain) not in shown:
            shown[_normal_domain(domain)] = None
    for contact in tenant.contacts.find("companyId", company["_id"]):
        domain = email_domain(contact.get("email"))
        if domain is not None and contact["_id"] not in tenant.unassigned:
            shown.setdefault(domain, None)
    return list(shown)


def explicit_domain_map(tenant: Tenant) -> dict[str, set[str]]:
    """Explicit domain -> the ``_id``s of the companies that list it (one scan of companies)."""
    owners: dict[str, set[str]] = {}
    for company in tenant.companies:
        for domain in explicit_domains(company):
            owners.setdefault(domain, set()).add(company["_id"])
    return owners


def company_for_email_domain(
    tenant: Tenant, email: Any, explicit: Mapping[str, set[str]] | None = None
) -> Doc | None:
    """P-5's qualified guess "when certain enough" (decided test), R-6's computed ``domains``:
    :meth:`Tenant.company_for_email_domain` (one implementation; ``explicit`` is accepted for
    callers that cache :func:`explicit_domain_map`, and not needed)."""
    if not isinstance(email, str):
        return None
    return tenant.company_for_email_domain(email)


def slug(name: str) -> str:
    """A lower-case, dash-separated form of a name (accents dropped): ``"Café Ab"`` ->
    ``"cafe-ab"``."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)
    )
    return re.sub(r"[\W_]+", "-", plain.casefold()).strip("-")


# --- rules -----------------------------------------------------------------------------------


class Rules:
    """How one object is written and shown; one instance per request (it may cache)."""

    def __init__(self, resource: Resource) -> None:
        self.resource = resource

    @property
    def label(self) -> str:
        return self.resource.label

    def collection(self, tenant: Tenant) -> Collection:
        return tenant.collection(self.resource.name)

    def visible(self, tenant: Tenant, doc: Doc) -> bool:
        """Whether the REST API shows this document."""
        return True

    def render(self, tenant: Tenant, doc: Doc) -> Doc:
        """The document as the API answers it (a copy), with ``companyName`` when it has one."""
        shown = copy.deepcopy(doc)
        if self.resource.owned_by_company:
            company = tenant.companies.get(doc.get("companyId") or "")
            if company is not None:
                shown["companyName"] = company.get("name")
        return shown

    def find(self, tenant: Tenant, key: str) -> Doc | None:
        """The visible record a path key names (R-1)."""
        return find_key(self.collection(tenant), key, lambda d: self.visible(tenant, d))

    def candidates(
        self, tenant: Tenant, key: str, value: Any, item: Mapping[str, Any]
    ) -> list[Doc]:
        """Visible documents a bulk item's ``key`` matches, the preferred one first."""
        found = self.collection(tenant).find(key, value)
        return [d for d in found if self.visible(tenant, d)]

    # --- writes ----------------------------------------------------------------------------

    def prepare_insert(self, tenant: Tenant, fields: dict[str, Any]) -> dict[str, Any]:
        """Checked fields of a new record: defaults, required fields, references, unique keys."""
        for name, value in self.resource.defaults.items():
            if fields.get(name) is None:
                fields[name] = copy.deepcopy(value)
        self.resolve_references(tenant, fields)
        for name in self.resource.required:
            if _absent(fields.get(name)):
                raise errors.missing_field(name, f"a new {self.label}", self._expected(name))
        self.check_keys(tenant, fields, None)
        return fields

    def prepare_update(self, tenant: Tenant, doc: Doc, fields: dict[str, Any]) -> dict[str, Any]:
        """Checked fields of an update: required fields stay set, references resolve, keys
        stay unique."""
        for name in self.resource.required:
            if name in fields and _absent(fields[name]):
                raise errors.missing_field(name, f"a {self.label}", self._expected(name))
        self.resolve_references(tenant, fields)
        # performance: a bulk item names its record by a key it does not change; only a
        # changed key can clash with another record
        if any(
            fields[k] != doc.get(k) for k in ("externalId", "sourceId", "companyId") if k in fields
        ):
            self.check_keys(tenant, {**doc, **fields}, doc["_id"])
        return fields

    def _expected(self, name: str) -> str:
        reference = self.resource.reference(name)
        if reference is not None:
            return f"the {reference.target_label}'s _id, extid-<externalId> or srcid-<sourceId>"
        return "a value"

    def resolve_references(self, tenant: Tenant, fields: dict[str, Any]) -> None:
        """Each reference in ``fields`` as the ``_id`` it names; a 400 when it names none."""
        from fake_planhat.planhat._resources import resource

        for ref in self.resource.references:
            if fields.get(ref.field) is None:
                continue
            target = resource(ref.target)
            rules = target.rules(target)
            keys = fields[ref.field] if ref.many else [fields[ref.field]]
            resolved = []
            for key in keys:
                found = rules.find(tenant, key)
                if found is None:
                    raise errors.unknown_reference(ref.field, key, target.label)
                resolved.append(found["_id"])
            fields[ref.field] = resolved if ref.many else resolved[0]

    def check_keys(self, tenant: Tenant, merged: Mapping[str, Any], doc_id: str | None) -> None:
        """``externalId`` and ``sourceId`` unique per object."""
        for key in ("externalId", "sourceId"):
            self.check_unique(
                tenant, key, merged.get(key), doc_id, f"({key} is unique among {self.plural})"
            )

    @property
    def plural(self) -> str:
        return self.resource.name

    def check_unique(
        self, tenant: Tenant, key: str, value: Any, doc_id: str | None, scope: str
    ) -> None:
        """400 when another visible document already has ``key`` = ``value``."""
        if id_key(value) is None:
            return
        for other in self.collection(tenant).find(key, value):
            if other["_id"] != doc_id and self.visible(tenant, other):
                raise errors.duplicated_key(f"a {self.label}", key, value, scope)

    def repeat_scope(self, key: str, item: Mapping[str, Any]) -> Any:
        """What else two bulk items must share for a repeated ``key`` to be "duplicated" (R-3):
        nothing here; an enduser's ``externalId`` and ``email`` only within one company."""
        return None

    def keys_of(self, doc: Doc) -> dict[str, Any]:
        """The keys a bulk answer reports for a document (``insertsKeys``, ``updatesKeys``)."""
        shown: dict[str, Any] = {"_id": doc["_id"]}
        for key in self.resource.keyables[1:]:
            if doc.get(key) is not None:
                shown[key] = doc[key]
        return shown

    def remove(self, tenant: Tenant, doc: Doc) -> dict[str, list[str]]:
        """Delete a record; returns the ``_id``s removed per object (for the journal)."""
        self.collection(tenant).remove(doc["_id"])
        return {self.resource.name: [doc["_id"]]}


def _absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


class EnduserRules(Rules):
    """Endusers: the unassigned are invisible (P-8), a company may come from the email's
    domain (P-5's guess, R-6), ``name`` is made from ``firstName`` and ``lastName``, and
    ``externalId`` is unique per company."""

    def __init__(self, resource: Resource) -> None:
        super().__init__(resource)
        self._explicit: dict[str, set[str]] | None = None  # cached for a whole bulk

    def visible(self, tenant: Tenant, doc: Doc) -> bool:
        return doc["_id"] not in tenant.unassigned

    def render(self, tenant: Tenant, doc: Doc) -> Doc:
        return tenant.render_contact(doc)

    def candidates(
        self, tenant: Tenant, key: str, value: Any, item: Mapping[str, Any]
    ) -> list[Doc]:
        """``externalId`` and ``email`` match within the item's company when it names one
        (``externalId`` is unique per company only); otherwise the oldest match wins."""
        found = super().candidates(tenant, key, value, item)
        ref = item.get("companyId")
        if key in ("externalId", "email") and isinstance(ref, str) and ref.strip():
            company = find_key(tenant.companies, ref)
            if company is None:
                return []
            return [d for d in found if d.get("companyId") == company["_id"]]
        return found

    def repeat_scope(self, key: str, item: Mapping[str, Any]) -> Any:
        ref = item.get("companyId")
        if key in ("externalId", "email") and isinstance(ref, str) and ref.strip():
            return ref.strip()
        return None

    def prepare_insert(self, tenant: Tenant, fields: dict[str, Any]) -> dict[str, Any]:
        if fields.get("companyId") is None:
            if self._explicit is None:
                self._explicit = explicit_domain_map(tenant)
            company = company_for_email_domain(tenant, fields.get("email"), self._explicit)
            if company is None:
                raise errors.missing_field(
                    "companyId",
                    "a new enduser",
                    "the company's _id, extid-<externalId> or srcid-<sourceId> (no single "
                    "company has the email's domain in its domains)",
                )
            fields["companyId"] = company["_id"]
        _name_from_parts(fields, {})
        return super().prepare_insert(tenant, fields)

    def prepare_update(self, tenant: Tenant, doc: Doc, fields: dict[str, Any]) -> dict[str, Any]:
        if "companyId" in fields and fields["companyId"] is None:
            raise errors.missing_field(
                "companyId", "an enduser", "an enduser always belongs to a company"
            )
        _name_from_parts(fields, doc)
        return super().prepare_update(tenant, doc, fields)

    def check_keys(self, tenant: Tenant, merged: Mapping[str, Any], doc_id: str | None) -> None:
        self.check_unique(
            tenant, "sourceId", merged.get("sourceId"), doc_id, "(sourceId is unique per model)"
        )
        external_id = merged.get("externalId")
        company_id = merged.get("companyId")
        for other in tenant.contacts.find("externalId", external_id):
            if (
                other["_id"] != doc_id
                and other.get("companyId") == company_id
                and self.visible(tenant, other)
            ):
                raise errors.duplicated_key(
                    "an enduser",
                    "externalId",
                    external_id,
                    f"on company {company_id} (externalId is unique per company)",
                )

    def remove(self, tenant: Tenant, doc: Doc) -> dict[str, list[str]]:
        """An enduser goes with its activities (decided)."""
        tenant.remove_contact(doc["_id"])
        return {"endusers": [doc["_id"]]}


def _name_from_parts(fields: dict[str, Any], doc: Mapping[str, Any]) -> None:
    """Planhat generates ``name`` from ``firstName`` and ``lastName``."""
    if "name" in fields or not fields.keys() & {"firstName", "lastName"}:
        return
    parts = (
        fields.get("firstName", doc.get("firstName")),
        fields.get("lastName", doc.get("lastName")),
    )
    fields["name"] = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())


class CompanyRules(Rules):
    """Companies: ``domains`` computed on read (R-6), ``status`` ``prospect`` by default (R-6,
    a declared default), and a delete that takes the company's records with it (decided)."""

    def render(self, tenant: Tenant, doc: Doc) -> Doc:
        shown = copy.deepcopy(doc)
        shown["domains"] = computed_domains(tenant, doc)
        return shown

    def remove(self, tenant: Tenant, doc: Doc) -> dict[str, list[str]]:
        """Delete a company with its endusers (and their activities), its activities, its
        metric data points and every record whose ``companyId`` names it (decided)."""
        from fake_planhat.planhat._resources import RESOURCES

        company_id = doc["_id"]
        removed: dict[str, list[str]] = {"companies": [company_id], "endusers": []}
        for contact in tenant.contacts.find("companyId", company_id):
            tenant.remove_contact(contact["_id"])
            removed["endusers"].append(contact["_id"])
        for activity in tenant.activities.find("companyId", company_id):
            tenant.activities.remove(activity["_id"])
        for metric in tenant.metrics.find("companyId", company_id):
            tenant.metrics.remove(metric["_id"])
        for other in RESOURCES:
            if other.name == "endusers" or not other.owned_by_company:
                continue
            collection = tenant.collection(other.name)
            for record in _ids(collection.find("companyId", company_id)):
                collection.remove(record)
                removed.setdefault(other.name, []).append(record)
        tenant.companies.remove(company_id)
        return removed


def _ids(docs: Iterable[Doc]) -> list[str]:
    return [d["_id"] for d in docs]
