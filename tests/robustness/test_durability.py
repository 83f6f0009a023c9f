"""The state file (``--state FILE``, ``FakePlanhat(state_file=...)``): nothing acknowledged is
lost, nothing half-written is kept.

In-process tests write through one fake and open the file again with a new one; the SIGKILL test
runs ``fake-planhat serve --state`` under load, kills it, restarts it and checks every write it
acknowledged, and that each request's writes are all there or all absent.
"""

from __future__ import annotations

import base64
import itertools
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient

from fake_planhat import DEFAULT_API_TOKEN, DEFAULT_TENANT_TOKEN, FakePlanhat
from fake_planhat.cli import _open_fake, build_parser
from fake_planhat.persistence import StateFileError

FROZEN_AT = "2026-01-15T10:00:00.000Z"
OTHER_TENANT, OTHER_API = "tenant-two", "api-two"


def basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def open_fake(path: Path, **options: Any) -> FakePlanhat:
    # The scenarios make companies with group calls: P-7's upsert reading (a tenant setting).
    options.setdefault("group", "upsert")
    fake = FakePlanhat(state_file=path, seed=0, **options)
    fake.clock.freeze(FROZEN_AT)
    return fake


def all_dumps(fake: FakePlanhat) -> dict[str, Any]:
    return {tenant.token: tenant.dump() for tenant in fake.store.tenants()}


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state.sqlite"


def write_everything(fake: FakePlanhat, client: FlaskClient) -> None:
    """Writes through every door that changes state: intake, REST, tracking, control plane."""
    intake = basic(fake.tenant_token)
    rest = bearer(fake.api_token)
    acme = {"email": "ann@acme.test", "companyId": "acme"}
    messages = [
        {"type": "group", "groupId": "acme", "userId": "u1", "traits": {"name": "Acme", "n": 3}},
        {"type": "identify", "userId": "u1", "traits": acme},
        {"type": "identify", "userId": "u2", "traits": {"email": "bo@x.test", "plan": "x"}},
        {"type": "identify", "userId": "u3", "traits": {"email": "cy@x.test"}},
        {"type": "identify", "userId": "u4", "traits": {"email": "di@x.test"}},
        {"type": "track", "userId": "u1", "event": "Signed Up", "properties": {"plan": "pro"}},
        {"type": "page", "userId": "u2", "name": "Home"},
        {"type": "group", "groupId": "acme", "traits": {"name": "Acme Inc"}},
    ]
    for message in messages:
        assert client.post("/dock/segment", json=message, headers=intake).status_code == 200
    bulk = [
        {"externalId": "b1", "companyId": "extid-acme", "name": "Bea", "custom": {"tier": 1}},
        {"externalId": "b2", "companyId": "extid-acme", "email": "b2@acme.test"},
    ]
    assert client.put("/endusers", json=bulk, headers=rest).status_code == 200
    companies = [{"name": "Globex", "externalId": "globex"}, {"name": "Doomed", "externalId": "d"}]
    assert client.put("/companies", json=companies, headers=rest).status_code == 200
    assert (
        client.put("/endusers/extid-b1", json={"lastName": "Lee"}, headers=rest).status_code == 200
    )
    assert client.delete("/companies/extid-d", headers=rest).status_code == 200
    analytics = {"action": "Logged In", "externalId": "b1"}
    assert client.post(f"/analytics/{fake.tenant_token}", json=analytics).status_code == 200
    points = [{"dimensionId": "mrr", "value": 42, "externalId": "globex"}]
    assert client.post(f"/dimensiondata/{fake.tenant_token}", json=points).status_code == 200
    # P-8: one unassigned contact assigned, one discarded, one left waiting
    waiting = {c["externalId"]: c["_id"] for c in fake.unassigned()}
    fake.assign(waiting["u3"], "extid-globex")
    fake.discard(waiting["u4"])
    # a second tenant with its own tokens and settings
    created = client.post(
        "/_fake/tenants",
        json={"tenantToken": OTHER_TENANT, "apiToken": OTHER_API, "readOnlyApiTokens": ["ro"]},
    )
    assert created.status_code == 201
    changed = client.put(f"/_fake/settings?tenant={OTHER_TENANT}", json={"unassigned": "discard"})
    assert changed.status_code == 200
    seed = {"tenants": {OTHER_TENANT: {"companies": [{"name": "Seeded", "externalId": "s"}]}}}
    assert client.post("/_fake/seed", json=seed).status_code == 200


