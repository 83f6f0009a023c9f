"""The four target kinds, end to end against a real FakePlanhat (conformance/targets/).

Each kind drives a small destination from ``destinations/``: ``py_dest.py`` in-process,
``node_dest.mjs`` as a command, ``http_dest.py`` behind HTTP and ``function_dest.js`` as a Segment
Destination Function under Node.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from conformance import targets
from conformance._outcomes import Delivery
from conformance.targets import (
    CommandTarget,
    Environment,
    FunctionTarget,
    HttpTarget,
    PythonTarget,
    Target,
    load_target,
    open_environment,
)
from fake_planhat import FakePlanhat

DESTINATIONS = Path(__file__).parent / "destinations"
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(
    NODE is None, reason="`node` (Node.js 20) is not on PATH; this target kind runs under Node"
)


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_destinations_{name}", DESTINATIONS / name)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


http_dest = _load("http_dest.py")


def identify(user: str = "u-1", **extra: Any) -> dict[str, Any]:
    return {
        "type": "identify",
        "messageId": f"m-identify-{user}",
        "userId": user,
        "traits": {"email": f"{user}@example.com", "name": "Ada Lovelace"},
        **extra,
    }


def track(user: str = "u-1") -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": f"m-track-{user}",
        "userId": user,
        "event": "Report Exported",
        "properties": {"format": "csv"},
    }


def settings_of(fake: FakePlanhat, subdomain: str = "api") -> dict[str, Any]:
    return {"apiKey": fake.tenant_token, "subdomain": subdomain}


@pytest.fixture
def http_endpoint() -> Iterator[str]:
    server, url = http_dest.serve()
    yield url
    server.shutdown()
    server.server_close()


def _spec(kind: str, endpoint: str) -> str:
    return {
        "py": f"py:{DESTINATIONS / 'py_dest.py'}:handle",
        "cmd": f"cmd:{NODE} {DESTINATIONS / 'node_dest.mjs'}",
        "http": endpoint,
        "function": f"function:{DESTINATIONS / 'function_dest.js'}",
    }[kind]


@pytest.fixture(
    params=[
        "py",
        pytest.param("cmd", marks=needs_node),
        "http",
        pytest.param("function", marks=needs_node),
    ]
)
def running(
    request: pytest.FixtureRequest, fake: FakePlanhat, http_endpoint: str
) -> Iterator[tuple[Target, Environment]]:
    """Each target kind, started against the fake (loopback servers for the loopback kinds)."""
    target = load_target(_spec(request.param, http_endpoint))
    with started(target, fake) as env:
        yield target, env


@contextmanager
def started(target: Target, fake: FakePlanhat) -> Iterator[Environment]:
    with open_environment(fake, loopback=target.loopback) as env:
        target.start(env)
        try:
            yield env
        finally:
            target.stop()


@contextmanager
def started_late(target: HttpTarget, fake: FakePlanhat) -> Iterator[Environment]:
    """An HTTP target already started (its endpoint may have gone since), in an environment."""
    with targets.open_environment(fake, loopback=True) as env:
        target._env = env
        try:
            yield env
        finally:
            target.stop()


@contextmanager
def http_server(answer: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """A throwaway loopback HTTP server calling ``answer(handler)`` for each POST and GET."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            answer(self)

        do_GET = do_POST

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def reply(handler: BaseHTTPRequestHandler, status: int, text: str = "") -> None:
    body = text.encode()
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def write_function(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "function.js"
    path.write_text(source)
    return path


# --- every kind, end to end -----------------------------------------------------------------------


def test_W1_identify_and_track_reach_the_fake_at_the_chosen_host(
    running: tuple[Target, Environment], fake: FakePlanhat
) -> None:
    target, env = running
    settings = settings_of(fake, "api-eu")
    assert target.deliver(identify(), settings).outcome == "ok"
    assert target.deliver(track(), settings).outcome == "ok"

    entries = fake.journal.query(route="dock.segment")
    assert [e.message_id for e in entries] == ["m-identify-u-1", "m-track-u-1"]
    assert {env.host_of(e.host) for e in entries} == {"api-eu.planhat.com"}
    assert all(e.status == 200 for e in entries)
    contacts = fake.unassigned()  # no company key: the contact waits unassigned (rule P-8)
    assert [(c["externalId"], c["email"]) for c in contacts] == [("u-1", "u-1@example.com")]
    assert [a["action"] for a in fake.activities()] == ["Report Exported"]


def test_O2_planhat_429_is_reported_as_retry(
    running: tuple[Target, Environment], fake: FakePlanhat
) -> None:
    target, _ = running
    fake.faults.add("/dock/segment", "POST", status=429, retry_after=1)
    delivery = target.deliver(identify(), settings_of(fake))
    assert delivery.outcome == "retry", delivery.message
    assert fake.unassigned() == []


def test_O3_planhat_400_is_reported_as_discard(
    running: tuple[Target, Environment], fake: FakePlanhat
) -> None:
    target, _ = running
    delivery = target.deliver(identify(traits="not an object"), settings_of(fake))
    assert delivery.outcome == "discard", delivery.message
    assert [e.status for e in fake.journal.query(route="dock.segment")] == [400]


def test_T3_screen_is_reported_as_unsupported(
    running: tuple[Target, Environment], fake: FakePlanhat
) -> None:
    target, _ = running
    screen = {"type": "screen", "messageId": "m-screen", "userId": "u-1", "name": "Home"}
    delivery = target.deliver(screen, settings_of(fake))
    assert delivery.outcome == "unsupported", delivery.message
    assert fake.journal.query() == []


# --- the environment ------------------------------------------------------------------------------


def test_W1_host_of_names_the_subdomain_a_loopback_port_stands_for(fake: FakePlanhat) -> None:
    env = Environment(
        fake,
        {
            "api": "http://127.0.0.1:5001",
            "api-eu": "http://127.0.0.1:5002",
            "analytics": "http://127.0.0.1:5003",
        },
    )
    assert env.host_of("127.0.0.1:5002") == "api-eu.planhat.com"
    assert env.host_of("localhost:5003") == "analytics.planhat.com"
    assert env.host_of("api-eu.planhat.com") == "api-eu.planhat.com"
    assert env.host_of("127.0.0.1:5999") == "127.0.0.1:5999"
    assert env.host_of("example.com:5001") == "example.com:5001"


def test_S1_loopback_settings_point_at_the_chosen_subdomain(fake: FakePlanhat) -> None:
    ports = {s: f"http://127.0.0.1:{5001 + i}" for i, s in enumerate(targets.SUBDOMAINS)}
    env = Environment(fake, ports)
    eu = env.loopback_settings({"apiKey": "k", "subdomain": "api-eu"})
    assert eu == {
        "apiKey": "k",
        "subdomain": "api-eu",
        "baseUrl": "http://127.0.0.1:5002",
        "analyticsBaseUrl": "http://127.0.0.1:5003",
    }
    # absent -> api; outside the list -> api too, so a destination ignoring S-1 is seen sending
    assert env.loopback_settings({"apiKey": "k"})["baseUrl"] == "http://127.0.0.1:5001"
    assert env.loopback_settings({"subdomain": "app"})["baseUrl"] == "http://127.0.0.1:5001"


def test_loopback_targets_refuse_an_in_process_environment(fake: FakePlanhat) -> None:
    target = CommandTarget([sys.executable, str(DESTINATIONS / "scripted_command.py"), "hang"])
    with pytest.raises(ValueError, match="needs real sockets"):
        target.start(Environment(fake))


# --- command targets ------------------------------------------------------------------------------


def scripted(mode: str, timeout: float = targets.DEFAULT_TIMEOUT) -> CommandTarget:
    argv = [sys.executable, str(DESTINATIONS / "scripted_command.py"), mode]
    return CommandTarget(argv, timeout=timeout)


def test_command_sees_the_loopback_base_urls(fake: FakePlanhat) -> None:
    target = scripted("echo-settings")
    with started(target, fake) as env:
        delivery = target.deliver(identify(), settings_of(fake, "api-eu"))
    assert delivery.outcome == "ok"
    assert json.loads(delivery.message) == {
        "apiKey": fake.tenant_token,
        "subdomain": "api-eu",
        "baseUrl": env.base_urls["api-eu"],
        "analyticsBaseUrl": env.base_urls["analytics"],
    }


def test_O4_crashed_command_names_exit_code_and_stderr_then_restarts(fake: FakePlanhat) -> None:
    target = scripted("crash-on-track")
    with started(target, fake):
        assert target.deliver(identify(), settings_of(fake)).outcome == "ok"
        crashed = target.deliver(track(), settings_of(fake))
        assert target.deliver(identify("u-2"), settings_of(fake)).outcome == "ok"
    assert crashed.outcome == "error"
    assert "exited with code 3" in crashed.message
    assert "giving up on a track event" in crashed.message
    assert "'m-track-u-1'" in crashed.message


def test_O4_garbage_on_stdout_is_a_protocol_error_quoting_the_line(fake: FakePlanhat) -> None:
    target = scripted("garbage")
    with started(target, fake):
        delivery = target.deliver(identify(), settings_of(fake))
    assert delivery.outcome == "error"
    assert "protocol error" in delivery.message
    assert "hello, this is not JSON" in delivery.message


def test_O4_unknown_outcome_is_a_protocol_error(fake: FakePlanhat) -> None:
    target = scripted("bad-outcome")
    with started(target, fake):
        delivery = target.deliver(identify(), settings_of(fake))
    assert delivery.outcome == "error"
    assert "outcome must be one of" in delivery.message


def test_O4_command_that_never_answers_times_out(fake: FakePlanhat) -> None:
    target = scripted("hang", timeout=0.3)
    with started(target, fake):
        began = time.monotonic()
        delivery = target.deliver(identify(), settings_of(fake))
        took = time.monotonic() - began
    assert delivery.outcome == "error"
    assert "no answer to the identify event 'm-identify-u-1' within 0.3 s" in delivery.message
    assert took < 3


# --- Python targets -------------------------------------------------------------------------------


def test_O4_python_exception_of_another_class_is_error(fake: FakePlanhat) -> None:
    def handle(event: dict[str, Any], settings: dict[str, Any]) -> None:
        raise KeyError("traits")

    target = PythonTarget(handle, "inline")
    with started(target, fake):
        delivery = target.deliver(identify(), settings_of(fake))
    assert (delivery.outcome, delivery.message) == ("error", "KeyError: 'traits'")


def test_W4_python_target_hands_over_copies_and_awaits_async_handlers(fake: FakePlanhat) -> None:
    seen: list[dict[str, Any]] = []

    async def handle(event: dict[str, Any], settings: dict[str, Any]) -> None:
        seen.append(copy.deepcopy(event))
        event["traits"]["email"] = "changed@example.com"
        raise type("RetryError", (Exception,), {})("later")

    target = PythonTarget(handle, "inline")
    event = identify()
    with started(target, fake):
        delivery = target.deliver(event, settings_of(fake))
    assert delivery.outcome == "retry"
    assert seen == [identify()]
    assert event == identify()


# --- HTTP targets ---------------------------------------------------------------------------------


def test_http_target_posts_the_event_with_settings_in_a_header(fake: FakePlanhat) -> None:
    received: list[tuple[dict[str, Any], dict[str, Any], str]] = []

    def record(handler: BaseHTTPRequestHandler) -> None:
        body = handler.rfile.read(int(handler.headers["Content-Length"]))
        settings = json.loads(handler.headers[targets.SETTINGS_HEADER])
        received.append((json.loads(body), settings, handler.headers["Content-Type"]))
        reply(handler, 204)

    event = identify(traits={"name": "Zoë 🚀", "id": "00123"})
    with http_server(record) as url:
        target = HttpTarget(url)
        with started(target, fake) as env:
            assert target.deliver(event, settings_of(fake, "analytics")).outcome == "ok"
    assert received == [
        (
            event,
            {
                "apiKey": fake.tenant_token,
                "subdomain": "analytics",
                "baseUrl": env.base_urls["analytics"],
                "analyticsBaseUrl": env.base_urls["analytics"],
            },
            "application/json",
        )
    ]


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, "ok"),
        (202, "ok"),
        (408, "retry"),
        (429, "retry"),
        (500, "retry"),
        (503, "retry"),
        (501, "unsupported"),
        (400, "discard"),
        (401, "discard"),
        (404, "discard"),
        (302, "error"),
    ],
)
def test_O1_O2_O3_http_status_is_the_outcome(fake: FakePlanhat, status: int, outcome: str) -> None:
    with http_server(lambda handler: reply(handler, status, "said so")) as url:
        target = HttpTarget(url)
        with started(target, fake):
            delivery = target.deliver(identify(), settings_of(fake))
    assert delivery.outcome == outcome
    assert f"HTTP {status}: said so" in delivery.message


