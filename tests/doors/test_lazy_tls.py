"""The in-process doors do not pay for TLS that never happens (issue 13).

``httpx.post(...)`` builds a new client per call, and every client builds a TLS context
(loading the CA bundle, ~40 ms) in its constructor. While an Intercept runs, clients get a
:class:`~fake_planhat.transports.LazySSLContext` instead: built on first use, which a request
the door serves never makes. The bench (``make bench``, area ``clients``) reports the per-call
cost of both client styles and the naive destination's default run.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from typing import Any

import httpx
import pytest
from httpx._transports import default as httpx_default

from conformance import run_campaign
from fake_planhat import FakePlanhat
from fake_planhat.transports import LazySSLContext

SEGMENT_URL = "https://api.planhat.com/dock/segment"


def _auth(fake: FakePlanhat) -> dict[str, str]:
    token = base64.b64encode(f"{fake.tenant_token}:".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _event(n: int) -> dict[str, Any]:
    return {"type": "identify", "userId": f"u-{n}", "messageId": f"m-{n}", "traits": {}}


def _pool_context(client: httpx.Client | httpx.AsyncClient) -> Any:
    """The TLS context httpx handed the client's connection pool."""
    return client._transport._pool._ssl_context  # type: ignore[union-attr]


@pytest.fixture
def built_contexts(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every real default TLS context built while the test runs."""
    built: list[object] = []
    original = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        context = original(*args, **kwargs)
        built.append(context)
        return context

    monkeypatch.setattr(ssl, "create_default_context", counting)
    return built


def test_naive_httpx_post_through_the_door_builds_no_tls_context(
    built_contexts: list[object],
) -> None:
    fake = FakePlanhat()
    with fake.intercept():
        for n in range(5):
            answer = httpx.post(SEGMENT_URL, json=_event(n), headers=_auth(fake))
            assert answer.status_code == 200
    assert built_contexts == []
    assert len(fake.journal.query()) == 5


def test_naive_async_post_through_the_door_builds_no_tls_context(
    built_contexts: list[object],
) -> None:
    fake = FakePlanhat()

    async def send() -> int:
        async with httpx.AsyncClient() as client:
            answer = await client.post(SEGMENT_URL, json=_event(1), headers=_auth(fake))
            assert isinstance(_pool_context(client), LazySSLContext)
            return answer.status_code

    with fake.intercept():
        assert asyncio.run(send()) == 200
    assert built_contexts == []


def test_the_planhat_fixture_door_defers_tls_too(
    planhat: FakePlanhat, built_contexts: list[object]
) -> None:
    answer = httpx.post(SEGMENT_URL, json=_event(1), headers=_auth(planhat))
    assert answer.status_code == 200
    client = httpx.Client()
    context = _pool_context(client)
    client.close()
    assert isinstance(context, LazySSLContext)
    assert not context.built
    assert built_contexts == []


def test_a_lazy_context_is_an_ssl_context_and_builds_the_default_one_on_first_use() -> None:
    fake = FakePlanhat()
    with fake.intercept(), httpx.Client() as client:
        context = _pool_context(client)
        assert isinstance(context, ssl.SSLContext)
        assert not context.built
        # What a connection does first: the real context is built, with httpx's defaults.
        context.set_alpn_protocols(["http/1.1"])
        assert context.built
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname is True
        context.check_hostname = False  # writes reach the real context
        assert context.check_hostname is False
        assert "built" in repr(context)


def test_only_the_default_verification_is_deferred() -> None:
    mine = ssl.create_default_context()
    fake = FakePlanhat()
    with fake.intercept():
        with httpx.Client(verify=mine) as client:
            assert _pool_context(client) is mine
        with httpx.Client(verify=False) as client:
            assert type(_pool_context(client)) is ssl.SSLContext


def test_httpx_is_restored_when_the_last_door_closes() -> None:
    original = httpx_default.create_ssl_context
    first, second = FakePlanhat(), FakePlanhat()
    with first.intercept():
        patched = httpx_default.create_ssl_context
        assert patched is not original
        with second.intercept():
            assert httpx_default.create_ssl_context is patched
        assert httpx_default.create_ssl_context is patched  # the first door still runs
    assert httpx_default.create_ssl_context is original
    with httpx.Client() as client:
        assert type(_pool_context(client)) is ssl.SSLContext


def test_a_requests_only_door_leaves_httpx_alone() -> None:
    original = httpx_default.create_ssl_context
    with FakePlanhat().intercept(httpx=False):
        assert httpx_default.create_ssl_context is original


def test_the_naive_reference_destination_conforms() -> None:
    """Its default run is measured by the bench (area ``clients``); here a short campaign."""
    result = run_campaign("reference:segment_naive", max_examples=5)
    assert result.ok, [f.rule_id for f in result.failures()]
