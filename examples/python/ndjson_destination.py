"""The same destination as a command: NDJSON over stdin and stdout (target kind ``cmd:``).

    planhat-conformance run --target "cmd:python ndjson_destination.py"

Each input line is ``{"id", "event", "settings"}``; each answer one line
``{"id", "outcome", "message"}``, in order. Logs go to stderr: stdout carries answers only.
"""

from __future__ import annotations

import json
import sys

from planhat_destination import handle  # the in-process destination beside this file

OUTCOMES = {"RetryError": "retry", "ValidationError": "discard", "EventNotSupported": "unsupported"}

for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    try:
        handle(request["event"], request["settings"])  # settings carry the fake's baseUrl
        outcome, message = "ok", ""
    except Exception as exc:
        outcome, message = OUTCOMES.get(type(exc).__name__, "error"), f"{exc}"
        print(f"{request['id']}: {type(exc).__name__}: {exc}", file=sys.stderr)
    print(json.dumps({"id": request["id"], "outcome": outcome, "message": message}), flush=True)
