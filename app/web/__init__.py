"""The web tier: blueprints by feature, login enforcement, headers, errors, i18n."""

from datetime import timedelta

from flask import Flask, flash, redirect, request, session, url_for
from flask_babel import Babel
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from ..store import entries as entry_store
from ..store import sessions as session_store
from ..store.health import not_writable
from . import accesses, admin, auth, batch, cases, documents, entries, forms_list, imports, persons
from .db import get_db
from .errors import render_error, render_unwritable
from .filters import register_filters
from .guard import load_user
from .params import BoundedInt

csrf = CSRFProtect()
babel = Babel()

PUBLIC_ENDPOINTS = {"static", "favicon", "auth.login", "auth.set_language"}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def select_locale() -> str:
    """Language of the session if chosen, else Italian."""
    return session.get("lang") or "it"


def require_login():
    """Every page needs login; a sheet posted after the session expired is kept for later."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    if request.headers.get("HX-Request"):
        return "", 401
    target = request.full_path.rstrip("?")
    if request.method == "POST" and request.endpoint == "entries.edit":
        target = _stash_expired_post() or target
    return redirect(url_for("auth.login", next=target))


def _stash_expired_post() -> str | None:
    """Keep a sheet posted by a user whose own session just expired; the URL to recover it.

    The signed session cookie still names the expired server-side session: that proves
    whose work it is. Without it (no cookie, logged out, ended by an administrator) nothing
    is stored.
    """
    db = get_db()
    owner = session_store.expired_owner(db, session.get("_user_id") or "",
                                        timedelta(hours=entry_store.STASH_HOURS))
    if owner is None:
        return None
    too_large = _l("La sessione è scaduta e quanto inviato è troppo grande per essere "
                   "conservato: accedi di nuovo e reinseriscilo.")
    if (request.content_length or 0) > 2 * entry_store.STASH_MAX_BYTES:
        flash(too_large, "danger")
        return None
    pairs = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
    try:
        token = entry_store.stash_submission(db, request.path, pairs, owner["user_id"],
                                             owner["id"])
    except entry_store.StashTooLarge:
        flash(too_large, "danger")
        return None
    flash(_l("La sessione è scaduta. Accedi di nuovo: quanto hai scritto è stato "
             "conservato."), "warning")
    return f"{request.path}?recupera={token}"


def init_app(app: Flask) -> None:
    """Wire login, CSRF, i18n, blueprints, headers and error pages onto the app."""
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = _l("Accedi per continuare.")
    login.login_message_category = "info"
    login.session_protection = "basic"
    login.user_loader(load_user)
    # Registered before CSRF so that a form posted after the session expired is kept.
    app.before_request(require_login)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    register_filters(app)
    app.url_map.converters["int"] = BoundedInt  # before any route is added
    for module in (auth, persons, cases, entries, forms_list, documents, batch, imports,
                   admin, accesses):
        app.register_blueprint(module.bp)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    @app.route("/favicon.ico")
    def favicon():
        return redirect(url_for("static", filename="favicon.svg"), code=301)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, error.description)

    @app.errorhandler(HTTPException)
    def http_error(error):
        # A description given to abort() is ours and Italian; werkzeug's default is not.
        own = error.description if error.description != type(error).description else ""
        return render_error(error.code or 500, own)

    @app.errorhandler(Exception)
    def unexpected_error(error):
        if not_writable(error):  # full disk, read-only file: say so, keep what was typed
            app.logger.error("il database non accetta scritture: %s", error)
            return render_unwritable()
        app.logger.exception("errore non gestito")
        return render_error(500)
