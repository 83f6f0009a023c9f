"""What a destination reports for one event (rules O-1 … O-5).

The exception classes carry Segment's Destination Functions names. A destination written
against another library (or another language, through an adapter) raises its own classes;
:func:`outcome_of_exception` therefore goes by class *name* along the MRO, so a same-named class
from elsewhere counts as the real thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, get_args

__all__ = [
    "OUTCOMES",
    "Delivery",
    "EventNotSupported",
    "InvalidEventPayload",
    "Outcome",
    "RetryError",
    "ValidationError",
    "outcome_of_exception",
]

# "error" = an exception other than the four escaped the destination: a defect (rule O-4).
Outcome = Literal["ok", "retry", "discard", "unsupported", "error"]
OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)


class RetryError(Exception):
    """Segment retries the event later (up to 4 h): rule O-2."""


class ValidationError(Exception):
    """Segment drops the event: bad settings (S-1) or a 4xx from Planhat (O-3)."""


class InvalidEventPayload(Exception):
    """Segment drops the event: the event itself cannot be sent (O-3)."""


class EventNotSupported(Exception):
    """Segment drops the event: this destination does not handle its type (T-3)."""


# Class name -> outcome, as Segment's Functions runtime maps them.
_BY_NAME: Final[dict[str, Outcome]] = {
    "RetryError": "retry",
    "ValidationError": "discard",
    "InvalidEventPayload": "discard",
    "EventNotSupported": "unsupported",
}


def outcome_of_exception(exc: BaseException) -> Outcome:
    """The outcome an exception stands for: the first known class name along its MRO, else
    ``"error"`` (rule O-4)."""
    for cls in type(exc).__mro__:
        outcome = _BY_NAME.get(cls.__name__)
        if outcome is not None:
            return outcome
    return "error"


@dataclass(frozen=True)
class Delivery:
    """One event's outcome as the destination reported it, with its message (for reports)."""

    outcome: Outcome
    message: str = ""

    @classmethod
    def of_exception(cls, exc: BaseException) -> Delivery:
        """The delivery an exception escaping the destination stands for."""
        text = str(exc)
        name = type(exc).__name__
        return cls(outcome_of_exception(exc), f"{name}: {text}" if text else name)
