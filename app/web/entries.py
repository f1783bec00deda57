"""Entries (sheets): start, fill, save as draft or complete, live updates, autosave, history."""

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from .. import access, merge, sheets, store
from ..cycle import PHASES, advanced_phase
from ..store import cases as case_store
from ..store import entries as entry_store
from ..store import users as user_store
from ..webforms import apply_row_action, form_class, form_data, values_from
from .db import get_catalog, get_db, get_documents
from .guard import audit, case_scope, current_user, load_case, load_person, requires
from .params import int_arg

bp = Blueprint("entries", __name__)


class Sheet:
    """Everything a view needs about one entry: the row, its case and person, its form."""

    def __init__(self, entry_id: int, audit_action: str | None = "read"):
        db = get_db()
        try:
            self.entry = entry_store.get(db, case_scope(), entry_id)
        except store.NotFound:
            abort(404)
        self.case = load_case(self.entry["case_id"], audit_action=None)
        self.person = load_person(self.case["person_id"], audit_action=None)
        self.form = get_catalog().form(db, self.entry["form_id"], self.entry["form_version"])
        self.ctx = sheets.context(get_catalog(), self.case, self.person)
        self.hidden_sections = set() if access.sees_sensitive(current_user) else {
            s.id for s in self.form.sections if s.sensitive}
        self.stored = self.form.decode(self.entry["data"])
        self.live_url = url_for("entries.refresh", entry_id=entry_id)
        if audit_action:
            audit(audit_action, "entry", entry_id, person_id=self.case["person_id"],
                  detail={"modulo": self.form.id})

    def wtform(self, formdata=None, values=None):
        cls = form_class(self.form)
        if formdata is not None:
            return cls(formdata=formdata)
        wtform = cls(formdata=None, data=form_data(self.form, values or self.stored))
        wtform.cartella_rev.data = self.entry["rev"]
        return wtform

    def render(self, wtform, status: int = 200, **extra):
        values = values_from(self.form, wtform)
        state = self.form.evaluate(values, self.ctx)
        return render_template("entries/edit.html", sheet=self, wtform=wtform, state=state,
                               **extra), status


@bp.route("/pratiche/<int:case_id>/schede/nuova", methods=["POST"])
@requires("entry.write")
def new(case_id: int):
    case = load_case(case_id, audit_action=None)
    catalog = get_catalog()
    allowed = {f.id: f for f in catalog.for_area(case["area"])}
    form = allowed.get(request.form.get("modulo", ""))
    if form is None:
        abort(404)
    person = load_person(case["person_id"], audit_action=None)
    values = sheets.prefill(get_db(), catalog, form, case, person)
    entry_id = entry_store.create(get_db(), case, form.id, form.version, form.encode(values),
                                  current_user.id)
    audit("create", "entry", entry_id, person_id=case["person_id"], detail={"modulo": form.id})
    return redirect(url_for("entries.edit", entry_id=entry_id))


@bp.route("/schede/<int:entry_id>")
@requires("entry.read")
def view(entry_id: int):
    sheet = Sheet(entry_id)
    state = sheet.form.evaluate(sheet.stored, sheet.ctx)
    documents = get_documents()
    return render_template("entries/view.html", sheet=sheet, state=state,
                           templates=documents.for_entry(sheet.form.id),
                           formats=documents.formats, pdf=documents.pdf.available)


@bp.route("/schede/<int:entry_id>/modifica", methods=["GET", "POST"])
@requires("entry.write")
def edit(entry_id: int):
    if request.method == "POST":
        return _submit(Sheet(entry_id, audit_action=None))
    sheet = Sheet(entry_id)
    db = get_db()
    token = request.args.get("recupera")
    if token:
        stashed = entry_store.pop_submission(db, token, current_user.id)
        if stashed and stashed["path"] == request.path:
            flash(_("La sessione era scaduta: quanto avevi inviato è stato recuperato. "
                    "Controlla e salva per completare."), "warning")
            return sheet.render(sheet.wtform(formdata=MultiDict(stashed["form"])))
    autosave = entry_store.get_autosave(db, entry_id, current_user.id)
    if autosave and request.args.get("bozza_automatica"):
        wtform = sheet.wtform(formdata=MultiDict(autosave["data"]))
        flash(_("Ripristinate le modifiche non salvate: premi Salva per conservarle."), "info")
        return sheet.render(wtform)
    return sheet.render(sheet.wtform(), autosave=autosave)


def _attach(wtform, errors: dict) -> list[str]:
    """Put definition errors next to their fields; return the form-wide ones."""
    general = []
    for key, messages in errors.items():
        if isinstance(key, tuple):
            repeat, index, sub = key
            target = wtform[repeat].entries[index].form[sub] if index < len(
                wtform[repeat].entries) and sub in wtform[repeat].entries[index].form else None
        else:
            target = wtform[key] if key in wtform else None
        if target is None:
            general += messages
        else:
            target.errors = [*target.errors, *messages]
    return general


