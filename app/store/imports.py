"""Imports: what each import did, object by object, so it can be reported and undone."""

import json

from sqlite_utils import Database

from . import NotFound, atomic
from .clock import now_iso


def record(db: Database, *, office_id: int, form_id: str, filename: str, sha256: str,
           sheet: str, mapping: dict, counts: dict, outcomes: list | str, user_id: int | None,
           report: bytes | None = None) -> int:
    """The import itself (called inside the import's transaction)."""
    return db["imports"].insert({"report": report,
        "office_id": office_id, "form_id": form_id, "filename": filename, "sha256": sha256,
        "sheet": sheet, "mapping": json.dumps(mapping, ensure_ascii=False),
        "counts": json.dumps(counts), "outcomes": outcomes if isinstance(outcomes, str)
        else json.dumps(outcomes, ensure_ascii=False),
        "created_by": user_id, "created_at": now_iso()}).last_pk


def add_item(db: Database, import_id: int, kind: str, object_id: int, action: str,
             before: dict | None = None, after_rev: int | None = None,
             after_stamp: str | None = None) -> None:
    add_items(db, import_id, [(kind, object_id, action, before, after_rev, after_stamp)])


def add_items(db: Database, import_id: int, items: list[tuple]) -> None:
    """Records of an import, each (kind, object_id, action, before, after_rev, after_stamp)."""
    db.conn.executemany(
        "INSERT INTO import_items (import_id, kind, object_id, action, before, after_rev, "
        "after_stamp) VALUES (?, ?, ?, ?, ?, ?, ?)",
        ((import_id, kind, object_id, action,
          json.dumps(before, ensure_ascii=False) if before is not None else None,
          after_rev, after_stamp)
         for kind, object_id, action, before, after_rev, after_stamp in items))


def get(db: Database, office_id: int, import_id: int) -> dict:
    rows = list(db.query("SELECT i.id, i.office_id, i.form_id, i.filename, i.sha256, i.sheet, "
                         "i.mapping, i.counts, i.outcomes, i.status, i.created_at, i.undone_at, "
                         "i.created_by, u.full_name AS author FROM imports i LEFT JOIN users u "
                         "ON u.id = i.created_by WHERE i.id = ? AND i.office_id = ?",
                         [import_id, office_id]))
    if not rows:
        raise NotFound(import_id)
    row = rows[0]
    for key in ("mapping", "counts", "outcomes"):
        row[key] = json.loads(row[key])
    return row


def of_office(db: Database, office_id: int, limit: int = 50,
              created_by: int | None = None) -> list[dict]:
    """An office's latest imports; with `created_by`, only those that user made."""
    mine = " AND i.created_by = ?" if created_by is not None else ""
    rows = list(db.query(
        "SELECT i.id, i.form_id, i.filename, i.counts, i.status, i.created_at, i.undone_at, "
        "i.created_by, u.full_name AS author FROM imports i LEFT JOIN users u "
        f"ON u.id = i.created_by WHERE i.office_id = ?{mine} ORDER BY i.id DESC LIMIT ?",
        [office_id, *([created_by] if mine else []), limit]))
    for row in rows:
        row["counts"] = json.loads(row["counts"])
    return rows


def items(db: Database, import_id: int) -> list[dict]:
    rows = list(db.query("SELECT * FROM import_items WHERE import_id = ? ORDER BY id DESC",
                         [import_id]))
    for row in rows:
        row["before"] = json.loads(row["before"]) if row["before"] else None
    return rows


def mark_undone(db: Database, import_id: int, user_id: int | None) -> None:
    with atomic(db):
        db.execute("UPDATE imports SET status = 'annullata', undone_at = ?, undone_by = ? "
                   "WHERE id = ?", [now_iso(), user_id, import_id])


def entry_state(db: Database, entry_id: int) -> dict | None:
    rows = list(db.query("SELECT rev, deleted_at FROM entries WHERE id = ?", [entry_id]))
    return rows[0] if rows else None


def person_stamp(db: Database, person_id: int) -> str | None:
    row = db.execute("SELECT updated_at FROM persons WHERE id = ?", [person_id]).fetchone()
    return row[0] if row else None


def case_has_others(db: Database, case_id: int, import_id: int) -> bool:
    """Whether a case holds entries that the import did not create."""
    return bool(db.execute(
        "SELECT 1 FROM entries e WHERE e.case_id = ? AND e.id NOT IN (SELECT object_id FROM "
        "import_items WHERE import_id = ? AND kind = 'entry' AND action = 'created')",
        [case_id, import_id]).fetchone())


def person_has_others(db: Database, person_id: int, import_id: int) -> bool:
    return bool(db.execute(
        "SELECT 1 FROM cases c WHERE c.person_id = ? AND c.id NOT IN (SELECT object_id FROM "
        "import_items WHERE import_id = ? AND kind = 'case' AND action = 'created')",
        [person_id, import_id]).fetchone())


