"""What `cartella render` does, without the command line."""

from sqlite_utils import Database

from .. import store
from ..store import cases as case_store
from ..store import entries as entry_store
from ..store import offices as office_store
from ..store import persons as person_store
from ..store import users as user_store
from ..store.scope import Scope
from .batch import BatchResult, Job, archive_batch, run_batch
from .service import Documents, Produced


def render_entry(db: Database, documents: Documents, template_id: str, fmt: str,
                 entry_id: int) -> Produced:
    """One document from one sheet, signed by the case manager; archived and audited."""
    row = entry_store.by_id(db, entry_id)
    scope = Scope(office_id=row["office_id"])
    entry = entry_store.get(db, scope, entry_id)
    case = case_store.get(db, scope, entry["case_id"])
    person = person_store.get(db, scope, case["person_id"])
    user = user_store.get(db, case["manager_id"]) if case["manager_id"] else {}
    produced = documents.produce(db, template_id, fmt, case=case, person=person,
                                 office=office_store.get(db, case["office_id"]), user=user,
                                 entry=entry)
    store.audit.append(db, "generate", username="cli", object_type="document",
                       object_id=produced.document_id, person_id=person["id"],
                       office_id=case["office_id"], detail={"modello": template_id})
    return produced


def case_ids(db: Database, documents: Documents, template_id: str, cases_arg: str,
             office_code: str | None) -> list[int]:
    """'all' (of an office, or of every office) or an explicit list of ids."""
    if cases_arg != "all":
        return [int(part) for part in cases_arg.split(",") if part.strip()]
    template = documents.templates[template_id]
    offices = [office_store.by_code(db, office_code)] if office_code else \
        office_store.all_offices(db)
    ids = []
    for office in offices:
        scope = Scope(office_id=office["id"])
        for form_id in template.definition.forms or []:
            ids += case_store.with_complete_sheet(db, scope, form_id)
    return sorted(set(ids))


def render_cases(app, db: Database, documents: Documents, template_id: str, fmt: str,
                 cases_arg: str, office_code: str | None) -> BatchResult:
    """A ZIP of documents for many cases, archived one by one."""
    job = Job(app.config["DATABASE"], app.config["FORMS_DIR"],
              (app.config["DOC_TEMPLATES_DIR"], app.config["SPREADSHEETS_DIR"]), template_id,
              fmt, None, pdf_timeout=app.config["PDF_TIMEOUT"])
    result = run_batch(job, case_ids(db, documents, template_id, cases_arg, office_code),
                       documents=documents)
    archive_batch(db, documents, job, result)
    store.audit.append(db, "generate", username="cli", object_type="batch",
                       detail={"modello": template_id, "prodotti": len(result.done),
                               "non_prodotti": len(result.failed)})
    return result
