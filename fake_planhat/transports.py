"""The doors into a fake: the WSGI plumbing they share, and the two in-process doors.

* :class:`CutConnections` turns a fault rule's ``cut`` (the app leaves ``"before"`` or
  ``"after"`` under :data:`CUT_ENVIRON_KEY` in the environ) into a broken connection: every door
  wraps the app in it, so the socket server and both in-process doors break the same way.
* :class:`Intercept` routes ``http(s)://*.planhat.com`` calls made with httpx (through respx) and
  with requests (through responses) into the fake's WSGI app, keeping the real URL and Host, with
  no socket. Every other URL passes through untouched.

httpx, respx and responses are imported when an :class:`Intercept` starts, not with this module,
so the socket server and the pytest plugin do not pay for them.

While an :class:`Intercept` runs, httpx clients get their default TLS context lazily
(:class:`LazySSLContext`): a client whose requests the door serves never opens a socket, so it
never pays the ~40 ms of loading the CA bundle that ``httpx.post(...)`` (a new client per call)
otherwise spends on every call. A client that reaches the network builds the very same context
on its first connection.
"""

from __future__ import annotations

import io
import re
import ssl
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote_to_bytes, urlsplit

from fake_planhat.faults import CUT_ENVIRON_KEY

if TYPE_CHECKING:
    import httpx
    import requests
    import responses
    import respx
    from urllib3 import HTTPHeaderDict

    from fake_planhat.fake import FakePlanhat

__all__ = [
    "CUT_ENVIRON_KEY",
    "NOT_PLANHAT_URL",
    "PLANHAT_HOST",
    "PLANHAT_URL",
    "ConnectionCut",
    "CutConnections",
    "Intercept",
    "LazySSLContext",
    "StartResponse",
    "WSGIApp",
    "WSGIResult",
    "call_wsgi",
    "wsgi_environ",
]

# What a client sees when the connection is cut: the words of http.client and httpx when a
# real server closes the socket without answering, so both doors look the same to a client.
DISCONNECTED = "Server disconnected without sending a response."
REMOTE_DISCONNECTED = "Remote end closed connection without response"

# Planhat's hosts: planhat.com and every subdomain (api, api-eu, analytics …), any port.
PLANHAT_HOST = re.compile(r"(?i)^(?:[a-z0-9-]+\.)*planhat\.com$")  # (?i): respx reuses the text
_PLANHAT_URL = r"https?://(?:[a-z0-9-]+\.)*planhat\.com(?::\d+)?(?:[/?#]|$)"
PLANHAT_URL = re.compile(_PLANHAT_URL, re.IGNORECASE)
NOT_PLANHAT_URL = re.compile(f"(?!{_PLANHAT_URL})", re.IGNORECASE)
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class StartResponse(Protocol):
    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]: ...


WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


# --- connection cuts -------------------------------------------------------------------------


class ConnectionCut(Exception):
    """A fault rule asked for this request's connection to be broken instead of answered.

    ``when`` is ``"before"`` (the request had no effect) or ``"after"`` (it took effect, the
    answer is lost). Doors turn it into what their clients see on a dropped connection.
    """

    def __init__(self, when: str) -> None:
        super().__init__(f"connection cut {when} the request took effect, by a fault rule")
        self.when = when


class CutConnections:
    """WSGI middleware: after the app ran, raise ``error`` if the fault engine asked for a cut.

    The app's answer is discarded unread; nothing of it reaches the client.
    """

    def __init__(self, app: WSGIApp, error: type[ConnectionCut] = ConnectionCut) -> None:
        self.app = app
        self.error = error

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = self.app(environ, start_response)
        when = environ.get(CUT_ENVIRON_KEY)
        if not when:
            return body
        close = getattr(body, "close", None)
        if close is not None:
            close()
        raise self.error(str(when))


# --- calling a WSGI app without a socket -----------------------------------------------------


