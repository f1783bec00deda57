"""One test group per field type: the web field, storage, import coercion and display."""

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from werkzeug.datastructures import MultiDict

from app.definitions import fieldtypes
from app.definitions.compiled import Form
from app.definitions.model import FieldDef, FormDef
from app.webforms import form_class, values_from

CHOICES_ADL = [{"value": 0, "label": "Dipendente"}, {"value": 5, "label": "Con aiuto"},
               {"value": 10, "label": "Autonomo"}]
CHOICES_PARENTELA = [{"value": "coniuge", "label": "Coniuge"},
                     {"value": "figlio", "label": "Figlio/a"},
                     {"value": "piu", "label": "Più di uno"}]
SERVIZI = [{"value": "sad", "label": "SAD"}, {"value": "adi", "label": "ADI"},
           {"value": "pasti", "label": "Pasti a domicilio"}]
CF = "RSSMRA41D03F205B"

FIELDS = {
    "text": {"type": "text", "label": "Indirizzo", "max_length": 20},
    "textarea": {"type": "textarea", "label": "Descrizione"},
    "integer": {"type": "integer", "label": "Numero di figli", "min": 0, "max": 20},
    "decimal": {"type": "decimal", "label": "Peso (kg)"},
    "money": {"type": "money", "label": "ISEE"},
    "date": {"type": "date", "label": "Data di nascita"},
    "boolean": {"type": "boolean", "label": "Invalidità civile"},
    "choice": {"type": "choice", "label": "Alimentazione", "choices": CHOICES_ADL},
    "choice_select": {"type": "choice", "label": "Parentela", "widget": "select",
                      "choices": CHOICES_PARENTELA},
    "multichoice": {"type": "multichoice", "label": "Servizi attivi", "choices": SERVIZI},
    "codice_fiscale": {"type": "codice_fiscale", "label": "Codice fiscale del caregiver"},
    "email": {"type": "email", "label": "Email"},
    "phone": {"type": "phone", "label": "Telefono"},
    "note": {"type": "note", "text": "Compilare con la persona presente."},
    "computed": {"type": "computed", "label": "Totale", "expr": "1 + 1"},
    "repeat": {"type": "repeat", "label": "Familiari", "fields": [
        {"id": "nome", "type": "text", "label": "Nome e cognome"},
        {"id": "anni", "type": "integer", "label": "Età"}]},
}


def field_def(kind: str, **extra) -> FieldDef:
    """The FieldDef of one of the sample fields above, with id 'x'."""
    return FieldDef.model_validate({"id": "x", **FIELDS[kind], **extra})


def one_field_form(kind: str, **extra) -> Form:
    """A form with a single field 'x' of the given sample kind."""
    return Form(FormDef.model_validate({
        "id": "prova_tipo", "version": 1, "title": "Prova", "phase": "valutazione",
        "sections": [{"id": "s", "title": "Sezione",
                      "fields": [{"id": "x", **FIELDS[kind], **extra}]}]}))


@pytest.fixture
def submit(app):
    """Post data to the web form of a one-field form: (wtform, is_valid, typed values)."""
    app.config["WTF_CSRF_ENABLED"] = False

    def submit(kind: str, data, **extra):
        form = one_field_form(kind, **extra)
        with app.test_request_context(method="POST", data=MultiDict(data)):
            wtform = form_class(form)()
            valid = wtform.validate()
            return wtform, valid, values_from(form, wtform) if valid else None

    return submit


def errors_of(wtform, name="x") -> list[str]:
    return [str(e) for e in wtform.errors.get(name, [])]


# --- the web field ----------------------------------------------------------------------

WEB_ACCEPTED = [
    ("text", {"x": "  Via Roma 1 "}, "Via Roma 1"),
    ("textarea", {"x": "riga uno\r\nriga due"}, "riga uno\nriga due"),
    ("integer", {"x": "12"}, 12),
    ("integer", {"x": ""}, None),
    ("decimal", {"x": "72,5"}, Decimal("72.5")),
    ("money", {"x": "1.234,56"}, Decimal("1234.56")),
    ("money", {"x": "1234,5"}, Decimal("1234.50")),
    ("date", {"x": "03/04/1941"}, date(1941, 4, 3)),
    ("date", {"x": "1941-04-03"}, date(1941, 4, 3)),
    ("boolean", {"x": "si"}, True),
    ("boolean", {"x": "no"}, False),
    ("boolean", {}, None),
    ("choice", {"x": "5"}, 5),
    ("choice_select", {"x": "figlio"}, "figlio"),
    ("choice_select", {"x": ""}, None),
    ("multichoice", [("x", "sad"), ("x", "pasti")], ["sad", "pasti"]),
    ("codice_fiscale", {"x": "rssmra 41d03 f205b"}, CF),
    ("email", {"x": "anna.verdi@comune.it"}, "anna.verdi@comune.it"),
    ("phone", {"x": "+39 02 1234567"}, "+39 02 1234567"),
]


