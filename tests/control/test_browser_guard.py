"""The browser guard (issue 15): no web page can write to the control plane or the dashboard.

Plain HTTP cases, one per header; tests/dashboard/test_cross_site.py does the same from real
Chromium pages on another origin and another port.
"""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from fake_planhat import FakePlanhat
from fake_planhat.api.gate import ALLOWED_HOSTS_CONFIG, BIND_HOST_CONFIG, allowed_host

from . import plain_error

# Every control-plane write, with a body it accepts (tests/control/test_openapi.py checks the
# list against the OpenAPI document).
WRITES: list[tuple[str, str, dict[str, object] | None]] = [
    ("POST", "/_fake/reset", None),
    ("POST", "/_fake/seed", {"tenants": {}}),
    ("POST", "/_fake/tenants", {"tenantToken": "00000000-0000-4000-8000-0000000000aa"}),
    ("PUT", "/_fake/settings", {"unassigned": "discard"}),
    ("POST", "/_fake/unassigned/x/assign", {"company": "y"}),
    ("POST", "/_fake/unassigned/x/discard", None),
    ("DELETE", "/_fake/journal", None),
    ("POST", "/_fake/faults", {"status": 503}),
    ("DELETE", "/_fake/faults", None),
    ("PUT", "/_fake/rate-limit", {"perSecond": 1, "perMinute": 1, "burst": 1}),
    ("DELETE", "/_fake/rate-limit", None),
    ("POST", "/_fake/clock/freeze", None),
    ("POST", "/_fake/clock/advance", {"seconds": 1}),
    ("POST", "/_fake/clock/unfreeze", None),
]
DASHBOARD_WRITES = [
    "/_fake/ui/unassigned/x/assign",
    "/_fake/ui/unassigned/x/discard",
    "/_fake/ui/login",
]


def served(bind_host: str = "127.0.0.1", *names: str) -> tuple[FakePlanhat, FlaskClient]:
    """A fake as the socket server configures it (bound to ``bind_host``)."""
    fake = FakePlanhat()
    fake.app.config[BIND_HOST_CONFIG] = bind_host
    fake.app.config[ALLOWED_HOSTS_CONFIG] = names
    return fake, fake.app.test_client()


@pytest.mark.parametrize(
    ("host", "bound", "names", "allowed"),
    [
        ("localhost:8080", "127.0.0.1", (), True),
        ("127.0.0.1:8080", "127.0.0.1", (), True),
        ("127.0.0.5", "127.0.0.1", (), True),
        ("[::1]:8080", "::1", (), True),
        ("app.localhost:8080", "127.0.0.1", (), True),
        ("evil.test", "127.0.0.1", (), False),
        ("evil.test:8080", "127.0.0.1", (), False),
        ("localhost.evil.test", "127.0.0.1", (), False),
        ("", "127.0.0.1", (), False),
        ("10.0.0.7:8080", "10.0.0.7", (), True),
        ("10.0.0.8:8080", "10.0.0.7", (), False),
        ("fake.ci.internal:8080", "0.0.0.0", ("fake.ci.internal",), True),
        ("FAKE.ci.internal", "0.0.0.0", ("fake.ci.internal",), True),
        ("other.ci.internal", "0.0.0.0", ("fake.ci.internal",), False),
        ("192.168.1.9:8080", "0.0.0.0", (), True),  # an address cannot be rebound
        ("[fe80::1]:8080", "::", (), True),
    ],
)
def test_allowed_hosts(host: str, bound: str, names: tuple[str, ...], allowed: bool) -> None:
    assert allowed_host(host, bound, names) is allowed


def test_a_foreign_host_is_refused_on_the_control_plane_and_dashboard() -> None:
    _, client = served()
    for path in ("/_fake/state", "/_fake/journal", "/_fake/ui", "/_fake/ui/live"):
        answer = client.get(path, headers={"Host": "rebound.evil.test"})
        assert answer.status_code == 403, path
        assert "rebound.evil.test" in answer.get_data(as_text=True)
        assert client.get(path, headers={"Host": "localhost:8080"}).status_code == 200
    answer = client.post("/_fake/reset", headers={"Host": "rebound.evil.test"})
    assert "does not answer for the host" in plain_error(answer)


def test_planhat_routes_answer_any_host() -> None:
    fake, client = served()
    answer = client.get(
        "/endusers",
        headers={"Host": "api.planhat.com", "Authorization": f"Bearer {fake.api_token}"},
    )
    assert answer.status_code == 200


