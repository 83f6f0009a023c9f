"""Seeding: put tenants, tokens, settings and documents into a fake from one JSON document.

The seed's shape (``POST /_fake/seed``, :meth:`FakePlanhat.seed`)::

    {"tenants": {"<tenant token>": {
        "apiTokens": {"<API token>": "write" | "read"},
        "settings": {"unassigned": "keep" | "discard", "group": "metrics" | "upsert",
                     "page": "activity" | "ignore", "guess": "domain" | "off",
                     "limits": "off" | "planhat",
                     "region": "api" | "api-eu" | ...},
        "companies": [...], "endusers": [...], "unassigned": [...],
        "activities": [...], "metrics": [...],
        "assets": [...], "projects": [...], ... (every object of fake_planhat.planhat)}}}

Every member is optional. A tenant missing from the fake is created; seeded documents are added
to what the tenant already holds. Records of the other objects name their company by
``companyId`` (an ``_id`` or ``extid-<externalId>``) when they have one, and must carry their
object's required fields. Documents get ``_id``, ``createDate``, ``updatedAt`` and
``__v`` when absent. Endusers name their company by ``companyId`` (an ``_id`` or
``extid-<externalId>``) or ``companyExternalId``; unassigned contacts (rule P-8) have none. A
tenant's :meth:`~fake_planhat.state.Tenant.dump` is a valid tenant seed, so state round-trips.

The whole seed is checked before anything changes: a bad seed raises :class:`SeedError` naming
the path of each bad item (tenants appear by token fingerprint, never whole), and leaves the fake
as it was.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from fake_planhat.auth import fingerprint
from fake_planhat.ids import is_object_id
from fake_planhat.planhat import RESOURCES
from fake_planhat.state import (
    Doc,
    Store,
    Tenant,
    TenantSettings,
    UnassignedEntry,
    id_key,
    setting_problem,
)

# The objects seeded generically: every declared one but endusers and companies.
OTHER_OBJECTS = tuple(r for r in RESOURCES if r.name not in ("endusers", "companies"))
TENANT_KEYS = (
    "apiTokens",
    "settings",
    "companies",
    "endusers",
    "unassigned",
    "activities",
    "metrics",
    *(r.name for r in OTHER_OBJECTS),
)
SCOPES = ("write", "read")
MAX_REPORTED = 10  # problems listed in one error message

# A company reference resolved at check time: an existing or explicit ``_id`` (str), or the
# index of a seeded company whose ``_id`` is only made when it is inserted (int).
CompanyRef = str | int


class SeedError(ValueError):
    """A seed that cannot be applied; ``problems`` name each bad item by its path."""

    def __init__(self, problems: list[str]) -> None:
        shown = "; ".join(problems[:MAX_REPORTED])
        more = len(problems) - MAX_REPORTED
        super().__init__(shown + (f" (and {more} more)" if more > 0 else ""))
        self.problems = problems


@dataclass
class _TenantPlan:
    token: str
    where: str  # "tenants.<fp>"
    api_tokens: dict[str, str] = field(default_factory=dict)
    settings: TenantSettings | None = None
    companies: list[Doc] = field(default_factory=list)
    endusers: list[tuple[Doc, CompanyRef]] = field(default_factory=list)
    unassigned: list[tuple[Doc, Mapping[str, Any]]] = field(default_factory=list)
    activities: list[Doc] = field(default_factory=list)
    metrics: list[Doc] = field(default_factory=list)
    # object path -> (fields, company reference or None)
    records: dict[str, list[tuple[Doc, CompanyRef | None]]] = field(default_factory=dict)


class _Checker:
    """Collects problems, each named by its path in the seed."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, problem: str) -> None:
        self.problems.append(f"{where} {problem}")

    def items(self, where: str, value: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        """The objects of a list member, with their paths; reports a non-list or non-object."""
        if value is None:
            return
        if not isinstance(value, list):
            self.fail(where, "must be an array")
            return
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield f"{where}[{i}]", item
            else:
                self.fail(f"{where}[{i}]", "must be an object")

    def string(
        self, where: str, doc: Mapping[str, Any], name: str, *, required: bool = False
    ) -> None:
        value = doc.get(name)
        if value is None:
            if required:
                self.fail(f"{where}.{name}", "is required (a non-empty string)")
        elif not isinstance(value, str) or (required and not value.strip()):
            self.fail(
                f"{where}.{name}", "must be a non-empty string" if required else "must be a string"
            )

    def identifier(self, where: str, doc: Mapping[str, Any], name: str) -> None:
        value = doc.get(name)
        if value is not None and id_key(value) is None:
            self.fail(f"{where}.{name}", "must be a non-empty string or a number")

    def obj(self, where: str, doc: Mapping[str, Any], name: str) -> None:
        value = doc.get(name)
        if value is not None and not isinstance(value, dict):
            self.fail(f"{where}.{name}", "must be an object")

    def bookkeeping(self, where: str, doc: Mapping[str, Any], taken: set[str]) -> None:
        """``_id`` (unique in its collection), timestamps, ``custom``."""
        doc_id = doc.get("_id")
        if doc_id is not None:
            if not isinstance(doc_id, str) or not is_object_id(doc_id):
                self.fail(f"{where}._id", "must be a 24-hex-digit ObjectId (or be left out)")
            elif doc_id in taken:
                self.fail(f"{where}._id", f"{doc_id} is already taken")
            else:
                taken.add(doc_id)
        for name in ("createDate", "updatedAt"):
            self.string(where, doc, name)
        self.obj(where, doc, "custom")

    def contact(self, where: str, doc: Mapping[str, Any]) -> None:
        for name in ("email", "name", "firstName", "lastName", "title"):
            self.string(where, doc, name)
        for name in ("externalId", "sourceId"):
            self.identifier(where, doc, name)


def _company_ref(
    check: _Checker, where: str, doc: Mapping[str, Any], tenant: Tenant | None, plan: _TenantPlan
) -> CompanyRef | None:
    """Resolve an enduser's ``companyId`` / ``companyExternalId`` (oldest company on a tie)."""
    by_id, by_extid = doc.get("companyId"), doc.get("companyExternalId")
    if by_id is None and by_extid is None:
        check.fail(
            where,
            "needs companyId or companyExternalId (contacts without a company go in unassigned)",
        )
        return None
    if by_id is not None:
        if not isinstance(by_id, str) or not by_id:
            check.fail(f"{where}.companyId", "must be a company _id or 'extid-<externalId>'")
            return None
        if not by_id.startswith("extid-"):
            known = (tenant is not None and by_id in tenant.companies) or any(
                c.get("_id") == by_id for c in plan.companies
            )
            if not known:
                check.fail(f"{where}.companyId", f"{by_id} names no company")
                return None
            return by_id
        external: Any = by_id[len("extid-") :]
        name = "companyId"
    else:
        external, name = by_extid, "companyExternalId"
    key = id_key(external)
    if key is None:
        check.fail(f"{where}.{name}", "must name a company's externalId (a string or number)")
        return None
    if tenant is not None:
        found = tenant.company_by_key(key)
        if found is not None:
            return str(found["_id"])
    for i, company in enumerate(plan.companies):
        if id_key(company.get("externalId")) == key:
            return company.get("_id") or i
    check.fail(f"{where}.{name}", f"{key!r} names no company (seed it under companies)")
    return None


def _ids(tenant: Tenant | None, model: str) -> set[str]:
    """The ``_id``s a tenant already holds in one collection."""
    if tenant is None:
        return set()
    return {str(doc["_id"]) for doc in tenant.collections()[model]}


def _plan_tenant(
    check: _Checker,
    token: str,
    body: Any,
    tenant: Tenant | None,
    store: Store,
    owners: dict[str, str],
) -> _TenantPlan:
    where = f"tenants.{fingerprint(token)}"
    plan = _TenantPlan(token=token, where=where)
    if not isinstance(body, dict):
        check.fail(where, "must be an object")
        return plan
    for name in body:
        if name not in TENANT_KEYS:
            check.fail(f"{where}.{name}", f"is not a seed member; use {', '.join(TENANT_KEYS)}")

    tokens = body.get("apiTokens")
    if tokens is not None and not isinstance(tokens, dict):
        check.fail(
            f"{where}.apiTokens", "must be an object mapping API tokens to 'write' or 'read'"
        )
    for api_token, scope in (tokens or {}).items():
        at = f"{where}.apiTokens[fp:{fingerprint(api_token)}]"
        if not api_token:
            check.fail(at, "is an empty API token")
        elif scope not in SCOPES:
            check.fail(at, f"must be 'write' or 'read', got {scope!r}")
        else:
            owner = owners.setdefault(api_token, token)
            found = store.tenant_for_api_token(api_token)
            if owner != token or (found is not None and found[0].token != token):
                check.fail(at, "already belongs to another tenant")
            plan.api_tokens[api_token] = scope

    settings = body.get("settings")
    if settings is not None:
        if not isinstance(settings, dict):
            check.fail(f"{where}.settings", "must be an object")
        else:
            problems = [
                (name, problem)
                for name, value in settings.items()
                if (problem := setting_problem(name, value)) is not None
            ]
            for name, problem in problems:
                check.fail(f"{where}.settings.{name}", problem)
            if not problems:
                base = tenant.settings if tenant is not None else TenantSettings()
                plan.settings = base.changed(**settings)

    company_ids = _ids(tenant, "companies")
    contact_ids = _ids(tenant, "endusers")
    for at, doc in check.items(f"{where}.companies", body.get("companies")):
        check.bookkeeping(at, doc, company_ids)
        check.string(at, doc, "name", required=True)
        for name in ("externalId", "sourceId"):
            check.identifier(at, doc, name)
        plan.companies.append(copy.deepcopy(doc))

    for at, doc in check.items(f"{where}.endusers", body.get("endusers")):
        check.bookkeeping(at, doc, contact_ids)
        check.contact(at, doc)
        ref = _company_ref(check, at, doc, tenant, plan)
        if ref is not None:
            fields = {k: copy.deepcopy(v) for k, v in doc.items()}
            for computed in ("companyExternalId", "companyName", "companyId"):
                fields.pop(computed, None)
            plan.endusers.append((fields, ref))

    for at, doc in check.items(f"{where}.unassigned", body.get("unassigned")):
        check.bookkeeping(at, doc, contact_ids)
        check.contact(at, doc)
        if doc.get("companyId") is not None or doc.get("companyExternalId") is not None:
            check.fail(at, "is unassigned, so it has no company; seed it under endusers instead")
        meta = doc.get("_unassigned", {})
        if not isinstance(meta, dict):
            check.fail(f"{at}._unassigned", "must be an object")
            meta = {}
        for name in ("since", "messageId", "companyKey"):
            if meta.get(name) is not None and not isinstance(meta[name], str):
                check.fail(f"{at}._unassigned.{name}", "must be a string")
        fields = {
            k: copy.deepcopy(v) for k, v in doc.items() if k not in ("_unassigned", "companyName")
        }
        fields["companyId"] = None
        plan.unassigned.append((fields, meta))

    activity_ids = _ids(tenant, "activities")
    for at, doc in check.items(f"{where}.activities", body.get("activities")):
        check.bookkeeping(at, doc, activity_ids)
        check.string(at, doc, "action", required=True)
        for name in ("contactId", "companyId"):
            check.string(at, doc, name)
        plan.activities.append(copy.deepcopy(doc))

    metric_ids = _ids(tenant, "metrics")
    for at, doc in check.items(f"{where}.metrics", body.get("metrics")):
        check.bookkeeping(at, doc, metric_ids)
        check.string(at, doc, "dimensionId", required=True)
        value = doc.get("value")
        if not isinstance(value, int | float) or isinstance(value, bool):
            check.fail(f"{at}.value", "is required (a number)")
        check.string(at, doc, "companyId")
        plan.metrics.append(copy.deepcopy(doc))

    for declared in OTHER_OBJECTS:
        taken = _ids(tenant, declared.name)
        for at, doc in check.items(f"{where}.{declared.name}", body.get(declared.name)):
            check.bookkeeping(at, doc, taken)
            for name in ("externalId", "sourceId"):
                check.identifier(at, doc, name)
            for name in declared.required:
                if name != "companyId" and doc.get(name) is None:
                    check.fail(f"{at}.{name}", f"is required for a {declared.label}")
            company: CompanyRef | None = None
            if declared.owned_by_company and (
                doc.get("companyId") is not None or "companyId" in declared.required
            ):
                company = _company_ref(check, at, doc, tenant, plan)
            fields = {
                k: copy.deepcopy(v)
                for k, v in doc.items()
                if k not in ("companyExternalId", "companyName", "companyId")
            }
            plan.records.setdefault(declared.name, []).append((fields, company))
    return plan


def _apply(store: Store, plan: _TenantPlan) -> dict[str, int]:
    tenant = store.add_tenant(plan.token, plan.api_tokens, plan.settings)
    with tenant.lock:
        made: list[str] = []
        for fields in plan.companies:
            made.append(tenant.companies.insert(tenant.new_doc({"custom": {}, **fields}))["_id"])
        for fields, ref in plan.endusers:
            company_id = made[ref] if isinstance(ref, int) else ref
            tenant.contacts.insert(
                tenant.new_doc({"custom": {}, **fields, "companyId": company_id})
            )
        for fields, meta in plan.unassigned:
            contact = tenant.contacts.insert(tenant.new_doc({"custom": {}, **fields}))
            tenant.unassigned[contact["_id"]] = UnassignedEntry(
                contact_id=contact["_id"],
                since=meta.get("since") or contact["createDate"],
                message_id=meta.get("messageId"),
                company_key=meta.get("companyKey"),
            )
        for fields in plan.activities:
            tenant.activities.insert(tenant.new_doc(fields))
        for fields in plan.metrics:
            tenant.metrics.insert(tenant.new_doc(fields))
        for name, records in plan.records.items():
            collection = tenant.collection(name)
            for fields, owner in records:
                linked = {}
                if owner is not None:
                    linked["companyId"] = made[owner] if isinstance(owner, int) else owner
                collection.insert(tenant.new_doc({"custom": {}, **fields, **linked}))
    return {
        "companies": len(plan.companies),
        "endusers": len(plan.endusers),
        "unassigned": len(plan.unassigned),
        "activities": len(plan.activities),
        "metrics": len(plan.metrics),
        **{name: len(records) for name, records in plan.records.items()},
    }


def seed(store: Store, data: Any) -> dict[str, dict[str, int]]:
    """Check the whole seed, then apply it; returns counts per tenant fingerprint.

    Raises :class:`SeedError` (a ValueError) and changes nothing when any item is bad.
    """
    check = _Checker()
    if not isinstance(data, Mapping):
        raise SeedError(['the seed must be an object: {"tenants": {...}}'])
    for name in data:
        if name != "tenants":
            check.fail(str(name), 'is not a seed member; the seed is {"tenants": {...}}')
    tenants = data.get("tenants")
    if not isinstance(tenants, Mapping):
        check.fail("tenants", "is required: an object keyed by tenant token")
        raise SeedError(check.problems)
    for token in tenants:
        if not isinstance(token, str) or not token.strip():
            check.fail("tenants", "has an empty tenant token")
    if check.problems:
        raise SeedError(check.problems)

    existing = {t: store.tenant(t) for t in sorted(tenants)}
    with ExitStack() as locks:
        # sorted order, so two concurrent seeds cannot deadlock
        for tenant in existing.values():
            if tenant is not None:
                locks.enter_context(tenant.lock)
        owners: dict[str, str] = {}
        plans = [
            _plan_tenant(check, token, tenants[token], existing[token], store, owners)
            for token in existing
        ]
        if check.problems:
            raise SeedError(check.problems)
        return {fingerprint(plan.token): _apply(store, plan) for plan in plans}
