"""Server-side login sessions: the cookie carries only a random id, the row says if it is alive.

The database keeps the SHA-256 of the id, never the id itself: a copy of the database
does not let anyone take over a session.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from . import atomic
from .clock import now_iso

# Reasons a session ends; only an expired one may later prove whose unsaved work a form was.
EXPIRED = "scaduta"
LOGOUT = "uscita"
PASSWORD = "password"
DEACTIVATED = "disattivato"
ADMIN = "amministratore"
# last_seen_at is written at most this often, not on every request.
TOUCH_EVERY = timedelta(seconds=60)
KEEP_ENDED = timedelta(days=7)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def start(db: Database, user_id: int, ip: str = "", user_agent: str = "") -> str:
    """Open a session for a user; return the random id the cookie will carry."""
    token = secrets.token_urlsafe(32)
    now = now_iso()
    with atomic(db):
        db.execute("DELETE FROM sessions WHERE COALESCE(ended_at, last_seen_at) < ?",
                   [_iso(datetime.now(UTC) - KEEP_ENDED)])
        db["sessions"].insert({"token_hash": _hash(token), "user_id": user_id,
                               "created_at": now, "last_seen_at": now, "ended_at": None,
                               "ended_reason": "", "ip": ip[:64],
                               "user_agent": user_agent[:300]})
    return token


def resolve(db: Database, token: str, idle: timedelta) -> dict | None:
    """The live session of this id (ending it if idle too long), or None."""
    rows = list(db.query("SELECT * FROM sessions WHERE token_hash = ?", [_hash(token)]))
    if not rows or rows[0]["ended_at"]:
        return None
    session = rows[0]
    now = datetime.now(UTC)
    last_seen = datetime.fromisoformat(session["last_seen_at"])
    if last_seen < now - idle:
        _end_where(db, "id = ?", [session["id"]], EXPIRED, at=_iso(last_seen + idle))
        return None
    if last_seen < now - TOUCH_EVERY:
        with atomic(db):
            db.execute("UPDATE sessions SET last_seen_at = ? WHERE id = ?",
                       [_iso(now), session["id"]])
    return session


def expired_owner(db: Database, token: str, within: timedelta) -> dict | None:
    """The session of this id if it ended by expiring less than `within` ago, else None."""
    rows = list(db.query(
        "SELECT s.id, s.user_id FROM sessions s JOIN users u ON u.id = s.user_id "
        "WHERE s.token_hash = ? AND s.ended_reason = ? AND s.ended_at >= ? AND u.active = 1",
        [_hash(token), EXPIRED, _iso(datetime.now(UTC) - within)]))
    return rows[0] if rows else None


def end(db: Database, token: str, reason: str = LOGOUT) -> None:
    """End the session of this id (logout)."""
    _end_where(db, "token_hash = ?", [_hash(token)], reason)


def end_for_user(db: Database, user_id: int, reason: str) -> int:
    """End every live session of a user; return how many were ended."""
    return _end_where(db, "user_id = ?", [user_id], reason)


def _end_where(db: Database, where: str, args: list, reason: str, at: str | None = None) -> int:
    with atomic(db):
        cursor = db.execute(
            f"UPDATE sessions SET ended_at = ?, ended_reason = ? WHERE ended_at IS NULL AND {where}",
            [at or now_iso(), reason, *args])
    return cursor.rowcount


def live_for_user(db: Database, user_id: int, idle: timedelta) -> list[dict]:
    """A user's sessions still in use, newest first (for the administrator)."""
    return list(db.query(
        "SELECT id, created_at, last_seen_at, ip, user_agent FROM sessions "
        "WHERE user_id = ? AND ended_at IS NULL AND last_seen_at >= ? ORDER BY last_seen_at DESC",
        [user_id, _iso(datetime.now(UTC) - idle)]))
