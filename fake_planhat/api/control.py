"""The fake's control plane (being written)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("control", __name__)
