"""``http(s)://`` targets: an endpoint fed like Segment's webhook."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from conformance._outcomes import Delivery
from conformance.targets._base import (
    CONNECT_TIMEOUT,
    DEFAULT_TIMEOUT,
    SETTINGS_HEADER,
    Environment,
    TargetBroken,
    _describe,
)

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
