"""What the request journal costs: the same requests with ``fake.journal.enabled`` on and off,
on one fake, through the Flask test client, interleaved."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial

from bench.measure import Sample, collected, interleave
from bench.results import Comparison, Section
from bench.settings import Settings
from bench.workloads import Workload, standard_workloads
from fake_planhat.fake import FakePlanhat

__all__ = ["run"]


def _per_call(fake: FakePlanhat, workload: Workload, count: int, journal: bool) -> float:
    """Microseconds per call, ``count`` calls through the test client."""
    calls = workload.make(count)
    client = fake.app.test_client()
    fake.journal.enabled = journal
    try:
        with collected():
            started = time.perf_counter()
            for call in calls:
                answer = client.open(
                    call.path, method=call.method, headers=call.headers, data=call.body
                )
                if answer.status_code != 200:
                    raise RuntimeError(f"{call.method} {call.path} answered {answer.status_code}")
            elapsed = time.perf_counter() - started
    finally:
        fake.journal.enabled = True
    return elapsed / count * 1e6


def run(settings: Settings, log: Callable[[str], None]) -> Section:
    rounds = settings.pick(full=9, smoke=2)
    section = Section(
        "Journal overhead",
        "The same requests to one fake through the Flask test client, with the request "
        "journal on (the default) and off (`fake.journal.enabled = False`), interleaved: "
        f"{rounds} rounds, each a batch of calls; figures are microseconds per call. The "
        "journal keeps every request's method, host, redacted path and headers, body, answer, "
        "status, duration and the intake's outcome.",
        columns=("journal on", "journal off"),
    )
    workloads = standard_workloads("journal")
    sizes = {"identify-matched": 200, "track": 200, "bulk-100": 10}
    for key, count in sizes.items():
        workload = workloads[key]
        count = settings.pick(full=count, smoke=2)
        fake = FakePlanhat()
        Workload.prepare(fake)
        log(f"  journal on/off: {workload.name}")
        _per_call(fake, workload, 2, True)  # warm: builds the app
        values = interleave(
            {
                "on": partial(_per_call, fake, workload, count, True),
                "off": partial(_per_call, fake, workload, count, False),
            },
            rounds,
        )
        section.comparisons.append(
            Comparison.paired(
                f"{workload.name}: time per call",
                Sample.of(values["on"], "µs"),
                Sample.of(values["off"], "µs"),
                "the same fake, journal off",
                "lower",
            )
        )
    return section
