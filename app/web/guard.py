"""Enforcement of `app.access` for the web: login, roles, scoped loading and auditing.

Every view that shows a person or a case loads it through `load_person` or
`load_case`: out of scope is a 404 (never the data), and every read is audited.
"""

from functools import wraps

from flask import abort, current_app, request
from flask_login import UserMixin, current_user

from .. import access, store
from ..store import audit as audit_store
from ..store import cases as case_store
from ..store import persons as person_store
from ..store import sessions as session_store
from .db import get_db


class User(UserMixin):
    """The logged-in user, built from the users row at each request."""

    def __init__(self, row: dict, session_token: str):
        self.id = row["id"]
        self.username = row["username"]
        self.full_name = row["full_name"] or row["username"]
        self.title = row["title"]
        self.role = row["role"]
        self.office_id = row["office_id"]
        self.office_name = row.get("office_name") or ""
        self.session_token = session_token

    def get_id(self) -> str:
        # The cookie carries only the server-side session's random id.
        return self.session_token

    def can(self, action: str) -> bool:
        return access.allowed(self, action)


def load_user(session_token: str) -> User | None:
    """Flask-Login's loader: the active user of a live server-side session."""
    db = get_db()
    live = session_store.resolve(db, session_token, current_app.permanent_session_lifetime)
    if live is None:
        return None
    row = store.users.get(db, live["user_id"])
    return User(row, session_token) if row["active"] else None


def client_ip() -> str:
    return request.remote_addr or ""


def audit(action: str, object_type: str = "", object_id: int | None = None, *,
          person_id: int | None = None, detail: dict | str | None = None,
          username: str | None = None) -> None:
    """Append an event for the current user and request to the audit log."""
    user = current_user if current_user.is_authenticated else None
    audit_store.append(
        get_db(), action,
        user_id=user.id if user else None,
        username=username if username is not None else (user.username if user else ""),
        ip=client_ip(), object_type=object_type, object_id=object_id, person_id=person_id,
        office_id=user.office_id if user else None, detail=detail,
    )


def requires(action: str):
    """View decorator: 403 unless the current user's role may perform `action`."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.can(action):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def person_scope():
    scope = access.person_scope(current_user)
    if scope is None:
        abort(404)
    return scope


def case_scope():
    scope = access.case_scope(current_user)
    if scope is None:
        abort(404)
    return scope


def load_person(person_id: int, *, audit_action: str | None = "read") -> dict:
    """The person if the current user may see it (else 404); the read is audited."""
    try:
        person = person_store.get(get_db(), person_scope(), person_id)
    except store.NotFound:
        abort(404)
    if audit_action:
        audit(audit_action, "person", person_id, person_id=person_id)
    return person


def load_case(case_id: int, *, audit_action: str | None = "read") -> dict:
    """The case if the current user may see it (else 404); the read is audited."""
    try:
        case = case_store.get(get_db(), case_scope(), case_id)
    except store.NotFound:
        abort(404)
    if audit_action:
        audit(audit_action, "case", case_id, person_id=case["person_id"])
    return case
