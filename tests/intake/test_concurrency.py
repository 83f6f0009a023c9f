"""E-2 under real concurrency: racing Segment messages over a threaded HTTP server.

Eight threads meet at a barrier and post at once to a real socket server (werkzeug, threaded);
whatever the interleaving, a user ends as exactly one contact. Each scenario runs several rounds
with fresh user ids so more than one interleaving is tried.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from werkzeug.serving import make_server

from fake_planhat import FakePlanhat

THREADS = 8
ROUNDS = 4

Message = dict[str, Any]


@pytest.fixture
def base_url(fake: FakePlanhat) -> Iterator[str]:
    """The fake behind a threaded socket server, shut down cleanly after the test."""
    server = make_server("127.0.0.1", 0, fake.app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-planhat-test"
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        assert not thread.is_alive(), "the test server did not stop"


@pytest.fixture
def clients(fake: FakePlanhat, base_url: str) -> Iterator[list[httpx.Client]]:
    """One HTTP client per thread, made up front (building one costs more than a request)."""
    token = base64.b64encode(f"{fake.tenant_token}:".encode()).decode()
    made = [
        httpx.Client(base_url=base_url, headers={"Authorization": f"Basic {token}"}, timeout=10)
        for _ in range(THREADS)
    ]
    yield made
    for client in made:
        client.close()


def race(clients: list[httpx.Client], messages: list[Message]) -> list[str]:
    """Post every message from its own thread, all released together; the intake results."""
    assert len(messages) == len(clients) == THREADS
    barrier = threading.Barrier(THREADS)

    def post(client: httpx.Client, message: Message) -> str:
        barrier.wait(timeout=10)
        answer = client.post("/dock/segment", json=message)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["result"])

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(post, clients, messages))


def contacts(fake: FakePlanhat) -> list[dict[str, Any]]:
    return [*fake.endusers(), *fake.unassigned()]


def the_contact_of(fake: FakePlanhat, user: str) -> dict[str, Any]:
    """The one contact whose externalId is ``user`` (E-2: never two, never none)."""
    found = [c for c in contacts(fake) if c.get("externalId") == user]
    assert len(found) == 1, f"{len(found)} contacts for user {user!r}: {found}"
    return found[0]


def identify_in_place(place: str, user: int, traits: dict[str, Any]) -> Message:
    """An identify naming ``user`` in one of P-1's places, as a number or as its digits."""
    if place == "traits.id":
        return {"type": "identify", "traits": {**traits, "id": user}}
    return {"type": "identify", place: user if place == "userId" else str(user), "traits": traits}


def test_E2_racing_identifies_for_a_new_user_create_one_contact(
    fake: FakePlanhat, clients: list[httpx.Client]
) -> None:
    places = ["userId", "user_id", "traits.id", "userId"]
    for n in range(ROUNDS):
        user = 1000 + n
        messages = [
            identify_in_place(places[i % len(places)], user, {f"t{i}": i}) for i in range(THREADS)
        ]
        assert race(clients, messages) == ["applied"] * THREADS
        contact = the_contact_of(fake, str(user))
        assert contact["custom"] == {"id": user, **{f"t{i}": i for i in range(THREADS)}}
    assert len(fake.unassigned()) == ROUNDS


def test_E2_racing_tracks_for_an_unknown_user_on_a_known_company(
    fake: FakePlanhat, clients: list[httpx.Client]
) -> None:
    fake.tenant().create_company({"name": "G1", "externalId": "g1"})  # from a CRM
    for n in range(ROUNDS):
        user = f"tracker-{n}"
        messages = [
            {
                "type": "track",
                "userId": user,
                "event": f"Event {i}",
                "context": {"groupId": "g1", "traits": {"email": f"{user}@x.io"}},
            }
            for i in range(THREADS)
        ]
        assert race(clients, messages) == ["applied"] * THREADS
        contact = the_contact_of(fake, user)
        assert contact["email"] == f"{user}@x.io"
        mine = [a for a in fake.activities() if a["contactId"] == contact["_id"]]
        assert sorted(a["action"] for a in mine) == sorted(f"Event {i}" for i in range(THREADS))
    assert len(fake.endusers()) == ROUNDS
    assert len(fake.activities()) == ROUNDS * THREADS


@pytest.mark.parametrize("company", [None, "g1"], ids=["unassigned", "on-company"])
def test_E2_racing_identify_by_email_and_by_user_id(
    fake: FakePlanhat, clients: list[httpx.Client], company: str | None
) -> None:
    fake.tenant().create_company({"name": "G1", "externalId": "g1"})  # from a CRM
    for n in range(ROUNDS):
        user, mailbox = f"mixed-{n}", f"mixed-{n}@x.io"
        spellings = [mailbox, mailbox.upper(), f" {mailbox} ", mailbox.title()]
        messages: list[Message] = []
        for i in range(THREADS):
            traits: dict[str, Any] = {"email": spellings[i % 4]}
            if company is not None:
                traits["companyId"] = company
            message: Message = {"type": "identify", "traits": traits}
            if i % 2:  # half by email alone, half by user key and email
                message["userId"] = user
            messages.append(message)
        assert race(clients, messages) == ["applied"] * THREADS
        mine = [c for c in contacts(fake) if c["email"].strip().lower() == mailbox]
        assert [c.get("externalId") for c in mine] == [user]
    assert len(contacts(fake)) == ROUNDS


def test_E2_racing_identify_track_and_group_for_one_user(
    fake: FakePlanhat, clients: list[httpx.Client]
) -> None:
    fake.tenant().create_company({"name": "G1", "externalId": "g1"})  # from a CRM
    for n in range(ROUNDS):
        user = f"all-{n}"
        kinds: list[Message] = [
            {"type": "identify", "userId": user, "traits": {"companyId": "g1"}},
            {"type": "identify", "traits": {"id": user, "company_id": "g1"}},
            {"type": "track", "userId": user, "event": "E", "context": {"groupId": "g1"}},
            {"type": "page", "userId": user, "name": "Home", "context": {"groupId": "g1"}},
            {"type": "group", "groupId": "g1", "userId": user, "traits": {"seats": 1}},
            {"type": "identify", "userId": user, "traits": {"title": "CEO", "companyId": "g1"}},
            {"type": "track", "userId": user, "event": "E", "context": {"groupId": "g1"}},
            {"type": "alias", "userId": user, "previousId": "anon"},
        ]
        results = race(clients, kinds)
        assert results == ["applied"] * (THREADS - 1) + ["ignored"]
        # Every message that can create the contact names g1, so whichever wins creates it there.
        contact = the_contact_of(fake, user)
        assert (contact["title"], contact["companyId"]) == ("CEO", fake.companies()[0]["_id"])
        mine = [a for a in fake.activities() if a["contactId"] == contact["_id"]]
        assert sorted(a["action"] for a in mine) == ["E", "E", "Viewed Home Page"]
    assert fake.unassigned() == []
