"""``FakePlanhat``: the one object behind every door (socket server, respx, responses, pytest)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from fake_planhat.clock import Clock
from fake_planhat.ids import ObjectIdFactory
from fake_planhat.journal import DEFAULT_BODY_LIMIT, DEFAULT_MAX_ENTRIES, Journal
from fake_planhat.state import (
    DEFAULT_API_TOKEN,
    DEFAULT_TENANT_TOKEN,
    Doc,
    Store,
    Tenant,
    TenantSettings,
    UnassignedPolicy,
)

if TYPE_CHECKING:
    from flask import Flask


class FakePlanhat:
    """A Planhat stand-in: tenants and their state, a request journal and a virtual clock.

    One default tenant is created from ``tenant_token`` (for ``/dock/segment`` and
    ``/analytics/<token>``) and ``api_token`` (for the REST API).
    """

    def __init__(
        self,
        *,
        tenant_token: str = DEFAULT_TENANT_TOKEN,
        api_token: str = DEFAULT_API_TOKEN,
        unassigned: UnassignedPolicy = "keep",
        seed: int | None = None,
        journal_size: int = DEFAULT_MAX_ENTRIES,
        journal_body_limit: int = DEFAULT_BODY_LIMIT,
    ) -> None:
        self.clock = Clock()
        self.ids = ObjectIdFactory(self.clock, seed)
        self.store = Store(self.clock, self.ids)
        self.journal = Journal(journal_size, journal_body_limit)
        self.tenant_token = tenant_token
        self.api_token = api_token
        self.store.add_tenant(
            tenant_token, {api_token: "write"}, TenantSettings(unassigned=unassigned)
        )
        self._app: Flask | None = None

    # --- the WSGI app ---------------------------------------------------------------------

    @property
    def app(self) -> Flask:
        """The Flask app serving this fake (built on first use: Flask is imported lazily)."""
        if self._app is None:
            from fake_planhat.app import create_app

            self._app = create_app(self)
        return self._app

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
    ) -> Tenant:
        """Add a tenant (several tenants share one fake; each sees only its own data)."""
        tokens = {t: "read" for t in read_only_api_tokens}
        if api_token is not None:
            tokens[api_token] = "write"
        return self.store.add_tenant(tenant_token, tokens, TenantSettings(unassigned=unassigned))

    def reset(self, tenant_token: str | None = None) -> None:
        """Forget all data and journal entries, or one tenant's."""
        if tenant_token is None:
            for tenant in self.store.tenants():
                tenant.reset()
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
            return [dict(c) for c in tenant.companies]

    def activities(self, tenant_token: str | None = None) -> list[Doc]:
        tenant = self.tenant(tenant_token)
        with tenant.lock:
            return [dict(a) for a in tenant.activities]

    def metrics(self, tenant_token: str | None = None) -> list[Doc]:
        tenant = self.tenant(tenant_token)
        with tenant.lock:
            return [dict(m) for m in tenant.metrics]

    def dump(self, tenant_token: str | None = None) -> dict[str, Any]:
        """One tenant's whole state as JSON."""
        return self.tenant(tenant_token).dump()

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
        """Read or change a tenant's settings (``unassigned="discard"``)."""
        tenant = self.tenant(tenant_token)
        if "unassigned" in changes:
            if changes["unassigned"] not in ("keep", "discard"):
                raise ValueError("unassigned must be 'keep' or 'discard'")
            tenant.settings.unassigned = changes.pop("unassigned")
        if changes:
            raise ValueError(f"unknown settings: {', '.join(sorted(changes))}")
        return tenant.settings.to_json()
