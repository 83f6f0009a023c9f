"""Bad input on every Planhat route, table-driven (issue 7, item 1).

Every case is one request built byte for byte from the route catalogue (``routes.py``). Each
must be answered with a 4xx in Planhat's error shape whose message names the problem, and must
leave every tenant's state exactly as it was (the journal may grow); a few cases may instead be
accepted as data (NUL bytes, 2 MB strings in REST bodies, odd but harmless query strings).
A bulk upsert whose items all fail answers 400 in that shape with the bulk body beside it, and
``POST /dimensiondata`` lists bad items in a 200 (see ``routes.Rejection``).
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest

from fake_planhat.api import analytics, dock
from fake_planhat.planhat import RESOURCES
from tests.robustness import (
    Call,
    World,
    check_rejection,
    check_tolerated,
    example_call,
    planhat_error,
)
from tests.robustness.routes import (
    BODY_ROUTES,
    GET_ROUTES,
    KEY_ROUTES,
    LIMIT_INTAKE,
    PARTY_A,
    PARTY_B,
    ROUTES,
    TOKEN_ROUTES,
    Party,
    Route,
    allowed_methods,
    basic,
)

A = PARTY_A
Expected = int | tuple[int, ...] | None  # None: tolerated (accepted, or a clean 4xx)


@dataclass(frozen=True)
class Case:
    """One bad request and what it must be answered with."""

    call: Call
    status: Expected
    words: tuple[str, ...] = ()
    route: Route | None = None


def run(world: World, case: Case) -> None:
    if case.status is None:
        check_tolerated(world, case.call, case.route)
    else:
        check_rejection(world, case.call, status=case.status, words=case.words, route=case.route)


def params(cases: Iterator[tuple[str, Case]]) -> list[Any]:
    return [pytest.param(case, id=label) for label, case in cases]


# --- the catalogue covers every route --------------------------------------------------------


def served_routes(world: World) -> set[tuple[str, str]]:
    """(method, rule) of every Planhat route the app serves: no control plane, no static."""
    served = set()
    for rule in world.fake.app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.rule.startswith("/_fake"):
            continue
        for method in rule.methods or ():
            if method not in ("HEAD", "OPTIONS"):
                served.add((method, rule.rule))
    return served


def test_catalogue_lists_every_route_the_app_serves(world: World) -> None:
    catalogued = {(r.method, r.rule) for r in ROUTES}
    served = served_routes(world)
    assert served - catalogued == set(), "add these routes to tests/robustness/routes.py"
    assert catalogued - served == set(), "these catalogued routes are no longer served"
    assert len(ROUTES) == len(catalogued), "a route is catalogued twice"


@pytest.mark.parametrize(
    ("route_name", "checked"),
    [
        *((f"POST /{r.name}", r.fields) for r in RESOURCES if "create" in r.operations),
        *((f"PUT /{r.name}", r.fields) for r in RESOURCES if "create" not in r.operations),
        ("POST /analytics/<tenant_token>", analytics.FIELD_TYPES),
        ("POST /dock/segment", ("type", *dock.OBJECT_MEMBERS)),
    ],
)
def test_catalogue_knows_every_field_the_route_checks(route_name: str, checked: Any) -> None:
    route = next(r for r in ROUTES if r.name == route_name)
    assert set(checked) - set(route.fields) == set(), "catalogue these fields' JSON kinds"


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize("party", [PARTY_A, PARTY_B], ids=lambda p: p.name)
def test_catalogue_examples_are_accepted(world: World, route: Route, party: Party) -> None:
    """The positive control: each bad case below is its route's valid example with one thing
    broken, so the example itself must be accepted, and do what it says."""
    response = world.send(example_call(route, party))
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    if isinstance(body, dict) and "processed" in body:  # analytics, dimensiondata
        assert body["processed"] >= 1, body
        assert body.get("errors", []) == [], body
    if route.rejection == "bulk-errors":
        assert body["createdErrors"] == body["updatedErrors"] == [], body
    if route.auth == "intake":
        assert body["result"] == "applied", body


# --- the body: syntax, encoding, media type, shape, depth ------------------------------------


def raw(route: Route, data: bytes | None, content_type: str | None = "application/json") -> Call:
    """A request to ``route`` as tenant A with exactly these body bytes."""
    headers = route.headers(A)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return Call(route.method, route.path(A), headers, data)


def with_value(route: Route, name: str, value: Any) -> Any:
    """The route's example with field ``name`` of its object (an array's only item) set."""
    body = route.example(A)
    target = dict(route.target(body))
    target[name] = value
    return [target] if isinstance(body, list) else target


def encoded(route: Route, name: str, fragment: bytes) -> bytes:
    """The example's JSON with field ``name`` spliced in as raw ``fragment`` bytes."""
    marker = "__fragment__"
    text = json.dumps(with_value(route, name, marker)).encode()
    return text.replace(json.dumps(marker).encode(), fragment)


