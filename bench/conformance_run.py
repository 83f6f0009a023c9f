"""The conformance kit's default run against the in-process reference destination: its wall
time, and events delivered and checked per second next to the same events delivered alone.

The run is ``planhat-conformance run --target reference`` in a fresh process (its ``main``,
called from ``python -c`` so the child can count deliveries by wrapping
``PythonTarget.deliver``). After it, the child delivers the very same events again through the
reference destination to a fresh fake, with no oracle, no checks and no resets: the baseline.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from bench.measure import Sample
from bench.results import Comparison, Section, Target
from bench.settings import Settings

__all__ = ["run"]

ROOT = Path(__file__).resolve().parent.parent
WALL_TARGET = 60.0  # seconds, the default run on 2 cores
CAMPAIGN_DONE = "campaign-done"

CHILD = """
import copy, json, sys, time
from conformance import cli
from conformance.targets import PythonTarget
from conformance.reference.segment_httpx import handle
from fake_planhat.fake import FakePlanhat

delivered = []
deliver = PythonTarget.deliver


def counted(self, event, settings):
    delivered.append((copy.deepcopy(event), dict(settings)))
    return deliver(self, event, settings)


PythonTarget.deliver = counted
status = cli.main(ARGS, out=open("/dev/null", "w"))
print("CAMPAIGN_DONE", flush=True)

# the baseline: the same events, delivered alone
started = time.perf_counter()
with FakePlanhat().intercept():
    for event, settings in delivered:
        try:
            handle(event, settings)
        except Exception:
            pass  # a refused event (bad settings, a 4xx) is still one delivery
alone = time.perf_counter() - started
print(json.dumps({"status": status, "events": len(delivered), "alone": alone}), flush=True)
"""


def _child(args: list[str]) -> str:
    return (
        textwrap.dedent(CHILD)
        .replace("ARGS", repr(args))
        .replace('"CAMPAIGN_DONE"', repr(CAMPAIGN_DONE))
    )


def run(settings: Settings, log: Callable[[str], None]) -> Section:
    section = Section(
        "Conformance kit: the default run",
        "`planhat-conformance run --target reference` (the bundled Python + httpx destination, "
        "in-process) in a fresh process, timed from process start to the end of the campaign "
        "(scenarios, then a Hypothesis exploration of 300 random event sequences). Every "
        "delivered event is counted; the baseline delivers the very same events again through "
        "the same destination to a fresh fake, with no oracle, no checks and no resets between "
        "sequences: what the kit adds over delivering alone.",
        columns=("conformance kit", "baseline"),
    )
    if importlib.util.find_spec("conformance.engine") is None:
        section.targets.append(
            Target(
                f"The default conformance run against the in-process reference finishes in "
                f"< {WALL_TARGET:g} s on 2 cores",
                None,
                WALL_TARGET,
                at_most=True,
                unit="s",
                why_missing="runner missing",
            )
        )
        return section
    extra = settings.pick(full=[], smoke=["--rules", "P-5", "--max-examples", "2"])
    with tempfile.TemporaryDirectory(prefix="fake-planhat-bench-conformance-") as folder:
        report_path = Path(folder) / "report.json"
        args = ["run", "--target", "reference", "--no-progress", "--json", str(report_path)]
        log(f"  planhat-conformance {' '.join([*args[:3], *extra])}")
        started = time.perf_counter()
        with subprocess.Popen(
            [sys.executable, "-c", _child([*args, *extra])],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as child:
            assert child.stdout is not None
            first = child.stdout.readline()
            wall = time.perf_counter() - started
            rest, errors = child.communicate(timeout=600)
        if first.strip() != CAMPAIGN_DONE or child.returncode != 0:
            raise RuntimeError(
                f"the conformance run failed ({child.returncode}):\n{first}{rest}\n{errors[-3000:]}"
            )
        found = json.loads(rest.strip().splitlines()[-1])
        report = json.loads(report_path.read_text(encoding="utf-8"))
    campaign = float(report["timings"]["total"])
    events = int(found["events"])
    checked = Sample.of([events / campaign], "events/s")
    alone = Sample.of([events / float(found["alone"])], "events/s")
    summary = report["summary"]
    section.comparisons += [
        Comparison.paired(
            "Events delivered and checked per second",
            checked,
            alone,
            "the same events delivered alone (no oracle, no checks, no resets)",
            "higher",
            f"{events:,} events in {campaign:.1f} s of campaign; {report['examples']} "
            f"exploration examples; {summary['passed']} of {summary['rules']} rules passed",
        ),
        Comparison.paired(
            "Wall time of the default run (process start → report)",
            Sample.of([wall], "s"),
            Sample.of([WALL_TARGET], "s"),
            "the 60 s budget",
            "lower",
            f"exit status {found['status']}",
        ),
    ]
    section.targets.append(
        Target(
            f"The default conformance run against the in-process reference finishes in "
            f"< {WALL_TARGET:g} s on 2 cores",
            None if settings.smoke else wall,
            WALL_TARGET,
            at_most=True,
            unit="s",
            why_missing="a smoke run checks a few rules only" if settings.smoke else "",
        )
    )
    return section
