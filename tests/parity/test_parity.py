"""``fake-planhat record`` and ``parity``: a second fake stands in for the real Planhat.

The upstream fake has one behaviour switched (the tenant setting ``unassigned: discard``, rule
P-8), the fake replayed against keeps the default (``keep``): parity must report exactly the
differences that switch causes, labelled in the ledger's terms, and none once the replay's fake
is switched the same way.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from fake_planhat import DEFAULT_API_TOKEN, DEFAULT_TENANT_TOKEN, FakePlanhat
from fake_planhat._parity import ABSENT, classify, compare, replay
from fake_planhat._record import Recorder, RecordingServer, read_recording
from fake_planhat.auth import fingerprint
from fake_planhat.cli import main

INTAKE = {
    "Authorization": "Basic " + base64.b64encode(f"{DEFAULT_TENANT_TOKEN}:".encode()).decode()
}
REST = {"Authorization": f"Bearer {DEFAULT_API_TOKEN}"}


def traffic(client: httpx.Client) -> None:
    """What a user's code might send: a contact without a company, then its company."""
    client.post(
        "/dock/segment",
        headers=INTAKE,
        json={"type": "identify", "userId": "u1", "traits": {"email": "ada@acme.test"}},
    )
    client.post(
        "/dock/segment",
        headers=INTAKE,
        json={"type": "group", "groupId": "acme", "userId": "u1", "traits": {"name": "Acme"}},
    )
    client.post(
        f"/analytics/{DEFAULT_TENANT_TOKEN}",
        json={"email": "ada@acme.test", "action": "Logged in", "externalId": "u1"},
    )
    client.get("/endusers", headers=REST)
    client.get("/companies", headers=REST)
    client.get("/companies/extid-nope", headers=REST)


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    """Traffic recorded through the proxy in front of an upstream fake with discard on."""
    upstream = FakePlanhat()
    upstream.settings(unassigned="discard", group="upsert")
    path = tmp_path / "recording.jsonl"
    with upstream.serve() as planhat, path.open("a", encoding="utf-8") as out:
        recorder = Recorder(planhat.url, out)
        with RecordingServer(recorder) as proxy, httpx.Client(base_url=proxy.url) as client:
            traffic(client)
        recorder.client.close()
    return path


def test_record_keeps_answers_and_no_token(recording: Path) -> None:
    text = recording.read_text(encoding="utf-8")
    assert DEFAULT_TENANT_TOKEN not in text
    assert DEFAULT_API_TOKEN not in text
    exchanges = [exchange for _, exchange in read_recording(recording)]
    assert [e["request"]["method"] for e in exchanges] == [
        "POST",
        "POST",
        "POST",
        "GET",
        "GET",
        "GET",
    ]
    assert exchanges[0]["request"]["auth"] == {
        "scheme": "Basic",
        "role": "tenant",
        "fp": fingerprint(DEFAULT_TENANT_TOKEN),
    }
    assert exchanges[2]["request"]["path"] == "/analytics/{tenantToken}"
    assert exchanges[3]["request"]["auth"]["role"] == "api"
    assert exchanges[3]["response"] == {
        "status": 200,
        "headers": {"content-type": "application/json"},
        "body": [],  # discard upstream: the contact never became an enduser
    }
    assert exchanges[5]["response"]["status"] == 404


def test_parity_reports_the_switched_behaviour_P8(recording: Path) -> None:
    fake = FakePlanhat()  # unassigned: keep, the default
    fake.settings(group="upsert")  # as upstream: a group call makes the company
    with fake.serve() as server:
        report = replay(
            list(read_recording(recording)),
            server.url,
            tenant_token=fake.tenant_token,
            api_token=fake.api_token,
        )
    found = [(d.exchange, d.kind, d.where, d.planhat, d.fake, d.term) for d in report.differences]
    assert found == [
        (1, "values", "$.result", "dropped", "applied", "decided"),
        # the activity found no contact upstream: it had been discarded
        (3, "values", "$.ignored", 1, 0, "decided"),
        (3, "values", "$.processed", 0, 1, "decided"),
        (4, "shape", "$ (length)", 0, 1, "decided"),
        # the contact kept (and assigned by the group call) gives acme its domain
        (5, "shape", "$[0].domains (length)", 0, 1, "documented"),
    ]
    assert "`unassigned`" in report.differences[3].note
    assert "P-8" in report.differences[3].note
    assert report.lines()[-1] == "6 exchanges replayed, 5 differences (1 documented, 4 decided)"


def test_parity_is_clean_when_the_fake_is_switched_the_same_way(recording: Path) -> None:
    fake = FakePlanhat()
    fake.settings(unassigned="discard", group="upsert")
    with fake.serve() as server:
        report = replay(
            list(read_recording(recording)),
            server.url,
            tenant_token=fake.tenant_token,
            api_token=fake.api_token,
        )
    assert report.ok, report.lines()
    assert report.lines() == ["6 exchanges replayed, 0 differences"]


