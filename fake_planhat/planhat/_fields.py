"""Field checks: how a known field of a REST body is checked and stored.

Each check takes the field's name and the value as sent and returns the value to store, or
raises a 400 naming the field. Decided where Planhat's documentation is silent:

- an identifier (``externalId``, ``sourceId``) sent as a number is stored as its decimal string,
  as Mongoose casts it; any other wrong JSON type for a known field is a 400 naming the field;
- ``custom: null`` and ``tags: null`` are taken as empty, so ``custom`` is always an object;
- unknown top-level fields are stored as sent (Planhat is schemaless beyond its known fields).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fake_planhat import errors
from fake_planhat.state import id_key

# Bookkeeping fields Planhat sets itself; a body that sends them back has them ignored.
BOOKKEEPING = frozenset({"_id", "createDate", "updatedAt", "__v"})

# (field name, value as sent) -> value to store; raises a 400 naming the field.
FieldCheck = Callable[[str, Any], Any]


def _field(name: str) -> str:
    return f"The field {name!r}"


def text(name: str, value: Any) -> str | None:
    """A string field; null clears it."""
    if value is None or isinstance(value, str):
        return value
    raise errors.wrong_type(_field(name), "a string or null", value)


def identifier(name: str, value: Any) -> str | None:
    """``externalId`` / ``sourceId``: a string; a number is cast to its decimal string."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        cast = id_key(value)
        if cast is not None:
            return cast
    raise errors.wrong_type(_field(name), "a string (or a number, stored as text) or null", value)


def reference(name: str, value: Any) -> str | None:
    """A reference such as ``companyId``: ``_id``, ``extid-<externalId>`` or ``srcid-<sourceId>``
    (resolved by the engine, which also decides whether null is allowed)."""
    if value is None or (isinstance(value, str) and value.strip()):
        return value
    raise errors.wrong_type(
        _field(name), "a non-empty string: an _id, extid-<externalId> or srcid-<sourceId>", value
    )


def references(name: str, value: Any) -> list[str]:
    """A list of references (an issue's ``companyIds``); null is taken as empty."""
    if value is None:
        return []
    if isinstance(value, list):
        for element in value:
            if not (isinstance(element, str) and element.strip()):
                raise errors.wrong_type(
                    f"Each element of {_field(name)}", "a non-empty string (a key)", element
                )
        return value
    raise errors.wrong_type(_field(name), "an array of keys", value)


def flag(name: str, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise errors.wrong_type(_field(name), "a boolean or null", value)


def number(name: str, value: Any) -> int | float | None:
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    raise errors.wrong_type(_field(name), "a number or null", value)


def string_list(name: str, value: Any) -> list[str]:
    """``tags``, ``domains``: an array of strings; null is taken as empty."""
    if value is None:
        return []
    if isinstance(value, list):
        for element in value:
            if not isinstance(element, str):
                raise errors.wrong_type(f"Each element of {_field(name)}", "a string", element)
        return value
    raise errors.wrong_type(_field(name), "an array of strings", value)


def custom_object(name: str, value: Any) -> dict[str, Any]:
    """``custom``: always an object; null is taken as {} (clients must never see it null)."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    raise errors.wrong_type(_field(name), "an object", value)


def nonempty_text(subject: str) -> FieldCheck:
    """A string field the object cannot be without (a company's ``name``)."""

    def check(name: str, value: Any) -> str:
        if isinstance(value, str) and value.strip():
            return value
        if value is None or isinstance(value, str):
            raise errors.missing_field(name, subject, "a non-empty string")
        raise errors.wrong_type(_field(name), "a non-empty string", value)

    return check


@dataclass(frozen=True)
class Schema:
    """An object's known fields with their checks, and the computed fields writes ignore."""

    fields: Mapping[str, FieldCheck]
    computed: frozenset[str] = frozenset()

    def clean(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The fields of a body to store: read-only ones dropped, known ones checked, unknown
        ones kept as sent."""
        cleaned: dict[str, Any] = {}
        for name, value in body.items():
            if name in BOOKKEEPING or name in self.computed:
                continue
            check = self.fields.get(name)
            cleaned[name] = check(name, value) if check is not None else value
        return cleaned
