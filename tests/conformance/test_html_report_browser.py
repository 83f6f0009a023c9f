"""The HTML conformance report in a real browser (issue 8, item 3): Playwright driving Debian's
Chromium at /usr/bin/chromium, the page opened from a ``file://`` URL as a reader would open it.

Skipped, with the reason, when Chromium or the playwright package is missing (a browser is never
downloaded). ``UPDATE_SCREENSHOTS=1`` rewrites docs/conformance-report.png from the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conformance.html_report import html_report

from .test_html_report import FAILING, HOSTILE, FailingRun, hostile_result, write_failing_run

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DOCS = Path(__file__).resolve().parents[2] / "docs"
SCREENSHOT = "conformance-report.png"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed (pip install playwright)"
)
expect = sync_api.expect


@dataclass
class Tab:
    """A browser page and what went wrong in it: dialogs opened, script or console errors."""

    page: Any  # playwright.sync_api.Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        assert self.dialogs == [], "a dialog opened: hostile data ran as script"
        assert self.errors == []


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> FailingRun:
    return write_failing_run(tmp_path_factory.mktemp("html_report_browser"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def tab(browser: Any) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    found = Tab(page)

    def on_dialog(dialog: Any) -> None:
        found.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: found.errors.append(str(error)))
    page.on(
        "console",
        lambda message: found.errors.append(message.text) if message.type == "error" else None,
    )
    yield found
    context.close()


def test_failing_rule_and_its_diff_are_found_in_the_report(
    failing_run: FailingRun, tab: Tab
) -> None:
    page = tab.page
    page.goto(failing_run.html.as_uri())
    expect(page.locator("header .verdict")).to_have_text("4 of 10 rules failed")
    expect(page.locator('table.summary tr[data-family="W"] td.failed')).to_have_text("2")

    page.locator("nav.failing").get_by_role("link", name="W-4 body is the event, unchanged").click()
    assert page.url.endswith("#rule-W-4")
    rule = page.locator("#rule-W-4")
    expect(rule.locator("summary").first).to_contain_text("FAIL")
    expect(rule.locator(".explanation")).to_contain_text("the body is not the event")
    removed = rule.locator("table.diff tr.removed")
    expect(removed).to_have_count(1)
    expect(removed.locator("td.line.del")).to_have_text('    "title": "CTO",')
    expect(removed).to_be_visible()
    expect(rule.locator("li.event.culprit pre")).to_contain_text('"title": "CTO"')
    expect(rule.locator("pre.command").first).to_have_text(
        f"planhat-conformance replay {failing_run.replay_file} --target {failing_run.target}"
    )
    # the removed line is shaded apart from the unchanged ones
    shade = removed.locator("td.line.del").evaluate("e => getComputedStyle(e).backgroundColor")
    plain = rule.locator("table.diff tr.equal td.line").first.evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert shade != plain

    for rule_id in FAILING:  # every failure is open, with its diff on screen
        expect(page.locator(f"#rule-{rule_id} table.diff")).to_be_visible()
    passed = page.locator("#rule-S-1")
    expect(passed.locator(".rule-text")).to_be_hidden()  # passing rules start folded
    passed.locator("summary").click()
    expect(passed.locator(".rule-text")).to_contain_text("Missing or empty")

    if os.environ.get("UPDATE_SCREENSHOTS") == "1":
        passed.locator("summary").click()  # folded again, as the page opens
        page.evaluate("window.scrollTo(0, 0)")
        box = rule.bounding_box()
        assert box is not None
        height = box["y"] + box["height"] + 16  # the top of the page down to W-4's failure
        page.screenshot(
            path=str(DOCS / SCREENSHOT),
            full_page=True,
            clip={"x": 0, "y": 0, "width": 1280, "height": height},
        )
    tab.assert_clean()


def test_hostile_events_render_as_text_and_never_run(tmp_path: Path, tab: Tab) -> None:
    report = tmp_path / "hostile.html"
    report.write_text(html_report(hostile_result()), encoding="utf-8")
    page = tab.page
    page.goto(report.as_uri())
    rule = page.locator("#rule-W-4")
    expect(rule.locator(".explanation")).to_have_text(f"explained: {HOSTILE}")
    expect(rule.locator("table.diff tr.removed")).to_contain_text(HOSTILE)
    expect(rule.locator("li.event pre")).to_contain_text("<script>window.__pwned = 1;")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img").count() == 0
    tab.assert_clean()
