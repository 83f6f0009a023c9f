"""The socket door: a fake served by waitress from a background thread.

``ServerThread`` binds one listening socket itself (so ``port=0`` and a busy port behave
plainly), runs waitress's event loop in a thread and its request workers in a pool, and stops
gracefully: it stops accepting, lets requests already inside the app finish and their answers
flush, then closes every connection. Stopping is driven through waitress's trigger, so no step
waits on a poll timeout.
"""

from __future__ import annotations

import errno
import logging
import math
import socket
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, cast

from waitress import wasyncore
from waitress.channel import ClientDisconnected
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server
from waitress.task import ThreadedTaskDispatcher

from fake_planhat import _guard
from fake_planhat.api.common import LIMIT_ANALYTICS
from fake_planhat.api.gate import ALLOWED_HOSTS_CONFIG, is_loopback
from fake_planhat.transports import ConnectionCut, CutConnections, StartResponse

if TYPE_CHECKING:
    from fake_planhat.fake import FakePlanhat

__all__ = ["BIND_HOST_CONFIG", "DEFAULT_THREADS", "CannotListen", "ServerThread"]

log = logging.getLogger("fake_planhat.server")

# The app config key naming the address the fake listens on; the control plane asks for the
# admin token when it is not a loopback address.
BIND_HOST_CONFIG = "FAKE_PLANHAT_BIND_HOST"
DEFAULT_THREADS = 8
STOP_TIMEOUT = 5.0  # seconds stop() lets in-flight requests finish before closing them
# waitress's per-connection log lines: moved to this module's logger at debug level.
_WAITRESS_NOISE = ("Client disconnected while serving", "Task queue depth is")


class CannotListen(OSError):
    """The address could not be bound (port in use, unknown host, no permission)."""


class _CutByFault(ConnectionCut, ClientDisconnected):
    """A cut as waitress understands it: it writes nothing more and closes the connection.

    waitress logs a ClientDisconnected at info level only (no traceback), and
    :class:`_QuietWaitress` moves that line to debug.
    """


class _OnDemandWorkers(ThreadedTaskDispatcher):
    """waitress's worker pool, started as requests need it (up to ``limit`` threads).

    Starting a thread costs a millisecond or more on a busy machine, so starting all of them
    up front would dominate a test's start-request-stop cycle.
    """

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def add_task(self, task: Any) -> None:
        with self.lock:
            running = len(self.threads) - self.stop_count
            idle = running - self.active_count
            if idle <= len(self.queue) and running < self.limit:
                number = next(
                    n for n in range(self.limit + len(self.threads)) if n not in self.threads
                )
                self.threads.add(number)
                self.active_count += 1  # as set_thread_count counts a new thread
                self.start_new_thread(self.handler_thread, number)
        super().add_task(task)

    def shutdown(self, cancel_pending: bool = True, timeout: int = 5) -> bool:
        with self.lock:
            self.limit = 0  # no new workers while and after stopping
        return bool(super().shutdown(cancel_pending, timeout))


class _QuietWaitress(logging.Filter):
    """Re-log waitress's per-connection noise at debug level on ``fake_planhat.server``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith(_WAITRESS_NOISE):
            log.debug("waitress: %s", message)
            return False
        return True


def _quiet_waitress() -> None:
    for name in ("waitress", "waitress.queue"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _QuietWaitress) for f in logger.filters):
            logger.addFilter(_QuietWaitress())


class _Trigger(Protocol):
    """waitress's trigger: wakes the loop and runs thunks in its thread (types-waitress
    declares it an int)."""

    def pull_trigger(self, thunk: Callable[[], object] | None = None) -> None: ...

    def close(self) -> None: ...


def _trigger(server: BaseWSGIServer) -> _Trigger:
    return cast(_Trigger, server.trigger)


def connection_limit() -> int:
    """:data:`~fake_planhat._guard.CONNECTION_LIMIT`, or fewer when the process may not open
    that many files (each connection is one; some are kept for the state file and logs)."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):  # pragma: no cover - not on Linux or macOS
        return _guard.CONNECTION_LIMIT
    if soft == resource.RLIM_INFINITY:
        return _guard.CONNECTION_LIMIT
    return max(16, min(_guard.CONNECTION_LIMIT, soft - 64))


