"""Writing a planned import: every valid row in one transaction, recorded for undo."""

import hashlib
import io
import json
from collections.abc import Callable

from sqlite_utils import Database

from .. import store
from ..store import cases as case_store
from ..store import entries as entry_store
from ..store import imports as import_store
from ..store import persons as person_store
from ..store.scope import Scope
from .plan import PERSON_FIELDS, Plan

CHUNK = 2000


class UndoRefused(Exception):
    """Something changed the import's records since: undoing would lose that work."""


def outcomes(plan: Plan) -> str:
    """Per-row outcome, for the record and the report, as JSON text: written row by row, so
    that 100,000 rows never exist at once as dictionaries or as separate strings."""
    out = io.StringIO()
    out.write("[")
    for number, r in enumerate(plan.rows):
        out.write("," if number else "")
        out.write(json.dumps({
            "riga": r.number, "esito": r.outcome, "stato": r.status if r.valid else "",
            "mancanti": list(r.missing), "errori": [f"{e.column}: {e.message}" if e.column
                                                    else e.message for e in r.errors]},
            ensure_ascii=False))
    out.write("]")
    return out.getvalue()


def file_sha256(path) -> str:
    """The file's fingerprint, read in blocks (a register can be tens of megabytes)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def commit(db: Database, plan: Plan, *, filename: str, sha256: str, sheet: str,
           user_id: int | None, report: bytes | None = None,
           progress: Callable[[int, int], None] | None = None, username: str = "",
           ip: str = "") -> int:
    """Apply every valid row (all or nothing) and record the import; return its id.
    `username` names who ran it where there is no user (the command line); `ip` where
    from, for the audit log."""
    counts = plan.counts()
    mapping = {str(plan.headers[c]): t for c, t in plan.mapping.items()}
    with store.atomic(db):
        import_id = import_store.record(
            db, office_id=plan.office_id, form_id=plan.form.id, filename=filename,
            sha256=sha256, sheet=sheet, mapping=mapping,
            counts=counts, outcomes=outcomes(plan), user_id=user_id, report=report)
        persons_by_key: dict = {}
        cases_by_person: dict = {}
        new_sheets, items = [], []

        def write_new_sheets() -> None:
            created = entry_store.create_many(
                db, plan.form.id, plan.form.version, new_sheets, user_id,
                note=f"importazione n. {import_id}", source="import", import_id=import_id)
            import_store.add_items(db, import_id, [("entry", entry_id, "created", None, 1, None)
                                                   for entry_id in created])
            new_sheets.clear()

        for number, row in enumerate(plan.rows, start=1):
            if progress and number % 500 == 0:
                progress(number, len(plan.rows))
            if not row.valid or row.outcome == "invariata" and row.person_action == "same":
                continue
            person_id = _person(db, row, persons_by_key, plan, import_id, user_id)
            if row.outcome == "crea":  # an updated sheet stays in its case, even a closed one
                case = _case(db, row, person_id, plan, import_id, user_id, cases_by_person)
                new_sheets.append((case, row.sheet_json(), row.status))
                if len(new_sheets) == CHUNK:  # the texts, decompressed, held a chunk at a time
                    write_new_sheets()
            elif row.outcome == "aggiorna":
                before = import_store.entry_data(db, row.entry["id"])
                rev = entry_store.save(db, row.entry["id"], row.entry["rev"], row.sheet_json(),
                                       row.status, user_id, note=f"importazione n. {import_id}",
                                       source="import", import_id=import_id)
                items.append(("entry", row.entry["id"], "updated",
                              {"rev": row.entry["rev"], "data": json.loads(before),
                               "status": row.entry["status"]}, rev, None))
        write_new_sheets()
        import_store.add_items(db, import_id, items)
        store.audit.append(db, "import", user_id=user_id, username=username, ip=ip,
                           object_type="import",
                           object_id=import_id, office_id=plan.office_id,
                           detail=counts)  # the file's name (often a person's) stays in imports
    return import_id


def _person(db, row, persons_by_key, plan, import_id, user_id) -> int:
    key = row.person["_key"]
    if key in persons_by_key:
        return persons_by_key[key]
    values = {k: v for k, v in row.person.items() if k in PERSON_FIELDS}
    if row.person_action == "create":
        person_id = person_store.create(db, plan.office_id, values, user_id)
        import_store.add_item(db, import_id, "person", person_id, "created")
    else:
        person_id = row.person_id
        if row.person_action == "update":
            before = person_store.get(db, Scope(plan.office_id), person_id)
            before = {k: before[k] for k in PERSON_FIELDS if k in before}
            person_store.update(db, person_id, {k: v for k, v in values.items() if v}, user_id)
            import_store.add_item(db, import_id, "person", person_id, "updated", before=before,
                                  after_stamp=import_store.person_stamp(db, person_id))
    persons_by_key[key] = person_id
    return person_id


def _case(db, row, person_id, plan, import_id, user_id, cases_by_person: dict) -> dict:
    if row.case_id is None and person_id in cases_by_person:
        row.case_id = cases_by_person[person_id]
    if row.case_id is None:
        person = {"id": person_id, "office_id": plan.office_id}
        phase = plan.form.definition.phase
        phase = phase if phase not in ("misura", "tribunale") else "accesso"
        case_id = case_store.open_case(
            db, person, {"area": plan.area, "fase": phase, "manager_id": plan.manager_id}, [],
            user_id)
        import_store.add_item(db, import_id, "case", case_id, "created")
        row.case_id = cases_by_person[person_id] = case_id
    return {"id": row.case_id, "person_id": person_id, "office_id": plan.office_id}


def undo(db: Database, office_id: int, import_id: int, user_id: int | None,
         username: str = "", ip: str = "") -> dict:
    """Roll an import back as a whole, unless its records were changed since."""
    record = import_store.get(db, office_id, import_id)
    if record["status"] != "completata":
        raise UndoRefused("l'importazione è già stata annullata")
    items = import_store.items(db, import_id)
    _check_untouched(db, import_id, items)
    counts = {"entries": 0, "cases": 0, "persons": 0}
    with store.atomic(db):
        for item in items:
            if item["kind"] == "entry" and item["action"] == "created":
                import_store.delete_entry(db, item["object_id"])
                counts["entries"] += 1
            elif item["kind"] == "entry":
                state = import_store.entry_state(db, item["object_id"])
                entry_store.save(db, item["object_id"], state["rev"], item["before"]["data"],
                                 item["before"]["status"], user_id,
                                 note=f"annullamento importazione n. {import_id}",
                                 source="import", import_id=import_id)
                counts["entries"] += 1
            elif item["kind"] == "case":
                import_store.delete_case(db, item["object_id"])
                counts["cases"] += 1
            elif item["action"] == "created":
                import_store.delete_person(db, item["object_id"])
                counts["persons"] += 1
            else:
                import_store.restore_person(db, item["object_id"], item["before"])
        import_store.mark_undone(db, import_id, user_id)
        store.audit.append(db, "undo", user_id=user_id, username=username, ip=ip,
                           object_type="import",
                           object_id=import_id, office_id=office_id, detail=counts)
    return counts


def _check_untouched(db, import_id: int, items: list[dict]) -> None:
    for item in items:
        if item["kind"] == "entry":
            state = import_store.entry_state(db, item["object_id"])
            if state is None or state["rev"] != item["after_rev"] or state["deleted_at"]:
                raise UndoRefused(f"la scheda {item['object_id']} è stata modificata dopo "
                                  "l'importazione: annullare cancellerebbe quel lavoro")
        elif item["kind"] == "case" and import_store.case_has_others(db, item["object_id"],
                                                                      import_id):
            raise UndoRefused(f"la pratica {item['object_id']} contiene schede aggiunte dopo "
                              "l'importazione")
        elif item["kind"] == "person" and item["action"] == "created" and \
                import_store.person_has_others(db, item["object_id"], import_id):
            raise UndoRefused(f"la persona {item['object_id']} ha pratiche aperte dopo "
                              "l'importazione")
        elif item["kind"] == "person" and item["action"] == "updated" and \
                import_store.person_stamp(db, item["object_id"]) != item["after_stamp"]:
            raise UndoRefused(f"i dati della persona {item['object_id']} sono stati "
                              "modificati dopo l'importazione")
