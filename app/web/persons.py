"""Persons (anagrafica): search, register, edit, view, and who accessed the file."""

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import access, store
from ..people import check_cf
from ..sheets import check_submission
from ..store import audit as audit_store
from ..store import persons as person_store
from ..webforms import form_class, form_data, values_from
from .db import get_catalog, get_db
from .forms import PersonForm
from .guard import audit, current_user, load_person, person_scope, requires
from .params import page_arg

bp = Blueprint("persons", __name__, url_prefix="/persone")


@bp.route("/")
@requires("person.read")
def index():
    text = request.args.get("q", "").strip()
    page = page_arg()
    size = current_app.config["PAGE_SIZE"]
    rows, total = person_store.search(get_db(), person_scope(), text, size, (page - 1) * size)
    if text:
        audit("search", "person", detail=search_detail(text, total))
    template = "persons/_results.html" if request.headers.get("HX-Request") else "persons/index.html"
    return render_template(template, persons=rows, total=total, q=text, page=page, size=size)


def search_detail(text: str, results: int) -> dict:
    """What the audit log keeps of a search: its kind and size, never the text typed."""
    kind = "codice fiscale" if any(ch.isdigit() for ch in text) else "nome"
    return {"ricerca": kind, "caratteri": len(text), "risultati": results}


def _cf_errors(form: PersonForm) -> list[str]:
    """Validate the codice fiscale field in place; return the warnings to show."""
    if not form.codice_fiscale.data:
        return []
    result = check_cf(form.codice_fiscale.data, form.data_nascita.data, form.sesso.data,
                      form.cognome.data or "", form.nome.data or "")
    form.codice_fiscale.data = result.code
    if not result.valid:
        form.codice_fiscale.errors = [*form.codice_fiscale.errors, result.error]
    return result.warnings


def _person_values(form: PersonForm, extras: "Extras | None") -> dict:
    values = {name: form[name].data for name in person_store.FIELDS}
    values["data_nascita"] = form.data_nascita.data.isoformat() if form.data_nascita.data else None
    if extras is not None:
        values["extra"] = extras.data()
    return values


class Extras:
    """The additional registry fields declared in forms/persona.yaml, as a sheet view."""

    FORM_ID = "persona"

    def __init__(self, person: dict | None):
        self.form = get_catalog().forms[self.FORM_ID]
        self.hidden_sections: set[str] = set()
        self.live_url = url_for("persons.refresh_extras")
        stored = self.form.decode((person or {}).get("extra") or {})
        cls = form_class(self.form)
        self.wtform = cls() if request.method == "POST" else cls(
            formdata=None, data=form_data(self.form, stored))
        self.state = self.form.evaluate(values_from(self.form, self.wtform), {})

    @classmethod
    def for_person(cls, person: dict | None) -> "Extras | None":
        return cls(person) if cls.FORM_ID in get_catalog().forms else None

    def validate(self) -> bool:
        types_ok = self.wtform.validate()
        result = check_submission(self.form, values_from(self.form, self.wtform), {}, {},
                                  complete=False, hidden_sections=set())
        self.state = result.state
        return types_ok and result.ok

    def data(self) -> dict:
        return self.form.encode(self.state.values)


def _save(form: PersonForm, extras: Extras | None, person_id: int | None):
    """Validate and store; return the saved id, or None with the errors set on the form."""
    valid = form.validate_on_submit()
    if request.method == "POST" and extras is not None:
        valid = extras.validate() and valid
    warnings = _cf_errors(form) if request.method == "POST" else []
    if not valid or form.codice_fiscale.errors:
        return None
    db = get_db()
    try:
        if person_id is None:
            person_id = person_store.create(db, current_user.office_id,
                                            _person_values(form, extras), current_user.id)
            audit("create", "person", person_id, person_id=person_id)
        else:
            changed = person_store.update(db, person_id, _person_values(form, extras),
                                          current_user.id)
            audit("update", "person", person_id, person_id=person_id,
                  detail={"campi": sorted(changed)})
    except store.DuplicateCodiceFiscale as dup:
        form.duplicate_id = dup.existing_id
        form.codice_fiscale.errors = [
            *form.codice_fiscale.errors,
            _("Esiste già una persona con questo codice fiscale in questo ufficio.")]
        return None
    for warning in warnings:
        flash(warning, "warning")
    if not form.codice_fiscale.data:
        flash(_("Persona registrata senza codice fiscale: completare appena possibile."),
              "warning")
    return person_id


@bp.route("/nuova", methods=["GET", "POST"])
@requires("person.create")
def create():
    form = PersonForm()
    extras = Extras.for_person(None)
    person_id = _save(form, extras, None)
    if person_id:
        flash(_("Persona registrata."), "success")
        return redirect(url_for("persons.view", person_id=person_id))
    return render_template("persons/edit.html", form=form, person=None, extras=extras), \
        422 if request.method == "POST" else 200


@bp.route("/<int:person_id>/modifica", methods=["GET", "POST"])
@requires("person.edit")
def edit(person_id: int):
    person = load_person(person_id, audit_action=None)
    form = PersonForm(data=person if request.method == "GET" else None)
    if request.method == "GET" and person["data_nascita"]:
        form.data_nascita.data = date.fromisoformat(person["data_nascita"])
    extras = Extras.for_person(person)
    if _save(form, extras, person_id):
        flash(_("Dati anagrafici aggiornati."), "success")
        return redirect(url_for("persons.view", person_id=person_id))
    return render_template("persons/edit.html", form=form, person=person, extras=extras), \
        422 if request.method == "POST" else 200


@bp.route("/<int:person_id>")
@requires("person.read")
def view(person_id: int):
    person = load_person(person_id)
    birth = person["data_nascita"]
    cf = check_cf(person["codice_fiscale"], date.fromisoformat(birth) if birth else None,
                  person["sesso"], person["cognome"] or "", person["nome"] or "") \
        if person["codice_fiscale"] else None
    scope = access.case_scope(current_user)
    cases = person_store.cases_of(get_db(), scope, person_id) if scope else []
    accesses = audit_store.person_accesses(get_db(), person_id) \
        if current_user.can("person.audit") else None
    extras = get_catalog().forms.get(Extras.FORM_ID)
    extras_state = extras.evaluate(extras.decode(person["extra"]), {}) if extras else None
    return render_template("persons/view.html", person=person, cf=cf, cases=cases,
                           accesses=accesses, extras=extras, extras_state=extras_state)


@bp.route("/modulo/aggiorna", methods=["POST"])
@requires("person.edit")
def refresh_extras():
    """htmx: re-render the additional fields that depend on the one just changed."""
    extras = Extras(None)
    trigger = (request.headers.get("HX-Trigger-Name") or "").split("-", 1)[0]
    blocks = extras.form.dependents(trigger) if trigger in extras.form.fields else set()
    return render_template("entries/_blocks.html", sheet=extras, wtform=extras.wtform,
                           state=extras.state, blocks=blocks)
