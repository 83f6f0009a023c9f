"""Tenants kept apart (issue 7, item 4).

Two tenants, A and B, are seeded through the routes with overlapping keys (each holds a company
``shared-co`` and a user ``shared-user``) and keys of their own. Tenant B then walks every
catalogued route with its own credentials, aimed at A's documents: B never reads A's documents,
A's ``_id``s and keys answer 404 to B, B's upserts with A's keys create in B, B's writes land in
B, and A's ``dump()`` stays exactly as it was. The journal never holds a token whole.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from werkzeug.test import TestResponse

from tests.robustness import Call, World, json_call
from tests.robustness.routes import (
    BY_NAME,
    OBJECTS,
    PARTY_A,
    PARTY_B,
    ROUTES,
    SHARED_COMPANY_EXT,
    SHARED_USER_EXT,
    ObjectSpec,
    Party,
    basic,
)

A, B = PARTY_A, PARTY_B
Probe = Callable[[World], None]


# --- B's requests, and what B must see -------------------------------------------------------


def as_b(
    world: World,
    route_name: str,
    *,
    key: str | None = None,
    body: Any = None,
    query: dict[str, str] | None = None,
) -> TestResponse:
    """A request to the named catalogue route with B's credentials (B's token in the path)."""
    route = BY_NAME[route_name]
    path = route.path(B, key=quote(key, safe="") if key is not None else None)
    return world.send(json_call(route.method, path, route.headers(B), body, query))


def ok(response: TestResponse) -> Any:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def not_found(response: TestResponse) -> None:
    assert response.status_code == 404, response.get_data(as_text=True)
    assert "Not found" in response.get_json()["message"]


def ids(world: World, party: Party) -> set[str]:
    """The ``_id`` of every document ``party`` holds now, whatever the collection."""
    dump = world.fake.dump(party.tenant_token)
    return {doc["_id"] for name, docs in dump.items() if name != "settings" for doc in docs}


def seeded_a(world: World, collection: str, **match: Any) -> dict[str, Any]:
    return world.doc(A, collection, **match)


def a_keys(world: World) -> dict[str, str]:
    """A's own documents as B would name them in a path: ``_id``, ``extid-``, ``srcid-``."""
    company = seeded_a(world, "companies", externalId=A.company_ext)
    user = seeded_a(world, "endusers", externalId=A.user_ext)
    lead = seeded_a(world, "unassigned", externalId=A.lead_ext)
    return {
        "company _id": company["_id"],
        "company extid": f"extid-{A.company_ext}",
        "company srcid": f"srcid-{A.company_src}",
        "user _id": user["_id"],
        "user extid": f"extid-{A.user_ext}",
        "user srcid": f"srcid-{A.user_src}",
        "lead _id": lead["_id"],
        "lead extid": f"extid-{A.lead_ext}",
    }


def only_b(world: World, docs: list[dict[str, Any]]) -> None:
    """Documents B was shown: every one is B's, none names anything of A's."""
    mine, theirs = ids(world, B), ids(world, A)
    text = json.dumps(docs)
    for doc in docs:
        assert doc["_id"] in mine, doc
        assert doc["_id"] not in theirs, doc
        assert doc.get("companyId") not in theirs, doc
    for own in (A.company_ext, A.company_src, A.user_ext, A.user_src, A.user_email):
        assert own not in text, f"{own!r} of tenant A shown to B"


def count(world: World, party: Party, collection: str) -> int:
    return len(world.fake.dump(party.tenant_token)[collection])


# --- one probe per route ---------------------------------------------------------------------


def probe_dock(world: World) -> None:
    route = "POST /dock/segment"
    before = count(world, B, "unassigned")
    identify = {
        "type": "identify",
        "userId": A.user_ext,
        "traits": {"email": A.user_email, "companyId": A.company_ext, "title": "Spy"},
    }
    assert ok(as_b(world, route, body=identify))["result"] == "applied"
    lead = {"type": "identify", "userId": A.lead_ext, "traits": {"title": "B's lead"}}
    ok(as_b(world, route, body=lead))
    # A's company key is unknown in B: both contacts wait in B's unassigned list
    assert count(world, B, "unassigned") == before + 2
    group = {"type": "group", "groupId": A.company_ext, "userId": A.lead_ext, "traits": {"n": 1}}
    # A's company is unknown in B: the group feeds no metric anywhere (P-7, group: metrics)
    a_metrics = len(world.fake.metrics(A.tenant_token))
    assert ok(as_b(world, route, body=group))["result"] == "ignored"
    assert len(world.fake.metrics(A.tenant_token)) == a_metrics
    world.fake.settings(B.tenant_token, group="upsert")  # the decided reading: creates in B
    ok(as_b(world, route, body=group))
    world.fake.settings(B.tenant_token, group="metrics")
    created = [c for c in world.fake.companies(B.tenant_token) if c["externalId"] == A.company_ext]
    assert len(created) == 1
    track = {"type": "track", "userId": SHARED_USER_EXT, "event": "B only"}
    ok(as_b(world, route, body=track))
    [activity] = [a for a in world.fake.activities(B.tenant_token) if a["action"] == "B only"]
    assert activity["contactId"] in ids(world, B)


