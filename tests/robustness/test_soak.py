"""A short soak of ``fake-planhat serve --state``: ``tools/soak.py`` for a few seconds.

Four client threads race on shared users, companies and bulk keys; afterwards the state must equal
the model of what was acknowledged (no lost write, E-2: no duplicate contact), the state file
opened again must hold the same, the journal must hold exactly its bound, and the server's memory
must stay flat in the second half of the run. ``make soak`` runs the same for a minute.
"""

from __future__ import annotations

import copy
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "soak.py"
SECONDS = 8.0
MAX_REQUESTS = 20_000
JOURNAL_SIZE = 100
MAX_GROWTH_MB = 20.0


@pytest.fixture(scope="module")
def soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("soak", TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_E1_E2_soak_keeps_every_write_and_flat_memory(soak: Any, tmp_path: Path) -> None:
    report = soak.run(
        SECONDS,
        threads=4,
        max_requests=MAX_REQUESTS,
        journal_size=JOURNAL_SIZE,
        state=str(tmp_path / "soak.sqlite"),
        max_growth_mb=MAX_GROWTH_MB,
    )
    print("\n".join(soak.render(report)))
    assert report.failures == []
    assert report.violations == []
    assert report.requests >= 200, "too little load to say anything"
    assert report.journal["kept"] == JOURNAL_SIZE
    growth = report.rss_mb["growth"]
    assert growth is not None
    assert growth < MAX_GROWTH_MB


def test_the_soak_check_sees_lost_writes_and_duplicates(soak: Any) -> None:
    """The checker the soak relies on fails on the faults it is there to find."""
    model = soak.Model()
    model.companies = {"c0": {}}
    model.contacts = {"u0": {"t0": 3}}
    model.identified = {"u0"}
    model.activities = [(0, 1, "u0")]
    company = {"_id": "C0", "externalId": "c0", "custom": {}}
    contact = {
        "_id": "P0",
        "externalId": "u0",
        "companyId": "C0",
        "email": "u0@soak.test",
        "custom": {"t0": 3},
    }
    activity = {"contactId": "P0", "info": {"thread": 0, "n": 1}}
    good = {
        "companies": [company],
        "endusers": [contact],
        "unassigned": [],
        "activities": [activity],
    }
    assert soak.check_state(good, model) == []

    stale = copy.deepcopy(good)
    stale["endusers"][0]["custom"] = {"t0": 2}  # an earlier write won
    duplicated = copy.deepcopy(good)
    duplicated["endusers"].append({**contact, "_id": "P1"})
    lost = copy.deepcopy(good)
    lost["activities"] = []
    for broken, words in ((stale, "custom"), (duplicated, "E-2"), (lost, "activities")):
        problems = soak.check_state(broken, model)
        assert any(words in p for p in problems), problems
