"""A state file that cannot be used is one clear line and its own exit status, never a
traceback or the "cannot bind" status 1 (issue 15); a file others can read is warned about."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from fake_planhat import FakePlanhat
from fake_planhat.cli import EXIT_CANNOT_LISTEN, EXIT_STATE_FILE, main
from fake_planhat.persistence import APPLICATION_ID, StateFileError


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state.sqlite"


def written(state: Path) -> Path:
    """A real state file with a tenant and a few documents."""
    fake = FakePlanhat(state_file=state)
    for i in range(50):
        fake.tenant().create_contact({"name": f"c{i}", "email": f"c{i}@x.test"})
    fake.close()
    return state


def refused(state: Path, capsys: pytest.CaptureFixture[str]) -> str:
    status = main(["serve", "--port", "0", "--state", str(state)])
    err = capsys.readouterr().err
    assert status == EXIT_STATE_FILE != EXIT_CANNOT_LISTEN
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("fake-planhat: --state: ")
    return lines[0]


def test_a_corrupt_state_file_is_one_line(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = bytearray(written(state).read_bytes())
    for at in range(4096, len(data), 97):  # past the header: pages of garbage
        data[at] = (data[at] * 31 + 7) % 256
    state.write_bytes(bytes(data))
    assert "corrupt" in refused(state, capsys) or "not a" in refused(state, capsys)


def forged(state: Path, *statements: str) -> None:
    with sqlite3.connect(state) as db:
        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        db.execute("PRAGMA user_version = 1")
        for statement in statements:
            db.execute(statement)
    db.close()


@pytest.mark.parametrize(
    "statements",
    [
        ("CREATE TABLE tenants (token TEXT)",),  # wrong columns, no documents table
        (
            "CREATE TABLE tenants (token TEXT, api_tokens TEXT, settings TEXT)",
            "INSERT INTO tenants VALUES ('t', '{}', '{}')",
            "CREATE TABLE documents (tenant TEXT, model TEXT, id TEXT, seq, body TEXT)",
            "INSERT INTO documents VALUES "
            "('t', 'enduser', 'x', 'not a number', '{\"_id\": \"x\"}')",
        ),
        (
            "CREATE TABLE tenants (token TEXT, api_tokens TEXT, settings TEXT)",
            "INSERT INTO tenants VALUES (5, '[]', 7)",
            "CREATE TABLE documents (tenant TEXT, model TEXT, id TEXT, seq, body TEXT)",
        ),
    ],
    ids=["wrong-columns", "text-seq", "wrong-types"],
)
def test_forged_tables_are_one_line(
    state: Path, capsys: pytest.CaptureFixture[str], statements: tuple[str, ...]
) -> None:
    forged(state, *statements)
    assert "state file" in refused(state, capsys)


def test_another_programs_empty_database_is_refused(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(state) as db:
        db.execute("PRAGMA user_version = 7")  # an SQLite file with no tables yet
    db.close()
    before = state.read_bytes()
    assert "not a fake-planhat state file" in refused(state, capsys)
    assert state.read_bytes() == before


def test_an_empty_file_is_taken_as_new(state: Path) -> None:
    state.write_bytes(b"")
    FakePlanhat(state_file=state).close()
    assert state.stat().st_size > 0


def test_permission_problems_say_so(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    written(state)
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode: False if Path(path) == state else real_access(path, mode)
    )
    with pytest.raises(StateFileError, match="permission"):
        FakePlanhat(state_file=state)


def test_a_directory_that_cannot_be_written_says_so(
    state: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda path, mode: False if Path(path) == state.parent else real_access(path, mode),
    )
    with pytest.raises(StateFileError, match="permission"):
        FakePlanhat(state_file=state)


def test_a_state_file_others_can_read_is_warned_about(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written(state).chmod(0o644)
    fake = FakePlanhat(state_file=state)
    assert fake.persistence is not None
    (warning,) = fake.persistence.warnings
    assert "readable by other users" in warning
    assert "chmod 600" in warning
    fake.close()


def test_serve_help_documents_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for words in ("1 the address cannot be bound", "2 bad arguments", "3 the --state file"):
        assert words in shown