def probe_list_endusers(world: World) -> None:
    route = "GET /endusers"
    keys = a_keys(world)
    listed = ok(as_b(world, route, query={"limit": "2000"}))
    only_b(world, listed)
    assert len(listed) == count(world, B, "endusers")
    for query in (
        {"companyId": keys["company _id"]},
        {"companyId": keys["company extid"]},
        {"c": keys["company _id"]},
        {"email": A.user_email},
    ):
        assert ok(as_b(world, route, query=query)) == [], query
    shared = ok(as_b(world, route, query={"companyId": f"extid-{SHARED_COMPANY_EXT}"}))
    only_b(world, shared)
    assert [d["externalId"] for d in shared] == [SHARED_USER_EXT]


def probe_create_enduser(world: World) -> None:
    route = "POST /endusers"
    keys = a_keys(world)
    for company in (keys["company _id"], keys["company extid"], keys["company srcid"]):
        before = world.snapshot()
        body = {"email": "x@b.example", "companyId": company}
        response = as_b(world, route, body=body)
        assert response.status_code == 400, response.get_data(as_text=True)
        assert "companyId" in response.get_json()["message"]
        assert world.snapshot() == before
    body = {
        "externalId": A.user_ext,
        "sourceId": A.user_src,
        "email": A.user_email,
        "companyId": f"extid-{SHARED_COMPANY_EXT}",
    }
    created = ok(as_b(world, route, body=body))
    assert created["_id"] in ids(world, B)


def probe_bulk_endusers(world: World) -> None:
    route = "PUT /endusers"
    keys = a_keys(world)
    for a_id in (keys["user _id"], keys["lead _id"]):
        # A's _id is unknown in B, so it creates in B (with a new _id) or fails there
        item = {"_id": a_id, "position": "Spy", "companyId": f"extid-{B.company_ext}"}
        answer = ok(as_b(world, route, body=[item]))
        assert answer["created"] == 1
        assert set(answer["upsertedIds"]) <= ids(world, B) - {a_id}
    b_company = f"extid-{B.company_ext}"
    items = [
        {"externalId": A.user_ext, "companyId": b_company, "position": "by externalId"},
        {"sourceId": A.user_src, "companyId": b_company, "position": "by sourceId"},
        {"email": A.user_email, "companyId": b_company, "position": "by email"},
        {"externalId": SHARED_USER_EXT, "position": "B's own"},
    ]
    answer = ok(as_b(world, route, body=items))
    assert (answer["created"], answer["updated"]) == (3, 1), answer
    assert set(answer["upsertedIds"]) <= ids(world, B)
    assert set(answer["modified"]) <= ids(world, B)


def probe_get_enduser(world: World) -> None:
    route = "GET /endusers/<path:key>"
    for label, key in a_keys(world).items():
        if label.startswith(("user", "lead")):
            not_found(as_b(world, route, key=key))
    only_b(world, [ok(as_b(world, route, key=f"extid-{SHARED_USER_EXT}"))])


def probe_update_enduser(world: World) -> None:
    route = "PUT /endusers/<path:key>"
    for label, key in a_keys(world).items():
        if label.startswith(("user", "lead")):
            not_found(as_b(world, route, key=key, body={"position": "Spy"}))
    updated = ok(as_b(world, route, key=f"extid-{SHARED_USER_EXT}", body={"position": "B"}))
    only_b(world, [updated])


def probe_delete_enduser(world: World) -> None:
    route = "DELETE /endusers/<path:key>"
    for label, key in a_keys(world).items():
        if label.startswith(("user", "lead")):
            not_found(as_b(world, route, key=key))
    before = count(world, B, "endusers")
    ok(as_b(world, route, key=f"extid-{SHARED_USER_EXT}"))
    assert count(world, B, "endusers") == before - 1


