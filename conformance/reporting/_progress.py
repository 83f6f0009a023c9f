"""A progress display on a stream: a subscriber to the engine's :class:`Progress` events."""

from __future__ import annotations

import sys
from typing import IO

from conformance.engine import EngineEvent, Progress

__all__ = ["ConsoleProgress"]


class ConsoleProgress:
    """Progress on a stream (stderr): a bar redrawn in place on a terminal, plain lines else."""

    WIDTH = 30

    def __init__(self, stream: IO[str] | None = None, *, tty: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self._stage: str | None = None
        self._quarter = -1

    def __call__(self, event: EngineEvent) -> None:
        if isinstance(event, Progress):
            self.show(event.stage, event.done, event.total)

    def show(self, stage: str, done: int, total: int | None) -> None:
        if stage == "done":
            if self.tty:
                self.stream.write("\r" + " " * (self.WIDTH + 60) + "\r")
                self.stream.flush()
            return
        if self.tty:
            self._bar(stage, done, total)
        else:
            self._line(stage, done, total)

    def _bar(self, stage: str, done: int, total: int | None) -> None:
        if total:
            filled = min(self.WIDTH, self.WIDTH * done // total)
            bar = "#" * filled + "." * (self.WIDTH - filled)
            text = f"[{bar}] {done}/{total} {stage}"
        else:
            text = f"{done} {stage}"
        self.stream.write("\r" + text[: self.WIDTH + 58].ljust(self.WIDTH + 58))
        self.stream.flush()

    def _line(self, stage: str, done: int, total: int | None) -> None:
        quarter = 4 * done // total if total else 0
        if stage != self._stage:
            self._stage, self._quarter = stage, quarter
            self.stream.write(f"{stage} …\n")
        elif quarter > self._quarter and stage.startswith("exploring"):
            self._quarter = quarter
            self.stream.write(f"{stage}: {done}/{total}\n")
        self.stream.flush()
