"""``py:`` targets: a Python callable run in-process."""

from __future__ import annotations

import asyncio
import copy
import importlib
import importlib.util
import inspect
import os
import re
import sys
from collections.abc import Awaitable
from contextlib import ExitStack
from pathlib import Path
from typing import Any, cast

from conformance._outcomes import OUTCOMES, Delivery, Outcome
from conformance.targets._base import (
    RETURN_PROTOCOL,
    Environment,
    Handle,
)

# --- Python, in-process ------------------------------------------------------------------------


class PythonTarget:
    """``handle(event, settings)`` called in-process, inside ``fake.intercept()``.

    ``httpx`` and ``requests`` calls to ``https://*.planhat.com`` reach the fake with their real
    URLs. Returning normally is ``ok``; exceptions map by class name (``RetryError`` …, from any
    module) through :func:`~conformance.outcomes.outcome_of_exception`; any other exception is
    ``error`` (rule O-4). ``async def`` handlers are awaited.
    """

    loopback = False

    def __init__(self, handle: Handle, name: str) -> None:
        self.handle = handle
        self.name = name
        self._stack: ExitStack | None = None

    def start(self, env: Environment) -> None:
        self.stop()
        stack = ExitStack()
        stack.enter_context(env.fake.intercept())
        self._stack = stack

    def deliver(self, event: dict[str, Any], settings: dict[str, Any]) -> Delivery:
        if self._stack is None:
            raise RuntimeError(f"{self.name}: call start(env) before deliver()")
        try:
            # copies: a destination that edits its arguments must not change the runner's event
            result = self.handle(copy.deepcopy(event), dict(settings))
            if inspect.isawaitable(result):
                result = asyncio.run(_awaited(result))
        except Exception as exc:
            return Delivery.of_exception(exc)  # rule O-4: unknown classes give "error"
        return delivery_of_return(result)

    def stop(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()


async def _awaited(result: Awaitable[object]) -> object:
    return await result


def delivery_of_return(result: object) -> Delivery:
    """A py: handler's return value as a delivery: None is ``ok``, an outcome word is that
    outcome; anything else is an error that explains the protocol."""
    if result is None:
        return Delivery("ok")
    if isinstance(result, Delivery):
        return result
    if isinstance(result, str) and result in OUTCOMES and result != "error":
        return Delivery(cast(Outcome, result))
    shown = repr(result)
    shown = shown if len(shown) <= 80 else shown[:80] + "…"
    return Delivery("error", f"the handler returned {shown}: {RETURN_PROTOCOL}")


def _load_callable(where: str, attribute: str, spec: str) -> Handle:
    """``where`` is a dotted module name or a ``.py`` file path."""
    if where.endswith(".py") or "/" in where or os.sep in where:
        module = _import_file(Path(where), spec)
    else:
        if "" not in sys.path and os.getcwd() not in sys.path:
            # as `python -m` does, so py:my_destination:handle works from the file's folder
            sys.path.insert(0, os.getcwd())
        try:
            module = importlib.import_module(where)
        except Exception as exc:
            raise ValueError(
                f"{spec!r}: the module {where!r} could not be imported "
                f"({type(exc).__name__}: {exc}); is it installed or on PYTHONPATH?"
            ) from exc
    found = getattr(module, attribute, None)
    if found is None:
        names = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        raise ValueError(
            f"{spec!r}: {where} has no attribute {attribute!r}; its callables: "
            f"{', '.join(names) or '(none)'}"
        )
    if not callable(found):
        raise ValueError(f"{spec!r}: {where}.{attribute} is not callable")
    return cast(Handle, found)


def _import_file(path: Path, spec: str) -> Any:
    if not path.is_file():
        raise ValueError(f"{spec!r}: no such Python file {str(path)!r}")
    name = "_conformance_target_" + re.sub(r"\W", "_", str(path.resolve()))
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise ValueError(f"{spec!r}: {str(path)!r} cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up here
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise ValueError(
            f"{spec!r}: the module {str(path)!r} could not be imported "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    return module
