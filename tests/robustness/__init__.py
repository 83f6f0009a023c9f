"""Robustness tests (issue 7): bad input on every Planhat route, and tenants kept apart.

Shared here: :class:`World`, one fake holding two tenants seeded through the routes, which
restores itself between tests; :class:`Call`, one request given byte for byte; and the checks
every bad-input answer must pass (:func:`check_rejection`, :func:`check_tolerated`).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from fake_planhat import FakePlanhat
from tests.api.test_bulk import ANSWER_KEYS as BULK_ANSWER_ORDER  # the keys pinned there
from tests.robustness.routes import (
    OBJECTS,
    PARTY_A,
    PARTY_B,
    SHARED_COMPANY_EXT,
    SHARED_USER_EXT,
    Party,
    Route,
)

FROZEN_AT = "2026-01-15T10:00:00.000Z"
PLANHAT_ERROR_KEYS = {"status", "error", "message"}
BULK_ANSWER_KEYS = {"createdErrors", "updatedErrors", "created", "updated"}
# Every key of Planhat's bulk-upsert answer (a 400 for an all-failed bulk carries them too).
BULK_BODY_KEYS = frozenset(BULK_ANSWER_ORDER)


@dataclass(frozen=True)
class Call:
    """One request, given exactly: the path as sent (percent-encoded), raw headers and bytes."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    data: bytes | None = None
    query: str = ""


def json_call(
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: Any,
    query: Mapping[str, str] | None = None,
) -> Call:
    """A request with a JSON body (``Content-Type: application/json``), or none for None."""
    from urllib.parse import urlencode

    data = None if body is None else json.dumps(body).encode()
    all_headers = dict(headers)
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    return Call(method, path, all_headers, data, urlencode(query or {}))


def example_call(route: Route, party: Party) -> Call:
    """The route's valid example request for ``party``."""
    return json_call(
        route.method,
        route.path(party),
        route.headers(party),
        route.example(party),
        route.query(party),
    )


def _seed_requests(party: Party) -> list[Call]:
    """What a tenant holds, written through the routes: two companies (one with the shared
    externalId), two endusers, an activity by single and bulk post, a metric by dimensiondata
    and one by a group call, and an unassigned intake contact (rule P-8)."""
    rest, intake = party.rest(), party.intake()
    token = party.tenant_token
    return [
        json_call(
            "POST",
            "/companies",
            rest,
            {
                "name": f"{party.name.upper()} Corp",
                "externalId": party.company_ext,
                "sourceId": party.company_src,
                "custom": {"tier": "silver"},
            },
        ),
        json_call("POST", "/companies", rest, {"name": "Shared", "externalId": SHARED_COMPANY_EXT}),
        json_call(
            "POST",
            "/endusers",
            rest,
            {
                "email": party.user_email,
                "externalId": party.user_ext,
                "sourceId": party.user_src,
                "firstName": party.name.upper(),
                "lastName": "User",
                "companyId": f"extid-{party.company_ext}",
            },
        ),
        json_call(
            "POST",
            "/endusers",
            rest,
            {
                "email": f"shared@{party.name}.example",
                "externalId": SHARED_USER_EXT,
                "companyId": f"extid-{SHARED_COMPANY_EXT}",
            },
        ),
        json_call(
            "POST",
            f"/analytics/{token}",
            {},
            {"externalId": party.user_ext, "action": "Seeded", "info": {"n": 1}},
        ),
        json_call(
            "POST",
            f"/analytics/bulk/{token}",
            {},
            [{"email": party.user_email, "action": "Seeded in bulk"}],
        ),
        json_call(
            "POST",
            f"/dimensiondata/{token}",
            {},
            {"dimensionId": "seats", "value": 10, "externalId": party.company_ext},
        ),
        json_call(
            "POST",
            "/dock/segment",
            intake,
            {"type": "group", "groupId": party.company_ext, "traits": {"mrr": 99}},
        ),
        json_call(
            "POST",
            "/dock/segment",
            intake,
            {
                "type": "identify",
                "userId": party.lead_ext,
                "traits": {"email": f"lead@{party.name}-lead.example"},
            },
        ),
        # one record of every other object (tickets have no single create: a bulk of one)
        *(
            json_call("POST", f"/{obj.name}", rest, obj.record(party))
            if "create" in obj.operations
            else json_call("PUT", f"/{obj.name}", rest, [obj.record(party)])
            for obj in OBJECTS
        ),
    ]


