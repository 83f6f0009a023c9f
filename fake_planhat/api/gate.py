"""What runs around every request before and after its route: the browser guard and the admin
token on the control plane; fault rules and the rate limit on Planhat's routes.

The browser guard (docs/security.md) keeps web pages out of the control plane and the
dashboard: over a socket only Host names the fake serves are answered (no DNS rebinding), a
write whose ``Origin`` or ``Sec-Fetch-Site`` says another site or port is refused (403), a
control-plane write with a body must say it is JSON (415), and nothing there may be framed.

``create_app`` registers :func:`before_request` and :func:`after_request`; the rules themselves
live in :mod:`fake_planhat.faults` and :mod:`fake_planhat.ratelimit`.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import time
from urllib.parse import urlsplit

from flask import Response, current_app, g, request

from fake_planhat import errors
from fake_planhat.api.common import credentials, fake, note
from fake_planhat.app import CONTROL_PREFIX, is_control_path
from fake_planhat.auth import check_region
from fake_planhat.fake import FakePlanhat
from fake_planhat.faults import CUT_ENVIRON_KEY

# Set by the socket server to the host it bound; missing means an in-process (loopback) door.
BIND_HOST_CONFIG = "FAKE_PLANHAT_BIND_HOST"
# Set by the socket server: the extra Host names (``serve --allowed-host``) the control plane
# and dashboard answer besides loopback names and the bound address.
ALLOWED_HOSTS_CONFIG = "FAKE_PLANHAT_ALLOWED_HOSTS"
# Methods that change nothing: the Origin check and the JSON media type apply to the others.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Sec-Fetch-Site values of a request the page itself (or a person typing an address) made.
OWN_SITE = frozenset({"same-origin", "none"})
# On every control-plane and dashboard answer: no other page may frame them (clickjacking).
FRAME_HEADERS = {"Content-Security-Policy": "frame-ancestors 'none'", "X-Frame-Options": "DENY"}
# The browser dashboard (api/dashboard.py): a browser sends the admin token in this cookie,
# set by its login form; the cookie counts on the dashboard's paths only.
DASHBOARD_PREFIX = CONTROL_PREFIX + "/ui"
ADMIN_COOKIE = "fake_planhat_admin"
# Open without the admin token: a readiness probe works whatever the configuration, and the
# dashboard's login form and shipped CSS/JS reach a browser that has no token yet.
OPEN_CONTROL_PATHS = frozenset({CONTROL_PREFIX + "/health", DASHBOARD_PREFIX + "/login"})
OPEN_CONTROL_PREFIX = DASHBOARD_PREFIX + "/static/"
# Planhat's rate limits cover the REST API only: the Segment intake and the token-in-path
# tracking routes (/analytics/<tenant_token>, POST /dimensiondata/<tenant_token>) are outside.
UNLIMITED_BLUEPRINTS = frozenset({"dock", "analytics"})


def before_request() -> Response | None:
    """Guard the control plane; apply faults and the rate limit to Planhat's routes."""
    planhat = fake()
    if is_control_path(request.path):
        _guard_browser()
        _require_admin(planhat)
        return None
    cut = _apply_fault(planhat)
    if cut is not None:
        return cut
    _enforce_region_and_rate_limit(planhat)
    return None


def after_request(response: Response) -> Response:
    if is_control_path(request.path):
        response.headers.update(FRAME_HEADERS)
        return response
    if g.get("cut_after"):
        request.environ[CUT_ENVIRON_KEY] = "after"
    decision = g.get("rate_limit")
    if decision is not None:
        for name, value in decision.headers().items():
            response.headers[name] = value
    return response


# --- the browser guard ----------------------------------------------------------------------


