"""The OpenAPI document of the REST objects: valid, complete against the routes the app serves,
and true of the fake's answers (issue 12)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from fake_planhat import FakePlanhat
from fake_planhat.planhat._openapi import openapi_document
from fake_planhat.planhat.docs import OPENAPI_FILE, openapi_text
from tests.robustness.routes import OBJECTS, PARTY_A

DOC = openapi_document()
NOT_OBJECTS = ("/dock/", "/analytics/", "/dimensiondata", "/static")


def test_openapi_document_is_valid() -> None:
    validate(DOC)  # type: ignore[arg-type]


def test_openapi_file_in_the_package_is_current() -> None:
    assert OPENAPI_FILE.read_text(encoding="utf-8") == openapi_text(), (
        "run: python -m fake_planhat.planhat.docs"
    )


def test_openapi_document_covers_exactly_the_object_routes(fake: FakePlanhat) -> None:
    served = {
        (method.lower(), rule.rule.replace("<path:key>", "{key}"))
        for rule in fake.app.url_map.iter_rules()
        if not rule.rule.startswith("/_fake") and not rule.rule.startswith(NOT_OBJECTS)
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {(m, p) for p, ops in DOC["paths"].items() for m in ops}
    assert documented == served


def schema(path: str, method: str, status: str) -> dict[str, Any]:
    answer = DOC["paths"][path][method]["responses"][status]
    return answer["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: o.name)
def test_openapi_schemas_describe_the_fake_answers(
    obj: Any, fake: FakePlanhat, client: FlaskClient, rest_auth: dict[str, str]
) -> None:
    fake.tenant().create_company({"name": "Acme", "externalId": PARTY_A.company_ext})
    base = f"/{obj.name}"
    body = obj.record(PARTY_A)
    if "create" in obj.operations:
        made = client.post(base, json=body, headers=rest_auth)
        jsonschema.validate(made.get_json(), schema(base, "post", "200"))
        jsonschema.validate(
            made.get_json(),
            DOC["paths"][base]["post"]["requestBody"]["content"]["application/json"]["schema"]
            | {"required": []},
        )
    if "bulk" in obj.operations:  # the second repeats the third's keys: a 206
        first = [] if "create" in obj.operations else [body]
        items = [*first, obj.record(PARTY_A, "-2"), obj.record(PARTY_A, "-2")]
        bulk = client.put(base, json=items, headers=rest_auth)
        assert bulk.status_code == 206
        jsonschema.validate(bulk.get_json(), schema(base, "put", "206"))
    listed = client.get(base, headers=rest_auth)
    jsonschema.validate(listed.get_json(), schema(base, "get", "200"))
    missing = client.delete(f"{base}/extid-nobody", headers=rest_auth)
    jsonschema.validate(missing.get_json(), schema(f"{base}/{{key}}", "delete", "404"))
    gone = client.delete(f"{base}/{obj.key(PARTY_A)}", headers=rest_auth)
    jsonschema.validate(gone.get_json(), schema(f"{base}/{{key}}", "delete", "200"))
