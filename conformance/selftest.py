"""The kit's self-test: every reference destination passes, and every mutant is caught.

    planhat-conformance selftest                         # print the tables; exit 1 on a problem
    planhat-conformance selftest --write docs/selftest.md

A conformance kit is worth what it catches and what it lets through. The self-test runs

- every reference of :mod:`conformance.reference` under both event profiles (``realistic`` and
  ``hostile``), the full rule set of its profile, delivery and fault scenarios included: any
  violation is a false positive of the kit (or a bug in the reference);
- every mutant of :mod:`conformance.mutants` with its own small budget: it must fail, and fail
  the rules that name its fault (``Mutant.catches``) — being caught only by a catch-all rule
  such as E-1 does not count.

Campaigns run in parallel worker processes (one per core by default). The report gives, per
mutant, the rules that caught it, where (a delivery scenario, or the random exploration), and
how many explored examples that took; and the kill rate, the wall time and the CPU time.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Literal

from conformance._words import EVENT_MIXES, DestinationProfile, EventMix
from conformance.cli import positive_int
from conformance.contract import FAMILIES, RULES
from conformance.engine import EngineEvent, ExampleJudged, run_campaign
from conformance.mutants import MUTANTS, Mutant, mutant
from conformance.reporting import write_text
from conformance.targets import Target

__all__ = [
    "EVENT_PROFILES",
    "REFERENCES",
    "REFERENCE_EXAMPLES",
    "Job",
    "JobResult",
    "Reference",
    "SelftestReport",
    "add_command",
    "examples_needed",
    "jobs_for",
    "main",
    "mutant_status",
    "run_command",
    "run_job",
    "run_selftest",
]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
REFERENCE_EXAMPLES = 200  # explored sequences per reference run (`run` explores 300)
EVENT_PROFILES: tuple[EventMix, ...] = EVENT_MIXES
MutantStatus = Literal["killed", "missed by its rule", "survived", "did not run"]


@dataclass(frozen=True)
class Reference:
    """A bundled destination that must pass every rule of its profile."""

    name: str  # module, .mjs command or .js Function in conformance/reference/
    profile: DestinationProfile
    description: str
    mixes: tuple[EventMix, ...] = EVENT_MIXES  # the event mixes it runs under

    @property
    def spec(self) -> str:
        return f"reference:{self.name}"


REFERENCES: tuple[Reference, ...] = (
    Reference("segment_httpx", "segment", "Python, httpx; one request per event"),
    Reference("segment_requests", "segment", "Python, requests; retries itself (Retry-After)"),
    Reference("activities_bulk", "activities", "Python, httpx; activities to /analytics/bulk"),
    Reference("segment_node", "segment", "Node.js 20, no npm deps; a command target (NDJSON)"),
    # a Function target: its numbers go through JavaScript, which hostile events stress most
    Reference(
        "segment_function",
        "segment",
        "a Segment Destination Function under Node 20 (fetch, 4 s timeout)",
        mixes=("hostile",),
    ),
    # an http:// target: a webhook endpoint with a 2 s timeout towards Planhat
    Reference(
        "segment_webhook",
        "segment",
        "Python standard library; an HTTP endpoint fed like Segment's webhook (2 s timeout)",
        mixes=("realistic",),
    ),
)
_REFERENCE_BY_NAME = {r.name: r for r in REFERENCES}


# --- one campaign ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One campaign of the self-test: a reference under one event profile, or a mutant."""

    kind: Literal["reference", "mutant"]
    name: str
    event_profile: EventMix
    max_examples: int
    seed: int = 0

    @property
    def label(self) -> str:
        return f"{self.name} ({self.event_profile})" if self.kind == "reference" else self.name


@dataclass(frozen=True)
class JobResult:
    """What one campaign found. ``caught_in`` maps each failed rule to the delivery scenario
    that showed it (or ``exploration``); ``first_failure`` to the number of explored examples
    judged when it first failed."""

    job: Job
    failed: tuple[str, ...] = ()
    not_exercised: tuple[str, ...] = ()
    caught_in: dict[str, str] = field(default_factory=dict)
    first_failure: dict[str, int] = field(default_factory=dict)
    examples: int = 0
    rules_checked: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    problem: str = ""  # the campaign could not run, or why a reference failed

    @property
    def ran(self) -> bool:
        return self.rules_checked > 0


