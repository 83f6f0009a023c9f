"""CONTRACT §4, rule by rule: what the fake does with a Segment message (P-1 … P-11, E-2).

Every message goes through HTTP (``POST /dock/segment`` on the Flask test client); state is read
through the ``FakePlanhat`` facade and the request journal.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from fake_planhat import FakePlanhat

FROZEN_AT = "2026-01-15T10:00:00.000Z"  # tests/conftest.py freezes the fake's clock here

Message = dict[str, Any]
Send = Callable[[Message], str]


@pytest.fixture
def send(client: FlaskClient, intake_auth: dict[str, str]) -> Send:
    """Post one Segment message; assert the intake's 200 answer; return its ``result``."""

    def post(message: Message) -> str:
        answer = client.post("/dock/segment", json=message, headers=intake_auth)
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert body["ok"] is True
        assert body["result"] in ("applied", "ignored", "dropped")
        return str(body["result"])

    return post


def contacts(fake: FakePlanhat) -> list[dict[str, Any]]:
    """Every contact, endusers and unassigned ones alike."""
    return [*fake.endusers(), *fake.unassigned()]


def only_contact(fake: FakePlanhat) -> dict[str, Any]:
    found = contacts(fake)
    assert len(found) == 1, found
    return found[0]


def company_id(fake: FakePlanhat, external_id: str) -> str:
    return str(next(c["_id"] for c in fake.companies() if c["externalId"] == external_id))


def last_outcome(fake: FakePlanhat) -> dict[str, Any]:
    outcome = fake.journal.query(route="dock.segment")[-1].outcome
    assert outcome is not None
    return outcome


def identify(user_id: Any = None, **traits: Any) -> Message:
    message: Message = {"type": "identify", "traits": traits}
    if user_id is not None:
        message["userId"] = user_id
    return message


def group(group_id: Any, user_id: Any = None, **traits: Any) -> Message:
    message: Message = {"type": "group", "groupId": group_id, "traits": traits}
    if user_id is not None:
        message["userId"] = user_id
    return message


def track(user_id: Any = None, event: str = "Signed Up", **context: Any) -> Message:
    message: Message = {"type": "track", "event": event, "context": context}
    if user_id is not None:
        message["userId"] = user_id
    return message


def add_company(fake: FakePlanhat, key: Any, name: str | None = None) -> dict[str, Any]:
    """A company as it comes in real Planhat: from a CRM or the REST API, not from Segment
    (with the default ``group: metrics`` a group call creates nothing, P-7)."""
    external_id = str(key) if not isinstance(key, float) else str(int(key))
    return fake.tenant().create_company({"name": name or external_id, "externalId": external_id})


def state_of(fake: FakePlanhat) -> tuple[Any, ...]:
    return (contacts(fake), fake.companies(), fake.activities(), fake.metrics())


# --- P-1 user key ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "external_id"),
    [
        ({"userId": "a", "user_id": "b", "traits": {"id": "c"}}, "a"),
        ({"user_id": "b", "traits": {"id": "c"}}, "b"),
        ({"userId": None, "user_id": "b"}, "b"),
        ({"userId": "  ", "user_id": "b"}, "b"),
        ({"traits": {"id": "c"}}, "c"),
        ({"userId": "", "user_id": "", "traits": {"id": 9}}, "9"),
    ],
    ids=["userId-wins", "user_id", "userId-null", "userId-blank", "traits.id", "numeric-traits.id"],
)
def test_P1_user_key_falls_back_to_user_id(
    fake: FakePlanhat, send: Send, message: Message, external_id: str
) -> None:
    assert send({"type": "identify", **message}) == "applied"
    assert only_contact(fake)["externalId"] == external_id


@pytest.mark.parametrize("anonymous_id", ["anon-1", "u1", 42])
def test_P1_anonymous_id_is_never_a_user_key(
    fake: FakePlanhat, send: Send, anonymous_id: Any
) -> None:
    assert send({"type": "identify", "anonymousId": anonymous_id, "traits": {}}) == "ignored"
    assert contacts(fake) == []
    send({"type": "identify", "anonymousId": anonymous_id, "traits": {"email": "a@x.io"}})
    assert "externalId" not in only_contact(fake)
    # A later event under that anonymousId as a userId is another person.
    send(identify(anonymous_id))
    assert len(contacts(fake)) == 2


@pytest.mark.parametrize(
    ("first", "second"),
    [(123, "123"), ("123", 123), (123.0, "123"), (-5, "-5"), (2**64, str(2**64))],
)
def test_P1_numeric_user_id_is_its_decimal_string(
    fake: FakePlanhat, send: Send, first: Any, second: Any
) -> None:
    send(identify(first, title="CEO"))
    send(identify(second, name="Ann"))
    contact = only_contact(fake)
    assert contact["externalId"] == str(second)
    assert (contact["title"], contact["name"]) == ("CEO", "Ann")


@pytest.mark.parametrize(("first", "second"), [("00123", "123"), ("00123", 123), ("1e3", 1000)])
def test_P1_leading_zeros_stay_distinct(
    fake: FakePlanhat, send: Send, first: Any, second: Any
) -> None:
    send(identify(first))
    send(identify(second))
    assert sorted(c["externalId"] for c in contacts(fake)) == sorted([first, str(second)])


@pytest.mark.parametrize("blank", ["", " ", "\t\n", True, False, {}, [], None])
def test_P1_whitespace_and_non_scalar_ids_are_not_keys(
    fake: FakePlanhat, send: Send, blank: Any
) -> None:
    message = {"type": "identify", "userId": blank, "user_id": blank, "traits": {"id": blank}}
    assert send(message) == "ignored"
    assert contacts(fake) == []
    message["traits"] = {"id": blank, "email": "a@x.io"}
    assert send(message) == "applied"
    assert only_contact(fake).get("externalId") is None


@pytest.mark.parametrize(
    "user_id", ["ユーザー42", "👩‍💻dev", "مستخدم", "e\u0301", " padded ", "tab\there", "\u0000"]
)
def test_P1_unicode_user_ids_are_kept_verbatim(fake: FakePlanhat, send: Send, user_id: str) -> None:
    add_company(fake, "g1")
    send(identify(user_id, companyId="g1"))
    assert send(track(user_id, event="Ünïcode ✓")) == "applied"
    contact = only_contact(fake)
    assert contact["externalId"] == user_id
    assert [a["action"] for a in fake.activities()] == ["Ünïcode ✓"]


def test_P1_composed_and_decomposed_user_ids_are_distinct(fake: FakePlanhat, send: Send) -> None:
    send(identify("\u00e9"))  # é, one code point
    send(identify("e\u0301"))  # e + combining acute: no normalization (W-4 keeps bytes)
    assert len(contacts(fake)) == 2


