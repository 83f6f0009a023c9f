"""Every example in docs/usage.md runs as printed: the CI job's shell steps and the curl calls
against ``fake-planhat serve``, the pytest example with its conftest.py, the in-process script."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytest_plugins = ["pytester"]

USAGE = Path(__file__).resolve().parents[2] / "docs" / "usage.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.DOTALL | re.MULTILINE)
# GitHub Actions runs a `run:` step with this shell line.
ACTIONS_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]


def blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(USAGE.read_text()) if lang == language]


def python_files() -> dict[str, str]:
    """The Python examples by the file name on their first line (``# test_signup.py``)."""
    files = {}
    for body in blocks("python"):
        first = body.splitlines()[0]
        assert re.fullmatch(r"# \w+\.py", first), f"name the example's file first: {first!r}"
        files[first[2:]] = body
    return files


def test_every_python_example_is_run_here() -> None:
    assert set(python_files()) == {"conftest.py", "test_signup.py", "in_process.py"}


def test_the_pytest_example_passes(pytester: pytest.Pytester) -> None:
    files = python_files()
    for name in ("conftest.py", "test_signup.py"):
        (pytester.path / name).write_text(files[name])
    pytester.runpytest("--strict-markers").assert_outcomes(passed=4)


def test_the_in_process_example_runs(pytester: pytest.Pytester) -> None:
    script = pytester.path / "in_process.py"
    script.write_text(python_files()["in_process.py"])
    result = pytester.runpython(script)
    assert result.ret == 0, result.stderr.str()
    result.stdout.fnmatch_lines(["ok: * http://127.0.0.1:*"])


def test_the_ci_job_and_the_curl_calls_work(tmp_path: Path) -> None:
    yaml = pytest.importorskip("yaml")
    [workflow] = blocks("yaml")
    [curl_calls] = blocks("sh")
    steps = {s.get("name"): s for s in yaml.safe_load(workflow)["jobs"]["destination"]["steps"]}
    github_env = tmp_path / "github_env"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_ENV": str(github_env),
    }
    # its own session, so the server the step leaves running can be stopped by its group id
    start = subprocess.Popen(
        [*ACTIONS_BASH, steps["Start fake-planhat"]["run"]],
        cwd=tmp_path,
        env=env,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _, err = start.communicate(timeout=60)
        assert start.returncode == 0, err
        [line] = github_env.read_text().splitlines()
        name, _, url = line.partition("=")
        assert name == "PLANHAT_BASE_URL"
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        env["PLANHAT_BASE_URL"] = url

        calls = subprocess.run(
            [*ACTIONS_BASH, curl_calls], env=env, capture_output=True, text=True, timeout=60
        )
        assert calls.returncode == 0, calls.stderr
        assert calls.stdout.endswith("]")  # the last call lists the endusers
        found = httpx.get(
            f"{url}/endusers",
            params={"email": "ann@acme.test"},
            headers={"Authorization": "Bearer fake-planhat-api-token"},
        ).json()
        assert [(c["externalId"], c["source"], c["companyName"]) for c in found] == [
            ("u1", "Segment", "Acme")
        ]

        shown = subprocess.run(
            [*ACTIONS_BASH, steps["Show what the fake received"]["run"]],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 0, shown.stderr
        entries = json.loads(shown.stdout)["entries"]
        # the company and the identify by curl, then the endusers list by curl and by this test
        assert [e["path"] for e in entries] == ["/companies", "/dock/segment"] + ["/endusers"] * 2
    finally:
        os.killpg(start.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while not (tmp_path / "fake-planhat.out").read_text().endswith("fake-planhat: stopped\n"):
        assert time.monotonic() < deadline, "the server did not stop on SIGTERM"
        time.sleep(0.05)


def test_the_readme_pytest_example_passes(pytester: pytest.Pytester) -> None:
    readme = Path(__file__).resolve().parents[2] / "README.md"
    [example] = [body for lang, body in FENCE.findall(readme.read_text()) if lang == "python"]
    name = example.splitlines()[0][2:]
    (pytester.path / name).write_text(example)
    result = pytester.runpytest("--strict-markers", "-p", "no:cacheprovider")
    # one test of its own, and one conformance test per rule of the segment profile
    from conformance import RULES

    result.assert_outcomes(passed=1 + len(RULES.for_profile("segment")))


def test_the_readme_ci_job_is_the_one_run_here() -> None:
    """The README shows the GitHub Actions job that test_the_ci_job_and_the_curl_calls_work runs
    from docs/usage.md: the two must not drift apart."""
    readme = Path(__file__).resolve().parents[2] / "README.md"
    in_readme = [body for lang, body in FENCE.findall(readme.read_text()) if lang == "yaml"]
    assert in_readme == blocks("yaml")


def test_the_readme_curl_calls_land_the_contact_on_the_company() -> None:
    """The README's curl example, run against a fake on a free port instead of 8080: the company
    comes from the REST API, the identify lands the contact on it (P-5, P-7's default)."""
    from fake_planhat import FakePlanhat

    readme = Path(__file__).resolve().parents[2] / "README.md"
    [calls] = [
        body
        for lang, body in FENCE.findall(readme.read_text())
        if lang == "sh" and "/dock/segment" in body
    ]
    with FakePlanhat().serve() as server:
        script = calls.replace("http://127.0.0.1:8080", server.url)
        ran = subprocess.run([*ACTIONS_BASH, script], capture_output=True, text=True, timeout=60)
        assert ran.returncode == 0, ran.stderr
        answers, text, decoder = [], ran.stdout.strip(), json.JSONDecoder()
        while text:  # curl -s prints the answers back to back
            answer, end = decoder.raw_decode(text)
            answers.append(answer)
            text = text[end:].lstrip()
        assert [type(a) for a in answers] == [dict, dict, list]
        [contact] = answers[-1]
        assert (contact["externalId"], contact["title"], contact["companyName"]) == (
            "u1",
            "CTO",
            "Acme",
        )
