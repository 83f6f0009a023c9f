"""Mutants of rule W-4 found only in Segment's wider value space (issue 13): each one is a
bug seen in destinations written elsewhere, and each must be caught by the default run
(the realistic event mix, within the default budget), not only by ``--events hostile``.

Most of these faults pass the fixed delivery scenarios: only the exploration's events carry the
values they mangle. Their campaigns check W-4 alone, so the search stops once the rule the
fault breaks has failed, with a budget of half the default run's 300 sequences.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from conformance.mutants.mutant import Event, Mutant, transformed
from conformance.reference import segment_httpx

__all__ = ["MUTANTS"]

EXAMPLES = 150  # explored sequences at most: half the default run's budget
BUDGET = 15.0  # seconds of exploration and shrinking at most
RULES = ("W-4",)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # keeps \t, \n, \r
_NOT_A_WORD = re.compile(r"[^0-9A-Za-z_]")


def _deep(value: Any, leaf: Callable[[Any], Any], key: Callable[[str], str] | None = None) -> Any:
    """``value`` with ``leaf`` applied to every scalar and ``key`` to every object key."""
    if isinstance(value, dict):
        return {(key(k) if key is not None else k): _deep(v, leaf, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep(v, leaf, key) for v in value]
    return leaf(value)


def _same(value: Any) -> Any:
    return value


def numeric_user_id_stringified(event: Event) -> None:
    """Sends a numeric ``userId`` as a string (``String(userId)``, as analytics-node's
    classic normaliser does): ``123`` becomes ``"123"``."""
    user_id = event.get("userId")
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        event["userId"] = str(user_id)


def strings_nfc_normalised(event: Event) -> Event:
    """NFC-normalises every string ("e" + combining acute becomes "é")."""
    leaf = lambda v: unicodedata.normalize("NFC", v) if isinstance(v, str) else v  # noqa: E731
    return dict(_deep(event, leaf))


def strings_trimmed(event: Event) -> Event:
    """Strips surrounding whitespace from every string value (a form-input habit)."""
    return dict(_deep(event, lambda v: v.strip() if isinstance(v, str) else v))


def control_characters_stripped(event: Event) -> Event:
    """Removes control characters (NUL, U+0001 … U+001F but tab and newlines) from every
    string value, a "sanitise for logging" step."""
    return dict(_deep(event, lambda v: _CONTROL.sub("", v) if isinstance(v, str) else v))


def keys_sanitised(event: Event) -> Event:
    """Rewrites property and trait keys to ``[0-9A-Za-z_]`` (``"utm.source"`` becomes
    ``"utm_source"``, ``"$email"`` becomes ``"_email"``), as warehouse loaders do."""
    changed = dict(event)
    for field in ("traits", "properties"):
        if isinstance(event.get(field), dict):
            changed[field] = _deep(event[field], _same, lambda k: _NOT_A_WORD.sub("_", k))
    return changed


def numbers_as_doubles(event: Event) -> Event:
    """Sends every number as a double, as a JSON library without big integers does: ``1``
    becomes ``1.0`` and ``9007199254740993`` becomes ``9007199254740992.0``."""

    def leaf(value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value) if abs(value) < 2**1023 else value
        return value

    return dict(_deep(event, leaf))


def whole_floats_as_ints(event: Event) -> Event:
    """Sends a float with no fraction as an integer (``1.0`` becomes ``1``, ``-0.0`` becomes
    ``0``), as JavaScript's ``JSON.stringify`` does."""

    def leaf(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value

    return dict(_deep(event, leaf))


def empty_containers_dropped(event: Event) -> Event:
    """Leaves out members whose value is an empty object or list (a "compact" step)."""

    def compact(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: compact(v) for k, v in value.items() if v != {} and v != []}
        if isinstance(value, list):
            return [compact(v) for v in value]
        return value

    return dict(compact(event))


def lists_as_objects(event: Event) -> Event:
    """Sends lists as objects keyed by index (``["a", "b"]`` becomes ``{"0": "a", "1": "b"}``),
    as form-style encoders flatten them."""

    def convert(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return {str(i): convert(v) for i, v in enumerate(value)}
        return value

    return dict(convert(event))


def defaults_added(event: Event) -> None:
    """Fills in fields the event left out: ``context: {}``, ``properties: {}`` on track and
    page, ``traits: {}`` on identify and group (a "normalise the shape" step)."""
    event.setdefault("context", {})
    kind = event.get("type")
    if kind in ("track", "page"):
        event.setdefault("properties", {})
    elif kind in ("identify", "group"):
        event.setdefault("traits", {})


def _mutant(name: str, description: str, change: Callable[[Event], Event | None]) -> Mutant:
    return Mutant(
        name,
        description,
        ("W-4",),
        "segment_httpx",
        "W",
        handle=transformed(segment_httpx.handle, change),
        max_examples=EXAMPLES,
        rules=RULES,
        time_budget=BUDGET,
    )


MUTANTS = (
    _mutant(
        "numeric-user-id-stringified",
        'a numeric userId is sent as a string (123 becomes "123")',
        numeric_user_id_stringified,
    ),
    _mutant(
        "strings-nfc-normalised",
        "every string is NFC-normalised (a decomposed é is recomposed)",
        strings_nfc_normalised,
    ),
    _mutant(
        "strings-trimmed",
        "surrounding whitespace is stripped from every string value",
        strings_trimmed,
    ),
    _mutant(
        "control-characters-stripped",
        "control characters (NUL, U+0001 … U+001F) are removed from string values",
        control_characters_stripped,
    ),
    _mutant(
        "keys-sanitised",
        'trait and property keys are rewritten to [0-9A-Za-z_] ("utm.source" → "utm_source")',
        keys_sanitised,
    ),
    _mutant(
        "numbers-as-doubles",
        "every number is sent as a double (1 → 1.0; integers above 2**53 lose digits)",
        numbers_as_doubles,
    ),
    _mutant(
        "whole-floats-as-ints",
        "floats with no fraction are sent as integers (1.0 → 1, -0.0 → 0), as JSON.stringify",
        whole_floats_as_ints,
    ),
    _mutant(
        "empty-containers-dropped",
        "members whose value is {} or [] are left out",
        empty_containers_dropped,
    ),
    _mutant(
        "lists-as-objects",
        'lists are sent as objects keyed by index (["a"] → {"0": "a"})',
        lists_as_objects,
    ),
    _mutant(
        "defaults-added",
        "absent fields are filled in: context {}, properties {} or traits {}",
        defaults_added,
    ),
)
