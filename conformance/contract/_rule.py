"""What a contract rule is, and the ordered collection of all of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, overload

from conformance._words import DESTINATION_PROFILES, DestinationProfile

__all__ = ["FAMILIES", "Rule", "RuleBook", "StateView"]

FAMILIES: Final[dict[str, str]] = {
    "S": "settings",
    "O": "outcomes",
    "T": "event types",
    "W": "wire, profile segment",
    "A": "wire, profile activities",
    "P": "Planhat on receipt",
    "E": "outcome equivalence",
}

# A rule's state view: the part of a normalized Planhat state the rule speaks about (P and E
# rules), for one destination profile; None when the rule says nothing for that profile.
StateView = Callable[[Mapping[str, Any], DestinationProfile], Any]


@dataclass(frozen=True)
class Rule:
    """One contract rule and everything the kit knows about it but its check.

    ``profiles``: the destination profiles it is checked under. ``depends_on``: rules whose
    failure makes this one fail as a consequence (a destination that ignores ``integrations``
    fails T-4 first, then the Planhat rules downstream). ``scenarios``: tags of the fixed
    delivery scenarios that exercise it. ``state_view``: the part of Planhat's state it compares
    (P and E rules), None for rules judged on the wire.
    """

    id: str
    title: str
    text: str
    profiles: frozenset[DestinationProfile] = frozenset(DESTINATION_PROFILES)
    depends_on: tuple[str, ...] = ()
    scenarios: frozenset[str] = frozenset()
    state_view: StateView | None = field(default=None, compare=False)
    state_words: str = ""  # what the view holds, for failure messages

    @property
    def family(self) -> str:
        return self.id.split("-", 1)[0]

    def __str__(self) -> str:
        return f"{self.id} ({self.title})"


class RuleBook:
    """The rules in contract order. Iterating gives :class:`Rule` objects; ``book["W-4"]`` and
    ``"W-4" in book`` look a rule up by id (case-insensitive)."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._rules = tuple(rules)
        self._by_id = {r.id: r for r in self._rules}
        self._closures: dict[tuple[tuple[str, ...], str], list[str]] = {}
        if len(self._by_id) != len(self._rules):
            raise ValueError("two rules share an id")
        for r in self._rules:
            unknown = [d for d in r.depends_on if d not in self._by_id]
            if unknown or r.family not in FAMILIES:
                raise ValueError(f"rule {r.id}: unknown family or dependencies {unknown}")

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, Rule):
            return item.id in self._by_id
        return isinstance(item, str) and item.strip().upper() in self._by_id

    @overload
    def __getitem__(self, key: int) -> Rule: ...
    @overload
    def __getitem__(self, key: str) -> Rule: ...
    def __getitem__(self, key: int | str) -> Rule:
        if isinstance(key, int):
            return self._rules[key]
        return self.get(key)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self._rules)

    def get(self, rule_id: str) -> Rule:
        """The rule with this id (``"w-4"`` works too); KeyError names the known ids."""
        found = self._by_id.get(rule_id.strip().upper())
        if found is None:
            raise KeyError(
                f"unknown contract rule id {rule_id!r}; known ids: {', '.join(self.ids)}"
            )
        return found

    def for_profile(self, profile: DestinationProfile) -> tuple[Rule, ...]:
        return tuple(r for r in self._rules if profile in r.profiles)

    def closure(self, rule_ids: Iterable[str], profile: DestinationProfile) -> list[str]:
        """``rule_ids`` plus everything they depend on, transitively, checked under
        ``profile``; in contract order."""
        key = (tuple(rule_ids), profile)
        cached = self._closures.get(key)
        if cached is None:
            cached = self._closures[key] = self._closure(key[0], profile)
        return list(cached)

    def _closure(self, rule_ids: tuple[str, ...], profile: DestinationProfile) -> list[str]:
        wanted: set[str] = set()
        todo = [self.get(r).id for r in rule_ids]
        while todo:
            rule_id = todo.pop()
            if rule_id in wanted:
                continue
            wanted.add(rule_id)
            todo.extend(self._by_id[rule_id].depends_on)
        return [r.id for r in self._rules if r.id in wanted and profile in r.profiles]

    def upstream(self, rule_id: str, profile: DestinationProfile) -> list[str]:
        """The rules ``rule_id`` depends on, transitively, under ``profile`` (itself excluded)."""
        return [r for r in self.closure([rule_id], profile) if r != self.get(rule_id).id]
