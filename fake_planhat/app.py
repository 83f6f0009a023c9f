"""The Flask app: Planhat's routes over one :class:`~fake_planhat.fake.FakePlanhat`.

Journaling and error shapes live here, once, so each blueprint only speaks its resource.
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Request, Response, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from fake_planhat import errors
from fake_planhat.api import PLANHAT_BLUEPRINTS, control_blueprints
from fake_planhat.api.common import LIMIT_ANALYTICS, credentials, json_response
from fake_planhat.auth import fingerprint
from fake_planhat.intake import Outcome
from fake_planhat.journal import Entry, scrub

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from fake_planhat.fake import FakePlanhat

log = logging.getLogger("fake_planhat")

CONTROL_PREFIX = "/_fake"
# URL variables that carry a tenant token: shown in the journal as a fingerprint.
TOKEN_ARGS = ("tenant_token",)


def create_app(fake: FakePlanhat) -> Flask:
    template = _template()
    # No app-wide /static route: the dashboard serves its assets under /_fake/ui/static. The
    # template's paths are given, which Flask would otherwise look up on disk again.
    app = Flask(
        "fake_planhat",
        static_folder=None,
        root_path=template.root_path,
        instance_path=template.instance_path,
    )
    _adopt_routes(app, template)
    app.extensions["fake_planhat"] = fake
    app.config["MAX_CONTENT_LENGTH"] = (
        LIMIT_ANALYTICS  # the largest route limit; routes check theirs
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.wsgi_app = RegionPrefix(app.wsgi_app)  # type: ignore[method-assign]
    return app


# R-10 over a socket: one base URL per region, ``http://HOST:PORT/_region/<name>``. A socket has
# one host name, so the region travels in the path; the middleware strips it and hands the app
# the request as sent to ``<name>.planhat.com``. Without the prefix a request names no region
# and reaches every tenant (decided, docs/fidelity.md).
REGION_PREFIX = "/_region/"
REGION_NAME = re.compile(r"api(-[a-z]+[0-9]*)?|analytics")


def region_base_url(host_url: str, region: str) -> str:
    """The base URL that serves ``region`` on a socket whose root is ``host_url``."""
    return host_url.rstrip("/") + REGION_PREFIX + region


class RegionPrefix:
    """WSGI middleware: ``/_region/<name>/path`` becomes ``/path`` on ``<name>.planhat.com``."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if path.startswith(REGION_PREFIX):
            name, slash, rest = path[len(REGION_PREFIX) :].partition("/")
            if REGION_NAME.fullmatch(name):
                environ["PATH_INFO"] = slash + rest if slash else "/"
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + REGION_PREFIX + name
                environ["HTTP_HOST"] = f"{name}.planhat.com"
                environ[REGION_ENVIRON_KEY] = name
        return self.app(environ, start_response)


REGION_ENVIRON_KEY = "fake_planhat.region_prefix"


# Performance (docs/performance.md): registering the routes makes werkzeug compile every rule
# (it generates a URL builder per rule: ~10 ms in all), and the pytest fixtures build an app per
# test. So the routes are registered once per process, on a template app that serves nothing,
# and each fake's app adopts them: the compiled url_map is shared (werkzeug binds a new adapter
# to it per request and never changes it once built), the registries are copied.
_TEMPLATE: Flask | None = None
_TEMPLATE_LOCK = threading.Lock()
# What registering blueprints, hooks and error handlers fills in on a Flask app (Flask 3);
# tests/test_app_template.py checks that nothing else differs.
ROUTE_REGISTRIES = (
    "view_functions",
    "error_handler_spec",
    "before_request_funcs",
    "after_request_funcs",
    "teardown_request_funcs",
    "template_context_processors",
    "url_value_preprocessors",
    "url_default_functions",
)


def _template() -> Flask:
    global _TEMPLATE
    with _TEMPLATE_LOCK:
        if _TEMPLATE is None:
            _TEMPLATE = register_routes(Flask("fake_planhat", static_folder=None))
        return _TEMPLATE


