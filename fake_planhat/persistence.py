"""The state file: a fake's tenants and documents kept in SQLite, restored when it starts again.

``fake-planhat serve --state FILE`` and ``FakePlanhat(state_file=FILE)`` open a
:class:`StateFile`. It restores what the file holds, then watches every tenant
(:meth:`~fake_planhat.state.Tenant.watch`):

- each insert, update and removal in a tenant's collections and unassigned list is kept pending
  for that tenant (only the holder of the tenant's lock changes it);
- as the holder lets go of the lock, still holding it, the pending changes are written in one
  SQLite transaction and committed. A request holds its tenant's lock for its whole
  read-modify-write, so all of its writes reach the file together or none does, before its
  answer is built; and holders commit in lock order, so an older state never overwrites a newer
  one. A change made without the lock (no code path of the fake does that) is committed at once;
- API tokens and settings are written when they change, with the lock holder's changes when it
  holds the tenant's lock, else at once.

The journal, fault rules, rate limiter and clock are not kept: they describe a run, not the
tenant's data. See docs/durability.md for the guarantees (WAL, ``synchronous=NORMAL``).
"""

from __future__ import annotations

import itertools
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from fake_planhat.auth import fingerprint
from fake_planhat.state import (
    UNASSIGNED,
    ChangeKind,
    Collection,
    Doc,
    Store,
    Tenant,
    TenantLock,
    TenantSettings,
    UnassignedEntry,
)

__all__ = ["APPLICATION_ID", "FORMAT_VERSION", "Restored", "StateFile", "StateFileError"]

APPLICATION_ID = 0x46504C48  # "FPLH" in the SQLite header: this file is a fake-planhat state
FORMAT_VERSION = 1  # PRAGMA user_version; a newer layout is refused, not guessed at
# NORMAL in WAL mode: a commit is in the WAL before the answer goes out, so it survives the
# process dying (SIGKILL, OOM); only an OS crash or power loss can lose the last commits,
# never half of one. FULL would also fsync every commit: ~25 times slower per write.
SYNCHRONOUS = "NORMAL"
BUSY_TIMEOUT = 1.0  # seconds to wait for a file another process holds before giving up

SCHEMA = """
CREATE TABLE tenants (
    token TEXT PRIMARY KEY,
    api_tokens TEXT NOT NULL,  -- {"<API token>": "write" | "read"}
    settings TEXT NOT NULL     -- TenantSettings.to_json()
);
CREATE TABLE documents (
    tenant TEXT NOT NULL,
    model TEXT NOT NULL,       -- Collection.model, or "unassigned" for the P-8 list
    id TEXT NOT NULL,          -- _id (the contact's _id for an unassigned entry)
    seq INTEGER NOT NULL,      -- creation order: P-4's "oldest" survives a restart
    body TEXT NOT NULL,        -- the document as JSON
    PRIMARY KEY (tenant, model, id)
) WITHOUT ROWID;
CREATE INDEX documents_by_seq ON documents (seq);
"""

_INSERT = (
    "INSERT INTO documents (tenant, model, id, seq, body) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (tenant, model, id) DO UPDATE SET seq = excluded.seq, body = excluded.body"
)
# An update keeps the row's creation order; its seq is only used if the row is missing.
_UPDATE = (
    "INSERT INTO documents (tenant, model, id, seq, body) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (tenant, model, id) DO UPDATE SET body = excluded.body"
)
_DELETE = "DELETE FROM documents WHERE tenant = ? AND model = ? AND id = ?"
_TENANT = (
    "INSERT INTO tenants (token, api_tokens, settings) VALUES (?, ?, ?) "
    "ON CONFLICT (token) DO UPDATE SET api_tokens = excluded.api_tokens, "
    "settings = excluded.settings"
)


class StateFileError(Exception):
    """The state file cannot be used: unreadable, not a fake-planhat state file, in use by
    another process, or a change could not be written."""


