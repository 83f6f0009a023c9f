"""JSON values compared as JSON, type-exactly: ``1``, ``1.0`` and ``"1"`` differ, ``true`` is
not ``1`` (rule W-4: nothing re-typed). Key order never matters."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["canonical", "canonical_text", "event_size", "json_equal", "pretty"]


def canonical(value: Any) -> Any:
    """``value`` with mappings' keys as strings and tuples as lists; numbers keep their type."""
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    return value


def canonical_text(value: Any) -> str:
    """One line of JSON, keys sorted: equal texts mean deep-equal JSON values of the same types
    (``json.dumps`` writes ``1.0`` and ``1`` differently)."""
    return json.dumps(canonical(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def json_equal(left: Any, right: Any) -> bool:
    """Deep equality of JSON values with no re-typing allowed (key order free)."""
    return canonical_text(left) == canonical_text(right)


def pretty(value: Any) -> str:
    """Indented JSON with sorted keys: what reports diff line by line."""
    return json.dumps(canonical(value), sort_keys=True, ensure_ascii=False, indent=2)


def event_size(event: Any) -> int:
    """Bytes of an event as compact UTF-8 JSON: how Segment's 32 KB limit is measured (W-6)."""
    text = json.dumps(event, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return len(text.encode("utf-8", "surrogatepass"))