@dataclass(frozen=True)
class WSGIResult:
    """An app's answer, read whole."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def wsgi_environ(
    method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes
) -> dict[str, Any]:
    """A PEP 3333 environ for one request, as a server in front of ``url``'s host builds it.

    The path is percent-decoded to bytes and carried as latin-1 (so UTF-8 paths survive
    Werkzeug's decoding); repeated headers are joined with commas; ``Host`` keeps the URL's
    host when the client did not send one (requests adds it only on the wire).
    """
    parts = urlsplit(url)
    scheme = parts.scheme or "http"
    default_port = "443" if scheme == "https" else "80"
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method.upper(),
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote_to_bytes(parts.path or "/").decode("latin-1"),
        "QUERY_STRING": parts.query,
        "SERVER_NAME": parts.hostname or "localhost",
        "SERVER_PORT": str(parts.port) if parts.port else default_port,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_LENGTH", "TRANSFER_ENCODING"):
            continue  # the body is whole: its length is set below
        if key != "CONTENT_TYPE":
            key = "HTTP_" + key
        joiner = "; " if key == "HTTP_COOKIE" else ", "
        environ[key] = f"{environ[key]}{joiner}{value}" if key in environ else value
    environ.setdefault("HTTP_HOST", parts.netloc.rpartition("@")[2])
    if body or method.upper() not in ("GET", "HEAD", "DELETE", "OPTIONS"):
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def call_wsgi(app: WSGIApp, environ: dict[str, Any]) -> WSGIResult:
    """Run ``app`` on ``environ`` and read its answer whole (exceptions propagate)."""
    answer: dict[str, Any] = {}
    written: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None, /
    ) -> Callable[[bytes], object]:
        if exc_info is not None and written:
            raise exc_info[1].with_traceback(exc_info[2])
        answer["status"], answer["headers"] = status, headers
        return written.append

    iterable = app(environ, start_response)
    try:
        written.extend(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    if "status" not in answer:
        raise RuntimeError("the WSGI app returned without calling start_response")
    return WSGIResult(
        int(answer["status"].split(" ", 1)[0]), list(answer["headers"]), b"".join(written)
    )


# --- TLS only for connections that happen ----------------------------------------------------


class LazySSLContext:
    """An ``ssl.SSLContext`` built on first use: every attribute read or write (``wrap_socket``,
    ``set_alpn_protocols``, ``check_hostname`` …) builds the real context with ``factory`` once
    and forwards to it. ``isinstance(lazy, ssl.SSLContext)`` holds, as for the real one.

    A client created while an :class:`Intercept` runs gets one of these from httpx; if the door
    serves all its requests, the context is never built.
    """

    __slots__ = ("_context", "_factory", "_lock")

    def __init__(self, factory: Callable[[], ssl.SSLContext]) -> None:
        object.__setattr__(self, "_factory", factory)
        object.__setattr__(self, "_context", None)
        object.__setattr__(self, "_lock", threading.Lock())

    @property  # type: ignore[misc]  # isinstance() checks see an SSLContext
    def __class__(self) -> type:
        return ssl.SSLContext

    @property
    def built(self) -> bool:
        """Whether the real context exists yet (a connection needed it)."""
        return object.__getattribute__(self, "_context") is not None

    def _real(self) -> ssl.SSLContext:
        context: ssl.SSLContext | None = object.__getattribute__(self, "_context")
        if context is None:
            with object.__getattribute__(self, "_lock"):
                context = object.__getattribute__(self, "_context")
                if context is None:
                    context = object.__getattribute__(self, "_factory")()
                    object.__setattr__(self, "_context", context)
        return context

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._real(), name, value)

    def __repr__(self) -> str:
        state = "built" if self.built else "not built yet"
        return f"<LazySSLContext ({state})>"


class _LazyHttpxTLS:
    """Patches httpx's default-transport ``create_ssl_context`` while any Intercept runs.

    Counted, so nested or concurrent Intercepts (several fakes in one process) patch once and
    restore the original when the last one stops. Only the costly default (``verify=True``, no
    client certificate) is deferred; anything else goes straight to httpx.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._original: Callable[..., ssl.SSLContext] | None = None

    def acquire(self) -> None:
        from httpx._transports import default

        with self._lock:
            if self._users == 0:
                original: Callable[..., ssl.SSLContext] = getattr(default, _FACTORY)
                self._original = original

                def create_ssl_context(
                    verify: Any = True, cert: Any = None, trust_env: bool = True
                ) -> ssl.SSLContext:
                    if verify is True and cert is None:
                        lazy = LazySSLContext(lambda: original(verify, cert, trust_env))
                        return lazy  # type: ignore[return-value]  # an SSLContext to its users
                    return original(verify=verify, cert=cert, trust_env=trust_env)

                setattr(default, _FACTORY, create_ssl_context)
            self._users += 1

    def release(self) -> None:
        from httpx._transports import default

        with self._lock:
            if self._users == 0:
                return
            self._users -= 1
            if self._users == 0 and self._original is not None:
                setattr(default, _FACTORY, self._original)
                self._original = None


_FACTORY = "create_ssl_context"  # what httpx's HTTPTransport calls for its TLS context
_LAZY_TLS = _LazyHttpxTLS()


# --- the in-process doors --------------------------------------------------------------------


def _read_body(body: object) -> bytes:
    """A requests ``PreparedRequest.body`` as bytes (it may be text, bytes, a file or chunks)."""
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    read = getattr(body, "read", None)
    if callable(read):
        data = read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if isinstance(body, Iterable):
        return b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)
    raise TypeError(f"cannot read a request body of type {type(body).__name__}")


