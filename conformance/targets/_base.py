"""The environment a target runs in, and the Target interface."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from conformance._outcomes import Delivery
from fake_planhat import FakePlanhat

SUBDOMAINS: tuple[str, ...] = ("api", "api-eu", "analytics")  # rule S-1's list
DEFAULT_TIMEOUT = 10.0  # seconds a loopback target may take per event
DEFAULT_FUNCTION_LIMIT = 5.0  # Segment Functions' execution limit, seconds
SETTINGS_HEADER = "X-Planhat-Settings"
HARNESS = Path(__file__).parent.parent / "harness" / "function-runner.mjs"
REFERENCE_DIR = Path(__file__).parent.parent / "reference"
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
        rule S-1's list also gets the ``api`` port: a destination that ignores rule S-1 and sends
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
