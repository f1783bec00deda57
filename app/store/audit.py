"""The audit log: append-only record of every read, change and login.

This module only inserts and selects; triggers in the schema refuse UPDATE and DELETE.
"""

import json

from sqlite_utils import Database

from .clock import now_iso

# Detail keys whose values would put personal data in the log the administrator reads
# (what a user typed to search, a person's identifiers, an uploaded file's name): the fact
# is recorded, the value never. Callers should not send them; this is the safety net.
PERSONAL_KEYS = frozenset({"q", "testo", "text", "codice_fiscale", "cf", "cognome", "nome",
                           "file", "filename", "indirizzo", "email", "telefono", "nota"})
OMITTED = "(non registrato)"


def safe_detail(detail: dict) -> dict:
    """`detail` with the values of personal keys replaced by a mark."""
    return {k: OMITTED if k in PERSONAL_KEYS and v not in (None, "") else v
            for k, v in detail.items()}


def append(
    db: Database,
    action: str,
    *,
    user_id: int | None = None,
    username: str = "",
    ip: str = "",
    object_type: str = "",
    object_id: int | None = None,
    person_id: int | None = None,
    office_id: int | None = None,
    detail: dict | str | None = None,
) -> None:
    """Append one event to the audit log."""
    if isinstance(detail, dict):
        detail = json.dumps(safe_detail(detail), ensure_ascii=False, sort_keys=True, default=str)
    db.execute(
        "INSERT INTO audit_log (at, user_id, username, ip, action, object_type, object_id,"
        " person_id, office_id, detail) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [now_iso(), user_id, username, ip, action, object_type, object_id, person_id,
         office_id, detail or ""],
    )


def failures_since(db: Database, username: str, since_iso: str) -> list[str]:
    """Times of failed logins for this username since the given instant, oldest first."""
    return [
        row["at"]
        for row in db.query(
            "SELECT at FROM audit_log WHERE action = 'login_failed' AND username = ? "
            "COLLATE NOCASE AND at >= ? ORDER BY at",
            [username.strip(), since_iso],
        )
    ]


def person_accesses(db: Database, person_id: int, limit: int = 200) -> list[dict]:
    """Who read or changed a person's file and cases, newest first."""
    return list(
        db.query(
            "SELECT a.at, a.username, u.full_name, a.action, a.object_type, a.object_id, a.ip "
            "FROM audit_log a LEFT JOIN users u ON u.id = a.user_id "
            "WHERE a.person_id = ? ORDER BY a.id DESC LIMIT ?",
            [person_id, limit],
        )
    )


def search(
    db: Database,
    *,
    username: str = "",
    action: str = "",
    object_type: str = "",
    object_id: int | None = None,
    person_id: int | None = None,
    codice_fiscale: str = "",
    date_from: str = "",
    date_to: str = "",
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict], int]:
    """Filter the log, newest first; return one page of rows and the total count."""
    where, args = ["1 = 1"], []
    if username:
        where.append("username = ? COLLATE NOCASE")
        args.append(username)
    if action:
        where.append("action = ?")
        args.append(action)
    if object_type:
        where.append("object_type = ?")
        args.append(object_type)
    if object_id is not None:
        where.append("object_id = ?")
        args.append(object_id)
    if person_id:
        where.append("person_id = ?")
        args.append(person_id)
    if codice_fiscale:
        where.append("person_id IN (SELECT id FROM persons WHERE codice_fiscale = ?)")
        args.append(codice_fiscale)
    if date_from:
        where.append("at >= ?")
        args.append(date_from)
    if date_to:
        where.append("at < date(?, '+1 day')")
        args.append(date_to)
    clause = " AND ".join(where)
    total = db.execute(f"SELECT COUNT(*) FROM audit_log WHERE {clause}", args).fetchone()[0]
    rows = list(
        db.query(
            f"SELECT * FROM audit_log WHERE {clause} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*args, limit, offset],
        )
    )
    return rows, total


def _by_id(db: Database, sql: str, ids: set) -> dict[int, dict]:
    """Rows of `sql` (with a `{ids}` placeholder and an `id` column) keyed by id."""
    ids = sorted(i for i in ids if i is not None)
    found = {}
    for start in range(0, len(ids), 500):  # SQLite caps the parameters of one statement
        chunk = ids[start:start + 500]
        found.update((r["id"], r) for r in db.query(sql.format(ids=", ".join("?" * len(chunk))),
                                                    chunk))
    return found


def names(db: Database, rows: list[dict]) -> dict[str, dict[int, dict]]:
    """What a reader needs to name the people and objects of some log rows, by kind and id:
    users, persons, entries (form and person), cases, documents, offices, imports, batches."""
    of = {kind: {r["object_id"] for r in rows if r["object_type"] == kind}
          for kind in ("entry", "case", "document", "user", "office", "import", "batch")}
    found = {
        "entry": _by_id(db, "SELECT id, form_id, person_id FROM entries WHERE id IN ({ids})",
                        of["entry"]),
        "case": _by_id(db, "SELECT id, area, person_id FROM cases WHERE id IN ({ids})",
                       of["case"]),
        "document": _by_id(db, "SELECT id, filename, template_id, person_id FROM documents "
                               "WHERE id IN ({ids})", of["document"]),
        "office": _by_id(db, "SELECT id, code, name FROM offices WHERE id IN ({ids})",
                         of["office"]),
        "import": _by_id(db, "SELECT id, filename, form_id FROM imports WHERE id IN ({ids})",
                         of["import"]),
        "batch": _by_id(db, "SELECT id, template_id FROM batch_jobs WHERE id IN ({ids})",
                        of["batch"]),
    }
    found["user"] = _by_id(db, "SELECT id, username, full_name FROM users WHERE id IN ({ids})",
                           of["user"] | {r["user_id"] for r in rows})
    people = {r["person_id"] for r in rows} | {
        o["person_id"] for kind in ("entry", "case", "document") for o in found[kind].values()}
    found["person"] = _by_id(db, "SELECT id, cognome, nome, codice_fiscale FROM persons "
                                 "WHERE id IN ({ids})", people)
    return found


def actions(db: Database) -> list[str]:
    """The distinct actions recorded so far (for the filter menu)."""
    return [r["action"] for r in db.query("SELECT DISTINCT action FROM audit_log ORDER BY 1")]


def count(db: Database) -> int:
    """Number of events in the log."""
    return db.execute("SELECT COUNT(*) FROM audit_log").fetchone()[0]
