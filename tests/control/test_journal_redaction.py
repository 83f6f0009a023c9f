"""Tokens never reach the journal or the dashboard whole (issue 15): short ones, percent-encoded
ones in query strings, ones in bodies, and ones an error answer echoes."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from fake_planhat import FakePlanhat
from fake_planhat.auth import fingerprint

from . import basic

SHORT_TENANT = "tn7"  # shorter than 8 characters
SHORT_API = "ak4"
ODD_API = "key/with+odd=chars&more"  # changes when percent-encoded


@pytest.fixture
def fake() -> FakePlanhat:
    planhat = FakePlanhat(tenant_token=SHORT_TENANT, api_token=SHORT_API)
    planhat.add_tenant("t" * 36, ODD_API)
    return planhat


def journal_text(fake: FakePlanhat) -> str:
    return json.dumps([e.to_json() for e in fake.journal.query()])


def dashboard_text(fake: FakePlanhat) -> str:
    """The journal as the dashboard shows it (stored documents are the tenant's data: shown as
    sent)."""
    client = fake.app.test_client()
    pages = [client.get("/_fake/ui"), client.get(f"/_fake/ui?tenant=fp:{fingerprint('t' * 36)}")]
    assert all(p.status_code == 200 for p in pages)
    return "".join(p.get_data(as_text=True).split('id="part-journal"')[1] for p in pages)


def leaks(text: str, token: str) -> bool:
    """Whether ``token`` (or its percent-encoding) appears as a whole word."""
    import re

    return any(
        re.search(rf"(?<![A-Za-z0-9]){re.escape(form)}(?![A-Za-z0-9])", text)
        for form in {token, quote(token, safe="")}
    )


def test_short_tokens_are_redacted_in_queries_headers_and_bodies(fake: FakePlanhat) -> None:
    client = fake.app.test_client()
    client.post(
        f"/analytics/{SHORT_TENANT}?copy={SHORT_TENANT}",
        json={"action": "a", "email": "x@y.test", "note": f"token {SHORT_API} here"},
        headers={"X-Api-Key": SHORT_API},
    )
    client.get(f"/endusers?api={SHORT_API}", headers={"Authorization": f"Bearer {SHORT_API}"})
    for text in (journal_text(fake), dashboard_text(fake)):
        assert not leaks(text, SHORT_TENANT)
        assert not leaks(text, SHORT_API)
    assert f"fp:{fingerprint(SHORT_API)}" in journal_text(fake)


def test_percent_encoded_tokens_in_query_strings_are_redacted(fake: FakePlanhat) -> None:
    client = fake.app.test_client()
    client.get(
        f"/endusers?key={quote(ODD_API, safe='')}",
        headers={"Authorization": f"Bearer {ODD_API}"},
    )
    text = journal_text(fake)
    assert quote(ODD_API, safe="") not in text
    assert ODD_API not in text


def test_tokens_in_bodies_are_redacted(fake: FakePlanhat) -> None:
    client = fake.app.test_client()
    client.post(
        "/dock/segment",
        json={"type": "identify", "userId": "u", "traits": {"leak": ODD_API, "t": "t" * 36}},
        headers={"Authorization": basic("t" * 36)},
    )
    for text in (journal_text(fake), dashboard_text(fake)):
        assert ODD_API not in text
        assert "t" * 36 not in text


def test_tokens_echoed_in_error_answers_are_redacted(fake: FakePlanhat) -> None:
    client = fake.app.test_client()
    answer = client.get(
        f"/endusers?limit={quote(ODD_API, safe='')}",
        headers={"Authorization": f"Bearer {ODD_API}"},
    )
    assert answer.status_code == 400
    assert ODD_API in answer.get_data(as_text=True)  # the caller sees what it sent
    entry = fake.journal.last()
    assert entry is not None
    assert ODD_API not in entry.answer
    assert f"fp:{fingerprint(ODD_API)}" in entry.answer
