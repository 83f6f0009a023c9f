"""The dashboard: one tenant's state and the request journal in a browser, under ``/_fake/ui``.

Server-rendered with Jinja (autoescaped: Segment data is hostile, a ``<script>`` trait renders as
text) and usable without JavaScript; ``static/dashboard.js`` re-fetches the live parts from
``/_fake/ui/live`` every two seconds. Rule P-8's person works here: each unassigned contact has
plain forms that POST, call :meth:`FakePlanhat.assign` / :meth:`FakePlanhat.discard` and answer
303 back to the page (POST/redirect/GET).

Tenants appear by fingerprint only (``?tenant=fp:11e594f4``), never by token. The admin-token
rule is the control plane's (:mod:`fake_planhat.api.gate`); a browser, which cannot send a
header, types the token once into the login form and keeps it in a cookie scoped to
``/_fake/ui``. Documented in docs/control-plane.md ("Dashboard").
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from fake_planhat import errors
from fake_planhat.api.common import fake
from fake_planhat.api.gate import ADMIN_COOKIE, DASHBOARD_PREFIX
from fake_planhat.app import is_control_path
from fake_planhat.auth import fingerprint
from fake_planhat.journal import Entry
from fake_planhat.state import Doc, Tenant

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

bp = Blueprint("dashboard", __name__, static_folder=str(STATIC_DIR), static_url_path="/ui/static")

# Query parameters of every dashboard address: the tenant, the journal's filters, the object
# tab shown, and the page of each list.
LISTS = ("contacts", "unassigned", "companies", "object")  # each paged as <list>Page
PAGE_ARGS = (
    "tenant",
    "route",
    "status",
    "messageId",
    "contact",
    "limit",
    "object",
    *(f"{name}Page" for name in LISTS),
)
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
# Memory and time bounded by construction (docs/security.md): a page shows at most PAGE_SIZE
# documents per list, a few activities or data points per row, and clipped bodies; it never
# copies or walks a whole tenant.
PAGE_SIZE = 50
MAX_PAGE = 10**9
PER_ROW = 10  # activities of a contact, data points of a company
MAX_CHOICES = 200  # companies offered in an assign form's list; beyond, an _id field
SHOWN_CHARS = 8 * 1024  # of a journaled body or answer
PRETTY_CHARS = 64 * 1024  # longer bodies are not re-indented
POLL_MS = 2000
LONG_TEXT = 160  # characters: longer values and bodies fold into <details>
# Shown in a row's own columns (the dates under the name), or bookkeeping.
HIDDEN_FIELDS = frozenset(
    {"_id", "__v", "createDate", "updatedAt", "custom", "companyId", "companyName", "source"}
    | {"name", "email", "externalId", "_unassigned"}
)


@dataclass(frozen=True)
class Filters:
    """The journal filters of the page (all optional, combined with AND), the object tab and
    the page of each list."""

    route: str = ""
    status: int | None = None
    message_id: str = ""
    contact: str = ""  # a contact's _id, or an email (every contact with it)
    limit: int = DEFAULT_LIMIT
    object: str = ""  # the collection shown in the objects tab
    pages: tuple[tuple[str, int], ...] = ()  # (list, page) for pages other than the first

    def page(self, name: str) -> int:
        return dict(self.pages).get(name, 1)

    def args(self) -> dict[str, str]:
        """The filters as query parameters, defaults left out."""
        given = {
            "route": self.route,
            "status": "" if self.status is None else str(self.status),
            "messageId": self.message_id,
            "contact": self.contact,
            "limit": "" if self.limit == DEFAULT_LIMIT else str(self.limit),
            "object": self.object,
            **{f"{name}Page": str(number) for name, number in self.pages},
        }
        return {name: value for name, value in given.items() if value}


# The form field every dashboard form carries (docs/security.md): an HMAC of the app's own
# random key, so a page of another site, which cannot read the dashboard, cannot send it.
CSRF_FIELD = "csrf"
CSRF_KEY_CONFIG = "FAKE_PLANHAT_CSRF_KEY"


def csrf_token() -> str:
    """The token this app's dashboard forms carry."""
    key = current_app.config.get(CSRF_KEY_CONFIG)
    if not isinstance(key, bytes):
        key = current_app.config.setdefault(CSRF_KEY_CONFIG, secrets.token_bytes(32))
    return hmac.new(key, b"fake-planhat dashboard form", hashlib.sha256).hexdigest()[:32]