class _ExplorationWatch:
    """A subscriber to the engine: numbers the explored examples and notes when each rule
    first failed (shrinking an earlier failure counts too, so a rule that first fails in a
    later round shows the examples judged until then)."""

    def __init__(self) -> None:
        self.examples = 0
        self.first: dict[str, int] = {}

    def __call__(self, event: EngineEvent) -> None:
        if isinstance(event, ExampleJudged) and event.exploring:
            self.examples += 1
            for rule_id, verdict in event.verdicts.items():
                if verdict.failed:
                    self.first.setdefault(rule_id, self.examples)


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (a Node command included)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_job(job: Job) -> JobResult:
    """Run one campaign (in a worker process, or here); never raises for a campaign problem."""
    started, cpu = time.perf_counter(), _cpu_seconds()
    watch = _ExplorationWatch()
    try:
        if job.kind == "reference":
            reference = _REFERENCE_BY_NAME[job.name]
            target: Target | str = reference.spec
            profile, rules, budget = reference.profile, None, None
        else:
            chosen = mutant(job.name)
            target, profile = chosen.target(), chosen.profile
            rules, budget = chosen.checked_rules(), chosen.time_budget
        result = run_campaign(
            target,
            profile=profile,
            events=job.event_profile,
            seed=job.seed,
            max_examples=job.max_examples,
            rules=rules,
            time_budget=budget,
            subscribers=[watch],
            database=None,
        )
    except Exception as exc:  # a target that does not start, a crash in the kit: reported
        return JobResult(
            job,
            wall=time.perf_counter() - started,
            cpu=_cpu_seconds() - cpu,
            problem=f"{type(exc).__name__}: {exc}",
        )
    failed = tuple(r for r, v in result.rules.items() if v.status == "failed")
    caught_in = {r: f.case.scenario for r in failed if (f := result.rules[r].failure) is not None}
    problem = ""
    if job.kind == "reference" and failed:
        problem = "; ".join(
            f"{r}: {f.verdict.explanation}"
            for r in failed
            if (f := result.rules[r].failure) is not None
        )
    return JobResult(
        job,
        failed=failed,
        not_exercised=tuple(r for r, v in result.rules.items() if v.status == "not exercised"),
        caught_in=caught_in,
        first_failure={r: n for r, n in watch.first.items() if r in failed},
        examples=result.examples,
        rules_checked=len(result.rules),
        wall=time.perf_counter() - started,
        cpu=_cpu_seconds() - cpu,
        problem=problem,
    )


# --- judging mutants -----------------------------------------------------------------------------


def mutant_status(chosen: Mutant, result: JobResult) -> MutantStatus:
    """``killed`` only when every rule naming the fault failed."""
    if not result.ran:
        return "did not run"
    if not result.failed:
        return "survived"
    return "killed" if set(chosen.catches) <= set(result.failed) else "missed by its rule"


def examples_needed(chosen: Mutant, result: JobResult) -> int | None:
    """Explored examples judged until every rule naming the fault had failed: 0 when the
    delivery scenarios caught it; None when unknown (not caught, or not counted)."""
    needed = 0
    for rule_id in chosen.catches:
        where = result.caught_in.get(rule_id)
        if where is None:
            return None
        if where == "exploration":
            if rule_id not in result.first_failure:
                return None
            needed = max(needed, result.first_failure[rule_id])
    return needed


# --- the whole self-test -------------------------------------------------------------------------


def jobs_for(
    names: Sequence[str] | None = None,
    *,
    seed: int = 0,
    reference_examples: int = REFERENCE_EXAMPLES,
) -> list[Job]:
    """The campaigns to run, slowest first (so parallel workers finish together). ``names``
    picks references and mutants by name (default: all); ValueError names unknown ones."""
    wanted = set(names) if names else None
    if wanted is not None:
        known = [r.name for r in REFERENCES] + [m.name for m in MUTANTS]
        unknown = sorted(wanted - set(known))
        if unknown:
            raise ValueError(
                f"unknown reference or mutant {', '.join(unknown)}; known: {', '.join(known)}"
            )
    chosen_references = [
        (event_profile, r)
        for event_profile in reversed(EVENT_PROFILES)  # hostile events take longer
        for r in REFERENCES
        if (wanted is None or r.name in wanted) and event_profile in r.mixes
    ]
    # each reference run its own seed: several seeds cost no extra runs, and a false positive
    # that only one seed's events show still turns up
    jobs = [
        Job("reference", r.name, event_profile, reference_examples, seed + number)
        for number, (event_profile, r) in enumerate(chosen_references)
    ]
    chosen = [m for m in MUTANTS if wanted is None or m.name in wanted]
    chosen.sort(key=lambda m: (m.time_budget or 0, m.max_examples), reverse=True)
    jobs += [Job("mutant", m.name, m.event_profile, m.max_examples, seed) for m in chosen]
    return jobs


