"""The baseline the fake is measured against: a bare Flask app that does the least an HTTP JSON
service can do, served and mounted exactly as the fake is.

* :func:`bare_app` — one route, any path, ``POST`` or ``PUT``: parse the JSON body, store it
  (each item of an array) in a dict, answer a small JSON document. Nothing else: no auth, no
  validation, no journal. It is the physical limit of the fake's own stack.
* :class:`BareFake` — that app where a :class:`~fake_planhat.FakePlanhat` is expected, so the
  very same :class:`~fake_planhat.server.ServerThread` serves it over loopback and the very same
  :class:`~fake_planhat.transports.Intercept` mounts it through respx and ``responses``.
"""

from __future__ import annotations

import itertools
import threading
from typing import TYPE_CHECKING, Any, cast

from flask import Flask, Response, jsonify, request

if TYPE_CHECKING:
    from fake_planhat.fake import FakePlanhat
    from fake_planhat.server import ServerThread
    from fake_planhat.transports import Intercept

__all__ = ["BareFake", "bare_app", "bare_intercept", "bare_server"]


def bare_app() -> Flask:
    """A Flask app whose one route parses a JSON body and stores it in a dict."""
    app = Flask("bench_baseline", static_folder=None)
    store: dict[int, Any] = {}
    keys = itertools.count()
    lock = threading.Lock()  # the fake holds a tenant lock around each write: so does this

    @app.route("/<path:path>", methods=["POST", "PUT"])
    def store_json(path: str) -> Response:
        data = request.get_json()
        items = data if isinstance(data, list) else [data]
        with lock:
            for item in items:
                store[next(keys)] = item
        return jsonify(stored=len(items))

    return app


class BareFake:
    """Stands where a FakePlanhat stands in ServerThread and Intercept: they only use ``.app``."""

    def __init__(self) -> None:
        self.app = bare_app()

    def as_fake(self) -> FakePlanhat:
        return cast("FakePlanhat", self)


def bare_server(threads: int | None = None) -> ServerThread:
    """The bare app on the fake's own socket server (waitress, loopback, a free port), started."""
    from fake_planhat.server import ServerThread

    return ServerThread(BareFake().as_fake(), threads=threads).start()


def bare_intercept(*, httpx: bool = True, requests: bool = True) -> Intercept:
    """The bare app mounted through the fake's own in-process door (respx and ``responses``) for
    ``*.planhat.com``; not started."""
    from fake_planhat.transports import Intercept

    return Intercept(BareFake().as_fake(), httpx=httpx, requests=requests)
