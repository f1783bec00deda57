"""The one context contract of every template (see docs/modelli.md).

persona, pratica, scheda, schede.<id_modulo>, ufficio, operatore, oggi.
"""

from datetime import date

from sqlite_utils import Database

from ..catalog import Catalog
from ..cycle import AREAS, PHASES
from ..definitions import Form
from ..definitions.expressions import eta
from ..store import entries as entry_store
from .values import Data, Testo, template_value


def _date(value):
    return Data.fromisoformat(value[:10]) if value else None


def person_values(person: dict, persona_form: Form | None) -> dict:
    """The person: registry fields (dates as dates) plus the fields of forms/persona.yaml."""
    values = {k: v for k, v in person.items() if k != "extra"}
    values["data_nascita"] = _date(person.get("data_nascita"))
    values["eta"] = eta(values["data_nascita"])
    values["note"] = Testo(person.get("note") or "")
    values["nome_completo"] = f"{person.get('cognome', '')} {person.get('nome', '')}".strip()
    if persona_form is not None:
        extra = person.get("extra") or {}
        for fid, f in persona_form.fields.items():
            values[fid] = template_value(f, extra.get(fid))
    return values


def case_values(case: dict) -> dict:
    """The case, with readable area and phase and the names of its people."""
    values = dict(case)
    for key in ("data_apertura", "data_chiusura", "prossima_verifica"):
        values[key] = _date(case.get(key))
    values["area_etichetta"] = str(AREAS.get(case.get("area"), case.get("area") or ""))
    values["fase_etichetta"] = str(PHASES.get(case.get("fase"), case.get("fase") or ""))
    values["case_manager"] = case.get("manager_name") or ""
    values["equipe"] = [m.get("full_name") for m in case.get("team") or []]
    return values


def sheet_values(form: Form, entry: dict, hide_sensitive: bool = False) -> dict:
    """One sheet: every field as templates see it (sensitive ones blank if hidden), its state."""
    hidden = form.sensitive_fields() if hide_sensitive else set()
    values = {fid: template_value(f, None if fid in hidden else entry["data"].get(fid))
              for fid, f in form.fields.items()}
    values.update({
        "_modulo": form.title, "_stato": entry["status"], "_revisione": entry["rev"],
        "_aggiornata": _date(entry.get("updated_at")),
    })
    return values


def office_values(office: dict) -> dict:
    values = dict(office)
    values["nome"] = office.get("name", "")
    values["indirizzo"] = office.get("address", "")
    values["telefono"] = office.get("phone", "")
    return values


def operator_values(user: dict) -> dict:
    return {"nome": user.get("full_name") or user.get("username", ""),
            "qualifica": user.get("title", ""), "username": user.get("username", "")}


def build_context(db: Database, catalog: Catalog, *, case: dict, person: dict, office: dict,
                  user: dict, entry: dict | None = None, today: date | None = None,
                  hide_sensitive: bool = False) -> dict:
    """Everything a template may use for one case (and one sheet, when given).

    With `hide_sensitive` (a user who may not see sensitive sections), their fields are blank.
    """
    schede = {}
    for form_id in catalog.forms:
        latest = entry_store.latest(db, case["id"], form_id)
        if latest is not None:
            schede[form_id] = sheet_values(catalog.form(db, form_id, latest["form_version"]),
                                           latest, hide_sensitive)
    scheda = None
    if entry is not None:
        scheda = sheet_values(catalog.form(db, entry["form_id"], entry["form_version"]), entry,
                              hide_sensitive)
    return {
        "persona": person_values(person, catalog.forms.get("persona")),
        "pratica": case_values(case), "scheda": scheda, "schede": schede,
        "ufficio": office_values(office), "operatore": operator_values(user),
        "oggi": Data.fromordinal((today or date.today()).toordinal()),
        "bozza": bool(entry is not None and entry["status"] != "completa"),
    }
