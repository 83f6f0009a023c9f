"""Targets: the destination under test, however it runs.

Four kinds, one interface (:class:`Target`): a Python callable run in-process, a command speaking
NDJSON over stdio, an HTTP endpoint fed like Segment's webhook, and a Segment Destination Function
file run under Node by ``harness/function-runner.mjs``. ``harness/README.md`` documents the wire
protocols. Each target reports one :class:`~conformance.outcomes.Delivery` per event; anything
that escapes a destination becomes outcome ``"error"`` (rule O-4).
"""

from __future__ import annotations

import asyncio
import copy
import http.client
import importlib
import importlib.util
import inspect
import itertools
import json
import os
import queue
import re
import shlex
import shutil
import socket
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Protocol, cast
from urllib.parse import urlsplit

from conformance._outcomes import OUTCOMES, Delivery, Outcome
from fake_planhat import FakePlanhat

__all__ = [
    "DEFAULT_FUNCTION_LIMIT",
    "DEFAULT_TIMEOUT",
    "HARNESS",
    "SETTINGS_HEADER",
    "SPEC_FORMS",
    "SUBDOMAINS",
    "CommandTarget",
    "Environment",
    "FunctionTarget",
    "HttpTarget",
    "PythonTarget",
    "Target",
    "TargetBroken",
    "as_javascript_sees_it",
    "load_target",
    "open_environment",
]

SUBDOMAINS: tuple[str, ...] = ("api", "api-eu", "analytics")  # CONTRACT §1
DEFAULT_TIMEOUT = 10.0  # seconds a loopback target may take per event
DEFAULT_FUNCTION_LIMIT = 5.0  # Segment Functions' execution limit, seconds
SETTINGS_HEADER = "X-Planhat-Settings"
HARNESS = Path(__file__).parent / "harness" / "function-runner.mjs"
REFERENCE_DIR = Path(__file__).parent / "reference"
SPEC_FORMS = (
    "py:pkg.module:handle or py:path/to/file.py:handle  (a Python callable, in-process)",
    "cmd:<command line>  (a command speaking NDJSON over stdin/stdout)",
    "http://host:port/path or https://…  (an endpoint fed like Segment's webhook)",
    "function:<file.js>  (a Segment Destination Function file, run under Node 20)",
    "reference or reference:<name>  (a destination bundled in conformance/reference/)",
)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
STDERR_TAIL_LINES = 20
# A command that died this many times in a row without ever answering an event is broken, not
# a destination with a bug: the campaign stops with one error instead of hundreds of failures.
DEAD_STARTS = 3
CONNECT_TIMEOUT = 2.0  # seconds an HTTP target has to accept a connection at start
Handle = Callable[[dict[str, Any], dict[str, Any]], object]
RETURN_PROTOCOL = (
    "a py: handler reports its outcome by returning None (or one of the words 'ok', 'retry', "
    "'discard', 'unsupported') or by raising RetryError, ValidationError, InvalidEventPayload or "
    "EventNotSupported"
)


class TargetBroken(RuntimeError):
    """The target cannot deliver anything (it dies before answering, nothing listens): no
    verdict about the destination's behaviour would mean anything."""


# --- the environment -----------------------------------------------------------------------


