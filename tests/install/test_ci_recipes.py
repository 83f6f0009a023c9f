"""The CI recipes run for real, install step included, each in a fresh virtual environment.

* README's and docs/usage.md's job: its ``uses: ./fake-planhat`` step runs every ``run:`` step of
  ``action.yml`` with bash, as GitHub Actions would (``GITHUB_ACTION_PATH`` a checkout of this
  repository, ``GITHUB_ENV``/``GITHUB_OUTPUT``/``RUNNER_TEMP`` temporary paths); the curl calls
  of docs/usage.md stand in for the code under test (``npm test``); then the journal step runs.
* docs/destinations.md's job: ``pip install ./fake-planhat`` from a checkout, then the kit
  against the example Function, writing the JUnit, HTML, JSON and replay reports it uploads.

GitHub's own actions (checkout, setup-python, setup-node, upload-artifact) are not run: the
test lays out the checkout and puts the fresh environment first on PATH, as they would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.install.conftest import NEEDS_NODE, ROOT, Built, Venv, bash, fenced, fresh_venv

yaml = pytest.importorskip("yaml")

README = ROOT / "README.md"
USAGE = ROOT / "docs" / "usage.md"
GUIDE = ROOT / "docs" / "destinations.md"
GITHUB_ACTIONS = ("actions/checkout@", "actions/setup-python@", "actions/setup-node@")
EXPRESSION = re.compile(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}")


def job_steps(path: Path, job: str) -> list[dict[str, Any]]:
    [workflow] = fenced(path, "yaml")
    steps: list[dict[str, Any]] = yaml.safe_load(workflow)["jobs"][job]["steps"]
    return steps


def action_step_env(step: dict[str, Any], inputs: dict[str, str]) -> dict[str, str]:
    """A step's ``env:`` with ``${{ inputs.x }}`` filled in, as the runner would."""
    return {
        name: EXPRESSION.sub(lambda m: inputs[m.group(1)], str(value))
        for name, value in (step.get("env") or {}).items()
    }


