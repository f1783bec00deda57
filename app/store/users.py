"""Users, their roles and password hashes."""

import sqlite3

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from . import DuplicateName, NotFound, atomic
from .clock import now_iso

ROLES = ("admin", "coordinator", "social_worker", "staff")
EDITABLE = ("full_name", "title", "role", "office_id", "active")
# werkzeug's default (scrypt); tests may lower the cost, production never does.
PASSWORD_METHOD = "scrypt"

_USER_SELECT = """
    SELECT u.id, u.username, u.full_name, u.title, u.role, u.office_id, u.active,
           u.created_at, u.password_changed_at, o.code AS office_code, o.name AS office_name
    FROM users u LEFT JOIN offices o ON o.id = u.office_id"""


def create(
    db: Database,
    username: str,
    password: str,
    role: str,
    office_id: int | None,
    full_name: str = "",
    title: str = "",
) -> int:
    """Create a user with a hashed password; raise DuplicateName if the username is taken."""
    if role not in ROLES:
        raise ValueError(f"ruolo sconosciuto: {role}")
    now = now_iso()
    row = {
        "username": username.strip(),
        "full_name": full_name.strip(),
        "title": title.strip(),
        "role": role,
        "office_id": None if role == "admin" and office_id is None else office_id,
        "active": 1,
        "password_hash": generate_password_hash(password, method=PASSWORD_METHOD),
        "created_at": now,
        "password_changed_at": now,
    }
    try:
        with atomic(db):
            return db["users"].insert(row).last_pk
    except sqlite3.IntegrityError as exc:
        raise DuplicateName(username) from exc


def set_password(db: Database, user_id: int, password: str) -> None:
    """Replace a user's password hash."""
    with atomic(db):
        db["users"].update(
            user_id,
            {"password_hash": generate_password_hash(password, method=PASSWORD_METHOD),
             "password_changed_at": now_iso()},
        )


def update(db: Database, user_id: int, **changes) -> None:
    """Change a user's profile, role, office or active flag."""
    values = {k: v for k, v in changes.items() if k in EDITABLE}
    with atomic(db):
        db["users"].update(user_id, values)


def get(db: Database, user_id: int) -> dict:
    """One user (without the password hash)."""
    rows = list(db.query(_USER_SELECT + " WHERE u.id = ?", [user_id]))
    if not rows:
        raise NotFound(user_id)
    return rows[0]


def by_username(db: Database, username: str) -> dict:
    """One user by username (case-insensitive), without the password hash."""
    rows = list(db.query(_USER_SELECT + " WHERE u.username = ?", [username.strip()]))
    if not rows:
        raise NotFound(username)
    return rows[0]


def authenticate(db: Database, username: str, password: str) -> dict | None:
    """The active user whose password matches, or None."""
    rows = list(
        db.query(
            "SELECT id, password_hash FROM users WHERE username = ? AND active = 1",
            [username.strip()],
        )
    )
    if not rows or not check_password_hash(rows[0]["password_hash"], password):
        return None
    return get(db, rows[0]["id"])


def all_users(db: Database) -> list[dict]:
    """Every user, by office and name."""
    return list(db.query(_USER_SELECT + " ORDER BY o.name, u.full_name, u.username"))


def office_staff(db: Database, office_id: int, roles: tuple[str, ...] = ROLES) -> list[dict]:
    """Active users of an office with one of the given roles (for case manager and team)."""
    marks = ",".join("?" for _ in roles)
    return list(
        db.query(
            _USER_SELECT
            + f" WHERE u.office_id = ? AND u.active = 1 AND u.role IN ({marks})"
            " ORDER BY u.full_name, u.username",
            [office_id, *roles],
        )
    )


def exists(db: Database, username: str) -> bool:
    """Whether a user with this username exists."""
    return bool(list(db.query("SELECT 1 FROM users WHERE username = ?", [username.strip()])))
