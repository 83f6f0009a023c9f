"""Mongo-style ObjectIds, as Planhat's ``_id`` fields are: 24 hex digits."""

from __future__ import annotations

import hashlib
import itertools
import random
import re
import threading
from collections.abc import Iterable

from fake_planhat.clock import Clock

OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


class ObjectIdFactory:
    """4-byte seconds, 5 bytes of (seeded) randomness, a 3-byte counter: Mongo's layout.

    Seeded and driven by the fake's clock, so a frozen clock and a fixed seed give the same ids
    on every run. Each tenant gets a factory of its own (:meth:`for_tenant`): one tenant's ids
    tell nothing about how many documents another tenant made.
    """

    def __init__(self, clock: Clock, seed: int | str | None = None) -> None:
        self._clock = clock
        # the seed tenants' factories derive theirs from (random when none is given)
        self._seed = seed if seed is not None else random.SystemRandom().getrandbits(64)
        rng = random.Random(seed)
        self._process = rng.getrandbits(40)
        self._counter = itertools.count(rng.getrandbits(16))
        self._lock = threading.Lock()

    def new(self) -> str:
        seconds = int(self._clock.now().timestamp()) & 0xFFFFFFFF
        with self._lock:
            count = next(self._counter) & 0xFFFFFF
        return f"{seconds:08x}{self._process:010x}{count:06x}"

    def for_tenant(self, token: str) -> ObjectIdFactory:
        """The factory of the tenant with this token: its random part and counter derived from
        this factory's seed and the token (so seeded runs stay reproducible)."""
        digest = hashlib.sha256(f"{self._seed}\x00{token}".encode("utf-8", "surrogatepass"))
        return ObjectIdFactory(self._clock, digest.hexdigest())

    def continue_after(self, taken: Iterable[str]) -> None:
        """Count on from the highest of ``taken`` made with this factory's random part, so a
        seeded factory never repeats an id restored from a state file."""
        marker = f"{self._process:010x}"
        counts = [int(i[18:], 16) for i in taken if OBJECT_ID.match(i) and i[8:18] == marker]
        if counts:
            with self._lock:
                self._counter = itertools.count(max(max(counts) + 1, next(self._counter)))


def is_object_id(text: str) -> bool:
    return bool(OBJECT_ID.match(text))
