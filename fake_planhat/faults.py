"""Seeded fault rules: answer any status (2xx included), add latency, or cut the connection, by
path, method and call number.

A rule fires on the matching calls it names (``on_calls``), on a seeded coin toss per matching
call (``probability`` under ``seed``), or on every matching call; ``times`` caps how often. The
same sequence of calls therefore fires on the same call numbers on every run. Flask-free: the
request hook in :mod:`fake_planhat.api.gate` applies what :meth:`Faults.decide` returns.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, Literal, cast

Cut = Literal["before", "after"]
CUTS: tuple[Cut, ...] = ("before", "after")

# The WSGI environ key a transport reads after calling the app: "before" or "after" means
# "break the connection instead of sending this answer".
CUT_ENVIRON_KEY = "fake_planhat.cut_connection"

MAX_LATENCY = 300.0  # seconds; a longer sleep would only tie up a server thread
RETRY_AFTER_STATUSES = frozenset({429, 503})
# Any status but a redirect (which needs a Location to mean anything): 2xx too, so a test (or
# the conformance kit) can check that a destination takes every 2xx as success (rule O-1)
# without the route running.
MIN_STATUS, MAX_STATUS = 200, 599


@dataclass(frozen=True)
class FaultSpec:
    """What a fault does, independent of where and how often it fires: the one fault
    specification the fake's rules, the control plane and the conformance kit share.

    ``on_calls`` None: every matching call; ``(1,)``: the first only.
    """

    status: int | None = None
    retry_after: int | None = None
    latency: float = 0.0
    cut: Cut | None = None
    on_calls: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        _check_rule_args(
            "*", None, self.status, self.retry_after, self.latency, self.cut, None, 0, None
        )
        _call_numbers(self.on_calls)

    @property
    def replaces_answer(self) -> bool:
        """Whether Planhat's own answer is replaced (a status or a cut), not merely slowed."""
        return self.status is not None or self.cut is not None

    def describe(self) -> str:
        parts = []
        if self.status is not None:
            parts.append(f"status {self.status}")
            if self.retry_after is not None:
                parts.append(f"Retry-After {self.retry_after}")
        if self.cut == "before":
            parts.append("connection cut before the request took effect")
        if self.cut == "after":
            parts.append("connection cut after the request took effect (lost response)")
        if self.latency:
            parts.append(f"answer delayed {self.latency:g} s")
        when = "every request" if self.on_calls is None else f"request(s) {list(self.on_calls)}"
        return f"{', '.join(parts)} on {when}"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "retryAfter": self.retry_after,
            "latency": self.latency,
            "cut": self.cut,
            "onCalls": list(self.on_calls) if self.on_calls is not None else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultSpec:
        """The spec of :meth:`to_json`; ValueError names a bad field."""
        calls = data.get("onCalls")
        if calls is not None and not isinstance(calls, list):
            raise ValueError(f"onCalls must be a list of call numbers, got {calls!r}")
        return cls(
            status=data.get("status"),
            retry_after=data.get("retryAfter"),
            latency=float(data.get("latency") or 0.0),
            cut=data.get("cut"),
            on_calls=tuple(calls) if calls is not None else None,
        )