def _bind(host: str, port: int) -> socket.socket:
    """One listening-ready TCP socket on ``host:port`` (the first address ``host`` names)."""
    try:
        infos = socket.getaddrinfo(
            host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, socket.IPPROTO_TCP, socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise CannotListen(
            errno.EADDRNOTAVAIL, f"cannot listen on {host}: {exc.strerror}"
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        reason = "the port is already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
        raise CannotListen(exc.errno, f"cannot listen on {host}:{port}: {reason}") from None
    return sock


class ServerThread:
    """Serves ``fake`` over HTTP on ``host:port`` (loopback and a free port by default), with
    up to ``threads`` requests at once (default :data:`DEFAULT_THREADS`).

    A context manager, or :meth:`start` / :meth:`stop`. After :meth:`start`, ``url`` is
    ``http://HOST:PORT`` with the port actually bound. Assigning :attr:`fake` serves another
    fake from the next request on (the pytest plugin does so to give each test a fresh one).
    """

    def __init__(
        self,
        fake: FakePlanhat,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        threads: int | None = None,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        threads = DEFAULT_THREADS if threads is None else threads
        if threads < 1:
            raise ValueError("a server needs at least one worker thread")
        self._fake = fake
        self.requested_host = host
        self.requested_port = port
        self.threads = threads
        # Host names the control plane answers besides loopback names and the bound address.
        self.allowed_hosts = tuple(h.strip().strip("[]").lower() for h in allowed_hosts if h)
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._map: dict[int, Any] = {}
        self._thread: threading.Thread | None = None
        self._app = CutConnections(self._dispatch, error=_CutByFault)

    # --- what is served --------------------------------------------------------------------

    @property
    def fake(self) -> FakePlanhat:
        return self._fake

    @fake.setter
    def fake(self, fake: FakePlanhat) -> None:
        if self.running:
            self._announce_bind_host(fake)
        self._fake = fake

    def _dispatch(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]] = self._fake.app
        return app(environ, start_response)

    def _announce_bind_host(self, fake: FakePlanhat) -> None:
        """Tell the control plane where the fake listens, keeping the most exposed address when
        one fake is served by several servers."""
        config = fake.app.config
        previous = config.get(BIND_HOST_CONFIG)
        if previous is None or is_loopback(previous):
            config[BIND_HOST_CONFIG] = self.host
        named = tuple(config.get(ALLOWED_HOSTS_CONFIG, ()))
        added = tuple(h for h in self.allowed_hosts if h not in named)
        config[ALLOWED_HOSTS_CONFIG] = named + added

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> ServerThread:
        """Bind and serve; raises :class:`CannotListen` when the address cannot be bound."""
        if self.running:
            raise RuntimeError(f"already serving on {self.url}")
        _quiet_waitress()
        sock = _bind(self.requested_host, self.requested_port)
        self.host, self.port = sock.getsockname()[:2]
        self._map = {}
        try:
            server = create_server(
                self._app,
                map=self._map,
                sockets=[sock],
                _dispatcher=_OnDemandWorkers(self.threads),
                ident="fake-planhat",
                log_socket_errors=False,  # a client hanging up is not the fake's error
                # waitress reads a whole body before the app runs: refuse one larger than the
                # largest route limit from its Content-Length (413) instead of waiting for it
                max_request_body_size=LIMIT_ANALYTICS + 1,
                asyncore_use_poll=True,
                # the connection guards (_guard.py): many idle or slow clients lock nobody out
                connection_limit=connection_limit(),
                cleanup_interval=_guard.CHECK_SECONDS,
                max_request_header_size=_guard.MAX_HEADER_BYTES,
            )
        except BaseException:
            sock.close()
            raise
        assert not isinstance(server, MultiSocketServer)  # one socket in, one server out
        _guard.guard(server)
        self._announce_bind_host(self._fake)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, name=f"fake-planhat-server-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop accepting, let in-flight requests finish (up to ``timeout`` s), close all."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        deadline = time.monotonic() + timeout
        # 1. no new connections
        self._in_loop(server, thread, lambda: wasyncore.dispatcher.close(server), deadline)
        # 2. requests already read finish in the workers; then the workers end
        dispatcher = server.task_dispatcher
        while time.monotonic() < deadline:
            with dispatcher.lock:
                if not dispatcher.queue and dispatcher.active_count <= 0:
                    break
            time.sleep(0.001)
        dispatcher.shutdown(
            cancel_pending=True, timeout=max(1, math.ceil(deadline - time.monotonic()))
        )
        # 3. answers flush, connections close, the loop ends with an empty map
        pause = 0.0005
        while thread.is_alive() and time.monotonic() < deadline:
            if self._in_loop(server, thread, lambda: self._close_connections(server), deadline):
                break  # the trigger is closed: the loop is ending
            time.sleep(pause)
            pause = min(pause * 2, 0.01)
        else:
            if thread.is_alive():  # out of time: drop whatever is left
                self._in_loop(server, thread, lambda: wasyncore.close_all(self._map), deadline + 1)
        thread.join(1.0)

    def _close_connections(self, server: BaseWSGIServer) -> bool:
        """In the loop thread: close idle connections, let busy ones close once flushed, and
        when none is left close the trigger, which ends the loop. True when it did."""
        flushing = False
        for channel in list(self._map.values()):
            if channel is _trigger(server):
                continue
            if getattr(channel, "total_outbufs_len", 0):
                channel.close_when_flushed = True
                flushing = True
            else:
                channel.handle_close()
        if flushing:
            return False
        _trigger(server).close()
        return True

    @staticmethod
    def _in_loop(
        server: BaseWSGIServer,
        thread: threading.Thread,
        action: Callable[[], object],
        deadline: float,
    ) -> object:
        """Run ``action`` in the loop thread (waitress's map is not thread-safe) and return
        its result, or None when the loop is gone or ``deadline`` passed."""
        done = threading.Event()
        result: list[object] = []

        def thunk() -> None:
            try:
                result.append(action())
            finally:
                done.set()

        if not thread.is_alive():
            return None
        _trigger(server).pull_trigger(thunk)
        while thread.is_alive() and not done.wait(0.05):
            if time.monotonic() >= deadline:
                break
        return result[0] if result else None

    def __enter__(self) -> ServerThread:
        return self if self.running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = self.url if self.running else "stopped"
        return f"<ServerThread {state}>"