def test_E1_a_restart_restores_every_tenant_exactly(state: Path) -> None:
    fake = open_fake(state)
    with fake.app.test_client() as client:
        write_everything(fake, client)
    before = all_dumps(fake)
    assert before[DEFAULT_TENANT_TOKEN]["unassigned"], "the scenario leaves a contact waiting"
    assert before[OTHER_TENANT]["settings"]["unassigned"] == "discard"
    fake.close()

    again = open_fake(state)
    assert all_dumps(again) == before
    assert again.persistence is not None
    assert again.persistence.restored.tenants == 2
    # the restored tokens answer, with their scopes
    with again.app.test_client() as client:
        assert client.get("/companies", headers=bearer(OTHER_API)).status_code == 200
        assert client.get("/companies", headers=bearer("ro")).status_code == 200
        refused = client.post("/companies", json={"name": "N"}, headers=bearer("ro"))
        assert refused.status_code == 403
        # a restored unassigned contact is still matched and assigned by a later group (P-7)
        group = {"type": "group", "groupId": "acme", "userId": "u2"}
        intake = basic(DEFAULT_TENANT_TOKEN)
        assert client.post("/dock/segment", json=group, headers=intake).status_code == 200
    assert again.unassigned() == []
    again.close()


def test_P4_the_oldest_contact_still_wins_after_a_restart(state: Path) -> None:
    """Creation order is kept, not _id order: the older contact has the larger _id here."""
    older, newer = "f" * 24, "0" * 23 + "1"
    fake = open_fake(state)
    fake.seed(
        {
            "tenants": {
                DEFAULT_TENANT_TOKEN: {
                    "companies": [{"name": "One", "externalId": "one"}],
                    "endusers": [
                        {"_id": older, "email": "same@x.test", "companyExternalId": "one"},
                        {"_id": newer, "email": "same@x.test", "companyExternalId": "one"},
                    ],
                }
            }
        }
    )
    with fake.app.test_client() as client:  # rewrite the older row: its order must not move
        rewrite = client.put(
            f"/endusers/{older}", json={"name": "O"}, headers=bearer(fake.api_token)
        )
        assert rewrite.status_code == 200
    fake.close()

    again = open_fake(state)
    identify = {"type": "identify", "userId": "u9", "traits": {"email": "same@x.test", "k": 1}}
    with again.app.test_client() as client:
        answer = client.post("/dock/segment", json=identify, headers=basic(again.tenant_token))
        assert answer.status_code == 200
    matched = {c["_id"]: c for c in again.endusers()}
    assert matched[older]["externalId"] == "u9"
    assert matched[older]["custom"] == {"k": 1}
    assert "externalId" not in matched[newer]
    again.close()


def test_a_lock_holders_writes_are_saved_all_or_none(state: Path) -> None:
    """Everything written under one hold of the tenant lock is one transaction: a change that
    cannot be saved takes the others of that hold with it, and says so."""
    fake = open_fake(state)
    tenant = fake.tenant()
    tenant.create_company({"name": "Kept"})

    def two_writes_one_unsavable() -> None:
        with tenant.lock:
            tenant.create_company({"name": "Lost"})
            tenant.create_company({"name": "Unsavable", "custom": {"when": object()}})

    with pytest.raises(StateFileError, match="not JSON"):
        two_writes_one_unsavable()
    fake.close()
    again = open_fake(state)
    assert [c["name"] for c in again.companies()] == ["Kept"]
    again.close()


def test_reset_and_a_restored_tenants_settings_reach_the_file(state: Path) -> None:
    fake = open_fake(state, unassigned="discard")
    fake.tenant().create_company({"name": "Gone"})
    fake.reset()
    fake.close()
    again = open_fake(state)  # no unassigned given: the file's setting stays
    assert again.companies() == []
    assert again.settings()["unassigned"] == "discard"
    again.close()
    explicit = open_fake(state, unassigned="keep")  # given: it wins, and is saved
    explicit.close()
    last = open_fake(state)
    assert last.settings()["unassigned"] == "keep"
    last.close()


