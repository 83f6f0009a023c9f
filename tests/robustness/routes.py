"""The catalogue of Planhat's routes that the robustness tests walk (issue 7).

Every ``(method, URL rule)`` the app serves outside the control plane has one :class:`Route`
here: how it authenticates, the JSON shape of its body and its byte limit, its known fields with
the JSON kinds each accepts, and a valid example request for a given tenant (:class:`Party`).
``test_bad_input.py`` checks this table against the app's ``url_map`` in both directions, so a
route added without an entry here (or removed while its entry stays) fails the suite.

The field tables are written from the contract and the routes' documented decisions, not read
from the code, so a field whose check is dropped or loosened fails a test.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote

Kind = Literal["string", "number", "boolean", "object", "array", "null"]
Auth = Literal["rest", "intake", "path"]
Shape = Literal["object", "array", "object-or-array"]
# How a route answers a known field of the wrong JSON type:
#   "status"       a 4xx in Planhat's error shape;
#   "bulk-errors"  a bulk upsert whose every item failed: 400 in Planhat's error shape plus the
#                  bulk answer, the reason in createdErrors / updatedErrors (api/bulk.py);
#   "item-errors"  POST /dimensiondata and /analytics/bulk: 200 with the bad item listed
#                  in "errors", nothing stored.
Rejection = Literal["status", "bulk-errors", "item-errors"]

KINDS: tuple[Kind, ...] = ("string", "number", "boolean", "object", "array", "null")
# One JSON value of each kind, for wrong-type cases.
SAMPLES: dict[Kind, Any] = {
    "string": "some text",
    "number": 42,
    "boolean": True,
    "object": {"nested": "value"},
    "array": ["one", 2],
    "null": None,
}

MiB = 1024 * 1024
LIMIT_INTAKE = 1 * MiB  # /dock/segment (docs/contract.md)
LIMIT_LARGE = 32 * MiB  # analytics, dimensiondata and the REST API (Planhat's 32 MB)
BULK_MAX_ITEMS = 5000


def basic(token: str, password: str = "") -> str:
    """``Basic base64(token + ":" + password)`` (rule W-2 with an empty password)."""
    return "Basic " + base64.b64encode(f"{token}:{password}".encode()).decode()


@dataclass(frozen=True)
class Party:
    """One tenant of the fake: its secrets, and the keys of the documents seeded into it.

    Every party also holds a company ``externalId`` ``shared-co`` and a user ``shared-user``
    (the same keys in each tenant), so key lookups must stay inside the caller's tenant.
    """

    name: str
    tenant_token: str
    api_token: str
    read_token: str  # a read-only API token of the same tenant
    company_ext: str
    company_src: str
    user_ext: str
    user_src: str
    user_email: str
    lead_ext: str  # an intake contact without a company: waits unassigned (rule P-8)

    def rest(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_token}"}

    def intake(self) -> dict[str, str]:
        return {"Authorization": basic(self.tenant_token)}

    def secrets(self) -> tuple[str, str, str]:
        return (self.tenant_token, self.api_token, self.read_token)


PARTY_A = Party(
    name="a",
    tenant_token="a0a0a0a0-1111-4111-8111-aaaaaaaaaaaa",
    api_token="api-token-tenant-a-5f1c9e",
    read_token="read-token-tenant-a-0d7b42",
    company_ext="acme-a",
    company_src="src-acme-a",
    user_ext="ann-a",
    user_src="src-ann-a",
    user_email="ann@acme-a.example",
    lead_ext="lead-a",
)
PARTY_B = Party(
    name="b",
    tenant_token="b0b0b0b0-2222-4222-8222-bbbbbbbbbbbb",
    api_token="api-token-tenant-b-93e0aa",
    read_token="read-token-tenant-b-61c2d8",
    company_ext="bolt-b",
    company_src="src-bolt-b",
    user_ext="bob-b",
    user_src="src-bob-b",
    user_email="bob@bolt-b.example",
    lead_ext="lead-b",
)
SHARED_COMPANY_EXT = "shared-co"
SHARED_USER_EXT = "shared-user"


@dataclass(frozen=True)
class FieldSpec:
    """A known body field: the JSON kinds it accepts, and further values it must reject."""

    accepts: frozenset[Kind]
    also_bad: tuple[Any, ...] = ()

    def wrong_values(self) -> list[tuple[str, Any]]:
        """(label, value) pairs the route must reject for this field."""
        wrong = [(kind, SAMPLES[kind]) for kind in KINDS if kind not in self.accepts]
        return wrong + [(f"bad {value!r}"[:40], value) for value in self.also_bad]


def spec(*accepts: Kind, also_bad: tuple[Any, ...] = ()) -> FieldSpec:
    return FieldSpec(frozenset(accepts), also_bad)


def _empty_query(party: Party) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Route:
    """One Planhat route and what a valid request to it looks like."""

    method: str
    rule: str  # the Flask URL rule, e.g. "/endusers/<path:key>"
    auth: Auth  # rest: Bearer/Basic API token; intake: Basic tenant token; path: token in URL
    write: bool = False  # REST writes need an API token with write scope
    shape: Shape | None = None  # None: the route reads no body
    limit: int | None = None  # body limit in bytes
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)  # of the body, or each item
    rejection: Rejection = "status"
    max_items: int | None = None  # array bodies: most items per request
    paged: bool = False  # takes limit / offset (Planhat's list parameters)
    key: Callable[[Party], str] | None = None  # the <path:key> of an existing document
    body: Callable[[Party], Any] | None = None  # a valid body
    query: Callable[[Party], dict[str, str]] = _empty_query  # a valid query

    @property
    def name(self) -> str:
        return f"{self.method} {self.rule}"

    def path(self, party: Party, *, key: str | None = None, token: str | None = None) -> str:
        """The URL path for ``party`` (``key`` / ``token`` given raw are used as they are)."""
        path = self.rule
        if "<path:key>" in path:
            assert self.key is not None, self.name
            path = path.replace("<path:key>", key if key is not None else quote(self.key(party)))
        return path.replace("<tenant_token>", token if token is not None else party.tenant_token)

    def headers(self, party: Party) -> dict[str, str]:
        """Auth headers that let ``party`` in (none for token-in-path routes)."""
        if self.auth == "rest":
            return party.rest()
        if self.auth == "intake":
            return party.intake()
        return {}

    def example(self, party: Party) -> Any:
        """A valid body for ``party`` (None when the route reads no body)."""
        return self.body(party) if self.body is not None else None

    def target(self, body: Any) -> dict[str, Any]:
        """The object in a body where the known fields live (the first item of an array)."""
        target = body[0] if isinstance(body, list) else body
        assert isinstance(target, dict), self.name
        return target


# --- known fields ----------------------------------------------------------------------------

TEXT = spec("string", "null")
IDENTIFIER = spec("string", "number", "null")  # externalId / sourceId: numbers kept as text
STRING_LIST = spec("array", "null", also_bad=([1, "x"],))
FLAG = spec("boolean", "null")
CUSTOM = spec("object", "null")

ENDUSER_FIELDS: dict[str, FieldSpec] = {
    "email": TEXT,
    "firstName": TEXT,
    "lastName": TEXT,
    "name": TEXT,
    "position": TEXT,
    "phone": TEXT,
    # null: no company found by the email's domain (the examples' domains name none) -> 400
    "companyId": spec("string", also_bad=("", "extid-no-such-company")),
    "externalId": IDENTIFIER,
    "sourceId": IDENTIFIER,
    "tags": STRING_LIST,
    "featured": FLAG,
    "primary": FLAG,
    "archived": FLAG,
    "custom": CUSTOM,
}
COMPANY_TEXT_FIELDS = (
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
COMPANY_FIELDS: dict[str, FieldSpec] = {
    "name": spec("string", also_bad=("", "   ")),
    "externalId": IDENTIFIER,
    "sourceId": IDENTIFIER,
    "domains": STRING_LIST,
    "tags": STRING_LIST,
    "custom": CUSTOM,
    **{name: TEXT for name in COMPANY_TEXT_FIELDS},
}
# A bulk item may name the document by _id (a string); any other kind is an item error.
BULK_ID = {"_id": spec("string", "null")}

ACTIVITY_FIELDS: dict[str, FieldSpec] = {
    "externalId": IDENTIFIER,
    "euExtId": IDENTIFIER,
    "id": IDENTIFIER,
    "companyExternalId": IDENTIFIER,
    "cId": IDENTIFIER,
    "email": TEXT,
    "name": TEXT,
    "companyId": TEXT,
    "action": spec("string", "null"),  # optional
    "weight": spec("number", "string", "null"),  # a string is read leniently
    "count": spec("number", "string", "null"),
    "date": spec("string", "number", "null", also_bad=("not a date",)),  # a JS date
    "info": CUSTOM,
}
DATA_POINT_FIELDS: dict[str, FieldSpec] = {
    "dimensionId": spec("string", also_bad=("",)),
    "value": spec("number"),
    "model": spec("string", also_bad=("Deal",)),
    "externalId": spec("string", "number", also_bad=("", "no-such-company")),
    "date": spec("string", "number", "null", also_bad=("not a date",)),  # a JavaScript date
}
# The intake checks the envelope's kinds (api/dock.py); other members are data (P-1 ... P-9).
SEGMENT_FIELDS: dict[str, FieldSpec] = {
    "type": TEXT,
    "traits": CUSTOM,
    "context": CUSTOM,
    "properties": CUSTOM,
    "integrations": CUSTOM,
}


# --- valid examples --------------------------------------------------------------------------


def _segment_identify(party: Party) -> dict[str, Any]:
    return {
        "type": "identify",
        "userId": party.user_ext,
        "messageId": f"msg-{party.name}-example",
        "timestamp": "2026-01-15T09:00:00.000Z",
        "traits": {"email": party.user_email, "title": "CTO", "plan": "pro"},
        "context": {"ip": "203.0.113.7"},
        "properties": {},
        "integrations": {},
    }


def _new_enduser(party: Party) -> dict[str, Any]:
    return {
        "email": f"new@{party.name}-new.example",  # a domain no company has
        "firstName": "New",
        "lastName": "Person",
        "externalId": f"new-user-{party.name}",
        "companyId": f"extid-{party.company_ext}",
        "tags": ["vip"],
        "custom": {"seats": 3},
    }


def _enduser_update(party: Party) -> dict[str, Any]:
    return {"position": "CEO", "custom": {"tier": "gold"}, "tags": ["renewal"]}


def _bulk_endusers(party: Party) -> list[dict[str, Any]]:
    return [
        {"externalId": party.user_ext, "position": "Head of Ops"},  # matched: an update
        {
            "externalId": f"bulk-user-{party.name}",
            "email": f"bulk@{party.name}.example",
            "companyId": f"extid-{party.company_ext}",
        },
    ]


def _new_company(party: Party) -> dict[str, Any]:
    return {
        "name": f"New {party.name} Inc",
        "externalId": f"new-co-{party.name}",
        "tags": ["trial"],
        "custom": {"region": "EU"},
    }


def _company_update(party: Party) -> dict[str, Any]:
    return {"phase": "onboarding", "custom": {"region": "US"}}


def _bulk_companies(party: Party) -> list[dict[str, Any]]:
    return [
        {"externalId": party.company_ext, "status": "customer"},  # matched: an update
        {"externalId": f"bulk-co-{party.name}", "name": f"Bulk {party.name}"},
    ]


def _activity(party: Party) -> dict[str, Any]:
    return {
        "externalId": party.user_ext,
        "action": "Logged In",
        "info": {"browser": "Firefox"},
        "date": "2026-01-15T09:30:00.000Z",
    }


def _activities(party: Party) -> list[dict[str, Any]]:
    return [_activity(party), {**_activity(party), "action": "Logged Out", "weight": 2}]


def _data_point(party: Party) -> dict[str, Any]:
    return {
        "dimensionId": "seats",
        "value": 12,
        "externalId": party.company_ext,
        "model": "Company",
        "date": "2026-01-14T00:00:00.000Z",
    }


def _enduser_query(party: Party) -> dict[str, str]:
    return {
        "companyId": f"extid-{party.company_ext}",
        "limit": "10",
        "offset": "0",
        "sort": "-email",
        "select": "email, externalId",
    }


def _company_query(party: Party) -> dict[str, str]:
    return {"limit": "50", "offset": "0", "sort": "name", "select": "name,externalId"}


def _lean_query(party: Party) -> dict[str, str]:
    return {"externalId": party.company_ext}


def _metric_query(party: Party) -> dict[str, str]:
    # days since 1970-01-01: 20000 is 2024-10-04, 30000 is 2052-02-20
    return {"dimid": "seats", "from": "20000", "to": "30000", "limit": "10"}


def _enduser_key(party: Party) -> str:
    return f"extid-{party.user_ext}"


def _company_key(party: Party) -> str:
    return f"extid-{party.company_ext}"


# --- the catalogue ---------------------------------------------------------------------------

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/dock/segment",
        "intake",
        shape="object",
        limit=LIMIT_INTAKE,
        fields=SEGMENT_FIELDS,
        body=_segment_identify,
    ),
    Route("GET", "/endusers", "rest", paged=True, query=_enduser_query),
    Route(
        "POST",
        "/endusers",
        "rest",
        write=True,
        shape="object",
        limit=LIMIT_LARGE,
        fields=ENDUSER_FIELDS,
        body=_new_enduser,
    ),
    Route(
        "PUT",
        "/endusers",
        "rest",
        write=True,
        shape="array",
        limit=LIMIT_LARGE,
        fields={**ENDUSER_FIELDS, **BULK_ID},
        rejection="bulk-errors",
        max_items=BULK_MAX_ITEMS,
        body=_bulk_endusers,
    ),
    Route("GET", "/endusers/<path:key>", "rest", key=_enduser_key),
    Route(
        "PUT",
        "/endusers/<path:key>",
        "rest",
        write=True,
        shape="object",
        limit=LIMIT_LARGE,
        fields=ENDUSER_FIELDS,
        key=_enduser_key,
        body=_enduser_update,
    ),
    Route("DELETE", "/endusers/<path:key>", "rest", write=True, key=_enduser_key),
    Route("GET", "/companies", "rest", paged=True, query=_company_query),
    Route("GET", "/leancompanies", "rest", query=_lean_query),
    Route(
        "POST",
        "/companies",
        "rest",
        write=True,
        shape="object",
        limit=LIMIT_LARGE,
        fields=COMPANY_FIELDS,
        body=_new_company,
    ),
    Route(
        "PUT",
        "/companies",
        "rest",
        write=True,
        shape="array",
        limit=LIMIT_LARGE,
        fields={**COMPANY_FIELDS, **BULK_ID},
        rejection="bulk-errors",
        max_items=BULK_MAX_ITEMS,
        body=_bulk_companies,
    ),
    Route("GET", "/companies/<path:key>", "rest", key=_company_key),
    Route(
        "PUT",
        "/companies/<path:key>",
        "rest",
        write=True,
        shape="object",
        limit=LIMIT_LARGE,
        fields=COMPANY_FIELDS,
        key=_company_key,
        body=_company_update,
    ),
    Route("DELETE", "/companies/<path:key>", "rest", write=True, key=_company_key),
    Route(
        "POST",
        "/analytics/<tenant_token>",
        "path",
        shape="object",
        limit=LIMIT_LARGE,
        fields=ACTIVITY_FIELDS,
        body=_activity,
    ),
    Route(
        "POST",
        "/analytics/bulk/<tenant_token>",
        "path",
        shape="array",
        limit=LIMIT_LARGE,
        fields=ACTIVITY_FIELDS,
        rejection="item-errors",  # R-7; and no item cap, only the 32 MB body
        body=_activities,
    ),
    Route(
        "POST",
        "/dimensiondata/<tenant_token>",
        "path",
        shape="object-or-array",
        limit=LIMIT_LARGE,
        fields=DATA_POINT_FIELDS,
        rejection="item-errors",
        body=_data_point,
    ),
    Route("GET", "/dimensiondata", "rest", paged=True, query=_metric_query),
)


# --- every other Planhat object (issue 12, rules R-1 … R-4) -----------------------------------


@dataclass(frozen=True)
class ObjectSpec:
    """What the contract says of one more Planhat object, written here by hand (not read from
    the declarations): its path, whether ``companyId`` is required and checked, its other
    required fields, its known fields' JSON kinds, the operations it has, its list maximum."""

    name: str
    owned: bool  # companyId required and must name a company of the tenant
    required: Mapping[str, Any]  # other required fields -> a valid value
    fields: Mapping[str, FieldSpec]
    operations: frozenset[str] = frozenset({"list", "create", "bulk", "read", "update", "delete"})
    list_max: int = 2000

    def record(self, party: Party, tag: str = "") -> dict[str, Any]:
        """A valid new record of this object for ``party``."""
        body: dict[str, Any] = {
            "externalId": f"{self.name}-{party.name}{tag}",
            "sourceId": f"src-{self.name}-{party.name}{tag}",
            "custom": {"n": 1},
            **self.required,
        }
        if self.owned:
            body["companyId"] = f"extid-{party.company_ext}"
        return body

    def key(self, party: Party) -> str:
        return f"extid-{self.name}-{party.name}"


