"""The in-process doors honour the client's read timeout (issue 13: judge what the destination
could observe). With no socket, the call still sleeps a ``latency`` fault whole; when that took
longer than the client's read timeout, the client gets its library's timeout instead of the
answer, and the fake has applied the request, as a server does when its client gave up."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest
import requests

from fake_planhat import FakePlanhat

SEGMENT_URL = "https://api.planhat.com/dock/segment"
LATENCY = 0.15


def _headers(fake: FakePlanhat) -> dict[str, str]:
    token = base64.b64encode(f"{fake.tenant_token}:".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _identify(user: str) -> dict[str, Any]:
    return {"type": "identify", "userId": user, "messageId": f"m-{user}", "traits": {}}


@pytest.fixture
def slow_fake() -> FakePlanhat:
    fake = FakePlanhat()
    fake.faults.add("*", latency=LATENCY)
    return fake


def _applied(fake: FakePlanhat, user: str) -> bool:
    return any(c.get("externalId") == user for c in fake.dump()["unassigned"])


def test_httpx_read_timeout_shorter_than_the_answer_raises_read_timeout(
    slow_fake: FakePlanhat,
) -> None:
    with slow_fake.intercept(), pytest.raises(httpx.ReadTimeout):
        httpx.post(
            SEGMENT_URL, json=_identify("u-1"), headers=_headers(slow_fake), timeout=LATENCY / 3
        )
    assert _applied(slow_fake, "u-1"), "the late answer's write is applied, as on a server"


def test_httpx_read_timeout_longer_than_the_answer_gets_the_answer(slow_fake: FakePlanhat) -> None:
    with slow_fake.intercept():
        answer = httpx.post(
            SEGMENT_URL, json=_identify("u-2"), headers=_headers(slow_fake), timeout=5.0
        )
    assert answer.status_code == 200


def test_httpx_without_a_read_timeout_waits(slow_fake: FakePlanhat) -> None:
    timeout = httpx.Timeout(5.0, read=None)
    with slow_fake.intercept():
        answer = httpx.post(
            SEGMENT_URL, json=_identify("u-3"), headers=_headers(slow_fake), timeout=timeout
        )
    assert answer.status_code == 200


def test_async_httpx_read_timeout(slow_fake: FakePlanhat) -> None:
    async def send() -> None:
        async with httpx.AsyncClient(timeout=LATENCY / 3) as client:
            await client.post(SEGMENT_URL, json=_identify("u-4"), headers=_headers(slow_fake))

    with slow_fake.intercept(), pytest.raises(httpx.ReadTimeout):
        asyncio.run(send())


@pytest.mark.parametrize(
    "timeout", [LATENCY / 3, (5.0, LATENCY / 3)], ids=["a number", "a (connect, read) pair"]
)
def test_requests_read_timeout_shorter_than_the_answer_raises_read_timeout(
    slow_fake: FakePlanhat, timeout: float | tuple[float, float]
) -> None:
    with slow_fake.intercept(), pytest.raises(requests.ReadTimeout):
        requests.post(
            SEGMENT_URL, json=_identify("u-5"), headers=_headers(slow_fake), timeout=timeout
        )
    assert _applied(slow_fake, "u-5")


@pytest.mark.parametrize("timeout", [None, 5.0, (5.0, None)], ids=["none", "long", "no read"])
def test_requests_without_a_short_read_timeout_gets_the_answer(
    slow_fake: FakePlanhat, timeout: float | tuple[float, None] | None
) -> None:
    with slow_fake.intercept():
        answer = requests.post(
            SEGMENT_URL, json=_identify("u-6"), headers=_headers(slow_fake), timeout=timeout
        )
    assert answer.status_code == 200
