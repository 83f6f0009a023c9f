"""Refusals for the weak spots of issue 15: public or blank tokens beyond loopback, tokens that
would reach another tenant, and object ids that told one tenant about another's writes."""

from __future__ import annotations

import pytest

from fake_planhat import DEFAULT_API_TOKEN, DEFAULT_TENANT_TOKEN, FakePlanhat
from fake_planhat.cli import main
from fake_planhat.ids import is_object_id
from fake_planhat.server import ServerThread

OWN = {"--tenant-token": "tenant-token-1234", "--api-token": "api-token-5678"}


@pytest.mark.parametrize(
    ("tokens", "words"),
    [
        ({**OWN, "--tenant-token": DEFAULT_TENANT_TOKEN}, "public default"),
        ({**OWN, "--api-token": DEFAULT_API_TOKEN}, "public default"),
        ({**OWN, "--admin-token": DEFAULT_API_TOKEN}, "public default"),
        ({**OWN, "--admin-token": "api-token-5678"}, "must all differ"),
        ({**OWN, "--admin-token": "tenant-token-1234"}, "must all differ"),
        ({**OWN, "--admin-token": "   "}, "is blank"),
        ({**OWN, "--api-token": " ", "--admin-token": "admin-token-9"}, "is blank"),
    ],
)
def test_beyond_loopback_weak_tokens_are_refused(
    tokens: dict[str, str],
    words: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def accepted(self: ServerThread) -> ServerThread:
        raise AssertionError("the weak tokens were accepted: the server would start")

    monkeypatch.setattr(ServerThread, "start", accepted)
    argv = ["serve", "--host", "0.0.0.0", "--port", "0"]
    for flag, value in {"--admin-token": "admin-token-9", **tokens}.items():
        argv += [flag, value]
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err


OTHER = "00000000-0000-4000-8000-0000000000b2"


@pytest.fixture
def fake() -> FakePlanhat:
    planhat = FakePlanhat(admin_token="admin-secret-1")
    planhat.add_tenant(OTHER, "other-api-token")
    return planhat


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"tenantToken": "other-api-token"}, "already an API token"),
        ({"tenantToken": DEFAULT_API_TOKEN}, "already an API token"),
        ({"tenantToken": "new-tenant-1", "apiToken": OTHER}, "already a tenant token"),
        ({"tenantToken": "new-tenant-1", "apiToken": "new-tenant-1"}, "must all differ"),
        (
            {"tenantToken": "new-tenant-1", "readOnlyApiTokens": [DEFAULT_TENANT_TOKEN]},
            "already a tenant token",
        ),
        ({"tenantToken": "admin-secret-1"}, "admin token"),
        ({"tenantToken": "new-tenant-1", "apiToken": "admin-secret-1"}, "admin token"),
    ],
)
def test_a_token_already_in_use_is_a_409(
    fake: FakePlanhat, body: dict[str, object], words: str
) -> None:
    client = fake.app.test_client()
    before = sorted(t.token for t in fake.store.tenants())
    answer = client.post("/_fake/tenants", json=body, headers={"X-Admin-Token": "admin-secret-1"})
    assert answer.status_code == 409, answer.data
    assert words in answer.get_json()["error"]
    assert sorted(t.token for t in fake.store.tenants()) == before
    assert "other-api-token" not in answer.get_data(as_text=True)


def test_object_ids_are_per_tenant() -> None:
    fake = FakePlanhat(seed=3)
    fake.add_tenant(OTHER, "other-api-token")
    mine, theirs = fake.tenant(), fake.tenant(OTHER)
    own_ids, other_ids = [], []
    for i in range(20):
        own_ids.append(mine.create_contact({"name": f"a{i}"})["_id"])
        other_ids.append(theirs.create_contact({"name": f"b{i}"})["_id"])
    assert all(is_object_id(i) for i in own_ids + other_ids)
    counters = [int(i[18:], 16) for i in own_ids]
    # another tenant's writes leave no gaps in this tenant's counter
    assert counters == list(range(counters[0], counters[0] + 20))
    assert {i[8:18] for i in own_ids} != {i[8:18] for i in other_ids}


def test_per_tenant_ids_stay_reproducible_with_a_seed() -> None:
    def ids() -> list[str]:
        fake = FakePlanhat(seed=7)
        fake.clock.freeze("2026-01-15T10:00:00.000Z")
        fake.add_tenant(OTHER, "other-api-token")
        return [fake.tenant(t).create_contact({})["_id"] for t in (None, OTHER, None)]

    assert ids() == ids()
