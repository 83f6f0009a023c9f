"""Planhat's /endusers routes (being written)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("endusers", __name__)
