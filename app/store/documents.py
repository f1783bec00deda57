"""The archive of generated documents: the bytes exactly as they were sent."""

import hashlib

from sqlite_utils import Database

from . import NotFound, atomic
from .clock import now_iso
from .scope import Scope, case_where

_LIST = ("SELECT d.id, d.case_id, d.entry_id, d.entry_rev, d.template_id, d.template_sha256, "
         "d.format, d.filename, d.draft, d.sensitive, d.sha256, d.size, d.created_at, "
         "u.full_name AS author "
         "FROM documents d LEFT JOIN users u ON u.id = d.created_by")


def archive(db: Database, *, office_id: int, case_id: int | None, person_id: int | None,
            entry_id: int | None, entry_rev: int | None, template_id: str, template_sha256: str,
            fmt: str, filename: str, draft: bool, content: bytes, user_id: int | None,
            sensitive: bool) -> int:
    """Keep a generated document with its hash, what it was made from, and its mark.

    `sensitive`: the document shows values of sensitive sections (see app.access).
    """
    with atomic(db):
        return db["documents"].insert({
            "office_id": office_id, "case_id": case_id, "person_id": person_id,
            "entry_id": entry_id, "entry_rev": entry_rev, "template_id": template_id,
            "template_sha256": template_sha256, "format": fmt, "filename": filename,
            "draft": int(draft), "sensitive": int(sensitive),
            "sha256": hashlib.sha256(content).hexdigest(), "size": len(content),
            "content": content, "created_by": user_id, "created_at": now_iso()}).last_pk


def of_case(db: Database, case_id: int) -> list[dict]:
    """Documents produced for a case, newest first (without their bytes)."""
    return list(db.query(_LIST + " WHERE d.case_id = ? ORDER BY d.id DESC", [case_id]))


def get(db: Database, scope: Scope, document_id: int) -> dict:
    """One document with its bytes, if its case is in the viewer's scope."""
    clause, args = case_where(scope, "c")
    # Registers (no case) cover the whole office: not for who sees only their own cases.
    office_wide = "(d.case_id IS NULL AND d.office_id = ?)" if scope.member_id is None else "0"
    office_args = [scope.office_id] if scope.member_id is None else []
    rows = list(db.query(
        "SELECT d.* FROM documents d LEFT JOIN cases c ON c.id = d.case_id "
        f"WHERE d.id = ? AND ({office_wide} OR (d.case_id IS NOT NULL AND {clause}))",
        [document_id, *office_args, *args]))
    if not rows:
        raise NotFound(document_id)
    return rows[0]


def registers(db: Database, office_id: int, limit: int = 50) -> list[dict]:
    """Documents of an office not tied to one case (registers), newest first."""
    return list(db.query(_LIST + " WHERE d.case_id IS NULL AND d.office_id = ? "
                         "ORDER BY d.id DESC LIMIT ?", [office_id, limit]))