MALFORMED = {
    "truncated": b'{"name": ',
    "single-quotes": b"{'name': 'x'}",
    "trailing-garbage": b'{"name": "x"} tail',
    "trailing-comma": b'{"name": "x",}',
    "nan": b'{"value": NaN}',
    "infinity": b"[Infinity]",
    "bare-word": b"hello",
    "nul-byte": b"\x00",
    "utf8-bom": b'\xef\xbb\xbf{"name": "x"}',
}
INVALID_UTF8 = {
    "lone-ff": b'{"name": "\xff\xfe"}',
    "truncated-sequence": b'{"name": "\xc3"}',
    "overlong-slash": b'{"name": "\xc0\xaf"}',
    "encoded-surrogate": b'{"name": "\xed\xa0\x80"}',
    "latin-1": '{"name": "Jos\xe9"}'.encode("latin-1"),
}
# Numbers Python's json turns into infinity (stored, the fake would answer non-JSON
# "Infinity" ever after) or refuses to convert (over 4300 digits).
OUT_OF_RANGE = {
    "1e400": b"1e400",
    "-1e400": b"-1e400",
    "5000 digits": b"9" * 5000,
}
WRONG_MEDIA = {
    "text-plain": "text/plain",
    "form": "application/x-www-form-urlencoded",
    "multipart": "multipart/form-data; boundary=x",
    "xml": "application/xml",
    "none": None,
}
DEEP = 10_000  # far beyond Python's recursion limit
OVER_DEPTH = 100  # beyond the fake's 64 levels, within Python's recursion limit


def wrong_shapes(route: Route) -> dict[str, Any]:
    """Whole bodies of a JSON type the route does not take."""
    scalars = {"string": "text", "number": 7, "null": None, "boolean": False}
    if route.shape == "object":
        return {**scalars, "array": [route.target(route.example(A))], "empty-array": []}
    if route.shape == "array":
        return {**scalars, "object": route.target(route.example(A)), "empty-object": {}}
    return scalars


def shape_words(route: Route) -> str:
    return {"object": "a JSON object", "array": "a JSON array"}.get(
        route.shape or "", "object or an array"
    )


def body_cases() -> Iterator[tuple[str, Case]]:
    for route in BODY_ROUTES:
        name = route.name
        for label, data in MALFORMED.items():
            yield f"{name} malformed {label}", Case(raw(route, data), 400, ("not valid JSON",))
        for label, data in INVALID_UTF8.items():
            yield f"{name} utf8 {label}", Case(raw(route, data), 400, ("UTF-8",))
        surrogate = json.dumps(with_value(route, "note", "a\ud800b")).encode()
        yield f"{name} lone surrogate", Case(raw(route, surrogate), 400, ("surrogate",))
        for label, number in OUT_OF_RANGE.items():
            call = raw(route, encoded(route, "amount", number))
            yield f"{name} number {label}", Case(call, 400, ("out of range",))
        valid = json.dumps(route.example(A)).encode()
        for label, media in WRONG_MEDIA.items():
            call = raw(route, valid, media)
            yield f"{name} content-type {label}", Case(call, 415, ("Content-Type",))
        for label, data in {"empty": b"", "whitespace": b" \r\n\t "}.items():
            yield f"{name} body {label}", Case(raw(route, data), 400, ("empty",))
        for label, value in wrong_shapes(route).items():
            call = raw(route, json.dumps(value).encode())
            yield f"{name} whole body {label}", Case(call, 400, (shape_words(route),))
        if route.shape == "array":
            call = raw(route, b'[1, "two"]')
            status = 200 if route.rejection == "item-errors" else 400
            yield f"{name} items not objects", Case(call, status, ("Item 0", "object"), route)
        for depth in (DEEP, OVER_DEPTH):
            for opener, closer in ((b"[", b"]"), (b'{"a":', b"}")):
                kind = "arrays" if opener == b"[" else "objects"
                deep = encoded(route, "deep", opener * depth + b"1" + closer * depth)
                yield f"{name} {depth} nested {kind}", Case(raw(route, deep), 400, ("nested",))
        whole = b"[" * DEEP + b"]" * DEEP
        yield f"{name} {DEEP} nested body", Case(raw(route, whole), 400, ("nested",))
        for field_name, field_spec in route.fields.items():
            if "string" in field_spec.accepts:
                call = raw(route, json.dumps(with_value(route, field_name, "nul\x00byte")).encode())
                yield f"{name} NUL in {field_name}", Case(call, None, route=route)
        key_nul = json.dumps(with_value(route, "k\x00ey", "value")).encode()
        yield f"{name} NUL in a key", Case(raw(route, key_nul), None, route=route)
        if route.max_items is not None:
            over = json.dumps([{}] * (route.max_items + 1)).encode()
            words = (str(route.max_items), str(route.max_items + 1))
            yield f"{name} {route.max_items + 1} items", Case(raw(route, over), 400, words)


