"""``POST /analytics/<token>`` and ``/analytics/bulk/<token>``: the receipt side of A-1 … A-6
(resolution by P-4, P-6; silent drops per P-11)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from fake_planhat import FakePlanhat
from fake_planhat.auth import fingerprint
from fake_planhat.state import Doc


def single(fake: FakePlanhat) -> str:
    return f"/analytics/{fake.tenant_token}"


def bulk(fake: FakePlanhat) -> str:
    return f"/analytics/bulk/{fake.tenant_token}"


def company(fake: FakePlanhat, external_id: str = "c1") -> Doc:
    return fake.tenant().create_company({"name": "Acme", "externalId": external_id})


def contact(fake: FakePlanhat, company_doc: Doc, **fields: Any) -> Doc:
    return fake.tenant().create_contact({"companyId": company_doc["_id"], **fields})


def outcome(fake: FakePlanhat) -> dict[str, Any]:
    entry = fake.journal.last()
    assert entry is not None
    assert entry.outcome is not None
    return entry.outcome


def state_counts(fake: FakePlanhat) -> tuple[int, int, int]:
    tenant = fake.tenant()
    return len(tenant.contacts), len(tenant.companies), len(tenant.activities)


# --- one activity ------------------------------------------------------------------------------


def test_A1_single_activity_recorded_on_matched_contact(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    acme = company(fake)
    ann = contact(fake, acme, externalId="u1", email="ann@example.com")
    body = {
        "externalId": "u1",
        "action": "Order Completed",
        "info": {"total": 12.5, "items": ["a", "b"]},
        "date": "2025-12-31T23:59:59.000Z",
        "weight": 3,
        "count": 2,
    }
    response = client.post(single(fake), json=body)
    assert response.status_code == 200
    assert response.get_json() == {"processed": 1, "ignored": 0}
    [activity] = fake.activities()
    assert activity["contactId"] == ann["_id"]
    assert activity["companyId"] == acme["_id"]
    assert activity["action"] == "Order Completed"
    assert activity["info"] == body["info"]
    assert activity["date"] == "2025-12-31T23:59:59.000Z"  # kept as sent
    assert (activity["weight"], activity["count"]) == (3, 2)
    assert "source" not in activity  # decided: P-10 is about the Segment intake only
    assert outcome(fake)["status"] == "applied"
    assert outcome(fake)["matchedBy"] == "externalId"


def test_A4_defaults_date_now_weight_and_count_one_info_empty(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    contact(fake, company(fake), externalId="u1")
    assert client.post(single(fake), json={"externalId": "u1", "action": "x"}).status_code == 200
    [activity] = fake.activities()
    assert activity["date"] == fake.clock.now_iso()  # the frozen clock
    assert (activity["weight"], activity["count"], activity["info"]) == (1, 1, {})


def test_A2_action_stored_verbatim(fake: FakePlanhat, client: FlaskClient) -> None:
    contact(fake, company(fake), externalId="u1")
    action = "  Viewed ÉLAN Page 🚀 "
    client.post(single(fake), json={"externalId": "u1", "action": action})
    assert fake.activities()[0]["action"] == action


def test_P4_matches_email_trimmed_and_case_insensitively(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    ann = contact(fake, company(fake), email="Ann@Example.com")
    response = client.post(single(fake), json={"email": "  ann@EXAMPLE.com ", "action": "x"})
    assert response.get_json() == {"processed": 1, "ignored": 0}
    assert fake.activities()[0]["contactId"] == ann["_id"]
    assert outcome(fake)["matchedBy"] == "email"
    assert len(fake.endusers()) == 1


def test_P4_external_id_match_wins_over_email(fake: FakePlanhat, client: FlaskClient) -> None:
    acme = company(fake)
    contact(fake, acme, externalId="other", email="ann@example.com")
    bob = contact(fake, acme, externalId="u2", email="bob@example.com")
    client.post(single(fake), json={"externalId": "u2", "email": "ann@example.com", "action": "x"})
    assert fake.activities()[0]["contactId"] == bob["_id"]


def test_P1_numeric_external_id_matches_its_decimal_string(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    ann = contact(fake, company(fake), externalId="123")
    client.post(single(fake), json={"externalId": 123, "action": "x"})
    assert fake.activities()[0]["contactId"] == ann["_id"]


@pytest.mark.parametrize("alias", ["id", "euExtId"])
def test_alias_user_key_means_external_id(
    fake: FakePlanhat, client: FlaskClient, alias: str
) -> None:
    ann = contact(fake, company(fake), externalId="u1")
    client.post(single(fake), json={alias: "u1", "action": "x"})
    assert fake.activities()[0]["contactId"] == ann["_id"]


def test_alias_canonical_external_id_wins_over_id_and_euExtId(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    acme = company(fake)
    ann = contact(fake, acme, externalId="u1")
    contact(fake, acme, externalId="u2")
    contact(fake, acme, externalId="u3")
    client.post(single(fake), json={"id": "u3", "euExtId": "u2", "externalId": "u1", "action": "x"})
    assert fake.activities()[0]["contactId"] == ann["_id"]


def test_alias_cId_means_company_external_id(fake: FakePlanhat, client: FlaskClient) -> None:
    acme = company(fake, "c9")
    client.post(single(fake), json={"externalId": "new", "cId": "c9", "action": "x"})
    [created] = fake.endusers()
    assert created["companyId"] == acme["_id"]


def test_alias_canonical_company_external_id_wins_over_cId(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    acme = company(fake, "c1")
    company(fake, "c2")
    body = {"externalId": "new", "companyExternalId": "c1", "cId": "c2", "action": "x"}
    client.post(single(fake), json=body)
    assert fake.endusers()[0]["companyId"] == acme["_id"]


def test_P6_unknown_user_with_known_company_creates_contact_then_activity(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    acme = company(fake)
    body = {
        "externalId": "u7",
        "email": "Zoe@Example.com",
        "name": "Zoe Q",
        "companyExternalId": "c1",
        "action": "Signed Up",
    }
    response = client.post(single(fake), json=body)
    assert response.get_json() == {"processed": 1, "ignored": 0}
    [zoe] = fake.endusers()
    assert (zoe["externalId"], zoe["email"], zoe["name"]) == ("u7", "Zoe@Example.com", "Zoe Q")
    assert zoe["companyId"] == acme["_id"]
    assert "source" not in zoe
    [activity] = fake.activities()
    assert (activity["contactId"], activity["companyId"]) == (zoe["_id"], acme["_id"])
    assert outcome(fake)["contacts"] == [zoe["_id"]]
    assert outcome(fake)["companies"] == [acme["_id"]]


def test_P6_company_id_names_the_company_by_planhat_id(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    acme = company(fake)
    client.post(single(fake), json={"email": "a@b.co", "companyId": acme["_id"], "action": "x"})
    assert fake.endusers()[0]["companyId"] == acme["_id"]
    assert len(fake.activities()) == 1


def test_P6_unknown_user_without_company_dropped_silently(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    response = client.post(
        single(fake), json={"externalId": "ghost", "companyExternalId": "nope", "action": "x"}
    )
    assert response.status_code == 200
    assert response.get_json() == {"processed": 0, "ignored": 1}
    assert state_counts(fake) == (0, 0, 0)
    assert fake.unassigned() == []
    assert outcome(fake)["status"] == "dropped"
    assert "no known company" in outcome(fake)["reason"]


def test_P11_activity_without_user_key_or_email_ignored(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    company(fake)
    body = {"externalId": "", "email": "  ", "companyExternalId": "c1", "action": "x"}
    response = client.post(single(fake), json=body)
    assert response.status_code == 200
    assert response.get_json() == {"processed": 0, "ignored": 1}
    assert state_counts(fake) == (0, 1, 0)
    assert outcome(fake)["status"] == "ignored"


BAD_FIELDS = [
    ("action", 5),
    ("action", ["Signed Up"]),
    ("info", ["not", "an", "object"]),
    ("info", "text"),
    ("weight", {"n": 2}),
    ("count", True),
    ("email", 5),
    ("name", {"first": "Ann"}),
    ("externalId", True),
    ("id", {"x": 1}),
    ("cId", [1]),
    ("companyExternalId", False),
    ("companyId", 7),
    ("date", {"at": "now"}),
    ("date", "not a date"),
    ("date", "2016-13-45"),
]


@pytest.mark.parametrize(("field", "value"), BAD_FIELDS)
def test_wrong_type_is_400_naming_the_field_without_state_change(
    fake: FakePlanhat, client: FlaskClient, field: str, value: Any
) -> None:
    contact(fake, company(fake), externalId="u1")
    before = state_counts(fake)
    body = {"externalId": "u1", "companyExternalId": "c1", "action": "x", field: value}
    response = client.post(single(fake), json=body)
    assert response.status_code == 400
    error = response.get_json()
    assert (error["status"], error["error"]) == (400, "Bad Request")
    assert f"'{field}'" in error["message"]
    assert state_counts(fake) == before


@pytest.mark.parametrize("action", ["absent", None, ""])
def test_R7_action_is_optional(fake: FakePlanhat, client: FlaskClient, action: Any) -> None:
    """Planhat API docs (2017): "action is optional, but highly recommended"."""
    contact(fake, company(fake), externalId="u1")
    body: dict[str, Any] = {"externalId": "u1"}
    if action != "absent":
        body["action"] = action
    response = client.post(single(fake), json=body)
    assert response.get_json() == {"processed": 1, "ignored": 0}
    [activity] = fake.activities()
    assert activity["action"] == (None if action != "" else "")


@pytest.mark.parametrize(
    ("date", "day"),
    [
        ("2016-11-01T10:00:00.000Z", "2016-11-01"),
        ("2016-11-01", "2016-11-01"),
        ("Tue, 01 Nov 2016 10:00:00 GMT", "2016-11-01"),
        ("Tue Nov 01 2016 10:00:00 GMT+0100 (Central European Standard Time)", "2016-11-01"),
        ("2016/11/01", "2016-11-01"),
        ("11/01/2016", "2016-11-01"),
        ("November 1, 2016", "2016-11-01"),
        (1477994400000, "2016-11-01"),
    ],
)
def test_R7_date_is_any_javascript_date_kept_as_sent(
    fake: FakePlanhat, client: FlaskClient, date: Any, day: str
) -> None:
    contact(fake, company(fake), externalId="u1")
    response = client.post(single(fake), json={"externalId": "u1", "action": "x", "date": date})
    assert response.get_json() == {"processed": 1, "ignored": 0}
    assert fake.activities()[0]["date"] == date  # as sent
    from fake_planhat._jsdate import parse_js_date

    moment = parse_js_date(date)
    assert moment is not None
    assert moment.date().isoformat() == day


@pytest.mark.parametrize(
    ("weight", "stored"),
    [("2", 2), (" 1.5 ", 1.5), ("heavy", 1), ("", 1), (3, 3), ("NaN", 1)],
)
def test_R7_string_weight_is_read_leniently(
    fake: FakePlanhat, client: FlaskClient, weight: Any, stored: Any
) -> None:
    contact(fake, company(fake), externalId="u1")
    body = {"externalId": "u1", "action": "x", "weight": weight, "count": weight}
    assert client.post(single(fake), json=body).status_code == 200
    [activity] = fake.activities()
    assert (activity["weight"], activity["count"]) == (stored, stored)
    assert outcome(fake)["decided"] == (["R-7"] if isinstance(weight, str) else [])


def test_single_route_takes_an_object_not_an_array(fake: FakePlanhat, client: FlaskClient) -> None:
    response = client.post(single(fake), json=[{"externalId": "u1", "action": "x"}])
    assert response.status_code == 400
    assert "must be a JSON object, got an array" in response.get_json()["message"]


def test_body_must_be_json(fake: FakePlanhat, client: FlaskClient) -> None:
    response = client.post(single(fake), data="action=x", content_type="text/plain")
    assert response.status_code == 415
    response = client.post(single(fake), data="{oops", content_type="application/json")
    assert response.status_code == 400


@pytest.mark.parametrize("route", ["/analytics/{}", "/analytics/bulk/{}"])
def test_unknown_tenant_token_is_401(fake: FakePlanhat, client: FlaskClient, route: str) -> None:
    contact(fake, company(fake), externalId="u1")
    token = "11111111-2222-4333-8444-555555555555"
    body: Any = {"externalId": "u1", "action": "x"}
    response = client.post(route.format(token), json=body if "bulk" not in route else [body])
    assert response.status_code == 401
    assert f"fp:{fingerprint(token)}" in response.get_json()["message"]
    assert fake.activities() == []


def test_api_token_in_the_path_is_401(fake: FakePlanhat, client: FlaskClient) -> None:
    response = client.post(f"/analytics/{fake.api_token}", json={"email": "a@b.c", "action": "x"})
    assert response.status_code == 401


@pytest.mark.parametrize("status_route", [(200, "/analytics/{}"), (401, "/analytics/{}x")])
def test_journal_shows_tenant_token_as_fingerprint_only(
    fake: FakePlanhat, client: FlaskClient, status_route: tuple[int, str]
) -> None:
    status, route = status_route
    path = route.format(fake.tenant_token)
    token_in_path = path.rsplit("/", 1)[1]
    assert client.post(path, json={"email": "a@b.co", "action": "x"}).status_code == status
    entry = fake.journal.last()
    assert entry is not None
    assert entry.path == f"/analytics/fp:{fingerprint(token_in_path)}"
    assert token_in_path not in str(entry.to_json())
    assert entry.route == "analytics.track_one"


def test_activities_go_to_the_tenant_the_path_names(fake: FakePlanhat, client: FlaskClient) -> None:
    other = "22222222-2222-4222-8222-222222222222"
    tenant = fake.add_tenant(other)
    acme = tenant.create_company({"name": "Other", "externalId": "c1"})
    tenant.create_contact({"externalId": "u1", "companyId": acme["_id"]})
    client.post(f"/analytics/{other}", json={"externalId": "u1", "action": "x"})
    assert len(fake.activities(other)) == 1
    assert fake.activities() == []
    entry = fake.journal.last()
    assert entry is not None
    assert entry.tenant == fingerprint(other)


# --- bulk --------------------------------------------------------------------------------------


def test_A1_bulk_records_matched_created_and_drops_the_rest(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    acme = company(fake)
    ann = contact(fake, acme, externalId="u1")
    items = [
        {"externalId": "u1", "action": "a"},
        {"euExtId": "u2", "cId": "c1", "action": "b"},
        {"externalId": "ghost", "action": "c"},
        {"email": "ANN@x.io", "action": "d"},
    ]
    response = client.post(bulk(fake), json=items)
    assert response.status_code == 200
    assert response.get_json() == {"processed": 2, "ignored": 2}
    activities = fake.activities()
    assert [a["action"] for a in activities] == ["a", "b"]
    created = next(c for c in fake.endusers() if c["externalId"] == "u2")
    assert activities[1]["contactId"] == created["_id"]
    merged = outcome(fake)
    assert merged["status"] == "applied"
    assert merged["contacts"] == [ann["_id"], created["_id"]]
    assert merged["companies"] == [acme["_id"]]
    assert merged["activities"] == [a["_id"] for a in activities]
    assert merged["reason"].startswith("2 of 4 items not recorded")
    assert "item 2 dropped" in merged["reason"]
    assert "item 3 dropped" in merged["reason"]
    assert all(e.startswith(("item 0:", "item 1:")) for e in merged["effects"])


def test_P6_bulk_all_dropped_outcome_is_dropped(fake: FakePlanhat, client: FlaskClient) -> None:
    items = [{"externalId": f"g{i}", "action": "x"} for i in range(7)]
    response = client.post(bulk(fake), json=items)
    assert response.get_json() == {"processed": 0, "ignored": 7}
    merged = outcome(fake)
    assert merged["status"] == "dropped"
    assert "item 4 dropped" in merged["reason"]
    assert "item 5" not in merged["reason"]
    assert merged["reason"].endswith("and 2 more")


def test_P11_bulk_of_ignored_items_outcome_is_ignored(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    response = client.post(bulk(fake), json=[{"action": "x"}, {"name": "Ann", "action": "y"}])
    assert response.get_json() == {"processed": 0, "ignored": 2}
    assert outcome(fake)["status"] == "ignored"


def test_bulk_empty_array_is_200_and_ignored(fake: FakePlanhat, client: FlaskClient) -> None:
    response = client.post(bulk(fake), json=[])
    assert response.get_json() == {"processed": 0, "ignored": 0}
    assert outcome(fake)["status"] == "ignored"


def test_A1_bulk_of_5000_is_accepted(fake: FakePlanhat, client: FlaskClient) -> None:
    contact(fake, company(fake), externalId="u1")
    items = [{"externalId": "u1", "action": f"a{i}"} for i in range(5000)]
    response = client.post(bulk(fake), json=items)
    assert response.get_json() == {"processed": 5000, "ignored": 0}
    assert len(fake.activities()) == 5000


def test_A1_bulk_has_no_item_cap(fake: FakePlanhat, client: FlaskClient) -> None:
    """Planhat documents only the 32 MB body ("typically about 150,000 items"); a public
    connector sends 10,000 per batch."""
    contact(fake, company(fake), externalId="u1")
    items = [{"externalId": "u1", "action": "x"}] * 10_001
    response = client.post(bulk(fake), json=items)
    assert response.get_json() == {"processed": 10_001, "ignored": 0}
    assert len(fake.activities()) == 10_001


def test_A1_bulk_over_32_mb_is_413(fake: FakePlanhat, client: FlaskClient) -> None:
    body = b"[" + b",".join([b'{"externalId":"u1","action":"' + b"x" * 1000 + b'"}'] * 34_000)
    response = client.post(bulk(fake), data=body + b"]", content_type="application/json")
    assert response.status_code == 413
    assert fake.activities() == []


def test_R7_unusable_bulk_item_is_reported_without_rejecting_the_batch(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    company(fake)
    items = [
        {"externalId": "u1", "companyExternalId": "c1", "action": "ok"},
        {"externalId": "u2", "companyExternalId": "c1", "action": "ok", "date": "not a date"},
        {"externalId": "u3", "companyExternalId": "c1", "action": 42},
        "oops",
        {"externalId": "u4", "companyExternalId": "c1"},
    ]
    response = client.post(bulk(fake), json=items)
    assert response.status_code == 200
    answer = response.get_json()
    assert (answer["processed"], answer["ignored"]) == (2, 3)
    assert [e["item"] for e in answer["errors"]] == [1, 2, 3]
    assert "'date'" in answer["errors"][0]["error"]
    assert "'action'" in answer["errors"][1]["error"]
    assert answer["errors"][2]["error"] == "Item 3 must be a JSON object, got a string"
    assert sorted(c["externalId"] for c in fake.endusers()) == ["u1", "u4"]
    merged = outcome(fake)
    assert merged["status"] == "applied"
    assert "item 3 ignored" in merged["reason"]
    assert merged["decided"] == ["R-7"]


def test_bulk_route_takes_an_array(fake: FakePlanhat, client: FlaskClient) -> None:
    response = client.post(bulk(fake), json={"email": "a@b.co", "action": "x"})
    assert response.status_code == 400
    assert "must be a JSON array, got an object" in response.get_json()["message"]


@pytest.mark.parametrize(
    "date",
    [
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "Fri, 31 Dec 9999 23:59:59 -0100",
        "Mon Jan 01 0001 00:00:00 GMT+0100",
        8.64e15,
    ],
)
def test_R7_a_date_beyond_the_calendar_is_an_unusable_item_never_a_500(
    fake: FakePlanhat, client: FlaskClient, date: Any
) -> None:
    contact(fake, company(fake), externalId="u1")
    response = client.post(single(fake), json={"externalId": "u1", "action": "x", "date": date})
    assert response.status_code == 400
    assert "'date'" in response.get_json()["message"]
    assert fake.activities() == []


@given(st.one_of(st.text(max_size=60), st.integers(), st.floats(allow_nan=False)))
def test_R7_date_parsing_never_raises(value: Any) -> None:
    from fake_planhat._jsdate import parse_js_date

    moment = parse_js_date(value)
    assert moment is None or moment.tzinfo is not None
