"""Tenants and their documents: contacts, companies, activities, metric data points.

Documents are plain JSON dicts shaped as Planhat returns them. Each model lives in a
:class:`Collection` with secondary indexes, so lookups by ``_id``, ``externalId``, ``sourceId``,
email or ``companyId`` never scan. Every tenant has one re-entrant lock; request handlers hold it
for the whole read-modify-write, so concurrent requests neither lose writes nor create duplicates.

A tenant can be *watched* (:meth:`Tenant.watch`, used by :mod:`fake_planhat.persistence`): its
collections and unassigned list then report each change to a listener, and its lock calls a hook
as its holder lets go. Unwatched tenants use plain dicts and a plain RLock, at no extra cost.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from fake_planhat.clock import Clock
from fake_planhat.ids import ObjectIdFactory

Doc = dict[str, Any]
IndexKey = Callable[[Any], Hashable | None]
UnassignedPolicy = Literal["keep", "discard"]

DEFAULT_TENANT_TOKEN = "00000000-0000-4000-8000-000000000001"
DEFAULT_API_TOKEN = "fake-planhat-api-token"

ChangeKind = Literal["insert", "update", "remove"]
# What a watched Collection or unassigned list tells its listener: model, kind, key, document
# (None on remove). The unassigned list reports as the model UNASSIGNED, keyed by contact _id.
ChangeListener = Callable[[str, ChangeKind, str, "Doc | None"], None]
UNASSIGNED = "unassigned"


def id_key(value: Any) -> str | None:
    """An identifier as Planhat compares it: a non-blank string verbatim, a number as decimals."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str) and value.strip():
        return value
    return None


def email_key(value: Any) -> str | None:
    """Emails compare trimmed and case-insensitively (rule P-2); they are stored as sent."""
    if isinstance(value, str) and value.strip():
        return value.strip().casefold()
    return None


def plain_key(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def email_domain(value: Any) -> str | None:
    """The domain of an email, trimmed and case-folded (rule R-6), or None without one."""
    key = email_key(value)
    if key is None or "@" not in key:
        return None
    domain = key.rpartition("@")[2].strip()
    return domain or None


# Public mail providers: an address there says nothing about the company (P-5 email-domain
# guess). Planhat publishes no such list, so this one is decided: the common webmail domains.
PUBLIC_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.fr", "ymail.com",
        "hotmail.com", "hotmail.co.uk", "hotmail.fr", "outlook.com", "live.com", "msn.com",
        "icloud.com", "me.com", "mac.com", "aol.com", "gmx.com", "gmx.de", "gmx.net", "web.de",
        "proton.me", "protonmail.com", "pm.me", "yandex.com", "yandex.ru", "mail.ru", "qq.com",
        "163.com", "126.com", "zoho.com", "fastmail.com", "hey.com", "tutanota.com", "mail.com",
    }
)  # fmt: skip


def _field_of(index_name: str) -> str:
    """An index named ``field#variant`` indexes ``field`` under another key (``email#domain``)."""
    return index_name.partition("#")[0]


