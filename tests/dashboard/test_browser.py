"""The dashboard in a real browser: Playwright driving Debian's Chromium at /usr/bin/chromium.

The fake listens on a real socket; Segment messages arrive through ``/dock/segment`` with httpx
and Basic auth, as a destination would send them. Skipped, with the reason, when Chromium or
the playwright package is missing (a browser is never downloaded). ``UPDATE_SCREENSHOTS=1``
rewrites docs/dashboard.png and docs/dashboard-unassigned.png from the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from fake_planhat import FakePlanhat
from tests.browser import DOCS, Tab, updating_screenshots

from . import HOSTILE, identify, story

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed (pip install playwright)"
)
expect = sync_api.expect
FROZEN_AT = "2026-01-15T10:00:00.000Z"
LIVE_WAIT_MS = 6000  # the page polls every 2 s


@dataclass
class Served:
    """A fake on a real socket, and a way to send it Segment messages."""

    fake: FakePlanhat
    url: str
    http: httpx.Client

    def segment(self, message: dict[str, Any]) -> None:
        answer = self.http.post(
            f"{self.url}/dock/segment", json=message, auth=(self.fake.tenant_token, "")
        )
        assert answer.status_code == 200, answer.text

    def enduser(self, email: str) -> dict[str, Any]:
        """The contact as Planhat's REST API shows it (``GET /endusers?email=``)."""
        answer = self.http.get(
            f"{self.url}/endusers",
            params={"email": email},
            headers={"Authorization": f"Bearer {self.fake.api_token}"},
        )
        assert answer.status_code == 200, answer.text
        (found,) = answer.json()
        assert isinstance(found, dict)
        return found


@contextmanager
def serving(fake: FakePlanhat) -> Iterator[Served]:
    fake.clock.freeze(FROZEN_AT)  # stable dates in the screenshots
    with fake.serve(port=0) as server, httpx.Client(timeout=10) as http:
        yield Served(fake, server.url, http)


@pytest.fixture
def served() -> Iterator[Served]:
    # the story's group calls make their companies: P-7's upsert reading (a tenant setting)
    with serving(FakePlanhat(seed=0, group="upsert")) as running:
        yield running


def screenshot(page: Any, name: str) -> None:
    if updating_screenshots():
        page.evaluate("window.scrollTo(0, 0)")  # a sticky header drawn mid-page otherwise
        page.screenshot(path=str(DOCS / name), full_page=True)


def test_P8_dashboard_shows_segment_data_and_assigns_through_the_button(
    served: Served, tab: Tab
) -> None:
    for message in story():
        served.segment(message)
    (ann,) = served.fake.endusers()
    (dan,) = served.fake.unassigned()
    (acme,) = served.fake.companies()
    page = tab.page
    page.goto(f"{served.url}/_fake/ui")

    contact = page.locator(f"#contact-{ann['_id']}")
    expect(contact).to_contain_text("Ann Lee")
    expect(contact).to_contain_text("Acme Inc")
    expect(contact).to_contain_text("Report Exported")
    identify_entry = page.locator("#entry-2")
    expect(identify_entry).to_contain_text("m-ann")
    expect(identify_entry).to_contain_text(f"created contact {ann['_id']} on company")
    waiting = page.locator(f"#unassigned-{dan['_id']}")
    expect(waiting).to_contain_text("dan@nowhere.test")
    screenshot(page, "dashboard-unassigned.png")

    waiting.get_by_label("Company").select_option(acme["_id"])
    waiting.get_by_role("button", name="Assign to company").click()
    page.wait_for_url(re.compile(r"/_fake/ui\?tenant=fp:[0-9a-f]{8}#unassigned$"))
    expect(page.locator("#part-unassigned")).to_contain_text("Nobody is waiting")
    expect(page.locator(f"#contact-{dan['_id']}")).to_contain_text("Acme Inc")

    assigned = served.enduser("dan@nowhere.test")
    assert assigned["companyId"] == acme["_id"]
    assert assigned["companyName"] == "Acme Inc"
    screenshot(page, "dashboard.png")
    tab.assert_clean()


