"""Login, logout and the choice of language."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import accounts, store
from ..accounts import LoginResult, attempt_login
from ..store import sessions as session_store
from .db import get_db
from .forms import EmptyForm, LoginForm, OwnPasswordForm
from .guard import User, audit, client_ip

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login."""
    if target and target.startswith("/") and not target.startswith("//") \
            and not urlsplit(target).netloc:
        return target
    return url_for("cases.home")


@bp.route("/accesso", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("cases.home"))
    form = LoginForm()
    if form.validate_on_submit():
        result = attempt_login(
            get_db(), form.username.data, form.password.data, client_ip(),
            secret=current_app.config["SECRET_KEY"],
            max_failures=current_app.config["LOGIN_MAX_FAILURES"],
            window_minutes=current_app.config["LOGIN_WINDOW_MINUTES"],
            user_agent=request.user_agent.string,
        )
        if result.blocked_minutes:
            _flash_blocked(result.blocked_minutes)
        elif result.user is None:
            flash(_("Nome utente o password non corretti."), "danger")
        else:
            _start_session(result)
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


def _flash_blocked(minutes: int) -> None:
    flash(_("Troppi tentativi di accesso falliti per questo utente. Per sicurezza "
            "l'accesso è sospeso: riprova tra %(n)s minuti o rivolgiti "
            "all'amministratore.", n=minutes), "danger")


def _start_session(result: LoginResult) -> None:
    """A fresh cookie session (only the language kept) naming the new server-side session."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    # The server ends the session (PERMANENT_SESSION_LIFETIME idle); the browser keeps
    # the cookie until it closes, so a form posted after expiry can prove its owner.
    session.permanent = False
    login_user(User(result.user, result.session_token))


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    form = OwnPasswordForm()
    if form.validate_on_submit():
        try:
            result = accounts.change_own_password(
                get_db(), store.users.get(get_db(), current_user.id), form.current.data,
                form.password.data, client_ip(), user_agent=request.user_agent.string,
                max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                window_minutes=current_app.config["LOGIN_WINDOW_MINUTES"])
        except accounts.WrongPassword:
            form.current.errors = [_("La password attuale non è corretta.")]
        except accounts.WeakPassword as exc:
            form.password.errors = [str(exc)]
        else:
            if result.blocked_minutes:
                _flash_blocked(result.blocked_minutes)
            else:
                _start_session(result)
                flash(_("Password cambiata: le tue altre sessioni aperte sono state chiuse."),
                      "success")
                return redirect(url_for("cases.home"))
    return render_template("auth/password.html", form=form)


@bp.route("/esci", methods=["POST"])
def logout():
    if EmptyForm().validate_on_submit():
        audit("logout")
        session_store.end(get_db(), current_user.session_token)
        logout_user()
        session.clear()
        flash(_("Sei uscito da Cartella."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/lingua/<code>", methods=["POST"])
def set_language(code: str):
    if EmptyForm().validate_on_submit() and code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_safe_next(request.form.get("next")))
