"""Connection guards for the socket door (issue 15): slow, idle or malformed clients cannot lock
others out, and bad framing gets a 400 in seconds.

waitress alone stops accepting at its connection limit (100), keeps an idle connection for
120 s, waits without end for a request sent one byte at a time, answers 501 to an unknown
``Transfer-Encoding`` and waits for a blank line that a bare-LF request never sends. Here:

* a request must arrive whole within :data:`HEADER_SECONDS` plus its body at no less than
  :data:`MIN_BODY_RATE` bytes a second, else the connection gets a 400 and is closed;
* near the connection limit the longest-idle connections (no request in progress, nothing
  to send) are closed, so new clients are always accepted;
* ``GET /_fake/health`` is answered in the event loop, not behind busy workers;
* an unknown ``Transfer-Encoding`` and bare-LF line ends are 400s.

docs/security.md gives the numbers and the memory each bound implies.
"""

from __future__ import annotations

import time
from typing import Any

from waitress.channel import HTTPChannel
from waitress.parser import HTTPRequestParser
from waitress.utilities import BadRequest, ServerNotImplemented

__all__ = [
    "CONNECTION_LIMIT",
    "HEADER_SECONDS",
    "MAX_HEADER_BYTES",
    "MIN_BODY_RATE",
    "GuardedChannel",
    "guard",
]

CONNECTION_LIMIT = 1000  # open connections at most (waitress's default: 100)
EVICT_AT = 0.9  # of the limit: past it idle connections are closed, the longest idle first
EVICT_TO = 0.75
HEADER_SECONDS = 5.0  # from a request's first byte to the end of its headers (and small body)
MIN_BODY_RATE = 256 * 1024  # bytes a second a body must at least arrive at
MAX_HEADER_BYTES = 64 * 1024  # request line and headers (waitress's default: 256 KiB): 431
IDLE_GRACE = 2.0  # seconds a connection must have been quiet to count as idle (a new one may
# not have been read yet: closing it then would reset the new client's first request)
CHECK_SECONDS = 1  # how often the deadlines and the limit are checked
HEALTH_PATHS = frozenset({"/_fake/health", "/_fake/health/"})


class GuardedParser(HTTPRequestParser):
    """waitress's parser, with bare-LF headers and unknown transfer codings as 400s."""

    def received(self, data: bytes) -> int:
        consumed: int = super().received(data)
        if isinstance(self.error, ServerNotImplemented):
            self.error = BadRequest(self.error.body)
        elif not self.completed and self.body_rcv is None and _bare_lf_end(self.header_plus):
            self.parse_header(b"GET / HTTP/1.0\r\n")  # a request line for the error answer
            self.error = BadRequest("header lines must end with CRLF, not a bare LF")
            self.completed = True
        return consumed


def _bare_lf_end(header: bytes) -> bool:
    """Whether the headers so far end in a blank line written with bare LFs (which waitress
    would never see as the end of the headers)."""
    return b"\n\n" in header or b"\n\r\n" in header.replace(b"\r\n\r\n", b"")


class GuardedChannel(HTTPChannel):
    """A connection that remembers when its request in progress started."""

    parser_class = GuardedParser
    _tracked: Any = None  # the request in progress the start time belongs to
    started = 0.0

    def received(self, data: bytes) -> bool:
        result: bool = super().received(data)
        if self.request is None:
            self._tracked = None
        elif self.request is not self._tracked:
            self._tracked = self.request
            self.started = time.monotonic()
        return result

    def deadline(self) -> float | None:
        """When the request in progress must be whole, or None when there is none."""
        request = self.request
        if request is None or request is not self._tracked:
            return None
        body = max(int(getattr(request, "content_length", 0) or 0), 0)
        return self.started + HEADER_SECONDS + body / MIN_BODY_RATE

    def refuse_slow(self) -> None:
        """Answer 400 for the request in progress and close the connection (loop thread)."""
        this: Any = self  # types-waitress lacks requests_lock and types requests as a Sequence
        with this.requests_lock:
            request = self.request
            if request is None or request.completed:
                return
            if not request.headers_finished:
                request.parse_header(b"GET / HTTP/1.0\r\n")
            request.error = BadRequest(
                f"the request did not arrive whole within {HEADER_SECONDS:g} s (plus 1 s per "
                f"{MIN_BODY_RATE // 1024} KiB of body): too slow, cut short or not HTTP/1.1"
            )
            request.completed = True
            self.request = self._tracked = None
            this.requests.append(request)
            if len(self.requests) == 1:
                this.server.add_task(self)

    def idle(self, now: float) -> bool:
        return (
            now - self.last_activity > IDLE_GRACE
            and self.request is None
            and not self.requests
            and not self.total_outbufs_len
            and not self.will_close
        )


def guard(server: Any) -> None:
    """Fit a waitress server (made with ``channel_class`` unchanged) with the guards."""
    server.channel_class = GuardedChannel
    plain_maintenance = server.maintenance
    plain_add_task = server.add_task

    def maintenance(now: float) -> None:
        plain_maintenance(now)  # waitress's own idle timeout
        # waitress calls this while it builds the poll set: closing a registered socket now
        # would let a new connection reuse its number and receive its POLLNVAL. The trigger
        # runs the checks while poll results are handled, when idle sockets have none pending.
        server.trigger.pull_trigger(lambda: _check(server, now))

    def add_task(channel: Any) -> None:
        """Health checks are answered in the loop, after the caller lets go of its locks."""
        requests = getattr(channel, "requests", None)
        if requests and _is_health(requests[0]):
            server.trigger.pull_trigger(channel.service)
            return
        plain_add_task(channel)

    server.maintenance = maintenance
    server.add_task = add_task


def _check(server: Any, now: float) -> None:
    """Cut requests past their deadline; near the limit, close the longest-idle connections."""
    moment = time.monotonic()
    channels = [c for c in list(server.active_channels.values()) if isinstance(c, GuardedChannel)]
    for channel in channels:
        deadline = channel.deadline()
        if deadline is not None and moment > deadline:
            channel.refuse_slow()
    limit = server.adj.connection_limit
    if len(server._map) < limit * EVICT_AT:
        return
    idle = sorted((c for c in channels if c.idle(now)), key=lambda c: c.last_activity)
    excess = len(server._map) - int(limit * EVICT_TO)
    for channel in idle[: max(excess, 0)]:
        channel.handle_close()


def _is_health(request: Any) -> bool:
    return (
        request.error is None
        and request.command in ("GET", "HEAD")
        and request.path in HEALTH_PATHS
        and not request.query
    )
