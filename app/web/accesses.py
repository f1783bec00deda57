"""Who consulted a person's file: the report for a data subject's request (page, Excel, PDF)."""

import io
from datetime import UTC, datetime

from flask import Blueprint, abort, render_template, request, send_file
from flask_babel import gettext as _

from .. import auditlog
from ..documents.pdf import PdfBusy, PdfFailed, PdfUnavailable
from ..store import audit as audit_store
from .db import get_catalog, get_db, get_documents
from .entries import Sheet
from .filters import format_datetime
from .guard import audit, load_person, requires

bp = Blueprint("accesses", __name__)

FORMATS = ("xlsx", "pdf", "stampa")
EXPORT_LIMIT = 100_000
PAGE_LIMIT = 500


def form_title(form_id: str) -> str:
    """A form's title from its id (the id itself for what is not a form of the catalog)."""
    form = get_catalog().forms.get(form_id)
    return form.title if form else form_id


def events(rows: list[dict]) -> list[auditlog.Event]:
    """Log rows put into words, with the names of people and objects."""
    return auditlog.describe(rows, audit_store.names(get_db(), rows), form_title)


def report(title: str, rows: list[dict], fmt: str, filename: str, **page):
    """The events as an HTML page, an Excel file, a PDF or a page made for printing."""
    described = events(rows)
    if fmt == "xlsx" or fmt == "pdf":
        content = auditlog.to_xlsx(title, described, format_datetime)
        if fmt == "xlsx":
            return send_file(io.BytesIO(content), as_attachment=True,
                             download_name=f"{filename}.xlsx")
        try:
            pdf = get_documents().pdf.convert(content, ".xlsx")
        except (PdfUnavailable, PdfFailed, PdfBusy):
            fmt = "stampa"
        else:
            return send_file(io.BytesIO(pdf), mimetype="application/pdf", as_attachment=True,
                             download_name=f"{filename}.pdf")
    template = "admin/audit_print.html" if fmt == "stampa" else "admin/audit_person.html"
    return render_template(template, title=title, events=described, fmt=fmt,
                           pdf=get_documents().pdf.available, now=datetime.now(UTC), **page)


def _format_and_limit() -> tuple[str, int]:
    """The report's requested format ('' for the page) and how many events it may hold."""
    fmt = request.args.get("formato", "")
    if fmt and fmt not in FORMATS:
        abort(400)
    return fmt, EXPORT_LIMIT if fmt else PAGE_LIMIT


@bp.route("/persone/<int:person_id>/accessi")
@requires("person.audit")
def person(person_id: int):
    """Every access to a person's data, newest first (the person is in the viewer's scope)."""
    found = load_person(person_id, audit_action=None)
    fmt, limit = _format_and_limit()
    rows, total = audit_store.search(get_db(), person_id=person_id, limit=limit)
    audit("report", "person", person_id, person_id=person_id, detail={"formato": fmt or "pagina"})
    name = f"{found['cognome']} {found['nome']}"
    return report(_("Chi ha consultato i dati di %(n)s", n=name), rows, fmt,
                  f"accessi-{person_id}", person=found, total=total, limit=limit,
                  endpoint="accesses.person", args={"person_id": person_id})


@bp.route("/schede/<int:entry_id>/accessi")
@requires("person.audit")
def entry(entry_id: int):
    """Every access to one sheet (reads, changes, history, documents made from it)."""
    sheet = Sheet(entry_id, audit_action=None)
    fmt, limit = _format_and_limit()
    rows, total = audit_store.search(get_db(), object_type="entry", object_id=entry_id,
                                     limit=limit)
    audit("report", "entry", entry_id, person_id=sheet.case["person_id"],
          detail={"formato": fmt or "pagina"})
    title = _("Chi ha consultato la scheda «%(f)s» di %(n)s", f=sheet.form.title,
              n=f"{sheet.person['cognome']} {sheet.person['nome']}")
    return report(title, rows, fmt, f"accessi-scheda-{entry_id}", person=sheet.person,
                  total=total, limit=limit, endpoint="accesses.entry",
                  args={"entry_id": entry_id})
