"""Users, their roles and password hashes."""

import sqlite3
import unicodedata
from functools import cache

from sqlite_utils import Database
from werkzeug.security import check_password_hash, generate_password_hash

from . import DuplicateName, NotFound, atomic, sessions
from .clock import now_iso

ROLES = ("admin", "coordinator", "social_worker", "staff")
EDITABLE = ("full_name", "title", "role", "office_id", "active")
# werkzeug's default (scrypt); tests may lower the cost, production never does.
PASSWORD_METHOD = "scrypt"

_USER_SELECT = """
    SELECT u.id, u.username, u.full_name, u.title, u.role, u.office_id, u.active,
           u.created_at, u.password_changed_at, o.code AS office_code, o.name AS office_name
    FROM users u LEFT JOIN offices o ON o.id = u.office_id"""


def normalize_username(username: str) -> str:
    """The one spelling of a username for storage, login, throttling and audit."""
    folded = unicodedata.normalize("NFKC", username or "").strip().casefold()
    return unicodedata.normalize("NFKC", folded)


@cache
def _dummy_hash(method: str) -> str:
    """A hash of the same method as real ones, so an unknown user costs the same time."""
    return generate_password_hash("utente-inesistente", method=method)


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
        "username": normalize_username(username),
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
    """Replace a user's password hash and end every session of the user."""
    with atomic(db):
        db["users"].update(
            user_id,
            {"password_hash": generate_password_hash(password, method=PASSWORD_METHOD),
             "password_changed_at": now_iso()},
        )
        sessions.end_for_user(db, user_id, sessions.PASSWORD)


def update(db: Database, user_id: int, **changes) -> None:
    """Change a user's profile, role, office or active flag; deactivating ends the sessions."""
    values = {k: v for k, v in changes.items() if k in EDITABLE}
    with atomic(db):
        db["users"].update(user_id, values)
        if "active" in values and not values["active"]:
            sessions.end_for_user(db, user_id, sessions.DEACTIVATED)


def get(db: Database, user_id: int) -> dict:
    """One user (without the password hash)."""
    rows = list(db.query(_USER_SELECT + " WHERE u.id = ?", [user_id]))
    if not rows:
        raise NotFound(user_id)
    return rows[0]


def by_username(db: Database, username: str) -> dict:
    """One user by username (normalised), without the password hash."""
    rows = list(db.query(_USER_SELECT + " WHERE u.username = ?", [normalize_username(username)]))
    if not rows:
        raise NotFound(username)
    return rows[0]


def authenticate(db: Database, username: str, password: str) -> dict | None:
    """The active user whose password matches, or None; the same hashing work either way."""
    rows = list(
        db.query(
            "SELECT id, password_hash FROM users WHERE username = ? AND active = 1",
            [normalize_username(username)],
        )
    )
    stored = rows[0]["password_hash"] if rows else _dummy_hash(PASSWORD_METHOD)
    if not check_password_hash(stored, password) or not rows:
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
    return bool(list(db.query("SELECT 1 FROM users WHERE username = ?",
                              [normalize_username(username)])))


def login_failures(db: Database, username: str, since_iso: str) -> list[str]:
    """Failed logins of a username since an instant and since its last unlock, oldest first.

    An administrator's unlock and any password reset of the user (audited as
    `login_unlocked` / `password` on the user) start the count again.
    """
    name = normalize_username(username)
    return [row["at"] for row in db.query(
        "SELECT at FROM audit_log WHERE action = 'login_failed' AND username = ? AND at >= "
        "max(?, COALESCE((SELECT MAX(a.at) FROM audit_log a JOIN users u ON u.id = a.object_id "
        " WHERE a.action IN ('login_unlocked', 'password') AND a.object_type = 'user' "
        " AND u.username = ?), '')) ORDER BY at", [name, since_iso, name])]
