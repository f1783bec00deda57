"""Everything that speaks SQL: connections, schema, migrations and queries.

Nothing outside this package imports sqlite3 or writes SQL. The web tier and
the CLI call the functions of the submodules with a `Database` from `connect()`.
"""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database


class StoreError(Exception):
    """Base class of the errors the store raises for the edges to translate."""


class NotFound(StoreError):
    """The row does not exist, or is outside what the viewer may see."""


class DuplicateCodiceFiscale(StoreError):
    """Another person of the same office already has this codice fiscale."""

    def __init__(self, existing_id: int):
        super().__init__(existing_id)
        self.existing_id = existing_id


class DuplicateName(StoreError):
    """A unique name (username, office code) is already taken."""


def connect(path: str | Path) -> Database:
    """Open the database file with the settings every connection needs."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=15, check_same_thread=False)
    db = Database(conn)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA busy_timeout = 15000")
    db.execute("PRAGMA synchronous = NORMAL")
    return db


@contextmanager
def atomic(db: Database) -> Iterator[Database]:
    """A write transaction: all or nothing, and never a stale read upgraded to a write.

    Wraps sqlite-utils' `db.atomic()`. The outermost level starts with BEGIN IMMEDIATE: in
    WAL mode a deferred transaction that read and then writes fails at once with "database
    is locked" if another connection committed meanwhile; IMMEDIATE takes the write lock
    first and waits (busy_timeout) instead. Nested levels are savepoints.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        with db.atomic():
            yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def backup(source_path: str | Path, target_path: str | Path) -> str:
    """Copy a live database with SQLite's online backup API; return integrity_check's verdict."""
    target = Path(target_path)
    if target.exists():
        target.unlink()
    source = sqlite3.connect(str(source_path), timeout=15)
    dest = sqlite3.connect(str(target))
    try:
        source.backup(dest, pages=256)
        verdict = dest.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dest.close()
        source.close()
    return verdict


def integrity_check(path: str | Path) -> str:
    """Run PRAGMA integrity_check on a database file."""
    conn = sqlite3.connect(str(path))
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


from . import audit, batches, cases, documents, entries, forms, imports, offices, persons, sessions, users  # noqa: E402  (they import the errors above)
