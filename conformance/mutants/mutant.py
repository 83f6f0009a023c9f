"""What a mutant is: one named fault planted in a reference destination, and the rules that
must catch it."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance._words import DestinationProfile, EventMix
from conformance.contract import RULES
from conformance.targets import CommandTarget, PythonTarget, Target

__all__ = ["DEFAULT_MAX_EXAMPLES", "NODE_DIR", "Event", "Handle", "Mutant", "transformed"]

Event = dict[str, Any]
Handle = Callable[[Event, dict[str, Any]], object]
DEFAULT_MAX_EXAMPLES = 8  # most faults show in the delivery scenarios; exploration adds a few
NODE_DIR = Path(__file__).parent / "node"


@dataclass(frozen=True)
class Mutant:
    """A broken variant of a reference destination.

    ``catches``: the rule ids that name the fault; the self-test requires every one of them to
    fail (a catch-all such as E-1 alone does not count). ``family``: the contract family the
    fault belongs to (S, O, T, W, A or P); see :meth:`checked_rules` for the rules its campaign
    checks. ``time_budget``: seconds of exploration (and shrinking) at most, for a mutant only
    the exploration finds. Exactly one of ``handle`` (a Python callable, run
    in-process) and ``script`` (a Node.js file in :data:`NODE_DIR`, run as a command target).
    """

    name: str
    description: str
    catches: tuple[str, ...]
    reference: str
    family: str
    handle: Handle | None = None
    script: str | None = None
    profile: DestinationProfile = "segment"
    event_profile: EventMix = "realistic"
    max_examples: int = DEFAULT_MAX_EXAMPLES
    rules: tuple[str, ...] | None = None
    time_budget: float | None = None

    def __post_init__(self) -> None:
        if (self.handle is None) == (self.script is None):
            raise ValueError(f"mutant {self.name}: give exactly one of handle and script")
        unknown = [r for r in self.catches if r not in RULES]
        if not self.catches or unknown:
            raise ValueError(f"mutant {self.name}: catches needs known rule ids, not {unknown}")
        missing = [r for r in self.catches if r not in self.checked_rules()]
        if missing:
            raise ValueError(f"mutant {self.name}: its campaign would not check {missing}")

    def checked_rules(self) -> list[str]:
        """The rules its campaign checks, in contract order: ``rules`` when given; else the
        family's rules and E-1 … E-3. Family P checks only the rules in ``catches`` (and E):
        one changed message ripples through most P rules, and every further failure the
        exploration finds costs a shrink."""
        if self.rules is not None:
            return [r.id for r in RULES if r.id in self.rules]
        families = {"E"} if self.family == "P" else {self.family, "E"}
        return [
            r.id
            for r in RULES.for_profile(self.profile)
            if r.family in families or r.id in self.catches
        ]

    def target(self) -> Target:
        """A fresh target running this mutant."""
        label = f"mutant:{self.name}"
        if self.handle is not None:
            return PythonTarget(self.handle, label)
        node = shutil.which("node")
        if node is None:
            raise RuntimeError(f"{label} runs under Node.js 20 or newer, and `node` is not on PATH")
        return CommandTarget([node, str(NODE_DIR / str(self.script))], name=label)


def transformed(handle: Handle, change: Callable[[Event], Event | None]) -> Handle:
    """``handle`` fed a changed copy of each event: the mutation is ``change`` alone.
    ``change`` edits its argument in place or returns a new event."""

    def mutated(event: Event, settings: dict[str, Any]) -> object:
        copied = copy.deepcopy(event)
        changed = change(copied)
        return handle(copied if changed is None else changed, settings)

    mutated.__doc__ = change.__doc__
    return mutated