COMPANY_REF_SPEC = spec("string", also_bad=("", "extid-no-such-company"))
REQUIRED_TEXT = spec("string", also_bad=("", "   "))
NUMBER = spec("number", "null")
_BASE_FIELDS: dict[str, FieldSpec] = {"externalId": IDENTIFIER, "sourceId": IDENTIFIER}
_OWNED_FIELDS: dict[str, FieldSpec] = {
    **_BASE_FIELDS,
    "custom": CUSTOM,
    "companyId": COMPANY_REF_SPEC,
}


def _owned(
    name: str,
    required: Mapping[str, Any] | None = None,
    extra: Mapping[str, FieldSpec] | None = None,
    **more: Any,
) -> ObjectSpec:
    fields = {**_OWNED_FIELDS, **{k: REQUIRED_TEXT for k in (required or {})}, **(extra or {})}
    return ObjectSpec(name, True, required or {}, fields, **more)


OBJECTS: tuple[ObjectSpec, ...] = (
    _owned("assets", {"name": "Drone 7"}),
    _owned("campaigns", extra={"name": TEXT}),
    _owned("churn", extra={"value": NUMBER, "date": TEXT}),
    _owned(
        "conversations", extra={"type": TEXT, "subject": TEXT, "description": TEXT, "date": TEXT}
    ),
    ObjectSpec(
        "customfields",
        False,
        {"name": "Tier", "type": "Text", "parent": "company"},
        {
            **_BASE_FIELDS,
            "custom": CUSTOM,
            **dict.fromkeys(("name", "type", "parent"), REQUIRED_TEXT),
        },
        operations=frozenset({"list", "create", "read", "update", "delete"}),  # no bulk
    ),
    _owned("invoices", extra={"date": TEXT, "dueDate": TEXT}),
    ObjectSpec(
        "issues",
        False,
        {"title": "Export is slow"},
        {
            **_BASE_FIELDS,
            "custom": CUSTOM,
            "title": REQUIRED_TEXT,
            "companyIds": spec("array", "null", also_bad=([1], ["extid-no-such-company"])),
            "enduserIds": spec("array", "null", also_bad=([True], ["extid-nobody"])),
        },
    ),
    _owned("licenses", extra={"product": TEXT, "value": NUMBER}),
    _owned(
        "nps",
        extra={"score": NUMBER, "enduserId": spec("string", "null", also_bad=("", "extid-nobody"))},
        list_max=10_000,
    ),
    _owned("objectives", extra={"name": TEXT}),
    _owned("opportunities", extra={"title": TEXT}),
    _owned("projects", {"name": "Rollout"}),
    _owned("sales", extra={"value": NUMBER, "date": TEXT}),
    _owned("tasks", extra={"title": TEXT}, list_max=10_000),
    _owned(
        "tickets",
        extra={"title": TEXT, "email": TEXT},
        operations=frozenset({"list", "bulk", "delete"}),
        list_max=10_000,
    ),
    ObjectSpec(
        "timeentries",
        False,
        {},
        {
            **_BASE_FIELDS,
            "custom": CUSTOM,
            "companyId": spec("string", "null", also_bad=("", "extid-no-such-company")),
            "hours": NUMBER,
            "minutes": NUMBER,
            "date": TEXT,
        },
    ),
    ObjectSpec(
        "users",
        False,
        {"email": "agent@team.example", "firstName": "Ada", "lastName": "Agent"},
        {
            **_BASE_FIELDS,
            "custom": CUSTOM,
            **dict.fromkeys(("email", "firstName", "lastName"), REQUIRED_TEXT),
        },
        list_max=10_000,
    ),
    _owned("workspaces", {"name": "Main"}),
)
OBJECT_BY_NAME = {o.name: o for o in OBJECTS}


