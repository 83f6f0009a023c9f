"""Tests of the control plane, fault rules, rate limit, clock and journal (issue 3).

Helpers shared by these tests live here: Segment messages posted through the test client, and a
bare WSGI call that shows the environ a transport sees after the app returns.
"""

from __future__ import annotations

import base64
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder, TestResponse

from fake_planhat import FakePlanhat
from fake_planhat.faults import CUT_ENVIRON_KEY


def basic(token: str) -> str:
    """``Basic base64(token + ":")``, as rule W-2 requires."""
    return "Basic " + base64.b64encode(f"{token}:".encode()).decode()


def post_segment(
    client: FlaskClient, tenant_token: str, message: dict[str, Any], **headers: str
) -> TestResponse:
    return client.post(
        "/dock/segment",
        json=message,
        headers={"Authorization": basic(tenant_token), **headers},
    )


def identify(user_id: str, email: str | None = None, **extra: Any) -> dict[str, Any]:
    traits: dict[str, Any] = {"email": email} if email else {}
    traits.update(extra.pop("traits", {}))
    return {"type": "identify", "userId": user_id, "traits": traits, **extra}


def plain_error(response: TestResponse) -> str:
    """The control plane's plain-words error: exactly ``{"error": "<words>"}``."""
    body = response.get_json()
    assert isinstance(body, dict), response.data
    assert set(body) == {"error"}, body
    assert isinstance(body["error"], str), body
    assert body["error"].strip(), body
    return body["error"]


def call_wsgi(
    fake: FakePlanhat,
    method: str,
    path: str,
    *,
    json: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, str | None]:
    """Call the WSGI app as a server would; return the status and the connection-cut flag the
    transports read from the environ after the call."""
    environ = EnvironBuilder(method=method, path=path, json=json, headers=headers).get_environ()
    statuses: list[int] = []

    def start_response(status: str, _headers: Any, _exc_info: Any = None) -> Any:
        statuses.append(int(status.split()[0]))
        return lambda _data: None

    answer = fake.app(environ, start_response)
    try:
        b"".join(answer)
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()
    return statuses[0], environ.get(CUT_ENVIRON_KEY)
