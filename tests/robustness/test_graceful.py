"""Graceful edges of the socket server: stopping mid-request, and bounded per-request buffers.

Tested elsewhere, not repeated here:

- a second server on a busy port fails with one clear line and exit status 1:
  ``tests/doors/test_cli.py::test_a_busy_port_fails_with_one_clear_line``;
- ``--host 0.0.0.0`` without explicit tokens is refused (exit status 2):
  ``tests/doors/test_cli.py::test_beyond_loopback_default_tokens_are_refused``;
- the journal keeps its bound (``journal_size=100`` after 1000 requests holds 100):
  ``tests/control/test_journal.py::test_journal_keeps_the_newest_entries_and_counts_the_dropped``,
  and under concurrent socket load in ``test_soak.py``;
- a body over a route's own limit (1 MiB on the intake) sent whole over a socket gets Planhat's
  413: ``tests/robustness/test_bad_input.py::test_nasty_requests_over_a_socket_...``.
"""

from __future__ import annotations

import base64
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fake_planhat import DEFAULT_TENANT_TOKEN, FakePlanhat, ServerThread
from fake_planhat.api.common import LIMIT_ANALYTICS

STARTUP = 30.0
SERVE = [sys.executable, "-m", "fake_planhat.cli", "serve", "--port", "0"]
LATENCY = 1.0  # seconds the fault holds the request in flight
INTAKE_AUTH = "Basic " + base64.b64encode(f"{DEFAULT_TENANT_TOKEN}:".encode()).decode()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``fake-planhat serve --port 0 --state FILE``: the process and its URL."""
    process = subprocess.Popen(
        [*SERVE, "--state", str(tmp_path / "state.sqlite")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://"), process.communicate(timeout=STARTUP)
        yield process, url
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=STARTUP)


def test_sigterm_lets_a_slow_request_finish_and_keeps_its_write(
    served: tuple[subprocess.Popen[str], str], tmp_path: Path
) -> None:
    process, url = served
    fault = {"path": "/dock/segment", "latency": LATENCY}
    assert httpx.post(f"{url}/_fake/faults", json=fault).status_code == 201
    identify = {"type": "identify", "userId": "slow", "traits": {"email": "slow@x.test"}}
    answers: list[httpx.Response] = []

    def slow_request() -> None:
        answers.append(
            httpx.post(
                f"{url}/dock/segment",
                json=identify,
                headers={"Authorization": INTAKE_AUTH},
                timeout=STARTUP,
            )
        )

    sender = threading.Thread(target=slow_request)
    started = time.monotonic()
    sender.start()
    deadline = started + STARTUP
    while httpx.get(f"{url}/_fake/faults").json()["faults"][0]["hits"] == 0:
        assert time.monotonic() < deadline, "the slow request never arrived"
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)  # while the request sleeps in the fault
    sender.join(STARTUP)
    assert process.wait(timeout=STARTUP) == 0
    out, err = process.communicate(timeout=STARTUP)
    assert [a.status_code for a in answers] == [200]
    assert answers[0].json() == {"ok": True, "result": "applied"}
    assert time.monotonic() - started >= LATENCY
    assert out.rstrip().endswith("fake-planhat: stopped")
    assert "Traceback" not in err
    # the write of the request that finished during shutdown is in the state file
    restarted = FakePlanhat(state_file=tmp_path / "state.sqlite")
    assert [c["externalId"] for c in restarted.unassigned()] == ["slow"]
    restarted.close()


@pytest.fixture
def server() -> Iterator[ServerThread]:
    with FakePlanhat().serve() as running:
        yield running


def raw_exchange(server: ServerThread, request: bytes) -> tuple[bytes, float]:
    """Send raw bytes; everything the server answers until it closes, and how long it took."""
    started = time.monotonic()
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks), time.monotonic() - started


def test_a_content_length_over_every_limit_is_refused_without_reading_the_body(
    server: ServerThread,
) -> None:
    """100 MB announced, 2 bytes sent: waitress answers 413 from the header at once and closes
    the connection, instead of waiting (and buffering) for a body that never comes."""
    request = (
        b"POST /dock/segment HTTP/1.1\r\nHost: fake\r\nContent-Type: application/json\r\n"
        + f"Authorization: {INTAKE_AUTH}\r\n".encode()
        + b"Content-Length: 100000000\r\n\r\n{}"
    )
    answer, took = raw_exchange(server, request)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert str(LIMIT_ANALYTICS + 1).encode() in answer  # waitress names its limit
    assert took < 2.0
    assert len(server.fake.journal) == 0  # the app never ran
