"""Target specs: ``load_target`` and the bundled references."""

from __future__ import annotations

import importlib
import importlib.util
import re
import shlex
import shutil
from pathlib import Path

from conformance.targets._base import (
    DEFAULT_TIMEOUT,
    REFERENCE_DIR,
    SPEC_FORMS,
    Target,
)
from conformance.targets._command import CommandTarget
from conformance.targets._function import FunctionTarget
from conformance.targets._http import HttpTarget, _ServedHttpTarget
from conformance.targets._python import PythonTarget, _load_callable

# --- specs -----------------------------------------------------------------------------------


def load_target(spec: str, *, timeout: float | None = None) -> Target:
    """A target from its spec string (the forms are in :data:`SPEC_FORMS`).

    ``timeout`` is the per-event limit of loopback targets (default 10 s).
    """
    spec = spec.strip()
    wait = DEFAULT_TIMEOUT if timeout is None else timeout
    if spec == "reference":
        return PythonTarget(
            _load_callable("conformance.reference.segment_httpx", "handle", spec), spec
        )
    if spec.startswith("reference:"):
        return _reference(spec, spec.removeprefix("reference:"), wait)
    if spec.startswith("py:"):
        where, sep, attribute = spec.removeprefix("py:").rpartition(":")
        if not sep:
            where, attribute = attribute, "handle"
        if not where or not attribute:
            raise ValueError(f"{spec!r}: write py:pkg.module:handle or py:path/file.py:handle")
        return PythonTarget(_load_callable(where, attribute, spec), spec)
    if spec.startswith("cmd:"):
        try:
            argv = shlex.split(spec.removeprefix("cmd:"))
        except ValueError as exc:
            raise ValueError(f"{spec!r}: the command line cannot be split: {exc}") from exc
        if not argv:
            raise ValueError(f"{spec!r}: no command after 'cmd:'")
        if shutil.which(argv[0]) is None:
            raise ValueError(f"{spec!r}: {argv[0]!r} is not an executable found on PATH")
        return CommandTarget(argv, name=spec, timeout=wait)
    if spec.startswith("function:"):
        path = Path(spec.removeprefix("function:"))
        if not path.is_file():
            raise ValueError(f"{spec!r}: no such Destination Function file {str(path)!r}")
        return FunctionTarget(path, node=_node(spec), timeout=timeout)
    if spec.startswith(("http://", "https://")):
        return HttpTarget(spec, timeout=wait)
    forms = "\n  ".join(SPEC_FORMS)
    raise ValueError(f"unknown target {spec!r}; a target is one of:\n  {forms}")


def _reference(spec: str, name: str, timeout: float) -> Target:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name):
        raise ValueError(f"{spec!r}: a reference name is a file name in {REFERENCE_DIR}")
    script = REFERENCE_DIR / f"{name}.mjs"  # a Node command speaking NDJSON
    if script.is_file():
        return CommandTarget([_node(spec), str(script)], name=spec, timeout=timeout)
    function = REFERENCE_DIR / f"{name}.js"  # a Segment Destination Function
    if function.is_file():
        target = FunctionTarget(function, node=_node(spec))
        target.name = spec
        return target
    if (REFERENCE_DIR / f"{name}.py").is_file():
        module = importlib.import_module(f"conformance.reference.{name}")
        serve = getattr(module, "serve", None)
        if serve is not None and not hasattr(module, "handle"):  # an HTTP endpoint
            return _ServedHttpTarget(serve, spec, timeout)
    if not (REFERENCE_DIR / f"{name}.py").is_file():
        known = sorted(
            p.stem
            for p in REFERENCE_DIR.iterdir()
            if p.suffix in (".py", ".js", ".mjs") and not p.stem.startswith("_")
        )
        raise ValueError(f"{spec!r}: no such reference; the references are: {', '.join(known)}")
    return PythonTarget(_load_callable(f"conformance.reference.{name}", "handle", spec), spec)


def _node(spec: str) -> str:
    node = shutil.which("node")
    if node is None:
        raise ValueError(f"{spec!r} runs under Node.js 20 or newer, and `node` is not on PATH")
    return node