@pytest.mark.parametrize(("kind", "posted", "expected"), WEB_ACCEPTED,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(WEB_ACCEPTED)])
def test_web_field_accepts_and_types_the_value(submit, kind, posted, expected):
    wtform, valid, values = submit(kind, posted)
    assert valid, wtform.errors
    assert values["x"] == expected
    assert type(values["x"]) is type(expected)


WEB_REFUSED = [
    ("text", {"x": "una via lunghissima che non entra"}, "Lunghezza non valida."),
    ("integer", {"x": "12x"}, "Numero intero non valido."),
    ("integer", {"x": "25"}, "Il valore deve essere compreso tra 0 e 20."),
    ("decimal", {"x": "settanta"},
     "Numero non valido: usare la virgola per i decimali (es. 1.234,56)."),
    ("money", {"x": "12,34,56"},
     "Numero non valido: usare la virgola per i decimali (es. 1.234,56)."),
    ("date", {"x": "31/02/1941"}, "Data non valida: usare il formato gg/mm/aaaa."),
    ("date", {"x": "domani"}, "Data non valida: usare il formato gg/mm/aaaa."),
    ("choice", {"x": "7"}, "Scelta non valida."),
    ("choice_select", {"x": "zio"}, "Scelta non valida."),
    ("multichoice", [("x", "sad"), ("x", "badante")], "Scelta non valida."),
    ("codice_fiscale", {"x": "RSSMRA41D03F205X"},
     "Codice fiscale «RSSMRA41D03F205X» non valido: il carattere di controllo finale non "
     "corrisponde agli altri (un carattere è scritto male)."),
    ("codice_fiscale", {"x": "rssmra41"},
     "Codice fiscale «RSSMRA41» non valido: ha 8 caratteri invece di 16."),
    ("email", {"x": "anna.verdi.comune.it"}, "Indirizzo email non valido."),
    ("phone", {"x": "chiamare la figlia"}, "Numero di telefono non valido."),
]


@pytest.mark.parametrize(("kind", "posted", "message"), WEB_REFUSED,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(WEB_REFUSED)])
def test_web_field_refuses_a_bad_value_with_an_italian_message(submit, kind, posted, message):
    wtform, valid, _ = submit(kind, posted)
    assert not valid
    assert errors_of(wtform) == [message]


@pytest.mark.parametrize(("posted", "message"), [
    ("3,5", "Il valore deve essere almeno 10."),
    ("dieci", "Numero non valido: usare la virgola per i decimali (es. 1.234,56)."),
])
def test_a_number_out_of_range_and_a_number_unread_each_get_one_message(submit, posted,
                                                                        message):
    wtform, valid, _ = submit("decimal", {"x": posted}, min=10)
    assert not valid
    assert errors_of(wtform) == [message]


def test_decimal_field_keeps_what_the_user_typed_when_refused(submit):
    wtform, valid, _ = submit("decimal", {"x": "settanta"})
    assert not valid
    assert 'value="settanta"' in str(wtform["x"])


def test_money_field_shows_a_stored_amount_the_italian_way(app):
    form = one_field_form("money")
    with app.test_request_context():
        wtform = form_class(form)(formdata=None, data={"x": Decimal("1234.5")})
        assert 'value="1.234,50"' in str(wtform["x"])


def test_date_field_shows_a_stored_date(app):
    form = one_field_form("date")
    with app.test_request_context():
        wtform = form_class(form)(formdata=None, data={"x": date(1941, 4, 3)})
        assert 'value="1941-04-03"' in str(wtform["x"])


def test_boolean_field_is_a_pair_of_si_no_radios(app):
    with app.test_request_context():
        html = str(form_class(one_field_form("boolean"))()["x"])
    assert html.count('type="radio"') == 2
    assert 'value="si"' in html and 'value="no"' in html


@pytest.mark.parametrize(("stored", "checked", "unchecked"), [(True, "si", "no"),
                                                              (False, "no", "si")])
