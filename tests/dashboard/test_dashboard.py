"""The dashboard through Flask's test client: pages, forms, filters, escaping, the admin token.

A real browser drives it in test_browser.py; here every answer is checked as HTML text.
"""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest
import yaml
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.test import TestResponse

from fake_planhat import FakePlanhat
from fake_planhat.api.dashboard import CSRF_FIELD, csrf_token
from fake_planhat.api.gate import ADMIN_COOKIE
from fake_planhat.auth import fingerprint

from . import HOSTILE, basic, group, identify, story, track

OTHER_TENANT = "00000000-0000-4000-8000-0000000000cc"


def send(client: FlaskClient, tenant_token: str, message: dict[str, Any]) -> TestResponse:
    answer = client.post(
        "/dock/segment", json=message, headers={"Authorization": basic(tenant_token)}
    )
    assert answer.status_code == 200, answer.data
    return answer


def tell_story(client: FlaskClient, fake: FakePlanhat) -> None:
    fake.settings(group="upsert")  # the story's group call makes its company (P-7, decided)
    for message in story():
        send(client, fake.tenant_token, message)


def csrf(client: FlaskClient) -> dict[str, str]:
    """The CSRF field every dashboard form carries, as the page renders it."""
    with client.application.app_context():
        return {CSRF_FIELD: csrf_token()}


def page(client: FlaskClient, url: str = "/_fake/ui", status: int = 200) -> str:
    answer = client.get(url)
    assert answer.status_code == status, answer.data
    assert answer.mimetype == "text/html"
    return answer.get_data(as_text=True)


def element(page_html: str, element_id: str) -> str:
    """The element with this id (a table row or a live part: neither nests its own tag)."""
    start = page_html.rindex("<", 0, page_html.index(f'id="{element_id}"'))
    tag = re.match(r"<(\w+)", page_html[start:])
    assert tag is not None
    end = page_html.index(f"</{tag.group(1)}>", start)
    return page_html[start:end]


def shown_entries(page_html: str) -> list[int]:
    """The journal entries on the page, by seq, in the order shown."""
    return [int(seq) for seq in re.findall(r'id="entry-(\d+)"', page_html)]


def fp(token: str) -> str:
    return f"fp:{fingerprint(token)}"


def waiting_id(fake: FakePlanhat) -> str:
    (waiting,) = fake.unassigned()
    return str(waiting["_id"])


# --- the page --------------------------------------------------------------------------------


def test_page_renders_an_empty_tenant(client: FlaskClient, fake: FakePlanhat) -> None:
    shown = page(client)
    assert shown.startswith("<!doctype html>")
    assert "No contacts yet" in shown
    assert "Nobody is waiting" in shown
    assert "No companies yet" in shown
    assert "No requests match" in shown
    assert fp(fake.tenant_token) in shown


def test_page_shows_contacts_activities_companies_and_metrics(
    client: FlaskClient, fake: FakePlanhat
) -> None:
    tell_story(client, fake)
    client.post(
        f"/dimensiondata/{fake.tenant_token}",
        json=[{"dimensionId": "seats", "value": 42, "externalId": "acme"}],
    )
    (ann,) = fake.endusers()
    (acme,) = fake.companies()
    shown = page(client)

    row = element(shown, f"contact-{ann['_id']}")
    for expected in ("Ann Lee", "ann@acme.test", "Acme Inc", "Segment", "seats", "3"):
        assert expected in row
    assert "Report Exported" in row
    assert "csv" in row  # the activity's info

    company = element(shown, f"company-{acme['_id']}")
    for expected in ("Acme Inc", "acme", "plan", "enterprise", "seats", "42"):
        assert expected in company

    journal = element(shown, "part-journal")
    assert "m-track" in journal
    assert "applied" in journal
    assert "added activity" in journal


