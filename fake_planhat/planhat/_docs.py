"""``docs/objects.md``, made from the declarations (a test regenerates it and compares)."""

from __future__ import annotations

from fake_planhat.planhat._resources import RESOURCES, Resource

_METHODS = {
    "list": ("GET", ""),
    "create": ("POST", ""),
    "bulk": ("PUT", ""),
    "read": ("GET", "/<key>"),
    "update": ("PUT", "/<key>"),
    "delete": ("DELETE", "/<key>"),
}


def _routes(r: Resource) -> str:
    shown = [f"{_METHODS[op][0]} /{r.name}{_METHODS[op][1]}" for op in r.operations]
    if r.name == "companies":
        shown.append("GET /leancompanies")
    return "<br>".join(f"`{s}`" for s in shown)


def _references(r: Resource) -> str:
    return ", ".join(
        f"`{ref.field}` → {ref.target}{' (list)' if ref.many else ''}" for ref in r.references
    )


def _filters(r: Resource) -> str:
    return ", ".join(
        f"`{f.param}`" + (f" (also `{'`, `'.join(f.aliases)}`)" if f.aliases else "")
        for f in r.filters
    )


def _status(r: Resource) -> str:
    parts = ("required", "list_max", "operations")
    return ", ".join(f"{p.replace('_', ' ')}: {r.status_of(p)}" for p in parts)


RULES = (
    "- **R-1 keys.** A single record is addressed by `_id`, `extid-{externalId}` or",
    "  `srcid-{sourceId}`.",
    "- **R-2 create, update, delete.** `POST /{object}` creates (required fields and",
    "  references, e.g. an existing `companyId`, are checked: 400 naming the field);",
    "  `PUT /{object}/{key}` updates only the fields sent (`custom` merged per key);",
    '  `DELETE` answers `{"n":1,"ok":1,"deletedCount":1}`. Updates are `PUT`; `PATCH` → 405.',
    "- **R-3 bulk upsert.** `PUT /{object}` with a JSON array of at most 5,000 items. Keyables",
    "  `_id`, then `sourceId`, then `externalId` (endusers also `email`). A key that matches",
    "  nothing creates a record, an unknown `_id` included. A key repeated within one request",
    '  is an item error ("duplicated") for the repeats. Answer keys: `created, createdErrors,',
    "  insertsKeys, updated, updatedErrors, updatesKeys, nonupdates, modified, upsertedIds,",
    "  permissionErrors`; 200 all applied, 206 some failed, 400 none applied; a token without",
    "  write permission → 403 with that same answer, its items under `permissionErrors`.",
    "- **R-4 lists.** A bare JSON array; `limit` (default 100; the object's maximum above),",
    "  `offset`, `sort` (`-` for descending), `select` (comma list, `_id` always kept), and",
    "  the documented filters, comma lists allowed.",
    "- **R-5 errors.** 400 invalid or duplicated, 401 bad token, 403 permission, 404 unknown",
    "  key, 429 rate limited, with a JSON body saying what was wrong.",
    "- **R-6 computed fields.** A company's `domains` are the email domains of its endusers",
    "  plus any set explicitly; a new company's `status` is `prospect` unless sent.",
    "- **R-8 metrics** accept `model` `Asset` and `Project`: `fake_planhat.planhat.find_by_key`",
    "  resolves such a record by any R-1 key.",
)


def objects_markdown() -> str:
    """The table of every object the fake serves."""
    lines = [
        "# Planhat objects served by the fake",
        "",
        "Generated from `fake_planhat/planhat/_resources.py` by",
        "`python -m fake_planhat.planhat.docs`; a test fails when this file is out of date.",
        "",
        "Every object follows the same conventions (rules R-1 … R-6 in `docs/contract.md`;",
        "each behaviour's status is in the ledger, `docs/fidelity.md`): a single record is",
        "addressed by `_id`, `extid-<externalId>` or `srcid-<sourceId>`; `PUT` updates only",
        "the fields sent (`custom` merged per key), `PATCH` answers 405; `DELETE` answers",
        '`{"n":1,"ok":1,"deletedCount":1}`; a bulk upsert takes at most 5,000 items; lists',
        "take `limit` (default 100, capped at the maximum below), `offset`, `sort`, `select`",
        "and the filters below, each a comma list. *documented* = Planhat's own documents;",
        "*decided* = ours where they are silent.",
        "",
        "| object | routes | keys (bulk match order) | required | references | list max "
        "| filters | status |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in RESOURCES:
        lines.append(
            f"| {r.title} | {_routes(r)} | {', '.join(f'`{k}`' for k in r.keyables)} "
            f"| {', '.join(f'`{n}`' for n in r.required) or '—'} | {_references(r) or '—'} "
            f"| {r.list_max:,} | {_filters(r) or '—'} | {_status(r)} |"
        )
    lines += [
        "",
        "## The rules, restated",
        "",
        *RULES,
        "",
        "Computed on read: a company's `domains` (its endusers' email domains plus any set",
        "explicitly) and, on records that belong to a company, `companyName`. A new company's",
        "`status` is `prospect` unless sent. Deleting a company deletes its endusers (with their",
        "activities), its activities and metrics, and every record whose `companyId` names it",
        "(decided); an issue's `companyIds` keep the deleted `_id`.",
        "",
    ]
    return "\n".join(lines)
