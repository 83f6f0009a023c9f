"""How long the bench measures: the full run (``make bench``) or the smoke run (CI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

__all__ = ["Settings"]


@dataclass(frozen=True)
class Settings:
    """``smoke``: every measurement runs, but only a few times and on small stores: it checks
    the bench still works, its figures mean nothing."""

    smoke: bool

    def pick(self, full: T, smoke: T) -> T:
        return smoke if self.smoke else full