def test_O4_http_endpoint_down_or_slow_is_error(fake: FakePlanhat) -> None:
    def slow(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(1.0)
        reply(handler, 200)

    with http_server(slow) as url:
        target = HttpTarget(url, timeout=0.2)
        with started(target, fake):
            late = target.deliver(identify(), settings_of(fake))
            assert late.outcome == "error"
            assert "did not answer" in late.message
    with started_late(target, fake):  # the server went away mid-run
        down = target.deliver(identify(), settings_of(fake))
    assert down.outcome == "error"
    assert "could not POST" in down.message
    # nothing listening at the start is a broken target, not a failing destination
    with (
        pytest.raises(targets.TargetBroken, match="nothing accepts connections"),
        started(HttpTarget(url), fake),
    ):
        pass


# --- Function targets -----------------------------------------------------------------------------

GLOBALS_FUNCTION = """
async function onTrack(event, settings) {
  const names = ['fetch', 'btoa', 'atob', 'Buffer', 'URLSearchParams', 'console', 'setTimeout',
    'RetryError', 'ValidationError', 'InvalidEventPayload', 'EventNotSupported'];
  const missing = names.filter((name) => typeof globalThis[name] === 'undefined');
  if (missing.length > 0) throw new ValidationError(`missing globals: ${missing.join(', ')}`);
  const checks = {
    btoa: btoa('token:') === Buffer.from('token:').toString('base64'),
    atob: atob(btoa('planhat')) === 'planhat',
    URLSearchParams: new URLSearchParams({ a: '1', b: 'x y' }).toString() === 'a=1&b=x+y',
    errors: new RetryError('x') instanceof Error
      && new EventNotSupported('x').name === 'EventNotSupported',
    realm: event instanceof Object && Array.isArray(event.properties.list),
    settings: JSON.stringify(Object.keys(settings).sort()) === '["apiKey","subdomain"]',
  };
  const failed = Object.keys(checks).filter((name) => !checks[name]);
  if (failed.length > 0) throw new ValidationError(`failed: ${failed.join(', ')}`);
  console.log('this goes to stderr, not into the protocol');
}
"""


@needs_node
def test_function_runtime_has_segment_globals(tmp_path: Path, fake: FakePlanhat) -> None:
    target = FunctionTarget(write_function(tmp_path, GLOBALS_FUNCTION))
    event = {"type": "track", "event": "E", "userId": "u", "properties": {"list": [1]}}
    with started(target, fake):
        delivery = target.deliver(event, settings_of(fake))
    assert delivery == Delivery("ok", "")


@needs_node
@pytest.mark.parametrize("kind", ["delete", "unknown-kind", "__proto__"])
def test_T3_function_without_a_handler_is_unsupported(fake: FakePlanhat, kind: str) -> None:
    target = FunctionTarget(DESTINATIONS / "function_dest.js")
    with started(target, fake):
        delivery = target.deliver({"type": kind, "userId": "u-1"}, settings_of(fake))
    assert delivery.outcome == "unsupported"
    assert "EventNotSupported" in delivery.message
    assert fake.journal.query() == []


THROWING_FUNCTION = """
class CustomRetry extends RetryError {}
const onIdentify = async (event) => {
  const kind = event.traits.throw;
  if (kind === 'string') throw 'a bare string';
  if (kind === 'CustomRetry') throw new CustomRetry('subclass');
  throw new globalThis[kind]('thrown on purpose');
};
"""


@needs_node
@pytest.mark.parametrize(
    ("thrown", "outcome", "message"),
    [
        ("RetryError", "retry", "RetryError: thrown on purpose"),
        ("CustomRetry", "retry", "RetryError: subclass"),
        ("ValidationError", "discard", "ValidationError: thrown on purpose"),
        ("InvalidEventPayload", "discard", "InvalidEventPayload: thrown on purpose"),
        ("EventNotSupported", "unsupported", "EventNotSupported: thrown on purpose"),
        ("TypeError", "error", "TypeError: thrown on purpose"),
        ("string", "error", "a bare string"),
    ],
)
def test_O4_function_errors_map_by_class_name(
    tmp_path: Path, fake: FakePlanhat, thrown: str, outcome: str, message: str
) -> None:
    target = FunctionTarget(write_function(tmp_path, THROWING_FUNCTION))
    with started(target, fake):
        delivery = target.deliver(identify(traits={"throw": thrown}), settings_of(fake))
    assert (delivery.outcome, delivery.message) == (outcome, message)


SLOW_FUNCTION = """
async function onTrack() { await new Promise(() => {}); }
async function onPage() { for (;;) {} }
async function onIdentify(event, settings) {
  // still running after the invocation ends: Segment would have frozen it
  setTimeout(() => fetch('https://api.planhat.com/dock/segment', {
    method: 'POST',
    headers: { Authorization: `Basic ${btoa(settings.apiKey + ':')}` },
    body: JSON.stringify(event),
  }), 200);
}
"""


@needs_node
def test_O2_function_execution_limit_is_retry(tmp_path: Path, fake: FakePlanhat) -> None:
    target = FunctionTarget(write_function(tmp_path, SLOW_FUNCTION), limit=0.3)
    with started(target, fake):
        pending = target.deliver(track(), settings_of(fake))
        busy = target.deliver({"type": "page", "userId": "u-1"}, settings_of(fake))
        assert target.deliver(identify(), settings_of(fake)).outcome == "ok"
        time.sleep(0.5)
    # O-2: Segment retries a Function that runs past its limit, so the harness says retry
    assert (pending.outcome, busy.outcome) == ("retry", "retry")
    assert "ran past 0.3 s" in pending.message
    assert "ran past 0.3 s" in busy.message
    assert fake.journal.query() == []  # the late request was refused


FETCHING_FUNCTION = """
async function onTrack(event) {
  const response = await fetch(event.properties.url);
  const text = await response.text();
  if (text !== 'pong') throw new ValidationError(`got ${text}`);
}
"""


@needs_node
def test_W1_function_fetch_reaches_other_hosts_unchanged(tmp_path: Path, fake: FakePlanhat) -> None:
    target = FunctionTarget(write_function(tmp_path, FETCHING_FUNCTION))
    with http_server(lambda handler: reply(handler, 200, "pong")) as url, started(target, fake):
        event = {"type": "track", "event": "E", "userId": "u", "properties": {"url": url}}
        assert target.deliver(event, settings_of(fake)).outcome == "ok"
    assert fake.journal.query() == []


@needs_node
@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://api.planhat.com/dock/segment", "https only"),
        ("https://app.planhat.com/dock/segment", "ENOTFOUND app.planhat.com"),
    ],
)
def test_W1_function_fetch_refuses_planhat_hosts_the_kit_does_not_serve(
    tmp_path: Path, fake: FakePlanhat, url: str, why: str
) -> None:
    target = FunctionTarget(write_function(tmp_path, FETCHING_FUNCTION))
    with started(target, fake):
        event = {"type": "track", "event": "E", "userId": "u", "properties": {"url": url}}
        delivery = target.deliver(event, settings_of(fake))
    assert delivery.outcome == "error"
    assert delivery.message.startswith("TypeError: fetch failed")
    assert why in delivery.message


