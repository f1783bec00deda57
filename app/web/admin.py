"""Administration: offices, users and the audit log (admin role only)."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from .. import accounts, auditlog, store
from ..people import normalize_cf
from ..store import audit as audit_store
from ..store import offices as office_store
from ..store import sessions as session_store
from ..store import users as user_store
from . import accesses
from .db import get_db, get_documents
from .filters import ROLE_LABELS
from .forms import EmptyForm, NewUserForm, OfficeForm, PasswordForm, UserForm, options
from .guard import audit, requires
from .params import int_arg, page_arg

bp = Blueprint("admin", __name__, url_prefix="/amministrazione")


@bp.before_request
@requires("admin.manage")
def only_admins():
    return None


@bp.route("/")
def index():
    db = get_db()
    everyone = user_store.all_users(db)
    return render_template("admin/index.html", offices=office_store.all_offices(db),
                           users=everyone, locked=_lockouts(everyone),
                           n_events=audit_store.count(db),
                           excluded=get_documents().excluded)


@bp.route("/uffici/nuovo", methods=["GET", "POST"])
@bp.route("/uffici/<int:office_id>", methods=["GET", "POST"])
def office(office_id: int | None = None):
    db = get_db()
    current = office_store.get(db, office_id) if office_id else None
    form = OfficeForm(data=current if request.method == "GET" else None)
    if form.validate_on_submit():
        details = {k: form[k].data for k in office_store.EDITABLE}
        try:
            if current:
                office_store.update(db, office_id, **details)
            else:
                office_id = office_store.create(db, form.code.data, **details)
        except store.DuplicateName:
            form.code.errors = [_("Esiste già un ufficio con questo codice.")]
        else:
            audit("update" if current else "create", "office", office_id)
            flash(_("Ufficio salvato."), "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/office.html", form=form, office=current)


def _office_choices(form: UserForm) -> None:
    form.office_id.choices = options([(0, _("— nessuno (solo amministratori) —"))] + [
        (o["id"], f'{o["name"]} ({o["code"]})') for o in office_store.all_offices(get_db())])
    form.role.choices = options(_role_labels())


def _role_labels():
    return [(role, str(ROLE_LABELS[role])) for role in user_store.ROLES]


def _office_ok(form: UserForm) -> bool:
    if form.role.data != "admin" and not form.office_id.data:
        form.office_id.errors = [_("Ogni utente che non è amministratore appartiene a un ufficio.")]
        return False
    return True


@bp.route("/utenti/nuovo", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    _office_choices(form)
    if form.validate_on_submit() and _office_ok(form):
        try:
            user_id = accounts.create_user(
                get_db(), form.username.data, form.password.data, form.role.data,
                form.office_id.data or None, form.full_name.data, form.title.data)
        except accounts.WeakPassword as exc:
            form.password.errors = [str(exc)]
        except store.DuplicateName:
            form.username.errors = [_("Nome utente già in uso.")]
        else:
            audit("create", "user", user_id, detail={"ruolo": form.role.data})
            flash(_("Utente creato."), "success")
            return redirect(url_for("admin.index"))
    return render_template("admin/user.html", form=form, user=None, password_form=None)


@bp.route("/utenti/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int):
    db = get_db()
    current = user_store.get(db, user_id)
    form = UserForm(data=current if request.method == "GET" else None, prefix="u")
    _office_choices(form)
    # A username never changes (audit rows name it): the field is not shown nor checked.
    del form.username
    if form.validate_on_submit() and _office_ok(form):
        user_store.update(db, user_id, full_name=form.full_name.data, title=form.title.data,
                          role=form.role.data, office_id=form.office_id.data or None,
                          active=int(form.active.data))
        audit("update", "user", user_id, detail={"ruolo": form.role.data,
                                                  "attivo": form.active.data})
        flash(_("Utente aggiornato."), "success")
        return redirect(url_for("admin.index"))
    return _user_page(current, form, PasswordForm(prefix="p"))


def _user_page(current: dict, form: UserForm, password_form: PasswordForm):
    """The user's page: profile, password, live sessions and any login suspension."""
    sessions = session_store.live_for_user(get_db(), current["id"],
                                           current_app.permanent_session_lifetime)
    return render_template("admin/user.html", form=form, user=current,
                           password_form=password_form, sessions=sessions,
                           locked=_lockouts([current]).get(current["id"]))