@dataclass
class FaultRule:
    """One fault: where it applies, what it does, when it fires, and what it has seen."""

    path: str  # fnmatch pattern on the request path: "/dock/segment", "/analytics/*", "*"
    method: str | None = None  # None = any method
    status: int | None = None  # answer this error status instead of running the route
    retry_after: int | None = None  # Retry-After seconds (status 429 or 503 only)
    latency: float = 0.0  # seconds to sleep before handling; combines with the others
    cut: Cut | None = None  # break the connection before or after the route runs
    on_calls: frozenset[int] | None = None  # 1-based matching-call numbers to fire on
    probability: float | None = None  # else fire with this probability under ``seed``
    seed: int = 0
    times: int | None = None  # stop after firing this many times
    hits: int = 0  # matching calls seen
    fired: list[int] = field(default_factory=list)  # call numbers it fired on
    number: int = 0  # the rule's number in its Faults (1-based), as the journal cites it
    _rng: random.Random = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @property
    def spec(self) -> FaultSpec:
        """What the rule does, as the shared :class:`FaultSpec`."""
        calls = tuple(sorted(self.on_calls)) if self.on_calls is not None else None
        return FaultSpec(self.status, self.retry_after, self.latency, self.cut, calls)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method.upper()) and fnmatchcase(
            path, self.path
        )

    def exhausted(self) -> bool:
        return self.times is not None and len(self.fired) >= self.times

    def due(self) -> bool:
        """Whether the current (already counted) matching call is one to fire on."""
        if self.probability is not None:
            # drawn on every matching call, so call n always sees the n-th draw
            draw = self._rng.random()
            return draw < self.probability
        if self.on_calls is not None:
            return self.hits in self.on_calls
        return True

    def describe(self) -> str:
        """What the rule does, as the journal's ``fault`` field shows it."""
        effects = []
        if self.latency:
            effects.append(f"latency {self.latency:g} s")
        if self.status is not None:
            effects.append(f"status {self.status}")
        if self.cut is not None:
            effects.append(f"cut {self.cut}")
        return f"{' + '.join(effects)} (rule #{self.number})"

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "path": self.path,
            "method": self.method,
            "status": self.status,
            "retryAfter": self.retry_after,
            "latency": self.latency,
            "cut": self.cut,
            "onCalls": sorted(self.on_calls) if self.on_calls is not None else None,
            "probability": self.probability,
            "seed": self.seed,
            "times": self.times,
            "hits": self.hits,
            "fired": list(self.fired),
        }


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_rule_args(
    path: Any,
    method: Any,
    status: Any,
    retry_after: Any,
    latency: Any,
    cut: Any,
    probability: Any,
    seed: Any,
    times: Any,
) -> None:
    """Raise ValueError naming the first bad argument (the control plane answers 400)."""
    if not isinstance(path, str) or not path:
        raise ValueError("path must be a non-empty fnmatch pattern such as '/dock/segment' or '*'")
    if method is not None and (not isinstance(method, str) or not method.isalpha()):
        raise ValueError(f"method must be an HTTP method such as 'POST' or null, got {method!r}")
    if status is not None and (
        not _is_int(status) or not MIN_STATUS <= status <= MAX_STATUS or 300 <= status < 400
    ):
        raise ValueError(
            f"status must be a whole number from {MIN_STATUS} to 299 or 400 to {MAX_STATUS}, "
            f"got {status!r}"
        )
    if retry_after is not None:
        if not _is_int(retry_after) or retry_after < 0:
            raise ValueError(
                f"retry_after must be a whole number of seconds >= 0, got {retry_after!r}"
            )
        if status not in RETRY_AFTER_STATUSES:
            raise ValueError(
                "retry_after goes with status 429 or 503 (Retry-After is sent with those)"
            )
    if not _is_number(latency) or not 0 <= latency <= MAX_LATENCY or math.isnan(latency):
        raise ValueError(f"latency must be seconds from 0 to {MAX_LATENCY:g}, got {latency!r}")
    if cut is not None and cut not in CUTS:
        raise ValueError(f"cut must be 'before', 'after' or null, got {cut!r}")
    if cut is not None and status is not None:
        raise ValueError("a rule either answers a status or cuts the connection, not both")
    if status is None and cut is None and not latency:
        raise ValueError("a fault needs something to do: a status, a cut or a latency > 0")
    if probability is not None and (not _is_number(probability) or not 0 <= probability <= 1):
        raise ValueError(f"probability must be a number from 0 to 1, got {probability!r}")
    if not _is_int(seed):
        raise ValueError(f"seed must be a whole number, got {seed!r}")
    if times is not None and (not _is_int(times) or times < 1):
        raise ValueError(f"times must be a whole number >= 1 or null, got {times!r}")


def _call_numbers(on_calls: Iterable[int] | None) -> frozenset[int] | None:
    if on_calls is None:
        return None
    if isinstance(on_calls, str | bytes) or not isinstance(on_calls, Iterable):
        raise ValueError(f"on_calls must be a list of call numbers, got {on_calls!r}")
    numbers = list(on_calls)
    if not numbers:
        raise ValueError("on_calls must name at least one call number (or be null)")
    for n in numbers:
        if not _is_int(n) or n < 1:
            raise ValueError(f"on_calls holds call numbers from 1 up, got {n!r}")
    return frozenset(numbers)


class Faults:
    """The fake's fault rules, in the order added; thread-safe."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._next_number = 1
        self._lock = threading.Lock()

    def add(
        self,
        path: str = "*",
        method: str | None = None,
        *,
        status: int | None = None,
        retry_after: int | None = None,
        latency: float = 0.0,
        cut: str | None = None,
        on_calls: Iterable[int] | None = None,
        probability: float | None = None,
        seed: int = 0,
        times: int | None = None,
    ) -> FaultRule:
        """Add a rule; raises ValueError naming what is wrong with the arguments."""
        _check_rule_args(path, method, status, retry_after, latency, cut, probability, seed, times)
        calls = _call_numbers(on_calls)
        if calls is not None and probability is not None:
            raise ValueError("give on_calls or probability, not both")
        with self._lock:
            rule = FaultRule(
                path=path,
                method=method.upper() if method is not None else None,
                status=status,
                retry_after=retry_after,
                latency=float(latency),
                cut=cast(Cut | None, cut),
                on_calls=calls,
                probability=float(probability) if probability is not None else None,
                seed=seed,
                times=times,
                number=self._next_number,
            )
            self._next_number += 1
            self._rules.append(rule)
            return rule

    def add_spec(self, spec: FaultSpec, path: str = "*", method: str | None = None) -> FaultRule:
        """Add a rule doing what ``spec`` says on the matching calls."""
        return self.add(
            path,
            method,
            status=spec.status,
            retry_after=spec.retry_after,
            latency=spec.latency,
            cut=spec.cut,
            on_calls=spec.on_calls,
        )

    def clear(self) -> None:
        """Remove every rule; numbering starts again at 1."""
        with self._lock:
            self._rules.clear()
            self._next_number = 1

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def to_json(self) -> list[dict[str, Any]]:
        """Every rule with its counts, read in one consistent moment."""
        with self._lock:
            return [rule.to_json() for rule in self._rules]

    def decide(self, method: str, path: str) -> FaultRule | None:
        """Count this call for every matching rule and return the first that fires.

        Rules after the one that fires still count the call (and draw their coin) but do not
        fire, so each rule's call numbers do not depend on the rules before it.
        """
        chosen: FaultRule | None = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                rule.hits += 1
                wants = rule.due()
                if chosen is None and wants and not rule.exhausted():
                    rule.fired.append(rule.hits)
                    chosen = rule
        return chosen
