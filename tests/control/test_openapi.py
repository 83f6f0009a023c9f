"""``fake_planhat/control-openapi.yaml`` is a valid OpenAPI 3.1 document, describes exactly the
control plane's routes, and every answer the control plane gives matches its documented
schema."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from werkzeug.test import TestResponse

from fake_planhat import FakePlanhat

from . import identify, post_segment

METHODS = ("get", "put", "post", "delete", "patch")
NEW_TENANT = "00000000-0000-4000-8000-0000000000bb"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    text = resources.files("fake_planhat").joinpath("control-openapi.yaml").read_text("utf-8")
    document: dict[str, Any] = yaml.safe_load(text)
    return document


def flask_to_openapi(rule: str) -> str:
    """``/_fake/unassigned/<contact_id>/assign`` -> ``/_fake/unassigned/{contact_id}/assign``"""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_every_control_route_is_documented_and_nothing_else(
    spec: dict[str, Any], fake: FakePlanhat
) -> None:
    served = {
        (flask_to_openapi(rule.rule), method.lower())
        for rule in fake.app.url_map.iter_rules()
        if rule.rule.startswith("/_fake")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    }
    assert served == documented


class Checker:
    """Calls the control plane and validates each answer against the documented schema."""

    def __init__(self, spec: dict[str, Any], client: FlaskClient) -> None:
        self.spec = spec
        self.client = client
        self.seen: set[tuple[str, str, str]] = set()

    def __call__(
        self,
        method: str,
        template: str,
        *,
        expect: int,
        path_args: dict[str, str] | None = None,
        query: str = "",
        **kwargs: Any,
    ) -> Any:
        url = template.format(**(path_args or {})) + (f"?{query}" if query else "")
        answer: TestResponse = self.client.open(url, method=method.upper(), **kwargs)
        assert answer.status_code == expect, answer.data
        operation = self.spec["paths"][template][method]
        documented = operation["responses"]
        assert str(answer.status_code) in documented, f"{method} {template} {answer.status_code}"
        content = documented[str(answer.status_code)]
        if "$ref" in content:
            content = self.resolve(content["$ref"])
        schema = content["content"]["application/json"]["schema"]
        body = answer.get_json()
        jsonschema.validate(
            body,
            {"components": self.spec["components"], "allOf": [schema]},
            cls=jsonschema.Draft202012Validator,
        )
        self.seen.add((template, method, str(answer.status_code)))
        return body

    def resolve(self, ref: str) -> Any:
        node: Any = self.spec
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def operations(self) -> Iterator[tuple[str, str, str]]:
        """Every documented (path, method, success status) of the JSON API (the dashboard's
        HTML answers under /_fake/ui are checked in tests/dashboard)."""
        for path, item in self.spec["paths"].items():
            if path == "/_fake/ui" or path.startswith("/_fake/ui/"):
                continue
            for method, operation in item.items():
                if method in METHODS:
                    for status in operation["responses"]:
                        if status.startswith("2"):
                            yield path, method, status


def test_every_answer_matches_its_documented_schema(
    spec: dict[str, Any], fake: FakePlanhat, client: FlaskClient
) -> None:
    call = Checker(spec, client)
    call("get", "/_fake/health", expect=200)
    call("get", "/_fake/routes", expect=200)
    call("get", "/_fake/clock", expect=200)
    call("post", "/_fake/clock/freeze", expect=200, json={"at": "2026-02-01T00:00:00Z"})
    call("post", "/_fake/clock/advance", expect=200, json={"seconds": 5})
    call(
        "post",
        "/_fake/tenants",
        expect=201,
        json={"tenantToken": NEW_TENANT, "apiToken": "bb-token"},
    )
    call("post", "/_fake/tenants", expect=409, json={"tenantToken": NEW_TENANT})
    call(
        "post",
        "/_fake/seed",
        expect=200,
        json={
            "tenants": {
                NEW_TENANT: {
                    "companies": [{"name": "Acme", "externalId": "acme"}],
                    "endusers": [{"email": "a@acme.test", "companyExternalId": "acme"}],
                    "metrics": [{"dimensionId": "seats", "value": 3}],
                }
            }
        },
    )
    call("post", "/_fake/seed", expect=400, json={"tenants": {NEW_TENANT: {"x": 1}}})
    call("get", "/_fake/settings", expect=200, query=f"tenant={NEW_TENANT}")
    call("put", "/_fake/settings", expect=200, json={"unassigned": "keep"})
    call("put", "/_fake/settings", expect=404, query="tenant=nobody", json={})
    call("put", "/_fake/settings", expect=200, json={"group": "upsert", "region": "api-eu"})
    call("put", "/_fake/settings", expect=400, json={"page": "sometimes"})
    call("get", "/_fake/regions", expect=200)
    call("put", "/_fake/settings", expect=200, json={"region": "api"})

    post_segment(client, fake.tenant_token, {"type": "group", "groupId": "g1", "userId": "u0"})
    post_segment(client, fake.tenant_token, identify("u1", "one@example.com", messageId="m-1"))
    post_segment(client, fake.tenant_token, identify("u2", "two@example.com"))
    post_segment(client, fake.tenant_token, {"type": "track", "userId": "u1", "event": "Seen"})
    client.post("/dock/segment", json={})  # a 401 with a near miss
    waiting = call("get", "/_fake/unassigned", expect=200)["unassigned"]
    first, second = (c["_id"] for c in waiting)
    call("get", "/_fake/state", expect=200)
    call("get", "/_fake/state", expect=404, query="tenant=nobody")
    call(
        "post",
        "/_fake/unassigned/{contact_id}/assign",
        expect=200,
        path_args={"contact_id": first},
        json={"company": "extid-g1"},
    )
    call(
        "post",
        "/_fake/unassigned/{contact_id}/discard",
        expect=200,
        path_args={"contact_id": second},
    )
    call(
        "post",
        "/_fake/unassigned/{contact_id}/discard",
        expect=404,
        path_args={"contact_id": second},
    )

    call("post", "/_fake/faults", expect=201, json={"path": "/dock/*", "status": 503})
    call("post", "/_fake/faults", expect=400, json={"status": 1})
    post_segment(client, fake.tenant_token, identify("u3"))
    call("get", "/_fake/faults", expect=200)
    page = call("get", "/_fake/journal", expect=200)
    assert {e["status"] for e in page["entries"]} >= {200, 401, 503}
    call("get", "/_fake/journal", expect=400, query="limit=x")
    call("delete", "/_fake/journal", expect=200, query=f"tenant={NEW_TENANT}")
    call("delete", "/_fake/journal", expect=200)
    call("delete", "/_fake/faults", expect=200)

    call("get", "/_fake/rate-limit", expect=200)
    call("put", "/_fake/rate-limit", expect=200, json={"burst": 10})
    call("put", "/_fake/rate-limit", expect=400, json={"burst": 0})
    call("delete", "/_fake/rate-limit", expect=200)
    call("post", "/_fake/clock/unfreeze", expect=200)
    call("post", "/_fake/reset", expect=200, json={"tenant": NEW_TENANT})
    call("post", "/_fake/reset", expect=200)

    untested = set(call.operations()) - call.seen
    assert not untested, f"documented answers never checked: {sorted(untested)}"


def test_admin_errors_match_their_schema(spec: dict[str, Any]) -> None:
    fake = FakePlanhat(admin_token="s3cret")
    fake.app.config["FAKE_PLANHAT_BIND_HOST"] = "0.0.0.0"
    call = Checker(spec, fake.app.test_client())
    call("get", "/_fake/state", expect=401)
    fake.admin_token = None
    call("get", "/_fake/state", expect=403)
    call("get", "/_fake/health", expect=200)
