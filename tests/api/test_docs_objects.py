"""docs/objects.md is made from the declarations and kept current (issue 12)."""

from __future__ import annotations

from pathlib import Path

from fake_planhat.planhat import RESOURCES
from fake_planhat.planhat._docs import objects_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_objects_table_is_current() -> None:
    written = (ROOT / "docs" / "objects.md").read_text(encoding="utf-8")
    assert written == objects_markdown(), "run: python -m fake_planhat.planhat.docs"


def test_objects_table_lists_every_object_with_its_routes() -> None:
    text = objects_markdown()
    for declared in RESOURCES:
        assert f"| {declared.title} | `" in text
        assert f"/{declared.name}`" in text
    assert "`GET /leancompanies`" in text
    assert "/notes" not in text  # notes are conversations


def test_fidelity_ledger_has_the_rest_section_with_every_rule() -> None:
    """The REST rows (their labels and tests are checked with every row of the ledger by
    tests/intake/test_fidelity.py)."""
    ledger = (ROOT / "docs" / "fidelity.md").read_text(encoding="utf-8")
    section = ledger.split("## REST objects (R-1 … R-8)", 1)[1]
    assert "| behaviour | route | rule | status | source or switch | test |" in section
    for rule in ("R-1", "R-2", "R-3", "R-4", "R-5", "R-6", "R-8"):
        assert f"| {rule} |" in section, rule
