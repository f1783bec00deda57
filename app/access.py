"""The access rules of DOMAIN.md's privacy section, in one place.

Who may see which persons and cases (as store scopes) and who may do what.
The web tier enforces them through `app.web.guard`; nothing else decides access.
"""

from .store.scope import Scope

ADMIN, COORDINATOR, SOCIAL_WORKER, STAFF = "admin", "coordinator", "social_worker", "staff"
# Roles that can manage a case (its case manager).
CASE_MANAGER_ROLES = (SOCIAL_WORKER, COORDINATOR)

# action -> roles allowed (case actions are further limited to cases in the viewer's scope)
PERMISSIONS = {
    "admin.manage": {ADMIN},
    "audit.read": {ADMIN},
    "person.read": {COORDINATOR, SOCIAL_WORKER, STAFF},
    "person.create": {COORDINATOR, SOCIAL_WORKER, STAFF},
    "person.edit": {COORDINATOR, SOCIAL_WORKER, STAFF},
    "person.audit": {COORDINATOR, SOCIAL_WORKER},
    "case.read": {COORDINATOR, SOCIAL_WORKER, STAFF},
    "case.open": {COORDINATOR, SOCIAL_WORKER, STAFF},
    "case.edit": {COORDINATOR, SOCIAL_WORKER, STAFF},
    "case.close": {COORDINATOR, SOCIAL_WORKER},
    "entry.read": {COORDINATOR, SOCIAL_WORKER, STAFF},
    "entry.write": {COORDINATOR, SOCIAL_WORKER, STAFF},
    "entry.delete": {COORDINATOR, SOCIAL_WORKER},
    "entry.restore": {COORDINATOR},
    "entry.sensitive": {COORDINATOR, SOCIAL_WORKER},
    "document.generate": {COORDINATOR, SOCIAL_WORKER, STAFF},
    "document.read": {COORDINATOR, SOCIAL_WORKER, STAFF},
    "document.batch": {COORDINATOR, SOCIAL_WORKER, STAFF},
    "document.register": {COORDINATOR, STAFF},
    "import.run": {COORDINATOR, STAFF},
    "form.export": {COORDINATOR, STAFF},
}


def allowed(user, action: str) -> bool:
    """Whether the user's role may perform the action at all."""
    return user.role in PERMISSIONS[action]


def person_scope(user) -> Scope | None:
    """Persons a user sees: those of their office; None for roles without case data (admin)."""
    if not allowed(user, "person.read") or user.office_id is None:
        return None
    return Scope(office_id=user.office_id)


def case_scope(user) -> Scope | None:
    """Cases a user sees: the office's for coordinators and staff; a social worker's own ones."""
    if not allowed(user, "case.read") or user.office_id is None:
        return None
    if user.role == SOCIAL_WORKER:
        return Scope(office_id=user.office_id, member_id=user.id)
    return Scope(office_id=user.office_id)


def sees_sensitive(user) -> bool:
    """Sensitive sections ("oscuramento"): case manager, team and coordinators, never staff.

    A social worker reaches a case only as its manager or team member (see case_scope).
    """
    return allowed(user, "entry.sensitive")


def may_read_document(user, document: dict) -> bool:
    """Whether the user may list or download an archived document, or a batch's ZIP.

    The archive keeps files as they were made: one made with sensitive sections filled in
    (its `sensitive` mark) is for who sees sensitive sections, whoever produced it.
    Scope (office, own cases) is checked by the store query that loaded it.
    """
    return allowed(user, "document.read") and (
        not document.get("sensitive", True) or sees_sensitive(user))


def may_open_import(user, record: dict) -> bool:
    """An import's report, report file and undo: for who made it and the office's
    coordinators (the report lists every row of the file, sensitive columns included).
    The office is checked by the store query that loaded the record."""
    return allowed(user, "import.run") and (
        record.get("created_by") == user.id or user.role == COORDINATOR)


def hidden_fields(user, form) -> frozenset:
    """The fields of `form` the user may not see (its sensitive sections), for imports and
    exports: never read from a file, compared, written nor reported for them."""
    return frozenset() if sees_sensitive(user) else frozenset(form.sensitive_fields())
