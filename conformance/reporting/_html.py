"""The HTML report of a campaign: one self-contained page (issue 8, item 2).

``planhat-conformance run … --html report.html`` writes it. The page has a summary by rule
family (S, O, T, W, A, P, E), every rule's result with its id, title and text, and for each
failure what went wrong, the minimal event sequence, the expected and received texts side by side
with the differing lines marked, the case's settings and faults, and the replay commands.

Self-contained: inline CSS, no script, no external asset; ``<details>`` folds what is long, so
the page works in any browser without JavaScript. Everything from a run (events, settings, the
destination's answers) is hostile data and is HTML-escaped; a Content-Security-Policy that allows
no script at all backs that up. Like the console report, the page is a function of the result
alone but for the run time in its footer.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Literal

from conformance._json import pretty
from conformance.contract import FAMILIES, Rule
from conformance.engine import CampaignResult, Failure, RuleResult, RuleStatus
from conformance.reporting._text import LABELS, replay_command, summary_line

__all__ = ["DiffRow", "diff_rows", "html_report"]

CONTEXT = 3  # unchanged lines kept on each side of a change, as in the console's unified diff
INLINE_LIMIT = 1_000  # longer changed lines are marked whole: a character diff would be slow
INLINE_SIMILARITY = 0.5  # less alike, a changed line is marked whole: scattered marks are noise
FOLDED_EVENT = 4_000  # characters of pretty JSON past which an event is folded, size shown

RowKind = Literal["equal", "changed", "removed", "added", "skipped"]


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff. Line numbers count from 1; None: no line on that side.

    ``skipped`` rows stand for ``skipped`` unchanged lines left out between changes.
    """

    kind: RowKind
    left_number: int | None = None
    left: str | None = None
    right_number: int | None = None
    right: str | None = None
    skipped: int = 0


def diff_rows(expected: str, received: str, context: int = CONTEXT) -> list[DiffRow]:
    """``expected`` (left) vs ``received`` (right), line by line, as the rows of a two-column
    table: unchanged runs longer than ``2 * context`` lines between changes fold into one
    ``skipped`` row. Texts without a difference come back whole, as ``equal`` rows."""
    left, right = expected.splitlines(), received.splitlines()
    opcodes = difflib.SequenceMatcher(None, left, right, autojunk=False).get_opcodes()
    changed = any(tag != "equal" for tag, *_ in opcodes)
    rows: list[DiffRow] = []
    for number, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            first, last = number == 0, number == len(opcodes) - 1
            rows += _equal_rows(left, i1, i2, j1, context if changed else None, first, last)
            continue
        pairs = zip_longest(range(i1, i2), range(j1, j2))
        for i, j in pairs:
            if i is not None and j is not None:
                rows.append(DiffRow("changed", i + 1, left[i], j + 1, right[j]))
            elif i is not None:
                rows.append(DiffRow("removed", i + 1, left[i]))
            elif j is not None:
                rows.append(DiffRow("added", right_number=j + 1, right=right[j]))
    return rows


def _equal_rows(
    lines: Sequence[str],
    start: int,
    stop: int,
    other_start: int,
    context: int | None,
    first: bool,
    last: bool,
) -> list[DiffRow]:
    """The rows of one unchanged run; with ``context``, only the lines next to a change."""

    def row(i: int) -> DiffRow:
        return DiffRow("equal", i + 1, lines[i], other_start + i - start + 1, lines[i])

    if context is None:
        return [row(i) for i in range(start, stop)]
    keep_head = 0 if first else context  # lines after the change above
    keep_tail = 0 if last else context  # lines before the change below
    if stop - start <= keep_head + keep_tail + 1:  # folding would hide one line at most
        return [row(i) for i in range(start, stop)]
    rows = [row(i) for i in range(start, start + keep_head)]
    rows.append(DiffRow("skipped", skipped=stop - start - keep_head - keep_tail))
    rows += [row(i) for i in range(stop - keep_tail, stop)]
    return rows


# --- HTML pieces ---------------------------------------------------------------------------------


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