class World:
    """One fake with two tenants (A, B) seeded through the routes, and a test client.

    Tests of bad input share one world: :meth:`restore` re-seeds it only when a test changed
    it, so the hundreds of cases cost a request each, not an app each.
    """

    def __init__(self, parties: Iterable[Party] = (PARTY_A, PARTY_B)) -> None:
        self.parties = tuple(parties)
        first = self.parties[0]
        self.fake = FakePlanhat(tenant_token=first.tenant_token, api_token=first.api_token, seed=0)
        self.fake.clock.freeze(FROZEN_AT)
        for party in self.parties:
            self.fake.add_tenant(
                party.tenant_token, party.api_token, read_only_api_tokens=(party.read_token,)
            )
        self.client: FlaskClient = self.fake.app.test_client()
        self.seeded: dict[str, Any] = {}
        self.reseed()

    def reseed(self) -> None:
        """Forget everything and seed each tenant again through the routes."""
        self.fake.reset()
        for party in self.parties:
            self._seed(party)
        self.seeded = self.snapshot()

    def reseed_party(self, party: Party) -> None:
        """Forget one tenant's data (and journal entries) and seed it again; the others keep
        theirs untouched."""
        self.fake.reset(party.tenant_token)
        seeded = self.seeded.get(party.name)
        if seeded is None:
            self._seed(party)
            self.seeded[party.name] = self.fake.dump(party.tenant_token)
            return
        # Performance: a tenant's dump is a valid seed, so restoring it costs one call instead
        # of a request per seeded document (every object's record made that dozens).
        self.fake.seed({"tenants": {party.tenant_token: copy.deepcopy(seeded)}})
        assert self.fake.dump(party.tenant_token) == seeded, "the seeded state did not round-trip"

    def _seed(self, party: Party) -> None:
        for call in _seed_requests(party):
            response = self.send(call)
            assert response.status_code == 200, (call, response.get_data(as_text=True))

    def restore(self) -> None:
        """Back to the freshly seeded state: each tenant a test changed is seeded again."""
        now = self.snapshot()
        for party in self.parties:
            if now[party.name] != self.seeded[party.name]:
                self.reseed_party(party)

    def snapshot(self) -> dict[str, Any]:
        """Every tenant's whole state (``fake.dump()``), keyed by tenant name."""
        return {p.name: self.fake.dump(p.tenant_token) for p in self.parties}

    def send(self, call: Call) -> TestResponse:
        return self.client.open(
            call.path,
            method=call.method,
            headers=dict(call.headers),
            data=call.data,
            query_string=call.query or None,
        )

    def doc(self, party: Party, collection: str, **match: Any) -> dict[str, Any]:
        """The one seeded document of ``party`` in ``collection`` with the given fields."""
        found: list[dict[str, Any]] = [
            d
            for d in self.seeded[party.name][collection]
            if all(d.get(k) == v for k, v in match.items())
        ]
        assert len(found) == 1, (party.name, collection, match, found)
        return found[0]


# --- what every answer to bad input must be ------------------------------------------------


