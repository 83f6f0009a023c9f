"""Find citations of files in text: the specification's files, which are not in the repository,
and any path or Markdown file name that does not resolve.

Shared by the repository check (tests/docs/test_self_contained.py) and the wheel check
(tests/install/test_wheel.py).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator

# The project's specification lives outside the repository; its rules are restated by id in
# docs/contract.md, so nothing may send a reader to these names.
OUTSIDE = re.compile(
    r"CONTRACT\.md|\bCONTRACT §|PLANHAT-FACTS|SEGMENT-EVENTS|ARCHITECTURE\.md"
    r"|\.\./shared/|/work/shared|\bshared/(?=[A-Z])"
)
# A path-like token ending in a file extension a citation would name.
PATH = re.compile(
    r"(?<![\w./<{*-])((?:\.{1,2}/)?(?:[\w.-]+/)*[\w.-]+\.(?:md|py|mjs|js|ya?ml|toml|html|png))"
    r"(?![\w/*>}-])"
)
TOP_LEVEL = ("fake_planhat/", "conformance/", "tests/", "docs/", "bench/", "tools/", "examples/")
TEXT_SUFFIXES = (".py", ".md", ".mjs", ".js", ".yml", ".yaml", ".toml", ".html", ".txt", ".cfg")


def is_text(name: str) -> bool:
    return name.endswith(TEXT_SUFFIXES) or posixpath.basename(name) in ("Makefile", "run")


def citations(
    text: str, here: str, resolves: Callable[[str, str], bool]
) -> Iterator[tuple[int, str]]:
    """``(line number, cited name)`` for each citation in ``text`` (a file at ``here``) that
    ``resolves(here, name)`` does not find, and each citation of the specification's files."""
    for number, line in enumerate(text.splitlines(), start=1):
        for match in OUTSIDE.finditer(line):
            yield number, match.group(0)
        for match in PATH.finditer(line):
            name = match.group(1)
            if OUTSIDE.search(name):
                continue  # reported above
            if line[: match.start()].endswith(('/ "', "/ '")):
                continue  # `tmp_path / "report.md"`: a file being made, not cited
            cited = name.startswith(TOP_LEVEL) or name.endswith(".md") or name.startswith("../")
            if cited and not resolves(here, name):
                yield number, name


def resolver(files: set[str]) -> Callable[[str, str], bool]:
    """Whether a name cited from a file resolves among ``files`` (POSIX paths from one root):
    relative to the citing file's folder, to the root, to any parent folder, or — a bare file
    name such as ``usage.md`` — as the name of some file."""
    folders = {posixpath.dirname(f) for f in files}
    for folder in list(folders):
        while folder:
            folder = posixpath.dirname(folder)
            folders.add(folder)
    basenames = {posixpath.basename(f) for f in files}

    def resolves(here: str, name: str) -> bool:
        if "/" not in name.rstrip("/"):
            return name in basenames
        folder = posixpath.dirname(here)
        while True:
            candidate = posixpath.normpath(posixpath.join(folder, name))
            if candidate in files or candidate in folders:
                return True
            if not folder:
                return False
            folder = posixpath.dirname(folder)

    return resolves
