"""The memory ceiling of docs/security.md holds against each input of issue 15: big headers,
rejected bodies that once answered 33 times their size, a big valid /dimensiondata post and
the dashboard over it, and a deeply nested journaled body.

Runs ``fake-planhat serve`` in a subprocess and reads its resident memory from /proc (Linux).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from fake_planhat import DEFAULT_TENANT_TOKEN
from fake_planhat.journal import DEFAULT_MAX_BYTES

MIB = 1024 * 1024
# docs/security.md: the journal holds at most DEFAULT_MAX_BYTES characters, which Python keeps
# in at most twice as many bytes for this ASCII traffic (objects, the clipped copies); requests
# in flight hold their body and answer; documents cost about 2 KiB each.
JOURNAL_CEILING = 2 * DEFAULT_MAX_BYTES
IN_FLIGHT = 8 * 2 * 2 * MIB  # threads x (2 MB body + its answer, twice over while encoding)
PER_DOCUMENT = 2048
SLACK = 48 * MIB  # allocator fragmentation, imports done lazily (Jinja, the dashboard)
INTAKE = {
    "Authorization": "Basic " + base64.b64encode(f"{DEFAULT_TENANT_TOKEN}:".encode()).decode()
}

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        # --group upsert: the load makes its company with a group call (P-7, a tenant setting)
        [sys.executable, "-m", "fake_planhat.cli", "serve", "--port", "0", "--group", "upsert"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://"), process.communicate(timeout=30)
        yield process, url
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_rss_stays_under_the_documented_ceiling(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = served
    with httpx.Client(timeout=60) as client:
        client.get(f"{url}/_fake/ui")  # the dashboard's imports, before the baseline
        baseline = rss(process.pid)
        documents = 0

        # 1. big headers on journaled requests (200 of 60 KB; 200 KB is a 431)
        for i in range(200):
            message = {"type": "track", "userId": f"u{i % 50}", "event": "e", "messageId": f"m{i}"}
            client.post(
                f"{url}/dock/segment", json=message, headers={**INTAKE, "X-Pad": "p" * 60_000}
            )
        big = client.post(
            f"{url}/dock/segment", json={}, headers={**INTAKE, "X-Pad": "p" * 200_000}
        )
        assert big.status_code == 431
        documents += 200  # activities, and at most 50 contacts

        # 2. four 1 MB bodies of rejected data points (each answered 33 MB before)
        rejected = json.dumps([{}] * 350_000)
        for _ in range(4):
            answer = client.post(
                f"{url}/dimensiondata/{DEFAULT_TENANT_TOKEN}",
                content=rejected,
                headers={"Content-Type": "application/json"},
            )
            assert answer.status_code == 200
            assert len(answer.content) < 2 * len(rejected)

        # 3. a valid 1 MB /dimensiondata post, then the dashboard over it, polled
        group = {"type": "group", "groupId": "acme", "userId": "u0", "traits": {"name": "A"}}
        assert client.post(f"{url}/dock/segment", json=group, headers=INTAKE).status_code == 200
        points = [{"dimensionId": "seats", "value": i, "externalId": "acme"} for i in range(20_000)]
        answer = client.post(f"{url}/dimensiondata/{DEFAULT_TENANT_TOKEN}", json=points)
        assert answer.json()["processed"] == 20_000
        documents += 20_000
        for path in ("/_fake/ui", "/_fake/ui/live", "/_fake/ui/live"):
            started = time.monotonic()
            page = client.get(f"{url}{path}")
            assert page.status_code == 200
            assert len(page.content) < 1_500_000
            assert time.monotonic() - started < 5

        # 4. a journaled body nested 1,000 deep, then the dashboard
        deep = b"[" * 1000 + b"]" * 1000
        client.post(
            f"{url}/dock/segment",
            content=deep,
            headers={**INTAKE, "Content-Type": "application/json"},
        )
        assert client.get(f"{url}/_fake/ui").status_code == 200

        grown = rss(process.pid) - baseline
    ceiling = JOURNAL_CEILING + IN_FLIGHT + PER_DOCUMENT * documents + SLACK
    assert grown < ceiling, (grown // MIB, ceiling // MIB)
