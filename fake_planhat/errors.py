"""Every error the fake answers, and its words, in one place.

Planhat routes answer ``{"status": <code>, "error": "<reason phrase>", "message": "<what was
wrong and what to do>"}`` (Planhat's own error bodies are undocumented; this shape is decided and
documented in docs/contract.md). The control plane answers in plain words: ``{"error": "..."}``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


class PlanhatError(Exception):
    """An answer with a 4xx/5xx status on a Planhat route."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        near_miss: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.near_miss = near_miss or []

    def body(self) -> dict[str, Any]:
        return planhat_body(self.status, self.message, self.near_miss)


class ControlPlaneError(Exception):
    """An answer with a 4xx status on the control plane (plain words, not Planhat's shape)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": self.message}


def planhat_body(status: int, message: str, near_miss: list[str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": status,
        "error": reason_phrase(status),
        "message": message,
    }
    if near_miss:
        body["nearMiss"] = near_miss
    return body


# --- the words -------------------------------------------------------------------------------


def bad_request(message: str) -> PlanhatError:
    return PlanhatError(400, message)


def invalid_json(detail: str) -> PlanhatError:
    return PlanhatError(400, f"The request body is not valid JSON: {detail}")


def number_out_of_range(number: str) -> PlanhatError:
    shown = number if len(number) <= 40 else f"{number[:20]}… ({len(number)} characters)"
    return PlanhatError(
        400,
        f"The number {shown} in the request body is out of range: it is too large for a "
        "double-precision number or has too many digits; send a smaller number or a string",
    )


def lone_surrogate() -> PlanhatError:
    return PlanhatError(
        400,
        "The request body holds a lone UTF-16 surrogate (a \\uD800-\\uDFFF escape without its "
        "pair), which is not valid Unicode text; send the character itself or a complete pair",
    )


def bulk_all_failed(count: int) -> str:
    return f"All {count} items failed: see createdErrors and updatedErrors"


def duplicated_in_request(field_name: str, value: Any, first: int) -> PlanhatError:
    """R-3: a key repeated within one bulk request fails for the repeats."""
    return PlanhatError(
        400, f"{field_name} duplicated: {value!r} was already sent by item {first} of this request"
    )


def bulk_forbidden(count: int) -> str:
    return (
        f"Forbidden: this API token is read-only, so none of the {count} items was written; "
        "see permissionErrors"
    )


def wrong_type(where: str, expected: str, got: Any) -> PlanhatError:
    return PlanhatError(400, f"{where} must be {expected}, got {json_type(got)}")


def missing_field(field_name: str, subject: str, expected: str) -> PlanhatError:
    return PlanhatError(400, f"The field {field_name!r} of {subject} is required: {expected}")


def too_many_items(count: int, limit: int, route: str) -> PlanhatError:
    return PlanhatError(
        400,
        f"{route} takes at most {limit} items per request, got {count}; "
        "split the array into several requests",
    )


def bad_query_param(name: str, expected: str, raw: str) -> PlanhatError:
    return PlanhatError(400, f"Query parameter {name} must be {expected}, got {raw!r}")


# Per-item problems answered inside a 200 (POST /dimensiondata's "errors" list).

# Problems listed in one answer: a 2 MB body of tiny bad items once answered 66 MB. Beyond the
# limit the answer says how many there were in all (``errorsTotal``), so it stays proportional
# to the request (decided; docs/security.md).
MAX_LISTED_ITEM_ERRORS = 100


def listed_item_errors(problems: list[Any]) -> dict[str, Any]:
    """The ``errors`` member of an answer (the first :data:`MAX_LISTED_ITEM_ERRORS`), with
    ``errorsTotal`` when some were left out."""
    if len(problems) <= MAX_LISTED_ITEM_ERRORS:
        return {"errors": problems}
    return {"errors": problems[:MAX_LISTED_ITEM_ERRORS], "errorsTotal": len(problems)}


def item_wrong_type(field_name: str, expected: str, got: Any) -> str:
    return f"{field_name} must be {expected}, got {json_type(got)}"


def item_missing(field_name: str, expected: str) -> str:
    return f"{field_name} is required: {expected}"


def item_not_found(model: str, external_id: str) -> str:
    return f"no {model} with externalId {external_id!r}"


def missing_auth(how: str) -> PlanhatError:
    return PlanhatError(401, f"Missing Authorization header: this route takes {how}")


def bad_auth(problem: str) -> PlanhatError:
    return PlanhatError(401, f"Unauthorized: {problem}")


def forbidden(problem: str) -> PlanhatError:
    return PlanhatError(403, f"Forbidden: {problem}")


def not_found(what: str) -> PlanhatError:
    return PlanhatError(404, f"Not found: {what}")


def duplicated_key(subject: str, field_name: str, value: Any, scope: str) -> PlanhatError:
    return PlanhatError(
        400, f"Duplicated key: {subject} with {field_name} {value!r} already exists {scope}"
    )


def unknown_reference(field_name: str, value: str, model: str) -> PlanhatError:
    return PlanhatError(
        400,
        f"{field_name} {value!r} names no {model} of this tenant; send the {model}'s _id, "
        "extid-<externalId> or srcid-<sourceId>, and create it first if it is new",
    )


def id_not_insertable(model: str, value: str) -> PlanhatError:
    return PlanhatError(
        404,
        f"No {model} with _id {value!r}; Planhat assigns _id on insert, so leave it out "
        "(or match on sourceId or externalId) to create one",
    )


def unknown_route(method: str, path: str, near: list[str]) -> PlanhatError:
    hint = f"; did you mean {', '.join(near)}?" if near else ""
    return PlanhatError(404, f"No route {method} {path}{hint}", near_miss=near)


def method_not_allowed(method: str, path: str, allowed: list[str]) -> PlanhatError:
    return PlanhatError(
        405,
        f"{method} is not allowed on {path}; allowed: {', '.join(allowed)}",
        headers={"Allow": ", ".join(allowed)},
    )


def payload_too_large(limit: int, route: str) -> PlanhatError:
    return PlanhatError(413, f"The request body exceeds {limit} bytes, the limit of {route}")


def unsupported_media_type(content_type: str | None) -> PlanhatError:
    got = content_type or "no Content-Type"
    return PlanhatError(415, f"Expected Content-Type: application/json, got {got}")


def too_many_requests(retry_after: int, message: str | None = None) -> PlanhatError:
    return PlanhatError(
        429,
        message or f"Too many requests: retry after {retry_after} s",
        headers={"Retry-After": str(retry_after)},
    )


def injected_fault(status: int, rule: str, retry_after: int | None = None) -> PlanhatError:
    """An error answer a fault rule asked for (``fake.faults`` / ``POST /_fake/faults``)."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return PlanhatError(status, f"Injected fault: {rule}", headers=headers)