def test_R8_company_row_shows_each_metric_time(client: FlaskClient, fake: FakePlanhat) -> None:
    tell_story(client, fake)
    client.post(
        f"/dimensiondata/{fake.tenant_token}",
        json=[{"dimensionId": "mrr", "value": 7, "externalId": "acme", "date": "2026-03-04"}],
    )
    (acme,) = fake.companies()
    company = element(page(client), f"company-{acme['_id']}")
    assert "<time>2026-03-04</time> <b>mrr</b>" in company  # a point carries time


def test_P8_unassigned_contact_has_assign_and_discard_forms(
    client: FlaskClient, fake: FakePlanhat
) -> None:
    tell_story(client, fake)
    dan = waiting_id(fake)
    (acme,) = fake.companies()
    row = element(page(client), f"unassigned-{dan}")
    assert "dan@nowhere.test" in row
    assert "m-dan" in row  # the message that created it
    assert f'action="/_fake/ui/unassigned/{dan}/assign?tenant=' in row
    assert f'<option value="{acme["_id"]}">Acme Inc (acme)</option>' in row
    assert "Assign to company" in row
    assert f'action="/_fake/ui/unassigned/{dan}/discard?tenant=' in row


def test_tenants_are_listed_by_fingerprint_default_first_never_by_token(
    client: FlaskClient, fake: FakePlanhat
) -> None:
    fake.add_tenant(OTHER_TENANT, "other-api-token")
    shown = page(client, f"/_fake/ui?tenant={fp(OTHER_TENANT)}")
    own, other = fp(fake.tenant_token), fp(OTHER_TENANT)
    assert shown.index(f'<option value="{own}"') < shown.index(f'<option value="{other}"')
    assert f'<option value="{other}" selected>' in shown
    for secret in (fake.tenant_token, OTHER_TENANT, fake.api_token, "other-api-token"):
        assert secret not in shown


def test_each_tenant_shows_only_its_own_state_and_requests(
    client: FlaskClient, fake: FakePlanhat
) -> None:
    fake.add_tenant(OTHER_TENANT, "other-api-token")
    send(client, OTHER_TENANT, group("beta", "Beta GmbH", "m-beta"))
    tell_story(client, fake)
    other = page(client, f"/_fake/ui?tenant={fingerprint(OTHER_TENANT)}")  # "fp:" optional
    assert "Beta GmbH" in other
    assert "Acme Inc" not in other
    assert "m-ann" not in other
    own = page(client)
    assert "Beta GmbH" not in own
    assert "m-beta" not in own


def test_the_live_part_renders_the_same_parts(client: FlaskClient, fake: FakePlanhat) -> None:
    tell_story(client, fake)
    live = page(client, "/_fake/ui/live")
    full = page(client)
    for part in ("part-nav", "part-contacts", "part-unassigned", "part-companies", "part-journal"):
        assert element(live, part) == element(full, part)
    assert "<html" not in live


def test_dashboard_requests_are_not_journaled(client: FlaskClient, fake: FakePlanhat) -> None:
    page(client)
    page(client, "/_fake/ui/live")
    assert client.get("/_fake/ui/static/dashboard.js").status_code == 200
    assert len(fake.journal) == 0


def test_static_assets_are_served_under_the_dashboard(client: FlaskClient) -> None:
    css = client.get("/_fake/ui/static/dashboard.css")
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    script = client.get("/_fake/ui/static/dashboard.js")
    assert script.mimetype in ("text/javascript", "application/javascript")
    assert b"fetch(" in script.data
    missing = client.get("/_fake/ui/static/nothing.css")
    assert missing.status_code == 404
    assert missing.mimetype == "text/html"
    assert client.get("/static/dashboard.css").status_code == 404  # not a Planhat route


def test_settings_discard_is_explained(client: FlaskClient, fake: FakePlanhat) -> None:
    fake.settings(unassigned="discard")
    assert "unassigned: discard" in element(page(client), "part-unassigned")


# --- escaping: Segment data is hostile ---------------------------------------------------------


