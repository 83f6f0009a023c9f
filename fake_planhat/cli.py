"""``fake-planhat``: serve a fake over HTTP from the command line.

``fake-planhat serve`` prints the base URL as its first line (so a script can read it with
``head -1``) and the dashboard's URL as its second, then serves until SIGINT or SIGTERM, when it
lets requests in flight finish and exits 0. Tokens are printed as fingerprints only.

With ``--state FILE`` the state lives in an SQLite file too: restored at start, each write
committed before its answer (docs/durability.md).

Exit status: 0 after a signal, 1 when the address cannot be bound, 2 for bad arguments (among
them a non-loopback host without explicit tokens of its own), 3 when the --state file cannot be
used (corrupt, another program's, no permission, in use).

Every ``serve`` option can also come from the environment, as moto's and WireMock's servers
allow: ``--port`` from ``FAKE_PLANHAT_PORT``, ``--tenant-token`` from ``FAKE_PLANHAT_TENANT_TOKEN``
and so on (``FAKE_PLANHAT_`` + the option's name in capitals, ``-`` as ``_``). A command-line
option wins over its variable.

``fake-planhat record`` and ``fake-planhat parity`` compare the fake with a real Planhat tenant
(docs/parity.md).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from importlib import metadata
from types import FrameType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from fake_planhat.auth import fingerprint
from fake_planhat.journal import DEFAULT_MAX_ENTRIES
from fake_planhat.server import DEFAULT_THREADS
from fake_planhat.state import (
    DEFAULT_API_TOKEN,
    DEFAULT_TENANT_TOKEN,
    SETTING_CHOICES,
    setting_problem,
)

if TYPE_CHECKING:
    from fake_planhat.fake import FakePlanhat

PROG = "fake-planhat"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
EXIT_CANNOT_LISTEN = 1
EXIT_USAGE = 2
EXIT_STATE_FILE = 3
EXIT_STATUSES = (
    "exit status: 0 stopped by SIGINT or SIGTERM; 1 the address cannot be bound; 2 bad "
    "arguments; 3 the --state file cannot be used"
)
EXIT_DIFFERENCES = 1
ENV_PREFIX = "FAKE_PLANHAT_"


def _version() -> str:
    try:
        return metadata.version("fake-planhat")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {value}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a port number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 (any free port) to 65535, got {value}")
    return value


def _region(text: str) -> str:
    problem = setting_problem("region", text)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A local test double of Planhat: its REST API, tracking endpoints and "
        "Segment intake, with a control plane under /_fake.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve a fake over HTTP until SIGINT or SIGTERM",
        description="Serve a fake over HTTP. The first line printed is the base URL, the "
        "second the dashboard's; tokens are shown as fingerprints only. Stops on SIGINT or "
        "SIGTERM after requests in flight finish (exit status 0).",
        epilog=EXIT_STATUSES,
    )
    serve.set_defaults(parser=serve)  # so its errors show its own usage line
    serve.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to listen on (default: %(default)s); a non-loopback one such as 0.0.0.0 "
        "needs --tenant-token, --api-token and --admin-token",
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name the control plane and dashboard answer besides loopback names and "
        "the --host address (repeatable; others get 403, which keeps DNS rebinding out)",
    )
    serve.add_argument(
        "--tenant-token",
        default=None,
        help="tenant token for /dock/segment and /analytics/<token> (default: the public "
        f"{DEFAULT_TENANT_TOKEN}, fake_planhat.DEFAULT_TENANT_TOKEN)",
    )
    serve.add_argument(
        "--api-token",
        default=None,
        help="API token (write scope) for the REST routes (default: the public "
        f"{DEFAULT_API_TOKEN}, fake_planhat.DEFAULT_API_TOKEN)",
    )
    serve.add_argument(
        "--admin-token",
        default=None,
        help="token the control plane (/_fake/...) then requires, as 'X-Admin-Token: <token>' "
        "or 'Authorization: Bearer <token>' (default: none; the control plane is open on "
        "loopback and closed elsewhere)",
    )
    serve.add_argument(
        "--unassigned",
        choices=("keep", "discard"),
        default=None,
        help="what the tenant does with new contacts without a company, rule P-8 (default: "
        "keep; a tenant restored from --state keeps its own setting unless this is given)",
    )
    # The other tenant settings (docs/fidelity.md), named as everywhere else.
    settings = serve.add_argument_group(
        "tenant settings", "decided behaviours and their switches (docs/fidelity.md)"
    )
    settings.add_argument(
        "--group",
        choices=SETTING_CHOICES["group"],
        default=None,
        help="what a Segment group call does, rule P-7: metrics (default, Planhat's documented "
        "reading) records numeric traits as company metrics; upsert also creates and updates "
        "the company and assigns the event's waiting contact",
    )
    settings.add_argument(
        "--page",
        choices=SETTING_CHOICES["page"],
        default=None,
        help="what a Segment page call does, rule P-6a (default: activity)",
    )
    settings.add_argument(
        "--guess",
        choices=SETTING_CHOICES["guess"],
        default=None,
        help="rule P-5's email-domain guess: domain (default) puts a new contact without a "
        "company key on the one company its email domain points to; off never guesses",
    )
    settings.add_argument(
        "--limits",
        choices=SETTING_CHOICES["limits"],
        default=None,
        help="Planhat's documented REST rate limits, rule R-9 (default: off)",
    )
    settings.add_argument(
        "--region",
        type=_region,
        default=None,
        metavar="REGION",
        help="the tenant's REST region, rule R-10: api (default), api-eu, api-eu2, api-eu3, "
        "api-us2 ...; its API token answers 401 on another region's host",
    )
    serve.add_argument(
        "--journal-size",
        type=_positive,
        default=DEFAULT_MAX_ENTRIES,
        help="requests the journal keeps, the oldest dropped first (default: %(default)s)",
    )
    serve.add_argument(
        "--threads",
        type=_positive,
        default=DEFAULT_THREADS,
        help="most requests served at once (default: %(default)s)",
    )
    serve.add_argument(
        "--seed-file",
        default=None,
        metavar="STATE.json",
        help='JSON seed loaded at start: {"tenants": {"<tenant token>": {...}}}, the shape '
        "POST /_fake/seed takes; with --state, only into a new state file (default: none)",
    )
    serve.add_argument(
        "--state",
        default=None,
        metavar="FILE",
        help="keep tenants, tokens, settings and documents in this SQLite file: restored at "
        "start, each write committed before its answer; the journal, faults and clock are not "
        "kept (default: memory only)",
    )
    _add_parity_commands(commands)
    _document_environment(serve)
    return parser


# --- options from the environment ----------------------------------------------------------


def _env_name(action: argparse.Action) -> str | None:
    """``FAKE_PLANHAT_PORT`` for ``--port``; None for actions without a long option."""
    longs = [s for s in action.option_strings if s.startswith("--")]
    if not longs or action.dest in ("help", "version"):
        return None
    return ENV_PREFIX + longs[0].removeprefix("--").upper().replace("-", "_")


def _document_environment(parser: argparse.ArgumentParser) -> None:
    """Name each option's variable in its help, and list them all under the options."""
    names = []
    for action in parser._actions:
        name = _env_name(action)
        if name is not None and action.help not in (None, argparse.SUPPRESS):
            action.help = f"{action.help} [env: {name}]"
            names.append(name)
    # the help formatter joins paragraphs, so the exit statuses end as a sentence first
    before = (parser.epilog or "").rstrip().rstrip(".")
    parser.epilog = (before + ". " if before else "") + (
        "Each option can also be set through its environment variable ("
        + ", ".join(names)
        + "); an option given on the command line wins."
    )