def _check_csrf() -> None:
    given = request.form.get(CSRF_FIELD, "")
    if not hmac.compare_digest(given.encode("utf-8", "replace"), csrf_token().encode()):
        raise errors.dashboard_bad_csrf()


# --- reading the request ---------------------------------------------------------------------


def _number(name: str, minimum: int, maximum: int) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise errors.dashboard_bad_number(name, raw, minimum, maximum) from None
    if not minimum <= value <= maximum:
        raise errors.dashboard_bad_number(name, raw, minimum, maximum)
    return value


def _selected_tenant() -> Tenant:
    """``?tenant=fp:<8 hex>`` (the ``fp:`` optional); without it, the fake's own tenant."""
    planhat = fake()
    given = request.args.get("tenant", "").strip().lower()
    if not given:
        return planhat.tenant()
    token_fp = given.removeprefix("fp:")
    if len(token_fp) != 8 or any(c not in "0123456789abcdef" for c in token_fp):
        raise errors.dashboard_bad_tenant()
    for tenant in planhat.store.tenants():
        if fingerprint(tenant.token) == token_fp:
            return tenant
    raise errors.dashboard_unknown_tenant(token_fp)


def _read_args() -> tuple[Tenant, Filters]:
    for name in request.args:
        if name not in PAGE_ARGS:
            raise errors.dashboard_unknown_query(name, PAGE_ARGS)
    tenant = _selected_tenant()
    filters = Filters(
        route=request.args.get("route", "").strip(),
        status=_number("status", 100, 599),
        message_id=request.args.get("messageId", "").strip(),
        contact=request.args.get("contact", "").strip(),
        limit=_number("limit", 1, MAX_LIMIT) or DEFAULT_LIMIT,
        object=request.args.get("object", "").strip(),
        pages=tuple(
            (name, number)
            for name in LISTS
            if (number := _number(f"{name}Page", 1, MAX_PAGE)) is not None and number > 1
        ),
    )
    return tenant, filters


def _page_args(tenant: Tenant, filters: Filters) -> dict[str, str]:
    return {"tenant": _fp(tenant), **filters.args()}


def _address(endpoint: str, args: dict[str, str]) -> str:
    """A dashboard address with its query (the tenant and filters)."""
    return f"{url_for(endpoint)}?{urlencode(args, safe=':')}"  # fp:… reads as in the page


def _fp(tenant: Tenant) -> str:
    return f"fp:{fingerprint(tenant.token)}"


# --- what the page shows ---------------------------------------------------------------------


def shown(value: Any) -> str:
    """A field's value as text: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def pretty(body: str) -> str:
    """A journaled body as shown: a long JSON object or array indented, anything else as is;
    clipped at :data:`SHOWN_CHARS` (the whole is in ``GET /_fake/journal``)."""
    return _clip(_indented(body))


def _clip(text: str) -> str:
    if len(text) <= SHOWN_CHARS:
        return text
    return f"{text[:SHOWN_CHARS]}\n… ({len(text)} characters in all; GET /_fake/journal has them)"


def _indented(body: str) -> str:
    if not is_long(body) or len(body) > PRETTY_CHARS:
        return body
    try:
        parsed = json.loads(body)
        if isinstance(parsed, dict | list):
            return json.dumps(parsed, ensure_ascii=False, indent=2)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to indent: as sent
        return body
    return body


def is_long(text: str) -> bool:
    return len(text) > LONG_TEXT or text.count("\n") > 2


def _label(doc: Doc) -> str:
    for name in ("name", "email", "externalId", "_id"):
        value = doc.get(name)
        if isinstance(value, str | int | float) and not isinstance(value, bool) and value != "":
            return str(value)
    return "(unnamed)"


def _fields(doc: Doc) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in HIDDEN_FIELDS}


def _custom(doc: Doc) -> dict[str, Any]:
    custom = doc.get("custom")
    return dict(custom) if isinstance(custom, dict) else {}


@dataclass(frozen=True)
class Paged:
    """One page of a list: its rows, where it starts, how many there are in all."""

    name: str
    rows: list[dict[str, Any]]
    page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def _window(items: Iterable[Any], page: int) -> list[Any]:
    start = (page - 1) * PAGE_SIZE
    return list(islice(items, start, start + PAGE_SIZE))


def _newest(docs: list[Doc]) -> list[Doc]:
    """The newest :data:`PER_ROW` of a row's activities or data points (copies)."""
    return [copy.deepcopy(d) for d in docs[-PER_ROW:]]


