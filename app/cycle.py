"""The case-management cycle and the service areas, as DOMAIN.md describes them."""

from collections import OrderedDict

from flask_babel import lazy_gettext as _l

PHASES = OrderedDict([
    ("accesso", _l("Accesso / segnalazione")),
    ("valutazione", _l("Valutazione multidimensionale")),
    ("progettazione", _l("Progettazione")),
    ("attuazione", _l("Attuazione")),
    ("monitoraggio", _l("Monitoraggio")),
    ("valutazione_finale", _l("Valutazione finale")),
    ("chiusura", _l("Chiusura / riformulazione")),
])

AREAS = OrderedDict([
    ("non_autosufficienza", _l("Non autosufficienza")),
    ("disabilita", _l("Disabilità")),
    ("minori_famiglia", _l("Minori e famiglia")),
    ("salute_mentale", _l("Salute mentale")),
    ("dipendenze", _l("Dipendenze")),
    ("grave_emarginazione", _l("Grave emarginazione")),
    ("immigrazione", _l("Immigrazione")),
    ("adulti_fragilita", _l("Adulti in difficoltà")),
    ("anziani", _l("Anziani")),
])

CLOSING_REASONS = OrderedDict([
    ("obiettivi_raggiunti", _l("Obiettivi raggiunti")),
    ("trasferimento", _l("Trasferimento ad altro servizio o territorio")),
    ("rinuncia", _l("Rinuncia della persona")),
    ("decesso", _l("Decesso")),
    ("inserimento_struttura", _l("Inserimento in struttura residenziale")),
    ("altro", _l("Altro motivo")),
])


def phase_index(phase: str) -> int:
    """Position of a phase in the cycle (0 for the first)."""
    return list(PHASES).index(phase) if phase in PHASES else 0


def advanced_phase(case_phase: str, sheet_phase: str | None) -> str | None:
    """The phase a case moves to when a sheet of `sheet_phase` is completed: a later phase of
    the cycle (never backwards, never to closure, which has its own action); None to stay."""
    if sheet_phase not in PHASES or sheet_phase == "chiusura":
        return None
    return sheet_phase if phase_index(sheet_phase) > phase_index(case_phase) else None


# Codes stored in the database, shown in the user's language (the `stato` template filter).
STATUSES = OrderedDict([
    ("bozza", _l("bozza")),
    ("completa", _l("completa")),
    ("aperta", _l("aperta")),
    ("chiusa", _l("chiusa")),
    ("web", _l("compilata sul web")),
    ("import", _l("importata da file")),
])

# Sheets outside the cycle, grouped on the case page after its phases.
OTHER_GROUPS = OrderedDict([
    ("misura", _l("Misure e contributi")),
    ("tribunale", _l("Autorità giudiziaria")),
])
