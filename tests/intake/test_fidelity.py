"""docs/fidelity.md, the ledger of documented and decided behaviours, stays whole: every rule id
the fake's code cites has a row, every row names a test that exists, and every switch is there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from fake_planhat.state import SETTING_CHOICES

ROOT = Path(__file__).resolve().parents[2]
LEDGER = ROOT / "docs" / "fidelity.md"
RULE_ID = re.compile(r"\b[A-Z]{1,2}-\d+a?\b")
COLUMNS = ["behaviour", "route", "rule", "status", "source or switch", "test"]


def rows() -> list[dict[str, str]]:
    """Every row of the ledger's tables (those with the six columns)."""
    found: list[dict[str, str]] = []
    header: list[str] | None = None
    for line in LEDGER.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif set(line) <= {"|", "-", " "}:
            continue
        elif header == COLUMNS:
            assert len(cells) == len(COLUMNS), line
            found.append(dict(zip(COLUMNS, cells, strict=True)))
    return found


def cited_rule_ids() -> set[str]:
    """Rule ids cited anywhere in fake_planhat/ (code, comments, docstrings, the OpenAPI)."""
    cited: set[str] = set()
    for path in (ROOT / "fake_planhat").rglob("*"):
        if path.suffix in (".py", ".yaml", ".html"):
            cited.update(RULE_ID.findall(path.read_text(encoding="utf-8")))
    return cited


def test_the_ledger_has_rows() -> None:
    assert len(rows()) >= 40


def test_every_rule_id_cited_in_the_code_has_a_ledger_row() -> None:
    ledgered = {row["rule"] for row in rows()}
    assert sorted(cited_rule_ids() - ledgered) == []


@pytest.mark.parametrize("row", rows(), ids=lambda r: f"{r['rule']} {r['behaviour'][:40]}")
def test_every_row_is_labelled_and_names_a_test_that_exists(row: dict[str, str]) -> None:
    assert RULE_ID.fullmatch(row["rule"]), row
    assert row["status"] in ("documented", "decided"), row
    source = row["source or switch"]
    if row["status"] == "decided":  # why, and the switch (or plainly none)
        assert "Switch:" in source or "No switch" in source, row
    else:
        assert source, row
    test = row["test"].strip("`")
    path, _, name = test.partition("::")
    file = ROOT / path
    assert file.is_file(), f"{path} does not exist"
    names = {
        node.name
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
    }
    assert name in names, f"{path} has no test {name}"


@pytest.mark.parametrize("setting", [*SETTING_CHOICES, "region"])
def test_every_switch_is_in_the_ledger(setting: str) -> None:
    text = LEDGER.read_text(encoding="utf-8")
    assert f"| `{setting}` |" in text
    switched = [r for r in rows() if f"`{setting}" in r["source or switch"]]
    assert switched, f"no ledger row names the switch {setting}"


CONTRACT = ROOT / "docs" / "contract.md"
P_AND_R = [f"P-{n}" for n in range(1, 12)] + ["P-6a"] + [f"R-{n}" for n in range(1, 11)]


@pytest.mark.parametrize("rule", P_AND_R)
def test_docs_contract_restates_every_P_and_R_rule(rule: str) -> None:
    headings = re.findall(r"^### ([A-Z]-\d+a?) ", CONTRACT.read_text(encoding="utf-8"), re.M)
    assert headings.count(rule) == 1, f"docs/contract.md needs one '### {rule} ...' section"