_CODE_SPAN = re.compile(r"`([^`]+)`")


def _prose(text: str, *, code_spans: bool = False) -> str:
    """Paragraphs and ``- `` list items, escaped; ``code_spans``: backticks become ``<code>``
    (rule texts keep them to mark literal values)."""

    def inline(line: str) -> str:
        escaped = _e(line)
        return _CODE_SPAN.sub(r"<code>\1</code>", escaped) if code_spans else escaped

    parts: list[str] = []
    items: list[str] = []
    for line in text.splitlines():
        if line.startswith("- "):
            items.append(f"<li>{inline(line[2:])}</li>")
            continue
        if items:
            parts.append("<ul>\n" + "\n".join(items) + "\n</ul>")
            items = []
        if line.strip():
            parts.append(f"<p>{inline(line)}</p>")
    if items:
        parts.append("<ul>\n" + "\n".join(items) + "\n</ul>")
    return "\n".join(parts)


def _marked(line: str, other: str, tag: str) -> str:
    """``line`` escaped, with the characters that differ from ``other`` in ``<tag>``."""
    if len(line) > INLINE_LIMIT or len(other) > INLINE_LIMIT:
        return _e(line)
    matcher = difflib.SequenceMatcher(None, other, line, autojunk=False)
    if matcher.ratio() < INLINE_SIMILARITY:
        return _e(line)
    out = []
    for op, _, _, j1, j2 in matcher.get_opcodes():
        piece = _e(line[j1:j2])
        out.append(piece if op == "equal" or not piece else f"<{tag}>{piece}</{tag}>")
    return "".join(out)


def _diff_cells(number: int | None, sign: str, text: str, css: str) -> str:
    if number is None:
        return '<td class="no"></td><td class="sign"></td><td class="line empty"></td>'
    return (
        f'<td class="no">{number}</td><td class="sign">{sign}</td>'
        f'<td class="line {css}">{text}</td>'
    )


