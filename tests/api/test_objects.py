"""Every Planhat object on one resource model (issue 12): rules R-1 … R-6 on each object, the
company deletion decision, and the model-layer lookups other parts of the fake use.

Valid records come from the route catalogue's hand-written object table
(``tests/robustness/routes.py``), not from the declarations."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from fake_planhat import FakePlanhat
from fake_planhat.planhat import PUBLIC_MAIL_DOMAINS, RESOURCES, find_by_key
from tests.robustness.routes import OBJECTS, PARTY_A, ObjectSpec

READ_TOKEN = "read-only-token-for-objects"
WITH_CREATE = [o for o in OBJECTS if "create" in o.operations]
WITH_BULK = [o for o in OBJECTS if "bulk" in o.operations]
OWNED = [o for o in OBJECTS if o.owned]


@pytest.fixture
def acme(fake: FakePlanhat) -> dict[str, Any]:
    """The company the catalogue's records name (``extid-acme-a``)."""
    return fake.tenant().create_company({"name": "Acme", "externalId": PARTY_A.company_ext})


def record(obj: ObjectSpec, tag: str = "") -> dict[str, Any]:
    return obj.record(PARTY_A, tag)


def make(client: FlaskClient, auth: dict[str, str], obj: ObjectSpec, tag: str = "") -> Any:
    """One record of ``obj`` through its API (tickets have only the bulk upsert)."""
    if "create" in obj.operations:
        response = client.post(f"/{obj.name}", json=record(obj, tag), headers=auth)
        assert response.status_code == 200, response.get_json()
        return response.get_json()
    response = client.put(f"/{obj.name}", json=[record(obj, tag)], headers=auth)
    assert response.status_code == 200, response.get_json()
    [made] = response.get_json()["upsertedIds"]  # no single read: find it in the list
    listed = client.get(f"/{obj.name}?limit=10000", headers=auth).get_json()
    return next(d for d in listed if d["_id"] == made)


def test_every_declared_object_is_catalogued_and_served() -> None:
    assert {r.name for r in RESOURCES} == {o.name for o in OBJECTS} | {"endusers", "companies"}


# --- R-1 keys ------------------------------------------------------------------------------


@pytest.mark.parametrize("obj", WITH_CREATE, ids=lambda o: o.name)
def test_R1_every_object_is_addressed_by_id_extid_and_srcid(
    obj: ObjectSpec, client: FlaskClient, rest_auth: dict[str, str], acme: dict[str, Any]
) -> None:
    made = make(client, rest_auth, obj)
    ext, src = made["externalId"], made["sourceId"]
    for key in (made["_id"], f"extid-{ext}", f"srcid-{src}"):
        response = client.get(f"/{obj.name}/{key}", headers=rest_auth)
        assert response.status_code == 200, key
        assert response.get_json()["_id"] == made["_id"]
    missing = client.get(f"/{obj.name}/extid-nobody", headers=rest_auth)
    assert missing.status_code == 404
    assert "Not found" in missing.get_json()["message"]


# --- R-2 create, update, delete ------------------------------------------------------------


@pytest.mark.parametrize("obj", WITH_CREATE, ids=lambda o: o.name)
def test_R2_update_is_partial_custom_merged_and_patch_is_405(
    obj: ObjectSpec, client: FlaskClient, rest_auth: dict[str, str], acme: dict[str, Any]
) -> None:
    made = make(client, rest_auth, obj)
    path = f"/{obj.name}/{made['_id']}"
    updated = client.put(path, json={"custom": {"m": 2}, "_id": "ignored"}, headers=rest_auth)
    assert updated.status_code == 200
    body = updated.get_json()
    assert body["custom"] == {"n": 1, "m": 2}
    assert body["_id"] == made["_id"]
    assert body["externalId"] == made["externalId"]
    patched = client.patch(path, json={"custom": {}}, headers=rest_auth)
    assert patched.status_code == 405
    assert "PUT" in patched.get_json()["message"]


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: o.name)
def test_R2_delete_answers_planhat_shape_and_removes(
    obj: ObjectSpec,
    fake: FakePlanhat,
    client: FlaskClient,
    rest_auth: dict[str, str],
    acme: dict[str, Any],
) -> None:
    make(client, rest_auth, obj)
    response = client.delete(f"/{obj.name}/{obj.key(PARTY_A)}", headers=rest_auth)
    assert response.status_code == 200
    assert response.get_json() == {"n": 1, "ok": 1, "deletedCount": 1}
    assert fake.dump()[obj.name] == []
    again = client.delete(f"/{obj.name}/{obj.key(PARTY_A)}", headers=rest_auth)
    assert again.status_code == 404


