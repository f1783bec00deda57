"""Mail merge: one document per case, rendered on every core, zipped; failures by name.

Workers read the database and render; only the calling process writes (the archive),
so SQLite keeps a single writer. A failure on one case is reported with the person's
name and does not stop the others. The calling process has loaded and checked the forms
and templates; workers take them as they are (no reload, no lint). Cases go to workers in
chunks; a PDF chunk is converted by one LibreOffice start (about 1 s saved per document).
"""

import io
import multiprocessing
import os
import zipfile
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field

from .. import store
from ..catalog import Catalog, load_catalog
from ..definitions import Form, Library
from ..store import cases as case_store
from ..store import entries as entry_store
from ..store import offices as office_store
from ..store import persons as person_store
from ..store import users as user_store
from ..store.scope import Scope
from .context import Disclosure, build_context
from .pdf import PdfFailed, PdfPool, PdfUnavailable
from .service import Documents, load_documents
from .templates import Template

_WORKER: dict = {}
CHUNK = {"docx": 10, "xlsx": 10, "pdf": 20}  # cases per task; a PDF chunk is one soffice call


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
    pdf_timeout: float = 30


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
    sensitive: bool = False


@dataclass
class BatchResult:
    zip_bytes: bytes
    done: list[Outcome] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)

    @property
    def sensitive(self) -> bool:
        """The ZIP holds a document that read a filled sensitive field."""
        return any(o.sensitive for o in self.done)


@dataclass(frozen=True)
class _Portable:
    """The checked forms and the job's template as plain data, for a spawned worker."""

    forms: dict[str, str]
    template: Template

    @classmethod
    def of(cls, documents: Documents, template_id: str) -> "_Portable":
        return cls({fid: form.json() for fid, form in documents.catalog.forms.items()},
                   documents.templates[template_id])

    def documents(self) -> Documents:
        library = Library(forms={fid: Form.from_json(text) for fid, text in self.forms.items()})
        return Documents(Catalog(library), {self.template.id: self.template}, pdf=None)


def _start_worker(job: Job, setup: "Documents | _Portable", steps=None) -> None:
    """Once per worker: a connection and what the parent already loaded and checked.

    A forked worker inherits the parent's Documents as they are; a spawned one rebuilds the
    forms from their JSON (no YAML, no version check, no lint). `steps` is the batch's shared
    counter of documents rendered (and converted), so progress moves per document.
    """
    documents = setup if isinstance(setup, Documents) else setup.documents()
    _WORKER.update(db=store.connect(job.database), documents=documents, pdf=None, steps=steps)


def _step(n: int = 1) -> None:
    """Count documents done on the batch's shared counter (progress per document)."""
    steps = _WORKER.get("steps")
    if steps is not None:
        with steps.get_lock():
            steps.value += n


def _worker_pdf(job: Job) -> PdfPool:
    """This worker's own LibreOffice profile (removed when the worker exits)."""
    if _WORKER["pdf"] is None:
        _WORKER["pdf"] = PdfPool(size=1, timeout=job.pdf_timeout)
    return _WORKER["pdf"]


def render_chunk(job: Job, case_ids: list[int]) -> list[Outcome]:
    """Render some cases in a worker; to PDF all of them in one LibreOffice start."""
    outcomes = []
    for case_id in case_ids:
        outcomes.append(render_case(job, case_id))
        _step()
    if job.fmt == "pdf":
        native = "." + _native(_WORKER["documents"].templates[job.template_id])
        ready = [o for o in outcomes if not o.error]
        try:
            pdfs = _worker_pdf(job).convert_many([o.content for o in ready], native)
        except PdfUnavailable as exc:
            pdfs = [PdfFailed(str(exc))] * len(ready)
        for outcome, pdf in zip(ready, pdfs, strict=True):
            if isinstance(pdf, PdfFailed):
                outcome.content, outcome.error = b"", f"PDF non prodotto: {pdf}"
            else:
                outcome.content = pdf
        _step(len(outcomes))  # a PDF document counts twice: rendered, then converted
    return outcomes


