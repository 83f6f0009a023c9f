"""What a user's test suite pays before and around its requests: imports, a fixture's first
answer, a per-test server's start → request → stop cycle, and the cost of one test.

Imports and first answers are measured in fresh subprocesses with warm bytecode caches: the
bench points ``PYTHONPYCACHEPREFIX`` at a cache of its own and lets Python write it, as it does on
any machine where ``PYTHONDONTWRITEBYTECODE`` is not set.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

from bench.measure import Sample, interleave, timed
from bench.results import Comparison, Section, Target, paired_ratios
from bench.settings import Settings
from bench.workloads import identify_message, intake_headers

__all__ = ["run"]

ROOT = Path(__file__).resolve().parent.parent
PYCACHE = Path(tempfile.gettempdir()) / "fake-planhat-bench-pycache"
IMPORT_TARGET = 1.3  # import fake_planhat ≤ 1.3 × import flask
PLUGIN_TARGET_MS = 15.0
FIRST_ANSWER_TARGET = 1.5  # socket fixture ready ≤ 1.5 × pytest-httpserver's start
CYCLE_TARGET_MS = 20.0
PER_TEST_TARGET = 2.0  # a test using the fixtures ≤ 2 × a bare Flask test_client test

BODY = json.dumps(identify_message("first-answer", 1), separators=(",", ":"))
HEADERS = intake_headers()


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    env["PYTHONPATH"] = str(ROOT)  # the children import bench.baselines
    return env


def _python(code: str, env: Mapping[str, str], *, until: str) -> float:
    """Seconds from spawning ``python -c code`` until it prints the line ``until``."""
    argv = [sys.executable, "-c", code]
    started = time.perf_counter()
    with subprocess.Popen(
        argv, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        line = child.stdout.readline()
        elapsed = time.perf_counter() - started
        rest, errors = child.communicate(timeout=60)
        if line.strip() != until or child.returncode != 0:
            raise RuntimeError(f"python -c {code!r} printed {line!r}{rest!r}:\n{errors[-2000:]}")
    return elapsed


# --- imports -------------------------------------------------------------------------------------

# What each child imports, timed inside the child: its interpreter's start-up, the same for
# all, is left out, and with it most of the noise of spawning processes on a busy machine.
IMPORTS = {
    "flask": ("", "import flask"),
    "package": ("", "import fake_planhat"),
    "facade": ("", "from fake_planhat import FakePlanhat"),
    "app": ("", "import fake_planhat.app"),
    "plugin": ("import pytest", "import fake_planhat.pytest_plugin"),
    "httpserver-plugin": ("import pytest", "import pytest_httpserver.pytest_plugin"),
}


def _import_program(before: str, timed_import: str) -> str:
    return (
        f"{before}\nimport time\nstarted = time.perf_counter()\n{timed_import}\n"
        "print(time.perf_counter() - started)"
    )


def _import_seconds(program: str, env: Mapping[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"python -c {program!r} failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def _imports(settings: Settings, log: Callable[[str], None], section: Section) -> None:
    env = _env()
    rounds = settings.pick(full=15, smoke=1)
    programs = {name: _import_program(*parts) for name, parts in IMPORTS.items()}
    if not _has_httpserver():
        del programs["httpserver-plugin"]
    log(f"  imports: {len(programs)} programs × {rounds} rounds in fresh processes")
    if not settings.smoke:
        for program in programs.values():  # warm the bytecode cache; not timed
            _import_seconds(program, env)
    seconds = interleave(
        {name: partial(_import_seconds, program, env) for name, program in programs.items()},
        rounds,
    )

    def ms(name: str) -> Sample:
        return Sample.of([value * 1000 for value in seconds[name]], "ms")

    flask = ms("flask")
    app = Comparison.paired(
        "`import fake_planhat.app` (the package with its Flask app and every route)",
        ms("app"),
        flask,
        "`import flask`",
        "lower",
    )
    section.comparisons += [
        app,
        Comparison.paired(
            "`from fake_planhat import FakePlanhat` (state, journal; Flask loads on first request)",
            ms("facade"),
            flask,
            "`import flask`",
            "lower",
        ),
        Comparison.paired(
            "`import fake_planhat` (names load on first use)",
            ms("package"),
            flask,
            "`import flask`",
            "lower",
        ),
    ]
    plugin = ms("plugin")
    if "httpserver-plugin" in seconds:
        section.comparisons.append(
            Comparison.paired(
                "`import fake_planhat.pytest_plugin` once pytest is imported (every pytest run "
                "pays it once the package is installed)",
                plugin,
                ms("httpserver-plugin"),
                "pytest-httpserver's plugin module, the same way",
                "lower",
            )
        )
    section.targets += [
        Target(
            "`import fake_planhat` with its Flask app (`import fake_planhat.app`) ≤ "
            f"{IMPORT_TARGET}× `import flask`",
            app.ratio.median,
            IMPORT_TARGET,
            at_most=True,
        ),
        Target(
            f"Importing the pytest plugin module < {PLUGIN_TARGET_MS:g} ms",
            plugin.median,
            PLUGIN_TARGET_MS,
            at_most=True,
            unit="ms",
        ),
    ]


# --- first answer from a fresh process ----------------------------------------------------------

_POST = f"""
def post(host, port):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("POST", "/dock/segment", body={BODY!r}, headers={HEADERS!r})
    answer = conn.getresponse()
    answer.read()
    assert answer.status == 200, answer.status
    conn.close()
