"""The tenant settings (every decided behaviour's switch, docs/fidelity.md), rate limits (R-9)
and regions (R-10): the same names through every door, and what each switch does."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
import requests
from flask.testing import FlaskClient

from fake_planhat import FakePlanhat
from fake_planhat.cli import _open_fake, build_parser
from fake_planhat.ratelimit import PLANHAT_LIMITS, RateLimiter
from fake_planhat.state import TenantSettings

pytest_plugins = ["pytester"]

# One non-default value of each setting, and one value it refuses.
SWITCHED = {
    "unassigned": ("discard", "sometimes"),
    "group": ("upsert", "create"),
    "page": ("ignore", "skip"),
    "guess": ("off", "maybe"),
    "limits": ("planhat", "on"),
    "region": ("api-eu", "europe"),
}
DEFAULTS = TenantSettings().to_json()
OTHER_TOKEN = "00000000-0000-4000-8000-0000000000b2"


def basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}


def test_defaults_are_planhats_documented_behaviour_or_off() -> None:
    assert DEFAULTS == {
        "unassigned": "keep",
        "group": "metrics",
        "page": "activity",
        "guess": "domain",
        "limits": "off",
        "region": "api",
    }


# --- the same names everywhere ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SWITCHED))
def test_a_setting_has_one_name_in_every_door(
    name: str, client: FlaskClient, fake: FakePlanhat, pytester: pytest.Pytester
) -> None:
    value, bad = SWITCHED[name]
    wanted = {**DEFAULTS, name: value}
    # FakePlanhat(...)
    assert FakePlanhat(**{name: value}).settings() == wanted
    with pytest.raises(ValueError, match=name):
        FakePlanhat(**{name: bad})
    # fake.settings(...)
    assert fake.settings(**{name: value}) == wanted
    fake.settings(**{name: DEFAULTS[name]})
    # a seed
    fake.seed({"tenants": {OTHER_TOKEN: {"settings": {name: value}}}})
    assert fake.settings(OTHER_TOKEN) == wanted
    with pytest.raises(ValueError, match=name):
        fake.seed({"tenants": {OTHER_TOKEN: {"settings": {name: bad}}}})
    # the control plane
    assert client.put("/_fake/settings", json={name: value}).get_json() == wanted
    assert client.put("/_fake/settings", json={name: bad}).status_code == 400
    # the CLI
    parser = build_parser()
    args = parser.parse_args(["serve", f"--{name}", value])
    assert _open_fake(parser, args).settings() == wanted
    # the pytest marker
    pytester.makepyfile(
        f"""
import pytest

@pytest.mark.planhat({name}={value!r})
def test_marked(planhat):
    assert planhat.settings()[{name!r}] == {value!r}

@pytest.mark.planhat({name}={bad!r})
def test_refused(planhat):
    pass
"""
    )
    result = pytester.runpytest("--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([f"*@pytest.mark.planhat({name}={bad!r}): {name}*"])


def test_cli_refuses_a_bad_setting_with_a_plain_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["serve", "--region", "europe"])
    assert exited.value.code == 2
    assert "region must be a Planhat REST region" in capsys.readouterr().err


def test_a_restored_state_file_keeps_every_setting(tmp_path: Any) -> None:
    path = tmp_path / "state.sqlite"
    first = FakePlanhat(state_file=path, group="upsert", page="ignore", region="api-eu2")
    first.close()
    again = FakePlanhat(state_file=path, limits="planhat")  # given ones win, the rest stay
    assert again.settings() == {
        **DEFAULTS,
        "group": "upsert",
        "page": "ignore",
        "region": "api-eu2",
        "limits": "planhat",
    }
    again.close()


def test_the_journal_marks_effects_of_a_decided_behaviour(
    fake: FakePlanhat, client: FlaskClient, intake_auth: dict[str, str]
) -> None:
    """docs/fidelity.md: an effect that came from a decided behaviour names its rule."""
    fake.settings(group="upsert")
    group = {"type": "group", "groupId": "g1", "traits": {"name": "Acme"}, "messageId": "m-g"}
    client.post("/dock/segment", json=group, headers=intake_auth)
    identify = {"type": "identify", "userId": "u1", "traits": {"companyId": "g1"}}
    client.post("/dock/segment", json={**identify, "messageId": "m-i"}, headers=intake_auth)
    entries = client.get("/_fake/journal?route=dock.segment").get_json()["entries"]
    decided = {e["messageId"]: e["outcome"]["decided"] for e in entries}
    assert decided == {"m-g": ["P-7"], "m-i": []}


# --- R-9 rate limits --------------------------------------------------------------------------


def frozen_planhat_limits(fake: FakePlanhat) -> None:
    """Planhat's limits on a limiter whose time stands still: no refill between requests."""
    fake.planhat_limits = RateLimiter(now=lambda: 0.0)
    fake.planhat_limits.enable(
        PLANHAT_LIMITS.per_second, PLANHAT_LIMITS.per_minute, PLANHAT_LIMITS.burst
    )


def test_R9_limits_are_off_by_default(fake: FakePlanhat, client: FlaskClient) -> None:
    frozen_planhat_limits(fake)
    rest = {"Authorization": f"Bearer {fake.api_token}"}
    statuses = {client.get("/companies", headers=rest).status_code for _ in range(120)}
    assert statuses == {200}