class Intercept:
    """Routes httpx and requests calls to ``http(s)://*.planhat.com`` into ``fake``, in-process.

    A context manager (or :meth:`start` / :meth:`stop`). URLs keep their host, so the journal
    records ``api-eu.planhat.com`` when a client called it. Other URLs reach the network as
    usual. A fault rule's ``cut`` raises what the client library raises when a server closes the
    connection without answering: ``httpx.RemoteProtocolError`` or ``requests.ConnectionError``.

    No socket means no client timeouts: a ``latency`` fault makes the call sleep (an async
    client's event loop included); test timeouts against :meth:`FakePlanhat.serve` instead.
    """

    def __init__(self, fake: FakePlanhat, *, httpx: bool = True, requests: bool = True) -> None:
        self.fake = fake
        self.via_httpx = httpx
        self.via_requests = requests
        self._app: WSGIApp = CutConnections(fake.app)
        self._respx: respx.MockRouter | None = None
        self._responses: responses.RequestsMock | None = None

    @property
    def active(self) -> bool:
        return self._respx is not None or self._responses is not None

    def start(self) -> Intercept:
        if self.active:
            raise RuntimeError("this Intercept is already started")
        try:
            if self.via_httpx:
                self._respx = self._start_respx()
            if self.via_requests:
                self._responses = self._start_responses()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        router, self._respx = self._respx, None
        mock, self._responses = self._responses, None
        if router is not None:
            router.stop(quiet=True)
            _LAZY_TLS.release()
        if mock is not None:
            mock.stop(allow_assert=False)
            mock.reset()

    def __enter__(self) -> Intercept:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- httpx, through respx --------------------------------------------------------------

    def _start_respx(self) -> respx.MockRouter:
        import respx

        router = respx.MockRouter(assert_all_called=False, assert_all_mocked=False)
        router.route(host__regex=PLANHAT_HOST.pattern).mock(side_effect=self._answer_httpx)
        router.route().pass_through()
        router.start()
        try:
            _LAZY_TLS.acquire()
        except BaseException:
            router.stop(quiet=True)
            raise
        return router

    def _answer_httpx(self, request: httpx.Request) -> httpx.Response:
        import httpcore
        import httpx

        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        environ = wsgi_environ(request.method, str(request.url), headers, request.content)
        try:
            result = call_wsgi(self._app, environ)
        except ConnectionCut:
            # httpx turns httpcore's error into httpx.RemoteProtocolError with the real request
            raise httpcore.RemoteProtocolError(DISCONNECTED) from None
        return httpx.Response(result.status, headers=result.headers, content=result.body)

    # --- requests, through responses -------------------------------------------------------

    def _start_responses(self) -> responses.RequestsMock:
        import responses

        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        for method in HTTP_METHODS:
            mock.add_callback(
                method, PLANHAT_URL, callback=self._answer_requests, content_type=None
            )
        mock.add_passthru(NOT_PLANHAT_URL)
        mock.start()
        return mock

    def _answer_requests(
        self, request: requests.PreparedRequest
    ) -> tuple[int, HTTPHeaderDict, bytes]:
        from http.client import RemoteDisconnected

        import requests
        from urllib3 import HTTPHeaderDict
        from urllib3.exceptions import ProtocolError

        headers = [(str(k), _header_text(v)) for k, v in request.headers.items()]
        method = request.method or "GET"
        environ = wsgi_environ(method, request.url or "", headers, _read_body(request.body))
        try:
            result = call_wsgi(self._app, environ)
        except ConnectionCut:
            raise requests.ConnectionError(
                ProtocolError("Connection aborted.", RemoteDisconnected(REMOTE_DISCONNECTED)),
                request=request,
            ) from None
        headers_out = HTTPHeaderDict()
        for name, value in result.headers:
            headers_out.add(name, value)  # repeated headers stay separate
        return result.status, headers_out, result.body


def _header_text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value
