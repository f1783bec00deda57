"""Template lint and hostile templates: refused by `cartella check`, harmless when rendered."""

import shutil

import pytest
from docx import Document

from app import cli
from app.catalog import Catalog
from app.definitions import load_library
from app.documents.lint import lint_template
from app.documents.templates import load_templates
from app.documents.word import render_docx
from tests.conftest import FIXTURES


def _template(tmp_path, paragraphs, forms="[prova]"):
    document = Document()
    for text in paragraphs:
        if isinstance(text, tuple):  # runs, as Word splits them
            paragraph = document.add_paragraph()
            for run in text:
                paragraph.add_run(run)
        else:
            document.add_paragraph(text)
    document.save(tmp_path / "modello.docx")
    (tmp_path / "catalogo.yaml").write_text(
        f"- id: modello\n  title: Modello\n  kind: letter\n  file: modello.docx\n"
        f"  forms: {forms}\n  filename: x.docx\n")
    templates, problems = load_templates(tmp_path)
    assert problems == []
    return templates["modello"]


@pytest.fixture(scope="module")
def catalog():
    return Catalog(load_library(FIXTURES / "forms"))


def test_clean_template_passes(tmp_path, catalog):
    template = _template(tmp_path, ["{{ persona.cognome }} {{ scheda.isee }} {{ oggi|data }}",
                                    "{%p for r in scheda.familiari %}", "{{ r.nome }}",
                                    "{%p endfor %}"])
    assert lint_template(template, catalog) == []


def test_typo_named_with_hint_and_quoted_paragraph(tmp_path, catalog):
    template = _template(tmp_path, ["Intestazione", "Il signor {{ persona.cognome }} dichiara "
                                    "{{ scheda.descrizone }}."])
    [problem] = lint_template(template, catalog)
    assert problem.line == 2
    assert "'scheda.descrizone' non esiste nel modulo prova: intendevi 'descrizione'?" in \
        problem.message
    assert "«Il signor {{ persona.cognome }} dichiara {{ scheda.descrizone }}.»" in problem.message


def test_tag_split_across_runs_is_read_whole(tmp_path, catalog):
    template = _template(tmp_path, [("Nome: {{ scheda.cogn", "omee }}")])
    [problem] = lint_template(template, catalog)
    assert "'scheda.cognomee' non esiste" in problem.message


def test_unknown_filter_unbalanced_block_and_repeat_field(tmp_path, catalog):
    template = _template(tmp_path, ["{{ oggi|datta }}", "{%p for r in scheda.familiari %}",
                                    "{{ r.nom }}"])
    messages = " | ".join(p.message for p in lint_template(template, catalog))
    assert "filtro 'datta' sconosciuto: intendevi 'data'?" in messages
    assert "'r.nom' non esiste" in messages
    assert "endfor" in messages


@pytest.mark.parametrize("payload", [
    "{{ ''.__class__.__mro__ }}", "{{ persona.__class__ }}",
    "{{ scheda._modulo.__init__.__globals__ }}"])
def test_code_reaching_templates_are_refused_by_lint(tmp_path, catalog, payload):
    template = _template(tmp_path, [payload])
    problems = lint_template(template, catalog)
    assert any("riservati" in p.message for p in problems)


def test_code_reaching_template_is_harmless_when_rendered(tmp_path):
    from jinja2.exceptions import SecurityError

    document = Document()
    document.add_paragraph("{{ ''.__class__.__mro__[1].__subclasses__() }}")
    document.save(tmp_path / "ostile.docx")
    with pytest.raises(SecurityError):
        render_docx(tmp_path / "ostile.docx", {})


def test_user_text_stays_literal_in_word(tmp_path):
    document = Document()
    document.add_paragraph("{{ testo }}")
    document.save(tmp_path / "t.docx")
    import io

    value = "<b>&\"' =HYPERLINK(\"http://x\") àèìòù 😀"
    out = Document(io.BytesIO(render_docx(tmp_path / "t.docx", {"testo": value})))
    assert out.paragraphs[0].text == value


def test_cartella_check_fails_on_a_broken_template(tmp_path, monkeypatch):
    from click.testing import CliRunner

    broken = tmp_path / "modelli"
    shutil.copytree(FIXTURES / "doc_templates", broken)
    document = Document(broken / "relazione_prova.docx")
    document.add_paragraph("Esito: {{ scheda.esitto }}")
    document.save(broken / "relazione_prova.docx")
    monkeypatch.setenv("CARTELLA_INSTANCE", str(tmp_path / "istanza"))
    monkeypatch.setenv("CARTELLA_DOC_TEMPLATES", str(broken))
    monkeypatch.setenv("CARTELLA_SPREADSHEETS", str(FIXTURES / "spreadsheets"))
    result = CliRunner().invoke(cli.main, ["check", "--forms", str(FIXTURES / "forms")])
    assert result.exit_code == 1
    assert "relazione_prova.docx" in result.output
    assert "'scheda.esitto' non esiste nel modulo prova" in result.output