# --- P-2 email -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "later"),
    [
        ("Ann@X.io", " ann@x.IO "),
        ("ann@x.io", "ANN@X.IO"),
        (" Ann@x.io", "ann@x.io\t"),
        ("ÉLODIE@Exemple.FR", "élodie@exemple.fr"),
    ],
)
def test_P2_email_compared_trimmed_and_case_insensitively(
    fake: FakePlanhat, send: Send, stored: str, later: str
) -> None:
    send(identify(email=stored))
    assert send({"type": "identify", "traits": {"email": later, "title": "CTO"}}) == "applied"
    assert send({**track(), "context": {"traits": {"email": later}}}) == "applied"
    contact = only_contact(fake)
    assert contact["title"] == "CTO"
    assert [a["contactId"] for a in fake.activities()] == [contact["_id"]]
    assert last_outcome(fake)["matchedBy"] == "email"


def test_P2_email_is_stored_as_sent(fake: FakePlanhat, send: Send) -> None:
    send(identify("u1", email=" Ann@X.io "))
    assert only_contact(fake)["email"] == " Ann@X.io "
    send(identify("u1", email="ann@x.io"))  # a new spelling sent later replaces it
    assert only_contact(fake)["email"] == "ann@x.io"


def test_P2_email_falls_back_to_context_traits(fake: FakePlanhat, send: Send) -> None:
    message = {"type": "identify", "context": {"traits": {"email": "ctx@x.io"}}}
    assert send(message) == "applied"
    assert only_contact(fake)["email"] == "ctx@x.io"
    send({**message, "traits": {"title": "CEO"}})
    assert only_contact(fake)["title"] == "CEO"


@pytest.mark.parametrize("traits_email", ["own@x.io", "  ", None, 7])
def test_P2_traits_email_wins_over_context_email(
    fake: FakePlanhat, send: Send, traits_email: Any
) -> None:
    send(identify(email="ctx@x.io"))
    send(identify(email="own@x.io"))
    message = {**track(), "traits": {"email": traits_email}}
    message["context"] = {"traits": {"email": "ctx@x.io"}}
    send(message)
    owner = "own@x.io" if traits_email == "own@x.io" else "ctx@x.io"
    emails = {c["_id"]: c["email"] for c in contacts(fake)}
    assert [emails[a["contactId"]] for a in fake.activities()] == [owner]


# --- P-3 company key -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"traits": {"companyId": "ca", "company_id": "cb", "company": {"id": "cc"}}}, "ca"),
        ({"traits": {"company_id": "cb", "company": {"id": "cc"}}}, "cb"),
        ({"traits": {"company": {"id": "cc", "name": "C"}}}, "cc"),
        ({"traits": {"companyId": "cb"}, "context": {"groupId": "cd"}}, "cb"),
        ({"traits": {"company": {"id": "cc"}}, "context": {"groupId": "cd"}}, "cc"),
        ({"context": {"groupId": "cd"}}, "cd"),
        ({"traits": {"companyId": " ", "company_id": "cb"}}, "cb"),
        ({"traits": {"companyId": None, "company": "Acme"}, "context": {"groupId": "cd"}}, "cd"),
    ],
    ids=[
        "companyId",
        "company_id",
        "company.id",
        "companyId-over-context",
        "company.id-over-context",
        "context.groupId",
        "blank-companyId-skipped",
        "company-as-string-skipped",
    ],
)
@pytest.mark.parametrize("kind", ["identify", "track"])
def test_P3_company_key_order(
    fake: FakePlanhat, send: Send, where: Message, expected: str, kind: str
) -> None:
    for key in ("ca", "cb", "cc", "cd"):
        add_company(fake, key)
    message = {"type": kind, "userId": "u1", "event": "Signed Up", **where}
    assert send(message) == "applied"
    assert only_contact(fake)["companyId"] == company_id(fake, expected)
    # the order is decided: marked so when the message's company keys disagree
    traits, company = where.get("traits", {}), where.get("traits", {}).get("company")
    keys = [
        traits.get("companyId"),
        traits.get("company_id"),
        company.get("id") if isinstance(company, dict) else None,
        where.get("context", {}).get("groupId"),
    ]
    several = len({k for k in keys if isinstance(k, str) and k.strip()}) > 1
    assert ("P-3" in last_outcome(fake)["decided"]) == several


def test_P3_numeric_company_key_matches_its_decimal_string(fake: FakePlanhat, send: Send) -> None:
    add_company(fake, 42)
    assert fake.companies()[0]["externalId"] == "42"
    send(identify("u1", companyId="42"))
    send(track("u2", groupId=42.0))
    assert {c["companyId"] for c in contacts(fake)} == {company_id(fake, "42")}


@pytest.mark.parametrize("setting", ["metrics", "upsert"])
def test_P3_group_uses_group_id_not_traits_company(
    fake: FakePlanhat, send: Send, setting: str
) -> None:
    fake.settings(group=setting)
    for key in ("g-group", "g-group2", "g-trait", "g-trait2", "g-context"):
        add_company(fake, key)
    send(group("g-group", companyId="g-trait", company_id="g-trait2", n=1))
    send({**group("g-group2", n=2), "context": {"groupId": "g-context"}})
    keys = {c["_id"]: c["externalId"] for c in fake.companies()}
    assert sorted(keys[m["companyId"]] for m in fake.metrics()) == ["g-group", "g-group2"]


# --- P-4 matching ----------------------------------------------------------------------------


def two_contacts_sharing_an_email(fake: FakePlanhat, send: Send) -> None:
    """A (older) on g1 and B (newer, updated last) on g2, both with the mailbox e@x.io."""
    add_company(fake, "g1")
    add_company(fake, "g2")
    send(identify("a", email="e@x.io", companyId="g1"))
    send(identify("b", companyId="g2"))
    send(identify("b", email="E@X.io"))  # matched by user key: B now shares A's mailbox


@pytest.mark.parametrize(("company", "owner"), [("g1", "a"), ("g2", "b")])
@pytest.mark.parametrize("kind", ["track", "identify"])
def test_P4_prefers_contact_in_company_of_company_key(
    fake: FakePlanhat, send: Send, company: str, owner: str, kind: str
) -> None:
    two_contacts_sharing_an_email(fake, send)
    message = {
        "type": kind,
        "event": "Clicked",
        "traits": {"email": "e@x.io", "companyId": company, "title": "picked"},
    }
    assert send(message) == "applied"
    assert "P-4" in last_outcome(fake)["decided"]  # the tie-break is ours
    picked = next(c for c in contacts(fake) if c["externalId"] == owner)
    if kind == "track":
        assert [a["contactId"] for a in fake.activities()] == [picked["_id"]]
    else:
        assert [c["externalId"] for c in contacts(fake) if c.get("title") == "picked"] == [owner]
    assert len(contacts(fake)) == 2


