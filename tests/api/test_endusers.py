"""``/endusers``: list, create and one enduser by key (PLANHAT-FACTS "Endusers"; rule P-8 for
unassigned contacts). Bulk upserts are in test_bulk.py."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from fake_planhat import FakePlanhat
from fake_planhat.state import Doc

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
READ_ONLY = "read-only-token"
FROZEN_AT = "2026-01-15T10:00:00.000Z"  # the conftest's frozen clock


def basic(token: str) -> str:
    return "Basic " + base64.b64encode(f"{token}:".encode()).decode()


def company(fake: FakePlanhat, name: str = "Acme", **fields: Any) -> Doc:
    return fake.tenant().create_company({"name": name, **fields})


def enduser(fake: FakePlanhat, company_doc: Doc, **fields: Any) -> Doc:
    return fake.tenant().create_contact({"companyId": company_doc["_id"], **fields})


def message(response: Any) -> str:
    body = response.get_json()
    assert set(body) >= {"status", "error", "message"}, body
    assert body["status"] == response.status_code
    return str(body["message"])


@pytest.fixture
def read_only(fake: FakePlanhat) -> dict[str, str]:
    fake.store.add_tenant(fake.tenant_token, {READ_ONLY: "read"})
    return {"Authorization": f"Bearer {READ_ONLY}"}


# --- auth ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/endusers"),
        ("POST", "/endusers"),
        ("PUT", "/endusers"),
        ("GET", "/endusers/extid-u1"),
        ("PUT", "/endusers/extid-u1"),
        ("DELETE", "/endusers/extid-u1"),
    ],
)
def test_endusers_routes_need_an_api_token(client: FlaskClient, method: str, path: str) -> None:
    missing = client.open(path, method=method, json={})
    assert missing.status_code == 401
    assert "Missing Authorization" in message(missing)
    wrong = client.open(path, method=method, json={}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert "unknown API token" in message(wrong)


def test_tenant_token_is_not_a_rest_token(fake: FakePlanhat, client: FlaskClient) -> None:
    response = client.get("/endusers", headers={"Authorization": f"Bearer {fake.tenant_token}"})
    assert response.status_code == 401
    assert "tenant token" in message(response)


def test_basic_auth_with_api_token_and_empty_password(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    response = client.get("/endusers", headers={"Authorization": basic(fake.api_token)})
    assert response.status_code == 200
    assert response.get_json() == []


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/endusers", {"companyId": "x"}),
        ("PUT", "/endusers", []),
        ("PUT", "/endusers/extid-u1", {}),
        ("DELETE", "/endusers/extid-u1", None),
    ],
)
def test_read_only_token_cannot_write(
    fake: FakePlanhat,
    client: FlaskClient,
    read_only: dict[str, str],
    method: str,
    path: str,
    body: Any,
) -> None:
    enduser(fake, company(fake), externalId="u1")
    response = client.open(path, method=method, json=body, headers=read_only)
    assert response.status_code == 403
    assert "read-only" in message(response)
    assert len(fake.endusers()) == 1


def test_read_only_token_can_read(
    fake: FakePlanhat, client: FlaskClient, read_only: dict[str, str]
) -> None:
    ann = enduser(fake, company(fake), externalId="u1")
    assert client.get("/endusers", headers=read_only).get_json()[0]["_id"] == ann["_id"]
    assert client.get("/endusers/extid-u1", headers=read_only).status_code == 200


def test_second_tenant_never_sees_first_tenants_endusers(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake, externalId="acme")
    ann = enduser(fake, acme, externalId="u1", email="ann@acme.com")
    fake.add_tenant("11111111-1111-4111-8111-111111111111", "other-api-token")
    other = {"Authorization": "Bearer other-api-token"}
    assert client.get("/endusers", headers=other).get_json() == []
    assert client.get("/endusers?email=ann@acme.com", headers=other).get_json() == []
    assert client.get(f"/endusers/{ann['_id']}", headers=other).status_code == 404
    assert client.put(f"/endusers/{ann['_id']}", json={}, headers=other).status_code == 404
    assert client.delete("/endusers/extid-u1", headers=other).status_code == 404
    # A company of the first tenant is unknown to the second.
    created = client.post(
        "/endusers", json={"companyId": acme["_id"], "email": "x@y.z"}, headers=other
    )
    assert created.status_code == 400
    assert client.get("/endusers", headers=rest_auth).get_json()[0]["_id"] == ann["_id"]


# --- POST /endusers ------------------------------------------------------------------------------


def test_create_enduser_answers_the_stored_document(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake, externalId="acme")
    body = {"companyId": acme["_id"], "email": "ann@acme.com", "firstName": "Ann"}
    response = client.post("/endusers", json=body, headers=rest_auth)
    assert response.status_code == 200
    doc = response.get_json()
    assert OBJECT_ID.match(doc["_id"])
    assert doc["createDate"] == doc["updatedAt"] == FROZEN_AT
    assert doc["__v"] == 0
    assert doc["custom"] == {}
    assert doc["companyId"] == acme["_id"]
    assert doc["companyName"] == "Acme"
    assert doc["name"] == "Ann"
    assert fake.endusers() == [doc]
    entry = fake.journal.last()
    assert entry is not None
    assert entry.contacts == [doc["_id"]]
    assert entry.companies == [acme["_id"]]


@pytest.mark.parametrize("prefix", ["extid-", "srcid-"])
def test_create_enduser_company_by_prefixed_key(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str], prefix: str
) -> None:
    acme = company(fake, externalId="acme", sourceId="acme")
    response = client.post("/endusers", json={"companyId": f"{prefix}acme"}, headers=rest_auth)
    assert response.status_code == 200
    assert response.get_json()["companyId"] == acme["_id"]


def test_create_enduser_assigned_by_email_domain(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    company(fake, "Other", domains=["other.com"])
    acme = company(fake, domains=["example.org", "ACME.com"])
    response = client.post("/endusers", json={"email": "Ann@acme.COM"}, headers=rest_auth)
    assert response.status_code == 200
    assert response.get_json()["companyId"] == acme["_id"]


def test_create_enduser_without_company_names_the_missing_key(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    company(fake, domains=["acme.com"])
    response = client.post("/endusers", json={"email": "bob@nowhere.io"}, headers=rest_auth)
    assert response.status_code == 400
    assert "'companyId'" in message(response)
    assert fake.endusers() == []


@pytest.mark.parametrize("ref", ["5f0000000000000000000000", "extid-nope", "srcid-nope"])
def test_create_enduser_unknown_company_is_400(
    client: FlaskClient, rest_auth: dict[str, str], ref: str
) -> None:
    response = client.post("/endusers", json={"companyId": ref}, headers=rest_auth)
    assert response.status_code == 400
    text = message(response)
    assert ref in text
    assert "names no company" in text


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("email", 42, "a string"),
        ("companyId", {"_id": "x"}, "a non-empty string"),
        ("companyId", "", "a non-empty string"),
        ("tags", "vip", "an array of strings"),
        ("tags", ["vip", 3], "a string"),
        ("custom", [1], "an object"),
        ("featured", "yes", "a boolean"),
        ("externalId", {"id": 1}, "a string"),
        ("externalId", True, "a string"),
    ],
)
def test_create_enduser_wrong_type_is_400_naming_the_field(
    fake: FakePlanhat,
    client: FlaskClient,
    rest_auth: dict[str, str],
    field: str,
    value: Any,
    expected: str,
) -> None:
    acme = company(fake)
    body = {"companyId": acme["_id"], field: value}
    response = client.post("/endusers", json=body, headers=rest_auth)
    assert response.status_code == 400
    text = message(response)
    assert f"'{field}'" in text
    assert expected in text
    assert fake.endusers() == []


def test_create_enduser_custom_null_stored_as_empty_object(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    body = {"companyId": acme["_id"], "custom": None, "tags": None}
    doc = client.post("/endusers", json=body, headers=rest_auth).get_json()
    assert doc["custom"] == {}
    assert doc["tags"] == []


def test_create_enduser_numeric_external_id_stored_as_text(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    body = {"companyId": acme["_id"], "externalId": 1234}
    assert client.post("/endusers", json=body, headers=rest_auth).get_json()["externalId"] == "1234"
    assert client.get("/endusers/extid-1234", headers=rest_auth).status_code == 200


def test_create_enduser_keeps_unknown_fields_and_ignores_read_only_ones(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    body = {
        "companyId": acme["_id"],
        "_id": "000000000000000000000000",
        "createDate": "1999-01-01T00:00:00.000Z",
        "__v": 7,
        "companyName": "Not Acme",
        "beatTrend": 3,
        "favouriteColour": "teal",
        "nested": {"a": [1, 2]},
    }
    doc = client.post("/endusers", json=body, headers=rest_auth).get_json()
    assert doc["_id"] != "000000000000000000000000"
    assert doc["createDate"] == FROZEN_AT
    assert doc["__v"] == 0
    assert doc["companyName"] == "Acme"
    assert "beatTrend" not in doc
    assert doc["favouriteColour"] == "teal"
    assert doc["nested"] == {"a": [1, 2]}


def test_create_enduser_duplicate_external_id_in_same_company_is_400(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme, other = company(fake), company(fake, "Other")
    enduser(fake, acme, externalId="u1")
    same = client.post(
        "/endusers", json={"companyId": acme["_id"], "externalId": "u1"}, headers=rest_auth
    )
    assert same.status_code == 400
    assert "Duplicated key" in message(same)
    elsewhere = client.post(
        "/endusers", json={"companyId": other["_id"], "externalId": "u1"}, headers=rest_auth
    )
    assert elsewhere.status_code == 200


def test_create_enduser_duplicate_source_id_is_400_across_companies(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme, other = company(fake), company(fake, "Other")
    enduser(fake, acme, sourceId="crm-1")
    response = client.post(
        "/endusers", json={"companyId": other["_id"], "sourceId": "crm-1"}, headers=rest_auth
    )
    assert response.status_code == 400
    assert "sourceId" in message(response)


def test_create_enduser_same_email_twice_is_allowed(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    body = {"companyId": acme["_id"], "email": "ann@acme.com"}
    assert client.post("/endusers", json=body, headers=rest_auth).status_code == 200
    assert client.post("/endusers", json=body, headers=rest_auth).status_code == 200
    assert len(fake.endusers()) == 2


@pytest.mark.parametrize(
    ("data", "content_type", "status", "words"),
    [
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b"", "application/json", 400, "empty"),
        (b"[]", "application/json", 400, "must be a JSON object"),
        (b'{"a": 1}', "text/plain", 415, "application/json"),
    ],
)
def test_create_enduser_bad_body(
    client: FlaskClient,
    rest_auth: dict[str, str],
    data: bytes,
    content_type: str,
    status: int,
    words: str,
) -> None:
    response = client.post("/endusers", data=data, content_type=content_type, headers=rest_auth)
    assert response.status_code == status
    assert words in message(response)


# --- GET /endusers -------------------------------------------------------------------------------


def test_list_endusers_bare_array_in_creation_order(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    ids = [enduser(fake, acme, externalId=f"u{i}")["_id"] for i in range(3)]
    response = client.get("/endusers", headers=rest_auth)
    assert response.status_code == 200
    body = response.get_json()
    assert [d["_id"] for d in body] == ids
    assert all(d["companyName"] == "Acme" for d in body)


def test_list_endusers_filters_by_company_with_prefixes_and_legacy_c(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake, externalId="acme")
    other = company(fake, "Other", sourceId="crm-other")
    third = company(fake, "Third")
    ann, bob = enduser(fake, acme), enduser(fake, other)
    cid = enduser(fake, third)

    def ids(query: str) -> list[str]:
        return [d["_id"] for d in client.get(f"/endusers?{query}", headers=rest_auth).get_json()]

    assert ids(f"companyId={acme['_id']}") == [ann["_id"]]
    assert ids("companyId=extid-acme") == [ann["_id"]]
    assert ids("companyId=srcid-crm-other") == [bob["_id"]]
    assert ids(f"c={third['_id']}") == [cid["_id"]]
    assert ids(f"companyId=extid-acme,{third['_id']}") == [ann["_id"], cid["_id"]]
    assert ids("companyId=extid-unknown") == []


def test_list_endusers_filters_by_email_case_insensitively(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme, other = company(fake), company(fake, "Other")
    ann = enduser(fake, acme, email="Ann@Acme.com")
    enduser(fake, acme, email="bob@acme.com")
    ann2 = enduser(fake, other, email="ann@acme.com")
    body = client.get("/endusers?email=ANN@ACME.COM", headers=rest_auth).get_json()
    assert [d["_id"] for d in body] == [ann["_id"], ann2["_id"]]
    query = f"/endusers?email=ann@acme.com&companyId={other['_id']}"
    assert [d["_id"] for d in client.get(query, headers=rest_auth).get_json()] == [ann2["_id"]]


def test_P8_unassigned_contact_not_listed_nor_reachable(
    fake: FakePlanhat,
    client: FlaskClient,
    rest_auth: dict[str, str],
    intake_auth: dict[str, str],
) -> None:
    identify = {"type": "identify", "userId": "u9", "traits": {"email": "new@nowhere.io"}}
    assert client.post("/dock/segment", json=identify, headers=intake_auth).status_code == 200
    assert len(fake.unassigned()) == 1
    waiting = fake.unassigned()[0]
    assert client.get("/endusers", headers=rest_auth).get_json() == []
    assert client.get("/endusers?email=new@nowhere.io", headers=rest_auth).get_json() == []
    for key in (waiting["_id"], "extid-u9"):
        assert client.get(f"/endusers/{key}", headers=rest_auth).status_code == 404
        assert client.put(f"/endusers/{key}", json={}, headers=rest_auth).status_code == 404
        assert client.delete(f"/endusers/{key}", headers=rest_auth).status_code == 404
    acme = company(fake)
    fake.assign(waiting["_id"], acme["_id"])
    assert [d["_id"] for d in client.get("/endusers", headers=rest_auth).get_json()] == [
        waiting["_id"]
    ]


def test_list_endusers_limit_offset_sort_select(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    for name in ("Cleo", "Ann", "Bob", "Dan"):
        enduser(fake, acme, name=name)

    def names(query: str) -> list[str]:
        body = client.get(f"/endusers?{query}", headers=rest_auth).get_json()
        return [d["name"] for d in body]

    assert names("limit=2") == ["Cleo", "Ann"]
    assert names("limit=2&offset=2") == ["Bob", "Dan"]
    assert names("offset=10") == []
    assert names("sort=name") == ["Ann", "Bob", "Cleo", "Dan"]
    assert names("sort=-name&limit=3&offset=1") == ["Cleo", "Bob", "Ann"]
    selected = client.get("/endusers?select=name, companyId&limit=1", headers=rest_auth)
    assert selected.get_json() == [
        {"_id": fake.endusers()[0]["_id"], "name": "Cleo", "companyId": acme["_id"]}
    ]
    with_company = client.get("/endusers?select=companyName&limit=1", headers=rest_auth)
    assert with_company.get_json()[0]["companyName"] == "Acme"


@pytest.mark.parametrize(
    ("query", "words"),
    [("limit=-1", "must not be negative"), ("offset=abc", "whole number"), ("limit=1.5", "whole")],
)
def test_list_endusers_bad_paging_is_400(
    client: FlaskClient, rest_auth: dict[str, str], query: str, words: str
) -> None:
    response = client.get(f"/endusers?{query}", headers=rest_auth)
    assert response.status_code == 400
    assert words in message(response)


def test_list_endusers_limit_defaults_to_100_and_caps_at_2000(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    for _ in range(2001):
        enduser(fake, acme)
    assert len(client.get("/endusers", headers=rest_auth).get_json()) == 100
    assert len(client.get("/endusers?limit=10000", headers=rest_auth).get_json()) == 2000
    tail = client.get("/endusers?limit=2000&offset=2000", headers=rest_auth).get_json()
    assert len(tail) == 1


# --- GET|PUT|DELETE /endusers/<key> -----------------------------------------------------------


def test_get_enduser_by_id_extid_srcid(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    ann = enduser(fake, company(fake), externalId="a b", sourceId="crm/7")
    for key in (ann["_id"], "extid-a%20b", "extid-a b", "srcid-crm%2F7"):
        response = client.get(f"/endusers/{key}", headers=rest_auth)
        assert response.status_code == 200, key
        assert response.get_json()["_id"] == ann["_id"]
        assert response.get_json()["companyName"] == "Acme"


@pytest.mark.parametrize("key", ["5f0000000000000000000000", "extid-nobody", "srcid-nobody"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_enduser_is_404(
    client: FlaskClient, rest_auth: dict[str, str], key: str, method: str
) -> None:
    response = client.open(f"/endusers/{key}", method=method, json={}, headers=rest_auth)
    assert response.status_code == 404
    assert "no enduser with" in message(response)


def test_update_enduser_is_partial_and_merges_custom(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    ann = enduser(
        fake, acme, externalId="u1", email="ann@acme.com", position="CTO", custom={"a": 1, "b": 2}
    )
    fake.clock.advance(60)
    body = {"custom": {"b": 3, "c": None}, "phone": "+46 1", "_id": "ignored", "__v": 9}
    response = client.put("/endusers/extid-u1", json=body, headers=rest_auth)
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["_id"] == ann["_id"]
    assert doc["email"] == "ann@acme.com"
    assert doc["position"] == "CTO"
    assert doc["phone"] == "+46 1"
    assert doc["custom"] == {"a": 1, "b": 3}  # null on an absent key changes nothing
    assert doc["__v"] == 0
    assert doc["createDate"] == FROZEN_AT
    assert doc["updatedAt"] == "2026-01-15T10:01:00.000Z"
    assert fake.endusers() == [doc]


def test_update_enduser_without_change_keeps_updated_at(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    ann = enduser(fake, company(fake), email="ann@acme.com", custom={"a": 1})
    fake.clock.advance(60)
    body = {"email": "ann@acme.com", "custom": {"a": 1}, "companyName": "x"}
    doc = client.put(f"/endusers/{ann['_id']}", json=body, headers=rest_auth).get_json()
    assert doc["updatedAt"] == FROZEN_AT


def test_update_enduser_moves_company_and_regenerates_name(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme, other = company(fake), company(fake, "Other", externalId="other")
    ann = enduser(fake, acme, firstName="Ann", lastName="Lee", name="Ann Lee")
    body = {"companyId": "extid-other", "lastName": "Berg"}
    doc = client.put(f"/endusers/{ann['_id']}", json=body, headers=rest_auth).get_json()
    assert doc["companyId"] == other["_id"]
    assert doc["companyName"] == "Other"
    assert doc["name"] == "Ann Berg"
    entry = fake.journal.last()
    assert entry is not None
    assert entry.companies == [acme["_id"], other["_id"]]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"companyId": None}, "'companyId'"),
        ({"companyId": "extid-nope"}, "names no company"),
        ({"email": ["a@b.c"]}, "'email'"),
        ({"custom": "x"}, "'custom'"),
        ({"externalId": "taken"}, "Duplicated key"),
    ],
)
def test_update_enduser_bad_fields_are_400_and_change_nothing(
    fake: FakePlanhat,
    client: FlaskClient,
    rest_auth: dict[str, str],
    body: dict[str, Any],
    words: str,
) -> None:
    acme = company(fake)
    enduser(fake, acme, externalId="taken")
    ann = enduser(fake, acme, externalId="u1")
    before = fake.endusers()
    response = client.put(f"/endusers/{ann['_id']}", json=body, headers=rest_auth)
    assert response.status_code == 400
    assert words in message(response)
    assert fake.endusers() == before


def test_update_enduser_body_must_be_an_object(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    ann = enduser(fake, company(fake))
    response = client.put(f"/endusers/{ann['_id']}", json=[{}], headers=rest_auth)
    assert response.status_code == 400
    assert "JSON object" in message(response)


def test_delete_enduser_removes_it_and_its_activities(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    ann, bob = enduser(fake, acme, externalId="a b"), enduser(fake, acme)
    tenant = fake.tenant()
    for who in (ann, bob):
        tenant.activities.insert(
            tenant.new_doc({"contactId": who["_id"], "companyId": acme["_id"], "action": "x"})
        )
    response = client.delete("/endusers/extid-a%20b", headers=rest_auth)
    assert response.status_code == 200
    assert response.get_json() == {"n": 1, "ok": 1, "deletedCount": 1}
    assert [d["_id"] for d in fake.endusers()] == [bob["_id"]]
    assert [a["contactId"] for a in fake.activities()] == [bob["_id"]]
    assert client.get(f"/endusers/{ann['_id']}", headers=rest_auth).status_code == 404
    assert client.delete(f"/endusers/{ann['_id']}", headers=rest_auth).status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/endusers"),
        ("DELETE", "/endusers"),
        ("POST", "/endusers/x"),
        ("PATCH", "/endusers/x"),
    ],
)
def test_wrong_method_is_405(
    client: FlaskClient, rest_auth: dict[str, str], method: str, path: str
) -> None:
    response = client.open(path, method=method, json={}, headers=rest_auth)
    assert response.status_code == 405
    assert "Allow" in response.headers
    assert method in message(response)
