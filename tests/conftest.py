"""Shared fixtures for the project's own tests, and Hypothesis profiles.

HYPOTHESIS_PROFILE picks the profile: ``dev`` (default, quick), ``ci`` (more examples, no
deadline, derandomized so CI is reproducible), ``thorough`` (for a long local run).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings

from fake_planhat import FakePlanhat

pytest_plugins = ("tests.browser",)  # the browser tests' Chromium fixtures

settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile(
    "ci",
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

FROZEN_AT = "2026-01-15T10:00:00.000Z"


def basic(token: str) -> str:
    """``Basic base64(token + ":")``, as rule W-2 requires."""
    return "Basic " + base64.b64encode(f"{token}:".encode()).decode()


@pytest.fixture
def fake() -> FakePlanhat:
    """A fresh fake with a frozen clock and seeded ids: deterministic state."""
    planhat = FakePlanhat(seed=0)
    planhat.clock.freeze(FROZEN_AT)
    return planhat


@pytest.fixture
def client(fake: FakePlanhat) -> Iterator[FlaskClient]:
    with fake.app.test_client() as test_client:
        yield test_client


@pytest.fixture
def intake_auth(fake: FakePlanhat) -> dict[str, str]:
    """Headers for ``/dock/segment``: Basic with the tenant token."""
    return {"Authorization": basic(fake.tenant_token)}


@pytest.fixture
def rest_auth(fake: FakePlanhat) -> dict[str, str]:
    """Headers for the REST API: Bearer with the API token."""
    return {"Authorization": f"Bearer {fake.api_token}"}