def delete_entry(db: Database, entry_id: int) -> None:
    """Only for undoing an import: the entry never should have existed."""
    db.execute("DELETE FROM entry_autosaves WHERE entry_id = ?", [entry_id])
    db.execute("DELETE FROM entry_revisions WHERE entry_id = ?", [entry_id])
    db.execute("DELETE FROM entries WHERE id = ?", [entry_id])


def delete_case(db: Database, case_id: int) -> None:
    db.execute("DELETE FROM case_team WHERE case_id = ?", [case_id])
    db.execute("DELETE FROM cases WHERE id = ?", [case_id])


def delete_person(db: Database, person_id: int) -> None:
    db.execute("DELETE FROM persons WHERE id = ?", [person_id])


def restore_person(db: Database, person_id: int, before: dict) -> None:
    db["persons"].update(person_id, before)


def office_people(db: Database, office_id: int) -> list[dict]:
    """Every person of an office with what an import matches on (fast, one query)."""
    return list(db.query("SELECT id, codice_fiscale, cognome, nome, data_nascita, sesso, "
                         "luogo_nascita, cittadinanza, comune_residenza, indirizzo, telefono, "
                         "email, updated_at FROM persons WHERE office_id = ?", [office_id]))


def office_open_cases(db: Database, office_id: int) -> dict[int, int]:
    """person id -> its most recent open case in the office."""
    return {r["person_id"]: r["id"] for r in db.query(
        "SELECT person_id, MAX(id) AS id FROM cases WHERE office_id = ? AND stato = 'aperta' "
        "GROUP BY person_id", [office_id])}


def office_entries(db: Database, office_id: int, form_id: str):
    """Live entries of a form in an office, oldest first, with their data as stored (JSON
    text), one at a time (for matching rows)."""
    yield from db.query("SELECT id, case_id, person_id, rev, status, form_version, data "
                        "FROM entries WHERE office_id = ? AND form_id = ? AND deleted_at IS "
                        "NULL ORDER BY id", [office_id, form_id])


def entry_data(db: Database, entry_id: int) -> str:
    """An entry's data as stored (JSON text)."""
    return db.execute("SELECT data FROM entries WHERE id = ?", [entry_id]).fetchone()[0]


def report(db: Database, office_id: int, import_id: int) -> bytes | None:
    row = db.execute("SELECT report FROM imports WHERE id = ? AND office_id = ?",
                     [import_id, office_id]).fetchone()
    if row is None:
        raise NotFound(import_id)
    return row[0]


def wizard_create(db: Database, token: str, user_id: int, state: dict) -> None:
    """An import wizard's state, kept on the server under a random token, for its user."""
    stamp = now_iso()
    with atomic(db):
        db["import_wizards"].insert({"token": token, "user_id": user_id,
                                     "state": json.dumps(state, ensure_ascii=False),
                                     "created_at": stamp, "updated_at": stamp})


def wizard(db: Database, token: str, user_id: int) -> dict | None:
    """A wizard's state, only for the user who started it (None for anyone else)."""
    row = db.execute("SELECT state FROM import_wizards WHERE token = ? AND user_id = ?",
                     [token, user_id]).fetchone()
    return json.loads(row[0]) if row else None


def wizard_save(db: Database, token: str, user_id: int, state: dict) -> None:
    with atomic(db):
        db.execute("UPDATE import_wizards SET state = ?, updated_at = ? WHERE token = ? AND "
                   "user_id = ?", [json.dumps(state, ensure_ascii=False), now_iso(), token,
                                   user_id])


def wizard_delete(db: Database, token: str, user_id: int) -> dict | None:
    """Forget a wizard; return its last state (None if there was none)."""
    state = wizard(db, token, user_id)
    with atomic(db):
        db.execute("DELETE FROM import_wizards WHERE token = ? AND user_id = ?",
                   [token, user_id])
    return state


def wizards_before(db: Database, stamp: str) -> list[dict]:
    """Wizards left untouched since `stamp` (a closed tab), removed; their last states."""
    with atomic(db):
        rows = [json.loads(r[0]) for r in db.execute(
            "SELECT state FROM import_wizards WHERE updated_at < ?", [stamp]).fetchall()]
        db.execute("DELETE FROM import_wizards WHERE updated_at < ?", [stamp])
    return rows


def wizards_of(db: Database, user_id: int) -> dict[str, dict]:
    """A user's open wizards, token -> state."""
    return {r[0]: json.loads(r[1]) for r in db.execute(
        "SELECT token, state FROM import_wizards WHERE user_id = ?", [user_id]).fetchall()}
