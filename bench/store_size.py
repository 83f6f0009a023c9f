"""Lookups and upserts against stores of 1k, 100k and 1M contacts, memory per contact, and
bulk upserts' growth with their item count.

Stores are filled directly through ``tenant.create_contact`` (fast; the requests under test go
through the app). Every company has :data:`PER_COMPANY` contacts, so a ``?companyId=`` page
holds as many contacts whatever the store's size, and a request's work differs only by what the
store's size costs: a scan would show as growth.
"""

from __future__ import annotations

import gc
import itertools
import json
import random
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from bench.measure import Sample, collected, interleave
from bench.results import Comparison, Section, Target
from bench.settings import Settings
from bench.workloads import Workload, bulk_items, intake_headers, rest_headers
from fake_planhat.fake import FakePlanhat
from fake_planhat.state import Tenant

__all__ = ["run"]

PER_COMPANY = 10
GROWTH_TARGET = 1.5  # 1M-contact store within 1.5× the 1k-contact store
BULK_TARGET = 60.0  # 5,000 items within 60× the time of 100
MEMORY_TARGET = 2048.0  # bytes per stored contact


def contact_fields(n: int, company_id: str) -> dict[str, Any]:
    """A contact as the intake creates it from an identify (rule P-5)."""
    return {
        "externalId": f"user-{n}",
        "email": f"user-{n}@company-{n // PER_COMPANY}.test",
        "firstName": "Ada",
        "lastName": f"Lovelace {n}",
        "name": f"Ada Lovelace {n}",
        "title": "CTO",
        "source": "Segment",
        "companyId": company_id,
        "custom": {"plan": "enterprise", "logins": n % 1000},
    }


def fill(tenant: Tenant, count: int) -> None:
    """``count`` contacts on ``count / PER_COMPANY`` companies."""
    with tenant.lock:
        for c in range(count // PER_COMPANY):
            company = tenant.create_company({"name": f"Company {c}", "externalId": f"co-{c}"})
            for n in range(c * PER_COMPANY, (c + 1) * PER_COMPANY):
                tenant.create_contact(contact_fields(n, company["_id"]))


# --- requests at each size ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    expect: int | None  # for a list: how many documents the answer must hold


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _identify(n: int, tag: str) -> bytes:
    return _json(
        {
            "type": "identify",
            "userId": f"user-{n}" if tag == "matched" else f"fresh-{tag}-{n}",
            "messageId": f"size-{tag}-{n}",
            "traits": {
                "email": f"user-{n}@company-{n // PER_COMPANY}.test",
                "title": "CTO",
                "companyId": f"co-{n // PER_COMPANY}",
                "plan": "enterprise",
                "logins": n,
            },
        }
    )


class _Kinds:
    """The request kinds measured at every size; ``make(kind, size)`` picks a random contact."""

    names: ClassVar[dict[str, str]] = {
        "identify-matched": "intake identify, matched contact",
        "get-extid": "GET /endusers/extid-…",
        "list-email": "GET /endusers?email=…",
        "list-company": "GET /endusers?companyId=… (10 contacts)",
        "identify-new": "intake identify, new contact",
        "bulk-update": "bulk upsert PUT /endusers, 100 updates",
    }
    targeted: ClassVar[tuple[str, ...]] = (
        "identify-matched",
        "get-extid",
        "list-email",
        "list-company",
    )

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)
        self._fresh = 0
        self._intake = intake_headers()
        self._rest = rest_headers()

    def make(self, kind: str, size: int) -> _Request:
        n = self._random.randrange(size)
        if kind == "identify-matched":
            return _Request("POST", "/dock/segment", self._intake, _identify(n, "matched"), None)
        if kind == "identify-new":
            self._fresh += 1
            return _Request(
                "POST", "/dock/segment", self._intake, _identify(n, str(self._fresh)), None
            )
        if kind == "get-extid":
            return _Request("GET", f"/endusers/extid-user-{n}", self._rest, None, None)
        if kind == "list-email":
            email = f"user-{n}@company-{n // PER_COMPANY}.test"
            return _Request("GET", f"/endusers?email={email}", self._rest, None, 1)
        if kind == "list-company":
            path = f"/endusers?companyId=extid-co-{n // PER_COMPANY}"
            return _Request("GET", path, self._rest, None, PER_COMPANY)
        if kind == "bulk-update":
            self._fresh += 1
            items = [
                {
                    "externalId": f"user-{m}",
                    "companyId": f"extid-co-{m // PER_COMPANY}",
                    "custom": {"bulkRound": self._fresh},
                }
                # distinct contacts: a key repeated in one bulk fails as "duplicated"
                for m in self._random.sample(range(size), min(100, size))
            ]
            return _Request("PUT", "/endusers", self._rest, _json(items), None)
        raise ValueError(kind)