def run_action(
    built: Built, workspace: Path, env: dict[str, str], given: dict[str, str]
) -> dict[str, str]:
    """Every step of action.yml, in order; returns the outputs it wrote."""
    action = yaml.safe_load((built.source / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    unknown = set(given) - set(inputs)
    assert not unknown, f"the job gives inputs action.yml does not declare: {unknown}"
    inputs.update(given)
    output = workspace / "github_output"
    for step in action["runs"]["steps"]:
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], "expressions belong in env:, where they are not code"
        done = bash(step["run"], cwd=workspace, env={**env, **action_step_env(step, inputs)})
        assert done.returncode == 0, f"{step['name']}:\n{done.stdout}\n{done.stderr}"
    return dict(
        line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines() if line
    )


def github_env(workspace: Path) -> dict[str, str]:
    return {
        "GITHUB_ACTION_PATH": str(workspace / "fake-planhat"),
        "GITHUB_ENV": str(workspace / "github_env"),
        "GITHUB_OUTPUT": str(workspace / "github_output"),
        "GITHUB_PATH": str(workspace / "github_path"),
        "RUNNER_TEMP": str(workspace / "runner_temp"),
    }


def checkout(built: Built, workspace: Path) -> None:
    """``actions/checkout`` of this repository into ``fake-planhat/``."""
    shutil.copytree(built.source, workspace / "fake-planhat")
    (workspace / "runner_temp").mkdir()


def test_the_readme_ci_job_with_the_action_runs(built: Built, tmp_path: Path) -> None:
    steps = job_steps(USAGE, "destination")
    assert fenced(README, "yaml") == fenced(USAGE, "yaml")  # one job, shown twice
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    checkout(built, workspace)
    python = fresh_venv(tmp_path / "venv")  # what actions/setup-python leaves: a bare Python
    env = python.env(**github_env(workspace), **built.pip_env())
    outputs: dict[str, str] = {}
    try:
        for step in steps:
            uses = step.get("uses", "")
            if uses.startswith(GITHUB_ACTIONS):
                continue
            if uses == "./fake-planhat":
                outputs = run_action(built, workspace, env, step.get("with") or {})
                url = outputs["url"]
                assert (workspace / "github_env").read_text() == f"PLANHAT_BASE_URL={url}\n"
                assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
                env["PLANHAT_BASE_URL"] = url
                installed = python.bin / "fake-planhat"
                assert installed.exists(), "the action installs into the job's Python"
                continue
            assert "run" in step, f"a step the test does not know how to run: {step}"
            if step["run"].startswith("npm test"):
                # the user's code under test: docs/usage.md's curl calls stand in for it
                [script] = fenced(USAGE, "sh")
            else:
                script = step["run"]
            done = bash(script, cwd=workspace, env=env)
            assert done.returncode == 0, f"{step.get('name')}:\n{done.stderr}"
            if step.get("name") == "Show what the fake received":
                entries = json.loads(done.stdout)["entries"]
                # the company and the identify by curl, then the endusers list by curl
                assert [e["path"] for e in entries] == ["/companies", "/dock/segment", "/endusers"]
        found = httpx.get(
            f"{env['PLANHAT_BASE_URL']}/endusers",
            params={"email": "ann@acme.test"},
            headers={"Authorization": "Bearer fake-planhat-api-token"},
        ).json()
        assert [(c["externalId"], c["source"], c["companyName"]) for c in found] == [
            ("u1", "Segment", "Acme")
        ]
    finally:
        if "pid" in outputs:
            os.kill(int(outputs["pid"]), signal.SIGTERM)
    deadline = time.monotonic() + 30
    log = Path(outputs["log"])
    while "stopped" not in (log.parent / "out").read_text():
        assert time.monotonic() < deadline, "the server did not stop on SIGTERM"
        time.sleep(0.05)


def test_the_actions_start_step_reports_a_server_that_cannot_start(
    built: Built, wheel_venv: Venv, tmp_path: Path
) -> None:
    """Only the start step: the wheel's environment stands for one the install step filled."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    checkout(built, workspace)
    action = yaml.safe_load((built.source / "action.yml").read_text(encoding="utf-8"))
    [start] = [s for s in action["runs"]["steps"] if s.get("id") == "start"]
    inputs = {"python": "python", "port": "0", "args": "--unassigned sometimes"}
    env = wheel_venv.env(**github_env(workspace), **action_step_env(start, inputs))
    done = bash(start["run"], cwd=workspace, env=env)
    assert done.returncode == 1
    assert "::error::fake-planhat serve exited before it was healthy" in done.stdout
    assert "invalid choice: 'sometimes'" in done.stderr  # the server's own words, shown
    assert not (workspace / "github_env").exists()


@NEEDS_NODE
def test_the_guides_ci_job_installs_and_writes_its_reports(built: Built, tmp_path: Path) -> None:
    steps = job_steps(GUIDE, "conformance")
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    checkout(built, workspace)
    # the user's repository holds their Function: the guide's example one
    shutil.copy(ROOT / "examples" / "node" / "function.js", workspace / "function.js")
    python = fresh_venv(tmp_path / "venv")
    env = python.env(**github_env(workspace), **built.pip_env())
    uploaded = None
    for step in steps:
        uses = step.get("uses", "")
        if uses.startswith(GITHUB_ACTIONS):
            continue
        if uses.startswith("actions/upload-artifact@"):
            uploaded = step["with"]["path"]
            continue
        # as printed, but 30 sequences instead of the default 300: the suite's time budget
        script = re.sub(
            r"(planhat-conformance run .*?)( \\)?$",
            r"\1 --max-examples 30\2",
            step["run"],
            flags=re.M,
        )
        done = bash(script, cwd=workspace, env=env, timeout=600)
        assert done.returncode == 0, (
            f"{step['name']}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    assert (python.bin / "planhat-conformance").exists()
    assert uploaded == "reports/"
    reports = workspace / "reports"
    suite = ET.parse(reports / "junit.xml").getroot()
    cases = suite.findall(".//testcase")
    assert len(cases) >= 29  # one per rule of the profile
    assert not suite.findall(".//failure")
    report = json.loads((reports / "conformance.json").read_text())
    assert report["summary"]["ok"] is True
    assert (reports / "conformance.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert (reports / "replay.json").exists()