@pytest.mark.parametrize("case", params(body_cases()))
def test_bad_body_is_a_clean_4xx(world: World, case: Case) -> None:
    run(world, case)


# --- wrong JSON types in every known field ---------------------------------------------------


def field_cases() -> Iterator[tuple[str, Case]]:
    for route in BODY_ROUTES:
        status = 200 if route.rejection == "item-errors" else 400
        for field_name, field_spec in route.fields.items():
            for label, value in field_spec.wrong_values():
                call = raw(route, json.dumps(with_value(route, field_name, value)).encode())
                case = Case(call, status, (field_name,), route)
                yield f"{route.name} {field_name}={label}", case


@pytest.mark.parametrize("case", params(field_cases()))
def test_wrong_field_type_is_rejected_naming_the_field(world: World, case: Case) -> None:
    run(world, case)


# --- big strings and bodies over the limit ---------------------------------------------------

TWO_MB = 2 * 1024 * 1024


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: r.name)
def test_2mb_string_is_413_on_the_intake_and_data_elsewhere(world: World, route: Route) -> None:
    call = raw(route, json.dumps(with_value(route, "notes", "x" * TWO_MB)).encode())
    if route.limit is not None and route.limit < TWO_MB:
        check_rejection(world, call, status=413, words=("exceeds", str(route.limit)))
    else:
        check_tolerated(world, call, route)


@cache
def json_string_of(size: int) -> bytes:
    """A valid JSON document (one string) of exactly ``size`` bytes; built once per size."""
    return b'"' + b"x" * (size - 2) + b'"'


@pytest.fixture(scope="module", autouse=True)
def _forget_big_bodies() -> Iterator[None]:
    """The 32 MiB body is built once for every route, and dropped after this module."""
    yield
    json_string_of.cache_clear()


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: r.name)
def test_body_one_byte_over_the_route_limit_is_413(world: World, route: Route) -> None:
    assert route.limit is not None
    call = raw(route, json_string_of(route.limit + 1))
    check_rejection(world, call, status=413, words=("exceeds", str(route.limit)))


def test_intake_body_of_exactly_its_limit_is_read(world: World) -> None:
    """The limit is not lower than documented: a 1 MiB message is processed (P-9: ignored)."""
    route = next(r for r in ROUTES if r.name == "POST /dock/segment")
    assert route.limit is not None
    head = b'{"type": "screen", "name": "'
    data = head + b"x" * (route.limit - len(head) - 2) + b'"}'
    assert len(data) == route.limit
    response = world.send(raw(route, data))
    assert response.status_code == 200, response.get_data(as_text=True)


# --- credentials -----------------------------------------------------------------------------

NON_LATIN1 = "токен-🔑"  # outside latin-1: what a header can only carry as raw bytes


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


AuthVariant = tuple[dict[str, str], int, tuple[str, ...]]


