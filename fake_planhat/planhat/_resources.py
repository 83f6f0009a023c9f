"""Every Planhat object the fake serves, declared once, as data (rule R-1 … R-6).

A :class:`Resource` says what Planhat documents about one object: its path, keyables, required
fields, references, list maximum, filters, computed fields and which operations exist. The
engine (``_engine.py``) writes every object from these declarations; the routes
(``_routes.py``), the OpenAPI document, the seeding, the store's collections and the table in
``docs/objects.md`` are all made from them. Adding an object is one declaration here, plus its
quirks as a :class:`~fake_planhat.planhat._rules.Rules` subclass when it has any.

``status`` says where each declaration comes from: ``documented`` (Planhat's own documents, as
restated in ``docs/contract.md``) or ``decided`` (ours, where Planhat's documents are silent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from fake_planhat.planhat import _fields as f
from fake_planhat.planhat._rules import CompanyRules, EnduserRules, Rules
from fake_planhat.state import IndexKey, email_domain, email_key, id_key, plain_key

Operation = Literal["list", "create", "read", "update", "delete", "bulk"]
OPERATIONS: tuple[Operation, ...] = ("list", "create", "read", "update", "delete", "bulk")
Status = Literal["documented", "decided"]
FilterKind = Literal["ref", "value", "email"]

DEFAULT_LIST_MAX = 2000  # Planhat's maximum `limit` unless an object has its own
BULK_MAX_ITEMS = 5000


@dataclass(frozen=True)
class Reference:
    """A field naming records of another object by ``_id``, ``extid-…`` or ``srcid-…``."""

    field: str
    target: str  # the referenced object's path name, e.g. "companies"
    many: bool = False  # a list of keys (an issue's companyIds)

    @property
    def target_label(self) -> str:
        return resource(self.target).label


@dataclass(frozen=True)
class Filter:
    """A documented list filter: ``?param=a,b`` keeps records whose ``field`` is one of them.

    ``ref`` resolves each value as a key of ``target`` (``_id``/``extid-``/``srcid-``) first;
    ``email`` compares trimmed and case-insensitively; ``value`` compares as text."""

    param: str
    field: str
    kind: FilterKind = "value"
    target: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resource:
    """One Planhat object, as data."""

    name: str  # the URL path name and the key in Tenant.collections(): "assets"
    model: str  # the store's model name (journal, persistence): "asset"
    label: str  # in messages: "asset"
    title: str  # Planhat's name for it: "Asset"
    fields: Mapping[str, f.FieldCheck]  # known fields and their checks; others kept as sent
    required: tuple[str, ...] = ()
    references: tuple[Reference, ...] = ()
    keyables: tuple[str, ...] = ("_id", "sourceId", "externalId")  # R-3 match precedence
    list_max: int = DEFAULT_LIST_MAX
    filters: tuple[Filter, ...] = ()
    computed: frozenset[str] = frozenset()  # read-only fields a write ignores
    defaults: Mapping[str, Any] = field(default_factory=dict)  # set on create unless sent
    operations: tuple[Operation, ...] = OPERATIONS
    rules: type[Rules] = Rules
    # where each part comes from: "required", "references", "list_max", "operations"
    status: Mapping[str, Status] = field(default_factory=dict)

    @property
    def schema(self) -> f.Schema:
        return f.Schema(self.fields, self.computed)

    @property
    def owned_by_company(self) -> bool:
        """Whether the object has a single ``companyId`` naming a company."""
        return any(
            r.field == "companyId" and r.target == "companies" and not r.many
            for r in self.references
        )

    def reference(self, name: str) -> Reference | None:
        return next((r for r in self.references if r.field == name), None)

    def filter(self, param: str) -> Filter | None:
        return next((x for x in self.filters if param in (x.param, *x.aliases)), None)

    def index_keys(self) -> dict[str, IndexKey]:
        """The store's indexes for this object: its keyables and single references."""
        indexes: dict[str, IndexKey] = {"externalId": id_key, "sourceId": id_key}
        if "email" in self.keyables:
            indexes["email"] = email_key
            indexes["email#domain"] = email_domain  # the email-domain guess (P-5, R-6)
        for ref in self.references:
            if not ref.many:
                indexes[ref.field] = plain_key
        return indexes

    def status_of(self, part: str) -> Status:
        """R-4 states every object's list maximum, and Planhat's object list names the
        exceptions to the operations; required fields beyond endusers' and companies' are ours."""
        return self.status.get(part, "decided" if part == "required" else "documented")


