"""fake-planhat: a local test double of Planhat.

Kept small on purpose: importing this package imports nothing until a name is used (PEP 562),
so the pytest plugin, which lives in it, costs other test suites almost nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fake_planhat.fake import FakePlanhat
    from fake_planhat.server import ServerThread
    from fake_planhat.state import DEFAULT_API_TOKEN, DEFAULT_TENANT_TOKEN
    from fake_planhat.transports import Intercept

__all__ = [
    "DEFAULT_API_TOKEN",
    "DEFAULT_TENANT_TOKEN",
    "FakePlanhat",
    "Intercept",
    "ServerThread",
]

# Where each public name lives; a name is imported on first use.
_HOMES = {
    "DEFAULT_API_TOKEN": "fake_planhat.state",
    "DEFAULT_TENANT_TOKEN": "fake_planhat.state",
    "FakePlanhat": "fake_planhat.fake",
    "Intercept": "fake_planhat.transports",
    "ServerThread": "fake_planhat.server",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'fake_planhat' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
