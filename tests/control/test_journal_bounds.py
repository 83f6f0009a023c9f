"""The journal's byte bound counts everything an entry keeps, and answers stay proportional to
requests (issue 15): big headers, long outcomes and amplifying answers cannot grow memory past
the documented ceiling (docs/security.md)."""

from __future__ import annotations

import json
from typing import Any

from fake_planhat import FakePlanhat
from fake_planhat.journal import Entry, Journal, entry_size

from . import identify, post_segment

MIB = 1024 * 1024


def strings_in(value: Any) -> int:
    """Characters of every string in a JSON value, keys included: what an entry holds."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(len(str(k)) + strings_in(v) for k, v in value.items())
    if isinstance(value, list):
        return sum(strings_in(v) for v in value)
    return 0


def held(journal: Journal) -> int:
    return sum(strings_in(e.to_json()) for e in journal.query())


def test_big_headers_count_against_the_byte_bound() -> None:
    fake = FakePlanhat()
    fake.journal.max_bytes = MIB // 2
    client = fake.app.test_client()
    for i in range(100):
        post_segment(
            client,
            fake.tenant_token,
            identify(f"u{i}", messageId=f"m-{i}"),
            **{"X-Padding": "p" * 200_000},
        )
    assert held(fake.journal) <= fake.journal.max_bytes
    assert fake.journal.kept_bytes <= fake.journal.max_bytes
    assert fake.journal.dropped > 0


def test_a_kept_header_is_clipped() -> None:
    fake = FakePlanhat()
    client = fake.app.test_client()
    post_segment(client, fake.tenant_token, identify("u"), **{"X-Padding": "p" * 200_000})
    entry = fake.journal.last()
    assert entry is not None
    assert len(entry.headers["X-Padding"]) < 20_000
    assert "200000 characters" in entry.headers["X-Padding"]


def test_a_long_outcome_is_clipped_and_counted() -> None:
    fake = FakePlanhat()
    client = fake.app.test_client()
    body = json.dumps([{}] * 20_000)
    answer = client.post(
        f"/dimensiondata/{fake.tenant_token}", data=body, content_type="application/json"
    )
    assert answer.status_code == 200
    entry = fake.journal.last()
    assert entry is not None
    assert entry.outcome is not None
    effects = entry.outcome["effects"]
    assert len(effects) <= 101
    assert "more" in effects[-1]
    assert entry_size(entry) >= strings_in(entry.to_json())


def test_an_answer_stays_proportional_to_its_request() -> None:
    """2 MB of rejected data points answered 66 MB (33 times) before."""
    fake = FakePlanhat()
    client = fake.app.test_client()
    body = json.dumps([{}] * 100_000)
    answer = client.post(
        f"/dimensiondata/{fake.tenant_token}", data=body, content_type="application/json"
    )
    assert answer.status_code == 200
    assert len(answer.data) <= 2 * len(body)
    shown = answer.get_json()
    assert shown["processed"] == 0
    assert shown["errorsTotal"] == 100_000


def test_entry_size_counts_every_field() -> None:
    entry = Entry(
        seq=1,
        time="t",
        method="GET",
        host="h" * 10,
        path="/p" * 10,
        query="q" * 10,
        route=None,
        headers={"A": "b" * 100},
        body="x" * 1000,
        body_truncated=False,
        status=200,
        answer="y" * 1000,
        outcome={"effects": ["z" * 500]},
        contacts=["c" * 24],
        near_miss=["n" * 50],
    )
    assert entry_size(entry) >= strings_in(entry.to_json())
