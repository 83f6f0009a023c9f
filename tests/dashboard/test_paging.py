"""The dashboard pages everything it shows and never renders a whole tenant (issue 15): a big
tenant renders in bounded time and HTML, every collection of ``tenant.collections()`` has its
own paged tab, and journal bodies are clipped."""

from __future__ import annotations

import re
import time

import pytest
from flask.testing import FlaskClient

from fake_planhat import FakePlanhat
from fake_planhat.api.dashboard import MAX_CHOICES, PAGE_SIZE, PER_ROW, SHOWN_CHARS
from fake_planhat.journal import Entry

CONTACTS = 3000
POINTS = 20_000
MAX_HTML = 1_500_000  # bytes of one rendered page, whatever the tenant's size


@pytest.fixture(scope="module")
def big() -> FakePlanhat:
    """A tenant with thousands of contacts, a company with 20,000 metric data points, and a
    contact with hundreds of activities."""
    fake = FakePlanhat(seed=1)
    tenant = fake.tenant()
    with tenant.lock:
        acme = tenant.create_company({"name": "Acme", "externalId": "acme"})
        for i in range(CONTACTS):
            tenant.create_contact(
                {"name": f"Person {i}", "email": f"p{i}@acme.test", "companyId": acme["_id"]}
            )
        first = next(iter(tenant.contacts))
        for i in range(500):
            tenant.activities.insert(
                tenant.new_doc({"contactId": first["_id"], "action": f"act-{i}"})
            )
        for i in range(POINTS):
            tenant.metrics.insert(
                tenant.new_doc({"companyId": acme["_id"], "dimensionId": "seats", "value": i})
            )
    return fake


def rendered(client: FlaskClient, url: str) -> tuple[str, float]:
    started = time.monotonic()
    answer = client.get(url)
    elapsed = time.monotonic() - started
    assert answer.status_code == 200, answer.data[:300]
    return answer.get_data(as_text=True), elapsed


@pytest.mark.parametrize("url", ["/_fake/ui", "/_fake/ui/live"])
def test_a_big_tenant_renders_one_bounded_page(big: FakePlanhat, url: str) -> None:
    client = big.app.test_client()
    html, elapsed = rendered(client, url)
    assert len(html.encode()) < MAX_HTML
    assert elapsed < 5.0
    assert len(re.findall(r'<tr id="contact-', html)) == PAGE_SIZE
    assert f"1–{PAGE_SIZE} of {CONTACTS}" in html
    assert f"the newest {PER_ROW} of 500" in html  # the first contact's activities
    assert f"the newest {PER_ROW} of {POINTS}" in html  # the company's data points


def test_the_next_page_shows_the_next_contacts(big: FakePlanhat) -> None:
    client = big.app.test_client()
    html, _ = rendered(client, "/_fake/ui")
    link = re.search(r'href="([^"]*contactsPage=2[^"]*)" rel="next"', html)
    assert link is not None
    second, _ = rendered(client, link.group(1).replace("&amp;", "&"))
    assert f"{PAGE_SIZE + 1}–{2 * PAGE_SIZE} of {CONTACTS}" in second
    assert "Person 50<" in second or "Person 50" in second
    assert "Person 0<" not in second


def test_every_collection_has_a_paged_tab(big: FakePlanhat) -> None:
    client = big.app.test_client()
    html, _ = rendered(client, "/_fake/ui")
    for name, collection in big.tenant().collections().items():
        assert re.search(rf">{name} <span class=\"count\">{len(collection)}</span>", html), name
    metrics, _ = rendered(client, "/_fake/ui?object=metrics&objectPage=3#objects")
    rows = re.findall(r'<tr id="object-', metrics)
    assert len(rows) == PAGE_SIZE
    assert f"{2 * PAGE_SIZE + 1}–{3 * PAGE_SIZE} of {POINTS}" in metrics


def test_a_page_beyond_the_last_is_empty_not_an_error(big: FakePlanhat) -> None:
    html, _ = rendered(big.app.test_client(), "/_fake/ui?contactsPage=999999")
    assert '<tr id="contact-' not in html


def test_many_companies_give_an_id_field_not_a_huge_list() -> None:
    fake = FakePlanhat()
    tenant = fake.tenant()
    with tenant.lock:
        for i in range(MAX_CHOICES + 5):
            tenant.create_company({"name": f"Co {i}"})
    client = fake.app.test_client()
    client.post(
        "/dock/segment",
        json={"type": "identify", "userId": "dan", "traits": {"email": "dan@x.test"}},
        headers={"Authorization": "Basic " + _b64(fake.tenant_token + ":")},
    )
    html, _ = rendered(client, "/_fake/ui")
    assert "<option value=" not in html.split('id="part-unassigned"')[1].split("</div>")[0]
    assert 'name="company" required size="26"' in html


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


def test_journal_bodies_are_clipped_on_the_page() -> None:
    fake = FakePlanhat()
    client = fake.app.test_client()
    big_body = '{"x": "' + "y" * 200_000 + '"}'
    client.post(
        "/dock/segment",
        data=big_body,
        content_type="application/json",
        headers={"Authorization": "Basic " + _b64(fake.tenant_token + ":")},
    )
    html, _ = rendered(client, "/_fake/ui")
    assert "y" * SHOWN_CHARS not in html
    assert "characters in all" in html


def test_decided_rules_of_an_outcome_are_shown() -> None:
    fake = FakePlanhat()
    fake.journal.record(
        Entry(
            seq=fake.journal.next_seq(),
            time="2026-01-01T00:00:00.000Z",
            method="POST",
            host="localhost",
            path="/dock/segment",
            query="",
            route="dock.segment",
            headers={},
            body="{}",
            body_truncated=False,
            status=200,
            answer="{}",
            outcome={"status": "applied", "effects": [], "decided": ["D-3", "D-7"]},
        )
    )
    html, _ = rendered(fake.app.test_client(), "/_fake/ui")
    assert "decided behaviour" in html
    assert "<code>D-3</code>, <code>D-7</code>" in html