def _load_text(value: tuple[float, float, float] | None) -> str:
    return "n/a" if value is None else ", ".join(f"{x:.2f}" for x in value)


def _load_average() -> tuple[float, float, float] | None:
    try:
        return os.getloadavg()
    except OSError:
        return None


@dataclass
class SelftestReport:
    """Every campaign's result, with the run's timing and the machine it ran on."""

    results: list[JobResult]
    workers: int
    wall: float
    cpu: float
    started_at: str
    load_before: tuple[float, float, float] | None
    load_after: tuple[float, float, float] | None
    reference_examples: int = REFERENCE_EXAMPLES
    seed: int = 0

    def references(self) -> list[tuple[Reference, JobResult]]:
        return [
            (_REFERENCE_BY_NAME[r.job.name], r) for r in self.results if r.job.kind == "reference"
        ]

    def mutants(self) -> list[tuple[Mutant, JobResult]]:
        by_name = {r.job.name: r for r in self.results if r.job.kind == "mutant"}
        return [(m, by_name[m.name]) for m in MUTANTS if m.name in by_name]

    @property
    def references_ok(self) -> bool:
        return all(r.ran and not r.failed for _, r in self.references())

    @property
    def killed(self) -> int:
        """Mutants that failed at least one rule."""
        return sum(1 for _, r in self.mutants() if r.failed)

    @property
    def named(self) -> int:
        """Mutants every rule naming their fault caught."""
        return sum(1 for m, r in self.mutants() if mutant_status(m, r) == "killed")

    @property
    def ok(self) -> bool:
        return self.references_ok and self.named == len(self.mutants())

    def problems(self) -> list[str]:
        found = [
            f"reference {r.job.label}: " + (r.problem or "failed " + ", ".join(r.failed))
            for _, r in self.references()
            if not r.ran or r.failed
        ]
        for chosen, result in self.mutants():
            status = mutant_status(chosen, result)
            if status == "killed":
                continue
            found.append(
                f"mutant {chosen.name} {status}"
                + (f" ({result.problem})" if result.problem else "")
                + f": must be caught by {', '.join(chosen.catches)}, failed "
                + (", ".join(result.failed) or "nothing")
            )
        return found

    # --- text ------------------------------------------------------------------------------

    def summary(self) -> str:
        total = len(self.mutants())
        rate = f"{100 * self.killed / total:.0f}%" if total else "n/a"
        refs = self.references()
        passing = sum(1 for _, r in refs if r.ran and not r.failed)
        return (
            f"references passing: {passing}/{len(refs)}; kill rate {self.killed}/{total} "
            f"({rate}); caught by the rule that names the fault: {self.named}/{total}; "
            f"wall {self.wall:.0f} s, CPU {self.cpu:.0f} s on {self.workers} worker(s)"
        )

    def reference_table(self) -> str:
        rows = [
            "| reference | profile | events | result | rules passed / failed / not exercised "
            "| examples | time |",
            "| --- | --- | --- | --- | --- | ---: | ---: |",
        ]
        for ref, r in self.references():
            if not r.ran:
                result = f"did not run: {r.problem}"
            elif r.failed:
                result = f"**FAIL** {', '.join(r.failed)}"
            else:
                result = "pass"
            passed = r.rules_checked - len(r.failed) - len(r.not_exercised)
            exercised = f"{passed} / {len(r.failed)} / {len(r.not_exercised)}" + (
                f" ({', '.join(r.not_exercised)})" if r.not_exercised else ""
            )
            rows.append(
                f"| `{ref.name}` — {ref.description} | {ref.profile} | {r.job.event_profile} "
                f"| {result} | {exercised} | {r.examples} | {r.wall:.1f} s |"
            )
        return "\n".join(rows)

    def mutant_table(self) -> str:
        rows = [
            "| # | mutant | fault | from | must be caught by | caught by | caught in "
            "| examples needed | budget | time |",
            "| ---: | --- | --- | --- | --- | --- | --- | ---: | --- | ---: |",
        ]
        for number, (chosen, r) in enumerate(self.mutants(), 1):
            status = mutant_status(chosen, r)
            caught = ", ".join(r.failed) if r.failed else "—"
            if status != "killed":
                caught = f"**{status.upper()}** {caught}"
            where = sorted({r.caught_in.get(c, "—") for c in chosen.catches})
            needed = examples_needed(chosen, r)
            budget = f"{chosen.max_examples} {chosen.event_profile}" + (
                f", {chosen.time_budget:g} s" if chosen.time_budget else ""
            )
            description = chosen.description.replace("|", "\\|")
            rows.append(
                f"| {number} | `{chosen.name}` | {description} | {chosen.reference} "
                f"| {', '.join(chosen.catches)} | {caught} | {'; '.join(where)} "
                f"| {'—' if needed is None else needed} | {budget} | {r.wall:.1f} s |"
            )
        return "\n".join(rows)

    def coverage(self) -> str:
        """Which rule ids some mutant must be caught by, family by family."""
        named: dict[str, int] = {}
        for chosen, _ in self.mutants():
            for rule_id in chosen.catches:
                named[rule_id] = named.get(rule_id, 0) + 1
        lines = []
        for family, words in FAMILIES.items():
            ids = [r.id for r in RULES if r.family == family]
            shown = ", ".join(f"{r} ×{named[r]}" if r in named else f"{r} —" for r in ids)
            lines.append(f"- **{family}** ({words}): {shown}")
        return "\n".join(lines)

    def console(self) -> str:
        parts = [
            "References",
            self.reference_table(),
            "",
            "Mutants",
            self.mutant_table(),
            "",
            self.summary(),
        ]
        problems = self.problems()
        if problems:
            parts += ["", "PROBLEMS:", *(f"  - {p}" for p in problems)]
        return "\n".join(parts) + "\n"

    def markdown(self) -> str:
        cores = os.cpu_count() or 1
        load = _load_text
        verdict = "PASS" if self.ok else "FAIL"
        problems = "\n".join(f"- {p}" for p in self.problems()) or "None."
        return f"""# Self-test of the conformance kit

Generated by `make selftest` (`planhat-conformance selftest --write docs/selftest.md`); do not
edit by hand. It answers issue 5: conforming reference destinations pass, and a catalogue of
broken ones (mutants, `conformance/mutants/`) all fail — each on the rule that names its fault.

**{verdict}** — {self.summary()}.

## Timing

| measure | value |
| --- | --- |
| wall time of the whole self-test | **{self.wall:.1f} s** |
| CPU time (all worker processes and Node.js children) | {self.cpu:.1f} s |
| machine | {cores} cores, {platform.system()} {platform.machine()}, Python \
{platform.python_version()} |
| worker processes | {self.workers} |
| load average before / after (1, 5, 15 min) | {load(self.load_before)} / \
{load(self.load_after)} |
| started | {self.started_at} |

The machine was shared with other work while this ran: the load average shows how busy it was.
CPU time is the work itself.

## Budgets

- References: every rule of the profile, under the event mixes the table shows, the delivery
  and fault scenarios, and {self.reference_examples} explored event sequences each; each run
  has its own seed, from {self.seed} up.
- Mutants: the delivery scenarios plus a small exploration (the *budget* column: explored
  sequences and event profile), checking the rules of the fault's family and E-1 … E-3 (family
  P: the named rule and E-1 … E-3). *Caught in* names the delivery scenario that caught it, or
  `exploration`; *examples needed* counts the explored sequences judged until every rule
  naming the fault had failed (0: a scenario caught it).

## References

{self.reference_table()}

## Mutants

{self.mutant_table()}

## Rules named by a mutant

How many mutants each rule must catch (— : none). Every rule is checked on every reference
run. E-1 (Planhat's state equals the oracle's) is the catch-all a mutant may not rely on alone;
P-10 (source "Segment"), E-2 and E-3 (no duplicate contacts or companies) are the fake's doing
for anything that arrives through the intake, so only a destination writing through Planhat's
REST API could break them.

{self.coverage()}

## Problems

{problems}
"""


