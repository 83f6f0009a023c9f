"""``FakePlanhat``: the one object behind every door (socket server, respx, responses, pytest)."""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fake_planhat import seeding
from fake_planhat.clock import Clock
from fake_planhat.faults import Faults
from fake_planhat.ids import ObjectIdFactory
from fake_planhat.journal import (
    DEFAULT_BODY_LIMIT,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ENTRIES,
    Journal,
)
from fake_planhat.ratelimit import PLANHAT_LIMITS, RateLimiter
from fake_planhat.state import (
    DEFAULT_API_TOKEN,
    DEFAULT_TENANT_TOKEN,
    Doc,
    GroupPolicy,
    GuessPolicy,
    LimitsPolicy,
    PagePolicy,
    Store,
    Tenant,
    TenantSettings,
    UnassignedPolicy,
)

if TYPE_CHECKING:
    from flask import Flask

    from fake_planhat.persistence import StateFile
    from fake_planhat.server import ServerThread
    from fake_planhat.transports import Intercept


class FakePlanhat:
    """A Planhat stand-in: tenants and their state, a request journal and a virtual clock.

    One default tenant is created from ``tenant_token`` (for ``/dock/segment`` and
    ``/analytics/<token>``) and ``api_token`` (for the REST API), with the tenant settings
    (docs/fidelity.md lists what each switches; None means the default):

    * ``unassigned``: ``"keep"`` (default) or ``"discard"`` new contacts without a company (P-8);
    * ``group``: ``"metrics"`` (default, Planhat's documented reading) or ``"upsert"`` (P-7);
    * ``page``: ``"activity"`` (default) or ``"ignore"`` (P-6a);
    * ``guess``: ``"domain"`` (default) or ``"off"``, P-5's email-domain guess for new contacts;
    * ``limits``: ``"off"`` (default) or ``"planhat"``, Planhat's documented rate limits (R-9);
    * ``region``: the tenant's REST region, ``"api"`` (default), ``"api-eu"`` … (R-10).

    With ``state_file``, tenants, API tokens, settings and documents are kept in that SQLite
    file (:mod:`fake_planhat.persistence`): what it holds is restored first, a restored default
    tenant keeps its settings except those given here, and each write is committed before
    its answer. :meth:`close` closes the file. The journal, faults, rate limiter and clock are
    not kept.
    """

    def __init__(
        self,
        *,
        tenant_token: str = DEFAULT_TENANT_TOKEN,
        api_token: str = DEFAULT_API_TOKEN,
        unassigned: UnassignedPolicy | None = None,
        group: GroupPolicy | None = None,
        page: PagePolicy | None = None,
        guess: GuessPolicy | None = None,
        limits: LimitsPolicy | None = None,
        region: str | None = None,
        seed: int | None = None,
        journal_size: int = DEFAULT_MAX_ENTRIES,
        journal_body_limit: int = DEFAULT_BODY_LIMIT,
        journal_max_bytes: int = DEFAULT_MAX_BYTES,
        admin_token: str | None = None,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.clock = Clock()
        self.ids = ObjectIdFactory(self.clock, seed)
        self.store = Store(self.clock, self.ids)
        self.journal = Journal(journal_size, journal_body_limit, journal_max_bytes)
        self.faults = Faults()  # seeded fault rules (docs/control-plane.md)
        self.rate_limit = RateLimiter()  # limits of the user's choosing, off until enabled
        # Planhat's documented limits, for tenants with the setting limits="planhat"
        self.planhat_limits = RateLimiter()
        self.planhat_limits.enable(
            PLANHAT_LIMITS.per_second, PLANHAT_LIMITS.per_minute, PLANHAT_LIMITS.burst
        )
        # Required on the control plane when set, and always when listening beyond loopback.
        self.admin_token = admin_token
        self.tenant_token = tenant_token
        self.api_token = api_token
        self.persistence: StateFile | None = None
        if state_file is not None:
            from fake_planhat.persistence import StateFile

            self.persistence = StateFile(state_file, self.store)
        given = {
            name: value
            for name, value in (
                ("unassigned", unassigned),
                ("group", group),
                ("page", page),
                ("guess", guess),
                ("limits", limits),
                ("region", region),
            )
            if value is not None
        }
        restored = self.store.tenant(tenant_token)
        try:
            if restored is not None:
                settings = restored.settings.changed(**given) if given else None
            else:
                settings = TenantSettings().changed(**given)
            self.store.add_tenant(tenant_token, {api_token: "write"}, settings)
        except BaseException:
            self.close()
            raise
        self._app: Flask | None = None

    def close(self) -> None:
        """Close the state file, if any (the state stays in memory; a later write raises)."""
        if self.persistence is not None:
            self.persistence.close()

    # --- the WSGI app ---------------------------------------------------------------------

    @property
    def app(self) -> Flask:
        """The Flask app serving this fake (built on first use: Flask is imported lazily)."""
        if self._app is None:
            from fake_planhat.app import create_app

            self._app = create_app(self)
        return self._app

    # --- the doors: a socket server, or in-process interception -----------------------------

    def serve(
        self, host: str = "127.0.0.1", port: int = 0, *, threads: int | None = None
    ) -> ServerThread:
        """Serve this fake over HTTP from a background thread (``port=0``: a free port).

        Returns the started :class:`~fake_planhat.server.ServerThread` (``.url``, ``.stop()``).
        """
        from fake_planhat.server import ServerThread

        return ServerThread(self, host, port, threads=threads).start()

    def intercept(self, httpx: bool = True, requests: bool = True) -> Intercept:
        """Route httpx and requests calls to ``http(s)://*.planhat.com`` into this fake,
        in-process; use as a context manager (or ``.start()`` / ``.stop()``)."""
        from fake_planhat.transports import Intercept

        return Intercept(self, httpx=httpx, requests=requests)

    # --- tenants --------------------------------------------------------------------------

    def tenant(self, tenant_token: str | None = None) -> Tenant:
        """A tenant by its token (default: this fake's own tenant)."""
        token = tenant_token or self.tenant_token
        tenant = self.store.tenant(token)
        if tenant is None:
            raise LookupError("no tenant with that token")
        return tenant

    def add_tenant(
        self,
        tenant_token: str,
        api_token: str | None = None,
        *,
        unassigned: UnassignedPolicy = "keep",
        read_only_api_tokens: tuple[str, ...] = (),
        **settings: Any,
    ) -> Tenant:
        """Add a tenant (several tenants share one fake; each sees only its own data);
        ``settings`` are the other tenant settings (``group="upsert"``, ``region="api-eu"`` …)."""
        tokens = {t: "read" for t in read_only_api_tokens}
        if api_token is not None:
            tokens[api_token] = "write"
        chosen = TenantSettings().changed(unassigned=unassigned, **settings)
        return self.store.add_tenant(tenant_token, tokens, chosen)

    def reset(self, tenant_token: str | None = None) -> None:
        """Forget all data and journal entries, or one tenant's.

        Resetting everything also removes the fault rules and the rate limiter's usage (its
        limits stay as configured).
        """
        if tenant_token is None:
            for tenant in self.store.tenants():
                tenant.reset()
            self.faults.clear()
            self.rate_limit.reset()
            self.planhat_limits.reset()
        else:
            self.tenant(tenant_token).reset()
        self.journal.clear(tenant_token)

    # --- reading state (tests' vocabulary) --------------------------------------------------

    def endusers(self, tenant_token: str | None = None) -> list[Doc]:
        """Contacts that are endusers (assigned to a company), as the API shows them."""
        tenant = self.tenant(tenant_token)
        with tenant.lock:
            return [tenant.render_contact(c) for c in tenant.endusers()]

    def unassigned(self, tenant_token: str | None = None) -> list[Doc]:
        """Contacts waiting for a person to assign or discard them (rule P-8)."""
        tenant = self.tenant(tenant_token)
        with tenant.lock:
            return [
                tenant.render_contact(c)
                for c in (tenant.contacts.get(i) for i in tenant.unassigned)
                if c is not None
            ]

    def companies(self, tenant_token: str | None = None) -> list[Doc]:
        tenant = self.tenant(tenant_token)
        with tenant.lock:
            return [copy.deepcopy(c) for c in tenant.companies]

    def activities(self, tenant_token: str | None = None) -> list[Doc]:
        tenant = self.tenant(tenant_token)
        with tenant.lock:
            return [copy.deepcopy(a) for a in tenant.activities]

    def metrics(self, tenant_token: str | None = None) -> list[Doc]:
        tenant = self.tenant(tenant_token)
        with tenant.lock:
            return [copy.deepcopy(m) for m in tenant.metrics]

    def dump(self, tenant_token: str | None = None) -> dict[str, Any]:
        """One tenant's whole state as JSON."""
        return self.tenant(tenant_token).dump()

    def seed(self, data: Mapping[str, Any]) -> None:
        """Add tenants, tokens, settings and documents from one JSON document.

        The shape is ``{"tenants": {"<tenant token>": {...}}}`` (see
        :mod:`fake_planhat.seeding`); a tenant's :meth:`dump` is a valid tenant seed. Raises
        :class:`~fake_planhat.seeding.SeedError` (a ValueError) naming every bad item, and then
        changes nothing.
        """
        seeding.seed(self.store, data)

    # --- rule P-8: a person's actions -------------------------------------------------------

    def assign(self, contact_id: str, company: str, tenant_token: str | None = None) -> Doc:
        """Assign an unassigned contact to a company given by ``_id`` or ``extid-…``."""
        tenant = self.tenant(tenant_token)
        with tenant.lock:
            company_id = self._company_id(tenant, company)
            return tenant.render_contact(tenant.assign(contact_id, company_id))

    def discard(self, contact_id: str, tenant_token: str | None = None) -> Doc:
        """Discard an unassigned contact."""
        return self.tenant(tenant_token).discard(contact_id)

    @staticmethod
    def _company_id(tenant: Tenant, company: str) -> str:
        if company.startswith("extid-"):
            found = tenant.company_by_key(company[len("extid-") :])
            if found is None:
                raise LookupError(f"no company with externalId {company[6:]!r}")
            return str(found["_id"])
        return company

    def settings(self, tenant_token: str | None = None, **changes: Any) -> Mapping[str, Any]:
        """Read or change a tenant's settings (``unassigned``, ``group``, ``page``, ``guess``,
        ``limits``, ``region``: docs/fidelity.md); raises ValueError naming each bad one, changing
        none."""
        tenant = self.tenant(tenant_token)
        if changes:
            settings = tenant.settings.changed(**changes)
            # through the store, so a state file saves the change
            self.store.add_tenant(tenant.token, settings=settings)
        return tenant.settings.to_json()
