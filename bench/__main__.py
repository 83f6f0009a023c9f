"""``python -m bench``: measure the fake next to its baselines and write docs/performance.md.

    python -m bench                      # full run: docs/performance.md + its chart (~10 min)
    python -m bench --smoke --output /tmp/perf.md   # seconds: checks the bench still runs

Exit status: 0 when every target measured passed, 1 when a target failed (only with
``--strict``), 2 for a usage problem. Smoke mode judges no target (its figures mean nothing), so
it prints no PASS or FAIL and exits 0 once every measurement ran.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.measure import machine
from bench.results import Section
from bench.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
REPORT = DOCS / "performance.md"
CHART = "performance-store-size.png"
AREAS = ("startup", "requests", "clients", "journal", "load", "conformance", "store", "objects")

Area = Callable[[Settings, Callable[[str], None], Path], list[Section]]


def _area(name: str) -> Area:
    """An area's ``run``; imported when it runs, so one area's imports do not skew another's."""
    if name == "startup":
        from bench import startup

        return lambda settings, log, chart: [startup.run(settings, log)]
    if name == "requests":
        from bench import throughput

        return lambda settings, log, chart: [throughput.run(settings, log)]
    if name == "clients":
        from bench import client_styles

        return lambda settings, log, chart: [client_styles.run(settings, log)]
    if name == "journal":
        from bench import journal_cost

        return lambda settings, log, chart: [journal_cost.run(settings, log)]
    if name == "load":
        from bench import soak_latency

        return lambda settings, log, chart: [soak_latency.run(settings, log)]
    if name == "conformance":
        from bench import conformance_run

        return lambda settings, log, chart: [conformance_run.run(settings, log)]
    if name == "objects":
        from bench import object_store

        return lambda settings, log, chart: [object_store.run(settings, log)]
    from bench import store_size

    return store_size.run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark fake-planhat against baselines measured in the same run.",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a few seconds: run every measurement briefly, only to check the bench works",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help=f"where to write the report (default: {REPORT.relative_to(ROOT)}; with --smoke, "
        "a new temporary directory)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when a target fails (default: report it, exit 0: a bench measures)",
    )
    parser.add_argument(
        "--only",
        help=f"comma-separated areas to run ({', '.join(AREAS)}); needs --output",
    )
    return parser


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    areas = list(AREAS)
    if args.only:
        areas = [a.strip() for a in args.only.split(",") if a.strip()]
        unknown = sorted(set(areas) - set(AREAS))
        if unknown or not areas:
            parser.error(f"unknown area(s) {', '.join(unknown)}; known: {', '.join(AREAS)}")
        if args.output is None:
            parser.error("--only writes a partial report: give it an --output path")
    output: Path = args.output or (
        Path(tempfile.mkdtemp(prefix="fake-planhat-bench-")) / "performance.md"
        if args.smoke
        else REPORT
    )
    output = output.resolve()
    if args.smoke and output == REPORT:
        parser.error(
            f"a smoke run never writes {REPORT.relative_to(ROOT)}: its figures mean "
            "nothing; give --output another path"
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    chart = output.parent / (CHART if output == REPORT else f"{output.stem}-store-size.png")

    settings = Settings(smoke=args.smoke)
    started = time.perf_counter()
    host = machine()
    sections: list[Section] = []
    for name in areas:
        _log(f"{name} …")
        area_started = time.perf_counter()
        sections.extend(_area(name)(settings, _log, chart))
        _log(f"{name} done in {time.perf_counter() - area_started:.0f} s")
    wall = time.perf_counter() - started

    from bench.report import render, targets_table

    command = "python -m bench" + (" " + " ".join(argv if argv is not None else sys.argv[1:]))
    text = render(sections, host, smoke=args.smoke, wall_seconds=wall, command=command.strip())
    output.write_text(text, encoding="utf-8")
    targets = [t for s in sections for t in s.targets]
    print("\n".join(targets_table(targets, smoke=args.smoke)))
    print(f"\nwrote {output} in {wall:.0f} s")
    failed = [t for t in targets if t.passed is False]
    if failed and not args.smoke:
        print(f"{len(failed)} target(s) failed: see {output}", file=sys.stderr)
        return 1 if args.strict else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