def _per_call(fake: FakePlanhat, requests: list[_Request]) -> float:
    """Microseconds per request through the Flask test client; every answer is checked."""
    client = fake.app.test_client()
    with collected():
        started = time.perf_counter()
        for r in requests:
            answer = client.open(r.path, method=r.method, headers=r.headers, data=r.body)
            if answer.status_code != 200:
                raise RuntimeError(f"{r.method} {r.path} answered {answer.status_code}")
            if r.expect is not None and len(answer.get_json()) != r.expect:
                raise RuntimeError(f"{r.method} {r.path} listed {len(answer.get_json())}")
        elapsed = time.perf_counter() - started
    return elapsed / len(requests) * 1e6


def _batch(fake: FakePlanhat, kinds: _Kinds, kind: str, size: int, count: int) -> float:
    """Microseconds per request of ``count`` requests of one kind, on random contacts."""
    return _per_call(fake, [kinds.make(kind, size) for _ in range(count)])


def _label(size: int) -> str:
    if size >= 1_000_000:
        return f"{size // 1_000_000}M"
    if size >= 1000:
        return f"{size // 1000}k"
    return str(size)


# --- memory ------------------------------------------------------------------------------------


def _traced(build: Callable[[], object]) -> int:
    """Bytes still allocated after ``build`` ran (tracemalloc), its result kept alive."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = build()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    return after - before


def _memory(settings: Settings, log: Callable[[str], None], section: Section) -> None:
    count = settings.pick(full=100_000, smoke=2_000)
    rounds = settings.pick(full=3, smoke=1)
    log(f"  memory per contact: {count:,} contacts × {rounds} rounds (tracemalloc)")

    def fake_store() -> float:
        fake = FakePlanhat()
        tenant = fake.tenant()
        with tenant.lock:
            companies = [
                tenant.create_company({"name": f"Company {c}", "externalId": f"co-{c}"})["_id"]
                for c in range(count // PER_COMPANY)
            ]

        def build() -> FakePlanhat:
            with tenant.lock:
                for n in range(count):
                    tenant.create_contact(contact_fields(n, companies[n // PER_COMPANY]))
            return fake

        return _traced(build) / count

    def dict_store() -> float:
        def build() -> tuple[dict[str, Any], ...]:
            docs: dict[str, dict[str, Any]] = {}
            by_email: dict[str, str] = {}
            by_external_id: dict[str, str] = {}
            stamp = "2026-01-15T10:00:00.000Z"
            for n in range(count):
                doc_id = f"{n:024x}"
                doc: dict[str, Any] = {
                    "_id": doc_id,
                    "createDate": stamp,
                    "updatedAt": stamp,
                    "__v": 0,
                }
                doc.update(contact_fields(n, f"{n // PER_COMPANY:024x}"))
                docs[doc_id] = doc
                by_email[doc["email"].casefold()] = doc_id
                by_external_id[doc["externalId"]] = doc_id
            return docs, by_email, by_external_id

        return _traced(build) / count

    values = interleave({"fake": fake_store, "dict": dict_store}, rounds)
    comparison = Comparison.paired(
        "Memory per stored contact",
        Sample.of(values["fake"], "bytes"),
        Sample.of(values["dict"], "bytes"),
        "the same documents in a plain dict with two indexes (email, externalId)",
        "lower",
        f"{count:,} contacts; the fake indexes externalId, sourceId, email and companyId",
    )
    section.comparisons.append(comparison)
    section.targets.append(
        Target(
            f"Memory per stored contact < {MEMORY_TARGET:,.0f} bytes",
            comparison.subject.median,
            MEMORY_TARGET,
            at_most=True,
            unit="bytes",
        )
    )


# --- bulk linearity ----------------------------------------------------------------------------


def _bulk_linearity(settings: Settings, log: Callable[[str], None], section: Section) -> None:
    """Bulk upserts of ``large`` and of ``small`` items, inserts and then updates: linear time
    means the large one takes at most ``large / small`` times as long (plus a margin)."""
    rounds = settings.pick(full=5, smoke=1)
    small, large = settings.pick(full=(100, 5000), smoke=(10, 50))
    log(f"  bulk linearity: {small} vs {large} items, inserts and updates × {rounds} rounds")
    fake = FakePlanhat()
    Workload.prepare(fake)  # the company new endusers name
    fill(fake.tenant(), large)  # the endusers updates name
    rest = rest_headers()
    batches = itertools.count()

    def inserts(items: int) -> bytes:
        return _json(bulk_items(f"linear-{next(batches)}", items))

    def updates(items: int) -> bytes:
        batch = next(batches)  # a new value each time: every item changes its enduser
        return _json(
            [
                {
                    "externalId": f"user-{n}",
                    "companyId": f"extid-co-{n // PER_COMPANY}",
                    "custom": {"bulkBatch": batch},
                }
                for n in range(items)
            ]
        )

    def bulk(body: Callable[[int], bytes], items: int) -> Callable[[], float]:
        # as many small bulks per round as make a fifth of a large one: both sides last long
        # enough to time
        repeats = max(1, large // items // 5)

        def measure() -> float:
            requests = [
                _Request("PUT", "/endusers", rest, body(items), None) for _ in range(repeats)
            ]
            return _per_call(fake, requests) / 1000

        return measure

    for what, body in (("new endusers", inserts), ("updates of existing endusers", updates)):
        bulk(body, small)()  # warm
        values = interleave({"large": bulk(body, large), "small": bulk(body, small)}, rounds)
        comparison = Comparison.paired(
            f"Bulk upsert of {large:,} {what} (one `PUT /endusers`)",
            Sample.of(values["large"], "ms"),
            Sample.of(values["small"], "ms"),
            f"a bulk upsert of {small} {what}",
            "lower",
            f"linear would be {large / small:.0f}×; Flask test client, journal on",
        )
        section.comparisons.append(comparison)
        section.targets.append(
            Target(
                f"Bulk upsert time linear in items ({what}): {large:,} items ≤ "
                f"{BULK_TARGET:g}× the time of {small}",
                comparison.ratio.median,
                BULK_TARGET,
                at_most=True,
            )
        )


# --- the whole area ----------------------------------------------------------------------------


def _chart(path: Path, sizes: list[int], results: dict[str, dict[int, Sample]]) -> str | None:
    """Throughput, and time per request relative to the smallest store, against store size, as
    a PNG; None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    figure, (rate_axis, growth_axis) = plt.subplots(1, 2, figsize=(12, 4.6))
    for kind, by_size in results.items():
        label = _Kinds.names[kind]
        rates = [1e6 / by_size[s].median for s in sizes]
        # the interquartile range of the time per request, as requests per second
        below = [r - 1e6 / by_size[s].q3 for r, s in zip(rates, sizes, strict=True)]
        above = [1e6 / by_size[s].q1 - r for r, s in zip(rates, sizes, strict=True)]
        rate_axis.errorbar(sizes, rates, yerr=[below, above], marker="o", capsize=3, label=label)
        base = by_size[sizes[0]].median
        growth_axis.plot(sizes, [by_size[s].median / base for s in sizes], marker="o", label=label)
    growth_axis.axhline(GROWTH_TARGET, color="grey", linestyle="--", linewidth=1)
    growth_axis.annotate(
        f"target: ≤ {GROWTH_TARGET:g}×",
        (sizes[0], GROWTH_TARGET),
        textcoords="offset points",
        xytext=(4, 4),
        fontsize=8,
        color="grey",
    )
    rate_axis.set_yscale("log")
    rate_axis.set_ylabel("requests per second (log scale)")
    rate_axis.set_title("Throughput vs store size")
    growth_axis.set_ylim(0, max(2.0, GROWTH_TARGET + 0.3))
    growth_axis.set_ylabel(f"time per request ÷ time at {_label(sizes[0])}")
    growth_axis.set_title("Growth of the time per request")
    for axis in (rate_axis, growth_axis):
        axis.set_xscale("log")
        axis.set_xticks(sizes, [_label(s) for s in sizes])
        axis.set_xlabel("contacts in the store (Flask test client, medians)")
        axis.grid(True, alpha=0.3)
    handles, labels = rate_axis.get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    figure.tight_layout(rect=(0, 0.1, 1, 1))
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path.name


