"""What every Planhat route needs: the fake, the caller's tenant, a checked JSON body, list
parameters, and notes for the journal."""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any

from flask import Response, current_app, g, request

from fake_planhat import auth, errors
from fake_planhat.planhat._engine import ListParams, page
from fake_planhat.planhat._rules import find_key, split_key
from fake_planhat.state import Tenant

__all__ = ["ListParams", "find_key", "page", "split_key"]  # kept here for the other routes

if TYPE_CHECKING:
    from fake_planhat.fake import FakePlanhat

# Body limits per route family (documented in docs/contract.md). Planhat documents 32 MB on the
# analytics routes; Segment events are at most 32 KB, so the intake's 1 MiB leaves ample room.
LIMIT_ANALYTICS = 32 * 1024 * 1024
LIMIT_REST = 32 * 1024 * 1024
LIMIT_INTAKE = 1024 * 1024
BULK_MAX_ITEMS = 5000  # analytics bulk (the REST objects' bulk limit is declared with them)
MAX_JSON_DEPTH = 64
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
DELETED_ANSWER = {"n": 1, "ok": 1, "deletedCount": 1}  # Planhat's answer to a DELETE


def fake() -> FakePlanhat:
    return current_app.extensions["fake_planhat"]  # type: ignore[no-any-return]


def credentials() -> auth.Credentials:
    creds: auth.Credentials | None = g.get("credentials")
    if creds is None:
        creds = auth.parse_authorization(request.headers.get("Authorization"))
        g.credentials = creds
    return creds


def note(**fields: Any) -> None:
    """Tell the journal something about this request (tenant, messageId, outcome …)."""
    notes: dict[str, Any] = g.setdefault("journal_note", {})
    notes.update(fields)


def _bind(tenant: Tenant) -> Tenant:
    note(tenant=auth.fingerprint(tenant.token))
    g.tenant = tenant
    return tenant


def rest_tenant(*, write: bool) -> Tenant:
    return _bind(auth.rest_tenant(fake().store, credentials(), write=write))


def intake_tenant() -> Tenant:
    return _bind(auth.intake_tenant(fake().store, credentials()))


def path_tenant(token: str) -> Tenant:
    return _bind(auth.path_tenant(fake().store, token))


def _too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _NumberOutOfRange(ValueError):
    """A JSON number Python would turn into infinity (``1e400``) or cannot convert."""


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):  # stored, it would answer the non-JSON ``Infinity`` forever after
        raise _NumberOutOfRange(text)
    return value


def _convertible_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:  # more digits than sys.get_int_max_str_digits() allows
        raise _NumberOutOfRange(text) from None
    # 10**309 and beyond cannot become a float: sorting or rate arithmetic would fail on it.
    if len(text) > 308:
        try:
            float(value)
        except OverflowError:
            raise _NumberOutOfRange(text) from None
    return value


def _has_lone_surrogate(value: Any) -> bool:
    """Whether a string or key holds a lone UTF-16 surrogate (JSON's ``"\\ud800"``), which
    cannot be encoded as UTF-8: answering such a document would fail."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JsonProblem(ValueError):
    """Why bytes are not an acceptable JSON document; each caller words it in its own shape
    (Planhat's errors on Planhat routes, plain words on the control plane)."""

    def __init__(self, kind: str, detail: str, plain: str) -> None:
        super().__init__(plain)
        self.kind = kind  # "utf8" | "syntax" | "depth" | "number" | "surrogate"
        self.detail = detail
        self.plain = plain


def parse_json(data: bytes) -> Any:
    """Strict JSON from bytes: UTF-8, no NaN/Infinity, finite numbers, at most
    :data:`MAX_JSON_DEPTH` levels, no lone surrogates (they could never be answered as UTF-8)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonProblem("utf8", str(exc.start), f"not valid UTF-8 at byte {exc.start}") from None
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_convertible_int,
        )
    except RecursionError:
        raise JsonProblem("depth", "", f"nested deeper than {MAX_JSON_DEPTH} levels") from None
    except _NumberOutOfRange as exc:
        raise JsonProblem("number", str(exc), f"the number {exc} is out of range") from None
    except ValueError as exc:
        raise JsonProblem("syntax", str(exc), str(exc)) from None
    # Performance: walking the document costs ~8 µs a request. A value inside n containers
    # is at depth n + 1, so a text with fewer opening brackets than the limit cannot be too deep.
    if text.count("{") + text.count("[") >= MAX_JSON_DEPTH and _too_deep(value):
        raise JsonProblem("depth", "", f"nested deeper than {MAX_JSON_DEPTH} levels")
    # Only a \u escape can make a surrogate (the text is valid UTF-8): walk only then.
    if SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value):
        raise JsonProblem("surrogate", "", "a string holds a lone UTF-16 surrogate (\\ud800…)")
    return value


def _planhat_json_error(problem: JsonProblem) -> errors.PlanhatError:
    if problem.kind == "utf8":
        return errors.bad_request(f"The request body is not valid UTF-8 at byte {problem.detail}")
    if problem.kind == "depth":
        return errors.bad_request(f"The JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
    if problem.kind == "number":
        return errors.number_out_of_range(problem.detail)
    if problem.kind == "surrogate":
        return errors.lone_surrogate()
    return errors.invalid_json(problem.detail)


def read_json(limit: int, route_name: str) -> Any:
    """The request body as JSON: checked for size, media type, encoding, syntax and depth."""
    length = request.content_length
    if length is not None and length > limit:
        raise errors.payload_too_large(limit, route_name)
    data = request.get_data(cache=True)
    if len(data) > limit:
        raise errors.payload_too_large(limit, route_name)
    if not data.strip():
        raise errors.bad_request("The request body is empty; send a JSON document")
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise errors.unsupported_media_type(request.headers.get("Content-Type"))
    try:
        value = parse_json(data)
    except JsonProblem as problem:
        raise _planhat_json_error(problem) from None
    return value


def require_object(value: Any, where: str = "The request body") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise errors.wrong_type(where, "a JSON object", value)
    return value


def require_array(value: Any, where: str = "The request body") -> list[Any]:
    if not isinstance(value, list):
        raise errors.wrong_type(where, "a JSON array", value)
    return value


def json_response(data: Any, status: int = 200) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json")


# --- lists: limit, offset, sort, select ------------------------------------------------------


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.bad_request(
            f"Query parameter {name} must be a whole number, got {raw!r}"
        ) from None
    if value < 0:
        raise errors.bad_request(f"Query parameter {name} must not be negative, got {value}")
    return value


def list_params(max_limit: int, default_limit: int = 100) -> ListParams:
    """Planhat's list parameters; a ``limit`` above the route's maximum is capped, as Planhat
    does."""
    limit = min(_int_arg("limit", default_limit), max_limit)
    offset = _int_arg("offset", 0)
    sort = request.args.get("sort") or None
    raw_select = request.args.get("select")
    select = None
    if raw_select:
        select = tuple(f.strip() for f in raw_select.split(",") if f.strip())
    return ListParams(limit, offset, sort, select)
