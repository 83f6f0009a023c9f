"""fake-planhat: a local test double of Planhat.

Kept small on purpose: importing this package does not import Flask (the app is built on first
use), so the pytest plugin costs users almost nothing.
"""

from __future__ import annotations

from fake_planhat.fake import FakePlanhat
from fake_planhat.state import DEFAULT_API_TOKEN, DEFAULT_TENANT_TOKEN

__all__ = ["DEFAULT_API_TOKEN", "DEFAULT_TENANT_TOKEN", "FakePlanhat"]
