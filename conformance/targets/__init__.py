"""Targets: the destination under test, however it runs.

Four kinds, one interface (:class:`Target`): a Python callable run in-process, a command speaking
NDJSON over stdio, an HTTP endpoint fed like Segment's webhook, and a Segment Destination Function
file run under Node by ``harness/function-runner.mjs``. ``harness/README.md`` documents the wire
protocols. Each target reports one :class:`~conformance.outcomes.Delivery` per event; anything
that escapes a destination becomes outcome ``"error"`` (rule O-4).
"""

from __future__ import annotations

from conformance.targets._base import (
    DEFAULT_FUNCTION_LIMIT,
    DEFAULT_TIMEOUT,
    HARNESS,
    SETTINGS_HEADER,
    SPEC_FORMS,
    SUBDOMAINS,
    Environment,
    Target,
    TargetBroken,
    open_environment,
)
from conformance.targets._command import CommandTarget
from conformance.targets._function import FunctionTarget, as_javascript_sees_it
from conformance.targets._http import HttpTarget
from conformance.targets._python import PythonTarget, delivery_of_return
from conformance.targets._specs import load_target

__all__ = [
    "DEFAULT_FUNCTION_LIMIT",
    "DEFAULT_TIMEOUT",
    "HARNESS",
    "SETTINGS_HEADER",
    "SPEC_FORMS",
    "SUBDOMAINS",
    "CommandTarget",
    "Environment",
    "FunctionTarget",
    "HttpTarget",
    "PythonTarget",
    "Target",
    "TargetBroken",
    "as_javascript_sees_it",
    "delivery_of_return",
    "load_target",
    "open_environment",
]
