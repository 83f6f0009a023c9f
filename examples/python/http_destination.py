"""The same destination behind HTTP, fed like Segment's webhook (target kind ``http://``).

    python http_destination.py --port 8700 &
    planhat-conformance run --target http://127.0.0.1:8700/

The body of each POST is the event; the settings come as JSON in the ``X-Planhat-Settings``
header. The answer's status is the outcome: 2xx ok, 503 retry, 400 discard, 501 unsupported.
The first line printed is the URL, so a script can wait for it.
"""

from __future__ import annotations

import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from planhat_destination import handle

STATUS = {"RetryError": 503, "ValidationError": 400, "EventNotSupported": 501}


class Webhook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        event = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        settings = json.loads(self.headers.get("X-Planhat-Settings", "{}"))
        try:
            handle(event, settings)
            status, message = 200, "ok"
        except Exception as exc:
            status, message = STATUS.get(type(exc).__name__, 500), f"{type(exc).__name__}: {exc}"
        body = json.dumps({"message": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the kit reports what matters


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    server = ThreadingHTTPServer(("127.0.0.1", parser.parse_args().port), Webhook)
    print(f"http://127.0.0.1:{server.server_address[1]}/", flush=True)
    server.serve_forever()