def test_live_refresh_shows_new_requests_without_a_reload_and_pauses(
    served: Served, tab: Tab
) -> None:
    for message in story():
        served.segment(message)
    page = tab.page
    page.goto(f"{served.url}/_fake/ui")
    page.evaluate("window.__sameDocument = true")
    expect(page.locator("#live-controls")).to_be_visible()  # hidden without JavaScript
    folded = page.locator('details[data-key="j3.body"]')  # the track's long body
    folded.locator("summary").click()
    expect(folded).to_have_attribute("open", "")

    served.segment(identify("kim", "kim@acme.test", "m-kim", company="acme"))
    contacts = page.locator("#part-contacts")
    expect(contacts).to_contain_text("kim@acme.test", timeout=LIVE_WAIT_MS)
    expect(page.locator("#part-journal")).to_contain_text("m-kim")
    expect(page.locator("#live-status")).to_contain_text("updated")
    assert page.evaluate("window.__sameDocument") is True  # no reload
    expect(folded).to_have_attribute("open", "")  # the refresh kept it open

    toggle = page.locator("#live-toggle")
    toggle.click()
    expect(toggle).to_have_text("Resume live updates")
    expect(page.locator("#live-status")).to_have_text("paused")
    served.segment(identify("lou", "lou@acme.test", "m-lou", company="acme"))
    page.wait_for_timeout(3000)  # more than one poll period
    expect(contacts).not_to_contain_text("lou@acme.test")
    toggle.click()
    expect(contacts).to_contain_text("lou@acme.test", timeout=LIVE_WAIT_MS)
    assert page.evaluate("window.__sameDocument") is True
    tab.assert_clean()


def test_hostile_segment_data_never_runs_in_the_browser(served: Served, tab: Tab) -> None:
    served.segment(
        {"type": "group", "groupId": "evil", "userId": "eve", "traits": {"name": HOSTILE}}
    )
    served.segment(identify("eve", "eve@evil.test", "m-eve", company="evil", motto=HOSTILE))
    page = tab.page
    page.goto(f"{served.url}/_fake/ui")
    expect(page.locator("#part-contacts")).to_contain_text("<script>window.__pwned = 1;")
    # a live refresh swaps hostile text in too
    served.segment(identify("mal", "mal@evil.test", HOSTILE, company="evil", motto=HOSTILE))
    expect(page.locator("#part-contacts")).to_contain_text("mal@evil.test", timeout=LIVE_WAIT_MS)
    expect(page.locator("#part-journal")).to_contain_text("onerror=alert(2)")
    assert page.evaluate("window.__pwned") is None
    tab.assert_clean()


def test_admin_token_login_opens_the_dashboard(tab: Tab) -> None:
    with serving(FakePlanhat(seed=0, admin_token="s3cret", group="upsert")) as served:
        page = tab.page
        answer = page.goto(f"{served.url}/_fake/ui")
        assert answer is not None
        assert answer.status == 401
        page.get_by_label("Admin token").fill("wrong")
        page.get_by_role("button", name="Open the dashboard").click()
        expect(page.locator(".error-message")).to_have_text("wrong admin token")
        page.get_by_label("Admin token").fill("s3cret")
        page.get_by_role("button", name="Open the dashboard").click()
        expect(page.locator("#part-contacts")).to_contain_text("No contacts yet")
        served.segment(identify("ann", "ann@nowhere.test", "m-1"))  # live polling has the cookie
        expect(page.locator("#part-unassigned")).to_contain_text(
            "ann@nowhere.test", timeout=LIVE_WAIT_MS
        )
    # the 401 pages' console errors ("Failed to load resource") are expected here
    assert tab.dialogs == []
