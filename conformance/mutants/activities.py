"""Mutants of rules A-1 … A-7: translating forwarders that post the wrong activity."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from conformance.mutants.mutant import Mutant
from conformance.reference.activities_bulk import (
    ANALYTICS_ORIGIN,
    Activity,
    ActivityForwarder,
)

__all__ = ["MUTANTS"]

RESERVED_PROPERTIES = ("revenue", "currency", "value")  # Segment's reserved track properties


class RegionalTrackingHost(ActivityForwarder):
    """Posts to the subdomain's host (``api-eu.planhat.com``) instead of the tracking host."""

    def url(self, settings: Mapping[str, Any]) -> str:
        subdomain = settings.get("subdomain") or "api"
        return super().url(settings).replace(ANALYTICS_ORIGIN, f"https://{subdomain}.planhat.com")


class ActionLowerCased(ActivityForwarder):
    """Lower-cases the action ("Signed Up" becomes "signed up")."""

    def action(self, event: Mapping[str, Any]) -> str:
        return super().action(event).lower()


class ActionLettersOnly(ActivityForwarder):
    """Keeps only the letters of the action ("Signed Up" becomes "SignedUp")."""

    def action(self, event: Mapping[str, Any]) -> str:
        return re.sub(r"[^A-Za-z]", "", super().action(event))


class PageCategoryAsAction(ActivityForwarder):
    """Names a page's activity after its category, losing the page name (rule A-2 leaves page
    naming open, but the action must contain the page name when there is one)."""

    def action(self, event: Mapping[str, Any]) -> str:
        name, category = event.get("name"), event.get("category")
        if event.get("type") == "page" and isinstance(name, str) and name:
            return f"Viewed {category} page" if isinstance(category, str) else "Viewed a page"
        return super().action(event)


class CustomPropertiesDropped(ActivityForwarder):
    """Keeps only Segment's reserved properties (revenue, currency, value) in ``info``."""

    def info(self, event: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in super().info(event).items() if k in RESERVED_PROPERTIES}


class DateDropped(ActivityForwarder):
    """Sends no ``date``: Planhat stamps the activity with the time it arrived."""

    def date(self, event: Mapping[str, Any]) -> Any:
        return None


class AnonymousAsExternalId(ActivityForwarder):
    """Falls back to the anonymousId when there is no userId."""

    def external_id(self, event: Mapping[str, Any]) -> Any:
        return super().external_id(event) or event.get("anonymousId")


class CompanyDropped(ActivityForwarder):
    """Sends no ``companyExternalId``."""

    def company(self, event: Mapping[str, Any]) -> str | None:
        return None


class SentWithoutUser(ActivityForwarder):
    """Posts an activity even when neither a user key nor an email names anyone."""

    def activity(self, event: Mapping[str, Any]) -> Activity | None:
        found = super().activity(event)
        return found if found is not None else {"action": self.action(event), "info": {}}


def _activities(name: str, description: str, rule: str, forwarder: ActivityForwarder) -> Mutant:
    return Mutant(
        name,
        description,
        (rule,),
        "activities_bulk",
        "A",
        handle=forwarder.handle,
        profile="activities",
    )


MUTANTS = (
    _activities(
        "tracking-on-regional-host",
        "activities go to {subdomain}.planhat.com instead of analytics.planhat.com",
        "A-1",
        RegionalTrackingHost(),
    ),
    _activities(
        "event-names-lower-cased",
        'the action is the event name lower-cased ("signed up")',
        "A-2",
        ActionLowerCased(),
    ),
    _activities(
        "event-names-letters-only",
        'the action keeps only the letters of the event name ("SignedUp")',
        "A-2",
        ActionLettersOnly(),
    ),
    _activities(
        "page-name-dropped-from-action",
        "a page's action names its category, not the page: A-2 needs the page name in it",
        "A-2",
        PageCategoryAsAction(),
    ),
    _activities(
        "custom-properties-dropped",
        "info keeps only revenue, currency and value: custom properties are lost",
        "A-3",
        CustomPropertiesDropped(),
    ),
    _activities(
        "event-time-dropped",
        "no date is sent, so the event's time is lost (Planhat uses the arrival time)",
        "A-4",
        DateDropped(),
    ),
    _activities(
        "anonymous-id-as-external-id",
        "the anonymousId is sent as externalId when there is no userId",
        "A-5",
        AnonymousAsExternalId(),
    ),
    _activities(
        "company-dropped",
        "no companyExternalId is sent, though the event names the account",
        "A-6",
        CompanyDropped(),
    ),
    _activities(
        "sent-without-user",
        "an activity naming neither a user nor an email is posted anyway",
        "A-7",
        SentWithoutUser(),
    ),
)
