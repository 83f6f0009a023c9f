"""The bench still runs (issue 6): ``python -m bench --smoke`` in a subprocess.

Not a timed test: the smoke mode runs every measurement briefly, and nothing here looks at a
figure. It only checks that the bench exits 0, writes its report where it is told, and leaves
docs/performance.md alone.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS_REPORT = ROOT / "docs" / "performance.md"
SECTIONS = (
    "## Targets",
    "## Start-up: imports, first answer, per-test server, per-test cost",
    "## Requests: throughput and latency",
    "## Client styles: a new httpx client per call vs one shared client",
    "## Journal overhead",
    "## Conformance kit: the default run",
    "## Memory per contact and bulk upsert growth",
    "## Store size: lookups and upserts at 1k, 100k and 1M contacts",
    "## A representative new object (assets): store size, memory and bulk growth",
)


def _bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _docs_report() -> tuple[float, bytes] | None:
    if not DOCS_REPORT.exists():
        return None
    return DOCS_REPORT.stat().st_mtime, DOCS_REPORT.read_bytes()


def test_smoke_run_exits_0_and_writes_its_report_to_the_given_path(tmp_path: Path) -> None:
    before = _docs_report()
    output = tmp_path / "smoke.md"

    done = _bench("--smoke", "--output", str(output))

    assert done.returncode == 0, done.stderr[-4000:]
    text = output.read_text(encoding="utf-8")
    assert "**Smoke run**" in text
    # exit 0 is only honest if nothing printed says FAIL: a smoke run judges no target
    assert "FAIL" not in done.stdout
    assert "FAIL" not in text
    for title in SECTIONS:
        assert title in text, f"{title!r} missing from the smoke report"
    chart = tmp_path / "smoke-store-size.png"
    assert chart.is_file() or "Chart not drawn" in text
    assert _docs_report() == before, "a smoke run must never touch docs/performance.md"


def test_smoke_run_refuses_to_write_docs_performance_md() -> None:
    before = _docs_report()

    done = _bench("--smoke", "--output", str(DOCS_REPORT))

    assert done.returncode == 2
    assert "never writes docs/performance.md" in done.stderr
    assert _docs_report() == before


def test_smoke_tables_judge_no_target_while_full_runs_show_fail() -> None:
    from bench.report import SMOKE_VERDICT, targets_table
    from bench.results import Target

    too_slow = Target("first answer ≤ 1.5× baseline", value=1.8, limit=1.5, at_most=True)

    assert any("**FAIL**" in line for line in targets_table([too_slow]))
    smoke = targets_table([too_slow], smoke=True)
    assert not any("FAIL" in line for line in smoke)
    assert SMOKE_VERDICT in smoke[-1]
