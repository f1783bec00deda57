"""Is the database accepting writes? A full disk or a read-only file, told apart from bugs."""

import sqlite3

from sqlite_utils import Database

from . import StoreError

# SQLite's names for "the write could not be done": read-only file or folder, full disk
# (or a database that reached its maximum size), a write the operating system refused, a
# file that cannot be opened (or created) where it should be.
REFUSALS = ("SQLITE_FULL", "SQLITE_IOERR_WRITE", "SQLITE_CANTOPEN")


class NotWritable(StoreError):
    """The database refuses writes: disk full or file (or folder) read-only."""


def not_writable(exc: BaseException) -> bool:
    """True when `exc` (or what caused it) is SQLite refusing a write for lack of space or
    permission, not a bug."""
    while exc is not None:
        if isinstance(exc, NotWritable):
            return True
        if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
            name = getattr(exc, "sqlite_errorname", "") or ""
            if name.startswith("SQLITE_READONLY") or name in REFUSALS:
                return True
            text = str(exc)
            if "readonly database" in text or "disk is full" in text:
                return True
        exc = exc.__cause__ or exc.__context__
    return False


def check_writable(db: Database) -> None:
    """Raise NotWritable unless a write transaction can really be made (then undone)."""
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("CREATE TABLE _cartella_write_probe (x)")
        finally:
            db.execute("ROLLBACK")
    except sqlite3.Error as exc:
        if not_writable(exc):
            raise NotWritable(str(exc)) from exc
        raise
