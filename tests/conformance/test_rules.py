"""The kit's rule data: one object per rule, in contract order, each with a check, its
dependencies and scenarios; and the project's docs/contract.md generated from it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from conformance import RULES
from conformance.checks import CHECKS
from conformance.contract import FAMILIES, Rule
from conformance.contract._docs import BEGIN, END, rules_markdown
from conformance.engine import scenarios

DOCS = Path(__file__).resolve().parents[2] / "docs" / "contract.md"

CONTRACT_ORDER = [
    "S-1",
    *(f"O-{n}" for n in range(1, 6)),
    *(f"T-{n}" for n in range(1, 5)),
    *(f"W-{n}" for n in range(1, 7)),
    *(f"A-{n}" for n in range(1, 8)),
    *(f"P-{n}" for n in range(1, 12)),
    *(f"E-{n}" for n in range(1, 4)),
]
MENTION = re.compile(r"(?<![\w-])([A-Z]-\d+)(?![\w-])")


def test_rules_are_rule_objects_in_contract_order() -> None:
    assert [r.id for r in RULES] == CONTRACT_ORDER
    assert all(isinstance(r, Rule) for r in RULES)
    assert RULES.ids == tuple(CONTRACT_ORDER)
    assert RULES[0].id == "S-1"
    assert RULES["W-4"].family == "W"


def test_every_rule_is_well_formed_and_has_a_check() -> None:
    for entry in RULES:
        assert entry.family in FAMILIES
        assert entry.title
        assert len(entry.title) <= 50
        assert entry.text
        assert "**" not in entry.text
        assert entry.profiles
        assert entry.profiles <= {"segment", "activities"}
        assert entry.id in CHECKS, f"{entry.id} has no check"
        for mentioned in MENTION.findall(entry.text):
            assert mentioned in RULES or mentioned in ("P-6a",), (entry.id, mentioned)
    assert {r.family for r in RULES} == set(FAMILIES)


def test_every_rule_is_exercised_by_a_scenario_of_each_of_its_profiles() -> None:
    for profile in ("segment", "activities"):
        tags = {s.tag for s in scenarios(profile, "key")}  # type: ignore[arg-type]
        for entry in RULES.for_profile(profile):  # type: ignore[arg-type]
            assert entry.scenarios & tags, f"{entry.id}: no scenario exercises it ({profile})"


def test_dependencies_are_known_and_acyclic() -> None:
    for entry in RULES:
        assert entry.id not in RULES.upstream(entry.id, "segment")
        assert entry.id not in RULES.upstream(entry.id, "activities")
    # the wire and outcome rules are roots; the Planhat rules follow from the wire
    assert RULES.upstream("O-1", "segment") == []
    assert "T-4" in RULES.upstream("P-1", "segment")
    assert "W-4" in RULES.upstream("E-1", "segment")
    assert "W-4" not in RULES.upstream("E-1", "activities")  # W is profile segment's


def test_rules_are_frozen_and_looked_up_case_insensitively() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RULES["W-4"].title = "changed"  # type: ignore[misc]
    assert RULES["w-4"] is RULES["W-4"]
    assert "p-5" in RULES
    assert "W-99" not in RULES
    assert str(RULES["W-1"]) == "W-1 (one request per event)"
    with pytest.raises(KeyError, match=r"unknown contract rule id 'W-99'.*known ids: S-1, O-1"):
        RULES.get("W-99")


def test_the_revised_rules_say_what_the_kit_checks() -> None:
    # O-2: a Function past its time limit is retried; O-5: either outcome passes
    assert "harness timeout counts as `retry`" in RULES["O-2"].text
    assert "410 and 460" in RULES["O-5"].text
    assert "501 and 505" in RULES["O-5"].text
    assert 'An options object (`"Planhat": {…}`' in RULES["T-4"].text
    assert "no item cap" in RULES["A-1"].text
    assert "5,000" not in RULES["A-1"].text
    assert "any non-empty action that contains the page `name`" in RULES["A-2"].text
    assert "the user key of rule P-1" in RULES["A-5"].text


def test_docs_contract_carries_the_generated_rules() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert BEGIN in text
    assert END in text, "run: python -m conformance.contract"
    block = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert block == rules_markdown(RULES), (
        "docs/contract.md drifted from the kit's rules: run python -m conformance.contract"
    )
    for family in ("S", "O", "T", "W", "A", "E"):
        for entry in RULES:
            if entry.family == family:
                assert f"**{entry.id}**" in block
