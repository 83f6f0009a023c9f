"""``fake-planhat serve`` run as a user runs it: a subprocess, its output, its signals."""

from __future__ import annotations

import base64
import json
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from fake_planhat import DEFAULT_API_TOKEN, DEFAULT_TENANT_TOKEN
from fake_planhat.auth import fingerprint

# The console script pyproject.toml declares, installed beside this interpreter.
EXECUTABLE = Path(sys.executable).with_name("fake-planhat")
STARTUP = 30.0  # seconds: a cold interpreter on a busy CI machine


class Cli:
    """A running ``fake-planhat`` process; its output is read by threads as it comes."""

    def __init__(self, *args: str) -> None:
        assert EXECUTABLE.exists(), f"{EXECUTABLE} is missing: pip install -e . first"
        self.process = subprocess.Popen(
            [str(EXECUTABLE), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stdout: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        self.result: tuple[int, str, str] | None = None
        self.readers = [
            threading.Thread(target=self._pump, args=(self.process.stdout, self.stdout.put)),
            threading.Thread(target=self._pump, args=(self.process.stderr, self.stderr.append)),
        ]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _pump(stream: IO[str] | None, sink: Callable[[str | None], None]) -> None:
        assert stream is not None
        for line in stream:
            sink(line)
        sink(None)  # end of output

    def read_line(self, timeout: float = STARTUP) -> str:
        try:
            line = self.stdout.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no output within {timeout} s") from None
        if line is None:
            self.stdout.put(None)  # keep the end mark for finish()
            raise AssertionError("the process ended: " + "".join(filter(None, self.stderr)))
        return line.rstrip("\n")

    @staticmethod
    def wait_healthy(url: str) -> None:
        deadline = time.monotonic() + STARTUP
        while True:
            try:
                if httpx.get(f"{url}/_fake/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server never answered /_fake/health"
            time.sleep(0.05)

    def finish(self) -> tuple[int, str, str]:
        """Wait for the exit; its status, the output not read yet, and stderr."""
        if self.result is None:
            status = self.process.wait(timeout=STARTUP)
            for reader in self.readers:
                reader.join(STARTUP)
            out = "".join(line for line in iter(self.stdout.get_nowait, None))
            self.result = status, out, "".join(filter(None, self.stderr))
        return self.result

    def stop(self, sig: signal.Signals) -> tuple[int, str, str]:
        self.process.send_signal(sig)
        return self.finish()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.finish()


@pytest.fixture
def cli() -> Iterator[type[Cli]]:
    started: list[Cli] = []

    class Tracked(Cli):
        def __init__(self, *args: str) -> None:
            super().__init__(*args)
            started.append(self)

    yield Tracked
    for process in started:
        process.kill()


def serving(cli: type[Cli], *args: str) -> tuple[Cli, str]:
    """Start ``fake-planhat serve --port 0 …``; return it and the URL from its first line."""
    running = cli("serve", "--port", "0", *args)
    url = running.read_line()
    assert re.fullmatch(r"http://[0-9.]+:\d+", url), url
    running.wait_healthy(url)
    return running, url


def basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}


def test_P5_P7_serve_takes_segment_events_and_shows_the_contact(cli: type[Cli]) -> None:
    running, url = serving(cli, "--group", "upsert")  # the group call makes the company (P-7)
    assert running.read_line() == f"dashboard: {url}/_fake/ui"
    intake = basic(DEFAULT_TENANT_TOKEN)
    group = {"type": "group", "groupId": "acme", "userId": "u1", "traits": {"name": "Acme"}}
    identify = {
        "type": "identify",
        "userId": "u1",
        "traits": {"email": "ann@acme.test", "name": "Ann Lee", "companyId": "acme"},
    }
    for event in (group, identify):
        assert httpx.post(f"{url}/dock/segment", json=event, headers=intake).status_code == 200
    found = httpx.get(
        f"{url}/endusers",
        params={"email": "ann@acme.test"},
        headers={"Authorization": f"Bearer {DEFAULT_API_TOKEN}"},
    )
    assert found.status_code == 200
    [contact] = found.json()
    company = httpx.get(
        f"{url}/companies/extid-acme", headers={"Authorization": f"Bearer {DEFAULT_API_TOKEN}"}
    ).json()
    assert contact["companyId"] == company["_id"]
    assert contact["source"] == "Segment"
    assert contact["name"] == "Ann Lee"

    status, rest, err = running.stop(signal.SIGTERM)
    assert status == 0, err
    out = "\n".join([url, f"dashboard: {url}/_fake/ui", rest])
    assert out.rstrip().endswith("fake-planhat: stopped")
    assert DEFAULT_TENANT_TOKEN not in out
    assert DEFAULT_API_TOKEN not in out
    assert f"fp:{fingerprint(DEFAULT_TENANT_TOKEN)}" in out


def test_sigint_stops_cleanly(cli: type[Cli]) -> None:
    running, url = serving(cli)
    status, _, err = running.stop(signal.SIGINT)
    assert status == 0, err
    assert "Traceback" not in err
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/_fake/health")


def test_a_busy_port_fails_with_one_clear_line(cli: type[Cli]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, out, err = cli("serve", "--port", str(port)).finish()
    assert status == 1
    assert out == ""
    assert (
        err.strip()
        == f"fake-planhat: cannot listen on 127.0.0.1:{port}: the port is already in use"
    )


def test_beyond_loopback_default_tokens_are_refused(cli: type[Cli]) -> None:
    status, out, err = cli("serve", "--host", "0.0.0.0", "--port", "0", "--api-token", "A").finish()
    assert status == 2
    assert out == ""
    assert "refusing to listen on 0.0.0.0" in err
    assert "--tenant-token, --admin-token" in err
    assert "Traceback" not in err


def test_beyond_loopback_with_own_tokens_guards_the_control_plane(cli: type[Cli]) -> None:
    tokens = {"--tenant-token": "tenant-secret", "--api-token": "api-secret"}
    args = [item for pair in tokens.items() for item in pair]
    running = cli("serve", "--host", "0.0.0.0", "--port", "0", *args, "--admin-token", "adm1n")
    url = running.read_line()
    assert re.fullmatch(r"http://0\.0\.0\.0:\d+", url), url
    running.wait_healthy(url)  # /_fake/health stays open for readiness probes
    assert httpx.get(f"{url}/_fake/state").status_code in (401, 403)
    assert httpx.get(f"{url}/_fake/state", headers={"X-Admin-Token": "adm1n"}).status_code == 200
    status, rest, _ = running.stop(signal.SIGTERM)
    assert status == 0
    out = url + "\n" + rest
    for secret in ("tenant-secret", "api-secret", "adm1n"):
        assert secret not in out
        assert f"fp:{fingerprint(secret)}" in out


def test_seed_file_is_loaded_at_start(cli: type[Cli], tmp_path: Path) -> None:
    seed = {"tenants": {"T1": {"apiTokens": {"A1": "write"}, "companies": [{"name": "Seeded"}]}}}
    (tmp_path / "state.json").write_text(json.dumps(seed))
    running, url = serving(
        cli,
        "--tenant-token",
        "T1",
        "--api-token",
        "A1",
        "--seed-file",
        str(tmp_path / "state.json"),
    )
    companies = httpx.get(f"{url}/companies", headers={"Authorization": "Bearer A1"}).json()
    assert [c["name"] for c in companies] == ["Seeded"]
    assert running.stop(signal.SIGTERM)[0] == 0


def test_a_bad_seed_file_is_a_usage_error(cli: type[Cli], tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    status, _, err = cli(
        "serve", "--port", "0", "--seed-file", str(tmp_path / "state.json")
    ).finish()
    assert status == 2
    assert "is not valid JSON" in err
    assert "Traceback" not in err


def test_version(cli: type[Cli]) -> None:
    status, out, _ = cli("--version").finish()
    assert status == 0
    assert re.fullmatch(r"fake-planhat \S+\n", out)


def test_a_reader_that_went_away_does_not_stop_the_server() -> None:
    """``fake-planhat serve | head -1``: writing after the reader closed the pipe is no error."""
    process = subprocess.Popen(
        [str(EXECUTABLE), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        process.stdout.close()  # like head -1: later lines, "stopped" among them, hit a dead pipe
        Cli.wait_healthy(url)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=STARTUP)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert err == ""
