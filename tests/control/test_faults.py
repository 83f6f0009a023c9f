"""Fault rules: seeded and reproducible; status, latency and connection cuts, applied by the
request hook; managed over ``/_fake/faults``."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from fake_planhat import FakePlanhat
from fake_planhat.faults import Faults, FaultSpec

from . import basic, call_wsgi, identify, plain_error, post_segment


def run_calls(fake: FakePlanhat, count: int) -> list[int]:
    """Post ``count`` identifies through the app; the statuses, in order."""
    with fake.app.test_client() as client:
        return [
            post_segment(client, fake.tenant_token, identify(f"u{i}")).status_code
            for i in range(count)
        ]


# --- when rules fire -------------------------------------------------------------------------


def test_probability_rule_fires_on_the_same_calls_on_every_run() -> None:
    runs = []
    for _ in range(2):
        fake = FakePlanhat(seed=0)
        rule = fake.faults.add("/dock/segment", "POST", status=503, probability=0.3, seed=42)
        statuses = run_calls(fake, 60)
        runs.append((rule.fired, statuses))
        assert [n for n, s in enumerate(statuses, 1) if s == 503] == rule.fired
    assert runs[0] == runs[1]
    assert 0 < len(runs[0][0]) < 60  # it fired on some calls, not all


def test_another_seed_fires_on_other_calls() -> None:
    fired = []
    for seed in (1, 2):
        faults = Faults()
        rule = faults.add("*", status=500, probability=0.5, seed=seed)
        for _ in range(64):
            faults.decide("POST", "/dock/segment")
        fired.append(rule.fired)
    assert fired[0] != fired[1]


def test_on_calls_2_fires_only_on_the_second_matching_call(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    rule = fake.faults.add("/dock/segment", on_calls=[2], status=503)
    statuses = []
    for i in range(4):
        statuses.append(post_segment(client, fake.tenant_token, identify(f"u{i}")).status_code)
        # a call that does not match the rule is not counted
        assert client.post(f"/analytics/{fake.tenant_token}", json={}).status_code != 503
    assert statuses == [200, 503, 200, 200]
    assert rule.hits == 4
    assert rule.fired == [2]


def test_a_rule_without_on_calls_or_probability_fires_every_time_until_times(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    rule = fake.faults.add("/dock/segment", status=500, times=2)
    statuses = [
        post_segment(client, fake.tenant_token, identify(f"u{i}")).status_code for i in range(4)
    ]
    assert statuses == [500, 500, 200, 200]
    assert rule.fired == [1, 2]
    assert rule.hits == 4


@given(
    calls=st.sets(st.integers(min_value=1, max_value=30), min_size=1, max_size=10),
    total=st.integers(min_value=0, max_value=40),
    times=st.none() | st.integers(min_value=1, max_value=5),
)
def test_on_calls_fire_exactly_on_the_listed_calls(
    calls: set[int], total: int, times: int | None
) -> None:
    faults = Faults()
    rule = faults.add("/dock/*", "POST", status=429, on_calls=calls, times=times)
    decided = []
    for n in range(1, total + 1):
        faults.decide("GET", "/dock/segment")  # another method: not counted
        if faults.decide("POST", "/dock/segment") is rule:
            decided.append(n)
    expected = sorted(c for c in calls if c <= total)[:times]
    assert decided == rule.fired == expected
    assert rule.hits == total


def test_the_first_firing_rule_wins_and_the_others_still_count() -> None:
    faults = Faults()
    first = faults.add("/dock/segment", status=500, on_calls=[1])
    second = faults.add("*", status=503)
    assert faults.decide("POST", "/dock/segment") is first
    assert faults.decide("POST", "/dock/segment") is second
    assert faults.decide("GET", "/endusers") is second
    assert (first.hits, first.fired) == (2, [1])
    assert (second.hits, second.fired) == (3, [2, 3])


def test_path_patterns_and_methods() -> None:
    faults = Faults()
    rule = faults.add("/analytics/*", "post", latency=0.01)
    assert rule.method == "POST"
    assert faults.decide("POST", "/analytics/bulk/tok") is rule
    assert faults.decide("GET", "/analytics/tok") is None
    assert faults.decide("POST", "/dock/segment") is None
    assert rule.hits == 1


# --- what a fired rule does ------------------------------------------------------------------


def test_O2_status_429_carries_retry_after_and_is_journaled(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    fake.faults.add("/dock/segment", status=429, retry_after=7)
    response = post_segment(client, fake.tenant_token, identify("u1", messageId="m-1"))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    body = response.get_json()
    assert body["status"] == 429
    assert body["error"] == "Too Many Requests"
    assert "rule #1" in body["message"]
    assert fake.endusers() == []
    assert fake.unassigned() == []
    entry = fake.journal.last()
    assert entry is not None
    assert (entry.status, entry.fault) == (429, "status 429 (rule #1)")


def test_a_status_python_does_not_name_still_answers_planhat_shape(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    fake.faults.add("*", status=520)
    response = post_segment(client, fake.tenant_token, identify("u1"))
    assert response.status_code == 520
    assert response.get_json()["error"] == "Server Error"


def test_cut_after_applies_the_write_and_flags_the_connection(fake: FakePlanhat) -> None:
    """The "lost response" of rule E-3: the write happened, the caller never hears of it."""
    fake.faults.add("/dock/segment", cut="after")
    status, cut = call_wsgi(
        fake,
        "POST",
        "/dock/segment",
        json=identify("u1", "a@example.com"),
        headers={"Authorization": basic(fake.tenant_token)},
    )
    assert cut == "after"
    assert status == 200  # the route ran; the transport loses this answer
    assert [c["externalId"] for c in fake.unassigned()] == ["u1"]
    entry = fake.journal.last()
    assert entry is not None
    assert entry.fault == "cut after (rule #1)"
    assert entry.cut == "after"  # structured: a client never searches the text
    assert entry.to_json()["faultSpec"] == FaultSpec(cut="after").to_json()
    assert entry.outcome is not None
    assert entry.outcome["status"] == "applied"


def test_cut_before_does_not_apply_the_write(fake: FakePlanhat) -> None:
    fake.faults.add("/dock/segment", cut="before")
    status, cut = call_wsgi(
        fake,
        "POST",
        "/dock/segment",
        json=identify("u1", "a@example.com"),
        headers={"Authorization": basic(fake.tenant_token)},
    )
    assert (status, cut) == (502, "before")
    assert fake.unassigned() == []
    assert fake.endusers() == []
    entry = fake.journal.last()
    assert entry is not None
    assert (entry.status, entry.fault) == (502, "cut before (rule #1)")
    assert entry.cut == "before"


@pytest.mark.parametrize("status", [200, 201, 202, 204, 206])
def test_O1_a_fault_answers_any_2xx_without_applying_the_message(
    fake: FakePlanhat, status: int
) -> None:
    fake.faults.add_spec(FaultSpec(status=status), "/dock/segment")
    status_seen, cut = call_wsgi(
        fake,
        "POST",
        "/dock/segment",
        json=identify("u1", "a@example.com"),
        headers={"Authorization": basic(fake.tenant_token)},
    )
    assert (status_seen, cut) == (status, None)
    assert fake.unassigned() == []
    assert fake.endusers() == []
    entry = fake.journal.last()
    assert entry is not None
    assert entry.fault_spec is not None
    assert (entry.fault_spec["status"], entry.cut) == (status, None)


def test_a_fault_spec_round_trips_and_is_shared_by_rules() -> None:
    spec = FaultSpec(status=429, retry_after=1, latency=0.5, on_calls=(1, 3))
    assert FaultSpec.from_json(spec.to_json()) == spec
    assert Faults().add_spec(spec, "/dock/segment").spec == spec
    with pytest.raises(ValueError, match="status must be"):
        FaultSpec(status=302)


def test_requests_without_a_fault_are_not_flagged(fake: FakePlanhat) -> None:
    fake.faults.add("/dock/segment", cut="after", on_calls=[2])
    status, cut = call_wsgi(
        fake,
        "POST",
        "/dock/segment",
        json=identify("u1"),
        headers={"Authorization": basic(fake.tenant_token)},
    )
    assert (status, cut) == (200, None)


def test_latency_delays_the_answer(fake: FakePlanhat, client: FlaskClient) -> None:
    fake.faults.add("/dock/segment", latency=0.2, on_calls=[2])
    started = time.perf_counter()
    assert post_segment(client, fake.tenant_token, identify("u1")).status_code == 200
    fast = time.perf_counter() - started
    started = time.perf_counter()
    assert post_segment(client, fake.tenant_token, identify("u2")).status_code == 200
    slow = time.perf_counter() - started
    assert slow >= 0.2 > fast
    entry = fake.journal.last()
    assert entry is not None
    assert entry.fault == "latency 0.2 s (rule #1)"
    assert entry.duration_ms >= 200


def test_the_control_plane_is_never_faulted(fake: FakePlanhat, client: FlaskClient) -> None:
    fake.faults.add("*", status=500)
    assert client.get("/_fake/health").status_code == 200
    assert client.get("/_fake/faults").get_json()["faults"][0]["hits"] == 0


def test_reset_removes_the_rules(fake: FakePlanhat, client: FlaskClient) -> None:
    fake.faults.add("*", status=500)
    assert client.post("/_fake/reset").status_code == 200
    assert fake.faults.rules() == []
    assert post_segment(client, fake.tenant_token, identify("u1")).status_code == 200


# --- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"status": 302}, "status must be a whole number from 200 to 299 or 400 to 599"),
        ({"status": True}, "status must be"),
        ({"status": 429, "cut": "during"}, "cut must be 'before', 'after' or null"),
        ({"status": 500, "cut": "before"}, "not both"),
        ({"status": 500, "probability": 1.5}, "probability must be a number from 0 to 1"),
        ({"status": 500, "on_calls": [0]}, "call numbers from 1 up"),
        ({"status": 500, "on_calls": []}, "at least one call number"),
        ({"status": 500, "on_calls": [2], "probability": 0.5}, "on_calls or probability"),
        ({"status": 500, "retry_after": 3}, "retry_after goes with status 429 or 503"),
        ({"status": 429, "retry_after": -1}, "retry_after must be"),
        ({"latency": -1}, "latency must be seconds"),
        ({"latency": 1e9}, "latency must be seconds"),
        ({}, "a fault needs something to do"),
        ({"status": 500, "times": 0}, "times must be"),
        ({"status": 500, "seed": "x"}, "seed must be a whole number"),
        ({"status": 500, "path": ""}, "path must be a non-empty"),
        ({"status": 500, "method": "GET /x"}, "method must be an HTTP method"),
    ],
)
def test_bad_rules_are_refused_with_a_clear_message(kwargs: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Faults().add(**kwargs)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"status": 700}, "status must be a whole number from 200 to 299 or 400 to 599"),
        ({"retry_after": 3, "status": 429}, "keys are camelCase: retryAfter"),
        ({"status": 500, "onCalls": "2"}, "onCalls must be a list"),
        ({"status": 500, "retryAfter": 2}, "retryAfter goes with status 429 or 503"),
        ({"nope": 1}, "unknown key 'nope'"),
        ([1, 2], "must be a JSON object, got an array"),
    ],
)
def test_bad_rules_over_http_are_400_in_plain_words(
    client: FlaskClient, body: Any, words: str
) -> None:
    response = client.post("/_fake/faults", json=body)
    assert response.status_code == 400
    assert words in plain_error(response)


def test_faults_over_http(fake: FakePlanhat, client: FlaskClient) -> None:
    created = client.post(
        "/_fake/faults",
        json={
            "path": "/dock/segment",
            "method": "POST",
            "status": 503,
            "retryAfter": 2,
            "onCalls": [1, 3],
            "latency": None,
        },
    )
    assert created.status_code == 201
    assert created.get_json()["number"] == 1
    statuses = [
        post_segment(client, fake.tenant_token, identify(f"u{i}")).status_code for i in range(3)
    ]
    assert statuses == [503, 200, 503]
    listed = client.get("/_fake/faults").get_json()["faults"]
    assert [(r["hits"], r["fired"], r["onCalls"]) for r in listed] == [(3, [1, 3], [1, 3])]
    assert client.delete("/_fake/faults").get_json() == {"removed": 1}
    assert client.get("/_fake/faults").get_json() == {"faults": []}


def test_O1_a_2xx_fault_over_http_and_its_structured_journal_entry(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    created = client.post("/_fake/faults", json={"path": "/dock/segment", "status": 202})
    assert created.status_code == 201
    answered = post_segment(client, fake.tenant_token, identify("u1"))
    assert answered.status_code == 202
    [entry] = client.get("/_fake/journal").get_json()["entries"]
    assert entry["faultSpec"]["status"] == 202
    assert entry["faultSpec"]["cut"] is None
    refused = client.post("/_fake/faults", json={"path": "*", "status": 301})
    assert refused.status_code == 400
    assert "200 to 299 or 400 to 599" in refused.get_json()["error"]
