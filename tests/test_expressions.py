"""Expressions in definitions: show_if, required_if, computed values, rules, helpers, sandbox."""

import re
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2.sandbox import SecurityError

from app.definitions import DefinitionError, load_library
from app.definitions.expressions import Expression, ExpressionError, names_used

FIXTURE = Path(__file__).parent / "fixtures" / "expressions"
TODAY = date(2024, 6, 1)


@pytest.fixture(scope="module")
def library():
    return load_library(FIXTURE)


@pytest.fixture(scope="module")
def form(library):
    return library.get("domanda")


@pytest.fixture(scope="module")
def context(library):
    return {"parametri": library.parameters, "oggi": TODAY, "persona": {}, "pratica": {}}


@pytest.fixture
def state(form, context):
    """The state of the form for stored values given as keyword arguments."""
    return lambda **stored: form.evaluate(form.decode(stored), context)


# --- show_if / required_if ---------------------------------------------------------------

def test_show_if_on_a_field_hides_it_and_lifts_its_requirement(form, context, state):
    hidden = state(invalidita=False)
    assert "percentuale" in hidden.hidden
    assert "percentuale" not in hidden.required
    assert "percentuale" not in form.check(hidden, context, complete=True)

    shown = state(invalidita=True)
    assert "percentuale" not in shown.hidden
    assert "percentuale" in shown.required
    assert form.check(shown, context, complete=True)["percentuale"] == ["Campo obbligatorio."]


def test_show_if_with_a_blank_answer_hides_the_field(state):
    assert "percentuale" in state().hidden


def test_show_if_on_a_section_hides_the_section_and_its_fields(form, context, state):
    adult = state(nascita="1960-05-10", data_domanda="2024-06-01")
    assert {"tutore", "tutore_nome"} <= adult.hidden
    assert "tutore_nome" not in adult.required
    assert "tutore_nome" not in form.check(adult, context, complete=True)

    child = state(nascita="2010-05-10", data_domanda="2024-06-01")
    assert not {"tutore", "tutore_nome"} & child.hidden
    assert "tutore_nome" in child.required
    assert form.check(child, context, complete=True)["tutore_nome"] == ["Campo obbligatorio."]


def test_required_if(form, context, state):
    assert "datore" in state(lavora=True).required
    assert "datore" not in state(lavora=False).required
    assert "datore" not in state().required
    errors = form.check(state(lavora=True), context, complete=True)
    assert errors["datore"] == ["Campo obbligatorio."]
    filled = state(lavora=True, datore="Cooperativa Aurora")
    assert "datore" not in form.check(filled, context, complete=True)


def test_requirements_are_checked_only_when_completing(form, context, state):
    assert "datore" not in form.check(state(lavora=True), context, complete=False)


# --- computed values ---------------------------------------------------------------------

def test_computed_value(state):
    assert state(nascita="1941-04-03", data_domanda="2024-04-02").values["anni"] == 82
    assert state(nascita="1941-04-03", data_domanda="2024-04-03").values["anni"] == 83


def test_chained_computed_fields(state):
    """minorenne reads anni, which is computed from two dates."""
    assert state(nascita="2010-05-10", data_domanda="2024-06-01").values["minorenne"] is True
    assert state(nascita="2006-05-31", data_domanda="2024-06-01").values["minorenne"] is False


def test_chained_computed_fields_over_a_repeat(state):
    values = state(voci=[{"tipo": "sanitaria", "importo": "100.00", "mesi": 12},
                         {"tipo": "assistenza", "importo": "250.50", "mesi": 2}]).values
    assert values["totale_spese"] == Decimal("1701.00")
    assert values["rimborso"] == Decimal("850.50")


def test_per_row_computed_values(state):
    rows = state(voci=[{"tipo": "sanitaria", "importo": "100.00", "mesi": 12},
                       {"tipo": "assistenza", "importo": "250.50", "mesi": 2}]).values["voci"]
    assert [row["totale_voce"] for row in rows] == [Decimal("1200.00"), Decimal("501.00")]
    # chained inside the row, with a decimal parameter (0.5) times an amount
    assert [row["rimborso_voce"] for row in rows] == [Decimal("600.00"), Decimal("250.50")]


def test_blanks_give_none_not_an_exception(state):
    values = state(voci=[{"tipo": "sanitaria", "importo": "100.00", "mesi": None},
                         {"tipo": None, "importo": None, "mesi": 3}]).values
    assert values["anni"] is None
    assert values["durata"] is None
    assert [row["totale_voce"] for row in values["voci"]] == [None, None]
    assert [row["rimborso_voce"] for row in values["voci"]] == [None, None]
    assert values["minorenne"] is False
    assert values["sotto_soglia"] is False


def test_an_empty_form_evaluates(state):
    values = state().values
    assert values["anni"] is None and values["durata"] is None
    assert values["totale_spese"] == 0 and values["voci"] == []


