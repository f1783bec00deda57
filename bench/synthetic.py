"""A synthetic but realistic 150-field form: its YAML definition, its posted data, its plain-WTForms twin.

Shared by the benchmarks in this folder. Nothing here imports Cartella: the baseline form is
what a developer would write by hand with WTForms alone, built from the same spec with literal
WTForms constructors, and `baseline_check` is the hand-written equivalent of `Form.evaluate` +
`Form.check` (score sum, conditional fields, required fields, one cross-field rule).
"""

from datetime import date
from pathlib import Path

import yaml
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

FORM_ID = "sintetica"
ROWS = 5  # rows posted for each repeat group
SCORED = [f"item_{n:02d}" for n in range(1, 11)]
VALID_CF = "RSSMRA41D03F205B"
CF_PATTERN = r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$"

PARENTELA = [("coniuge", "Coniuge / unito/a civilmente"), ("figlio", "Figlio/a"),
             ("genitore", "Genitore"), ("fratello_sorella", "Fratello / sorella"),
             ("nipote", "Nipote"), ("convivente", "Convivente (non parente)"),
             ("altro", "Altro (vicino, amico, volontario)")]
LISTS = {"parentela": [{"value": v, "label": label} for v, label in PARENTELA]}
PARAMETERS = {"soglie": {"isee_max": 25000}}

# How many plain top-level fields of each type; with 10 scored choices, 2 computed fields,
# 6 conditional fields and 2 repeat groups the form has 150 top-level fields.
COUNTS = {"text": 32, "textarea": 13, "integer": 12, "decimal": 8, "money": 8, "date": 12,
          "boolean": 12, "radio": 12, "select": 10, "multichoice": 8, "codice_fiscale": 3}
LABELS = {"text": "Informazione testuale", "textarea": "Descrizione della situazione",
          "integer": "Numero di persone o giorni", "decimal": "Misura rilevata",
          "money": "Importo mensile in euro", "date": "Data dell'evento",
          "boolean": "La condizione è presente", "radio": "Modalità prevalente",
          "select": "Servizio di riferimento", "multichoice": "Bisogni rilevati",
          "codice_fiscale": "Codice fiscale del familiare di riferimento"}


def _options(count: int) -> list[dict]:
    return [{"value": f"opt_{n}", "label": f"Opzione numero {n} dell'elenco"}
            for n in range(1, count + 1)]


def _plain_field(kind: str, n: int) -> dict:
    f = {"id": f"{kind}_{n:02d}", "type": kind, "label": f"{LABELS[kind]} ({n})"}
    if kind in ("text", "textarea") and n % 3 == 0:
        f["max_length"] = 500 if kind == "text" else 4000
    if kind in ("text", "date", "radio") and n % 5 == 1:
        f["required"] = True
    if kind == "integer":
        f.update(min=0, max=1000)
    if kind in ("decimal", "money"):
        f["min"] = 0
    if kind == "radio":
        f.update(type="choice", widget="radio", choices=_options(4))
    if kind == "select":
        f.update(type="choice", widget="select",
                 choices="parentela" if n % 4 == 0 else _options(10))
    if kind == "multichoice":
        f["choices"] = _options(8)
    if n % 4 == 2:
        f["help"] = "Indicare quanto riferito dalla persona o dai familiari."
    return f


def _scored(n: int) -> dict:
    return {"id": SCORED[n - 1], "type": "choice", "widget": "radio",
            "label": f"Attività della vita quotidiana {n}",
            "choices": [{"value": s, "label": label, "score": s} for s, label in
                        ((0, "Dipendente"), (1, "Aiuto importante"), (2, "Aiuto lieve"),
                         (3, "Autonomo"))]}


# Conditional fields: (id, type, show_if as written in YAML, the same test in Python, required_if)
CONDITIONAL = [
    ("dettaglio_01", "textarea", "boolean_01", lambda d: d["boolean_01"] is True, True),
    ("dettaglio_02", "text", "boolean_02", lambda d: d["boolean_02"] is True, False),
    ("dettaglio_03", "textarea", "radio_01 == 'opt_2'", lambda d: d["radio_01"] == "opt_2", True),
    ("dettaglio_04", "text", "radio_02 == 'opt_3'", lambda d: d["radio_02"] == "opt_3", False),
    ("dettaglio_05", "textarea", "fascia_alta", lambda d: d["fascia_alta"] is True, True),
    ("dettaglio_06", "text", "integer_01 is not none and integer_01 > 10",
     lambda d: d["integer_01"] is not None and d["integer_01"] > 10, False),
]

