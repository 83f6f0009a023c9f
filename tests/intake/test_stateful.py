"""E-1 / E-2, stateful: the fake's intake against the independent model of docs/contract.md §4.

A fakeredis-style ``RuleBasedStateMachine``: each rule sends one Segment message to the fake over
HTTP (Flask test client) and applies it to :class:`tests.intake.model.IntakeModel`, adds a
company as a CRM would (seeding), or performs a person's P-8 action on both; the invariants
compare the two by content, never by ``_id``. The pools are small on purpose, so ids, emails,
email domains and companies collide often.

One machine per combination of the switched settings ``group`` (P-7) and ``page`` (P-6a); the
``unassigned`` (P-8) and ``guess`` (P-5) settings are switched during each run.
"""

from __future__ import annotations

import base64
import difflib
import json
from collections import Counter
from typing import Any

from flask.testing import FlaskClient
from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from fake_planhat import FakePlanhat

from .model import (
    Contact,
    IntakeModel,
    as_key,
    canonical,
    company_view,
    contact_view,
    metric_view,
    snapshot,
)

NOW = "2026-01-15T10:00:00.000Z"
TIMESTAMP = "2025-12-31T23:59:59.123Z"

# 7, 7.0 and "7" are one key (P-1); "007" is another; " " and true are no key at all.
USER_IDS = st.sampled_from(["u1", "u2", 7, "7", 7.0, 1.5, "007", " ", True, "ünï👩‍💻"])
# One mailbox in three spellings (P-2), another one, and a blank that is no email.
# One mailbox in three spellings (P-2), others on the same domain, a domain one company holds
# explicitly, a public mail provider (never guessed from, P-5), and a blank that is no email.
EMAILS = st.sampled_from(
    ["ann@x.io", "ANN@X.io", " Ann@x.IO ", "bob@x.io", "eve@acme.io", "joe@gmail.com", "  "]
)
GROUP_IDS = st.sampled_from(["g1", "g2", 3])
# Company keys on non-group messages: the group ids, "3" (same key as 3) and an unknown one.
COMPANY_KEYS = st.sampled_from(["g1", "g2", 3, "3", "g-unknown"])
SCALARS = st.sampled_from(["pro", "", 0, 42, 2**60, 12.5, True, False, None, "00123"])
UNSTORABLE = st.sampled_from([{"city": "Oslo"}, ["a", "b"], {}, []])


def places(names: list[str]) -> st.SearchStrategy[list[str]]:
    """None, one or two of a rule's places: with two, the rule's order decides."""
    return st.lists(st.sampled_from(names), unique=True, max_size=2)


@st.composite
def identity(draw: st.DrawFn) -> dict[str, Any]:
    """Where the user key (P-1), email (P-2) and company key (P-3) sit, merged into a message."""
    message: dict[str, Any] = {"traits": {}, "context": {"traits": {}}}
    traits, context = message["traits"], message["context"]
    if draw(st.booleans()):
        message["anonymousId"] = draw(st.sampled_from(["anon-1", "u1"]))
    for where in draw(places(["userId", "user_id", "traits.id"])):
        if where == "traits.id":
            traits["id"] = draw(USER_IDS)
        else:
            message[where] = draw(USER_IDS)
    for where in draw(places(["traits", "context"])):
        (traits if where == "traits" else context["traits"])["email"] = draw(EMAILS)
    for where in draw(places(["companyId", "company_id", "company.id", "groupId"])):
        if where == "company.id":
            traits["company"] = {"id": draw(COMPANY_KEYS), "name": "Acme"}
        elif where == "groupId":
            context["groupId"] = draw(COMPANY_KEYS)
        else:
            traits[where] = draw(COMPANY_KEYS)
    return message


USER_TRAITS = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["Ann Lee", "Bob", 5]),
        "firstName": st.sampled_from(["Ann", "Zoë"]),
        "lastName": st.sampled_from(["Lee", "O'Brien"]),
        "title": st.sampled_from(["CEO", "CTO", None]),
        "plan": SCALARS,
        "seats": SCALARS,
        "order_completed_last_30days": st.booleans(),
        "address": UNSTORABLE,
    },
)
GROUP_TRAITS = st.fixed_dictionaries(
    {},
    optional={
        "name": st.sampled_from(["Acme", "Globex", "Ünïcorn ☂", 5, ""]),
        "plan": SCALARS,
        "employees": st.sampled_from([10, 2.5, -3, 0]),
        "active": st.booleans(),
        "address": UNSTORABLE,
    },
)


def with_traits(message: dict[str, Any], traits: dict[str, Any]) -> dict[str, Any]:
    message["traits"] = {**traits, **message["traits"]}
    return message


# Companies a CRM may add: (externalId as seeded, the same key as the model holds it, domains).
CRM_COMPANIES = [("g1", "g1", ["acme.io"]), ("g2", "g2", []), (3, "3", ["x.io"])]