@dataclass
class Environment:
    """The fake a run delivers to, and where loopback targets reach it.

    ``base_urls`` maps each subdomain to the loopback server standing for
    ``https://{subdomain}.planhat.com``; it is empty for in-process targets, which keep real URLs.
    """

    fake: FakePlanhat
    base_urls: dict[str, str] = field(default_factory=dict)

    def host_of(self, entry_host: str) -> str:
        """The Planhat host a journal entry's host stands for (rule W-1 is checked on this).

        ``"127.0.0.1:5123"`` -> ``"api-eu.planhat.com"`` when 5123 serves ``api-eu``; any other
        host (an in-process request keeps its real one) is returned unchanged.
        """
        hostname, port = _split_host(entry_host)
        for subdomain, url in self.base_urls.items():
            served = urlsplit(url)
            if port is not None and served.port == port:
                same = (served.hostname or "") == hostname or (
                    hostname in LOOPBACK_HOSTS and served.hostname in LOOPBACK_HOSTS
                )
                if same:
                    return f"{subdomain}.planhat.com"
        return entry_host

    def loopback_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """``settings`` plus ``baseUrl`` and ``analyticsBaseUrl`` pointing at the loopback ports.

        ``baseUrl`` is the port of the chosen subdomain (``api`` when absent). A subdomain outside
        CONTRACT §1 also gets the ``api`` port: a destination that ignores rule S-1 and sends
        anyway is then seen in the journal instead of reaching the real Planhat.
        Values the caller set explicitly are kept.
        """
        if not self.base_urls:
            raise ValueError(
                "this target needs real sockets: build its Environment with "
                "open_environment(fake, loopback=True)"
            )
        chosen = settings.get("subdomain", "api")
        key = chosen if isinstance(chosen, str) and chosen in self.base_urls else "api"
        merged = dict(settings)
        merged.setdefault("baseUrl", self.base_urls[key])
        if "analytics" in self.base_urls:  # activities-profile destinations post there
            merged.setdefault("analyticsBaseUrl", self.base_urls["analytics"])
        return merged


def _split_host(host: str) -> tuple[str, int | None]:
    parsed = urlsplit(f"//{host}")
    try:
        port = parsed.port
    except ValueError:
        port = None
    return (parsed.hostname or host).lower(), port


@contextmanager
def open_environment(fake: FakePlanhat, *, loopback: bool) -> Iterator[Environment]:
    """An :class:`Environment` for one run; for loopback targets, one server per subdomain.

    One port per subdomain keeps the host a destination chose visible (rule W-1) even though every
    request reaches the same fake. The servers stop when the block ends.
    """
    if not loopback:
        yield Environment(fake)
        return
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        for subdomain in SUBDOMAINS:
            server = fake.serve(host="127.0.0.1", port=0)
            stack.callback(server.stop)
            urls[subdomain] = server.url.rstrip("/")
        yield Environment(fake, urls)


# --- the interface ---------------------------------------------------------------------------


class Target(Protocol):
    """A destination under test. ``start`` once, ``deliver`` each event, ``stop`` at the end."""

    name: str
    loopback: bool  # True when it reaches the fake over real sockets

    def start(self, env: Environment) -> None: ...

    def deliver(self, event: dict[str, Any], settings: dict[str, Any]) -> Delivery:
        """One event with the Segment settings ``{"apiKey", "subdomain"}``."""
        ...

    def stop(self) -> None: ...


def _describe(event: Mapping[str, Any]) -> str:
    kind = event.get("type")
    message_id = event.get("messageId")
    text = f"{kind if isinstance(kind, str) else 'untyped'} event"
    return f"{text} {message_id!r}" if message_id is not None else text


# --- Python, in-process ------------------------------------------------------------------------


