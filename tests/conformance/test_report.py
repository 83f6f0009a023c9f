"""Reports (conformance/reporting/): console, JUnit XML, JSON, replay file, progress display."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance._json import pretty
from conformance.checks import Verdict
from conformance.contract import RULES
from conformance.engine import CampaignResult, Case, Failure, RuleResult
from conformance.reporting import (
    ConsoleProgress,
    console_report,
    json_report,
    junit_xml,
    read_replay,
    replay_document,
    unified_diff,
)
from fake_planhat.faults import FaultSpec

EVENT = {"type": "identify", "userId": "u-1", "traits": {"title": "CTO", "email": "a@b.c"}}
SETTINGS = {"apiKey": "00000000-0000-4000-8000-000000000001", "subdomain": "api"}


def _result() -> CampaignResult:
    received = {"type": "identify", "userId": "u-1", "traits": {"email": "a@b.c"}}
    failure = Failure(
        "W-4",
        Case("exploration", [EVENT], [SETTINGS], {0: FaultSpec(status=503, retry_after=1)}),
        Verdict("fail", "the body is not the event", pretty(EVENT), pretty(received), 0),
    )
    rules = {
        "S-1": RuleResult(RULES["S-1"], passed=4),
        "W-4": RuleResult(RULES["W-4"], passed=2, failed=1, failure=failure),
        "A-1": RuleResult(RULES["A-1"], not_applicable=9),
    }
    return CampaignResult(
        target="py:dest.py:handle",
        profile="segment",
        events="realistic",
        seed=7,
        max_examples=50,
        rules=rules,
        examples=50,
        scenarios=["story"],
        timings={"scenarios": 0.5, "exploration": 1.25, "total": 1.75},
    )


def test_console_report_has_one_line_per_rule_and_a_summary() -> None:
    text = console_report(_result())
    lines = text.splitlines()
    assert "PASS          S-1   invalid settings reject everything (checked in 4 runs)" in lines
    assert (
        "FAIL          W-4   body is the event, unchanged (checked in 3 runs; root cause)" in lines
    )
    assert "NOT EXERCISED A-1   activities endpoint (no run exercised it)" in lines
    assert "3 rules checked: 1 passed, 1 failed, 1 not exercised; root cause: W-4" in lines
    assert lines[3] == "Root cause (fix first): W-4 body is the event, unchanged"
    assert lines[-1] == "Run time: 1.8 s (scenarios 0.5 s, exploration 1.2 s)"


def test_console_report_shows_each_failure_in_full() -> None:
    text = console_report(_result(), replay_file="replay.json")
    block = text.split("FAIL W-4 body is the event, unchanged", 1)[1]
    assert "Root cause: no rule it depends on failed on this run." in block
    assert "The body is the Segment event itself" in block  # the rule text
    assert "What went wrong (event #0):" in block
    assert "Faults: event #0: status 503, Retry-After 1 on every request" in block
    assert "Minimal event sequence (1 event):" in block
    assert '        "title": "CTO"' in block  # the sequence, pretty JSON
    assert "--- expected" in block
    assert '    -    "title": "CTO"' in block.splitlines()
    assert "planhat-conformance replay replay.json --target py:dest.py:handle" in block
    assert (
        "planhat-conformance run --target py:dest.py:handle --profile segment --events realistic "
        "--seed 7 --max-examples 50 --rules W-4"
    ) in block


def test_console_report_clips_very_long_lines() -> None:
    result = _result()
    long_event = {"type": "identify", "traits": {"bio": "x" * 5000}}
    failure = result.rules["W-4"].failure
    assert failure is not None
    result.rules["W-4"].failure = Failure(
        "W-4", Case("x", [long_event], [SETTINGS]), failure.verdict
    )
    text = console_report(result)
    assert max(len(line) for line in text.splitlines()) < 400
    assert "characters in all)" in text


def test_unified_diff_marks_expected_and_received() -> None:
    diff = unified_diff("a\nb\nc", "a\nc")
    assert diff.splitlines()[:2] == ["--- expected", "+++ received"]
    assert "-b" in diff.splitlines()
    assert unified_diff("same", "same") == ""


def test_junit_xml_is_well_formed_with_one_testcase_per_rule() -> None:
    root = ET.fromstring(junit_xml(_result()))
    (suite,) = root.findall("testsuite")
    assert suite.get("tests") == "3"
    assert suite.get("failures") == "1"
    assert suite.get("skipped") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {
        "S-1 invalid settings reject everything",
        "W-4 body is the event, unchanged",
        "A-1 activities endpoint",
    }
    failure = cases["W-4 body is the event, unchanged"].find("failure")
    assert failure is not None
    assert failure.get("message") == "the body is not the event"
    assert "--- expected" in (failure.text or "")
    assert cases["A-1 activities endpoint"].find("skipped") is not None
    assert cases["S-1 invalid settings reject everything"].find("failure") is None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["seed"] == "7"


def test_json_report_keeps_timings_apart() -> None:
    data = json_report(_result())
    assert data["timings"] == {"scenarios": 0.5, "exploration": 1.25, "total": 1.75}
    assert data["summary"] == {
        "passed": 1,
        "failed": 1,
        "not exercised": 1,
        "rules": 3,
        "ok": False,
        "rootCauses": ["W-4"],
    }
    by_id = {r["id"]: r for r in data["rules"]}
    assert by_id["W-4"]["status"] == "failed"
    assert by_id["W-4"]["rootCause"] is True
    assert Failure.from_json(by_id["W-4"]["failure"]).case.events == [EVENT]
    json.dumps(data)  # serialisable as it is


def test_replay_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "replay.json"
    path.write_text(json.dumps(replay_document(_result())), encoding="utf-8")
    profile, seed, failures = read_replay(path)
    assert (profile, seed) == ("segment", 7)
    (failure,) = failures
    assert failure.rule_id == "W-4"
    assert failure.case.events == [EVENT]
    assert failure.case.settings == [SETTINGS]
    assert failure.case.faults == {0: FaultSpec(status=503, retry_after=1)}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("not json", "not JSON"),
        ('{"kind": "something else"}', "not a replay file"),
        ('{"kind": "planhat-conformance-replay", "profile": "x"}', "unknown profile"),
        (
            '{"kind": "planhat-conformance-replay", "profile": "segment", "failures": [{}]}',
            "malformed",
        ),
    ],
)
def test_read_replay_says_what_is_wrong(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "replay.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_replay(path)


def test_progress_plain_lines_when_not_a_terminal() -> None:
    stream = io.StringIO()
    progress = ConsoleProgress(stream, tty=False)
    progress.show("scenario: story", 0, 3)
    progress.show("scenario: story", 1, 3)
    for done in range(1, 101):
        progress.show("exploring (round 1)", done, 100)
    progress.show("done", 1, 1)
    lines = stream.getvalue().splitlines()
    assert lines[0] == "scenario: story …"
    assert lines[1] == "exploring (round 1) …"
    assert lines[2:] == [f"exploring (round 1): {n}/100" for n in (25, 50, 75, 100)]
    assert "\r" not in stream.getvalue()


def test_progress_bar_on_a_terminal() -> None:
    stream = io.StringIO()
    progress = ConsoleProgress(stream, tty=True)
    progress.show("exploring (round 1)", 50, 100)
    assert stream.getvalue().startswith("\r[###############...............] 50/100 exploring")
    progress.show("done", 1, 1)
    assert stream.getvalue().endswith("\r")
