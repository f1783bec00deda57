"""Documents for many cases: mail merge with a progress bar, and registers across cases."""

import io
import threading

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from .. import access, store
from ..documents.batch import Job, archive_batch, run_batch, server_context
from ..documents.pdf import PdfBusy, PdfFailed, PdfUnavailable
from ..documents.registers import produce_register, register_cases
from ..documents.service import DocumentError
from ..store import batches as batch_store
from ..store import cases as case_store
from ..store import documents as document_store
from ..store import offices as office_store
from ..store import users as user_store
from .db import get_db, get_documents
from .documents import check_readable, pdf_busy_page, readable
from .guard import audit, case_scope, current_user, requires

bp = Blueprint("batch", __name__, url_prefix="/documenti")


def _batchable():
    return [t for t in get_documents().templates.values()
            if t.definition.forms and not t.definition.across_cases]


@bp.route("/serie", methods=["GET", "POST"])
@requires("document.batch")
def new():
    templates = _batchable()
    if request.method == "GET":
        offered = {fmt for t in templates for fmt in get_documents().formats(t)}
        return render_template("documents/batch.html", templates=templates,
                               formats=[f for f in ("docx", "xlsx", "pdf") if f in offered])
    template = get_documents().templates.get(request.form.get("modello", ""))
    fmt = request.form.get("formato", "")
    if template not in templates:
        abort(400)
    if fmt not in get_documents().formats(template):
        flash(_("Il formato %(f)s non è disponibile per «%(t)s»: scegli tra %(ok)s.",
                f=fmt.upper(), t=template.definition.title,
                ok=", ".join(x.upper() for x in get_documents().formats(template))), "warning")
        return redirect(url_for("batch.new"))
    ids = sorted({case_id for form_id in template.definition.forms
                  for case_id in case_store.with_complete_sheet(
                      get_db(), case_scope(), form_id, stato=request.form.get("stato", ""))})
    if not ids:
        flash(_("Nessuna pratica con una scheda completa di questo modulo: nessun documento "
                "da produrre."), "warning")
        return redirect(url_for("batch.new"))
    job_id = batch_store.start(get_db(), current_user.office_id, current_user.id, template.id,
                               fmt, len(ids))
    audit("generate", "batch", job_id, detail={"modello": template.id, "pratiche": len(ids)})
    job = Job(current_app.config["DATABASE"], current_app.config["FORMS_DIR"],
              (current_app.config["DOC_TEMPLATES_DIR"], current_app.config["SPREADSHEETS_DIR"]),
              template.id, fmt, current_user.id, not access.sees_sensitive(current_user),
              current_app.config["PDF_TIMEOUT"])
    threading.Thread(target=_run, args=(job, job_id, ids, get_documents()),
                     daemon=True).start()
    return redirect(url_for("batch.status", job_id=job_id))


def _run(job: Job, job_id: int, ids: list[int], documents) -> None:
    """The batch in the background: progress in the database, the ZIP at the end."""
    db = store.connect(job.database)
    try:
        result = run_batch(job, ids, progress=lambda done, _total: batch_store.progress(
            db, job_id, done), mp_context=server_context(), documents=documents)
        archive_batch(db, documents, job, result)
        batch_store.finish(db, job_id, result.zip_bytes,
                           [{"pratica": o.case_id, "persona": o.label, "errore": o.error}
                            for o in result.failed], sensitive=result.sensitive)
    except Exception as exc:  # noqa: BLE001 - the page must say it failed, not spin forever
        batch_store.finish(db, job_id, None, [{"pratica": None, "persona": "",
                                               "errore": str(exc)}], status="fallito")
    finally:
        db.conn.close()


def _job(job_id: int) -> dict:
    try:
        job = batch_store.get(get_db(), job_id, current_user.id)
    except store.NotFound:
        abort(404)
    # A ZIP made with sensitive sections is not offered to a role that no longer sees them.
    job["readable"] = access.may_read_document(current_user, job)
    return job


@bp.route("/serie/<int:job_id>")
@requires("document.batch")
def status(job_id: int):
    return render_template("documents/batch_status.html", job=_job(job_id), partial=False)


@bp.route("/serie/<int:job_id>/stato")
@requires("document.batch")
def status_partial(job_id: int):
    return render_template("documents/_batch_status.html", job=_job(job_id), partial=True)


@bp.route("/serie/<int:job_id>/zip")
@requires("document.batch")
def download_zip(job_id: int):
    job = _job(job_id)
    if not job["zip"]:
        abort(404)
    check_readable(job, "batch")
    audit("download", "batch", job_id)
    return send_file(io.BytesIO(job["zip"]), mimetype="application/zip", as_attachment=True,
                     download_name=f"documenti-{job['template_id']}-{job_id}.zip")


@bp.route("/registri", methods=["GET", "POST"])
@requires("document.register")
def registers():
    documents = get_documents()
    templates = [t for t in documents.templates.values() if t.definition.across_cases]
    if request.method == "POST":
        return _register(documents, templates)
    return render_template("documents/registers.html", templates=templates,
                           formats=documents.formats,
                           produced=readable(document_store.registers(get_db(),
                                                                      current_user.office_id)))


def _register(documents, templates):
    template = documents.templates.get(request.form.get("modello", ""))
    fmt = request.form.get("formato", "xlsx")
    if template not in templates or fmt not in documents.formats(template):
        abort(400)
    filters = {"stato": request.form.get("stato", ""),
               "date_from": request.form.get("dal", ""), "date_to": request.form.get("al", "")}
    db = get_db()
    if not register_cases(db, documents, template.id, current_user.office_id, **filters):
        flash(_("Nessuna pratica corrisponde ai filtri scelti: il registro sarebbe vuoto."),
              "warning")
        return redirect(url_for("batch.registers"))
    try:
        produced, rows = produce_register(
            db, documents, template.id, fmt, office=office_store.get(db, current_user.office_id),
            user=user_store.get(db, current_user.id),
            hide_sensitive=not access.sees_sensitive(current_user), **filters)
    except PdfBusy:
        return pdf_busy_page()
    except (DocumentError, PdfFailed, PdfUnavailable) as exc:
        flash(_("Il registro non è stato prodotto: %(e)s", e=str(exc)), "danger")
        return redirect(url_for("batch.registers"))
    audit("generate", "document", produced.document_id,
          detail={"modello": template.id, "righe": rows, **filters})
    return send_file(io.BytesIO(produced.content), mimetype=produced.mimetype,
                     as_attachment=True, download_name=produced.filename)
