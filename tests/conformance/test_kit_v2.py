"""Kit v2 behaviours: root causes and selection-independent verdicts, verdicts judged on what
the destination could observe (timeouts, every 2xx, O-5's statuses), fail-fast targets, py:
return values, type-exact W-4, the Function harness's numbers, and the example database."""

from __future__ import annotations

import copy
import shutil
import socket
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    MultiplexedDatabase,
)

from conformance import RetryError, ValidationError, run_campaign
from conformance._json import json_equal
from conformance.checks import run_checks
from conformance.engine import Case, Session, TargetStartError, open_database
from conformance.reference import segment_httpx
from conformance.reporting import console_report
from conformance.targets import (
    CommandTarget,
    FunctionTarget,
    HttpTarget,
    PythonTarget,
    as_javascript_sees_it,
    delivery_of_return,
)
from fake_planhat.faults import FaultSpec

DESTINATIONS = Path(__file__).parent / "destinations"
NODE = shutil.which("node")
Event = dict[str, Any]


def ignores_integrations(event: Event, settings: dict[str, Any]) -> None:
    """The reference, but blind to the integrations object (breaks T-4)."""
    event = copy.deepcopy(event)
    event.pop("integrations", None)
    segment_httpx.handle(event, settings)


# --- root causes ---------------------------------------------------------------------------------


def test_T4_is_the_root_cause_and_planhat_rules_are_its_consequences() -> None:
    target = PythonTarget(ignores_integrations, "ignores integrations")
    result = run_campaign(target, max_examples=10)
    failed = {f.rule_id: f for f in result.failures()}
    assert failed["T-4"].root_cause
    assert [f.rule_id for f in result.root_causes()] == ["T-4"], console_report(result)
    for rule_id, failure in failed.items():
        if rule_id != "T-4":
            assert "T-4" in failure.verdict.caused_by, rule_id
    report = console_report(result)
    assert "Root cause (fix first): T-4 integrations can disable Planhat" in report
    assert "consequence of T-4" in report
    assert next(iter(failed)) == "T-4"  # the summary leads with the root cause


def test_P1_verdict_does_not_depend_on_what_else_is_selected() -> None:
    target = PythonTarget(ignores_integrations, "ignores integrations")
    alone = run_campaign(target, rules=["P-1"], max_examples=5)
    with_t4 = run_campaign(target, rules=["P-1", "T-4"], max_examples=5)
    assert alone.rules["P-1"].status == with_t4.rules["P-1"].status == "failed"
    assert alone.rules["P-1"].failure is not None
    assert alone.rules["P-1"].failure.verdict.caused_by == ("T-4",)  # judged though unselected


# --- verdicts from what the destination could observe --------------------------------------------


def _only_200_is_success(event: Event, settings: dict[str, Any]) -> None:
    """Treats any 2xx but 200 as a failure to retry (misses O-1)."""
    response = httpx.post(
        f"https://{settings.get('subdomain', 'api')}.planhat.com/dock/segment",
        json=event,
        auth=(settings["apiKey"], ""),
    )
    if response.status_code != 200:
        raise RetryError(f"Planhat answered {response.status_code}")


def test_O1_every_2xx_status_is_success() -> None:
    result = run_campaign(PythonTarget(_only_200_is_success, "only 200"), rules=["O-1"],
                          max_examples=1)  # fmt: skip
    failure = result.rules["O-1"].failure
    assert failure is not None
    assert failure.case.faults
    assert next(iter(failure.case.faults.values())).status != 200


def _ok_on_unsettled(event: Event, settings: dict[str, Any]) -> None:
    try:
        segment_httpx.handle(event, settings)
    except Exception as exc:  # the reference's own RetryError and ValidationError classes
        if any(f" {s}" in str(exc) for s in ("410", "460", "501", "505")):
            return  # claims success: wrong, Planhat did not take it
        raise


@pytest.mark.parametrize("status", [410, 460, 501, 505])
def test_O5_retry_or_discard_both_pass(status: int) -> None:
    def discards(event: Event, settings: dict[str, Any]) -> None:
        try:
            segment_httpx.handle(event, settings)
        except Exception as exc:  # the reference's own RetryError class, by name
            if type(exc).__name__ == "RetryError" and str(status) in str(exc):
                raise ValidationError(str(exc)) from exc
            raise

    for handle in (segment_httpx.handle, discards):
        result = run_campaign(PythonTarget(handle, "o5"), rules=["O-5", "O-2", "O-3"],
                              max_examples=1)  # fmt: skip
        assert result.ok, console_report(result)