class PythonTarget:
    """``handle(event, settings)`` called in-process, inside ``fake.intercept()``.

    ``httpx`` and ``requests`` calls to ``https://*.planhat.com`` reach the fake with their real
    URLs. Returning normally is ``ok``; exceptions map by class name (``RetryError`` …, from any
    module) through :func:`~conformance.outcomes.outcome_of_exception`; any other exception is
    ``error`` (rule O-4). ``async def`` handlers are awaited.
    """

    loopback = False

    def __init__(self, handle: Handle, name: str) -> None:
        self.handle = handle
        self.name = name
        self._stack: ExitStack | None = None

    def start(self, env: Environment) -> None:
        self.stop()
        stack = ExitStack()
        stack.enter_context(env.fake.intercept())
        self._stack = stack

    def deliver(self, event: dict[str, Any], settings: dict[str, Any]) -> Delivery:
        if self._stack is None:
            raise RuntimeError(f"{self.name}: call start(env) before deliver()")
        try:
            # copies: a destination that edits its arguments must not change the runner's event
            result = self.handle(copy.deepcopy(event), dict(settings))
            if inspect.isawaitable(result):
                result = asyncio.run(_awaited(result))
        except Exception as exc:
            return Delivery.of_exception(exc)  # rule O-4: unknown classes give "error"
        return delivery_of_return(result)

    def stop(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()


async def _awaited(result: Awaitable[object]) -> object:
    return await result


def delivery_of_return(result: object) -> Delivery:
    """A py: handler's return value as a delivery: None is ``ok``, an outcome word is that
    outcome; anything else is an error that explains the protocol."""
    if result is None:
        return Delivery("ok")
    if isinstance(result, Delivery):
        return result
    if isinstance(result, str) and result in OUTCOMES and result != "error":
        return Delivery(cast(Outcome, result))
    shown = repr(result)
    shown = shown if len(shown) <= 80 else shown[:80] + "…"
    return Delivery("error", f"the handler returned {shown}: {RETURN_PROTOCOL}")


def _load_callable(where: str, attribute: str, spec: str) -> Handle:
    """``where`` is a dotted module name or a ``.py`` file path."""
    if where.endswith(".py") or "/" in where or os.sep in where:
        module = _import_file(Path(where), spec)
    else:
        try:
            module = importlib.import_module(where)
        except Exception as exc:
            raise ValueError(
                f"{spec!r}: the module {where!r} could not be imported "
                f"({type(exc).__name__}: {exc}); is it installed or on PYTHONPATH?"
            ) from exc
    found = getattr(module, attribute, None)
    if found is None:
        names = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        raise ValueError(
            f"{spec!r}: {where} has no attribute {attribute!r}; its callables: "
            f"{', '.join(names) or '(none)'}"
        )
    if not callable(found):
        raise ValueError(f"{spec!r}: {where}.{attribute} is not callable")
    return cast(Handle, found)


def _import_file(path: Path, spec: str) -> Any:
    if not path.is_file():
        raise ValueError(f"{spec!r}: no such Python file {str(path)!r}")
    name = "_conformance_target_" + re.sub(r"\W", "_", str(path.resolve()))
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ValueError(f"{spec!r}: {str(path)!r} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up here
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ValueError(
            f"{spec!r}: the module {str(path)!r} could not be imported "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    return module


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


# --- a Segment Destination Function under Node --------------------------------------------------


class FunctionTarget(CommandTarget):
    """A Segment Destination Function file (``async function onIdentify(event, settings)`` …)
    run under Node 20 by ``harness/function-runner.mjs``, which speaks the NDJSON protocol.

    The function sees the Segment settings only (no ``baseUrl``: a Function does not know about
    it); the harness's ``fetch`` sends ``https://<subdomain>.planhat.com`` to that subdomain's
    loopback port instead, so :meth:`Environment.host_of` still names the host it chose.
    ``limit`` is the per-event execution limit (Segment's is 5 s).
    """

    def __init__(
        self,
        path: Path | str,
        *,
        node: str = "node",
        limit: float = DEFAULT_FUNCTION_LIMIT,
        timeout: float | None = None,
    ) -> None:
        if limit <= 0:
            raise ValueError("the execution limit must be positive")
        self.path = Path(path)
        self.node = node
        self.limit = limit
        super().__init__(
            [node, str(HARNESS), str(self.path)],
            name=f"function:{path}",
            # the harness reports its own limit; this only catches a harness that hangs
            timeout=timeout if timeout is not None else max(DEFAULT_TIMEOUT, 2 * limit),
        )

    def start(self, env: Environment) -> None:
        env.loopback_settings({})
        self._check_loads()
        hosts = json.dumps(env.base_urls, separators=(",", ":"))
        limit_ms = str(max(1, round(self.limit * 1000)))
        self.argv = [self.node, str(HARNESS), str(self.path), "--hosts", hosts]
        self.argv += ["--limit-ms", limit_ms]
        super().start(env)

    def _check_loads(self) -> None:
        """Fail fast: the harness loads the file and exits, so a Function that does not parse
        is one clear error, not a campaign of failures."""
        try:
            checked = subprocess.run(
                [self.node, str(HARNESS), str(self.path), "--check"],
                capture_output=True,
                text=True,
                timeout=max(DEFAULT_TIMEOUT, 2 * self.limit),
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TargetBroken(f"{self.name}: the Function could not be loaded: {exc}") from exc
        if checked.returncode != 0:
            said = checked.stderr.strip() or f"exit code {checked.returncode}"
            raise TargetBroken(f"{self.name}: {said}")

    def as_received(self, event: dict[str, Any]) -> dict[str, Any]:
        """The event as a Function sees it: Segment's runtime parses it with JavaScript's JSON,
        so every number is a double (integers above 2**53 round, ``1.0`` is ``1``)."""
        converted: dict[str, Any] = as_javascript_sees_it(event)
        return converted

    def settings_for(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The Segment settings unchanged: the harness, not the function, knows the ports."""
        self._environment()
        return {k: v for k, v in settings.items() if k not in ("baseUrl", "analyticsBaseUrl")}


def as_javascript_sees_it(value: Any) -> Any:
    """``value`` after ``JSON.parse`` then ``JSON.stringify`` in JavaScript, read back by
    Python: numbers become doubles; integral ones below 1e21 print as integers."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None  # JSON.parse gives Infinity, which JSON.stringify writes as null
        if number != number or number in (float("inf"), float("-inf")):
            return None
        if number.is_integer() and abs(number) < 1e21:
            # JavaScript prints the shortest digits that round-trip, then zeros: 2**64 is
            # 18446744073709552000 there, not 18446744073709551616
            return int(Decimal(repr(number)))
        return number
    if isinstance(value, dict):
        return {k: as_javascript_sees_it(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_javascript_sees_it(v) for v in value]
    return value


# --- an HTTP endpoint, fed like Segment's webhook -----------------------------------------------


class HttpTarget:
    """An endpoint under test, fed each event as Segment's webhook does.

    ``POST <url>`` with the event as the JSON body and the settings (including the loopback
    ``baseUrl``) as compact JSON in the ``X-Planhat-Settings`` header. The status is the outcome:
    2xx ``ok``; 408, 429 and 5xx ``retry`` (rule O-2's list); 501 ``unsupported`` (Segment does
    not retry it, and webhooks have no other way to say "not supported"); other 4xx ``discard``.
    Connection errors, timeouts and other statuses are ``error``.
    """

    loopback = True

    def __init__(self, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http:// or https:// URL with a host")
        self.url = url
        self.name = url
        self.timeout = timeout
        self._env: Environment | None = None

    def start(self, env: Environment) -> None:
        env.loopback_settings({})
        parts = urlsplit(self.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:  # fail fast: nothing listening is one clear error, not a campaign of failures
            socket.create_connection((parts.hostname or "", port), CONNECT_TIMEOUT).close()
        except OSError as exc:
            raise TargetBroken(f"nothing accepts connections at {self.url}: {exc}") from exc
        self._env = env

    def deliver(self, event: dict[str, Any], settings: dict[str, Any]) -> Delivery:
        if self._env is None:
            raise RuntimeError(f"{self.name}: call start(env) before deliver()")
        what = _describe(event)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "planhat-conformance",
            SETTINGS_HEADER: json.dumps(
                self._env.loopback_settings(settings), separators=(",", ":"), ensure_ascii=True
            ),
        }
        try:
            status, answer = self._post(_json_body(event), headers)
        except TimeoutError:
            return Delivery("error", f"{self.url} did not answer the {what} in {self.timeout:g} s")
        except (OSError, http.client.HTTPException) as exc:
            return Delivery("error", f"could not POST the {what} to {self.url}: {exc}")
        said = answer.strip()[:300]
        message = f"HTTP {status}" + (f": {said}" if said else "")
        if 200 <= status < 300:
            return Delivery("ok", message)
        if status == 501:
            return Delivery("unsupported", message)
        if status in (408, 429) or 500 <= status < 600:
            return Delivery("retry", message)
        if 400 <= status < 500:
            return Delivery("discard", message)
        return Delivery("error", f"unexpected answer to the {what}: {message}")

    def _post(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        # http.client, not httpx: a run may sit inside respx's interception of httpx
        parts = urlsplit(self.url)
        connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(parts.netloc, timeout=self.timeout)
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def stop(self) -> None:
        self._env = None


class _ServedHttpTarget(HttpTarget):
    """A bundled HTTP endpoint: started with the target, stopped with it."""

    def __init__(self, serve: Callable[[], Any], name: str, timeout: float) -> None:
        super().__init__("http://127.0.0.1:1/", timeout=timeout)
        self.name = name
        self._serve = serve
        self._server: Any = None

    def start(self, env: Environment) -> None:
        self._server, self.url = self._serve()
        super().start(env)

    def stop(self) -> None:
        super().stop()
        if self._server is not None:
            server, self._server = self._server, None
            server.shutdown()
            server.server_close()


def _json_body(event: Mapping[str, Any]) -> bytes:
    """UTF-8 JSON; ASCII escapes when the event holds text UTF-8 cannot carry (lone surrogates)."""
    try:
        return json.dumps(event, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(event, ensure_ascii=True).encode("ascii")


# --- specs -----------------------------------------------------------------------------------


def load_target(spec: str, *, timeout: float | None = None) -> Target:
    """A target from its spec string (the forms are in :data:`SPEC_FORMS`).

    ``timeout`` is the per-event limit of loopback targets (default 10 s).
    """
    spec = spec.strip()
    wait = DEFAULT_TIMEOUT if timeout is None else timeout
    if spec == "reference":
        return PythonTarget(
            _load_callable("conformance.reference.segment_httpx", "handle", spec), spec
        )
    if spec.startswith("reference:"):
        return _reference(spec, spec.removeprefix("reference:"), wait)
    if spec.startswith("py:"):
        where, sep, attribute = spec.removeprefix("py:").rpartition(":")
        if not sep:
            where, attribute = attribute, "handle"
        if not where or not attribute:
            raise ValueError(f"{spec!r}: write py:pkg.module:handle or py:path/file.py:handle")
        return PythonTarget(_load_callable(where, attribute, spec), spec)
    if spec.startswith("cmd:"):
        try:
            argv = shlex.split(spec.removeprefix("cmd:"))
        except ValueError as exc:
            raise ValueError(f"{spec!r}: the command line cannot be split: {exc}") from exc
        if not argv:
            raise ValueError(f"{spec!r}: no command after 'cmd:'")
        if shutil.which(argv[0]) is None:
            raise ValueError(f"{spec!r}: {argv[0]!r} is not an executable found on PATH")
        return CommandTarget(argv, name=spec, timeout=wait)
    if spec.startswith("function:"):
        path = Path(spec.removeprefix("function:"))
        if not path.is_file():
            raise ValueError(f"{spec!r}: no such Destination Function file {str(path)!r}")
        return FunctionTarget(path, node=_node(spec), timeout=timeout)
    if spec.startswith(("http://", "https://")):
        return HttpTarget(spec, timeout=wait)
    forms = "\n  ".join(SPEC_FORMS)
    raise ValueError(f"unknown target {spec!r}; a target is one of:\n  {forms}")


def _reference(spec: str, name: str, timeout: float) -> Target:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
        raise ValueError(f"{spec!r}: a reference name is a file name in {REFERENCE_DIR}")
    script = REFERENCE_DIR / f"{name}.mjs"  # a Node command speaking NDJSON
    if script.is_file():
        return CommandTarget([_node(spec), str(script)], name=spec, timeout=timeout)
    function = REFERENCE_DIR / f"{name}.js"  # a Segment Destination Function
    if function.is_file():
        target = FunctionTarget(function, node=_node(spec))
        target.name = spec
        return target
    if (REFERENCE_DIR / f"{name}.py").is_file():
        module = importlib.import_module(f"conformance.reference.{name}")
        serve = getattr(module, "serve", None)
        if serve is not None and not hasattr(module, "handle"):  # an HTTP endpoint
            return _ServedHttpTarget(serve, spec, timeout)
    if not (REFERENCE_DIR / f"{name}.py").is_file():
        known = sorted(
            p.stem
            for p in REFERENCE_DIR.iterdir()
            if p.suffix in (".py", ".js", ".mjs") and not p.stem.startswith("_")
        )
        raise ValueError(f"{spec!r}: no such reference; the references are: {', '.join(known)}")
    return PythonTarget(_load_callable(f"conformance.reference.{name}", "handle", spec), spec)


def _node(spec: str) -> str:
    node = shutil.which("node")
    if node is None:
        raise ValueError(f"{spec!r} runs under Node.js 20 or newer, and `node` is not on PATH")
    return node