def _subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return cast(argparse.ArgumentParser, action.choices[name])
    raise LookupError(name)


def _apply_environment(parser: argparse.ArgumentParser, environ: Mapping[str, str]) -> None:
    """Make ``FAKE_PLANHAT_<OPTION>`` the default of each option of ``parser``.

    Generic on purpose: an option added later gets its variable without more code. A value is
    checked as the option would check it, and a bad one is reported under the variable's name.
    """
    for action in parser._actions:
        name = _env_name(action)
        if name is None or name not in environ:
            continue
        text = environ[name]
        if action.nargs == 0:  # a switch such as --verbose
            action.default = text.strip().lower() in ("1", "true", "yes", "on")
            continue
        # a repeatable option (--allowed-host) takes a comma-separated list
        repeated = isinstance(action, argparse._AppendAction)
        values = [v.strip() for v in text.split(",") if v.strip()] if repeated else [text]
        converted = []
        for value in values:
            try:
                item = action.type(value) if callable(action.type) else value
            except (argparse.ArgumentTypeError, TypeError, ValueError) as exc:
                parser.error(f"{name}: {exc}")
            if action.choices is not None and item not in action.choices:
                choices = ", ".join(map(str, action.choices))
                parser.error(f"{name}: {value!r} is not one of {choices}")
            converted.append(item)
        action.default = converted if repeated else converted[0]