def run_selftest(
    names: Sequence[str] | None = None,
    *,
    workers: int | None = None,
    seed: int = 0,
    reference_examples: int = REFERENCE_EXAMPLES,
    on_result: Callable[[JobResult], None] | None = None,
) -> SelftestReport:
    """Run the chosen references and mutants (default all) on ``workers`` processes (default:
    one per core; 1 runs here, in this process)."""
    jobs = jobs_for(names, seed=seed, reference_examples=reference_examples)
    count = max(1, workers if workers is not None else (os.cpu_count() or 1))
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_before = _load_average()
    started, cpu = time.perf_counter(), _cpu_seconds()
    results: list[JobResult] = []
    if count == 1:
        for job in jobs:
            results.append(run_job(job))
            if on_result is not None:
                on_result(results[-1])
    else:
        context = multiprocessing.get_context("spawn")  # no fork of a process with threads
        with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
            futures = [pool.submit(run_job, job) for job in jobs]
            for future in as_completed(futures):
                results.append(future.result())
                if on_result is not None:
                    on_result(results[-1])
    order = {job: index for index, job in enumerate(jobs)}
    results.sort(key=lambda r: order[r.job])
    return SelftestReport(
        results,
        workers=count,
        wall=time.perf_counter() - started,
        cpu=_cpu_seconds() - cpu,
        started_at=started_at,
        load_before=load_before,
        load_after=_load_average(),
        reference_examples=reference_examples,
        seed=seed,
    )


