"""A Segment -> Planhat destination behind an HTTP endpoint (profile ``segment``), fed like
Segment's webhook: the kit's ``http://…`` targets. Standard library only.

It reads the event from the body and the settings from the ``X-Planhat-Settings`` header
(``conformance/harness/README.md``), forwards the event to ``{baseUrl}/dock/segment`` and
answers with a status the kit reads as the outcome: 200 ok, 503 retry, 400 discard, 501
unsupported.

- S-1: a missing apiKey or an unknown subdomain: 400, nothing sent.
- T-1 … T-4: identify, track, page, group and alias are sent; other types 501; ``integrations``
  can switch Planhat off (an options object ``"Planhat": {…}`` switches it on).
- O-1 … O-3, O-5: any 2xx from Planhat is 200; no answer within :data:`TIMEOUT` seconds, 408,
  429 or any 5xx is 503 (retry); other 4xx is 400 (discard).

    python -m conformance.reference.segment_webhook   # prints its URL, serves until stopped
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["TIMEOUT", "forward", "serve"]

SUBDOMAINS = ("api", "api-eu", "analytics")
SENT = ("identify", "track", "page", "group", "alias")
TIMEOUT = 2.0  # seconds to wait for Planhat: a shorter timeout than the other references


def _enabled(integrations: Any) -> bool:
    if not isinstance(integrations, dict):
        return True
    planhat = integrations.get("Planhat")
    if planhat is False:
        return False
    if planhat is True or isinstance(planhat, dict):
        return True
    return integrations.get("All") is not False


def forward(event: dict[str, Any], settings: dict[str, Any]) -> tuple[int, str]:
    """One event: the status to answer the kit with, and a word on why."""
    subdomain = settings.get("subdomain") or "api"
    api_key = settings.get("apiKey")
    if not isinstance(api_key, str) or not api_key or subdomain not in SUBDOMAINS:
        return 400, "invalid settings"
    if not _enabled(event.get("integrations")):
        return 200, "integrations switch Planhat off"
    if event.get("type") not in SENT:
        return 501, f"{event.get('type')!r} is not supported"
    token = base64.b64encode(f"{api_key}:".encode()).decode()
    request = urllib.request.Request(
        f"{settings['baseUrl']}/dock/segment",
        data=json.dumps(event, ensure_ascii=True).encode(),
        headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return 200, f"Planhat answered {response.status}"
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:  # refused, cut, timed out: no answer
        return 503, f"no answer from Planhat: {exc}"
    if status in (408, 429) or status >= 500:
        return 503, f"Planhat answered {status}"
    return 400, f"Planhat answered {status}"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        try:
            event = json.loads(self.rfile.read(length))
            settings = json.loads(self.headers.get("X-Planhat-Settings", "{}"))
            status, text = forward(event, settings)
        except ValueError as exc:
            status, text = 400, f"not JSON: {exc}"
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet


def serve(port: int = 0) -> tuple[ThreadingHTTPServer, str]:
    """Start the endpoint on a loopback port; returns the server and its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/segment"


if __name__ == "__main__":  # pragma: no cover - a manual entry point
    running, url = serve()
    print(url, flush=True)
    threading.Event().wait()
