"""The HTML conformance report in a real browser (issue 8, item 3): Playwright driving Debian's
Chromium at /usr/bin/chromium, the page opened from a ``file://`` URL as a reader would open it.

Skipped, with the reason, when Chromium or the playwright package is missing (a browser is never
downloaded). ``UPDATE_SCREENSHOTS=1`` rewrites docs/conformance-report.png from the run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.reporting._html import html_report
from tests.browser import DOCS, Tab, updating_screenshots

from .test_html_report import FAILING, HOSTILE, FailingRun, hostile_result, write_failing_run

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed (pip install playwright)"
)
expect = sync_api.expect
SCREENSHOT = "conformance-report.png"


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> FailingRun:
    return write_failing_run(tmp_path_factory.mktemp("html_report_browser"))


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
    # the envelope shrank too: the dropped title is the line that shows the fault
    removed = rule.locator("table.diff tr.removed", has_text='"title": "CTO"')
    expect(removed).to_have_count(1)
    expect(removed.locator("td.line.del")).to_have_text('    "title": "CTO"')
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

    if updating_screenshots():
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