def planhat_error(response: TestResponse, also: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The answer's body, checked to be Planhat's error shape for its status (plus the keys
    ``also`` allows beside it)."""
    assert response.mimetype == "application/json", response.headers
    body = response.get_json(silent=True)
    assert isinstance(body, dict), response.get_data()[:300]
    assert PLANHAT_ERROR_KEYS <= set(body) <= PLANHAT_ERROR_KEYS | {"nearMiss"} | also, body
    assert body["status"] == response.status_code, body
    assert isinstance(body["error"], str), body
    assert body["error"].strip(), body
    assert isinstance(body["message"], str), body
    assert body["message"].strip(), body
    return body


def bulk_reasons(response: TestResponse) -> str:
    """A bulk upsert whose every item failed: 400 with the bulk answer; its item errors."""
    body = response.get_json(silent=True)
    assert isinstance(body, dict), response.get_data()[:300]
    assert set(body) >= BULK_ANSWER_KEYS, body
    assert body["created"] == 0, body
    assert body["updated"] == 0, body
    failures = body["createdErrors"] + body["updatedErrors"]
    assert failures, body
    return " | ".join(str(f["error"]) for f in failures)


def item_reasons(response: TestResponse) -> str:
    """POST /dimensiondata with every item bad: 200, nothing processed, the reasons listed."""
    body = response.get_json(silent=True)
    assert isinstance(body, dict), response.get_data()[:300]
    assert body["processed"] == 0, body
    assert body["errors"], body
    return " | ".join(str(e["error"]) for e in body["errors"])


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def strict_json(response: TestResponse) -> Any:
    """The answer's body parsed as strict JSON (Python's json would take ``Infinity``)."""
    assert response.mimetype == "application/json", response.headers
    return json.loads(response.get_data(as_text=True), parse_constant=_no_constants)


def names(words: str, text: str) -> bool:
    """Whether ``text`` names ``words`` (case-insensitive; whole words for identifiers)."""
    if re.fullmatch(r"\w+", words):
        return re.search(rf"(?<![\w-]){re.escape(words)}(?![\w-])", text, re.IGNORECASE) is not None
    return words.casefold() in text.casefold()


def check_rejection(
    world: World,
    call: Call,
    *,
    status: int | tuple[int, ...],
    words: str | tuple[str, ...],
    route: Route | None = None,
) -> TestResponse:
    """Send ``call``; it must be answered with one of ``status`` in the right shape, the reason
    must name every one of ``words``, and no tenant's state may change."""
    statuses = (status,) if isinstance(status, int) else status
    wanted = (words,) if isinstance(words, str) else words
    before = world.snapshot()
    response = world.send(call)
    reason = _reason(response, route)
    assert response.status_code in statuses, (response.status_code, reason)
    for word in wanted:
        assert names(word, reason), f"{word!r} not named in {reason!r}"
    assert world.snapshot() == before, f"state changed by a rejected request: {reason}"
    return response


def _reason(response: TestResponse, route: Route | None) -> str:
    """The words of a rejection, whatever documented shape the route answers it in."""
    assert response.status_code < 500, response.get_data()[:500]
    if route is not None and route.rejection == "item-errors" and response.status_code == 200:
        return item_reasons(response)
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data()[:300])
    body = response.get_json(silent=True)
    if route is not None and route.rejection == "bulk-errors" and "createdErrors" in (body or {}):
        if response.status_code == 403:  # the bulk answer, its items under permissionErrors
            assert body["permissionErrors"], body
            return str(planhat_error(response, also=BULK_BODY_KEYS)["message"])
        assert response.status_code == 400, body
        planhat_error(response, also=BULK_BODY_KEYS)  # the error shape beside the bulk fields
        return bulk_reasons(response)
    return str(planhat_error(response)["message"])


def check_tolerated(world: World, call: Call, route: Route | None = None) -> TestResponse:
    """Send ``call``: accepting it as data is fine; rejecting it must be a clean 4xx (right
    shape, no state change); a 5xx never is."""
    before = world.snapshot()
    response = world.send(call)
    assert response.status_code < 500, response.get_data()[:500]
    strict_json(response)
    if response.status_code >= 400:
        _reason(response, route)
        assert world.snapshot() == before, "state changed by a rejected request"
    else:
        assert 200 <= response.status_code < 300, response.status_code
    return response
