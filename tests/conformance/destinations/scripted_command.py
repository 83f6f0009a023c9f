"""A command target scripted to behave, or break the NDJSON protocol, for the kit's tests.

    python scripted_command.py echo-settings | crash-on-track | garbage | hang | bad-outcome

echo-settings answers ok with the settings it received as the message; crash-on-track answers ok
but exits with code 3 on a track event; garbage prints a line that is not JSON; hang reads events
and never answers; bad-outcome answers an outcome the protocol does not know.
"""

from __future__ import annotations

import json
import sys
import time

mode = sys.argv[1]
for line in sys.stdin:
    request = json.loads(line)
    answer = {"id": request["id"], "outcome": "ok", "message": ""}
    if mode == "echo-settings":
        answer["message"] = json.dumps(request["settings"])
    elif mode == "crash-on-track" and request["event"].get("type") == "track":
        print("scripted_command: giving up on a track event", file=sys.stderr)
        sys.exit(3)
    elif mode == "garbage":
        print("hello, this is not JSON")
        continue
    elif mode == "hang":
        time.sleep(3600)
    elif mode == "bad-outcome":
        answer["outcome"] = "maybe"
    print(json.dumps(answer))
