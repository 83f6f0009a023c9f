"""The control plane under ``/_fake``: health, reset, seed and state, tenants and settings, the
unassigned list (rule P-8), the route list, plain-word errors and the admin token."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from fake_planhat import FakePlanhat
from fake_planhat.api.gate import is_loopback
from fake_planhat.auth import fingerprint
from fake_planhat.seeding import SeedError
from fake_planhat.state import TenantSettings

from . import identify, plain_error, post_segment

NEW_TENANT = "00000000-0000-4000-8000-0000000000aa"
ACME_ID = "65a4f0c2e1d3b4a5c6d7e8f9"
OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")
DEFAULT_SETTINGS = TenantSettings().to_json()


def rest(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- health, reset, routes -------------------------------------------------------------------


def test_health(fake: FakePlanhat, client: FlaskClient) -> None:
    fake.add_tenant(NEW_TENANT)
    body = client.get("/_fake/health").get_json()
    assert body["status"] == "ok"
    assert body["tenants"] == 2
    assert re.match(r"^\d+\.\d+", body["version"])


def test_reset_everything(fake: FakePlanhat, client: FlaskClient) -> None:
    fake.add_tenant(NEW_TENANT)
    post_segment(client, fake.tenant_token, identify("u1", "a@example.com"))
    post_segment(client, NEW_TENANT, identify("u2", "b@example.com"))
    assert client.post("/_fake/reset").get_json() == {"reset": "all"}
    assert fake.unassigned() == []
    assert fake.unassigned(NEW_TENANT) == []
    assert len(fake.journal) == 0
    assert fake.store.tenant(NEW_TENANT) is not None  # tenants and tokens stay


def test_reset_one_tenant(fake: FakePlanhat, client: FlaskClient) -> None:
    fake.add_tenant(NEW_TENANT)
    fake.faults.add("/nowhere", status=500)
    post_segment(client, fake.tenant_token, identify("u1", "a@example.com"))
    post_segment(client, NEW_TENANT, identify("u2", "b@example.com"))
    answer = client.post("/_fake/reset", json={"tenant": NEW_TENANT})
    assert answer.get_json() == {"reset": f"fp:{fingerprint(NEW_TENANT)}"}
    assert fake.unassigned(NEW_TENANT) == []
    assert [c["externalId"] for c in fake.unassigned()] == ["u1"]
    assert len(fake.journal) == 1
    assert len(fake.faults.rules()) == 1  # faults go only when everything is reset


def test_reset_an_unknown_tenant_is_404(client: FlaskClient) -> None:
    answer = client.post("/_fake/reset", json={"tenant": "nobody"})
    assert answer.status_code == 404
    assert "no tenant with that token" in plain_error(answer)


def test_routes_list_every_planhat_route(fake: FakePlanhat, client: FlaskClient) -> None:
    routes = client.get("/_fake/routes").get_json()["routes"]
    pairs = {(r["method"], r["path"]) for r in routes}
    expected = {
        (method, rule.rule)
        for rule in fake.app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.rule.startswith("/_fake")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert pairs == expected
    assert ("POST", "/dock/segment") in pairs
    assert not any(path.startswith("/_fake") for _, path in pairs)
    assert routes == sorted(routes, key=lambda r: (r["path"], r["method"]))


# --- seed and state --------------------------------------------------------------------------


def seed_body() -> dict[str, Any]:
    return {
        "tenants": {
            NEW_TENANT: {
                "apiTokens": {"new-write": "write", "new-read": "read"},
                "settings": {"unassigned": "discard"},
                "companies": [
                    {"_id": ACME_ID, "name": "Acme", "externalId": "acme"},
                    {"name": "Globex", "externalId": 42, "custom": {"tier": "gold"}},
                ],
                "endusers": [
                    {"email": "ann@acme.test", "externalId": "ann", "companyExternalId": "acme"},
                    {"email": "bob@globex.test", "companyId": "extid-42"},
                    {"email": "cy@acme.test", "companyId": ACME_ID, "createDate": "2020-01-01"},
                ],
                "unassigned": [{"email": "dan@nowhere.test", "externalId": "dan"}],
            }
        }
    }


def test_seed_creates_the_tenant_its_tokens_and_documents(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    answer = client.post("/_fake/seed", json=seed_body())
    assert answer.status_code == 200
    assert answer.get_json() == {
        "seeded": {
            f"fp:{fingerprint(NEW_TENANT)}": {
                "companies": 2,
                "endusers": 3,
                "unassigned": 1,
                "activities": 0,
                "metrics": 0,
            }
        }
    }
    state = client.get(f"/_fake/state?tenant={NEW_TENANT}").get_json()
    assert state["settings"] == {**DEFAULT_SETTINGS, "unassigned": "discard"}
    acme, globex = state["companies"]
    assert acme["_id"] == ACME_ID
    assert OBJECT_ID.match(globex["_id"])
    assert globex["custom"] == {"tier": "gold"}
    assert globex["createDate"] == "2026-01-15T10:00:00.000Z"
    assert globex["__v"] == 0
    ann, bob, cy = state["endusers"]
    assert (ann["companyId"], ann["companyName"]) == (ACME_ID, "Acme")
    assert "companyExternalId" not in ann
    assert bob["companyId"] == globex["_id"]
    assert cy["createDate"] == "2020-01-01"
    (dan,) = state["unassigned"]
    assert dan["companyId"] is None
    assert dan["_unassigned"]["contactId"] == dan["_id"]
    # the seeded tokens work on the REST API, with their scopes
    listed = client.get("/endusers", headers=rest("new-read"))
    assert [u["email"] for u in listed.get_json()] == [
        "ann@acme.test",
        "bob@globex.test",
        "cy@acme.test",
    ]
    denied = client.post("/endusers", json={"email": "x@acme.test"}, headers=rest("new-read"))
    assert denied.status_code == 403


def test_a_bad_seed_names_the_bad_items_and_changes_nothing(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    body = seed_body()
    tenant = body["tenants"][NEW_TENANT]
    tenant["endusers"].append({"email": 7, "companyExternalId": "acme"})
    tenant["endusers"].append({"email": "nobody@x.test", "companyExternalId": "missing"})
    tenant["companies"].append({"externalId": "no-name"})
    body["tenants"][fake.tenant_token] = {"companies": [{"name": "Fine"}]}
    answer = client.post("/_fake/seed", json=body)
    assert answer.status_code == 400
    words = plain_error(answer)
    where = f"tenants.{fingerprint(NEW_TENANT)}"
    assert f"{where}.endusers[3].email must be a string" in words
    assert f"{where}.endusers[4].companyExternalId 'missing' names no company" in words
    assert f"{where}.companies[2].name is required" in words
    assert NEW_TENANT not in words  # tokens are named by fingerprint only
    assert fake.store.tenant(NEW_TENANT) is None
    assert fake.companies() == []  # the good tenant's part was not applied either


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b'{"tenants": {"t": {"companies": [{"name": "\\ud800"}]}}}', "surrogate"),
        (b'{"tenants": {"t": {"companies": [{"name": "x", "custom": {"n": 1e400}}]}}}', "range"),
        (b'{"tenants": {"t": NaN}}', "NaN"),
        (b"\xff{}", "UTF-8"),
        (b"[" * 10_000 + b"]" * 10_000, "nested"),
    ],
)
def test_seed_reads_json_as_strictly_as_planhat_routes(
    fake: FakePlanhat, client: FlaskClient, raw: bytes, words: str
) -> None:
    """A seed that could never be answered as JSON again (lone surrogates, infinities) is
    refused, as on Planhat routes, instead of breaking every later read of the tenant."""
    answer = client.post("/_fake/seed", data=raw, content_type="application/json")
    assert answer.status_code == 400
    assert words in plain_error(answer)
    assert fake.store.tenant("t") is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ([], "the seed must be an object"),
        ({}, "tenants is required"),
        ({"tenants": {}, "extra": 1}, "extra is not a seed member"),
        ({"tenants": {"t": []}}, "must be an object"),
        ({"tenants": {"t": {"endusrs": []}}}, "endusrs is not a seed member"),
        ({"tenants": {"t": {"apiTokens": {"x": "admin"}}}}, "must be 'write' or 'read'"),
        ({"tenants": {"t": {"settings": {"unassigned": "maybe"}}}}, "must be 'keep' or 'discard'"),
        ({"tenants": {"t": {"companies": {}}}}, "companies must be an array"),
        ({"tenants": {"t": {"companies": [1]}}}, "companies[0] must be an object"),
        ({"tenants": {"t": {"companies": [{"name": "A", "_id": "1"}]}}}, "24-hex-digit ObjectId"),
        (
            {"tenants": {"t": {"companies": [{"name": "A", "_id": ACME_ID}] * 2}}},
            f"{ACME_ID} is already taken",
        ),
        ({"tenants": {"t": {"endusers": [{"email": "a@b.c"}]}}}, "needs companyId"),
        (
            {"tenants": {"t": {"endusers": [{"companyId": ACME_ID}]}}},
            f"{ACME_ID} names no company",
        ),
        (
            {"tenants": {"t": {"unassigned": [{"companyExternalId": "acme"}]}}},
            "seed it under endusers",
        ),
        ({"tenants": {"t": {"metrics": [{"dimensionId": "mrr"}]}}}, "value is required"),
        ({"tenants": {"t": {"activities": [{}]}}}, "action is required"),
        (
            {"tenants": {"t": {"apiTokens": {"fake-planhat-api-token": "write"}}}},
            "already belongs to another tenant",
        ),
    ],
)
def test_seed_validation(fake: FakePlanhat, body: Any, words: str) -> None:
    with pytest.raises(SeedError) as raised:
        fake.seed(body)
    assert words in str(raised.value)
    assert fake.store.tenant("t") is None


def test_dump_seeds_an_equal_tenant(fake: FakePlanhat, client: FlaskClient) -> None:
    """State round-trips: a tenant's dump, seeded into a fresh fake, dumps the same."""
    token = fake.tenant_token
    fake.tenant().create_company({"name": "Acme", "externalId": "acme", "domains": ["acme.io"]})
    post_segment(client, token, {"type": "group", "groupId": "acme", "traits": {"seats": 3}})
    post_segment(client, token, identify("u1", "a@example.com", traits={"companyId": "acme"}))
    post_segment(client, token, {"type": "track", "userId": "u1", "event": "Signed Up"})
    post_segment(client, token, identify("u2", "b@elsewhere.test", messageId="m-2"))
    dumped = fake.dump()
    assert [len(dumped[k]) for k in ("companies", "endusers", "unassigned")] == [1, 1, 1]
    assert (len(dumped["activities"]), len(dumped["metrics"])) == (1, 1)

    other = FakePlanhat(seed=1)
    other.seed({"tenants": {"elsewhere": copy.deepcopy(dumped)}})
    assert other.dump("elsewhere") == dumped


