"""Inputs that once made the fake answer 500 on every later call (issue 15): each now gets a 4xx
at once and leaves nothing behind that breaks later requests."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from fake_planhat import FakePlanhat
from tests.control import basic

DEPTH = 1000


@pytest.fixture
def fake() -> FakePlanhat:
    return FakePlanhat()


@pytest.fixture
def client(fake: FakePlanhat) -> FlaskClient:
    return fake.app.test_client()


def test_a_journaled_body_nested_1000_deep_renders_on_the_dashboard(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    deep = b"[" * DEPTH + b"]" * DEPTH
    for depth_body in (deep, b'{"a":' * DEPTH + b"1" + b"}" * DEPTH):
        answer = client.post(
            "/dock/segment",
            data=depth_body,
            content_type="application/json",
            headers={"Authorization": basic(fake.tenant_token)},
        )
        assert answer.status_code == 400
    for path in ("/_fake/ui", "/_fake/ui/live"):
        page = client.get(path)
        assert page.status_code == 200, page.data[:300]


@pytest.mark.parametrize("digits", [309, 400, 4000])
def test_an_integer_too_large_for_a_float_is_refused_where_it_is_read(
    fake: FakePlanhat, client: FlaskClient, digits: int
) -> None:
    huge = "1" + "0" * digits
    auth = {"Authorization": f"Bearer {fake.api_token}"}
    answer = client.post(
        "/companies",
        data=f'{{"name": "Acme", "externalId": "acme", "custom": {{"n": {huge}}}}}',
        content_type="application/json",
        headers=auth,
    )
    assert answer.status_code == 400, answer.data[:300]
    assert "out of range" in answer.get_json()["message"]
    client.post("/companies", json={"name": "Beta", "custom": {"n": 1}}, headers=auth)
    for sort in ("n", "-n", "custom.n", "name"):
        listed = client.get(f"/companies?sort={sort}", headers=auth)
        assert listed.status_code == 200, listed.data[:300]


@pytest.mark.parametrize("number", ["1" + "0" * 309, "1" + "0" * 300, "1e300"])
@pytest.mark.parametrize("key", ["perSecond", "perMinute", "burst"])
def test_a_huge_rate_limit_is_refused_or_harmless(
    fake: FakePlanhat, client: FlaskClient, number: str, key: str
) -> None:
    values = {"perSecond": "5", "perMinute": "100", "burst": "10", key: number}
    body = "{" + ", ".join(f'"{k}": {v}' for k, v in values.items()) + "}"
    answer = client.put("/_fake/rate-limit", data=body, content_type="application/json")
    assert answer.status_code in (200, 400), answer.data[:300]
    auth = {"Authorization": f"Bearer {fake.api_token}"}
    for _ in range(3):
        listed = client.get("/companies", headers=auth)
        assert listed.status_code in (200, 429), listed.data[:300]
