"""The fake's clock over ``/_fake/clock``: documents are dated by it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from fake_planhat import FakePlanhat
from fake_planhat.clock import parse_instant

from . import identify, plain_error, post_segment

FROZEN_AT = "2026-01-15T10:00:00.000Z"  # the conftest's frozen clock


def test_read_the_clock(client: FlaskClient) -> None:
    assert client.get("/_fake/clock").get_json() == {"now": FROZEN_AT, "frozen": True}


def test_P5_contacts_are_dated_by_a_frozen_clock(fake: FakePlanhat, client: FlaskClient) -> None:
    frozen = client.post("/_fake/clock/freeze", json={"at": "2025-03-01T08:30:00+02:00"})
    assert frozen.get_json() == {"now": "2025-03-01T06:30:00.000Z", "frozen": True}
    post_segment(client, fake.tenant_token, identify("u1", "a@example.com"))
    (contact,) = fake.unassigned()
    assert contact["createDate"] == "2025-03-01T06:30:00.000Z"


def test_advance_moves_time_and_later_writes_see_it(fake: FakePlanhat, client: FlaskClient) -> None:
    post_segment(client, fake.tenant_token, identify("u1", "a@example.com"))
    moved = client.post("/_fake/clock/advance", json={"seconds": 90.5})
    assert moved.get_json() == {"now": "2026-01-15T10:01:30.500Z", "frozen": True}
    post_segment(client, fake.tenant_token, identify("u1", traits={"title": "CTO"}))
    (contact,) = fake.unassigned()
    assert contact["createDate"] == FROZEN_AT
    assert contact["updatedAt"] == "2026-01-15T10:01:30.500Z"


def test_freeze_without_an_instant_keeps_the_frozen_time(client: FlaskClient) -> None:
    assert client.post("/_fake/clock/freeze").get_json()["now"] == FROZEN_AT


def test_unfreeze_returns_to_wall_time(client: FlaskClient) -> None:
    before = datetime.now(UTC) - timedelta(seconds=1)
    answer = client.post("/_fake/clock/unfreeze").get_json()
    assert answer["frozen"] is False
    assert before <= parse_instant(answer["now"]) <= datetime.now(UTC) + timedelta(seconds=1)
    frozen_now = client.post("/_fake/clock/freeze").get_json()
    assert frozen_now["frozen"] is True


@pytest.mark.parametrize(
    ("path", "body", "words"),
    [
        ("/_fake/clock/freeze", {"at": "yesterday"}, "at must be an ISO-8601 instant"),
        ("/_fake/clock/freeze", {"at": 5}, "at must be a non-empty string"),
        ("/_fake/clock/freeze", {"when": FROZEN_AT}, "unknown key 'when'"),
        ("/_fake/clock/advance", {"seconds": -1}, "time only moves forward"),
        ("/_fake/clock/advance", {"seconds": "10"}, "seconds is required"),
        ("/_fake/clock/advance", {"seconds": True}, "seconds is required"),
        ("/_fake/clock/advance", {}, "seconds is required"),
        ("/_fake/clock/advance", {"seconds": 1e300}, "seconds is required"),
        ("/_fake/clock/advance", None, "send a JSON object"),
    ],
)
def test_bad_clock_requests_are_400_and_change_nothing(
    client: FlaskClient, path: str, body: Any, words: str
) -> None:
    answer = client.post(path, json=body) if body is not None else client.post(path)
    assert answer.status_code == 400
    assert words in plain_error(answer)
    assert client.get("/_fake/clock").get_json() == {"now": FROZEN_AT, "frozen": True}


def test_nan_is_not_json(client: FlaskClient) -> None:
    answer = client.post(
        "/_fake/clock/advance", data='{"seconds": NaN}', content_type="application/json"
    )
    assert answer.status_code == 400
    assert "NaN is not valid JSON" in plain_error(answer)


def test_advancing_past_year_9999_is_refused(client: FlaskClient) -> None:
    client.post("/_fake/clock/freeze", json={"at": "9999-12-31T00:00:00Z"})
    answer = client.post("/_fake/clock/advance", json={"seconds": 86400 * 2})
    assert answer.status_code == 400
    assert "past year 9999" in plain_error(answer)