def auth_variants(route: Route) -> dict[str, AuthVariant]:
    """Authorization headers that must not let tenant A in: header, status, words."""
    missing: AuthVariant = ({}, 401, ("Missing Authorization",))
    common: dict[str, AuthVariant] = {
        "no header": missing,
        "basic not base64": ({"Authorization": "Basic !!not-base64!!"}, 401, ("base64",)),
        "basic non-latin-1": ({"Authorization": f"Basic {NON_LATIN1}"}, 401, ("base64",)),
    }
    if route.auth == "rest":
        return {
            **common,
            "basic no colon": (
                {"Authorization": f"Basic {_b64(A.api_token)}"},
                401,
                ("colon",),
            ),
            "basic empty": ({"Authorization": "Basic "}, 401, ("colon",)),
            "bearer unknown": ({"Authorization": "Bearer nope"}, 401, ("unknown API token",)),
            "bearer empty": ({"Authorization": "Bearer "}, 401, ("without a token",)),
            "bearer bare": ({"Authorization": "Bearer"}, 401, ("without a token",)),
            "bearer non-latin-1": (
                {"Authorization": f"Bearer {NON_LATIN1}"},
                401,
                ("unknown API token",),
            ),
            "unknown scheme": ({"Authorization": "Token abc"}, 401, ("unknown scheme",)),
            "token without scheme": ({"Authorization": A.api_token}, 401, ("scheme",)),
            "tenant token as bearer": (
                {"Authorization": f"Bearer {A.tenant_token}"},
                401,
                ("tenant token",),
            ),
            "tenant token as basic": (
                {"Authorization": basic(A.tenant_token)},
                401,
                ("tenant token",),
            ),
            **(
                {
                    "read-only token": (
                        {"Authorization": f"Bearer {A.read_token}"},
                        403,
                        ("read-only",),
                    )
                }
                if route.write
                else {}
            ),
        }
    return {
        **common,
        "basic no colon": (
            {"Authorization": f"Basic {_b64(A.tenant_token)}"},
            401,
            ("colon",),
        ),
        "basic empty token": ({"Authorization": basic("")}, 401, ("unknown tenant token",)),
        "basic unknown": ({"Authorization": basic("nope")}, 401, ("unknown tenant token",)),
        "basic with password": (
            {"Authorization": basic(A.tenant_token, "secret")},
            401,
            ("password",),
        ),
        "api token": ({"Authorization": basic(A.api_token)}, 401, ("API token",)),
        "bearer tenant token": ({"Authorization": f"Bearer {A.tenant_token}"}, 401, ("Basic",)),
        "bearer bare": ({"Authorization": "Bearer"}, 401, ("Basic",)),
        "unknown scheme": ({"Authorization": "Token abc"}, 401, ("Basic",)),
        "token without scheme": ({"Authorization": A.tenant_token}, 401, ("Basic",)),
    }


def with_auth(route: Route, auth: dict[str, str]) -> Call:
    """The route's valid example for A, with ``auth`` instead of A's credentials."""
    valid = example_call(route, A)
    headers = {k: v for k, v in valid.headers.items() if k != "Authorization"}
    return Call(valid.method, valid.path, {**headers, **auth}, valid.data, valid.query)


def auth_cases() -> Iterator[tuple[str, Case]]:
    for route in ROUTES:
        if route.auth == "path":
            continue
        for label, (headers, status, words) in auth_variants(route).items():
            yield f"{route.name} {label}", Case(with_auth(route, headers), status, words, route)


@pytest.mark.parametrize("case", params(auth_cases()))
def test_bad_credentials_are_401_or_403_naming_the_problem(world: World, case: Case) -> None:
    assert case.status is not None
    response = check_rejection(
        world, case.call, status=case.status, words=case.words, route=case.route
    )
    answer = response.get_data(as_text=True)
    assert [s for s in A.secrets() if s in answer] == [], "a token echoed in the answer"


def path_token_cases() -> Iterator[tuple[str, Case]]:
    unknown = ("unknown tenant token",)
    tokens = {
        "unknown": "5d6f0e1e-0000-4000-8000-000000000000",
        "api token": A.api_token,
        "read-only api token": A.read_token,
        "nul": "%00",
        "1000 chars": "t" * 1000,
        "dot-dot": "..",
        "non-ascii": "%D1%82%D0%BE%D0%BA%D0%B5%D0%BD",
        "invalid utf-8": "%FF%FE",
    }
    for route in TOKEN_ROUTES:
        valid = example_call(route, A)
        for label, token in tokens.items():
            call = Call(route.method, route.path(A, token=token), valid.headers, valid.data)
            yield f"{route.name} {label}", Case(call, 401, unknown)


@pytest.mark.parametrize("case", params(path_token_cases()))
def test_bad_token_in_the_path_is_401(world: World, case: Case) -> None:
    run(world, case)


