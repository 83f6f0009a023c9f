"""An independent model of Planhat's REST conventions (rules R-1 … R-6) for every object,
written from docs/contract.md and docs/objects.md, not from the engine: it imports nothing from
``fake_planhat``. The stateful test drives the fake and this model side by side.

Records are plain dicts of the fields the machine sends. ``_id``s are the fake's (the model
cannot predict ObjectIds): a create tells the model the ``_id`` the fake answered.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.robustness.routes import OBJECTS


@dataclass(frozen=True)
class Kind:
    """One object as the conventions describe it."""

    name: str
    owned: bool  # companyId required, must name a company
    required: Mapping[str, Any]  # other required fields with a valid value
    operations: frozenset[str]
    keyables: tuple[str, ...] = ("_id", "sourceId", "externalId")


VIEW = ("_id", "externalId", "sourceId", "companyId", "custom", "status")
KINDS: dict[str, Kind] = {
    "companies": Kind(
        "companies",
        False,
        {"name": "Co"},
        frozenset({"list", "create", "bulk", "read", "update", "delete"}),
    ),
    "endusers": Kind(
        "endusers",
        True,
        {},
        frozenset({"list", "create", "bulk", "read", "update", "delete"}),
        ("_id", "sourceId", "externalId", "email"),
    ),
    **{o.name: Kind(o.name, o.owned, dict(o.required), o.operations) for o in OBJECTS},
}


def norm(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key == "email":
        return value.strip().casefold() if isinstance(value, str) and value.strip() else None
    return str(value) if str(value).strip() else None


@dataclass
class Outcome:
    """What a write must answer: the status and, for a bulk, the counts and failed indexes."""

    status: int
    created: int = 0
    updated: int = 0
    nonupdates: int = 0
    failed: list[int] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)  # records waiting for their _id


class RestModel:
    def __init__(self) -> None:
        self.records: dict[str, list[dict[str, Any]]] = {name: [] for name in KINDS}

    # --- keys ---------------------------------------------------------------------------------

    def find(self, name: str, key: str) -> dict[str, Any] | None:
        """R-1: ``_id``, ``extid-…``, ``srcid-…``; the oldest on a tie."""
        if key.startswith("extid-"):
            field_name, value = "externalId", key[6:]
        elif key.startswith("srcid-"):
            field_name, value = "sourceId", key[6:]
        else:
            field_name, value = "_id", key
        for record in self.records[name]:
            if norm(field_name, record.get(field_name)) == norm(field_name, value):
                return record
        return None

    def company_id(self, ref: Any) -> str | None:
        found = self.find("companies", ref) if isinstance(ref, str) else None
        return found["_id"] if found else None

    # --- checks of one write ------------------------------------------------------------------

    def _problem(self, kind: Kind, merged: Mapping[str, Any], own_id: str | None) -> str | None:
        """Why a record with these fields cannot be stored (None when it can)."""
        if kind.owned and merged.get("companyId") is None:
            return "companyId required"
        for name in kind.required:
            if merged.get(name) in (None, ""):
                return f"{name} required"
        for other in self.records[kind.name]:
            if other["_id"] == own_id:
                continue
            for key in ("externalId", "sourceId"):
                mine = norm(key, merged.get(key))
                if mine is None or norm(key, other.get(key)) != mine:
                    continue
                # an enduser's externalId is unique per company only
                per_company = kind.name == "endusers" and key == "externalId"
                if per_company and other.get("companyId") != merged.get("companyId"):
                    continue
                return f"{key} duplicated"
        return None

    def _resolved(self, kind: Kind, fields: Mapping[str, Any]) -> dict[str, Any] | str:
        """The fields with ``companyId`` as an ``_id``; a reason string when it names none."""
        out = {k: v for k, v in fields.items() if k != "_id"}
        for key in ("externalId", "sourceId"):  # a number is kept as its decimal text
            if isinstance(out.get(key), int):
                out[key] = str(out[key])
        if out.get("companyId") is not None:
            company = self.company_id(out["companyId"])
            if company is None:
                return "unknown company"
            out["companyId"] = company
        return out

    # --- R-2 ----------------------------------------------------------------------------------

    def create(self, name: str, body: Mapping[str, Any]) -> Outcome:
        kind = KINDS[name]
        fields = self._resolved(kind, body)
        if isinstance(fields, str):
            return Outcome(400)
        if name == "companies" and fields.get("status") is None:
            fields["status"] = "prospect"
        if self._problem(kind, fields, None) is not None:
            return Outcome(400)
        record = {"custom": {}, **copy.deepcopy(fields)}
        return Outcome(200, created=1, new=[record])

    def adopt(self, name: str, record: dict[str, Any], doc_id: str) -> None:
        """A created record, with the ``_id`` the fake gave it."""
        record["_id"] = doc_id
        self.records[name].append(record)

    def update(self, name: str, key: str, body: Mapping[str, Any]) -> Outcome:
        kind = KINDS[name]
        record = self.find(name, key)
        if record is None:
            return Outcome(404)
        fields = self._resolved(kind, body)
        if isinstance(fields, str):
            return Outcome(400)
        return self._apply(kind, record, fields, 200)

    def _apply(
        self, kind: Kind, record: dict[str, Any], fields: Mapping[str, Any], ok: int
    ) -> Outcome:
        merged = {**record, **{k: v for k, v in fields.items() if k != "custom"}}
        if self._problem(kind, merged, record["_id"]) is not None:
            return Outcome(400)
        before = copy.deepcopy(record)
        for name, value in fields.items():
            if name == "custom":
                record["custom"].update(value)
            else:
                record[name] = value
        changed = before != record
        return Outcome(ok, updated=int(changed), nonupdates=int(not changed))

    def delete(self, name: str, key: str) -> Outcome:
        record = self.find(name, key)
        if record is None:
            return Outcome(404)
        self.records[name].remove(record)
        if name == "companies":  # decided: the company's records go with it
            for other, kind in KINDS.items():
                if kind.owned:
                    self.records[other] = [
                        r for r in self.records[other] if r.get("companyId") != record["_id"]
                    ]
        return Outcome(200)

    # --- R-3 ----------------------------------------------------------------------------------

    def bulk(self, name: str, items: list[dict[str, Any]]) -> Outcome:
        kind = KINDS[name]
        outcome = Outcome(200)
        sent: set[tuple[str, Any, Any]] = set()
        for index, item in enumerate(items):
            repeated = False
            for key in kind.keyables:
                value = norm(key, item.get(key))
                if value is None:
                    continue
                scope = None
                if kind.name == "endusers" and key in ("externalId", "email"):
                    scope = item.get("companyId")
                if (key, value, scope) in sent:
                    repeated = True
                sent.add((key, value, scope))
            matched = self._match(kind, item)
            if repeated:
                outcome.failed.append(index)
                continue
            if matched is None:
                made = self.create(name, item)
                if made.status != 200:
                    outcome.failed.append(index)
                    continue
                outcome.created += 1
                outcome.new += made.new
                # the new record counts for the next items' matches and uniqueness
                self.adopt(name, made.new[-1], f"pending-{index}")
                continue
            fields = self._resolved(kind, item)
            result = (
                Outcome(400) if isinstance(fields, str) else self._apply(kind, matched, fields, 200)
            )
            if result.status != 200:
                outcome.failed.append(index)
            outcome.updated += result.updated
            outcome.nonupdates += result.nonupdates
        failed = len(outcome.failed)
        outcome.status = 200 if not failed else (400 if failed == len(items) else 206)
        return outcome

    def _match(self, kind: Kind, item: Mapping[str, Any]) -> dict[str, Any] | None:
        for key in kind.keyables:
            value = norm(key, item.get(key))
            if value is None:
                continue
            if key == "_id":
                found = self.find(kind.name, item["_id"])
                if found is not None:
                    return found
                continue
            candidates = [r for r in self.records[kind.name] if norm(key, r.get(key)) == value]
            ref = item.get("companyId")
            if kind.name == "endusers" and key in ("externalId", "email") and ref is not None:
                company = self.company_id(ref)
                candidates = [r for r in candidates if r.get("companyId") == company]
            if candidates:
                return candidates[0]
        return None

    def settle(self, name: str, upserted: list[str]) -> None:
        """Give a bulk's new records the ``_id``s the fake answered, in order."""
        pending = [r for r in self.records[name] if str(r["_id"]).startswith("pending-")]
        assert len(pending) == len(upserted), (pending, upserted)
        for record, doc_id in zip(pending, upserted, strict=True):
            record["_id"] = doc_id

    # --- R-4 ----------------------------------------------------------------------------------

    def listing(
        self, name: str, limit: int, offset: int, company: str | None, maximum: int
    ) -> list[str]:
        records = self.records[name]
        if company is not None:
            wanted = self.company_id(company)
            records = [r for r in records if r.get("companyId") == wanted]
        return [r["_id"] for r in records[offset : offset + min(limit, maximum)]]

    def view(self, name: str) -> list[dict[str, Any]]:
        """What the comparison looks at: the sent fields, in creation order."""
        return [{k: r.get(k) for k in VIEW} for r in self.records[name]]
