"""The HTML report (conformance/reporting/_html.py, issue 8 item 2), without a browser.

One failing campaign (the broken destination of test_cli.py, which drops ``traits.title``) runs
once for the module through ``planhat-conformance run … --html``; its JSON report, written by the
same run, is what the page's counts and failures are checked against. Hand-built results cover
hostile data and the diff's edge cases. tests/conformance/test_html_report_browser.py opens the
same kind of page in Chromium.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conformance._json import pretty
from conformance.checks import Verdict
from conformance.cli import main
from conformance.contract import FAMILIES, RULES
from conformance.engine import CampaignResult, Case, Failure, RuleResult
from conformance.reporting._html import DiffRow, diff_rows, html_report
from fake_planhat.faults import FaultSpec

from .test_cli import BROKEN

# Rules of every family the segment profile checks, plus A-1, which no segment run exercises.
RULE_SELECTION = "S-1,O-1,O-2,T-1,T-3,W-4,W-6,A-1,P-5,E-1"
FAILING = ["W-4", "W-6", "P-5", "E-1"]  # what dropping traits.title breaks among them
HOSTILE = "<script>window.__pwned = 1; alert('pwned')</script><img src=x onerror=alert(2)>"
SETTINGS = {"apiKey": "00000000-0000-4000-8000-000000000001", "subdomain": "api"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


# --- a failing run, once per module --------------------------------------------------------------


@dataclass(frozen=True)
class FailingRun:
    """A failing ``run`` in ``directory``, written with every report as a user would ask for
    them there: the HTML page, its JSON twin and the replay file (paths relative to it)."""

    directory: Path
    code: int = 0
    target: str = "py:broken_dest.py:handle"
    replay_file: str = "replay.json"

    @property
    def html(self) -> Path:
        return self.directory / "report.html"

    def report(self) -> dict[str, Any]:
        data = json.loads((self.directory / "report.json").read_text(encoding="utf-8"))
        assert isinstance(data, dict)
        return data

    def cli(self, *argv: str) -> int:
        """``planhat-conformance …`` run in the directory."""
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(self.directory)
            return main(list(argv), out=io.StringIO())


def write_failing_run(directory: Path) -> FailingRun:
    """Run the broken destination through the CLI with ``--html`` (about a second)."""
    (directory / "broken_dest.py").write_text(BROKEN, encoding="utf-8")
    run = FailingRun(directory)
    code = run.cli(
        "run", "--target", run.target, "--rules", RULE_SELECTION, "--max-examples", "3",
        "--no-progress", "--html", "report.html", "--json", "report.json",
        "--replay-file", run.replay_file,
    )  # fmt: skip
    return replace(run, code=code)


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> FailingRun:
    return write_failing_run(tmp_path_factory.mktemp("html_report"))


# --- a small HTML tree, enough to check structure ------------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.walk()

    def find_all(self, tag: str, css: str | None = None) -> list[Node]:
        return [
            n
            for n in self.walk()
            if n.tag == tag and (css is None or css in n.attrs.get("class", "").split())
        ]

    def by_id(self, wanted: str) -> Node:
        (found,) = [n for n in self.walk() if n.attrs.get("id") == wanted]
        return found


class _TreeBuilder(HTMLParser):
    """Builds a :class:`Node` tree and fails on a closing tag that does not match."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        open_tag = self.stack[-1].tag
        assert tag == open_tag, f"</{tag}> closes <{open_tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def first_child(node: Node) -> Node:
    child = node.children[0]
    assert isinstance(child, Node), f"<{node.tag}> starts with text"
    return child


def squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- hand-built results --------------------------------------------------------------------------


def result_with(failure: Failure, *, target: str = "py:dest.py:handle") -> CampaignResult:
    rules = {
        "S-1": RuleResult(RULES["S-1"], passed=4),
        failure.rule_id: RuleResult(RULES[failure.rule_id], failed=1, failure=failure),
        "A-1": RuleResult(RULES["A-1"], not_applicable=9),
    }
    return CampaignResult(
        target=target,
        profile="segment",
        events="hostile",
        seed=7,
        max_examples=50,
        rules=rules,
        examples=50,
        scenarios=["story"],
        timings={"total": 1.5},
    )


def hostile_result() -> CampaignResult:
    event = {"type": "identify", "userId": HOSTILE, "traits": {"title": HOSTILE, "x": "\"&'"}}
    received = {"type": "identify", "userId": HOSTILE, "traits": {"x": "\"&'"}}
    failure = Failure(
        "W-4",
        Case(HOSTILE, [event], [{**SETTINGS, "subdomain": HOSTILE}], {0: FaultSpec(status=503)}),
        Verdict("fail", f"explained: {HOSTILE}", pretty(event), pretty(received), 0),
    )
    return result_with(failure, target=f"py:{HOSTILE}.py:handle")


