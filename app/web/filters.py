"""Jinja filters for Italian dates and the labels of codes."""

from datetime import date, datetime

from flask import Flask
from flask_babel import lazy_gettext as _l

from ..cycle import AREAS, CLOSING_REASONS, PHASES, STATUSES

ROLE_LABELS = {
    "admin": _l("Amministratore di sistema"),
    "coordinator": _l("Coordinatore"),
    "social_worker": _l("Assistente sociale"),
    "staff": _l("Amministrativo"),
}

ACTION_LABELS = {
    "read": _l("consultazione"),
    "create": _l("creazione"),
    "update": _l("modifica"),
    "search": _l("ricerca"),
    "close": _l("chiusura"),
    "reopen": _l("riapertura"),
    "login": _l("accesso"),
    "login_failed": _l("accesso fallito"),
    "login_blocked": _l("accesso bloccato"),
    "logout": _l("uscita"),
    "password": _l("cambio password"),
}

OBJECT_LABELS = {
    "person": _l("persona"),
    "case": _l("pratica"),
    "user": _l("utente"),
    "office": _l("ufficio"),
    "audit_log": _l("registro accessi"),
}


def format_date(value) -> str:
    """ISO date or datetime -> dd/mm/yyyy; empty for None."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    return str(value)

ACTION_LABELS = {
    "read": _l("consultazione"),
    "create": _l("creazione"),
    "update": _l("modifica"),
    "search": _l("ricerca"),
    "close": _l("chiusura"),
    "reopen": _l("riapertura"),
    "login": _l("accesso"),
    "login_failed": _l("accesso fallito"),
    "login_blocked": _l("accesso bloccato"),
    "logout": _l("uscita"),
    "password": _l("cambio password"),
}

OBJECT_LABELS = {
    "person": _l("persona"),
    "case": _l("pratica"),
    "user": _l("utente"),
    "office": _l("ufficio"),
    "audit_log": _l("registro accessi"),
}


def format_datetime(value) -> str:
    """ISO timestamp (UTC) -> dd/mm/yyyy hh:mm in local time."""
    if not value:
        return ""
    from flask_babel import format_datetime as babel_format

    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return babel_format(moment, "dd/MM/yyyy HH:mm")


def show_value(field, value) -> str:
    """A stored (or computed) value of a definition field, as a person reads it."""
    from ..definitions import fieldtypes

    return fieldtypes.get(field.type).display(value, field, _lang())


def _lang() -> str:
    from flask import session

    return session.get("lang", "it")


def translated(text) -> str:
    """A definition text ({it, en}) in the user's language."""
    return text.get(_lang()) if text is not None else ""


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(
        data=format_date,
        data_ora=format_datetime,
        fase=lambda code: str(PHASES.get(code, code or "")),
        area=lambda code: str(AREAS.get(code, code or "")),
        motivo=lambda code: str(CLOSING_REASONS.get(code, code or "")),
        stato=lambda code: str(STATUSES.get(code, code or "")),
        ruolo=lambda code: str(ROLE_LABELS.get(code, code or "")),
        azione=lambda code: str(ACTION_LABELS.get(code, code or "")),
        oggetto=lambda code: str(OBJECT_LABELS.get(code, code or "")),
    )
    app.jinja_env.globals.update(PHASES=PHASES, AREAS=AREAS, ROLE_LABELS=ROLE_LABELS,
                                 show_value=show_value, t=translated)
