"""Reporters: subscribers to the engine's events that write what a campaign found.

Each is a callable taking one :data:`~conformance.engine.EngineEvent`; the engine calls it as
the campaign runs. Console text, JUnit XML, JSON, HTML and the replay file write once, when the
campaign finishes; :class:`ConsoleProgress` draws progress as it goes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO

from conformance.engine import CampaignFinished, CampaignResult, EngineEvent
from conformance.reporting._html import html_report
from conformance.reporting._progress import ConsoleProgress
from conformance.reporting._text import (
    console_report,
    failure_text,
    json_report,
    junit_xml,
    read_replay,
    replay_document,
    summary_line,
    unified_diff,
    write_text,
)

__all__ = [
    "ConsoleProgress",
    "ConsoleReporter",
    "FileReporter",
    "console_report",
    "failure_text",
    "html_report",
    "json_report",
    "junit_xml",
    "read_replay",
    "replay_document",
    "reporters",
    "summary_line",
    "unified_diff",
    "write_text",
]


class ConsoleReporter:
    """Writes the console report to ``out`` when the campaign finishes."""

    def __init__(self, out: IO[str], *, replay_file: str | None = None) -> None:
        self.out = out
        self.replay_file = replay_file

    def __call__(self, event: EngineEvent) -> None:
        if isinstance(event, CampaignFinished):
            self.out.write(console_report(event.result, replay_file=self.replay_file))


class FileReporter:
    """Writes one report file (``-`` for stdout) when the campaign finishes."""

    def __init__(
        self, path: str, render: Callable[[CampaignResult], str], *, stdout: IO[str] | None = None
    ) -> None:
        self.path = path
        self.render = render
        self.stdout = stdout

    def __call__(self, event: EngineEvent) -> None:
        if not isinstance(event, CampaignFinished):
            return
        text = self.render(event.result)
        if self.path == "-" and self.stdout is not None:
            self.stdout.write(text)
        else:
            write_text(self.path, text)


def reporters(
    *,
    junit: str | None = None,
    json_path: str | None = None,
    html: str | None = None,
    replay: str | None = None,
    replay_name: str | None = None,
    stdout: IO[str] | None = None,
) -> list[FileReporter]:
    """File reporters for the given paths (None: not written). The replay file is written
    first, so the others can name it (``replay_name``: the replay file the reports cite,
    default ``replay``)."""
    found: list[FileReporter] = []
    cited = replay_name if replay_name is not None else replay
    if replay:
        found.append(
            FileReporter(
                replay,
                lambda r: json.dumps(replay_document(r), ensure_ascii=False, indent=2),
                stdout=stdout,
            )
        )
    if junit:
        found.append(FileReporter(junit, lambda r: junit_xml(r, replay_file=cited), stdout=stdout))
    if json_path:
        found.append(
            FileReporter(
                json_path,
                lambda r: json.dumps(json_report(r), ensure_ascii=False, indent=2) + "\n",
                stdout=stdout,
            )
        )
    if html:
        found.append(FileReporter(html, lambda r: html_report(r, replay_file=cited), stdout=stdout))
    return found
