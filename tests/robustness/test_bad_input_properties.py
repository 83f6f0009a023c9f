"""Bad input on every Planhat route, generated (issue 7, item 1; Hypothesis).

For every catalogued route Hypothesis sends arbitrary bytes, arbitrary JSON, and valid bodies
with one field replaced by an arbitrary JSON value (routes without a body get arbitrary query
strings and path keys instead). Whatever arrives: never a 5xx, always strict JSON, a 4xx is in
Planhat's error shape (or the route's documented bulk / item-error shape) and changes no
tenant's state. Example counts come from the profile in tests/conftest.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.robustness import Call, World, check_tolerated, example_call
from tests.robustness.routes import BODY_ROUTES, PARTY_A, ROUTES, Route

A = PARTY_A
BODYLESS_ROUTES = tuple(r for r in ROUTES if r.shape is None)

# Text as hostile as JSON can carry: any code point, NUL, emoji, and lone surrogates, which
# st.text never draws (it keeps to encodable text), so some strings are joined characters.
characters = st.characters(exclude_categories=[]) | st.sampled_from(["\x00", "\ud800", "🦄"])
texts = st.text(characters, max_size=12) | st.lists(characters, max_size=4).map("".join)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
)


def json_values(keys: st.SearchStrategy[str] = texts) -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5)
        ),
        max_leaves=8,
    )


def field_names(route: Route) -> st.SearchStrategy[str]:
    """Names a body of this route plausibly holds: its known fields, its example's, any."""
    known = sorted({*route.fields, *route.target(route.example(A))})
    return st.sampled_from(known) | texts


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def send_body(world: World, route: Route, data: bytes, content_type: str) -> None:
    world.restore()
    valid = example_call(route, A)
    headers = {**valid.headers, "Content-Type": content_type}
    check_tolerated(world, Call(route.method, valid.path, headers, data), route)


@st.composite
def mutated_bytes(draw: st.DrawFn, route: Route) -> bytes:
    """The route's valid example as JSON bytes, with a few bytes inserted, dropped or changed."""
    data = bytearray(json.dumps(route.example(A)).encode())
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(("insert", "delete", "replace")))
        byte = draw(st.integers(0, 255))
        if edit == "insert":
            data.insert(position, byte)
        elif position < len(data):
            if edit == "delete":
                del data[position]
            else:
                data[position] = byte
    return bytes(data)


def shaped(route: Route, value: Any) -> Any:
    """Arbitrary JSON wrapped the way the route takes its body (an object, or an array)."""
    return [value] if route.shape == "array" else {"value": value}


def with_field(route: Route, name: str, value: Any) -> Any:
    """The route's valid example with one field of its object set to ``value``."""
    body = route.example(A)
    route.target(body)[name] = value
    return body


def bodies(route: Route) -> st.SearchStrategy[tuple[bytes, str]]:
    """(body bytes, Content-Type): arbitrary bytes, the example with bytes edited, arbitrary
    JSON (bare, or in the route's shape), the example with one field replaced by any JSON."""
    media = st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain"])
    objects = st.dictionaries(field_names(route), json_values(), max_size=6)
    documents = (
        json_values(field_names(route))
        | objects
        | st.lists(objects, max_size=3)
        | json_values().map(lambda value: shaped(route, value))
        | st.builds(lambda n, v: with_field(route, n, v), field_names(route), json_values())
    )
    as_json = documents.map(lambda body: json.dumps(body).encode())
    return st.tuples(st.binary(max_size=200) | mutated_bytes(route), media) | st.tuples(
        as_json, st.just("application/json")
    )


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: r.name)
def test_any_body_is_never_a_5xx(world: World, route: Route) -> None:
    @given(body=bodies(route))
    def check(body: tuple[bytes, str]) -> None:
        send_body(world, route, *body)

    check()


# --- routes without a body: arbitrary query strings and path keys ----------------------------

QUERY_NAMES = (
    "limit",
    "offset",
    "sort",
    "select",
    "email",
    "companyId",
    "c",
    "externalId",
    "sourceId",
    "status",
    "cid",
    "cId",
    "dimid",
    "from",
    "to",
)


def query_values() -> st.SearchStrategy[str]:
    numbers = st.integers(-(10**30), 10**30).map(str)
    return numbers | texts | st.sampled_from(["", "-", ",,,", "1e3", "-email", "%", "&"])


def queries() -> st.SearchStrategy[list[tuple[str, str]]]:
    pair = st.tuples(st.sampled_from(QUERY_NAMES) | texts, query_values())
    return st.lists(pair, max_size=6)


def encoded(pairs: Iterator[tuple[str, str]] | list[tuple[str, str]]) -> str:
    return urlencode(
        [(k.encode("utf-8", "surrogatepass"), v.encode("utf-8", "surrogatepass")) for k, v in pairs]
    )


@pytest.mark.parametrize("route", BODYLESS_ROUTES, ids=lambda r: r.name)
def test_any_query_string_or_path_key_is_never_a_5xx(world: World, route: Route) -> None:
    keys = st.none()
    if route.key is not None:  # the route's own key, or any text after an id prefix
        prefixes = st.sampled_from(["", "extid-", "srcid-"])
        keys |= st.builds(lambda prefix, key: prefix + key, prefixes, texts.filter(bool))

    @given(pairs=queries(), key=keys)
    def check(pairs: list[tuple[str, str]], key: str | None) -> None:
        world.restore()
        valid = example_call(route, A)
        path = valid.path
        if key is not None:
            path = route.path(A, key=quote(key.encode("utf-8", "surrogatepass"), safe=""))
        check_tolerated(world, Call(route.method, path, valid.headers, None, encoded(pairs)))

    check()