def test_seed_adds_to_an_existing_tenant(fake: FakePlanhat) -> None:
    existing = fake.tenant().create_company({"name": "Acme", "externalId": "acme"})
    fake.seed(
        {
            "tenants": {
                fake.tenant_token: {
                    "endusers": [{"email": "a@acme.test", "companyExternalId": "acme"}]
                }
            }
        }
    )
    (contact,) = fake.endusers()
    assert contact["companyId"] == existing["_id"]
    with pytest.raises(SeedError, match="is already taken"):
        fake.seed({"tenants": {fake.tenant_token: {"companies": [existing]}}})


def test_state_of_the_default_and_an_unknown_tenant(fake: FakePlanhat, client: FlaskClient) -> None:
    state = client.get("/_fake/state").get_json()
    assert state == fake.dump()
    answer = client.get("/_fake/state?tenant=nobody")
    assert answer.status_code == 404
    assert "add it with POST /_fake/tenants" in plain_error(answer)


# --- tenants and settings --------------------------------------------------------------------


def test_add_a_tenant(fake: FakePlanhat, client: FlaskClient) -> None:
    answer = client.post(
        "/_fake/tenants",
        json={
            "tenantToken": NEW_TENANT,
            "apiToken": "new-api-token",
            "readOnlyApiTokens": ["new-read"],
            "unassigned": "discard",
        },
    )
    assert answer.status_code == 201
    assert answer.get_json() == {
        "tenant": f"fp:{fingerprint(NEW_TENANT)}",
        "settings": {**DEFAULT_SETTINGS, "unassigned": "discard"},
    }
    assert client.get("/endusers", headers=rest("new-api-token")).status_code == 200
    assert post_segment(client, NEW_TENANT, identify("u1", "a@x.test")).status_code == 200
    assert fake.unassigned(NEW_TENANT) == []  # unassigned=discard (P-8)


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({}, 400, "tenantToken is required"),
        ({"tenantToken": 5}, 400, "tenantToken must be a non-empty string"),
        ({"tenantToken": "t", "unassigned": "later"}, 400, "unassigned must be 'keep'"),
        ({"tenantToken": "t", "readOnlyApiTokens": "r"}, 400, "readOnlyApiTokens must be"),
        ({"tenantToken": "t", "token": "x"}, 400, "unknown key 'token'"),
        ({"tenantToken": "t", "apiToken": "fake-planhat-api-token"}, 409, "another tenant"),
    ],
)
def test_bad_new_tenants(
    fake: FakePlanhat, client: FlaskClient, body: Any, status: int, words: str
) -> None:
    answer = client.post("/_fake/tenants", json=body)
    assert answer.status_code == status
    assert words in plain_error(answer)
    assert fake.store.tenant("t") is None


