"""Hypothesis's example database for campaigns: where a failure found once is kept, so every
later run (on this machine, or on any CI runner sharing the database) replays it first.

Three kinds, named by one string (``--database`` or ``$PLANHAT_CONFORMANCE_DATABASE``):

- a directory path (or ``dir:PATH``): :class:`~hypothesis.database.DirectoryBasedExampleDatabase`;
- ``redis://host:port/db``: Hypothesis's ``RedisExampleDatabase`` (``pip install
  'hypothesis[redis]'``), shared live by every runner that reaches the server;
- ``github:OWNER/REPO[/ARTIFACT]``: the artifact a CI workflow uploaded (default name
  ``hypothesis-example-db``), read through ``GitHubArtifactDatabase`` (``$GITHUB_TOKEN`` for
  private repositories) and combined with a local directory ``.hypothesis/conformance`` that
  the workflow uploads again.

Each campaign's examples live under their own key prefix, so campaigns for different targets,
profiles or rules sharing one database keep their failures apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from hypothesis.database import (
    DirectoryBasedExampleDatabase,
    ExampleDatabase,
    GitHubArtifactDatabase,
    MultiplexedDatabase,
    ReadOnlyDatabase,
)

__all__ = ["LOCAL_DIRECTORY", "DatabaseSpec", "namespaced", "open_database"]

DatabaseSpec = ExampleDatabase | str | Path
LOCAL_DIRECTORY = Path(".hypothesis") / "conformance"


def open_database(spec: DatabaseSpec) -> ExampleDatabase:
    """The database a spec names; ValueError says what a spec looks like."""
    if isinstance(spec, ExampleDatabase):
        return spec
    if isinstance(spec, Path):
        return DirectoryBasedExampleDatabase(str(spec))
    text = spec.strip()
    if not text:
        raise ValueError("an example database spec is a directory, redis://… or github:OWNER/REPO")
    if text.startswith("redis://") or text.startswith("rediss://"):
        try:
            import redis  # type: ignore[import-not-found,unused-ignore]
            from hypothesis.extra.redis import RedisExampleDatabase
        except ImportError:
            raise ValueError(
                f"{text!r} needs the redis client: pip install 'hypothesis[redis]'"
            ) from None
        return RedisExampleDatabase(redis.Redis.from_url(text))
    if text.startswith("github:"):
        owner, _, rest = text.removeprefix("github:").partition("/")
        repo, _, artifact = rest.partition("/")
        if not owner or not repo:
            raise ValueError(f"{text!r}: write github:OWNER/REPO or github:OWNER/REPO/ARTIFACT")
        shared = GitHubArtifactDatabase(owner, repo, artifact or "hypothesis-example-db")
        local = DirectoryBasedExampleDatabase(str(LOCAL_DIRECTORY))
        return MultiplexedDatabase(local, ReadOnlyDatabase(shared))
    return DirectoryBasedExampleDatabase(text.removeprefix("dir:"))


class _Namespaced(ExampleDatabase):
    """Another database's examples under a key prefix."""

    def __init__(self, inner: ExampleDatabase, namespace: str) -> None:
        super().__init__()
        self.inner = inner
        self.prefix = hashlib.sha256(namespace.encode()).hexdigest()[:16].encode() + b":"

    def save(self, key: bytes, value: bytes) -> None:
        self.inner.save(self.prefix + key, value)

    def fetch(self, key: bytes) -> Iterable[bytes]:
        return self.inner.fetch(self.prefix + key)

    def delete(self, key: bytes, value: bytes) -> None:
        self.inner.delete(self.prefix + key, value)

    def move(self, src: bytes, dest: bytes, value: bytes) -> None:
        self.inner.move(self.prefix + src, self.prefix + dest, value)


def namespaced(database: ExampleDatabase | None, namespace: str) -> ExampleDatabase | None:
    return None if database is None else _Namespaced(database, namespace)