"""

FIRST_ANSWER = {
    "socket-fake": f"""
import http.client
{_POST}
from fake_planhat.fake import FakePlanhat
from fake_planhat.server import ServerThread
server = ServerThread(FakePlanhat()).start()
post(server.host, server.port)
print("answered", flush=True)
server.stop()
""",
    "socket-httpserver": f"""
import http.client
{_POST}
from pytest_httpserver import HTTPServer
server = HTTPServer()
server.start()
server.expect_request("/dock/segment", method="POST").respond_with_json({{"ok": True}})
post(server.host, server.port)
print("answered", flush=True)
server.stop()
""",
    "socket-bare": f"""
import http.client
{_POST}
from bench.baselines import bare_server
server = bare_server()
post(server.host, server.port)
print("answered", flush=True)
server.stop()
""",
    "in-process-fake": f"""
import httpx
from fake_planhat.fake import FakePlanhat
with FakePlanhat().intercept(), httpx.Client() as client:
    answer = client.post("https://api.planhat.com/dock/segment", content={BODY!r},
                         headers={HEADERS!r})
    assert answer.status_code == 200, answer.status_code
    print("answered", flush=True)
""",
    "in-process-bare": f"""
import httpx
from bench.baselines import bare_intercept
with bare_intercept(), httpx.Client() as client:
    answer = client.post("https://api.planhat.com/dock/segment", content={BODY!r},
                         headers={HEADERS!r})
    assert answer.status_code == 200, answer.status_code
    print("answered", flush=True)