def probe_list_companies(world: World, route: str = "GET /companies") -> None:
    keys = a_keys(world)
    listed = ok(as_b(world, route))
    only_b(world, listed)
    assert len(listed) == count(world, B, "companies")
    for query in (
        {"externalId": A.company_ext},
        {"sourceId": A.company_src},
        {"companyId": keys["company _id"]},
        {"companyId": keys["company extid"]},
    ):
        assert ok(as_b(world, route, query=query)) == [], query
    shared = ok(as_b(world, route, query={"externalId": SHARED_COMPANY_EXT}))
    only_b(world, shared)
    assert len(shared) == 1


def probe_lean_companies(world: World) -> None:
    probe_list_companies(world, "GET /leancompanies")


def probe_create_company(world: World) -> None:
    route = "POST /companies"
    created = ok(as_b(world, route, body={"name": "B's acme", "externalId": A.company_ext}))
    assert created["_id"] in ids(world, B)
    # externalId is unique within a tenant: B's own shared-co clashes, A's does not matter
    response = as_b(world, route, body={"name": "again", "externalId": SHARED_COMPANY_EXT})
    assert response.status_code == 400, response.get_data(as_text=True)


def probe_bulk_companies(world: World) -> None:
    route = "PUT /companies"
    a_id = a_keys(world)["company _id"]
    answer = ok(as_b(world, route, body=[{"_id": a_id, "name": "B's own"}]))  # new in B
    assert set(answer["upsertedIds"]) <= ids(world, B) - {a_id}
    items = [
        {"externalId": A.company_ext, "name": "B's by externalId"},
        {"sourceId": A.company_src, "name": "B's by sourceId"},
        {"externalId": SHARED_COMPANY_EXT, "name": "B's shared, renamed"},
    ]
    answer = ok(as_b(world, route, body=items))
    assert (answer["created"], answer["updated"]) == (2, 1), answer
    assert set(answer["upsertedIds"]) | set(answer["modified"]) <= ids(world, B)


def company_probe(route: str, body: Any = None) -> Probe:
    def probe(world: World) -> None:
        for label, key in a_keys(world).items():
            if label.startswith("company"):
                not_found(as_b(world, route, key=key, body=body))
        answer = ok(as_b(world, route, key=f"extid-{SHARED_COMPANY_EXT}", body=body))
        if "_id" in answer:
            only_b(world, [answer])
        else:
            assert answer["deletedCount"] == 1
            assert all(
                c["externalId"] != SHARED_COMPANY_EXT for c in world.fake.companies(B.tenant_token)
            )

    return probe


def activity_probe(route: str, wrap: Callable[[dict[str, Any]], Any]) -> Probe:
    def probe(world: World) -> None:
        a_company = a_keys(world)["company _id"]
        for item in (
            {"externalId": A.user_ext, "companyExternalId": A.company_ext},
            {"externalId": A.user_ext, "companyId": a_company},
            {"email": A.user_email},
            {"externalId": A.lead_ext},
        ):
            before = count(world, B, "activities")
            answer = ok(as_b(world, route, body=wrap({**item, "action": "Spy"})))
            assert answer == {"processed": 0, "ignored": 1}, (item, answer)
            assert count(world, B, "activities") == before
        answer = ok(as_b(world, route, body=wrap({"externalId": SHARED_USER_EXT, "action": "B"})))
        assert answer["processed"] == 1
        [activity] = [a for a in world.fake.activities(B.tenant_token) if a["action"] == "B"]
        assert activity["contactId"] in ids(world, B)

    return probe


def probe_post_points(world: World) -> None:
    route = "POST /dimensiondata/<tenant_token>"
    items = [
        {"dimensionId": "spy", "value": 1, "externalId": A.company_ext},
        {"dimensionId": "spy", "value": 1, "externalId": A.user_ext, "model": "Enduser"},
        {"dimensionId": "b", "value": 2, "externalId": SHARED_COMPANY_EXT},
    ]
    answer = ok(as_b(world, route, body=items))
    assert answer["processed"] == 1
    assert [e["item"] for e in answer["errors"]] == items[:2]
    [point] = [m for m in world.fake.metrics(B.tenant_token) if m["dimensionId"] == "b"]
    assert point["companyId"] in ids(world, B)


