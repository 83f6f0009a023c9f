"""Public Planhat clients, unchanged, against the fake through every door.

* pyplanhat (httpx): ``PyPlanhat`` / ``AsyncPyPlanhat`` with their default URL in-process, or
  ``base_url=`` the socket server's URL.
* robocorp-planhat (requests, package ``planhat``): its default URLs in-process; it has no
  base-URL option, so over the socket its session's ``_api_host`` / ``_analytics_host`` are set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import planhat
import pytest
from planhat import types
from pyplanhat import (
    AsyncPyPlanhat,
    Company,
    Conversation,
    EndUser,
    InvalidRequestError,
    PyPlanhat,
)

from fake_planhat import FakePlanhat
from tests.robustness.routes import OBJECT_BY_NAME, PARTY_A


@pytest.fixture
def fake() -> FakePlanhat:
    return FakePlanhat(seed=0)


@pytest.fixture(params=["in-process", "socket"])
def base_url(request: pytest.FixtureRequest, fake: FakePlanhat) -> Iterator[str | None]:
    """None when the clients keep their real Planhat URLs (intercepted), else the server's."""
    if request.param == "in-process":
        with fake.intercept():
            yield None
    else:
        with fake.serve() as server:
            yield server.url


def hosts(fake: FakePlanhat) -> set[str]:
    return {e.host for e in fake.journal.query()}


# --- pyplanhat ---------------------------------------------------------------------------------


def test_pyplanhat_company_lifecycle(fake: FakePlanhat, base_url: str | None) -> None:
    with PyPlanhat(api_key=fake.api_token, base_url=base_url) as client:
        created = client.companies.create(Company(name="Acme", external_id="acme"))
        assert created.id
        assert client.companies.get(created.id).name == "Acme"
        assert [c.id for c in client.companies.list()] == [created.id]
        updated = client.companies.update(created.id, Company(name="Acme Inc", phase="onboarding"))
        assert (updated.name, updated.phase, updated.external_id) == (
            "Acme Inc",
            "onboarding",
            "acme",
        )
        client.companies.delete(created.id)
        with pytest.raises(InvalidRequestError) as missing:
            client.companies.get(created.id)
    assert missing.value.status_code == 404
    assert fake.companies() == []
    if base_url is None:
        assert hosts(fake) == {"api.planhat.com"}


def test_pyplanhat_enduser_lifecycle(fake: FakePlanhat, base_url: str | None) -> None:
    with PyPlanhat(api_key=fake.api_token, base_url=base_url) as client:
        company = client.companies.create(Company(name="Acme"))
        created = client.endusers.create(
            EndUser(
                company_id=company.id,
                email="ann@acme.test",
                external_id="u1",
                first_name="Ann",
                last_name="Lee",
            )
        )
        fetched = client.endusers.get(created.id)
        assert (fetched.email, fetched.company_id, fetched.name) == (
            "ann@acme.test",
            company.id,
            "Ann Lee",
        )
        assert [u.id for u in client.endusers.list()] == [created.id]
        updated = client.endusers.update(created.id, EndUser(position="CFO"))
        assert (updated.position, updated.email) == ("CFO", "ann@acme.test")
        client.endusers.delete(created.id)
        with pytest.raises(InvalidRequestError):
            client.endusers.get(created.id)
    assert fake.endusers() == []


def test_async_pyplanhat_company_and_enduser(fake: FakePlanhat, base_url: str | None) -> None:
    async def run() -> tuple[str, str, list[str]]:
        async with AsyncPyPlanhat(api_key=fake.api_token, base_url=base_url) as client:
            company = await client.companies.create(Company(name="Async Co"))
            enduser = await client.endusers.create(
                EndUser(company_id=company.id, email="a@async.test")
            )
            listed = [u.email or "" for u in await client.endusers.list()]
            await client.endusers.delete(enduser.id)
            await client.companies.delete(company.id)
            return company.name, enduser.company_id or "", listed

    name, company_id, listed = asyncio.run(run())
    assert name == "Async Co"
    assert company_id
    assert listed == ["a@async.test"]
    assert fake.companies() == []


# --- robocorp-planhat --------------------------------------------------------------------------


def robocorp(fake: FakePlanhat, base_url: str | None) -> planhat.Planhat:
    client = planhat.Planhat(
        api_key=fake.api_token, tenant_uuid=fake.tenant_token, use_caching=False
    )
    if base_url is not None:
        client.session._api_host = base_url
        client.session._analytics_host = base_url
    return client


def test_robocorp_company_lifecycle(fake: FakePlanhat, base_url: str | None) -> None:
    client = robocorp(fake, base_url)
    created = client.create_object(types.Company({"name": "Beta", "externalId": "beta"}))
    assert created.id
    by_id = client.get_object_by_id(types.Company, created.id)
    by_external_id = client.get_object_by_id(types.Company, "beta", types.PlanhatIdType.EXTERNAL_ID)
    assert by_id.id == by_external_id.id == created.id
    assert [c.id for c in client.get_objects(types.Company)] == [created.id]
    assert [c["name"] for c in client.list_all_companies()] == ["Beta"]
    updated = client.update_object(types.Company({"_id": created.id, "name": "Beta 2"}))
    assert (updated["name"], updated.external_id) == ("Beta 2", "beta")
    upserted = client.update_objects(
        types.Company.from_list([{"externalId": "beta", "phase": "live"}, {"name": "Gamma"}])
    )
    assert isinstance(upserted, dict)
    assert (upserted["created"], upserted["updated"]) == (1, 1)
    assert client.delete_planhat_object(created).status_code == 200
    with pytest.raises(planhat.PlanhatNotFoundError):
        client.get_object_by_id(types.Company, created.id)
    assert [c["name"] for c in fake.companies()] == ["Gamma"]


