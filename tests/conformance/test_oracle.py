"""The oracle (conformance/oracle.py): expected behaviour per event, expected state per sequence."""

from __future__ import annotations

from typing import Any

import pytest

from conformance._json import canonical_text, json_equal
from conformance.contract import RULES
from conformance.oracle import (
    Oracle,
    expect_event,
    integrations_verdict,
    normalize_state,
    predict_activity,
    settings_problem,
)
from fake_planhat import DEFAULT_API_TOKEN, DEFAULT_TENANT_TOKEN
from fake_planhat.auth import fingerprint

TOKEN = DEFAULT_TENANT_TOKEN


def view(rule_id: str, state: dict[str, Any], profile: str = "segment") -> Any:
    """The rule's own view of a state, as its declaration gives it."""
    chosen = RULES[rule_id].state_view
    assert chosen is not None
    return chosen(state, profile)  # type: ignore[arg-type]


SETTINGS = {"apiKey": TOKEN, "subdomain": "api-eu"}
TS = "2025-03-01T09:00:00.000Z"


@pytest.fixture(scope="module")
def oracle() -> Oracle:
    return Oracle(seed=0, tenant_token=TOKEN, api_token=DEFAULT_API_TOKEN)


def identify(user: Any = "u-1", **traits: Any) -> dict[str, Any]:
    return {"type": "identify", "userId": user, "traits": traits, "timestamp": TS}


def track(user: Any = "u-1", name: str = "Signed Up", **extra: Any) -> dict[str, Any]:
    return {"type": "track", "userId": user, "event": name, "timestamp": TS, **extra}


# --- JSON equality (W-4's "nothing re-typed") ----------------------------------------------------


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        ({"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1}, True),  # key order is free
        (1, 1.0, False),  # W-4 is type-exact: an int re-typed as a float is re-typed
        (1e21, 10**21, False),
        (1.5, 1.5, True),
        (True, 1, False),
        ("00123", 123, False),
        (2**53 + 1, float(2**53 + 1), False),  # precision lost
        ({"a": None}, {}, False),
        ("e\u0301", "é", False),  # no normalisation
    ],
)
def test_W4_json_equal_is_deep_and_type_strict(left: Any, right: Any, equal: bool) -> None:
    assert json_equal(left, right) is equal
    assert (canonical_text(left) == canonical_text(right)) is equal


# --- settings and integrations (S-1, T-4) --------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"apiKey": TOKEN}, None),
        ({"apiKey": TOKEN, "subdomain": "analytics"}, None),
        ({"apiKey": TOKEN, "subdomain": None}, None),
        ({"subdomain": "api"}, "missing"),
        ({"apiKey": ""}, "empty"),
        ({"apiKey": 42}, "not a string"),
        ({"apiKey": TOKEN, "subdomain": "eu"}, "'eu' is not one of"),
        ({"apiKey": TOKEN, "subdomain": "API"}, "'API' is not one of"),
    ],
)
def test_S1_settings_problem(settings: dict[str, Any], problem: str | None) -> None:
    found = settings_problem(settings)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


@pytest.mark.parametrize(
    ("integrations", "verdict"),
    [
        (None, "enabled"),
        ({}, "enabled"),
        ({"Planhat": False}, "disabled"),
        ({"All": False}, "disabled"),
        ({"All": False, "Planhat": True}, "enabled"),
        ({"All": True, "Planhat": False}, "disabled"),
        ({"planhat": False}, "enabled"),  # names are case-sensitive
        ({"PLANHAT": False}, "enabled"),
        ({"All": False, "planhat": True}, "disabled"),
        ({"All": False, "Planhat": {}}, "enabled"),  # an options object enables
        ({"All": False, "Planhat": {"x": 1}}, "enabled"),
        ({"Planhat": {"apiKey": "x"}}, "enabled"),
        ({"All": False, "Planhat": "yes"}, "unclear"),  # undocumented: either reading passes
        ({"Planhat": None}, "unclear"),
    ],
)
def test_T4_integrations_verdict_options_object_enables(integrations: Any, verdict: str) -> None:
    assert integrations_verdict(integrations) == verdict


# --- one event, profile segment ------------------------------------------------------------------


def test_S1_bad_settings_expect_discard_and_nothing_sent() -> None:
    expected = expect_event(identify(), {"apiKey": ""})
    assert (expected.send, expected.outcomes, expected.because) == (
        "never",
        frozenset({"discard"}),
        "S-1",
    )
    assert expected.requests == ()


def test_T1_W1_W2_W4_identify_expects_one_intake_request() -> None:
    event = identify(title="CTO")
    expected = expect_event(event, SETTINGS)
    assert (expected.send, expected.because) == ("must", "T-1")
    (request,) = expected.requests
    assert request.method == "POST"
    assert request.host == "api-eu.planhat.com"
    assert request.paths == ("/dock/segment",)
    assert request.authorization == f"Basic fp:{fingerprint(TOKEN)}"
    assert request.body == event
    assert request.body is not event  # a copy: the runner's event cannot be changed through it


def test_W1_absent_subdomain_means_api() -> None:
    (request,) = expect_event(identify(), {"apiKey": TOKEN}).requests
    assert request.host == "api.planhat.com"


