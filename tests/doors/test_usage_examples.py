"""Every example in docs/usage.md runs as printed: the pytest example with its conftest.py, the
in-process script. The CI job and its curl calls run from a fresh install in
tests/install/test_ci_recipes.py."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

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
    """The README shows the GitHub Actions job that tests/install/test_ci_recipes.py runs from
    docs/usage.md (the action's install included): the two must not drift apart."""
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
