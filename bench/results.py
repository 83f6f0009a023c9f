"""What the bench found: comparisons (a figure next to its baseline), targets, sections."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from bench.measure import Sample

__all__ = ["Comparison", "Section", "Target", "paired_ratios"]


def paired_ratios(subject: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Subject over baseline, round by round (the values of one round were measured side by
    side, so their ratio is what a busy machine disturbs least). A baseline of zero or less
    (a difference lost in noise) gives NaN, which fails any target."""
    if len(subject) != len(baseline):
        raise ValueError("paired samples need as many values on each side")
    return [s / b if b > 0 else math.nan for s, b in zip(subject, baseline, strict=True)]


@dataclass(frozen=True)
class Comparison:
    """One figure of the fake next to the same figure of its baseline, measured interleaved.

    ``ratio`` is fake ÷ baseline per round; for a rate (req/s) higher is better, for a time
    lower is better, which ``better`` records so the report can say which way is good.
    """

    name: str
    subject: Sample
    baseline: Sample
    baseline_name: str
    better: Literal["higher", "lower"]
    ratio: Sample
    detail: str = ""  # one short line shown under the name

    @classmethod
    def paired(
        cls,
        name: str,
        subject: Sample,
        baseline: Sample,
        baseline_name: str,
        better: Literal["higher", "lower"],
        detail: str = "",
    ) -> Comparison:
        ratios = paired_ratios(subject.values, baseline.values)
        return cls(name, subject, baseline, baseline_name, better, Sample.of(ratios, "×"), detail)


@dataclass(frozen=True)
class Target:
    """One of the issue's targets, checked against a measured value (None: not measured)."""

    text: str
    value: float | None
    limit: float
    at_most: bool  # True: value <= limit passes; False: value >= limit passes
    unit: str = "×"
    why_missing: str = ""

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "NOT MEASURED"}[self.passed]


@dataclass
class Section:
    """One area of the report: how it was measured, its comparisons and targets."""

    title: str
    method: str
    comparisons: list[Comparison] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # extra Markdown (charts, caveats)
    columns: tuple[str, str] = ("fake-planhat", "baseline")