@pytest.mark.parametrize(
    "company_key", [None, "g-unknown", "g3"], ids=["none", "unknown", "company-of-neither"]
)
def test_P4_prefers_oldest_when_no_company(
    fake: FakePlanhat, send: Send, company_key: str | None
) -> None:
    two_contacts_sharing_an_email(fake, send)
    add_company(fake, "g3")
    traits: dict[str, Any] = {"email": " e@x.IO", "title": "picked"}
    if company_key is not None:
        traits["companyId"] = company_key
    send({"type": "identify", "traits": traits})
    assert [c["externalId"] for c in contacts(fake) if c.get("title") == "picked"] == ["a"]


def test_P4_prefers_oldest_among_unassigned_contacts(fake: FakePlanhat, send: Send) -> None:
    send(identify("a", email="e@x.io"))
    send(identify("b"))
    send(identify("b", email="e@x.io"))
    send({**track(), "context": {"traits": {"email": "e@x.io"}}})
    oldest = next(c for c in fake.unassigned() if c["externalId"] == "a")
    assert [a["contactId"] for a in fake.activities()] == [oldest["_id"]]


def test_P4_user_key_match_wins_over_email_match(fake: FakePlanhat, send: Send) -> None:
    send(identify("a", email="a@x.io"))
    send(identify("b", email="b@x.io"))
    send(identify("a", email="b@x.io", title="moved"))
    by_key = {c["externalId"]: c for c in contacts(fake)}
    assert (by_key["a"]["email"], by_key["a"]["title"]) == ("b@x.io", "moved")
    assert "title" not in by_key["b"]
    assert last_outcome(fake)["matchedBy"] == "externalId"


def test_P4_no_match_creates_a_contact(fake: FakePlanhat, send: Send) -> None:
    send(identify("a", email="a@x.io"))
    send(identify("b", email="b@x.io"))
    assert sorted(c["externalId"] for c in contacts(fake)) == ["a", "b"]


def test_P4_email_match_keeps_the_contacts_own_user_key(fake: FakePlanhat, send: Send) -> None:
    send(identify("a", email="e@x.io"))
    send(identify("z", email="e@x.io", title="T"))
    contact = only_contact(fake)
    assert (contact["externalId"], contact["title"]) == ("a", "T")


# --- P-5 identify ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        {"type": "identify"},
        {"type": "identify", "anonymousId": "anon", "traits": {"name": "Ann", "email": " "}},
        {"type": "identify", "traits": {"email": 5}, "context": {"traits": {"email": ""}}},
    ],
)
def test_P5_ignored_without_user_key_or_email(
    fake: FakePlanhat, send: Send, message: Message
) -> None:
    assert send(message) == "ignored"
    assert contacts(fake) == []
    assert "P-5" in last_outcome(fake)["reason"]


def test_P5_new_contact_fields(fake: FakePlanhat, send: Send) -> None:
    add_company(fake, "g1")
    send(identify("u1", companyId="g1", email="Ann@x.io", name="Ann Lee", title="CEO"))
    contact = only_contact(fake)
    assert {k: contact[k] for k in ("externalId", "email", "name", "title", "source")} == {
        "externalId": "u1",
        "email": "Ann@x.io",
        "name": "Ann Lee",
        "title": "CEO",
        "source": "Segment",
    }
    assert contact["companyId"] == company_id(fake, "g1")
    assert fake.unassigned() == []


def test_P5_update_touches_only_the_fields_the_event_carries(fake: FakePlanhat, send: Send) -> None:
    send(identify("u1", email="a@x.io", name="Ann", title="CEO", plan="pro", seats=3))
    send(identify("u1", title="CTO", seats=4))
    contact = only_contact(fake)
    assert (contact["email"], contact["name"], contact["title"]) == ("a@x.io", "Ann", "CTO")
    assert contact["custom"] == {"plan": "pro", "seats": 4}


@pytest.mark.parametrize(
    ("traits", "name"),
    [
        ({"name": "Full Name", "firstName": "Ann", "lastName": "Lee"}, "Full Name"),
        ({"firstName": "Ann", "lastName": "Lee"}, "Ann Lee"),
        ({"firstName": "Zoë", "lastName": "O'Brien-Ñúñez"}, "Zoë O'Brien-Ñúñez"),
        ({"firstName": "Ann"}, None),
        ({"lastName": "Lee"}, None),
        ({"name": 5, "firstName": "Ann", "lastName": "Lee"}, "Ann Lee"),
    ],
    ids=["name-wins", "first-last", "unicode", "first-only", "last-only", "non-string-name"],
)
def test_P5_name_from_first_and_last(
    fake: FakePlanhat, send: Send, traits: dict[str, Any], name: str | None
) -> None:
    send(identify("u1", **traits))
    contact = only_contact(fake)
    assert contact.get("name") == name
    for part in ("firstName", "lastName"):
        assert contact.get(part) == traits.get(part)
    assert contact["custom"] == {}  # reserved traits never land in custom


def test_P5_name_update_keeps_previous_name_without_a_new_one(
    fake: FakePlanhat, send: Send
) -> None:
    send(identify("u1", firstName="Ann", lastName="Lee"))
    send(identify("u1", firstName="Anna"))
    contact = only_contact(fake)
    assert (contact["name"], contact["firstName"], contact["lastName"]) == (
        "Ann Lee",
        "Anna",
        "Lee",
    )


@pytest.mark.parametrize(("value", "stored"), [("VP Sales", True), ("", True), (None, False)])
def test_P5_title(fake: FakePlanhat, send: Send, value: Any, stored: bool) -> None:
    send(identify("u1", title="CEO"))
    send(identify("u1", title=value))
    assert only_contact(fake)["title"] == (value if stored else "CEO")


@pytest.mark.parametrize(
    "value",
    ["pro", "", "00123", 0, -7, 2**63, 12.5, 1e21, True, False, None, "true", "日本語 ✓"],
)
def test_P5_custom_scalars_are_stored_unchanged(fake: FakePlanhat, send: Send, value: Any) -> None:
    send(identify("u1", **{"some trait": value, "id": "u1", "companyId": "nowhere"}))
    custom = only_contact(fake)["custom"]
    assert custom == {"some trait": value, "id": "u1", "companyId": "nowhere"}
    assert type(custom["some trait"]) is type(value)


@pytest.mark.parametrize(
    "value", [{"city": "Oslo"}, ["a", "b"], {}, [], [{"nested": True}]], ids=repr
)
def test_P5_objects_and_arrays_are_not_stored(fake: FakePlanhat, send: Send, value: Any) -> None:
    send(identify("u1", address=value, plan="pro"))
    send(identify("u1", plan=value))
    assert only_contact(fake)["custom"] == {"plan": "pro"}


