"""``cmd:`` targets: a command speaking NDJSON over stdio."""

from __future__ import annotations

import itertools
import json
import os
import queue
import shlex
import subprocess
import threading
from collections import deque
from collections.abc import Mapping
from typing import IO, Any, cast

from conformance._outcomes import OUTCOMES, Delivery, Outcome
from conformance.targets._base import (
    DEAD_STARTS,
    DEFAULT_TIMEOUT,
    STDERR_TAIL_LINES,
    Environment,
    TargetBroken,
    _describe,
)

# --- a command over NDJSON ---------------------------------------------------------------------


class _Child:
    """One run of a command: pipes pumped by threads so every wait can time out."""

    def __init__(self, argv: list[str]) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")  # a Python command's answers are not held
        self.popen = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.lines: queue.Queue[bytes | None] = queue.Queue()  # None = stdout closed
        self.outbox: queue.Queue[bytes | None] = queue.Queue()  # None = close stdin
        self.stderr: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
        for pump in (self._read_stdout, self._read_stderr, self._write_stdin):
            threading.Thread(target=pump, daemon=True, name=f"target-{pump.__name__}").start()

    def _read_stdout(self) -> None:
        stdout = cast(IO[bytes], self.popen.stdout)
        with stdout:
            for raw in iter(stdout.readline, b""):
                self.lines.put(raw)
        self.lines.put(None)

    def _read_stderr(self) -> None:
        stderr = cast(IO[bytes], self.popen.stderr)
        with stderr:
            for raw in iter(stderr.readline, b""):
                self.stderr.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def _write_stdin(self) -> None:
        # a write blocks when the command stops reading; in a thread it cannot block deliver()
        stdin = cast(IO[bytes], self.popen.stdin)
        try:
            with stdin:
                while (data := self.outbox.get()) is not None:
                    stdin.write(data)
                    stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the command is gone: its stdout closing reports that

    def stderr_tail(self) -> str:
        lines = list(self.stderr)
        return "\n".join(lines) if lines else "(stderr was empty)"

    def close(self, grace: float) -> int | None:
        """Close stdin, give the command ``grace`` seconds to exit, then kill it."""
        self.outbox.put(None)
        try:
            return self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait()


