"""Soak ``fake-planhat serve``: client threads mix Segment messages, bulk upserts and reads for a
while, then the fake's state is checked against a model of what was sent, and the server's
memory is checked to stay flat once its journal bound is reached.

    python tools/soak.py --seconds 60 [--threads 4] [--max-requests N] [--state FILE] [--json]

The server runs as its own process (``python -m fake_planhat.cli serve --port 0``), so its
memory is its own: resident size is sampled from ``/proc/<pid>/statm``. Each thread owns a
counter ``n``; every write carries ``custom["t<thread>"] = n``, so whatever the interleaving the
final value of each field is the last one its thread sent (threads share users, companies and
bulk keys, so they race on the same documents: rule E-2 must hold).

Prints latency percentiles (p50/p90/p99) per kind of request, throughput and memory growth; the
exit status is 1 when a request failed, the state differs from the model or memory grew more
than ``--max-growth-mb`` in the second half of the run. ``tests/robustness/test_soak.py`` runs
it for a few seconds; ``make soak`` for a minute.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_planhat import DEFAULT_API_TOKEN, DEFAULT_TENANT_TOKEN

COMPANIES = [f"c{k}" for k in range(8)]
USERS = 400  # identify/track users u0..u399; user k belongs to company k % 8
BULK_KEYS = 200  # bulk enduser keys b0..b199, same companies
BULK_ITEMS = 10  # items per bulk upsert
# Share of each kind of request. Tracks are the only writes that grow the state (an activity
# each), kept low so the memory check sees leaks rather than data.
MIX = {"identify": 30, "group": 10, "track": 10, "bulk": 10, "read": 40}
STARTUP = 30.0  # seconds a cold server may take to print its URL
PAGE_SIZE = 4096


def company_of(key: int) -> str:
    return COMPANIES[key % len(COMPANIES)]


# --- the server process ---------------------------------------------------------------------


class Server:
    """``fake-planhat serve --port 0`` in a child process; its URL from the first line."""

    def __init__(self, journal_size: int, state: str | None = None, threads: int = 8) -> None:
        args = [sys.executable, "-m", "fake_planhat.cli", "serve", "--port", "0"]
        args += ["--journal-size", str(journal_size), "--threads", str(threads)]
        # the load makes its companies with group calls: P-7's upsert reading (a tenant setting)
        args += ["--group", "upsert"]
        if state is not None:
            args += ["--state", state]
        self.process = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("http://"):
            self.process.kill()
            _, err = self.process.communicate(timeout=STARTUP)
            raise RuntimeError(f"the server did not start: {line!r} {err}")
        self.url = line
        host, port = line.removeprefix("http://").rsplit(":", 1)
        self.host, self.port = host, int(port)
        # keep draining stdout so the server never blocks on a full pipe
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def rss(self) -> int | None:
        """Resident set size in bytes (Linux), None where /proc is missing."""
        try:
            fields = Path(f"/proc/{self.process.pid}/statm").read_text().split()
        except OSError:
            return None
        return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")

    def stop(self) -> int:
        """SIGTERM, as a user stops it; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=STARTUP)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            if self.process.stderr is not None:
                self.process.stderr.close()


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects after a failure."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=30)
        intake = base64.b64encode(f"{DEFAULT_TENANT_TOKEN}:".encode()).decode()
        self.intake_auth = f"Basic {intake}"
        self.rest_auth = f"Bearer {DEFAULT_API_TOKEN}"

    def call(self, method: str, path: str, auth: str | None, body: Any = None) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        if auth is not None:
            headers["Authorization"] = auth
        data = json.dumps(body).encode() if body is not None else None
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            raise
        return response.status, json.loads(raw) if raw else None

    def segment(self, message: dict[str, Any]) -> tuple[int, Any]:
        return self.call("POST", "/dock/segment", self.intake_auth, message)

    def close(self) -> None:
        self.conn.close()


# --- what was sent: the model -----------------------------------------------------------------


@dataclass
class Model:
    """What the fake must hold after every acknowledged request (the thread keeps its own)."""

    contacts: dict[str, dict[str, int]] = field(default_factory=dict)  # externalId -> custom
    identified: set[str] = field(default_factory=set)  # users with an acknowledged identify
    companies: dict[str, dict[str, int]] = field(default_factory=dict)  # externalId -> custom
    activities: list[tuple[int, int, str]] = field(default_factory=list)  # (thread, n, user)

    def merge(self, other: Model) -> None:
        for key, custom in other.contacts.items():
            self.contacts.setdefault(key, {}).update(custom)
        self.identified |= other.identified
        for key, custom in other.companies.items():
            self.companies.setdefault(key, {}).update(custom)
        self.activities += other.activities


