"""``POST /dimensiondata/<token>`` and ``GET /dimensiondata``: metric data points (rule R-8),
stored in the shape rule P-7's group metrics have."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from fake_planhat import FakePlanhat
from fake_planhat.auth import fingerprint
from fake_planhat.state import Collection, Doc


def post_path(fake: FakePlanhat) -> str:
    return f"/dimensiondata/{fake.tenant_token}"


def company(fake: FakePlanhat, external_id: str = "c1") -> Doc:
    return fake.tenant().create_company({"name": "Acme", "externalId": external_id})


def point(fake: FakePlanhat, company_doc: Doc, dimension: str, date: Any, value: float = 1) -> Doc:
    """A stored data point, written straight into the state."""
    tenant = fake.tenant()
    fields = {
        "dimensionId": dimension,
        "value": value,
        "model": "Company",
        "companyId": company_doc["_id"],
        "externalId": company_doc["externalId"],
        "time": date,
    }
    return tenant.metrics.insert(tenant.new_doc(fields))


# --- POST --------------------------------------------------------------------------------------


def test_post_one_company_point(fake: FakePlanhat, client: FlaskClient) -> None:
    acme = company(fake)
    body = {"dimensionId": "seats", "value": 12, "externalId": "c1", "date": "2025-06-01"}
    response = client.post(post_path(fake), json=body)
    assert response.status_code == 200
    assert response.get_json() == {"processed": 1, "errors": []}
    [stored] = fake.metrics()
    assert (stored["dimensionId"], stored["value"], stored["externalId"]) == ("seats", 12, "c1")
    assert stored["time"] == "2025-06-01"  # kept as sent
    assert stored["model"] == "Company"
    assert stored["companyId"] == stored["parentId"] == acme["_id"]
    entry = fake.journal.last()
    assert entry is not None
    assert entry.companies == [acme["_id"]]
    assert entry.outcome is not None
    assert entry.outcome["status"] == "applied"


def test_P7_post_point_has_the_shape_group_metrics_have(
    fake: FakePlanhat, client: FlaskClient, intake_auth: dict[str, str]
) -> None:
    company(fake)
    group = {"type": "group", "groupId": "c1", "traits": {"seats": 3}, "timestamp": "2025-01-01"}
    assert client.post("/dock/segment", json=group, headers=intake_auth).status_code == 200
    body = {"dimensionId": "seats", "value": 3, "externalId": "c1", "date": "2025-01-01"}
    client.post(post_path(fake), json=body)
    from_group, posted = fake.metrics()
    bookkeeping = {"_id", "createDate", "updatedAt", "__v"}
    assert set(from_group) == set(posted)
    assert {k: v for k, v in from_group.items() if k not in bookkeeping} == {
        k: v for k, v in posted.items() if k not in bookkeeping
    }


def test_post_defaults_date_to_now_and_numeric_external_id(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    company(fake, "42")
    response = client.post(
        post_path(fake), json={"dimensionId": "d", "value": 0.5, "externalId": 42}
    )
    assert response.get_json() == {"processed": 1, "errors": []}
    [stored] = fake.metrics()
    assert stored["time"] == fake.clock.now_iso()
    assert stored["externalId"] == "42"


@pytest.mark.parametrize("spelling", ["EndUser", "Enduser", "enduser"])
def test_R8_post_array_with_enduser_model(
    fake: FakePlanhat, client: FlaskClient, spelling: str
) -> None:
    acme = company(fake)
    ann = fake.tenant().create_contact({"externalId": "u1", "companyId": acme["_id"]})
    items = [
        {"dimensionId": "logins", "value": 4, "externalId": "u1", "model": spelling},
        {"dimensionId": "mrr", "value": 99.5, "externalId": "c1", "model": "company"},
    ]
    response = client.post(post_path(fake), json=items)
    assert response.get_json() == {"processed": 2, "errors": []}
    logins, mrr = fake.metrics()
    assert (logins["model"], logins["parentId"], logins["companyId"]) == (
        "EndUser",
        ann["_id"],
        acme["_id"],
    )
    assert (mrr["model"], mrr["parentId"], mrr["companyId"]) == (
        "Company",
        acme["_id"],
        acme["_id"],
    )


@pytest.mark.parametrize(("model", "collection"), [("Asset", "assets"), ("Project", "projects")])
def test_R8_asset_and_project_models(
    fake: FakePlanhat, client: FlaskClient, model: str, collection: str
) -> None:
    """Planhat: metrics ``model`` is "Company (default), EndUser, Asset and Project". The
    objects live in the tenant's collection of that name (registered here when absent)."""
    from fake_planhat.state import id_key, plain_key

    tenant = fake.tenant()
    acme = company(fake)
    store = tenant.collections().get(collection)
    if store is None:
        store = Collection(model.casefold(), {"externalId": id_key, "companyId": plain_key})
        real = tenant.collections
        tenant.collections = lambda: {**real(), collection: store}  # type: ignore[method-assign]
    thing = store.insert(tenant.new_doc({"externalId": "x1", "companyId": acme["_id"]}))
    items = [
        {"dimensionId": "usage", "value": 7, "externalId": "x1", "model": model},
        {"dimensionId": "usage", "value": 8, "externalId": "x2", "model": model.upper()},
    ]
    answer = client.post(post_path(fake), json=items).get_json()
    assert answer["processed"] == 1
    assert answer["errors"] == [
        {"item": items[1], "error": f"no {model.casefold()} with externalId 'x2'"}
    ]
    [stored] = fake.metrics()
    assert (stored["model"], stored["parentId"], stored["companyId"]) == (
        model,
        thing["_id"],
        acme["_id"],
    )


