"""Planhat's ``/endusers`` routes: list, create, bulk upsert, and one enduser by key.

Auth is Planhat's REST auth (Bearer API token or Basic ``'<API token>:'``); writes need a
token with write scope (a read-only token gets 403). Keys in paths and in ``companyId`` are
``_id``, ``extid-<externalId>`` or ``srcid-<sourceId>``. A contact waiting in the unassigned
list (rule P-8) is not an enduser: these routes neither list, show, match nor change it.

Decided where Planhat's documentation is silent:

- ``companyId`` naming no company of the tenant is a 400 (the body is wrong, not the path);
- without ``companyId``, a new enduser goes to the oldest company whose ``domains`` holds its
  email's domain, else the request is a 400 naming ``companyId``;
- ``externalId`` is unique per company and ``sourceId`` per model (Planhat's keyables); a write
  that would duplicate either is a 400; emails may repeat;
- ``name`` is generated from ``firstName`` and ``lastName`` when they change and no ``name`` is
  sent;
- deleting an enduser deletes its activities too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from flask import Blueprint, Response, request

from fake_planhat import errors
from fake_planhat.api import bulk
from fake_planhat.api.common import (
    DELETED_ANSWER,
    LIMIT_REST,
    find_key,
    json_response,
    list_params,
    lookup,
    note,
    page,
    read_json,
    require_object,
    rest_tenant,
)
from fake_planhat.state import Collection, Doc, Tenant

bp = Blueprint("endusers", __name__)

MAX_LIMIT = 2000

# Fields Planhat computes for an enduser; a body that sends them back has them ignored.
COMPUTED = frozenset(
    {
        "companyName",
        "lastActive",
        "lastSeen",
        "otherEmails",
        "relatedEndusers",
        "beats",
        "beatsTotal",
        "beatTrend",
        "convs14",
        "convsTotal",
        "experience",
        "lastTouch",
        "lastTouchType",
        "lastTouchByType",
        "lastActivities",
        "nps",
        "npsComment",
        "npsDate",
        "npsSent",
    }
)


def _domain(text: str) -> str:
    return text.strip().casefold().lstrip("@")


def company_ref(tenant: Tenant, ref: str) -> Doc:
    """The company a ``companyId`` names (``_id``, ``extid-…``, ``srcid-…``), else a 400."""
    company = find_key(tenant.companies, ref)
    if company is None:
        raise errors.unknown_reference("companyId", ref, "company")
    return company


class Endusers(bulk.Model):
    """How an enduser is written (one instance per request: it caches the domain map)."""

    label: ClassVar[str] = "enduser"
    keys: ClassVar[tuple[str, ...]] = ("_id", "sourceId", "externalId", "email")
    schema: ClassVar[bulk.Schema] = bulk.Schema(
        fields={
            "email": bulk.text,
            "firstName": bulk.text,
            "lastName": bulk.text,
            "name": bulk.text,
            "position": bulk.text,
            "phone": bulk.text,
            "companyId": bulk.reference,
            "externalId": bulk.identifier,
            "sourceId": bulk.identifier,
            "tags": bulk.string_list,
            "featured": bulk.flag,
            "primary": bulk.flag,
            "archived": bulk.flag,
            "custom": bulk.custom_object,
        },
        computed=COMPUTED,
    )

    def __init__(self) -> None:
        self._domains: dict[str, Doc] | None = None

    def collection(self, tenant: Tenant) -> Collection:
        return tenant.contacts

    def visible(self, tenant: Tenant, doc: Doc) -> bool:
        return tenant.is_enduser(doc["_id"])

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

    def company_for_email(self, tenant: Tenant, email: Any) -> Doc | None:
        """The oldest company whose ``domains`` holds the email's domain."""
        if not isinstance(email, str) or "@" not in email:
            return None
        if self._domains is None:
            self._domains = {}
            for company in tenant.companies:
                for domain in company.get("domains") or ():
                    if isinstance(domain, str) and domain.strip():
                        self._domains.setdefault(_domain(domain), company)
        return self._domains.get(_domain(email.rpartition("@")[2]))

    def prepare_insert(self, tenant: Tenant, fields: dict[str, Any]) -> dict[str, Any]:
        ref = fields.get("companyId")
        company = (
            company_ref(tenant, ref)
            if ref is not None
            else self.company_for_email(tenant, fields.get("email"))
        )
        if company is None:
            raise errors.missing_field(
                "companyId",
                "a new enduser",
                "the company's _id, extid-<externalId> or srcid-<sourceId> (no company lists "
                "the email's domain in its domains)",
            )
        fields["companyId"] = company["_id"]
        _name_from_parts(fields, {})
        self._check_keys(tenant, fields, None)
        return fields

    def prepare_update(self, tenant: Tenant, doc: Doc, fields: dict[str, Any]) -> dict[str, Any]:
        if "companyId" in fields:
            ref = fields["companyId"]
            if ref is None:
                raise errors.missing_field(
                    "companyId", "an enduser", "an enduser always belongs to a company"
                )
            fields["companyId"] = company_ref(tenant, ref)["_id"]
        _name_from_parts(fields, doc)
        if fields.keys() & {"companyId", "externalId", "sourceId"}:
            self._check_keys(tenant, {**doc, **fields}, doc["_id"])
        return fields

    def _check_keys(self, tenant: Tenant, merged: Mapping[str, Any], doc_id: str | None) -> None:
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