def _diff_table(expected: str, received: str) -> str:
    body = []
    for row in diff_rows(expected, received):
        if row.kind == "skipped":
            lines = f"{row.skipped} unchanged line{'s' if row.skipped != 1 else ''}"
            body.append(f'<tr class="skipped"><td colspan="6">⋯ {lines} ⋯</td></tr>')
            continue
        left, right = row.left or "", row.right or ""
        if row.kind == "changed":
            left_html, right_html = _marked(left, right, "del"), _marked(right, left, "ins")
        else:
            left_html, right_html = _e(left), _e(right)
        left_sign, right_sign = {
            "equal": (" ", " "),
            "changed": ("-", "+"),
            "removed": ("-", ""),
            "added": ("", "+"),
        }[row.kind]
        left_css = "del" if row.kind in ("changed", "removed") else "same"
        right_css = "ins" if row.kind in ("changed", "added") else "same"
        body.append(
            f'<tr class="{row.kind}">'
            + _diff_cells(row.left_number, left_sign, left_html, left_css)
            + _diff_cells(row.right_number, right_sign, right_html, right_css)
            + "</tr>"
        )
    return (
        '<table class="diff">'
        '<colgroup><col class="no"><col class="sign"><col class="text">'
        '<col class="no"><col class="sign"><col class="text"></colgroup>'
        '<thead><tr><th colspan="3">Expected</th><th colspan="3">Received</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _comparison(failure: Failure) -> str:
    verdict = failure.verdict
    if not verdict.expected and not verdict.received:
        return '<p class="muted">The check recorded no expected or received text.</p>'
    heading = "Expected vs received"
    if verdict.expected == verdict.received:
        heading += " (the texts are the same: the explanation says what differs)"
    full = (
        "<details><summary>Both texts in full</summary>"
        '<div class="both">'
        f'<div><h6>Expected</h6><pre class="json">{_e(verdict.expected)}</pre></div>'
        f'<div><h6>Received</h6><pre class="json">{_e(verdict.received)}</pre></div>'
        "</div></details>"
    )
    return f"<h5>{heading}</h5>\n{_diff_table(verdict.expected, verdict.received)}\n{full}"


def _events(failure: Failure) -> str:
    events = failure.case.events
    about = failure.verdict.event
    count = f"{len(events)} event{'s' if len(events) != 1 else ''}"
    items = []
    for index, event in enumerate(events):
        kind = event.get("type") if isinstance(event, dict) else None
        label = f"event #{index}" + (f" ({_e(kind)})" if isinstance(kind, str) else "")
        culprit = index == about
        if culprit:
            label += ' <span class="pointer">← the failure is about this event</span>'
        css = "event culprit" if culprit else "event"
        text = pretty(event)
        shown = f'<pre class="json">{_e(text)}</pre>'
        if len(text) > FOLDED_EVENT:
            shown = (
                f"<details><summary>show all {len(text):,} characters</summary>{shown}</details>"
            )
        items.append(f'<li class="{css}"><div class="event-label">{label}</div>{shown}</li>')
    return f'<h5>Minimal event sequence ({count})</h5>\n<ol class="events">{"".join(items)}</ol>'


def _case_details(failure: Failure) -> str:
    case = failure.case
    settings = case.settings
    if settings and all(s == settings[0] for s in settings):
        settings_html = f'<pre class="json">{_e(json.dumps(settings[0], ensure_ascii=False))}</pre>'
    else:
        settings_html = "".join(
            f'<pre class="json">event #{i}: {_e(json.dumps(s, ensure_ascii=False))}</pre>'
            for i, s in enumerate(settings)
        )
    rows = [
        f"<dt>Scenario</dt><dd>{_e(case.scenario)}</dd>",
        f"<dt>Settings</dt><dd>{settings_html}</dd>",
    ]
    if case.faults:
        faults = "".join(
            f"<li>event #{i}: {_e(plan.describe())}</li>" for i, plan in sorted(case.faults.items())
        )
        rows.append(f"<dt>Faults injected</dt><dd><ul>{faults}</ul></dd>")
    if case.redeliver:
        rows.append(
            "<dt>Redelivery</dt><dd>Events answered <code>retry</code> were delivered again, "
            "as Segment does.</dd>"
        )
    return f'<dl class="case">{"".join(rows)}</dl>'


def _failure_block(result: CampaignResult, failure: Failure, replay_file: str | None) -> str:
    verdict = failure.verdict
    where = f" (event #{verdict.event})" if verdict.event is not None else ""
    commands = "\n".join(
        f'<pre class="command">{_e(c)}</pre>'
        for c in replay_command(result, failure.rule_id, replay_file)
    )
    role = (
        f"Consequence of {', '.join(verdict.caused_by)}, which failed on the same run."
        if verdict.caused_by
        else "Root cause: no rule it depends on failed on this run."
    )
    return (
        '<div class="failure">'
        f'<p class="role">{_e(role)}</p>'
        f"<h5>What went wrong{where}</h5>"
        f'<div class="explanation">{_prose(verdict.explanation)}</div>\n'
        f"{_comparison(failure)}\n{_events(failure)}\n"
        f"<h5>The case</h5>{_case_details(failure)}\n"
        f"<h5>Replay</h5>\n{commands}"
        "</div>"
    )


def _runs(rule_result: RuleResult) -> str:
    runs = rule_result.passed + rule_result.failed
    if not runs:
        return "no run exercised it"
    text = f"checked in {runs} run{'s' if runs != 1 else ''}"
    if rule_result.failed:
        text += f", failed in {rule_result.failed}"
    return text


def _rule_block(result: CampaignResult, rule_result: RuleResult, replay_file: str | None) -> str:
    rule: Rule = rule_result.rule
    status = rule_result.status
    css = status.replace(" ", "-")
    summary = (
        f'<summary><span class="badge {css}">{_e(LABELS[status])}</span> '
        f'<span class="rule-id">{_e(rule.id)}</span> '
        f'<span class="rule-title">{_e(rule.title)}</span> '
        f'<span class="runs">{_e(_runs(rule_result))}</span></summary>'
    )
    body = f'<div class="rule-text">{_prose(rule.text, code_spans=True)}</div>'
    if rule_result.failure is not None:
        body += _failure_block(result, rule_result.failure, replay_file)
    elif status == "failed":  # failures tallied, no case kept (a hand-built or merged result)
        body += '<p class="muted">No failing case was kept for this rule.</p>'
    opened = " open" if status == "failed" else ""
    return (
        f'<article class="rule {css}" id="rule-{_e(rule.id)}">'
        f"<details{opened}>{summary}{body}</details></article>"
    )


def _family_counts(result: CampaignResult) -> Iterator[tuple[str, str, dict[RuleStatus, int]]]:
    """(letter, name, counts) for every family, in the contract's order."""
    for letter, name in FAMILIES.items():
        counts: dict[RuleStatus, int] = {"passed": 0, "failed": 0, "not exercised": 0}
        for rule_result in result.rules.values():
            if rule_result.rule.family == letter:
                counts[rule_result.status] += 1
        yield letter, name, counts


def _summary_table(result: CampaignResult) -> str:
    rows = []
    for letter, name, counts in _family_counts(result):
        total = sum(counts.values())
        if not total:
            rows.append(
                f'<tr class="unselected" data-family="{letter}"><th scope="row">'
                f'<span class="family">{letter}</span> {_e(name)}</th>'
                '<td colspan="4" class="muted">not checked in this run</td></tr>'
            )
            continue
        css = "failed" if counts["failed"] else "passed" if counts["passed"] else "not-exercised"
        rows.append(
            f'<tr class="{css}" data-family="{letter}"><th scope="row">'
            f'<a href="#family-{letter}"><span class="family">{letter}</span> {_e(name)}</a></th>'
            f'<td class="rules">{total}</td><td class="passed">{counts["passed"]}</td>'
            f'<td class="failed">{counts["failed"]}</td>'
            f'<td class="not-exercised">{counts["not exercised"]}</td></tr>'
        )
    totals = result.counts()
    total_css = "total failed" if totals["failed"] else "total"
    rows.append(
        f'<tr class="{total_css}"><th scope="row">All families</th>'
        f'<td class="rules">{len(result.rules)}</td><td class="passed">{totals["passed"]}</td>'
        f'<td class="failed">{totals["failed"]}</td>'
        f'<td class="not-exercised">{totals["not exercised"]}</td></tr>'
    )
    return (
        '<table class="summary"><thead><tr><th scope="col">Family</th><th scope="col">Rules</th>'
        '<th scope="col">Passed</th><th scope="col">Failed</th>'
        '<th scope="col">Not exercised</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _run_facts(result: CampaignResult) -> str:
    facts: list[tuple[str, str]] = [("Target", result.target), ("Profile", result.profile)]
    if result.replayed:
        facts += [
            ("Seed", str(result.seed)),
            ("Cases replayed", str(len(result.scenarios))),
        ]
    else:
        facts += [
            ("Events", result.events),
            ("Seed", str(result.seed)),
            ("Max examples", str(result.max_examples)),
            ("Delivery scenarios", str(len(result.scenarios))),
            ("Explored sequences", str(result.examples)),
        ]
    return (
        '<dl class="facts">'
        + "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in facts)
        + "</dl>"
    )


def _timings(result: CampaignResult) -> str:
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items() if k != "total")
    total = result.timings.get("total", 0.0)
    return f"Run time: {total:.1f} s" + (f" ({parts})" if parts else "")


def html_report(result: CampaignResult, *, replay_file: str | None = None) -> str:
    """The campaign as one self-contained HTML page. ``replay_file``: the replay file written
    with it (``--replay-file``), so each failure shows the ``replay`` command too."""
    counts = result.counts()
    verdict = (
        "every selected rule passed"
        if result.ok
        else f"{counts['failed']} of {len(result.rules)} rules failed"
    )
    kind = "replay" if result.replayed else "run"
    failing = "".join(
        f'<li><a href="#rule-{_e(r.rule.id)}">{_e(r.rule.id)} {_e(r.rule.title)}</a></li>'
        for r in result.rules.values()
        if r.status == "failed"
    )
    failing_nav = (
        f'<nav class="failing" aria-label="Failed rules"><h2>Failed rules</h2><ul>{failing}</ul>'
        "</nav>"
        if failing
        else ""
    )
    families = []
    for letter, name in FAMILIES.items():
        members = [r for r in result.rules.values() if r.rule.family == letter]
        if not members:
            continue
        blocks = "\n".join(_rule_block(result, r, replay_file) for r in members)
        families.append(
            f'<section class="family-rules" id="family-{letter}">'
            f'<h3><span class="family">{letter}</span> {_e(name)}</h3>\n{blocks}</section>'
        )
    budget = (
        '<p class="warning">The time budget ran out: some rules were explored less than asked.</p>'
        if result.budget_exhausted
        else ""
    )
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>planhat-conformance {kind}: {_e(verdict)} ({_e(result.target)})</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>planhat-conformance {kind}</h1>
<p class="verdict {"ok" if result.ok else "not-ok"}">{_e(verdict)}</p>
{_run_facts(result)}
</header>
<main>
{failing_nav}
<section id="summary">
<h2>Summary by rule family</h2>
{_summary_table(result)}
<p class="summary-line">{_e(summary_line(result))}</p>
{budget}
</section>
<section id="rules">
<h2>Rules</h2>
{"".join(families)}
</section>
</main>
<footer>
<p>Rule ids and texts are those of the Segment → Planhat contract (fake-planhat docs/contract.md).
{_e(_timings(result))}</p>
</footer>
</body>
</html>
"""
    # A lone surrogate (a replay file may carry one as a JSON escape) cannot be written as UTF-8.
    return page.encode("utf-8", "backslashreplace").decode("utf-8")


STYLE = """
:root { --fail: #b42318; --fail-bg: #fef3f2; --pass: #067647; --pass-bg: #ecfdf3;
  --none: #475467; --none-bg: #f2f4f7; --del: #ffe4e1; --del-mark: #fda29b; --ins: #dcfae6;
  --ins-mark: #75e0a7; --line: #d0d5dd; --muted: #667085; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #101828; background: #fff; }
header, main, footer { max-width: 1400px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 28px 0 10px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 8px; }
h5 { font-size: 14px; margin: 16px 0 6px; }
h6 { font-size: 13px; margin: 0 0 4px; }
code, pre, .rule-id, .no, .sign {
  font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
code { background: var(--none-bg); padding: 0 3px; border-radius: 3px; font-size: 13px; }
pre { margin: 0; font-size: 13px; white-space: pre-wrap; overflow-wrap: anywhere; }
a { color: #175cd3; }
.muted { color: var(--muted); }
.verdict { font-size: 18px; font-weight: 600; margin: 0 0 10px; }
.verdict.ok { color: var(--pass); }
.verdict.not-ok { color: var(--fail); }
.facts { display: flex; flex-wrap: wrap; gap: 6px 24px; margin: 0; }
.facts div { display: flex; gap: 6px; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.warning { background: #fffaeb; border: 1px solid #fedf89; padding: 8px 12px; }
nav.failing { background: var(--fail-bg); border: 1px solid #fecdca; padding: 4px 16px 8px;
  margin-top: 16px; border-radius: 6px; }
nav.failing h2 { border: 0; margin: 8px 0 4px; font-size: 16px; color: var(--fail); }
nav.failing ul { margin: 0; padding-left: 20px; }
table.summary { border-collapse: collapse; min-width: 640px; }
table.summary th, table.summary td { border-bottom: 1px solid var(--line); padding: 5px 12px;
  text-align: left; }
table.summary td { text-align: right; font-variant-numeric: tabular-nums; }
table.summary a { text-decoration: none; }
table.summary a:hover { text-decoration: underline; }
table.summary tr.failed th a { color: var(--fail); }
table.summary tr.unselected { color: var(--muted); }
table.summary tr.unselected td { text-align: left; }
table.summary tr.total th, table.summary tr.total td { font-weight: 600; border-bottom: 0; }
table.summary tr.failed td.failed { color: var(--fail); font-weight: 600; }
.family { display: inline-block; min-width: 1.4em; font-weight: 700; }
article.rule { border: 1px solid var(--line); border-radius: 6px; margin: 6px 0;
  background: #fff; }
article.rule.failed { border-color: #fda29b; }
article.rule summary { cursor: pointer; padding: 7px 12px; display: flex; gap: 10px;
  align-items: baseline; flex-wrap: wrap; }
article.rule.failed > details > summary { background: var(--fail-bg); }
.rule-id { font-weight: 700; min-width: 3.2em; }
.runs { color: var(--muted); font-size: 13px; margin-left: auto; }
.badge { display: inline-block; min-width: 8.5em; text-align: center; font-size: 12px;
  font-weight: 700; padding: 1px 6px; border-radius: 10px; }
.badge.passed { color: var(--pass); background: var(--pass-bg); }
.badge.failed { color: #fff; background: var(--fail); }
.badge.not-exercised { color: var(--none); background: var(--none-bg); }
.rule-text { padding: 0 16px 4px 16px; color: #344054; }
.rule-text p { margin: 6px 0; }
.failure { padding: 0 16px 14px; border-top: 1px dashed #fecdca; }
.explanation { background: var(--fail-bg); border-left: 3px solid var(--fail);
  padding: 4px 12px; }
.explanation p { margin: 4px 0; white-space: pre-wrap; overflow-wrap: anywhere; }
table.diff { width: 100%; border-collapse: collapse; table-layout: fixed;
  border: 1px solid var(--line); font-size: 13px; }
table.diff col.no { width: 3.2em; }
table.diff col.sign { width: 1.4em; }
table.diff th { background: var(--none-bg); text-align: left; padding: 4px 8px;
  border-bottom: 1px solid var(--line); }
table.diff th + th { border-left: 1px solid var(--line); }
table.diff td { vertical-align: top; padding: 0 6px; }
table.diff td.line { white-space: pre-wrap; overflow-wrap: anywhere;
  font-family: ui-monospace, Menlo, Consolas, "DejaVu Sans Mono", monospace; }
table.diff td.no { color: var(--muted); text-align: right; user-select: none;
  border-left: 1px solid var(--line); }
table.diff td.sign { user-select: none; font-weight: 700; }
table.diff td.line.del { background: var(--del); }
table.diff td.line.ins { background: var(--ins); }
table.diff td.line.empty { background: repeating-linear-gradient(135deg, #f9fafb 0 6px,
  #f2f4f7 6px 12px); }
table.diff tr.changed td.sign:nth-child(2), table.diff tr.removed td.sign:nth-child(2) {
  color: var(--fail); background: var(--del); }
table.diff tr.changed td.sign:nth-child(5), table.diff tr.added td.sign:nth-child(5) {
  color: var(--pass); background: var(--ins); }
table.diff del { background: var(--del-mark); text-decoration: none; }
table.diff ins { background: var(--ins-mark); text-decoration: none; }
table.diff tr.skipped td { background: var(--none-bg); color: var(--muted); text-align: center;
  font-style: italic; }
.both { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; margin-top: 6px; }
.both pre, ol.events pre, pre.command, dl.case pre { background: #f9fafb;
  border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; }
details details > summary { cursor: pointer; color: #175cd3; margin-top: 6px; font-size: 13px; }
ol.events { list-style: none; padding: 0; margin: 0; display: grid; gap: 8px; }
.event-label { font-size: 13px; font-weight: 600; margin-bottom: 2px; }
li.event.culprit pre { border-color: var(--fail); border-width: 2px; }
.pointer { color: var(--fail); font-weight: 600; }
dl.case { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0; }
dl.case dt { color: var(--muted); }
dl.case dd { margin: 0; }
dl.case ul { margin: 0; padding-left: 18px; }
pre.command { background: #101828; color: #f2f4f7; border-color: #101828; margin-bottom: 6px; }
footer { color: var(--muted); font-size: 13px; margin: 32px auto 24px; }
@media (max-width: 800px) { .both { grid-template-columns: 1fr; } }
"""