@needs_node
def test_function_that_fails_to_load_reports_why(tmp_path: Path, fake: FakePlanhat) -> None:
    path = write_function(tmp_path, "export async function onTrack() {}\n")
    target = FunctionTarget(path)
    with pytest.raises(targets.TargetBroken, match="no import or export"), started(target, fake):
        pass  # refused at start


# --- specs ----------------------------------------------------------------------------------------


def test_load_target_unknown_module_says_it_could_not_be_imported() -> None:
    with pytest.raises(ValueError, match=r"module 'nope' could not be imported"):
        load_target("py:nope:x")


def test_load_target_unknown_scheme_lists_the_forms() -> None:
    with pytest.raises(ValueError, match="unknown target") as caught:
        load_target("ftp://example.com")
    for form in ("py:", "cmd:", "http://", "function:", "reference"):
        assert form in str(caught.value)


def test_load_target_missing_attribute_lists_the_callables() -> None:
    with pytest.raises(ValueError, match=r"no attribute 'nope'.*handle"):
        load_target(f"py:{DESTINATIONS / 'py_dest.py'}:nope")


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        ("cmd:", "no command"),
        ("cmd:definitely-not-a-command-xyz --flag", "not an executable"),
        ("cmd:node 'unclosed", "cannot be split"),
        ("function:/no/such/file.js", "no such Destination Function file"),
        ("py:/no/such/dest.py:handle", "no such Python file"),
        ("http://", "not an http:// or https:// URL"),
        ("reference:../x", "reference name"),
        ("reference:nope", "no such reference; the references are: activities_bulk"),
    ],
)
def test_load_target_bad_specs_say_what_is_wrong(spec: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        load_target(spec)


def test_load_target_builds_each_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tmp_dest_module.py").write_text("def handle(event, settings):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    python = load_target("py:tmp_dest_module:handle")
    assert isinstance(python, PythonTarget)
    assert (python.name, python.loopback) == ("py:tmp_dest_module:handle", False)
    command = load_target(f"cmd:{sys.executable} -u script.py", timeout=2.5)
    assert isinstance(command, CommandTarget)
    assert (command.argv[1:], command.timeout, command.loopback) == (["-u", "script.py"], 2.5, True)
    http = load_target("http://127.0.0.1:9/hook")
    assert isinstance(http, HttpTarget)
    assert http.url == "http://127.0.0.1:9/hook"


@needs_node
def test_load_target_function_and_node_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    function = load_target(f"function:{DESTINATIONS / 'function_dest.js'}")
    assert isinstance(function, FunctionTarget)
    assert function.loopback
    (tmp_path / "demo.mjs").write_text("")
    monkeypatch.setattr(targets._specs, "REFERENCE_DIR", tmp_path)
    reference = load_target("reference:demo")
    assert isinstance(reference, CommandTarget)
    assert reference.argv == [NODE, str(tmp_path / "demo.mjs")]


def test_load_target_reference_is_the_bundled_httpx_destination() -> None:
    pytest.importorskip("conformance.reference.segment_httpx")
    reference = load_target("reference")
    assert isinstance(reference, PythonTarget)
    assert reference.name == "reference"