@pytest.mark.parametrize("route", TOKEN_ROUTES, ids=lambda r: r.name)
def test_token_in_path_routes_ignore_the_authorization_header(world: World, route: Route) -> None:
    """Planhat's tracking routes take no header: junk in one changes nothing of the answer."""
    response = world.send(with_auth(route, {"Authorization": f"Basic {NON_LATIN1}"}))
    assert response.status_code == 200, response.get_data(as_text=True)


# --- bad keys in single-item paths -----------------------------------------------------------

BAD_KEYS = {
    "extid- empty": "extid-",
    "srcid- empty": "srcid-",
    "srcid- NUL": "srcid-%00",
    "1000-char id": "f" * 1000,
    "1000-char extid": "extid-" + "e" * 1000,
    "dot-dot slash": "..%2F..%2Fcompanies",
    "encoded surrogate": "%ED%A0%80",
    "emoji extid": "extid-%F0%9F%A6%84",
    "percent": "extid-100%25",
    "other tenant's extid": f"extid-{PARTY_B.user_ext}",
}


def key_cases() -> Iterator[tuple[str, Case]]:
    for route in KEY_ROUTES:
        valid = example_call(route, A)
        for label, key in BAD_KEYS.items():
            call = Call(route.method, route.path(A, key=key), valid.headers, valid.data)
            yield f"{route.name} {label}", Case(call, 404, ("Not found",))


@pytest.mark.parametrize("case", params(key_cases()))
def test_bad_key_in_the_path_is_404(world: World, case: Case) -> None:
    run(world, case)


# --- odd query strings -----------------------------------------------------------------------

BAD_LIST_PARAMS = {
    "limit=-1": ("limit=-1", "limit"),
    "limit=abc": ("limit=abc", "limit"),
    "limit=1e3": ("limit=1e3", "limit"),
    "limit=1.5": ("limit=1.5", "limit"),
    "offset=abc": ("offset=abc", "offset"),
    "offset=-5": ("offset=-5", "offset"),
    "repeated limit, bad first": ("limit=abc&limit=10", "limit"),
}
ODD_BUT_HARMLESS = {
    "sort= empty": "sort=",
    "sort=-": "sort=-",
    "select=,,,": "select=,,,",
    "select=%00": "select=%00",
    "repeated params": "limit=5&limit=6&offset=0&offset=1",
    "unicode values": "email=%C3%BC%C3%B1%C3%AF@%E2%98%83.example&sort=n%C3%A4me",
    "invalid utf-8 value": "email=%FF%FE&select=%ED%A0%80",
    "huge limit": "limit=999999999999999999999999",
    "huge offset": "offset=999999999999999999999999",
    "unknown params": "foo=bar&&=&x",
    "10k-char param": "select=" + "a" * 10_000,
}


def query_cases() -> Iterator[tuple[str, Case]]:
    for route in GET_ROUTES:
        call = example_call(route, A)
        if route.paged:
            for label, (query, param) in BAD_LIST_PARAMS.items():
                bad = Call("GET", call.path, call.headers, None, query)
                yield f"{route.name} {label}", Case(bad, 400, (param,))
        for label, query in ODD_BUT_HARMLESS.items():
            odd = Call("GET", call.path, call.headers, None, query)
            yield f"{route.name} {label}", Case(odd, None, route=route)
    metrics = next(r for r in GET_ROUTES if r.rule == "/dimensiondata")
    call = example_call(metrics, A)
    for query, param in (("from=abc", "from"), ("to=x", "to"), ("from=10&to=5", "to")):
        bad = Call("GET", call.path, call.headers, None, query)
        yield f"{metrics.name} {query}", Case(bad, 400, (param,))


@pytest.mark.parametrize("case", params(query_cases()))
def test_odd_query_string_is_data_or_a_clean_400(world: World, case: Case) -> None:
    run(world, case)


# --- unknown routes and wrong methods --------------------------------------------------------

NEAR_MISSES = {
    "/enduser": "/endusers",
    "/companys": "/companies",
    "/dock/segmnt": "/dock/segment",
    "/leancompany": "/leancompanies",
    "/dimensiondatas": "/dimensiondata",
    "/enduser/extid-x": "/endusers/<path:key>",
}