def test_adding_an_existing_tenant_is_409(fake: FakePlanhat, client: FlaskClient) -> None:
    answer = client.post("/_fake/tenants", json={"tenantToken": fake.tenant_token})
    assert answer.status_code == 409
    assert "already exists" in plain_error(answer)


def test_P8_settings(fake: FakePlanhat, client: FlaskClient) -> None:
    assert client.get("/_fake/settings").get_json() == DEFAULT_SETTINGS
    changed = client.put("/_fake/settings", json={"unassigned": "discard"})
    assert changed.get_json() == {**DEFAULT_SETTINGS, "unassigned": "discard"}
    post_segment(client, fake.tenant_token, identify("u1", "a@example.com"))
    assert fake.unassigned() == []
    bad = client.put("/_fake/settings", json={"unassigned": "sometimes"})
    assert bad.status_code == 400
    assert "unassigned must be 'keep' or 'discard'" in plain_error(bad)
    unknown = client.put("/_fake/settings", json={"tenant_token": "x"})
    assert unknown.status_code == 400
    assert "unknown key 'tenant_token'" in plain_error(unknown)


@pytest.mark.parametrize(
    ("name", "value", "bad"),
    [
        ("group", "upsert", "create"),
        ("page", "ignore", "skip"),
        ("limits", "planhat", "on"),
        ("region", "api-eu2", "eu"),
    ],
)
def test_every_switch_is_a_setting_of_the_control_plane(
    client: FlaskClient, name: str, value: str, bad: str
) -> None:
    """P-7, P-6a, R-9, R-10: the same names and values as seeds, CLI, marker, FakePlanhat."""
    changed = client.put("/_fake/settings", json={name: value})
    assert changed.get_json() == {**DEFAULT_SETTINGS, name: value}
    refused = client.put("/_fake/settings", json={name: bad, "unassigned": "discard"})
    assert refused.status_code == 400
    assert name in plain_error(refused)
    assert client.get("/_fake/settings").get_json()[name] == value  # nothing changed
    assert client.get("/_fake/settings").get_json()["unassigned"] == "keep"


