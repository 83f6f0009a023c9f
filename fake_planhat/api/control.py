"""The fake's control plane under ``/_fake``: look inside, set up, break on purpose.

Every answer is JSON; errors are plain words, ``{"error": "..."}``. JSON keys are camelCase
throughout (``retryAfter``, ``onCalls``, ``tenantToken``). Tenants are named by their tenant token
in ``?tenant=`` (default: the fake's own tenant) and shown by fingerprint. The admin-token check
runs before these views (:mod:`fake_planhat.api.gate`). Documented in docs/control-plane.md and
``fake_planhat/control-openapi.yaml``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from importlib import metadata
from typing import Any

from flask import Blueprint, Response, current_app, request

from fake_planhat import errors, seeding
from fake_planhat.api.common import JsonProblem, fake, json_response, parse_json
from fake_planhat.app import is_control_path, region_base_url
from fake_planhat.auth import fingerprint
from fake_planhat.state import KNOWN_REGIONS, SETTING_CHOICES, Tenant

SETTING_NAMES = (*SETTING_CHOICES, "region")  # the tenant settings, as every door names them
bp = Blueprint("control", __name__)

# Faults.add's keyword arguments, as the control plane spells them.
FAULT_KEYS = {
    "path": "path",
    "method": "method",
    "status": "status",
    "retryAfter": "retry_after",
    "latency": "latency",
    "cut": "cut",
    "onCalls": "on_calls",
    "probability": "probability",
    "seed": "seed",
    "times": "times",
}
RATE_LIMIT_KEYS = {"perSecond": "per_second", "perMinute": "per_minute", "burst": "burst"}
JOURNAL_ARGS = (
    "route",
    "tenant",
    "messageId",
    "contact",
    "company",
    "method",
    "host",
    "status",
    "since",
    "limit",
)
DEFAULT_JOURNAL_LIMIT = 100
MAX_ADVANCE_SECONDS = 100 * 365 * 24 * 3600  # a century: beyond it datetime overflows soon


# --- reading the request ---------------------------------------------------------------------


def _body(*, required: bool = True) -> dict[str, Any]:
    """The JSON object in the body ({} when optional and empty)."""
    data = request.get_data(cache=True)
    if not data.strip():
        if required:
            raise errors.control_bad_request("send a JSON object as the request body")
        return {}
    try:
        value = parse_json(data)  # the same strict reading as Planhat routes
    except JsonProblem as problem:
        raise errors.control_invalid_json(problem.plain) from None
    if not isinstance(value, dict):
        raise errors.control_bad_request(
            f"the request body must be a JSON object, got {errors.json_type(value)}"
        )
    return value


def _only_keys(body: dict[str, Any], allowed: Any, snake: dict[str, str] | None = None) -> None:
    for key in body:
        if key in allowed:
            continue
        hint = ""
        if snake is not None:
            camel = next((c for c, s in snake.items() if s == key), None)
            if camel is not None:
                hint = f" (keys are camelCase: {camel})"
        raise errors.control_bad_request(
            f"unknown key {key!r}{hint}; allowed: {', '.join(allowed)}"
        )


def _args(*allowed: str) -> None:
    for name in request.args:
        if name not in allowed:
            accepted = ", ".join(allowed) if allowed else "none"
            raise errors.control_bad_request(
                f"unknown query parameter {name!r}; this endpoint takes: {accepted}"
            )


def _int_arg(name: str, *, minimum: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise errors.control_bad_request(
            f"query parameter {name} must be a whole number, got {raw!r}"
        ) from None
    if value < minimum:
        raise errors.control_bad_request(f"query parameter {name} must be >= {minimum}")
    return value


def _tenant(token: Any = None) -> Tenant:
    """The tenant named by ``token`` (else ``?tenant=``, else the fake's own)."""
    if token is None:
        token = request.args.get("tenant") or None
    if token is not None and (not isinstance(token, str) or not token):
        raise errors.control_bad_request("tenant must be a tenant token (a non-empty string)")
    planhat = fake()
    tenant = planhat.store.tenant(token or planhat.tenant_token)
    if tenant is None:
        raise errors.control_unknown_tenant(fingerprint(str(token)))
    return tenant


def _fp(tenant: Tenant) -> str:
    return f"fp:{fingerprint(tenant.token)}"


def _string(body: dict[str, Any], name: str) -> str | None:
    """An optional non-empty string member."""
    value = body.get(name)
    if value is not None and (not isinstance(value, str) or not value):
        raise errors.control_bad_request(
            f"{name} must be a non-empty string, got {errors.json_type(value)}"
        )
    return value


def _required_string(body: dict[str, Any], name: str) -> str:
    value = _string(body, name)
    if value is None:
        raise errors.control_bad_request(f"{name} is required (a non-empty string)")
    return value


def _call(action: Callable[[], Any], keys: dict[str, str] | None = None) -> Any:
    """Run a facade call, turning its LookupError/ValueError into plain-word errors (Python's
    argument names in the words respelled as the JSON keys in ``keys``)."""
    try:
        return action()
    except LookupError as exc:
        raise errors.control_not_found(str(exc.args[0]) if exc.args else str(exc)) from None
    except ValueError as exc:
        message = str(exc)
        for camel, snake in (keys or {}).items():
            message = re.sub(rf"\b{snake}\b", camel, message)
        raise errors.control_bad_request(message) from None


# --- health, reset, routes -------------------------------------------------------------------


def _version() -> str:
    try:
        return metadata.version("fake-planhat")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


@bp.get("/health")
def health() -> Response:
    _args()
    return json_response(
        {"status": "ok", "version": _version(), "tenants": len(fake().store.tenants())}
    )


@bp.post("/reset")
def reset() -> Response:
    """State and journal of one tenant, or everything (then also faults and rate usage)."""
    _args("tenant")
    body = _body(required=False)
    _only_keys(body, ("tenant",))
    token = body.get("tenant", request.args.get("tenant"))
    if token is None:
        fake().reset()
        return json_response({"reset": "all"})
    tenant = _tenant(token)
    fake().reset(tenant.token)
    return json_response({"reset": _fp(tenant)})


@bp.get("/routes")
def routes() -> Response:
    """Every Planhat route the fake serves (the control plane excluded)."""
    _args()
    found = [
        {"method": method, "path": rule.rule, "endpoint": rule.endpoint}
        for rule in current_app.url_map.iter_rules()
        if rule.endpoint != "static" and not is_control_path(rule.rule)
        for method in sorted(rule.methods or ())
        if method not in ("HEAD", "OPTIONS")
    ]
    found.sort(key=lambda r: (r["path"], r["method"]))
    return json_response({"routes": found})


# --- seed, state, tenants, settings ----------------------------------------------------------


@bp.post("/seed")
def seed() -> Response:
    _args()
    body = _body()
    try:
        seeded = seeding.seed(fake().store, body)
    except seeding.SeedError as exc:
        raise errors.control_bad_request(f"bad seed, nothing changed: {exc}") from None
    except ValueError as exc:  # an API token claimed by another tenant meanwhile
        raise errors.control_conflict(str(exc)) from None
    return json_response({"seeded": {f"fp:{fp}": counts for fp, counts in seeded.items()}})


@bp.get("/state")
def state() -> Response:
    _args("tenant")
    return json_response(_tenant().dump())


@bp.post("/tenants")
def add_tenant() -> Response:
    _args()
    body = _body()
    _only_keys(body, ("tenantToken", "apiToken", "readOnlyApiTokens", "unassigned"))
    token = _required_string(body, "tenantToken")
    api_token = _string(body, "apiToken")
    read_only = body.get("readOnlyApiTokens", [])
    if not isinstance(read_only, list) or not all(isinstance(t, str) and t for t in read_only):
        raise errors.control_bad_request("readOnlyApiTokens must be an array of non-empty strings")
    unassigned = body.get("unassigned", "keep")
    if unassigned not in ("keep", "discard"):
        raise errors.control_bad_request(
            f"unassigned must be 'keep' or 'discard', got {unassigned!r}"
        )
    planhat = fake()
    if planhat.store.tenant(token) is not None:
        raise errors.control_conflict(
            "that tenant already exists; change it with PUT /_fake/settings or POST /_fake/seed"
        )
    _refuse_used_tokens(token, [t for t in (api_token, *read_only) if t is not None])
    try:
        tenant = planhat.add_tenant(
            token, api_token, unassigned=unassigned, read_only_api_tokens=tuple(read_only)
        )
    except ValueError as exc:
        planhat.store.remove_tenant(token)
        raise errors.control_conflict(str(exc)) from None
    return json_response({"tenant": _fp(tenant), "settings": tenant.settings.to_json()}, 201)


def _refuse_used_tokens(tenant_token: str, api_tokens: list[str]) -> None:
    """409 when a new tenant's token is already in use anywhere (another tenant's API token, the
    admin token) or its API tokens name a tenant or repeat: a request with that token would
    otherwise reach another tenant's data."""
    planhat = fake()
    store = planhat.store
    taken = [tenant_token, *api_tokens]
    if len(set(taken)) != len(taken):
        raise errors.control_conflict(
            "the tenant token and API tokens must all differ from each other"
        )
    for token in taken:
        if token == planhat.admin_token:
            raise errors.control_conflict("that token is the admin token; pick another")
        if store.tenant_for_api_token(token) is not None:
            raise errors.control_conflict(
                f"the token fp:{fingerprint(token)} is already an API token of another tenant"
            )
    for token in api_tokens:
        if store.tenant(token) is not None:
            raise errors.control_conflict(
                f"the token fp:{fingerprint(token)} is already a tenant token"
            )


@bp.route("/settings", methods=["GET", "PUT"])
def settings() -> Response:
    _args("tenant")
    tenant = _tenant()
    if request.method == "GET":
        return json_response(tenant.settings.to_json())
    body = _body()
    _only_keys(body, SETTING_NAMES)
    changed = _call(lambda: fake().settings(tenant.token, **body))
    return json_response(dict(changed))


@bp.get("/regions")
def regions() -> Response:
    """R-10 over a socket: the base URL of each region (``/_region/<name>`` on this host) and
    which tenants live there. A URL without the prefix names no region (decided)."""
    _args()
    here = {t.settings.region for t in fake().store.tenants()}
    names = [*KNOWN_REGIONS, *sorted(here - set(KNOWN_REGIONS))]
    return json_response(
        {
            "regions": [
                {
                    "name": name,
                    "baseUrl": region_base_url(request.host_url, name),
                    "tenants": [
                        _fp(t) for t in fake().store.tenants() if t.settings.region == name
                    ],
                }
                for name in names
            ],
            "analytics": region_base_url(request.host_url, "analytics"),
        }
    )


# --- rule P-8: the unassigned list -----------------------------------------------------------


@bp.get("/unassigned")
def unassigned() -> Response:
    _args("tenant")
    tenant = _tenant()
    with tenant.lock:
        waiting = [
            {**tenant.render_contact(contact), "_unassigned": entry.to_json()}
            for entry in tenant.unassigned.values()
            if (contact := tenant.contacts.get(entry.contact_id)) is not None
        ]
    return json_response({"unassigned": waiting})


@bp.post("/unassigned/<contact_id>/assign")
def assign(contact_id: str) -> Response:
    _args("tenant")
    tenant = _tenant()
    body = _body()
    _only_keys(body, ("company",))
    company = _required_string(body, "company")
    contact = _call(lambda: fake().assign(contact_id, company, tenant.token))
    return json_response(contact)


@bp.post("/unassigned/<contact_id>/discard")
def discard(contact_id: str) -> Response:
    _args("tenant")
    tenant = _tenant()
    contact = _call(lambda: fake().discard(contact_id, tenant.token))
    return json_response(contact)


# --- the journal -----------------------------------------------------------------------------


@bp.get("/journal")
def journal() -> Response:
    """Entries matching every given filter, the newest ``limit`` of them, oldest first."""
    _args(*JOURNAL_ARGS)
    args = request.args
    log = fake().journal
    limit = _int_arg("limit", minimum=1) or DEFAULT_JOURNAL_LIMIT
    found = log.query(
        route=args.get("route") or None,
        tenant=args.get("tenant") or None,
        message_id=args.get("messageId") or None,
        contact=args.get("contact") or None,
        company=args.get("company") or None,
        method=args.get("method") or None,
        host=args.get("host") or None,
        status=_int_arg("status", minimum=100),
        since=_int_arg("since", minimum=0),
    )
    return json_response(
        {
            "entries": [e.to_json() for e in found[-limit:]],
            "total": len(found),
            "recorded": log.total,
            "dropped": log.dropped,
            "maxEntries": log.max_entries,
        }
    )


@bp.delete("/journal")
def clear_journal() -> Response:
    _args("tenant")
    token = request.args.get("tenant")
    if token is None:
        fake().journal.clear()
        return json_response({"cleared": "all"})
    tenant = _tenant(token)
    fake().journal.clear(tenant.token)
    return json_response({"cleared": _fp(tenant)})


# --- faults and the rate limit ---------------------------------------------------------------


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Response:
    _args()
    rules = fake().faults
    if request.method == "GET":
        return json_response({"faults": rules.to_json()})
    if request.method == "DELETE":
        removed = len(rules)
        rules.clear()
        return json_response({"removed": removed})
    body = _body()
    _only_keys(body, FAULT_KEYS, FAULT_KEYS)
    # null means "the default" for the two arguments whose default is not null
    kwargs = {
        FAULT_KEYS[k]: v for k, v in body.items() if v is not None or k not in ("latency", "seed")
    }
    rule = _call(lambda: rules.add(**kwargs), FAULT_KEYS)
    return json_response(rule.to_json(), 201)


@bp.route("/rate-limit", methods=["GET", "PUT", "DELETE"])
def rate_limit() -> Response:
    _args()
    limiter = fake().rate_limit
    if request.method == "PUT":
        body = _body(required=False)
        _only_keys(body, RATE_LIMIT_KEYS, RATE_LIMIT_KEYS)
        kwargs = {RATE_LIMIT_KEYS[k]: v for k, v in body.items()}
        _call(lambda: limiter.enable(**kwargs), RATE_LIMIT_KEYS)
    elif request.method == "DELETE":
        limiter.disable()
    return json_response(limiter.to_json())


# --- the clock -------------------------------------------------------------------------------


def _clock_json() -> dict[str, Any]:
    clock = fake().clock
    return {"now": clock.now_iso(), "frozen": clock.frozen}


@bp.get("/clock")
def clock() -> Response:
    _args()
    return json_response(_clock_json())


@bp.post("/clock/freeze")
def freeze() -> Response:
    _args()
    body = _body(required=False)
    _only_keys(body, ("at",))
    at = _string(body, "at")
    try:
        fake().clock.freeze(at)
    except ValueError:
        raise errors.control_bad_request(
            f"at must be an ISO-8601 instant such as 2026-01-15T10:00:00.000Z, got {at!r}"
        ) from None
    return json_response(_clock_json())


@bp.post("/clock/advance")
def advance() -> Response:
    _args()
    body = _body()
    _only_keys(body, ("seconds",))
    seconds = body.get("seconds")
    if (
        not isinstance(seconds, int | float)
        or isinstance(seconds, bool)
        or not math.isfinite(seconds)
        or not 0 <= seconds <= MAX_ADVANCE_SECONDS
    ):
        raise errors.control_bad_request(
            f"seconds is required: a number from 0 to {MAX_ADVANCE_SECONDS} (time only moves "
            f"forward; freeze at an instant to go back), got {seconds!r}"
        )
    try:
        fake().clock.advance(seconds)
    except OverflowError:
        raise errors.control_bad_request("that would move the clock past year 9999") from None
    return json_response(_clock_json())


@bp.post("/clock/unfreeze")
def unfreeze() -> Response:
    _args()
    fake().clock.unfreeze()
    return json_response(_clock_json())
