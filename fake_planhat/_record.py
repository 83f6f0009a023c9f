"""``fake-planhat record``: a recording proxy in front of a real Planhat tenant.

Point your code (or curl) at the proxy instead of ``https://api.planhat.com``: each request is
forwarded to the upstream, its answer passed back unchanged, and the pair appended to a
recording, one JSON object a line. ``fake-planhat parity`` (``_parity.py``) replays that file
against the fake and reports every difference.

Tokens never reach the file: an ``Authorization`` header is kept as its scheme, the role its
token plays (``tenant`` for Basic, the Segment intake; ``api`` for Bearer, the REST API) and a
fingerprint; the tenant token in ``/analytics/<token>`` paths becomes ``{tenantToken}``. The
replay substitutes the fake's own tokens. Answers are kept as Planhat sent them.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import httpx

from fake_planhat.auth import fingerprint
from fake_planhat.server import ServerThread
from fake_planhat.transports import StartResponse

if TYPE_CHECKING:
    from fake_planhat.fake import FakePlanhat

FORMAT = "fake-planhat-recording/1"
TENANT_TOKEN_PLACEHOLDER = "{tenantToken}"
# Request headers worth forwarding; hop-by-hop ones and Host are the proxy's own business.
FORWARDED_REQUEST_HEADERS = ("authorization", "content-type", "accept", "user-agent")
# Answer headers a client may act on (Retry-After, Planhat's rate-limit headers).
KEPT_RESPONSE_HEADERS = (
    "content-type",
    "retry-after",
    "x-rate-limit-limit",
    "x-rate-limit-remaining",
    "x-rate-limit-reset",
)
UPSTREAM_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def redact_authorization(value: str) -> dict[str, str]:
    """``{"scheme", "role", "fp"}`` for an Authorization header; never the token itself."""
    scheme, _, credentials = value.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return {"scheme": "Basic", "role": "unreadable", "fp": fingerprint(credentials)}
        return {"scheme": "Basic", "role": "tenant", "fp": fingerprint(user)}
    if scheme.lower() == "bearer":
        return {"scheme": "Bearer", "role": "api", "fp": fingerprint(credentials)}
    return {"scheme": scheme, "role": "unreadable", "fp": fingerprint(credentials)}


def redact_path(path: str) -> str:
    """``/analytics/<tenant token>`` and ``/analytics/bulk/<tenant token>`` with the token
    replaced by a placeholder."""
    parts = path.split("/")
    if len(parts) >= 3 and parts[1] == "analytics":
        at = 3 if parts[2] == "bulk" and len(parts) >= 4 else 2
        if parts[at]:
            parts[at] = TENANT_TOKEN_PLACEHOLDER
    return "/".join(parts)


def _body_of(raw: bytes, content_type: str) -> Any:
    """JSON answers as JSON (compared by shape later), anything else as text."""
    text = raw.decode("utf-8", "replace")
    if "json" in content_type.lower():
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text


class Recorder:
    """A WSGI app that forwards every request to ``upstream`` and records the exchange."""

    def __init__(self, upstream: str, out: IO[str], *, client: httpx.Client | None = None):
        self.upstream = upstream.rstrip("/")
        self.out = out
        self.client = client or httpx.Client(timeout=UPSTREAM_TIMEOUT)
        self.recorded = 0
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = str(environ.get("PATH_INFO", "/")) or "/"
        query = str(environ.get("QUERY_STRING", ""))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = cast(IO[bytes], environ["wsgi.input"]).read(length) if length else b""
        headers = {
            name: str(environ[key])
            for name in FORWARDED_REQUEST_HEADERS
            if (key := "CONTENT_TYPE" if name == "content-type" else _cgi(name)) in environ
        }
        url = self.upstream + path + (f"?{query}" if query else "")
        try:
            answer = self.client.request(method, url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            message = json.dumps(
                {"error": f"fake-planhat record: {self.upstream} could not be reached: {exc}"}
            ).encode()
            start_response("502 Bad Gateway", [("Content-Type", "application/json")])
            return [message]
        kept = {k: v for k in KEPT_RESPONSE_HEADERS if (v := answer.headers.get(k)) is not None}
        self._write(method, path, query, headers, body, answer, kept)
        reason = answer.reason_phrase or "Unknown"
        start_response(f"{answer.status_code} {reason}", list(kept.items()))
        return [answer.content]

    def _write(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        answer: httpx.Response,
        kept: Mapping[str, str],
    ) -> None:
        request: dict[str, Any] = {"method": method, "path": redact_path(path), "query": query}
        if "authorization" in headers:
            request["auth"] = redact_authorization(headers["authorization"])
        if "content-type" in headers:
            request["contentType"] = headers["content-type"]
        if body:
            # as text, exactly: a replay must send the very bytes, nothing re-typed
            request["body"] = body.decode("utf-8", "replace")
        exchange = {
            "format": FORMAT,
            "request": request,
            "response": {
                "status": answer.status_code,
                "headers": dict(kept),
                "body": _body_of(answer.content, kept.get("content-type", "")),
            },
        }
        line = json.dumps(exchange, ensure_ascii=False, separators=(",", ":"))
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()  # a recording stopped by a signal keeps every exchange
            self.recorded += 1


def _cgi(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


class RecordingServer(ServerThread):
    """:class:`ServerThread`'s lifecycle (bind, graceful stop) serving a :class:`Recorder`."""

    def __init__(self, recorder: Recorder, host: str = "127.0.0.1", port: int = 0) -> None:
        # no fake behind this server: the recorder stands where the fake's app would
        super().__init__(cast("FakePlanhat", None), host, port)
        self.recorder = recorder

    def _dispatch(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return self.recorder(environ, start_response)

    def _announce_bind_host(self, fake: FakePlanhat) -> None:
        """Nothing to announce: there is no control plane behind a recorder."""


def read_recording(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, exchange)`` for each exchange of a recording; ValueError when malformed."""
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                exchange = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path}:{number}: not JSON ({exc})") from None
            if not isinstance(exchange, dict) or exchange.get("format") != FORMAT:
                raise ValueError(f"{path}:{number}: not an exchange of a {FORMAT} recording")
            request, response = exchange.get("request"), exchange.get("response")
            if not isinstance(request, dict) or not isinstance(response, dict):
                raise ValueError(f"{path}:{number}: an exchange needs a request and a response")
            if not isinstance(request.get("method"), str) or not isinstance(
                request.get("path"), str
            ):
                raise ValueError(f"{path}:{number}: the request needs a method and a path")
            if not isinstance(response.get("status"), int):
                raise ValueError(f"{path}:{number}: the response needs a status")
            yield number, exchange