def register_routes(app: Flask) -> Flask:
    """Register every blueprint, hook and error handler of the fake on ``app``."""
    app.url_map.strict_slashes = False
    for blueprint in PLANHAT_BLUEPRINTS:
        app.register_blueprint(blueprint)
    for blueprint in control_blueprints():
        app.register_blueprint(blueprint, url_prefix=CONTROL_PREFIX)

    from fake_planhat.api import gate  # imported here: gate imports this module

    app.before_request(_start)
    app.before_request(gate.before_request)  # admin token, faults, rate limit
    app.after_request(_journal)
    app.after_request(gate.after_request)  # runs first: after_request hooks run in reverse
    app.register_error_handler(errors.PlanhatError, _planhat_error)
    app.register_error_handler(errors.ControlPlaneError, _control_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    return app


def _adopt_routes(app: Flask, template: Flask) -> None:
    """Give ``app`` the routes registered on ``template``: its url_map itself, copies of the
    registries (blueprints, views and hooks themselves are shared, as Flask shares them)."""
    app.url_map = template.url_map
    app.blueprints = dict(template.blueprints)
    for name in ROUTE_REGISTRIES:
        value = getattr(template, name)
        flat = name == "view_functions"  # endpoint -> view: one level to copy
        setattr(app, name, dict(value) if flat else _containers_copied(value))
    app.jinja_env.filters.update(template.jinja_env.filters)  # the dashboard's filters


def _containers_copied(value: Any) -> Any:
    """``value`` with its dicts (defaultdicts too) and lists copied, whatever they hold not."""
    if isinstance(value, defaultdict):
        return defaultdict(
            value.default_factory, {k: _containers_copied(v) for k, v in value.items()}
        )
    if isinstance(value, dict):
        return {k: _containers_copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_containers_copied(v) for v in value]
    return value


def is_control_path(path: str) -> bool:
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def _start() -> None:
    g.started = time.perf_counter()


def _filled(rule: str, segments: list[str]) -> str:
    """A rule with its variables taking the path's segments at their places (a ``<path:…>``
    takes the rest), so ``/enduser/extid-x`` is compared with ``/endusers/extid-x``."""
    parts = rule.strip("/").split("/")
    filled = []
    for index, part in enumerate(parts):
        if part.startswith("<") and index < len(segments):
            taken = segments[index:] if part.startswith("<path:") else segments[index : index + 1]
            filled.append("/".join(taken))
        else:
            filled.append(part)
    return "/" + "/".join(filled)


def _near_routes(path: str) -> list[str]:
    """Up to three Planhat routes closest to an unknown ``path``, the closest first."""
    from flask import current_app

    rules = sorted(
        {
            r.rule
            for r in current_app.url_map.iter_rules()
            if r.endpoint != "static" and not is_control_path(r.rule)
        }
    )
    segments = path.strip("/").split("/")
    scored = [
        (difflib.SequenceMatcher(None, path, _filled(rule, segments)).ratio(), rule)
        for rule in rules
    ]
    close = sorted((s for s in scored if s[0] >= 0.5), key=lambda s: (-s[0], s[1]))
    return [rule for _, rule in close[:3]]


def _planhat_error(exc: errors.PlanhatError) -> Response:
    response = json_response(exc.body(), exc.status)
    for name, value in exc.headers.items():
        response.headers[name] = value
    if exc.near_miss:
        g.setdefault("journal_note", {})["near_miss"] = exc.near_miss
    elif exc.status in (401, 403):
        g.setdefault("journal_note", {})["near_miss"] = [exc.message]
    return response


def _control_error(exc: errors.ControlPlaneError) -> Response:
    return json_response(exc.body(), exc.status)


def _http_error(exc: HTTPException) -> Response:
    if is_control_path(request.path):
        return _control_error(
            errors.control_http_error(
                exc.code or 400, exc.description or exc.name, request.method, request.path
            )
        )
    path = _redacted_path()  # answers echo the path: never a token in it
    if isinstance(exc, NotFound):
        return _planhat_error(errors.unknown_route(request.method, path, _near_routes(path)))
    if isinstance(exc, MethodNotAllowed):
        allowed = sorted(m for m in (exc.valid_methods or []) if m not in ("HEAD", "OPTIONS"))
        return _planhat_error(errors.method_not_allowed(request.method, path, allowed))
    if isinstance(exc, RequestEntityTooLarge):
        return _planhat_error(errors.payload_too_large(LIMIT_ANALYTICS, path))
    code = exc.code or 400
    return _planhat_error(errors.PlanhatError(code, exc.description or exc.name))


def _unexpected(exc: Exception) -> Response:
    if isinstance(exc, HTTPException):  # pragma: no cover - routed to _http_error
        return _http_error(exc)
    log.exception("unexpected error on %s %s", request.method, request.path)
    if is_control_path(request.path):
        return json_response({"error": f"internal error: {type(exc).__name__}"}, 500)
    return _planhat_error(errors.internal_error())


def _redacted_path(req: Request | None = None, secrets: set[str] | None = None) -> str:
    """The path with each segment that is a token shown as its fingerprint: the route's token
    variable, and any tenant or API token of the fake (a mistyped route or a wrong method
    matches no route, so it has no variables)."""
    req = req if req is not None else _this_request()
    if secrets is None:
        secrets = _secrets(req, _current_fake())
    return "/".join(f"fp:{fingerprint(s)}" if s in secrets else s for s in req.path.split("/"))


def _secrets(req: Request, fake: FakePlanhat) -> set[str]:
    """Every token the journal must never show whole: the fake's tenant, API and admin tokens,
    and the route's token variable."""
    view_args = req.view_args or {}
    secrets = {
        token for name in TOKEN_ARGS if isinstance(token := view_args.get(name), str) and token
    }
    for tenant in fake.store.tenants():
        secrets.add(tenant.token)
        secrets.update(tenant.api_tokens)
    if fake.admin_token:
        secrets.add(fake.admin_token)
    return secrets


def _scrubbed(text: str, secrets: set[str] | frozenset[str]) -> str:
    """``text`` with every token shown as its fingerprint (journal.scrub: short tokens as whole
    words, percent-encoded and JSON-escaped forms too)."""
    return scrub(text, frozenset(secrets))


def _this_request() -> Request:
    """The request object itself. Performance: every attribute read through Flask's
    ``request`` proxy looks the context up again (about 1 µs each; the journal reads a dozen)."""
    return request._get_current_object()  # type: ignore[attr-defined,no-any-return]


def _journal(response: Response) -> Response:
    """Record a Planhat route's request and answer (the control plane is not journaled)."""
    fake = _current_fake()
    journal = fake.journal
    req = _this_request()
    if not journal.enabled or is_control_path(req.path):
        return response
    notes: dict[str, Any] = g.get("journal_note", {})
    secrets = frozenset(_secrets(req, fake))
    headers = {k: _scrubbed(v, secrets) for k, v in req.headers.items()}
    if "Authorization" in headers:
        headers["Authorization"] = credentials().redacted()
    try:
        body, truncated = journal.clip(req.get_data(cache=True))
    except HTTPException:  # a body over the app's limit is never read
        body, truncated = f"(not read: {req.content_length} bytes)", True
    answer, _ = journal.clip(response.get_data()) if not response.is_streamed else ("", False)
    body, answer = _scrubbed(body, secrets), _scrubbed(answer, secrets)
    outcome: Outcome | None = notes.get("outcome")
    entry = Entry(
        seq=journal.next_seq(),
        time=fake.clock.now_iso(),
        method=req.method,
        host=req.host,
        path=_scrubbed(_redacted_path(req, set(secrets)), secrets),
        query=_scrubbed(req.query_string.decode("latin-1"), secrets),
        route=req.endpoint,
        headers=headers,
        body=body,
        body_truncated=truncated,
        status=response.status_code,
        answer=answer,
        tenant=notes.get("tenant"),
        message_id=notes.get("message_id"),
        outcome=outcome.to_json() if outcome is not None else None,
        contacts=list(outcome.contacts) if outcome else list(notes.get("contacts", [])),
        companies=list(outcome.companies) if outcome else list(notes.get("companies", [])),
        near_miss=list(notes.get("near_miss", [])),
        fault=notes.get("fault"),
        fault_spec=spec.to_json() if (spec := notes.get("fault_spec")) is not None else None,
        duration_ms=(time.perf_counter() - g.get("started", time.perf_counter())) * 1000,
    )
    journal.record(entry)
    return response


def _current_fake() -> FakePlanhat:
    from flask import current_app

    return current_app.extensions["fake_planhat"]  # type: ignore[no-any-return]