# --- the CLI and the failing run -----------------------------------------------------------------


def test_run_with_html_writes_a_well_formed_page(failing_run: FailingRun) -> None:
    assert failing_run.code == 1
    page = failing_run.html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>\n")
    tree = parse(page)  # every element closed in order
    (title,) = tree.find_all("title")
    assert "4 of 10 rules failed" in title.text()
    assert failing_run.target in tree.find_all("header")[0].text()


def test_summary_counts_each_family_as_the_json_report_does(failing_run: FailingRun) -> None:
    rules = failing_run.report()["rules"]
    tree = parse(failing_run.html.read_text(encoding="utf-8"))
    (table,) = tree.find_all("table", "summary")
    rows = {
        row.attrs["data-family"]: row for row in table.find_all("tr") if "data-family" in row.attrs
    }
    assert list(rows) == list(FAMILIES)  # every family, in the contract's order
    for letter, name in FAMILIES.items():
        row = rows[letter]
        assert name in row.text()
        mine = [r for r in rules if r["family"] == letter]
        cells = {td.attrs["class"]: td.text() for td in row.find_all("td") if "class" in td.attrs}
        if not mine:
            assert "not checked in this run" in row.text()
            continue
        assert cells["rules"] == str(len(mine))
        for status, css in (
            ("passed", "passed"),
            ("failed", "failed"),
            ("not exercised", "not-exercised"),
        ):
            assert cells[css] == str(sum(r["status"] == status for r in mine)), (letter, status)
    (total,) = table.find_all("tr", "total")
    summary = failing_run.report()["summary"]
    assert [td.text() for td in total.find_all("td")] == [
        str(summary[key]) for key in ("rules", "passed", "failed", "not exercised")
    ]
    assert summary["not exercised"] == 1  # the page shows all three statuses


def test_every_rule_is_shown_with_id_title_text_and_status(failing_run: FailingRun) -> None:
    tree = parse(failing_run.html.read_text(encoding="utf-8"))
    for entry in failing_run.report()["rules"]:
        rule = RULES[entry["id"]]
        article = tree.by_id(f"rule-{rule.id}")
        assert entry["status"].replace(" ", "-") in article.attrs["class"].split()
        details = first_child(article)
        summary = first_child(details)
        assert details.tag == "details"
        assert ("open" in details.attrs) == (entry["status"] == "failed")
        assert summary.tag == "summary"
        assert rule.id in summary.text()
        assert rule.title in summary.text()
        (text,) = article.find_all("div", "rule-text")
        # list items lose their "- ", code spans their backticks (they become <code>)
        assert squeeze(text.text()) == squeeze(rule.text.replace("- ", "").replace("`", ""))


def test_every_failing_rule_shows_its_case_diff_and_replay(failing_run: FailingRun) -> None:
    report = failing_run.report()
    failed = [r for r in report["rules"] if r["status"] == "failed"]
    assert [r["id"] for r in failed] == FAILING
    tree = parse(failing_run.html.read_text(encoding="utf-8"))
    (nav,) = tree.find_all("nav", "failing")
    assert [a.attrs["href"] for a in nav.find_all("a")] == [f"#rule-{r}" for r in FAILING]
    for entry in failed:
        failure = Failure.from_json(entry["failure"])
        (block,) = tree.by_id(f"rule-{entry['id']}").find_all("div", "failure")
        assert squeeze(failure.verdict.explanation) in squeeze(block.text())
        events = block.find_all("li", "event")
        assert len(events) == len(failure.case.events)
        for shown, event in zip(events, failure.case.events, strict=True):
            (pre,) = shown.find_all("pre")
            assert pre.text() == pretty(event)
        (table,) = block.find_all("table", "diff")
        marked = table.find_all("tr", "changed") + table.find_all("tr", "removed")
        marked += table.find_all("tr", "added")
        assert marked, f"{entry['id']}: no changed line marked"
        expected_lines = failure.verdict.expected.splitlines()
        for row in table.find_all("tr", "removed") + table.find_all("tr", "changed"):
            number = int(row.find_all("td", "no")[0].text())
            assert row.find_all("td", "line")[0].text() == expected_lines[number - 1]
        commands = [squeeze(p.text()) for p in block.find_all("pre", "command")]
        assert commands[0] == (
            f"planhat-conformance replay {failing_run.replay_file} --target {failing_run.target}"
        )
        assert commands[1].endswith(f"--max-examples 3 --rules {entry['id']}")


