"""A wheel, its dependencies and fresh virtual environments, shared by the install tests.

Building the wheel and fetching its dependencies (from the package index or pip's cache) is the
slow part, about a minute: it is done once per test session, even under pytest-xdist (the
workers share one folder, guarded by a file lock). Each fresh environment then installs from
that wheelhouse with ``--no-index``, in seconds.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import venv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.DOTALL | re.MULTILINE)
# GitHub Actions runs a `run:` step with this shell line.
ACTIONS_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
NEEDS_NODE = pytest.mark.skipif(
    shutil.which("node") is None, reason="node (Node.js 20) not on PATH"
)


def fenced(path: Path, language: str) -> list[str]:
    """The bodies of a Markdown file's fenced blocks in ``language``."""
    return [
        body for lang, body in FENCE.findall(path.read_text(encoding="utf-8")) if lang == language
    ]


@dataclass(frozen=True)
class Built:
    source: Path  # the repository's files, as a checkout would hold them
    wheel: Path
    wheelhouse: Path  # the wheel's dependencies, and setuptools for source builds
    build_log: str  # pip's verbose output while building the wheel

    def pip_env(self) -> dict[str, str]:
        """Environment for pip commands: this wheelhouse only, no index."""
        return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(self.wheelhouse)}


def _shared_root(factory: pytest.TempPathFactory) -> Path:
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _copy_checkout(target: Path) -> None:
    """The files a fresh clone would have (tracked, and new ones not ignored) into ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _pip(*args: str, env: Mapping[str, str] | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **(env or {})},
    )
    assert done.returncode == 0, (
        f"pip {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    return done.stdout + done.stderr


def _build(root: Path) -> Built:
    source, dist, wheelhouse = root / "checkout", root / "dist", root / "wheelhouse"
    done = root / "built"
    if not done.exists():
        for folder in (source, dist, wheelhouse):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        _copy_checkout(source)
        log = _pip("wheel", "--no-deps", "-v", "-w", str(dist), str(source))
        [wheel] = dist.glob("fake_planhat-*.whl")
        _pip("wheel", "-w", str(wheelhouse), f"{wheel}[pytest]", "setuptools>=77")
        (root / "build.log").write_text(log, encoding="utf-8")
        done.touch()
    [wheel] = dist.glob("fake_planhat-*.whl")
    return Built(source, wheel, wheelhouse, (root / "build.log").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    root = _shared_root(tmp_path_factory) / "install"
    root.mkdir(exist_ok=True)
    with (root.parent / "install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first worker builds; the others wait, then reuse
        return _build(root)


@dataclass(frozen=True)
class Venv:
    path: Path

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def env(self, **extra: str) -> dict[str, str]:
        """What `source bin/activate` (or actions/setup-python) gives a shell: its bin first."""
        clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        return {
            **clean,
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "VIRTUAL_ENV": str(self.path),
            **extra,
        }


def fresh_venv(path: Path) -> Venv:
    """A new virtual environment with pip and nothing else."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return Venv(path)


@pytest.fixture(scope="session")
def wheel_venv(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A fresh environment holding the built wheel with its pytest extra."""
    env = fresh_venv(tmp_path_factory.mktemp("wheel-venv"))
    subprocess.run(
        [str(env.python), "-m", "pip", "install", "--quiet", f"{built.wheel}[pytest]"],
        check=True,
        env=env.env(**built.pip_env()),
        timeout=600,
    )
    return env


def bash(
    script: str, *, cwd: Path, env: Mapping[str, str], timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a workflow's ``run:`` step as GitHub Actions does."""
    return subprocess.run(
        [*ACTIONS_BASH, script],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