def test_boolean_field_marks_the_stored_answer(app, stored, checked, unchecked):
    with app.test_request_context():
        field = form_class(one_field_form("boolean"))(formdata=None, data={"x": stored})["x"]
    options = {option.data: option.checked for option in field}
    assert options == {checked: True, unchecked: False}


def ticked(field) -> list[str]:
    """The labels of the options shown as chosen."""
    return [option.label.text for option in field if option.checked]


@pytest.mark.parametrize(("kind", "stored", "shown"), [
    ("choice", 5, ["Con aiuto"]),
    ("choice", 0, ["Dipendente"]),
    ("choice_select", "figlio", ["Figlio/a"]),
    ("multichoice", ["sad", "pasti"], ["SAD", "Pasti a domicilio"]),
])
def test_choice_field_marks_the_stored_options(app, kind, stored, shown):
    with app.test_request_context():
        field = form_class(one_field_form(kind))(formdata=None, data={"x": stored})["x"]
    assert ticked(field) == shown


@pytest.mark.parametrize(("kind", "posted", "shown"), [
    ("boolean", {"x": "no"}, ["No"]),
    ("choice", {"x": "5"}, ["Con aiuto"]),
    ("choice_select", {"x": "figlio"}, ["Figlio/a"]),
])
def test_choice_field_shows_again_what_was_posted(submit, kind, posted, shown):
    wtform, _, _ = submit(kind, posted)
    assert ticked(wtform["x"]) == shown


def test_multichoice_with_numeric_codes_shows_again_what_was_posted(submit):
    codes = [{"value": 1, "label": "Uno"}, {"value": 2, "label": "Due"},
             {"value": 3, "label": "Tre"}]
    wtform, valid, values = submit("multichoice", [("x", "1"), ("x", "3")], choices=codes)
    assert valid and values["x"] == [1, 3]
    assert ticked(wtform["x"]) == ["Uno", "Tre"]


def test_choice_with_few_options_is_radio_and_with_widget_select_is_a_list(app):
    with app.test_request_context():
        radio = str(form_class(one_field_form("choice"))()["x"])
        select = str(form_class(one_field_form("choice_select"))()["x"])
    assert radio.count('type="radio"') == 3 and "Con aiuto" in radio
    assert select.startswith("<select") and "— scegliere —" in select and "Figlio/a" in select


def test_choice_with_many_options_defaults_to_a_list(app):
    many = [{"value": f"v{i}", "label": f"Voce {i}"} for i in range(6)]
    with app.test_request_context():
        html = str(form_class(one_field_form("choice", choices=many))()["x"])
    assert html.startswith("<select")


def test_multichoice_is_a_list_of_checkboxes(app):
    with app.test_request_context():
        html = str(form_class(one_field_form("multichoice"))()["x"])
    assert html.count('type="checkbox"') == 3 and "Pasti a domicilio" in html


def test_note_and_computed_have_no_input(submit):
    for kind in ("note", "computed"):
        wtform, valid, values = submit(kind, {"x": "valore inventato"})
        assert valid
        assert "x" not in wtform._fields
        assert values.get("x") is None


def test_repeat_rows_are_typed_field_by_field(submit):
    posted = {"x-0-nome": "Anna Verdi", "x-0-anni": "52", "x-1-nome": "Luca Verdi",
              "x-1-anni": "19"}
    wtform, valid, values = submit("repeat", posted)
    assert valid, wtform.errors
    assert values["x"] == [{"nome": "Anna Verdi", "anni": 52}, {"nome": "Luca Verdi", "anni": 19}]


def test_repeat_row_error_is_reported_on_its_row(submit):
    posted = {"x-0-nome": "Anna Verdi", "x-0-anni": "52", "x-1-nome": "Luca", "x-1-anni": "19x"}
    wtform, valid, _ = submit("repeat", posted)
    assert not valid
    assert wtform.errors["x"][0] == {}
    assert [str(e) for e in wtform.errors["x"][1]["anni"]] == ["Numero intero non valido."]


def test_repeat_starts_with_min_rows(app):
    with app.test_request_context():
        wtform = form_class(one_field_form("repeat", min_rows=2))()
    assert len(wtform["x"].entries) == 2


# --- storage: what goes in the entry's JSON and back -------------------------------------