""",
}


def _ratio(subject: Sample, baseline: Sample) -> float:
    """The median of the per-round ratios, as :class:`Comparison` reports it."""
    return statistics.median(paired_ratios(subject.values, baseline.values))


def _first_answers(
    settings: Settings, log: Callable[[str], None], section: Section, httpserver: bool
) -> None:
    env = _env()
    programs = {k: textwrap.dedent(v) for k, v in FIRST_ANSWER.items()}
    if not httpserver:
        del programs["socket-httpserver"]
    rounds = settings.pick(full=10, smoke=1)
    log(f"  first answer: {len(programs)} programs × {rounds} rounds in fresh processes")
    if not settings.smoke:
        for code in programs.values():  # warm the bytecode cache; not timed
            _python(code, env, until="answered")
    wall = interleave(
        {name: partial(_python, code, env, until="answered") for name, code in programs.items()},
        rounds,
    )

    def ms(name: str) -> Sample:
        return Sample.of([value * 1000 for value in wall[name]], "ms")

    detail = "process start → server up → one identify answered (`http.client`)"
    if httpserver:
        socket_vs_httpserver = Comparison.paired(
            "Socket fixture's first answer (`ServerThread(FakePlanhat())`)",
            ms("socket-fake"),
            ms("socket-httpserver"),
            "pytest-httpserver: `HTTPServer().start()` + one expectation",
            "lower",
            detail,
        )
        section.comparisons.append(socket_vs_httpserver)
        ratio: float | None = socket_vs_httpserver.ratio.median
        floor = _ratio(ms("socket-bare"), ms("socket-httpserver"))
        over = _ratio(ms("socket-fake"), ms("socket-bare"))
        beyond = (
            f", beyond the {FIRST_ANSWER_TARGET:g}× target before the fake adds anything"
            if floor > FIRST_ANSWER_TARGET
            else ""
        )
        section.notes.append(
            "First answer from a fresh process: the bare Flask app on the same `ServerThread` "
            f"takes {floor:.2f}× pytest-httpserver's time{beyond}: importing Flask (with "
            "Jinja, Click, itsdangerous) and waitress costs more than pytest-httpserver's whole "
            "start, which needs werkzeug alone. The fake takes "
            f"{over:.2f}× that floor (its own modules, and compiling its routes "
            "once per process)."
        )
    else:
        ratio = None
    section.comparisons += [
        Comparison.paired(
            "Socket fixture's first answer",
            ms("socket-fake"),
            ms("socket-bare"),
            "bare Flask app on the same `ServerThread`",
            "lower",
            detail,
        ),
        Comparison.paired(
            "In-process fixture's first answer (`FakePlanhat().intercept()`)",
            ms("in-process-fake"),
            ms("in-process-bare"),
            "bare Flask app through the same `Intercept`",
            "lower",
            "process start → one identify answered through `httpx.Client`",
        ),
    ]
    section.targets.append(
        Target(
            f"Socket fixture ready (first answer) ≤ {FIRST_ANSWER_TARGET}× pytest-httpserver's "
            "start",
            ratio,
            FIRST_ANSWER_TARGET,
            at_most=True,
            why_missing=""
            if httpserver
            else "pytest-httpserver is not installed (the bench extra)",
        )
    )


# --- a per-test server's start → request → stop, warm ------------------------------------------


def _post(host: str, port: int) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request("POST", "/dock/segment", body=BODY, headers=HEADERS)
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"the per-test server answered {answer.status}")
    finally:
        conn.close()


def _cycle_fake() -> None:
    from fake_planhat.fake import FakePlanhat

    with FakePlanhat().serve() as server:
        _post(server.host, server.port)


def _cycle_bare() -> None:
    from bench.baselines import bare_server

    server = bare_server()
    try:
        _post(server.host, server.port)
    finally:
        server.stop()


def _cycle_httpserver() -> None:
    from pytest_httpserver import HTTPServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

    server = HTTPServer()
    server.start()
    try:
        server.expect_request("/dock/segment", method="POST").respond_with_json({"ok": True})
        _post(server.host, server.port)
    finally:
        server.clear()
        server.stop()


def _cycles(
    settings: Settings, log: Callable[[str], None], section: Section, httpserver: bool
) -> None:
    rounds = settings.pick(full=30, smoke=2)
    log(f"  per-test server cycle: {rounds} rounds")
    sides: dict[str, Callable[[], float]] = {
        "fake": lambda: timed(_cycle_fake) * 1000,
        "bare": lambda: timed(_cycle_bare) * 1000,
    }
    if httpserver:
        sides["httpserver"] = lambda: timed(_cycle_httpserver) * 1000
    for side in sides.values():
        side()  # warm: imports, first app
    values = interleave(sides, rounds)
    fake = Sample.of(values["fake"], "ms")
    detail = "a new fake and server, one identify answered, server stopped (warm process)"
    if httpserver:
        section.comparisons.append(
            Comparison.paired(
                "Per-test server: start → request → stop",
                fake,
                Sample.of(values["httpserver"], "ms"),
                "pytest-httpserver: start, expect, request, clear, stop",
                "lower",
                detail,
            )
        )
    section.comparisons.append(
        Comparison.paired(
            "Per-test server: start → request → stop",
            fake,
            Sample.of(values["bare"], "ms"),
            "bare Flask app on the same `ServerThread`",
            "lower",
            detail,
        )
    )
    section.targets.append(
        Target(
            f"A per-test start → request → stop cycle < {CYCLE_TARGET_MS:g} ms",
            fake.median,
            CYCLE_TARGET_MS,
            at_most=True,
            unit="ms",
        )
    )


# --- the cost of one test -----------------------------------------------------------------------

_TEST_HEAD = f"""
import os

import httpx
import pytest

COUNT = int(os.environ["BENCH_TESTS"])
BODY = {BODY!r}
HEADERS = {HEADERS!r}
CLIENT = httpx.Client()  # one per module: a new client per test would cost its SSL context
"""

TEST_FILES = {
    "fixture-in-process": _TEST_HEAD
    + """

@pytest.mark.parametrize("n", range(COUNT))
def test_identify(planhat, n):
    answer = CLIENT.post("https://api.planhat.com/dock/segment", content=BODY, headers=HEADERS)
    assert answer.status_code == 200
""",
    "fixture-live": _TEST_HEAD
    + """

@pytest.mark.parametrize("n", range(COUNT))
def test_identify(planhat_live, n):
    answer = CLIENT.post(planhat_live.url + "/dock/segment", content=BODY, headers=HEADERS)
    assert answer.status_code == 200
