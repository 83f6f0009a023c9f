"""The in-process doors (respx for httpx, responses for requests) and the WSGI plumbing every
door shares (:mod:`fake_planhat.transports`)."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from fake_planhat import FakePlanhat
from fake_planhat.transports import (
    CUT_ENVIRON_KEY,
    NOT_PLANHAT_URL,
    PLANHAT_URL,
    ConnectionCut,
    CutConnections,
    call_wsgi,
    wsgi_environ,
)

SEGMENT_URL = "https://api-eu.planhat.com/dock/segment"


def basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}


def identify(user_id: str, **traits: Any) -> dict[str, Any]:
    return {"type": "identify", "userId": user_id, "messageId": f"m-{user_id}", "traits": traits}


@pytest.fixture
def fake() -> FakePlanhat:
    return FakePlanhat(seed=0)


@pytest.fixture
def echo_server() -> Iterator[str]:
    """A plain local HTTP server (werkzeug) answering what it received, as JSON."""

    @Request.application
    def echo(request: Request) -> Response:
        seen = {
            "method": request.method,
            "host": request.host,
            "path": request.path,
            "body": request.get_data(as_text=True),
        }
        return Response(json.dumps(seen), mimetype="application/json")

    server = make_server("127.0.0.1", 0, echo, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


# --- which URLs are Planhat's ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://api.planhat.com/endusers",
        "https://api-eu.planhat.com/dock/segment",
        "http://analytics.planhat.com/analytics/t",
        "https://API-US2.Planhat.com:443/companies?limit=1",
        "https://planhat.com/",
        "https://api.planhat.com",
    ],
)
def test_planhat_urls_are_routed_to_the_fake(url: str) -> None:
    assert PLANHAT_URL.match(url)
    assert not NOT_PLANHAT_URL.match(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/planhat.com",
        "https://planhat.com.evil.test/dock/segment",
        "https://notplanhat.com/",
        "http://127.0.0.1:8080/dock/segment",
        "https://api.planhat.co/endusers",
    ],
)
def test_other_urls_pass_through(url: str) -> None:
    assert not PLANHAT_URL.match(url)
    assert NOT_PLANHAT_URL.match(url)


# --- the shared WSGI plumbing ----------------------------------------------------------------


def test_environ_carries_utf8_paths_as_latin1_bytes() -> None:
    environ = wsgi_environ(
        "get", "https://api.planhat.com/endusers/extid-%C3%A9%20x?a=%C3%A9", [], b""
    )
    assert environ["REQUEST_METHOD"] == "GET"
    assert environ["PATH_INFO"] == "/endusers/extid-é x".encode().decode("latin-1")
    assert environ["QUERY_STRING"] == "a=%C3%A9"
    assert environ["wsgi.url_scheme"] == "https"
    assert (environ["SERVER_NAME"], environ["SERVER_PORT"]) == ("api.planhat.com", "443")


def test_environ_takes_host_from_url_when_client_sent_none() -> None:
    environ = wsgi_environ("POST", "http://analytics.planhat.com:8080/x", [], b"{}")
    assert environ["HTTP_HOST"] == "analytics.planhat.com:8080"
    assert environ["CONTENT_LENGTH"] == "2"


def test_environ_joins_repeated_headers_and_recounts_the_body() -> None:
    headers = [
        ("Accept", "a/b"),
        ("Accept", "c/d"),
        ("Cookie", "x=1"),
        ("Cookie", "y=2"),
        ("Content-Type", "application/json"),
        ("Content-Length", "999"),
        ("Transfer-Encoding", "chunked"),
        ("Host", "api-eu.planhat.com"),
    ]
    environ = wsgi_environ("POST", "https://api.planhat.com/x", headers, b"[1]")
    assert environ["HTTP_ACCEPT"] == "a/b, c/d"
    assert environ["HTTP_COOKIE"] == "x=1; y=2"
    assert environ["CONTENT_TYPE"] == "application/json"
    assert environ["CONTENT_LENGTH"] == "3"
    assert "HTTP_TRANSFER_ENCODING" not in environ
    assert environ["HTTP_HOST"] == "api-eu.planhat.com"


def test_call_wsgi_reads_the_whole_answer(fake: FakePlanhat) -> None:
    result = call_wsgi(
        fake.app, wsgi_environ("GET", "https://api.planhat.com/_fake/health", [], b"")
    )
    assert result.status == 200
    assert json.loads(result.body)["status"] == "ok"
    assert ("Content-Type", "application/json") in result.headers


@pytest.mark.parametrize("when", ["before", "after"])
def test_cut_connections_raises_instead_of_answering(when: str) -> None:
    closed: list[bool] = []

    class Body(list[bytes]):
        def close(self) -> None:
            closed.append(True)

    def app(environ: dict[str, Any], start_response: Any) -> Body:
        start_response("200 OK", [("Content-Type", "text/plain")])
        environ[CUT_ENVIRON_KEY] = when
        return Body([b"never sent"])

    with pytest.raises(ConnectionCut) as caught:
        call_wsgi(CutConnections(app), wsgi_environ("GET", "http://x.planhat.com/", [], b""))
    assert caught.value.when == when
    assert closed == [True]


# --- the in-process doors --------------------------------------------------------------------


def test_W1_httpx_call_reaches_the_fake_with_its_real_host(fake: FakePlanhat) -> None:
    with fake.intercept():
        response = httpx.post(SEGMENT_URL, json=identify("u1"), headers=basic(fake.tenant_token))
    assert response.status_code == 200
    entry = fake.journal.last()
    assert entry is not None
    assert (entry.host, entry.path, entry.route) == (
        "api-eu.planhat.com",
        "/dock/segment",
        "dock.segment",
    )
    assert entry.message_id == "m-u1"


def test_W1_async_httpx_call_reaches_the_fake(fake: FakePlanhat) -> None:
    async def send() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.post(
                SEGMENT_URL, json=identify("u2"), headers=basic(fake.tenant_token)
            )

    with fake.intercept():
        response = asyncio.run(send())
    assert response.status_code == 200
    assert [e.host for e in fake.journal.query(route="dock.segment")] == ["api-eu.planhat.com"]


def test_W1_requests_call_reaches_the_fake_with_its_real_host(fake: FakePlanhat) -> None:
    with fake.intercept():
        response = requests.post(
            SEGMENT_URL, json=identify("u3"), headers=basic(fake.tenant_token), timeout=5
        )
    assert response.status_code == 200
    assert response.json()["ok"] is True
    entry = fake.journal.last()
    assert entry is not None
    assert entry.host == "api-eu.planhat.com"
    assert entry.headers["Host"] == "api-eu.planhat.com"


@pytest.mark.parametrize("library", ["httpx", "requests"])
def test_plain_http_and_other_subdomains_are_routed_too(fake: FakePlanhat, library: str) -> None:
    url = f"http://analytics.planhat.com/analytics/{fake.tenant_token}"
    activity = {"externalId": "nobody", "action": "Logged in"}
    with fake.intercept():
        if library == "httpx":
            status = httpx.post(url, json=activity).status_code
        else:
            status = requests.post(url, json=activity, timeout=5).status_code
    assert status == 200
    assert [e.host for e in fake.journal.query(route="analytics")] == ["analytics.planhat.com"]


@pytest.mark.parametrize("library", ["httpx", "requests"])
def test_utf8_ids_in_paths_survive(fake: FakePlanhat, library: str) -> None:
    rest = {"Authorization": f"Bearer {fake.api_token}"}
    base = "https://api.planhat.com/companies"
    with fake.intercept():
        if library == "httpx":
            created = httpx.post(base, json={"name": "Ünïcode", "externalId": "é ü"}, headers=rest)
            found = httpx.get(f"{base}/extid-é ü", headers=rest)
        else:
            created = requests.post(
                base, json={"name": "Ünïcode", "externalId": "é ü"}, headers=rest, timeout=5
            )
            found = requests.get(f"{base}/extid-é ü", headers=rest, timeout=5)
    assert created.status_code == 200, created.text
    assert found.status_code == 200, found.text
    assert found.json()["_id"] == created.json()["_id"]


def test_other_urls_pass_through_untouched(fake: FakePlanhat, echo_server: str) -> None:
    async def send_async() -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.post(f"{echo_server}/async", content=b"c")

    with fake.intercept():
        by_httpx = httpx.post(f"{echo_server}/sync", content=b"a").json()
        by_async = asyncio.run(send_async()).json()
        by_requests = requests.post(f"{echo_server}/requests", data=b"b", timeout=5).json()
    host = echo_server.removeprefix("http://")
    assert by_httpx == {"method": "POST", "host": host, "path": "/sync", "body": "a"}
    assert by_async == {"method": "POST", "host": host, "path": "/async", "body": "c"}
    assert by_requests == {"method": "POST", "host": host, "path": "/requests", "body": "b"}
    assert len(fake.journal) == 0


def test_intercept_stops_cleanly_so_another_fake_can_take_over() -> None:
    first, second = FakePlanhat(), FakePlanhat()
    with first.intercept():
        httpx.get("https://api.planhat.com/_fake/health")
        requests.get("https://api.planhat.com/endusers", timeout=5)
    with second.intercept() as door:
        assert door.active
        httpx.get("https://api.planhat.com/endusers")
        requests.get("https://api.planhat.com/endusers", timeout=5)
    assert not door.active
    assert len(first.journal) == 1  # the control plane is not journaled
    assert len(second.journal) == 2


def test_intercept_refuses_to_start_twice(fake: FakePlanhat) -> None:
    with fake.intercept() as door, pytest.raises(RuntimeError, match="already started"):
        door.start()


@pytest.mark.parametrize("kept", ["httpx", "requests"])
def test_a_library_left_out_is_not_intercepted(
    fake: FakePlanhat, echo_server: str, kept: str
) -> None:
    """The library left out reaches its proxy (the echo server) instead of the fake."""
    url = "http://api.planhat.com/endusers"
    with fake.intercept(httpx=kept == "httpx", requests=kept == "requests"):
        with httpx.Client(proxy=echo_server) as client:
            by_httpx = client.get(url)
        by_requests = requests.get(url, proxies={"http": echo_server}, timeout=5)
    intercepted, passed = (by_httpx, by_requests) if kept == "httpx" else (by_requests, by_httpx)
    assert intercepted.status_code == 401  # the fake: no Authorization header
    assert passed.status_code == 200
    assert passed.json()["host"] == "api.planhat.com"
    assert [e.host for e in fake.journal.query()] == ["api.planhat.com"]


# --- cut connections in-process (rules O-2 and E-3) ------------------------------------------


@pytest.mark.parametrize("when", ["before", "after"])
def test_O2_httpx_sees_a_dropped_connection(fake: FakePlanhat, when: str) -> None:
    fake.faults.add("/dock/segment", "POST", cut=when)
    with fake.intercept(), pytest.raises(httpx.RemoteProtocolError, match="disconnected"):
        httpx.post(SEGMENT_URL, json=identify("u1"), headers=basic(fake.tenant_token))
    # E-3: only a cut after the request took effect leaves its write behind
    assert len(fake.unassigned()) == (1 if when == "after" else 0)


@pytest.mark.parametrize("when", ["before", "after"])
def test_O2_async_httpx_sees_a_dropped_connection(fake: FakePlanhat, when: str) -> None:
    fake.faults.add("/dock/segment", cut=when)

    async def send() -> None:
        async with httpx.AsyncClient() as client:
            await client.post(SEGMENT_URL, json=identify("u1"), headers=basic(fake.tenant_token))

    with fake.intercept(), pytest.raises(httpx.RemoteProtocolError):
        asyncio.run(send())
    assert len(fake.unassigned()) == (1 if when == "after" else 0)


@pytest.mark.parametrize("when", ["before", "after"])
def test_O2_requests_sees_a_dropped_connection(fake: FakePlanhat, when: str) -> None:
    fake.faults.add("/dock/segment", cut=when, on_calls=[1])
    with fake.intercept():
        with pytest.raises(requests.ConnectionError, match="Connection aborted"):
            requests.post(
                SEGMENT_URL, json=identify("u1"), headers=basic(fake.tenant_token), timeout=5
            )
        retried = requests.post(
            SEGMENT_URL, json=identify("u1"), headers=basic(fake.tenant_token), timeout=5
        )
    assert retried.status_code == 200
    assert len(fake.unassigned()) == 1  # E-3: a retry never duplicates a contact
