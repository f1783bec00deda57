"""Entries (filled sheets): every save is a revision; concurrent saves never overwrite."""

import json
import secrets
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from . import NotFound, StoreError, atomic
from .clock import now_iso
from .scope import Scope, case_where


class Conflict(StoreError):
    """Someone saved the entry since the revision the user started from."""

    def __init__(self, current: dict):
        super().__init__(current["rev"])
        self.current = current


def dump_data(data: dict | str) -> str:
    """A sheet's values as stored: JSON with sorted keys (equal sheets, equal texts). Text
    already made by this function passes through."""
    if isinstance(data, str):
        return data
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


_dumps = dump_data


def _row(row: dict) -> dict:
    row = dict(row)
    row["data"] = json.loads(row["data"])
    return row


def create(db: Database, case: dict, form_id: str, version: int, data: dict, user_id: int | None,
           status: str = "bozza", note: str = "", source: str = "web",
           import_id: int | None = None) -> int:
    """A new entry of a form in a case, with its first revision."""
    now = now_iso()
    with atomic(db):
        entry_id = db["entries"].insert({
            "case_id": case["id"], "person_id": case["person_id"], "office_id": case["office_id"],
            "form_id": form_id, "form_version": version, "status": status, "data": _dumps(data),
            "rev": 1, "created_at": now, "created_by": user_id, "updated_at": now,
            "updated_by": user_id, "import_id": import_id,
        }).last_pk
        _revision(db, entry_id, 1, version, status, data, note, source, import_id, user_id, now)
    return entry_id


