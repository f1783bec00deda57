"""One page for every HTTP error, in the user's language, with a way back."""

from flask import render_template, request
from flask_babel import gettext as _
from markupsafe import escape

TITLES = {
    400: lambda: _("Richiesta non valida"),
    403: lambda: _("Accesso non consentito"),
    404: lambda: _("Pagina non trovata"),
    405: lambda: _("Operazione non consentita"),
    413: lambda: _("File troppo grande"),
    429: lambda: _("Troppe richieste"),
    500: lambda: _("Errore interno"),
    503: lambda: _("Salvataggio non possibile"),
}

EXPLANATIONS = {
    400: lambda: _("La richiesta non è stata compresa. Tornare alla pagina precedente e riprovare."),
    403: lambda: _("Il tuo ruolo non consente questa operazione. Se ritieni di averne bisogno, "
                   "chiedi al coordinatore o all'amministratore."),
    404: lambda: _("La pagina o la scheda richiesta non esiste, oppure non rientra tra quelle "
                   "che il tuo ruolo e il tuo ufficio ti consentono di consultare."),
    405: lambda: _("Questa operazione non è disponibile da questo indirizzo."),
    413: lambda: _("Il file inviato supera la dimensione massima consentita."),
    429: lambda: _("Sono state inviate troppe richieste. Attendere qualche minuto e riprovare."),
    500: lambda: _("Si è verificato un errore imprevisto. Nessun dato è stato modificato "
                   "dall'operazione interrotta. Se si ripete, segnalalo all'amministratore."),
    503: lambda: _("Il database non accetta scritture: spazio su disco esaurito o file in sola "
                   "lettura. Quanto hai scritto non è stato salvato: copialo prima di lasciare "
                   "la pagina, oppure riprova con il pulsante qui sotto quando l'amministratore "
                   "avrà risolto il problema (avvisalo)."),
}

# Form keys that are machinery, not something the user typed.
TECHNICAL_KEYS = {"csrf_token", "cartella_rev", "_azione"}


def render_error(code: int, detail: str = ""):
    """Render error.html for an HTTP status, with an optional specific explanation."""
    title = TITLES.get(code, TITLES[500])()
    explanation = EXPLANATIONS.get(code, EXPLANATIONS[500])()
    return render_template("error.html", code=code, title=title, explanation=explanation,
                           detail=detail), code


def render_unwritable():
    """503: the database refuses writes; a posted form comes back with what was typed, to copy
    or to send again as it is. Never fails itself (the page must not need the database)."""
    pairs = [(k, v) for k, v in request.form.items(multi=True)] if request.method == "POST" \
        else []
    typed = [(k, v) for k, v in pairs if k not in TECHNICAL_KEYS and v.strip()]
    explanation = EXPLANATIONS[503]() if request.method == "POST" else _(
        "Il database non accetta scritture: spazio su disco esaurito o file in sola lettura. "
        "Nessun dato è andato perso, ma Cartella non può registrare nulla (nemmeno le "
        "consultazioni) finché l'amministratore non risolve il problema: avvisalo.")
    if request.headers.get("HX-Request"):
        return explanation, 503
    try:
        return render_template("error_unwritable.html", code=503, title=TITLES[503](),
                               explanation=explanation, typed=typed, pairs=pairs,
                               action=request.path), 503
    except Exception:  # the page itself needed the database (e.g. the session): plain text
        kept = "".join(f"<dt>{escape(k)}</dt><dd><pre>{escape(v)}</pre></dd>" for k, v in typed)
        return (f"<!doctype html><html lang=\"it\"><meta charset=\"utf-8\"><title>{escape(TITLES[503]())}"
                f"</title><h1>{escape(TITLES[503]())}</h1><p>{escape(explanation)}</p>"
                f"<dl>{kept}</dl></html>"), 503
