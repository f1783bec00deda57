"""Malformed definitions: each mistake gives a clear Italian message on the right line.

Each YAML below marks the line the problem must point at with `# <-` (and, where the
message names an earlier line, that one with `# <-prima`).
"""

import textwrap
from pathlib import Path

import pytest

from app import create_app
from app.definitions import DefinitionError, Problem, load_library

HEAD = """\
id: scheda
version: 1
title: Scheda di prova
phase: valutazione
sections:
  - id: generale
    title: Dati generali
    fields:
"""
LISTS = """\
parentela:
  - {value: coniuge, label: Coniuge}
  - {value: figlio, label: Figlio/a}
"""
PARAMETERS = """\
contributo:
  isee_max: 25000
"""


def marked_line(text: str, mark: str = "# <-") -> int:
    """The 1-based line carrying `mark` (the mark must be at the end of the line)."""
    lines = [n for n, line in enumerate(text.splitlines(), 1) if line.rstrip().endswith(mark)]
    assert len(lines) == 1, f"expected one line marked {mark!r}"
    return lines[0]


def load_problems(directory: Path, files: dict[str, str]) -> list[Problem]:
    """Write the files, load the folder, return the problems (it must fail)."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_library(directory)
    return caught.value.problems


def fields(text: str) -> str:
    """A form with the standard head and these fields (indented under `fields:`)."""
    return HEAD + textwrap.indent(textwrap.dedent(text), " " * 6)


def sections(text: str) -> str:
    """More sections, indented under `sections:`."""
    return textwrap.indent(textwrap.dedent(text), " " * 2)


def assert_one_problem(problems: list[Problem], text: str, message: str, *,
                       field: str = "", file: str = "scheda.yaml") -> Problem:
    assert len(problems) == 1, "\n".join(map(str, problems))
    problem = problems[0]
    assert problem.message == message
    assert Path(problem.path).name == file
    assert problem.line == marked_line(text), str(problem)
    assert problem.field == field
    return problem


# --- structure (pydantic) ----------------------------------------------------------------

def test_unknown_type_with_hint(tmp_path):
    text = fields("- {id: nascita, type: dat, label: Data di nascita}  # <-\n")
    problem = assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                                 "tipo 'dat' sconosciuto: intendevi 'date'?", field="nascita")
    assert problem.form == "scheda"


def test_unknown_key_with_hint(tmp_path):
    text = fields("""\
        - id: cognome
          type: text
          lable: Cognome  # <-
        """)
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "chiave 'lable' sconosciuta: intendevi 'label'?", field="cognome")


def test_unknown_key_of_the_form_with_hint(tmp_path):
    text = HEAD.replace("phase: valutazione\n", "phase: valutazione\ndescrizione: x  # <-\n") \
        + "      - {id: cognome, type: text, label: Cognome}\n"
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "chiave 'descrizione' sconosciuta: intendevi 'description'?")


def test_unknown_key_in_a_choice_is_the_only_complaint_about_it(tmp_path):
    text = fields("""\
        - id: esito
          type: choice
          label: Esito
          choices:
            - {value: ok, label: Positivo}
            - {value: ko, lable: Negativo}  # <-
        """)
    problems = load_problems(tmp_path, {"scheda.yaml": text})
    assert sorted(p.message for p in problems) == [
        "chiave 'lable' sconosciuta: intendevi 'label'?",
        "manca la chiave obbligatoria 'label'"]
    assert {p.line for p in problems} == {marked_line(text)}


def test_a_choice_value_of_the_wrong_kind(tmp_path):
    text = fields("""\
        - id: esito
          type: choice
          label: Esito
          choices:
            - {value: [1, 2], label: Uno e due}  # <-
        """)
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "'value' ha un valore non ammesso", field="esito")


def test_missing_title_of_the_form(tmp_path):
    text = HEAD.replace("id: scheda\n", "id: scheda  # <-\n").replace(
        "title: Scheda di prova\n", "") + "      - {id: cognome, type: text, label: Cognome}\n"
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "manca la chiave obbligatoria 'title'")


def test_missing_title_of_a_section(tmp_path):
    text = HEAD + "      - {id: cognome, type: text, label: Cognome}\n" + sections("""\
          - id: altro  # <-
            fields:
              - {id: note_finali, type: textarea, label: Note finali}
        """)
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "manca la chiave obbligatoria 'title'")


def test_missing_type_of_a_field(tmp_path):
    text = fields("- {id: cognome, label: Cognome}  # <-\n")
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "manca la chiave obbligatoria 'type'", field="")


def test_wrong_phase_with_hint(tmp_path):
    text = HEAD.replace("phase: valutazione", "phase: valutazone  # <-") \
        + "      - {id: cognome, type: text, label: Cognome}\n"
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "'phase': fase 'valutazone' sconosciuta: intendevi 'valutazione'?")


def test_version_must_be_a_whole_number(tmp_path):
    text = HEAD.replace("version: 1", "version: uno  # <-") \
        + "      - {id: cognome, type: text, label: Cognome}\n"
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "'version' deve essere un numero intero")


@pytest.mark.parametrize("bad_id", ["DataNascita", "data nascita", "1data", "data-nascita"])
def test_invalid_field_id(tmp_path, bad_id):
    text = fields(f"- {{id: {bad_id}, type: date, label: Data di nascita}}  # <-\n")
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "'id': l'id deve essere in minuscolo, iniziare con una lettera e "
                       "contenere solo lettere, cifre e '_' (es. 'data_nascita')", field=bad_id)


def test_reserved_field_id(tmp_path):
    text = fields("- {id: cartella_rev, type: integer, label: Revisione}  # <-\n")
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "'id': gli id che iniziano con 'cartella_' sono riservati",
                       field="cartella_rev")


def test_invalid_pattern(tmp_path):
    text = fields("- {id: codice, type: text, label: Codice, pattern: '[A-Z'}  # <-\n")
    problem = assert_one_problem(
        load_problems(tmp_path, {"scheda.yaml": text}), text,
        "'pattern': espressione regolare non valida (unterminated character set at position 0)",
        field="codice")
    assert problem.form == "scheda"


# --- fields and sections -----------------------------------------------------------------

def test_duplicated_field_id_names_the_first_line(tmp_path):
    text = fields("""\
        - {id: cognome, type: text, label: Cognome}  # <-prima
        - {id: nome, type: text, label: Nome}
        - {id: cognome, type: text, label: Cognome del caregiver}  # <-
        """)
    first = marked_line(text, "# <-prima")
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       f"id 'cognome' ripetuto (già usato alla riga {first})", field="cognome")


def test_duplicated_field_id_in_another_section(tmp_path):
    text = fields("- {id: cognome, type: text, label: Cognome}  # <-prima\n") + sections("""\
          - id: altro
            title: Altro
            fields:
              - {id: cognome, type: text, label: Cognome}  # <-
        """)
    first = marked_line(text, "# <-prima")
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       f"id 'cognome' ripetuto (già usato alla riga {first})", field="cognome")


def test_duplicated_section_id(tmp_path):
    text = HEAD.replace("  - id: generale\n", "  - id: generale  # <-prima\n") \
        + "      - {id: cognome, type: text, label: Cognome}\n" + sections("""\
          - id: generale  # <-
            title: Ancora dati generali
            fields:
              - {id: nome, type: text, label: Nome}
        """)
    first = marked_line(text, "# <-prima")
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       f"sezione 'generale' ripetuta (già usata alla riga {first})")


def test_choice_without_choices(tmp_path):
    text = fields("- {id: esito, type: choice, label: Esito}  # <-\n")
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "manca 'choices': elenco di opzioni o nome di una lista condivisa",
                       field="esito")


def test_computed_without_expr(tmp_path):
    text = fields("- {id: totale, type: computed, label: Totale}  # <-\n")
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "manca 'expr': l'espressione che calcola il valore", field="totale")


def test_repeat_without_fields(tmp_path):
    text = fields("- {id: familiari, type: repeat, label: Familiari}  # <-\n")
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "manca 'fields': i campi di ogni riga", field="familiari")


def test_nested_repeat(tmp_path):
    text = fields("""\
        - id: familiari
          type: repeat
          label: Familiari
          fields:
            - {id: nome, type: text, label: Nome}
            - id: figli
              type: repeat  # <-
              label: Figli
              fields:
                - {id: nome_figlio, type: text, label: Nome}
        """)
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "il gruppo 'figli' non può stare dentro un altro gruppo ('familiari')",
                       field="figli")


def test_note_without_text(tmp_path):
    text = fields("- {id: avviso, type: note}  # <-\n")
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "manca 'text': il testo informativo da mostrare", field="avviso")


def test_unknown_shared_list_with_hint(tmp_path):
    text = fields("""\
        - id: parentela
          type: choice
          label: Parentela
          choices: parentel  # <-
        """)
    problems = load_problems(tmp_path, {"_liste.yaml": LISTS, "scheda.yaml": text})
    assert_one_problem(problems, text, "lista 'parentel' inesistente in _liste.yaml: "
                       "intendevi 'parentela'?", field="parentela")


def test_a_shared_list_that_is_not_a_list(tmp_path):
    lists = LISTS + "esito: positivo  # <-\n"
    text = fields("- {id: parentela, type: choice, label: Parentela, choices: parentela}\n")
    problems = load_problems(tmp_path, {"_liste.yaml": lists, "scheda.yaml": text})
    assert_one_problem(problems, lists, "lista 'esito' non valida: serve un elenco di voci",
                       file="_liste.yaml")


# --- expressions -------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["eta >", "eta) or (eta", "eta eta", "eta | lunghezza"])
def test_expression_syntax_error(tmp_path, source):
    text = fields(f"""\
        - {{id: eta, type: integer, label: Età}}
        - {{id: scuola, type: text, label: Scuola, show_if: "{source}"}}  # <-
        """)
    problems = load_problems(tmp_path, {"scheda.yaml": text})
    assert len(problems) == 1
    assert problems[0].message.startswith(f"espressione non valida «{source}»: ")
    assert problems[0].line == marked_line(text)
    assert problems[0].field == "scuola"


def test_expression_referring_to_an_unknown_field_with_hint(tmp_path):
    text = fields("""\
        - {id: invalidita, type: boolean, label: Invalidità civile}
        - id: percentuale
          type: integer
          label: Percentuale
          show_if: invalidta  # <-
        """)
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "l'espressione «invalidta» usa 'invalidta', che non è un campo del "
                       "modulo: intendevi 'invalidita'?", field="percentuale")


def test_section_show_if_referring_to_an_unknown_field(tmp_path):
    text = HEAD.replace("    title: Dati generali\n",
                        "    title: Dati generali\n    show_if: minorene  # <-\n") \
        + "      - {id: minorenne, type: boolean, label: Minorenne}\n"
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "l'espressione «minorene» usa 'minorene', che non è un campo del "
                       "modulo: intendevi 'minorenne'?")


def test_row_expression_cannot_read_another_groups_fields(tmp_path):
    text = fields("""\
        - id: spese
          type: repeat
          label: Spese
          fields:
            - {id: importo, type: money, label: Importo}
        - id: rimborsi
          type: repeat
          label: Rimborsi
          fields:
            - {id: quota, type: computed, label: Quota, expr: "importo"}  # <-
        """)
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "l'espressione «importo» usa 'importo', che non è un campo del modulo",
                       field="quota")


def test_expression_reading_an_unknown_parameter_with_hint(tmp_path):
    text = fields("""\
        - {id: isee, type: money, label: ISEE}
        - id: sotto_soglia
          type: computed
          label: Sotto soglia
          expr: "isee <= parametri.contributo.isee_mx"  # <-
        """)
    problems = load_problems(tmp_path, {"_parametri.yaml": PARAMETERS, "scheda.yaml": text})
    assert_one_problem(problems, text, "l'espressione «isee <= parametri.contributo.isee_mx» "
                       "usa 'parametri.contributo.isee_mx', che non è in _parametri.yaml: "
                       "intendevi 'isee_max'?", field="sotto_soglia")


def test_expression_reading_an_unknown_parameter_group(tmp_path):
    text = fields("""\
        - {id: isee, type: money, label: ISEE}
        - {id: ok, type: computed, label: OK, expr: "isee <= parametri.contributi.isee_max"}  # <-
        """)
    problems = load_problems(tmp_path, {"_parametri.yaml": PARAMETERS, "scheda.yaml": text})
    assert_one_problem(problems, text, "l'espressione «isee <= parametri.contributi.isee_max» "
                       "usa 'parametri.contributi', che non è in _parametri.yaml: "
                       "intendevi 'contributo'?", field="ok")


def test_rule_naming_an_unknown_field(tmp_path):
    text = fields("""\
        - {id: data_inizio, type: date, label: Data di inizio}
        - {id: data_fine, type: date, label: Data di fine}
        """) + textwrap.dedent("""\
        rules:
          - expr: "not data_inizio or not data_fine or data_fine > data_inizio"
            message: La data di fine deve essere successiva alla data di inizio.
            fields: [data_fin]  # <-
        """)
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "la regola indica il campo 'data_fin' che non esiste: "
                       "intendevi 'data_fine'?")


def test_rule_with_an_expression_error(tmp_path):
    text = fields("- {id: data_inizio, type: date, label: Data di inizio}\n") + textwrap.dedent(
        """\
        rules:
          - expr: "data_inizio > scadenza"  # <-
            message: Date incoerenti.
        """)
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "l'espressione «data_inizio > scadenza» usa 'scadenza', che non è un "
                       "campo del modulo")


def test_circular_computed_fields(tmp_path):
    text = fields("""\
        - {id: ore, type: integer, label: Ore}
        - {id: totale, type: computed, label: Totale, expr: "somma(ore, media)"}  # <-
        - {id: media, type: computed, label: Media, expr: "totale / 2"}
        """)
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "calcolo circolare: totale → media → totale", field="totale")


def test_computed_field_reading_itself(tmp_path):
    text = fields("- {id: totale, type: computed, label: Totale, expr: totale + 1}  # <-\n")
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "calcolo circolare: totale → totale", field="totale")


# --- prefill and sets --------------------------------------------------------------------

@pytest.mark.parametrize(("prefill", "message"), [
    ("persona", "prefill 'persona' non valido: usare persona.<campo>, pratica.<campo> oppure "
                "schede.<id_modulo>.<campo>"),
    ("schede.altra", "prefill 'schede.altra' non valido: usare persona.<campo>, "
                     "pratica.<campo> oppure schede.<id_modulo>.<campo>"),
    ("persona.cognom", "prefill 'persona.cognom': la persona non ha 'cognom': "
                       "intendevi 'cognome'?"),
    ("pratica.aera", "prefill 'pratica.aera': la pratica non ha 'aera': intendevi 'area'?"),
])
def test_bad_prefill(tmp_path, prefill, message):
    text = fields(f"- {{id: cognome, type: text, label: Cognome, prefill: {prefill}}}  # <-\n")
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text, message,
                       field="cognome")


OTHER = """\
id: accoglienza
version: 1
title: Accoglienza
phase: accesso
sections:
  - id: dati
    title: Dati
    fields:
      - {id: cognome, type: text, label: Cognome}
