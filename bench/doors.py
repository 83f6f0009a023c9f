"""Sending a batch of :class:`~bench.workloads.Call` through one door, timed.

* :class:`Loopback` — ``httpx.Client`` with keep-alive, one per client thread, against a
  :class:`~fake_planhat.server.ServerThread` (the fake's, or the bare baseline's);
* :class:`ThroughRespx` — one ``httpx.Client`` to ``https://api.planhat.com`` while an
  :class:`~fake_planhat.transports.Intercept` routes httpx into the app;
* :class:`ThroughResponses` — one ``requests.Session``, the same through ``responses``.

Every door checks each answer's status, so a figure never counts fast errors.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import httpx
import requests

from bench.workloads import Call

if TYPE_CHECKING:
    from fake_planhat.fake import FakePlanhat

__all__ = ["Batch", "Door", "Loopback", "ThroughResponses", "ThroughRespx", "WrongAnswer"]

PLANHAT_URL = "https://api.planhat.com"


class WrongAnswer(RuntimeError):
    """A benchmarked request did not get the answer it should: the figure would be a lie."""


def _check(status: int, call: Call, body: bytes | str) -> None:
    if status != 200:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        raise WrongAnswer(f"{call.method} {call.path} answered {status}: {text[:300]}")


@dataclass(frozen=True)
class Batch:
    """What one timed batch took: the wall time and each call's latency, in seconds."""

    calls: int
    wall: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        return self.calls / self.wall


class Door(Protocol):
    label: str

    def send(self, batches: Sequence[Sequence[Call]]) -> Batch:
        """Send each batch from its own client (in parallel when several), timed."""
        ...


class Loopback:
    """Clients over real sockets to ``url``; one keep-alive ``httpx.Client`` per thread."""

    def __init__(self, url: str, threads: int) -> None:
        self.label = f"loopback, {threads} client thread{'s' if threads > 1 else ''}"
        self.threads = threads
        self._clients = [httpx.Client(base_url=url, timeout=60.0) for _ in range(threads)]

    def close(self) -> None:
        for client in self._clients:
            client.close()

    @staticmethod
    def _run(client: httpx.Client, calls: Sequence[Call], latencies: list[float]) -> None:
        for call in calls:
            started = time.perf_counter()
            answer = client.request(call.method, call.path, headers=call.headers, content=call.body)
            latencies.append(time.perf_counter() - started)
            _check(answer.status_code, call, answer.content)

    def send(self, batches: Sequence[Sequence[Call]]) -> Batch:
        if len(batches) != self.threads:
            raise ValueError(f"{self.label} sends {self.threads} batches at once")
        latencies: list[list[float]] = [[] for _ in batches]
        if self.threads == 1:
            started = time.perf_counter()
            self._run(self._clients[0], batches[0], latencies[0])
            wall = time.perf_counter() - started
        else:
            errors: list[BaseException] = []
            gate = threading.Barrier(self.threads + 1)

            def worker(index: int) -> None:
                gate.wait()
                try:
                    self._run(self._clients[index], batches[index], latencies[index])
                except BaseException as exc:  # reported by the caller below
                    errors.append(exc)

            workers = [threading.Thread(target=worker, args=(i,)) for i in range(self.threads)]
            for thread in workers:
                thread.start()
            gate.wait()
            started = time.perf_counter()
            for thread in workers:
                thread.join()
            wall = time.perf_counter() - started
            if errors:
                raise errors[0]
        flat = [value for chunk in latencies for value in chunk]
        return Batch(len(flat), wall, flat)


class ThroughRespx:
    """httpx calls to ``https://api.planhat.com`` routed into ``target``'s app by respx."""

    label = "in-process, httpx through respx"

    def __init__(self, target: FakePlanhat) -> None:
        self.target = target
        self._client = httpx.Client(base_url=PLANHAT_URL, timeout=60.0)

    def close(self) -> None:
        self._client.close()

    def send(self, batches: Sequence[Sequence[Call]]) -> Batch:
        from fake_planhat.transports import Intercept

        (calls,) = batches
        latencies: list[float] = []
        with Intercept(self.target, httpx=True, requests=False):
            started = time.perf_counter()
            for call in calls:
                begun = time.perf_counter()
                answer = self._client.request(
                    call.method, call.path, headers=call.headers, content=call.body
                )
                latencies.append(time.perf_counter() - begun)
                _check(answer.status_code, call, answer.content)
            wall = time.perf_counter() - started
        return Batch(len(calls), wall, latencies)


class ThroughResponses:
    """requests calls to ``https://api.planhat.com`` routed into ``target``'s app by responses."""

    label = "in-process, requests through responses"

    def __init__(self, target: FakePlanhat) -> None:
        self.target = target
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def send(self, batches: Sequence[Sequence[Call]]) -> Batch:
        from fake_planhat.transports import Intercept

        (calls,) = batches
        latencies: list[float] = []
        with Intercept(self.target, httpx=False, requests=True):
            started = time.perf_counter()
            for call in calls:
                begun = time.perf_counter()
                answer = self._session.request(
                    call.method, PLANHAT_URL + call.path, headers=call.headers, data=call.body
                )
                latencies.append(time.perf_counter() - begun)
                _check(answer.status_code, call, answer.content)
            wall = time.perf_counter() - started
        return Batch(len(calls), wall, latencies)