STORAGE = [
    ("text", " Via Roma 1 ", "Via Roma 1", "Via Roma 1"),
    ("text", "   ", None, None),
    ("textarea", "riga uno\r\nriga due ", "riga uno\nriga due", "riga uno\nriga due"),
    ("integer", "3", 3, 3),
    ("decimal", Decimal("72.5"), "72.5", Decimal("72.5")),
    ("decimal", Decimal("1E+3"), "1000", Decimal("1000")),
    ("money", Decimal("1234.5"), "1234.50", Decimal("1234.50")),
    ("money", "1.234,56", "1234.56", Decimal("1234.56")),
    ("date", date(1941, 4, 3), "1941-04-03", date(1941, 4, 3)),
    ("date", datetime(1941, 4, 3, 10, 30), "1941-04-03", date(1941, 4, 3)),
    ("boolean", True, True, True),
    ("boolean", False, False, False),
    ("boolean", "si", True, True),
    ("choice", 5, 5, 5),
    ("multichoice", ("sad", "adi"), ["sad", "adi"], ["sad", "adi"]),
    ("multichoice", None, [], []),
    ("codice_fiscale", " rssmra41d03f205b ", CF, CF),
    ("email", " anna.verdi@comune.it ", "anna.verdi@comune.it", "anna.verdi@comune.it"),
    ("phone", " 02 1234567 ", "02 1234567", "02 1234567"),
    ("computed", Decimal("2.50"), "2.50", "2.50"),
    ("computed", 3.0, 3, 3),
    ("computed", date(2024, 1, 31), "2024-01-31", "2024-01-31"),
    ("repeat", [{"nome": "Anna", "anni": "52"}], [{"nome": "Anna", "anni": 52}],
     [{"nome": "Anna", "anni": 52}]),
    ("repeat", None, [], []),
]


@pytest.mark.parametrize(("kind", "value", "stored", "decoded"), STORAGE,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(STORAGE)])
def test_storage_round_trip_through_json(kind, value, stored, decoded):
    form = one_field_form(kind)
    encoded = form.encode({"x": value})
    assert encoded["x"] == stored
    reloaded = form.decode(json.loads(json.dumps(encoded)))
    assert reloaded["x"] == decoded
    assert type(reloaded["x"]) is type(decoded)


def test_a_note_stores_nothing():
    form = one_field_form("note")
    assert form.encode({"x": "testo"}) == {}
    assert "x" not in form.decode({"x": "testo"})


# --- import: spreadsheet cells -> stored values -----------------------------------------

PARSE = [
    ("date", "03/04/1941", "1941-04-03"),
    ("date", "3/4/1941", "1941-04-03"),
    ("date", "03.04.1941", "1941-04-03"),
    ("date", "03-04-1941", "1941-04-03"),
    ("date", "1941-04-03", "1941-04-03"),
    ("date", datetime(1941, 4, 3, 0, 0), "1941-04-03"),
    ("date", date(1941, 4, 3), "1941-04-03"),
    ("date", "", None),
    ("money", "1.234,56", "1234.56"),
    ("money", "€ 1.234,56", "1234.56"),
    ("money", "1.234,56 €", "1234.56"),
    ("money", 1234.5, "1234.50"),
    ("money", 1234, "1234.00"),
    ("decimal", "1.234,56", "1234.56"),
    ("decimal", 1234.5, "1234.5"),
    ("decimal", 1200.0, "1200"),
    ("decimal", 0.1 + 0.2, "0.3"),
    ("integer", 3.0, 3),
    ("integer", "3", 3),
    ("integer", "1.000", 1000),
    ("integer", None, None),
    ("boolean", "sì", True),
    ("boolean", "Sì", True),
    ("boolean", "si", True),
    ("boolean", "SI", True),
    ("boolean", "x", True),
    ("boolean", "1", True),
    ("boolean", 1.0, True),
    ("boolean", True, True),
    ("boolean", "0", False),
    ("boolean", "no", False),
    ("boolean", "NO", False),
    ("boolean", 0, False),
    ("boolean", "", None),
    ("choice", "5", 5),
    ("choice", 5.0, 5),
    ("choice", "con aiuto", 5),
    ("choice", "AUTONOMO", 10),
    ("choice_select", "Coniuge", "coniuge"),
    ("choice_select", "figlio/a", "figlio"),
    ("choice_select", "piu di uno", "piu"),
    ("choice_select", "PIÙ DI UNO", "piu"),
    ("multichoice", "SAD; pasti a domicilio", ["sad", "pasti"]),
    ("multichoice", "adi, sad", ["adi", "sad"]),
    ("multichoice", "", []),
    ("codice_fiscale", "rssmra41d03f205b", CF),
    ("codice_fiscale", " rss mra 41d03 f205b ", CF),
    ("text", "  Via Roma 1 ", "Via Roma 1"),
    ("text", 12, "12"),
    ("textarea", "riga uno\r\nriga due", "riga uno\nriga due"),
    ("email", " anna.verdi@comune.it ", "anna.verdi@comune.it"),
    ("phone", "02 1234567", "02 1234567"),
]


