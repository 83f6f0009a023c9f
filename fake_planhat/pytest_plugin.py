"""pytest fixtures for fake-planhat (registered through the ``pytest11`` entry point).

Fixtures:

* ``planhat`` — a fresh :class:`~fake_planhat.FakePlanhat` per test, with httpx and requests
  calls to ``http(s)://*.planhat.com`` routed into it in-process.
* ``planhat_server`` — one live socket server per session (waitress on loopback, a free port);
  a :class:`~fake_planhat.server.ServerThread` with ``.url`` and ``.fake``.
* ``planhat_live`` — that server, serving a fresh fake for each test: ``planhat_live.url`` for the
  code under test, ``planhat_live.fake`` to look inside.
* ``planhat_tenant_token``, ``planhat_api_token`` — the tokens those fakes accept; override them
  in a ``conftest.py``.

The ``planhat`` marker sets a test's fake up before it runs::

    @pytest.mark.planhat(seed={"tenants": {...}}, faults=[{"path": "/dock/segment",
                         "status": 503, "on_calls": [1]}], unassigned="discard",
                         group="upsert", page="ignore", limits="planhat", region="api-eu",
                         frozen_at="2026-01-01T00:00:00Z")

The tenant settings (``unassigned``, ``group``, ``page``, ``guess``, ``limits``, ``region``) take
the names and values they take everywhere else (docs/fidelity.md).

Markers on a class or module apply first, the test's own last. Under pytest-xdist each worker
has its own fakes and server.

Command-line options (``pytest --help`` lists them under "fake-planhat"):
``--planhat-tenant-token`` and ``--planhat-api-token`` set the fixtures' tokens (a fixture of
the same name in a ``conftest.py`` still wins), ``--planhat-seed FILE`` seeds every fake before
its markers apply, and ``--planhat-unassigned keep|discard`` sets every fake's rule P-8 policy.

This module imports nothing heavy: Flask, httpx, waitress and the bridges load when a fixture
is first used, so installing fake-planhat costs other test suites nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from fake_planhat.fake import FakePlanhat
    from fake_planhat.server import ServerThread

MARKER = "planhat"
SETTINGS = ("unassigned", "group", "page", "guess", "limits", "region")  # the tenant settings
MARKER_ARGS = ("seed", "faults", *SETTINGS, "frozen_at")
# The HTTP control plane spells fault keys in camelCase; the marker takes Faults.add's names.
FAULT_KEYS_FROM_HTTP = {"onCalls": "on_calls", "retryAfter": "retry_after"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fake-planhat", "fake-planhat fixtures (planhat, planhat_live)")
    group.addoption(
        "--planhat-tenant-token",
        metavar="TOKEN",
        help="tenant token of the fakes (/dock/segment, /analytics/<token>); default: "
        "fake_planhat.DEFAULT_TENANT_TOKEN",
    )
    group.addoption(
        "--planhat-api-token",
        metavar="TOKEN",
        help="REST API token of the fakes; default: fake_planhat.DEFAULT_API_TOKEN",
    )
    group.addoption(
        "--planhat-seed",
        metavar="FILE",
        help='JSON seed (the POST /_fake/seed shape, {"tenants": {...}}) loaded into every '
        "fake before the test's markers apply",
    )
    group.addoption(
        "--planhat-unassigned",
        choices=("keep", "discard"),
        help="every fake's tenant setting for new contacts without a company (rule P-8); "
        "markers still override it",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(seed=None, faults=(), unassigned=None, group=None, page=None, guess=None, "
        "limits=None, region=None, frozen_at=None): set up the test's fake-planhat (planhat / "
        "planhat_live fixtures): seed JSON, fault rules (Faults.add keyword arguments), the "
        "tenant settings (unassigned: keep|discard, group: metrics|upsert, page: "
        "activity|ignore, guess: domain|off, limits: off|planhat, region: api|api-eu|...), a "
        "frozen clock (ISO-8601 instant).",
    )


@pytest.fixture(scope="session")
def planhat_tenant_token(pytestconfig: pytest.Config) -> str:
    """The tenant token of the fakes (``/dock/segment``, ``/analytics/<token>``); override it
    in your conftest.py to match your code's configuration, or pass --planhat-tenant-token."""
    from fake_planhat.state import DEFAULT_TENANT_TOKEN

    given: str | None = pytestconfig.getoption("planhat_tenant_token", None)
    return given or DEFAULT_TENANT_TOKEN


@pytest.fixture(scope="session")
def planhat_api_token(pytestconfig: pytest.Config) -> str:
    """The REST API token (write scope) of the fakes; override it in your conftest.py, or pass
    --planhat-api-token."""
    from fake_planhat.state import DEFAULT_API_TOKEN

    given: str | None = pytestconfig.getoption("planhat_api_token", None)
    return given or DEFAULT_API_TOKEN