def test_robocorp_enduser_lifecycle(fake: FakePlanhat, base_url: str | None) -> None:
    client = robocorp(fake, base_url)
    company = client.create_object(types.Company({"name": "Beta"}))
    created = client.create_object(
        types.Enduser({"companyId": company.id, "email": "bo@beta.test", "externalId": "u2"})
    )
    assert client.get_object_by_id(types.Enduser, created.id)["email"] == "bo@beta.test"
    listed = client.get_objects(types.Enduser, company_ids=[company.id])
    assert [u.id for u in listed] == [created.id]
    updated = client.update_object(types.Enduser({"_id": created.id, "position": "CTO"}))
    assert updated["position"] == "CTO"
    assert client.delete_planhat_object(created).status_code == 200
    with pytest.raises(planhat.PlanhatNotFoundError):
        client.get_object_by_id(types.Enduser, created.id)


def test_robocorp_activities_reach_the_contact(fake: FakePlanhat, base_url: str | None) -> None:
    client = robocorp(fake, base_url)
    company = client.create_object(types.Company({"name": "Beta", "externalId": "beta"}))
    client.create_object(
        types.Enduser({"companyId": company.id, "email": "bo@beta.test", "externalId": "u2"})
    )
    one = {"email": "bo@beta.test", "action": "Logged in", "companyExternalId": "beta"}
    assert client.session.create_analytics(one).status_code == 200
    many = [{"externalId": "u2", "action": "Clicked"}, {"externalId": "u2", "action": "Left"}]
    assert client.session.create_bulk_activities(many).status_code == 200
    assert [a["action"] for a in fake.activities()] == ["Logged in", "Clicked", "Left"]
    if base_url is None:
        assert hosts(fake) == {"api.planhat.com", "analytics.planhat.com"}


# --- every other object (issue 12) ---------------------------------------------------------------


def test_pyplanhat_conversation_lifecycle(fake: FakePlanhat, base_url: str | None) -> None:
    with PyPlanhat(api_key=fake.api_token, base_url=base_url) as client:
        company = client.companies.create(Company(name="Acme"))
        created = client.conversations.create(
            Conversation(company_id=company.id, subject="Kick-off", external_id="c1")
        )
        assert created.id
        assert client.conversations.get(created.id).subject == "Kick-off"
        assert [c.id for c in client.conversations.list()] == [created.id]
        updated = client.conversations.update(created.id, Conversation(subject="Renewal"))
        assert (updated.subject, updated.external_id) == ("Renewal", "c1")
        client.conversations.delete(created.id)
        with pytest.raises(InvalidRequestError):
            client.conversations.get(created.id)
    assert fake.dump()["conversations"] == []


# robocorp-planhat's type for each object (it has no Time Entry)
ROBOCORP_TYPES: dict[str, type[types.PlanhatObject]] = {
    "assets": types.Asset,
    "campaigns": types.Campaign,
    "churn": types.Churn,
    "conversations": types.Conversation,
    "customfields": types.CustomField,
    "invoices": types.Invoice,
    "issues": types.Issue,
    "licenses": types.License,
    "nps": types.NPS,
    "objectives": types.Objective,
    "opportunities": types.Opportunity,
    "projects": types.Project,
    "sales": types.Sale,
    "tasks": types.Task,
    "tickets": types.Ticket,
    "users": types.User,
    "workspaces": types.Workspace,
}


@pytest.mark.parametrize("name", sorted(ROBOCORP_TYPES))
def test_robocorp_every_object_lifecycle(
    name: str, fake: FakePlanhat, base_url: str | None
) -> None:
    """Create, read by _id and externalId, list (by company), update, bulk upsert, delete:
    whatever the object has (customfields: no bulk; tickets: bulk, list and delete only)."""
    kind = ROBOCORP_TYPES[name]
    spec = OBJECT_BY_NAME[name]
    client = robocorp(fake, base_url)
    company = client.create_object(types.Company({"name": "Acme", "externalId": "acme-a"}))
    body = spec.record(PARTY_A)
    if spec.owned:
        body["companyId"] = company.id
    if "create" in spec.operations:
        created = client.create_object(kind(body))
    else:
        answer = client.update_objects(kind.from_list([body]))
        assert isinstance(answer, dict)
        assert answer["created"] == 1
        created = kind({"_id": answer["upsertedIds"][0], **body})
    assert created.id
    if "read" in spec.operations:
        by_external = client.get_object_by_id(
            kind, body["externalId"], types.PlanhatIdType.EXTERNAL_ID
        )
        assert by_external.id == client.get_object_by_id(kind, created.id).id == created.id
    listed = client.get_objects(kind, company_ids=[company.id] if spec.owned else None)
    assert [o.id for o in listed] == [created.id]
    if "update" in spec.operations:
        updated = client.update_object(kind({"_id": created.id, "custom": {"seen": True}}))
        assert updated["custom"] == {"n": 1, "seen": True}
    if "bulk" in spec.operations:
        upserted = client.update_objects(
            kind.from_list([{"externalId": body["externalId"], "custom": {"bulk": 1}}])
        )
        assert isinstance(upserted, dict)
        assert (upserted["created"], upserted["updated"]) == (0, 1)
    assert client.delete_planhat_object(created).status_code == 200
    assert fake.dump()[name] == []
    if base_url is None:
        assert hosts(fake) == {"api.planhat.com"}
