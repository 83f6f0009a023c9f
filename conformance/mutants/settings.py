"""Mutants of rule S-1: settings a destination must refuse, yet uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from conformance.mutants.mutant import Mutant
from conformance.reference.segment_requests import SegmentForwarder

__all__ = ["MUTANTS"]


class SettingsNotValidated(SegmentForwarder):
    """Sends with whatever settings it got: no apiKey, an empty one, any subdomain."""

    def configure(self, settings: Mapping[str, Any]) -> tuple[str, str]:
        subdomain = settings.get("subdomain") or "api"
        return f"{self.origin(str(subdomain))}/dock/segment", str(settings.get("apiKey") or "")


class SubdomainCaseFolded(SegmentForwarder):
    """Lower-cases the subdomain before checking it, so ``API`` passes as ``api``."""

    def configure(self, settings: Mapping[str, Any]) -> tuple[str, str]:
        subdomain = settings.get("subdomain")
        if isinstance(subdomain, str):
            settings = {**settings, "subdomain": subdomain.lower()}
        return super().configure(settings)


MUTANTS = (
    Mutant(
        "settings-not-validated",
        "sends every event whatever the settings: no apiKey, an empty one, any subdomain",
        ("S-1",),
        "segment_requests",
        "S",
        handle=SettingsNotValidated().handle,
    ),
    Mutant(
        "subdomain-case-folded",
        "accepts the subdomain 'API' as 'api' instead of rejecting it",
        ("S-1",),
        "segment_requests",
        "S",
        handle=SubdomainCaseFolded().handle,
    ),
)