@pytest.mark.parametrize("value", [5, True, None, {"x": 1}])
def test_P5_reserved_traits_apply_only_as_strings(
    fake: FakePlanhat, send: Send, value: Any
) -> None:
    send(identify("u1", title=value, name=value, firstName=value, lastName=value))
    contact = only_contact(fake)
    assert [k for k in ("title", "name", "firstName", "lastName") if k in contact] == []
    assert contact["custom"] == {}


def test_P5_engage_audience_booleans_true_then_false(fake: FakePlanhat, send: Send) -> None:
    engage = {
        "integrations": {"All": False, "Planhat": True},
        "context": {
            "personas": {"computation_class": "audience", "computation_key": "oc30"},
            "library": {"name": "unknown", "version": "unknown"},
        },
        "sentAt": None,
    }
    send({**identify("u1", order_completed_last_30days=True), **engage, "messageId": "personas_1"})
    assert only_contact(fake)["custom"] == {"order_completed_last_30days": True}
    send({**identify("u1", order_completed_last_30days=False), **engage, "messageId": "personas_2"})
    assert only_contact(fake)["custom"]["order_completed_last_30days"] is False


def test_P5_external_id_set_when_the_contact_had_none(fake: FakePlanhat, send: Send) -> None:
    send(identify(email="e@x.io"))
    assert "externalId" not in only_contact(fake)
    send(identify("u9", email="E@x.io"))
    assert only_contact(fake)["externalId"] == "u9"
    send(identify("u10", email="e@x.io"))  # matched by email: the user key it has stays
    assert only_contact(fake)["externalId"] == "u9"


def test_P5_new_contact_without_known_company_is_unassigned(fake: FakePlanhat, send: Send) -> None:
    send(identify("u1", companyId="not-yet"))
    assert fake.endusers() == []
    assert [c["externalId"] for c in fake.unassigned()] == ["u1"]
    assert fake.dump()["unassigned"][0]["_unassigned"]["companyKey"] == "not-yet"


def test_P5_identify_does_not_move_an_assigned_contact(fake: FakePlanhat, send: Send) -> None:
    add_company(fake, "g1")
    add_company(fake, "g2")
    send(identify("u1", companyId="g1"))
    send(identify("u1", companyId="g2"))
    assert only_contact(fake)["companyId"] == company_id(fake, "g1")


@pytest.mark.parametrize(
    "later",
    [
        {"companyId": "g1"},
        {"company_id": "g1"},
        {"company": {"id": "g1"}},
    ],
    ids=["companyId", "company_id", "company.id"],
)
def test_P5_later_identify_with_known_company_assigns_a_waiting_contact(
    fake: FakePlanhat, send: Send, later: dict[str, Any]
) -> None:
    """The common Segment flow: a partial identify first, the full one at the next login."""
    send(identify("u1", email="ann@acme.io"))
    send(track("u1", event="Early"))
    (waiting,) = fake.unassigned()
    add_company(fake, "g1", name="Acme")
    assert send(identify("u1", **later)) == "applied"
    assert fake.unassigned() == []
    (enduser,) = fake.endusers()
    assert (enduser["_id"], enduser["companyId"]) == (waiting["_id"], company_id(fake, "g1"))
    assert enduser["companyName"] == "Acme"
    outcome = last_outcome(fake)
    assert any("assigned waiting contact" in e for e in outcome["effects"])
    assert outcome["decided"] == []  # documented behaviour
    send(track("u1", event="Later"))
    assert {a["companyId"] for a in fake.activities() if a["action"] == "Later"} == {
        company_id(fake, "g1")
    }


def test_P5_later_identify_with_an_unknown_company_keeps_it_waiting(
    fake: FakePlanhat, send: Send
) -> None:
    send(identify("u1"))
    assert send(identify("u1", companyId="not-yet")) == "applied"
    assert [c["externalId"] for c in fake.unassigned()] == ["u1"]


def test_P5_email_domain_guess_assigns_a_new_contact(fake: FakePlanhat, send: Send) -> None:
    acme = add_company(fake, "g1", name="Acme")
    fake.tenant().update_doc(fake.tenant().companies, acme["_id"], {"domains": ["acme.io"]})
    assert send(identify("u1", email="Ann@ACME.io")) == "applied"
    assert only_contact(fake)["companyId"] == acme["_id"]
    outcome = last_outcome(fake)
    assert outcome["decided"] == ["P-5"]  # the 'certain enough' test is ours
    assert any("guessed from the email's domain" in e for e in outcome["effects"])


def test_P5_email_domain_guess_uses_endusers_domains(fake: FakePlanhat, send: Send) -> None:
    add_company(fake, "g1")
    send(identify("boss", email="boss@globex.com", companyId="g1"))
    send(identify("u2", email="new@globex.com"))
    assert {c["externalId"]: c["companyId"] for c in contacts(fake)} == {
        "boss": company_id(fake, "g1"),
        "u2": company_id(fake, "g1"),
    }


def test_P5_email_domain_guess_off_setting_never_guesses(fake: FakePlanhat, send: Send) -> None:
    acme = add_company(fake, "g1", name="Acme")
    fake.tenant().update_doc(fake.tenant().companies, acme["_id"], {"domains": ["acme.io"]})
    fake.settings(guess="off")
    assert send(identify("u1", email="ann@acme.io")) == "applied"
    assert [c["externalId"] for c in fake.unassigned()] == ["u1"]
    fake.settings(guess="domain")
    send(identify("u2", email="bob@acme.io"))
    assert [c["externalId"] for c in fake.endusers()] == ["u2"]


@pytest.mark.parametrize(
    "case", ["public-provider", "two-companies", "no-company", "company-key-given"]
)
def test_P5_email_domain_guess_only_when_certain(fake: FakePlanhat, send: Send, case: str) -> None:
    domain = "gmail.com" if case == "public-provider" else "acme.io"
    if case != "no-company":
        acme = add_company(fake, "g1")
        fake.tenant().update_doc(fake.tenant().companies, acme["_id"], {"domains": [domain]})
    if case == "two-companies":
        other = add_company(fake, "g2")
        fake.tenant().update_doc(fake.tenant().companies, other["_id"], {"domains": [domain]})
    message = identify("u1", email=f"ann@{domain}")
    if case == "company-key-given":
        message["traits"]["companyId"] = "unknown"
    send(message)
    assert [c["externalId"] for c in fake.unassigned()] == ["u1"]