def test_R8_get_records_carry_the_documented_fields(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    """A public Go client types dimension data as {_id, dimensionId, time, value, model,
    parentId, companyId, companyName}."""
    acme = company(fake)
    ann = fake.tenant().create_contact({"externalId": "u1", "companyId": acme["_id"]})
    items = [
        {"dimensionId": "seats", "value": 3, "externalId": "c1", "date": "2025-01-01"},
        {"dimensionId": "logins", "value": 4, "externalId": "u1", "model": "EndUser"},
    ]
    client.post(post_path(fake), json=items)
    seats, logins = get(client, rest_auth, "")
    fields = ["_id", "dimensionId", "time", "value", "model", "parentId", "companyId"]
    assert sorted(seats) == sorted([*fields, "companyName"])
    assert {k: seats[k] for k in fields[1:]} == {
        "dimensionId": "seats",
        "time": "2025-01-01",
        "value": 3,
        "model": "Company",
        "parentId": acme["_id"],
        "companyId": acme["_id"],
    }
    assert seats["companyName"] == "Acme"
    assert (logins["model"], logins["parentId"], logins["companyName"]) == (
        "EndUser",
        ann["_id"],
        "Acme",
    )
    assert get(client, rest_auth, "select=value") == [
        {"_id": seats["_id"], "value": 3},
        {"_id": logins["_id"], "value": 4},
    ]


GOOD = {"dimensionId": "seats", "value": 1, "externalId": "c1"}
BAD_ITEMS = [
    ({**GOOD, "externalId": "nope"}, "no company with externalId 'nope'"),
    ({**GOOD, "externalId": "u-unknown", "model": "Enduser"}, "no enduser with externalId"),
    ({k: v for k, v in GOOD.items() if k != "dimensionId"}, "dimensionId is required"),
    ({**GOOD, "dimensionId": ""}, "dimensionId must be a non-empty string, got a string"),
    ({**GOOD, "dimensionId": 7}, "dimensionId must be a non-empty string, got a number"),
    ({**GOOD, "value": "3"}, "value must be a number, got a string"),
    ({**GOOD, "value": True}, "value must be a number, got a boolean"),
    ({k: v for k, v in GOOD.items() if k != "value"}, "value must be a number, got null"),
    ({**GOOD, "model": "Deal"}, 'model must be "Company", "EndUser", "Asset" or "Project"'),
    ({k: v for k, v in GOOD.items() if k != "externalId"}, "externalId is required"),
    ({**GOOD, "date": "last tuesday"}, "date must be a date JavaScript parses"),
    ({**GOOD, "date": {"at": 1}}, "date must be a date JavaScript parses, got an object"),
    ("seats=1", "a data point must be an object, got a string"),
]


@pytest.mark.parametrize(("item", "error"), BAD_ITEMS)
def test_bad_item_is_an_error_item_not_a_4xx(
    fake: FakePlanhat, client: FlaskClient, item: Any, error: str
) -> None:
    acme = company(fake)
    response = client.post(post_path(fake), json=[GOOD, item, {**GOOD, "value": 2}])
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["processed"] == 2
    [problem] = answer["errors"]
    assert problem["item"] == item
    assert error in problem["error"]
    assert [m["value"] for m in fake.metrics()] == [1, 2]
    assert all(m["companyId"] == acme["_id"] for m in fake.metrics())


def test_P8_unassigned_contact_takes_no_enduser_metrics(
    fake: FakePlanhat, client: FlaskClient, intake_auth: dict[str, str]
) -> None:
    identify = {"type": "identify", "userId": "u1", "traits": {"email": "a@b.co"}}
    assert client.post("/dock/segment", json=identify, headers=intake_auth).status_code == 200
    assert len(fake.unassigned()) == 1
    body = {"dimensionId": "logins", "value": 1, "externalId": "u1", "model": "Enduser"}
    answer = client.post(post_path(fake), json=body).get_json()
    assert answer == {
        "processed": 0,
        "errors": [{"item": body, "error": "no enduser with externalId 'u1'"}],
    }
    assert fake.metrics() == []
    entry = fake.journal.last()
    assert entry is not None
    assert entry.outcome is not None
    assert entry.outcome["status"] == "ignored"
    assert "1 of 1 data points rejected" in entry.outcome["reason"]


@pytest.mark.parametrize("body", ['"seats"', "12", "null", "true"])
def test_post_body_neither_object_nor_array_is_400(
    fake: FakePlanhat, client: FlaskClient, body: str
) -> None:
    response = client.post(post_path(fake), data=body, content_type="application/json")
    assert response.status_code == 400
    assert "must be a data point object or an array" in response.get_json()["message"]


def test_post_unknown_tenant_token_is_401_and_journaled_as_fingerprint(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    company(fake)
    token = "33333333-3333-4333-8333-333333333333"
    response = client.post(f"/dimensiondata/{token}", json=GOOD)
    assert response.status_code == 401
    assert fake.metrics() == []
    entry = fake.journal.last()
    assert entry is not None
    assert entry.path == f"/dimensiondata/fp:{fingerprint(token)}"
    assert token not in str(entry.to_json())


def test_post_journal_path_hides_the_tenant_token(fake: FakePlanhat, client: FlaskClient) -> None:
    company(fake)
    assert client.post(post_path(fake), json=GOOD).status_code == 200
    entry = fake.journal.last()
    assert entry is not None
    assert entry.path == f"/dimensiondata/fp:{fingerprint(fake.tenant_token)}"
    assert entry.tenant == fingerprint(fake.tenant_token)
    assert fake.tenant_token not in str(entry.to_json())


def test_post_empty_array_is_200(fake: FakePlanhat, client: FlaskClient) -> None:
    assert client.post(post_path(fake), json=[]).get_json() == {"processed": 0, "errors": []}


# --- GET ---------------------------------------------------------------------------------------


def get(client: FlaskClient, auth: dict[str, str], query: str) -> Any:
    response = client.get(f"/dimensiondata?{query}", headers=auth)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture
def two_companies(fake: FakePlanhat) -> tuple[Doc, Doc]:
    acme, globex = company(fake, "c1"), company(fake, "c2")
    point(fake, acme, "seats", "2025-01-01T00:00:00.000Z", 1)
    point(fake, acme, "mrr", "2025-01-02T00:00:00.000Z", 2)
    point(fake, globex, "seats", "2025-01-03T00:00:00.000Z", 3)
    point(fake, acme, "seats", "2025-01-04T00:00:00.000Z", 4)
    return acme, globex


def values(points: list[Doc]) -> list[Any]:
    return [p["value"] for p in points]


def test_get_filters_by_company_and_dimension(
    client: FlaskClient, rest_auth: dict[str, str], two_companies: tuple[Doc, Doc]
) -> None:
    acme, globex = two_companies
    assert values(get(client, rest_auth, "")) == [1, 2, 3, 4]
    assert values(get(client, rest_auth, f"cid={acme['_id']}")) == [1, 2, 4]
    assert values(get(client, rest_auth, f"cId={globex['_id']}")) == [3]
    assert values(get(client, rest_auth, "dimid=seats")) == [1, 3, 4]
    assert values(get(client, rest_auth, f"cid={acme['_id']}&dimid=seats")) == [1, 4]
    assert values(get(client, rest_auth, f"cid={globex['_id']}&dimid=mrr")) == []
    assert get(client, rest_auth, "cid=000000000000000000000000") == []


def test_get_with_cid_or_dimid_uses_the_indexes_not_a_scan(
    client: FlaskClient,
    rest_auth: dict[str, str],
    two_companies: tuple[Doc, Doc],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    acme, _ = two_companies

    def no_scan(self: Collection) -> Iterator[Doc]:
        raise AssertionError(f"full scan of {self.model}")

    monkeypatch.setattr(Collection, "__iter__", no_scan)
    assert values(get(client, rest_auth, f"cid={acme['_id']}&dimid=seats&from=0")) == [1, 4]
    assert values(get(client, rest_auth, "dimid=mrr")) == [2]


def test_get_limit_and_offset(
    client: FlaskClient, rest_auth: dict[str, str], two_companies: tuple[Doc, Doc]
) -> None:
    assert values(get(client, rest_auth, "limit=2&offset=1")) == [2, 3]
    assert values(get(client, rest_auth, "limit=99999&offset=3")) == [4]


def test_get_from_to_are_inclusive_utc_days_since_1970(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    point(fake, acme, "d", "1970-01-01T00:00:00.000Z", 0)  # day 0
    point(fake, acme, "d", "1970-01-01T23:59:59.999Z", 1)  # day 0, last millisecond
    point(fake, acme, "d", "1970-01-02T00:00:00Z", 2)  # day 1
    point(fake, acme, "d", "1999-12-31T23:59:59.999Z", 3)  # day 10956
    point(fake, acme, "d", "2000-01-01", 4)  # day 10957, a bare date
    point(fake, acme, "d", "2000-01-02T01:30:00+02:00", 5)  # 2000-01-01T23:30Z: day 10957
    point(fake, acme, "d", "2000-01-02T00:00:00.000Z", 6)  # day 10958
    assert values(get(client, rest_auth, "from=0&to=0")) == [0, 1]
    assert values(get(client, rest_auth, "from=1&to=1")) == [2]
    assert values(get(client, rest_auth, "from=10957&to=10957")) == [4, 5]
    assert values(get(client, rest_auth, "from=10957")) == [4, 5, 6]
    assert values(get(client, rest_auth, "to=10956")) == [0, 1, 2, 3]


def test_get_unparseable_date_is_left_out_of_ranged_queries_only(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    point(fake, acme, "d", "not a date", 0)
    point(fake, acme, "d", {"at": 1}, 1)
    point(fake, acme, "d", "2025-01-01T00:00:00Z", 2)
    point(fake, acme, "d", 1700000000000, 3)  # epoch milliseconds: a JavaScript date
    assert values(get(client, rest_auth, "")) == [0, 1, 2, 3]
    assert values(get(client, rest_auth, "from=0")) == [2, 3]


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("from=yesterday", "Query parameter from must be a whole number of days"),
        ("to=1.5", "Query parameter to must be a whole number of days"),
        ("from=20&to=19", "Query parameter to must be a day on or after from (20)"),
        ("limit=-1", "Query parameter limit must not be negative"),
    ],
)
def test_get_bad_query_is_400(
    client: FlaskClient, rest_auth: dict[str, str], query: str, fragment: str
) -> None:
    response = client.get(f"/dimensiondata?{query}", headers=rest_auth)
    assert response.status_code == 400
    assert fragment in response.get_json()["message"]


def test_get_needs_rest_auth(fake: FakePlanhat, client: FlaskClient) -> None:
    assert client.get("/dimensiondata").status_code == 401
    tenant_token_auth = {"Authorization": f"Bearer {fake.tenant_token}"}
    response = client.get("/dimensiondata", headers=tenant_token_auth)
    assert response.status_code == 401
    assert "that is a tenant token" in response.get_json()["message"]


def test_get_read_only_token_sees_only_its_tenant(
    fake: FakePlanhat, client: FlaskClient, two_companies: tuple[Doc, Doc]
) -> None:
    other = fake.add_tenant("44444444-4444-4444-8444-444444444444", read_only_api_tokens=("ro",))
    mine = other.create_company({"name": "Mine", "externalId": "c1"})
    other.metrics.insert(other.new_doc({"dimensionId": "d", "value": 9, "companyId": mine["_id"]}))
    assert values(get(client, {"Authorization": "Bearer ro"}, "")) == [9]