def test_hostile_data_renders_as_text(client: FlaskClient, fake: FakePlanhat) -> None:
    send(client, fake.tenant_token, group("evil", HOSTILE, "m-evil-group", motto=HOSTILE))
    send(
        client,
        fake.tenant_token,
        identify("eve", "eve@evil.test", HOSTILE, company="evil", title=HOSTILE, bio=HOSTILE),
    )
    send(client, fake.tenant_token, track("eve", HOSTILE, "m-evil-track", note=HOSTILE))
    send(client, fake.tenant_token, identify("mal", "mal@evil.test", "m-mal", nick=HOSTILE))
    for url in ("/_fake/ui", "/_fake/ui/live"):
        shown = page(client, url)
        assert "<script>window.__pwned" not in shown
        assert "<img src=x" not in shown
        assert str(escape("<script>window.__pwned = 1;")) in shown
    # the only scripts are the dashboard's own
    assert re.findall(r"<script\b[^>]*>", page(client)) == [
        '<script src="/_fake/ui/static/dashboard.js" defer>'
    ]


# --- rule P-8: the forms ---------------------------------------------------------------------


def test_P8_assign_form_makes_the_contact_an_enduser_and_redirects_back(
    client: FlaskClient, fake: FakePlanhat
) -> None:
    tell_story(client, fake)
    dan = waiting_id(fake)
    (acme,) = fake.companies()
    own = fp(fake.tenant_token)
    answer = client.post(
        f"/_fake/ui/unassigned/{dan}/assign?tenant={own}",
        data={**csrf(client), "company": acme["_id"]},
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == f"/_fake/ui?tenant={own}#unassigned"
    assert fake.unassigned() == []
    assigned = {c["_id"]: c for c in fake.endusers()}[dan]
    assert assigned["companyId"] == acme["_id"]
    assert assigned["companyName"] == "Acme Inc"
    shown = page(client)
    assert "Nobody is waiting" in shown
    assert "dan@nowhere.test" in element(shown, f"contact-{dan}")


def test_P8_discard_button_removes_the_contact_and_redirects_back(
    client: FlaskClient, fake: FakePlanhat
) -> None:
    tell_story(client, fake)
    send(client, fake.tenant_token, track("dan", "Clicked", "m-dan-track"))
    dan = waiting_id(fake)
    answer = client.post(f"/_fake/ui/unassigned/{dan}/discard", data=csrf(client))
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("#unassigned")
    assert fake.unassigned() == []
    assert dan not in {c["_id"] for c in fake.endusers()}
    assert all(a["contactId"] != dan for a in fake.activities())


def test_P8_the_redirect_keeps_the_tenant_and_filters(
    client: FlaskClient, fake: FakePlanhat
) -> None:
    fake.add_tenant(OTHER_TENANT)
    send(client, OTHER_TENANT, identify("zed", "zed@nowhere.test", "m-zed"))
    zed = waiting_id_of(fake, OTHER_TENANT)
    query = f"tenant={fp(OTHER_TENANT)}&route=dock&status=200"
    answer = client.post(f"/_fake/ui/unassigned/{zed}/discard?{query}", data=csrf(client))
    assert answer.status_code == 303
    location = answer.headers["Location"]
    assert location.startswith("/_fake/ui?")
    assert f"tenant={fp(OTHER_TENANT)}" in location
    assert "route=dock" in location
    assert "status=200" in location
    assert fake.unassigned(OTHER_TENANT) == []


def waiting_id_of(fake: FakePlanhat, tenant_token: str) -> str:
    (waiting,) = fake.unassigned(tenant_token)
    return str(waiting["_id"])


def test_P8_assign_without_a_company_is_a_400_page(client: FlaskClient, fake: FakePlanhat) -> None:
    tell_story(client, fake)
    dan = waiting_id(fake)
    answer = client.post(f"/_fake/ui/unassigned/{dan}/assign", data=csrf(client))
    assert answer.status_code == 400
    assert answer.mimetype == "text/html"
    assert "pick the company to assign the contact to" in answer.get_data(as_text=True)
    assert len(fake.unassigned()) == 1


@pytest.mark.parametrize("action", ["assign", "discard"])
def test_P8_unknown_contact_is_a_404_page(
    client: FlaskClient, fake: FakePlanhat, action: str
) -> None:
    tell_story(client, fake)
    (acme,) = fake.companies()
    answer = client.post(
        f"/_fake/ui/unassigned/ffffffffffffffffffffffff/{action}",
        data={**csrf(client), "company": acme["_id"]},
    )
    assert answer.status_code == 404
    assert answer.mimetype == "text/html"
    text = answer.get_data(as_text=True)
    assert "contact ffffffffffffffffffffffff is not waiting in the unassigned list" in text
    assert "Back to the dashboard" in text


def test_P8_unknown_company_is_a_404_page(client: FlaskClient, fake: FakePlanhat) -> None:
    tell_story(client, fake)
    dan = waiting_id(fake)
    answer = client.post(
        f"/_fake/ui/unassigned/{dan}/assign",
        data={**csrf(client), "company": "eeeeeeeeeeeeeeeeeeeeeeee"},
    )
    assert answer.status_code == 404
    assert "company eeeeeeeeeeeeeeeeeeeeeeee does not exist" in answer.get_data(as_text=True)
    assert len(fake.unassigned()) == 1


# --- bad addresses -----------------------------------------------------------------------------


def test_unknown_tenant_is_a_404_page(client: FlaskClient) -> None:
    shown = page(client, "/_fake/ui?tenant=fp:0123abcd", status=404)
    assert "no tenant has the fingerprint fp:0123abcd" in shown


def test_a_tenant_token_in_the_address_is_refused_and_not_echoed(
    client: FlaskClient, fake: FakePlanhat
) -> None:
    shown = page(client, f"/_fake/ui?tenant={fake.tenant_token}", status=400)
    assert "tenant must be a fingerprint" in shown
    assert fake.tenant_token not in shown


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("stauts=401", "unknown query parameter 'stauts'"),
        ("status=abc", "status must be a whole number from 100 to 599, got 'abc'"),
        ("status=42", "status must be a whole number from 100 to 599, got '42'"),
        ("limit=0", "limit must be a whole number from 1 to 1000, got '0'"),
    ],
)
def test_bad_query_parameters_are_a_400_page(client: FlaskClient, query: str, words: str) -> None:
    for url in ("/_fake/ui", "/_fake/ui/live"):
        assert str(escape(words)) in page(client, f"{url}?{query}", status=400)


