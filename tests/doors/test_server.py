"""The socket door: :class:`fake_planhat.server.ServerThread` (waitress in a thread)."""

from __future__ import annotations

import base64
import logging
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
import requests

from fake_planhat import FakePlanhat, ServerThread
from fake_planhat.server import BIND_HOST_CONFIG, CannotListen


def basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}


def identify(user_id: str) -> dict[str, Any]:
    return {"type": "identify", "userId": user_id, "messageId": f"m-{user_id}", "traits": {}}


@pytest.fixture
def fake() -> FakePlanhat:
    return FakePlanhat(seed=0)


@pytest.fixture
def server(fake: FakePlanhat) -> Iterator[ServerThread]:
    with fake.serve() as running:
        yield running


def refuses_connections(host: str, port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((host, port)) != 0


# --- start, address, stop --------------------------------------------------------------------


def test_serve_binds_a_free_loopback_port(fake: FakePlanhat, server: ServerThread) -> None:
    assert server.running
    assert server.host == "127.0.0.1"
    assert server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert httpx.get(f"{server.url}/_fake/health").json()["status"] == "ok"
    assert fake.app.config[BIND_HOST_CONFIG] == "127.0.0.1"


def test_requests_keep_the_host_they_were_sent_to(fake: FakePlanhat, server: ServerThread) -> None:
    response = httpx.post(
        f"{server.url}/dock/segment", json=identify("u1"), headers=basic(fake.tenant_token)
    )
    assert response.status_code == 200
    assert response.headers["Server"] == "fake-planhat"
    entry = fake.journal.last()
    assert entry is not None
    assert entry.host == f"127.0.0.1:{server.port}"


def test_one_fake_can_be_served_on_two_ports(fake: FakePlanhat, server: ServerThread) -> None:
    with fake.serve() as other:
        assert other.port != server.port
        for url in (server.url, other.url):
            httpx.get(f"{url}/endusers")
    assert [e.host for e in fake.journal.query()] == [
        f"127.0.0.1:{server.port}",
        f"127.0.0.1:{other.port}",
    ]


def test_a_busy_port_is_reported_plainly(server: ServerThread) -> None:
    with pytest.raises(CannotListen, match="already in use"):
        ServerThread(FakePlanhat(), "127.0.0.1", server.port).start()


def test_an_unknown_host_is_reported_plainly() -> None:
    with pytest.raises(CannotListen, match=r"cannot listen on no-such-host\.invalid"):
        ServerThread(FakePlanhat(), "no-such-host.invalid", 0).start()


def test_stop_closes_the_port_and_can_be_repeated(fake: FakePlanhat) -> None:
    server = fake.serve()
    host, port = server.host, server.port
    server.stop()
    server.stop()
    assert not server.running
    assert refuses_connections(host, port)


def test_a_stopped_server_starts_again(fake: FakePlanhat) -> None:
    server = fake.serve()
    server.stop()
    with server:
        assert httpx.get(f"{server.url}/_fake/health").status_code == 200


def test_stop_does_not_wait_for_idle_keep_alive_connections(server: ServerThread) -> None:
    with httpx.Client() as client:
        client.get(f"{server.url}/_fake/health")  # the connection stays open
        started = time.monotonic()
        server.stop()
        # waitress's loop sleeps up to 1 s between polls; stop must not wait for that
        assert time.monotonic() - started < 0.5
        with pytest.raises(httpx.TransportError):
            client.get(f"{server.url}/_fake/health")


def test_stop_lets_a_request_in_flight_finish(fake: FakePlanhat, server: ServerThread) -> None:
    inside, release = threading.Event(), threading.Event()

    @fake.app.before_request
    def hold() -> None:
        inside.set()
        release.wait(5)

    with ThreadPoolExecutor(2) as pool:
        answer = pool.submit(httpx.get, f"{server.url}/endusers")
        assert inside.wait(5)
        stopped = pool.submit(server.stop)
        deadline = time.monotonic() + 5
        while not refuses_connections(server.host, server.port):  # the port closes first
            assert time.monotonic() < deadline
            time.sleep(0.005)
        assert not stopped.done()
        release.set()
        assert answer.result(5).status_code == 401
        stopped.result(5)


def test_swapping_the_fake_serves_the_new_one(server: ServerThread) -> None:
    replacement = FakePlanhat()
    server.fake = replacement
    httpx.get(f"{server.url}/endusers")
    assert len(replacement.journal) == 1
    assert replacement.app.config[BIND_HOST_CONFIG] == "127.0.0.1"


def test_eight_requests_are_served_at_once(fake: FakePlanhat) -> None:
    """8 worker threads: 8 requests are inside the app together (the barrier proves it)."""
    barrier = threading.Barrier(8, timeout=10)

    @fake.app.before_request
    def meet() -> None:
        barrier.wait()

    def send(n: int) -> int:
        with httpx.Client() as client:
            statuses = [
                client.post(
                    f"{server.url}/dock/segment",
                    json=identify(f"u{n}-{i}"),
                    headers=basic(fake.tenant_token),
                ).status_code
                for i in range(3)
            ]
        return statuses.count(200)

    with fake.serve(threads=8) as server, ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(send, range(8))) == 24
    assert len(fake.unassigned()) == 24
    assert len({c["externalId"] for c in fake.unassigned()}) == 24


# --- cut connections over the socket (rules O-2 and E-3) -------------------------------------


def send_segment(library: str, url: str, token: str) -> None:
    if library == "httpx":
        httpx.post(f"{url}/dock/segment", json=identify("u1"), headers=basic(token))
    else:
        requests.post(f"{url}/dock/segment", json=identify("u1"), headers=basic(token), timeout=5)


DROPPED = {"httpx": httpx.RemoteProtocolError, "requests": requests.ConnectionError}


@pytest.mark.parametrize("library", ["httpx", "requests"])
def test_O2_cut_before_breaks_the_connection_and_applies_nothing(
    fake: FakePlanhat, server: ServerThread, library: str
) -> None:
    fake.faults.add("/dock/segment", "POST", cut="before")
    with pytest.raises(DROPPED[library]):
        send_segment(library, server.url, fake.tenant_token)
    assert fake.unassigned() == []


@pytest.mark.parametrize("library", ["httpx", "requests"])
def test_E3_cut_after_breaks_the_connection_but_applies_the_write(
    fake: FakePlanhat, server: ServerThread, library: str
) -> None:
    fake.faults.add("/dock/segment", "POST", cut="after", times=1)
    with pytest.raises(DROPPED[library]):
        send_segment(library, server.url, fake.tenant_token)
    assert [c["externalId"] for c in fake.unassigned()] == ["u1"]
    send_segment(library, server.url, fake.tenant_token)  # the server still serves; a retry
    assert len(fake.unassigned()) == 1  # ... never duplicates a contact


def test_a_cut_is_logged_at_debug_level_only(
    fake: FakePlanhat, server: ServerThread, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.faults.add("/dock/segment", cut="before")
    with pytest.raises(httpx.RemoteProtocolError):
        send_segment("httpx", server.url, fake.tenant_token)
    assert [r for r in caplog.records if r.levelno > logging.DEBUG] == []
    assert any(
        r.name == "fake_planhat.server" and "Client disconnected" in r.getMessage()
        for r in caplog.records
    )
