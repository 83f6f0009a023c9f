"""conformance/rules.py against the contract it restates (shared/CONTRACT.md)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from conformance.rules import FAMILIES, RULES, Rule, rule

# shared/ is the sibling of the repository root: <root>/tests/conformance/test_rules.py.
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CONTRACT = SHARED / "CONTRACT.md"

# A rule is introduced in bold: "**W-4**", or with its name inside the bold: "**P-1 user key**".
# (A bare r"\*\*([A-Z]-\d+)\*\*" would miss P-1 … P-8, whose titles share the bold.)
RULE_ID = re.compile(r"\*\*([A-Z]-\d+)\b[^*]*\*\*")
# Any mention of a rule id, e.g. "(rule P-9)" or "P-1…P-11".
MENTION = re.compile(r"(?<![\w-])([A-Z]-\d+)(?![\w-])")
CODE_SPAN = re.compile(r"`([^`]+)`")

CONTRACT_ORDER = [
    "S-1",
    *(f"O-{n}" for n in range(1, 5)),
    *(f"T-{n}" for n in range(1, 5)),
    *(f"W-{n}" for n in range(1, 7)),
    *(f"A-{n}" for n in range(1, 8)),
    *(f"P-{n}" for n in range(1, 12)),
    *(f"E-{n}" for n in range(1, 4)),
]


@pytest.fixture(scope="module")
def contract() -> str:
    if not CONTRACT.is_file():
        pytest.skip(f"the contract is not at {CONTRACT} (shared/ beside the repository root)")
    return CONTRACT.read_text(encoding="utf-8")


def contract_ids(text: str) -> list[str]:
    """Rule ids in order of first bold definition."""
    return list(dict.fromkeys(RULE_ID.findall(text)))


def rule_paragraph(text: str, rule_id: str) -> str:
    """The bullet that defines ``rule_id``, with its continuation lines and sub-bullets."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if re.search(rf"\*\*{rule_id}\b", line))
    body = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.strip() or line.startswith(("- ", "#")):
            break
        body.append(line)
    return "\n".join(body)


def test_every_contract_id_is_a_rule_and_back(contract: str) -> None:
    in_contract = set(contract_ids(contract))
    assert in_contract, "no rule ids found: has the contract's bold id style changed?"
    missing = sorted(in_contract - set(RULES))
    extra = sorted(set(RULES) - in_contract)
    assert not missing, f"ids in CONTRACT.md but not in RULES: {missing}"
    assert not extra, f"ids in RULES but not in CONTRACT.md: {extra}"


def test_rules_are_in_contract_order(contract: str) -> None:
    assert list(RULES) == contract_ids(contract)


def test_rule_ids_mentioned_anywhere_in_the_contract_exist(contract: str) -> None:
    mentioned = set(MENTION.findall(contract))
    assert mentioned <= set(RULES), (
        f"the contract cites unknown ids: {sorted(mentioned - set(RULES))}"
    )


def test_rules_keep_every_literal_of_their_contract_text(contract: str) -> None:
    """A faithful restatement keeps each `code` literal of the rule (values, keys, routes)."""
    for rule_id, entry in RULES.items():
        literals = CODE_SPAN.findall(rule_paragraph(contract, rule_id))
        lost = [lit for lit in literals if f"`{lit}`" not in entry.text]
        assert not lost, f"{rule_id} lost literals of the contract: {lost}"


def test_rules_order_matches_the_contract_sections() -> None:
    # Holds without shared/ too, so a checkout that lacks the contract still guards the order.
    assert list(RULES) == CONTRACT_ORDER


def test_every_rule_is_well_formed() -> None:
    for rule_id, entry in RULES.items():
        assert entry.id == rule_id
        assert entry.family == rule_id.split("-")[0]
        assert entry.family in FAMILIES
        assert entry.title
        assert len(entry.title) <= 50
        assert entry.title == entry.title.strip()
        assert entry.text
        assert "**" not in entry.text, f"{rule_id} keeps markdown bold"
        assert not re.search(r"(?<![\w`*])\*(?=\w)", entry.text), f"{rule_id} keeps italics"
    assert set(FAMILIES) == {entry.family for entry in RULES.values()}
    assert FAMILIES["W"] == "wire, profile segment"


def test_rules_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RULES["W-4"].title = "changed"  # type: ignore[misc]
    assert isinstance(RULES["W-4"], Rule)
    assert str(RULES["W-1"]) == "W-1 (one request per event)"


def test_rule_lookup() -> None:
    assert rule("A-7") is RULES["A-7"]
    assert "neither a user key nor an email" in rule("A-7").text
    with pytest.raises(KeyError, match=r"unknown contract rule id 'W-99'.*known ids: S-1, O-1"):
        rule("W-99")
    with pytest.raises(KeyError, match="did you mean 'W-4'"):
        rule("w-4")
