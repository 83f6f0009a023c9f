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
        "error": HTTPStatus(status).phrase,
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


def wrong_type(where: str, expected: str, got: Any) -> PlanhatError:
    return PlanhatError(400, f"{where} must be {expected}, got {json_type(got)}")


def missing_auth(how: str) -> PlanhatError:
    return PlanhatError(401, f"Missing Authorization header: this route takes {how}")


def bad_auth(problem: str) -> PlanhatError:
    return PlanhatError(401, f"Unauthorized: {problem}")


def forbidden(problem: str) -> PlanhatError:
    return PlanhatError(403, f"Forbidden: {problem}")


def not_found(what: str) -> PlanhatError:
    return PlanhatError(404, f"Not found: {what}")


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
