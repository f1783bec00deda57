"""The audit log as a person reads it: who, when, what operation on what, in Italian words.

For whoever answers a data subject's request ("chi ha consultato la mia cartella?"): every
event names the person and the object ("Valutazione multidimensionale di Rossi Anna", not
"entry 134"), and can be exported to Excel. No Flask here besides lazy translations.
"""

import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

from .cycle import AREAS, PHASES

ACTIONS = {
    "read": _l("Consultazione"),
    "history": _l("Consultazione delle revisioni"),
    "create": _l("Creazione"),
    "update": _l("Modifica"),
    "delete": _l("Spostamento nel cestino"),
    "restore": _l("Ripristino dal cestino"),
    "discard": _l("Annullamento di una scheda nuova mai salvata"),
    "search": _l("Ricerca"),
    "close": _l("Chiusura della pratica"),
    "reopen": _l("Riapertura della pratica"),
    "generate": _l("Produzione di documenti"),
    "download": _l("Scaricamento"),
    "export": _l("Esportazione in Excel"),
    "import": _l("Importazione da file"),
    "undo": _l("Annullamento di un'importazione"),
    "refused": _l("Accesso negato"),
    "denied": _l("Accesso negato"),
    "login": _l("Accesso al sistema"),
    "login_failed": _l("Tentativo di accesso non riuscito"),
    "login_blocked": _l("Accesso bloccato dopo troppi tentativi"),
    "login_unlocked": _l("Sblocco dell'accesso"),
    "logout": _l("Uscita dal sistema"),
    "password": _l("Cambio della password"),
    "sessions_end": _l("Chiusura delle sessioni aperte"),
    "report": _l("Report degli accessi"),
}

OBJECTS = {
    "person": _l("Anagrafica di %(person)s"),
    "case": _l("Pratica «%(area)s» di %(person)s"),
    "entry": _l("%(form)s di %(person)s"),
    "document": _l("Documento «%(file)s»"),
    "user": _l("Utente %(user)s"),
    "office": _l("Ufficio %(office)s"),
    "import": _l("Importazione n. %(id)s (file «%(file)s»)"),
    "batch": _l("Produzione in serie n. %(id)s (%(form)s)"),
    "form": _l("Modulo"),
    "audit_log": _l("Registro degli accessi"),
    "demo": _l("Dati dimostrativi"),
}

KINDS = {
    "person": _l("persona"), "case": _l("pratica"), "entry": _l("scheda"),
    "document": _l("documento"), "user": _l("utente"), "office": _l("ufficio"),
    "import": _l("importazione"), "batch": _l("produzione in serie"), "form": _l("modulo"),
    "audit_log": _l("registro degli accessi"),
}

DETAIL_KEYS = {
    "modulo": _l("modulo"), "stato": _l("stato"), "campi": _l("campi cambiati"),
    "motivo": _l("motivo"), "fase": _l("fase"), "ruolo": _l("ruolo"), "attivo": _l("attivo"),
    "modello": _l("modello"), "formato": _l("formato"), "scheda": _l("scheda n."),
    "pratiche": _l("pratiche"), "righe": _l("righe"), "schede": _l("schede"),
    "file": _l("file"), "sessioni": _l("sessioni"), "ricerca": _l("ricerca per"),
    "caratteri": _l("caratteri digitati"), "risultati": _l("risultati"),
}

HEADERS = (_l("Quando"), _l("Chi"), _l("Indirizzo IP"), _l("Operazione"), _l("Oggetto"),
           _l("Persona interessata"), _l("Dettagli"))


@dataclass
class Event:
    """One log row in words."""

    at: str
    who: str
    ip: str
    operation: str
    object: str
    person: str
    person_id: int | None
    details: str

    def cells(self, when: Callable[[str], str]) -> list[str]:
        return [when(self.at), self.who, self.ip, self.operation, self.object, self.person,
                self.details]


def describe(rows: list[dict], names: dict, form_title: Callable[[str], str]) -> list[Event]:
    """Log rows (store.audit.search) with their names (store.audit.names) put into words."""
    return [_event(row, names, form_title) for row in rows]


def _person_name(names: dict, person_id) -> str:
    person = names["person"].get(person_id)
    return f"{person['cognome']} {person['nome']}".strip() if person else ""


def _user_name(user: dict | None, username: str = "") -> str:
    if not user:
        return username or str(_l("sistema"))
    return f"{user['full_name']} ({user['username']})" if user["full_name"] else user["username"]


def _event(row: dict, names: dict, form_title) -> Event:
    person_id = row["person_id"]
    return Event(at=row["at"], who=_user_name(names["user"].get(row["user_id"]), row["username"]),
                 ip=row["ip"] or "", operation=str(ACTIONS.get(row["action"], row["action"])),
                 object=_object(row, names, form_title),
                 person=_person_name(names, person_id), person_id=person_id,
                 details=details_in_words(row["detail"], form_title))


def _object(row: dict, names: dict, form_title) -> str:
    kind, oid = row["object_type"], row["object_id"]
    if kind not in OBJECTS:
        return f"{kind} {oid or ''}".strip()
    found = names.get(kind, {}).get(oid)
    if oid is not None and found is None and kind in names:
        return f"{KINDS.get(kind, kind)} n. {oid}"
    found = found or {}
    values = {"id": oid or "", "file": found.get("filename", "—"),
              "person": _person_name(names, found.get("person_id", row["person_id"])) or "—",
              "area": str(AREAS.get(found.get("area"), found.get("area") or "—")),
              "form": form_title(found.get("form_id") or found.get("template_id") or "")}
    if kind == "user":
        values["user"] = _user_name(found)
    if kind == "office":
        values["office"] = f"{found['name']} ({found['code']})"
    return str(OBJECTS[kind]) % values


def details_in_words(detail: str, form_title: Callable[[str], str]) -> str:
    """The JSON details of an event as a sentence: 'modulo: Valutazione...; stato: completa'."""
    if not detail:
        return ""
    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(data, dict):
        return str(data)
    parts = []
    for key, value in data.items():
        if value in (None, "", []):
            continue
        label = str(DETAIL_KEYS.get(key, key.replace("_", " ")))
        parts.append(f"{label}: {_value(key, value, form_title)}")
    return "; ".join(parts)


def _value(key: str, value, form_title) -> str:
    if isinstance(value, bool):
        return str(_l("sì") if value else _l("no"))
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value)
    if key in ("modulo", "modello"):
        return form_title(str(value))
    if key == "fase":
        return str(PHASES.get(value, value))
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items())
    return str(value)


def to_xlsx(title: str, events: Iterable[Event], when: Callable[[str], str]) -> bytes:
    """An Excel workbook of the events, every cell written as text."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_l("Accessi")))
    for column, width in zip("ABCDEFG", (17, 28, 15, 30, 45, 25, 60), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.append([_text(sheet, title, bold=True)])
    sheet.append([_text(sheet, str(_l("Estratto il %(d)s", d=when(datetime.now().isoformat()))))])
    sheet.append([_text(sheet, str(h), bold=True) for h in HEADERS])
    for event in events:
        sheet.append([_text(sheet, value) for value in event.cells(when)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(sheet, value: str, bold: bool = False):
    """A cell that holds text as text: a value starting with '=' is never a formula."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from .definitions.fieldtypes import xml_text

    cell = WriteOnlyCell(sheet, value=xml_text(value))  # a typed username may hold anything
    cell.data_type = "s"
    if bold:
        cell.font = Font(bold=True)
    return cell