@pytest.mark.parametrize(("kind", "raw", "expected"), PARSE,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(PARSE)])
def test_import_coerces_a_cell(kind, raw, expected):
    field = field_def(kind, min=None, max=None)  # coercion alone; the range is tested below
    assert fieldtypes.get(field.type).parse(raw, field) == expected


@pytest.mark.parametrize("kind, raw, words", [
    ("integer", "21", "«21» non è ammesso: il valore deve essere compreso tra 0 e 20"),
    ("integer", -1.0, "«-1» non è ammesso: il valore deve essere compreso tra 0 e 20"),
])
def test_import_keeps_a_number_within_the_fields_range(kind, raw, words):
    """As the web form does: a number outside min/max is a wrong value, said in Italian."""
    field = field_def(kind)
    assert fieldtypes.get(field.type).parse("20", field) == 20
    with pytest.raises(ValueError) as refused:
        fieldtypes.get(field.type).parse(raw, field)
    assert str(refused.value) == words


PARSE_REFUSED = [
    ("date", "31/02/1941", "«31/02/1941» non è una data valida: febbraio 1941 ha 28 giorni"),
    ("date", "ieri", "«ieri» non è una data valida: scrivila come gg/mm/aaaa (03/04/1941) o "
     "in lettere (3 aprile 1941)"),
    ("money", "mille euro", "«mille euro» non è un numero"),
    ("decimal", "circa 70", "«circa 70» non è un numero"),
    ("integer", 3.5, "«3.5» non è un numero intero"),
    ("integer", "3,5", "«3,5» non è un numero intero"),
    ("integer", "tre", "«tre» non è un numero intero"),
    ("boolean", "forse", "«forse» non è sì/no"),
    ("choice", "quasi autonomo", "«quasi autonomo» non è tra le opzioni ammesse"),
    ("multichoice", "sad, badante", "«badante» non è tra le opzioni ammesse"),
    ("codice_fiscale", "RSSMRA41D03F205X", "Codice fiscale «RSSMRA41D03F205X» non valido: il "
     "carattere di controllo finale non corrisponde agli altri (un carattere è scritto male)."),
    ("email", "anna.verdi.comune.it", "indirizzo email non valido: «anna.verdi.comune.it»"),
    ("phone", "chiamare la figlia", "numero di telefono non valido: «chiamare la figlia»"),
]


@pytest.mark.parametrize(("kind", "raw", "message"), PARSE_REFUSED,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(PARSE_REFUSED)])
def test_import_refuses_a_bad_cell_in_italian(kind, raw, message):
    field = field_def(kind)
    with pytest.raises(ValueError) as caught:
        fieldtypes.get(field.type).parse(raw, field)
    assert str(caught.value).startswith(message)


PATOLOGIE = [{"value": "neurologiche", "label": "Neurologiche (ictus, Parkinson, SLA, SM...)"},
             {"value": "demenza", "label": "Demenza / deterioramento cognitivo"},
             {"value": "altro", "label": "Altro"},
             {"value": "altro_parente", "label": "Altro; parente"},
             {"value": 3, "label": "Tre"}]


@pytest.mark.parametrize(("raw", "expected"), [
    ("Neurologiche (ictus, Parkinson, SLA, SM...)\nDemenza / deterioramento cognitivo",
     ["neurologiche", "demenza"]),
    ("neurologiche (ictus, parkinson, sla, sm...), Altro", ["neurologiche", "altro"]),
    ("Altro, Neurologiche (ictus, Parkinson, SLA, SM...); demenza", [
        "altro", "neurologiche", "demenza"]),
    ("altro; parente", ["altro_parente"]),
    ("Altro\nAltro; parente", ["altro", "altro_parente"]),
    ("demenza, DEMENZA / deterioramento cognitivo", ["demenza"]),
    ("3, altro", [3, "altro"]),
    (3.0, [3]),
    (" ; ", []),
])
def test_multichoice_import_matches_labels_that_hold_separators(raw, expected):
    field = field_def("multichoice", choices=PATOLOGIE)
    assert fieldtypes.get("multichoice").parse(raw, field) == expected