REPEATS = [
    {"id": "familiari", "type": "repeat", "label": "Familiari e rete di aiuto", "max_rows": 10,
     "fields": [
         {"id": "nome", "type": "text", "label": "Nome e cognome", "required": True},
         {"id": "parentela", "type": "choice", "label": "Parentela", "widget": "select",
          "choices": "parentela"},
         {"id": "data_nascita", "type": "date", "label": "Data di nascita"},
         {"id": "convivente", "type": "boolean", "label": "Convivente"},
         {"id": "ore_assistenza", "type": "integer", "label": "Ore di aiuto a settimana",
          "min": 0, "max": 168},
         {"id": "contributo", "type": "money", "label": "Contributo economico mensile"}]},
    {"id": "interventi", "type": "repeat", "label": "Interventi in corso", "max_rows": 10,
     "fields": [
         {"id": "tipo", "type": "choice", "label": "Tipo di intervento", "widget": "select",
          "choices": _options(8)},
         {"id": "frequenza", "type": "choice", "label": "Frequenza", "widget": "radio",
          "choices": _options(4)},
         {"id": "data_inizio", "type": "date", "label": "Data di inizio"},
         {"id": "data_fine", "type": "date", "label": "Data di fine"},
         {"id": "costo", "type": "decimal", "label": "Costo orario", "min": 0},
         {"id": "note", "type": "textarea", "label": "Note sull'intervento"}]},
]


def sections() -> list[dict]:
    """The definition's sections: every type spread over 10 sections, then scores and repeats."""
    plain = [_plain_field(kind, n) for kind, count in COUNTS.items()
             for n in range(1, count + 1)]
    plain.sort(key=lambda f: (int(f["id"].rsplit("_", 1)[1]), f["id"]))  # mix the types
    result = [{"id": f"sezione_{i + 1:02d}", "title": f"Sezione {i + 1} della valutazione",
               "fields": plain[i::10]} for i in range(10)]
    result[0]["fields"].append({"id": "punteggio_nota", "type": "note",
                                "text": "Compilare con la persona presente."})
    conditional = [{"id": cid, "type": kind, "label": f"Specificare ({cid})", "show_if": cond,
                    **({"required_if": cond} if required else {})}
                   for cid, kind, cond, _test, required in CONDITIONAL]
    result.append({"id": "autonomia", "title": "Autonomia nella vita quotidiana", "fields": [
        *[_scored(n) for n in range(1, 11)],
        {"id": "punteggio_totale", "type": "computed", "label": "Punteggio totale",
         "expr": "somma(" + ", ".join(SCORED) + ")"},
        {"id": "fascia_alta", "type": "computed", "label": "Autonomia elevata",
         "expr": "punteggio_totale is not none and punteggio_totale >= 15"}]})
    result.append({"id": "approfondimenti", "title": "Approfondimenti", "fields": conditional})
    result.append({"id": "rete", "title": "Rete e interventi", "fields": REPEATS})
    return result


def definition() -> dict:
    """The whole form definition as plain data (what the YAML file says)."""
    return {"id": FORM_ID, "version": 1, "title": "Valutazione multidimensionale (sintetica)",
            "phase": "valutazione", "sections": sections(),
            "rules": [{"expr": "not date_01 or not date_02 or date_02 >= date_01",
                       "message": "La seconda data deve seguire la prima.",
                       "fields": ["date_02"]}]}