# --- shared pieces ---------------------------------------------------------------------------

COMPANY_REF = Reference("companyId", "companies")
BY_COMPANY = Filter("companyId", "companyId", "ref", "companies")
COMMON_FIELDS: dict[str, f.FieldCheck] = {
    "externalId": f.identifier,
    "sourceId": f.identifier,
    "custom": f.custom_object,
}
OWNED_FIELDS: dict[str, f.FieldCheck] = {**COMMON_FIELDS, "companyId": f.reference}
OWNED_COMPUTED = frozenset({"companyName"})
LIST_10K = 10_000  # nps, tasks, tickets, users


def _owned(
    name: str,
    model: str,
    title: str,
    *,
    extra: Mapping[str, f.FieldCheck] | None = None,
    required: tuple[str, ...] = ("companyId",),
    list_max: int = DEFAULT_LIST_MAX,
    operations: tuple[Operation, ...] = OPERATIONS,
    references: tuple[Reference, ...] = (),
) -> Resource:
    """An object that belongs to a company (most of Planhat's): ``companyId`` required and
    checked, listed by ``companyId``."""
    return Resource(
        name=name,
        model=model,
        label=model,
        title=title,
        fields={**OWNED_FIELDS, **(extra or {})},
        required=required,
        references=(COMPANY_REF, *references),
        list_max=list_max,
        filters=(BY_COMPANY,),
        computed=OWNED_COMPUTED,
        operations=operations,
        status=_R4_STATUS if list_max == LIST_10K else {},
    )


_R4_STATUS: Mapping[str, Status] = MappingProxyType({"list_max": "documented"})
_TEXT = f.text

