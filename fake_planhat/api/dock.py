"""``POST /dock/segment``: Planhat's Segment intake (CONTRACT §4, rules P-1 … P-11)."""

from __future__ import annotations

from flask import Blueprint, Response

from fake_planhat import errors, intake
from fake_planhat.api.common import (
    LIMIT_INTAKE,
    intake_tenant,
    json_response,
    note,
    read_json,
    require_object,
)

bp = Blueprint("dock", __name__)

# Envelope members that must be objects when present (null is taken as absent).
OBJECT_MEMBERS = ("traits", "context", "properties", "integrations")


@bp.post("/dock/segment")
def segment() -> Response:
    """One Segment message; ignored and dropped messages still answer 200 (P-11)."""
    tenant = intake_tenant()
    message = require_object(read_json(LIMIT_INTAKE, "/dock/segment"), "A Segment message")
    message_id = message.get("messageId")
    if isinstance(message_id, str):
        note(message_id=message_id)
    kind = message.get("type")
    if kind is not None and not isinstance(kind, str):
        raise errors.wrong_type("The message's type", "a string", kind)
    for member in OBJECT_MEMBERS:
        value = message.get(member)
        if value is not None and not isinstance(value, dict):
            raise errors.wrong_type(f"The message's {member}", "an object", value)
    outcome = intake.apply_message(tenant, message)
    note(outcome=outcome)
    return json_response({"ok": True, "result": outcome.status})
