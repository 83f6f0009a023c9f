"""The engine: keys, create, update, delete, bulk upsert and lists for every declared object
(rules R-1 … R-6). Plain domain code over a :class:`~fake_planhat.state.Tenant`: no Flask, no
HTTP. Every function runs with the tenant's lock held by the caller.

Decided where Planhat's documentation is silent (the ledger in ``docs/fidelity.md`` lists each):

- an update that changes nothing leaves ``updatedAt`` alone and counts as a ``nonupdate``;
- in a bulk upsert, a key repeated within the request is checked on every keyable an item
  carries; an unknown ``_id`` falls through to the next keyable, and creates a record with a
  new ``_id`` when nothing matches (Planhat assigns ``_id``);
- a bulk in which every item failed answers 400: Planhat's error shape with the bulk answer
  beside it (Planhat's docs send 400 callers to ``createdErrors``/``updatedErrors``).
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fake_planhat import errors
from fake_planhat.planhat._resources import Resource, resource
from fake_planhat.planhat._rules import Rules, slug, split_key
from fake_planhat.state import Doc, Tenant, email_key, id_key

ANSWER_KEYS = (
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
)


# --- single records --------------------------------------------------------------------------


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


def create(tenant: Tenant, rules: Rules, body: Mapping[str, Any]) -> Doc:
    """R-2: insert a record from a body; ``custom`` is always present."""
    fields = rules.prepare_insert(tenant, rules.resource.schema.clean(body))
    return rules.collection(tenant).insert(tenant.new_doc({"custom": {}, **fields}))


def update(tenant: Tenant, rules: Rules, doc: Doc, body: Mapping[str, Any]) -> bool:
    """R-2: a partial update (read-only fields ignored, ``custom`` merged per key); returns
    whether the record changed."""
    fields = rules.prepare_update(tenant, doc, rules.resource.schema.clean(body))
    changes = changed_fields(doc, fields)
    if not changes:
        return False
    tenant.update_doc(rules.collection(tenant), doc["_id"], changes)
    return True


def lookup(tenant: Tenant, rules: Rules, key: str) -> Doc:
    """R-1: the visible record a path key names (oldest on an ``externalId`` tie), or a 404."""
    doc = rules.find(tenant, key)
    if doc is None:
        field_name, value = split_key(key)
        raise errors.not_found(f"no {rules.label} with {field_name} {value!r}")
    return doc


def find_by_key(tenant: Tenant, object_path: str, key: str) -> Doc | None:
    """The record of one object (``assets``, ``projects`` …) a key names: ``_id``,
    ``extid-<externalId>`` or ``srcid-<sourceId>`` (R-1); None when none does (the stored
    document, not a copy: hold the tenant's lock). KeyError for an unknown object path."""
    declared = resource(object_path)
    return declared.rules(declared).find(tenant, key)


def delete(tenant: Tenant, rules: Rules, doc: Doc) -> dict[str, list[str]]:
    """R-2: delete a record (and whatever its rules take with it); returns the ``_id``s removed
    per object."""
    return rules.remove(tenant, doc)


# --- bulk upsert (R-3) -----------------------------------------------------------------------


@dataclass
class BulkResult:
    """Planhat's bulk answer, its HTTP status, and the ids of the records written."""

    answer: dict[str, Any]
    status: int
    touched: list[str] = field(default_factory=list)


def empty_answer() -> dict[str, Any]:
    return {key: (0 if key in ("created", "updated", "nonupdates") else []) for key in ANSWER_KEYS}


def _item_error(index: int, item: Any, rules: Rules, message: str) -> dict[str, Any]:
    keys = (
        {k: item[k] for k in rules.resource.keyables if k in item} if isinstance(item, dict) else {}
    )
    return {"index": index, "error": message, "keys": keys}


def _match(tenant: Tenant, rules: Rules, item: Mapping[str, Any]) -> Doc | None:
    """The record a bulk item updates: the first keyable (in precedence order) the item
    carries that finds a visible record; None means insert."""
    for key in rules.resource.keyables:
        raw = item.get(key)
        if raw is None:
            continue
        if key == "_id":
            if not isinstance(raw, str):
                raise errors.wrong_type("The field '_id'", "a string", raw)
            doc = rules.collection(tenant).get(raw)
            if doc is not None and rules.visible(tenant, doc):
                return doc
            continue  # an unknown _id matches nothing
        check = rules.resource.fields.get(key)
        value = check(key, raw) if check is not None else raw
        found = rules.candidates(tenant, key, value, item)
        if found:
            return found[0]
    return None


def _key_of(key: str, value: Any) -> Hashable | None:
    if key == "_id":
        return value if isinstance(value, str) and value else None
    if key == "email":
        return email_key(value)
    return id_key(value)


def bulk_upsert(
    tenant: Tenant, rules: Rules, items: list[Any], *, permitted: bool = True
) -> BulkResult:
    """R-3: upsert each item in order, matched on the object's keyables (``_id`` first), else
    inserted. Each item is all-or-nothing; a failed item is reported with its index in
    ``createdErrors`` (no match) or ``updatedErrors`` (matched), and the others still apply.
    A keyable value an earlier item of the request already sent fails as "duplicated".

    ``updated`` counts matched items that changed their record, ``nonupdates`` those that
    changed nothing; ``updatesKeys`` lists every matched record, ``modified`` the changed ones.
    Status: 200 when no item failed, 206 when some did, 400 when all did; a token without
    write permission gets 403 with every item under ``permissionErrors`` and nothing written.
    """
    answer = empty_answer()
    if not permitted:
        message = errors.bulk_forbidden(len(items))
        answer["permissionErrors"] = [
            _item_error(i, item, rules, "Forbidden: the API token is read-only")
            for i, item in enumerate(items)
        ]
        return BulkResult({**errors.planhat_body(403, message), **answer}, 403)
    touched: list[str] = []
    seen: set[str] = set()  # performance: `in touched` made 5,000 updates quadratic
    # (keyable, key, scope) -> the first item that sent it
    sent: dict[tuple[str, Hashable, Any], int] = {}
    for index, item in enumerate(items):
        matched: Doc | None = None
        try:
            if not isinstance(item, dict):
                raise errors.wrong_type(f"Item {index}", "a JSON object", item)
            repeated: tuple[str, Any, int] | None = None
            for key in rules.resource.keyables:
                normal = _key_of(key, item.get(key))
                if normal is None:
                    continue
                first = sent.setdefault((key, normal, rules.repeat_scope(key, item)), index)
                if first != index and repeated is None:
                    repeated = (key, item[key], first)
            matched = _match(tenant, rules, item)
            if repeated is not None:
                raise errors.duplicated_in_request(*repeated)
            if matched is None:
                doc = create(tenant, rules, item)
                answer["created"] += 1
                answer["insertsKeys"].append(rules.keys_of(doc))
                answer["upsertedIds"].append(doc["_id"])
                touched.append(doc["_id"])
                seen.add(doc["_id"])
                continue
            if update(tenant, rules, matched, item):
                answer["updated"] += 1
                answer["modified"].append(matched["_id"])
            else:
                answer["nonupdates"] += 1
            answer["updatesKeys"].append(rules.keys_of(matched))
            if matched["_id"] not in seen:
                touched.append(matched["_id"])
                seen.add(matched["_id"])
        except errors.PlanhatError as exc:
            bucket = "createdErrors" if matched is None else "updatedErrors"
            answer[bucket].append(_item_error(index, item, rules, exc.message))
    failed = len(answer["createdErrors"]) + len(answer["updatedErrors"])
    status = 200 if failed == 0 else (400 if failed == len(items) else 206)
    if status == 400:  # every 4xx carries Planhat's error shape; the bulk fields stay beside it
        answer = {**errors.planhat_body(400, errors.bulk_all_failed(failed)), **answer}
    return BulkResult(answer, status, touched)


# --- lists (R-4) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ListParams:
    limit: int
    offset: int
    sort: str | None
    select: tuple[str, ...] | None


def _sort_key(field_name: str) -> Any:
    def key(doc: Doc) -> tuple[int, str, Any]:
        value = doc.get(field_name)
        if value is None:
            return (1, "", "")
        if isinstance(value, bool | int | float):
            return (0, "number", float(value))
        return (0, "text", str(value))

    return key


def page(docs: Iterable[Doc], params: ListParams) -> list[Doc]:
    """Sort (when asked), then slice, then select fields (``_id`` always kept)."""
    if params.sort:
        descending = params.sort.startswith("-")
        field_name = params.sort.lstrip("-+")
        ordered = sorted(docs, key=_sort_key(field_name), reverse=descending)
        window = ordered[params.offset : params.offset + params.limit]
    else:
        start = min(params.offset, sys.maxsize)  # islice takes no bigger bounds
        window = list(itertools.islice(docs, start, min(start + params.limit, sys.maxsize)))
    if params.select:
        fields = ("_id", *params.select)
        return [{f: d[f] for f in fields if f in d} for d in window]
    return window


def _wanted(tenant: Tenant, declared: Resource, param: str, values: list[str]) -> set[Any]:
    """The keys a filter's values stand for (a ``ref`` filter's as ``_id``s)."""
    spec = declared.filter(param)
    assert spec is not None
    if spec.kind == "ref":
        assert spec.target is not None
        target = resource(spec.target)
        rules = target.rules(target)
        found = (rules.find(tenant, v) for v in values)
        return {d["_id"] for d in found if d is not None}
    if spec.kind == "email":
        return {email_key(v) for v in values} - {None}
    return {id_key(v) for v in values} - {None}


def _normal(kind: str, value: Any) -> Any:
    if kind == "ref":
        return value if isinstance(value, str) else None
    if kind == "email":
        return email_key(value)
    return id_key(value)


def filtered(tenant: Tenant, rules: Rules, filters: Mapping[str, list[str]]) -> Iterator[Doc]:
    """The visible records every given filter keeps (R-4: ``?status=a,b`` is either), in
    creation order, found through an index when a filter's field has one. ``filters`` maps a
    declared filter (or alias) to its values, comma lists already split."""
    declared = rules.resource
    collection = rules.collection(tenant)
    wanted = {
        spec.field: (spec.kind, _wanted(tenant, declared, param, values))
        for param, values in filters.items()
        if (spec := declared.filter(param)) is not None and values
    }
    indexed = next((name for name in wanted if name != "_id" and collection.indexed(name)), None)
    docs: Iterable[Doc]
    if "_id" in wanted:
        docs = sorted(
            (d for i in wanted["_id"][1] if (d := collection.get(i)) is not None),
            key=lambda d: collection.seq(d["_id"]),
        )
    elif indexed is not None:
        keys = wanted[indexed][1]
        found = {d["_id"]: d for k in keys for d in collection.find(indexed, k)}
        docs = sorted(found.values(), key=lambda d: collection.seq(d["_id"]))
    else:
        docs = collection.live()
    for doc in docs:
        if not rules.visible(tenant, doc):
            continue
        if all(
            (doc["_id"] if name == "_id" else _normal(kind, doc.get(name))) in keys
            for name, (kind, keys) in wanted.items()
        ):
            yield doc


def listing(
    tenant: Tenant, rules: Rules, filters: Mapping[str, list[str]], params: ListParams
) -> list[Doc]:
    """R-4: a page of rendered records (a bare array). Performance: only the page is rendered
    (copied), unless the sort is on a field only rendering computes."""
    docs = filtered(tenant, rules, filters)
    sort_field = params.sort.lstrip("-+") if params.sort else None
    if sort_field is not None and (
        sort_field in rules.resource.computed or sort_field == "domains"
    ):
        return page((rules.render(tenant, d) for d in docs), params)
    window = page(docs, ListParams(params.limit, params.offset, params.sort, None))
    shown = (rules.render(tenant, d) for d in window)
    return page(shown, ListParams(len(window), 0, None, params.select))


def lean(doc: Doc) -> dict[str, Any]:
    """A company as ``/leancompanies`` shows it: ``{_id, name, externalId, sourceId, slug}``
    (keys the company lacks are left out)."""
    shown: dict[str, Any] = {"_id": doc["_id"], "name": doc.get("name")}
    for key in ("externalId", "sourceId"):
        if doc.get(key) is not None:
            shown[key] = doc[key]
    shown["slug"] = slug(str(doc.get("name") or ""))
    return shown