class CommandTarget:
    """A command started once per run that answers NDJSON (``harness/README.md``).

    Each event goes to its stdin as ``{"id", "event", "settings"}``; it answers on stdout with
    ``{"id", "outcome", "message"}``. Settings carry ``baseUrl``/``analyticsBaseUrl`` pointing
    at the fake's loopback ports. A timeout, a crash or a protocol error gives outcome ``error``
    with what went wrong and the tail of the command's stderr; the command is then restarted for
    the next event.
    """

    loopback = True

    def __init__(
        self, argv: list[str], *, name: str | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        if not argv:
            raise ValueError("a command target needs a command")
        if timeout <= 0:
            raise ValueError("the per-event timeout must be positive")
        self.argv = list(argv)
        self.name = name or "cmd:" + shlex.join(argv)
        self.timeout = timeout
        self._env: Environment | None = None
        self._child: _Child | None = None
        self._ids = itertools.count(1)
        self._answered_once = False  # any event ever answered by any run of the command
        self._dead_starts = 0  # runs in a row that died without answering

    def start(self, env: Environment) -> None:
        self.stop()
        env.loopback_settings({})  # fails early, and clearly, without loopback servers
        self._env = env
        self._child = self._spawn()

    def _spawn(self) -> _Child:
        try:
            return _Child(self.argv)
        except OSError as exc:
            raise RuntimeError(f"{self.name}: could not start {self.argv[0]!r}: {exc}") from exc

    def settings_for(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The settings the command sees: the Segment ones plus the loopback base URLs."""
        return self._environment().loopback_settings(settings)

    def _environment(self) -> Environment:
        if self._env is None:
            raise RuntimeError(f"{self.name}: call start(env) before deliver()")
        return self._env

    def deliver(self, event: dict[str, Any], settings: dict[str, Any]) -> Delivery:
        self._environment()
        if self._child is None or self._child.popen.poll() is not None:
            if self._child is not None:
                self._child.close(0)
            self._child = self._spawn()
        child = self._child
        request_id = str(next(self._ids))
        line = {"id": request_id, "event": event, "settings": self.settings_for(settings)}
        # ASCII JSON: one line whatever the event holds (lone surrogates, U+2028 …)
        child.outbox.put(json.dumps(line, ensure_ascii=True).encode("ascii") + b"\n")
        delivery, healthy = self._await_answer(child, request_id, event)
        if healthy:
            self._answered_once, self._dead_starts = True, 0
        else:
            child.close(0)
            self._child = None  # restarted on the next event
            if not self._answered_once and child.popen.poll() is not None:
                self._dead_starts += 1
                if self._dead_starts >= DEAD_STARTS:
                    raise TargetBroken(
                        f"{self.name} exited {DEAD_STARTS} times without answering any event "
                        f"(last exit code {child.popen.returncode}).\nstderr tail:\n"
                        f"{child.stderr_tail()}"
                    )
        return delivery

    def _await_answer(
        self, child: _Child, request_id: str, event: Mapping[str, Any]
    ) -> tuple[Delivery, bool]:
        what = _describe(event)
        try:
            while True:
                raw = child.lines.get(timeout=self.timeout)
                if raw is None:
                    return self._crashed(child, what), False
                text = raw.decode("utf-8", "replace").strip()
                if text:  # blank lines are tolerated
                    break
        except queue.Empty:
            return Delivery(
                "error",
                f"{self.name}: no answer to the {what} within {self.timeout:g} s; the command "
                f"was stopped and will be restarted.\nstderr tail:\n{child.stderr_tail()}",
            ), False
        return self._parse_answer(text, request_id, what, child)

    def _crashed(self, child: _Child, what: str) -> Delivery:
        try:
            code: int | None = child.popen.wait(1.0)
        except subprocess.TimeoutExpired:
            code = None
        how = (
            f"exited with code {code}" if code is not None else "closed its stdout but kept running"
        )
        return Delivery(
            "error",
            f"{self.name}: the command {how} while handling the {what}; it will be restarted "
            f"for the next event.\nstderr tail:\n{child.stderr_tail()}",
        )

    def _parse_answer(
        self, text: str, request_id: str, what: str, child: _Child
    ) -> tuple[Delivery, bool]:
        def protocol_error(problem: str) -> tuple[Delivery, bool]:
            shown = text if len(text) <= 120 else text[:120] + "…"
            # the advice comes before the echoed line, so a report that clips keeps it
            return Delivery(
                "error",
                f"{self.name}: protocol error answering the {what}: {problem}. Answer each "
                'input line with one JSON object {"id": …, "outcome": "ok"|"retry"|"discard"|'
                '"unsupported", "message": …} on stdout, and write logs to stderr. The line '
                f"was: {shown!r}\nstderr tail:\n{child.stderr_tail()}",
            ), False

        try:
            answer = json.loads(text)
        except ValueError:
            return protocol_error("stdout line is not JSON")
        if not isinstance(answer, dict):
            return protocol_error("stdout line is JSON but not an object")
        if answer.get("id") != request_id:
            return protocol_error(f"expected id {request_id!r}, got {answer.get('id')!r}")
        outcome = answer.get("outcome")
        if outcome not in OUTCOMES:
            return protocol_error(f"outcome must be one of {', '.join(sorted(OUTCOMES))}")
        message = answer.get("message", "")
        if not isinstance(message, str):
            message = json.dumps(message)
        return Delivery(cast(Outcome, outcome), message), True

    def stop(self) -> None:
        if self._child is not None:
            child, self._child = self._child, None
            child.close(2.0)