# --- P-6 track and page ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "action"),
    [
        ({"name": "Pricing", "category": "Docs"}, "Viewed Docs Pricing Page"),
        ({"name": "Pricing"}, "Viewed Pricing Page"),
        ({"name": "Pricing", "category": ""}, "Viewed Pricing Page"),
        ({}, "Loaded a Page"),
        ({"category": "Docs"}, "Loaded a Page"),
        ({"name": "", "category": "Docs"}, "Loaded a Page"),
        ({"name": "Ценообразование", "category": "文档"}, "Viewed 文档 Ценообразование Page"),
    ],
    ids=[
        "category-name",
        "name",
        "empty-category",
        "nothing",
        "category-only",
        "empty-name",
        "utf8",
    ],
)
def test_P6_page_naming(fake: FakePlanhat, send: Send, fields: Message, action: str) -> None:
    send(identify("u1"))
    assert send({"type": "page", "userId": "u1", **fields}) == "applied"
    assert [a["action"] for a in fake.activities()] == [action]


@pytest.mark.parametrize(
    "event", ["Order Completed", "order completed", "  spaced  ", "🛒 Добавил"]
)
def test_P6_track_action_is_the_event_verbatim(fake: FakePlanhat, send: Send, event: str) -> None:
    send(identify("u1"))
    send(track("u1", event=event))
    assert [a["action"] for a in fake.activities()] == [event]


@pytest.mark.parametrize(
    ("extra", "info", "date"),
    [
        (
            {"properties": {"revenue": 9.5, "items": [1, 2]}},
            {"revenue": 9.5, "items": [1, 2]},
            FROZEN_AT,
        ),
        ({}, {}, FROZEN_AT),
        ({"timestamp": "2024-02-29T12:00:00+02:00"}, {}, "2024-02-29T12:00:00+02:00"),
        ({"timestamp": "1999-01-01T00:00:00.000000001Z"}, {}, "1999-01-01T00:00:00.000000001Z"),
    ],
    ids=["properties", "no-properties-receive-time", "timestamp-offset", "timestamp-ns"],
)
@pytest.mark.parametrize("kind", ["track", "page"])
def test_P6_activity_info_is_properties_and_date_is_timestamp(
    fake: FakePlanhat, send: Send, extra: Message, info: Any, date: str, kind: str
) -> None:
    send(identify("u1"))
    send({"type": kind, "event": "E", "userId": "u1", **extra})
    (activity,) = fake.activities()
    assert (activity["info"], activity["date"]) == (info, date)


@pytest.mark.parametrize("kind", ["track", "page"])
def test_P6_track_creates_contact_on_known_company(
    fake: FakePlanhat, send: Send, kind: str
) -> None:
    add_company(fake, "g1")
    message = {
        "type": kind,
        "event": "Signed Up",
        "userId": "new",
        "context": {"groupId": "g1", "traits": {"email": "New@x.io", "name": "Nia New"}},
    }
    assert send(message) == "applied"
    contact = only_contact(fake)
    assert {k: contact.get(k) for k in ("externalId", "email", "name", "source", "companyId")} == {
        "externalId": "new",
        "email": "New@x.io",
        "name": "Nia New",
        "source": "Segment",
        "companyId": company_id(fake, "g1"),
    }
    (activity,) = fake.activities()
    assert activity["contactId"] == contact["_id"]
    send({**message, "context": {"groupId": "g1"}})  # the second one matches, no new contact
    assert len(contacts(fake)) == 1
    assert len(fake.activities()) == 2


def test_P6_track_creates_contact_by_email_alone(fake: FakePlanhat, send: Send) -> None:
    add_company(fake, "g1")
    send({**track(), "context": {"groupId": "g1", "traits": {"email": "e@x.io"}}})
    contact = only_contact(fake)
    assert (contact["email"], contact.get("externalId")) == ("e@x.io", None)


@pytest.mark.parametrize(
    "company", [None, {"groupId": "g-unknown"}, {"groupId": "g1 "}], ids=["none", "unknown", "near"]
)
@pytest.mark.parametrize("kind", ["track", "page"])
def test_P6_dropped_without_company(
    fake: FakePlanhat, send: Send, company: Message | None, kind: str
) -> None:
    add_company(fake, "g1")
    message = {"type": kind, "event": "E", "userId": "ghost", "context": company or {}}
    assert send(message) == "dropped"
    assert (contacts(fake), fake.activities()) == ([], [])
    assert "P-6" in last_outcome(fake)["reason"]


@pytest.mark.parametrize("event", [None, "", 5, ["Signed Up"]])
def test_P6_track_without_event_is_ignored(fake: FakePlanhat, send: Send, event: Any) -> None:
    send(identify("u1"))
    message: Message = {"type": "track", "userId": "u1"}
    if event is not None:
        message["event"] = event
    assert send(message) == "ignored"
    assert fake.activities() == []


def test_P6_activity_without_user_key_or_email_is_not_applied(
    fake: FakePlanhat, send: Send
) -> None:
    add_company(fake, "g1")
    result = send({"type": "track", "event": "E", "anonymousId": "a", "context": {"groupId": "g1"}})
    assert result in ("ignored", "dropped")
    assert (contacts(fake), fake.activities()) == ([], [])


# --- P-6a page switch -------------------------------------------------------------------------


def test_P6a_page_becomes_an_activity_by_default_marked_decided(
    fake: FakePlanhat, send: Send
) -> None:
    assert fake.settings()["page"] == "activity"
    add_company(fake, "g1")
    send(identify("u1", companyId="g1"))
    assert send({"type": "page", "userId": "u1", "name": "Pricing"}) == "applied"
    assert [a["action"] for a in fake.activities()] == ["Viewed Pricing Page"]
    assert last_outcome(fake)["decided"] == ["P-6a"]


def test_P6a_page_ignore_setting_records_nothing(fake: FakePlanhat, send: Send) -> None:
    add_company(fake, "g1")
    send(identify("u1", companyId="g1"))
    fake.settings(page="ignore")
    before = state_of(fake)
    page = {"type": "page", "userId": "u1", "name": "Pricing", "context": {"groupId": "g1"}}
    assert send(page) == "ignored"
    assert send({**page, "userId": "stranger"}) == "ignored"  # no contact created either
    assert state_of(fake) == before
    outcome = last_outcome(fake)
    assert "page=ignore" in outcome["reason"]
    assert outcome["decided"] == ["P-6a"]
    assert send(track("u1", event="Still tracked")) == "applied"  # track is untouched


# --- P-7 group -------------------------------------------------------------------------------
# Default ``group: metrics`` (documented): numeric traits become Company metrics, nothing else.
# ``group: upsert`` (decided): the earlier reading, which also creates and updates the company.