def _submit(sheet: Sheet):
    action = request.form.get("_azione", "bozza")
    if action.startswith(("aggiungi_riga", "rimuovi_riga")):
        return sheet.render(sheet.wtform(formdata=apply_row_action(sheet.form, request.form,
                                                                   action)))
    wtform = sheet.wtform(formdata=request.form)
    types_ok = wtform.validate()
    complete = action == "completa"
    values = values_from(sheet.form, wtform)
    result = sheets.check_submission(sheet.form, values, sheet.stored, sheet.ctx, complete,
                                     sheet.hidden_sections)
    general = _attach(wtform, result.errors)
    if not types_ok or not result.ok:
        return sheet.render(wtform, 422, general_errors=general)
    data = sheet.form.encode(sheets.drop_blank_rows(sheet.form, result.values))
    try:
        entry_store.save(get_db(), sheet.entry["id"], wtform.cartella_rev.data or 0, data,
                         "completa" if complete else "bozza", current_user.id,
                         note=wtform.cartella_nota.data or "")
    except entry_store.Conflict as conflict:
        return _conflict(sheet, wtform, conflict.current, data)
    if complete:
        _apply_sets(sheet, result.values)
    audit("update", "entry", sheet.entry["id"], person_id=sheet.case["person_id"],
          detail={"modulo": sheet.form.id, "stato": "completa" if complete else "bozza"})
    flash(_("Scheda salvata come completa.") if complete else _("Bozza salvata."), "success")
    if complete:
        _advance_phase(sheet)
    return redirect(url_for("entries.view", entry_id=sheet.entry["id"]))


def _apply_sets(sheet: Sheet, values: dict) -> None:
    """A complete sheet may set data of its case (e.g. the next review date)."""
    for fid, f in sheet.form.fields.items():
        if f.sets == "pratica.prossima_verifica" and values.get(fid):
            case_store.update(get_db(), sheet.case["id"],
                              {"prossima_verifica": values[fid].isoformat()}, None,
                              current_user.id)


def _advance_phase(sheet: Sheet) -> None:
    """A complete sheet of a later phase moves its open case on (the case page can move it
    back by hand)."""
    phase = advanced_phase(sheet.case["fase"], sheet.form.definition.phase)
    if phase is None or sheet.case["stato"] != "aperta":
        return
    case_store.update(get_db(), sheet.case["id"], {"fase": phase}, None, current_user.id)
    audit("update", "case", sheet.case["id"], person_id=sheet.case["person_id"],
          detail={"fase": phase, "motivo": "scheda completa", "modulo": sheet.form.id})
    flash(_("La pratica passa alla fase %(phase)s.", phase=PHASES[phase]), "info")


def _conflict(sheet: Sheet, wtform, current: dict, mine: dict):
    """Someone saved meanwhile: merge their changes into the user's input, show what was
    taken and what both changed. The form now carries the revision seen: a further save
    proceeds only if nobody saved again since (else the merge is shown again)."""
    db = get_db()
    base_rev = wtform.cartella_rev.data or 0
    try:
        base = entry_store.revision(db, sheet.entry["id"], base_rev)["data"] if base_rev else {}
    except store.NotFound:  # a revision number that never existed: compare with nothing
        base = {}
    merged = merge.three_way(sheet.form, base, mine, current["data"], sheet.hidden_sections)
    note = wtform.cartella_nota.data
    wtform = sheet.wtform(values=sheet.form.decode(merged.data))
    wtform.cartella_rev.data = current["rev"]
    wtform.cartella_nota.data = note
    return sheet.render(wtform, 409, conflict=merged, conflict_by=_saved_by(current))


def _saved_by(current: dict) -> str:
    """Who made the newer revision, and when: '... tu stesso, in un'altra finestra, alle 10:32'."""
    at = datetime.fromisoformat(current["updated_at"])
    today = format_datetime(datetime.now(UTC), "yyyy-MM-dd")
    when = (_("alle %(t)s", t=format_datetime(at, "HH:mm"))
            if format_datetime(at, "yyyy-MM-dd") == today
            else _("il %(d)s alle %(t)s", d=format_datetime(at, "dd/MM/yyyy"),
                   t=format_datetime(at, "HH:mm")))
    if current.get("updated_by") == current_user.id:
        return _("Mentre compilavi questa pagina, hai salvato la scheda tu stesso, in un'altra "
                 "finestra o scheda del browser, %(when)s. Il salvataggio di questa pagina non "
                 "è stato applicato per non cancellare quel lavoro.", when=when)
    try:
        name = user_store.get(get_db(), current["updated_by"])["full_name"]
    except (store.NotFound, TypeError):
        name = _("un altro utente")
    return _("Mentre compilavi questa pagina, la scheda è stata salvata da %(name)s, %(when)s. "
             "Il tuo salvataggio non è stato applicato per non cancellare il suo lavoro.",
             name=name, when=when)


