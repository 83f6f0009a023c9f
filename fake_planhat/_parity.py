"""``fake-planhat parity``: replay a recording of real Planhat traffic against the fake.

Every exchange of a recording (``_record.py``) is sent again, in order, to a fake, with the
fake's own tokens in place of the redacted ones; its answer is compared with Planhat's:

* **status** — the HTTP status;
* **shape** — the JSON types, an object's keys, a list's length;
* **values** — every other leaf value.

Volatile values are ignored by rule, never by position: an ``_id`` or ``__v`` field, a value
that is a generated id (24 hex digits) on both sides, and a value that is an ISO-8601
timestamp on both sides (``createDate``, ``updatedAt``, an activity's receive time …).

Each difference is labelled in the ledger's terms, so a reader knows what it means:

* **documented** — the fake follows Planhat's documents here: the recording disagrees with them
  or with the fake, worth a bug report;
* **decided** — Planhat's documents are silent and the fake decided (the recording now shows
  what Planhat does); the note names the setting that switches it, where there is one;
* **differs** — the fake knowingly differs from Planhat here.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import httpx

from fake_planhat._record import TENANT_TOKEN_PLACEHOLDER

Kind = Literal["status", "shape", "values"]
Term = Literal["documented", "decided", "differs"]
VOLATILE_KEYS = frozenset({"_id", "__v"})
GENERATED_ID = re.compile(r"[0-9a-f]{24}")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
INTAKE = re.compile(r"/(dock/segment|analytics(/.*)?)")
ENDUSER_LIST = re.compile(r"/endusers/?")


@dataclass(frozen=True)
class Difference:
    """One way the fake's answer differs from Planhat's recorded one."""

    exchange: int  # line number in the recording
    method: str
    path: str
    kind: Kind
    where: str  # a JSON path into the answer, "$" for the whole
    planhat: Any
    fake: Any
    term: Term
    note: str

    def line(self) -> str:
        return (
            f"line {self.exchange}: {self.method} {self.path}  {self.kind} at {self.where}: "
            f"Planhat {_show(self.planhat)}, fake {_show(self.fake)}  [{self.term}: {self.note}]"
        )


@dataclass
class ParityReport:
    """What a replay found: exchanges replayed and the differences, in recording order."""

    exchanges: int
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        return not self.differences

    def lines(self) -> list[str]:
        counts = {term: 0 for term in ("documented", "decided", "differs")}
        for difference in self.differences:
            counts[difference.term] += 1
        summary = (
            f"{_plural(self.exchanges, 'exchange')} replayed, "
            f"{_plural(len(self.differences), 'difference')}"
        )
        if self.differences:
            summary += " (" + ", ".join(f"{n} {term}" for term, n in counts.items() if n) + ")"
        return [*(d.line() for d in self.differences), summary]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready; a key one side lacks is left out of that side (no ``planhat``/``fake``)."""
        return {
            "exchanges": self.exchanges,
            "differences": [
                {k: v for k, v in asdict(d).items() if v is not ABSENT} for d in self.differences
            ],
        }


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, _Absent) else "(absent)"
    return text if len(text) <= 80 else text[:77] + "..."


class _Absent:
    """A key one side lacks."""

    def __repr__(self) -> str:
        return "(absent)"

    def __deepcopy__(self, memo: dict[int, Any]) -> _Absent:
        return self  # one marker, so `is ABSENT` holds in copies (dataclasses.asdict)


ABSENT = _Absent()


# --- comparing two answers ----------------------------------------------------------------


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _volatile(key: str | None, planhat: Any, fake: Any) -> bool:
    if key in VOLATILE_KEYS:
        return True
    if isinstance(planhat, str) and isinstance(fake, str):
        both = (GENERATED_ID.fullmatch(planhat), GENERATED_ID.fullmatch(fake))
        if all(both):
            return True
        return bool(TIMESTAMP.fullmatch(planhat) and TIMESTAMP.fullmatch(fake))
    return False


def compare(
    planhat: Any, fake: Any, where: str = "$", key: str | None = None
) -> Iterator[tuple[Kind, str, Any, Any]]:
    """``(kind, where, planhat, fake)`` for each difference between two JSON values."""
    if _volatile(key, planhat, fake):
        return
    if _type(planhat) != _type(fake):
        yield "shape", where, _type(planhat), _type(fake)
        return
    if isinstance(planhat, dict):
        for name in sorted(set(planhat) | set(fake), key=str):
            if name in VOLATILE_KEYS:
                continue
            if name not in fake:
                yield "shape", f"{where}.{name}", planhat[name], ABSENT
            elif name not in planhat:
                yield "shape", f"{where}.{name}", ABSENT, fake[name]
            else:
                yield from compare(planhat[name], fake[name], f"{where}.{name}", name)
        return
    if isinstance(planhat, list):
        if len(planhat) != len(fake):
            yield "shape", f"{where} (length)", len(planhat), len(fake)
        for index, (left, right) in enumerate(zip(planhat, fake, strict=False)):
            yield from compare(left, right, f"{where}[{index}]")
        return
    if planhat != fake:
        yield "values", where, planhat, fake


