"""Planhat's ``/companies`` and ``/leancompanies`` routes.

Auth is Planhat's REST auth (Bearer API token or Basic ``'<API token>:'``); writes need a
token with write scope (a read-only token gets 403). Single-company paths take ``_id``,
``extid-<externalId>`` or ``srcid-<sourceId>``. A company always has a non-empty ``name``.

Decided where Planhat's documentation is silent:

- ``externalId`` and ``sourceId`` are each unique among the tenant's companies (Planhat's
  keyables); a write that would duplicate one is a 400;
- deleting a company deletes its endusers with it, as Planhat does, together with their
  activities, the company's own activities and its metric data points.
"""

from __future__ import annotations

import re
import unicodedata
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
from fake_planhat.state import Collection, Doc, Tenant, id_key

bp = Blueprint("companies", __name__)

MAX_LIMIT = 5000

# Fields Planhat computes for a company; a body that sends them back has them ignored.
COMPUTED = frozenset(
    {
        "slug",
        "arr",
        "nrr30",
        "mrrTotal",
        "nrrTotal",
        "mrTotal",
        "renewalMrr",
        "renewalArr",
        "renewalDaysFromNow",
        "customerFrom",
        "customerTo",
        "lastRenewal",
        "h",
        "lastActive",
        "lastTouch",
        "lastTouchType",
        "lastTouchByType",
        "alerts",
        "lastActivities",
        "beats",
        "beatsTotal",
        "beatTrend",
        "experience",
        "orgRootId",
        "orgPath",
        "orgLevel",
        "orgUnits",
        "orgMrr",
        "orgArr",
        "orgMrrTotal",
        "orgArrTotal",
        "orgHealthTotal",
    }
)
TEXT_FIELDS = (
    "owner",
    "coOwner",
    "phase",
    "status",
    "description",
    "address",
    "country",
    "city",
    "zip",
    "web",
    "phonePrimary",
)


def slug(name: str) -> str:
    """A lower-case, dash-separated form of a name (accents dropped): ``"Café Ab"`` ->
    ``"cafe-ab"``."""
    plain = "".join(
        ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)
    )
    return re.sub(r"[\W_]+", "-", plain.casefold()).strip("-")


class Companies(bulk.Model):
    """How a company is written."""

    label: ClassVar[str] = "company"
    keys: ClassVar[tuple[str, ...]] = ("_id", "sourceId", "externalId")
    schema: ClassVar[bulk.Schema] = bulk.Schema(
        fields={
            "name": bulk.nonempty_text("a company"),
            "externalId": bulk.identifier,
            "sourceId": bulk.identifier,
            "domains": bulk.string_list,
            "tags": bulk.string_list,
            "custom": bulk.custom_object,
            **{name: bulk.text for name in TEXT_FIELDS},
        },
        computed=COMPUTED,
    )

    def collection(self, tenant: Tenant) -> Collection:
        return tenant.companies

    def prepare_insert(self, tenant: Tenant, fields: dict[str, Any]) -> dict[str, Any]:
        if "name" not in fields:
            raise errors.missing_field("name", "a new company", "a non-empty string")
        self._check_keys(tenant, fields, None)
        return fields

    def prepare_update(self, tenant: Tenant, doc: Doc, fields: dict[str, Any]) -> dict[str, Any]:
        self._check_keys(tenant, fields, doc["_id"])
        return fields

    def _check_keys(self, tenant: Tenant, fields: Mapping[str, Any], doc_id: str | None) -> None:
        for key in ("externalId", "sourceId"):
            self.check_unique(
                tenant, key, fields.get(key), doc_id, f"({key} is unique among companies)"
            )


def remove_company(tenant: Tenant, company_id: str) -> list[str]:
    """Delete a company with its endusers, their activities, its own activities and metrics;
    returns the ids of the endusers removed."""
    removed: list[str] = []
    for contact in tenant.contacts.find("companyId", company_id):
        tenant.remove_contact(contact["_id"])
        removed.append(contact["_id"])
    for activity in tenant.activities.find("companyId", company_id):
        tenant.activities.remove(activity["_id"])
    for metric in tenant.metrics.find("companyId", company_id):
        tenant.metrics.remove(metric["_id"])
    tenant.companies.remove(company_id)
    return removed


def _arg(name: str) -> str | None:
    return request.args.get(name) or None


