"""Documents: generate from a sheet or a case, download again exactly as archived."""

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from .. import access, store
from ..documents.pdf import PdfBusy, PdfFailed, PdfUnavailable
from ..documents.service import MIMETYPES, DocumentError
from ..store import documents as document_store
from ..store import entries as entry_store
from ..store import offices as office_store
from ..store import users as user_store
from .db import get_db, get_documents
from .guard import audit, case_scope, current_user, load_case, load_person, requires

bp = Blueprint("documents", __name__)


def readable(documents: list[dict]) -> list[dict]:
    """The archived documents the current user may list (see access.may_read_document)."""
    return [d for d in documents if access.may_read_document(current_user, d)]


def check_readable(document: dict, object_type: str = "document") -> None:
    """404 (audited as a refusal) unless the current user may download this document or ZIP."""
    if not access.may_read_document(current_user, document):
        audit("refused", object_type, document["id"], person_id=document.get("person_id"),
              detail={"motivo": "documento con sezioni riservate"})
        abort(404)


def pdf_busy_page():
    """503 when every PDF converter stays busy: the user retries shortly, nothing was made."""
    page = render_template(
        "error.html", code=503, title=_("Convertitore PDF occupato"),
        explanation=_("Il convertitore PDF è occupato: riprova tra poco."),
        detail=_("Nessun documento è stato prodotto. Nel frattempo puoi scaricare il formato "
                 "Word o Excel."))
    return page, 503, {"Retry-After": "10"}


def _send(content: bytes, filename: str, mimetype: str):
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True,
                     download_name=filename)


def _produce(template_id: str, case: dict, entry: dict | None, back: str):
    documents = get_documents()
    template = documents.templates.get(template_id)
    fmt = request.form.get("formato", "")
    if template is None or fmt not in documents.formats(template):
        abort(404)
    db = get_db()
    try:
        produced = documents.produce(
            db, template_id, fmt, case=case,
            person=load_person(case["person_id"], audit_action=None),
            office=office_store.get(db, case["office_id"]),
            user=user_store.get(db, current_user.id), entry=entry,
            hide_sensitive=not access.sees_sensitive(current_user))
    except PdfBusy:
        return pdf_busy_page()
    except (PdfFailed, PdfUnavailable, DocumentError) as exc:
        flash(_("Il documento non è stato prodotto: %(e)s. Segnala il problema "
                "all'amministratore; per il PDF, scarica intanto il formato Word o Excel.",
                e=str(exc)), "danger")
        return redirect(back)
    audit("generate", "document", produced.document_id, person_id=case["person_id"],
          detail={"modello": template_id, "formato": fmt,
                  "scheda": entry["id"] if entry else None})
    return _send(produced.content, produced.filename, produced.mimetype)


@bp.route("/schede/<int:entry_id>/documenti/<template_id>", methods=["POST"])
@requires("document.generate")
def from_entry(entry_id: int, template_id: str):
    try:
        entry = entry_store.get(get_db(), case_scope(), entry_id)
    except store.NotFound:
        abort(404)
    if template_id not in {t.id for t in get_documents().for_entry(entry["form_id"])}:
        abort(404)
    case = load_case(entry["case_id"], audit_action=None)
    return _produce(template_id, case, entry, url_for("entries.view", entry_id=entry_id))


@bp.route("/pratiche/<int:case_id>/documenti/<template_id>", methods=["POST"])
@requires("document.generate")
def from_case(case_id: int, template_id: str):
    case = load_case(case_id, audit_action=None)
    return _produce(template_id, case, None, url_for("cases.view", case_id=case_id))


@bp.route("/documenti/<int:document_id>")
@requires("document.read")
def download(document_id: int):
    try:
        document = document_store.get(get_db(), case_scope(), document_id)
    except store.NotFound:
        abort(404)
    check_readable(document)
    audit("download", "document", document_id, person_id=document["person_id"])
    return _send(document["content"], document["filename"], MIMETYPES[document["format"]])
