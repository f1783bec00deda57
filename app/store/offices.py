"""Offices (enti/uffici): the unit of data separation."""

import sqlite3

from sqlite_utils import Database

from . import DuplicateName, NotFound, atomic
from .clock import now_iso

EDITABLE = ("name", "address", "phone", "email", "pec")


def create(db: Database, code: str, name: str, **details: str) -> int:
    """Create an office; raise DuplicateName if the code is taken."""
    row = {"code": code.strip().upper(), "name": name.strip(), "created_at": now_iso()}
    row.update({k: v.strip() for k, v in details.items() if k in EDITABLE and v})
    try:
        with atomic(db):
            return db["offices"].insert(row).last_pk
    except sqlite3.IntegrityError as exc:
        raise DuplicateName(row["code"]) from exc


def update(db: Database, office_id: int, **details: str) -> None:
    """Change an office's name and letterhead data."""
    changes = {k: (v or "").strip() for k, v in details.items() if k in EDITABLE}
    with atomic(db):
        db["offices"].update(office_id, changes)


def get(db: Database, office_id: int) -> dict:
    """One office by id."""
    rows = list(db.query("SELECT * FROM offices WHERE id = ?", [office_id]))
    if not rows:
        raise NotFound(office_id)
    return rows[0]


def by_code(db: Database, code: str) -> dict:
    """One office by its code (case-insensitive)."""
    rows = list(db.query("SELECT * FROM offices WHERE code = ?", [code.strip().upper()]))
    if not rows:
        raise NotFound(code)
    return rows[0]


def all_offices(db: Database) -> list[dict]:
    """Every office, by name, with how many users and open cases each has."""
    return list(db.query("""
        SELECT o.*,
          (SELECT COUNT(*) FROM users u WHERE u.office_id = o.id AND u.active) AS n_users,
          (SELECT COUNT(*) FROM cases c WHERE c.office_id = o.id AND c.stato = 'aperta')
            AS n_open_cases
        FROM offices o ORDER BY o.name"""))