def _object_routes(obj: ObjectSpec) -> list[Route]:
    base, item = f"/{obj.name}", f"/{obj.name}/<path:key>"
    ops = obj.operations

    def query(party: Party) -> dict[str, str]:
        return {"limit": "10", "offset": "0", "sort": "-externalId", "select": "externalId, custom"}

    def update(party: Party) -> dict[str, Any]:
        return {"custom": {"updated": True}}

    def bulk(party: Party) -> list[dict[str, Any]]:
        return [
            {"externalId": f"{obj.name}-{party.name}", "custom": {"bulk": 1}},  # an update
            obj.record(party, "-bulk"),  # an insert
        ]

    routes = []
    if "list" in ops:
        routes.append(Route("GET", base, "rest", paged=True, query=query))
    if "create" in ops:
        routes.append(
            Route(
                "POST",
                base,
                "rest",
                write=True,
                shape="object",
                limit=LIMIT_LARGE,
                fields=obj.fields,
                body=lambda party: obj.record(party, "-new"),
            )
        )
    if "bulk" in ops:
        routes.append(
            Route(
                "PUT",
                base,
                "rest",
                write=True,
                shape="array",
                limit=LIMIT_LARGE,
                fields={**obj.fields, **BULK_ID},
                rejection="bulk-errors",
                max_items=BULK_MAX_ITEMS,
                body=bulk,
            )
        )
    if "read" in ops:
        routes.append(Route("GET", item, "rest", key=obj.key))
    if "update" in ops:
        routes.append(
            Route(
                "PUT",
                item,
                "rest",
                write=True,
                shape="object",
                limit=LIMIT_LARGE,
                fields=obj.fields,
                key=obj.key,
                body=update,
            )
        )
    if "delete" in ops:
        routes.append(Route("DELETE", item, "rest", write=True, key=obj.key))
    return routes


ROUTES = ROUTES + tuple(route for obj in OBJECTS for route in _object_routes(obj))
BY_NAME: dict[str, Route] = {route.name: route for route in ROUTES}
BODY_ROUTES = tuple(r for r in ROUTES if r.shape is not None)
KEY_ROUTES = tuple(r for r in ROUTES if r.key is not None)
TOKEN_ROUTES = tuple(r for r in ROUTES if r.auth == "path")
GET_ROUTES = tuple(r for r in ROUTES if r.method == "GET")


def allowed_methods(rule: str) -> set[str]:
    """The methods the catalogue serves on a URL rule."""
    return {r.method for r in ROUTES if r.rule == rule}