def _host_name(host: str) -> str:
    """The name part of a Host header or an Origin's netloc: no port, no brackets, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    return True


def allowed_host(host: str, bind_host: str, configured: tuple[str, ...] = ()) -> bool:
    """Whether the control plane answers a request with this Host header: a loopback name
    (``localhost``, ``*.localhost``, 127.0.0.0/8, ``[::1]``), the address the fake is bound to,
    a configured name; bound to a wildcard address, any IP address too (an address, unlike a
    name, cannot be rebound to another server by DNS)."""
    name = _host_name(host)
    if not name:
        return False
    if name == "localhost" or name.endswith(".localhost") or is_loopback(name):
        return True
    bound = bind_host.strip().strip("[]").lower()
    if name == bound or name in (c.lower() for c in configured):
        return True
    return bound in ("0.0.0.0", "::", "") and _is_ip(name)


def _same_origin(origin: str, host: str) -> bool:
    parts = urlsplit(origin.strip())
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.strip().lower()


def _guard_browser() -> None:
    """Refuse what only a hostile web page would send (docs/security.md)."""
    bind_host = current_app.config.get(BIND_HOST_CONFIG)
    host = request.headers.get("Host", "")
    # In-process doors have no socket a browser or DNS could reach: the Host check is moot.
    if bind_host is not None and not allowed_host(
        host, str(bind_host), tuple(current_app.config.get(ALLOWED_HOSTS_CONFIG, ()))
    ):
        raise errors.control_foreign_host(_host_name(host))
    if request.method in SAFE_METHODS:
        return
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site.strip().lower() not in OWN_SITE:
        raise errors.control_cross_site(f"Sec-Fetch-Site: {site.strip()[:40]}")
    origin = request.headers.get("Origin")
    if origin is not None and not _same_origin(origin, host):
        raise errors.control_cross_site(f"Origin: {origin.strip()[:80]}")
    if not is_dashboard_path(request.path) and _has_body() and not _is_json(request.mimetype):
        raise errors.control_not_json(request.headers.get("Content-Type"))


def _has_body() -> bool:
    return bool(request.content_length) or bool(request.headers.get("Transfer-Encoding"))


def _is_json(mimetype: str) -> bool:
    return mimetype == "application/json" or mimetype.endswith("+json")


def is_dashboard_path(path: str) -> bool:
    return path == DASHBOARD_PREFIX or path.startswith(DASHBOARD_PREFIX + "/")


# --- the control plane's admin token ---------------------------------------------------------


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ::1 (brackets and zone allowed); anything else is not."""
    name = host.strip().strip("[]").split("%")[0].lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _given_admin_token() -> str | None:
    header = request.headers.get("X-Admin-Token")
    if header:
        return header.strip()
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if is_dashboard_path(request.path):
        return request.cookies.get(ADMIN_COOKIE) or None
    return None


def _require_admin(planhat: FakePlanhat) -> None:
    if request.path.rstrip("/") in OPEN_CONTROL_PATHS or request.path.startswith(
        OPEN_CONTROL_PREFIX
    ):
        return
    bind_host = current_app.config.get(BIND_HOST_CONFIG)
    loopback = bind_host is None or is_loopback(str(bind_host))
    expected = planhat.admin_token
    if expected is None:
        if loopback:
            return
        raise errors.control_plane_closed()
    given = _given_admin_token()
    if given is None:
        raise errors.admin_token_missing()
    if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
        raise errors.admin_token_wrong()


# --- faults ----------------------------------------------------------------------------------


def _apply_fault(planhat: FakePlanhat) -> Response | None:
    """Sleep, answer an error, or cut the connection, as the first firing rule says."""
    rule = planhat.faults.decide(request.method, request.path)
    if rule is None:
        return None
    note(fault=rule.describe(), fault_spec=rule.spec)
    if rule.latency:
        time.sleep(rule.latency)  # real time: the caller's timeout is what is being tested
    if rule.status is not None and rule.status < 300:
        # a 2xx the route never produced: the message is not applied (rule O-1 tests)
        empty = rule.status in (204, 205)
        body = b"" if empty else json.dumps({"injected": rule.describe()}).encode()
        return Response(body, status=rule.status, mimetype=None if empty else "application/json")
    if rule.status is not None:
        raise errors.injected_fault(rule.status, rule.describe(), rule.retry_after)
    if rule.cut == "before":
        request.environ[CUT_ENVIRON_KEY] = "before"
        return Response(b"", status=502)
    if rule.cut == "after":
        g.cut_after = True  # the route runs (its write is applied); after_request flags the cut
    return None


# --- the rate limit --------------------------------------------------------------------------


def _is_rest_route() -> bool:
    if request.url_rule is None or request.blueprint in UNLIMITED_BLUEPRINTS:
        return False
    return "tenant_token" not in (request.view_args or {})


def _enforce_region_and_rate_limit(planhat: FakePlanhat) -> None:
    """R-10: a tenant's API token on another region's REST host is a 401. R-9: the tenant's
    setting ``limits: planhat`` applies Planhat's limits, else the control plane's limiter."""
    if not _is_rest_route():
        return
    creds = credentials()
    if creds.token is None or creds.problem is not None:
        return  # the route answers 401; unknown callers use up no tenant's allowance
    found = planhat.store.tenant_for_api_token(creds.token)
    if found is None:
        return
    tenant = found[0]
    check_region(tenant, request.host)
    limiter = planhat.planhat_limits if tenant.settings.limits == "planhat" else planhat.rate_limit
    if not limiter.enabled:
        return
    decision = limiter.check(tenant.token)
    limit = limiter.limit
    if decision is None or limit is None:  # turned off by another thread meanwhile
        return
    g.rate_limit = decision
    if not decision.allowed:
        raise errors.rate_limited(
            limit.per_second, limit.per_minute, limit.burst, decision.retry_after
        )