def _filtered(tenant: Tenant) -> Iterable[Doc]:
    """Companies matching ``externalId``, ``sourceId``, ``status`` and ``companyId`` (comma-
    separated ``_id``/``extid-``/``srcid-`` keys), in creation order, through indexes first."""
    external_id, source_id, status = _arg("externalId"), _arg("sourceId"), _arg("status")
    refs = [r.strip() for v in request.args.getlist("companyId") for r in v.split(",") if r.strip()]
    ids = {c["_id"] for c in (find_key(tenant.companies, r) for r in refs) if c is not None}
    docs: Iterable[Doc]
    if external_id is not None:
        docs = tenant.companies.find("externalId", external_id)
    elif source_id is not None:
        docs = tenant.companies.find("sourceId", source_id)
    else:
        docs = tenant.companies
    return (
        d
        for d in docs
        if (source_id is None or id_key(d.get("sourceId")) == id_key(source_id))
        and (status is None or d.get("status") == status)
        and (not refs or d["_id"] in ids)
    )


def _lean(doc: Doc) -> dict[str, Any]:
    lean: dict[str, Any] = {"_id": doc["_id"], "name": doc.get("name")}
    for key in ("externalId", "sourceId"):
        if doc.get(key) is not None:
            lean[key] = doc[key]
    lean["slug"] = slug(str(doc.get("name") or ""))
    return lean


@bp.get("/companies")
def list_companies() -> Response:
    """A bare array; filters ``externalId``, ``sourceId``, ``status``, ``companyId``; ``limit``
    (default 100, capped at 5000), ``offset``, ``sort``, ``select``."""
    tenant = rest_tenant(write=False)
    params = list_params(MAX_LIMIT)
    with tenant.lock:
        model = Companies()
        shown = page((model.render(tenant, d) for d in _filtered(tenant)), params)
    return json_response(shown)


@bp.get("/leancompanies")
def lean_companies() -> Response:
    """Every matching company as ``{_id, name, externalId, sourceId, slug}`` (keys the company
    lacks are left out); filters ``externalId``, ``sourceId``, ``status``."""
    tenant = rest_tenant(write=False)
    with tenant.lock:
        shown = [_lean(d) for d in _filtered(tenant)]
    return json_response(shown)


@bp.post("/companies")
def create_company() -> Response:
    """Create one company; ``name`` is required."""
    tenant = rest_tenant(write=True)
    body = require_object(read_json(LIMIT_REST, "POST /companies"))
    with tenant.lock:
        doc = bulk.create(tenant, Companies(), body)
        shown = Companies().render(tenant, doc)
    note(companies=[doc["_id"]])
    return json_response(shown)


@bp.put("/companies")
def bulk_upsert_companies() -> Response:
    """Planhat's bulk upsert: at most 5,000 items matched on ``_id`` > ``sourceId`` >
    ``externalId``; ``name`` required on insert; all under the tenant's lock."""
    tenant = rest_tenant(write=True)
    items = bulk.read_items("PUT /companies")
    with tenant.lock:
        result = bulk.bulk_upsert(tenant, Companies(), items)
    note(companies=result.touched)
    return json_response(result.answer, result.status)


def _company(tenant: Tenant, key: str) -> Doc:
    return lookup(tenant.companies, key, "company")


@bp.get("/companies/<path:key>")
def get_company(key: str) -> Response:
    tenant = rest_tenant(write=False)
    with tenant.lock:
        shown = Companies().render(tenant, _company(tenant, key))
    return json_response(shown)


@bp.put("/companies/<path:key>")
def update_company(key: str) -> Response:
    """Partial update: read-only and computed fields ignored, ``custom`` merged per key."""
    tenant = rest_tenant(write=True)
    body = require_object(read_json(LIMIT_REST, "PUT /companies/<key>"))
    with tenant.lock:
        doc = _company(tenant, key)
        bulk.update(tenant, Companies(), doc, body)
        shown = Companies().render(tenant, doc)
    note(companies=[doc["_id"]])
    return json_response(shown)


@bp.delete("/companies/<path:key>")
def delete_company(key: str) -> Response:
    """Delete a company together with its endusers and their data (see the module docstring)."""
    tenant = rest_tenant(write=True)
    with tenant.lock:
        doc = _company(tenant, key)
        removed = remove_company(tenant, doc["_id"])
    note(companies=[doc["_id"]], contacts=removed)
    return json_response(DELETED_ANSWER)
