"""Habits users bring from other tools (issue 14): ``--version``, ``python -m``, options from
environment variables as moto's and WireMock's servers take them, help that names the tokens the
README points to, counts that agree in number."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import httpx
import pytest

from fake_planhat import DEFAULT_API_TOKEN, DEFAULT_TENANT_TOKEN
from fake_planhat.cli import _apply_environment, _subcommand, build_parser, main

ROOT = Path(__file__).resolve().parents[2]


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_version_on_the_cli_and_python_m() -> None:
    version = metadata.version("fake-planhat")
    for argv in (["-m", "fake_planhat", "--version"], ["-m", "fake_planhat.cli", "--version"]):
        done = run(*argv)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"fake-planhat {version}"


def test_serve_help_shows_the_default_tokens_the_readme_points_to() -> None:
    done = run("-m", "fake_planhat", "serve", "--help", env={"COLUMNS": "200"})
    assert done.returncode == 0
    assert DEFAULT_TENANT_TOKEN in done.stdout
    assert DEFAULT_API_TOKEN in done.stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "fake-planhat serve --help" in readme
    assert DEFAULT_TENANT_TOKEN in readme


def serve_option_names() -> list[str]:
    serve = _subcommand(build_parser(), "serve")
    return [
        s for a in serve._actions for s in a.option_strings if s.startswith("--") and s != "--help"
    ]


def test_every_serve_option_has_an_environment_variable_listed_in_help() -> None:
    help_text = _subcommand(build_parser(), "serve").format_help()
    for option in serve_option_names():
        name = "FAKE_PLANHAT_" + option.removeprefix("--").upper().replace("-", "_")
        assert name in help_text, f"{option}: {name} not listed in serve --help"
    assert "FAKE_PLANHAT_PORT" in help_text
    assert "FAKE_PLANHAT_TENANT_TOKEN" in help_text
    assert "FAKE_PLANHAT_STATE" in help_text


def test_environment_fills_unset_options_and_the_command_line_wins() -> None:
    parser = build_parser()
    serve = _subcommand(parser, "serve")
    _apply_environment(
        serve,
        {
            "FAKE_PLANHAT_PORT": "0",
            "FAKE_PLANHAT_TENANT_TOKEN": "t-from-env",
            "FAKE_PLANHAT_UNASSIGNED": "discard",
            "FAKE_PLANHAT_JOURNAL_SIZE": "50",
            "FAKE_PLANHAT_HOST": "127.0.0.1",
        },
    )
    args = parser.parse_args(["serve", "--journal-size", "7"])
    assert (args.port, args.tenant_token, args.unassigned) == (0, "t-from-env", "discard")
    assert args.journal_size == 7  # the option given wins over FAKE_PLANHAT_JOURNAL_SIZE


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FAKE_PLANHAT_PORT", "eighty", "FAKE_PLANHAT_PORT: expected a port number, got 'eighty'"),
        ("FAKE_PLANHAT_UNASSIGNED", "maybe", "FAKE_PLANHAT_UNASSIGNED: 'maybe' is not one of keep"),
        ("FAKE_PLANHAT_THREADS", "0", "FAKE_PLANHAT_THREADS: expected a number >= 1"),
    ],
)
def test_a_bad_environment_value_is_reported_under_its_name(
    variable: str,
    value: str,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as exited:
        main(["serve"])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_serve_started_from_the_environment_alone(tmp_path: Path) -> None:
    env = {
        "FAKE_PLANHAT_PORT": "0",
        "FAKE_PLANHAT_TENANT_TOKEN": "tenant-from-env",
        "FAKE_PLANHAT_API_TOKEN": "api-from-env",
        "FAKE_PLANHAT_STATE": str(tmp_path / "state.db"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "fake_planhat", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        answer = httpx.get(f"{url}/companies", headers={"Authorization": "Bearer api-from-env"})
        assert answer.status_code == 200
        refused = httpx.get(
            f"{url}/companies", headers={"Authorization": f"Bearer {DEFAULT_API_TOKEN}"}
        )
        assert refused.status_code == 401
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert (tmp_path / "state.db").exists()


def test_counts_agree_in_number() -> None:
    from fake_planhat.cli import _count

    assert _count(1, "tenant") == "1 tenant"
    assert _count(0, "document") == "0 documents"
    assert _count(2, "exchange") == "2 exchanges"


def test_dashboard_counts_one_contact_in_the_singular() -> None:
    from fake_planhat import FakePlanhat

    fake = FakePlanhat()
    fake.seed({"tenants": {fake.tenant_token: {"unassigned": [{"externalId": "u1"}]}}})
    page = fake.app.test_client().get("/_fake/ui").get_data(as_text=True)
    assert "1 contacts" not in page
    assert "· 1 contact\n" in page or "· 1 contact<" in page