@bp.route("/schede/<int:entry_id>/aggiorna", methods=["POST"])
@requires("entry.write")
def refresh(entry_id: int):
    """htmx: re-render the blocks that depend on the field just changed (or a repeat)."""
    sheet = Sheet(entry_id, audit_action=None)
    action = request.form.get("_azione", "")
    if action and not _known_row_action(sheet.form, action):
        abort(400, _("Operazione sulle righe non riconosciuta."))
    formdata = apply_row_action(sheet.form, request.form, action) if action else request.form
    wtform = sheet.wtform(formdata=formdata)
    if action:
        blocks = {action.split(":")[1]}
    else:
        trigger = (request.headers.get("HX-Trigger-Name") or "").split("-", 1)[0]
        blocks = sheet.form.dependents(trigger) if trigger in sheet.form.fields else set()
    values = values_from(sheet.form, wtform)
    state = sheet.form.evaluate(values, sheet.ctx)
    return render_template("entries/_blocks.html", sheet=sheet, wtform=wtform, state=state,
                           blocks=blocks)


def _known_row_action(form, action: str) -> bool:
    """'aggiungi_riga:<repeat>' or 'rimuovi_riga:<repeat>:<n>' naming a repeat of the form."""
    verb, _sep, rest = action.partition(":")
    repeat_id, _sep, position = rest.partition(":")
    field = form.fields.get(repeat_id)
    if field is None or field.type != "repeat":
        return False
    return (verb == "aggiungi_riga" and not position) or (
        verb == "rimuovi_riga" and position.isascii() and position.isdigit())


@bp.route("/schede/<int:entry_id>/autosalva", methods=["POST"])
@requires("entry.write")
def autosave(entry_id: int):
    """htmx: keep what is being typed (raw, exactly as typed) without making a revision."""
    sheet = Sheet(entry_id, audit_action=None)
    pairs = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
    at = entry_store.put_autosave(get_db(), entry_id, current_user.id,
                                  int_arg("cartella_rev", source=request.form) or sheet.entry["rev"],
                                  pairs)
    return render_template("entries/_autosaved.html", at=at)


@bp.route("/schede/<int:entry_id>/autosalva/scarta", methods=["POST"])
@requires("entry.write")
def discard_autosave(entry_id: int):
    Sheet(entry_id, audit_action=None)
    entry_store.drop_autosave(get_db(), entry_id, current_user.id)
    return redirect(url_for("entries.edit", entry_id=entry_id))


@bp.route("/schede/<int:entry_id>/annulla", methods=["POST"])
@requires("entry.write")
def cancel(entry_id: int):
    """'Annulla' on a sheet: a new sheet never saved is not kept; a saved one stays as it was."""
    sheet = Sheet(entry_id, audit_action=None)
    if entry_store.discard_unsaved(get_db(), entry_id, current_user.id):
        audit("discard", "entry", entry_id, person_id=sheet.case["person_id"],
              detail={"modulo": sheet.form.id})
        flash(_("Scheda annullata: non era mai stata salvata, quindi non è stata conservata."),
              "info")
        return redirect(url_for("cases.view", case_id=sheet.case["id"]))
    return redirect(url_for("entries.view", entry_id=entry_id))


@bp.route("/schede/<int:entry_id>/revisioni")
@requires("entry.read")
def revisions(entry_id: int):
    sheet = Sheet(entry_id, audit_action="history")
    history = entry_store.revisions(get_db(), entry_id)
    newest = history[0]["rev"] if history else 1
    first = int_arg("da", max(1, newest - 1), maximum=newest)
    second = int_arg("a", newest, maximum=newest)
    changes = None
    if first != second:
        try:
            old = entry_store.revision(get_db(), entry_id, first)
            new_ = entry_store.revision(get_db(), entry_id, second)
        except store.NotFound:
            abort(404)
        old_form = get_catalog().form(get_db(), sheet.form.id, new_["form_version"])
        changes = sheets.diff(old_form, old["data"], new_["data"], sheet.hidden_sections)
    return render_template("entries/revisions.html", sheet=sheet, history=history,
                           first=first, second=second, changes=changes)


@bp.route("/schede/<int:entry_id>/elimina", methods=["POST"])
@requires("entry.delete")
def delete(entry_id: int):
    sheet = Sheet(entry_id, audit_action=None)
    entry_store.soft_delete(get_db(), entry_id, current_user.id)
    audit("delete", "entry", entry_id, person_id=sheet.case["person_id"])
    flash(_("Scheda spostata nel cestino: un coordinatore può ripristinarla."), "info")
    return redirect(url_for("cases.view", case_id=sheet.case["id"]))


@bp.route("/pratiche/<int:case_id>/cestino")
@requires("entry.restore")
def trash(case_id: int):
    case = load_case(case_id, audit_action="read")
    deleted = entry_store.of_case(get_db(), case_id, deleted=True)
    return render_template("entries/trash.html", case=case, deleted=deleted,
                           catalog=get_catalog())


@bp.route("/schede/<int:entry_id>/ripristina", methods=["POST"])
@requires("entry.restore")
def restore(entry_id: int):
    try:
        entry = entry_store.get(get_db(), case_scope(), entry_id, deleted=True)
    except store.NotFound:
        abort(404)
    entry_store.restore(get_db(), entry_id)
    audit("restore", "entry", entry_id, person_id=entry["person_id"])
    flash(_("Scheda ripristinata."), "success")
    return redirect(url_for("entries.view", entry_id=entry_id))
