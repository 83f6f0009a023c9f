"""Reports of a campaign: console text, JUnit XML, JSON and a replay file.

Everything but the last line of the console report (run time) and the JSON's ``timings`` field is
a function of the result alone, so two runs with the same seed give byte-identical reports.
"""

from __future__ import annotations

import difflib
import json
import shlex
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance._json import pretty
from conformance._words import DestinationProfile
from conformance.engine import CampaignResult, Failure, RuleResult
from fake_planhat.faults import FaultSpec

__all__ = [
    "REPLAY_KIND",
    "console_report",
    "json_report",
    "junit_xml",
    "read_replay",
    "replay_document",
    "unified_diff",
    "write_text",
]

REPLAY_KIND = "planhat-conformance-replay"
LABELS = {"passed": "PASS", "failed": "FAIL", "not exercised": "NOT EXERCISED"}


def unified_diff(expected: str, received: str) -> str:
    """``expected`` vs ``received`` as a unified diff (``-`` expected, ``+`` received)."""
    lines = difflib.unified_diff(
        expected.splitlines(),
        received.splitlines(),
        fromfile="expected",
        tofile="received",
        lineterm="",
        n=3,
    )
    return "\n".join(lines)


LONG_LINE = 240  # characters of one report line; the JSON report and replay file keep all


def _clip(line: str) -> str:
    if len(line) <= LONG_LINE:
        return line
    return f"{line[: LONG_LINE - 40]}… ({len(line)} characters in all)"


def _wrap(text: str, prefix: str = "    ") -> str:
    """Prose (rule texts, explanations) wrapped at 100 columns, list items kept apart."""
    lines = []
    for paragraph in text.splitlines():
        hang = "  " if paragraph.startswith("- ") else ""
        lines.append(
            textwrap.fill(paragraph, 100, initial_indent=prefix, subsequent_indent=prefix + hang)
        )
    return "\n".join(lines)


def _indent(text: str, prefix: str = "    ") -> str:
    clipped = "\n".join(_clip(line) for line in text.splitlines())
    return textwrap.indent(clipped, prefix, lambda line: True)


def replay_command(result: CampaignResult, rule_id: str, replay_file: str | None) -> list[str]:
    target = shlex.quote(result.target)
    commands = []
    if replay_file is not None:
        commands.append(
            f"planhat-conformance replay {shlex.quote(replay_file)} --target {target}"
            + (f" --profile {result.profile}" if result.profile != "segment" else "")
        )
    if not result.replayed:
        commands.append(
            f"planhat-conformance run --target {target} --profile {result.profile} "
            f"--events {result.events} --seed {result.seed} "
            f"--max-examples {result.max_examples} --rules {rule_id}"
        )
    return commands


def _settings_text(failure: Failure) -> str:
    settings = failure.case.settings
    if settings and all(s == settings[0] for s in settings):
        return json.dumps(settings[0], ensure_ascii=False, sort_keys=True)
    return "\n".join(
        f"event #{i}: {json.dumps(s, ensure_ascii=False, sort_keys=True)}"
        for i, s in enumerate(settings)
    )


def _faults_text(faults: Mapping[int, FaultSpec]) -> str:
    return "; ".join(f"event #{i}: {plan.describe()}" for i, plan in sorted(faults.items()))


def failure_text(result: CampaignResult, failure: Failure, replay_file: str | None) -> str:
    """The block a console report shows for one failed rule."""
    rule = result.rules[failure.rule_id].rule
    verdict = failure.verdict
    case = failure.case
    count = len(case.events)
    where = f" (event #{verdict.event})" if verdict.event is not None else ""
    if verdict.caused_by:
        role = f"  Consequence of {', '.join(verdict.caused_by)}, which failed on the same run."
    else:
        role = "  Root cause: no rule it depends on failed on this run."
    parts = [
        f"FAIL {rule.id} {rule.title}",
        role,
        "  Rule:",
        _wrap(rule.text),
        f"  What went wrong{where}:",
        _wrap(verdict.explanation),
        f"  Scenario: {case.scenario}",
        "  Settings:",
        _indent(_settings_text(failure)),
    ]
    if case.faults:
        parts.append(f"  Faults: {_faults_text(case.faults)}")
    if case.redeliver:
        parts.append("  Events answered `retry` were delivered again, as Segment does.")
    parts += [
        f"  Minimal event sequence ({count} event{'s' if count != 1 else ''}):",
        _indent(pretty(case.events)),
    ]
    diff = unified_diff(verdict.expected, verdict.received)
    if diff:
        parts += ["  Expected vs received (- expected, + received):", _indent(diff)]
    elif verdict.expected or verdict.received:
        parts += [
            "  Expected:",
            _indent(verdict.expected),
            "  Received:",
            _indent(verdict.received),
        ]
    commands = replay_command(result, rule.id, replay_file)
    parts.append("  Replay:")
    parts += [_indent(c) for c in commands]
    return "\n".join(parts)


def _rule_line(result: RuleResult) -> str:
    runs = result.passed + result.failed
    label = LABELS[result.status]
    detail = f"checked in {runs} run{'s' if runs != 1 else ''}" if runs else "no run exercised it"
    if result.failure is not None and result.failure.verdict.caused_by:
        detail += f"; consequence of {', '.join(result.failure.verdict.caused_by)}"
    elif result.failure is not None:
        detail += "; root cause"
    return f"{label:<14}{result.rule.id:<6}{result.rule.title} ({detail})"


