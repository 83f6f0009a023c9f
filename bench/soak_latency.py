"""Latency percentiles under mixed load (issue 7): ``tools/soak.py`` against a real
``fake-planhat serve`` process, reported here so ``make bench`` shows them next to the rest.

No baseline: the figures describe the fake under load, and the soak checks its state after."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from bench.results import Section
from bench.settings import Settings

__all__ = ["run"]

SOAK = Path(__file__).resolve().parent.parent / "tools" / "soak.py"


def _soak_module() -> ModuleType:
    """tools/ is a folder of scripts, not a package: load the soak script by its path."""
    spec = importlib.util.spec_from_file_location("fake_planhat_soak", SOAK)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {SOAK}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def run(settings: Settings, log: Callable[[str], None]) -> Section:
    seconds = settings.pick(full=30.0, smoke=2.0)
    threads = 4
    log(f"  soak: {threads} client threads for {seconds:.0f} s against `fake-planhat serve`")
    report = _soak_module().run(seconds, threads=threads)
    section = Section(
        "Latency under mixed load",
        f"`tools/soak.py` (`make soak` runs it for 60 s): {threads} client threads with "
        "keep-alive against a `fake-planhat serve` process on loopback, mixing Segment "
        f"messages, bulk upserts and reads for {seconds:.0f} s; then the state is checked "
        "against a model of what was sent (no lost writes, no duplicate contacts) and the "
        "server's memory growth over the second half is measured.",
    )
    rows = [
        "| request kind | calls | p50 | p90 | p99 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for kind, figures in sorted(report.latency_ms.items()):
        rows.append(
            f"| {kind} | {int(figures['count']):,} | {figures['p50']:.2f} ms "
            f"| {figures['p90']:.2f} ms | {figures['p99']:.2f} ms |"
        )
    growth = report.rss_mb.get("growth")
    problems = [*report.failures, *report.violations]
    section.notes.append(
        "\n".join(rows)
        + f"\n\n{report.requests:,} requests, {report.throughput:,.0f} req/s; server memory "
        + (f"grew {growth:+.1f} MB over the second half" if growth is not None else "not read")
        + "; state check: "
        + ("passed" if not problems else "FAILED: " + "; ".join(problems[:3]))
        + "."
    )
    return section
