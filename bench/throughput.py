"""Request-level throughput and latency: the fake next to the bare Flask baseline, through the
same door, interleaved round by round.

Doors: loopback with one and with four client threads (the fake's own waitress
``ServerThread`` serving either app, in this process, as the ``planhat_live`` fixture runs it),
and in-process through respx and through ``responses`` (the fake's own ``Intercept`` mounting
either app, as the ``planhat`` fixture does). Each workload gets a fresh fake.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.baselines import BareFake
from bench.doors import Batch, Door, Loopback, ThroughResponses, ThroughRespx
from bench.measure import Sample, collected, interleave
from bench.results import Comparison, Section, Target
from bench.settings import Settings
from bench.workloads import Workload, standard_workloads
from fake_planhat.fake import FakePlanhat
from fake_planhat.server import ServerThread

__all__ = ["run"]

BASELINE = "bare Flask, same door"
LOOPBACK_TARGET = 0.67  # identify over loopback: at least this share of the baseline's req/s
IN_PROCESS_TARGET = 0.5  # identify through respx / responses


@dataclass(frozen=True)
class _Plan:
    rounds: int
    heavy_rounds: int  # for workloads whose one call outlasts a planned batch (bulk 5,000)
    round_seconds: float  # how long one side's batch should take
    most_calls: int  # per batch and client thread
    workloads: tuple[str, ...]


def _plan(settings: Settings) -> _Plan:
    return settings.pick(
        full=_Plan(
            9, 3, 0.25, 400, ("identify-new", "identify-matched", "track", "bulk-100", "bulk-5000")
        ),
        smoke=_Plan(2, 1, 0.01, 3, ("identify-new", "bulk-100")),
    )


class _Side:
    """One side of a comparison: a door and a workload; ``batch_size`` is calibrated so a batch
    lasts about the planned time."""

    def __init__(self, door: Door, workload: Workload, threads: int) -> None:
        self.door = door
        self.workload = workload
        self.threads = threads
        self.batch_size = 1

    def send(self, size: int) -> Batch:
        batches = [self.workload.make(size) for _ in range(self.threads)]
        with collected():
            return self.door.send(batches)

    def calibrate(self, plan: _Plan) -> bool:
        """Size the batches; True when one call outlasts a planned batch (a heavy workload)."""
        warm = self.send(1)  # first calls build the app, open connections
        if warm.wall >= plan.round_seconds:
            self.batch_size = 1
            return True
        probe = self.send(2)
        per_call = probe.wall / 2  # every thread sends 2: wall time of one call per thread
        self.batch_size = max(1, min(plan.most_calls, int(plan.round_seconds / per_call)))
        return False

    def round(self) -> Batch:
        return self.send(self.batch_size)


def _compare(name: str, door_label: str, fake: _Side, bare: _Side, plan: _Plan) -> list[Comparison]:
    heavy = fake.calibrate(plan)
    bare.calibrate(plan)
    rounds = plan.heavy_rounds if heavy else plan.rounds
    batches = interleave({"fake": fake.round, "bare": bare.round}, rounds)
    unit = "items/s" if fake.workload.items > 1 else "req/s"
    per = fake.workload.items

    def rates(side: str) -> Sample:
        return Sample.of([b.rate * per for b in batches[side]], unit)

    def latency(side: str) -> Sample:
        return Sample.of([_median(b.latencies) * 1000 for b in batches[side]], "ms")

    label = f"{name} — {door_label}"
    return [
        Comparison.paired(f"{label}: throughput", rates("fake"), rates("bare"), BASELINE, "higher"),
        Comparison.paired(f"{label}: latency", latency("fake"), latency("bare"), BASELINE, "lower"),
    ]


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _fresh_fake() -> FakePlanhat:
    fake = FakePlanhat()
    Workload.prepare(fake)
    return fake


def run(settings: Settings, log: Callable[[str], None]) -> Section:
    plan = _plan(settings)
    section = Section(
        "Requests: throughput and latency",
        "Each workload is sent through each door to a fresh fake and to the bare Flask baseline "
        "(`bench/baselines.py`: one route that parses the JSON and stores it in a dict) mounted "
        f"through the same door. {plan.rounds} interleaved rounds per pair (fake, baseline, "
        f"baseline, fake …; {plan.heavy_rounds} of one call per client thread when a call "
        "outlasts a batch, as bulk upserts of 5,000 items do), each a batch calibrated to about "
        f"{plan.round_seconds * 1000:.0f} ms, after a full garbage collection (the collector "
        "stays on during the batch: it is part of the cost). Throughput: calls answered per "
        "second of wall time (items per second for bulk upserts); latency: the median call "
        "of a batch. The ratio is fake ÷ "
        "baseline, per round. Loopback: `httpx.Client` with keep-alive, one per client "
        "thread, against the fake's own waitress `ServerThread` in the same process (as the "
        "`planhat_live` fixture runs it). In-process: the fake's own `Intercept` (as the "
        "`planhat` fixture uses it) routing `https://api.planhat.com` into the app.",
    )
    run_id = uuid.uuid4().hex[:8]
    workloads = standard_workloads(run_id)
    bare = BareFake().as_fake()
    ratios: dict[tuple[str, str], float] = {}
    with ServerThread(_fresh_fake()) as fake_server, ServerThread(bare) as bare_server:
        loopback = {
            threads: (Loopback(fake_server.url, threads), Loopback(bare_server.url, threads))
            for threads in (1, 4)
        }
        respx_doors = (ThroughRespx(fake_server.fake), ThroughRespx(bare))
        responses_doors = (ThroughResponses(fake_server.fake), ThroughResponses(bare))
        try:
            for key in plan.workloads:
                workload = workloads[key]
                for door_key in ("loopback-1", "loopback-4", "respx", "responses"):
                    fake = _fresh_fake()
                    fake_door: Door
                    bare_door: Door
                    if door_key.startswith("loopback"):
                        threads = int(door_key[-1])
                        fake_server.fake = fake
                        fake_door, bare_door = loopback[threads]
                    else:
                        threads = 1
                        pair = respx_doors if door_key == "respx" else responses_doors
                        pair[0].target = fake
                        fake_door, bare_door = pair
                    log(f"  {workload.name}: {fake_door.label}")
                    found = _compare(
                        workload.name,
                        fake_door.label,
                        _Side(fake_door, workload, threads),
                        _Side(bare_door, workload, threads),
                        plan,
                    )
                    section.comparisons.extend(found)
                    ratios[(key, door_key)] = found[0].ratio.median
        finally:
            for fake_door, bare_door in loopback.values():
                fake_door.close()
                bare_door.close()
            for door in (*respx_doors, *responses_doors):
                door.close()
    section.targets.extend(_targets(ratios))
    return section


def _targets(ratios: dict[tuple[str, str], float]) -> list[Target]:
    found: list[Target] = []
    names = {"identify-new": "new contact", "identify-matched": "matched contact"}
    doors = {
        "loopback-1": ("over loopback, 1 client thread", LOOPBACK_TARGET),
        "loopback-4": ("over loopback, 4 client threads", LOOPBACK_TARGET),
        "respx": ("in-process through respx", IN_PROCESS_TARGET),
        "responses": ("in-process through responses", IN_PROCESS_TARGET),
    }
    for key, what in names.items():
        for door_key, (where, limit) in doors.items():
            ratio = ratios.get((key, door_key))
            found.append(
                Target(
                    f"Intake identify ({what}) {where}: req/s ≥ {limit}× the bare Flask "
                    "baseline's on the same door",
                    ratio,
                    limit,
                    at_most=False,
                    why_missing="not in this run's workloads" if ratio is None else "",
                )
            )
    return found