class Collection:
    """The documents of one model, in creation order, with secondary indexes."""

    def __init__(
        self, model: str, indexes: Mapping[str, IndexKey], listener: ChangeListener | None = None
    ) -> None:
        self.model = model
        self.listener = listener  # told of every insert, update and removal
        self._docs: dict[str, Doc] = {}
        self._seq: dict[str, int] = {}
        self._next_seq = 0
        self._index_keys = dict(indexes)
        # field -> key -> ordered set of _ids (a dict used as an ordered set: O(1) removal)
        self._indexes: dict[str, dict[Hashable, dict[str, None]]] = {f: {} for f in indexes}

    def __len__(self) -> int:
        return len(self._docs)

    def __iter__(self) -> Iterator[Doc]:
        return iter(list(self._docs.values()))

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._docs

    def get(self, doc_id: str) -> Doc | None:
        return self._docs.get(doc_id)

    def live(self) -> Iterator[Doc]:
        """The documents in creation order, without copying the list (performance: a page of
        a million records reads only its window). Hold the tenant's lock while iterating."""
        return iter(self._docs.values())

    def seq(self, doc_id: str) -> int:
        """Creation order: lower is older (a frozen clock gives equal timestamps)."""
        return self._seq[doc_id]

    def find(self, field_name: str, value: Any) -> list[Doc]:
        """Documents whose indexed ``field_name`` has the key of ``value``, oldest first."""
        key = self._index_keys[field_name](value)
        if key is None:
            return []
        ids = self._indexes[field_name].get(key)
        if not ids:
            return []
        docs = [self._docs[i] for i in ids]
        if len(docs) > 1:
            docs.sort(key=lambda d: self._seq[d["_id"]])
        return docs

    def indexed(self, field_name: str) -> bool:
        return field_name in self._index_keys

    def keys(self, field_name: str) -> Iterator[Hashable]:
        """The distinct keys an index holds (e.g. every email domain of the endusers)."""
        return iter(list(self._indexes[field_name]))

    def count(self, field_name: str, value: Any) -> int:
        key = self._index_keys[field_name](value)
        return len(self._indexes[field_name].get(key, ())) if key is not None else 0

    def insert(self, doc: Doc) -> Doc:
        doc_id = doc["_id"]
        if doc_id in self._docs:
            raise KeyError(f"duplicate _id {doc_id}")
        self._docs[doc_id] = doc
        self._seq[doc_id] = self._next_seq
        self._next_seq += 1
        for field_name in self._indexes:
            self._index_add(field_name, doc)
        if self.listener is not None:
            self.listener(self.model, "insert", doc_id, doc)
        return doc

    def update(self, doc_id: str, changes: Mapping[str, Any]) -> Doc:
        """Apply a partial update; ``custom`` merges per key, as Planhat's PUT does."""
        doc = self._docs[doc_id]
        touched = [f for f in self._indexes if _field_of(f) in changes]
        for field_name in touched:
            self._index_remove(field_name, doc)
        for name, value in changes.items():
            if name == "custom" and isinstance(value, Mapping):
                doc.setdefault("custom", {}).update(value)
            else:
                doc[name] = value
        for field_name in touched:
            self._index_add(field_name, doc)
        if self.listener is not None:
            self.listener(self.model, "update", doc_id, doc)
        return doc

    def remove(self, doc_id: str) -> Doc | None:
        doc = self._docs.pop(doc_id, None)
        if doc is None:
            return None
        del self._seq[doc_id]
        for field_name in self._indexes:
            self._index_remove(field_name, doc)
        if self.listener is not None:
            self.listener(self.model, "remove", doc_id, None)
        return doc

    def clear(self) -> None:
        if self.listener is not None:
            for doc_id in self._docs:
                self.listener(self.model, "remove", doc_id, None)
        self._docs.clear()
        self._seq.clear()
        for index in self._indexes.values():
            index.clear()

    def _index_add(self, field_name: str, doc: Doc) -> None:
        key = self._index_keys[field_name](doc.get(_field_of(field_name)))
        if key is not None:
            self._indexes[field_name].setdefault(key, {})[doc["_id"]] = None

    def _index_remove(self, field_name: str, doc: Doc) -> None:
        key = self._index_keys[field_name](doc.get(_field_of(field_name)))
        if key is None:
            return
        ids = self._indexes[field_name].get(key)
        if ids is not None:
            ids.pop(doc["_id"], None)
            if not ids:
                del self._indexes[field_name][key]


GroupPolicy = Literal["metrics", "upsert"]
PagePolicy = Literal["activity", "ignore"]
LimitsPolicy = Literal["off", "planhat"]
GuessPolicy = Literal["domain", "off"]

# Each tenant setting, its allowed values (the first is the default). One table, so the control
# plane, seeds, the CLI, the pytest marker and FakePlanhat(...) take the same names and values.
SETTING_CHOICES: dict[str, tuple[str, ...]] = {
    "unassigned": ("keep", "discard"),  # P-8 (decided)
    "group": ("metrics", "upsert"),  # P-7: metrics is documented, upsert decided
    "page": ("activity", "ignore"),  # P-6a (decided)
    "guess": ("domain", "off"),  # P-5's email-domain guess (its 'certain enough' is decided)
    "limits": ("off", "planhat"),  # R-9 (decided: off by default)
}
# Planhat's REST hosts are api.planhat.com and api-<region>.planhat.com.
REGION_PATTERN = re.compile(r"api(-[a-z]+[0-9]*)?")
KNOWN_REGIONS = ("api", "api-eu", "api-eu2", "api-eu3", "api-us2", "api-us4")
DEFAULT_REGION = "api"