@dataclass
class Worker:
    """One client thread: its requests, their latencies, and its part of the model."""

    index: int
    client: Client
    rng: random.Random
    model: Model = field(default_factory=Model)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)
    planhat_requests: int = 0  # requests to journaled (Planhat) routes
    n: int = 0

    def step(self) -> None:
        kinds, weights = zip(*MIX.items(), strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        self.n += 1
        tag = f"t{self.index}"
        started = time.perf_counter()
        try:
            status, answer = getattr(self, kind)(tag)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            self.failures.append(f"{kind} #{self.n}: {type(exc).__name__}: {exc}")
            return
        finally:
            self.planhat_requests += 1
        self.latencies[kind].append(time.perf_counter() - started)
        if status != 200:
            self.failures.append(f"{kind} #{self.n}: HTTP {status} {str(answer)[:200]}")

    def identify(self, tag: str) -> tuple[int, Any]:
        k = self.rng.randrange(USERS)
        user = f"u{k}"
        traits = {"email": f"{user}@soak.test", "name": f"User {k}", "companyId": company_of(k)}
        status, answer = self.client.segment(
            {"type": "identify", "userId": user, "traits": {**traits, tag: self.n}}
        )
        if status == 200:
            self.model.contacts.setdefault(user, {})[tag] = self.n
            self.model.identified.add(user)
        return status, answer

    def track(self, tag: str) -> tuple[int, Any]:
        k = self.rng.randrange(USERS)
        user = f"u{k}"
        message = {
            "type": "track",
            "userId": user,
            "event": "Soak Event",
            "properties": {"thread": self.index, "n": self.n},
            "context": {"groupId": company_of(k)},  # P-6: created on its company if new
        }
        status, answer = self.client.segment(message)
        if status == 200:
            self.model.contacts.setdefault(user, {})
            self.model.activities.append((self.index, self.n, user))
        return status, answer

    def group(self, tag: str) -> tuple[int, Any]:
        company = self.rng.choice(COMPANIES)
        traits = {"name": f"Company {company}", tag: self.n}
        status, answer = self.client.segment(
            {"type": "group", "groupId": company, "traits": traits}
        )
        if status == 200:
            self.model.companies.setdefault(company, {})[tag] = self.n
        return status, answer

    def bulk(self, tag: str) -> tuple[int, Any]:
        keys = self.rng.sample(range(BULK_KEYS), BULK_ITEMS)
        items = [
            {
                "externalId": f"b{k}",
                "companyId": f"extid-{company_of(k)}",
                "name": f"Bulk {k}",
                "email": f"b{k}@bulk.test",
                "custom": {tag: self.n},
            }
            for k in keys
        ]
        status, answer = self.client.call("PUT", "/endusers", self.client.rest_auth, items)
        if status == 200:
            for k in keys:
                self.model.contacts.setdefault(f"b{k}", {})[tag] = self.n
        return status, answer

    def read(self, tag: str) -> tuple[int, Any]:
        if self.rng.random() < 0.5:
            offset = self.rng.randrange(0, USERS)
            return self.client.call(
                "GET", f"/endusers?limit=20&offset={offset}", self.client.rest_auth
            )
        return self.client.call("GET", "/companies?limit=10", self.client.rest_auth)


# --- the run --------------------------------------------------------------------------------


@dataclass
class Report:
    seconds: float
    requests: int
    throughput: float  # requests per second
    latency_ms: dict[str, dict[str, float]]  # kind -> {"p50", "p90", "p99", "count"}
    failures: list[str]
    violations: list[str]
    rss_mb: dict[str, float | None]  # "start", "mid", "end", "growth" (second half)
    journal: dict[str, int]
    state: dict[str, int]  # counts in the final state
    stop_status: int | None = None

    @property
    def ok(self) -> bool:
        return not self.failures and not self.violations

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 2),
            "requests": self.requests,
            "throughput": round(self.throughput, 1),
            "latencyMs": self.latency_ms,
            "failures": self.failures[:20],
            "failureCount": len(self.failures),
            "violations": self.violations[:50],
            "rssMb": self.rss_mb,
            "journal": self.journal,
            "state": self.state,
            "stopStatus": self.stop_status,
        }


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    if not ordered:
        return {"count": 0}

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {"count": len(ordered), "p50": at(0.50), "p90": at(0.90), "p99": at(0.99)}


