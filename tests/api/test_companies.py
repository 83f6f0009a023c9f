"""``/companies`` and ``/leancompanies`` (PLANHAT-FACTS "Companies"). Bulk upserts are in
test_bulk.py."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from fake_planhat import FakePlanhat
from fake_planhat.planhat._rules import slug
from fake_planhat.state import Doc

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
FROZEN_AT = "2026-01-15T10:00:00.000Z"  # the conftest's frozen clock


def company(fake: FakePlanhat, name: str = "Acme", **fields: Any) -> Doc:
    return fake.tenant().create_company({"name": name, **fields})


def message(response: Any) -> str:
    body = response.get_json()
    assert body["status"] == response.status_code
    return str(body["message"])


# --- auth ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/companies"),
        ("POST", "/companies"),
        ("PUT", "/companies"),
        ("GET", "/companies/extid-c1"),
        ("PUT", "/companies/extid-c1"),
        ("DELETE", "/companies/extid-c1"),
        ("GET", "/leancompanies"),
    ],
)
def test_companies_routes_need_an_api_token(client: FlaskClient, method: str, path: str) -> None:
    assert client.open(path, method=method, json={}).status_code == 401
    wrong = client.open(path, method=method, json={}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/companies"),
        ("PUT", "/companies"),
        ("PUT", "/companies/extid-c1"),
        ("DELETE", "/companies/extid-c1"),
    ],
)
def test_read_only_token_cannot_write_companies(
    fake: FakePlanhat, client: FlaskClient, method: str, path: str
) -> None:
    company(fake, externalId="c1")
    fake.add_tenant(fake.tenant_token, read_only_api_tokens=("ro",))
    headers = {"Authorization": "Bearer ro"}
    body: Any = [] if path == "/companies" and method == "PUT" else {"name": "X"}
    response = client.open(path, method=method, json=body, headers=headers)
    assert response.status_code == 403
    assert len(fake.companies()) == 1
    assert client.get("/companies", headers=headers).status_code == 200
    assert client.get("/leancompanies", headers=headers).status_code == 200


def test_second_tenant_never_sees_first_tenants_companies(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake, externalId="c1")
    fake.add_tenant("22222222-2222-4222-8222-222222222222", "second-token")
    other = {"Authorization": "Bearer second-token"}
    assert client.get("/companies", headers=other).get_json() == []
    assert client.get("/leancompanies", headers=other).get_json() == []
    assert client.get("/companies?externalId=c1", headers=other).get_json() == []
    assert client.get(f"/companies/{acme['_id']}", headers=other).status_code == 404
    assert client.delete("/companies/extid-c1", headers=other).status_code == 404
    # The same externalId is free in the other tenant.
    assert (
        client.post("/companies", json={"name": "B", "externalId": "c1"}, headers=other).status_code
        == 200
    )
    assert len(fake.companies()) == 1


# --- POST /companies -----------------------------------------------------------------------------


def test_create_company_answers_the_stored_document(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    body = {"name": "Acme", "externalId": "c1", "domains": ["acme.com"], "custom": None}
    response = client.post("/companies", json=body, headers=rest_auth)
    assert response.status_code == 200
    doc = response.get_json()
    assert OBJECT_ID.match(doc["_id"])
    assert doc["createDate"] == doc["updatedAt"] == FROZEN_AT
    assert doc["__v"] == 0
    assert doc["custom"] == {}
    assert doc["name"] == "Acme"
    assert doc["domains"] == ["acme.com"]
    assert fake.companies() == [doc]
    entry = fake.journal.last()
    assert entry is not None
    assert entry.companies == [doc["_id"]]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"externalId": "c1"}, "'name'"),
        ({"name": ""}, "'name'"),
        ({"name": None}, "'name'"),
        ({"name": 7}, "'name' must be a non-empty string"),
        ({"name": "A", "domains": "acme.com"}, "'domains'"),
        ({"name": "A", "custom": []}, "'custom'"),
        ({"name": "A", "status": 1}, "'status'"),
        ({"name": "A", "sourceId": []}, "'sourceId'"),
    ],
)
def test_create_company_bad_fields_are_400(
    fake: FakePlanhat,
    client: FlaskClient,
    rest_auth: dict[str, str],
    body: dict[str, Any],
    words: str,
) -> None:
    response = client.post("/companies", json=body, headers=rest_auth)
    assert response.status_code == 400
    assert words in message(response)
    assert fake.companies() == []


@pytest.mark.parametrize("key", ["externalId", "sourceId"])
def test_create_company_duplicate_key_is_400(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str], key: str
) -> None:
    company(fake, **{key: "k1"})
    response = client.post("/companies", json={"name": "B", key: "k1"}, headers=rest_auth)
    assert response.status_code == 400
    assert "Duplicated key" in message(response)


def test_create_company_body_must_be_json_object(
    client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    assert client.post("/companies", json=[{"name": "A"}], headers=rest_auth).status_code == 400
    bad = client.post(
        "/companies", data=b'{"name": ', content_type="application/json", headers=rest_auth
    )
    assert bad.status_code == 400
    assert "not valid JSON" in message(bad)


# --- GET /companies, /leancompanies --------------------------------------------------------------


def test_list_companies_filters_and_paging(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake, "Acme", externalId="c1", status="customer")
    beta = company(fake, "Beta", sourceId="s2", status="prospect")
    gamma = company(fake, "Gamma", externalId="c3", status="customer")

    def ids(query: str) -> list[str]:
        response = client.get(f"/companies?{query}", headers=rest_auth)
        assert response.status_code == 200
        return [d["_id"] for d in response.get_json()]

    assert ids("") == [acme["_id"], beta["_id"], gamma["_id"]]
    assert ids("externalId=c3") == [gamma["_id"]]
    assert ids("sourceId=s2") == [beta["_id"]]
    assert ids("status=customer") == [acme["_id"], gamma["_id"]]
    assert ids(f"companyId=extid-c1,{beta['_id']}") == [acme["_id"], beta["_id"]]
    assert ids("externalId=nope") == []
    assert ids("sort=-name&limit=2") == [gamma["_id"], beta["_id"]]
    assert ids("limit=1&offset=1") == [beta["_id"]]
    selected = client.get("/companies?select=name, externalId&limit=1", headers=rest_auth)
    assert selected.get_json() == [{"_id": acme["_id"], "name": "Acme", "externalId": "c1"}]


@pytest.mark.parametrize("query", ["limit=-1", "offset=abc", "limit=x"])
def test_list_companies_bad_paging_is_400(
    client: FlaskClient, rest_auth: dict[str, str], query: str
) -> None:
    assert client.get(f"/companies?{query}", headers=rest_auth).status_code == 400


def test_list_companies_limit_caps_at_5000(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    for i in range(5001):
        company(fake, f"C{i}")
    assert len(client.get("/companies", headers=rest_auth).get_json()) == 100
    assert len(client.get("/companies?limit=10000", headers=rest_auth).get_json()) == 5000
    assert len(client.get("/companies?limit=5000&offset=5000", headers=rest_auth).get_json()) == 1


def test_lean_companies_shape_filters_and_slug(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake, "Acme Inc.", externalId="c1", sourceId="s1", status="customer")
    cafe = company(fake, "Café  Ünïcode_Co", status="prospect", custom={"x": 1})
    body = client.get("/leancompanies", headers=rest_auth).get_json()
    assert body == [
        {
            "_id": acme["_id"],
            "name": "Acme Inc.",
            "externalId": "c1",
            "sourceId": "s1",
            "slug": "acme-inc",
        },
        {"_id": cafe["_id"], "name": "Café  Ünïcode_Co", "slug": "cafe-unicode-co"},
    ]

    def ids(query: str) -> list[str]:
        return [
            d["_id"] for d in client.get(f"/leancompanies?{query}", headers=rest_auth).get_json()
        ]

    assert ids("externalId=c1") == [acme["_id"]]
    assert ids("sourceId=s1") == [acme["_id"]]
    assert ids("status=prospect") == [cafe["_id"]]
    assert ids("externalId=c1&status=prospect") == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Acme", "acme"), ("  Big--Co  Ltd ", "big-co-ltd"), ("Åsa & Öl", "asa-ol"), ("!!!", "")],
)
def test_slug_is_lower_case_and_dash_separated(name: str, expected: str) -> None:
    assert slug(name) == expected


# --- GET|PUT|DELETE /companies/<key> -------------------------------------------------------------


def test_get_company_by_id_extid_srcid(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake, externalId="Acme Corp", sourceId="0015")
    for key in (acme["_id"], "extid-Acme%20Corp", "srcid-0015"):
        response = client.get(f"/companies/{key}", headers=rest_auth)
        assert response.status_code == 200, key
        assert response.get_json() == {**acme, "domains": []}  # computed on read


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_company_is_404(
    client: FlaskClient, rest_auth: dict[str, str], method: str
) -> None:
    for key in ("5f0000000000000000000000", "extid-nope", "srcid-nope"):
        response = client.open(f"/companies/{key}", method=method, json={}, headers=rest_auth)
        assert response.status_code == 404
        assert "no company with" in message(response)


def test_update_company_is_partial_and_merges_custom(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake, externalId="c1", phase="onboarding", custom={"plan": "pro", "seats": 3})
    fake.clock.advance(1)
    body = {"custom": {"seats": 5}, "status": "customer", "createDate": "x", "h": 99}
    response = client.put("/companies/extid-c1", json=body, headers=rest_auth)
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["_id"] == acme["_id"]
    assert doc["name"] == "Acme"
    assert doc["phase"] == "onboarding"
    assert doc["status"] == "customer"
    assert doc["custom"] == {"plan": "pro", "seats": 5}
    assert doc["createDate"] == FROZEN_AT
    assert doc["updatedAt"] == "2026-01-15T10:00:01.000Z"
    assert "h" not in doc


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": ""}, "'name'"),
        ({"name": None}, "'name'"),
        ({"tags": {"a": 1}}, "'tags'"),
        ({"externalId": "taken"}, "Duplicated key"),
    ],
)
def test_update_company_bad_fields_are_400(
    fake: FakePlanhat,
    client: FlaskClient,
    rest_auth: dict[str, str],
    body: dict[str, Any],
    words: str,
) -> None:
    company(fake, "Other", externalId="taken")
    acme = company(fake, externalId="c1")
    before = copy.deepcopy(fake.companies())  # companies() copies shallowly
    response = client.put(f"/companies/{acme['_id']}", json=body, headers=rest_auth)
    assert response.status_code == 400
    assert words in message(response)
    assert fake.companies() == before


def test_delete_company_deletes_its_endusers_and_their_data(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    tenant = fake.tenant()
    acme, other = company(fake, externalId="c1"), company(fake, "Other")
    ann = tenant.create_contact({"companyId": acme["_id"]})
    bob = tenant.create_contact({"companyId": other["_id"]})
    for who, where in ((ann, acme), (bob, other)):
        tenant.activities.insert(
            tenant.new_doc({"contactId": who["_id"], "companyId": where["_id"], "action": "x"})
        )
        tenant.metrics.insert(
            tenant.new_doc({"companyId": where["_id"], "dimensionId": "d", "value": 1})
        )
    response = client.delete("/companies/extid-c1", headers=rest_auth)
    assert response.status_code == 200
    assert response.get_json() == {"n": 1, "ok": 1, "deletedCount": 1}
    assert [c["_id"] for c in fake.companies()] == [other["_id"]]
    assert [e["_id"] for e in fake.endusers()] == [bob["_id"]]
    assert [a["contactId"] for a in fake.activities()] == [bob["_id"]]
    assert [m["companyId"] for m in fake.metrics()] == [other["_id"]]
    entry = fake.journal.last()
    assert entry is not None
    assert entry.companies == [acme["_id"]]
    assert entry.contacts == [ann["_id"]]
    assert client.get(f"/endusers/{ann['_id']}", headers=rest_auth).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/companies"),
        ("DELETE", "/companies"),
        ("POST", "/companies/x"),
        ("POST", "/leancompanies"),
    ],
)
def test_wrong_method_is_405(
    client: FlaskClient, rest_auth: dict[str, str], method: str, path: str
) -> None:
    response = client.open(path, method=method, json={}, headers=rest_auth)
    assert response.status_code == 405
    assert method in message(response)