@pytest.mark.parametrize(
    ("timestamp", "date"),
    [("2025-06-30T08:00:00.000Z", "2025-06-30T08:00:00.000Z"), (None, FROZEN_AT)],
)
@pytest.mark.parametrize("setting", ["metrics", "upsert"])
def test_P7_group_metrics_with_dimension_id_model_and_date(
    fake: FakePlanhat, send: Send, timestamp: str | None, date: str, setting: str
) -> None:
    fake.settings(group=setting)
    add_company(fake, "g1", name="Acme")
    message = group(
        "g1", name="Acme", employees=120, mrr=99.5, debt=-3, big=2**60, active=True, plan="pro"
    )
    if timestamp is not None:
        message["timestamp"] = timestamp
    assert send(message) == "applied"
    company = company_id(fake, "g1")
    points = [
        (m["dimensionId"], m["value"], m["model"], m["time"], m["companyId"], m["parentId"])
        for m in fake.metrics()
    ]
    assert sorted(points) == sorted(
        (dimension, value, "Company", date, company, company)
        for dimension, value in (("employees", 120), ("mrr", 99.5), ("debt", -3), ("big", 2**60))
    )
    send(group("g1", employees=121))  # each group adds a data point; it never overwrites
    assert [m["value"] for m in fake.metrics() if m["dimensionId"] == "employees"] == [120, 121]


def test_P7_group_metrics_default_does_not_update_company_fields(
    fake: FakePlanhat, send: Send
) -> None:
    """Planhat: "the usage data … does not update object's fields"."""
    assert fake.settings()["group"] == "metrics"
    add_company(fake, "g1", name="Acme")
    before = fake.companies()
    assert send(group("g1", name="Renamed", plan="pro", seats=5)) == "applied"
    assert fake.companies() == before
    assert [m["dimensionId"] for m in fake.metrics()] == ["seats"]
    assert last_outcome(fake)["decided"] == []


@pytest.mark.parametrize(
    "who",
    [{"userId": "u1"}, {"traits": {"email": "ann@x.io"}}],
    ids=["userId", "email"],
)
def test_P7_group_metrics_default_assigns_no_contact(
    fake: FakePlanhat, send: Send, who: Message
) -> None:
    send(identify("u1", email="ann@x.io"))
    add_company(fake, "g1")
    message = {"type": "group", "groupId": "g1", **who}
    message["traits"] = {"seats": 1, **message.get("traits", {})}
    send(message)
    assert [c["externalId"] for c in fake.unassigned()] == ["u1"]


def test_P7_group_metrics_default_unknown_company_is_ignored(fake: FakePlanhat, send: Send) -> None:
    assert send(group("nobody", "u1", name="Acme", seats=3)) == "ignored"
    assert (fake.companies(), fake.metrics(), contacts(fake)) == ([], [], [])
    outcome = last_outcome(fake)
    assert "unknown company" in outcome["reason"]
    assert "P-7" in outcome["reason"]


def test_P7_group_metrics_default_without_numeric_traits_is_ignored(
    fake: FakePlanhat, send: Send
) -> None:
    add_company(fake, "g1")
    assert send(group("g1", name="Acme", active=True)) == "ignored"
    assert fake.metrics() == []
    assert "numeric" in last_outcome(fake)["reason"]


@pytest.mark.parametrize(
    ("group_id", "traits", "external_id", "name"),
    [
        ("g1", {"name": "Acme"}, "g1", "Acme"),
        ("g1", {}, "g1", "g1"),
        (42, {}, "42", "42"),
        ("g1", {"name": "Ünïcorn ☂ شركة"}, "g1", "Ünïcorn ☂ شركة"),
    ],
)
def test_P7_upsert_group_creates_company(
    fake: FakePlanhat,
    send: Send,
    group_id: Any,
    traits: dict[str, Any],
    external_id: str,
    name: str,
) -> None:
    fake.settings(group="upsert")
    assert send(group(group_id, **traits)) == "applied"
    (company,) = fake.companies()
    assert (company["externalId"], company["name"]) == (external_id, name)
    assert last_outcome(fake)["decided"] == ["P-7"]


def test_P7_upsert_group_updates_company(fake: FakePlanhat, send: Send) -> None:
    fake.settings(group="upsert")
    send(group("g1", name="Acme", plan="free", seats=5))
    send(group("g1", plan="pro"))
    assert [(c["name"], c["custom"]) for c in fake.companies()] == [
        ("Acme", {"plan": "pro", "seats": 5})
    ]
    send(group("g1", name="Acme Inc"))
    assert [c["name"] for c in fake.companies()] == ["Acme Inc"]
    send(group(1.0))
    send(group("1", name="One"))  # same key as 1.0
    assert sorted(c["name"] for c in fake.companies()) == ["Acme Inc", "One"]


def test_P7_upsert_group_custom_gets_scalar_traits_except_name(
    fake: FakePlanhat, send: Send
) -> None:
    fake.settings(group="upsert")
    traits = {
        "name": "Acme",
        "industry": "Tech",
        "employees": 120,
        "active": True,
        "closed": None,
        "total billed": 99.5,
        "address": {"city": "Oslo"},
        "domains": ["acme.io"],
    }
    send(group("g1", **traits))
    assert fake.companies()[0]["custom"] == {
        "industry": "Tech",
        "employees": 120,
        "active": True,
        "closed": None,
        "total billed": 99.5,
    }


@pytest.mark.parametrize(
    "who",
    [
        {"userId": "u1"},
        {"userId": 7},
        {"user_id": "u1"},
        {"context": {"traits": {"email": " ANN@x.io"}}},
        {"anonymousId": "x", "traits": {"email": "ann@X.io"}},
    ],
    ids=["userId", "numeric-userId", "user_id", "context-email", "traits-email"],
)
def test_P7_upsert_group_assigns_unassigned_contact(
    fake: FakePlanhat, send: Send, who: Message
) -> None:
    fake.settings(group="upsert")
    user_id = "7" if who.get("userId") == 7 else "u1"
    send(identify(user_id, email="ann@x.io"))
    assert fake.endusers() == []
    message = {"type": "group", "groupId": "g1", **who}
    message["traits"] = {"name": "Acme", **message.get("traits", {})}
    send(message)
    assert fake.unassigned() == []
    (enduser,) = fake.endusers()
    assert (enduser["externalId"], enduser["companyId"]) == (user_id, company_id(fake, "g1"))
    assert enduser["companyName"] == "Acme"


@pytest.mark.parametrize("setting", ["metrics", "upsert"])
def test_P7_group_does_not_move_an_assigned_contact(
    fake: FakePlanhat, send: Send, setting: str
) -> None:
    fake.settings(group=setting)
    add_company(fake, "g1")
    add_company(fake, "g2")
    send(identify("u1", companyId="g1"))
    send(group("g2", "u1", seats=1))
    assert only_contact(fake)["companyId"] == company_id(fake, "g1")


@pytest.mark.parametrize("setting", ["metrics", "upsert"])
def test_P7_group_never_creates_a_contact(fake: FakePlanhat, send: Send, setting: str) -> None:
    fake.settings(group=setting)
    add_company(fake, "g1")
    send(group("g1", "stranger", email="billing@acme.io", seats=2))
    assert contacts(fake) == []