class RssSampler(threading.Thread):
    """The server's resident size every ``interval`` seconds: (elapsed, bytes)."""

    def __init__(self, server: Server, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.server, self.interval = server, interval
        self.samples: list[tuple[float, int]] = []
        self.done = threading.Event()
        self.started_at = time.monotonic()

    def run(self) -> None:
        while not self.done.is_set():
            rss = self.server.rss()
            if rss is not None:
                self.samples.append((time.monotonic() - self.started_at, rss))
            self.done.wait(self.interval)

    def summary(self, seconds: float) -> dict[str, float | None]:
        """Start, mid-run and end sizes; growth = end - mid-run (after warm-up)."""
        if not self.samples:
            return {"start": None, "mid": None, "end": None, "growth": None}
        mb = 1024 * 1024
        mid = next((s for t, s in self.samples if t >= seconds / 2), self.samples[-1][1])
        end = self.samples[-1][1]
        return {
            "start": round(self.samples[0][1] / mb, 2),
            "mid": round(mid / mb, 2),
            "end": round(end / mb, 2),
            "growth": round((end - mid) / mb, 2),
        }


def setup(client: Client, model: Model) -> int:
    """Every company first, so contacts always land on one (no unassigned contacts)."""
    for company in COMPANIES:
        status, answer = client.segment(
            {"type": "group", "groupId": company, "traits": {"name": f"Company {company}"}}
        )
        if status != 200:
            raise RuntimeError(f"setting up company {company}: HTTP {status} {answer}")
        model.companies.setdefault(company, {})
    return len(COMPANIES)


def run(
    seconds: float,
    *,
    threads: int = 4,
    max_requests: int = 1_000_000,
    journal_size: int = 200,
    state: str | None = None,
    seed: int = 0,
    max_growth_mb: float = 20.0,
) -> Report:
    """Soak a fresh server for ``seconds`` (or ``max_requests``) and check what it holds."""
    server = Server(journal_size, state)
    sampler = RssSampler(server)
    workers: list[Worker] = []
    try:
        admin = Client(server.host, server.port)
        _wait_healthy(admin)
        model = Model()
        setup_requests = setup(admin, model)
        workers = [
            Worker(i, Client(server.host, server.port), random.Random(seed * 1000 + i))
            for i in range(threads)
        ]
        budget = itertools.count()
        sampler.start()
        started = time.monotonic()
        deadline = started + seconds

        def work(worker: Worker) -> None:
            while time.monotonic() < deadline and next(budget) < max_requests:
                worker.step()

        pool = [threading.Thread(target=work, args=(w,)) for w in workers]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        elapsed = time.monotonic() - started
        sampler.done.set()
        sampler.join()
        for worker in workers:
            model.merge(worker.model)
            worker.client.close()
        _, dump = admin.call("GET", "/_fake/state", None)
        _, journal = admin.call("GET", "/_fake/journal?limit=1", None)
        admin.close()
    finally:
        sampler.done.set()
        stop_status = server.stop()

    requests = sum(w.planhat_requests for w in workers)
    failures = [f"thread {w.index}: {f}" for w in workers for f in w.failures]
    kinds: dict[str, list[float]] = defaultdict(list)
    for worker in workers:
        for kind, values in worker.latencies.items():
            kinds[kind].extend(values)
    latency = {kind: percentiles(values) for kind, values in sorted(kinds.items())}
    latency["all"] = percentiles([v for values in kinds.values() for v in values])
    violations = check_state(dump, model)
    journal_counts = {
        "kept": journal["total"],
        "recorded": journal["recorded"],
        "maxEntries": journal["maxEntries"],
    }
    if journal["recorded"] != requests + setup_requests:
        violations.append(
            f"the journal recorded {journal['recorded']} requests, "
            f"{requests + setup_requests} were sent"
        )
    if journal["total"] != min(journal_size, journal["recorded"]):
        violations.append(f"the journal keeps {journal['total']} entries, bound {journal_size}")
    rss = sampler.summary(elapsed)
    growth = rss["growth"]
    if growth is not None and growth > max_growth_mb:
        violations.append(
            f"server memory grew {growth} MB in the second half (bound {max_growth_mb} MB)"
        )
    if stop_status != 0:
        violations.append(f"the server exited {stop_status} after SIGTERM")
    if state is not None:
        violations += check_restart(state, dump)
    return Report(
        seconds=elapsed,
        requests=requests,
        throughput=requests / elapsed if elapsed else 0.0,
        latency_ms=latency,
        failures=failures,
        violations=violations,
        rss_mb=rss,
        journal=journal_counts,
        state={
            "endusers": len(dump["endusers"]),
            "unassigned": len(dump["unassigned"]),
            "companies": len(dump["companies"]),
            "activities": len(dump["activities"]),
        },
        stop_status=stop_status,
    )


def _wait_healthy(client: Client) -> None:
    deadline = time.monotonic() + STARTUP
    while True:
        try:
            if client.call("GET", "/_fake/health", None)[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the server never answered /_fake/health")
        time.sleep(0.05)


def _custom_tags(doc: dict[str, Any]) -> dict[str, int]:
    custom = doc.get("custom") or {}
    return {k: v for k, v in custom.items() if k.startswith("t") and k[1:].isdigit()}


def check_state(dump: dict[str, Any], model: Model) -> list[str]:
    """Differences between the fake's state and the model, each in one line."""
    problems: list[str] = []
    companies = {c["externalId"]: c for c in dump["companies"]}
    if sorted(companies) != sorted(model.companies) or len(dump["companies"]) != len(companies):
        problems.append(f"companies {sorted(companies)} != sent {sorted(model.companies)}")
    for key, tags in model.companies.items():
        if key in companies and _custom_tags(companies[key]) != tags:
            problems.append(f"company {key}: custom {_custom_tags(companies[key])} != {tags}")
    if dump["unassigned"]:
        problems.append(f"{len(dump['unassigned'])} unassigned contacts; every user had a company")
    # E-2: one contact per user key per company
    per_key = Counter((c.get("externalId"), c.get("companyId")) for c in dump["endusers"])
    problems += [f"E-2: {n} contacts for {key}" for key, n in per_key.items() if n > 1]
    contacts = {c.get("externalId"): c for c in dump["endusers"]}
    if set(contacts) != set(model.contacts):
        missing = sorted(set(model.contacts) - set(contacts))[:10]
        extra = sorted(map(str, set(contacts) - set(model.contacts)))[:10]
        problems.append(f"contacts differ: missing {missing}, unexpected {extra}")
    ids = {c["externalId"]: c["_id"] for c in dump["companies"]}
    for key, tags in model.contacts.items():
        contact = contacts.get(key)
        if contact is None:
            continue
        number = int(key[1:])
        if contact.get("companyId") != ids.get(company_of(number)):
            problems.append(f"contact {key} is on {contact.get('companyId')}, not its company")
        if _custom_tags(contact) != tags:
            problems.append(f"contact {key}: custom {_custom_tags(contact)} != {tags}")
        has_email = contact.get("email") is not None
        expects_email = key.startswith("b") or key in model.identified
        if has_email != expects_email:
            problems.append(f"contact {key}: email {contact.get('email')!r}")
    by_id = {c["_id"]: c.get("externalId") for c in dump["endusers"]}
    seen: Counter[tuple[Any, Any, Any]] = Counter(
        (a["info"].get("thread"), a["info"].get("n"), by_id.get(a["contactId"]))
        for a in dump["activities"]
    )
    sent: Counter[tuple[Any, Any, Any]] = Counter(model.activities)
    if seen != sent:
        lost = list((sent - seen).elements())[:5]
        extra_activities = list((seen - sent).elements())[:5]
        problems.append(
            f"activities: {len(dump['activities'])} held, {len(model.activities)} sent; "
            f"lost {lost}, unexpected {extra_activities}"
        )
    return problems


def check_restart(state: str, dump: dict[str, Any]) -> list[str]:
    """The state file, opened again, holds exactly what the server answered last."""
    from fake_planhat import FakePlanhat

    restarted = FakePlanhat(state_file=state)
    try:
        again = json.loads(json.dumps(restarted.dump()))
    finally:
        restarted.close()
    if again == dump:
        return []
    differing = [name for name in dump if again.get(name) != dump[name]]
    return [f"after a restart from {state}, the state differs in {differing}"]


# --- the command ----------------------------------------------------------------------------


def render(report: Report) -> Iterator[str]:
    yield (
        f"{report.requests} requests in {report.seconds:.1f} s: {report.throughput:.0f} requests/s"
    )
    for kind, figures in report.latency_ms.items():
        if figures.get("count"):
            yield (
                f"  {kind:<9} n={int(figures['count']):<6} p50 {figures['p50']:>7.2f} ms  "
                f"p90 {figures['p90']:>7.2f} ms  p99 {figures['p99']:>7.2f} ms"
            )
    rss = report.rss_mb
    yield (
        f"server RSS: start {rss['start']} MB, mid-run {rss['mid']} MB, end {rss['end']} MB, "
        f"second-half growth {rss['growth']} MB"
    )
    yield f"journal: {report.journal}"
    yield f"final state: {report.state}"
    for failure in report.failures[:10]:
        yield f"FAILED REQUEST {failure}"
    for violation in report.violations:
        yield f"VIOLATION {violation}"
    yield "ok" if report.ok else "NOT OK"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="how long (default: 60)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default: 4)")
    parser.add_argument(
        "--max-requests", type=int, default=1_000_000, help="stop after this many requests"
    )
    parser.add_argument("--journal-size", type=int, default=200, help="the server's journal bound")
    parser.add_argument("--state", default=None, help="serve with --state FILE (durable writes)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the request mix")
    parser.add_argument(
        "--max-growth-mb", type=float, default=20.0, help="memory bound for the second half"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    report = run(
        args.seconds,
        threads=args.threads,
        max_requests=args.max_requests,
        journal_size=args.journal_size,
        state=args.state,
        seed=args.seed,
        max_growth_mb=args.max_growth_mb,
    )
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        for line in render(report):
            print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
