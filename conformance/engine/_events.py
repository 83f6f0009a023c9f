"""What the engine tells its subscribers while a campaign runs.

Reporters (console, JUnit, JSON, HTML, replay file), the progress display and the self-test
are subscribers: callables that take one event. None of them reaches into the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from conformance.checks import Verdict

if TYPE_CHECKING:
    from conformance.engine._results import CampaignResult, Failure

__all__ = [
    "CampaignFinished",
    "CampaignStarted",
    "EngineEvent",
    "ExampleJudged",
    "Progress",
    "RuleFailed",
    "Subscriber",
]


@dataclass(frozen=True)
class CampaignStarted:
    result: CampaignResult  # filled in as the campaign goes


@dataclass(frozen=True)
class Progress:
    """``stage`` reached ``done`` of ``total`` steps (None: unknown)."""

    stage: str
    done: int
    total: int | None


@dataclass(frozen=True)
class ExampleJudged:
    """One run judged: a delivery scenario, or an explored example (``exploring``)."""

    exploring: bool
    verdicts: Mapping[str, Verdict]


@dataclass(frozen=True)
class RuleFailed:
    failure: Failure


@dataclass(frozen=True)
class CampaignFinished:
    result: CampaignResult


EngineEvent = CampaignStarted | Progress | ExampleJudged | RuleFailed | CampaignFinished
Subscriber = Callable[[EngineEvent], None]
