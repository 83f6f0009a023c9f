"""Bulk upserts ``PUT /endusers`` and ``PUT /companies`` (PLANHAT-FACTS "Endusers": answer
shape, 200/206/400, 5,000 items, key precedence; CONTRACT E-2: no duplicate contacts)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from flask.testing import FlaskClient

from fake_planhat import FakePlanhat
from fake_planhat.state import Doc

ANSWER_KEYS = [
    "created",
    "createdErrors",
    "insertsKeys",
    "updated",
    "updatedErrors",
    "updatesKeys",
    "nonupdates",
    "modified",
    "upsertedIds",
    "permissionErrors",
]


def company(fake: FakePlanhat, name: str = "Acme", **fields: Any) -> Doc:
    return fake.tenant().create_company({"name": name, **fields})


def enduser(fake: FakePlanhat, company_doc: Doc, **fields: Any) -> Doc:
    return fake.tenant().create_contact({"companyId": company_doc["_id"], **fields})


def shown(fake: FakePlanhat, company_id: str) -> Doc:
    return next(c for c in fake.companies() if c["_id"] == company_id)


def put(client: FlaskClient, path: str, items: Any, headers: dict[str, str]) -> Any:
    return client.put(path, json=items, headers=headers)


# --- endusers: the answer ------------------------------------------------------------------------


def test_bulk_endusers_inserts_answer_planhat_shape(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake, externalId="acme")
    items = [
        {"externalId": "u1", "companyId": "extid-acme", "email": "a@acme.com"},
        {"externalId": "u2", "companyId": acme["_id"], "custom": None},
    ]
    response = put(client, "/endusers", items, rest_auth)
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ANSWER_KEYS
    ids = [d["_id"] for d in fake.endusers()]
    assert body == {
        "created": 2,
        "createdErrors": [],
        "insertsKeys": [
            {"_id": ids[0], "externalId": "u1", "email": "a@acme.com"},
            {"_id": ids[1], "externalId": "u2"},
        ],
        "updated": 0,
        "updatedErrors": [],
        "updatesKeys": [],
        "nonupdates": 0,
        "modified": [],
        "upsertedIds": ids,
        "permissionErrors": [],
    }
    assert all(d["custom"] == {} and d["companyName"] == "Acme" for d in fake.endusers())
    entry = fake.journal.last()
    assert entry is not None
    assert entry.contacts == ids
    assert entry.companies == [acme["_id"]]


def test_bulk_endusers_updates_and_nonupdates(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    ann = enduser(fake, acme, externalId="u1", position="CTO", custom={"a": 1})
    bob = enduser(fake, acme, externalId="u2", position="CEO")
    fake.clock.advance(5)
    items = [
        {"externalId": "u1", "position": "CFO", "custom": {"b": 2}},
        {"externalId": "u2", "position": "CEO", "companyName": "ignored", "updatedAt": "x"},
    ]
    response = put(client, "/endusers", items, rest_auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body["created"] == 0
    assert body["updated"] == 1
    assert body["nonupdates"] == 1
    assert body["modified"] == [ann["_id"]]
    assert body["updatesKeys"] == [
        {"_id": ann["_id"], "externalId": "u1"},
        {"_id": bob["_id"], "externalId": "u2"},
    ]
    shown = {d["_id"]: d for d in fake.endusers()}
    assert shown[ann["_id"]]["position"] == "CFO"
    assert shown[ann["_id"]]["custom"] == {"a": 1, "b": 2}
    assert shown[ann["_id"]]["updatedAt"] == "2026-01-15T10:00:05.000Z"
    assert shown[bob["_id"]]["updatedAt"] == "2026-01-15T10:00:00.000Z"


def test_bulk_endusers_partial_failure_is_206_with_indexed_errors(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    enduser(fake, acme, externalId="u1")
    items = [
        {"externalId": "new", "companyId": acme["_id"]},
        {"externalId": "orphan"},
        "not an object",
        {"externalId": "u1", "email": 5},
        {"externalId": "x", "companyId": "extid-nope"},
    ]
    response = put(client, "/endusers", items, rest_auth)
    assert response.status_code == 206
    body = response.get_json()
    assert body["created"] == 1
    created_errors = {e["index"]: e for e in body["createdErrors"]}
    assert sorted(created_errors) == [1, 2, 4]
    assert "'companyId'" in created_errors[1]["error"]
    assert created_errors[1]["keys"] == {"externalId": "orphan"}
    assert "Item 2 must be a JSON object" in created_errors[2]["error"]
    assert "names no company" in created_errors[4]["error"]
    assert [(e["index"], e["keys"]) for e in body["updatedErrors"]] == [
        (3, {"externalId": "u1", "email": 5})
    ]
    assert "'email'" in body["updatedErrors"][0]["error"]
    assert sorted(d["externalId"] for d in fake.endusers()) == ["new", "u1"]
    assert "email" not in fake.endusers()[0]


def test_bulk_endusers_all_items_failed_is_400_with_the_bulk_body(
    client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    response = put(client, "/endusers", [{"externalId": "u1"}], rest_auth)
    assert response.status_code == 400
    body = response.get_json()
    assert list(body) == ["status", "error", "message", *ANSWER_KEYS]
    assert body["status"] == 400
    assert "createdErrors" in body["message"]
    assert body["createdErrors"][0]["index"] == 0


def test_bulk_empty_array_is_200_with_zero_counts(
    client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    response = put(client, "/endusers", [], rest_auth)
    assert response.status_code == 200
    assert response.get_json()["created"] == 0


@pytest.mark.parametrize("path", ["/endusers", "/companies"])
@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b'{"externalId": "u1"}', "must be a JSON array"),
        (b"[{]", "not valid JSON"),
        (b"", "empty"),
    ],
)
def test_bulk_bad_payload_is_400(
    client: FlaskClient, rest_auth: dict[str, str], path: str, data: bytes, words: str
) -> None:
    response = client.put(path, data=data, content_type="application/json", headers=rest_auth)
    assert response.status_code == 400
    assert words in response.get_json()["message"]


@pytest.mark.parametrize("path", ["/endusers", "/companies"])
def test_bulk_over_5000_items_is_400_naming_the_limit(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str], path: str
) -> None:
    response = put(client, path, [{"name": "x"}] * 5001, rest_auth)
    assert response.status_code == 400
    text = response.get_json()["message"]
    assert "5000" in text
    assert "5001" in text
    assert fake.companies() == []


def test_bulk_exactly_5000_items_is_accepted(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    company(fake, externalId="acme")
    items = [{"externalId": f"u{i}", "companyId": "extid-acme"} for i in range(5000)]
    response = put(client, "/endusers", items, rest_auth)
    assert response.status_code == 200
    assert response.get_json()["created"] == 5000
    assert len(fake.endusers()) == 5000


# --- endusers: matching --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item", "target"),
    [
        ({"_id": "X", "externalId": "e1", "email": "mail@x.com"}, "X"),
        ({"sourceId": "s1", "externalId": "e1", "email": "mail@x.com"}, "Y"),
        ({"externalId": "e1", "email": "id@x.com"}, "Z"),
        ({"email": "MAIL@x.com"}, "W"),
        ({"sourceId": "nobody", "externalId": "nobody", "email": "id@x.com"}, "X"),
    ],
)
def test_bulk_endusers_key_precedence_id_source_external_email(
    fake: FakePlanhat,
    client: FlaskClient,
    rest_auth: dict[str, str],
    item: dict[str, Any],
    target: str,
) -> None:
    acme, other = company(fake), company(fake, "Other")
    docs = {
        "X": enduser(fake, acme, email="id@x.com"),
        "Y": enduser(fake, acme, sourceId="s1"),
        "Z": enduser(fake, other, externalId="e1"),
        "W": enduser(fake, other, email="mail@x.com"),
    }
    if item.get("_id") == "X":
        item = {**item, "_id": docs["X"]["_id"]}
    response = put(client, "/endusers", [{**item, "position": "hit"}], rest_auth)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["modified"] == [docs[target]["_id"]]
    hit = [d["_id"] for d in fake.endusers() if d.get("position") == "hit"]
    assert hit == [docs[target]["_id"]]


def test_bulk_endusers_id_beats_source_id(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake)
    x = enduser(fake, acme)
    enduser(fake, acme, sourceId="s1")
    before = fake.endusers()
    response = put(client, "/endusers", [{"_id": x["_id"], "sourceId": "s1"}], rest_auth)
    # Matched on _id, so giving x the sourceId y holds is a duplicate: an update error.
    assert response.status_code == 400
    error = response.get_json()["updatedErrors"][0]
    assert error["index"] == 0
    assert "sourceId" in error["error"]
    assert fake.endusers() == before


def test_R3_bulk_endusers_unknown_id_creates_a_record(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    """R-3: "if the provided key doesn't match any existing record a new record will be
    created", an unknown ``_id`` included; Planhat assigns the new record's ``_id``."""
    acme = company(fake)
    items = [
        {"_id": "5f0000000000000000000000", "companyId": acme["_id"], "position": "CTO"},
        {"externalId": "ok", "companyId": acme["_id"]},
    ]
    response = put(client, "/endusers", items, rest_auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body["created"] == 2
    made = [d for d in fake.endusers() if d.get("position") == "CTO"]
    assert len(made) == 1
    assert made[0]["_id"] != "5f0000000000000000000000"
    assert body["upsertedIds"][0] == made[0]["_id"]


def test_bulk_endusers_external_id_matches_within_the_items_company(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme, other = company(fake, externalId="acme"), company(fake, "Other", externalId="other")
    ann = enduser(fake, acme, externalId="u1")
    items = [
        {"externalId": "u1", "companyId": "extid-other", "position": "new"},
        {"externalId": "u1", "position": "oldest"},
    ]
    body = put(client, "/endusers", items, rest_auth).get_json()
    assert body["created"] == 1
    assert body["updated"] == 1
    docs = {d["companyId"]: d for d in fake.endusers()}
    assert docs[other["_id"]]["position"] == "new"
    assert docs[acme["_id"]]["_id"] == ann["_id"]
    assert docs[acme["_id"]]["position"] == "oldest"


def test_R3_bulk_endusers_repeated_key_is_a_duplicated_item_error(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    """R-3: a key repeated within one request fails as "duplicated" for the repeats only."""
    company(fake, externalId="acme")
    items = [
        {"externalId": "u1", "companyId": "extid-acme", "position": "A"},
        {"externalId": "u1", "companyId": "extid-acme", "position": "B"},
    ]
    response = put(client, "/endusers", items, rest_auth)
    assert response.status_code == 206
    body = response.get_json()
    assert (body["created"], body["updated"]) == (1, 0)
    assert [e["index"] for e in body["updatedErrors"]] == [1]
    assert "duplicated" in body["updatedErrors"][0]["error"]
    assert [d["position"] for d in fake.endusers()] == ["A"]


def test_bulk_endusers_assigns_company_by_email_domain(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake, domains=["acme.com"])
    response = put(client, "/endusers", [{"email": "ann@acme.com"}], rest_auth)
    assert response.status_code == 200
    assert fake.endusers()[0]["companyId"] == acme["_id"]


def test_P8_bulk_never_matches_an_unassigned_contact(
    fake: FakePlanhat,
    client: FlaskClient,
    rest_auth: dict[str, str],
    intake_auth: dict[str, str],
) -> None:
    identify = {"type": "identify", "userId": "u9", "traits": {"email": "ann@acme.com"}}
    client.post("/dock/segment", json=identify, headers=intake_auth)
    waiting = fake.unassigned()[0]
    company(fake, externalId="acme")
    items = [{"email": "ann@acme.com", "companyId": "extid-acme"}]
    body = put(client, "/endusers", items, rest_auth).get_json()
    assert body["created"] == 1
    assert [c["_id"] for c in fake.unassigned()] == [waiting["_id"]]
    assert fake.endusers()[0]["_id"] != waiting["_id"]


def test_bulk_endusers_read_only_token_is_403(fake: FakePlanhat, client: FlaskClient) -> None:
    fake.add_tenant(fake.tenant_token, read_only_api_tokens=("ro",))
    response = put(client, "/endusers", [], {"Authorization": "Bearer ro"})
    assert response.status_code == 403


def test_bulk_endusers_second_tenant_cannot_touch_first_tenants_data(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    acme = company(fake, externalId="acme")
    enduser(fake, acme, externalId="u1", sourceId="s1")
    before = fake.endusers()
    fake.add_tenant("33333333-3333-4333-8333-333333333333", "third-token")
    other = {"Authorization": "Bearer third-token"}
    items = [
        {"_id": before[0]["_id"], "position": "x"},
        {"sourceId": "s1", "companyId": acme["_id"]},
    ]
    body = put(client, "/endusers", items, other).get_json()
    assert [e["index"] for e in body["createdErrors"]] == [0, 1]
    assert fake.endusers() == before


def test_E2_concurrent_bulk_upserts_create_one_enduser(
    fake: FakePlanhat, rest_auth: dict[str, str]
) -> None:
    company(fake, externalId="acme")
    barrier = threading.Barrier(8)
    statuses: list[int] = []

    def upsert(n: int) -> None:
        with fake.app.test_client() as own_client:
            barrier.wait()
            items = [{"externalId": "same", "companyId": "extid-acme", "custom": {f"t{n}": n}}]
            statuses.append(put(own_client, "/endusers", items, rest_auth).status_code)

    threads = [threading.Thread(target=upsert, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200] * 8
    endusers = fake.endusers()
    assert len(endusers) == 1
    assert endusers[0]["custom"] == {f"t{n}": n for n in range(8)}


# --- companies -----------------------------------------------------------------------------------


def test_bulk_companies_insert_update_and_errors(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = company(fake, externalId="c1", sourceId="s1", custom={"a": 1})
    items = [
        {"externalId": "c1", "custom": {"b": 2}},
        {"externalId": "c2", "name": "Beta"},
        {"externalId": "c3"},
        {"_id": acme["_id"], "name": ""},
        {"sourceId": "s1"},
    ]
    response = put(client, "/companies", items, rest_auth)
    assert response.status_code == 206
    body = response.get_json()
    assert list(body) == ANSWER_KEYS
    beta = fake.tenant().companies.find("externalId", "c2")[0]
    assert body["created"] == 1
    assert body["insertsKeys"] == [{"_id": beta["_id"], "externalId": "c2"}]
    assert body["upsertedIds"] == [beta["_id"]]
    assert body["updated"] == 1
    assert body["nonupdates"] == 1
    assert body["modified"] == [acme["_id"]]
    assert [(e["index"], "'name'" in e["error"]) for e in body["createdErrors"]] == [(2, True)]
    assert [(e["index"], "'name'" in e["error"]) for e in body["updatedErrors"]] == [(3, True)]
    assert shown(fake, acme["_id"])["custom"] == {"a": 1, "b": 2}
    assert beta["custom"] == {}
    entry = fake.journal.last()
    assert entry is not None
    assert entry.companies == [acme["_id"], beta["_id"]]


def test_bulk_companies_key_precedence_id_source_external(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    by_id = company(fake, "A")
    by_source = company(fake, "B", sourceId="s1")
    by_external = company(fake, "C", externalId="e1")
    items = [
        {"_id": by_id["_id"], "externalId": "e1x", "status": "1"},
        {"sourceId": "s1", "externalId": "e1", "status": "2"},
        {"_id": by_external["_id"], "status": "3"},
    ]
    response = put(client, "/companies", items, rest_auth)
    # Item 1 matched on sourceId, so giving it externalId e1 duplicates C's: an update error.
    assert response.status_code == 206
    body = response.get_json()
    assert [e["index"] for e in body["updatedErrors"]] == [1]
    assert "Duplicated key" in body["updatedErrors"][0]["error"]
    statuses = {c["_id"]: c.get("status") for c in fake.companies()}
    assert statuses == {by_id["_id"]: "1", by_source["_id"]: None, by_external["_id"]: "3"}
    assert shown(fake, by_id["_id"])["externalId"] == "e1x"


def test_R3_bulk_companies_unknown_id_creates_a_record(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    response = put(client, "/companies", [{"_id": "abc", "name": "X"}], rest_auth)
    assert response.status_code == 200
    body = response.get_json()
    assert body["created"] == 1
    assert [c["name"] for c in fake.companies()] == ["X"]
    assert body["upsertedIds"] == [fake.companies()[0]["_id"]] != ["abc"]