def test_seeded_ids_do_not_repeat_after_a_restart(state: Path) -> None:
    fake = open_fake(state)
    first = fake.tenant().create_company({"name": "A"})["_id"]
    fake.close()
    again = open_fake(state)  # same seed, same frozen second: ids would repeat
    second = again.tenant().create_company({"name": "B"})["_id"]
    assert second != first
    assert [c["name"] for c in again.companies()] == ["A", "B"]
    again.close()


def test_a_file_in_use_is_refused(state: Path) -> None:
    fake = open_fake(state)
    with pytest.raises(StateFileError, match="another process"):
        open_fake(state)
    fake.close()
    open_fake(state).close()  # free again once closed


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"tenants": {}}', "not a fake-planhat state file"),
        (None, "not a fake-planhat state file"),  # an SQLite database of something else
    ],
)
def test_a_file_that_is_not_a_state_file_is_refused(
    state: Path, content: bytes | None, words: str
) -> None:
    if content is None:
        with sqlite3.connect(state) as other:
            other.execute("CREATE TABLE notes (text TEXT)")
        other.close()
    else:
        state.write_bytes(content)
    before = state.read_bytes()
    with pytest.raises(StateFileError, match=words):
        open_fake(state)
    assert state.read_bytes() == before


def test_the_file_is_readable_by_its_owner_only(state: Path) -> None:
    open_fake(state).close()
    assert state.stat().st_mode & 0o077 == 0


def test_seed_file_only_seeds_a_new_state_file(state: Path, tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"tenants": {DEFAULT_TENANT_TOKEN: {"companies": [{"name": "S"}]}}}))
    parser = build_parser()
    argv = ["serve", "--state", str(state), "--seed-file", str(seed)]
    for _ in range(2):  # the second start restores; seeding again would duplicate
        args = parser.parse_args(argv)
        fake = _open_fake(args.parser, args)
        assert [c["name"] for c in fake.companies()] == ["S"]
        fake.close()


# A child that writes a company, then a bulk upsert during whose transaction it SIGKILLs itself,
# once the third item's row is written but before COMMIT.
DIE_INSIDE_A_TRANSACTION = """
import os, signal, sys
from fake_planhat import FakePlanhat, persistence

commit = persistence.StateFile._transaction

def dying(self, work):
    def work_then_die(db):
        work(db)
        if db.execute("SELECT count(*) FROM documents WHERE body LIKE '%die-here%'").fetchone()[0]:
            os.kill(os.getpid(), signal.SIGKILL)
    commit(self, work_then_die)

persistence.StateFile._transaction = dying
fake = FakePlanhat(state_file=sys.argv[1])
rest = {"Authorization": "Bearer " + fake.api_token}
with fake.app.test_client() as client:
    company = {"name": "Acme", "externalId": "acme"}
    assert client.post("/companies", json=company, headers=rest).status_code == 200
    marks = ["ok", "ok", "die-here", "ok", "ok"]
    items = [
        {"externalId": f"b{j}", "companyId": "extid-acme", "custom": {"mark": mark}}
        for j, mark in enumerate(marks)
    ]
    client.put("/endusers", json=items, headers=rest)
"""


