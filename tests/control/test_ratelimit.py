"""Planhat's REST rate limits (PLANHAT-FACTS "Conventions"): off by default; per tenant; REST
routes only; 429 with Retry-After and the X-Rate-Limit headers."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from fake_planhat import FakePlanhat
from fake_planhat.ratelimit import RateLimit, RateLimiter

from . import identify, plain_error, post_segment


class Ticker:
    """A hand-moved stand-in for time.monotonic."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticker(fake: FakePlanhat) -> Ticker:
    """The fake's limiter on a hand-moved clock, so no test depends on the machine's speed."""
    ticker = Ticker()
    fake.rate_limit = RateLimiter(now=ticker)
    return ticker


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- the limiter itself ----------------------------------------------------------------------


def test_burst_then_refill_at_per_second(ticker: Ticker) -> None:
    limiter = RateLimiter(now=ticker)
    limiter.enable(per_second=10, per_minute=1000, burst=5)
    decisions = [limiter.check("t") for _ in range(6)]
    assert [d.allowed for d in decisions if d] == [True] * 5 + [False]
    assert [d.remaining for d in decisions if d] == [4, 3, 2, 1, 0, 0]
    refused = decisions[-1]
    assert refused is not None
    assert refused.retry_after == 1  # a token comes back in 0.1 s; Retry-After is whole seconds
    ticker.now += 0.1
    again = limiter.check("t")
    assert again is not None
    assert again.allowed


def test_per_minute_window(ticker: Ticker) -> None:
    limiter = RateLimiter(now=ticker)
    limiter.enable(per_second=100, per_minute=3, burst=100)
    for _ in range(3):
        decision = limiter.check("t")
        assert decision is not None
        assert decision.allowed
        ticker.now += 10
    refused = limiter.check("t")
    assert refused is not None
    assert not refused.allowed
    assert refused.retry_after == 30  # the first request leaves the window at +60 s
    ticker.now += 30
    allowed = limiter.check("t")
    assert allowed is not None
    assert allowed.allowed


def test_refused_requests_use_up_nothing(ticker: Ticker) -> None:
    limiter = RateLimiter(now=ticker)
    limiter.enable(per_second=1, per_minute=100, burst=1)
    assert [getattr(limiter.check("t"), "allowed", None) for _ in range(5)] == [
        True,
        False,
        False,
        False,
        False,
    ]
    ticker.now += 1
    decision = limiter.check("t")
    assert decision is not None
    assert decision.allowed


def test_off_by_default_and_after_disable() -> None:
    limiter = RateLimiter()
    assert limiter.check("t") is None
    assert limiter.to_json() == {"enabled": False}
    limiter.enable()
    assert limiter.limit == RateLimit(per_second=150, per_minute=200, burst=50)
    limiter.disable()
    assert limiter.check("t") is None


@pytest.mark.parametrize("kwargs", [{"burst": 0}, {"per_minute": -1}, {"per_second": 1.5}])
def test_bad_limits_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be a whole number >= 1"):
        RateLimiter().enable(**kwargs)


# --- through the app -------------------------------------------------------------------------


def test_over_the_limit_is_429_with_retry_after_and_rate_headers(
    fake: FakePlanhat, client: FlaskClient, ticker: Ticker, rest_auth: dict[str, str]
) -> None:
    fake.rate_limit.enable(per_second=1, per_minute=100, burst=2)
    first = client.get("/endusers", headers=rest_auth)
    assert first.status_code == 200
    assert first.headers["X-Rate-Limit-Limit"] == "100"
    assert first.headers["X-Rate-Limit-Remaining"] == "1"
    assert client.get("/endusers", headers=rest_auth).status_code == 200
    refused = client.get("/endusers", headers=rest_auth)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["X-Rate-Limit-Remaining"] == "0"
    body = refused.get_json()
    assert body["status"] == 429
    assert "retry after 1 s" in body["message"]
    ticker.now += 1
    assert client.get("/endusers", headers=rest_auth).status_code == 200


def test_limits_are_per_tenant(fake: FakePlanhat, client: FlaskClient, ticker: Ticker) -> None:
    fake.add_tenant("tenant-b", "api-token-b")
    fake.rate_limit.enable(per_second=1, per_minute=100, burst=1)
    assert client.get("/endusers", headers=bearer(fake.api_token)).status_code == 200
    assert client.get("/endusers", headers=bearer(fake.api_token)).status_code == 429
    assert client.get("/endusers", headers=bearer("api-token-b")).status_code == 200


def test_tracking_and_intake_routes_are_outside_the_limits(
    fake: FakePlanhat, client: FlaskClient, ticker: Ticker
) -> None:
    fake.rate_limit.enable(per_second=1, per_minute=1, burst=1)
    for i in range(5):
        answer = post_segment(client, fake.tenant_token, identify(f"u{i}"))
        assert answer.status_code == 200
        assert "X-Rate-Limit-Limit" not in answer.headers
        tracked = client.post(
            f"/analytics/{fake.tenant_token}",
            json={"externalId": f"u{i}", "action": "Logged In"},
        )
        assert tracked.status_code == 200
        assert "X-Rate-Limit-Limit" not in tracked.headers


def test_unknown_callers_get_401_and_use_up_nothing(
    fake: FakePlanhat, client: FlaskClient, ticker: Ticker, rest_auth: dict[str, str]
) -> None:
    fake.rate_limit.enable(per_second=1, per_minute=100, burst=1)
    for _ in range(3):
        assert client.get("/endusers", headers=bearer("no-such-token")).status_code == 401
    assert client.get("/endusers").status_code == 401
    assert client.get("/endusers", headers=rest_auth).status_code == 200


def test_no_rate_headers_while_off(client: FlaskClient, rest_auth: dict[str, str]) -> None:
    answer = client.get("/endusers", headers=rest_auth)
    assert answer.status_code == 200
    assert "X-Rate-Limit-Limit" not in answer.headers


def test_rate_limit_over_the_control_plane(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    assert client.get("/_fake/rate-limit").get_json() == {"enabled": False}
    on = client.put("/_fake/rate-limit", json={"perMinute": 2})
    assert on.status_code == 200
    assert on.get_json() == {"enabled": True, "perSecond": 150, "perMinute": 2, "burst": 50}
    statuses = [client.get("/endusers", headers=rest_auth).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.delete("/_fake/rate-limit").get_json() == {"enabled": False}
    assert client.get("/endusers", headers=rest_auth).status_code == 200


def test_defaults_when_put_has_no_body(client: FlaskClient) -> None:
    on = client.put("/_fake/rate-limit")
    assert on.get_json() == {"enabled": True, "perSecond": 150, "perMinute": 200, "burst": 50}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"burst": 0}, "burst must be a whole number >= 1"),
        ({"perMinute": "200"}, "perMinute must be a whole number >= 1"),
        ({"per_minute": 5}, "keys are camelCase: perMinute"),
    ],
)
def test_bad_rate_limit_bodies_are_400(client: FlaskClient, body: Any, words: str) -> None:
    answer = client.put("/_fake/rate-limit", json=body)
    assert answer.status_code == 400
    assert words in plain_error(answer)
    assert client.get("/_fake/rate-limit").get_json() == {"enabled": False}
