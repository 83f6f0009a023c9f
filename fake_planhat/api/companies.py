"""Planhat's /companies routes (being written)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("companies", __name__)