"""


@pytest.mark.parametrize(("prefill", "message"), [
    ("schede.acoglienza.cognome", "prefill 'schede.acoglienza.cognome': il modulo "
                                  "'acoglienza' non esiste: intendevi 'accoglienza'?"),
    ("schede.accoglienza.cognom", "prefill 'schede.accoglienza.cognom': il modulo "
                                  "'accoglienza' non ha il campo 'cognom': intendevi 'cognome'?"),
])
def test_prefill_from_a_missing_form_or_field(tmp_path, prefill, message):
    text = fields(f"- {{id: cognome, type: text, label: Cognome, prefill: {prefill}}}  # <-\n")
    problems = load_problems(tmp_path, {"accoglienza.yaml": OTHER, "scheda.yaml": text})
    assert_one_problem(problems, text, message, field="cognome")


def test_sets_to_a_target_that_is_not_allowed(tmp_path):
    text = fields("""\
        - id: chiusura
          type: date
          label: Data di chiusura
          sets: pratica.data_chiusura  # <-
        """)
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "'sets: pratica.data_chiusura' non ammesso: si può impostare solo "
                       "pratica.prossima_verifica", field="chiusura")


# --- files -------------------------------------------------------------------------------

def test_id_different_from_the_file_name(tmp_path):
    text = HEAD.replace("id: scheda\n", "id: schede  # <-\n") \
        + "      - {id: cognome, type: text, label: Cognome}\n"
    problem = assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                                 "l'id 'schede' deve coincidere con il nome del file ('scheda')")
    assert problem.form == "schede"


def test_two_files_with_the_same_id(tmp_path):
    good = HEAD + "      - {id: cognome, type: text, label: Cognome}\n"
    copy = "# Copia di lavoro\n\n" + good.replace("id: scheda\n", "id: scheda  # <-\n", 1)
    problems = load_problems(tmp_path, {"scheda.yaml": good, "scheda_copia.yaml": copy})
    assert sorted(p.message for p in problems) == [
        f"id 'scheda' già usato da {tmp_path / 'scheda.yaml'}",
        "l'id 'scheda' deve coincidere con il nome del file ('scheda_copia')"]
    assert {(Path(p.path).name, p.line) for p in problems} == {
        ("scheda_copia.yaml", marked_line(copy))}


def test_yaml_indented_with_a_tab(tmp_path):
    text = fields("- {id: cognome, type: text, label: Cognome}\n") \
        + "\t- {id: nome, type: text, label: Nome}  # <-\n"
    problems = load_problems(tmp_path, {"scheda.yaml": text})
    assert len(problems) == 1
    assert problems[0].message.startswith("YAML non valido: ")
    assert "tabulatore: usare solo spazi" in problems[0].message
    assert problems[0].line == marked_line(text)


def test_yaml_with_a_wrong_indentation(tmp_path):
    text = fields("""\
        - id: cognome
          type: text
         label: Cognome  # <-
        """)
    problems = load_problems(tmp_path, {"scheda.yaml": text})
    assert len(problems) == 1
    assert problems[0].message.startswith("YAML non valido: ")
    assert "controllare il rientro" in problems[0].message
    assert problems[0].line == marked_line(text)


def test_yaml_duplicate_key(tmp_path):
    text = fields("""\
        - id: cognome
          type: text
          label: Cognome
          label: Cognome della persona  # <-
        """)
    assert_one_problem(load_problems(tmp_path, {"scheda.yaml": text}), text,
                       "YAML non valido: chiave 'label' ripetuta")


def test_empty_definition_file(tmp_path):
    (tmp_path / "vuota.yaml").write_text("# da scrivere\n")
    problems = load_problems(tmp_path, {})
    assert [(Path(p.path).name, p.line, p.message) for p in problems] == [
        ("vuota.yaml", 1, "il file deve descrivere un modulo (chiavi id, version, title, "
                          "phase, sections)")]


def test_every_problem_of_every_file_is_reported_at_once(tmp_path):
    first = fields("- {id: nascita, type: dat, label: Data di nascita}  # <-\n")
    second = HEAD.replace("id: scheda", "id: altra").replace(
        "phase: valutazione", "phase: valutazone  # <-") \
        + "      - {id: cognome, type: text, label: Cognome}\n"
    problems = load_problems(tmp_path, {"scheda.yaml": first, "altra.yaml": second})
    assert sorted((Path(p.path).name, p.line) for p in problems) == [
        ("altra.yaml", marked_line(second)), ("scheda.yaml", marked_line(first))]


# --- how problems are shown --------------------------------------------------------------

def test_problem_reads_path_line_form_field_message(tmp_path):
    text = fields("- {id: nascita, type: dat, label: Data di nascita}  # <-\n")
    problem = load_problems(tmp_path, {"scheda.yaml": text})[0]
    assert str(problem) == (f"{tmp_path / 'scheda.yaml'}:{marked_line(text)}: modulo 'scheda', "
                            "campo 'nascita': tipo 'dat' sconosciuto: intendevi 'date'?")


def test_problem_without_form_or_field_is_path_line_message():
    problem = Problem("forms/rotta.yaml", 3, "YAML non valido: chiave 'id' ripetuta")
    assert str(problem) == "forms/rotta.yaml:3: YAML non valido: chiave 'id' ripetuta"


def test_definition_error_lists_every_problem(tmp_path):
    text = fields("""\
        - {id: nascita, type: dat, label: Data di nascita}
        - {id: esito, type: choice, label: Esito}
        """)
    (tmp_path / "scheda.yaml").write_text(text)
    with pytest.raises(DefinitionError) as caught:
        load_library(tmp_path)
    assert str(caught.value).splitlines() == [str(p) for p in caught.value.problems]
    assert len(caught.value.problems) == 2


def test_the_app_refuses_to_start_with_a_broken_definition(tmp_path):
    forms = tmp_path / "forms"
    forms.mkdir()
    text = fields("- {id: nascita, type: dat, label: Data di nascita}  # <-\n")
    (forms / "scheda.yaml").write_text(text)
    with pytest.raises(DefinitionError) as caught:
        create_app({"INSTANCE_PATH": tmp_path / "instance", "TESTING": True,
                    "FORMS_DIR": str(forms)})
    assert [str(p) for p in caught.value.problems] == [
        f"{forms / 'scheda.yaml'}:{marked_line(text)}: modulo 'scheda', campo 'nascita': "
        "tipo 'dat' sconosciuto: intendevi 'date'?"]


def test_a_correct_definition_loads(tmp_path):
    """The base used above is itself valid: the problems come from the mistakes alone."""
    (tmp_path / "scheda.yaml").write_text(
        fields("- {id: cognome, type: text, label: Cognome}\n"))
    (tmp_path / "_liste.yaml").write_text(LISTS)
    (tmp_path / "_parametri.yaml").write_text(PARAMETERS)
    library = load_library(tmp_path)
    assert list(library.forms) == ["scheda"]
    assert [c.value for c in library.lists["parentela"]] == ["coniuge", "figlio"]


def test_private_attributes_are_refused_at_load(tmp_path):
    from app.definitions import DefinitionError, load_library

    (tmp_path / "privato.yaml").write_text(
        "id: privato\nversion: 1\ntitle: P\nphase: accesso\nsections:\n"
        "  - id: s\n    title: S\n    fields:\n"
        "      - {id: a, type: text, label: A}\n"
        "      - {id: b, type: computed, label: B, expr: a.__class__}\n")
    with pytest.raises(DefinitionError) as info:
        load_library(tmp_path)
    assert any("'__class__'" in p.message and p.line == 10 for p in info.value.problems)
