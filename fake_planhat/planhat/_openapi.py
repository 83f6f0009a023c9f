"""The OpenAPI 3.1 document of the REST objects, made from the declarations (schemas inline, so
each one is a plain JSON Schema a test can check answers against)."""

from __future__ import annotations

from typing import Any

from fake_planhat.planhat import _fields as f
from fake_planhat.planhat._resources import BULK_MAX_ITEMS, RESOURCES, Resource

_NULLABLE_STRING = {"type": ["string", "null"]}
_FIELD_SCHEMAS: dict[Any, dict[str, Any]] = {
    f.text: _NULLABLE_STRING,
    f.identifier: {"type": ["string", "number", "null"]},
    f.reference: {
        "type": ["string", "null"],
        "description": "_id, extid-<externalId> or srcid-<sourceId>",
    },
    f.references: {"type": ["array", "null"], "items": {"type": "string"}},
    f.flag: {"type": ["boolean", "null"]},
    f.number: {"type": ["number", "null"]},
    f.string_list: {"type": ["array", "null"], "items": {"type": "string"}},
    f.custom_object: {"type": ["object", "null"]},
}
ERROR = {
    "type": "object",
    "required": ["status", "error", "message"],
    "properties": {
        "status": {"type": "integer"},
        "error": {"type": "string"},
        "message": {"type": "string"},
        "nearMiss": {"type": "array", "items": {"type": "string"}},
    },
}
DELETED = {
    "type": "object",
    "required": ["n", "ok", "deletedCount"],
    "properties": {k: {"const": 1} for k in ("n", "ok", "deletedCount")},
}
_ITEM_ERRORS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["index", "error", "keys"],
        "properties": {
            "index": {"type": "integer"},
            "error": {"type": "string"},
            "keys": {"type": "object"},
        },
    },
}
_KEYS = {"type": "array", "items": {"type": "object", "required": ["_id"]}}
_IDS = {"type": "array", "items": {"type": "string"}}
BULK_ANSWER = {
    "type": "object",
    "required": [
        "created",
        "createdErrors",
        "insertsKeys",
        "updated",
        "updatedErrors",
        "updatesKeys",
        "nonupdates",
        "modified",
        "upsertedIds",
        "permissionErrors",
    ],
    "properties": {
        "created": {"type": "integer"},
        "createdErrors": _ITEM_ERRORS,
        "insertsKeys": _KEYS,
        "updated": {"type": "integer"},
        "updatedErrors": _ITEM_ERRORS,
        "updatesKeys": _KEYS,
        "nonupdates": {"type": "integer"},
        "modified": _IDS,
        "upsertedIds": _IDS,
        "permissionErrors": _ITEM_ERRORS,
    },
}


def field_schema(check: f.FieldCheck) -> dict[str, Any]:
    if check in _FIELD_SCHEMAS:
        return dict(_FIELD_SCHEMAS[check])
    return {"type": "string", "minLength": 1}  # nonempty_text: a name the object needs


def record_schema(r: Resource) -> dict[str, Any]:
    """A record as the API answers it: bookkeeping fields, ``custom`` always an object."""
    return {
        "type": "object",
        "required": ["_id", "createDate", "updatedAt", "custom"],
        "properties": {
            "_id": {"type": "string", "pattern": "^[0-9a-f]{24}$"},
            "createDate": {"type": "string"},
            "updatedAt": {"type": "string"},
            "__v": {"type": "integer"},
            "custom": {"type": "object"},
            **{
                name: field_schema(check)
                for name, check in r.fields.items()
                if name not in ("custom",) and name not in {ref.field for ref in r.references}
            },
        },
    }


def body_schema(r: Resource, *, create: bool) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: field_schema(check) for name, check in r.fields.items()},
    }
    if create:
        schema["required"] = [n for n in r.required if n != "companyId" or r.name != "endusers"]
    return schema