def tenant_view(tenant: Tenant, filters: Filters | None = None) -> dict[str, Any]:
    """One page of each list: contacts with their newest activities, unassigned contacts,
    companies with their newest metric data points, and the chosen object tab; every
    collection of the tenant is named with its count. Only what is shown is copied."""
    filters = filters or Filters()
    with tenant.lock:
        collections = tenant.collections()
        contact_total = len(tenant.contacts) - len(tenant.unassigned)
        contacts = Paged(
            "contacts",
            [
                _contact_row(tenant, tenant.render_contact(doc))
                for doc in _window(tenant.endusers(), filters.page("contacts"))
            ],
            filters.page("contacts"),
            contact_total,
        )
        waiting = []
        for entry in _window(tenant.unassigned.values(), filters.page("unassigned")):
            doc = tenant.contacts.get(entry.contact_id)
            if doc is not None:
                shown = {**tenant.render_contact(doc), "_unassigned": entry.to_json()}
                waiting.append({**_contact_row(tenant, shown), "waiting": entry.to_json()})
        unassigned = Paged(
            "unassigned", waiting, filters.page("unassigned"), len(tenant.unassigned)
        )
        companies = Paged(
            "companies",
            [
                _company_row(tenant, copy.deepcopy(doc))
                for doc in _window(tenant.companies, filters.page("companies"))
            ],
            filters.page("companies"),
            len(tenant.companies),
        )
        choices = [
            {"doc": {"_id": c["_id"], "externalId": c.get("externalId")}, "label": _label(c)}
            for c in islice(tenant.companies, MAX_CHOICES)
        ]
        names = list(collections)
        chosen = filters.object if filters.object in collections else _default_object(names)
        objects = Paged(
            "object",
            [
                {
                    "doc": copy.deepcopy(doc),
                    "label": _label(doc),
                    "fields": _fields(doc),
                    "custom": _custom(doc),
                }
                for doc in _window(collections[chosen], filters.page("object"))
            ]
            if chosen
            else [],
            filters.page("object"),
            len(collections[chosen]) if chosen else 0,
        )
        return {
            "settings": tenant.settings.to_json(),
            "contacts": contacts,
            "unassigned": unassigned,
            "companies": companies,
            "company_choices": choices,
            "more_companies": len(tenant.companies) > MAX_CHOICES,
            "collections": [{"name": n, "count": len(collections[n])} for n in names],
            "object_name": chosen,
            "objects": objects,
        }


def _default_object(names: list[str]) -> str:
    """The objects tab's default: the first collection the contact and company lists do not
    already show."""
    for name in names:
        if name not in ("endusers", "companies"):
            return name
    return names[0] if names else ""


def _contact_row(tenant: Tenant, doc: Doc) -> dict[str, Any]:
    activities = tenant.activities.find("contactId", doc["_id"])
    return {
        "doc": doc,
        "label": _label(doc),
        "fields": _fields(doc),
        "custom": _custom(doc),
        "activities": _newest(activities),
        "activity_count": len(activities),
    }