# --- rule P-8: the unassigned list -----------------------------------------------------------


def test_P8_list_assign_and_discard(fake: FakePlanhat, client: FlaskClient) -> None:
    fake.tenant().create_company({"name": "Acme", "externalId": "acme"})
    post_segment(client, fake.tenant_token, identify("u1", "a@example.com", messageId="m-1"))
    post_segment(client, fake.tenant_token, identify("u2", "b@example.com"))
    waiting = client.get("/_fake/unassigned").get_json()["unassigned"]
    assert [c["externalId"] for c in waiting] == ["u1", "u2"]
    assert waiting[0]["_unassigned"]["messageId"] == "m-1"
    first, second = (c["_id"] for c in waiting)

    assigned = client.post(f"/_fake/unassigned/{first}/assign", json={"company": "extid-acme"})
    assert assigned.status_code == 200
    assert assigned.get_json()["companyName"] == "Acme"
    assert [u["externalId"] for u in fake.endusers()] == ["u1"]

    discarded = client.post(f"/_fake/unassigned/{second}/discard")
    assert discarded.get_json()["externalId"] == "u2"
    assert client.get("/_fake/unassigned").get_json() == {"unassigned": []}


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("/_fake/unassigned/nope/assign", {"company": "extid-acme"}, 404, "not waiting"),
        ("/_fake/unassigned/nope/discard", None, 404, "not waiting"),
        ("/_fake/unassigned/{id}/assign", {"company": "extid-nope"}, 404, "no company"),
        ("/_fake/unassigned/{id}/assign", {"company": ACME_ID}, 404, "does not exist"),
        ("/_fake/unassigned/{id}/assign", {}, 400, "company is required"),
        ("/_fake/unassigned/{id}/assign", {"company": "x", "why": 1}, 400, "unknown key"),
    ],
)
def test_P8_bad_assign_and_discard(
    fake: FakePlanhat,
    client: FlaskClient,
    path: str,
    body: Any,
    status: int,
    words: str,
) -> None:
    fake.tenant().create_company({"name": "Acme", "externalId": "acme"})
    post_segment(client, fake.tenant_token, identify("u1", "a@example.com"))
    (contact,) = fake.unassigned()
    url = path.format(id=contact["_id"])
    answer = client.post(url, json=body) if body is not None else client.post(url)
    assert answer.status_code == status
    assert words in plain_error(answer)
    assert len(fake.unassigned()) == 1