# --- journal filters ---------------------------------------------------------------------------


@pytest.fixture
def journaled(client: FlaskClient, fake: FakePlanhat) -> FakePlanhat:
    """The story (entries 1-4), a 401 without credentials (5), a REST read (6)."""
    tell_story(client, fake)
    assert client.post("/dock/segment", json={}).status_code == 401
    rest = client.get("/endusers", headers={"Authorization": f"Bearer {fake.api_token}"})
    assert rest.status_code == 200
    return fake


def test_journal_lists_newest_first_with_near_misses(
    client: FlaskClient, journaled: FakePlanhat
) -> None:
    shown = page(client)
    assert shown_entries(shown) == [6, 5, 4, 3, 2, 1]
    unauthenticated = element(shown, "entry-5")
    assert "s4xx" in unauthenticated
    assert "no tenant" in unauthenticated
    assert "Missing Authorization header" in unauthenticated  # the near miss


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("route=dock.segment", [5, 4, 3, 2, 1]),
        ("route=endusers", [6]),
        ("status=401", [5]),
        ("messageId=m-track", [3]),
        ("contact=dan%40nowhere.test", [4]),  # an email stands for its contacts
        ("route=dock&status=200&limit=2", [4, 3]),
        ("messageId=nothing-like-it", []),
    ],
)
def test_journal_filters(
    client: FlaskClient, journaled: FakePlanhat, query: str, expected: list[int]
) -> None:
    assert shown_entries(page(client, f"/_fake/ui?{query}")) == expected
    assert shown_entries(page(client, f"/_fake/ui/live?{query}")) == expected