def test_T2_alias_may_be_sent() -> None:
    expected = expect_event({"type": "alias", "userId": "a", "previousId": "b"}, SETTINGS)
    assert (expected.send, expected.outcomes) == ("may", frozenset({"ok"}))


@pytest.mark.parametrize("kind", ["screen", "delete", "Identify", ""])
def test_T3_other_types_expect_unsupported(kind: str) -> None:
    expected = expect_event({"type": kind, "userId": "u"}, SETTINGS)
    assert (expected.send, expected.outcomes, expected.because) == (
        "never",
        frozenset({"unsupported"}),
        "T-3",
    )


def test_T4_disabled_expects_ok_and_nothing_sent() -> None:
    expected = expect_event({**identify(), "integrations": {"Planhat": False}}, SETTINGS)
    assert (expected.send, expected.outcomes, expected.because) == (
        "never",
        frozenset({"ok"}),
        "T-4",
    )
    screen = expect_event({"type": "screen", "integrations": {"All": False}}, SETTINGS)
    assert screen.outcomes == frozenset({"ok", "unsupported"})


def test_T4_options_object_enables_and_undocumented_values_accept_both_readings() -> None:
    options = expect_event({**identify(), "integrations": {"All": False, "Planhat": {}}}, SETTINGS)
    assert (options.send, options.because) == ("must", "T-1")
    expected = expect_event({**identify(), "integrations": {"All": False, "Planhat": 1}}, SETTINGS)
    assert expected.send == "may"
    assert "ok" in expected.outcomes
    assert len(expected.requests) == 1


# --- one event, profile activities ---------------------------------------------------------------


def test_A1_track_expects_an_activity_on_the_analytics_host() -> None:
    expected = expect_event(track(), SETTINGS, "activities")
    assert (expected.send, expected.because) == ("must", "A-1")
    (request,) = expected.requests
    assert request.host == "analytics.planhat.com"  # whatever the subdomain setting
    assert request.paths == (
        f"/analytics/fp:{fingerprint(TOKEN)}",
        f"/analytics/bulk/fp:{fingerprint(TOKEN)}",
    )
    assert request.authorization is None


def test_A7_track_without_user_key_or_email_is_not_sent() -> None:
    expected = expect_event(
        {"type": "track", "anonymousId": "anon", "event": "x"}, SETTINGS, "activities"
    )
    assert (expected.send, expected.outcomes, expected.because) == (
        "never",
        frozenset({"ok", "discard"}),
        "A-7",
    )


def test_A5_user_id_alone_is_a_user_key_so_it_must_be_sent() -> None:
    expected = expect_event({"type": "page", "user_id": "u-9"}, SETTINGS, "activities")
    assert (expected.send, expected.because) == ("must", "A-1")
    assert expected.requests[0].body["externalId"] == "u-9"  # the P-1 user key


def test_activities_identify_and_group_are_optional() -> None:
    for event in (identify(), {"type": "group", "groupId": "g"}):
        expected = expect_event(event, SETTINGS, "activities")
        assert expected.send == "may"
        assert expected.requests == ()


def test_A2_to_A6_predicted_activity() -> None:
    event = {
        "type": "page",
        "userId": 7,
        "anonymousId": "anon-1",
        "name": "Pricing",
        "category": "Docs",
        "properties": {"path": "/pricing", "n": 1e21},
        "timestamp": TS,
        "traits": {"email": "traits@example.com"},
        "context": {"traits": {"email": "ctx@example.com"}, "groupId": 123},
    }
    assert predict_activity(event) == {
        "action": "Viewed Docs Pricing Page",  # A-2 via P-6's page naming
        "info": {"path": "/pricing", "n": 1e21},
        "date": TS,
        "externalId": "7",  # the P-1 user key (a number as its text), never anonymousId
        "email": "ctx@example.com",  # context.traits.email first
        "companyExternalId": "123",  # A-6: P-3's company key
    }


def test_A5_anonymous_only_activity_has_no_external_id() -> None:
    activity = predict_activity({"type": "track", "anonymousId": "a", "event": "e"})
    assert "externalId" not in activity
    assert activity["info"] == {}


def test_A5_without_user_id_the_user_key_of_P1_is_used() -> None:
    activity = predict_activity({"type": "track", "user_id": 42, "anonymousId": "a", "event": "e"})
    assert activity["externalId"] == "42"


# --- the expected state (E-1) and the per-rule views ---------------------------------------------


