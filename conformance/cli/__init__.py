"""``planhat-conformance``: check a Segment -> Planhat destination against the contract's rules.

    planhat-conformance run --target reference
    planhat-conformance run --target py:mydest:handle --rules W-4,P-5 --junit-xml report.xml
    planhat-conformance rules
    planhat-conformance replay replay.json --target py:mydest:handle

Exit status: 0 when every selected rule passed (rules no run exercised are reported, not
failed), 1 when a rule failed, 2 for a usage or setup problem (unknown target, rule id, file).
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
from collections.abc import Sequence
from typing import IO

from conformance import _defaults
from conformance.contract import FAMILIES, RULES
from conformance.engine import (
    CampaignResult,
    Failure,
    Subscriber,
    TargetStartError,
    open_database,
    replay_cases,
    run_campaign,
    select_rules,
)
from conformance.reporting import ConsoleProgress, ConsoleReporter, read_replay, reporters
from conformance.targets import SPEC_FORMS, load_target

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    targets = "\n".join(f"  {form}" for form in SPEC_FORMS)
    parser = argparse.ArgumentParser(
        prog="planhat-conformance",
        description="Check a Segment -> Planhat destination against the contract's rules, "
        "using a local fake of Planhat.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"targets (--target):\n{targets}\n\nexit status: 0 all selected rules passed, "
        "1 a rule failed, 2 usage or setup error",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run the delivery scenarios and a random exploration against a destination",
        description="Deliver scenarios and random Segment events to the destination, inspect "
        "the fake Planhat, and report every rule as PASS, FAIL or NOT EXERCISED.",
    )
    _target_arguments(run)
    run.add_argument(
        "--events",
        choices=("realistic", "hostile"),
        default=_defaults.DEFAULT_EVENTS,
        help=f"the event mix the exploration draws (default: {_defaults.DEFAULT_EVENTS})",
    )
    run.add_argument(
        "--seed",
        type=int,
        default=_defaults.DEFAULT_SEED,
        help=f"random seed (default: {_defaults.DEFAULT_SEED})",
    )
    run.add_argument(
        "--max-examples",
        type=positive_int,
        default=_defaults.DEFAULT_MAX_EXAMPLES,
        help=f"random event sequences per exploration (default: {_defaults.DEFAULT_MAX_EXAMPLES})",
    )
    run.add_argument(
        "--rules",
        help="comma-separated rule ids to report, e.g. W-1,p-5 (default: all); the rules they "
        "depend on are judged too, so a verdict never depends on the selection",
    )
    run.add_argument(
        "--time-budget",
        type=_positive_float,
        default=_defaults.DEFAULT_TIME_BUDGET,
        metavar="SECONDS",
        help=f"stop exploring after this long (default: {_defaults.DEFAULT_TIME_BUDGET:g})",
    )
    run.add_argument(
        "--database",
        metavar="SPEC",
        default=_defaults.default_database(),
        help="Hypothesis's example database, so failures found once replay first: a "
        "directory, redis://HOST:PORT/DB or github:OWNER/REPO[/ARTIFACT] (default: "
        f"${_defaults.DATABASE_ENV}, else none: runs repeat exactly per seed)",
    )
    _output_arguments(run)
    run.add_argument(
        "--replay-file", metavar="FILE", help="write the failing cases here, for `replay`"
    )

    commands.add_parser("rules", help="list the contract's rule ids and texts")

    replay = commands.add_parser(
        "replay",
        help="re-run the failing cases of a replay file exactly",
        description="Deliver each recorded failing case again and judge the rule it failed.",
    )
    replay.add_argument("file", help="a replay file written by `run --replay-file`")
    _target_arguments(replay, profile_default=None)
    _output_arguments(replay)
    return parser


def _target_arguments(
    parser: argparse.ArgumentParser, profile_default: str | None = "segment"
) -> None:
    parser.add_argument(
        "--target", required=True, metavar="SPEC", help="the destination (`reference`, py:…, …)"
    )
    parser.add_argument(
        "--profile",
        choices=("segment", "activities"),
        default=profile_default,
        help="the destination's profile (default: segment"
        + (", or the replay file's" if profile_default is None else "")
        + ")",
    )


def _output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--junit-xml", metavar="FILE", help="write a JUnit XML report")
    parser.add_argument("--json", metavar="FILE", help="write a JSON report (- for stdout)")
    parser.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    parser.add_argument("--no-progress", action="store_true", help="no progress display on stderr")


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (also serves the selftest subcommand)."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _print_rules(out: IO[str]) -> None:
    family = None
    for rule in RULES:
        if rule.family != family:
            family = rule.family
            out.write(f"\n{family}: {FAMILIES[family]}\n")
        text = textwrap.fill(rule.text, 96, initial_indent="      ", subsequent_indent="      ")
        out.write(f"  {rule.id:<5} {rule.title}\n{text}\n")


def _unwritable_output(args: argparse.Namespace) -> str | None:
    """Why an output file could not be written, checked before a campaign spends its time."""
    for option in ("junit_xml", "json", "html", "replay_file"):
        path = getattr(args, option, None)
        if not path or path == "-":
            continue
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            return f"cannot write {path}: folder {folder} does not exist"
        if not os.access(folder, os.W_OK) or (os.path.isdir(path)):
            return f"cannot write {path}: not a writable file path"
    return None


def main(argv: Sequence[str] | None = None, *, out: IO[str] | None = None) -> int:
    """The console script; returns the exit status."""
    out = out if out is not None else sys.stdout
    parser = _parser()
    from conformance import selftest  # issue 5: references and mutants; imported here, lazily

    selftest.add_command(parser)
    args = parser.parse_args(argv)
    if args.command == "selftest":
        return selftest.run_command(args, out)
    if args.command == "rules":
        _print_rules(out)
        return EXIT_OK
    unwritable = _unwritable_output(args)
    if unwritable is not None:
        sys.stderr.write(f"planhat-conformance: {unwritable}\n")
        return EXIT_USAGE
    json_to_stdout = getattr(args, "json", None) == "-"
    # with the JSON report on stdout, the console report goes to stderr
    console = sys.stderr if json_to_stdout else out
    subscribers: list[Subscriber] = [] if args.no_progress else [ConsoleProgress()]
    try:
        target = load_target(args.target)
        if args.command == "run":
            rules = select_rules(args.rules.split(",") if args.rules else None, args.profile)
            failures: list[Failure] = []
            database = open_database(args.database) if args.database else None
        else:
            profile, seed, failures = read_replay(args.file)
    except ValueError as exc:  # a bad target spec, rule id or replay file: say what, exit 2
        sys.stderr.write(f"planhat-conformance: {exc}\n")
        return EXIT_USAGE
    replay_file = args.replay_file if args.command == "run" else args.file
    subscribers.append(ConsoleReporter(console, replay_file=replay_file))
    subscribers += reporters(
        junit=args.junit_xml,
        json_path=args.json,
        html=args.html,
        replay=args.replay_file if args.command == "run" else None,
        replay_name=replay_file,
        stdout=out,
    )
    result: CampaignResult
    try:
        if args.command == "run":
            result = run_campaign(
                target,
                profile=args.profile,
                events=args.events,
                seed=args.seed,
                max_examples=args.max_examples,
                rules=rules,
                time_budget=args.time_budget,
                subscribers=subscribers,
                database=database,
            )
        else:
            if not failures:
                out.write(f"{args.file}: no failing cases to replay\n")
                return EXIT_OK
            result = replay_cases(
                target,
                failures,
                profile=args.profile or profile,
                seed=seed,
                subscribers=subscribers,
            )
    except TargetStartError as exc:
        sys.stderr.write(f"planhat-conformance: the target is broken: {exc}\n")
        return EXIT_USAGE
    return EXIT_OK if result.ok else EXIT_FAILED


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fake-planhat")
    except PackageNotFoundError:  # pragma: no cover - a source checkout without install
        return "unknown"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