def test_per_row_show_if_and_required_if(state):
    result = state(voci=[{"tipo": "sanitaria", "importo": "600.00", "mesi": 2},
                         {"tipo": "assistenza", "importo": "10.00", "mesi": 1},
                         {"tipo": "sanitaria", "importo": "10.00", "mesi": 1}])
    assert result.row_hidden["voci"] == {(1, "ricevuta"), (2, "ricevuta")}
    assert ("voci", 0, "ricevuta") in result.required
    assert not {("voci", 1, "ricevuta"), ("voci", 2, "ricevuta")} & result.required


def test_a_required_row_field_left_blank_is_reported_on_its_row(form, context, state):
    result = state(voci=[{"tipo": "sanitaria", "importo": "600.00", "mesi": 2}])
    errors = form.check(result, context, complete=True)
    assert errors[("voci", 0, "ricevuta")] == ["Campo obbligatorio."]


# --- rules -------------------------------------------------------------------------------

@pytest.mark.parametrize(("start", "end", "refused"), [
    ("2024-03-01", "2024-02-01", True),
    ("2024-03-01", "2024-03-01", True),
    ("2024-03-01", "2024-03-02", False),
    ("2024-03-01", None, False),
    (None, None, False),
])
def test_rule_end_date_after_start_date(form, context, state, start, end, refused):
    errors = form.check(state(data_inizio=start, data_fine=end), context, complete=False)
    if refused:
        assert errors["data_fine"] == ["La data di fine deve essere successiva alla data di inizio."]
    else:
        assert "data_fine" not in errors


def test_rule_on_a_shown_field_applies_and_on_a_hidden_field_is_skipped(form, context, state):
    shown = form.check(state(invalidita=True, percentuale=20), context, complete=False)
    assert shown["percentuale"] == ["Sotto il 34% l'invalidità non dà diritto al contributo."]
    hidden = form.check(state(invalidita=False, percentuale=20), context, complete=False)
    assert "percentuale" not in hidden


# --- helpers -----------------------------------------------------------------------------

ROWS = [{"tipo": "sanitaria", "importo": Decimal("10.50")},
        {"tipo": "assistenza", "importo": Decimal("100")},
        {"tipo": "sanitaria", "importo": None},
        {"tipo": "sanitaria", "importo": Decimal("4.50")}]


@pytest.mark.parametrize(("source", "expected"), [
    ("somma(1, 2, 3)", 6),
    ("somma(1, none, '', 2)", 3),
    ("somma([1, 2], 3)", 6),
    ("somma(importo, 1)", Decimal("11.50")),
    ("somma()", 0),
    ("somma_campo(righe, 'importo')", Decimal("115.00")),
    ("somma_campo(righe, 'importo', 'tipo', 'sanitaria')", Decimal("15.00")),
    ("somma_campo(righe, 'importo', 'tipo', 'altro')", 0),
    ("somma_campo(none, 'importo')", 0),
    ("conta([true, false, none, true])", 2),
    ("conta([1, 2, 1, 3], 1)", 2),
    ("conta(['si', 'no', 'si'], 'si')", 2),
    ("compilati(1, none, '', 'x', [], 0, false)", 4),
    ("compilati()", 0),
    ("eta(nascita, oggi)", 83),
    ("eta(nascita, riferimento)", 82),
    ("eta(none)", None),
    ("giorni(inizio, fine)", 31),
    ("giorni(fine, inizio)", -31),
    ("giorni(inizio, none)", None),
    ("almeno_uno(false, none, true)", True),
    ("almeno_uno(false, none, 0, '')", False),
    ("almeno_uno([false, [true]])", True),
])
def test_helper(source, expected):
    context = {"righe": ROWS, "importo": Decimal("10.50"), "nascita": date(1941, 4, 3),
               "riferimento": date(2024, 4, 2), "oggi": TODAY,
               "inizio": date(2024, 1, 1), "fine": date(2024, 2, 1)}
    result = Expression(source).evaluate(context)
    assert result == expected
    assert type(result) is type(expected)


def test_helpers_inside_a_form(state):
    values = state(aiuto_casa=True, aiuto_pasti=False).values
    assert values["bisogni_si"] == 1
    assert values["risposte"] == 2
    assert values["qualche_bisogno"] is True
    assert values["punteggio"] == 3
    none = state(aiuto_casa=False).values
    assert (none["bisogni_si"], none["risposte"], none["qualche_bisogno"]) == (0, 1, False)


def test_eta_counts_today_when_no_date_is_given():
    born = date(date.today().year - 30, 1, 1)
    assert Expression("eta(nascita)").evaluate({"nascita": born}) == 30


# --- parameters --------------------------------------------------------------------------

@pytest.mark.parametrize(("isee", "within"), [
    ("24999.99", True), ("25000.00", True), ("25000.01", False), (None, False)])
