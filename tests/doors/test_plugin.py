"""The pytest plugin (``fake_planhat.pytest_plugin``), run on small test suites by ``pytester``."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata

import pytest

pytest_plugins = ["pytester"]

HEAVY = ("flask", "werkzeug", "httpx", "httpcore", "respx", "responses", "requests", "waitress")

HELPERS = """
import base64

import httpx
import pytest
import requests


def basic(token):
    return {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}


def identify(user_id, **traits):
    return {"type": "identify", "userId": user_id, "traits": traits}
"""


def test_the_plugin_is_registered_under_pytest11() -> None:
    [entry] = [e for e in metadata.entry_points(group="pytest11") if e.name == "fake_planhat"]
    assert entry.value == "fake_planhat.pytest_plugin"


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = (
        "import json, sys, pytest\n"
        "before = set(sys.modules)\n"
        "import fake_planhat.pytest_plugin\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = json.loads(run.stdout)
    assert "fake_planhat.pytest_plugin" in loaded
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []


def test_planhat_fixture_routes_both_libraries_into_a_fresh_fake(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        HELPERS
        + """
def test_first(planhat):
    auth = basic(planhat.tenant_token)
    assert httpx.post("https://api.planhat.com/dock/segment", json=identify("u1"),
                      headers=auth).status_code == 200
    assert requests.post("https://api-eu.planhat.com/dock/segment", json=identify("u2"),
                         headers=auth, timeout=5).status_code == 200
    assert [e.host for e in planhat.journal.query()] == ["api.planhat.com", "api-eu.planhat.com"]
    assert len(planhat.unassigned()) == 2


def test_second_gets_a_fresh_fake(planhat):
    assert len(planhat.journal) == 0
    assert planhat.unassigned() == []
"""
    )
    pytester.runpytest("--strict-markers").assert_outcomes(passed=2)


def test_marker_seeds_breaks_and_configures_the_fake(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        HELPERS
        + """
from fake_planhat import DEFAULT_TENANT_TOKEN

SEED = {"tenants": {DEFAULT_TENANT_TOKEN: {"companies": [{"name": "Acme", "externalId": "acme"}]}}}
pytestmark = pytest.mark.planhat(seed=SEED, unassigned="keep")


@pytest.mark.planhat(
    faults=[{"path": "/dock/segment", "status": 503, "on_calls": [1]}],
    unassigned="discard",
    frozen_at="2026-01-01T00:00:00Z",
)
def test_marked(planhat):
    assert [c["name"] for c in planhat.companies()] == ["Acme"]  # the module's seed
    assert planhat.clock.now_iso() == "2026-01-01T00:00:00.000Z"
    assert planhat.settings()["unassigned"] == "discard"  # the test's marker wins
    url, auth = "https://api.planhat.com/dock/segment", basic(planhat.tenant_token)
    assert httpx.post(url, json=identify("u1"), headers=auth).status_code == 503
    assert httpx.post(url, json=identify("u1"), headers=auth).status_code == 200
    assert planhat.unassigned() == []


def test_module_marker_alone(planhat):
    assert [c["name"] for c in planhat.companies()] == ["Acme"]
    assert len(planhat.faults) == 0
    assert not planhat.clock.frozen
"""
    )
    pytester.runpytest("--strict-markers").assert_outcomes(passed=2)


def test_marker_mistakes_fail_the_setup_with_a_plain_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

@pytest.mark.planhat(colour="blue")
def test_unknown_argument(planhat):
    pass

@pytest.mark.planhat(faults=[{"path": "/dock/segment", "status": 302}])
def test_bad_fault(planhat_live):
    pass

@pytest.mark.planhat({"tenants": {}})
def test_positional(planhat):
    pass
"""
    )
    result = pytester.runpytest("--strict-markers")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "*unknown argument(s) colour; it takes seed, faults, unassigned, group, page, "
            "guess, limits, region, frozen_at*",
            "*fault 1 {'path': '/dock/segment', 'status': 302}: status must be*400 to 599*",
            "*takes keyword arguments only*",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_live_server_is_shared_and_its_fake_is_fresh_per_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        HELPERS
        + """
def test_writes(planhat_live):
    response = httpx.post(f"{planhat_live.url}/dock/segment", json=identify("u1"),
                          headers=basic(planhat_live.fake.tenant_token))
    assert response.status_code == 200
    assert len(planhat_live.fake.unassigned()) == 1
    planhat_live.fake.add_tenant("extra-tenant")


def test_sees_a_fresh_fake_on_the_same_server(planhat_live, planhat_server):
    assert planhat_live is planhat_server
    assert planhat_live.fake.unassigned() == []
    with pytest.raises(LookupError):
        planhat_live.fake.tenant("extra-tenant")


@pytest.mark.planhat(faults=[{"path": "*", "cut": "before"}])
def test_marker_applies_to_the_live_fake(planhat_live):
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.get(f"{planhat_live.url}/endusers")
"""
    )
    pytester.runpytest("--strict-markers").assert_outcomes(passed=3)


def test_tokens_are_overridden_in_conftest(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import pytest

@pytest.fixture(scope="session")
def planhat_tenant_token():
    return "tenant-from-conftest"

@pytest.fixture(scope="session")
def planhat_api_token():
    return "api-from-conftest"
"""
    )
    pytester.makepyfile(
        HELPERS
        + """
def test_in_process(planhat):
    assert planhat.tenant_token == "tenant-from-conftest"
    rest = {"Authorization": "Bearer api-from-conftest"}
    assert requests.get("https://api.planhat.com/endusers", headers=rest, timeout=5).json() == []
    assert httpx.post("https://api.planhat.com/dock/segment", json=identify("u1"),
                      headers=basic("tenant-from-conftest")).status_code == 200


def test_live(planhat_live):
    rest = {"Authorization": "Bearer api-from-conftest"}
    assert httpx.get(f"{planhat_live.url}/endusers", headers=rest).status_code == 200
    assert planhat_live.fake.api_token == "api-from-conftest"
"""
    )
    pytester.runpytest("--strict-markers").assert_outcomes(passed=2)


def test_each_xdist_worker_has_its_own_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = pytester.path / "seen"
    report.mkdir()
    monkeypatch.setenv("DOORS_REPORT", str(report))
    pytester.makepyfile(
        HELPERS
        + """
import os
import uuid


def note(planhat_live):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    seen = os.path.join(os.environ["DOORS_REPORT"], uuid.uuid4().hex)
    with open(seen, "w") as handle:
        handle.write(f"{worker} {planhat_live.url}")


@pytest.mark.parametrize("n", range(3))
def test_isolated(planhat_live, n):
    note(planhat_live)
    response = httpx.post(f"{planhat_live.url}/dock/segment", json=identify(f"u{n}"),
                          headers=basic(planhat_live.fake.tenant_token))
    assert response.status_code == 200
    assert [c["externalId"] for c in planhat_live.fake.unassigned()] == [f"u{n}"]
"""
    )
    result = pytester.runpytest_subprocess("-p", "xdist", "-n", "2", "--dist", "each")
    result.assert_outcomes(passed=6)
    seen = {path.read_text() for path in report.iterdir()}
    workers = {line.split()[0] for line in seen}
    urls = {line.split()[1] for line in seen}
    assert workers == {"gw0", "gw1"}
    assert len(urls) == 2  # one server per worker, the same for all of a worker's tests