def write_forms(directory: Path) -> Path:
    """Write the definition and its shared lists/parameters as YAML into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    dump = {"allow_unicode": True, "sort_keys": False}
    (directory / f"{FORM_ID}.yaml").write_text(yaml.safe_dump(definition(), **dump), "utf-8")
    (directory / "_liste.yaml").write_text(yaml.safe_dump(LISTS, **dump), "utf-8")
    (directory / "_parametri.yaml").write_text(yaml.safe_dump(PARAMETERS, **dump), "utf-8")
    return directory


def all_fields() -> list[dict]:
    return [f for s in sections() for f in s["fields"]]


def input_ids() -> list[str]:
    """Top-level fields that have an input (what both forms render), in page order."""
    return [f["id"] for f in all_fields() if f["type"] not in ("note", "computed")]


# --- posted data ------------------------------------------------------------------------

def _number(value: float, places: int, italian: bool) -> str:
    text = f"{value:,.{places}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".") if italian else \
        text.replace(",", "")


def _value(f: dict, n: int, italian: bool):
    kind = f["type"]
    if kind == "text":
        return f"Testo inserito dall'operatore per il campo {f['id']}"
    if kind == "textarea":
        return ("La persona vive sola in un appartamento al secondo piano senza ascensore.\r\n"
                "La figlia la visita due volte a settimana; riferisce difficoltà crescenti.")
    if kind == "integer":
        return str(12 + n % 7)
    if kind == "decimal":
        return _number(1234.5 + n, 1, italian)
    if kind == "money":
        return _number(1234.56 + n, 2, italian)
    if kind == "date":
        return date(2024, 1 + n % 12, 1 + n % 28).isoformat()
    if kind == "boolean":
        return "si" if n % 2 else "no"
    if kind == "codice_fiscale":
        return VALID_CF
    if kind == "multichoice":
        return ["opt_1", "opt_3", "opt_4"]
    if isinstance(f.get("choices"), str):
        return PARENTELA[n % len(PARENTELA)][0]
    return f"opt_{1 + n % len(f['choices'])}" if f["id"] not in SCORED else str(n % 4)


def post_data(italian: bool, rev: int | None = 1) -> dict:
    """The body of a complete, valid submission (decimals typed the Italian way if `italian`)."""
    data = {}
    flat = all_fields()
    visible = _visible_conditionals(flat, italian)
    for n, f in enumerate(flat):
        if f["type"] in ("note", "computed"):
            continue
        if f["type"] == "repeat":
            for row in range(ROWS):
                for m, sub in enumerate(f["fields"]):
                    data[f"{f['id']}-{row}-{sub['id']}"] = _value(sub, row + m, italian)
            continue
        if f.get("show_if") and f["id"] not in visible:
            continue
        data[f["id"]] = _value(f, n, italian)
    if rev is not None:
        data["cartella_rev"] = str(rev)
    return data


def _visible_conditionals(flat: list[dict], italian: bool) -> set[str]:
    answers = {f["id"]: _value(f, n, italian) for n, f in enumerate(flat)
               if f["type"] not in ("note", "computed", "repeat")}
    typed = {k: (v == "si" if k.startswith("boolean") else
                 int(v) if k.startswith(("integer", "item")) else v) for k, v in answers.items()}
    typed["fascia_alta"] = sum(typed[k] for k in SCORED) >= 15
    return {cid for cid, _kind, _cond, test, _req in CONDITIONAL if test(typed)}


# --- the baseline: the same form written by hand with WTForms ---------------------------

def _choices(f: dict) -> list[SelectChoice]:
    # SelectChoice, not tuples: tuples are deprecated in WTForms 3.3 and warn on every bind.
    if isinstance(f["choices"], str):
        return [SelectChoice(v, label) for v, label in PARENTELA]
    return [SelectChoice(c["value"], c["label"]) for c in f["choices"]]


def _range(f: dict) -> list:
    if f.get("min") is None and f.get("max") is None:
        return []
    return [NumberRange(min=f.get("min"), max=f.get("max"))]


def _upper(value):
    return value.strip().upper() if value else value


def _cf_checksum(form, field) -> None:
    """Semantic check with the same third-party package Cartella uses (python-codicefiscale)."""
    from codicefiscale import codicefiscale

    if field.data and not codicefiscale.is_valid(field.data):
        raise ValidationError("Codice fiscale non valido.")


def baseline_field(f: dict, cf_library: bool = False):
    """One literal WTForms field for a spec entry (what a developer would write by hand).

    With `cf_library` the codice fiscale is also checked by python-codicefiscale, as ours is;
    without it only its shape is (a regular expression).
    """
    kind, label = f["type"], f.get("label", f["id"])
    if kind == "text":
        extra = [Length(max=f["max_length"])] if f.get("max_length") else []
        return StringField(label, validators=[Optional(), *extra])
    if kind == "textarea":
        extra = [Length(max=f["max_length"])] if f.get("max_length") else []
        return TextAreaField(label, validators=[Optional(), *extra])
    if kind == "integer":
        return IntegerField(label, validators=[Optional(), *_range(f)],
                            render_kw={"inputmode": "numeric"})
    if kind in ("decimal", "money"):
        return DecimalField(label, validators=[Optional(), *_range(f)],
                            places=2 if kind == "money" else None,
                            render_kw={"inputmode": "decimal"})
    if kind == "date":
        return DateField(label, validators=[Optional()], format="%Y-%m-%d")
    if kind == "boolean":
        return RadioField(label, choices=[SelectChoice("si", "Sì"), SelectChoice("no", "No")],
                          validators=[Optional()])
    if kind == "codice_fiscale":
        checks = [_cf_checksum] if cf_library else []
        return StringField(label, validators=[Optional(), Regexp(CF_PATTERN), *checks],
                           filters=[_upper],
                           render_kw={"autocomplete": "off", "spellcheck": "false"})
    if kind == "multichoice":
        return SelectMultipleField(label, choices=_choices(f), validators=[Optional()],
                                   widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput())
    if kind == "choice" and f["id"] in SCORED:
        return RadioField(label, choices=_choices(f), coerce=int, validators=[Optional()])
    if kind == "choice" and f.get("widget") == "select":
        return SelectField(label, choices=[SelectChoice("", "— scegliere —"), *_choices(f)],
                           validators=[Optional()])
    if kind == "choice":
        return RadioField(label, choices=_choices(f), validators=[Optional()])
    if kind == "repeat":
        row = type(f"Row_{f['id']}", (Form,),
                   {s["id"]: baseline_field(s, cf_library) for s in f["fields"]})
        return FieldList(FormField(row), min_entries=0)
    raise ValueError(kind)


def baseline_class(cf_library: bool = False) -> type[FlaskForm]:
    """The hand-written FlaskForm with the same fields, validators and repeat groups."""
    attrs = {f["id"]: baseline_field(f, cf_library) for f in all_fields()
             if f["type"] not in ("note", "computed")}
    attrs["cartella_rev"] = IntegerField(validators=[Optional()])
    return type("BaselineForm", (FlaskForm,), attrs)


_REQUIRED = [f["id"] for f in all_fields() if f.get("required")]
_REQUIRED_ROWS = [(r["id"], s["id"]) for r in REPEATS for s in r["fields"] if s.get("required")]


def baseline_check(wtform) -> tuple[dict, dict]:
    """Hand-written evaluate + check: score sum, conditional fields, required fields, the rule."""
    data = wtform.data
    data["punteggio_totale"] = sum(data[k] for k in SCORED if data[k] is not None)
    data["fascia_alta"] = data["punteggio_totale"] >= 15
    errors = {}
    for cid, _kind, _cond, test, required in CONDITIONAL:
        if not test(data):
            data[cid] = None
        elif required and not data[cid]:
            errors[cid] = ["Campo obbligatorio."]
    for fid in _REQUIRED:
        if data[fid] in (None, "", []):
            errors[fid] = ["Campo obbligatorio."]
    for repeat, sub in _REQUIRED_ROWS:
        for index, row in enumerate(data[repeat]):
            if row[sub] in (None, "", []):
                errors[(repeat, index, sub)] = ["Campo obbligatorio."]
    if data["date_01"] and data["date_02"] and data["date_02"] < data["date_01"]:
        errors["date_02"] = ["La seconda data deve seguire la prima."]
    return data, errors


def render_fields(wtform, ids: list[str]) -> int:
    """Render every field and its label as the template does; return the characters produced."""
    size = 0
    for fid in ids:
        field = wtform[fid]
        if field.type == "FieldList":
            for entry in field:
                for sub in entry.form:
                    size += len(str(sub())) + len(str(sub.label()))
        else:
            size += len(str(field())) + len(str(field.label()))
    return size