def rate_limited(per_second: int, per_minute: int, burst: int, retry_after: int) -> PlanhatError:
    return too_many_requests(
        retry_after,
        f"Rate limit exceeded: a tenant may make {per_minute} REST calls a minute, in bursts of "
        f"up to {burst} refilled at {per_second} a second; retry after {retry_after} s",
    )


def internal_error() -> PlanhatError:
    return PlanhatError(
        500, "Internal error in fake-planhat (see the server log); please report it"
    )


def json_type(value: Any) -> str:
    """JSON's name for a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def reason_phrase(status: int) -> str:
    """The status's reason phrase; codes Python does not know (a fault's 520) get a generic one."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Client Error" if status < 500 else "Server Error"


# --- the control plane's words (plain {"error": ...}) -----------------------------------------


def control_bad_request(message: str) -> ControlPlaneError:
    return ControlPlaneError(400, message)


def control_not_found(message: str) -> ControlPlaneError:
    return ControlPlaneError(404, message)


def control_conflict(message: str) -> ControlPlaneError:
    return ControlPlaneError(409, message)


def control_invalid_json(detail: str) -> ControlPlaneError:
    return ControlPlaneError(400, f"the request body is not valid JSON: {detail}")


def control_unknown_tenant(token_fp: str) -> ControlPlaneError:
    return ControlPlaneError(
        404, f"no tenant with that token (fp:{token_fp}); add it with POST /_fake/tenants"
    )