def say(line: str) -> None:
    """Print a line now; if the reader went away (``serve | head -1``), keep serving silently."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        # later writes, and the interpreter's flush at exit, go nowhere instead of failing
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _refuse_exposed_defaults(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Beyond loopback, anyone on the network could use well-known tokens: insist on own ones."""
    from fake_planhat.api.gate import is_loopback

    if is_loopback(args.host):
        return
    missing = [
        flag
        for flag, value in (
            ("--tenant-token", args.tenant_token),
            ("--api-token", args.api_token),
            ("--admin-token", args.admin_token),
        )
        if not value
    ]
    if missing:
        parser.error(
            f"refusing to listen on {args.host}, which is not a loopback address, without "
            f"{', '.join(missing)}: the defaults are public, so anyone who can reach this "
            "port could use them. Pass your own tokens, or listen on 127.0.0.1."
        )
    given = {
        "--tenant-token": args.tenant_token,
        "--api-token": args.api_token,
        "--admin-token": args.admin_token,
    }
    blank = [flag for flag, value in given.items() if not value.strip()]
    public = [
        flag
        for flag, value, default in (
            ("--tenant-token", args.tenant_token, DEFAULT_TENANT_TOKEN),
            ("--api-token", args.api_token, DEFAULT_API_TOKEN),
        )
        if value in (DEFAULT_TENANT_TOKEN, DEFAULT_API_TOKEN) or value == default
    ]
    problem = None
    if blank:
        problem = f"{', '.join(blank)} is blank"
    elif public or args.admin_token in (DEFAULT_TENANT_TOKEN, DEFAULT_API_TOKEN):
        flags = public or ["--admin-token"]
        problem = f"{', '.join(flags)} is one of the public default tokens"
    elif len(set(given.values())) < len(given):
        problem = "the tenant, API and admin tokens must all differ (the admin token opens the "
        problem += "control plane to whoever holds the API token otherwise)"
    if problem is not None:
        parser.error(
            f"refusing to listen on {args.host}, which is not a loopback address: {problem}. "
            "Pass tokens of your own, or listen on 127.0.0.1."
        )


