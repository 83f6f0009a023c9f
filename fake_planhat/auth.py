"""Who is calling: Authorization headers parsed, tenants resolved, tokens never shown whole."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from dataclasses import dataclass

from fake_planhat import errors
from fake_planhat.state import REGION_PATTERN, Store, Tenant

PLANHAT_DOMAIN = ".planhat.com"


# Performance: hashing is paid two or three times a request (journal, tenant note) for the
# same few tokens; the cache is bounded, and the function pure.
@functools.lru_cache(maxsize=1024)
def fingerprint(token: str) -> str:
    """A short, stable, non-reversible name for a token: safe for logs and the journal."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()[:8]


@dataclass(frozen=True)
class Credentials:
    """A parsed Authorization header."""

    scheme: str | None  # "Basic" | "Bearer" | another word | None when absent
    token: str | None  # Basic user name or Bearer token
    password: str | None = None  # Basic only
    problem: str | None = None  # why the header could not be parsed

    def redacted(self) -> str:
        """Scheme and fingerprint: what the journal and logs show instead of the header."""
        if self.scheme is None:
            return "(none)"
        if self.token is None:
            return f"{self.scheme} (unreadable)"
        extra = "" if self.password in (None, "") else " +password"
        if self.problem is not None:  # e.g. Basic without its colon: same token, wrong header
            extra += " (malformed)"
        return f"{self.scheme} fp:{fingerprint(self.token)}{extra}"


@functools.lru_cache(maxsize=256)  # performance: the same header on every request; pure
def parse_authorization(header: str | None) -> Credentials:
    if header is None or not header.strip():
        return Credentials(None, None)
    scheme, _, rest = header.strip().partition(" ")
    rest = rest.strip()
    if scheme.lower() == "bearer":
        if not rest:
            return Credentials("Bearer", None, problem="Bearer header without a token")
        return Credentials("Bearer", rest)
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(rest, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return Credentials("Basic", None, problem="Basic credentials are not valid base64")
        if ":" not in decoded:
            return Credentials(
                "Basic",
                decoded,
                problem="Basic credentials must be base64('<token>:') with the colon; "
                "no colon was found",
            )
        user, _, password = decoded.partition(":")
        return Credentials("Basic", user, password)
    if not rest:  # one bare word, most likely a token without its scheme: never echo it
        return Credentials(
            "(no scheme)",
            scheme,
            problem="the Authorization header has no scheme; send 'Bearer <token>' or "
            "Basic base64('<token>:')",
        )
    return Credentials(scheme, None, problem=f"unknown scheme {scheme!r}; use Basic or Bearer")


def rest_tenant(store: Store, creds: Credentials, *, write: bool) -> Tenant:
    """REST routes: Bearer <API token> or Basic base64('<API token>:')."""
    how = "'Bearer <API token>' or Basic base64('<API token>:')"
    if creds.scheme is None:
        raise errors.missing_auth(how)
    if creds.problem is not None or creds.token is None:
        raise errors.bad_auth(creds.problem or "unreadable credentials")
    found = store.tenant_for_api_token(creds.token)
    if found is None:
        if store.tenant(creds.token) is not None:
            raise errors.bad_auth(
                "that is a tenant token; REST routes take an API token "
                "(tenant tokens are for /dock/segment and /analytics)"
            )
        raise errors.bad_auth(f"unknown API token (fp:{fingerprint(creds.token)})")
    tenant, scope = found
    if write and scope != "write":
        raise errors.forbidden("this API token is read-only")
    return tenant


def intake_tenant(store: Store, creds: Credentials) -> Tenant:
    """``/dock/segment``: Basic base64('<tenant token>:'), empty password (rule W-2)."""
    how = "Basic base64('<tenant token>:')"
    if creds.scheme is None:
        raise errors.missing_auth(how)
    if creds.scheme != "Basic":
        raise errors.bad_auth(f"the Segment intake takes {how}, not {creds.scheme}")
    if creds.problem is not None or creds.token is None:
        raise errors.bad_auth(creds.problem or "unreadable credentials")
    if creds.password:
        raise errors.bad_auth("the password must be empty: base64('<tenant token>:')")
    tenant = store.tenant(creds.token)
    if tenant is None:
        if store.tenant_for_api_token(creds.token) is not None:
            raise errors.bad_auth("that is an API token; the Segment intake takes the tenant token")
        raise errors.bad_auth(f"unknown tenant token (fp:{fingerprint(creds.token)})")
    return tenant


def path_tenant(store: Store, token: str) -> Tenant:
    """``/analytics/<token>`` and ``/dimensiondata/<token>``: the tenant token in the path."""
    tenant = store.tenant(token)
    if tenant is None:
        raise errors.bad_auth(f"unknown tenant token in the path (fp:{fingerprint(token)})")
    return tenant


def region_of_host(host: str) -> str | None:
    """R-10: the REST region a host names (``api-eu.planhat.com`` -> ``api-eu``), or None for a
    host that names none: ``analytics.planhat.com`` (every region) or a bare socket address."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip().lower()
    if not name.endswith(PLANHAT_DOMAIN):
        return None
    label = name[: -len(PLANHAT_DOMAIN)]
    return label if REGION_PATTERN.fullmatch(label) else None


def check_region(tenant: Tenant, host: str) -> None:
    """R-10: a tenant's tokens work only on its own region's REST host (401 elsewhere). A host
    that names no region (a socket address without ``/_region/<name>``) reaches every tenant
    (decided)."""
    region = region_of_host(host)
    if region is not None and region != tenant.settings.region:
        raise errors.wrong_region(region, tenant.settings.region)