def test_O5_ok_on_an_unsettled_status_fails() -> None:
    result = run_campaign(
        PythonTarget(_ok_on_unsettled, "ok on 410"), rules=["O-5"], max_examples=1
    )
    assert result.rules["O-5"].status == "failed", console_report(result)


SHORT_TIMEOUT = """
import base64, json, sys, httpx
for line in sys.stdin:
    request = json.loads(line)
    event, settings = request["event"], request["settings"]
    token = base64.b64encode((settings["apiKey"] + ":").encode()).decode()
    outcome = "ok"
    try:
        response = httpx.post(settings["baseUrl"] + "/dock/segment", json=event,
                              headers={"Authorization": "Basic " + token}, timeout=0.1)
        if response.status_code >= 500 or response.status_code in (408, 429):
            outcome = "retry"
        elif response.status_code >= 400:
            outcome = "discard"
    except httpx.TimeoutException:
        outcome = "MODE"
    except httpx.TransportError:
        outcome = "retry"
    print(json.dumps({"id": request["id"], "outcome": outcome}), flush=True)
"""


def _slow_answer_run(tmp_path: Path, on_timeout: str) -> dict[str, Any]:
    script = tmp_path / "short_timeout.py"
    script.write_text(SHORT_TIMEOUT.replace("MODE", on_timeout), encoding="utf-8")
    target = CommandTarget([sys.executable, str(script)], name="short timeout")
    event = {"type": "identify", "userId": "u-1", "traits": {"email": "a@example.com"}}
    case = Case("slow", [event], [{}], {0: FaultSpec(latency=0.4)})
    with Session(target, "segment") as session:
        settings = session.settings("api")
        run = session.execute(Case("slow", [event], [settings], case.faults))
        return {**run_checks(run, ["O-1", "O-2", "E-1"]), "run": run}


def test_O2_an_answer_slower_than_the_destinations_timeout_is_a_timeout(tmp_path: Path) -> None:
    """A correct destination with a short timeout says retry: no false O-1 failure."""
    verdicts = _slow_answer_run(tmp_path, "retry")
    assert verdicts["O-1"].status != "fail"
    assert verdicts["O-2"].status == "pass"
    assert verdicts["E-1"].status != "fail"
    (request,) = verdicts["run"].attempts[0].requests
    assert request.timed_out
    assert request.answered is None


def test_O2_ok_after_a_timeout_fails(tmp_path: Path) -> None:
    verdicts = _slow_answer_run(tmp_path, "ok")
    assert verdicts["O-2"].failed
    assert "gave up" in verdicts["O-2"].explanation


# --- fail fast ------------------------------------------------------------------------------------


def test_a_command_that_crashes_on_start_stops_the_campaign_fast(tmp_path: Path) -> None:
    script = tmp_path / "crash.py"
    script.write_text("import sys\nsys.exit('no config file')\n", encoding="utf-8")
    started = time.perf_counter()
    with pytest.raises(TargetStartError, match="no config file"):
        run_campaign(CommandTarget([sys.executable, str(script)], name="crash"))
    assert time.perf_counter() - started < 10


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_a_function_that_does_not_parse_stops_the_campaign_fast(tmp_path: Path) -> None:
    broken = tmp_path / "broken.js"
    broken.write_text(
        "async function onTrack(event, settings) {\n  return (\n}\n", encoding="utf-8"
    )
    started = time.perf_counter()
    with pytest.raises(TargetStartError, match="failed to load: SyntaxError"):
        run_campaign(FunctionTarget(broken, node=str(NODE)))
    assert time.perf_counter() - started < 10


def test_an_http_target_with_nothing_listening_stops_the_campaign_fast() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    with pytest.raises(TargetStartError, match="nothing accepts connections"):
        run_campaign(HttpTarget(f"http://127.0.0.1:{port}/segment"))
    assert time.perf_counter() - started < 10


# --- py: return values ----------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["ok", "retry", "discard", "unsupported"])
def test_O4_a_py_handler_may_return_an_outcome_word(word: str) -> None:
    assert delivery_of_return(word).outcome == word