def _name_from_parts(fields: dict[str, Any], doc: Mapping[str, Any]) -> None:
    """Planhat generates ``name`` from ``firstName`` and ``lastName``."""
    if "name" in fields or not fields.keys() & {"firstName", "lastName"}:
        return
    parts = (
        fields.get("firstName", doc.get("firstName")),
        fields.get("lastName", doc.get("lastName")),
    )
    fields["name"] = " ".join(p.strip() for p in parts if isinstance(p, str) and p.strip())


def _note_writes(contact_ids: Iterable[str], company_ids: Iterable[Any]) -> None:
    contacts = list(dict.fromkeys(contact_ids))
    companies = [c for c in dict.fromkeys(company_ids) if isinstance(c, str)]
    note(contacts=contacts, companies=companies)


def _company_filter(tenant: Tenant) -> set[str] | None:
    """``companyId`` (comma-separated, prefixes allowed) and the legacy ``c``: their ``_id``s."""
    raw = request.args.getlist("companyId") + request.args.getlist("c")
    refs = [r.strip() for value in raw for r in value.split(",") if r.strip()]
    if not refs:
        return None
    return {c["_id"] for c in (find_key(tenant.companies, r) for r in refs) if c is not None}


def _listed(tenant: Tenant) -> Iterable[Doc]:
    """The endusers ``GET /endusers`` filters to, in creation order, found through indexes."""
    company_ids = _company_filter(tenant)
    email = request.args.get("email")
    if email:
        docs: Iterable[Doc] = tenant.contacts.find("email", email)
    elif company_ids is not None:
        docs = sorted(
            (d for cid in company_ids for d in tenant.contacts.find("companyId", cid)),
            key=lambda d: tenant.contacts.seq(d["_id"]),
        )
    else:
        return tenant.endusers()
    return (
        d
        for d in docs
        if tenant.is_enduser(d["_id"])
        and (company_ids is None or d.get("companyId") in company_ids)
    )


@bp.get("/endusers")
def list_endusers() -> Response:
    """A bare array; filters ``companyId`` / ``c`` and ``email`` (case-insensitive); ``limit``
    (default 100, capped at 2000), ``offset``, ``sort``, ``select``."""
    tenant = rest_tenant(write=False)
    params = list_params(MAX_LIMIT)
    with tenant.lock:
        shown = page((tenant.render_contact(d) for d in _listed(tenant)), params)
    return json_response(shown)


@bp.post("/endusers")
def create_enduser() -> Response:
    """Create one enduser; ``companyId`` required unless its email's domain names a company."""
    tenant = rest_tenant(write=True)
    body = require_object(read_json(LIMIT_REST, "POST /endusers"))
    with tenant.lock:
        doc = bulk.create(tenant, Endusers(), body)
        shown = tenant.render_contact(doc)
    _note_writes([doc["_id"]], [doc.get("companyId")])
    return json_response(shown)


@bp.put("/endusers")
def bulk_upsert_endusers() -> Response:
    """Planhat's bulk upsert: at most 5,000 items matched on ``_id`` > ``sourceId`` >
    ``externalId`` > ``email``, all under the tenant's lock: concurrent bulks never duplicate a
    contact (CONTRACT E-2)."""
    tenant = rest_tenant(write=True)
    items = bulk.read_items("PUT /endusers")
    with tenant.lock:
        result = bulk.bulk_upsert(tenant, Endusers(), items)
        companies = [(tenant.contacts.get(i) or {}).get("companyId") for i in result.touched]
    _note_writes(result.touched, companies)
    return json_response(result.answer, result.status)


def _enduser(tenant: Tenant, key: str) -> Doc:
    return lookup(tenant.contacts, key, "enduser", lambda d: tenant.is_enduser(d["_id"]))


@bp.get("/endusers/<path:key>")
def get_enduser(key: str) -> Response:
    tenant = rest_tenant(write=False)
    with tenant.lock:
        shown = tenant.render_contact(_enduser(tenant, key))
    return json_response(shown)


@bp.put("/endusers/<path:key>")
def update_enduser(key: str) -> Response:
    """Partial update: read-only and computed fields ignored, ``custom`` merged per key."""
    tenant = rest_tenant(write=True)
    body = require_object(read_json(LIMIT_REST, "PUT /endusers/<key>"))
    with tenant.lock:
        doc = _enduser(tenant, key)
        previous_company = doc.get("companyId")
        bulk.update(tenant, Endusers(), doc, body)
        shown = tenant.render_contact(doc)
    _note_writes([doc["_id"]], [previous_company, doc.get("companyId")])
    return json_response(shown)


@bp.delete("/endusers/<path:key>")
def delete_enduser(key: str) -> Response:
    """Delete an enduser and its activities."""
    tenant = rest_tenant(write=True)
    with tenant.lock:
        doc = _enduser(tenant, key)
        tenant.remove_contact(doc["_id"])
    _note_writes([doc["_id"]], [doc.get("companyId")])
    return json_response(DELETED_ANSWER)