class IntakeMachine(RuleBasedStateMachine):
    GROUP = "metrics"
    PAGE = "activity"

    def __init__(self) -> None:
        super().__init__()
        self.fake = FakePlanhat(seed=0, group=self.GROUP, page=self.PAGE)
        self.fake.clock.freeze(NOW)
        self.client: FlaskClient = self.fake.app.test_client()
        token = base64.b64encode(f"{self.fake.tenant_token}:".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}"}
        self.model = IntakeModel(NOW)
        self.model.group, self.model.page = self.GROUP, self.PAGE

    def send(self, message: dict[str, Any]) -> None:
        answer = self.client.post("/dock/segment", json=message, headers=self.headers)
        assert answer.status_code == 200, answer.get_json()
        expected = self.model.apply(json.loads(json.dumps(message)))  # what the wire carried
        assert answer.get_json() == {"ok": True, "result": expected}, message  # P-11

    # --- messages ------------------------------------------------------------------------

    @initialize(name=st.sampled_from(["Acme", "Ünïcorn ☂"]))
    def a_first_company(self, name: str) -> None:
        """Company g1 exists from the start (from a CRM: seeded), so P-6 creation and P-5 /
        P-8 assignment happen often."""
        self.crm_company(0, name)

    @rule(which=st.integers(0, len(CRM_COMPANIES) - 1), name=st.sampled_from(["Globex", "C"]))
    def crm_company(self, which: int, name: str) -> None:
        """A company arrives from a CRM (a seed), as companies do in real Planhat."""
        key, model_key, domains = CRM_COMPANIES[which]
        if self.model.company(model_key) is not None:
            return
        company = {"name": name, "externalId": key, "domains": domains}
        self.fake.seed({"tenants": {self.fake.tenant_token: {"companies": [company]}}})
        self.model.add_company(model_key, name, domains)

    @rule(
        who=identity(),
        traits=USER_TRAITS,
        policy=st.sampled_from([None, None, None, None, "keep", "discard"]),
        guess=st.sampled_from([None, None, None, None, "domain", "off"]),
    )
    def identify(
        self, who: dict[str, Any], traits: dict[str, Any], policy: str | None, guess: str | None
    ) -> None:
        """``policy``: a person first sets the tenant's P-8 ``unassigned`` setting (the only
        message it changes is an identify, so it rides along here rather than in a rule of its
        own, which Hypothesis would pick far too often)."""
        if policy is not None:
            self.fake.settings(unassigned=policy)
            self.model.discard_unassigned = policy == "discard"
        if guess is not None:  # and the P-5 email-domain guess, the same way
            self.fake.settings(guess=guess)
            self.model.guess = guess
        self.send(with_traits({"type": "identify", **who}, traits))

    @rule(
        who=identity(),
        event=st.sampled_from(["Signed Up", "Order Completed", "", None]),
        properties=st.sampled_from([None, {}, {"plan": "pro", "n": 1, "tags": ["a"]}]),
        timestamp=st.sampled_from([None, TIMESTAMP]),
        name=st.sampled_from([None, "Ann Lee"]),
    )
    def track(
        self,
        who: dict[str, Any],
        event: str | None,
        properties: dict[str, Any] | None,
        timestamp: str | None,
        name: str | None,
    ) -> None:
        message: dict[str, Any] = {"type": "track", **who}
        for member, value in (("event", event), ("properties", properties)):
            if value is not None:
                message[member] = value
        if timestamp is not None:
            message["timestamp"] = timestamp
        if name is not None:
            message["context"]["traits"]["name"] = name
        self.send(message)

    @rule(
        who=identity(),
        name=st.sampled_from([None, "", "Pricing"]),
        category=st.sampled_from([None, "Docs"]),
        timestamp=st.sampled_from([None, TIMESTAMP]),
    )
    def page(
        self, who: dict[str, Any], name: str | None, category: str | None, timestamp: str | None
    ) -> None:
        message: dict[str, Any] = {"type": "page", **who, "properties": {"path": "/p"}}
        for member, value in (("name", name), ("category", category), ("timestamp", timestamp)):
            if value is not None:
                message[member] = value
        self.send(message)

    @rule(
        who=identity(),
        group_id=st.one_of(GROUP_IDS, GROUP_IDS, st.sampled_from([None, "", True])),
        traits=GROUP_TRAITS,
        timestamp=st.sampled_from([None, TIMESTAMP]),
    )
    def group(
        self,
        who: dict[str, Any],
        group_id: Any,
        traits: dict[str, Any],
        timestamp: str | None,
    ) -> None:
        message = with_traits({"type": "group", **who}, traits)
        if group_id is not None:
            message["groupId"] = group_id
        if timestamp is not None:
            message["timestamp"] = timestamp
        self.send(message)

    @rule(
        kind=st.sampled_from(["alias", "screen", "delete", "Identify"]),
        who=identity(),
        traits=USER_TRAITS,
        properties=st.sampled_from([None, {"path": "/home"}]),
    )
    def other_type(
        self, kind: str, who: dict[str, Any], traits: dict[str, Any], properties: Any
    ) -> None:
        """P-9: alias, screen and the rest change nothing, whatever they carry."""
        message = with_traits({"type": kind, "previousId": "u1", "name": "Home", **who}, traits)
        if properties is not None:
            message["properties"] = properties
        self.send(message)

    # --- a person's actions (P-8) ----------------------------------------------------------

    def fake_contact_id(self, contact: Contact) -> str:
        """The fake's unassigned contact with the same content as the model's."""
        wanted = canonical(self.model.contact_view(contact))
        views = fake_contact_views(self.fake)
        for doc in self.fake.unassigned():
            if canonical(views[doc["_id"]]) == wanted:
                return str(doc["_id"])
        raise AssertionError(f"the fake has no unassigned contact like {wanted}")

    # Two arguments, fewer than any message rule: Hypothesis tries rules with fewer arguments
    # first, so a waiting contact is assigned or discarded often, though not at once.
    @precondition(lambda self: self.model.unassigned())
    @rule(action=st.sampled_from(["assign", "discard"]), pick=st.integers(0, 99))
    def person(self, action: str, pick: int) -> None:
        """P-8: a person assigns a waiting contact to a company, or discards it."""
        waiting = self.model.unassigned()
        contact = waiting[pick % len(waiting)]
        if action == "assign":
            company = self.model.companies[pick // 10 % len(self.model.companies)]
            self.fake.assign(self.fake_contact_id(contact), f"extid-{company.external_id}")
            self.model.assign(contact, company)
        else:
            self.fake.discard(self.fake_contact_id(contact))
            self.model.discard(contact)
        event(f"person: {action}")

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def same_state_as_the_model(self) -> None:
        """E-1: contacts, companies, activities and metrics equal the model's, by content."""
        fake_text, model_text = (
            canonical(fake_snapshot(self.fake)),
            canonical(self.model.snapshot()),
        )
        diff = "\n".join(
            difflib.unified_diff(
                model_text.splitlines(), fake_text.splitlines(), "model", "fake", lineterm=""
            )
        )
        assert fake_text == model_text, f"the fake differs from the model:\n{diff}"
        # Activities of removed contacts must be gone too, not merely unreachable.
        assert len(self.fake.activities()) == sum(len(c.activities) for c in self.model.contacts)

    @invariant()
    def no_duplicate_contacts(self) -> None:
        """E-2: one contact per user key per company."""
        pairs = Counter(
            (c.get("externalId"), c.get("companyId"))
            for c in [*self.fake.endusers(), *self.fake.unassigned()]
            if c.get("externalId") is not None
        )
        assert [pair for pair, n in pairs.items() if n > 1] == []


def fake_contact_views(fake: FakePlanhat) -> dict[str, dict[str, Any]]:
    """Each fake contact (enduser or unassigned) reduced to the model's view, by ``_id``."""
    company_keys = {c["_id"]: as_key(c.get("externalId")) for c in fake.companies()}
    activities: dict[str, list[dict[str, Any]]] = {}
    for activity in fake.activities():
        activities.setdefault(activity["contactId"], []).append(activity)
    unassigned = {c["_id"] for c in fake.unassigned()}
    return {
        c["_id"]: contact_view(
            c,
            c.get("custom", {}),
            company_keys.get(c.get("companyId")),
            c["_id"] in unassigned,
            activities.get(c["_id"], []),
        )
        for c in [*fake.endusers(), *fake.unassigned()]
    }


def fake_snapshot(fake: FakePlanhat) -> dict[str, list[dict[str, Any]]]:
    """The fake reduced to the model's views (metrics dated by their R-8 ``time``)."""
    company_keys = {c["_id"]: as_key(c.get("externalId")) for c in fake.companies()}
    return snapshot(
        list(fake_contact_views(fake).values()),
        [
            company_view(as_key(c.get("externalId")), c.get("name"), c.get("custom", {}))
            for c in fake.companies()
        ],
        [
            metric_view(
                company_keys.get(m.get("companyId")),
                m.get("dimensionId"),
                m.get("value"),
                m.get("model"),
                m.get("time"),
            )
            for m in fake.metrics()
        ],
    )


def machine_for(group: str, page: str) -> Any:
    """The machine's test case with the tenant settings ``group`` and ``page`` (P-7, P-6a).

    Four machines share what one machine used to run: each takes half the profile's examples,
    so together they run twice as many, every combination of the switches included.
    """
    machine = type(
        f"IntakeMachine_{group}_{page}", (IntakeMachine,), {"GROUP": group, "PAGE": page}
    )
    case = machine.TestCase
    case.settings = settings(
        stateful_step_count=30, max_examples=max(10, settings.default.max_examples // 2)
    )
    return case


# Every combination of the switches (unassigned is switched during each run).
TestIntakeGroupMetricsPageActivity = machine_for("metrics", "activity")
TestIntakeGroupMetricsPageIgnore = machine_for("metrics", "ignore")
TestIntakeGroupUpsertPageActivity = machine_for("upsert", "activity")
TestIntakeGroupUpsertPageIgnore = machine_for("upsert", "ignore")