def _revision(db, entry_id, rev, version, status, data, note, source, import_id, user_id, at):
    db.execute(
        "INSERT INTO entry_revisions (entry_id, rev, form_version, status, data, note, source, "
        "import_id, user_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [entry_id, rev, version, status, _dumps(data), note, source, import_id, user_id, at])


def create_many(db: Database, form_id: str, version: int,
                sheets: list[tuple[dict, dict | str, str]],
                user_id: int | None, *, note: str, source: str, import_id: int | None
                ) -> list[int]:
    """Many new entries of a form, each with its first revision, in two statements; each
    sheet is (case, data, status). The ids, in the order given. Call inside a transaction:
    the ids follow the largest one, which nobody else can take while it lasts."""
    now = now_iso()
    first = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM entries").fetchone()[0]
    ids = list(range(first, first + len(sheets)))
    texts = [_dumps(data) for _, data, _ in sheets]
    db.conn.executemany(
        "INSERT INTO entries (id, case_id, person_id, office_id, form_id, form_version, status, "
        "data, rev, created_at, created_by, updated_at, updated_by, import_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
        ((entry_id, case["id"], case["person_id"], case["office_id"], form_id, version, status,
          text, now, user_id, now, user_id, import_id)
         for entry_id, (case, _, status), text in zip(ids, sheets, texts, strict=True)))
    db.conn.executemany(
        "INSERT INTO entry_revisions (entry_id, rev, form_version, status, data, note, source, "
        "import_id, user_id, at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
        ((entry_id, version, status, text, note, source, import_id, user_id, now)
         for entry_id, (_, _, status), text in zip(ids, sheets, texts, strict=True)))
    return ids


def save(db: Database, entry_id: int, base_rev: int, data: dict, status: str,
         user_id: int | None, note: str = "", source: str = "web",
         import_id: int | None = None) -> int:
    """Store a new revision if nobody saved since `base_rev`; else raise Conflict."""
    now = now_iso()
    with atomic(db):
        cursor = db.execute(
            "UPDATE entries SET data = ?, status = ?, rev = rev + 1, updated_at = ?, "
            "updated_by = ? WHERE id = ? AND rev = ? AND deleted_at IS NULL",
            [_dumps(data), status, now, user_id, entry_id, base_rev])
        if cursor.rowcount != 1:
            current = list(db.query("SELECT * FROM entries WHERE id = ?", [entry_id]))
            if not current:
                raise NotFound(entry_id)
            raise Conflict(_row(current[0]))
        version = db.execute("SELECT form_version FROM entries WHERE id = ?",
                             [entry_id]).fetchone()[0]
        _revision(db, entry_id, base_rev + 1, version, status, data, note, source, import_id,
                  user_id, now)
        db.execute("DELETE FROM entry_autosaves WHERE entry_id = ? AND user_id = ?",
                   [entry_id, user_id or 0])
    return base_rev + 1


_SELECT = ("SELECT e.*, c.manager_id, u.full_name AS updated_by_name FROM entries e "
           "JOIN cases c ON c.id = e.case_id LEFT JOIN users u ON u.id = e.updated_by")


def get(db: Database, scope: Scope, entry_id: int, deleted: bool = False) -> dict:
    """One entry whose case is in the scope; NotFound otherwise."""
    clause, args = case_where(scope, "c")
    rows = list(db.query(
        _SELECT + f" WHERE e.id = ? AND {clause} AND e.deleted_at IS "
        + ("NOT NULL" if deleted else "NULL"), [entry_id, *args]))
    if not rows:
        raise NotFound(entry_id)
    return _row(rows[0])


def of_case(db: Database, case_id: int, deleted: bool = False) -> list[dict]:
    """The entries of a case (live or in the trash), newest first."""
    return [_row(r) for r in db.query(
        _SELECT + " WHERE e.case_id = ? AND e.deleted_at IS "
        + ("NOT NULL" if deleted else "NULL") + " ORDER BY e.updated_at DESC", [case_id])]


def latest(db: Database, case_id: int, form_id: str, complete_only: bool = True) -> dict | None:
    """The most recent (complete, by default) live entry of a form in a case."""
    status = "AND e.status = 'completa' " if complete_only else ""
    rows = list(db.query(
        _SELECT + f" WHERE e.case_id = ? AND e.form_id = ? AND e.deleted_at IS NULL {status}"
        "ORDER BY e.updated_at DESC, e.id DESC LIMIT 1", [case_id, form_id]))
    return _row(rows[0]) if rows else None


def revisions(db: Database, entry_id: int) -> list[dict]:
    """Every saved state of an entry, newest first, with who saved it."""
    return [_row(r) for r in db.query(
        "SELECT r.*, u.full_name AS user_name, u.username FROM entry_revisions r "
        "LEFT JOIN users u ON u.id = r.user_id WHERE r.entry_id = ? ORDER BY r.rev DESC",
        [entry_id])]


def revision(db: Database, entry_id: int, rev: int) -> dict:
    rows = list(db.query("SELECT * FROM entry_revisions WHERE entry_id = ? AND rev = ?",
                         [entry_id, rev]))
    if not rows:
        raise NotFound(rev)
    return _row(rows[0])


def soft_delete(db: Database, entry_id: int, user_id: int | None) -> None:
    """Move an entry to the trash (cestino)."""
    with atomic(db):
        db.execute("UPDATE entries SET deleted_at = ?, deleted_by = ? WHERE id = ?",
                   [now_iso(), user_id, entry_id])


def restore(db: Database, entry_id: int) -> None:
    """Take an entry out of the trash."""
    with atomic(db):
        db.execute("UPDATE entries SET deleted_at = NULL, deleted_by = NULL WHERE id = ?",
                   [entry_id])


def discard_unsaved(db: Database, entry_id: int, user_id: int) -> bool:
    """Delete a sheet its creator opened and left without ever saving it (only its first
    revision, from the web, no document made from it); False, and nothing done, otherwise."""
    with atomic(db):
        row = db.execute("SELECT rev, created_by, import_id FROM entries WHERE id = ? "
                         "AND deleted_at IS NULL", [entry_id]).fetchone()
        if row is None or row[0] != 1 or row[1] != user_id or row[2] is not None:
            return False
        if db.execute("SELECT 1 FROM documents WHERE entry_id = ? LIMIT 1",
                      [entry_id]).fetchone():
            return False
        for statement in ("DELETE FROM entry_autosaves WHERE entry_id = ?",
                          "DELETE FROM entry_revisions WHERE entry_id = ?",
                          "DELETE FROM entries WHERE id = ?"):
            db.execute(statement, [entry_id])
    return True


def put_autosave(db: Database, entry_id: int, user_id: int, base_rev: int, data: dict) -> str:
    """Keep the latest unsaved typing of a user on an entry (one slot per user)."""
    at = now_iso()
    with atomic(db):
        db["entry_autosaves"].upsert({"entry_id": entry_id, "user_id": user_id,
                                      "base_rev": base_rev, "data": _dumps(data), "at": at},
                                     pk=("entry_id", "user_id"))
    return at


def get_autosave(db: Database, entry_id: int, user_id: int) -> dict | None:
    rows = list(db.query("SELECT * FROM entry_autosaves WHERE entry_id = ? AND user_id = ?",
                         [entry_id, user_id]))
    return _row(rows[0]) if rows else None


def drop_autosave(db: Database, entry_id: int, user_id: int) -> None:
    with atomic(db):
        db.execute("DELETE FROM entry_autosaves WHERE entry_id = ? AND user_id = ?",
                   [entry_id, user_id])


STASH_MAX_BYTES = 2 * 1024 * 1024
STASH_HOURS = 24
STASH_PER_USER = 20


class StashTooLarge(StoreError):
    """A form posted after the session expired is too large to be kept."""


def stash_submission(db: Database, path: str, form_pairs: list, user_id: int,
                     session_id: int) -> str:
    """Keep a form a user posted after their session expired; return the token to find it."""
    data = json.dumps(form_pairs, ensure_ascii=False)
    if len(data.encode("utf-8")) > STASH_MAX_BYTES:
        raise StashTooLarge(path)
    token = secrets.token_urlsafe(24)
    with atomic(db):
        _purge_stashes(db)
        db.execute("DELETE FROM pending_submissions WHERE user_id = ? AND path = ?",
                   [user_id, path])
        db["pending_submissions"].insert({"token": token, "path": path, "form": data,
                                          "created_at": now_iso(), "user_id": user_id,
                                          "session_id": session_id})
        db.execute(
            "DELETE FROM pending_submissions WHERE user_id = ? AND token NOT IN (SELECT token "
            "FROM pending_submissions WHERE user_id = ? ORDER BY created_at DESC LIMIT ?)",
            [user_id, user_id, STASH_PER_USER])
    return token


def pop_submission(db: Database, token: str, user_id: int) -> dict | None:
    """Take back (and forget) a submission stashed by this same user; others get None."""
    with atomic(db):
        _purge_stashes(db)
        rows = list(db.query("SELECT * FROM pending_submissions WHERE token = ? AND user_id = ?",
                             [token, user_id]))
        db.execute("DELETE FROM pending_submissions WHERE token = ? AND user_id = ?",
                   [token, user_id])
    if not rows:
        return None
    return {"path": rows[0]["path"], "form": json.loads(rows[0]["form"])}


def _purge_stashes(db: Database) -> None:
    cutoff = datetime.now(UTC) - timedelta(hours=STASH_HOURS)
    db.execute("DELETE FROM pending_submissions WHERE created_at < ? OR user_id IS NULL",
               [cutoff.isoformat(timespec="milliseconds")])


def count(db: Database) -> int:
    return db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]


