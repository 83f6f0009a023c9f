"""Each fake's Flask app adopts routes registered once per process (a performance change, see
docs/performance.md): the adopted app must hold everything registering them gives an app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from fake_planhat import FakePlanhat
from fake_planhat.app import ROUTE_REGISTRIES, register_routes


def _plain(value: Any) -> Any:
    """Nested dicts (defaultdicts too) and lists as plain values, comparable with ``==``."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _rules(app: Flask) -> list[tuple[str, str, list[str]]]:
    return sorted((r.rule, r.endpoint, sorted(r.methods or ())) for r in app.url_map.iter_rules())


def test_registering_routes_fills_in_only_registries_an_app_adopts() -> None:
    registered = register_routes(Flask("fake_planhat", static_folder=None))
    empty = Flask("fake_planhat", static_folder=None)

    filled = {
        name
        for name, value in vars(registered).items()
        if isinstance(value, dict | list) and _plain(value) != _plain(vars(empty).get(name))
    }

    assert filled <= {*ROUTE_REGISTRIES, "blueprints"}


def test_an_adopted_app_has_the_routes_hooks_handlers_and_filters_of_a_registered_one() -> None:
    registered = register_routes(Flask("fake_planhat", static_folder=None))
    adopted = FakePlanhat().app

    assert _rules(adopted) == _rules(registered)
    assert adopted.blueprints == registered.blueprints
    for name in ROUTE_REGISTRIES:
        assert _plain(getattr(adopted, name)) == _plain(getattr(registered, name)), name
    assert set(registered.jinja_env.filters) <= set(adopted.jinja_env.filters)
    assert (adopted.root_path, adopted.instance_path) == (
        registered.root_path,
        registered.instance_path,
    )


def test_two_fakes_share_the_compiled_url_map_but_not_their_registries() -> None:
    one, two = FakePlanhat().app, FakePlanhat().app
    hooks_before = len(two.before_request_funcs[None])

    one.before_request(lambda: None)

    assert one.url_map is two.url_map
    assert len(two.before_request_funcs[None]) == hooks_before
    assert one.extensions["fake_planhat"] is not two.extensions["fake_planhat"]