def test_a_configured_name_is_answered() -> None:
    _, client = served("0.0.0.0", "fake.ci.internal")
    assert client.get("/_fake/state", headers={"Host": "fake.ci.internal:80"}).status_code in (
        200,
        403,  # 0.0.0.0 without an admin token: closed, but by the admin rule
    )
    answer = client.get("/_fake/state", headers={"Host": "fake.ci.internal:80"})
    assert "does not answer for the host" not in answer.get_data(as_text=True)


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=lambda v: str(v))
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.test"},
        {"Origin": "http://127.0.0.1:9999"},  # another port of the same host: same site
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
    ids=["other-origin", "other-port", "null-origin", "cross-site", "same-site"],
)
def test_a_cross_site_write_is_refused_and_changes_nothing(
    method: str, path: str, body: dict[str, object] | None, headers: dict[str, str]
) -> None:
    fake, client = served()
    before = client.get("/_fake/faults").get_json(), fake.tenant().dump(), fake.clock.frozen
    answer = client.open(
        path, method=method, json=body, headers={"Host": "127.0.0.1:8080", **headers}
    )
    assert answer.status_code == 403, answer.data
    assert "another site or port" in plain_error(answer)
    assert (client.get("/_fake/faults").get_json(), fake.tenant().dump(), fake.clock.frozen) == (
        before
    )


def test_a_write_from_the_own_origin_or_without_browser_headers_works() -> None:
    _, client = served()
    own = {"Host": "127.0.0.1:8080", "Origin": "http://127.0.0.1:8080"}
    assert client.post("/_fake/reset", headers=own).status_code == 200
    fetch = {"Host": "localhost:8080", "Sec-Fetch-Site": "same-origin"}
    assert client.post("/_fake/reset", headers=fetch).status_code == 200
    assert client.post("/_fake/reset", headers={"Sec-Fetch-Site": "none"}).status_code == 200
    assert client.post("/_fake/reset").status_code == 200  # curl, httpx: no browser headers


@pytest.mark.parametrize(("method", "path", "body"), [w for w in WRITES if w[2] is not None])
@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_control_plane_write_with_a_body_must_be_json(
    method: str, path: str, body: dict[str, object], content_type: str
) -> None:
    fake, client = served()
    before = fake.tenant().dump()
    answer = client.open(path, method=method, data=b"{}", content_type=content_type)
    assert answer.status_code == 415, answer.data
    assert "application/json" in plain_error(answer)
    assert fake.tenant().dump() == before


def test_json_media_types_are_taken() -> None:
    _, client = served()
    for content_type in ("application/json", "application/json; charset=utf-8", "x/y+json"):
        answer = client.post("/_fake/clock/freeze", data=b"{}", content_type=content_type)
        assert answer.status_code == 200, (content_type, answer.data)


@pytest.mark.parametrize("path", DASHBOARD_WRITES)
def test_a_cross_site_dashboard_form_is_refused(path: str) -> None:
    _, client = served()
    answer = client.post(
        path, data={"company": "y"}, headers={"Origin": "http://evil.test", "Host": "localhost"}
    )
    assert answer.status_code == 403
    assert "another site or port" in answer.get_data(as_text=True)


def csrf_of(client: FlaskClient) -> str:
    """The token of the dashboard's forms (here: its login form)."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/_fake/ui").text)
    assert found is not None
    return found.group(1)


def logged_out() -> FlaskClient:
    fake = FakePlanhat(admin_token="s3cret")
    fake.app.config[BIND_HOST_CONFIG] = "127.0.0.1"
    return fake.app.test_client()


@pytest.mark.parametrize("path", DASHBOARD_WRITES)
def test_a_dashboard_form_needs_its_csrf_token(path: str) -> None:
    _, client = served()
    for given in ({}, {"csrf": "0" * 32}):
        answer = client.post(path, data={"company": "y", **given})
        assert answer.status_code == 403, answer.data
        assert "CSRF token" in answer.get_data(as_text=True)


def test_the_login_form_carries_the_csrf_token() -> None:
    client = logged_out()
    answer = client.post("/_fake/ui/login", data={"adminToken": "s3cret", "csrf": csrf_of(client)})
    assert answer.status_code == 303
    assert client.get("/_fake/ui").status_code == 200


def test_the_csrf_token_differs_between_fakes() -> None:
    assert csrf_of(logged_out()) != csrf_of(logged_out())


@pytest.mark.parametrize("path", ["/_fake/ui", "/_fake/ui/live", "/_fake/state", "/_fake/nope"])
def test_the_control_plane_and_dashboard_cannot_be_framed(path: str) -> None:
    _, client = served()
    answer = client.get(path)
    assert answer.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert answer.headers["X-Frame-Options"] == "DENY"
