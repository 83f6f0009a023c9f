"""The bundled reference destinations (conformance/reference/): each passes the kit, and the
rules each one implements its own way are checked directly.

The full campaigns (100 explored sequences, both event profiles) run in the self-test
(``make selftest``); here each reference gets a short hostile campaign plus targeted tests.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import run_checks
from conformance.engine import Case, Session, run_campaign
from conformance.oracle import predict_activity
from conformance.reference import activities_bulk, segment_requests
from conformance.reference.activities_bulk import ActivityForwarder
from conformance.reference.segment_requests import SegmentForwarder
from conformance.selftest import REFERENCES
from conformance.targets import load_target
from fake_planhat import FakePlanhat
from fake_planhat.auth import fingerprint

NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="`node` (Node.js 20) is not on PATH")
NODE_REFERENCE = Path(segment_requests.__file__).with_name("segment_node.mjs")
BIG = 2**53 + 1  # a float cannot hold it: W-4 must keep every digit


REFERENCE_PARAMS = [
    pytest.param(
        r.name,
        r.profile,
        id=r.name,
        marks=[needs_node] if r.name in ("segment_node", "segment_function") else [],
    )
    for r in REFERENCES
]


@pytest.mark.parametrize(("name", "profile"), REFERENCE_PARAMS)
def test_reference_passes_every_rule_on_hostile_events(name: str, profile: str) -> None:
    result = run_campaign(
        f"reference:{name}",
        profile=profile,  # type: ignore[arg-type]
        events="hostile",
        max_examples=5,
    )
    assert [f.rule_id for f in result.failures()] == []
    assert result.ok


# --- segment_requests: its own retry loop (O-2, O-3, W-5) ----------------------------------------


@pytest.fixture
def fake() -> Iterator[FakePlanhat]:
    planhat = FakePlanhat(seed=0)
    with planhat.intercept():
        yield planhat


def _identify(user: str = "u-1") -> dict[str, Any]:
    return {"type": "identify", "userId": user, "messageId": f"m-{user}", "traits": {"n": BIG}}


def _settings(fake: FakePlanhat) -> dict[str, Any]:
    return {"apiKey": fake.tenant_token, "subdomain": "api-eu"}


def test_O2_requests_reference_honours_retry_after_and_resends_the_same_body(
    fake: FakePlanhat,
) -> None:
    fake.faults.add("/dock/segment", status=429, retry_after=1, on_calls=[1])
    started = time.perf_counter()
    segment_requests.handle(_identify(), _settings(fake))
    took = time.perf_counter() - started
    sent = fake.journal.query(route="dock.segment")
    assert [e.status for e in sent] == [429, 200]
    assert took >= 1.0  # Retry-After: 1
    assert sent[0].body == sent[1].body  # W-5: the identical body
    assert json.loads(sent[1].body)["traits"]["n"] == BIG  # W-4


def test_O2_requests_reference_gives_up_with_retry_error(fake: FakePlanhat) -> None:
    fake.faults.add("/dock/segment", status=503)
    with pytest.raises(segment_requests.RetryError, match="503"):
        segment_requests.handle(_identify(), _settings(fake))
    assert len(fake.journal.query(route="dock.segment")) == SegmentForwarder.max_attempts


def test_O2_requests_reference_leaves_a_long_retry_after_to_segment(fake: FakePlanhat) -> None:
    fake.faults.add("/dock/segment", status=429, retry_after=60)
    with pytest.raises(segment_requests.RetryError):
        segment_requests.handle(_identify(), _settings(fake))
    assert len(fake.journal.query(route="dock.segment")) == 1  # 60 s > max_wait: no wait here


@pytest.mark.parametrize("status", [400, 401, 404, 422])
def test_O3_requests_reference_never_retries_a_4xx(fake: FakePlanhat, status: int) -> None:
    fake.faults.add("/dock/segment", status=status)
    with pytest.raises(segment_requests.ValidationError, match=str(status)):
        segment_requests.handle(_identify(), _settings(fake))
    assert len(fake.journal.query(route="dock.segment")) == 1


def test_O2_requests_reference_reads_an_http_date_retry_after() -> None:
    import requests

    response = requests.Response()
    response.headers["Retry-After"] = "Wed, 21 Oct 2015 07:28:00 GMT"  # in the past: no wait
    assert SegmentForwarder().retry_after(response) == 0.0
    response.headers["Retry-After"] = "soon"
    assert SegmentForwarder().retry_after(response) is None


def test_W2_requests_reference_sends_basic_with_an_empty_password(fake: FakePlanhat) -> None:
    assert SegmentForwarder().authorization("tok") == "Basic " + base64.b64encode(b"tok:").decode()
    segment_requests.handle(_identify(), _settings(fake))
    (entry,) = fake.journal.query(route="dock.segment")
    assert entry.host == "api-eu.planhat.com"
    assert entry.status == 200


# --- activities_bulk: the translation (A-2 … A-7) -------------------------------------------------


TRACK = {
    "type": "track",
    "event": "Signed Up!",
    "userId": "00123",
    "anonymousId": "anon-1",
    "properties": {"plan": "pro", "big": BIG, "nested": {"a": [1, None]}},
    "context": {"traits": {"email": "ctx@example.com"}, "groupId": "acct-9"},
    "traits": {"email": "traits@example.com", "company": {"id": 7}},
    "timestamp": "2025-03-01T09:00:00.000Z",
}


def test_A2_to_A6_activity_is_the_event_translated() -> None:
    assert ActivityForwarder().activity(TRACK) == {
        "action": "Signed Up!",  # A-2 verbatim
        "info": TRACK["properties"],
        "date": "2025-03-01T09:00:00.000Z",
        "externalId": "00123",  # A-5, not the anonymousId
        "email": "ctx@example.com",  # context.traits first
        "companyExternalId": "7",  # traits.company.id before context.groupId (P-3)
    }


@pytest.mark.parametrize(
    ("page", "action"),
    [
        ({"name": "Pricing", "category": "Docs"}, "Viewed Docs Pricing Page"),
        ({"name": "Pricing"}, "Viewed Pricing Page"),
        ({"category": "Docs"}, "Loaded a Page"),
        ({}, "Loaded a Page"),
    ],
)
def test_A2_page_action_is_segments_classic_naming(page: dict[str, Any], action: str) -> None:
    event = {"type": "page", "userId": "u-1", **page}
    activity = ActivityForwarder().activity(event)
    assert activity is not None
    assert activity["action"] == action


def test_A5_without_user_id_the_user_key_of_P1_names_the_user() -> None:
    event = {"type": "track", "event": "x", "user_id": "u-7", "anonymousId": "anon"}
    activity = ActivityForwarder().activity(event)
    assert activity is not None
    assert activity["externalId"] == "u-7"
    assert activity == predict_activity(event)


def test_A7_nobody_named_nothing_sent() -> None:
    event = {"type": "track", "event": "x", "anonymousId": "anon", "context": {}}
    assert ActivityForwarder().activity(event) is None


def test_A2_track_without_a_name_is_an_invalid_payload() -> None:
    with pytest.raises(activities_bulk.InvalidEventPayload):
        ActivityForwarder().activity({"type": "track", "userId": "u-1"})


def test_A1_activities_go_to_the_bulk_endpoint_whatever_the_subdomain(fake: FakePlanhat) -> None:
    activities_bulk.handle(TRACK, {"apiKey": fake.tenant_token, "subdomain": "api-eu"})
    (entry,) = fake.journal.query(route="analytics.track_bulk")
    assert entry.host == "analytics.planhat.com"
    assert entry.path == f"/analytics/bulk/fp:{fingerprint(fake.tenant_token)}"  # redacted
    assert json.loads(entry.body) == [ActivityForwarder().activity(TRACK)]


# --- segment_node: the raw event text (W-4) -----------------------------------------------------


@needs_node
def test_W4_node_reference_cuts_the_raw_event_out_of_the_line() -> None:
    event_text = '{"a": "}\\"{[", "n": 9007199254740993, "x": 1e21, "e": [], "s": "\\\\"}'
    line = f'{{"id": "1", "settings": {{"k": "}}"}}, "event": {event_text}, "z": null}}'
    script = (
        f"import {{ rawMember }} from {json.dumps(NODE_REFERENCE.as_uri())};"
        "process.stdout.write(JSON.stringify([rawMember(process.argv[1], 'event'),"
        " rawMember(process.argv[1], 'z'), rawMember(process.argv[1], 'missing') ?? 'none']));"
    )
    assert NODE is not None
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", script, line],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert json.loads(done.stdout) == [event_text, "null", "none"]


@needs_node
def test_W4_node_reference_forwards_big_numbers_whole() -> None:
    event = {
        "type": "identify",
        "userId": BIG,
        "messageId": "m-1",
        "traits": {"n": -BIG, "huge": 2**64, "e": 1e21, "s": "😀 שלום"},
    }
    with Session(load_target("reference:segment_node"), "segment") as session:
        run = session.execute(Case("big numbers", [event], [session.settings("api")]))
    verdicts = run_checks(run, ["W-1", "W-2", "W-3", "W-4", "O-1"])
    assert {r: v.status for r, v in verdicts.items()} == dict.fromkeys(verdicts, "pass")