def test_parity_cli_exit_status_and_json(
    recording: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["parity", str(recording), "--setting", "group=upsert"]) == 1
    out = capsys.readouterr().out
    assert "line 4: GET /endusers  shape at $ (length): Planhat 0, fake 1  [decided:" in out

    assert (
        main(
            [
                "parity",
                str(recording),
                "--setting",
                "unassigned=discard",
                "--setting",
                "group=upsert",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == "6 exchanges replayed, 0 differences\n"

    assert main(["parity", str(recording), "--setting", "group=upsert", "--json", "-"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["exchanges"] == 6
    assert [d["term"] for d in document["differences"]] == ["decided"] * 4 + ["documented"]


def test_parity_cli_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"format": "something else"}\n', encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["parity", str(bad)])
    assert exited.value.code == 2
    assert "bad.jsonl:1: not an exchange" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["parity", str(bad), "--setting", "unassigned"])
    assert "write KEY=VALUE" in capsys.readouterr().err


def test_tokens_in_paths_and_headers_are_redacted() -> None:
    from fake_planhat._record import redact_authorization, redact_path

    assert redact_path("/analytics/tok-1") == "/analytics/{tenantToken}"
    assert redact_path("/analytics/bulk/tok-1") == "/analytics/bulk/{tenantToken}"
    assert redact_path("/endusers/extid-u1") == "/endusers/extid-u1"
    basic = "Basic " + base64.b64encode(b"tok-1:").decode()
    assert redact_authorization(basic) == {
        "scheme": "Basic",
        "role": "tenant",
        "fp": fingerprint("tok-1"),
    }
    assert redact_authorization("Bearer api-1") == {
        "scheme": "Bearer",
        "role": "api",
        "fp": fingerprint("api-1"),
    }
    assert redact_authorization("Basic !!!")["role"] == "unreadable"


def test_compare_ignores_volatile_fields_by_rule() -> None:
    planhat = {
        "_id": "5f0c8a0e4d3b2a1c0e9f8d7c",
        "companyId": "5f0c8a0e4d3b2a1c0e9f8d70",
        "createDate": "2026-01-01T00:00:00.000Z",
        "name": "Acme",
    }
    fake = {
        "_id": "6b12dcd53689e6f9c3008aef",
        "companyId": "6b12dcd53689e6f9c3008af0",
        "createDate": "2026-12-04T15:31:33.977Z",
        "name": "Acme",
    }
    assert list(compare(planhat, fake)) == []
    # a generated id against a plain value is a difference, not volatility
    assert list(compare({"companyId": "5f0c8a0e4d3b2a1c0e9f8d70"}, {"companyId": "acme"})) == [
        ("values", "$.companyId", "5f0c8a0e4d3b2a1c0e9f8d70", "acme")
    ]


def test_compare_reports_shape_and_values() -> None:
    found = list(
        compare({"a": 1, "b": [1, 2], "c": "x"}, {"a": "1", "b": [1], "d": None, "c": "y"})
    )
    assert found == [
        ("shape", "$.a", "number", "string"),
        ("shape", "$.b (length)", 2, 1),
        ("values", "$.c", "x", "y"),
        ("shape", "$.d", ABSENT, None),
    ]


def test_ledger_terms() -> None:
    assert classify("GET", "/companies", 200, "values")[0] == "documented"
    assert classify("POST", "/dock/segment", 200, "values")[0] == "decided"
    assert classify("GET", "/companies/x", 404, "values")[0] == "decided"  # error bodies
    assert classify("GET", "/companies", 429, "status")[0] == "differs"  # R-9 off by default
    assert classify("GET", "/endusers", 200, "shape")[0] == "decided"  # P-8


def test_record_command_proxies_and_records(tmp_path: Path) -> None:
    """The real command: start it, send through it, stop it with SIGTERM."""
    out = tmp_path / "rec.jsonl"
    with FakePlanhat().serve() as planhat:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "fake_planhat",
                "record",
                "--upstream",
                planhat.url,
                "--out",
                str(out),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            answer = httpx.get(f"{url}/companies", headers=REST, timeout=10)
            assert answer.status_code == 200
            assert answer.json() == []
        finally:
            proc.terminate()
            rest, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "recorded 1 exchange" in rest
    [(_, exchange)] = list(read_recording(out))
    assert exchange["request"]["path"] == "/companies"


def test_record_refuses_a_bad_upstream(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["record", "--upstream", "api.planhat.com"])
    assert exited.value.code == 2
    assert "not an http:// or https:// URL" in capsys.readouterr().err


def test_the_docs_console_example_is_what_parity_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/parity.md shows a session: identify without a company, group, then the two lists,
    recorded against a tenant that discards unassigned contacts. Replaying it prints that."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "parity.md").read_text()
    [console] = re.findall(r"```console\n(.*?)```", docs, re.DOTALL)
    upstream = FakePlanhat()
    upstream.settings(unassigned="discard", group="upsert")
    path = tmp_path / "planhat-recording.jsonl"
    with upstream.serve() as planhat, path.open("a", encoding="utf-8") as out:
        recorder = Recorder(planhat.url, out)
        with RecordingServer(recorder) as proxy, httpx.Client(base_url=proxy.url) as client:
            for event in (
                {"type": "identify", "userId": "u1", "traits": {"email": "ada@acme.test"}},
                {"type": "group", "groupId": "acme", "userId": "u1", "traits": {"name": "Acme"}},
            ):
                client.post("/dock/segment", headers=INTAKE, json=event)
            client.get("/endusers", headers=REST)
            client.get("/companies", headers=REST)
        recorder.client.close()
    printed = []
    for command in re.findall(r"^\$ fake-planhat (.*)$", console, re.MULTILINE):
        main(shlex.split(command.replace("planhat-recording.jsonl", str(path))))
        printed += [f"$ fake-planhat {command}", *capsys.readouterr().out.splitlines()]
    assert printed == console.strip().splitlines()
