"""Logging in: password check, throttling of repeated failures, audit of every attempt."""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from .store import audit, users


@dataclass
class LoginResult:
    """A user on success; otherwise how many minutes the username stays blocked (0 = not)."""

    user: dict | None = None
    blocked_minutes: int = 0


def attempt_login(db: Database, username: str, password: str, ip: str, *,
                  max_failures: int = 5, window_minutes: int = 15,
                  now: datetime | None = None) -> LoginResult:
    """Check a password unless the username had too many recent failures; audit the attempt."""
    now = now or datetime.now(UTC)
    window = timedelta(minutes=window_minutes)
    recent = audit.failures_since(db, username, (now - window).isoformat(timespec="milliseconds"))
    if len(recent) >= max_failures:
        # Blocked until the oldest of the last `max_failures` failures leaves the window.
        unblock = datetime.fromisoformat(recent[-max_failures]) + window
        minutes = max(1, math.ceil((unblock - now).total_seconds() / 60))
        audit.append(db, "login_blocked", username=username, ip=ip)
        return LoginResult(blocked_minutes=minutes)
    user = users.authenticate(db, username, password)
    if user is None:
        audit.append(db, "login_failed", username=username, ip=ip)
        return LoginResult()
    audit.append(db, "login", user_id=user["id"], username=user["username"], ip=ip,
                 office_id=user["office_id"])
    return LoginResult(user=user)