@dataclass(frozen=True)
class Restored:
    """What opening the file brought back."""

    tenants: int
    documents: int  # contacts, companies, activities and metrics (unassigned ones included)

    @property
    def fresh(self) -> bool:
        """The file held nothing: it was new, or never written."""
        return self.tenants == 0


@dataclass
class _Pending:
    """A tenant's changes not committed yet: (model, key) -> (seq if inserted, doc or None)."""

    docs: dict[tuple[str, str], tuple[int | None, Doc | None]] = field(default_factory=dict)
    tenant_row: bool = False  # API tokens or settings changed
    removed: bool = False  # the tenant is gone: nothing more is saved for it


class StateFile:
    """A :class:`~fake_planhat.state.Store` kept in the SQLite file at ``path``.

    Opening restores the file's tenants (with their API tokens and settings), documents in
    creation order, and unassigned lists into ``store``, which must be empty; from then on every
    change is committed as described in the module docstring. One process at a time: the file
    stays locked until :meth:`close`.
    """

    def __init__(self, path: str | os.PathLike[str], store: Store) -> None:
        if store.tenants():
            raise ValueError("open the state file before adding tenants to the store")
        self.path = Path(path)
        self._store = store
        self._lock = threading.Lock()  # one connection, shared by every request thread
        self._pending: dict[str, _Pending] = {}
        self._seq: Iterator[int] = itertools.count(1)
        # Problems worth a word that do not stop the fake (a file other users can read).
        self.warnings: list[str] = []
        self._db: sqlite3.Connection | None = _connect(self.path, self.warnings)
        try:
            self.restored = self._restore()
        except (sqlite3.Error, TypeError, ValueError, KeyError, AttributeError) as exc:
            # pages or tables that are not what fake-planhat writes: say so in one line
            self._db.close()
            self._db = None
            raise StateFileError(
                f"{self.path} is corrupt or was not written by fake-planhat: {_reason(exc)}; "
                "move it aside to start a new state file"
            ) from None
        except BaseException:
            self._db.close()
            self._db = None
            raise
        store.watcher = self
        for tenant in store.tenants():
            self.watch(tenant)

    # --- opening ---------------------------------------------------------------------------

    def _restore(self) -> Restored:
        db = self._connection()
        store = self._store
        tenants = 0
        for token, api_tokens, settings in db.execute(
            "SELECT token, api_tokens, settings FROM tenants ORDER BY rowid"
        ):
            where = f"tenant fp:{fingerprint(token)}"
            try:  # every tenant setting (TenantSettings.from_json names a bad one)
                kept = TenantSettings.from_json(_decode(settings, where))
            except (TypeError, ValueError) as exc:
                raise StateFileError(f"{self.path}: {where} has bad settings: {exc}") from None
            try:
                store.add_tenant(token, _decode(api_tokens, where), kept)
            except ValueError as exc:
                raise StateFileError(f"{self.path}: {where}: {exc}") from None
            tenants += 1
        # rows a request wrote while racing its tenant's removal: gone with the tenant
        db.execute("DELETE FROM documents WHERE tenant NOT IN (SELECT token FROM tenants)")
        documents, last_seq = 0, 0
        restored_ids: dict[str, list[str]] = {}
        collections: dict[str, dict[str, Collection]] = {}
        for token, model, key, seq, body in db.execute(
            "SELECT tenant, model, id, seq, body FROM documents ORDER BY seq"
        ):
            last_seq = max(last_seq, seq)
            tenant = store.tenant(token)
            assert tenant is not None  # orphans were deleted above
            where = f"tenant fp:{fingerprint(token)}, {model} {key}"
            data = _decode(body, where)
            if model == UNASSIGNED:
                try:
                    tenant.unassigned[key] = UnassignedEntry.from_json(data)
                except KeyError as exc:
                    raise StateFileError(f"{self.path}: {where} lacks {exc}") from None
                continue
            by_model = collections.setdefault(
                token, {c.model: c for c in tenant.collections().values()}
            )
            collection = by_model.get(model)
            if collection is None or data.get("_id") != key:
                raise StateFileError(f"{self.path}: {where} is not a document the fake knows")
            collection.insert(data)
            restored_ids.setdefault(token, []).append(key)
            documents += 1
        self._seq = itertools.count(last_seq + 1)
        for token, taken in restored_ids.items():
            restored = store.tenant(token)
            if restored is not None:  # each tenant counts on from its own ids
                restored.ids.continue_after(taken)
        return Restored(tenants, documents)

    # --- the watcher's side: told of changes -----------------------------------------------

    def watch(self, tenant: Tenant) -> None:
        pending = self._pending.setdefault(tenant.token, _Pending())
        tenant.watch(partial(self._record, tenant, pending), partial(self._flush, tenant, pending))

    def tenant_changed(self, tenant: Tenant) -> None:
        pending = self._pending[tenant.token]
        if _holds(tenant):
            pending.tenant_row = True  # saved with the holder's other changes
        else:  # only the row: the holder's pending documents are not this caller's to commit
            self._commit(tenant, pending, {}, tenant_row=True)

    def tenant_removed(self, token: str) -> None:
        pending = self._pending.pop(token, None)
        if pending is not None:
            pending.removed = True  # a holder racing the removal saves nothing more

        def remove(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM documents WHERE tenant = ?", (token,))
            db.execute("DELETE FROM tenants WHERE token = ?", (token,))

        self._transaction(remove)

    def _record(
        self,
        tenant: Tenant,
        pending: _Pending,
        model: str,
        kind: ChangeKind,
        key: str,
        doc: Doc | None,
    ) -> None:
        slot = (model, key)
        if not _holds(tenant):  # no code path of the fake does this: save it on its own
            seq = next(self._seq) if kind == "insert" else None
            self._commit(tenant, pending, {slot: (seq, doc)}, tenant_row=False)
        elif kind == "insert":
            pending.docs[slot] = (next(self._seq), doc)
        elif kind == "update":
            before = pending.docs.get(slot)
            pending.docs[slot] = (before[0] if before is not None else None, doc)
        else:
            pending.docs[slot] = (None, None)

    def _flush(self, tenant: Tenant, pending: _Pending) -> None:
        """Commit the lock holder's pending changes in one transaction (still under the lock)."""
        if not pending.docs and not pending.tenant_row:
            return
        changes, pending.docs = pending.docs, {}
        tenant_row, pending.tenant_row = pending.tenant_row, False
        self._commit(tenant, pending, changes, tenant_row=tenant_row)

    def _commit(
        self,
        tenant: Tenant,
        pending: _Pending,
        changes: dict[tuple[str, str], tuple[int | None, Doc | None]],
        *,
        tenant_row: bool,
    ) -> None:
        token = tenant.token
        inserts: list[tuple[str, str, str, int, str]] = []
        updates: list[tuple[str, str, str, int, str]] = []
        removals: list[tuple[str, str, str]] = []
        for (model, key), (seq, doc) in changes.items():
            if doc is None:
                removals.append((token, model, key))
                continue
            body = _encode(doc, f"{model} {key}")
            if seq is not None:
                inserts.append((token, model, key, seq, body))
            else:
                updates.append((token, model, key, next(self._seq), body))

        def write(db: sqlite3.Connection) -> None:
            if pending.removed:
                return
            if tenant_row:
                # read here, in commit order, so a later commit never saves older tokens
                tokens, settings = dict(tenant.api_tokens), tenant.settings.to_json()
                row = (token, _encode(tokens, "API tokens"), _encode(settings, "settings"))
                db.execute(_TENANT, row)
            db.executemany(_DELETE, removals)
            db.executemany(_INSERT, inserts)
            db.executemany(_UPDATE, updates)

        self._transaction(write)

    # --- the file --------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise StateFileError(f"{self.path} is closed; the change was not saved")
        return self._db

    def _transaction(self, work: Callable[[sqlite3.Connection], None]) -> None:
        with self._lock:
            db = self._connection()
            try:
                db.execute("BEGIN")
                work(db)
                db.execute("COMMIT")
            except BaseException as exc:
                if db.in_transaction:
                    db.rollback()
                if isinstance(exc, sqlite3.Error):
                    raise StateFileError(f"{self.path}: the change was not saved: {exc}") from exc
                raise

    def close(self) -> None:
        """Close the file (the fake keeps its state in memory; later changes raise)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None
        if self._store.watcher is self:
            self._store.watcher = None

    @property
    def closed(self) -> bool:
        return self._db is None

    def __repr__(self) -> str:
        return f"<StateFile {self.path}{' closed' if self.closed else ''}>"


def _holds(tenant: Tenant) -> bool:
    return isinstance(tenant.lock, TenantLock) and tenant.lock.held()


def _encode(value: Any, what: str) -> str:
    try:
        return json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise StateFileError(f"cannot save {what}: it is not JSON ({exc})") from None


def _decode(text: str, where: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise StateFileError(f"the state file's {where} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise StateFileError(f"the state file's {where} is not a JSON object")
    return value


def _connect(path: Path, warnings: list[str]) -> sqlite3.Connection:
    """Open (or create, readable by its owner only: it holds tokens) and lock the file."""
    _check_access(path)
    try:
        new = not path.exists() or path.stat().st_size == 0
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        elif path.stat().st_mode & 0o077:
            warnings.append(f"{path} is readable by other users and holds tokens: chmod 600 {path}")
        db = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
    except (OSError, sqlite3.Error) as exc:
        raise StateFileError(f"cannot open {path}: {_reason(exc, path)}") from None
    try:
        # EXCLUSIVE before the first access: no shared-memory index, and the file stays locked
        # against a second server, which would otherwise write a diverging state into it.
        db.execute("PRAGMA locking_mode = EXCLUSIVE")
        db.execute("BEGIN IMMEDIATE")
        application, version = (
            db.execute("PRAGMA application_id").fetchone()[0],
            db.execute("PRAGMA user_version").fetchone()[0],
        )
        tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if application == 0 and tables == 0 and not new:
            # an SQLite file of another program that has no tables yet: not ours to take
            raise StateFileError(
                f"{path} is not a fake-planhat state file (an SQLite database of another "
                "program); pick another path"
            )
        if application == 0 and tables == 0:
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {FORMAT_VERSION}")
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)
        elif application != APPLICATION_ID:
            raise StateFileError(f"{path} is not a fake-planhat state file")
        elif version != FORMAT_VERSION:
            raise StateFileError(
                f"{path} has state format {version}; this fake-planhat reads format "
                f"{FORMAT_VERSION}"
            )
        db.execute("COMMIT")
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise StateFileError(f"{path}: SQLite would not use WAL mode (got {mode})")
        db.execute(f"PRAGMA synchronous = {SYNCHRONOUS}")
    except sqlite3.Error as exc:
        db.close()
        raise StateFileError(f"cannot use {path}: {_reason(exc, path)}") from None
    except StateFileError:
        db.close()
        raise
    return db


def _check_access(path: Path) -> None:
    """Permission problems in plain words (SQLite would say "disk I/O error" or "unable to
    open database file")."""
    folder = path.parent if str(path.parent) else Path(".")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise StateFileError(
            f"cannot open {path}: permission denied: this user must be able to read and write it"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StateFileError(
            f"cannot use {path}: permission denied: its folder {folder} must be writable by "
            "this user (SQLite keeps its write-ahead log next to the file)"
        )


def _reason(exc: BaseException, path: Path | None = None) -> str:
    if path is not None and isinstance(exc, sqlite3.OperationalError):
        text = str(exc)
        if "disk I/O error" in text or "readonly" in text or "unable to open" in text:
            return f"{text} (check the permissions of {path} and its folder, and free space)"
    if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
        return "another process (another fake-planhat?) is using it"
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
        return "it is not a fake-planhat state file (not an SQLite database)"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)
