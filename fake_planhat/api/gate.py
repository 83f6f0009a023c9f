"""What runs around every request before and after its route: the admin token on the control
plane; fault rules and the rate limit on Planhat's routes.

``create_app`` registers :func:`before_request` and :func:`after_request`; the rules themselves
live in :mod:`fake_planhat.faults` and :mod:`fake_planhat.ratelimit`.
"""

from __future__ import annotations

import hmac
import ipaddress
import time

from flask import Response, current_app, g, request

from fake_planhat import errors
from fake_planhat.api.common import credentials, fake, note
from fake_planhat.app import CONTROL_PREFIX, is_control_path
from fake_planhat.fake import FakePlanhat
from fake_planhat.faults import CUT_ENVIRON_KEY

# Set by the socket server to the host it bound; missing means an in-process (loopback) door.
BIND_HOST_CONFIG = "FAKE_PLANHAT_BIND_HOST"
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
        _require_admin(planhat)
        return None
    cut = _apply_fault(planhat)
    if cut is not None:
        return cut
    _enforce_rate_limit(planhat)
    return None


def after_request(response: Response) -> Response:
    if g.get("cut_after"):
        request.environ[CUT_ENVIRON_KEY] = "after"
    decision = g.get("rate_limit")
    if decision is not None:
        for name, value in decision.headers().items():
            response.headers[name] = value
    return response


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
    if request.path == DASHBOARD_PREFIX or request.path.startswith(DASHBOARD_PREFIX + "/"):
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
    note(fault=rule.describe())
    if rule.latency:
        time.sleep(rule.latency)  # real time: the caller's timeout is what is being tested
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


def _enforce_rate_limit(planhat: FakePlanhat) -> None:
    limiter = planhat.rate_limit
    if not limiter.enabled or not _is_rest_route():
        return
    creds = credentials()
    if creds.token is None or creds.problem is not None:
        return  # the route answers 401; unknown callers use up no tenant's allowance
    found = planhat.store.tenant_for_api_token(creds.token)
    if found is None:
        return
    decision = limiter.check(found[0].token)
    limit = limiter.limit
    if decision is None or limit is None:  # turned off by another thread meanwhile
        return
    g.rate_limit = decision
    if not decision.allowed:
        raise errors.rate_limited(
            limit.per_second, limit.per_minute, limit.burst, decision.retry_after
        )
