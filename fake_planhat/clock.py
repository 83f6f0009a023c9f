"""The fake's sense of time: the wall clock, or a frozen one tests move by hand."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def iso(moment: datetime) -> str:
    """Planhat's timestamp format: ISO-8601 UTC with milliseconds and ``Z``."""
    # Performance: isoformat is faster than strftime (a timestamp or two per request); in UTC
    # with milliseconds it ends in "+00:00", which becomes the "Z".
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def parse_instant(text: str) -> datetime:
    """Parse an ISO-8601 instant as the control plane accepts it (``Z`` or an offset)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class Clock:
    """Wall time unless frozen; a frozen clock only moves when :meth:`advance` is called."""

    def __init__(self) -> None:
        self._frozen_at: datetime | None = None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._frozen_at if self._frozen_at is not None else datetime.now(UTC)

    def now_iso(self) -> str:
        return iso(self.now())

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, at: datetime | str | None = None) -> datetime:
        """Stop time at ``at`` (default: now) and return the frozen instant."""
        if isinstance(at, str):
            at = parse_instant(at)
        with self._lock:
            base = at if at is not None else (self._frozen_at or datetime.now(UTC))
            self._frozen_at = base.astimezone(UTC)
            return self._frozen_at

    def advance(self, seconds: float) -> datetime:
        """Move a frozen clock forward (freezing it at now first if it was running)."""
        with self._lock:
            base = self._frozen_at if self._frozen_at is not None else datetime.now(UTC)
            self._frozen_at = base + timedelta(seconds=seconds)
            return self._frozen_at

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen_at = None