def test_R9_planhat_limits_allow_a_burst_of_50_then_429(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    fake.settings(limits="planhat")
    frozen_planhat_limits(fake)
    rest = {"Authorization": f"Bearer {fake.api_token}"}
    answers = [client.get("/companies", headers=rest) for _ in range(51)]
    assert [a.status_code for a in answers[:50]] == [200] * 50
    refused = answers[50]
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert "150" in refused.get_json()["message"]
    assert answers[49].headers["X-Rate-Limit-Remaining"] == "0"


def test_R9_analytics_and_the_intake_are_exempt(
    fake: FakePlanhat, client: FlaskClient, intake_auth: dict[str, str]
) -> None:
    fake.settings(limits="planhat")
    frozen_planhat_limits(fake)
    for _ in range(60):
        assert (
            client.post(f"/analytics/{fake.tenant_token}", json={"email": "a@b.co"}).status_code
            == 200
        )
        assert (
            client.post(
                "/dock/segment", json={"type": "identify", "userId": "u1"}, headers=intake_auth
            ).status_code
            == 200
        )
        point = {"dimensionId": "d", "value": 1, "externalId": "nope"}
        assert client.post(f"/dimensiondata/{fake.tenant_token}", json=point).status_code == 200


def test_R9_limits_are_per_tenant(fake: FakePlanhat, client: FlaskClient) -> None:
    fake.settings(limits="planhat")
    fake.add_tenant(OTHER_TOKEN, "other-api-token")  # limits off
    frozen_planhat_limits(fake)
    other = {"Authorization": "Bearer other-api-token"}
    assert {client.get("/companies", headers=other).status_code for _ in range(80)} == {200}


# --- R-10 regions -----------------------------------------------------------------------------

REGIONS = ["api", "api-eu", "api-eu2", "api-eu3", "api-us2"]


@pytest.mark.parametrize("region", REGIONS)
def test_R10_a_token_works_only_in_its_tenants_region(fake: FakePlanhat, region: str) -> None:
    fake.settings(region=region)
    rest = {"Authorization": f"Bearer {fake.api_token}"}
    with fake.intercept():
        for host in REGIONS:
            url = f"https://{host}.planhat.com/companies"
            answers = [httpx.get(url, headers=rest), requests.get(url, headers=rest, timeout=5)]
            for answer in answers:
                if host == region:
                    assert answer.status_code == 200, host
                else:
                    assert answer.status_code == 401, host
                    message = answer.json()["message"]
                    assert "Unauthorized request" in message
                    assert "you may be using an incorrect region" in message


def test_R10_analytics_host_and_the_intake_serve_every_region(fake: FakePlanhat) -> None:
    fake.settings(region="api-eu")
    fake.tenant().create_company({"name": "Acme", "externalId": "acme"})
    identify = {"type": "identify", "userId": "u1", "traits": {"companyId": "acme"}}
    with fake.intercept():
        for host in ("api", "api-eu", "analytics"):
            url = f"https://{host}.planhat.com"
            answer = httpx.post(
                f"{url}/dock/segment", json=identify, headers=basic(fake.tenant_token)
            )
            assert answer.status_code == 200, host
            activity = {"externalId": "u1", "action": host}
            assert (
                httpx.post(f"{url}/analytics/{fake.tenant_token}", json=activity).status_code == 200
            )
        rest = {"Authorization": f"Bearer {fake.api_token}"}
        assert (
            httpx.get("https://analytics.planhat.com/dimensiondata", headers=rest).status_code
            == 200
        )
    assert [a["action"] for a in fake.activities()] == ["api", "api-eu", "analytics"]


def test_R10_over_a_socket_one_base_url_per_region(fake: FakePlanhat) -> None:
    fake.settings(region="api-eu")
    rest = {"Authorization": f"Bearer {fake.api_token}"}
    with fake.serve() as server, httpx.Client(timeout=10) as http:
        listed = http.get(f"{server.url}/_fake/regions").json()
        urls = {r["name"]: r["baseUrl"] for r in listed["regions"]}
        assert set(REGIONS) <= set(urls)
        assert urls["api-eu"] == f"{server.url}/_region/api-eu"
        assert listed["analytics"] == f"{server.url}/_region/analytics"
        [home] = [r for r in listed["regions"] if r["tenants"]]
        assert home["name"] == "api-eu"
        assert http.get(f"{urls['api-eu']}/companies", headers=rest).status_code == 200
        entry = fake.journal.last()
        assert entry is not None
        assert (entry.host, entry.path) == ("api-eu.planhat.com", "/companies")
        wrong = http.get(f"{urls['api']}/companies", headers=rest)
        assert wrong.status_code == 401
        assert "incorrect region" in wrong.json()["message"]
        # decided: a URL without the prefix names no region and reaches every tenant
        assert http.get(f"{server.url}/companies", headers=rest).status_code == 200
        intake = basic(fake.tenant_token)
        message = {"type": "identify", "userId": "u1"}
        for base in (urls["api"], listed["analytics"]):
            assert (
                http.post(f"{base}/dock/segment", json=message, headers=intake).status_code == 200
            )


def test_R10_an_unknown_region_prefix_is_an_ordinary_404(fake: FakePlanhat) -> None:
    with fake.app.test_client() as client:
        answer = client.get("/_region/Europe/companies")
        assert answer.status_code == 404
        assert "No route" in answer.get_json()["message"]
