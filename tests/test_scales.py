"""The starter library in forms/: it loads, and its computed values match hand-worked cases."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.definitions import load_library

FORMS = Path(__file__).resolve().parent.parent / "forms"


@pytest.fixture(scope="module")
def library():
    return load_library(FORMS)


def context(library, born=date(1941, 4, 3)):
    return {
        "persona": {"cognome": "Brambilla", "nome": "Giuseppina", "data_nascita": born,
                    "comune_residenza": "Monza"},
        "pratica": {"manager_name": "Chiara Colombo", "prossima_verifica": None},
        "oggi": date(2024, 6, 15),
        "parametri": library.parameters,
    }


def evaluate(library, form_id, data, born=date(1941, 4, 3)):
    form = library.get(form_id)
    return form.evaluate(form.decode(data), context(library, born))


def test_library_loads_every_starter_form(library):
    assert set(library.forms) == {
        "persona", "accesso", "valutazione_multidimensionale", "progetto_individualizzato",
        "monitoraggio", "valutazione_finale", "misura_b1", "misura_b2", "ricorso_ads",
        "segnalazione_tm", "relazione_aggiornamento_ag"}
    assert library.parameters["b1"]["isee_max_sociosanitario"] == 50000
    assert library.parameters["b2"]["isee_max"] == 25000


def test_expected_forms_cover_the_cycle(library):
    expected = {f.definition.phase for f in library.forms.values() if f.definition.expected}
    assert expected == {"accesso", "valutazione", "progettazione", "monitoraggio",
                        "valutazione_finale"}


# --- Barthel ------------------------------------------------------------------------------

BARTHEL_MAX = {
    "barthel_alimentazione": 10, "barthel_bagno": 5, "barthel_igiene": 5, "barthel_vestirsi": 10,
    "barthel_intestino": 10, "barthel_vescica": 10, "barthel_wc": 10,
    "barthel_trasferimenti": 15, "barthel_deambulazione": 15, "barthel_scale": 10,
}


def test_barthel_fully_independent_is_100(library):
    values = evaluate(library, "valutazione_multidimensionale", BARTHEL_MAX).values
    assert values["barthel_totale"] == 100
    assert values["barthel_voci_compilate"] == 10
    assert values["barthel_livello"] == "Autonomia completa (100)"


def test_barthel_choices_are_the_scale_scores(library):
    form = library.get("valutazione_multidimensionale")
    scores = {fid: sorted(c.value for c in form.fields[fid].choices) for fid in BARTHEL_MAX}
    assert scores == {
        "barthel_alimentazione": [0, 5, 10], "barthel_bagno": [0, 5], "barthel_igiene": [0, 5],
        "barthel_vestirsi": [0, 5, 10], "barthel_intestino": [0, 5, 10],
        "barthel_vescica": [0, 5, 10], "barthel_wc": [0, 5, 10],
        "barthel_trasferimenti": [0, 5, 10, 15], "barthel_deambulazione": [0, 5, 10, 15],
        "barthel_scale": [0, 5, 10]}


def test_barthel_mixed_case(library):
    # Feeds with help 5, bath 0, grooming 5, dressing with help 5, continent bowels 10,
    # occasional bladder accidents 5, toilet with help 5, transfers with supervision 10,
    # walks with one person 10, stairs impossible 0: 5+0+5+5+10+5+5+10+10+0 = 55.
    data = {"barthel_alimentazione": 5, "barthel_bagno": 0, "barthel_igiene": 5,
            "barthel_vestirsi": 5, "barthel_intestino": 10, "barthel_vescica": 5,
            "barthel_wc": 5, "barthel_trasferimenti": 10, "barthel_deambulazione": 10,
            "barthel_scale": 0}
    state = evaluate(library, "valutazione_multidimensionale", data)
    assert state.values["barthel_totale"] == 55
    assert state.values["barthel_livello"] == "Dipendenza grave (21–60)"
    # 55 <= 60: the care-needs section appears and asks about continuous assistance.
    assert "bisogni_assistenziali" not in state.hidden
    assert "assistenza_continuativa" in state.required


def test_barthel_blanks(library):
    state = evaluate(library, "valutazione_multidimensionale", {})
    assert state.values["barthel_totale"] == 0
    assert state.values["barthel_voci_compilate"] == 0
    assert state.values["barthel_livello"] is None
    assert "bisogni_assistenziali" in state.hidden

    partial = evaluate(library, "valutazione_multidimensionale",
                       {"barthel_alimentazione": 10, "barthel_scale": 5}).values
    assert partial["barthel_totale"] == 15
    assert partial["barthel_voci_compilate"] == 2
    assert partial["barthel_livello"] is None


def test_barthel_high_score_hides_care_needs(library):
    data = dict(BARTHEL_MAX, barthel_scale=5)
    state = evaluate(library, "valutazione_multidimensionale", data)
    assert state.values["barthel_totale"] == 95
    assert state.values["barthel_livello"] == "Dipendenza lieve (91–99)"
    assert "bisogni_assistenziali" in state.hidden
    assert "assistenza_continuativa" not in state.required


# --- Katz and Lawton ---------------------------------------------------------------------

def test_katz_total(library):
    data = {"katz_bagno": 0, "katz_vestirsi": 0, "katz_toilette": 1, "katz_trasferimenti": 1,
            "katz_continenza": 1, "katz_alimentazione": 1}
    assert evaluate(library, "valutazione_multidimensionale", data).values["katz_totale"] == 4
    assert evaluate(library, "valutazione_multidimensionale", {}).values["katz_totale"] == 0


def test_lawton_iadl_total(library):
    data = {"lawton_telefono": 1, "lawton_spesa": 0, "lawton_cucina": 0, "lawton_casa": 1,
            "lawton_bucato": 1, "lawton_trasporti": 0, "lawton_farmaci": 0, "lawton_denaro": 1}
    assert evaluate(library, "valutazione_multidimensionale", data).values["iadl_totale"] == 4
    all_yes = {key: 1 for key in data}
    assert evaluate(library, "valutazione_multidimensionale", all_yes).values["iadl_totale"] == 8


def test_school_questions_only_for_minors(library):
    adult = evaluate(library, "valutazione_multidimensionale", {})
    child = evaluate(library, "valutazione_multidimensionale", {}, born=date(2014, 9, 1))
    assert "scuola_frequentata" in adult.hidden
    assert "scuola_frequentata" not in child.hidden


# --- Misura B1 ---------------------------------------------------------------------------

B1_BASE = {"anno": 2024, "data_domanda": "2024-03-01", "vive_al_domicilio": True,
           "isee": "18500.00"}


def b1(library, data, born=date(1941, 4, 3)):
    return evaluate(library, "misura_b1", {**B1_BASE, **data}, born).values


def test_b1_glasgow_8_is_eligible_with_the_gcs_reason(library):
    values = b1(library, {"stato_coscienza": "stato_vegetativo",
                          "gcs_occhi": 2, "gcs_verbale": 2, "gcs_motoria": 4})
    assert values["gcs_totale"] == 8
    assert values["condizione_a"] is True
    assert values["idoneita"] is True
    assert values["motivo_idoneita"].startswith("Idonea")
    assert "GCS 8" in values["motivo_idoneita"]


def test_b1_glasgow_12_alone_is_not_eligible(library):
    values = b1(library, {"stato_coscienza": "minima_coscienza",
                          "gcs_occhi": 4, "gcs_verbale": 3, "gcs_motoria": 5})
    assert values["gcs_totale"] == 12
    assert values["condizione_a"] is False
    assert values["condizione_sanitaria"] is False
    assert values["idoneita"] is False
    assert "nessuna condizione" in values["motivo_idoneita"]


def test_b1_incomplete_glasgow_is_no_score(library):
    values = b1(library, {"stato_coscienza": "coma", "gcs_occhi": 1})
    assert values["gcs_totale"] is None
    assert values["condizione_a"] is False


def test_b1_cdrs_4_is_eligible(library):
    values = b1(library, {"cdrs": "4"})
    assert values["condizione_c"] is True
    assert values["idoneita"] is True
    assert "CDRS 4" in values["motivo_idoneita"]
    assert b1(library, {"cdrs": "3"})["condizione_c"] is False


def test_b1_isee_above_the_limit_is_not_eligible(library):
    values = b1(library, {"cdrs": "5", "isee": "50000.01"})
    assert values["condizione_c"] is True
    assert values["isee_soglia"] == 50000
    assert values["isee_entro_soglia"] is False
    assert values["idoneita"] is False
    assert "ISEE superiore alla soglia di 50.000 €" in values["motivo_idoneita"]
    # Exactly at the limit is still within it.
    assert b1(library, {"cdrs": "5", "isee": "50000.00"})["idoneita"] is True


def test_b1_minor_has_the_higher_isee_limit(library):
    child = b1(library, {"autismo_livello": 3, "isee": "60000.00"}, born=date(2015, 5, 20))
    assert child["minorenne"] is True
    assert child["isee_soglia"] == 65000
    assert child["idoneita"] is True
    adult = b1(library, {"autismo_livello": 3, "isee": "60000.00"})
    assert adult["minorenne"] is False
    assert adult["idoneita"] is False


def test_b1_missing_isee_leaves_eligibility_open(library):
    values = evaluate(library, "misura_b1", {"ventilazione_24h": True}).values
    assert values["condizione_b"] is True
    assert values["idoneita"] is None
    assert values["motivo_idoneita"].startswith("Da completare")


def test_b1_other_conditions(library):
    assert b1(library, {"lesione_livello": "C4", "asia_grado": "B"})["condizione_d"] is True
    assert b1(library, {"lesione_livello": "sotto_c5", "asia_grado": "A"})["condizione_d"] is False
    assert b1(library, {"lesione_livello": "C3", "asia_grado": "C"})["condizione_d"] is False
    four_limbs = {"mrc_arto_superiore_dx": 1, "mrc_arto_superiore_sx": 0,
                  "mrc_arto_inferiore_dx": 1, "mrc_arto_inferiore_sx": 0}
    assert b1(library, four_limbs)["condizione_e"] is True
    assert b1(library, {**four_limbs, "mrc_arto_inferiore_sx": 2})["condizione_e"] is False
    assert b1(library, {"mrc_arto_superiore_dx": 0})["condizione_e"] is False
    assert b1(library, {"edss": "9.5"})["condizione_e"] is True
    assert b1(library, {"edss": "8.5"})["condizione_e"] is False
    assert b1(library, {"hoehn_yahr": "5"})["condizione_e"] is True
    assert b1(library, {"hoehn_yahr": "4"})["condizione_e"] is False
    assert b1(library, {"minorazione_visiva": "residuo_1_20",
                        "ipoacusia_db": 95})["condizione_f"] is True
    assert b1(library, {"minorazione_visiva": "nessuna",
                        "ipoacusia_db": 95})["condizione_f"] is False
    assert b1(library, {"autismo_livello": 2})["condizione_g"] is False
    assert b1(library, {"qi": 30, "lapmer": 8})["condizione_h"] is True
    assert b1(library, {"qi": 30})["condizione_h"] is False
    assert b1(library, {"qi": 40, "lapmer": 5})["condizione_h"] is False
    assert b1(library, {"dipendenza_vitale": True})["condizione_i"] is True


def test_b1_several_conditions_are_all_named(library):
    values = b1(library, {"cdrs": "4", "ventilazione_24h": True})
    assert values["condizioni_soddisfatte"] == (
        "b) ventilazione meccanica 24/7; c) demenza con CDRS 4")


def test_b1_not_at_home_is_not_eligible(library):
    values = b1(library, {"cdrs": "4", "vive_al_domicilio": False})
    assert values["idoneita"] is False
    assert "domicilio" in values["motivo_idoneita"]


def test_b1_requested_amounts(library):
    values = b1(library, {"buono_richiesto": "caregiver_familiare", "importo_buono": "650.00",
                          "voucher_richiesto": True, "importo_voucher": "360.00"})
    assert values["totale_mensile"] == Decimal("1010.00")


# --- Misura B2 ---------------------------------------------------------------------------

B2_BASE = {"anno": 2024, "data_domanda": "2024-03-01", "vive_al_domicilio": True,
           "percepisce_b1": False}


def b2(library, data, born=date(1941, 4, 3)):
    return evaluate(library, "misura_b2", {**B2_BASE, **data}, born).values


def test_b2_l104_with_low_isee_is_eligible(library):
    values = b2(library, {"gravita_l104": True, "isee": "12000.00"})
    assert values["idoneita"] is True
    assert "L. 104/1992" in values["motivo_idoneita"]


def test_b2_accompagnamento_is_enough(library):
    values = b2(library, {"indennita_accompagnamento": True, "isee": "25000.00"})
    assert values["idoneita"] is True
    assert "accompagnamento" in values["motivo_idoneita"]


def test_b2_without_severity_is_not_eligible(library):
    values = b2(library, {"gravita_l104": False, "indennita_accompagnamento": False,
                          "isee": "5000.00"})
    assert values["idoneita"] is False
    assert "104" in values["motivo_idoneita"]


def test_b2_isee_limits_for_adults_and_minors(library):
    adult = b2(library, {"gravita_l104": True, "isee": "30000.00"})
    assert adult["isee_soglia"] == 25000
    assert adult["idoneita"] is False
    assert "25.000 €" in adult["motivo_idoneita"]
    child = b2(library, {"gravita_l104": True, "isee": "30000.00"}, born=date(2012, 1, 1))
    assert child["isee_soglia"] == 40000
    assert child["idoneita"] is True


def test_b2_is_not_cumulable_with_b1(library):
    values = b2(library, {"gravita_l104": True, "isee": "10000.00", "percepisce_b1": True})
    assert values["idoneita"] is False
    assert "Misura B1" in values["motivo_idoneita"]


# --- Individual plan ---------------------------------------------------------------------

PLAN = {
    "data_progetto": "2024-05-10",
    "case_manager": "Chiara Colombo",
    "condiviso_con_persona": True,
    "data_verifica": "2024-11-10",
    "obiettivi": [{"obiettivo": "Mantenere la persona al domicilio in sicurezza",
                   "indicatore": "Nessun nuovo ricovero", "scadenza": "2024-11-10"}],
    "interventi": [
        {"tipo": "sad", "erogatore": "Coop. Il Melograno", "costo_mensile": "420.00",
         "fonte": "comune"},
        {"tipo": "buono_caregiver", "erogatore": "La figlia Anna", "costo_mensile": "650.00",
         "fonte": "fna_b1"},
        {"tipo": "pasti", "erogatore": "Comune", "costo_mensile": "132.50", "fonte": "comune"},
        {"tipo": "adi", "erogatore": "ASST Monza", "costo_mensile": "300.00",
         "fonte": "asst_ssn"},
        {"tipo": "pasti", "erogatore": "Comune", "costo_mensile": "60.00", "fonte": "famiglia"},
        {"tipo": "aiuto_informale", "erogatore": "Vicina di casa"},
    ],
}


def test_plan_budget_by_funding_source(library):
    values = evaluate(library, "progetto_individualizzato", PLAN).values
    assert values["budget_comune"] == Decimal("552.50")
    assert values["budget_fna_b1"] == Decimal("650.00")
    assert values["budget_asst_ssn"] == Decimal("300.00")
    assert values["budget_famiglia"] == Decimal("60.00")
    assert values["budget_fna_b2"] == 0
    assert values["budget_dopo_di_noi"] == 0
    assert values["budget_totale"] == Decimal("1562.50")


def test_plan_complete_has_no_errors(library):
    form = library.get("progetto_individualizzato")
    state = form.evaluate(form.decode(PLAN), context(library))
    assert form.check(state, context(library), complete=True) == {}


def test_plan_review_date_must_follow_the_plan_date(library):
    form = library.get("progetto_individualizzato")
    data = {**PLAN, "data_verifica": "2024-05-10"}
    state = form.evaluate(form.decode(data), context(library))
    errors = form.check(state, context(library), complete=True)
    assert errors == {"data_verifica": [
        "La data della verifica deve essere successiva alla data del progetto."]}


def test_plan_needs_a_goal_and_a_review_date(library):
    form = library.get("progetto_individualizzato")
    data = {key: value for key, value in PLAN.items() if key not in ("obiettivi",
                                                                      "data_verifica")}
    state = form.evaluate(form.decode(data), context(library))
    errors = form.check(state, context(library), complete=True)
    assert errors["obiettivi"] == ["Campo obbligatorio."]
    assert errors["data_verifica"] == ["Campo obbligatorio."]
    # A draft may be saved incomplete.
    assert form.check(state, context(library), complete=False) == {}


def test_plan_cost_needs_a_funding_source(library):
    form = library.get("progetto_individualizzato")
    data = {**PLAN, "interventi": [{"tipo": "sad", "erogatore": "Coop",
                                     "costo_mensile": "100.00"}]}
    state = form.evaluate(form.decode(data), context(library))
    errors = form.check(state, context(library), complete=True)
    assert errors == {("interventi", 0, "fonte"): ["Campo obbligatorio."]}


# --- Other computed values and rules -----------------------------------------------------

def test_final_evaluation_counts_outcomes(library):
    data = {"esiti_obiettivi": [{"esito": "raggiunto"}, {"esito": "parzialmente_raggiunto"},
                                {"esito": "raggiunto"}, {"esito": "non_raggiunto"}]}
    values = evaluate(library, "valutazione_finale", data).values
    assert (values["obiettivi_raggiunti"], values["obiettivi_parziali"],
            values["obiettivi_non_raggiunti"]) == (2, 1, 1)


def test_final_evaluation_follow_up_depends_on_outcome(library):
    closing = evaluate(library, "valutazione_finale", {"esito_percorso": "chiusura"})
    assert "motivo_chiusura" in closing.required and "nuovi_bisogni" in closing.hidden
    again = evaluate(library, "valutazione_finale", {"esito_percorso": "riformulazione"})
    assert "nuovi_bisogni" in again.required and "motivo_chiusura" in again.hidden


def test_monitoring_next_review_sets_the_case_date(library):
    form = library.get("monitoraggio")
    assert form.fields["prossima_verifica"].sets == "pratica.prossima_verifica"
    state = form.evaluate(form.decode({"data_monitoraggio": "2024-06-01",
                                       "prossima_verifica": "2024-05-01"}), context(library))
    assert "prossima_verifica" in form.check(state, context(library), complete=False)


def test_urgent_placement_requires_date_and_time(library):
    form = library.get("segnalazione_tm")
    urgent = form.evaluate(form.decode({"intervento_403": True}), context(library))
    assert {"data_provvedimento", "ora_provvedimento", "luogo_collocamento"} <= urgent.required
    assert "nota_403" not in urgent.hidden
    ordinary = form.evaluate(form.decode({"intervento_403": False}), context(library))
    assert "data_provvedimento" not in ordinary.required
    assert "nota_403" in ordinary.hidden


def test_court_update_period_rule(library):
    form = library.get("relazione_aggiornamento_ag")
    state = form.evaluate(form.decode({"periodo_dal": "2024-01-01", "periodo_al": "2023-12-31"}),
                          context(library))
    assert "periodo_al" in form.check(state, context(library), complete=False)
    state = form.evaluate(form.decode({"periodo_dal": "2024-01-01", "periodo_al": "2024-06-30"}),
                          context(library))
    assert form.check(state, context(library), complete=False) == {}
    assert state.values["giorni_periodo"] == 181


def test_court_forms_prefill_from_the_registry_and_the_assessment(library):
    ricorso = library.get("ricorso_ads")
    assert ricorso.fields["beneficiario_codice_fiscale"].prefill == "persona.codice_fiscale"
    parenti = ricorso.fields["parenti"]
    assert parenti.prefill == "schede.valutazione_multidimensionale.rete_familiare"
    network = library.get("valutazione_multidimensionale").fields["rete_familiare"]
    shared = {f.id for f in parenti.fields} & {f.id for f in network.fields}
    assert {"nome_cognome", "parentela", "indirizzo", "telefono"} <= shared
    plan_goals = {f.id for f in library.get("progetto_individualizzato").fields["obiettivi"].fields}
    for form_id, repeat in (("monitoraggio", "andamento_obiettivi"),
                            ("valutazione_finale", "esiti_obiettivi")):
        rows = library.get(form_id).fields[repeat]
        assert rows.prefill == "schede.progetto_individualizzato.obiettivi"
        assert "obiettivo" in {f.id for f in rows.fields} & plan_goals


def test_sensitive_sections(library):
    assert "sintesi_bisogni" in library.get("valutazione_multidimensionale").sensitive_fields()
    assert "livello_rischio" in library.get("segnalazione_tm").sensitive_fields()
