"""Writing Planhat documents from REST bodies, for ``/endusers`` and ``/companies`` alike.

A :class:`Model` says how one Planhat model is written: its collection, its keys in match
precedence, the JSON type of each known field, and what an insert or an update must satisfy.
On top of it sit :func:`create` (``POST``), :func:`update` (``PUT /<key>``: partial, read-only
fields ignored, ``custom`` merged per key) and :func:`bulk_upsert` (bulk ``PUT``, answered in
Planhat's shape). Every function here runs with the tenant's lock held by the caller.

Decisions where Planhat's documentation is silent (documented in the routes' docstrings too):

- an identifier (``externalId``, ``sourceId``) sent as a number is stored as its decimal string,
  as Mongoose casts it; any other wrong JSON type for a known field is a 400 naming the field;
- ``custom: null`` and ``tags: null`` are taken as empty, so ``custom`` is always an object;
- unknown top-level fields are stored as sent (Planhat is schemaless beyond its known fields);
- an update that changes nothing leaves ``updatedAt`` alone and counts as a ``nonupdate``;
- a bulk item naming an ``_id`` that does not exist is an item error (``_id`` is never chosen by
  the client), and a bulk in which every item failed answers 400: Planhat's error shape with the
  bulk body beside it (Planhat's docs send 400 callers to ``createdErrors``/``updatedErrors``).
"""

from __future__ import annotations

import copy
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from fake_planhat import errors
from fake_planhat.api.common import BULK_MAX_ITEMS, LIMIT_REST, read_json, require_array
from fake_planhat.state import Collection, Doc, Tenant, id_key

# Bookkeeping fields Planhat sets itself; a body that sends them back has them ignored.
BOOKKEEPING = frozenset({"_id", "createDate", "updatedAt", "__v"})

# (field name, value as sent) -> value to store; raises a 400 naming the field.
FieldCheck = Callable[[str, Any], Any]


# --- field checks ----------------------------------------------------------------------------


def _field(name: str) -> str:
    return f"The field {name!r}"


def text(name: str, value: Any) -> str | None:
    """A string field; null clears it."""
    if value is None or isinstance(value, str):
        return value
    raise errors.wrong_type(_field(name), "a string or null", value)


def identifier(name: str, value: Any) -> str | None:
    """``externalId`` / ``sourceId``: a string; a number is cast to its decimal string."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        cast = id_key(value)
        if cast is not None:
            return cast
    raise errors.wrong_type(_field(name), "a string (or a number, stored as text) or null", value)


def reference(name: str, value: Any) -> str | None:
    """A reference such as ``companyId``: ``_id``, ``extid-<externalId>`` or ``srcid-<sourceId>``
    (resolved by the model, which also decides whether null is allowed)."""
    if value is None or (isinstance(value, str) and value.strip()):
        return value
    raise errors.wrong_type(
        _field(name), "a non-empty string: an _id, extid-<externalId> or srcid-<sourceId>", value
    )


def flag(name: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise errors.wrong_type(_field(name), "a boolean or null", value)


def string_list(name: str, value: Any) -> list[str]:
    """``tags``, ``domains``: an array of strings; null is taken as empty."""
    if value is None:
        return []
    if isinstance(value, list):
        for element in value:
            if not isinstance(element, str):
                raise errors.wrong_type(f"Each element of {_field(name)}", "a string", element)
        return value
    raise errors.wrong_type(_field(name), "an array of strings", value)


def custom_object(name: str, value: Any) -> dict[str, Any]:
    """``custom``: always an object; null is taken as {} (clients must never see it null)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise errors.wrong_type(_field(name), "an object", value)


def nonempty_text(subject: str) -> FieldCheck:
    """A string field the model cannot be without (a company's ``name``)."""

    def check(name: str, value: Any) -> str:
        if isinstance(value, str) and value.strip():
            return value
        if value is None or isinstance(value, str):
            raise errors.missing_field(name, subject, "a non-empty string")
        raise errors.wrong_type(_field(name), "a non-empty string", value)

    return check


