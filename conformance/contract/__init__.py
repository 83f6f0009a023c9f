"""The Segment -> Planhat contract as the kit knows it: one :class:`Rule` object per rule id.

Each family's module declares its rules (text, destination profiles, dependencies, the
scenarios that exercise them, the state view) and registers each rule's check right below its
declaration, so everything the kit knows about a rule sits in one place:

- ``_settings`` (S), ``_outcomes`` (O), ``_types`` (T), ``_wire`` (W), ``_activities`` (A),
  ``_planhat`` (P), ``_equivalence`` (E).

Adding a rule: declare it in its family's module with its check, add it to that module's
``RULES``, and give it a test named after its id.
"""

from __future__ import annotations

from conformance.checks import CHECKS
from conformance.contract import (
    _activities,
    _equivalence,
    _outcomes,
    _planhat,
    _settings,
    _types,
    _wire,
)
from conformance.contract._rule import FAMILIES, Rule, RuleBook

__all__ = ["FAMILIES", "RULES", "Rule", "RuleBook"]

RULES = RuleBook(
    (
        *_settings.RULES,
        *_outcomes.RULES,
        *_types.RULES,
        *_wire.RULES,
        *_activities.RULES,
        *_planhat.RULES,
        *_equivalence.RULES,
    )
)

_unchecked = [r.id for r in RULES if r.id not in CHECKS]
if _unchecked:  # every rule can fail: a rule without a check is a bug of the kit
    raise RuntimeError(f"rules without a check: {', '.join(_unchecked)}")