def setting_problem(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be the tenant setting ``name``, or None when it can."""
    if name == "region":
        if isinstance(value, str) and REGION_PATTERN.fullmatch(value):
            return None
        return f"region must be a Planhat REST region such as 'api' or 'api-eu', got {value!r}"
    choices = SETTING_CHOICES.get(name)
    if choices is None:
        known = ", ".join([*SETTING_CHOICES, "region"])
        return f"{name} is not a setting; the settings are {known}"
    if value not in choices:
        return f"{name} must be {' or '.join(repr(c) for c in choices)}, got {value!r}"
    return None


@dataclass
class TenantSettings:
    """Per-tenant behaviour switches: ``unassigned`` (P-8), ``group`` (P-7), ``page`` (P-6a),
    ``guess`` (P-5), ``limits`` (R-9) and ``region`` (R-10)."""

    unassigned: UnassignedPolicy = "keep"
    group: GroupPolicy = "metrics"
    page: PagePolicy = "activity"
    guess: GuessPolicy = "domain"
    limits: LimitsPolicy = "off"
    region: str = DEFAULT_REGION

    def to_json(self) -> dict[str, Any]:
        return {
            "unassigned": self.unassigned,
            "group": self.group,
            "page": self.page,
            "guess": self.guess,
            "limits": self.limits,
            "region": self.region,
        }

    def changed(self, **changes: Any) -> TenantSettings:
        """A copy with ``changes`` applied; raises ValueError naming every bad one."""
        problems = [p for n, v in changes.items() if (p := setting_problem(n, v)) is not None]
        if problems:
            raise ValueError("; ".join(problems))
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TenantSettings:
        """Settings from their JSON (missing ones take their defaults); ValueError when bad."""
        return cls().changed(**dict(data))


@dataclass
class UnassignedEntry:
    """Why and since when a contact waits for a person (rule P-8)."""

    contact_id: str
    since: str
    message_id: str | None
    company_key: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "contactId": self.contact_id,
            "since": self.since,
            "messageId": self.message_id,
            "companyKey": self.company_key,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UnassignedEntry:
        return cls(
            contact_id=data["contactId"],
            since=data["since"],
            message_id=data.get("messageId"),
            company_key=data.get("companyKey"),
        )


class WatchedUnassigned(MutableMapping[str, UnassignedEntry]):
    """A watched tenant's unassigned list (contact ``_id`` -> entry, in arrival order): every
    change is told to the listener as the model :data:`UNASSIGNED`."""

    def __init__(self, entries: Mapping[str, UnassignedEntry], listener: ChangeListener) -> None:
        self._entries = dict(entries)
        self._listener = listener

    def __getitem__(self, contact_id: str) -> UnassignedEntry:
        return self._entries[contact_id]

    def __contains__(self, contact_id: object) -> bool:
        return contact_id in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __setitem__(self, contact_id: str, entry: UnassignedEntry) -> None:
        kind: ChangeKind = "update" if contact_id in self._entries else "insert"
        self._entries[contact_id] = entry
        self._listener(UNASSIGNED, kind, contact_id, entry.to_json())

    def __delitem__(self, contact_id: str) -> None:
        del self._entries[contact_id]
        self._listener(UNASSIGNED, "remove", contact_id, None)


class TenantLock:
    """A watched tenant's re-entrant lock: as its holder lets go of the outermost level,
    ``on_release`` runs first, still under the lock, so each holder's changes are handled whole
    and one holder after another, in the order they were made."""

    def __init__(self, on_release: Callable[[], None]) -> None:
        self._lock = threading.RLock()
        self._depth = 0  # only changed by the holder
        self._owner: int | None = None
        self._on_release = on_release

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not self._lock.acquire(blocking, timeout):
            return False
        self._depth += 1
        self._owner = threading.get_ident()
        return True

    def release(self) -> None:
        if self._owner != threading.get_ident():
            raise RuntimeError("cannot release a tenant lock this thread does not hold")
        if self._depth > 1:
            self._depth -= 1
            self._lock.release()
            return
        try:
            self._on_release()
        finally:
            self._depth = 0
            self._owner = None
            self._lock.release()

    def held(self) -> bool:
        """Whether the calling thread holds the lock."""
        return self._owner == threading.get_ident()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.release()


@dataclass
class Tenant:
    """One Planhat tenant: its tokens, settings and documents, behind one lock."""

    token: str
    clock: Clock
    ids: ObjectIdFactory
    api_tokens: dict[str, str] = field(default_factory=dict)  # API token -> "write" | "read"
    settings: TenantSettings = field(default_factory=TenantSettings)
    lock: threading.RLock | TenantLock = field(default_factory=threading.RLock, repr=False)

    def __post_init__(self) -> None:
        # Imported here: the declarations import this module (the store knows no REST rules).
        from fake_planhat.planhat._resources import RESOURCES

        # One Collection per Planhat object, keyed by its URL path name ("endusers", "assets").
        self._objects: dict[str, Collection] = {
            r.name: Collection(r.model, r.index_keys()) for r in RESOURCES
        }
        self.contacts = self._objects["endusers"]
        self.companies = self._objects["companies"]
        self.activities = Collection("activity", {"contactId": plain_key, "companyId": plain_key})
        self.metrics = Collection("metric", {"companyId": plain_key, "dimensionId": plain_key})
        # contact _id -> entry; such contacts are in self.contacts but are not endusers yet
        self.unassigned: MutableMapping[str, UnassignedEntry] = {}

    def collections(self) -> dict[str, Collection]:
        """Every collection, keyed by its name in the API (``endusers``, ``assets`` …)."""
        return {**self._objects, "activities": self.activities, "metrics": self.metrics}

    def collection(self, name: str) -> Collection:
        """The collection of one Planhat object by its path name (``assets``); KeyError if none."""
        return self._objects[name]

    def watch(self, listener: ChangeListener, on_release: Callable[[], None]) -> None:
        """Tell ``listener`` every change to this tenant's documents and unassigned list, and
        call ``on_release`` each time a holder of the lock lets go (still holding it). Call it
        before the tenant is shared: it replaces the lock."""
        for collection in self.collections().values():
            collection.listener = listener
        self.unassigned = WatchedUnassigned(self.unassigned, listener)
        self.lock = TenantLock(on_release)

    def reset(self) -> None:
        with self.lock:
            for collection in self.collections().values():
                collection.clear()
            self.unassigned.clear()

    # --- document factories -------------------------------------------------------------

    def new_doc(self, fields: Mapping[str, Any]) -> Doc:
        """A document with Planhat's bookkeeping fields; ``fields`` win over defaults."""
        now = self.clock.now_iso()
        doc: Doc = {"_id": self.ids.new(), "createDate": now, "updatedAt": now, "__v": 0}
        doc.update(fields)
        return doc

    def create_contact(self, fields: Mapping[str, Any]) -> Doc:
        doc = self.new_doc({"custom": {}, **fields})
        return self.contacts.insert(doc)

    def create_company(self, fields: Mapping[str, Any]) -> Doc:
        doc = self.new_doc({"custom": {}, **fields})
        return self.companies.insert(doc)

    def update_doc(self, collection: Collection, doc_id: str, changes: Mapping[str, Any]) -> Doc:
        return collection.update(doc_id, {**changes, "updatedAt": self.clock.now_iso()})

    # --- lookups ------------------------------------------------------------------------

    def company_by_key(self, company_key: str | None) -> Doc | None:
        """The company whose ``externalId`` equals a company key (oldest on a tie)."""
        if company_key is None:
            return None
        found = self.companies.find("externalId", company_key)
        return found[0] if found else None

    def company_for_email_domain(self, email: str) -> Doc | None:
        """The one company an email's domain points to (P-5's guess, R-6's ``domains``): its
        explicit ``domains`` or its endusers' email domains hold the domain, no other company's
        do, and the domain is not a public mail provider (a decided list). Else None."""
        domain = email_domain(email)
        if domain is None or domain in PUBLIC_MAIL_DOMAINS:
            return None
        ids = {
            c["companyId"]
            for c in self.contacts.find("email#domain", email)
            if c.get("companyId") and c["_id"] not in self.unassigned
        }
        for company in self.companies:
            explicit = company.get("domains")
            if isinstance(explicit, list) and any(
                isinstance(d, str) and d.strip().casefold() == domain for d in explicit
            ):
                ids.add(company["_id"])
        if len(ids) != 1:
            return None
        return self.companies.get(ids.pop())

    def is_enduser(self, contact_id: str) -> bool:
        """An unassigned contact is not an enduser yet (rule P-8)."""
        return contact_id in self.contacts and contact_id not in self.unassigned

    def endusers(self) -> Iterator[Doc]:
        return (c for c in self.contacts if c["_id"] not in self.unassigned)

    def render_contact(self, doc: Doc) -> Doc:
        """A contact as the API shows it: a copy, with ``companyName`` from its company."""
        shown = copy.deepcopy(doc)
        company = self.companies.get(doc.get("companyId") or "")
        if company is not None:
            shown["companyName"] = company.get("name")
        return shown

    # --- rule P-8 actions ---------------------------------------------------------------

    def assign(self, contact_id: str, company_id: str) -> Doc:
        """Assign an unassigned contact to a company: it becomes an ordinary enduser."""
        with self.lock:
            if contact_id not in self.unassigned:
                raise LookupError(f"contact {contact_id} is not waiting in the unassigned list")
            if company_id not in self.companies:
                raise LookupError(f"company {company_id} does not exist")
            del self.unassigned[contact_id]
            return self.update_doc(self.contacts, contact_id, {"companyId": company_id})

    def discard(self, contact_id: str) -> Doc:
        """Discard an unassigned contact: it is removed, with the activities it had."""
        with self.lock:
            if contact_id not in self.unassigned:
                raise LookupError(f"contact {contact_id} is not waiting in the unassigned list")
            doc = self.remove_contact(contact_id)
            assert doc is not None
            return doc

    def remove_contact(self, contact_id: str) -> Doc | None:
        """Remove a contact with its activities and any unassigned entry (discard, REST
        delete, a deleted company): a contact's data never outlives it."""
        with self.lock:
            for activity in self.activities.find("contactId", contact_id):
                self.activities.remove(activity["_id"])
            self.unassigned.pop(contact_id, None)
            return self.contacts.remove(contact_id)

    def dump(self) -> dict[str, Any]:
        """The tenant's whole state as JSON (control plane, dashboard, persistence)."""
        with self.lock:
            return {
                "settings": self.settings.to_json(),
                "companies": [copy.deepcopy(c) for c in self.companies],
                "endusers": [self.render_contact(c) for c in self.endusers()],
                "unassigned": [
                    {
                        **self.render_contact(self.contacts.get(e.contact_id) or {}),
                        "_unassigned": e.to_json(),
                    }
                    for e in self.unassigned.values()
                ],
                "activities": [copy.deepcopy(a) for a in self.activities],
                "metrics": [copy.deepcopy(m) for m in self.metrics],
                **{
                    name: [copy.deepcopy(d) for d in collection]
                    for name, collection in self._objects.items()
                    if name not in ("endusers", "companies")
                },
            }


class TenantWatcher(Protocol):
    """Told of each tenant a :class:`Store` makes or drops, and of changes to a tenant's API
    tokens or settings (the SQLite persistence, for one)."""

    def watch(self, tenant: Tenant) -> None:
        """A new tenant, before anyone else can reach it."""

    def tenant_changed(self, tenant: Tenant) -> None:
        """Its API tokens or settings changed (or it was just made)."""

    def tenant_removed(self, token: str) -> None: ...


class Store:
    """Every tenant of one fake, keyed by tenant token, plus the API-token directory."""

    def __init__(self, clock: Clock, ids: ObjectIdFactory) -> None:
        self.clock = clock
        self.ids = ids
        self._tenants: dict[str, Tenant] = {}
        self._api_tokens: dict[str, str] = {}  # API token -> tenant token
        self._lock = threading.Lock()
        self.watcher: TenantWatcher | None = None

    def add_tenant(
        self,
        token: str,
        api_tokens: Mapping[str, str] | None = None,
        settings: TenantSettings | None = None,
    ) -> Tenant:
        """Create (or return) a tenant; ``api_tokens`` maps each REST token to its scope."""
        with self._lock:
            tenant = self._tenants.get(token)
            created = tenant is None
            if tenant is None:
                tenant = Tenant(token=token, clock=self.clock, ids=self.ids.for_tenant(token))
                if self.watcher is not None:
                    self.watcher.watch(tenant)
                self._tenants[token] = tenant
            try:
                for api_token, scope in (api_tokens or {}).items():
                    owner = self._api_tokens.get(api_token)
                    if owner is not None and owner != token:
                        raise ValueError("that API token already belongs to another tenant")
                    tenant.api_tokens[api_token] = scope
                    self._api_tokens[api_token] = token
                if settings is not None:
                    tenant.settings = settings
            finally:
                if self.watcher is not None and (created or api_tokens or settings is not None):
                    self.watcher.tenant_changed(tenant)
            return tenant

    def remove_tenant(self, token: str) -> None:
        with self._lock:
            tenant = self._tenants.pop(token, None)
            if tenant is not None:
                for api_token in tenant.api_tokens:
                    self._api_tokens.pop(api_token, None)
                if self.watcher is not None:
                    self.watcher.tenant_removed(token)

    def tenant(self, token: str) -> Tenant | None:
        return self._tenants.get(token)

    def tenant_for_api_token(self, api_token: str) -> tuple[Tenant, str] | None:
        tenant_token = self._api_tokens.get(api_token)
        if tenant_token is None:
            return None
        tenant = self._tenants[tenant_token]
        return tenant, tenant.api_tokens[api_token]

    def tenants(self) -> list[Tenant]:
        return list(self._tenants.values())