def _answer(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    words = {400: "Bad request", 401: "Bad token", 403: "No permission", 404: "Unknown key"}
    return {str(s): _answer(ERROR, words[s]) for s in statuses}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": schema, "description": description}


def _list_parameters(r: Resource) -> list[dict[str, Any]]:
    count = {"type": "integer", "minimum": 0}
    params = [
        _query("limit", count, f"default 100, capped at {r.list_max}"),
        _query("offset", count, "records to skip"),
        _query("sort", {"type": "string"}, "a field; '-' first for descending"),
        _query("select", {"type": "string"}, "comma list of fields; _id always kept"),
    ]
    for spec in r.filters:
        for name in (spec.param, *spec.aliases):
            params.append(_query(name, {"type": "string"}, "a comma list"))
    return params


KEY = {
    "name": "key",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "_id, extid-<externalId> or srcid-<sourceId>",
}


def _paths(r: Resource) -> dict[str, dict[str, Any]]:
    base, item = f"/{r.name}", f"/{r.name}/{{key}}"
    record = record_schema(r)
    paths: dict[str, dict[str, Any]] = {}
    ops = r.operations

    def add(path: str, method: str, operation: dict[str, Any]) -> None:
        operation.setdefault("tags", [r.title])
        paths.setdefault(path, {})[method] = operation

    if "list" in ops:
        add(
            base,
            "get",
            {
                "summary": f"List {r.name} (R-4)",
                "operationId": f"list_{r.name}",
                "parameters": _list_parameters(r),
                "responses": {
                    "200": _answer({"type": "array", "items": record}),
                    **_errors(400, 401),
                },
            },
        )
    if "create" in ops:
        add(
            base,
            "post",
            {
                "summary": f"Create a {r.label} (R-2)",
                "operationId": f"create_{r.name}",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body_schema(r, create=True)}},
                },
                "responses": {"200": _answer(record), **_errors(400, 401, 403)},
            },
        )
    if "bulk" in ops:
        items = {"type": "array", "maxItems": BULK_MAX_ITEMS, "items": body_schema(r, create=False)}
        add(
            base,
            "put",
            {
                "summary": f"Bulk upsert {r.name} (R-3)",
                "operationId": f"bulk_{r.name}",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": items}},
                },
                "responses": {
                    "200": _answer(BULK_ANSWER, "Every item applied"),
                    "206": _answer(BULK_ANSWER, "Some items failed"),
                    "400": _answer(BULK_ANSWER, "No item applied, or a bad payload"),
                    "403": _answer(BULK_ANSWER, "Read-only token: items under permissionErrors"),
                    **_errors(401),
                },
            },
        )
    if "read" in ops:
        add(
            item,
            "get",
            {
                "summary": f"One {r.label} (R-1)",
                "operationId": f"get_{r.name}",
                "parameters": [KEY],
                "responses": {"200": _answer(record), **_errors(401, 404)},
            },
        )
    if "update" in ops:
        add(
            item,
            "put",
            {
                "summary": f"Update a {r.label}: only the fields sent (R-2)",
                "operationId": f"update_{r.name}",
                "parameters": [KEY],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body_schema(r, create=False)}},
                },
                "responses": {"200": _answer(record), **_errors(400, 401, 403, 404)},
            },
        )
    if "delete" in ops:
        add(
            item,
            "delete",
            {
                "summary": f"Delete a {r.label} (R-2)",
                "operationId": f"delete_{r.name}",
                "parameters": [KEY],
                "responses": {"200": _answer(DELETED), **_errors(401, 403, 404)},
            },
        )
    if r.name == "companies":
        lean = {
            "type": "object",
            "required": ["_id", "name", "slug"],
            "properties": {
                "_id": {"type": "string"},
                "name": {"type": "string"},
                "externalId": {"type": "string"},
                "sourceId": {"type": "string"},
                "slug": {"type": "string"},
            },
        }
        add(
            "/leancompanies",
            "get",
            {
                "summary": "Every matching company, lean",
                "operationId": "lean_companies",
                "parameters": [p for p in _list_parameters(r) if p["name"] not in ("limit",)],
                "responses": {
                    "200": _answer({"type": "array", "items": lean}),
                    **_errors(401),
                },
            },
        )
    return paths


def openapi_document() -> dict[str, Any]:
    """The REST surface of every declared object."""
    paths: dict[str, dict[str, Any]] = {}
    for r in RESOURCES:
        for path, operations in _paths(r).items():
            paths.setdefault(path, {}).update(operations)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "fake-planhat: Planhat's REST objects",
            "version": "1",
            "description": "Generated from fake_planhat/planhat/_resources.py; rules R-1 … R-6.",
        },
        "servers": [{"url": "https://api.planhat.com"}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic"},
            }
        },
        "security": [{"bearer": []}, {"basic": []}],
        "paths": paths,
    }
