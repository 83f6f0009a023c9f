"""One representative object of the resource model (assets, issue 12): lookups and lists at 1M
vs 1k records, memory per record, and bulk upserts' growth with their item count, each next to
a baseline measured in the same run (the 1k store, a plain dict, the 100-item bulk).

Stores are filled directly through the asset collection (fast; the requests under test go
through the app). Every company has :data:`PER_COMPANY` assets, so a ``?companyId=`` page
holds as many assets whatever the store's size.
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
from typing import Any, ClassVar

from bench.measure import Sample, collected, interleave
from bench.results import Comparison, Section, Target
from bench.settings import Settings
from bench.workloads import rest_headers
from fake_planhat.fake import FakePlanhat
from fake_planhat.state import Tenant

__all__ = ["run"]

OBJECT = "assets"
PER_COMPANY = 10
GROWTH_TARGET = 1.5  # 1M-record store within 1.5× the 1k-record store
BULK_TARGET = 60.0  # 5,000 items within 60× the time of 100
MEMORY_TARGET = 2048.0  # bytes per stored record


def asset_fields(n: int, company_id: str) -> dict[str, Any]:
    """An asset as a connector writes it."""
    return {
        "name": f"Drone {n}",
        "externalId": f"asset-{n}",
        "sourceId": f"src-asset-{n}",
        "companyId": company_id,
        "custom": {"model": "X-4", "hours": n % 1000},
    }


def fill(tenant: Tenant, count: int) -> None:
    """``count`` assets on ``count / PER_COMPANY`` companies."""
    assets = tenant.collection(OBJECT)
    with tenant.lock:
        for c in range(count // PER_COMPANY):
            company = tenant.create_company({"name": f"Company {c}", "externalId": f"co-{c}"})
            for n in range(c * PER_COMPANY, (c + 1) * PER_COMPANY):
                assets.insert(tenant.new_doc(asset_fields(n, company["_id"])))


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    body: bytes | None
    expect: int | None  # for a list: how many records the answer must hold


class _Kinds:
    names: ClassVar[dict[str, str]] = {
        "get-extid": "GET /assets/extid-…",
        "list-company": f"GET /assets?companyId=… ({PER_COMPANY} assets)",
        "list-page": "GET /assets?limit=100 (the first page)",
    }

    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def make(self, kind: str, size: int) -> _Request:
        n = self._random.randrange(size)
        if kind == "get-extid":
            return _Request("GET", f"/{OBJECT}/extid-asset-{n}", None, None)
        if kind == "list-company":
            path = f"/{OBJECT}?companyId=extid-co-{n // PER_COMPANY}"
            return _Request("GET", path, None, PER_COMPANY)
        if kind == "list-page":
            return _Request("GET", f"/{OBJECT}?limit=100", None, 100)
        raise ValueError(kind)


def _per_call(fake: FakePlanhat, requests: list[_Request]) -> float:
    """Microseconds per request through the Flask test client; every answer is checked."""
    client = fake.app.test_client()
    headers = rest_headers()
    with collected():
        started = time.perf_counter()
        for r in requests:
            answer = client.open(r.path, method=r.method, headers=headers, data=r.body)
            if answer.status_code != 200:
                raise RuntimeError(f"{r.method} {r.path} answered {answer.status_code}")
            if r.expect is not None and len(answer.get_json()) != r.expect:
                raise RuntimeError(f"{r.method} {r.path} listed {len(answer.get_json())}")
        elapsed = time.perf_counter() - started
    return elapsed / len(requests) * 1e6


def _batch(fake: FakePlanhat, kinds: _Kinds, kind: str, size: int, count: int) -> float:
    return _per_call(fake, [kinds.make(kind, size) for _ in range(count)])


def _label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 else f"{size // 1000}k"


def _sizes(settings: Settings, log: Callable[[str], None], section: Section) -> None:
    small, large = settings.pick(full=(1_000, 1_000_000), smoke=(1_000, 5_000))
    rounds = settings.pick(full=9, smoke=1)
    batch = settings.pick(full=100, smoke=3)
    fakes: dict[int, FakePlanhat] = {}
    for size in (small, large):
        started = time.perf_counter()
        fake = FakePlanhat()
        fill(fake.tenant(), size)
        fakes[size] = fake
        log(f"  filled a store of {size:,} assets in {time.perf_counter() - started:.1f} s")
    gc.collect()
    gc.freeze()  # millions of records: a full collection before each batch would time nothing
    kinds = _Kinds(seed=12)
    for kind, name in _Kinds.names.items():
        log(f"  {name} at {_label(small)} and {_label(large)} assets")
        for size, store in fakes.items():
            _per_call(store, [kinds.make(kind, size)])  # warm
        values = interleave(
            {
                size: partial(_batch, store, kinds, kind, size, batch)
                for size, store in fakes.items()
            },
            rounds,
        )
        comparison = Comparison.paired(
            name,
            Sample.of(values[large], "µs"),
            Sample.of(values[small], "µs"),
            f"the same request against {_label(small)} assets",
            "lower",
            "Flask test client, journal on",
        )
        section.comparisons.append(comparison)
        section.targets.append(
            Target(
                f"{name} against {_label(large)} assets ≤ {GROWTH_TARGET:g}× the same against "
                f"{_label(small)}",
                comparison.ratio.median,
                GROWTH_TARGET,
                at_most=True,
            )
        )
    fakes.clear()
    gc.unfreeze()


def _traced(build: Callable[[], object]) -> int:
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
    log(f"  memory per asset: {count:,} assets × {rounds} rounds (tracemalloc)")

    def fake_store() -> float:
        fake = FakePlanhat()
        tenant = fake.tenant()
        with tenant.lock:
            companies = [
                tenant.create_company({"name": f"Company {c}", "externalId": f"co-{c}"})["_id"]
                for c in range(count // PER_COMPANY)
            ]
        assets = tenant.collection(OBJECT)

        def build() -> FakePlanhat:
            with tenant.lock:
                for n in range(count):
                    assets.insert(tenant.new_doc(asset_fields(n, companies[n // PER_COMPANY])))
            return fake

        return _traced(build) / count

    def dict_store() -> float:
        def build() -> tuple[dict[str, Any], ...]:
            docs: dict[str, dict[str, Any]] = {}
            by_external_id: dict[str, str] = {}
            stamp = "2026-01-15T10:00:00.000Z"
            for n in range(count):
                doc_id = f"{n:024x}"
                doc: dict[str, Any] = {"_id": doc_id, "createDate": stamp, "updatedAt": stamp}
                doc["__v"] = 0
                doc.update(asset_fields(n, f"{n // PER_COMPANY:024x}"))
                docs[doc_id] = doc
                by_external_id[doc["externalId"]] = doc_id
            return docs, by_external_id

        return _traced(build) / count

    values = interleave({"fake": fake_store, "dict": dict_store}, rounds)
    comparison = Comparison.paired(
        "Memory per stored asset",
        Sample.of(values["fake"], "bytes"),
        Sample.of(values["dict"], "bytes"),
        "the same records in a plain dict with one index (externalId)",
        "lower",
        f"{count:,} assets; the fake indexes externalId, sourceId and companyId",
    )
    section.comparisons.append(comparison)
    section.targets.append(
        Target(
            f"Memory per stored asset < {MEMORY_TARGET:,.0f} bytes",
            comparison.subject.median,
            MEMORY_TARGET,
            at_most=True,
            unit="bytes",
        )
    )


def _bulk_linearity(settings: Settings, log: Callable[[str], None], section: Section) -> None:
    rounds = settings.pick(full=5, smoke=1)
    small, large = settings.pick(full=(100, 5000), smoke=(10, 50))
    log(f"  asset bulk linearity: {small} vs {large} items, inserts and updates × {rounds}")
    fake = FakePlanhat()
    fill(fake.tenant(), max(large, PER_COMPANY))
    batches = itertools.count()

    def inserts(items: int) -> bytes:
        batch = next(batches)
        return _json(
            [
                {**asset_fields(n, "extid-co-0"), "externalId": f"new-{batch}-{n}"}
                | {"sourceId": f"src-new-{batch}-{n}"}
                for n in range(items)
            ]
        )

    def updates(items: int) -> bytes:
        batch = next(batches)
        return _json(
            [{"externalId": f"asset-{n}", "custom": {"batch": batch}} for n in range(items)]
        )

    def bulk(body: Callable[[int], bytes], items: int) -> Callable[[], float]:
        repeats = max(1, large // items // 5)

        def measure() -> float:
            requests = [_Request("PUT", f"/{OBJECT}", body(items), None) for _ in range(repeats)]
            return _per_call(fake, requests) / 1000

        return measure

    for what, body in (("new assets", inserts), ("updates of existing assets", updates)):
        bulk(body, small)()  # warm
        values = interleave({"large": bulk(body, large), "small": bulk(body, small)}, rounds)
        comparison = Comparison.paired(
            f"Bulk upsert of {large:,} {what} (one `PUT /assets`)",
            Sample.of(values["large"], "ms"),
            Sample.of(values["small"], "ms"),
            f"a bulk upsert of {small} {what}",
            "lower",
            f"linear would be {large / small:.0f}×; Flask test client, journal on",
        )
        section.comparisons.append(comparison)
        section.targets.append(
            Target(
                f"Asset bulk upsert time linear in items ({what}): {large:,} items ≤ "
                f"{BULK_TARGET:g}× the time of {small}",
                comparison.ratio.median,
                BULK_TARGET,
                at_most=True,
            )
        )


def run(settings: Settings, log: Callable[[str], None]) -> Section:
    section = Section(
        "A representative new object (assets): store size, memory and bulk growth",
        "Every object of the resource model runs on the same engine; assets stand for the "
        "new ones. Store size: two fakes filled directly (10 assets per company) answer the "
        "same requests through the Flask test client, each on a random asset, the sizes "
        "interleaved within each round; the ratio is the 1M store's time per request ÷ the "
        "1k store's. Memory: tracemalloc's count of what filling a store with assets leaves "
        "allocated, per asset, next to the same records in a plain dict. Bulk growth: bulk "
        "upserts of both sizes interleaved (new assets, then updates of existing ones).",
        columns=("subject", "baseline"),
    )
    _sizes(settings, log, section)
    _memory(settings, log, section)
    _bulk_linearity(settings, log, section)
    return section