@dataclass(frozen=True)
class Schema:
    """A model's known fields with their checks, and the computed fields writes ignore."""

    fields: Mapping[str, FieldCheck]
    computed: frozenset[str] = frozenset()

    def clean(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The fields of a body to store: read-only ones dropped, known ones checked, unknown
        ones kept as sent."""
        cleaned: dict[str, Any] = {}
        for name, value in body.items():
            if name in BOOKKEEPING or name in self.computed:
                continue
            check = self.fields.get(name)
            cleaned[name] = check(name, value) if check is not None else value
        return cleaned


# --- models ----------------------------------------------------------------------------------


class Model(ABC):
    """How one Planhat model is written; subclasses live beside their routes."""

    label: ClassVar[str]  # "enduser", "company": used in messages
    keys: ClassVar[tuple[str, ...]]  # bulk match precedence, "_id" first
    schema: ClassVar[Schema]

    @abstractmethod
    def collection(self, tenant: Tenant) -> Collection: ...

    def visible(self, tenant: Tenant, doc: Doc) -> bool:
        """Whether the REST API shows this document."""
        return True

    def render(self, tenant: Tenant, doc: Doc) -> Doc:
        """The document as the API answers it (a copy)."""
        return copy.deepcopy(doc)

    def candidates(
        self, tenant: Tenant, key: str, value: Any, item: Mapping[str, Any]
    ) -> list[Doc]:
        """Visible documents a bulk item's ``key`` matches, the preferred one first."""
        found = self.collection(tenant).find(key, value)
        return [d for d in found if self.visible(tenant, d)]

    @abstractmethod
    def prepare_insert(self, tenant: Tenant, fields: dict[str, Any]) -> dict[str, Any]:
        """Checked fields of a new document: required ones present, references resolved, keys
        unique; raises :class:`~fake_planhat.errors.PlanhatError` otherwise."""

    @abstractmethod
    def prepare_update(self, tenant: Tenant, doc: Doc, fields: dict[str, Any]) -> dict[str, Any]:
        """Checked fields of an update to ``doc``; raises like :meth:`prepare_insert`."""

    def keys_of(self, doc: Doc) -> dict[str, Any]:
        """The keys a bulk answer reports for a document (``insertsKeys``, ``updatesKeys``)."""
        shown: dict[str, Any] = {"_id": doc["_id"]}
        for key in self.keys[1:]:
            if doc.get(key) is not None:
                shown[key] = doc[key]
        return shown

    def check_unique(
        self, tenant: Tenant, key: str, value: Any, doc_id: str | None, scope: str
    ) -> None:
        """400 when another visible document already has ``key`` = ``value``."""
        if id_key(value) is None:
            return
        for other in self.collection(tenant).find(key, value):
            if other["_id"] != doc_id and self.visible(tenant, other):
                raise errors.duplicated_key(f"a {self.label}", key, value, scope)


# --- writes ----------------------------------------------------------------------------------


def _canonical(value: Any) -> str:
    # JSON text tells 1 from 1.0 and from true, and ignores key order: what "changed" means.
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def changed_fields(doc: Doc, fields: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``fields`` that would change ``doc`` (``custom`` compared per key; a missing
    field and null are the same)."""
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "custom" and isinstance(value, Mapping):
            current = doc.get("custom") or {}
            delta = {k: v for k, v in value.items() if _canonical(current.get(k)) != _canonical(v)}
            if delta:
                changes["custom"] = delta
        elif _canonical(doc.get(name)) != _canonical(value):
            changes[name] = value
    return changes


def create(tenant: Tenant, model: Model, body: Mapping[str, Any]) -> Doc:
    """Insert a document from a body (``POST``); ``custom`` is always present."""
    fields = model.prepare_insert(tenant, model.schema.clean(body))
    return model.collection(tenant).insert(tenant.new_doc({"custom": {}, **fields}))


def update(tenant: Tenant, model: Model, doc: Doc, body: Mapping[str, Any]) -> bool:
    """Apply a partial update from a body; returns whether the document changed."""
    fields = model.prepare_update(tenant, doc, model.schema.clean(body))
    changes = changed_fields(doc, fields)
    if not changes:
        return False
    tenant.update_doc(model.collection(tenant), doc["_id"], changes)
    return True


def match(tenant: Tenant, model: Model, item: Mapping[str, Any]) -> Doc | None:
    """The document a bulk item updates: the first of the model's keys (in precedence order)
    that the item carries and that finds a document; None means insert."""
    for key in model.keys:
        raw = item.get(key)
        if raw is None:
            continue
        if key == "_id":
            if not isinstance(raw, str):
                raise errors.wrong_type(_field("_id"), "a string", raw)
            doc = model.collection(tenant).get(raw)
            if doc is None or not model.visible(tenant, doc):
                raise errors.id_not_insertable(model.label, raw)
            return doc
        check = model.schema.fields.get(key)
        value = check(key, raw) if check is not None else raw
        found = model.candidates(tenant, key, value, item)
        if found:
            return found[0]
    return None


# --- bulk upsert -----------------------------------------------------------------------------


def read_items(route: str) -> list[Any]:
    """A bulk body: a JSON array of at most :data:`BULK_MAX_ITEMS` items, else a 400."""
    items = require_array(read_json(LIMIT_REST, route), f"The body of {route}")
    if len(items) > BULK_MAX_ITEMS:
        raise errors.too_many_items(len(items), BULK_MAX_ITEMS, route)
    return items


@dataclass
class BulkResult:
    """Planhat's bulk answer, its HTTP status, and the ids of the documents written."""

    answer: dict[str, Any]
    status: int
    touched: list[str] = field(default_factory=list)


def _empty_answer() -> dict[str, Any]:
    return {
        "created": 0,
        "createdErrors": [],
        "insertsKeys": [],
        "updated": 0,
        "updatedErrors": [],
        "updatesKeys": [],
        "nonupdates": 0,
        "modified": [],
        "upsertedIds": [],
        "permissionErrors": [],
    }


def _item_error(index: int, item: Any, model: Model, exc: errors.PlanhatError) -> dict[str, Any]:
    keys = {k: item[k] for k in model.keys if k in item} if isinstance(item, dict) else {}
    return {"index": index, "error": exc.message, "keys": keys}


def bulk_upsert(tenant: Tenant, model: Model, items: list[Any]) -> BulkResult:
    """Upsert each item in order: matched on the model's keys (precedence ``_id`` first), else
    inserted. Each item is all-or-nothing; a failed item is reported with its index in
    ``createdErrors`` (no match) or ``updatedErrors`` (matched), and the others still apply.

    ``updated`` counts matched items that changed their document, ``nonupdates`` those that
    changed nothing; ``updatesKeys`` lists every matched document, ``modified`` the changed ones.
    Status: 200 when no item failed, 206 when some did, 400 when all did.
    """
    answer = _empty_answer()
    touched: list[str] = []
    seen: set[str] = set()  # performance: `in touched` made 5,000 updates quadratic
    for index, item in enumerate(items):
        matched: Doc | None = None
        try:
            if not isinstance(item, dict):
                raise errors.wrong_type(f"Item {index}", "a JSON object", item)
            matched = match(tenant, model, item)
            if matched is None:
                doc = create(tenant, model, item)
                answer["created"] += 1
                answer["insertsKeys"].append(model.keys_of(doc))
                answer["upsertedIds"].append(doc["_id"])
                touched.append(doc["_id"])
                seen.add(doc["_id"])
                continue
            if update(tenant, model, matched, item):
                answer["updated"] += 1
                answer["modified"].append(matched["_id"])
            else:
                answer["nonupdates"] += 1
            answer["updatesKeys"].append(model.keys_of(matched))
            if matched["_id"] not in seen:
                touched.append(matched["_id"])
                seen.add(matched["_id"])
        except errors.PlanhatError as exc:
            bucket = "createdErrors" if matched is None else "updatedErrors"
            answer[bucket].append(_item_error(index, item, model, exc))
    failed = len(answer["createdErrors"]) + len(answer["updatedErrors"])
    status = 200 if failed == 0 else (400 if failed == len(items) else 206)
    if status == 400:  # every 4xx carries Planhat's error shape; the bulk fields stay beside it
        answer = {**errors.planhat_body(400, errors.bulk_all_failed(failed)), **answer}
    return BulkResult(answer, status, touched)