def test_a_kill_inside_a_transaction_leaves_none_of_it(state: Path) -> None:
    """A bulk upsert is one transaction: killed before its COMMIT, none of its items is kept
    (a transaction per item would have kept the first two)."""
    child = subprocess.run(
        [sys.executable, "-c", DIE_INSIDE_A_TRANSACTION, str(state)],
        capture_output=True,
        text=True,
        timeout=STARTUP,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    again = FakePlanhat(state_file=state)
    assert [c["name"] for c in again.companies()] == ["Acme"]
    assert again.endusers() == []
    again.close()


# --- SIGKILL under load ------------------------------------------------------------------------

THREADS = 4
LOAD_SECONDS = 1.5
BULK_SIZE = 5
STARTUP = 30.0
# The load makes its companies with group calls: P-7's upsert reading (a tenant setting).
SERVE = [sys.executable, "-m", "fake_planhat.cli", "serve", "--port", "0", "--group", "upsert"]


class Serve:
    """``fake-planhat serve --port 0 --state FILE`` as a child process."""

    def __init__(self, state: Path) -> None:
        self.process = subprocess.Popen(
            [*SERVE, "--state", str(state), "--journal-size", "50"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        assert self.url.startswith("http://"), self.process.communicate(timeout=STARTUP)
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        deadline = time.monotonic() + STARTUP
        while True:
            try:
                if httpx.get(f"{self.url}/_fake/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server never became healthy"
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=STARTUP)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def serve(state: Path) -> Iterator[type[Serve]]:
    started: list[Serve] = []

    class Tracked(Serve):
        def __init__(self, path: Path) -> None:
            super().__init__(path)
            started.append(self)

    yield Tracked
    for server in started:
        server.kill()


@dataclass
class Sent:
    """One request of the load: what it should leave behind, and whether it was answered 2xx
    (``acked``), refused, or unanswered because the server died (``None``)."""

    kind: str
    key: str  # user key, company key, or "t-i" for a track / bulk
    body: Any
    acked: bool | None = None


@dataclass
class Load:
    """Every request sent, and the kill: once ``armed``, the first thread to get a 2xx (to a
    request of kind ``kill_on``, when given) kills the server at once, so the write acknowledged
    last is one the server has just answered."""

    kill: Callable[[], None]
    kill_on: str | None = None
    sent: list[Sent] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    armed: threading.Event = field(default_factory=threading.Event)
    killed_after: Sent | None = None
    killed: threading.Event = field(default_factory=threading.Event)

    def record(self, item: Sent) -> None:
        with self.lock:
            self.sent.append(item)

    def acknowledged(self, item: Sent) -> None:
        if not self.armed.is_set() or self.kill_on not in (None, item.kind):
            return
        with self.lock:
            if self.killed_after is None:
                self.kill()
                self.killed_after = item
                self.killed.set()


def load_of(index: int, i: int) -> list[Sent]:
    """Step ``i`` of thread ``index``: a new company, a contact on it, an unassigned contact, an
    activity, and a bulk of endusers on the company."""
    company, user, waiting = f"c-{index}-{i}", f"u-{index}-{i}", f"w-{index}-{i}"
    on_company = {"email": f"{user}@x.test", "companyId": company, "step": i}
    bulk = [
        {"externalId": f"b-{index}-{i}-{j}", "companyId": f"extid-{company}", "custom": {"j": j}}
        for j in range(BULK_SIZE)
    ]
    return [
        Sent("group", company, {"type": "group", "groupId": company, "traits": {"name": f"C{i}"}}),
        Sent("identify", user, {"type": "identify", "userId": user, "traits": on_company}),
        Sent(
            "unassigned",
            waiting,
            # a domain of its own: no company's, so no email-domain guess assigns it (P-5)
            {
                "type": "identify",
                "userId": waiting,
                "traits": {"email": f"{waiting}@{waiting}.test"},
            },
        ),
        Sent(
            "track",
            f"{index}-{i}",
            {"type": "track", "userId": user, "event": "Load", "properties": {"t": index, "i": i}},
        ),
        Sent("bulk", f"{index}-{i}", bulk),
    ]


def send_load(url: str, index: int, load: Load) -> None:
    """One thread's requests, each a new user and company (so each thread's own order is the
    only order that matters): group, identify on it, identify unassigned, track, bulk."""
    intake = basic(DEFAULT_TENANT_TOKEN)
    rest = bearer(DEFAULT_API_TOKEN)
    with httpx.Client(base_url=url, timeout=10) as client:
        for i in itertools.count():
            for item in load_of(index, i):
                if load.killed.is_set():
                    return
                load.record(item)
                try:
                    if item.kind == "bulk":
                        response = client.put("/endusers", json=item.body, headers=rest)
                    else:
                        response = client.post("/dock/segment", json=item.body, headers=intake)
                except httpx.TransportError:
                    return  # the server is gone: this request's fate is unknown
                item.acked = response.is_success
                if item.acked:
                    load.acknowledged(item)


def check_after_kill(dump: dict[str, Any], load: Load) -> list[str]:
    """Every acknowledged write is there; each request's writes are all there or all absent."""
    problems: list[str] = []
    companies = {c["externalId"]: c for c in dump["companies"]}
    contacts = {c["externalId"]: c for c in dump["endusers"]}
    waiting = {c["externalId"]: c for c in dump["unassigned"]}
    tracks = Counter(f"{a['info']['t']}-{a['info']['i']}" for a in dump["activities"])
    for item in load.sent:
        if item.kind == "group":
            present = item.key in companies
            if present and companies[item.key]["name"] != item.body["traits"]["name"]:
                problems.append(f"company {item.key} has the wrong name")
        elif item.kind == "identify":
            present = item.key in contacts
            if present:
                contact = contacts[item.key]
                company = companies.get(item.body["traits"]["companyId"])
                if company is None or contact["companyId"] != company["_id"]:
                    problems.append(f"contact {item.key} is not on its company")
                if (contact["email"], contact["custom"].get("step")) != (
                    item.body["traits"]["email"],
                    item.body["traits"]["step"],
                ):
                    problems.append(f"contact {item.key} lacks its fields: {contact}")
        elif item.kind == "unassigned":
            present = item.key in waiting
        elif item.kind == "track":
            present = tracks[item.key] == 1
            if tracks[item.key] > 1:
                problems.append(f"track {item.key} stored {tracks[item.key]} times")
        else:
            held = [body["externalId"] in contacts for body in item.body]
            if any(held) and not all(held):
                problems.append(f"bulk {item.key} half applied: {held}")
            present = all(held)
        if item.acked and not present:
            problems.append(f"acknowledged {item.kind} {item.key} was lost")
    # nothing dangling: every enduser's company exists (the company is written first)
    company_ids = {c["_id"] for c in dump["companies"]}
    problems += [
        f"contact {c['externalId']} points at a missing company"
        for c in dump["endusers"]
        if c["companyId"] not in company_ids
    ]
    return problems


def run_until_killed(server: Serve, load: Load, threads: range) -> None:
    """Send the load of threads numbered ``threads`` until the kill; then reap the server."""
    senders = [threading.Thread(target=send_load, args=(server.url, i, load)) for i in threads]
    for sender in senders:
        sender.start()
    if not load.armed.is_set():
        time.sleep(LOAD_SECONDS)
        load.armed.set()
    assert load.killed.wait(STARTUP)
    for sender in senders:
        sender.join(STARTUP)
    server.kill()
    refused = [s for s in load.sent if s.acked is False]
    assert not refused, f"requests answered with an error: {refused[:3]}"
    assert load.killed_after is not None
    assert load.killed_after.acked  # so the checks cover the write answered last


def test_E1_E2_sigkill_under_load_loses_no_acknowledged_write(
    serve: type[Serve], state: Path
) -> None:
    """Two kills. Under load from four threads, with requests in flight: acknowledged writes
    stay, unanswered ones are all there or all absent. Then with one client, right after a bulk
    upsert is answered: nothing may lag behind the answer."""
    first = serve(state)
    created = httpx.post(
        f"{first.url}/_fake/tenants", json={"tenantToken": OTHER_TENANT, "apiToken": OTHER_API}
    )
    assert created.status_code == 201
    assert httpx.put(
        f"{first.url}/companies", json=[{"name": "Other"}], headers=bearer(OTHER_API)
    ).is_success
    under_load = Load(kill=lambda: first.process.send_signal(signal.SIGKILL))
    run_until_killed(first, under_load, range(THREADS))
    acked = sum(1 for s in under_load.sent if s.acked)
    assert acked >= 20, f"only {acked} requests were acknowledged before the kill"

    second = serve(state)
    dump = httpx.get(f"{second.url}/_fake/state").json()
    assert check_after_kill(dump, under_load) == []
    # the second tenant, its API token and its data came back too
    other = httpx.get(f"{second.url}/companies", headers=bearer(OTHER_API))
    assert [c["name"] for c in other.json()] == ["Other"]

    quiet = Load(kill=lambda: second.process.send_signal(signal.SIGKILL), kill_on="bulk")
    quiet.armed.set()
    run_until_killed(second, quiet, range(THREADS, THREADS + 1))  # own keys
    third = serve(state)
    dump = httpx.get(f"{third.url}/_fake/state").json()
    assert check_after_kill(dump, under_load) == []
    assert check_after_kill(dump, quiet) == []
    per_key = Counter((c["externalId"], c["companyId"]) for c in dump["endusers"])
    assert max(per_key.values()) == 1  # E-2
    other = httpx.get(f"{third.url}/companies", headers=bearer(OTHER_API))
    assert [c["name"] for c in other.json()] == ["Other"]
    unanswered = sum(1 for s in under_load.sent if s.acked is None)
    print(
        f"SIGKILL under load: {len(under_load.sent)} sent, {acked} acknowledged, "
        f"{unanswered} unanswered; then {len(quiet.sent)} sent one by one, killed after the bulk"
    )
