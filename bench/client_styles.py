"""Per-call cost of the two ways destinations call Planhat, through the in-process door, and
the kit's default run against a destination written the naive way.

* **shared client**: one ``httpx.Client`` for every call (the bundled reference);
* **naive**: ``httpx.post(...)`` per call, a new client each time. A new client builds a TLS
  context (loading the CA bundle) even when the door serves its request without a socket; the
  doors defer that to a connection that never happens. One TLS context, built alone, is shown
  as what each naive call would pay without that.

Both styles send the same identify to ``https://api.planhat.com/dock/segment`` inside one
``FakePlanhat().intercept()``, in interleaved rounds (naive, shared; shared, naive …); the ratio
is per round. The default run is ``planhat-conformance run --target reference:segment_naive``
in a fresh process, timed from process start to exit.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench.measure import Sample, collected, interleave
from bench.results import Comparison, Section, Target
from bench.settings import Settings

__all__ = ["run"]

ROOT = Path(__file__).resolve().parent.parent
RATIO_TARGET = 2.0  # naive per-call cost ≤ 2× the shared client's
WALL_TARGET = 60.0  # seconds: the naive destination's default run on 2 cores
URL = "https://api.planhat.com/dock/segment"
EVENT = b'{"type":"identify","userId":"bench-1","traits":{"email":"bench@example.com"}}'


def _per_call(rounds: int, calls: int) -> tuple[list[float], list[float], list[float]]:
    """Seconds per call: naive, shared, and one TLS context built alone; one value a round."""
    from fake_planhat import FakePlanhat

    fake = FakePlanhat()
    headers = {"Content-Type": "application/json"}
    auth = (fake.tenant_token, "")
    with fake.intercept(), httpx.Client() as shared:

        def batch(send: Callable[[], httpx.Response]) -> Callable[[], float]:
            def timed_batch() -> float:
                with collected():
                    started = time.perf_counter()
                    for _ in range(calls):
                        answer = send()
                        if answer.status_code != 200:
                            raise RuntimeError(f"{URL} answered {answer.status_code}")
                    return (time.perf_counter() - started) / calls

            return timed_batch

        def tls_context() -> float:
            started = time.perf_counter()
            httpx.create_ssl_context()
            return time.perf_counter() - started

        def naive_call() -> httpx.Response:
            return httpx.post(URL, content=EVENT, headers=headers, auth=auth)

        def shared_call() -> httpx.Response:
            return shared.post(URL, content=EVENT, headers=headers, auth=auth)

        values = interleave(
            {
                "naive": batch(naive_call),
                "shared": batch(shared_call),
                "tls": tls_context,
            },
            rounds,
        )
    return values["naive"], values["shared"], values["tls"]


def _default_run(settings: Settings, log: Callable[[str], None]) -> tuple[float, int]:
    script = Path(sys.executable).parent / "planhat-conformance"
    args = ["run", "--target", "reference:segment_naive", "--no-progress"]
    args += settings.pick(full=[], smoke=["--rules", "W-4", "--max-examples", "2"])
    log(f"  planhat-conformance {' '.join(args)}")
    started = time.perf_counter()
    done = subprocess.run(
        [str(script), *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    return time.perf_counter() - started, done.returncode


def run(settings: Settings, log: Callable[[str], None]) -> Section:
    section = Section(
        "Client styles: a new httpx client per call vs one shared client",
        __doc__.split("\n\n", 1)[1].strip() if __doc__ else "",
        columns=("naive: httpx.post per call", "baseline"),
    )
    rounds, calls = settings.pick(full=(15, 40), smoke=(2, 3))
    log(f"  {rounds} rounds of {calls} calls per style")
    naive, shared, tls = _per_call(rounds, calls)
    naive_ms = Sample.of([v * 1000 for v in naive], "ms")
    shared_ms = Sample.of([v * 1000 for v in shared], "ms")
    tls_ms = Sample.of([v * 1000 for v in tls], "ms")
    per_call = Comparison.paired(
        "Per-call cost through the in-process door",
        naive_ms,
        shared_ms,
        "one shared httpx.Client",
        "lower",
        f"one TLS context built alone (what each naive call paid before): {tls_ms.median:.1f} ms",
    )
    section.comparisons.append(per_call)
    section.targets.append(
        Target(
            f"A naive destination (httpx.post per event) costs ≤ {RATIO_TARGET:g}× a shared "
            "client per call in-process",
            per_call.ratio.median,
            RATIO_TARGET,
            at_most=True,
        )
    )
    wall, status = _default_run(settings, log)
    section.comparisons.append(
        Comparison.paired(
            "Wall time of the default run against the naive destination",
            Sample.of([wall], "s"),
            Sample.of([WALL_TARGET], "s"),
            "the 60 s budget",
            "lower",
            f"exit status {status} (0: every rule passed)",
        )
    )
    section.targets.append(
        Target(
            f"The default run against a naive destination finishes in < {WALL_TARGET:g} s "
            "on 2 cores",
            None if settings.smoke else wall,
            WALL_TARGET,
            at_most=True,
            unit="s",
            why_missing="a smoke run checks a few rules only" if settings.smoke else "",
        )
    )
    if status != 0:
        section.notes.append(
            f"The naive destination's run exited {status}: it should conform (exit 0)."
        )
    return section