def test_W4_failure_marks_the_dropped_title_line(failing_run: FailingRun) -> None:
    tree = parse(failing_run.html.read_text(encoding="utf-8"))
    (table,) = tree.by_id("rule-W-4").find_all("table", "diff")
    removed = [
        row
        for row in table.find_all("tr", "removed") + table.find_all("tr", "changed")
        if row.find_all("td", "line")[0].text().strip() == '"title": "CTO"'
    ]
    assert len(removed) == 1
    left, right = removed[0].find_all("td", "line")
    assert "del" in left.attrs["class"].split()
    assert '"title"' not in right.text()  # not on the received side


def test_replay_with_html_writes_the_replayed_cases(failing_run: FailingRun) -> None:
    code = failing_run.cli(
        "replay", failing_run.replay_file, "--target", failing_run.target, "--no-progress",
        "--html", "replayed.html",
    )  # fmt: skip
    assert code == 1
    tree = parse((failing_run.directory / "replayed.html").read_text(encoding="utf-8"))
    assert tree.find_all("h1")[0].text() == "planhat-conformance replay"
    assert [a.attrs["id"] for a in tree.find_all("article")] == [f"rule-{r}" for r in FAILING]
    commands = [squeeze(p.text()) for p in tree.find_all("pre", "command")]
    assert commands == [
        f"planhat-conformance replay {failing_run.replay_file} --target {failing_run.target}"
    ] * len(FAILING)  # no `run` command: a replay has no seed to run again


# --- self-contained and safe ---------------------------------------------------------------------

PAGES: dict[str, Callable[[], str]] = {
    "hostile": lambda: html_report(hostile_result()),
    "url target": lambda: html_report(
        result_with(
            Failure("O-1", Case("story", [{}], [SETTINGS]), Verdict("fail", "no", "a", "b")),
            target="https://example.com/hook?x=<b>",
        )
    ),
}


@pytest.mark.parametrize("make", PAGES.values(), ids=PAGES.keys())
def test_page_is_self_contained(make: Callable[[], str], failing_run: FailingRun) -> None:
    for page in (make(), failing_run.html.read_text(encoding="utf-8")):
        tree = parse(page)
        tags = {n.tag for n in tree.walk()}
        assert not tags & {"script", "link", "img", "iframe", "object", "embed", "base"}
        for node in tree.walk():
            for name, value in node.attrs.items():
                assert not name.startswith("on"), f"<{node.tag} {name}=…>"
                if name in ("src", "href", "action", "srcset", "poster", "data"):
                    assert value.startswith("#"), f"<{node.tag} {name}={value!r}>: not in the page"
                assert "http://" not in value, (node.tag, name)
                assert "https://" not in value, (node.tag, name)
        (style,) = tree.find_all("style")
        assert "url(" not in style.text()
        assert "@import" not in style.text()
        (policy,) = [m for m in tree.find_all("meta") if m.attrs.get("http-equiv")]
        assert policy.attrs["content"].startswith("default-src 'none'")


def test_hostile_data_is_escaped_and_rendered_as_text() -> None:
    page = html_report(hostile_result())
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;window.__pwned" in page
    tree = parse(page)
    article = tree.by_id("rule-W-4")
    text = article.text()
    assert f"explained: {HOSTILE}" in text  # the explanation
    assert HOSTILE in tree.find_all("dl", "case")[0].text()  # scenario and settings
    (table,) = article.find_all("table", "diff")
    (removed,) = table.find_all("tr", "removed")
    assert HOSTILE in removed.text()  # the title line, dropped
    assert '"x": "\\"&\'"' in article.find_all("li", "event")[0].text()
    assert HOSTILE in tree.find_all("title")[0].text()  # the target, in the title
    commands = article.find_all("pre", "command")  # the target, shell-quoted
    assert all("<script>window.__pwned = 1;" in c.text() for c in commands)


def test_a_lone_surrogate_is_written_as_an_escape(tmp_path: Path) -> None:
    """A replay file may carry ``"\\ud800"``; the page must still be valid UTF-8."""
    event = {"type": "track", "event": "bad \ud800 text"}
    failure = Failure("W-4", Case("replay", [event], [SETTINGS]), Verdict("fail", "x", "a", "b"))
    page = html_report(result_with(failure))
    page.encode("utf-8")  # no UnicodeEncodeError
    assert "bad \\ud800 text" in page