def _command_line_setup(config: pytest.Config) -> dict[str, Any]:
    """What --planhat-seed and --planhat-unassigned ask of every fake, read once a session."""
    cached: dict[str, Any] | None = getattr(config, "_planhat_setup", None)
    if cached is not None:
        return cached
    setup: dict[str, Any] = {}
    unassigned = config.getoption("planhat_unassigned", None)
    if unassigned is not None:
        setup["unassigned"] = unassigned
    seed_file = config.getoption("planhat_seed", None)
    if seed_file is not None:
        import json

        try:
            with open(seed_file, encoding="utf-8") as handle:
                setup["seed"] = json.load(handle)
        except OSError as exc:
            raise pytest.UsageError(f"--planhat-seed {seed_file}: {exc.strerror}") from None
        except ValueError as exc:
            raise pytest.UsageError(f"--planhat-seed {seed_file} is not JSON: {exc}") from None
    config._planhat_setup = setup  # type: ignore[attr-defined]
    return setup


def _fail(message: str) -> NoReturn:
    """Fail the test's setup with ``message`` alone (a marker mistake, not a fixture bug)."""
    pytest.fail(message, pytrace=False)


def _new_fake(tenant_token: str, api_token: str) -> FakePlanhat:
    from fake_planhat.fake import FakePlanhat

    return FakePlanhat(tenant_token=tenant_token, api_token=api_token)


def apply_markers(fake: FakePlanhat, node: pytest.Item) -> None:
    """Apply the command line's setup, then every ``@pytest.mark.planhat`` on ``node``, the
    farthest (module) first."""
    setup = _command_line_setup(node.config)
    if setup:
        _apply(fake, setup, where="--planhat-seed/--planhat-unassigned")
    for mark in reversed(list(node.iter_markers(MARKER))):
        if mark.args:
            _fail(f"@pytest.mark.{MARKER} takes keyword arguments only ({', '.join(MARKER_ARGS)})")
        unknown = sorted(set(mark.kwargs) - set(MARKER_ARGS))
        if unknown:
            _fail(
                f"@pytest.mark.{MARKER}: unknown argument(s) {', '.join(unknown)}; "
                f"it takes {', '.join(MARKER_ARGS)}"
            )
        _apply(fake, mark.kwargs)


def _apply(
    fake: FakePlanhat, settings: Mapping[str, Any], where: str = f"@pytest.mark.{MARKER}"
) -> None:
    frozen_at = settings.get("frozen_at")
    if frozen_at is not None:
        try:
            fake.clock.freeze(frozen_at)
        except (TypeError, ValueError) as exc:
            _fail(f"{where}(frozen_at={frozen_at!r}): {exc}")
    for name in SETTINGS:
        value = settings.get(name)
        if value is not None:
            try:
                fake.settings(**{name: value})
            except ValueError as exc:
                _fail(f"{where}({name}={value!r}): {exc}")
    seed = settings.get("seed")
    if seed is not None:
        try:
            fake.seed(seed)
        except ValueError as exc:
            _fail(f"{where}(seed=...): {exc}")
    faults = settings.get("faults") or ()
    if isinstance(faults, Mapping):
        faults = [faults]
    for number, rule in enumerate(faults, start=1):
        if not isinstance(rule, Mapping):
            _fail(
                f"{where}: faults holds keyword-argument dicts for Faults.add, "
                f"item {number} is {type(rule).__name__}"
            )
        http_spelled = sorted(set(rule) & set(FAULT_KEYS_FROM_HTTP))
        if http_spelled:
            names = ", ".join(f"{k} -> {FAULT_KEYS_FROM_HTTP[k]}" for k in http_spelled)
            _fail(
                f"{where}: fault {number} {dict(rule)!r}: the marker takes Faults.add's "
                f"snake_case names, not the HTTP API's camelCase ({names})"
            )
        try:
            fake.faults.add(**rule)
        except (TypeError, ValueError) as exc:
            _fail(f"{where}: fault {number} {dict(rule)!r}: {exc}")


@pytest.fixture
def planhat(
    request: pytest.FixtureRequest, planhat_tenant_token: str, planhat_api_token: str
) -> Iterator[FakePlanhat]:
    """A fresh fake for this test; httpx and requests calls to ``*.planhat.com`` reach it
    in-process (other URLs pass through). The ``planhat`` marker is applied."""
    fake = _new_fake(planhat_tenant_token, planhat_api_token)
    apply_markers(fake, request.node)
    with fake.intercept():
        yield fake


@pytest.fixture(scope="session")
def planhat_server(planhat_tenant_token: str, planhat_api_token: str) -> Iterator[ServerThread]:
    """One live server for the session: waitress on 127.0.0.1, a free port (``.url``)."""
    from fake_planhat.server import ServerThread

    with ServerThread(_new_fake(planhat_tenant_token, planhat_api_token)) as server:
        yield server


@pytest.fixture
def planhat_live(
    request: pytest.FixtureRequest,
    planhat_server: ServerThread,
    planhat_tenant_token: str,
    planhat_api_token: str,
) -> ServerThread:
    """The session's server, serving a fresh fake for this test (marker applied).

    Use ``planhat_live.url`` as the base URL and ``planhat_live.fake`` to look inside. A fresh
    fake, rather than a reset one, also forgets settings, extra tenants and the clock.
    """
    fake = _new_fake(planhat_tenant_token, planhat_api_token)
    apply_markers(fake, request.node)
    planhat_server.fake = fake
    return planhat_server