# --- plain-word errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "words"),
    [
        ("GET", "/_fake/nothing-here", {}, 404, "no control-plane endpoint GET /_fake/nothing"),
        ("GET", "/_fake/reset", {}, 405, "GET is not allowed on /_fake/reset"),
        ("POST", "/_fake/seed", {"data": "{", "content_type": "application/json"}, 400, "JSON"),
        (
            "POST",
            "/_fake/seed",
            {"data": b"\xff", "content_type": "application/json"},
            400,
            "UTF-8",
        ),
        ("POST", "/_fake/seed", {"json": "text"}, 400, "must be a JSON object, got a string"),
        ("POST", "/_fake/seed", {}, 400, "send a JSON object"),
        ("GET", "/_fake/health?verbose=1", {}, 400, "unknown query parameter 'verbose'"),
        ("POST", "/_fake/reset", {"json": {"tenant": 5}}, 400, "tenant must be a tenant token"),
    ],
)
def test_control_plane_errors_are_plain_words(
    client: FlaskClient, method: str, path: str, kwargs: dict[str, Any], status: int, words: str
) -> None:
    answer = client.open(path, method=method, **kwargs)
    assert answer.status_code == status
    assert words in plain_error(answer)


def test_deeply_nested_json_is_a_400(client: FlaskClient) -> None:
    body = "[" * 100_000 + "]" * 100_000
    answer = client.post("/_fake/seed", data=body, content_type="application/json")
    assert answer.status_code == 400
    plain_error(answer)


# --- the admin token -------------------------------------------------------------------------


def test_loopback_without_an_admin_token_is_open(client: FlaskClient) -> None:
    assert client.get("/_fake/state").status_code == 200


def test_an_admin_token_is_required_once_set() -> None:
    fake = FakePlanhat(admin_token="s3cret")
    client = fake.app.test_client()
    missing = client.get("/_fake/state")
    assert missing.status_code == 401
    assert "Authorization: Bearer <admin token>" in plain_error(missing)
    wrong = client.get("/_fake/state", headers=rest("guess"))
    assert wrong.status_code == 401
    assert plain_error(wrong) == "wrong admin token"
    assert client.get("/_fake/state", headers=rest("s3cret")).status_code == 200
    assert client.get("/_fake/state", headers={"X-Admin-Token": "s3cret"}).status_code == 200
    assert client.get("/_fake/health").status_code == 200  # readiness probes stay open
    # Planhat's routes do not take the admin token
    assert client.get("/endusers", headers=rest(fake.api_token)).status_code == 200


def test_beyond_loopback_the_control_plane_is_closed_without_an_admin_token() -> None:
    fake = FakePlanhat()
    fake.app.config["FAKE_PLANHAT_BIND_HOST"] = "0.0.0.0"
    client = fake.app.test_client()
    closed = client.post("/_fake/reset")
    assert closed.status_code == 403
    assert plain_error(closed).startswith("the control plane is closed: set an admin token")
    assert client.get("/_fake/health").status_code == 200


def test_beyond_loopback_with_an_admin_token() -> None:
    fake = FakePlanhat(admin_token="s3cret")
    fake.app.config["FAKE_PLANHAT_BIND_HOST"] = "0.0.0.0"
    client = fake.app.test_client()
    assert client.post("/_fake/reset").status_code == 401
    assert client.post("/_fake/reset", headers={"X-Admin-Token": "nope"}).status_code == 401
    assert client.post("/_fake/reset", headers=rest("s3cret")).status_code == 200


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("fake.example.com", False),
    ],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_bound_to_loopback_stays_open(host: str) -> None:
    fake = FakePlanhat()
    fake.app.config["FAKE_PLANHAT_BIND_HOST"] = host
    assert fake.app.test_client().get("/_fake/state").status_code == 200
