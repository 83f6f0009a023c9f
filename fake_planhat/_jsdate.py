"""Dates as JavaScript's ``Date.parse`` reads them (rule R-7: Planhat takes any date string
JavaScript parses, 2017 API docs).

Planhat runs on Node, whose ``Date.parse`` (V8) accepts ISO-8601, RFC 2822 / RFC 1123 and a
family of loose "month-name" and slash forms. The fake accepts the forms below, a decided
subset that covers what clients send (ISO strings, ``Date.toString()``/``toUTCString()``
output, ``2016/11/01``, ``11/01/2016``, ``November 1, 2016``); numbers are epoch milliseconds.
A string outside it is reported as unusable, never guessed at.
"""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime
from typing import Any

# Date.toString(): "Tue Nov 01 2016 10:00:00 GMT+0100 (Central European Standard Time)"
_TO_STRING = re.compile(
    r"(?:[A-Za-z]{3} )?([A-Za-z]{3}) (\d{1,2}) (\d{4})(?: (\d{1,2}:\d{2}(?::\d{2})?))?"
    r"(?: GMT([+-]\d{4}))?(?: \(.*\))?"
)
_LOOSE_FORMATS = (
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%m/%d/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%B %d, %Y",
    "%B %d, %Y %H:%M:%S",
    "%b %d, %Y",
    "%b %d, %Y %H:%M:%S",
    "%B %d %Y",
    "%b %d %Y",
    "%d %B %Y",
    "%d %b %Y",
    "%d %B %Y %H:%M:%S",
    "%d %b %Y %H:%M:%S",
)
# JavaScript Dates hold +-8.64e15 ms around the epoch; Python's datetime stops at year 9999.
_MAX_MS = 8.64e15


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(text: str) -> datetime | None:
    try:
        return _utc(datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00")))
    except ValueError:
        return None


def _rfc2822(text: str) -> datetime | None:
    try:
        return _utc(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def _to_string(text: str) -> datetime | None:
    match = _TO_STRING.fullmatch(text)
    if match is None:
        return None
    month, day, year, clock, offset = match.groups()
    clock = clock or "00:00:00"
    form = "%b %d %Y %H:%M:%S" if clock.count(":") == 2 else "%b %d %Y %H:%M"
    try:
        moment = datetime.strptime(f"{month} {day} {year} {clock}", form)
    except ValueError:
        return None
    if offset is None:
        return _utc(moment)
    return _iso(moment.isoformat() + offset[:3] + ":" + offset[3:])


def _loose(text: str) -> datetime | None:
    for form in _LOOSE_FORMATS:
        try:
            return _utc(datetime.strptime(text, form))
        except ValueError:
            continue
    return None


def parse_js_date(value: Any) -> datetime | None:
    """The UTC instant of ``value`` as ``new Date(value)`` reads it, or None when JavaScript
    would give an Invalid Date (or the form is outside the decided subset)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if value != value or abs(value) > _MAX_MS:
            return None
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    if not text:
        return None
    for reader in (_iso, _to_string, _rfc2822, _loose):
        try:
            moment = reader(text)
        except (ValueError, OverflowError, TypeError, IndexError):
            # the form matched but the instant is past Python's datetime range (year 9999
            # with a negative offset, say): unusable, not something for the next reader
            return None
        if moment is not None:
            return moment
    return None