def test_multichoice_exports_one_label_a_line_and_imports_it_back():
    field = field_def("multichoice", choices=PATOLOGIE)
    kind = fieldtypes.get("multichoice")
    cell = kind.spreadsheet_value(["neurologiche", "altro_parente", "demenza"], field)
    assert cell == ("Neurologiche (ictus, Parkinson, SLA, SM...)\nAltro; parente\n"
                    "Demenza / deterioramento cognitivo")
    assert kind.parse(cell, field) == ["neurologiche", "altro_parente", "demenza"]


def test_multichoice_names_the_piece_it_does_not_know():
    field = field_def("multichoice", choices=PATOLOGIE)
    with pytest.raises(ValueError, match="^«Neurologiche \\(ictus» non è tra le opzioni"):
        fieldtypes.get("multichoice").parse("Neurologiche (ictus, Parkinson", field)


# --- display: what a person reads in a page or a document --------------------------------

DISPLAY = [
    ("money", "1234.56", "1.234,56 €"),
    ("money", "-50.00", "-50,00 €"),
    ("money", None, ""),
    ("decimal", "1234.5", "1.234,5"),
    ("integer", 1500, "1500"),
    ("date", "1941-04-03", "03/04/1941"),
    ("date", None, ""),
    ("boolean", True, "Sì"),
    ("boolean", False, "No"),
    ("boolean", None, ""),
    ("choice", 5, "Con aiuto"),
    ("choice_select", "figlio", "Figlio/a"),
    ("multichoice", ["sad", "pasti"], "SAD, Pasti a domicilio"),
    ("codice_fiscale", CF, CF),
    ("text", "Via Roma 1", "Via Roma 1"),
    ("textarea", "riga uno\nriga due", "riga uno\nriga due"),
    ("email", "anna.verdi@comune.it", "anna.verdi@comune.it"),
    ("phone", "02 1234567", "02 1234567"),
    ("note", None, ""),
    ("computed", None, "—"),
    ("computed", 2.5, "2,5"),
    ("computed", True, "Sì"),
    ("repeat", [{"nome": "Anna"}], "1 riga"),
    ("repeat", [{"nome": "Anna"}, {"nome": "Luca"}], "2 righe"),
]


@pytest.mark.parametrize(("kind", "stored", "shown"), DISPLAY,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(DISPLAY)])
def test_display(kind, stored, shown):
    field = field_def(kind)
    assert fieldtypes.get(field.type).display(stored, field) == shown


def test_computed_with_money_format_displays_euros():
    field = field_def("computed", format="money")
    assert fieldtypes.get("computed").display("1234.5", field) == "1.234,50 €"


def test_choice_display_in_english_uses_the_english_label():
    field = FieldDef.model_validate({"id": "x", "type": "choice", "label": "Esito", "choices": [
        {"value": "ok", "label": {"it": "Positivo", "en": "Positive"}}]})
    assert fieldtypes.get("choice").display("ok", field, "en") == "Positive"
    assert fieldtypes.get("choice").display("ok", field) == "Positivo"


# --- the registry -----------------------------------------------------------------------

def _type_of(kind: str) -> str:
    return FIELDS[kind]["type"]


def test_every_registered_type_is_covered_by_these_tests():
    groups = {
        "web": {_type_of(c[0]) for c in WEB_ACCEPTED} | {"note", "computed", "repeat"},
        "storage": {_type_of(c[0]) for c in STORAGE} | {"note"},
        "import": {_type_of(c[0]) for c in PARSE + PARSE_REFUSED},
        "display": {_type_of(c[0]) for c in DISPLAY},
    }
    # Types with no input of their own have nothing to import; a repeat is imported
    # cell by cell through its sub-fields.
    groups["import"] |= {name for name, kind in fieldtypes.REGISTRY.items()
                         if not kind.has_input} | {"repeat"}
    for group, covered in groups.items():
        missing = set(fieldtypes.REGISTRY) - covered
        assert not missing, f"field types without a {group} test: {sorted(missing)}"


def test_registering_a_type_name_twice_is_refused():
    before = dict(fieldtypes.REGISTRY)
    with pytest.raises(RuntimeError, match="'text' registrato due volte"):
        @fieldtypes.register
        class AnotherText(fieldtypes.FieldType):
            name = "text"
    assert fieldtypes.REGISTRY == before
    assert isinstance(fieldtypes.get("text"), fieldtypes.TextType)


def test_every_registered_type_has_a_description_for_authors():
    for name, kind in fieldtypes.REGISTRY.items():
        assert kind.name == name
        assert kind.description, f"type '{name}' has no description"
