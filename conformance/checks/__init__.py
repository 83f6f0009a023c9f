"""The check machinery: the observed run, the one :class:`Verdict`, and the registry in which
each rule of :mod:`conformance.contract` registers its check."""

from __future__ import annotations

from conformance.checks._model import (
    NOT_APPLICABLE,
    PASS,
    Attempt,
    Run,
    SentRequest,
    Verdict,
    VerdictStatus,
    fail,
)
from conformance.checks._registry import (
    CHECKS,
    Check,
    all_of,
    check,
    each_attempt,
    first,
    kind,
    run_checks,
)

__all__ = [
    "CHECKS",
    "NOT_APPLICABLE",
    "PASS",
    "Attempt",
    "Check",
    "Run",
    "SentRequest",
    "Verdict",
    "VerdictStatus",
    "all_of",
    "check",
    "each_attempt",
    "fail",
    "first",
    "kind",
    "run_checks",
]
