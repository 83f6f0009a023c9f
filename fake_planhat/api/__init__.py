"""One Flask blueprint per Planhat resource, plus the fake's own control plane."""

from __future__ import annotations

from flask import Blueprint

from fake_planhat.api import analytics, companies, dimensiondata, dock, endusers

PLANHAT_BLUEPRINTS: tuple[Blueprint, ...] = (
    dock.bp,
    endusers.bp,
    companies.bp,
    analytics.bp,
    dimensiondata.bp,
)


def control_blueprints() -> tuple[Blueprint, ...]:
    """The control plane (and dashboard), mounted under ``/_fake``."""
    from fake_planhat.api import control, dashboard

    return (control.bp, dashboard.bp)
