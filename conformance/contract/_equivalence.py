"""E: outcome equivalence (contract section 5), checked on whole states."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from conformance._json import pretty
from conformance.checks import NOT_APPLICABLE, PASS, Run, Verdict, check, fail
from conformance.contract._planhat import UPSTREAM, compare_view
from conformance.contract._rule import Rule
from fake_planhat.semantics import email_key, id_key

PLANHAT = ("P-1", "P-2", "P-3", "P-4", "P-5", "P-6", "P-7", "P-8", "P-9", "P-10", "P-11")
STATE_SCENARIOS = frozenset({"story", "types", "large", "faults"})
_E1_ACTIVITY_FIELDS = ("action", "info", "date", "contactId", "companyId", "externalId", "email")


def _whole_state(state: Mapping[str, Any], profile: str) -> Any:
    if profile == "activities":
        return [
            {n: a[n] for n in _E1_ACTIVITY_FIELDS if n in a} for a in state.get("activities", [])
        ]
    return dict(state)


E1 = Rule(
    "E-1",
    "state equals the oracle",
    "After a run, the fake's contacts, companies and activities equal what rules P-1…P-11 "
    "produce from the delivered events, in order. For profile `segment` this follows from "
    "W-4; for `activities` it is checked on the activities.",
    depends_on=(*UPSTREAM, *PLANHAT),
    scenarios=STATE_SCENARIOS,
    state_view=_whole_state,
    state_words="contacts, companies and activities",
)
E2 = Rule(
    "E-2",
    "no duplicate contacts",
    "No duplicate contacts: one contact per user key per company, whatever the interleaving "
    "of identify, track, page and group, and whatever retries happened.",
    depends_on=(*UPSTREAM, "P-1", "P-4"),
    scenarios=STATE_SCENARIOS,
)
E3 = Rule(
    "E-3",
    "retries never duplicate contacts or companies",
    "A retry after a lost response may duplicate an activity; it never duplicates a contact "
    "or a company.",
    depends_on=(*UPSTREAM, "P-1", "P-4"),
    scenarios=frozenset({"faults"}),
)

_KINDS = ("companies", "contacts", "unassigned", "activities")


@check(E1)
def check_state_equals_oracle(run: Run) -> Verdict:
    """E-1: Planhat's contacts, companies and activities equal what P-1 … P-11 produce from the
    delivered events (profile activities: the activities)."""
    if any(run.other_tenant.get(k) for k in _KINDS):
        return fail(
            "data reached another tenant than the apiKey's",
            expected="(the other tenant stays empty)",
            received=pretty(run.other_tenant),
        )
    if not run.expectation.replay and not any(run.state.get(k) for k in (*_KINDS, "metrics")):
        return NOT_APPLICABLE
    return compare_view(E1, run)


def _contact_keys(state: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    return [
        (p.get("companyId"), key)
        for p in [*state.get("contacts", []), *state.get("unassigned", [])]
        if (key := id_key(p.get("externalId"))) is not None
    ]


@check(E2)
def check_no_duplicate_contacts(run: Run) -> Verdict:
    """E-2: one contact per user key per company."""
    keys = _contact_keys(run.state)
    if not keys:
        return NOT_APPLICABLE
    duplicates = sorted((c or "(unassigned)", k, n) for (c, k), n in Counter(keys).items() if n > 1)
    if duplicates:
        company, key, count = duplicates[0]
        return fail(
            f"{count} contacts with user key {key!r} in company {company}",
            expected="one contact per user key per company",
            received="\n".join(f"{k!r} in {c}: {n} contacts" for c, k, n in duplicates),
        )
    return PASS


@check(E3)
def check_no_duplicates_after_lost_response(run: Run) -> Verdict:
    """E-3: a retry after a lost response never duplicates a contact or a company."""
    if not run.lost_response:
        return NOT_APPLICABLE

    def counts(state: Mapping[str, Any]) -> Counter[str]:
        found: Counter[str] = Counter()
        for person in [*state.get("contacts", []), *state.get("unassigned", [])]:
            key = id_key(person.get("externalId"))
            email = email_key(person.get("email"))
            found[f"contact {key}" if key is not None else f"contact {email}"] += 1
        for company in state.get("companies", []):
            found[f"company {id_key(company.get('externalId'))}"] += 1
        return found

    expected, observed = counts(run.expectation.state), counts(run.state)
    extra = sorted(k for k, n in observed.items() if n > max(expected.get(k, 0), 1))
    if extra:
        return fail(
            "after a lost response and its retry, Planhat holds duplicates",
            expected="\n".join(f"{k}: {expected.get(k, 0)}" for k in extra),
            received="\n".join(f"{k}: {observed[k]}" for k in extra),
        )
    return PASS


RULES = (E1, E2, E3)
