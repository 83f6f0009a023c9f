"""What every strategy module shares: the event type, the mixes, the size limit, and drawing
helpers that shrink towards their plainest choice.

Shrinking: ``_weighted`` shrinks to its table's first entry and ``_chance`` to False, so every
choice site puts its plainest option first and makes extras (optional fields included) a
``_chance``: a minimal failing example is then a short event with only what matters.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias, TypeVar

from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

EventMix: TypeAlias = Literal["realistic", "hostile"]
Event: TypeAlias = dict[str, Any]
MIXES: tuple[EventMix, ...] = ("realistic", "hostile")

#: Segment's per-event limit, measured by :func:`event_size` (W-6).
MAX_EVENT_BYTES = 32_768

_T = TypeVar("_T")


def event_size(event: Mapping[str, Any]) -> int:
    """Bytes of the event as compact UTF-8 JSON: how the 32 KB limit is measured here."""
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return len(text.encode("utf-8"))


def _check_mix(mix: str) -> None:
    if mix not in MIXES:
        raise ValueError(f"the event mix must be 'realistic' or 'hostile', not {mix!r}")


def _rate(mix: EventMix, realistic: int, hostile: int) -> int:
    """A percentage or weight that depends on the mix. The realistic (default) mix keeps every
    edge case at a low rate, tuned so the default budget (300 sequences) meets each of them
    several times; the hostile mix makes them common."""
    return hostile if mix == "hostile" else realistic


@functools.cache
def _below(bound: int) -> SearchStrategy[int]:
    """``st.integers(0, bound - 1)``, built once: drawing is hot, building strategies is slow."""
    return st.integers(0, bound - 1)


def _weighted(draw: DrawFn, table: Sequence[tuple[_T, int]]) -> _T:
    """One value of ``table`` with probability proportional to its weight; shrinks to the first."""
    live = [(value, weight) for value, weight in table if weight > 0]
    roll = draw(_below(sum(weight for _, weight in live)))
    for value, weight in live:
        if roll < weight:
            return value
        roll -= weight
    raise AssertionError("unreachable: the roll is below the total weight")


def _chance(draw: DrawFn, percent: int) -> bool:
    """True about ``percent`` % of the time; shrinks to False so optional extras disappear."""
    if percent <= 0:
        return False
    if percent >= 100:
        return True
    return draw(_below(100)) >= 100 - percent


def _edge(draw: DrawFn, mix: EventMix, realistic: int, hostile: int) -> bool:
    """An edge case at ``realistic`` % in the default mix and ``hostile`` % in the hostile one."""
    return _chance(draw, _rate(mix, realistic, hostile))


def _pick(draw: DrawFn, options: Sequence[_T]) -> _T:
    """One of ``options``; shrinks to the first."""
    return options[draw(_below(len(options)))]


def _index(draw: DrawFn, items: Sequence[Any]) -> int:
    return draw(_below(len(items)))


def _context(event: Event) -> Event:
    """The event's context object, created when absent (to add traits or groupId)."""
    context = event.get("context")
    if not isinstance(context, dict):
        context = {}
        event["context"] = context
    return context