def by_id(db: Database, entry_id: int) -> dict:
    """An entry regardless of scope (for the command line, which acts as the system)."""
    rows = list(db.query("SELECT id, office_id, case_id FROM entries WHERE id = ?", [entry_id]))
    if not rows:
        raise NotFound(entry_id)
    return rows[0]


def for_export(db: Database, office_id: int | None, form_id: str, date_from: str = "",
               date_to: str = ""):
    """Live entries of a form (of an office or all), oldest first, with the person's identity."""
    where, args = ["e.form_id = ?", "e.deleted_at IS NULL"], [form_id]
    if office_id is not None:
        where.append("e.office_id = ?")
        args.append(office_id)
    if date_from:
        where.append("e.updated_at >= ?")
        args.append(date_from)
    if date_to:
        where.append("e.updated_at < date(?, '+1 day')")
        args.append(date_to)
    for row in db.query(
            "SELECT e.id, e.form_version, e.status, e.rev, e.updated_at, e.data, "
            "p.codice_fiscale, p.cognome, p.nome, p.data_nascita FROM entries e "
            f"JOIN persons p ON p.id = e.person_id WHERE {' AND '.join(where)} ORDER BY e.id",
            args):
        row["data"] = json.loads(row["data"])
        yield row


def of_form(db: Database, scope: Scope, form_id: str, limit: int = 200,
            offset: int = 0) -> tuple[list[dict], int]:
    """Live entries of a form in the viewer's scope, newest first, with the person's name."""
    clause, args = case_where(scope, "c")
    base = (" FROM entries e JOIN cases c ON c.id = e.case_id JOIN persons p ON p.id = "
            f"e.person_id WHERE e.form_id = ? AND e.deleted_at IS NULL AND {clause}")
    total = db.execute("SELECT COUNT(*)" + base, [form_id, *args]).fetchone()[0]
    rows = list(db.query(
        "SELECT e.id, e.case_id, e.status, e.rev, e.updated_at, p.cognome, p.nome, "
        "p.codice_fiscale" + base + " ORDER BY e.updated_at DESC LIMIT ? OFFSET ?",
        [form_id, *args, limit, offset]))
    return rows, total


def counts_by_form(db: Database, scope: Scope) -> dict[str, int]:
    clause, args = case_where(scope, "c")
    return {r["form_id"]: r["n"] for r in db.query(
        "SELECT e.form_id, COUNT(*) AS n FROM entries e JOIN cases c ON c.id = e.case_id "
        f"WHERE e.deleted_at IS NULL AND {clause} GROUP BY e.form_id", args)}