def _company_row(tenant: Tenant, doc: Doc) -> dict[str, Any]:
    metrics = tenant.metrics.find("companyId", doc["_id"])
    return {
        "doc": doc,
        "label": _label(doc),
        "fields": _fields(doc),
        "custom": _custom(doc),
        "metrics": _newest(metrics),
        "metric_count": len(metrics),
        "endusers": tenant.contacts.count("companyId", doc["_id"]),
    }


def _contact_ids(tenant: Tenant, contact: str) -> set[str]:
    """The contacts a filter names: an ``_id`` as given, an email as every contact with it."""
    if "@" not in contact:
        return {contact}
    with tenant.lock:
        return {doc["_id"] for doc in tenant.contacts.find("email", contact)}


def entry_view(entry: Entry) -> dict[str, Any]:
    target = entry.path + (f"?{entry.query}" if entry.query else "")
    return {
        **entry.to_json(),
        "target": target,
        "statusClass": f"s{entry.status // 100}xx",
        "body": pretty(entry.body),
        "answer": pretty(entry.answer),
    }


def journal_view(tenant: Tenant, filters: Filters) -> dict[str, Any]:
    """The newest ``limit`` matching entries, newest first: the tenant's requests and those no
    tenant claimed (a 401, an unknown route), where near misses are most useful."""
    log = fake().journal
    found = log.query(
        route=filters.route or None,
        message_id=filters.message_id or None,
        status=filters.status,
    )
    own = fingerprint(tenant.token)
    wanted = _contact_ids(tenant, filters.contact) if filters.contact else None
    matched = [
        e
        for e in found
        if e.tenant in (own, None) and (wanted is None or not wanted.isdisjoint(e.contacts))
    ]
    return {
        "entries": [entry_view(e) for e in reversed(matched[-filters.limit :])],
        "matched": len(matched),
        "recorded": log.total,
        "dropped": log.dropped,
        "maxEntries": log.max_entries,
    }


def _tenants() -> list[dict[str, Any]]:
    """Every tenant by fingerprint, the fake's own first."""
    planhat = fake()
    tenants = sorted(planhat.store.tenants(), key=lambda t: t.token != planhat.tenant_token)
    return [
        {"fp": _fp(t), "default": t.token == planhat.tenant_token, "contacts": len(t.contacts)}
        for t in tenants
    ]


def _planhat_routes() -> list[str]:
    """Journal route filter suggestions: every Planhat endpoint and blueprint."""
    endpoints = {
        rule.endpoint for rule in current_app.url_map.iter_rules() if not is_control_path(rule.rule)
    }
    return sorted(endpoints | {e.split(".")[0] for e in endpoints})


def _context(tenant: Tenant, filters: Filters) -> dict[str, Any]:
    args = _page_args(tenant, filters)

    def page_link(name: str, number: int, anchor: str) -> str:
        """This page with list ``name`` at page ``number``."""
        wanted = {k: v for k, v in args.items() if k != f"{name}Page"}
        if number > 1:
            wanted[f"{name}Page"] = str(number)
        return _address("dashboard.page", wanted) + anchor

    def object_link(name: str) -> str:
        wanted = {k: v for k, v in args.items() if k not in ("object", "objectPage")}
        return _address("dashboard.page", {**wanted, "object": name}) + "#objects"

    return {
        "page_link": page_link,
        "object_link": object_link,
        "tenant_fp": _fp(tenant),
        "tenants": _tenants(),
        "view": tenant_view(tenant, filters),
        "journal": journal_view(tenant, filters),
        "filters": filters,
        "args": args,
        "tenant_args": {"tenant": args["tenant"]},
        "live_url": _address("dashboard.live", args),
        "poll_ms": POLL_MS,
        "page_size": PAGE_SIZE,
    }


@bp.app_context_processor
def _csrf_context() -> dict[str, Any]:
    return {"csrf_field": CSRF_FIELD, "csrf_token": csrf_token}


@bp.app_template_filter("dash_shown")
def _shown_filter(value: Any) -> str:
    return shown(value)


@bp.app_template_filter("dash_long")
def _long_filter(text: str) -> bool:
    return is_long(text)


