"""The one context contract of every template (see docs/modelli.md).

persona, pratica, scheda, schede.<id_modulo>, ufficio, operatore, oggi.
"""

from datetime import date

from sqlite_utils import Database

from ..catalog import Catalog
from ..cycle import AREAS, PHASES
from ..definitions import Form
from ..definitions.expressions import eta
from ..sheets import evaluation_context
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


class Disclosure:
    """Whether a rendering read a filled sensitive field: the document then carries the mark."""

    def __init__(self):
        self.sensitive = False


class SheetValues(dict):
    """A sheet's values for templates, noting in a Disclosure when a filled sensitive one is read.

    Reading a key (`scheda.x`, `scheda['x']`, `.get`) marks it; anything that walks the
    whole sheet (iteration, items, printing it) marks it if any sensitive field is filled.
    """

    __slots__ = ("_filled_sensitive", "_disclosure")

    def __init__(self, values: dict, filled_sensitive: set[str], disclosure: Disclosure):
        super().__init__(values)
        self._filled_sensitive, self._disclosure = filled_sensitive, disclosure

    def _read(self, key=None) -> None:
        if key in self._filled_sensitive or (key is None and self._filled_sensitive):
            self._disclosure.sensitive = True

    def __getitem__(self, key):
        self._read(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self._read(key)
        return super().get(key, default)

    def __iter__(self):
        self._read()
        return super().__iter__()

    def keys(self):
        self._read()
        return super().keys()

    def values(self):
        self._read()
        return super().values()

    def items(self):
        self._read()
        return super().items()

    def copy(self):
        self._read()
        return super().copy()

    def __repr__(self):
        self._read()
        return super().__repr__()


def _filled(value) -> bool:
    return value not in (None, "", [], {}, ())


def sheet_values(form: Form, entry: dict, hide_sensitive: bool = False,
                 disclosure: Disclosure | None = None) -> dict:
    """One sheet: every field as templates see it (sensitive ones blank if hidden), its state."""
    sensitive = form.sensitive_fields()
    hidden = sensitive if hide_sensitive else set()
    data = {fid: None if fid in hidden else entry["data"].get(fid) for fid in form.fields}
    values = SheetValues({fid: template_value(f, data[fid]) for fid, f in form.fields.items()},
                         {fid for fid in sensitive if _filled(data[fid])},
                         disclosure or Disclosure())
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
                  hide_sensitive: bool = False, disclosure: Disclosure | None = None) -> dict:
    """Everything a template may use for one case (and one sheet, when given).

    With `hide_sensitive` (a user who may not see sensitive sections), their fields are blank;
    otherwise `disclosure` learns whether the rendering read one that is filled.
    """
    schede = {}
    for form_id in catalog.forms:
        latest = entry_store.latest(db, case["id"], form_id)
        if latest is not None:
            schede[form_id] = sheet_values(catalog.form(db, form_id, latest["form_version"]),
                                           latest, hide_sensitive, disclosure)
    scheda = None
    if entry is not None:
        scheda = sheet_values(catalog.form(db, entry["form_id"], entry["form_version"]), entry,
                              hide_sensitive, disclosure)
    # Today and the parameters as every sheet's expressions see them (sheets.evaluation_context);
    # persona and pratica are the same rows, typed for printing.
    shared = evaluation_context(catalog.parameters, case, person)
    return {
        "persona": person_values(person, catalog.forms.get("persona")),
        "pratica": case_values(case), "scheda": scheda, "schede": schede,
        "ufficio": office_values(office), "operatore": operator_values(user),
        "oggi": Data.fromordinal((today or shared["oggi"]).toordinal()),
        "parametri": shared["parametri"],
        "bozza": bool(entry is not None and entry["status"] != "completa"),
    }
