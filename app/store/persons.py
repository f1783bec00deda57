"""Persons (anagrafica): one row per person known to an office."""

import json
import re
import sqlite3

from sqlite_utils import Database

from . import DuplicateCodiceFiscale, NotFound, atomic
from .clock import now_iso
from .scope import Scope, case_where, person_where

FIELDS = (
    "codice_fiscale", "cognome", "nome", "sesso", "data_nascita", "luogo_nascita",
    "cittadinanza", "comune_residenza", "indirizzo", "domicilio", "telefono", "email", "note",
)


def _clean(data: dict) -> dict:
    row = {k: data.get(k) for k in FIELDS if k in data}
    extra = json.dumps(data["extra"], ensure_ascii=False, sort_keys=True) \
        if "extra" in data else None
    for key, value in row.items():
        if isinstance(value, str):
            row[key] = value.strip()
    if "codice_fiscale" in row:
        row["codice_fiscale"] = row["codice_fiscale"] or None
    if "data_nascita" in row:
        row["data_nascita"] = row["data_nascita"] or None
    row = {k: ("" if v is None and k not in ("codice_fiscale", "data_nascita") else v)
           for k, v in row.items()}
    if extra is not None:
        row["extra"] = extra
    return row


def find_by_codice_fiscale(db: Database, office_id: int, codice_fiscale: str) -> int | None:
    """Id of the office's person with this codice fiscale, if any."""
    rows = list(db.query(
        "SELECT id FROM persons WHERE office_id = ? AND codice_fiscale = ?",
        [office_id, codice_fiscale],
    ))
    return rows[0]["id"] if rows else None


def create(db: Database, office_id: int, data: dict, user_id: int | None) -> int:
    """Register a person in an office; refuse a second one with the same codice fiscale."""
    row = _clean(data)
    now = now_iso()
    row.update(office_id=office_id, created_at=now, created_by=user_id,
               updated_at=now, updated_by=user_id)
    with atomic(db):
        if row.get("codice_fiscale"):
            existing = find_by_codice_fiscale(db, office_id, row["codice_fiscale"])
            if existing:
                raise DuplicateCodiceFiscale(existing)
        try:
            return db["persons"].insert(row).last_pk
        except sqlite3.IntegrityError as exc:
            existing = find_by_codice_fiscale(db, office_id, row["codice_fiscale"])
            raise DuplicateCodiceFiscale(existing or 0) from exc


def update(db: Database, person_id: int, data: dict, user_id: int | None) -> dict:
    """Change a person's registry data; return the fields that changed (old, new)."""
    row = _clean(data)
    with atomic(db):
        before = db["persons"].get(person_id)
        if row.get("codice_fiscale"):
            existing = find_by_codice_fiscale(db, before["office_id"], row["codice_fiscale"])
            if existing and existing != person_id:
                raise DuplicateCodiceFiscale(existing)
        changed = {k: (before[k], v) for k, v in row.items() if before[k] != v}
        if "extra" in changed:
            old, new = json.loads(before["extra"]), json.loads(row["extra"])
            del changed["extra"]
            changed.update({f"extra.{k}": (old.get(k), new.get(k))
                            for k in set(old) | set(new) if old.get(k) != new.get(k)})
        if changed:
            db["persons"].update(
                person_id, {**row, "updated_at": now_iso(), "updated_by": user_id}
            )
    return changed


def get(db: Database, scope: Scope, person_id: int) -> dict:
    """One person inside the scope; NotFound otherwise (also for other offices' persons)."""
    clause, args = person_where(scope)
    rows = list(db.query(f"SELECT * FROM persons WHERE id = ? AND {clause}", [person_id, *args]))
    if not rows:
        raise NotFound(person_id)
    person = rows[0]
    person["extra"] = json.loads(person["extra"] or "{}")
    return person


def fts_query(text: str) -> str:
    """Turn what a user typed into an FTS5 prefix query: 'ross mar' -> '"ross"* "mar"*'."""
    tokens = re.findall(r"\w+", text, flags=re.UNICODE)
    return " ".join(f'"{t}"*' for t in tokens)


def search(db: Database, scope: Scope, text: str = "", limit: int = 50,
           offset: int = 0) -> tuple[list[dict], int]:
    """Persons of the scope matching the typed text (prefix of surname, name or CF)."""
    clause, args = person_where(scope, "p")
    query = fts_query(text)
    select = ("SELECT p.*, (SELECT COUNT(*) FROM cases c WHERE c.person_id = p.id "
              "AND c.stato = 'aperta') AS n_open_cases FROM persons p")
    if query:
        base = f" WHERE {clause} AND p.id IN (SELECT rowid FROM persons_fts WHERE persons_fts MATCH ?)"
        args = [*args, query]
    else:
        base = f" WHERE {clause}"
    total = db.execute("SELECT COUNT(*) FROM persons p" + base, args).fetchone()[0]
    rows = list(db.query(
        select + base + " ORDER BY p.cognome COLLATE NOCASE, p.nome COLLATE NOCASE LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ))
    return rows, total


def cases_of(db: Database, case_scope: Scope, person_id: int) -> list[dict]:
    """The person's cases the viewer may see, newest first."""
    clause, args = case_where(case_scope, "c")
    return list(db.query(
        "SELECT c.*, u.full_name AS manager_name FROM cases c "
        f"LEFT JOIN users u ON u.id = c.manager_id WHERE c.person_id = ? AND {clause} "
        "ORDER BY c.data_apertura DESC, c.id DESC",
        [person_id, *args],
    ))


def count(db: Database, office_id: int | None = None) -> int:
    """How many persons (of one office, or in all)."""
    if office_id is None:
        return db.execute("SELECT COUNT(*) FROM persons").fetchone()[0]
    return db.execute("SELECT COUNT(*) FROM persons WHERE office_id = ?", [office_id]).fetchone()[0]
