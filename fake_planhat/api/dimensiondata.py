"""Planhat's metrics: ``POST /dimensiondata/<tenant_token>`` writes data points,
``GET /dimensiondata`` reads them (rule R-8).

Documented (docs/fidelity.md): ``model`` is ``Company`` (the default), ``EndUser``, ``Asset`` or
``Project``; a read record is ``{_id, dimensionId, time, value, model, parentId, companyId,
companyName}``, as public clients type it. A point posted with ``externalId`` measures the
object of that model whose ``externalId`` it is (``parentId``); ``companyId`` is its company.

Decided (Planhat documents neither):

- ``model`` is compared case-insensitively (``Enduser`` is ``EndUser``).
- A bad item (not an object, no ``dimensionId`` string, a ``value`` that is not a number, an
  unknown model, an ``externalId`` naming no object of its model, a ``date`` JavaScript would not
  parse) is listed in the answer's ``errors``; the other items are stored. Only a body that is
  neither an object nor an array is a 400. No item count limit beyond the 32 MB body.
- ``GET``: ``cid`` (or ``cId``) is the company ``_id``, ``dimid`` (or ``dimId``) the dimension;
  ``from``/``to`` are whole UTC days since 1970-01-01, both inclusive, and a point whose time
  cannot be parsed is left out of a ranged query; ``from`` after ``to`` is a 400. ``limit``
  defaults to 100 and is capped at 5,000. Points come oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from flask import Blueprint, Response, request

from fake_planhat import errors, intake
from fake_planhat._jsdate import parse_js_date
from fake_planhat.api.common import (
    LIMIT_ANALYTICS,
    json_response,
    list_params,
    note,
    page,
    path_tenant,
    read_json,
    rest_tenant,
)
from fake_planhat.state import Doc, Tenant, id_key

bp = Blueprint("dimensiondata", __name__)

POST_ROUTE = "/dimensiondata/<tenantToken>"
# the models Planhat's metrics take; the collection each one's objects live in.
MODELS = {"company": "Company", "enduser": "EndUser", "asset": "Asset", "project": "Project"}
COLLECTIONS = {
    "Company": "companies",
    "EndUser": "endusers",
    "Asset": "assets",
    "Project": "projects",
}
RECORD_FIELDS = ("_id", "dimensionId", "time", "value", "model", "parentId", "companyId")
MAX_LIMIT = 5000
EPOCH = date(1970, 1, 1)


class ItemError(Exception):
    """Why one posted data point was not stored (answered in ``errors``, not as a 4xx)."""


def _target(tenant: Tenant, model: str, external_id: str) -> tuple[str | None, Doc]:
    """The company ``_id`` of the point and the object its ``externalId`` names (R-8)."""
    if model == "Company":
        company = tenant.company_by_key(external_id)
        if company is None:
            raise ItemError(errors.item_not_found("company", external_id))
        return company["_id"], company
    collection = tenant.collections().get(COLLECTIONS[model])
    found = [] if collection is None else collection.find("externalId", external_id)
    if model == "EndUser":
        found = [c for c in found if tenant.is_enduser(c["_id"])]
    if not found:
        raise ItemError(errors.item_not_found(model.casefold(), external_id))
    company_id = found[0].get("companyId")
    return (company_id if isinstance(company_id, str) else None), found[0]


def _parse_date(value: Any) -> date | None:
    """The UTC day of a point's time, or None when JavaScript would not parse it."""
    moment = parse_js_date(value)
    return moment.date() if moment is not None else None


def data_point(tenant: Tenant, item: Any) -> Doc:
    """The metric document one posted item makes; raises :class:`ItemError` when it is bad."""
    if not isinstance(item, Mapping):
        raise ItemError(errors.item_wrong_type("a data point", "an object", item))
    dimension = item.get("dimensionId")
    if not isinstance(dimension, str) or dimension == "":
        if dimension is None:
            raise ItemError(errors.item_missing("dimensionId", "a non-empty string"))
        raise ItemError(errors.item_wrong_type("dimensionId", "a non-empty string", dimension))
    value = item.get("value")
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ItemError(errors.item_wrong_type("value", "a number", value))
    raw_model = item.get("model", "Company")
    model = MODELS.get(raw_model.casefold()) if isinstance(raw_model, str) else None
    if model is None:
        raise ItemError(
            errors.item_wrong_type("model", '"Company", "EndUser", "Asset" or "Project"', raw_model)
        )
    external_id = id_key(item.get("externalId"))
    if external_id is None:
        raise ItemError(errors.item_missing("externalId", "a non-empty string or a number"))
    when = item.get("date")
    if when is not None and _parse_date(when) is None:
        raise ItemError(errors.item_wrong_type("date", "a date JavaScript parses", when))
    company_id, target = _target(tenant, model, external_id)
    return intake.metric_doc(
        tenant,
        dimension=dimension,
        value=value,
        model=model,
        parent=target,
        company_id=company_id,
        external_id=external_id,
        time=when if when is not None else tenant.clock.now_iso(),
    )