def test_parameter_threshold(state, isee, within):
    assert state(isee=isee).values["sotto_soglia"] is within


def test_changing_a_parameter_changes_the_result_without_touching_the_form(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "forms")
    params = tmp_path / "forms" / "_parametri.yaml"
    params.write_text(params.read_text().replace("isee_max: 25000", "isee_max: 30000"))
    library = load_library(tmp_path / "forms")
    form = library.get("domanda")
    state = form.evaluate(form.decode({"isee": "27000.00"}), {"parametri": library.parameters})
    assert state.values["sotto_soglia"] is True


def test_a_parameter_missing_at_run_time_gives_none_not_an_exception(form):
    state = form.evaluate(form.decode({"isee": "1000.00", "nascita": "2010-01-01",
                                       "data_domanda": "2024-01-01"}), {})
    assert state.values["sotto_soglia"] is None
    assert state.values["minorenne"] is None


# --- the sandbox -------------------------------------------------------------------------

ESCAPES = [
    "().__class__.__bases__[0].__subclasses__()",
    "().__class__",
    "a.__class__",
    "a.__class__.__mro__[1].__subclasses__()",
    "a.__init__.__globals__",
    "riga.__class__.__base__",
    "oggi.__class__",
    "somma.__globals__",
    "somma.__code__",
    "somma.__globals__['__builtins__']",
    "parametri.__class__",
    "'{0.__class__}'.format(a)",
    "cycler",
    "joiner",
    "namespace",
    "range",
    "dict",
    "lipsum",
    "self.__init__.__globals__",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_an_expression_cannot_reach_python_internals(source):
    context = {"a": 5, "riga": {"x": 1}, "oggi": TODAY, "parametri": {"b1": {"x": 1}}}
    try:
        result = Expression(source).evaluate(context)
    except SecurityError:
        return
    assert not isinstance(result, type), f"{source} returned the class {result!r}"
    assert result is None or isinstance(result, str) and "class" not in result


def test_a_definition_cannot_use_python_names(tmp_path):
    shutil.copytree(FIXTURE, tmp_path / "forms")
    path = tmp_path / "forms" / "domanda.yaml"
    path.write_text(path.read_text().replace('expr: "giorni(data_inizio, data_fine)"',
                                             'expr: "cycler(1, 2)"'))
    with pytest.raises(DefinitionError) as caught:
        load_library(tmp_path / "forms")
    assert any("usa 'cycler', che non è un campo del modulo" in p.message
               for p in caught.value.problems)


# --- syntax ------------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["a >", "a) or (b", "a b", "(a", "a | lunghezza"])
def test_an_expression_that_does_not_parse_is_an_expression_error(source):
    with pytest.raises(ExpressionError, match=re.escape(f"espressione non valida «{source}»")):
        names_used(source)


def test_names_used_are_the_fields_and_context_read_not_the_helpers():
    assert names_used("somma(a, b) > parametri.x.y and riga.c") == {"a", "b", "parametri",
                                                                     "riga"}


# --- dependents (live updates) -----------------------------------------------------------

@pytest.mark.parametrize(("field", "blocks"), [
    ("invalidita", {"percentuale"}),
    ("lavora", {"datore"}),
    ("nascita", {"anni", "minorenne", "tutore"}),
    ("data_domanda", {"anni", "minorenne", "tutore"}),
    ("isee", {"sotto_soglia"}),
    ("data_inizio", {"durata"}),
    ("voci", {"voci", "totale_spese", "totale_sanitarie", "rimborso"}),
    ("aiuto_casa", {"bisogni_si", "risposte", "qualche_bisogno", "punteggio"}),
    ("tutore_nome", set()),
    ("datore", set()),
])
def test_dependents(form, field, blocks):
    assert form.dependents(field) == blocks


def test_live_fields_are_those_with_dependents(form):
    assert {"invalidita", "lavora", "nascita", "isee", "voci"} <= form.live_fields
    assert not {"datore", "tutore_nome", "percentuale"} & form.live_fields


def test_remembered_results_depend_on_the_types_and_the_parameters():
    """Results are remembered by the values read: 1, 1.0 and True are equal keys in Python
    but print differently; two sets of parameters with the same shape give their own."""
    joined = Expression("x ~ ''")
    assert [joined.evaluate({"x": v}) for v in (1, True, 1.0, 1, True)] == [
        "1", "True", "1.0", "1", "True"]
    threshold = Expression("isee <= parametri.b1.soglia")
    low, high = {"b1": {"soglia": 100}}, {"b1": {"soglia": 50000}}
    assert [threshold.evaluate({"isee": 20000, "parametri": p}) for p in (low, high, low)] == [
        False, True, False]
    rows = Expression("somma_campo(righe, 'n')")  # a list of rows: computed every time
    assert rows.evaluate({"righe": [{"n": 2}]}) == 2
    assert rows.evaluate({"righe": [{"n": 2}, {"n": 3}]}) == 5