@pytest.mark.parametrize("obj", WITH_CREATE, ids=lambda o: o.name)
def test_R2_required_fields_and_references_are_400_naming_the_field(
    obj: ObjectSpec,
    fake: FakePlanhat,
    client: FlaskClient,
    rest_auth: dict[str, str],
    acme: dict[str, Any],
) -> None:
    required = [*obj.required, *(["companyId"] if obj.owned else [])]
    for name in required:
        body = {k: v for k, v in record(obj).items() if k != name}
        response = client.post(f"/{obj.name}", json=body, headers=rest_auth)
        assert response.status_code == 400, name
        assert name in response.get_json()["message"]
    if obj.owned:
        body = {**record(obj), "companyId": "extid-no-such-company"}
        response = client.post(f"/{obj.name}", json=body, headers=rest_auth)
        assert response.status_code == 400
        assert "companyId" in response.get_json()["message"]
    assert fake.dump()[obj.name] == []


@pytest.mark.parametrize("obj", OWNED, ids=lambda o: o.name)
def test_R2_company_owned_records_show_company_name_and_take_any_key(
    obj: ObjectSpec, client: FlaskClient, rest_auth: dict[str, str], acme: dict[str, Any]
) -> None:
    made = make(client, rest_auth, obj)
    assert made["companyId"] == acme["_id"]  # extid-… stored as the company's _id
    assert made["companyName"] == "Acme"


# --- R-3 bulk upsert -----------------------------------------------------------------------


@pytest.mark.parametrize("obj", WITH_BULK, ids=lambda o: o.name)
def test_R3_bulk_upsert_repeated_unknown_and_mixed_keys(
    obj: ObjectSpec,
    fake: FakePlanhat,
    client: FlaskClient,
    rest_auth: dict[str, str],
    acme: dict[str, Any],
) -> None:
    made = make(client, rest_auth, obj)
    items = [
        {"externalId": made["externalId"], "custom": {"k": 1}},  # update by externalId
        {"sourceId": made["sourceId"], "custom": {"k": 2}},  # same record, another key
        {**record(obj, "-2")},  # insert
        {**record(obj, "-3"), "externalId": made["externalId"]},  # repeated externalId
        {**record(obj, "-4"), "_id": "5f00000000000000000000aa"},  # unknown _id: insert
    ]
    response = client.put(f"/{obj.name}", json=items, headers=rest_auth)
    assert response.status_code == 206
    body = response.get_json()
    assert (body["created"], body["updated"]) == (2, 2)
    errors = body["updatedErrors"] + body["createdErrors"]
    assert [e["index"] for e in errors] == [3]
    assert "duplicated" in errors[0]["error"]
    assert len(fake.dump()[obj.name]) == 3
    assert "5f00000000000000000000aa" not in body["upsertedIds"]


@pytest.mark.parametrize("obj", WITH_BULK, ids=lambda o: o.name)
def test_R3_read_only_token_bulk_is_403_with_permission_errors(
    obj: ObjectSpec,
    fake: FakePlanhat,
    client: FlaskClient,
    acme: dict[str, Any],
) -> None:
    fake.store.add_tenant(fake.tenant_token, {READ_TOKEN: "read"})
    items = [record(obj), record(obj, "-2")]
    response = client.put(
        f"/{obj.name}", json=items, headers={"Authorization": f"Bearer {READ_TOKEN}"}
    )
    assert response.status_code == 403
    body = response.get_json()
    assert [e["index"] for e in body["permissionErrors"]] == [0, 1]
    assert body["created"] == body["updated"] == 0
    assert body["status"] == 403
    assert fake.dump()[obj.name] == []


