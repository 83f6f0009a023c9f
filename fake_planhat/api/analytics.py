"""Planhat's /analytics routes (being written)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("analytics", __name__)