ENDUSER_COMPUTED = frozenset(
    {
        "companyName",
        "lastActive",
        "lastSeen",
        "otherEmails",
        "relatedEndusers",
        "beats",
        "beatsTotal",
        "beatTrend",
        "convs14",
        "convsTotal",
        "experience",
        "lastTouch",
        "lastTouchType",
        "lastTouchByType",
        "lastActivities",
        "nps",
        "npsComment",
        "npsDate",
        "npsSent",
    }
)
COMPANY_COMPUTED = frozenset(
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

RESOURCES: tuple[Resource, ...] = (
    _owned("assets", "asset", "Asset", extra={"name": _TEXT}, required=("companyId", "name")),
    _owned("campaigns", "campaign", "Campaign", extra={"name": _TEXT}),
    _owned("churn", "churn", "Churn", extra={"value": f.number, "date": _TEXT}),
    Resource(
        name="companies",
        model="company",
        label="company",
        title="Company",
        fields={
            **COMMON_FIELDS,
            "name": f.nonempty_text("a company"),
            "domains": f.string_list,
            "tags": f.string_list,
            **{name: _TEXT for name in COMPANY_TEXT_FIELDS},
        },
        required=("name",),
        list_max=5000,
        filters=(
            Filter("externalId", "externalId"),
            Filter("sourceId", "sourceId"),
            Filter("status", "status"),
            Filter("companyId", "_id", "ref", "companies"),
        ),
        computed=COMPANY_COMPUTED,
        defaults=MappingProxyType({"status": "prospect"}),
        rules=CompanyRules,
        status={"required": "documented", "list_max": "documented", "operations": "documented"},
    ),
    _owned(
        "conversations",
        "conversation",
        "Conversation",
        extra={"type": _TEXT, "subject": _TEXT, "description": _TEXT, "date": _TEXT},
    ),
    Resource(
        name="customfields",
        model="customfield",
        label="custom field",
        title="Custom Field",
        fields={**COMMON_FIELDS, "name": _TEXT, "type": _TEXT, "parent": _TEXT},
        required=("name", "type", "parent"),
        filters=(Filter("parent", "parent"),),
        operations=("list", "create", "read", "update", "delete"),
        status={"operations": "documented"},
    ),
    Resource(
        name="endusers",
        model="enduser",
        label="enduser",
        title="Enduser",
        fields={
            **OWNED_FIELDS,
            "email": _TEXT,
            "firstName": _TEXT,
            "lastName": _TEXT,
            "name": _TEXT,
            "position": _TEXT,
            "phone": _TEXT,
            "tags": f.string_list,
            "featured": f.flag,
            "primary": f.flag,
            "archived": f.flag,
        },
        required=("companyId",),
        references=(COMPANY_REF,),
        keyables=("_id", "sourceId", "externalId", "email"),
        filters=(
            Filter("companyId", "companyId", "ref", "companies", aliases=("c",)),
            Filter("email", "email", "email"),
        ),
        computed=ENDUSER_COMPUTED,
        rules=EnduserRules,
        status={"required": "documented", "operations": "documented", "list_max": "documented"},
    ),
    _owned("invoices", "invoice", "Invoice", extra={"date": _TEXT, "dueDate": _TEXT}),
    Resource(
        name="issues",
        model="issue",
        label="issue",
        title="Issue",
        fields={
            **COMMON_FIELDS,
            "title": _TEXT,
            "companyIds": f.references,
            "enduserIds": f.references,
        },
        required=("title",),
        references=(
            Reference("companyIds", "companies", many=True),
            Reference("enduserIds", "endusers", many=True),
        ),
        computed=frozenset({"companies", "endusers"}),
    ),
    _owned("licenses", "license", "License", extra={"product": _TEXT, "value": f.number}),
    _owned(
        "nps",
        "nps",
        "NPS",
        extra={"score": f.number, "enduserId": f.reference},
        list_max=LIST_10K,
        references=(Reference("enduserId", "endusers"),),
    ),
    _owned("objectives", "objective", "Objective", extra={"name": _TEXT}),
    _owned("opportunities", "opportunity", "Opportunity", extra={"title": _TEXT}),
    _owned("projects", "project", "Project", extra={"name": _TEXT}, required=("companyId", "name")),
    _owned("sales", "sale", "Sale", extra={"value": f.number, "date": _TEXT}),
    _owned("tasks", "task", "Task", extra={"title": _TEXT}, list_max=LIST_10K),
    Resource(
        name="tickets",
        model="ticket",
        label="ticket",
        title="Ticket",
        fields={**OWNED_FIELDS, "title": _TEXT, "email": _TEXT},
        required=("companyId",),
        references=(COMPANY_REF,),
        list_max=LIST_10K,
        filters=(BY_COMPANY,),
        computed=OWNED_COMPUTED,
        operations=("list", "bulk", "delete"),
        status={"operations": "documented", "list_max": "documented"},
    ),
    Resource(
        name="timeentries",
        model="timeentry",
        label="time entry",
        title="Time Entry",
        fields={
            **COMMON_FIELDS,
            "companyId": f.reference,
            "hours": f.number,
            "minutes": f.number,
            "date": _TEXT,
        },
        references=(COMPANY_REF,),
        filters=(BY_COMPANY,),
        computed=OWNED_COMPUTED,
    ),
    Resource(
        name="users",
        model="user",
        label="user",
        title="User",
        fields={**COMMON_FIELDS, "email": _TEXT, "firstName": _TEXT, "lastName": _TEXT},
        required=("email", "firstName", "lastName"),
        list_max=LIST_10K,
        filters=(Filter("email", "email", "email"),),
        status={"list_max": "documented"},
    ),
    _owned(
        "workspaces",
        "workspace",
        "Workspace",
        extra={"name": _TEXT},
        required=("companyId", "name"),
    ),
)

_BY_NAME: dict[str, Resource] = {r.name: r for r in RESOURCES}


def resource(name: str) -> Resource:
    """The declaration of one object by its path name; KeyError when there is none."""
    return _BY_NAME[name]