def test_R3_customfields_have_no_bulk_and_tickets_no_single_writes(
    client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    assert client.put("/customfields", json=[], headers=rest_auth).status_code == 405
    assert client.post("/tickets", json={}, headers=rest_auth).status_code == 405
    assert client.get("/tickets/extid-x", headers=rest_auth).status_code == 405
    assert client.put("/tickets/extid-x", json={}, headers=rest_auth).status_code == 405


# --- R-4 lists -----------------------------------------------------------------------------

LIST_MAX = {"companies": 5000, "nps": 10_000, "tasks": 10_000, "tickets": 10_000, "users": 10_000}


@pytest.mark.parametrize("name", sorted(r.name for r in RESOURCES))
def test_R4_each_object_serves_up_to_its_maximum_limit(
    name: str, fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    """R-4: 5,000 companies; 10,000 nps, tasks, tickets and users; 2,000 otherwise."""
    maximum = LIST_MAX.get(name, 2000)
    collection = fake.tenant().collections()[name]
    for i in range(maximum + 1):
        collection.insert({"_id": f"{i:024x}", "externalId": str(i), "custom": {}})
    response = client.get(f"/{name}", query_string={"limit": "20000"}, headers=rest_auth)
    assert response.status_code == 200
    assert len(response.get_json()) == maximum
    assert len(client.get(f"/{name}", headers=rest_auth).get_json()) == 100


@pytest.mark.parametrize("obj", OWNED, ids=lambda o: o.name)
def test_R4_lists_filter_by_company_with_comma_lists_sort_and_select(
    obj: ObjectSpec, fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    one = fake.tenant().create_company({"name": "One", "externalId": PARTY_A.company_ext})
    two = fake.tenant().create_company({"name": "Two", "externalId": "two"})
    fake.tenant().create_company({"name": "Three", "externalId": "three"})
    make(client, rest_auth, obj, "-1")
    second = {**record(obj, "-2"), "companyId": "extid-two"}
    if "create" in obj.operations:
        assert client.post(f"/{obj.name}", json=second, headers=rest_auth).status_code == 200
    else:
        assert client.put(f"/{obj.name}", json=[second], headers=rest_auth).status_code == 200
    query = {
        "companyId": f"{one['_id']}, extid-two,extid-three",
        "sort": "-externalId",
        "select": "externalId, companyId",
    }
    listed = client.get(f"/{obj.name}", query_string=query, headers=rest_auth).get_json()
    assert [set(d) for d in listed] == [{"_id", "externalId", "companyId"}] * 2
    assert [d["companyId"] for d in listed] == [two["_id"], one["_id"]]
    only_two = client.get(f"/{obj.name}?companyId=extid-two", headers=rest_auth).get_json()
    assert [d["companyId"] for d in only_two] == [two["_id"]]
    page = client.get(f"/{obj.name}?limit=1&offset=1", headers=rest_auth).get_json()
    assert [d["companyId"] for d in page] == [two["_id"]]


def test_R4_company_status_filter_takes_a_comma_list(
    client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    for name, status in (("A", "customer"), ("B", "lost"), ("C", None)):
        body = {"name": name, **({"status": status} if status else {})}
        assert client.post("/companies", json=body, headers=rest_auth).status_code == 200
    listed = client.get("/companies?status=customer,lost", headers=rest_auth).get_json()
    assert [c["name"] for c in listed] == ["A", "B"]


# --- R-6 computed fields -------------------------------------------------------------------


def test_R6_new_company_is_a_prospect_unless_sent_and_lean_list_finds_it(
    client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    made = client.post("/companies", json={"name": "New"}, headers=rest_auth).get_json()
    sent = client.post(
        "/companies", json={"name": "Paying", "status": "customer"}, headers=rest_auth
    ).get_json()
    assert (made["status"], sent["status"]) == ("prospect", "customer")
    bulk = client.put("/companies", json=[{"name": "Bulk"}], headers=rest_auth).get_json()
    lean = client.get("/leancompanies?status=prospect", headers=rest_auth).get_json()
    assert [c["_id"] for c in lean] == [made["_id"], *bulk["upsertedIds"]]


def test_R6_company_domains_are_its_endusers_email_domains_plus_explicit_ones(
    client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    company = client.post(
        "/companies", json={"name": "Acme", "domains": ["Acme.io"]}, headers=rest_auth
    ).get_json()
    assert company["domains"] == ["acme.io"]
    for email in ("ann@acme.com", "bob@ACME.com", "cy@gmail.com"):
        body = {"email": email, "companyId": company["_id"]}
        assert client.post("/endusers", json=body, headers=rest_auth).status_code == 200
    shown = client.get(f"/companies/{company['_id']}", headers=rest_auth).get_json()
    assert shown["domains"] == ["acme.io", "acme.com", "gmail.com"]
    listed = client.get("/companies", headers=rest_auth).get_json()
    assert listed[0]["domains"] == shown["domains"]


def test_R6_enduser_without_company_goes_to_the_one_company_with_its_domain(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    acme = fake.tenant().create_company({"name": "Acme"})
    fake.tenant().create_contact({"companyId": acme["_id"], "email": "ann@acme.com"})
    made = client.post("/endusers", json={"email": "new@Acme.com"}, headers=rest_auth)
    assert made.status_code == 200
    assert made.get_json()["companyId"] == acme["_id"]
    # a public mail domain never decides, and neither does a domain two companies share
    other = fake.tenant().create_company({"name": "Other", "domains": ["acme.com"]})
    assert other["_id"]
    for email in ("x@gmail.com", "y@acme.com"):
        response = client.post("/endusers", json={"email": email}, headers=rest_auth)
        assert response.status_code == 400, email
        assert "companyId" in response.get_json()["message"]


def test_R6_company_for_email_domain_on_tenant(fake: FakePlanhat) -> None:
    tenant = fake.tenant()
    acme = tenant.create_company({"name": "Acme", "domains": ["acme.com"]})
    tenant.create_company({"name": "Mail", "domains": ["gmail.com"]})
    assert tenant.company_for_email_domain("Ann@ACME.com ") == acme
    assert tenant.company_for_email_domain("ann@gmail.com") is None
    assert tenant.company_for_email_domain("not an email") is None
    assert {"gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com"} <= (
        PUBLIC_MAIL_DOMAINS
    )


# --- deleting a company (decided) ----------------------------------------------------------


def test_deleting_a_company_deletes_every_record_that_names_it(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str], acme: dict[str, Any]
) -> None:
    other = fake.tenant().create_company({"name": "Other", "externalId": "other"})
    for obj in OWNED:
        make(client, rest_auth, obj)
        kept = {**record(obj, "-kept"), "companyId": "extid-other"}
        path = f"/{obj.name}"
        if "create" in obj.operations:
            assert client.post(path, json=kept, headers=rest_auth).status_code == 200
        else:
            assert client.put(path, json=[kept], headers=rest_auth).status_code == 200
    response = client.delete(f"/companies/{acme['_id']}", headers=rest_auth)
    assert response.status_code == 200
    dump = fake.dump()
    for obj in OWNED:
        assert [d["companyId"] for d in dump[obj.name]] == [other["_id"]], obj.name


# --- the model-layer lookup for metrics (R-8) ----------------------------------------------


@pytest.mark.parametrize("name", ["assets", "projects"])
def test_R8_find_by_key_resolves_assets_and_projects_by_any_key(
    name: str, fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str], acme: Any
) -> None:
    obj = next(o for o in OBJECTS if o.name == name)
    made = make(client, rest_auth, obj)
    tenant = fake.tenant()
    for key in (made["_id"], f"extid-{made['externalId']}", f"srcid-{made['sourceId']}"):
        found = find_by_key(tenant, name, key)
        assert found is not None
        assert found["_id"] == made["_id"]
    assert find_by_key(tenant, name, "extid-nothing") is None
    with pytest.raises(KeyError):
        find_by_key(tenant, "notes", made["_id"])  # notes are conversations


def test_R1_notes_are_conversations_and_there_is_no_notes_route(
    client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    for path in ("/notes", "/notes/extid-n1"):
        response = client.get(path, headers=rest_auth)
        assert response.status_code == 404
        assert "No route" in response.get_json()["message"]
    assert client.get("/conversations", headers=rest_auth).status_code == 200


@pytest.mark.parametrize("obj", WITH_CREATE, ids=lambda o: o.name)
def test_R2_external_and_source_ids_are_unique_per_object(
    obj: ObjectSpec, client: FlaskClient, rest_auth: dict[str, str], acme: dict[str, Any]
) -> None:
    make(client, rest_auth, obj)
    for key in ("externalId", "sourceId"):
        body = {**record(obj, "-2"), key: record(obj)[key]}
        response = client.post(f"/{obj.name}", json=body, headers=rest_auth)
        assert response.status_code == 400, key
        assert "Duplicated key" in response.get_json()["message"]


# --- everything around the engine knows every object -----------------------------------------


def test_every_object_survives_a_restart_from_its_state_file(tmp_path: Any) -> None:
    """``--state FILE`` stores every collection of ``Tenant.collections()``."""
    path = tmp_path / "state.sqlite"
    fake = FakePlanhat(state_file=path, seed=0)
    client, auth = fake.app.test_client(), {"Authorization": f"Bearer {fake.api_token}"}
    fake.tenant().create_company({"name": "Acme", "externalId": PARTY_A.company_ext})
    for obj in OBJECTS:
        make(client, auth, obj)
    before = fake.dump()
    fake.close()
    again = FakePlanhat(state_file=path, seed=0)
    try:
        assert again.dump() == before
        assert all(len(before[obj.name]) == 1 for obj in OBJECTS)
    finally:
        again.close()


def test_every_object_round_trips_through_seed_and_dump(fake: FakePlanhat) -> None:
    """A tenant's dump is a valid seed for every object (the control plane's seed/state)."""
    company = fake.tenant().create_company({"name": "Acme", "externalId": PARTY_A.company_ext})
    seed = {obj.name: [{**record(obj), "companyId": company["_id"]}] for obj in OWNED}
    seed |= {obj.name: [record(obj)] for obj in OBJECTS if not obj.owned}
    fake.seed({"tenants": {fake.tenant_token: seed}})
    dumped = fake.dump()
    assert all(len(dumped[name]) == 1 for name in seed)
    dumped = fake.dump()
    other = FakePlanhat(seed=1)
    other.seed({"tenants": {other.tenant_token: dumped}})
    assert other.dump() == dumped


def test_seeding_an_object_without_its_required_fields_changes_nothing(
    fake: FakePlanhat,
) -> None:
    with pytest.raises(ValueError, match=r"assets\[0\]"):
        fake.seed({"tenants": {fake.tenant_token: {"assets": [{"name": "No company"}]}}})
    assert fake.dump()["assets"] == []


def test_control_plane_seeds_and_shows_every_object(
    fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    body = {"companies": [{"name": "Acme", "externalId": PARTY_A.company_ext}]}
    body |= {obj.name: [record(obj)] for obj in OBJECTS}
    seeded = client.post("/_fake/seed", json={"tenants": {fake.tenant_token: body}})
    assert seeded.status_code == 200, seeded.get_json()
    [counts] = seeded.get_json()["seeded"].values()
    assert all(counts[obj.name] == 1 for obj in OBJECTS)
    state = client.get("/_fake/state").get_json()
    for obj in OBJECTS:
        [shown] = state[obj.name]
        assert shown["externalId"] == record(obj)["externalId"]
        listed = client.get(f"/{obj.name}", headers=rest_auth).get_json()
        assert [d["_id"] for d in listed] == [shown["_id"]]
    routes = client.get("/_fake/routes").get_json()["routes"]
    assert {r["path"] for r in routes} >= {f"/{obj.name}" for obj in OBJECTS}
