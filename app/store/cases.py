"""Cases (pratiche): a person taken in charge by an office, through the cycle."""

from sqlite_utils import Database

from . import NotFound, atomic
from .clock import now_iso
from .scope import Scope, case_where

EDITABLE = ("area", "fase", "manager_id", "prossima_verifica", "note")

_CASE_SELECT = """
    SELECT c.*, p.cognome, p.nome, p.codice_fiscale, p.data_nascita,
           u.full_name AS manager_name, u.username AS manager_username
    FROM cases c JOIN persons p ON p.id = c.person_id
    LEFT JOIN users u ON u.id = c.manager_id"""


def open_case(db: Database, person: dict, data: dict, team: list[int], user_id: int | None) -> int:
    """Open a case for a person in the person's office, with its manager and team."""
    now = now_iso()
    row = {k: data.get(k) for k in EDITABLE if k in data}
    row.update(
        person_id=person["id"], office_id=person["office_id"], stato="aperta",
        data_apertura=data.get("data_apertura") or now[:10],
        created_at=now, created_by=user_id, updated_at=now, updated_by=user_id,
    )
    row.setdefault("fase", "accesso")
    with atomic(db):
        case_id = db["cases"].insert(row).last_pk
        _set_team(db, case_id, team, row.get("manager_id"))
    return case_id


def _set_team(db: Database, case_id: int, team: list[int], manager_id: int | None) -> None:
    db.execute("DELETE FROM case_team WHERE case_id = ?", [case_id])
    for user_id in sorted(set(team) - {manager_id}):
        db["case_team"].insert({"case_id": case_id, "user_id": user_id})


def update(db: Database, case_id: int, data: dict, team: list[int] | None,
           user_id: int | None) -> dict:
    """Change a case's area, phase, manager, review date or team; return what changed."""
    values = {k: v for k, v in data.items() if k in EDITABLE}
    with atomic(db):
        before = db["cases"].get(case_id)
        changed = {k: (before[k], v) for k, v in values.items() if before[k] != v}
        if changed:
            db["cases"].update(case_id, {**values, "updated_at": now_iso(), "updated_by": user_id})
        if team is not None:
            old_team = team_ids(db, case_id)
            manager = values.get("manager_id", before["manager_id"])
            new_team = sorted(set(team) - {manager})
            if old_team != new_team:
                _set_team(db, case_id, new_team, manager)
                changed["team"] = (old_team, new_team)
    return changed


def close(db: Database, case_id: int, reason: str, closed_on: str, user_id: int | None) -> None:
    """Close a case with its reason and date."""
    with atomic(db):
        db["cases"].update(case_id, {
            "stato": "chiusa", "motivo_chiusura": reason.strip(), "data_chiusura": closed_on,
            "fase": "chiusura", "updated_at": now_iso(), "updated_by": user_id,
        })


def reopen(db: Database, case_id: int, phase: str, user_id: int | None) -> None:
    """Reopen a closed case at the given phase (a riformulazione starts again)."""
    with atomic(db):
        db["cases"].update(case_id, {
            "stato": "aperta", "data_chiusura": None, "motivo_chiusura": "", "fase": phase,
            "updated_at": now_iso(), "updated_by": user_id,
        })


def get(db: Database, scope: Scope, case_id: int) -> dict:
    """One case inside the scope, with person and manager names; NotFound otherwise."""
    clause, args = case_where(scope, "c")
    rows = list(db.query(_CASE_SELECT + f" WHERE c.id = ? AND {clause}", [case_id, *args]))
    if not rows:
        raise NotFound(case_id)
    case = rows[0]
    case["team"] = team(db, case_id)
    return case


def team(db: Database, case_id: int) -> list[dict]:
    """The team members of a case (the manager excluded)."""
    return list(db.query(
        "SELECT u.id, u.username, u.full_name, u.title, u.role FROM case_team t "
        "JOIN users u ON u.id = t.user_id WHERE t.case_id = ? ORDER BY u.full_name",
        [case_id],
    ))


def team_ids(db: Database, case_id: int) -> list[int]:
    """Ids of the team members of a case, sorted."""
    return [r["user_id"] for r in db.query(
        "SELECT user_id FROM case_team WHERE case_id = ? ORDER BY user_id", [case_id])]


def search(db: Database, scope: Scope, *, member_id: int | None = None, area: str = "",
           fase: str = "", stato: str = "", overdue_before: str = "", text: str = "",
           unassigned: bool = False, limit: int = 50, offset: int = 0
           ) -> tuple[list[dict], int]:
    """Cases of the scope with the list filters; one page and the total count."""
    clause, args = case_where(scope, "c")
    where = [clause]
    if unassigned:
        where.append("c.manager_id IS NULL")
    if member_id is not None:
        where.append("(c.manager_id = ? OR EXISTS (SELECT 1 FROM case_team t "
                     "WHERE t.case_id = c.id AND t.user_id = ?))")
        args += [member_id, member_id]
    for column, value in (("area", area), ("fase", fase), ("stato", stato)):
        if value:
            where.append(f"c.{column} = ?")
            args.append(value)
    if overdue_before:
        where.append("c.stato = 'aperta' AND c.prossima_verifica IS NOT NULL "
                     "AND c.prossima_verifica < ?")
        args.append(overdue_before)
    if text:
        where.append("(p.cognome LIKE ? OR p.nome LIKE ? OR p.codice_fiscale LIKE ?)")
        args += [f"{text.strip()}%"] * 3
    body = " WHERE " + " AND ".join(where)
    total = db.execute(
        "SELECT COUNT(*) FROM cases c JOIN persons p ON p.id = c.person_id" + body, args
    ).fetchone()[0]
    rows = list(db.query(
        _CASE_SELECT + body + " ORDER BY c.stato, c.prossima_verifica IS NULL, "
        "c.prossima_verifica, p.cognome COLLATE NOCASE LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ))
    return rows, total


def count_by_phase(db: Database, scope: Scope) -> dict[str, int]:
    """Open cases of the scope per phase (for the dashboard)."""
    clause, args = case_where(scope, "c")
    return {r["fase"]: r["n"] for r in db.query(
        f"SELECT c.fase, COUNT(*) AS n FROM cases c WHERE {clause} AND c.stato = 'aperta' "
        "GROUP BY c.fase", args)}


def office_of(db: Database, case_id: int) -> int:
    """The office a case belongs to."""
    row = db.execute("SELECT office_id FROM cases WHERE id = ?", [case_id]).fetchone()
    if row is None:
        raise NotFound(case_id)
    return row[0]


def with_complete_sheet(db: Database, scope: Scope, form_id: str, *, stato: str = "",
                        updated_from: str = "", updated_to: str = "") -> list[int]:
    """Cases of the scope that have a complete sheet of a form (optionally saved in a period)."""
    clause, args = case_where(scope, "c")
    where = [clause, "e.form_id = ?", "e.status = 'completa'", "e.deleted_at IS NULL"]
    args.append(form_id)
    if stato:
        where.append("c.stato = ?")
        args.append(stato)
    if updated_from:
        where.append("e.updated_at >= ?")
        args.append(updated_from)
    if updated_to:
        where.append("e.updated_at < date(?, '+1 day')")
        args.append(updated_to)
    return [r["id"] for r in db.query(
        "SELECT DISTINCT c.id FROM cases c JOIN entries e ON e.case_id = c.id "
        f"WHERE {' AND '.join(where)} ORDER BY c.id", args)]
