"""R-1 … R-6, stateful: every REST object of the fake against the independent model in
``tests/api/rest_model.py`` (fakeredis-style). Each rule makes one request to the fake and the
same write on the model; after every step each object's records must be equal (by their sent
fields, in creation order). Pools are small, so keys collide and repeat often: bulk upserts
mix ``_id``, ``sourceId`` and ``externalId`` (endusers also ``email``), repeat keys within one
request and name unknown ``_id``s."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from fake_planhat import FakePlanhat
from tests.api.rest_model import KINDS, Outcome, RestModel

NAMES = sorted(KINDS)
EXTERNAL = st.sampled_from([None, "e1", "e2", "e3", 7, "7"])  # 7 and "7" are one key
SOURCE = st.sampled_from([None, "s1", "s2"])
EMAILS = st.sampled_from([None, "ann@gmail.com", " ANN@gmail.com", "bob@gmail.com"])
UNKNOWN_ID = "5f00000000000000000000ff"
LIST_MAX = {"companies": 5000, "nps": 10_000, "tasks": 10_000, "tickets": 10_000, "users": 10_000}


class RestMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.fake = FakePlanhat(seed=0)
        self.fake.clock.freeze("2026-01-15T10:00:00.000Z")
        self.client: FlaskClient = self.fake.app.test_client()
        self.auth = {"Authorization": f"Bearer {self.fake.api_token}"}
        self.model = RestModel()

    # --- what to send -------------------------------------------------------------------------

    def _company_ref(self, data: st.DataObject) -> str | None:
        companies = self.model.records["companies"]
        choices: list[str | None] = [None, "extid-no-such-company"]
        for company in companies[:3]:
            choices.append(company["_id"])
            if company.get("externalId") is not None:
                choices.append(f"extid-{company['externalId']}")
        return data.draw(st.sampled_from(choices), label="companyId")

    def _fields(self, name: str, data: st.DataObject, *, full: bool) -> dict[str, Any]:
        kind = KINDS[name]
        body: dict[str, Any] = {"custom": {"v": data.draw(st.integers(0, 2), label="v")}}
        for key, strategy in (("externalId", EXTERNAL), ("sourceId", SOURCE)):
            value = data.draw(strategy, label=key)
            if value is not None:
                body[key] = value
        if name == "endusers":
            email = data.draw(EMAILS, label="email")
            if email is not None:
                body["email"] = email
        if kind.owned:
            ref = self._company_ref(data)
            if ref is not None:
                body["companyId"] = ref
        if full and data.draw(st.integers(0, 5), label="required") > 0:
            body.update(kind.required)
        return body

    def _key(self, name: str, data: st.DataObject) -> str:
        records = self.model.records[name]
        choices = [UNKNOWN_ID, "extid-none"]
        for record in records[:4]:
            choices.append(record["_id"])
            if record.get("externalId") is not None:
                choices.append(f"extid-{record['externalId']}")
            if record.get("sourceId") is not None:
                choices.append(f"srcid-{record['sourceId']}")
        return data.draw(st.sampled_from(choices), label="key")

    # --- rules --------------------------------------------------------------------------------

    @rule(name=st.sampled_from(NAMES), data=st.data())
    def create(self, name: str, data: st.DataObject) -> None:
        if "create" not in KINDS[name].operations:
            return
        body = self._fields(name, data, full=True)
        expected = self.model.create(name, body)
        response = self.client.post(f"/{name}", json=body, headers=self.auth)
        assert response.status_code == expected.status, (body, response.get_json())
        if expected.status == 200:
            self.model.adopt(name, expected.new[0], response.get_json()["_id"])

    @rule(name=st.sampled_from(NAMES), data=st.data())
    def update(self, name: str, data: st.DataObject) -> None:
        if "update" not in KINDS[name].operations:
            return
        key = self._key(name, data)
        body = self._fields(name, data, full=False)
        expected = self.model.update(name, key, body)
        response = self.client.put(f"/{name}/{key}", json=body, headers=self.auth)
        assert response.status_code == expected.status, (key, body, response.get_json())

    @rule(name=st.sampled_from(NAMES), data=st.data())
    def delete(self, name: str, data: st.DataObject) -> None:
        key = self._key(name, data)
        expected = self.model.delete(name, key)
        response = self.client.delete(f"/{name}/{key}", headers=self.auth)
        assert response.status_code == expected.status, (key, response.get_json())
        if expected.status == 200:
            assert response.get_json() == {"n": 1, "ok": 1, "deletedCount": 1}

    @rule(name=st.sampled_from(NAMES), data=st.data(), size=st.integers(1, 5))
    def bulk(self, name: str, data: st.DataObject, size: int) -> None:
        if "bulk" not in KINDS[name].operations:
            return
        items = []
        for _ in range(size):
            item = self._fields(name, data, full=data.draw(st.booleans(), label="full"))
            if data.draw(st.integers(0, 3), label="by _id") == 0:
                item["_id"] = self._key(name, data).removeprefix("extid-").removeprefix("srcid-")
            items.append(item)
        expected: Outcome = self.model.bulk(name, items)
        response = self.client.put(f"/{name}", json=items, headers=self.auth)
        body = response.get_json()
        assert response.status_code == expected.status, (items, body)
        failed = sorted(e["index"] for e in body["createdErrors"] + body["updatedErrors"])
        assert failed == expected.failed, (items, body)
        counts = (body["created"], body["updated"], body["nonupdates"])
        assert counts == (expected.created, expected.updated, expected.nonupdates), (items, body)
        self.model.settle(name, body["upsertedIds"])

    @rule(
        name=st.sampled_from(NAMES),
        limit=st.integers(0, 4),
        offset=st.integers(0, 3),
        data=st.data(),
    )
    def list_page(self, name: str, limit: int, offset: int, data: st.DataObject) -> None:
        company = self._company_ref(data) if KINDS[name].owned else None
        query = {"limit": str(limit), "offset": str(offset)}
        if company is not None:
            query["companyId"] = company
        response = self.client.get(f"/{name}", query_string=query, headers=self.auth)
        assert response.status_code == 200
        expected = self.model.listing(name, limit, offset, company, LIST_MAX.get(name, 2000))
        assert [d["_id"] for d in response.get_json()] == expected, query

    # --- the comparison -----------------------------------------------------------------------

    @invariant()
    def same_records(self) -> None:
        dump = self.fake.dump()
        for name in NAMES:
            shown = [
                {
                    k: d.get(k)
                    for k in ("_id", "externalId", "sourceId", "companyId", "custom", "status")
                }
                for d in dump[name]
            ]
            assert shown == self.model.view(name), name


TestRestObjects = RestMachine.TestCase
# steps per example: enough to build, collide and delete; examples come from the profile
TestRestObjects.settings = settings(TestRestObjects.settings, stateful_step_count=30)
