"""Mutants of rule T-4 seen in destinations written elsewhere (issue 13): ``integrations``
options read wrongly. (Success statuses and timeouts: ``only-200-is-ok`` and
``short-timeout-reported-ok`` in :mod:`~conformance.mutants.observed`.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.mutants.mutant import Mutant
from conformance.reference.segment_requests import SegmentForwarder

__all__ = ["MUTANTS"]


class OptionsObjectIsFalse(SegmentForwarder):
    """Reads ``integrations.Planhat`` by truthiness: an empty options object ``{}`` counts as
    false, so ``{"Planhat": {}}`` or ``{"All": false, "Planhat": {}}`` skip the event."""

    def enabled(self, integrations: Any) -> bool:
        if not isinstance(integrations, Mapping):
            return True
        if "Planhat" in integrations:
            return bool(integrations["Planhat"])
        return integrations.get("All") is not False


class AllFallbackIgnored(SegmentForwarder):
    """Reads only the ``Planhat`` entry: ``{"All": false}`` does not stop the event."""

    def enabled(self, integrations: Any) -> bool:
        if not isinstance(integrations, Mapping):
            return True
        return integrations.get("Planhat") is not False


MUTANTS = (
    Mutant(
        "options-object-disables",
        'integrations read by truthiness: an empty options object {"Planhat": {}} disables',
        ("T-4",),
        "segment_requests",
        "T",
        handle=OptionsObjectIsFalse().handle,
    ),
    Mutant(
        "all-fallback-ignored",
        'only the Planhat entry is read: {"All": false} does not stop the event',
        ("T-4",),
        "segment_requests",
        "T",
        handle=AllFallbackIgnored().handle,
    ),
)
