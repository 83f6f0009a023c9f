"""Mutants that change what Planhat ends up holding (rules P-1 … P-11, checked with E-1 … E-3).

Each feeds the reference a slightly different event, the way a forwarder that "cleans up"
messages does; the campaign checks only the P and E rules, so the state rule that names the
fault has to catch it, not the wire rule W-4.
"""

from __future__ import annotations

from collections.abc import Callable

from conformance.mutants.mutant import Event, Mutant, transformed
from conformance.reference import segment_httpx

__all__ = ["MUTANTS"]

DEFAULT_ACCOUNT = "default-account"


def anonymous_as_user(event: Event) -> None:
    """Uses the anonymousId as userId when there is no userId."""
    if event.get("userId") is None and event.get("anonymousId") is not None:
        event["userId"] = event["anonymousId"]


def context_traits_dropped(event: Event) -> None:
    """Drops context.traits, where tracks and pages carry the user's email."""
    context = event.get("context")
    if isinstance(context, dict):
        context.pop("traits", None)


def track_properties_dropped(event: Event) -> None:
    """Sends track calls without their properties."""
    if event.get("type") == "track":
        event.pop("properties", None)


def email_lower_cased(event: Event) -> None:
    """Lower-cases traits.email."""
    traits = event.get("traits")
    if isinstance(traits, dict) and isinstance(traits.get("email"), str):
        traits["email"] = traits["email"].lower()


def company_id_dropped(event: Event) -> None:
    """Drops traits.companyId."""
    traits = event.get("traits")
    if isinstance(traits, dict):
        traits.pop("companyId", None)


def title_dropped(event: Event) -> None:
    """Drops traits.title."""
    traits = event.get("traits")
    if isinstance(traits, dict):
        traits.pop("title", None)


def group_traits_dropped(event: Event) -> None:
    """Sends group calls without their traits."""
    if event.get("type") == "group":
        event.pop("traits", None)


def default_company(event: Event) -> None:
    """Gives an identify without a company key a default account."""
    traits = event.get("traits")
    if event.get("type") == "identify" and isinstance(traits, dict) and "companyId" not in traits:
        traits["companyId"] = DEFAULT_ACCOUNT


def alias_as_identify(event: Event) -> None:
    """Turns alias into identify, to "merge" the previous id."""
    if event.get("type") == "alias":
        event["type"] = "identify"


def _planhat(
    name: str,
    description: str,
    rules: tuple[str, ...],
    change: Callable[[Event], Event | None],
) -> Mutant:
    return Mutant(
        name,
        description,
        rules,
        "segment_httpx",
        "P",
        handle=transformed(segment_httpx.handle, change),
    )


MUTANTS = (
    _planhat(
        "anonymous-id-as-user-id",
        "the anonymousId is sent as userId, so anonymous visitors become contacts",
        ("P-1", "P-11"),  # P-11: a message Planhat ignored is now applied
        anonymous_as_user,
    ),
    _planhat(
        "email-lower-cased",
        "traits.email is lower-cased: Planhat stores emails as sent",
        ("P-2",),
        email_lower_cased,
    ),
    _planhat(
        "company-id-dropped",
        "traits.companyId is dropped, so contacts are not put in their company",
        ("P-3",),
        company_id_dropped,
    ),
    _planhat(
        "context-traits-dropped",
        "context.traits is dropped, so a track is no longer matched to its contact by email",
        ("P-4",),
        context_traits_dropped,
    ),
    _planhat(
        "title-dropped",
        "traits.title is dropped, so the contact's title is never set",
        ("P-5",),
        title_dropped,
    ),
    _planhat(
        "track-properties-dropped",
        "track calls lose their properties, so the activity's info is empty",
        ("P-6",),
        track_properties_dropped,
    ),
    _planhat(
        "group-traits-dropped",
        "group calls lose their traits: company name, custom fields and metrics",
        ("P-7",),
        group_traits_dropped,
    ),
    _planhat(
        "default-company-assigned",
        "identifies without a company get a default account, so none wait unassigned",
        ("P-8",),
        default_company,
    ),
    _planhat(
        "alias-as-identify",
        "alias is turned into an identify, which Planhat applies",
        ("P-9",),
        alias_as_identify,
    ),
)
