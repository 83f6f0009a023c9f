"""A hostile web page in real Chromium cannot write to the control plane or the dashboard
(issue 15): from another origin, and from another port of the same host, whose requests count as
same-site and so carry the dashboard's SameSite=Strict cookie.

The attacker's page is served by a small HTTP server on another port; it fires every write the
control plane and the dashboard have (fetch in no-cors mode, which needs no preflight, for POST;
cors mode for PUT and DELETE; and a real form submission), then the fake's state is compared.
Skipped, with the reason, when Chromium or playwright is missing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from fake_planhat import FakePlanhat
from tests.browser import Tab

from . import identify

pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")

ADMIN = "an-admin-token-for-the-browser-test"
NEW_TENANT = "00000000-0000-4000-8000-0000000000ee"
# (method, path, JSON body as text) of every control-plane write.
CONTROL_WRITES: list[tuple[str, str, str]] = [
    ("POST", "/_fake/reset", ""),
    ("POST", "/_fake/seed", json.dumps({"tenants": {NEW_TENANT: {}}})),
    ("POST", "/_fake/tenants", json.dumps({"tenantToken": NEW_TENANT})),
    ("PUT", "/_fake/settings", json.dumps({"unassigned": "discard"})),
    ("POST", "/_fake/unassigned/{dan}/assign", json.dumps({"company": "{acme}"})),
    ("POST", "/_fake/unassigned/{dan}/discard", ""),
    ("DELETE", "/_fake/journal", ""),
    ("POST", "/_fake/faults", json.dumps({"status": 503})),
    ("DELETE", "/_fake/faults", ""),
    ("PUT", "/_fake/rate-limit", json.dumps({"perSecond": 1, "perMinute": 1, "burst": 1})),
    ("DELETE", "/_fake/rate-limit", ""),
    ("POST", "/_fake/clock/freeze", ""),
    ("POST", "/_fake/clock/advance", json.dumps({"seconds": 86400})),
    ("POST", "/_fake/clock/unfreeze", ""),
]
# The dashboard's forms (urlencoded, as a form sends them).
DASHBOARD_WRITES: list[tuple[str, str]] = [
    ("/_fake/ui/unassigned/{dan}/assign", "company={acme}"),
    ("/_fake/ui/unassigned/{dan}/discard", ""),
    ("/_fake/ui/login", "adminToken=attacker-token&next=/_fake/ui"),
]

ATTACK = """<!doctype html><html><body>
<form id="form" method="post" action="{target}/_fake/ui/unassigned/{dan}/discard"
      target="sink"></form><iframe name="sink"></iframe>
<script>
const target = {target_json};
const control = {control};
const dashboard = {dashboard};
async function fire() {{
  const sent = [];
  for (const [method, path, body] of control) {{
    const init = {{method, credentials: "include",
                  headers: {{"Content-Type": "text/plain"}}}};
    if (body) init.body = body;
    init.mode = method === "POST" ? "no-cors" : "cors";
    sent.push(fetch(target + path, init).catch(() => null));
    // the JSON type too: a cors request the fake never grants
    sent.push(fetch(target + path, {{...init, mode: "cors",
      headers: {{"Content-Type": "application/json"}}}}).catch(() => null));
  }}
  for (const [path, body] of dashboard) {{
    sent.push(fetch(target + path, {{method: "POST", mode: "no-cors", credentials: "include",
      headers: {{"Content-Type": "application/x-www-form-urlencoded"}}, body}})
      .catch(() => null));
  }}
  await Promise.all(sent);
  document.getElementById("form").submit();
  setTimeout(() => {{ window.__done = true; }}, 500);
}}
fire();
</script></body></html>"""


class _Attacker(BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def attacker() -> Iterator[tuple[type[_Attacker], int]]:
    handler = type("Attacker", (_Attacker,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def observed(fake: FakePlanhat) -> Any:
    """Everything a forged write could change."""
    return (
        sorted(t.token for t in fake.store.tenants()),
        fake.tenant().dump(),
        fake.faults.to_json(),
        fake.rate_limit.to_json(),
        fake.clock.frozen,
        len(fake.journal),
    )


@pytest.mark.parametrize("admin_token", [None, ADMIN], ids=["no-admin-token", "admin-token"])
@pytest.mark.parametrize(
    "attacker_host", ["evil.localhost", "127.0.0.1"], ids=["other-origin", "other-port"]
)
def test_a_page_of_another_origin_or_port_cannot_write(
    tab: Tab,
    attacker: tuple[type[_Attacker], int],
    admin_token: str | None,
    attacker_host: str,
) -> None:
    # the group call below makes the company: P-7's upsert reading (a tenant setting)
    fake = FakePlanhat(seed=0, admin_token=admin_token, group="upsert")
    handler, attacker_port = attacker
    with fake.serve(port=0) as server, httpx.Client(timeout=10) as http:
        for message in (
            {"type": "group", "groupId": "acme", "userId": "ann", "traits": {"name": "Acme"}},
            identify("dan", "dan@nowhere.test", "m-dan"),
        ):
            answer = http.post(
                f"{server.url}/dock/segment", json=message, auth=(fake.tenant_token, "")
            )
            assert answer.status_code == 200
        (dan,) = fake.unassigned()
        (acme,) = fake.companies()
        ids = {"dan": dan["_id"], "acme": acme["_id"]}
        page = tab.page
        if admin_token is not None:  # the victim is logged in to the dashboard
            page.goto(f"{server.url}/_fake/ui")
            page.fill("input[name=adminToken]", admin_token)
            page.click("button[type=submit]")
            assert page.locator("#unassigned-" + dan["_id"]).count() == 1
        before = observed(fake)
        handler.page = ATTACK.format(
            target=server.url,
            target_json=json.dumps(server.url),
            dan=dan["_id"],
            control=json.dumps(
                [
                    (m, p.format(**ids), b.replace("{acme}", ids["acme"]))
                    for m, p, b in CONTROL_WRITES
                ]
            ),
            dashboard=json.dumps([(p.format(**ids), b.format(**ids)) for p, b in DASHBOARD_WRITES]),
        ).encode()
        page.goto(f"http://{attacker_host}:{attacker_port}/")
        page.wait_for_function("window.__done === true", timeout=15_000)
        assert observed(fake) == before