def _lockouts(rows: list[dict]) -> dict[int, str]:
    """User id -> local time (HH:MM) their login suspension ends, for suspended users."""
    config = current_app.config
    found = {}
    for row in rows:
        until = accounts.lockout_until(get_db(), row["username"],
                                       max_failures=config["LOGIN_MAX_FAILURES"],
                                       window_minutes=config["LOGIN_WINDOW_MINUTES"])
        if until:
            found[row["id"]] = format_datetime(until, "HH:mm")
    return found


@bp.route("/utenti/<int:user_id>/password", methods=["POST"])
def user_password(user_id: int):
    current = user_store.get(get_db(), user_id)
    password_form = PasswordForm(prefix="p")
    if password_form.validate_on_submit():
        try:
            accounts.change_password(get_db(), user_id, password_form.password.data)
        except accounts.WeakPassword as exc:
            password_form.password.errors = [str(exc)]
        else:
            # Audited on the user: this also lifts a login suspension.
            audit("password", "user", user_id)
            flash(_("Password cambiata: le sessioni aperte dell'utente sono state chiuse e "
                    "l'eventuale sospensione dell'accesso è tolta."), "success")
            return redirect(url_for("admin.user", user_id=user_id))
    form = UserForm(data=current, prefix="u")
    _office_choices(form)
    return _user_page(current, form, password_form), 422


@bp.route("/utenti/<int:user_id>/sessioni/termina", methods=["POST"])
def end_sessions(user_id: int):
    user_store.get(get_db(), user_id)
    if EmptyForm().validate_on_submit():
        ended = session_store.end_for_user(get_db(), user_id, session_store.ADMIN)
        audit("sessions_end", "user", user_id, detail={"sessioni": ended})
        flash(_("Sessioni terminate: %(n)s. L'utente dovrà accedere di nuovo.", n=ended),
              "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/utenti/<int:user_id>/sblocca", methods=["POST"])
def unlock(user_id: int):
    user_store.get(get_db(), user_id)
    if EmptyForm().validate_on_submit():
        # The failure count restarts after this audited event (see users.login_failures).
        audit("login_unlocked", "user", user_id)
        flash(_("Accesso sbloccato: l'utente può accedere di nuovo."), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/registro")
@requires("audit.read")
def audit_log():
    """The log with filters; in words, and downloadable (formato=xlsx|pdf|stampa)."""
    args = request.args
    page = page_arg()
    fmt = args.get("formato", "")
    if fmt and fmt not in accesses.FORMATS:
        abort(400)
    size = accesses.EXPORT_LIMIT if fmt else current_app.config["PAGE_SIZE"] * 2
    filters = {k: args.get(k, "").strip() for k in
               ("username", "action", "object_type", "date_from", "date_to")}
    filters["codice_fiscale"] = normalize_cf(args.get("codice_fiscale", ""))
    person_id = int_arg("persona")
    rows, total = audit_store.search(get_db(), person_id=person_id,
                                     limit=size, offset=0 if fmt else (page - 1) * size,
                                     **filters)
    detail = {k: v for k, v in {**filters, "persona": person_id}.items() if v}
    audit("report" if fmt else "read", "audit_log", detail={**detail, "formato": fmt} if fmt
          else detail)
    if fmt:
        return accesses.report(_("Registro degli accessi"), rows, fmt, "registro-accessi")
    return render_template("admin/audit.html", events=accesses.events(rows), total=total,
                           page=page, size=size, actions=audit_store.actions(get_db()),
                           filters=filters, person_id=person_id,
                           pdf=get_documents().pdf.available,
                           action_labels=auditlog.ACTIONS, kind_labels=auditlog.KINDS)