def test_journal_filter_by_contact_id(client: FlaskClient, journaled: FakePlanhat) -> None:
    (ann,) = journaled.endusers()
    assert shown_entries(page(client, f"/_fake/ui?contact={ann['_id']}")) == [3, 2]


def test_journal_filter_form_keeps_its_values(client: FlaskClient, journaled: FakePlanhat) -> None:
    shown = page(client, "/_fake/ui?route=dock&status=401&messageId=m-1&contact=x%40y")
    assert 'name="route" value="dock"' in shown
    assert 'name="status" value="401"' in shown
    assert 'name="messageId" value="m-1"' in shown
    assert 'name="contact" value="x@y"' in shown


def test_journal_folds_long_bodies_and_shows_short_ones(
    client: FlaskClient, fake: FakePlanhat
) -> None:
    send(client, fake.tenant_token, identify("ann", "ann@acme.test", "m-long", essay="x" * 400))
    entry = element(page(client), "entry-1")
    assert '<details class="body" data-key="j1.body">' in entry
    assert str(escape('"essay": "xxxx')) in entry  # indented JSON inside the fold
    short_answer = entry.split('data-key="j1.body"')[1]
    assert "<pre>{" in short_answer  # the short answer stays inline


# --- the admin token ---------------------------------------------------------------------------


def off_loopback(admin_token: str | None) -> FlaskClient:
    fake = FakePlanhat(admin_token=admin_token)
    fake.app.config["FAKE_PLANHAT_BIND_HOST"] = "0.0.0.0"
    return fake.app.test_client()


def test_off_loopback_without_an_admin_token_the_dashboard_is_closed() -> None:
    client = off_loopback(None)
    shown = page(client, status=403)
    assert "the control plane is closed" in shown
    assert 'name="adminToken"' not in shown
    assert client.post("/_fake/ui/unassigned/x/discard").status_code == 403


def test_admin_token_login_form_sets_a_dashboard_cookie() -> None:
    client = off_loopback("s3cret")
    login_page = page(client, "/_fake/ui?route=dock", status=401)
    assert "the control plane needs the admin token" in login_page
    assert 'name="adminToken"' in login_page
    assert 'name="next" value="/_fake/ui?route=dock"' in login_page
    assert client.get("/_fake/ui/static/dashboard.css").status_code == 200  # styled login page

    wrong = client.post(
        "/_fake/ui/login", data={**csrf(client), "adminToken": "guess", "next": "/_fake/ui"}
    )
    assert wrong.status_code == 303
    assert "wrong admin token" in page(client, status=401)

    right = client.post(
        "/_fake/ui/login",
        data={**csrf(client), "adminToken": "s3cret", "next": "/_fake/ui?route=dock"},
    )
    assert right.status_code == 303
    assert right.headers["Location"] == "/_fake/ui?route=dock"
    cookie = right.headers["Set-Cookie"]
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/_fake/ui"):
        assert attribute in cookie
    assert "Nobody is waiting" in page(client, "/_fake/ui?route=dock")
    assert client.get("/_fake/ui/live").status_code == 200


def test_admin_cookie_counts_on_the_dashboard_only() -> None:
    client = off_loopback("s3cret")
    client.set_cookie(ADMIN_COOKIE, "s3cret", path="/")  # even if a browser sent it everywhere
    assert client.get("/_fake/ui").status_code == 200
    assert client.get("/_fake/state").status_code == 401


def test_admin_token_header_works_on_the_dashboard() -> None:
    client = off_loopback("s3cret")
    assert client.get("/_fake/ui", headers={"X-Admin-Token": "s3cret"}).status_code == 200
    bearer = client.get("/_fake/ui/live", headers={"Authorization": "Bearer s3cret"})
    assert bearer.status_code == 200


