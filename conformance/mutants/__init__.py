"""Broken variants of the reference destinations: the kit must catch every one.

Each :class:`Mutant` plants one named fault in a reference of :mod:`conformance.reference` and
names the rule ids that must catch it. The catalogue covers every rule family:

- :mod:`~conformance.mutants.settings` (S), :mod:`~conformance.mutants.outcomes` (O),
  :mod:`~conformance.mutants.observed` (O, what a destination observes: every 2xx, O-5, timeouts),
  :mod:`~conformance.mutants.event_types` (T), :mod:`~conformance.mutants.wire` (W),
  :mod:`~conformance.mutants.activities` (A), :mod:`~conformance.mutants.planhat` (P, with E);
- :mod:`~conformance.mutants.value_space` (W-4) and :mod:`~conformance.mutants.answers`
  (O, T): realistic bugs from destinations written elsewhere, caught by the default run;
- Node.js mutants are small files in ``node/`` that import ``segment_node.mjs`` and replace one
  method of its ``destination``.

``planhat-conformance selftest`` (:mod:`conformance.selftest`) runs them all.
"""

from __future__ import annotations

from conformance.mutants import (
    activities,
    answers,
    event_types,
    observed,
    outcomes,
    planhat,
    settings,
    value_space,
    wire,
)
from conformance.mutants.mutant import Mutant

__all__ = ["MUTANTS", "Mutant", "mutant"]

MUTANTS: tuple[Mutant, ...] = (
    *settings.MUTANTS,
    *outcomes.MUTANTS,
    *observed.MUTANTS,
    *event_types.MUTANTS,
    *wire.MUTANTS,
    *activities.MUTANTS,
    *planhat.MUTANTS,
    *value_space.MUTANTS,  # issue 13: bugs only Segment's wider value space shows
    *answers.MUTANTS,  # issue 13: success statuses, timeouts, integrations options
)

_BY_NAME = {m.name: m for m in MUTANTS}
if len(_BY_NAME) != len(MUTANTS):
    raise RuntimeError("two mutants share a name")


def mutant(name: str) -> Mutant:
    """A mutant by name; KeyError lists the known names."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no mutant {name!r}; known: {', '.join(_BY_NAME)}") from None