# --- the views -------------------------------------------------------------------------------


@bp.get("/ui")
def page() -> str:
    tenant, filters = _read_args()
    clock = fake().clock
    return render_template(
        "dashboard_page.html",
        clock={"now": clock.now_iso(), "frozen": clock.frozen},
        routes=_planhat_routes(),
        **_context(tenant, filters),
    )


@bp.get("/ui/live")
def live() -> str:
    """The page's live parts, for dashboard.js to swap in."""
    tenant, filters = _read_args()
    return render_template("dashboard_live.html", **_context(tenant, filters))


def _back(tenant: Tenant, filters: Filters, anchor: str) -> WerkzeugResponse:
    return redirect(_address("dashboard.page", _page_args(tenant, filters)) + anchor, 303)


@bp.post("/ui/unassigned/<contact_id>/assign")
def assign_contact(contact_id: str) -> WerkzeugResponse:
    """Rule P-8: a person assigns a waiting contact to a company (``company``: its ``_id``)."""
    _check_csrf()
    tenant, filters = _read_args()
    company = request.form.get("company", "").strip()
    if not company:
        raise errors.dashboard_missing_company()
    try:
        fake().assign(contact_id, company, tenant.token)
    except LookupError as exc:
        raise errors.control_not_found(str(exc)) from None
    return _back(tenant, filters, "#unassigned")


@bp.post("/ui/unassigned/<contact_id>/discard")
def discard_contact(contact_id: str) -> WerkzeugResponse:
    """Rule P-8: a person discards a waiting contact (and its activities)."""
    _check_csrf()
    tenant, filters = _read_args()
    try:
        fake().discard(contact_id, tenant.token)
    except LookupError as exc:
        raise errors.control_not_found(str(exc)) from None
    return _back(tenant, filters, "#unassigned")


def _dashboard_target(wanted: str) -> str:
    """The dashboard page ``wanted`` names, its query re-encoded; anything else is the page
    itself (no open redirect, no header injection)."""
    parts = urlsplit(wanted)
    if parts.scheme or parts.netloc or parts.path != DASHBOARD_PREFIX:
        return DASHBOARD_PREFIX
    query = parse_qsl(parts.query)
    return f"{DASHBOARD_PREFIX}?{urlencode(query, safe=':')}" if query else DASHBOARD_PREFIX


@bp.post("/ui/login")
def login() -> WerkzeugResponse:
    """Keep the typed admin token in a cookie for the dashboard's paths; an empty one forgets it.

    Open without the token (gate.py): the gate checks the cookie on the next page, so a wrong
    token shows the login form again.
    """
    _check_csrf()
    token = request.form.get("adminToken", "").strip()
    response = redirect(_dashboard_target(request.form.get("next", "")), 303)
    if token:
        response.set_cookie(
            ADMIN_COOKIE, token, httponly=True, samesite="Strict", path=DASHBOARD_PREFIX
        )
    else:
        response.delete_cookie(ADMIN_COOKIE, path=DASHBOARD_PREFIX)
    return response


# --- errors as pages -------------------------------------------------------------------------


def _error_page(status: int, message: str) -> tuple[str, int]:
    # Back to the page the browser asked for, after logging in (GET pages only).
    wanted = request.full_path.rstrip("?") if request.method == "GET" else DASHBOARD_PREFIX
    page_wanted = request.path == DASHBOARD_PREFIX
    html = render_template(
        "dashboard_error.html",
        status=status,
        reason=errors.reason_phrase(status),
        message=message,
        login=status == 401,
        next=wanted if page_wanted else DASHBOARD_PREFIX,
    )
    return html, status


@bp.errorhandler(errors.ControlPlaneError)
def _control_error(exc: errors.ControlPlaneError) -> tuple[str, int]:
    """The control plane's plain words (the gate's 401/403 too), as an HTML page."""
    return _error_page(exc.status, exc.message)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[str, int]:
    return _error_page(exc.code or 400, exc.description or exc.name)