def test_an_empty_login_forgets_the_cookie() -> None:
    client = off_loopback("s3cret")
    client.post("/_fake/ui/login", data={**csrf(client), "adminToken": "s3cret"})
    assert client.get("/_fake/ui").status_code == 200
    client.post("/_fake/ui/login", data={**csrf(client), "adminToken": ""})
    assert client.get("/_fake/ui").status_code == 401


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.test/",
        "//evil.test/_fake/ui",
        "/_fake/uix",
        "/_fake/state",
        "/_fake/ui/../state",
    ],
)
def test_login_never_redirects_off_the_dashboard(target: str) -> None:
    client = off_loopback("s3cret")
    answer = client.post(
        "/_fake/ui/login", data={**csrf(client), "adminToken": "s3cret", "next": target}
    )
    assert answer.headers["Location"] == "/_fake/ui"


def test_login_re_encodes_the_page_it_returns_to() -> None:
    client = off_loopback("s3cret")
    answer = client.post(
        "/_fake/ui/login",
        data={
            **csrf(client),
            "adminToken": "s3cret",
            "next": "/_fake/ui?route=<b>&status=200\r\nX-Evil: 1",
        },
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/_fake/ui?route=%3Cb%3E&status=200X-Evil:+1"
    assert "X-Evil" not in answer.headers


def test_loopback_with_an_admin_token_still_needs_it(fake: FakePlanhat) -> None:
    fake.admin_token = "s3cret"
    client = fake.app.test_client()
    assert client.get("/_fake/ui").status_code == 401
    assert client.post("/_fake/ui/unassigned/x/assign", data={"company": "y"}).status_code == 401


# --- the OpenAPI document ----------------------------------------------------------------------


def test_dashboard_answers_match_the_openapi_document(
    client: FlaskClient, fake: FakePlanhat
) -> None:
    spec = yaml.safe_load(
        resources.files("fake_planhat").joinpath("control-openapi.yaml").read_text("utf-8")
    )

    def documented(template: str, method: str, answer: TestResponse) -> None:
        responses = spec["paths"][template][method]["responses"]
        assert str(answer.status_code) in responses, (template, method, answer.status_code)
        response = responses[str(answer.status_code)]
        if "$ref" in response:
            response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
        if answer.status_code == 303:
            assert "Location" in response["headers"]
            assert answer.headers["Location"].startswith("/_fake/ui")
        else:
            assert answer.mimetype in response["content"] or (
                answer.mimetype == "application/javascript"
                and "text/javascript" in response["content"]
            )

    tell_story(client, fake)
    dan = waiting_id(fake)
    (acme,) = fake.companies()
    documented("/_fake/ui", "get", client.get("/_fake/ui"))
    documented("/_fake/ui", "get", client.get("/_fake/ui?status=x"))
    documented("/_fake/ui", "get", client.get("/_fake/ui?tenant=fp:00000000"))
    documented("/_fake/ui/live", "get", client.get("/_fake/ui/live"))
    documented("/_fake/ui/live", "get", client.get("/_fake/ui/live?limit=-1"))
    assign = "/_fake/ui/unassigned/{contact_id}/assign"
    documented(assign, "post", client.post(f"/_fake/ui/unassigned/{dan}/assign", data=csrf(client)))
    documented(
        assign,
        "post",
        client.post(
            f"/_fake/ui/unassigned/{dan}/assign", data={**csrf(client), "company": acme["_id"]}
        ),
    )
    discard = "/_fake/ui/unassigned/{contact_id}/discard"
    documented(
        discard, "post", client.post(f"/_fake/ui/unassigned/{dan}/discard", data=csrf(client))
    )
    documented("/_fake/ui/login", "post", client.post("/_fake/ui/login", data={}))
    static = "/_fake/ui/static/{filename}"
    documented(static, "get", client.get("/_fake/ui/static/dashboard.css"))
    documented(static, "get", client.get("/_fake/ui/static/dashboard.js"))
    documented(static, "get", client.get("/_fake/ui/static/missing.js"))
    closed = off_loopback(None)
    documented("/_fake/ui", "get", closed.get("/_fake/ui"))
    locked = off_loopback("s3cret")
    documented("/_fake/ui/live", "get", locked.get("/_fake/ui/live"))
