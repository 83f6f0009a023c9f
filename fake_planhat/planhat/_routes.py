"""The REST routes of every declared object, made by one blueprint factory: they parse the
request, call the engine under the tenant's lock, and answer (rules R-1 … R-5).

Per object (``/{name}``), as its declaration's ``operations`` allow: ``GET /{name}`` (list),
``POST /{name}`` (create), ``PUT /{name}`` (bulk upsert), ``GET|PUT|DELETE /{name}/<key>``.
Updates are ``PUT``; any other method answers 405 (R-2). Auth is Planhat's REST auth (Bearer
API token or Basic ``'<API token>:'``); writes need a token with write scope: a read-only token
gets 403, and on a bulk upsert the bulk answer with its items under ``permissionErrors`` (R-3).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Response, request

from fake_planhat import errors
from fake_planhat.api.common import (
    DELETED_ANSWER,
    LIMIT_REST,
    credentials,
    json_response,
    list_params,
    note,
    read_json,
    require_array,
    require_object,
    rest_tenant,
)
from fake_planhat.planhat import _engine as engine
from fake_planhat.planhat._resources import BULK_MAX_ITEMS, RESOURCES, Resource
from fake_planhat.planhat._rules import Rules
from fake_planhat.state import Tenant


def _note(
    declared: Resource, tenant: Tenant, ids: Iterable[str], extra: Iterable[Any] = ()
) -> None:
    """The journal's domain terms: the contacts and companies a write touched (the companies of
    any object that belongs to one)."""
    ids = list(dict.fromkeys(ids))
    if declared.name == "companies":
        note(companies=ids)
        return
    collection = tenant.collection(declared.name)
    company_ids = [*extra, *((collection.get(i) or {}).get("companyId") for i in ids)]
    companies = [c for c in dict.fromkeys(company_ids) if isinstance(c, str)]
    if declared.name == "endusers":
        note(contacts=ids, companies=companies)
    else:
        note(companies=companies)


def _filters(declared: Resource) -> dict[str, list[str]]:
    """The declared filters in the query, comma lists split (``status=a,b``), aliases merged."""
    found: dict[str, list[str]] = {}
    for spec in declared.filters:
        raw = [v for name in (spec.param, *spec.aliases) for v in request.args.getlist(name)]
        values = [v.strip() for text in raw for v in text.split(",") if v.strip()]
        if values:
            found[spec.param] = values
    return found


def _read_items(route: str) -> list[Any]:
    """A bulk body: a JSON array of at most 5,000 items (R-3), else a 400."""
    items = require_array(read_json(LIMIT_REST, route), f"The body of {route}")
    if len(items) > BULK_MAX_ITEMS:
        raise errors.too_many_items(len(items), BULK_MAX_ITEMS, route)
    return items


def blueprint(declared: Resource) -> Blueprint:
    """The routes of one object, from its declaration."""
    bp = Blueprint(declared.name, __name__)
    base, item = f"/{declared.name}", f"/{declared.name}/<path:key>"
    ops = declared.operations

    def rules() -> Rules:
        return declared.rules(declared)

    def list_records() -> Response:
        tenant = rest_tenant(write=False)
        params = list_params(declared.list_max)
        filters = _filters(declared)
        with tenant.lock:
            shown = engine.listing(tenant, rules(), filters, params)
        return json_response(shown)

    def create_record() -> Response:
        tenant = rest_tenant(write=True)
        body = require_object(read_json(LIMIT_REST, f"POST {base}"))
        with tenant.lock:
            model = rules()
            doc = engine.create(tenant, model, body)
            shown = model.render(tenant, doc)
            _note(declared, tenant, [doc["_id"]])
        return json_response(shown)

    def bulk_upsert() -> Response:
        tenant = rest_tenant(write=False)
        items = _read_items(f"PUT {base}")
        permitted = tenant.api_tokens.get(credentials().token or "") == "write"
        with tenant.lock:
            result = engine.bulk_upsert(tenant, rules(), items, permitted=permitted)
            _note(declared, tenant, result.touched)
        return json_response(result.answer, result.status)

    def get_record(key: str) -> Response:
        tenant = rest_tenant(write=False)
        with tenant.lock:
            model = rules()
            shown = model.render(tenant, engine.lookup(tenant, model, key))
        return json_response(shown)

    def update_record(key: str) -> Response:
        tenant = rest_tenant(write=True)
        body = require_object(read_json(LIMIT_REST, f"PUT {base}/<key>"))
        with tenant.lock:
            model = rules()
            doc = engine.lookup(tenant, model, key)
            before = doc.get("companyId")
            engine.update(tenant, model, doc, body)
            shown = model.render(tenant, doc)
            _note(declared, tenant, [doc["_id"]], [before])
        return json_response(shown)

    def delete_record(key: str) -> Response:
        tenant = rest_tenant(write=True)
        with tenant.lock:
            model = rules()
            doc = engine.lookup(tenant, model, key)
            if declared.name != "companies":
                _note(declared, tenant, [doc["_id"]])
            removed = engine.delete(tenant, model, doc)
        if declared.name == "companies":
            note(companies=removed.get("companies", []), contacts=removed.get("endusers", []))
        return json_response(DELETED_ANSWER)

    views: list[tuple[str, str, str, Callable[..., Response]]] = [
        ("list", base, "GET", list_records),
        ("create", base, "POST", create_record),
        ("bulk", base, "PUT", bulk_upsert),
        ("read", item, "GET", get_record),
        ("update", item, "PUT", update_record),
        ("delete", item, "DELETE", delete_record),
    ]
    for operation, rule, method, view in views:
        if operation in ops:
            # a key may start with "/" (``extid-`` + "/x" makes "//"): no redirect, the key
            bp.add_url_rule(rule, operation, view, methods=[method], merge_slashes=False)
    if declared.name == "companies":
        bp.add_url_rule("/leancompanies", "lean", _lean_companies, methods=["GET"])
    return bp


def _lean_companies() -> Response:
    """Every matching company as ``{_id, name, externalId, sourceId, slug}``; filters
    ``externalId``, ``sourceId``, ``status`` (comma lists allowed)."""
    declared = next(r for r in RESOURCES if r.name == "companies")
    tenant = rest_tenant(write=False)
    filters = _filters(declared)
    with tenant.lock:
        model = declared.rules(declared)
        shown = [engine.lean(d) for d in engine.filtered(tenant, model, filters)]
    return json_response(shown)


def blueprints() -> tuple[Blueprint, ...]:
    """One blueprint per declared object."""
    return tuple(blueprint(r) for r in RESOURCES)
