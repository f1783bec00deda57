"""The forms of the library and, for each, the sheets the user can see (with Excel export)."""

from flask import Blueprint, abort, current_app, render_template

from ..store import entries as entry_store
from .db import get_catalog, get_db
from .guard import case_scope, requires
from .params import page_arg

bp = Blueprint("forms_list", __name__, url_prefix="/moduli")


@bp.route("/")
@requires("entry.read")
def index():
    catalog = get_catalog()
    forms = sorted((f for f in catalog.forms.values() if f.id != "persona"),
                   key=lambda f: f.title)
    return render_template("forms/index.html", forms=forms,
                           counts=entry_store.counts_by_form(get_db(), case_scope()))


@bp.route("/<form_id>")
@requires("entry.read")
def entries(form_id: str):
    form = get_catalog().forms.get(form_id)
    if form is None or form_id == "persona":
        abort(404)
    page = page_arg()
    size = current_app.config["PAGE_SIZE"]
    rows, total = entry_store.of_form(get_db(), case_scope(), form_id, size, (page - 1) * size)
    return render_template("forms/entries.html", form=form, rows=rows, total=total, page=page,
                           size=size)