""",
    "bare-flask": _TEST_HEAD
    + """
from bench.baselines import bare_app


@pytest.fixture
def client():
    return bare_app().test_client()


@pytest.mark.parametrize("n", range(COUNT))
def test_identify(client, n):
    answer = client.post("/dock/segment", data=BODY, headers=HEADERS)
    assert answer.status_code == 200
""",
}


def _children_cpu() -> float:
    """CPU seconds (user + system) used so far by this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _pytest_run(path: Path, count: int, env: Mapping[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one pytest run of ``path`` with ``count`` tests."""
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(path)]
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        argv,
        env={**env, "BENCH_TESTS": str(count)},
        cwd=path.parent,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"pytest {path.name} ({count} tests) failed:\n{done.stdout[-3000:]}")
    return elapsed, _children_cpu() - cpu


def _per_test(settings: Settings, log: Callable[[str], None], section: Section) -> None:
    few, many = settings.pick(full=(20, 620), smoke=(1, 4))
    rounds = settings.pick(full=4, smoke=1)
    env = _env()
    log(f"  per-test cost: pytest with {few} and {many} tests, {rounds} rounds")
    with tempfile.TemporaryDirectory(prefix="fake-planhat-bench-tests-") as folder:
        paths = {}
        for name, text in TEST_FILES.items():
            paths[name] = Path(folder) / f"test_{name.replace('-', '_')}.py"
            paths[name].write_text(text, encoding="utf-8")

        def per_test(name: str) -> Callable[[], tuple[float, float]]:
            def measure() -> tuple[float, float]:
                small_wall, small_cpu = _pytest_run(paths[name], few, env)
                large_wall, large_cpu = _pytest_run(paths[name], many, env)
                tests = many - few
                return (large_wall - small_wall) / tests * 1000, (
                    large_cpu - small_cpu
                ) / tests * 1000

            return measure

        values = interleave({name: per_test(name) for name in paths}, rounds)

    def ms(name: str, which: int) -> Sample:
        return Sample.of([pair[which] for pair in values[name]], "ms")

    baseline_name = "a bare Flask `test_client` test (app built per test)"
    subjects = {
        "fixture-in-process": ("`planhat`", "(in-process, `httpx`)"),
        "fixture-live": ("`planhat_live`", "(socket, `httpx`)"),
    }
    for which, measure in ((0, "wall"), (1, "CPU")):
        detail = (
            f"per test: ({measure} time of {many} tests − of {few}) ÷ {many - few}; one "
            "identify POST per test"
            + ("; CPU: user + system of the pytest process, all threads" if which else "")
        )
        for name, (fixture, how) in subjects.items():
            comparison = Comparison.paired(
                f"A test using the {fixture} fixture {how}: {measure} time",
                ms(name, which),
                ms("bare-flask", which),
                baseline_name,
                "lower",
                detail,
            )
            section.comparisons.append(comparison)
            if measure == "wall":
                section.targets.append(
                    Target(
                        f"A test using the {fixture} fixture ≤ {PER_TEST_TARGET:g}× a bare Flask "
                        "`test_client` test (wall time)",
                        comparison.ratio.median,
                        PER_TEST_TARGET,
                        at_most=True,
                    )
                )


def _has_httpserver() -> bool:
    try:
        import pytest_httpserver  # noqa: F401
    except ImportError:
        return False
    return True


def run(settings: Settings, log: Callable[[str], None]) -> Section:
    section = Section(
        "Start-up: imports, first answer, per-test server, per-test cost",
        "Imports: fresh processes (`python -c …`) with warm bytecode caches, each timing its "
        "one import with `time.perf_counter()` (so the interpreter's own start-up, the same "
        "for all, is left out). First answers: fresh processes too, timed from spawning "
        "the process until it prints that its request was answered. All programs of a round "
        "run one after the other, the order reversed every round. "
        "Per-test server cycle: in this (warm) process, interleaved. Per-test cost: two "
        "tiny pytest files per subject run in subprocesses, with few and with many tests, "
        "so pytest's own start-up cancels out.",
    )
    httpserver = _has_httpserver()
    if not httpserver:
        section.notes.append(
            "pytest-httpserver is not installed (`pip install -e '.[bench]'`): its baselines "
            "were skipped."
        )
    _imports(settings, log, section)
    _first_answers(settings, log, section, httpserver)
    _cycles(settings, log, section, httpserver)
    _per_test(settings, log, section)
    return section
