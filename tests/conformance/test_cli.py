"""The console script ``planhat-conformance`` (conformance/cli/): commands and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.contract import RULES

BROKEN = textwrap.dedent(
    """
    import copy
    from conformance.reference import segment_httpx

    def handle(event, settings):
        event = copy.deepcopy(event)
        if isinstance(event.get("traits"), dict):
            event["traits"].pop("title", None)  # breaks W-4 and P-5
        segment_httpx.handle(event, settings)
    """
)


@pytest.fixture
def broken(tmp_path: Path) -> str:
    path = tmp_path / "broken_dest.py"
    path.write_text(BROKEN, encoding="utf-8")
    return f"py:{path}:handle"


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_console_script_is_declared() -> None:
    (script,) = [
        e for e in entry_points(group="console_scripts") if e.name == "planhat-conformance"
    ]
    assert script.value == "conformance.cli:main"


def test_rules_lists_every_rule() -> None:
    code, out = run("rules")
    assert code == 0
    for rule_id, rule in ((r.id, r) for r in RULES):
        assert f"  {rule_id:<5} {rule.title}" in out
    assert "S: settings" in out


def test_run_reference_passes_and_writes_every_report(tmp_path: Path) -> None:
    files = {name: tmp_path / name for name in ("report.json", "report.xml", "replay.json")}
    code, out = run(
        "run", "--target", "reference", "--max-examples", "3", "--no-progress",
        "--json", str(files["report.json"]), "--junit-xml", str(files["report.xml"]),
        "--replay-file", str(files["replay.json"]),
    )  # fmt: skip
    assert code == 0, out
    rules = len(RULES.for_profile("segment"))
    assert f"{rules} rules checked: {rules} passed, 0 failed, 0 not exercised" in out
    report = json.loads(files["report.json"].read_text(encoding="utf-8"))
    assert report["summary"]["ok"] is True
    suite = ET.parse(files["report.xml"]).getroot().find("testsuite")
    assert suite is not None
    assert len(suite.findall("testcase")) == rules
    replay = json.loads(files["replay.json"].read_text(encoding="utf-8"))
    assert replay["failures"] == []


def test_run_broken_fails_with_exit_1_and_replays_exactly(broken: str, tmp_path: Path) -> None:
    replay_file = tmp_path / "replay.json"
    code, out = run(
        "run", "--target", broken, "--rules", "W-4,P-5,S-1", "--max-examples", "3",
        "--no-progress", "--replay-file", str(replay_file),
    )  # fmt: skip
    assert code == 1
    assert "3 rules checked: 1 passed, 2 failed, 0 not exercised" in out
    assert f"planhat-conformance replay {replay_file} --target {broken}" in out
    recorded = json.loads(replay_file.read_text(encoding="utf-8"))
    assert [f["rule"] for f in recorded["failures"]] == ["W-4", "P-5"]

    replayed_json = tmp_path / "replayed.json"
    again_code, again = run(
        "replay", str(replay_file), "--target", broken, "--no-progress",
        "--json", str(replayed_json),
    )  # fmt: skip
    assert again_code == 1
    assert "2 rules checked: 0 passed, 2 failed, 0 not exercised" in again
    replayed = json.loads(replayed_json.read_text(encoding="utf-8"))
    failures = {r["id"]: r["failure"] for r in replayed["rules"]}
    for original in recorded["failures"]:  # the same case, failing the same way
        assert failures[original["rule"]] == original

    fixed_code, fixed = run("replay", str(replay_file), "--target", "reference", "--no-progress")
    assert fixed_code == 0
    assert "2 rules checked: 2 passed, 0 failed, 0 not exercised" in fixed


def test_progress_goes_to_stderr_as_plain_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("run", "--target", "reference", "--rules", "S-1", "--max-examples", "2")
    assert code == 0
    err = capsys.readouterr().err
    assert "scenario: bad settings: apiKey missing …" in err
    assert "\r" not in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--target", "nonsense"], "unknown target"),
        (["run", "--target", "py:no_such_module_xyz:handle"], "could not be imported"),
        (["run", "--target", "reference", "--rules", "W-4,Z-1"], "unknown rule id"),
        (["replay", "/nonexistent/replay.json", "--target", "reference"], "cannot read"),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run(*argv)
    assert code == 2
    assert message in capsys.readouterr().err


def test_argument_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as exc:
        run("run")  # --target is required
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        run("run", "--target", "reference", "--max-examples", "0")
    assert exc.value.code == 2


def test_installed_script_runs() -> None:
    script = Path(sys.executable).parent / "planhat-conformance"
    done = subprocess.run(
        [str(script), "rules"], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0
    assert "E-3" in done.stdout


@pytest.mark.parametrize("option", ["--json", "--junit-xml", "--html", "--replay-file"])
def test_an_unwritable_output_path_is_a_usage_error_before_the_run(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-folder" / "out.file"
    status = main(["run", "--target", "reference", "--no-progress", option, str(missing)])
    assert status == 2
    assert "no-such-folder" in capsys.readouterr().err


# --- small frictions (issue 13) ----------------------------------------------------------------


def test_version_and_python_dash_m(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("planhat-conformance ")
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "rules"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "W-4" in done.stdout


def test_an_unknown_reference_lists_the_references(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run("run", "--target", "reference:nope", "--no-progress")
    assert code == 2
    said = capsys.readouterr().err
    assert "no such reference; the references are:" in said
    assert "segment_httpx" in said


def test_rule_ids_are_case_insensitive_and_json_goes_to_stdout() -> None:
    code, out = run(
        "run", "--target", "reference", "--rules", "w-4,t-4", "--max-examples", "2",
        "--no-progress", "--json", "-",
    )  # fmt: skip
    assert code == 0
    report = json.loads(out)  # stdout holds the JSON report alone
    assert [r["id"] for r in report["rules"]] == ["T-4", "W-4"]


def test_a_broken_target_is_one_error_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "crash.py"
    script.write_text("raise SystemExit('cannot start')\n", encoding="utf-8")
    code, out = run("run", "--target", f"cmd:{sys.executable} {script}", "--no-progress")
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("planhat-conformance: the target is broken:")
    assert "cannot start" in err
    assert out == ""


def test_the_ci_example_of_the_shared_database_is_a_valid_workflow() -> None:
    yaml = pytest.importorskip("yaml")
    text = (Path(__file__).resolve().parents[2] / "docs" / "conformance.md").read_text("utf-8")
    (block,) = [b.split("\n", 1)[1] for b in text.split("```")[1::2] if b.startswith("yaml")]
    steps = yaml.safe_load(block)["jobs"]["conformance"]["steps"]
    env = next(s["env"] for s in steps if "env" in s)
    assert env["PLANHAT_CONFORMANCE_DATABASE"].startswith("github:")
    assert any(s.get("with", {}).get("path") == ".hypothesis/conformance" for s in steps)
