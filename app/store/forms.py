"""Every version of every form definition ever loaded, so old entries keep their shape."""

from sqlite_utils import Database

from . import atomic
from .clock import now_iso


def record(db: Database, form_id: str, version: int, definition: str, sha256: str,
           source: str) -> str:
    """Store a version if new; return 'new', 'same' or 'changed' (same version, other content)."""
    rows = list(db.query("SELECT sha256 FROM form_versions WHERE form_id = ? AND version = ?",
                         [form_id, version]))
    if rows:
        return "same" if rows[0]["sha256"] == sha256 else "changed"
    with atomic(db):
        db["form_versions"].insert({"form_id": form_id, "version": version,
                                    "definition": definition, "sha256": sha256,
                                    "source": source, "loaded_at": now_iso()})
    return "new"


def replace(db: Database, form_id: str, version: int, definition: str, sha256: str) -> None:
    """Overwrite a stored version whose change is compatible with the entries using it."""
    with atomic(db):
        db.execute("UPDATE form_versions SET definition = ?, sha256 = ?, loaded_at = ? "
                   "WHERE form_id = ? AND version = ?",
                   [definition, sha256, now_iso(), form_id, version])


def definition(db: Database, form_id: str, version: int) -> str | None:
    """The stored JSON of one version."""
    rows = list(db.query("SELECT definition FROM form_versions WHERE form_id = ? AND version = ?",
                         [form_id, version]))
    return rows[0]["definition"] if rows else None


def versions(db: Database, form_id: str) -> list[dict]:
    """All stored versions of a form, oldest first."""
    return list(db.query("SELECT form_id, version, definition, sha256 FROM form_versions "
                         "WHERE form_id = ? ORDER BY version", [form_id]))


def used_fields(db: Database, form_id: str, version: int) -> set[str]:
    """Field ids that stored entries of this version have a value for."""
    rows = db.query(
        "SELECT DISTINCT j.key FROM entries e, json_each(e.data) j "
        "WHERE e.form_id = ? AND e.form_version = ? AND j.value IS NOT NULL "
        "AND j.value NOT IN ('[]', '')", [form_id, version])
    return {r["key"] for r in rows}
