"""Cases (pratiche): the home page, lists with filters, open, view, edit, close, reopen."""

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import access, sheets, store
from ..cycle import PHASES, phase_index
from ..store import cases as case_store
from ..store import documents as document_store
from ..store import entries as entry_store
from ..store import users as user_store
from .db import get_catalog, get_db, get_documents
from .documents import readable
from .forms import CaseForm, CloseCaseForm, ReopenCaseForm, options
from .guard import audit, case_scope, current_user, load_case, load_person, requires
from .params import page_arg

bp = Blueprint("cases", __name__)

MANAGER_ROLES = access.CASE_MANAGER_ROLES


@bp.route("/")
def home():
    if current_user.role == "admin":
        return redirect(url_for("admin.index"))
    db, scope = get_db(), case_scope()
    today = date.today().isoformat()
    mine, n_mine = case_store.search(db, scope, member_id=current_user.id, stato="aperta", limit=20)
    overdue, n_overdue = case_store.search(db, scope, overdue_before=today, limit=20)
    # Cases without a manager (e.g. imported) are seen by no social worker: say so.
    unassigned, n_unassigned = case_store.search(db, scope, unassigned=True, stato="aperta",
                                                 limit=20)
    return render_template("cases/home.html", mine=mine, n_mine=n_mine, overdue=overdue,
                           n_overdue=n_overdue, by_phase=case_store.count_by_phase(db, scope),
                           unassigned=unassigned, n_unassigned=n_unassigned, today=today)


@bp.route("/pratiche/")
@requires("case.read")
def index():
    args = request.args
    filters = {k: args.get(k, "") for k in ("area", "fase", "stato")}
    filters["unassigned"] = bool(args.get("senza_manager"))
    page = page_arg()
    size = current_app.config["PAGE_SIZE"]
    rows, total = case_store.search(
        get_db(), case_scope(),
        member_id=current_user.id if args.get("miei") else None,
        overdue_before=date.today().isoformat() if args.get("scadute") else "",
        text=args.get("q", ""), limit=size, offset=(page - 1) * size, **filters,
    )
    return render_template("cases/index.html", cases=rows, total=total, page=page, size=size,
                           today=date.today().isoformat())


def _fill_choices(form: CaseForm) -> None:
    staff = user_store.office_staff(get_db(), current_user.office_id, MANAGER_ROLES)
    form.manager_id.choices = options([(u["id"], f'{u["full_name"]} ({u["username"]})') for u in staff])
    form.team.choices = options(
        (u["id"], f'{u["full_name"]} ({u["username"]})')
        for u in user_store.office_staff(get_db(), current_user.office_id))


def _case_values(form: CaseForm) -> dict:
    return {
        "area": form.area.data,
        "fase": form.fase.data,
        "manager_id": form.manager_id.data,
        "note": form.note.data or "",
        "data_apertura": form.data_apertura.data.isoformat() if form.data_apertura.data else None,
        "prossima_verifica": form.prossima_verifica.data.isoformat()
        if form.prossima_verifica.data else None,
    }


@bp.route("/persone/<int:person_id>/pratiche/nuova", methods=["GET", "POST"])
@requires("case.open")
def open_case(person_id: int):
    person = load_person(person_id, audit_action=None)
    form = CaseForm()
    _fill_choices(form)
    if request.method == "GET" and current_user.role in MANAGER_ROLES:
        form.manager_id.data = current_user.id
    if form.validate_on_submit():
        case_id = case_store.open_case(get_db(), person, _case_values(form), form.team.data or [],
                                       current_user.id)
        audit("create", "case", case_id, person_id=person_id)
        flash(_("Pratica aperta."), "success")
        return redirect(_after_open(case_id, person_id))
    return render_template("cases/edit.html", form=form, person=person, case=None), \
        422 if form.errors else 200


def _after_open(case_id: int, person_id: int) -> str:
    """The new case's page if the user may see it, else the person's page."""
    try:
        case_store.get(get_db(), case_scope(), case_id)
    except store.NotFound:
        flash(_("La pratica è assegnata ad altri operatori: non compare tra le tue."), "info")
        return url_for("persons.view", person_id=person_id)
    return url_for("cases.view", case_id=case_id)


@bp.route("/pratiche/<int:case_id>")
@requires("case.read")
def view(case_id: int):
    return _render_view(load_case(case_id), CloseCaseForm(data_chiusura=date.today()))


def _render_view(case: dict, close_form: CloseCaseForm, status: int = 200):
    entries = entry_store.of_case(get_db(), case["id"])
    documents = get_documents()
    return render_template(
        "cases/view.html", case=case, phases=PHASES, current=phase_index(case["fase"]),
        close_form=close_form, reopen_form=ReopenCaseForm(), today=date.today().isoformat(),
        cycle=sheets.cycle_overview(get_catalog(), case, entries),
        templates=documents.for_case({e["form_id"] for e in entries}),
        formats=documents.formats, pdf=documents.pdf.available,
        produced=readable(document_store.of_case(get_db(), case["id"])),
    ), status


@bp.route("/pratiche/<int:case_id>/modifica", methods=["GET", "POST"])
@requires("case.edit")
def edit(case_id: int):
    case = load_case(case_id, audit_action=None)
    form = CaseForm(data=_form_data(case) if request.method == "GET" else None)
    _fill_choices(form)
    if form.validate_on_submit():
        values = _case_values(form)
        values.pop("data_apertura", None)
        changed = case_store.update(get_db(), case_id, values, form.team.data or [],
                                    current_user.id)
        audit("update", "case", case_id, person_id=case["person_id"],
              detail={"campi": sorted(changed)})
        flash(_("Pratica aggiornata."), "success")
        return redirect(url_for("cases.view", case_id=case_id))
    return render_template("cases/edit.html", form=form, person=None, case=case), \
        422 if form.errors else 200


def _form_data(case: dict) -> dict:
    data = dict(case)
    for key in ("data_apertura", "prossima_verifica"):
        data[key] = date.fromisoformat(case[key]) if case[key] else None
    data["team"] = [member["id"] for member in case["team"]]
    return data


@bp.route("/pratiche/<int:case_id>/chiudi", methods=["POST"])
@requires("case.close")
def close(case_id: int):
    case = load_case(case_id, audit_action=None)
    form = CloseCaseForm()
    if case["stato"] != "aperta":
        abort(400)
    if form.validate_on_submit():
        case_store.close(get_db(), case_id, form.motivo_chiusura.data,
                         form.data_chiusura.data.isoformat(), current_user.id)
        audit("close", "case", case_id, person_id=case["person_id"],
              detail={"motivo": form.motivo_chiusura.data})
        flash(_("Pratica chiusa."), "success")
        return redirect(url_for("cases.view", case_id=case_id))
    return _render_view(case, form, 422)


@bp.route("/pratiche/<int:case_id>/riapri", methods=["POST"])
@requires("case.close")
def reopen(case_id: int):
    case = load_case(case_id, audit_action=None)
    form = ReopenCaseForm()
    if case["stato"] != "chiusa" or not form.validate_on_submit():
        abort(400)
    case_store.reopen(get_db(), case_id, form.fase.data, current_user.id)
    audit("reopen", "case", case_id, person_id=case["person_id"], detail={"fase": form.fase.data})
    flash(_("Pratica riaperta."), "success")
    return redirect(url_for("cases.view", case_id=case_id))