def test_E1_replay_identify_then_track(oracle: Oracle) -> None:
    events = [
        {"type": "group", "groupId": "acct-1", "traits": {"name": "Acme", "seats": 5}},
        identify("u-1", title="CTO", email="Ada@Example.com", companyId="acct-1", vip=True),
        track("u-1", properties={"plan": "pro"}),
    ]
    # the kit seeds the accounts the events name (a CRM made them): P-7 only records metrics
    expectation = oracle.expect("segment", events, [SETTINGS] * 3, companies=["acct-1"])
    state = expectation.state
    (company,) = state["companies"]
    assert company["name"] == "acct-1"  # P-7 (group: metrics): the group renames nothing
    (contact,) = state["contacts"]
    assert contact["externalId"] == "u-1"
    assert contact["title"] == "CTO"
    assert contact["companyId"] == "acct-1"  # ids replaced by keys
    assert contact["custom"] == {"companyId": "acct-1", "vip": True}
    assert "_id" not in contact
    (activity,) = state["activities"]
    assert activity["contactId"] == "externalId u-1"
    assert activity["action"] == "Signed Up"
    assert activity["source"] == "Segment"
    assert state["metrics"][0]["dimensionId"] == "seats"
    assert [s.result for s in expectation.replay[1]] == ["applied"]


def test_P7_metric_parent_is_shown_by_key_so_two_fakes_compare(oracle: Oracle) -> None:
    events = [{"type": "group", "groupId": "acct-1", "traits": {"seats": 5}}]
    expectation = oracle.expect("segment", events, [SETTINGS], companies=["acct-1"])
    (metric,) = expectation.state["metrics"]
    (company,) = oracle.fake.companies()
    assert metric["parentId"] != company["_id"]  # an _id differs from one fake to the other
    assert metric["parentId"] == metric["companyId"]


def test_P11_replay_records_ignored_and_dropped(oracle: Oracle) -> None:
    events = [
        {"type": "identify", "anonymousId": "anon", "traits": {"plan": "free"}},
        track("stranger"),
    ]
    expectation = oracle.expect("segment", events, [SETTINGS] * 2)
    first, second = expectation.first_step(0), expectation.first_step(1)
    assert first is not None
    assert second is not None
    assert (first.status, first.result) == (200, "ignored")
    assert (second.status, second.result) == (200, "dropped")
    assert expectation.state["contacts"] == []


def test_P8_view_lists_unassigned_contacts(oracle: Oracle) -> None:
    expectation = oracle.expect("segment", [identify("u-2", email="g@example.com")], [SETTINGS])
    assert view("P-8", expectation.state, "segment") == {
        "unassigned": [
            {"externalId": "u-2", "email": "g@example.com", "companyKey": None, "messageId": None}
        ],
        "endusers": [],
    }


def test_P5_view_shows_contact_fields(oracle: Oracle) -> None:
    expectation = oracle.expect("segment", [identify("u-3", title="CTO", plan="pro")], [SETTINGS])
    assert view("P-5", expectation.state, "segment") == [
        {"externalId": "u-3", "title": "CTO", "custom": {"plan": "pro"}}
    ]


def test_E3_times_replays_an_event_again(oracle: Oracle) -> None:
    events = [
        {"type": "group", "groupId": "acct-1"},
        track("u-1", context={"groupId": "acct-1"}),
    ]
    expectation = oracle.expect(
        "segment", events, [SETTINGS] * 2, times=[1, 2], companies=["acct-1"]
    )
    assert len(expectation.state["activities"]) == 2
    assert len(expectation.state["contacts"]) == 1  # the retry matched, no duplicate contact


def test_E1_never_sent_events_are_not_replayed(oracle: Oracle) -> None:
    events = [{**identify("u-5"), "integrations": {"Planhat": False}}, identify("u-6")]
    expectation = oracle.expect("segment", events, [SETTINGS, {"apiKey": ""}])
    assert expectation.replay == {}
    assert expectation.state["unassigned"] == []


def test_E1_activities_profile_lands_on_existing_companies(oracle: Oracle) -> None:
    events = [track("u-1", context={"groupId": "acct-9"}), track("u-2")]
    expectation = oracle.expect("activities", events, [SETTINGS] * 2, companies=["acct-9"])
    assert [a["action"] for a in expectation.state["activities"]] == ["Signed Up"]
    assert view("E-1", expectation.state, "activities") == [
        {
            "action": "Signed Up",
            "info": {},
            "date": TS,
            "contactId": "externalId u-1",
            "companyId": "acct-9",
            "externalId": "u-1",
            "email": None,
        }
    ]
    assert view("P-5", expectation.state, "activities") is None  # not checked on activities


def test_normalize_state_sorts_and_maps_ids() -> None:
    dump = {
        "companies": [{"_id": "c1", "externalId": "acct", "name": "Acme", "custom": {}}],
        "endusers": [
            {"_id": "p2", "externalId": "b", "companyId": "c1", "companyName": "Acme", "__v": 0},
            {"_id": "p1", "externalId": "a", "companyId": "c1", "createDate": "x"},
        ],
        "unassigned": [
            {
                "_id": "p3",
                "email": "z@example.com",
                "_unassigned": {"companyKey": "k", "since": "t"},
            }
        ],
        "activities": [{"_id": "a1", "contactId": "p3", "companyId": None, "action": "x"}],
        "metrics": [],
    }
    state = normalize_state(dump)
    assert [c["externalId"] for c in state["contacts"]] == ["a", "b"]
    assert state["contacts"][1] == {"externalId": "b", "companyId": "acct"}
    assert state["unassigned"][0]["_unassigned"] == {"companyKey": "k", "messageId": None}
    assert state["activities"][0]["contactId"] == "email z@example.com"
