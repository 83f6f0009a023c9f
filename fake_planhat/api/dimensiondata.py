"""Planhat's /dimensiondata routes (being written)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dimensiondata", __name__)