def probe_list_points(world: World) -> None:
    route = "GET /dimensiondata"
    a_company = a_keys(world)["company _id"]
    listed = ok(as_b(world, route))
    only_b(world, listed)
    assert len(listed) == count(world, B, "metrics")
    for query in ({"cid": a_company}, {"cId": a_company}, {"cid": a_company, "dimid": "seats"}):
        assert ok(as_b(world, route, query=query)) == [], query
    only_b(world, ok(as_b(world, route, query={"dimid": "seats"})))


# --- every other object: one probe per route, from the object's catalogue entry ---------------


def a_record_keys(world: World, obj: ObjectSpec) -> list[str]:
    """A's record of ``obj`` as B would name it: ``_id``, ``extid-``, ``srcid-``."""
    record = seeded_a(world, obj.name, externalId=f"{obj.name}-{A.name}")
    return [record["_id"], f"extid-{obj.name}-{A.name}", f"srcid-{obj.name}-{A.name}"]


def object_probes(obj: ObjectSpec) -> dict[str, Probe]:
    base, item = f"/{obj.name}", f"/{obj.name}/<path:key>"
    b_key = obj.key(B)

    def probe_list(world: World) -> None:
        listed = ok(as_b(world, f"GET {base}", query={"limit": "2000"}))
        only_b(world, listed)
        assert len(listed) == count(world, B, obj.name)
        if obj.owned:
            for company in list(a_keys(world).values())[:3]:
                assert ok(as_b(world, f"GET {base}", query={"companyId": company})) == []

    def probe_create(world: World) -> None:
        if obj.owned:
            for company in list(a_keys(world).values())[:3]:
                before = world.snapshot()
                body = {**obj.record(B, "-spy"), "companyId": company}
                response = as_b(world, f"POST {base}", body=body)
                assert response.status_code == 400, response.get_data(as_text=True)
                assert "companyId" in response.get_json()["message"]
                assert world.snapshot() == before
        # A's keys are free in B: a record with them is B's own
        body = {**obj.record(B, "-own"), "externalId": f"{obj.name}-{A.name}"}
        assert ok(as_b(world, f"POST {base}", body=body))["_id"] in ids(world, B)

    def probe_bulk(world: World) -> None:
        a_id = a_record_keys(world, obj)[0]
        items = [
            {**obj.record(B, "-x"), "_id": a_id},
            {**obj.record(B, "-y"), "externalId": f"{obj.name}-{A.name}"},
            {**obj.record(B, "-z"), "sourceId": f"src-{obj.name}-{A.name}"},
        ]
        answer = ok(as_b(world, f"PUT {base}", body=items))
        assert answer["created"] == 3, answer  # none of A's keys matches in B
        assert set(answer["upsertedIds"]) <= ids(world, B) - {a_id}

    def keyed(method: str, body: Any = None) -> Probe:
        def probe(world: World) -> None:
            for key in a_record_keys(world, obj):
                not_found(as_b(world, f"{method} {item}", key=key, body=body))
            answer = ok(as_b(world, f"{method} {item}", key=b_key, body=body))
            if method == "DELETE":
                assert answer["deletedCount"] == 1
            else:
                only_b(world, [answer])

        return probe

    probes: dict[str, Probe] = {
        f"GET {base}": probe_list,
        f"POST {base}": probe_create,
        f"PUT {base}": probe_bulk,
        f"GET {item}": keyed("GET"),
        f"PUT {item}": keyed("PUT", {"custom": {"spy": True}}),
        f"DELETE {item}": keyed("DELETE"),
    }
    return {name: probe for name, probe in probes.items() if name in BY_NAME}


PROBES: dict[str, Probe] = {
    "POST /dock/segment": probe_dock,
    "GET /endusers": probe_list_endusers,
    "POST /endusers": probe_create_enduser,
    "PUT /endusers": probe_bulk_endusers,
    "GET /endusers/<path:key>": probe_get_enduser,
    "PUT /endusers/<path:key>": probe_update_enduser,
    "DELETE /endusers/<path:key>": probe_delete_enduser,
    "GET /companies": probe_list_companies,
    "GET /leancompanies": probe_lean_companies,
    "POST /companies": probe_create_company,
    "PUT /companies": probe_bulk_companies,
    "GET /companies/<path:key>": company_probe("GET /companies/<path:key>"),
    "PUT /companies/<path:key>": company_probe("PUT /companies/<path:key>", {"phase": "Spy"}),
    "DELETE /companies/<path:key>": company_probe("DELETE /companies/<path:key>"),
    "POST /analytics/<tenant_token>": activity_probe("POST /analytics/<tenant_token>", dict),
    "POST /analytics/bulk/<tenant_token>": activity_probe(
        "POST /analytics/bulk/<tenant_token>", lambda item: [item]
    ),
    "POST /dimensiondata/<tenant_token>": probe_post_points,
    "GET /dimensiondata": probe_list_points,
    **{name: probe for obj in OBJECTS for name, probe in object_probes(obj).items()},
}