def test_a_long_event_is_folded_with_its_size() -> None:
    event = {"type": "identify", "userId": "u", "traits": {"bio": "é" * 6000}}
    failure = Failure("W-6", Case("large", [event], [SETTINGS]), Verdict("fail", "cut", "a", "b"))
    tree = parse(html_report(result_with(failure)))
    (item,) = tree.by_id("rule-W-6").find_all("li", "event")
    (fold,) = item.find_all("details")
    assert "open" not in fold.attrs
    assert f"show all {len(pretty(event)):,} characters" in fold.text()
    assert fold.find_all("pre")[0].text() == pretty(event)


def test_a_passing_run_says_so_and_lists_no_failure() -> None:
    rules = {r: RuleResult(RULES[r], passed=3) for r in ("S-1", "O-1", "W-4")}
    result = CampaignResult("reference", "segment", "realistic", 0, 10, rules, examples=10)
    tree = parse(html_report(result))
    verdict = tree.find_all("p", "verdict")[0]
    assert verdict.text() == "every selected rule passed"
    assert "ok" in verdict.attrs["class"].split()
    assert tree.find_all("nav") == []
    assert tree.find_all("div", "failure") == []
    assert all("open" not in d.attrs for d in tree.find_all("details"))


def test_the_page_depends_on_the_result_alone_but_for_the_run_time() -> None:
    first, second = hostile_result(), hostile_result()
    second.timings = {"total": 99.0}
    a, b = html_report(first), html_report(second)
    assert a != b
    assert a.replace("Run time: 1.5 s", "Run time: 99.0 s") == b


# --- the side-by-side diff -----------------------------------------------------------------------


def test_diff_rows_of_equal_texts_are_all_shown() -> None:
    text = "\n".join(str(n) for n in range(20))
    rows = diff_rows(text, text)
    assert [r.kind for r in rows] == ["equal"] * 20
    assert rows[4] == DiffRow("equal", 5, "4", 5, "4")


def test_diff_rows_pair_changes_and_number_both_sides() -> None:
    rows = diff_rows("a\nb\nc\nd", "a\nB\nc\nx\nd")
    assert rows == [
        DiffRow("equal", 1, "a", 1, "a"),
        DiffRow("changed", 2, "b", 2, "B"),
        DiffRow("equal", 3, "c", 3, "c"),
        DiffRow("added", None, None, 4, "x"),
        DiffRow("equal", 4, "d", 5, "d"),
    ]
    assert diff_rows("a\nb", "a") == [DiffRow("equal", 1, "a", 1, "a"), DiffRow("removed", 2, "b")]


def test_diff_rows_fold_long_unchanged_runs_around_changes() -> None:
    expected = [f"line {n}" for n in range(1, 31)]
    received = list(expected)
    received[14] = "line fifteen"  # line 15
    rows = diff_rows("\n".join(expected), "\n".join(received), context=2)
    kinds = [r.kind for r in rows]
    assert kinds == ["skipped", "equal", "equal", "changed", "equal", "equal", "skipped"]
    assert rows[0].skipped == 12
    assert rows[-1].skipped == 13
    assert rows[1].left_number == 13
    assert rows[3] == DiffRow("changed", 15, "line 15", 15, "line fifteen")
    shown = sum(1 for r in rows if r.kind != "skipped") + rows[0].skipped + rows[-1].skipped
    assert shown == 30


def test_changed_lines_mark_the_characters_that_differ() -> None:
    failure = Failure(
        "W-4",
        Case("story", [{}], [SETTINGS]),
        Verdict("fail", "x", '"userId": "00123"', '"userId": 123'),
    )
    tree = parse(html_report(result_with(failure)))
    (row,) = tree.by_id("rule-W-4").find_all("tr", "changed")
    left, right = row.find_all("td", "line")
    assert [d.text() for d in left.find_all("del")] == ['"00', '"']
    assert [i.text() for i in right.find_all("ins")] == []  # nothing added on the right
    assert right.text() == '"userId": 123'


def test_changed_lines_too_unlike_to_align_are_marked_whole() -> None:
    failure = Failure(
        "W-6",
        Case("large", [{}], [SETTINGS]),
        Verdict("fail", "x", "the 32704-byte event, whole", "outcome: discard"),
    )
    tree = parse(html_report(result_with(failure)))
    (row,) = tree.by_id("rule-W-6").find_all("tr", "changed")
    left, right = row.find_all("td", "line")
    assert left.find_all("del") == []  # scattered single-letter marks would be noise
    assert right.find_all("ins") == []
    assert "del" in left.attrs["class"].split()  # the whole line is marked instead
    assert "ins" in right.attrs["class"].split()
