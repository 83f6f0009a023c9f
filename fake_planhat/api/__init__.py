"""The Planhat routes: the intake, every REST object (one blueprint per declared object, from
:mod:`fake_planhat.planhat`), analytics and metrics; plus the fake's own control plane."""

from __future__ import annotations

from flask import Blueprint

from fake_planhat.api import analytics, dimensiondata, dock
from fake_planhat.planhat._routes import blueprints as rest_blueprints

PLANHAT_BLUEPRINTS: tuple[Blueprint, ...] = (
    dock.bp,
    *rest_blueprints(),
    analytics.bp,
    dimensiondata.bp,
)


def control_blueprints() -> tuple[Blueprint, ...]:
    """The control plane (and dashboard), mounted under ``/_fake``."""
    from fake_planhat.api import control, dashboard

    return (control.bp, dashboard.bp)
