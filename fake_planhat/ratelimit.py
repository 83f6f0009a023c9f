"""Planhat's REST rate limits, per tenant, off unless enabled (rule R-9).

Planhat documents "200 calls per minute (soft), 150 requests per second (hard), bursts of 50"
(docs.planhat.com, limits). Two ways to turn limits on:

* the tenant setting ``limits: planhat`` (R-9, off by default: decided) applies
  :data:`PLANHAT_LIMITS` to that tenant: the hard limits only, since a soft limit is one Planhat
  does not enforce;
* ``PUT /_fake/rate-limit`` (:meth:`RateLimiter.enable`) applies limits of your choosing to
  every tenant, for testing a client's 429 handling.

Each is modelled as two checks per tenant, both of which must pass:

* a token bucket holding ``burst`` requests, refilled at ``per_second`` requests a second;
* a sliding window allowing ``per_minute`` requests in any 60 seconds.

Refused requests use up nothing. Time is :func:`time.monotonic` (the fake's virtual clock dates
documents; it does not pace callers). Which routes count is the request hook's business
(:mod:`fake_planhat.api.gate`): the REST routes only.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WINDOW_SECONDS = 60.0


@dataclass(frozen=True)
class RateLimit:
    """The limits: a burst bucket refilled at ``per_second`` and ``per_minute`` per 60 s."""

    per_second: int = 150
    per_minute: int = 200
    burst: int = 50

    def __post_init__(self) -> None:
        for name in ("per_second", "per_minute", "burst"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")

    def to_json(self) -> dict[str, Any]:
        return {"perSecond": self.per_second, "perMinute": self.per_minute, "burst": self.burst}


# 150 requests/s hard with bursts of 50. The soft 200/min is not enforced, so the minute
# window is only what 150/s already implies.
PLANHAT_LIMITS = RateLimit(per_second=150, per_minute=150 * 60, burst=50)


@dataclass(frozen=True)
class Decision:
    """The limiter's answer for one request, with what the headers report."""

    allowed: bool
    limit: int  # X-Rate-Limit-Limit: requests per minute
    remaining: int  # X-Rate-Limit-Remaining: what both checks still allow now
    retry_after: int  # whole seconds until a refused request would pass (0 when allowed)

    def headers(self) -> dict[str, str]:
        headers = {
            "X-Rate-Limit-Limit": str(self.limit),
            "X-Rate-Limit-Remaining": str(self.remaining),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


@dataclass
class _Usage:
    tokens: float
    refilled_at: float
    window: deque[float] = field(default_factory=deque)


class RateLimiter:
    """Per-key (per-tenant) usage under one :class:`RateLimit`; thread-safe."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._limit: RateLimit | None = None
        self._usage: dict[str, _Usage] = {}
        self._lock = threading.Lock()

    @property
    def limit(self) -> RateLimit | None:
        """The limits in force, or None when the limiter is off."""
        return self._limit

    @property
    def enabled(self) -> bool:
        return self._limit is not None

    def enable(self, per_second: int = 150, per_minute: int = 200, burst: int = 50) -> RateLimit:
        """Turn the limiter on (or change its limits); usage so far is forgotten."""
        limit = RateLimit(per_second=per_second, per_minute=per_minute, burst=burst)
        with self._lock:
            self._limit = limit
            self._usage.clear()
        return limit

    def disable(self) -> None:
        with self._lock:
            self._limit = None
            self._usage.clear()

    def reset(self) -> None:
        """Forget usage; keep the limits."""
        with self._lock:
            self._usage.clear()

    def to_json(self) -> dict[str, Any]:
        limit = self._limit
        return {"enabled": limit is not None, **(limit.to_json() if limit else {})}

    def check(self, key: str) -> Decision | None:
        """Count one request for ``key`` if the limits allow it; None when the limiter is off."""
        with self._lock:
            limit = self._limit
            if limit is None:
                return None
            now = self._now()
            usage = self._usage.get(key)
            if usage is None:
                usage = self._usage[key] = _Usage(tokens=float(limit.burst), refilled_at=now)
            usage.tokens = min(
                float(limit.burst), usage.tokens + (now - usage.refilled_at) * limit.per_second
            )
            usage.refilled_at = now
            while usage.window and usage.window[0] <= now - WINDOW_SECONDS:
                usage.window.popleft()
            bucket_empty = usage.tokens < 1
            window_full = len(usage.window) >= limit.per_minute
            if bucket_empty or window_full:
                wait = 0.0
                if bucket_empty:
                    wait = (1 - usage.tokens) / limit.per_second
                if window_full:
                    wait = max(wait, usage.window[0] + WINDOW_SECONDS - now)
                return Decision(
                    allowed=False,
                    limit=limit.per_minute,
                    remaining=0,
                    retry_after=max(1, math.ceil(wait)),
                )
            usage.tokens -= 1
            usage.window.append(now)
            remaining = min(limit.per_minute - len(usage.window), math.floor(usage.tokens))
            return Decision(
                allowed=True, limit=limit.per_minute, remaining=remaining, retry_after=0
            )
