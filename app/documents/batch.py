"""Mail merge: one document per case, rendered on every core, zipped; failures by name.

Workers read the database and render; only the calling process writes (the archive),
so SQLite keeps a single writer. A failure on one case is reported with the person's
name and does not stop the others.
"""

import io
import os
import zipfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

from .. import store
from ..catalog import load_catalog
from ..store import cases as case_store
from ..store import entries as entry_store
from ..store import offices as office_store
from ..store import persons as person_store
from ..store import users as user_store
from ..store.scope import Scope
from .context import build_context
from .pdf import PdfPool
from .service import Documents, load_documents

_WORKER: dict = {}


@dataclass(frozen=True)
class Job:
    """What a batch needs to know; plain data so it crosses process boundaries."""

    database: str
    forms_dir: str
    template_dirs: tuple[str, ...]
    template_id: str
    fmt: str
    user_id: int | None
    hide_sensitive: bool = False


@dataclass
class Outcome:
    """One case of a batch: its file, or why it failed."""

    case_id: int
    label: str
    filename: str = ""
    content: bytes = b""
    entry_id: int | None = None
    entry_rev: int | None = None
    draft: bool = False
    error: str = ""


@dataclass
class BatchResult:
    zip_bytes: bytes
    done: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)


def _documents(job: Job) -> tuple[object, Documents]:
    key = (job.database, job.forms_dir, job.template_dirs)
    if _WORKER.get("key") != key:
        db = store.connect(job.database)
        catalog = load_catalog(job.forms_dir, db)
        _WORKER.update(key=key, db=db, documents=load_documents(
            catalog, *job.template_dirs, pdf=PdfPool(size=1)))
    return _WORKER["db"], _WORKER["documents"]


def render_case(job: Job, case_id: int) -> Outcome:
    """Render the template for one case (runs in a worker process)."""
    db, documents = _documents(job)
    template = documents.templates[job.template_id]
    case = person = None
    try:
        office_id = case_store.office_of(db, case_id)
        scope = Scope(office_id=office_id)
        case = case_store.get(db, scope, case_id)
        person = person_store.get(db, scope, case["person_id"])
        label = f"{person['cognome']} {person['nome']} (pratica {case_id})"
        entry = None
        for form_id in template.definition.forms:
            entry = entry_store.latest(db, case_id, form_id)
            if entry:
                break
        if template.definition.forms and entry is None:
            forms = ", ".join(template.definition.forms)
            return Outcome(case_id, label, error=f"nessuna scheda completa di {forms}")
        user = user_store.get(db, job.user_id) if job.user_id else (
            user_store.get(db, case["manager_id"]) if case["manager_id"] else {})
        context = build_context(db, documents.catalog, case=case, person=person,
                                office=office_store.get(db, office_id), user=user, entry=entry,
                                hide_sensitive=job.hide_sensitive)
        content = documents.render(template, context)
        native = "xlsx" if template.definition.is_excel else "docx"
        if job.fmt == "pdf":
            content = documents.pdf.convert(content, "." + native)
        return Outcome(case_id, label, template.file_name(context, job.fmt), content,
                       entry["id"] if entry else None, entry["rev"] if entry else None,
                       bool(context["bozza"]))
    except Exception as exc:  # noqa: BLE001 - reported per case, the batch goes on
        label = f"{person['cognome']} {person['nome']} (pratica {case_id})" if person \
            else f"pratica {case_id}"
        return Outcome(case_id, label, error=str(exc))


def run_batch(job: Job, case_ids: list[int], workers: int | None = None,
              progress: Callable[[int, int], None] | None = None,
              mp_context=None) -> BatchResult:
    """Render every case on a pool of processes; return the ZIP and the outcomes.

    From a threaded server pass `mp_context=multiprocessing.get_context("spawn")`: forking a
    process that has other threads running can copy a held lock into the child.
    """
    workers = workers or max(1, os.cpu_count() or 1)
    result = BatchResult(b"")
    names: set[str] = set()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, \
            ProcessPoolExecutor(max_workers=workers, mp_context=mp_context) as pool:
        futures = [pool.submit(render_case, job, case_id) for case_id in case_ids]
        for count, future in enumerate(as_completed(futures), start=1):
            outcome = future.result()
            if outcome.error:
                result.failed.append(outcome)
            else:
                outcome.filename = _unique(outcome.filename, names)
                archive.writestr(outcome.filename, outcome.content)
                result.done.append(outcome)
            if progress:
                progress(count, len(case_ids))
        if result.failed:
            archive.writestr("ERRORI.txt", "Documenti non prodotti:\n" + "\n".join(
                f"- {o.label}: {o.error}" for o in result.failed) + "\n")
    result.zip_bytes = buffer.getvalue()
    return result


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{stem} ({n}){dot}{ext}"
        n += 1
    taken.add(candidate)
    return candidate


def archive_batch(db, documents: Documents, job: Job, result: BatchResult) -> list[int]:
    """Keep every document of a batch in the archive (in the calling process)."""
    from ..store import documents as document_store

    template = documents.templates[job.template_id]
    ids = []
    for outcome in result.done:
        case = {"id": outcome.case_id, "office_id": case_store.office_of(db, outcome.case_id)}
        person_id = case_store.get(db, Scope(case["office_id"]), outcome.case_id)["person_id"]
        ids.append(document_store.archive(
            db, office_id=case["office_id"], case_id=outcome.case_id, person_id=person_id,
            entry_id=outcome.entry_id, entry_rev=outcome.entry_rev, template_id=template.id,
            template_sha256=template.sha256, fmt=job.fmt, filename=outcome.filename,
            draft=outcome.draft, content=outcome.content, user_id=job.user_id))
    return ids