@pytest.mark.parametrize("setting", ["metrics", "upsert"])
@pytest.mark.parametrize("group_id", ["absent", None, "", "   ", True, {"id": "g1"}, ["g1"]])
def test_P7_missing_group_id_is_ignored(
    fake: FakePlanhat, send: Send, group_id: Any, setting: str
) -> None:
    fake.settings(group=setting)
    message: Message = {"type": "group", "userId": "u1", "traits": {"name": "Acme", "n": 1}}
    if group_id != "absent":
        message["groupId"] = group_id
    assert send(message) == "ignored"
    assert (fake.companies(), fake.metrics()) == ([], [])
    assert "P-7" in last_outcome(fake)["reason"]


# --- P-8 unassigned contacts -----------------------------------------------------------------


def test_P8_unassigned_contact_is_not_an_enduser_but_later_events_match_it(
    fake: FakePlanhat, send: Send
) -> None:
    send(identify("u1", email="a@x.io"))
    assert fake.endusers() == []
    assert fake.dump()["endusers"] == []
    (waiting,) = fake.unassigned()
    assert send(track("u1")) == "applied"
    assert send({**track(), "context": {"traits": {"email": "A@x.io"}}}) == "applied"
    assert send(identify("u1", title="CEO")) == "applied"
    (still_waiting,) = fake.unassigned()
    assert (still_waiting["_id"], still_waiting["title"]) == (waiting["_id"], "CEO")
    assert [a["contactId"] for a in fake.activities()] == [waiting["_id"]] * 2
    assert fake.endusers() == []


def test_P8_get_endusers_lists_a_contact_only_once_assigned(
    fake: FakePlanhat, client: FlaskClient, send: Send, rest_auth: dict[str, str]
) -> None:
    send(identify("u1", email="a@x.io"))
    assert client.get("/endusers", headers=rest_auth).get_json() == []
    waiting = client.get("/_fake/unassigned").get_json()["unassigned"]
    assert [c["externalId"] for c in waiting] == ["u1"]
    fake.tenant().create_company({"name": "Acme", "externalId": "g1"})
    send(identify("u1", companyId="g1"))  # P-5: the later identify assigns it
    assert [c["externalId"] for c in client.get("/endusers", headers=rest_auth).get_json()] == [
        "u1"
    ]
    assert client.get("/_fake/unassigned").get_json()["unassigned"] == []


@pytest.mark.parametrize("how", ["_id", "extid"])
def test_P8_assign_makes_an_ordinary_enduser(fake: FakePlanhat, send: Send, how: str) -> None:
    add_company(fake, "g1", name="Acme")
    send(identify("u1"))
    (waiting,) = fake.unassigned()
    target = company_id(fake, "g1") if how == "_id" else "extid-g1"
    fake.assign(waiting["_id"], target)
    assert fake.unassigned() == []
    (enduser,) = fake.endusers()
    assert (enduser["_id"], enduser["companyId"]) == (waiting["_id"], company_id(fake, "g1"))
    send(identify("u1", title="CEO"))
    assert only_contact(fake)["title"] == "CEO"
    with pytest.raises(LookupError):
        fake.assign(waiting["_id"], "extid-g1")  # it no longer waits


def test_P8_discard_removes_it_and_a_later_identify_creates_a_new_one(
    fake: FakePlanhat, send: Send
) -> None:
    send(identify("u1", plan="pro"))
    send(track("u1"))
    (waiting,) = fake.unassigned()
    fake.discard(waiting["_id"])
    assert (contacts(fake), fake.activities()) == ([], [])
    assert send(track("u1")) == "dropped"
    send(identify("u1"))
    (again,) = fake.unassigned()
    assert again["_id"] != waiting["_id"]
    assert again["custom"] == {}
    with pytest.raises(LookupError):
        fake.discard(waiting["_id"])


def test_P8_discard_setting_drops_new_contacts_at_once(fake: FakePlanhat, send: Send) -> None:
    assert fake.settings()["unassigned"] == "keep"
    send(identify("early"))
    fake.settings(unassigned="discard")
    assert send(identify("late", email="late@x.io")) == "dropped"
    assert "P-8" in last_outcome(fake)["reason"]
    assert [c["externalId"] for c in contacts(fake)] == ["early"]
    assert send(identify("early", title="kept")) == "applied"  # existing ones still match
    add_company(fake, "g1")
    assert send(identify("onco", companyId="g1")) == "applied"  # with a company it is created
    assert sorted(c["externalId"] for c in fake.endusers()) == ["onco"]
    fake.settings(unassigned="keep")
    assert send(identify("late")) == "applied"
    assert sorted(c["externalId"] for c in fake.unassigned()) == ["early", "late"]


# --- P-9 other types -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        {"type": "alias", "userId": "u1", "previousId": "anon"},
        {"type": "screen", "userId": "u1", "name": "Home"},
        {"type": "delete", "userId": "u1"},
        {"type": "Identify", "userId": "u1"},
        {"type": "unknown", "userId": "u1"},
        {"type": "", "userId": "u1"},
        {"userId": "u1", "traits": {"email": "a@x.io"}},
    ],
    ids=["alias", "screen", "delete", "wrong-case", "unknown", "empty", "no-type"],
)
def test_P9_other_types_ignored_200(fake: FakePlanhat, send: Send, message: Message) -> None:
    add_company(fake, "g1")
    send(identify("u1", companyId="g1"))
    before = state_of(fake)
    assert send(message) == "ignored"
    assert state_of(fake) == before
    assert "P-9" in last_outcome(fake)["reason"]


# --- P-10 source -----------------------------------------------------------------------------


def test_P10_source_segment(fake: FakePlanhat, send: Send) -> None:
    add_company(fake, "g1")
    send(identify("by-identify", companyId="g1", source="CRM"))  # a trait named source: custom
    send(track("by-track", groupId="g1"))
    send({"type": "page", "userId": "by-identify", "name": "Home"})
    send(identify("no-company"))
    assert {c["externalId"]: c["source"] for c in contacts(fake)} == {
        "by-identify": "Segment",
        "by-track": "Segment",
        "no-company": "Segment",
    }
    assert [
        c["custom"].get("source") for c in contacts(fake) if c["externalId"] == "by-identify"
    ] == ["CRM"]
    assert [a["source"] for a in fake.activities()] == ["Segment", "Segment"]