@pytest.mark.parametrize(("path", "closest"), NEAR_MISSES.items())
def test_unknown_route_names_the_closest_route(world: World, path: str, closest: str) -> None:
    call = Call("GET", path, A.rest())
    response = check_rejection(world, call, status=404, words=("No route", closest))
    assert planhat_error(response)["nearMiss"][0] == closest


@pytest.mark.parametrize("path", ["/", "/zzz", "/api/v1/whatever", "/%ff", "/endusers%00"])
def test_far_unknown_route_is_a_plain_404(world: World, path: str) -> None:
    check_rejection(world, Call("POST", path, A.rest(), b"{}"), status=404, words=("No route",))


RULES = sorted({r.rule for r in ROUTES})
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")


@pytest.mark.parametrize(
    ("rule", "method"),
    [(rule, m) for rule in RULES for m in METHODS if m not in allowed_methods(rule)],
)
def test_wrong_method_is_405_with_allow(world: World, rule: str, method: str) -> None:
    route = next(r for r in ROUTES if r.rule == rule)
    call = Call(method, route.path(A), A.rest())
    response = check_rejection(world, call, status=405, words=(method, "not allowed"))
    listed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert listed == allowed_methods(rule)


# --- over a real socket: no hang, no dropped connection --------------------------------------


@pytest.fixture(scope="module")
def server(shared_world: World) -> Iterator[str]:
    running = shared_world.fake.serve()
    try:
        yield f"{running.host}:{running.port}"
    finally:
        running.stop()


def sized(body: bytes) -> bytes:
    """The end of a request's head and its body, framed by Content-Length."""
    return f"Content-Length: {len(body)}\r\n\r\n".encode() + body


def chunked(body: bytes, size: int = 64 * 1024) -> bytes:
    """The end of a request's head and its body, framed in chunks (no Content-Length)."""
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks)
    return b"Transfer-Encoding: chunked\r\n\r\n" + framed + b"0\r\n\r\n"


def socket_cases() -> dict[str, tuple[bytes, bytes, int, str]]:
    """name -> (header lines, framed body, status, words), sent to /dock/segment as tenant A."""
    auth = f"Authorization: {A.intake()['Authorization']}\r\n".encode()
    json_type = b"Content-Type: application/json\r\n"
    over = json_string_of(LIMIT_INTAKE + 1)
    return {
        "invalid utf-8": (auth + json_type, sized(b'{"type": "\xff"}'), 400, "UTF-8"),
        "10000 levels": (auth + json_type, sized(b"[" * DEEP + b"]" * DEEP), 400, "nested"),
        "over 1 MiB": (auth + json_type, sized(over), 413, "exceeds"),
        "over 1 MiB chunked": (auth + json_type, chunked(over), 413, "exceeds"),
        "basic without colon": (
            f"Authorization: Basic {_b64(A.tenant_token)}\r\n".encode() + json_type,
            sized(b'{"type": "identify"}'),
            401,
            "colon",
        ),
        "non-latin-1 header bytes": (
            "Authorization: Basic ключ\r\n".encode() + json_type,
            sized(b'{"type": "identify"}'),
            401,
            "base64",
        ),
    }


def exchange(sock: socket.socket, request: bytes) -> http.client.HTTPResponse:
    sock.sendall(request)
    response = http.client.HTTPResponse(sock)
    response.begin()
    return response


@pytest.mark.parametrize("name", list(socket_cases()))
def test_nasty_requests_over_a_socket_answer_and_keep_the_connection(
    shared_world: World, server: str, name: str
) -> None:
    shared_world.restore()
    headers, body, status, words = socket_cases()[name]
    before = shared_world.snapshot()
    host = server.encode()
    request = b"POST /dock/segment HTTP/1.1\r\nHost: " + host + b"\r\n" + headers + body
    follow_up = b"GET /endusers HTTP/1.1\r\nHost: " + host + b"\r\n"
    follow_up += f"Authorization: Bearer {A.api_token}\r\n\r\n".encode()
    host_name, port = server.rsplit(":", 1)
    with socket.create_connection((host_name, int(port)), timeout=10) as sock:
        sock.settimeout(10)
        response = exchange(sock, request)
        answer = json.loads(response.read())
        assert response.status == status, answer
        assert answer["status"] == status, answer
        assert words.casefold() in answer["message"].casefold(), answer
        # the same connection still serves the next request
        again = exchange(sock, follow_up)
        assert again.status == 200
        assert isinstance(json.loads(again.read()), list)
    assert shared_world.snapshot() == before