def render_case(job: Job, case_id: int) -> Outcome:
    """Render the template for one case in its own format (runs in a worker process)."""
    db, documents = _WORKER["db"], _WORKER["documents"]
    template = documents.templates[job.template_id]
    person = None
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
        disclosure = Disclosure()
        context = build_context(db, documents.catalog, case=case, person=person,
                                office=office_store.get(db, office_id), user=user, entry=entry,
                                hide_sensitive=job.hide_sensitive, disclosure=disclosure)
        content = documents.render(template, context)
        filename = template.file_name(context, job.fmt)
        return Outcome(case_id, label, filename, content,
                       entry["id"] if entry else None, entry["rev"] if entry else None,
                       bool(context["bozza"]), sensitive=disclosure.sensitive)
    except Exception as exc:  # noqa: BLE001 - reported per case, the batch goes on
        label = f"{person['cognome']} {person['nome']} (pratica {case_id})" if person \
            else f"pratica {case_id}"
        return Outcome(case_id, label, error=str(exc))


def _native(template: Template) -> str:
    return "xlsx" if template.definition.is_excel else "docx"


def run_batch(job: Job, case_ids: list[int], workers: int | None = None,
              progress: Callable[[int, int], None] | None = None,
              mp_context=None, documents: Documents | None = None) -> BatchResult:
    """Render every case on a pool of processes; return the ZIP and the outcomes.

    Pass the app's `documents` (already loaded and linted) so workers start light; without
    them the forms and templates are loaded and checked here, once.
    From a threaded server pass `mp_context=server_context()`: forking a process that has
    other threads running can copy a held lock into the child.
    """
    documents = documents or _load(job)
    workers = max(1, min(workers or os.cpu_count() or 1, len(case_ids)))
    size = max(1, min(CHUNK.get(job.fmt, 10), -(-len(case_ids) // workers)))
    chunks = [case_ids[i:i + size] for i in range(0, len(case_ids), size)]
    context = mp_context or multiprocessing.get_context()
    setup = documents if context.get_start_method() == "fork" else \
        _Portable.of(documents, job.template_id)
    result = BatchResult(b"")
    names: set[str] = set()
    buffer = io.BytesIO()
    steps, per_document = context.Value("i", 0), 2 if job.fmt == "pdf" else 1
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, \
            ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                initargs=(job, setup, steps)) as pool:
        pending = {pool.submit(render_chunk, job, chunk) for chunk in chunks}
        reported = -1
        while pending:
            finished, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                for outcome in future.result():
                    if outcome.error:
                        result.failed.append(outcome)
                    else:
                        outcome.filename = _unique(outcome.filename, names)
                        archive.writestr(outcome.filename, outcome.content)
                        result.done.append(outcome)
            count = steps.value // per_document
            if progress and count != reported:
                progress(count, len(case_ids))
                reported = count
        if result.failed:
            archive.writestr("ERRORI.txt", "Documenti non prodotti:\n" + "\n".join(
                f"- {o.label}: {o.error}" for o in result.failed) + "\n")
    result.zip_bytes = buffer.getvalue()
    return result


def server_context():
    """Worker processes for a threaded server, where forking the server itself is unsafe.

    A forkserver is a clean process started once that has already imported this module:
    each worker forks from it in milliseconds, instead of a spawned worker's second of
    imports. Where there is none (Windows), workers are spawned.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


def _load(job: Job) -> Documents:
    """Forms and templates of the job, loaded and checked in the calling process."""
    db = store.connect(job.database)
    try:
        return load_documents(load_catalog(job.forms_dir, db), *job.template_dirs,
                              pdf=PdfPool(size=1, timeout=job.pdf_timeout), strict=False)
    finally:
        db.conn.close()


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
            draft=outcome.draft, content=outcome.content, user_id=job.user_id,
            sensitive=outcome.sensitive))
    return ids