def summary_line(result: CampaignResult) -> str:
    counts = result.counts()
    total = len(result.rules)
    line = (
        f"{total} rule{'s' if total != 1 else ''} checked: {counts['passed']} passed, "
        f"{counts['failed']} failed, {counts['not exercised']} not exercised"
    )
    roots = [f.rule_id for f in result.root_causes()]
    if roots:
        line += f"; root cause{'s' if len(roots) != 1 else ''}: {', '.join(roots)}"
    return line


def console_report(result: CampaignResult, *, replay_file: str | None = None) -> str:
    """The console report: one line per rule, each failure in full, a summary, the run time."""
    if result.replayed:
        header = (
            f"planhat-conformance replay: target {result.target}, profile {result.profile}, "
            f"seed {result.seed}"
        )
        done = f"{len(result.scenarios)} recorded cases replayed"
    else:
        header = (
            f"planhat-conformance: target {result.target}, profile {result.profile}, events "
            f"{result.events}, seed {result.seed}, max examples {result.max_examples}"
        )
        done = f"{len(result.scenarios)} delivery scenarios, {result.examples} explored sequences"
    lines = [header, done, ""]
    roots = result.root_causes()
    if roots:  # what to fix first: the other failures follow from these
        lines.append(
            f"Root cause{'s' if len(roots) != 1 else ''} (fix first): "
            + ", ".join(f"{f.rule_id} {result.rules[f.rule_id].rule.title}" for f in roots)
        )
        lines.append("")
    lines += [_rule_line(r) for r in result.rules.values()]
    for failure in result.failures():
        lines += ["", failure_text(result, failure, replay_file)]
    lines += ["", summary_line(result)]
    if result.budget_exhausted:
        lines.append("The time budget ran out: some rules were explored less than asked.")
    lines.append(_timing_line(result))
    return "\n".join(lines) + "\n"


def _timing_line(result: CampaignResult) -> str:
    timings = result.timings
    parts = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items() if k != "total")
    return f"Run time: {timings.get('total', 0.0):.1f} s" + (f" ({parts})" if parts else "")


def json_report(result: CampaignResult) -> dict[str, Any]:
    """The JSON report; ``timings`` is the only field that varies between identical runs."""
    return {
        "kind": "planhat-conformance-report",
        "target": result.target,
        "profile": result.profile,
        "events": result.events,
        "seed": result.seed,
        "maxExamples": result.max_examples,
        "examples": result.examples,
        "scenarios": list(result.scenarios),
        "budgetExhausted": result.budget_exhausted,
        "summary": {
            **result.counts(),
            "rules": len(result.rules),
            "ok": result.ok,
            "rootCauses": [f.rule_id for f in result.root_causes()],
        },
        "rules": [
            {
                "id": r.rule.id,
                "family": r.rule.family,
                "title": r.rule.title,
                "status": r.status,
                "passed": r.passed,
                "failed": r.failed,
                "notApplicable": r.not_applicable,
                "rootCause": r.failure.root_cause if r.failure is not None else None,
                "failure": r.failure.to_json() if r.failure is not None else None,
            }
            for r in result.rules.values()
        ],
        "timings": dict(result.timings),
    }


def junit_xml(result: CampaignResult, *, replay_file: str | None = None) -> str:
    """JUnit XML: one testcase per rule; failures carry the full failure text and diff."""
    counts = result.counts()
    suite = ET.Element(
        "testsuite",
        {
            "name": f"planhat-conformance ({result.profile})",
            "tests": str(len(result.rules)),
            "failures": str(counts["failed"]),
            "errors": "0",
            "skipped": str(counts["not exercised"]),
        },
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("target", result.target),
        ("profile", result.profile),
        ("events", result.events),
        ("seed", str(result.seed)),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for rule_result in result.rules.values():
        rule = rule_result.rule
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": f"conformance.{rule.family}", "name": f"{rule.id} {rule.title}"},
        )
        if rule_result.failure is not None:
            element = ET.SubElement(
                case, "failure", {"message": rule_result.failure.verdict.explanation}
            )
            element.text = failure_text(result, rule_result.failure, replay_file)
        elif rule_result.status == "not exercised":
            ET.SubElement(case, "skipped", {"message": "not exercised by any run"})
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def replay_document(result: CampaignResult) -> dict[str, Any]:
    """The replay file: each failed rule's minimal case, its settings and faults, and the seed."""
    return {
        "kind": REPLAY_KIND,
        "version": 1,
        "target": result.target,
        "profile": result.profile,
        "seed": result.seed,
        "failures": [f.to_json() for f in result.failures()],
    }


def read_replay(path: str | Path) -> tuple[DestinationProfile, int, list[Failure]]:
    """A replay file's profile, seed and failures; ValueError says what is wrong with it."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read the replay file {str(path)!r}: {exc.strerror}") from None
    except ValueError as exc:
        raise ValueError(f"the replay file {str(path)!r} is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("kind") != REPLAY_KIND:
        raise ValueError(
            f"{str(path)!r} is not a replay file (write one with "
            "`planhat-conformance run … --replay-file FILE`)"
        )
    profile = data.get("profile")
    if profile not in ("segment", "activities"):
        raise ValueError(f"the replay file names an unknown profile {profile!r}")
    try:
        failures = [Failure.from_json(f) for f in data.get("failures", [])]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the replay file {str(path)!r} has a malformed failure: {exc}") from None
    return profile, int(data.get("seed", 0)), failures


def write_text(path: str | Path, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8")
