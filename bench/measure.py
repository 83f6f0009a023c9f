"""Timing primitives: samples with median and spread, interleaved rounds, the machine.

Every figure of the bench is a :class:`Sample` of repeated measurements. Subject and baseline
are measured in alternating rounds (:func:`interleave`), so a machine that gets busier or quieter
during the run moves both alike; their ratio is taken per round, pairing neighbours.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

__all__ = ["Machine", "Sample", "collected", "interleave", "machine", "quantile", "timed"]

K = TypeVar("K")
T = TypeVar("T")


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, linearly interpolated."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Sample:
    """Repeated measurements of one quantity, in ``unit``."""

    values: tuple[float, ...]
    unit: str

    @classmethod
    def of(cls, values: Sequence[float], unit: str) -> Sample:
        if not values:
            raise ValueError("a sample needs at least one value")
        return cls(tuple(values), unit)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def q1(self) -> float:
        return quantile(self.values, 0.25)

    @property
    def q3(self) -> float:
        return quantile(self.values, 0.75)

    @property
    def low(self) -> float:
        return min(self.values)

    @property
    def high(self) -> float:
        return max(self.values)

    def scaled(self, factor: float, unit: str) -> Sample:
        return Sample(tuple(v * factor for v in self.values), unit)


def timed(action: Callable[[], object]) -> float:
    """Seconds one call of ``action`` takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


@contextmanager
def collected() -> Iterator[None]:
    """A timed stretch that starts with a full collection, so garbage one side left behind is
    not collected on the other side's time (the collector stays on: it is part of the cost)."""
    gc.collect()
    yield


def interleave(sides: Mapping[K, Callable[[], T]], rounds: int) -> dict[K, list[T]]:
    """Run each side once per round, alternating the order every round (A B, B A, A B …), and
    return each side's values in round order, so value ``i`` of two sides are neighbours."""
    names = list(sides)
    values: dict[K, list[T]] = {name: [] for name in names}
    for number in range(rounds):
        order = names if number % 2 == 0 else list(reversed(names))
        for name in order:
            values[name].append(sides[name]())
    return values


@dataclass(frozen=True)
class Machine:
    cpus: int
    python: str
    implementation: str
    platform: str
    processor: str
    date: str
    load: str

    def lines(self) -> list[str]:
        return [
            f"- Date: {self.date}",
            f"- CPUs: {self.cpus} ({self.processor})",
            f"- Python: {self.implementation} {self.python}",
            f"- Platform: {self.platform}",
            f"- Load average at start (1, 5, 15 min): {self.load}",
        ]


def _processor() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> Machine:
    try:
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    except (AttributeError, OSError):
        load = "n/a"
    return Machine(
        cpus=os.cpu_count() or 1,
        python=platform.python_version(),
        implementation=sys.implementation.name,
        platform=platform.platform(),
        processor=_processor(),
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        load=load,
    )