# --- P-11 journal ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "status", "why"),
    [
        ({"type": "identify", "anonymousId": "a"}, "ignored", "P-5"),
        ({"type": "track", "event": "E", "userId": "ghost"}, "dropped", "P-6"),
        ({"type": "page", "userId": "ghost", "context": {"groupId": "nope"}}, "dropped", "P-6"),
        ({"type": "track", "userId": "u1"}, "ignored", "event"),
        ({"type": "group", "traits": {"name": "Acme"}}, "ignored", "P-7"),
        ({"type": "alias", "userId": "u1", "previousId": "a"}, "ignored", "P-9"),
        ({"type": "screen", "userId": "u1"}, "ignored", "P-9"),
    ],
    ids=[
        "no-identity",
        "track-no-company",
        "page-unknown-company",
        "no-event",
        "no-groupId",
        "alias",
        "screen",
    ],
)
def test_P11_ignored_and_dropped_answer_200_and_journal_says_why(
    fake: FakePlanhat,
    client: FlaskClient,
    intake_auth: dict[str, str],
    message: Message,
    status: str,
    why: str,
) -> None:
    message = {**message, "messageId": f"msg-{status}-{why}"}
    answer = client.post("/dock/segment", json=message, headers=intake_auth)
    assert (answer.status_code, answer.get_json()) == (200, {"ok": True, "result": status})
    (entry,) = fake.journal.query(message_id=message["messageId"])
    assert entry.status == 200
    assert entry.outcome is not None
    assert entry.outcome["status"] == status
    assert why in entry.outcome["reason"]
    assert entry.outcome["effects"] == []


def test_P11_applied_messages_journal_their_effects(
    fake: FakePlanhat, client: FlaskClient, intake_auth: dict[str, str]
) -> None:
    add_company(fake, "g1")
    client.post(
        "/dock/segment",
        json={**identify("u1", companyId="g1"), "messageId": "m-1"},
        headers=intake_auth,
    )
    (entry,) = fake.journal.query(message_id="m-1")
    assert entry.outcome is not None
    assert (entry.outcome["status"], entry.outcome["reason"]) == ("applied", None)
    contact = only_contact(fake)
    assert entry.contacts == [contact["_id"]]
    assert entry.companies == [company_id(fake, "g1")]
    assert any(contact["_id"] in effect for effect in entry.outcome["effects"])


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b"[]", "application/json", 400, "JSON object"),
        (b"{not json", "application/json", 400, "not valid JSON"),
        (b"", "application/json", 400, "empty"),
        (b'{"type": "identify", "traits": "x"}', "application/json", 400, "traits"),
        (b'{"type": "track", "properties": [1]}', "application/json", 400, "properties"),
        (b'{"type": 5}', "application/json", 400, "type"),
        (b'{"type": "identify", "userId": "u"}', "text/plain", 415, "application/json"),
    ],
    ids=["array", "syntax", "empty", "traits-string", "properties-array", "type-number", "media"],
)
def test_P11_malformed_message_is_a_clear_4xx(
    fake: FakePlanhat,
    client: FlaskClient,
    intake_auth: dict[str, str],
    body: bytes,
    content_type: str,
    status: int,
    words: str,
) -> None:
    answer = client.post(
        "/dock/segment", data=body, headers={**intake_auth, "Content-Type": content_type}
    )
    assert answer.status_code == status
    assert words in answer.get_json()["message"]
    assert contacts(fake) == []


def test_P11_json_with_charset_parameter_is_accepted(
    fake: FakePlanhat, client: FlaskClient, intake_auth: dict[str, str]
) -> None:
    answer = client.post(
        "/dock/segment",
        data='{"type":"identify","userId":"ü"}'.encode(),
        headers={**intake_auth, "Content-Type": "application/json; charset=utf-8"},
    )
    assert answer.get_json() == {"ok": True, "result": "applied"}
    assert only_contact(fake)["externalId"] == "ü"


# --- E-2 no duplicate contacts -----------------------------------------------------------------

# Every message names user u-1 (in one of P-1's three places, as a string or not), some add the
# mailbox in another spelling, one is a retry: whatever the order, one contact results.
SAME_USER: list[Message] = [
    {"type": "identify", "userId": "u-1", "traits": {"email": "Ann@x.io", "title": "CEO"}},
    {"type": "identify", "user_id": "u-1", "traits": {"companyId": "g1"}},
    {"type": "identify", "traits": {"id": "u-1", "email": " ann@X.IO"}},
    {"type": "track", "userId": "u-1", "event": "Signed Up", "context": {"groupId": "g1"}},
    {"type": "track", "userId": "u-1", "event": "Signed Up", "context": {"groupId": "g1"}},
    {"type": "page", "userId": "u-1", "name": "Home", "context": {"traits": {"email": "ann@x.io"}}},
    {"type": "group", "groupId": "g1", "userId": "u-1", "traits": {"name": "Acme"}},
    {"type": "group", "groupId": "g2", "traits": {"name": "Globex"}},
    {"type": "alias", "userId": "u-1", "previousId": "anon"},
]
NUMERIC_USER: list[Message] = [
    {"type": "identify", "userId": 77, "traits": {"email": "n@x.io"}},
    {"type": "identify", "userId": "77"},
    {"type": "track", "userId": 77.0, "event": "E", "context": {"groupId": "g1"}},
    {"type": "track", "user_id": "77", "event": "E", "traits": {"companyId": "g1"}},
    {"type": "group", "groupId": "g1", "traits": {"id": 77}},
]


@given(order=st.permutations(SAME_USER), numeric=st.permutations(NUMERIC_USER))
def test_E2_no_duplicate_contacts_across_interleavings(
    order: list[Message], numeric: list[Message]
) -> None:
    planhat = FakePlanhat(seed=0)
    with planhat.app.test_client() as client:
        token = base64.b64encode(f"{planhat.tenant_token}:".encode()).decode()
        auth = {"Authorization": f"Basic {token}"}
        for message in [*order, *numeric]:
            assert client.post("/dock/segment", json=message, headers=auth).status_code == 200
    keys = Counter(c.get("externalId") for c in contacts(planhat))
    assert keys == {"u-1": 1, "77": 1}


def test_E2_a_retried_identify_never_duplicates(fake: FakePlanhat, send: Send) -> None:
    message = {**identify("u1", email="a@x.io"), "messageId": "same"}
    for _ in range(3):
        assert send(message) == "applied"
    only_contact(fake)


# --- W-2 the intake's auth, as Planhat receives it ---------------------------------------------


def test_W2_intake_takes_basic_tenant_token_with_empty_password(
    fake: FakePlanhat, client: FlaskClient
) -> None:
    message = identify("u1")

    def post(user: str, password: str = "", scheme: str = "Basic") -> int:
        secret = base64.b64encode(f"{user}:{password}".encode()).decode()
        value = f"Basic {secret}" if scheme == "Basic" else f"Bearer {user}"
        headers = {"Authorization": value}
        return client.post("/dock/segment", json=message, headers=headers).status_code

    assert post(fake.tenant_token, "x") == 401
    assert post(fake.tenant_token, scheme="Bearer") == 401
    assert post(fake.api_token) == 401
    assert client.post("/dock/segment", json=message).status_code == 401
    assert contacts(fake) == []
    assert post(fake.tenant_token) == 200
    assert len(contacts(fake)) == 1