def run(settings: Settings, log: Callable[[str], None], chart: Path) -> list[Section]:
    """Two sections: memory and bulk growth (fake vs baselines), then the store sizes."""
    memory = Section(
        "Memory per contact and bulk upsert growth",
        "Memory: tracemalloc's count of what filling a store with contacts (as the intake "
        "creates them from an identify) leaves allocated, per contact, next to the same "
        "documents in a plain dict. Bulk growth: one fake through the Flask test client, bulk "
        "upserts of both sizes interleaved (new endusers, then updates of existing ones), "
        "time per request.",
    )
    _memory(settings, log, memory)
    _bulk_linearity(settings, log, memory)
    return [memory, _sizes(settings, log, chart)]


def _sizes(settings: Settings, log: Callable[[str], None], chart: Path) -> Section:
    sizes = settings.pick(full=[1_000, 100_000, 1_000_000], smoke=[100, 1_000, 5_000])
    rounds = settings.pick(full=9, smoke=1)
    batch = settings.pick(full=100, smoke=3)
    section = Section(
        "Store size: lookups and upserts at 1k, 100k and 1M contacts",
        "Three fakes, filled directly through `tenant.create_contact` "
        f"({PER_COMPANY} contacts per company, so a company's page is the same size in every "
        "store), answer the same kinds of request through the Flask test client, each on a "
        "random contact, the sizes interleaved within each of "
        f"{rounds} rounds of {batch} requests per size and kind; figures are microseconds per "
        "request. The ratio is the largest store's time per request ÷ the smallest's, per "
        "round: with indexes it stays near 1. The filled stores are moved to the collector's "
        "permanent generation (`gc.freeze()`), so a collection before each batch does not walk "
        "millions of documents.",
        columns=(f"{_label(sizes[-1])} contacts", f"{_label(sizes[0])} contacts"),
    )
    fakes: dict[int, FakePlanhat] = {}
    for size in sizes:
        started = time.perf_counter()
        fake = FakePlanhat()
        fill(fake.tenant(), size)
        fakes[size] = fake
        log(f"  filled a store of {size:,} contacts in {time.perf_counter() - started:.1f} s")
    # The stores hold millions of objects: a full collection before each batch would take
    # seconds and time nothing of the fake. Frozen, the collector leaves them out; what the
    # requests allocate is still collected.
    gc.collect()
    gc.freeze()
    kinds = _Kinds(seed=6)
    results: dict[str, dict[int, Sample]] = {}
    largest, smallest = sizes[-1], sizes[0]
    for kind, name in _Kinds.names.items():
        log(f"  {name} at {', '.join(_label(s) for s in sizes)} contacts")
        for size, store in fakes.items():  # warm each store's app
            _per_call(store, [kinds.make(kind, size)])
        values = interleave(
            {
                size: partial(_batch, store, kinds, kind, size, batch)
                for size, store in fakes.items()
            },
            rounds,
        )
        results[kind] = {size: Sample.of(v, "µs") for size, v in values.items()}
        comparison = Comparison.paired(
            name,
            results[kind][largest],
            results[kind][smallest],
            f"the same request against {_label(smallest)} contacts",
            "lower",
            f"{_label(sizes[1])} contacts: {results[kind][sizes[1]].median:,.0f} µs",
        )
        section.comparisons.append(comparison)
        if kind in _Kinds.targeted:
            section.targets.append(
                Target(
                    f"{name} against {_label(largest)} contacts ≤ {GROWTH_TARGET:g}× the "
                    f"same against {_label(smallest)}",
                    comparison.ratio.median,
                    GROWTH_TARGET,
                    at_most=True,
                )
            )
    fakes.clear()
    gc.unfreeze()
    drawn = _chart(chart, sizes, results)
    section.notes.append(
        f"![Throughput and growth of the time per request vs store size]({drawn})"
        if drawn
        else "Chart not drawn: matplotlib is not installed (`pip install -e '.[bench]'`)."
    )
    return section
