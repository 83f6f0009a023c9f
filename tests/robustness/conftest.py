"""The two-tenant world the robustness suites share: built once per module (seeding it through
the routes costs the most), restored before each test."""

from __future__ import annotations

import pytest

from tests.robustness import World


@pytest.fixture(scope="module")
def shared_world() -> World:
    return World()


@pytest.fixture
def world(shared_world: World) -> World:
    shared_world.restore()
    return shared_world