def _load_seed(parser: argparse.ArgumentParser, path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        parser.error(f"cannot read --seed-file {path}: {exc.strerror}")
    except (UnicodeDecodeError, ValueError) as exc:
        parser.error(f"--seed-file {path} is not valid JSON: {exc}")


def _open_fake(parser: argparse.ArgumentParser, args: argparse.Namespace) -> FakePlanhat:
    """The fake to serve: restored from --state, seeded from --seed-file when that is new."""
    from fake_planhat.fake import FakePlanhat
    from fake_planhat.persistence import StateFileError

    seed = _load_seed(parser, args.seed_file) if args.seed_file is not None else None
    try:
        fake = FakePlanhat(
            tenant_token=args.tenant_token or DEFAULT_TENANT_TOKEN,
            api_token=args.api_token or DEFAULT_API_TOKEN,
            unassigned=args.unassigned,
            group=args.group,
            page=args.page,
            guess=args.guess,
            limits=args.limits,
            region=args.region,
            journal_size=args.journal_size,
            admin_token=args.admin_token,
            state_file=args.state,
        )
    except StateFileError as exc:
        raise _StateFileProblem(str(exc)) from None
    except ValueError as exc:  # the file gives --api-token to another tenant
        parser.error(f"--state {args.state}: {exc}")
    fresh = fake.persistence is None or fake.persistence.restored.fresh
    if seed is not None and fresh:
        try:
            fake.seed(seed)
        except ValueError as exc:
            fake.close()
            parser.error(f"--seed-file {args.seed_file}: {exc}")
    return fake


class _StateFileProblem(Exception):
    """The --state file cannot be used: one line, exit status :data:`EXIT_STATE_FILE`."""


def _count(number: int, noun: str) -> str:
    """``1 tenant``, ``2 tenants``: every noun the CLI counts takes a plain ``s``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _state_line(fake: FakePlanhat, seeded: bool) -> str | None:
    if fake.persistence is None:
        return None
    restored = fake.persistence.restored
    if restored.fresh:
        return f"state: {fake.persistence.path} (new)"
    skipped = "; --seed-file not applied to a restored state" if seeded else ""
    return (
        f"state: {fake.persistence.path} (restored {_count(restored.tenants, 'tenant')}, "
        f"{_count(restored.documents, 'document')}{skipped})"
    )


def serve(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from fake_planhat.server import CannotListen, ServerThread

    _refuse_exposed_defaults(parser, args)
    tenant_token = args.tenant_token or DEFAULT_TENANT_TOKEN
    api_token = args.api_token or DEFAULT_API_TOKEN
    try:
        fake = _open_fake(parser, args)
    except _StateFileProblem as exc:
        print(f"{PROG}: --state: {exc}", file=sys.stderr, flush=True)
        return EXIT_STATE_FILE
    if fake.persistence is not None:
        for warning in fake.persistence.warnings:
            print(f"{PROG}: warning: {warning}", file=sys.stderr, flush=True)

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server = ServerThread(
            fake, args.host, args.port, threads=args.threads, allowed_hosts=args.allowed_host
        ).start()
    except CannotListen as exc:
        fake.close()
        print(f"{PROG}: {exc.strerror}", file=sys.stderr, flush=True)
        return EXIT_CANNOT_LISTEN
    try:
        admin = f"fp:{fingerprint(args.admin_token)}" if args.admin_token else "none"
        say(server.url)
        say(f"dashboard: {server.url}/_fake/ui")
        say(
            f"tenant token fp:{fingerprint(tenant_token)}, API token fp:{fingerprint(api_token)}, "
            f"admin token {admin}"
        )
        state = _state_line(fake, args.seed_file is not None)
        if state is not None:
            say(state)
        say("serving until SIGINT (Ctrl-C) or SIGTERM")
        while not stopping.wait(3600):
            pass
    finally:
        server.stop()
        fake.close()  # after the last request: every write is in the file
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    say(f"{PROG}: stopped")
    return 0


# --- record and parity (docs/parity.md) ----------------------------------------------------


def _add_parity_commands(commands: Any) -> None:
    record = commands.add_parser(
        "record",
        help="forward requests to a real Planhat tenant and record request/answer pairs",
        description="A recording proxy: point your code at the URL printed first instead of "
        "https://api.planhat.com; each request goes to --upstream, its answer comes back "
        "unchanged, and the pair is appended to --out (tokens kept as fingerprints only). "
        "Stops on SIGINT or SIGTERM.",
    )
    record.set_defaults(parser=record, run=_record)
    record.add_argument(
        "--upstream",
        required=True,
        metavar="URL",
        help="the Planhat host to forward to, e.g. https://api-eu.planhat.com",
    )
    record.add_argument(
        "--out",
        default="planhat-recording.jsonl",
        metavar="FILE",
        help="recording to append to, one exchange a line (default: %(default)s)",
    )
    record.add_argument("--host", default=DEFAULT_HOST, help="address (default: %(default)s)")
    record.add_argument(
        "--port", type=_port, default=0, help="port; 0 picks a free one (default: %(default)s)"
    )
    parity = commands.add_parser(
        "parity",
        help="replay a recording against the fake and report every difference",
        description="Replay each recorded request against a fake (a fresh one in this "
        "process, or --base) and report every difference in status, shape and values, each "
        "labelled documented, decided or differs. Exit status 0 without differences, 1 with.",
    )
    parity.set_defaults(parser=parity, run=_parity)
    parity.add_argument("file", metavar="FILE", help="a recording written by `record`")
    parity.add_argument(
        "--base",
        metavar="URL",
        help="a running fake to replay against (default: a fresh fake in this process)",
    )
    parity.add_argument(
        "--tenant-token",
        default=DEFAULT_TENANT_TOKEN,
        help="the fake's tenant token, used where the recording had Planhat's "
        "(default: the public default)",
    )
    parity.add_argument(
        "--api-token",
        default=DEFAULT_API_TOKEN,
        help="the fake's API token (default: the public default)",
    )
    parity.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a tenant setting of the fresh fake, e.g. unassigned=discard (repeatable)",
    )
    parity.add_argument(
        "--json", metavar="FILE", help="also write the report as JSON ('-': stdout)"
    )


def _record(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from fake_planhat._record import Recorder, RecordingServer
    from fake_planhat.server import CannotListen

    upstream = urlsplit(args.upstream)
    if upstream.scheme not in ("http", "https") or not upstream.hostname:
        parser.error(f"--upstream {args.upstream!r} is not an http:// or https:// URL")
    stopping = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda signum, frame: stopping.set())
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        with open(args.out, "a", encoding="utf-8") as out:
            recorder = Recorder(args.upstream, out)
            try:
                server = RecordingServer(recorder, args.host, args.port).start()
            except CannotListen as exc:
                print(f"{PROG}: {exc.strerror}", file=sys.stderr, flush=True)
                return EXIT_CANNOT_LISTEN
            try:
                say(server.url)
                say(f"recording to {args.out}, forwarding to {args.upstream}")
                say("recording until SIGINT (Ctrl-C) or SIGTERM")
                while not stopping.wait(3600):
                    pass
            finally:
                server.stop()
                recorder.client.close()
    except OSError as exc:
        parser.error(f"--out {args.out}: {exc.strerror}")
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    say(f"{PROG}: recorded {_count(recorder.recorded, 'exchange')}")
    return 0


def _parity(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from pathlib import Path

    from fake_planhat._parity import replay
    from fake_planhat._record import read_recording

    settings: dict[str, str] = {}
    for item in args.setting:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--setting {item!r}: write KEY=VALUE, e.g. unassigned=discard")
        settings[key] = value
    if settings and args.base:
        parser.error("--setting configures the fresh fake; a fake at --base keeps its own")
    try:
        exchanges = list(read_recording(Path(args.file)))
    except OSError as exc:
        parser.error(f"cannot read {args.file}: {exc.strerror}")
    except ValueError as exc:
        parser.error(str(exc))
    if args.base:
        report = replay(
            exchanges, args.base, tenant_token=args.tenant_token, api_token=args.api_token
        )
    else:
        from fake_planhat.fake import FakePlanhat

        fake = FakePlanhat(tenant_token=args.tenant_token, api_token=args.api_token)
        try:
            fake.settings(**settings)
        except ValueError as exc:
            parser.error(f"--setting: {exc}")
        with fake.serve() as server:
            report = replay(
                exchanges, server.url, tenant_token=args.tenant_token, api_token=args.api_token
            )
    if args.json == "-":
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(report.lines()))
        if args.json:
            with open(args.json, "w", encoding="utf-8") as handle:
                json.dump(report.to_json(), handle, indent=2, ensure_ascii=False)
    return 0 if report.ok else EXIT_DIFFERENCES


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["serve"]:
        _apply_environment(_subcommand(parser, "serve"), os.environ)
    args = parser.parse_args(arguments)
    run = getattr(args, "run", None)
    if run is not None:
        return int(run(args.parser, args))
    return serve(args.parser, args)


if __name__ == "__main__":
    sys.exit(main())