# --- the command line ----------------------------------------------------------------------------


def add_command(parser: argparse.ArgumentParser) -> None:
    """Add ``selftest`` to ``planhat-conformance``'s subcommands."""
    commands = next(
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    selftest = commands.add_parser(
        "selftest",
        help="run every reference destination and every mutant: the kit's own test",
        description="Run the bundled reference destinations (they must pass every rule) and the "
        "mutants (each must fail the rule that names its fault); print a table and the kill "
        "rate. Exit 1 when a reference fails or a mutant is not caught.",
    )
    add_arguments(selftest)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--write", metavar="FILE", help="also write the report as markdown here")
    parser.add_argument(
        "--jobs", type=positive_int, help="worker processes (default: one per core)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument(
        "--reference-examples",
        type=positive_int,
        default=REFERENCE_EXAMPLES,
        metavar="N",
        help=f"explored sequences per reference run (default: {REFERENCE_EXAMPLES})",
    )
    parser.add_argument(
        "--only", metavar="NAMES", help="comma-separated reference or mutant names to run"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress on stderr")


def run_command(args: argparse.Namespace, out: IO[str]) -> int:
    """``planhat-conformance selftest``: returns the exit status."""
    names = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else None
    try:
        total = len(jobs_for(names, seed=args.seed))
    except ValueError as exc:
        sys.stderr.write(f"planhat-conformance: {exc}\n")
        return EXIT_USAGE
    done = [0]

    def tell(result: JobResult) -> None:
        done[0] += 1
        verdict = "error" if not result.ran else ("FAIL " if result.failed else "pass ")
        if result.job.kind == "mutant" and result.ran:
            verdict = mutant_status(mutant(result.job.name), result)
        sys.stderr.write(
            f"[{done[0]:>2}/{total}] {result.job.kind:<9} {result.job.label:<34} {verdict} "
            f"({result.wall:.1f} s)\n"
        )

    report = run_selftest(
        names,
        workers=args.jobs,
        seed=args.seed,
        reference_examples=args.reference_examples,
        on_result=None if args.no_progress else tell,
    )
    out.write(report.console())
    if args.write:
        write_text(args.write, report.markdown())
    return EXIT_OK if report.ok else EXIT_FAILED


def main(argv: Sequence[str] | None = None, *, out: IO[str] | None = None) -> int:
    """``python -m conformance.selftest``: the same as ``planhat-conformance selftest``."""
    parser = argparse.ArgumentParser(prog="python -m conformance.selftest")
    add_arguments(parser)
    return run_command(parser.parse_args(argv), out if out is not None else sys.stdout)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