def record(tenant: Tenant, doc: Doc) -> Doc:
    """A stored point as ``GET /dimensiondata`` shows it (R-8), ``companyName`` looked up."""
    shown = {name: doc.get(name) for name in RECORD_FIELDS}
    if shown["time"] is None and doc.get("date") is not None:  # a point seeded in the old shape
        shown["time"] = doc["date"]
    if shown["parentId"] is None and doc.get("model", "Company") == "Company":
        shown["parentId"] = doc.get("companyId")
    company = tenant.companies.get(doc.get("companyId") or "")
    shown["companyName"] = company.get("name") if company is not None else None
    return shown


@bp.post("/dimensiondata/<tenant_token>")
def post_points(tenant_token: str) -> Response:
    """One data point or an array of them; bad items are answered in ``errors`` with 200."""
    tenant = path_tenant(tenant_token)
    body = read_json(LIMIT_ANALYTICS, POST_ROUTE)
    if not isinstance(body, dict | list):
        raise errors.wrong_type("The request body", "a data point object or an array", body)
    items: list[Any] = body if isinstance(body, list) else [body]
    outcome = intake.Outcome()
    problems: list[dict[str, Any]] = []
    with tenant.lock:
        for index, item in enumerate(items):
            try:
                point = tenant.metrics.insert(data_point(tenant, item))
            except ItemError as exc:
                problems.append({"item": item, "error": str(exc)})
                outcome.did(f"item {index} rejected: {exc}")
                continue
            if point["companyId"] is not None:
                outcome.touch_company(point["companyId"])
            outcome.did(
                f"item {index}: recorded metric {point['dimensionId']!r}={point['value']!r}"
            )
    processed = len(items) - len(problems)
    if problems:
        reason = f"{len(problems)} of {len(items)} data points rejected (see the answer)"
        if processed:
            outcome.reason = reason
        else:
            outcome.ignored(reason)
    elif not items:
        outcome.ignored("an empty array: nothing to record")
    note(outcome=outcome)
    return json_response({"processed": processed, **errors.listed_item_errors(problems)})


def _text_arg(*names: str) -> str | None:
    """The first non-empty query parameter among ``names`` (Planhat's spellings vary)."""
    for name in names:
        raw = request.args.get(name)
        if raw:
            return raw
    return None


def _day_arg(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise errors.bad_query_param(name, "a whole number of days since 1970-01-01", raw) from None


def _candidates(tenant: Tenant, company_id: str | None, dimension: str | None) -> Iterable[Doc]:
    """The points matching ``cid`` and ``dimid`` through the smaller index, never a scan."""
    if company_id is not None and dimension is not None:
        if tenant.metrics.count("companyId", company_id) <= tenant.metrics.count(
            "dimensionId", dimension
        ):
            return [
                d
                for d in tenant.metrics.find("companyId", company_id)
                if d.get("dimensionId") == dimension
            ]
        return [
            d
            for d in tenant.metrics.find("dimensionId", dimension)
            if d.get("companyId") == company_id
        ]
    if company_id is not None:
        return tenant.metrics.find("companyId", company_id)
    if dimension is not None:
        return tenant.metrics.find("dimensionId", dimension)
    return tenant.metrics


def _in_days(doc: Doc, first: int | None, last: int | None) -> bool:
    day = _parse_date(doc.get("time", doc.get("date")))
    if day is None:
        return False
    number = (day - EPOCH).days
    return (first is None or number >= first) and (last is None or number <= last)


@bp.get("/dimensiondata")
def list_points() -> Response:
    """Data points filtered by ``cid``, ``dimid`` and the day range ``from``..``to``."""
    tenant = rest_tenant(write=False)
    company_id = _text_arg("cid", "cId")
    dimension = _text_arg("dimid", "dimId")
    first, last = _day_arg("from"), _day_arg("to")
    if first is not None and last is not None and first > last:
        raise errors.bad_query_param("to", f"a day on or after from ({first})", str(last))
    params = list_params(MAX_LIMIT)
    with tenant.lock:
        docs = _candidates(tenant, company_id, dimension)
        if first is not None or last is not None:
            docs = (d for d in docs if _in_days(d, first, last))
        return json_response(page((record(tenant, d) for d in docs), params))
