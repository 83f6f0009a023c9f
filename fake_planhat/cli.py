"""``fake-planhat``: serve a fake over HTTP from the command line.

``fake-planhat serve`` prints the base URL as its first line (so a script can read it with
``head -1``) and the dashboard's URL as its second, then serves until SIGINT or SIGTERM, when it
lets requests in flight finish and exits 0. Tokens are printed as fingerprints only.

With ``--state FILE`` the state lives in an SQLite file too: restored at start, each write
committed before its answer (docs/durability.md).

Exit status: 0 after a signal, 1 when the address cannot be bound, 2 for bad arguments (among
them a non-loopback host without explicit tokens of its own), 3 when the --state file cannot be
used (corrupt, another program's, no permission, in use).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from importlib import metadata
from types import FrameType
from typing import TYPE_CHECKING, Any

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
        help="tenant token for /dock/segment and /analytics/<token> "
        f"(default: fake_planhat.DEFAULT_TENANT_TOKEN, fp:{fingerprint(DEFAULT_TENANT_TOKEN)})",
    )
    serve.add_argument(
        "--api-token",
        default=None,
        help="API token (write scope) for the REST routes "
        f"(default: fake_planhat.DEFAULT_API_TOKEN, fp:{fingerprint(DEFAULT_API_TOKEN)})",
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
    return parser


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


def _state_line(fake: FakePlanhat, seeded: bool) -> str | None:
    if fake.persistence is None:
        return None
    restored = fake.persistence.restored
    if restored.fresh:
        return f"state: {fake.persistence.path} (new)"
    skipped = "; --seed-file not applied to a restored state" if seeded else ""
    return (
        f"state: {fake.persistence.path} (restored {restored.tenants} tenants, "
        f"{restored.documents} documents{skipped})"
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return serve(args.parser, args)  # "serve" is the only command


if __name__ == "__main__":
    sys.exit(main())
