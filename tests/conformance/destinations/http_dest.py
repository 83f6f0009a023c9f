"""A tiny Segment -> Planhat destination behind an HTTP endpoint, for the kit's HttpTarget tests.

It reads the event from the body and its settings from the ``X-Planhat-Settings`` header
(conformance/harness/README.md), forwards the event to ``{baseUrl}/dock/segment`` and answers
with a status the kit reads as the outcome: 200 ok, 503 retry, 400 discard, 501 unsupported.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SUBDOMAINS = ("api", "api-eu", "analytics")
SENT = ("identify", "track", "page", "group", "alias")


def forward(event: dict[str, Any], settings: dict[str, Any]) -> tuple[int, str]:
    """Rules S-1, T-3, W-1..W-4; Planhat's status mapped per O-1..O-3."""
    subdomain = settings.get("subdomain", "api")
    if not settings.get("apiKey") or subdomain not in SUBDOMAINS:
        return 400, "invalid settings"
    if event.get("type") not in SENT:
        return 501, f"{event.get('type')} is not supported"
    token = base64.b64encode(f"{settings['apiKey']}:".encode()).decode()
    request = urllib.request.Request(
        f"{settings['baseUrl']}/dock/segment",
        data=json.dumps(event).encode(),
        headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return 200, f"Planhat answered {response.status}"
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        return 503, f"connection error: {exc}"
    if status in (408, 429) or status >= 500:
        return 503, f"Planhat answered {status}"
    return 400, f"Planhat answered {status}"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        event = json.loads(self.rfile.read(length))
        settings = json.loads(self.headers.get("X-Planhat-Settings", "{}"))
        status, text = forward(event, settings)
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet tests


def serve() -> tuple[ThreadingHTTPServer, str]:
    """Start the endpoint on a free loopback port; returns the server and its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/segment"
