"""A crowd of idle or trickling clients locks nobody out, and broken framing gets a 400 in
seconds, never a 501 or a two-minute hang (issue 15).

Everything here is loopback only, bounded in connections and time, and stops by itself.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from fake_planhat import FakePlanhat, ServerThread
from fake_planhat._guard import HEADER_SECONDS, IDLE_GRACE

IDLE = 500
TRICKLING = 100
FAST = 1.0  # seconds a new client may wait for its answer
CUT_WITHIN = HEADER_SECONDS + 4  # the guard checks once a second; a busy machine adds more


@pytest.fixture
def server() -> Iterator[ServerThread]:
    with FakePlanhat().serve(port=0) as running:
        yield running


def connect(server: ServerThread) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=10)
    return sock


def answer_of(sock: socket.socket, within: float) -> bytes:
    """Everything the server sends until it closes the connection (or ``within`` s pass)."""
    sock.settimeout(within)
    data = b""
    deadline = time.monotonic() + within
    try:
        while time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        pass
    except ConnectionResetError:  # closed with our bytes unread: what was sent still counts
        pass
    return data


def timed_get(client: httpx.Client, url: str) -> float:
    started = time.monotonic()
    answer = client.get(url)
    elapsed = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    return elapsed


def test_500_idle_and_100_trickling_connections_lock_nobody_out(server: ServerThread) -> None:
    held: list[socket.socket] = []
    stop = threading.Event()

    def trickle(socks: list[socket.socket]) -> None:
        while not stop.wait(0.5):
            for sock in socks:
                with contextlib.suppress(OSError):  # cut by the guard: it is allowed to
                    sock.send(b"X")

    try:
        for _ in range(IDLE):
            held.append(connect(server))
        tricklers = [connect(server) for _ in range(TRICKLING)]
        held.extend(tricklers)
        for sock in tricklers:
            sock.send(b"GET /_fake/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        thread = threading.Thread(target=trickle, args=(tricklers,), daemon=True)
        thread.start()
        times = []
        with httpx.Client(timeout=FAST * 5) as client:
            for _ in range(6):
                times.append(timed_get(client, f"{server.url}/_fake/health"))
                with httpx.Client(timeout=FAST * 5) as fresh:  # a new connection each time
                    times.append(timed_get(fresh, f"{server.url}/_fake/journal?limit=1"))
                time.sleep(0.5)
        assert max(times) < FAST, times
    finally:
        stop.set()
        for sock in held:
            sock.close()


def test_idle_connections_beyond_the_limit_evict_the_longest_idle() -> None:
    fake = FakePlanhat()
    with fake.serve(port=0) as server:
        server_limit = 40
        waitress = server._server
        assert waitress is not None
        waitress.adj.connection_limit = server_limit  # a small limit to reach it quickly
        held = [connect(server) for _ in range(server_limit + 20)]
        time.sleep(IDLE_GRACE + 1)  # the crowd has been idle for a while
        try:
            with httpx.Client(timeout=FAST * 5) as client:
                started = time.monotonic()
                answer = client.get(f"{server.url}/_fake/health")
                assert answer.status_code == 200
                assert time.monotonic() - started < 3  # one guard round at most
        finally:
            for sock in held:
                sock.close()


@pytest.mark.parametrize(
    ("name", "request_bytes"),
    [
        ("trickled-headers", b"GET /_fake/health HTTP/1.1\r\nHost: localhost\r\n"),
        (
            "short-body",
            b"POST /_fake/seed HTTP/1.1\r\nHost: localhost\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ten',
        ),
        ("no-headers-end", b"GET / HTTP/1.1\r\nHost: x"),
    ],
)
def test_a_request_that_never_arrives_whole_gets_a_400_in_seconds(
    server: ServerThread, name: str, request_bytes: bytes
) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(request_bytes)
        data = answer_of(sock, CUT_WITHIN + 2)
        elapsed = time.monotonic() - started
    assert data.startswith(b"HTTP/1.1 400 ") or data.startswith(b"HTTP/1.0 400 "), data[:200]
    assert elapsed < CUT_WITHIN, elapsed


def test_bare_lf_line_ends_get_a_400_at_once(server: ServerThread) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /_fake/health HTTP/1.1\nHost: localhost\n\n")
        data = answer_of(sock, 5)
    assert b" 400 " in data.split(b"\r\n", 1)[0], data[:200]
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("coding", ["gzip", "bogus", "chunked, gzip"])
def test_an_unknown_transfer_encoding_is_a_400_not_a_501(server: ServerThread, coding: str) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /endusers HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: "
            + coding.encode()
            + b"\r\n\r\n"
        )
        data = answer_of(sock, 5)
    assert data.split(b"\r\n", 1)[0].split(b" ")[1] == b"400", data[:200]


def test_health_answers_while_every_worker_is_busy() -> None:
    fake = FakePlanhat()
    fake.faults.add("/endusers", latency=3.0)
    with fake.serve(port=0, threads=2) as server, httpx.Client(timeout=10) as client:
        auth = {"Authorization": f"Bearer {fake.api_token}"}
        busy = [
            threading.Thread(
                target=lambda: httpx.get(f"{server.url}/endusers", headers=auth, timeout=10)
            )
            for _ in range(4)
        ]
        for thread in busy:
            thread.start()
        time.sleep(0.5)  # the two workers are asleep in the fault, two requests queued
        started = time.monotonic()
        assert client.get(f"{server.url}/_fake/health").status_code == 200
        elapsed = time.monotonic() - started
        for thread in busy:
            thread.join(15)
    assert elapsed < FAST, elapsed


def test_a_huge_header_is_refused_not_kept(server: ServerThread) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"GET /endusers HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n"
        )
        data = answer_of(sock, 5)
    # 431, or the connection reset before the answer was read (our bytes left unread)
    assert data == b"" or data.split(b"\r\n", 1)[0].split(b" ")[1] == b"431", data[:200]