def test_O4_any_other_return_value_explains_the_protocol() -> None:
    delivery = delivery_of_return({"status": 200})
    assert delivery.outcome == "error"
    assert "returned {'status': 200}" in delivery.message
    assert "returning None (or one of the words 'ok', 'retry'" in delivery.message
    assert delivery_of_return(None).outcome == "ok"
    assert delivery_of_return("error").outcome == "error"


def test_O2_a_handler_returning_retry_is_judged_as_retry() -> None:
    def says_retry(event: Event, settings: dict[str, Any]) -> str:
        segment_httpx.handle(event, settings)
        return "retry"  # wrong on a 2xx: the kit must see it

    result = run_campaign(PythonTarget(says_retry, "says retry"), rules=["O-1"], max_examples=1)
    assert result.rules["O-1"].status == "failed"


# --- W-4 type-exactly, and numbers as a Function sees them ---------------------------------------


def test_W4_compares_type_exactly() -> None:
    assert not json_equal({"n": 1}, {"n": 1.0})
    assert not json_equal({"n": 1}, {"n": "1"})
    assert not json_equal({"n": True}, {"n": 1})
    assert json_equal({"a": [1, {"b": 2.5}]}, {"a": [1, {"b": 2.5}]})


def test_W4_a_destination_that_stringifies_a_numeric_user_id_fails() -> None:
    def stringifies(event: Event, settings: dict[str, Any]) -> None:
        event = copy.deepcopy(event)
        if isinstance(event.get("userId"), int):
            event["userId"] = str(event["userId"])
        segment_httpx.handle(event, settings)

    with Session(PythonTarget(stringifies, "stringifies"), "segment") as session:
        event = {"type": "track", "userId": 42, "event": "Clicked"}
        run = session.execute(Case("n", [event], [session.settings()]), replay=False)
        assert run_checks(run, ["W-4"])["W-4"].failed


def test_W4_numbers_as_javascript_sees_them() -> None:
    big = 2**53 + 1
    assert as_javascript_sees_it(
        {"a": big, "b": 1.0, "c": 1e21, "d": [-0.0, 2.5, True], "e": 2**64}
    ) == {
        "a": 2**53,
        "e": 18446744073709552000,  # 2**64 as JavaScript prints it
        "b": 1,
        "c": 1e21,
        "d": [0, 2.5, True],
    }


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_W4_a_correct_function_is_not_blamed_for_javascripts_numbers() -> None:
    target = FunctionTarget(DESTINATIONS / "function_dest.js", node=str(NODE))
    with Session(target, "segment") as session:
        event = {"type": "track", "userId": "u-1", "event": "Big",
                 "properties": {"id": 2**53 + 1, "ratio": 1.0, "huge": 1e21}}  # fmt: skip
        run = session.execute(Case("big", [event], [session.settings()]), replay=False)
        assert run_checks(run, ["W-4"])["W-4"].status == "pass"
        assert run.events[0]["properties"]["id"] == 2**53  # judged on what the Function got


# --- the example database -------------------------------------------------------------------------


def test_the_database_can_be_a_directory_redis_or_a_github_artifact(tmp_path: Path) -> None:
    assert isinstance(open_database(str(tmp_path / "db")), DirectoryBasedExampleDatabase)
    assert isinstance(open_database(f"dir:{tmp_path / 'db2'}"), DirectoryBasedExampleDatabase)
    shared = open_database("github:acme/destination/conformance-db")
    assert isinstance(shared, MultiplexedDatabase)
    try:
        import redis  # noqa: F401
    except ImportError:
        with pytest.raises(ValueError, match=r"pip install 'hypothesis\[redis\]'"):
            open_database("redis://localhost:6379/0")
    with pytest.raises(ValueError, match="github:OWNER/REPO"):
        open_database("github:nobody")


def test_a_failure_saved_in_the_database_replays_first(tmp_path: Path) -> None:
    def drops_library(event: Event, settings: dict[str, Any]) -> None:
        event = copy.deepcopy(event)
        if isinstance(event.get("context"), dict):
            event["context"].pop("library", None)
        segment_httpx.handle(event, settings)

    target = PythonTarget(drops_library, "drops library")
    database = str(tmp_path / "db")
    first = run_campaign(target, rules=["W-4"], max_examples=50, database=database)
    assert first.rules["W-4"].status == "failed"
    assert any((tmp_path / "db").rglob("*")), "the failure was saved"
    again = run_campaign(target, rules=["W-4"], max_examples=1, database=database)
    assert again.rules["W-4"].status == "failed"  # one example: the saved failure, replayed