# --- the ledger: what a difference means ---------------------------------------------------


@dataclass(frozen=True)
class _LedgerEntry:
    term: Term
    note: str
    applies: Callable[[str, str, int, Kind], bool]  # (method, path, planhat status, kind)


# First match wins; a difference no entry claims is on a documented route: "documented".
LEDGER: tuple[_LedgerEntry, ...] = (
    _LedgerEntry(
        "decided",
        "answer bodies of the Segment intake and the tracking endpoints are undocumented by "
        "Planhat; the fake's are decided",
        lambda method, path, status, kind: bool(INTAKE.fullmatch(path)) and kind != "status",
    ),
    _LedgerEntry(
        "decided",
        "Planhat documents no error body; the fake's {status, error, message} shape is decided",
        lambda method, path, status, kind: status >= 400 and kind != "status",
    ),
    _LedgerEntry(
        "differs",
        "the fake applies no rate limit unless switched on (rule R-9, decided): "
        "POST /_fake/ratelimit",
        lambda method, path, status, kind: kind == "status" and status == 429,
    ),
    _LedgerEntry(
        "decided",
        "contacts created without a company wait unassigned and GET /endusers does not list "
        "them until a person assigns them (rule P-8); the tenant setting `unassigned` "
        "(keep | discard) switches what the fake does: try `--setting unassigned=discard`",
        lambda method, path, status, kind: method == "GET" and bool(ENDUSER_LIST.fullmatch(path)),
    ),
)


def classify(method: str, path: str, status: int, kind: Kind) -> tuple[Term, str]:
    """The ledger's term for a difference, and what it means."""
    for entry in LEDGER:
        if entry.applies(method, path, status, kind):
            return entry.term, entry.note
    return "documented", "the fake follows Planhat's documents here: check the recording"


# --- replaying -----------------------------------------------------------------------------


def _request_of(
    exchange: Mapping[str, Any], tenant_token: str, api_token: str
) -> tuple[str, str, dict[str, str], bytes]:
    request = exchange["request"]
    path = str(request["path"]).replace(TENANT_TOKEN_PLACEHOLDER, tenant_token)
    query = request.get("query") or ""
    headers: dict[str, str] = {}
    auth = request.get("auth")
    if isinstance(auth, Mapping):
        if auth.get("role") == "tenant":
            token = base64.b64encode(f"{tenant_token}:".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        elif auth.get("role") == "api":
            headers["Authorization"] = f"Bearer {api_token}"
        else:  # Planhat refused it too: send something equally unreadable
            headers["Authorization"] = f"{auth.get('scheme', 'Basic')} not-a-token"
    if isinstance(request.get("contentType"), str):
        headers["Content-Type"] = request["contentType"]
    body = str(request.get("body", "")).encode("utf-8")
    return str(request["method"]), path + (f"?{query}" if query else ""), headers, body


def _answer_body(response: httpx.Response) -> Any:
    if "json" in response.headers.get("content-type", "").lower():
        try:
            return response.json()
        except ValueError:
            pass
    return response.text


def replay(
    exchanges: Sequence[tuple[int, Mapping[str, Any]]],
    base_url: str,
    *,
    tenant_token: str,
    api_token: str,
    client: httpx.Client | None = None,
) -> ParityReport:
    """Send each recorded request to the fake at ``base_url`` and compare the answers."""
    own = client is None
    http = client or httpx.Client(timeout=30.0)
    differences: list[Difference] = []
    try:
        for number, exchange in exchanges:
            method, target, headers, body = _request_of(exchange, tenant_token, api_token)
            answer = http.request(
                method, base_url.rstrip("/") + target, headers=headers, content=body
            )
            recorded = exchange["response"]
            status = int(recorded["status"])
            shown_path = str(exchange["request"]["path"])
            found: list[tuple[Kind, str, Any, Any]] = []
            if answer.status_code != status:
                found.append(("status", "$", status, answer.status_code))
            found += compare(recorded.get("body"), _answer_body(answer))
            for kind, where, planhat, fake in found:
                term, note = classify(method, shown_path, status, kind)
                differences.append(
                    Difference(number, method, shown_path, kind, where, planhat, fake, term, note)
                )
    finally:
        if own:
            http.close()
    return ParityReport(len(exchanges), differences)