def test_every_catalogued_route_has_an_isolation_probe() -> None:
    assert set(PROBES) == {r.name for r in ROUTES}


@pytest.mark.parametrize("route_name", list(PROBES))
def test_tenant_b_cannot_see_or_change_tenant_a(world: World, route_name: str) -> None:
    a_before = world.fake.dump(A.tenant_token)
    PROBES[route_name](world)
    assert world.fake.dump(A.tenant_token) == a_before


# --- the journal never holds a token whole ---------------------------------------------------


def misplaced_tokens() -> list[Call]:
    """Tokens sent where they do not belong, or mangled: each must be journaled redacted."""
    calls: list[Call] = []
    for party in (A, B):
        tenant, api = party.tenant_token, party.api_token
        activity = {"externalId": party.user_ext, "action": "x"}
        calls += [
            Call("GET", f"/analytics/{tenant}"),  # wrong method: no route variables
            Call("PUT", f"/analytics/bulk/{tenant}"),
            Call("GET", f"/dimensiondata/{tenant}"),
            json_call("POST", f"/analytic/{tenant}", {}, activity),  # mistyped route
            json_call("POST", f"/analytics/{tenant}/extra", {}, activity),
            json_call("POST", f"/analytics/{api}", {}, activity),  # API token in the path
            json_call("POST", f"/analytics/{tenant}", {"Authorization": f"Bearer {api}"}, activity),
            Call("GET", "/endusers", {"Authorization": api}),  # a token without its scheme
            Call("GET", "/endusers", {"Authorization": f"Bearer {tenant}"}),
            Call("GET", "/endusers", {"Authorization": basic(tenant)}),
            Call("GET", "/endusers", {"Authorization": f"Basic {b64(api)}"}),  # no colon
            Call("GET", "/endusers", {"Authorization": basic(api, tenant)}),  # token as password
            Call("GET", "/endusers", {"Authorization": f"Bearer {party.read_token}"}),
            Call("DELETE", "/endusers/extid-x", {"Authorization": f"Bearer {party.read_token}"}),
            Call("GET", "/endusers", {"Authorization": f"Token {api}"}),
            json_call("POST", "/dock/segment", {"Authorization": basic(api)}, {"type": "x"}),
            json_call("POST", "/dock/segment", {"Authorization": tenant}, {"type": "x"}),
            json_call(
                "POST", "/dock/segment", {"Authorization": f"Bearer {tenant}"}, {"type": "x"}
            ),
            json_call(
                "POST", "/dock/segment", {"Authorization": basic(tenant, api)}, {"type": "x"}
            ),
        ]
    return calls


def b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def journal_texts(world: World) -> list[str]:
    return [json.dumps(entry.to_json()) for entry in world.fake.journal.query()]


def leaks(texts: list[str]) -> list[tuple[str, str]]:
    secrets = [s for party in (A, B) for s in party.secrets()]
    return [(secret, text) for text in texts for secret in secrets if secret in text]


def test_journal_never_holds_a_token_whole_after_a_walk_and_misplaced_tokens() -> None:
    world = World()  # its own fake: the seeding of both tenants is journaled too
    texts: list[str] = []
    a_before = world.fake.dump(A.tenant_token)
    for route_name, probe in PROBES.items():
        probe(world)
        assert world.fake.dump(A.tenant_token) == a_before, route_name
        texts += journal_texts(world)
        world.reseed_party(B)  # also forgets B's journal entries: collected above
    for call in misplaced_tokens():
        response = world.send(call)
        assert response.status_code < 500, (call, response.get_data(as_text=True))
    texts += journal_texts(world)
    assert len(texts) > 100
    assert any("/analytics/bulk/fp:" in t for t in texts)  # tokens in paths were journaled
    assert leaks(texts) == []
