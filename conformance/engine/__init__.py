"""The engine: sessions, scenarios, exploration, root causes, and the events it emits."""

from __future__ import annotations

from conformance.engine._campaign import replay_cases, run_campaign, select_rules
from conformance.engine._database import DatabaseSpec, open_database
from conformance.engine._events import (
    CampaignFinished,
    CampaignStarted,
    EngineEvent,
    ExampleJudged,
    Progress,
    RuleFailed,
    Subscriber,
)
from conformance.engine._results import CampaignResult, Case, Failure, RuleResult, RuleStatus
from conformance.engine._scenarios import Scenario, scenarios
from conformance.engine._session import Session, TargetStartError

__all__ = [
    "CampaignFinished",
    "CampaignResult",
    "CampaignStarted",
    "Case",
    "DatabaseSpec",
    "EngineEvent",
    "ExampleJudged",
    "Failure",
    "Progress",
    "RuleFailed",
    "RuleResult",
    "RuleStatus",
    "Scenario",
    "Session",
    "Subscriber",
    "TargetStartError",
    "open_database",
    "replay_cases",
    "run_campaign",
    "scenarios",
    "select_rules",
]
