"""The defaults of a campaign, one place for the Python API, the CLI and the pytest form."""

from __future__ import annotations

import os
from typing import Any, Final

from conformance._words import DestinationProfile, EventMix

__all__ = [
    "DATABASE_ENV",
    "DEFAULT_EVENTS",
    "DEFAULT_MAX_EXAMPLES",
    "DEFAULT_PROFILE",
    "DEFAULT_SEED",
    "DEFAULT_TIME_BUDGET",
    "UNSET_DATABASE",
    "default_database",
]

DEFAULT_PROFILE: Final[DestinationProfile] = "segment"
DEFAULT_EVENTS: Final[EventMix] = "realistic"
DEFAULT_SEED: Final = 0
DEFAULT_MAX_EXAMPLES: Final = 300  # random event sequences per exploration round
DEFAULT_TIME_BUDGET: Final = 300.0  # seconds after which no new exploration starts
# Hypothesis's example database (a directory, redis://…, or github:owner/repo), so failures
# found on one machine replay first on every later run; unset: none, runs repeat per seed.
DATABASE_ENV: Final = "PLANHAT_CONFORMANCE_DATABASE"


class _Unset:
    """The default of ``database``: "whatever ``$PLANHAT_CONFORMANCE_DATABASE`` says"."""

    def __repr__(self) -> str:
        return f"${DATABASE_ENV}"


UNSET_DATABASE: Final[Any] = _Unset()


def default_database() -> str | None:
    """The example database named by ``$PLANHAT_CONFORMANCE_DATABASE``, if any."""
    return os.environ.get(DATABASE_ENV) or None
