"""One page for every HTTP error, in the user's language, with a way back."""

from flask import render_template
from flask_babel import gettext as _

TITLES = {
    400: lambda: _("Richiesta non valida"),
    403: lambda: _("Accesso non consentito"),
    404: lambda: _("Pagina non trovata"),
    405: lambda: _("Operazione non consentita"),
    413: lambda: _("File troppo grande"),
    429: lambda: _("Troppe richieste"),
    500: lambda: _("Errore interno"),
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
}


def render_error(code: int, detail: str = ""):
    """Render error.html for an HTTP status, with an optional specific explanation."""
    title = TITLES.get(code, TITLES[500])()
    explanation = EXPLANATIONS.get(code, EXPLANATIONS[500])()
    return render_template("error.html", code=code, title=title, explanation=explanation,
                           detail=detail), code