def control_http_error(status: int, description: str, method: str, path: str) -> ControlPlaneError:
    """Routing errors on the control plane (unknown endpoint, wrong method) in plain words."""
    if status == 404:
        description = f"no control-plane endpoint {method} {path}; see docs/control-plane.md"
    elif status == 405:
        description = f"{method} is not allowed on {path}; see docs/control-plane.md"
    return ControlPlaneError(status, description)


def admin_token_missing() -> ControlPlaneError:
    return ControlPlaneError(
        401,
        "the control plane needs the admin token: send 'Authorization: Bearer <admin token>' "
        "or 'X-Admin-Token: <admin token>'",
    )


def admin_token_wrong() -> ControlPlaneError:
    return ControlPlaneError(401, "wrong admin token")


def control_plane_closed() -> ControlPlaneError:
    return ControlPlaneError(
        403,
        "the control plane is closed: set an admin token (FakePlanhat(admin_token=...)) and "
        "send it as 'Authorization: Bearer <admin token>'; the fake listens beyond loopback, "
        "so it does not open its control plane without one",
    )


def control_foreign_host(host: str) -> ControlPlaneError:
    shown = host if len(host) <= 80 else host[:80] + "…"
    return ControlPlaneError(
        403,
        f"the control plane does not answer for the host {shown!r}: it answers loopback names "
        "(localhost, 127.0.0.1, [::1], *.localhost), the address it listens on and names given "
        "with 'fake-planhat serve --allowed-host NAME' (this keeps DNS rebinding out)",
    )


def control_cross_site(evidence: str) -> ControlPlaneError:
    return ControlPlaneError(
        403,
        f"refused a write from another site or port ({evidence}): the control plane and the "
        "dashboard only take writes from their own pages or from programs that send no Origin",
    )


def control_not_json(content_type: str | None) -> ControlPlaneError:
    got = content_type or "no Content-Type"
    return ControlPlaneError(
        415, f"the control plane takes JSON bodies: send Content-Type: application/json, got {got}"
    )


def dashboard_bad_csrf() -> ControlPlaneError:
    return ControlPlaneError(
        403,
        "the form's CSRF token is missing or stale: reload the dashboard and send the form again",
    )


# --- the dashboard's words (shown on its HTML error page) ------------------------------------


def dashboard_unknown_query(name: str, allowed: tuple[str, ...]) -> ControlPlaneError:
    return ControlPlaneError(
        400, f"unknown query parameter {name!r}; the dashboard takes: {', '.join(allowed)}"
    )


def dashboard_bad_number(name: str, raw: str, minimum: int, maximum: int) -> ControlPlaneError:
    return ControlPlaneError(
        400, f"{name} must be a whole number from {minimum} to {maximum}, got {raw!r}"
    )


def dashboard_bad_tenant() -> ControlPlaneError:
    return ControlPlaneError(
        400,
        "tenant must be a fingerprint such as fp:11e594f4 (the dashboard never puts tenant "
        "tokens in its addresses)",
    )


def dashboard_unknown_tenant(token_fp: str) -> ControlPlaneError:
    return ControlPlaneError(404, f"no tenant has the fingerprint fp:{token_fp}")


def dashboard_missing_company() -> ControlPlaneError:
    return ControlPlaneError(400, "pick the company to assign the contact to")


def wrong_region(host_region: str, tenant_region: str) -> PlanhatError:
    """R-10: Planhat answers a token sent to another region's host with 401."""
    return PlanhatError(
        401,
        f"Unauthorized request: you may be using an incorrect region. This host serves region "
        f"{host_region!r}; the token's tenant lives in {tenant_region!r} "
        f"(https://{tenant_region}.planhat.com)",
    )
