"""The request journal, from Python and over ``/_fake/journal``: bounded, queried in domain
terms, tokens never stored whole, near misses explained (rule P-11: ignored and dropped
messages are recorded with why)."""

from __future__ import annotations

import base64
import json

import pytest
from flask.testing import FlaskClient

from fake_planhat import FakePlanhat
from fake_planhat.auth import fingerprint

from . import basic, identify, plain_error, post_segment

OTHER_TENANT = "00000000-0000-4000-8000-000000000002"


def test_journal_keeps_the_newest_entries_and_counts_the_dropped() -> None:
    fake = FakePlanhat(journal_size=100)
    with fake.app.test_client() as client:
        for i in range(1000):
            post_segment(client, fake.tenant_token, {"type": "alias", "messageId": f"m-{i}"})
        assert len(fake.journal) == 100
        assert fake.journal.dropped == 900
        kept = fake.journal.query()
        assert [e.message_id for e in kept] == [f"m-{i}" for i in range(900, 1000)]
        page = client.get("/_fake/journal?limit=1000").get_json()
    assert len(page["entries"]) == 100
    assert (page["total"], page["recorded"], page["dropped"], page["maxEntries"]) == (
        100,
        1000,
        900,
        100,
    )


def test_P11_ignored_messages_are_journaled_with_the_reason(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    post_segment(client, fake.tenant_token, {"type": "identify", "messageId": "m-anon"})
    (entry,) = client.get("/_fake/journal?messageId=m-anon").get_json()["entries"]
    assert entry["status"] == 200
    assert entry["outcome"]["status"] == "ignored"
    assert "P-5" in entry["outcome"]["reason"]


def test_query_by_route_tenant_message_contact_and_company(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    fake.add_tenant(OTHER_TENANT)
    fake.tenant().create_company({"name": "Acme", "externalId": "acme"})  # from a CRM
    post_segment(
        client,
        fake.tenant_token,
        {
            "type": "group",
            "groupId": "acme",
            "userId": "u1",
            "traits": {"seats": 3},  # P-7: a metric on the company
            "messageId": "m-group",
        },
    )
    post_segment(client, fake.tenant_token, identify("u1", "a@example.com", messageId="m-1"))
    post_segment(client, OTHER_TENANT, identify("u9", "z@example.com", messageId="m-9"))
    client.get("/endusers", headers={"Authorization": f"Bearer {fake.api_token}"})
    (company,) = fake.companies()

    def messages(query: str) -> list[str | None]:
        page = client.get(f"/_fake/journal?{query}").get_json()
        return [e["messageId"] for e in page["entries"]]

    assert messages("route=dock.segment") == ["m-group", "m-1", "m-9"]
    assert messages("route=dock") == ["m-group", "m-1", "m-9"]
    assert messages(f"tenant={OTHER_TENANT}") == ["m-9"]
    assert messages("messageId=m-1") == ["m-1"]
    assert messages(f"company={company['_id']}") == ["m-group"]
    contact_id = fake.unassigned(OTHER_TENANT)[0]["_id"]
    assert messages(f"contact={contact_id}") == ["m-9"]
    assert messages("method=get") == [None]
    assert messages("status=200&route=dock&limit=2") == ["m-1", "m-9"]
    since = client.get("/_fake/journal?messageId=m-1").get_json()["entries"][0]["seq"]
    assert messages(f"since={since}&route=dock") == ["m-9"]
    # the same from Python
    assert [e.message_id for e in fake.journal.query(tenant=OTHER_TENANT)] == ["m-9"]
    assert [e.message_id for e in fake.journal.query(company=company["_id"])] == ["m-group"]


def test_authorization_and_path_tokens_are_never_stored_whole(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    post_segment(client, fake.tenant_token, identify("u1", "a@example.com"))
    client.get("/endusers", headers={"Authorization": f"Bearer {fake.api_token}"})
    client.post(f"/analytics/{fake.tenant_token}", json={"externalId": "u1", "action": "Seen"})
    client.get("/endusers", headers={"Authorization": "Bearer a-wrong-secret-token"})
    entries = client.get("/_fake/journal").get_json()["entries"]
    assert len(entries) == 4
    stored = json.dumps(entries)
    for secret in (fake.tenant_token, fake.api_token, "a-wrong-secret-token"):
        assert secret not in stored
    assert entries[0]["headers"]["Authorization"] == f"Basic fp:{fingerprint(fake.tenant_token)}"
    assert entries[1]["headers"]["Authorization"] == f"Bearer fp:{fingerprint(fake.api_token)}"
    assert entries[2]["path"] == f"/analytics/fp:{fingerprint(fake.tenant_token)}"


def test_near_miss_for_a_wrong_auth_request(fake: FakePlanhat, client: FlaskClient) -> None:
    answer = client.post(
        "/dock/segment",
        json=identify("u1"),
        headers={"Authorization": f"Bearer {fake.tenant_token}"},
    )
    assert answer.status_code == 401
    entry = fake.journal.last()
    assert entry is not None
    assert entry.near_miss
    assert "Basic" in entry.near_miss[0]
    shown = client.get("/_fake/journal?status=401").get_json()["entries"][0]
    assert shown["nearMiss"] == entry.near_miss


def test_near_miss_for_an_unknown_route(fake: FakePlanhat, client: FlaskClient) -> None:
    answer = client.post(
        "/dock/segmnt", json=identify("u1"), headers={"Authorization": basic(fake.tenant_token)}
    )
    assert answer.status_code == 404
    entry = fake.journal.last()
    assert entry is not None
    assert entry.route is None
    assert "/dock/segment" in entry.near_miss


def test_clear_all_or_one_tenant(fake: FakePlanhat, client: FlaskClient) -> None:
    fake.add_tenant(OTHER_TENANT)
    post_segment(client, fake.tenant_token, identify("u1", messageId="m-1"))
    post_segment(client, OTHER_TENANT, identify("u2", messageId="m-2"))
    cleared = client.delete(f"/_fake/journal?tenant={OTHER_TENANT}")
    assert cleared.get_json() == {"cleared": f"fp:{fingerprint(OTHER_TENANT)}"}
    assert [e.message_id for e in fake.journal.query()] == ["m-1"]
    assert client.delete("/_fake/journal").get_json() == {"cleared": "all"}
    assert client.get("/_fake/journal").get_json()["entries"] == []


def test_the_control_plane_is_not_journaled(fake: FakePlanhat, client: FlaskClient) -> None:
    client.get("/_fake/health")
    client.get("/_fake/journal")
    assert len(fake.journal) == 0


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("status=ok", "status must be a whole number"),
        ("limit=0", "limit must be >= 1"),
        ("since=-3", "since must be >= 0"),
        ("message_id=m-1", "unknown query parameter 'message_id'"),
    ],
)
def test_bad_journal_queries_are_400(client: FlaskClient, query: str, words: str) -> None:
    answer = client.get(f"/_fake/journal?{query}")
    assert answer.status_code == 400
    assert words in plain_error(answer)


def test_clearing_an_unknown_tenant_is_404(client: FlaskClient) -> None:
    answer = client.delete("/_fake/journal?tenant=nobody")
    assert answer.status_code == 404
    assert "no tenant with that token" in plain_error(answer)


def test_a_basic_header_without_its_colon_is_journaled_as_malformed(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    """W-2: base64(token) without ':' names the same token as the right header; the journal
    must still tell the two apart, without showing the token."""
    raw = base64.b64encode(fake.tenant_token.encode()).decode()
    client.post(
        "/dock/segment", json={"type": "identify"}, headers={"Authorization": f"Basic {raw}"}
    )
    shown = fake.journal.query()[-1].headers["Authorization"]
    assert shown == f"Basic fp:{fingerprint(fake.tenant_token)} (malformed)"
    assert fake.tenant_token not in shown


def test_the_journal_is_bounded_in_bytes_too() -> None:
    """Big bodies (5,000-item bulks) would make an entry bound alone hold gigabytes."""
    planhat = FakePlanhat(journal_size=1000, journal_max_bytes=10_000)
    with planhat.app.test_client() as client:
        for n in range(20):
            post_segment(
                client, planhat.tenant_token, identify(f"u{n}", traits={"bio": "x" * 1000})
            )
    assert planhat.journal.kept_bytes <= 10_000
    assert 1 <= len(planhat.journal) < 20
    assert planhat.journal.dropped == 20 - len(planhat.journal)
    assert planhat.journal.last() is not None
    assert '"u19"' in planhat.journal.query()[-1].body  # the newest stay


def test_tokens_in_query_strings_and_other_headers_are_never_journaled_whole(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    client.get(
        f"/endusers?token={fake.api_token}",
        headers={"Authorization": f"Bearer {fake.api_token}", "X-Api-Key": fake.tenant_token},
    )
    entry = json.dumps(fake.journal.query()[-1].to_json())
    assert fake.api_token not in entry
    assert fake.tenant_token not in entry
    assert f"fp:{fingerprint(fake.api_token)}" in entry
