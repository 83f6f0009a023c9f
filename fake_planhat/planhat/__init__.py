"""Planhat's REST objects, moto-style: every object declared once as data (``_resources``),
written by one engine without Flask (``_engine``, ``_rules``), and served by one blueprint
factory (``_routes``). The names here are what other parts of the fake use."""

from __future__ import annotations

from fake_planhat.planhat._engine import find_by_key
from fake_planhat.planhat._resources import RESOURCES, Resource, resource
from fake_planhat.planhat._rules import PUBLIC_MAIL_DOMAINS, company_for_email_domain

__all__ = [
    "PUBLIC_MAIL_DOMAINS",
    "RESOURCES",
    "Resource",
    "company_for_email_domain",
    "find_by_key",
    "resource",
]
