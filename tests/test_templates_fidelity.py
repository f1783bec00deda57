"""Templates keep what their authors made, and user text is never run as template code.

Covers files "written by others" (tests/fixtures/templates_others/, built by its make.py):
Word documents typed with autocorrect (curly quotes), docxtpl's own tags, Excel workbooks
with images, drop-down lists, conditional formats, a used range of the whole sheet.
"""

import io
import re
import shutil
import subprocess
import zipfile

import pytest
from docx import Document
from openpyxl import load_workbook

from app import create_app
from app.catalog import Catalog
from app.definitions import load_library
from app.documents.lint import lint_template
from app.documents.service import template_problems
from app.documents.word import render_docx
from tests.conftest import FIXTURES, Auth, csrf_from
from tests.test_entries import COMPLETE, _post
from tests.test_templates import docx_text

OTHERS = FIXTURES / "templates_others"
PAYLOADS = ["{{ persona.codice_fiscale }}",
            "{% for p in pratiche %}{{ p.persona.codice_fiscale }}{% endfor %}"]


def _workbook_text(content: bytes) -> str:
    workbook = load_workbook(io.BytesIO(content))
    return "\n".join(str(cell.value) for sheet in workbook.worksheets
                     for cell in sheet._cells.values() if cell.value is not None)


@pytest.fixture
def app(tmp_path):
    """The app with the corpus as its Word templates and the test registers as its Excel ones."""
    return create_app({"INSTANCE_PATH": tmp_path / "instance", "TESTING": True,
                       "FORMS_DIR": str(FIXTURES / "forms"), "DOC_TEMPLATES_DIR": str(OTHERS),
                       "SPREADSHEETS_DIR": str(FIXTURES / "spreadsheets")})



def test_template_code_typed_in_a_repeated_row_is_printed_literally(client, sheet):
    _post(client, sheet, "completa", **{
        **COMPLETE, "familiari-0-nome": PAYLOADS[0], "familiari-1-nome": PAYLOADS[1],
        "familiari-1-parentela": "fratello"})
    page = client.get(f"/schede/{sheet}")
    response = client.post(f"/schede/{sheet}/documenti/familiari_prova",
                           data={"csrf_token": csrf_from(page), "formato": "xlsx"})
    assert response.status_code == 200
    rows = load_workbook(io.BytesIO(response.data)).active
    assert rows["A3"].value == PAYLOADS[0] and rows["A4"].value == PAYLOADS[1]
    assert "RSSMRA41D03F205B" not in _workbook_text(response.data)


def test_template_code_in_a_register_row_does_not_copy_other_cases(app, client, sheet, world):
    _post(client, sheet, "completa", **COMPLETE)
    coordinator = app.test_client()
    Auth(coordinator).login("coord_a")
    url = f"/persone/{world['persons']['A']}/modifica"
    page = coordinator.get(url)
    saved = coordinator.post(url, data={"csrf_token": csrf_from(page), "cognome": PAYLOADS[1],
                                        "nome": "Mario"})
    assert saved.status_code == 302
    page = coordinator.get("/documenti/registri")
    response = coordinator.post("/documenti/registri", data={
        "csrf_token": csrf_from(page), "modello": "registro_prova", "formato": "xlsx"})
    assert response.status_code == 200
    rows = load_workbook(io.BytesIO(response.data)).active
    assert rows["A3"].value == PAYLOADS[1]
    assert "RSSMRA41D03F205B" not in _workbook_text(response.data)


def test_template_code_in_a_word_value_and_in_the_file_name_is_printed_literally(
        app, client, sheet, world):
    coordinator = app.test_client()
    Auth(coordinator).login("coord_a")
    url = f"/persone/{world['persons']['A']}/modifica"
    page = coordinator.get(url)
    assert coordinator.post(url, data={"csrf_token": csrf_from(page), "cognome": PAYLOADS[0],
                                       "nome": "Mario"}).status_code == 302
    _post(client, sheet, "completa", **{**COMPLETE, "cognome": PAYLOADS[0],
                                        "descrizione": PAYLOADS[1]})
    page = client.get(f"/schede/{sheet}")
    response = client.post(f"/schede/{sheet}/documenti/autocorretto",
                           data={"csrf_token": csrf_from(page), "formato": "docx"})
    text = docx_text(response.data)
    assert f"Oggetto: comunicazione per {PAYLOADS[0]} Mario" in text
    assert f"Descrizione: {PAYLOADS[1]}" in text
    assert "RSSMRA41D03F205B" not in text
    disposition = response.headers["Content-Disposition"]
    assert "{{ persona.codice_fiscale }}" in disposition and "RSSMRA41D03F205B" not in disposition


def test_a_repeated_row_is_bounded(tmp_path):
    from openpyxl import Workbook

    from app.documents.excel import MAX_REPEATED_ROWS, RepeatLimitError, render_xlsx

    workbook = Workbook()
    workbook.active["A1"] = "{% for n in righe %}{{ n }}"
    path = tmp_path / "righe.xlsx"
    workbook.save(path)
    filled = load_workbook(io.BytesIO(render_xlsx(path, {"righe": range(3)}))).active
    assert [filled.cell(row=r, column=1).value for r in (1, 2, 3)] == [0, 1, 2]
    with pytest.raises(RepeatLimitError, match=r"più di 10\.000 elementi"):
        render_xlsx(path, {"righe": range(MAX_REPEATED_ROWS + 1)})
    workbook.active["A1"] = "{% for n in range(10**9) %}{{ n }}"
    workbook.save(path)
    with pytest.raises(RepeatLimitError, match=r"la riga 1 si ripeterebbe"):
        render_xlsx(path, {})


# --- files written by others ------------------------------------------------------------------



@pytest.fixture
def produce(client, sheet):
    """Download a template of the corpus for a complete sheet of office A's case."""
    entry = sheet
    assert _post(client, entry, "completa", **{
        **COMPLETE, "familiari-1-nome": "Bruno Rossi", "familiari-1-parentela": "fratello",
        "familiari-1-convivente": "si"}).status_code == 302

    def download(template_id: str, fmt: str = "docx"):
        page = client.get(f"/schede/{entry}")
        response = client.post(f"/schede/{entry}/documenti/{template_id}",
                                data={"csrf_token": csrf_from(page), "formato": fmt})
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        return response

    return download


def test_the_corpus_passes_lint_quickly():
    catalog = Catalog(load_library(FIXTURES / "forms"))
    templates, problems = template_problems(catalog, OTHERS)
    assert problems == []
    assert set(templates) == {"autocorretto", "salvato_da_libreoffice", "tabelle_docxtpl",
                              "logo", "elenchi_x14", "foglio_intero", "pivot",
                              "excel_da_libreoffice"}


def test_docxtpl_inserts_are_refused_naming_the_construct():
    catalog = Catalog(load_library(FIXTURES / "forms"))
    _, problems = template_problems(catalog, OTHERS / "rifiutati")
    messages = [p.message for p in problems if "docxtpl_non_supportato" in p.path]
    assert len(messages) == 2
    assert "«{{r scheda.cognome}}» inserisce un testo formattato di docxtpl (RichText)" in \
        messages[0] and "scrivere «{{ scheda.cognome }}»" in messages[0]
    assert "paragrafo 1" in messages[0] and "«Nome: {{r scheda.cognome}}»" in messages[0]
    assert "(Subdoc)" in messages[1] and "scrivere «{{ scheda.descrizione }}»" in messages[1]
    assert not any("expected token" in m for m in messages)


@pytest.mark.parametrize("template_id", ["autocorretto", "salvato_da_libreoffice"])
def test_a_letter_typed_in_word_renders_as_typed(produce, template_id):
    response = produce(template_id)
    text = docx_text(response.data)
    assert "Descrizione: Vive solo.\nFiglia vicina: D'Angelo & C. <bene>" in text
    assert "Invalidità riconosciuta al 74%." in text and "Nessuna invalidità" not in text
    assert "Ente: Comune & Ambito – sì" in text
    assert "Familiari: Anna Rossi, Bruno Rossi" in text
    assert "Ufficio A & Servizi sociali – PEC non indicata & da chiedere" in text
    assert "Ufficio A – riservato & personale" in text
    assert "&amp;" not in text and "{{" not in text and "{%" not in text
    assert "Rossi.docx" in response.headers["Content-Disposition"]


def test_docxtpl_table_tags_work(produce):
    document = Document(io.BytesIO(produce("tabelle_docxtpl").data))
    table = document.tables[0]
    cells = [[cell.text for cell in row.cells] for row in table.rows]
    assert cells[1] == ["Anna Rossi", "Figlio/a", "Rossi"]
    assert cells[2][:2] == ["Bruno Rossi", "Fratello/sorella"]
    assert cells[-1][0] == "Totale familiari: 2"
    xml = table._tbl.xml
    assert 'w:fill="DDEEFF"' in xml  # {% cellbg %}: the cohabiting relative's row
    assert 'w:val="restart"' in xml and 'w:val="continue"' in xml  # {% vm %}
    assert '<w:gridSpan w:val="2"/>' in xml  # {% colspan 2 %}


def test_excel_logo_is_kept(produce):
    content = produce("logo", "xlsx").data
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert any(name.startswith("xl/media/") for name in names)
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["B4"].value == "Rossi" and sheet._images


def test_excel_drop_down_lists_and_conditional_formats_are_kept(produce):
    content = produce("elenchi_x14", "xlsx").data
    xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<x14:dataValidation " in xml and "Liste!$A$1:$A$3" in xml
    assert "<xm:sqref>C4:C5</xm:sqref>" in xml  # grown with the repeated row
    assert "<x14:conditionalFormatting" in xml and 'Liste!$B$1="evidenzia"' in xml
    assert "<xm:sqref>B4:B5</xm:sqref>" in xml
    workbook = load_workbook(io.BytesIO(content))
    sheet = workbook["Familiari"]
    assert [sheet["A4"].value, sheet["A5"].value] == ["Anna Rossi", "Bruno Rossi"]
    assert [str(v.sqref) for v in sheet.data_validations.dataValidation] == ["D4:D5"]
    assert [str(f.sqref) for f in sheet.conditional_formatting] == ["A4:A5"]
    assert sheet["A7"].value == "=COUNTA(A4:A5)" and sheet["B7"].value == "=Liste!A10"
    assert workbook["Liste"]["C1"].value == "=COUNTA(Familiari!A4:A5)"
    assert sheet.print_area == "'Familiari'!$A$1:$D$7"
    assert sheet.row_dimensions[7].height == 30 and sheet.row_dimensions[6].height is None
    assert sheet["C7"].hyperlink.target == "https://comune.esempio.invalid/regolamento"
    assert sheet["C6"].hyperlink is None
    assert workbook.defined_names["Nomi"].attr_text == "Familiari!$A$4:$A$5"


def test_excel_used_range_of_the_whole_sheet_is_not_walked(produce):
    sheet = load_workbook(io.BytesIO(produce("foglio_intero", "xlsx").data)).active
    assert [sheet["A1"].value, sheet["A2"].value, sheet["A3"].value] == \
        ["Rossi", "Anna Rossi", "Bruno Rossi"]
    assert (1048576, 16384) not in sheet._cells  # formatting pushed off the sheet is dropped


def test_a_register_saved_by_libreoffice_calc_fills(produce):
    sheet = load_workbook(io.BytesIO(produce("excel_da_libreoffice", "xlsx").data)).active
    assert sheet["A1"].value == "Familiari di Rossi Mario"
    rows = [[sheet.cell(row=r, column=c).value for c in (1, 2, 3)] for r in (4, 5)]
    assert rows == [["Anna Rossi", "Figlio/a", "No"], ["Bruno Rossi", "Fratello/sorella", "Sì"]]
    assert sheet["B7"].value == "=COUNTA(A4:A5)"


def test_excel_pivot_table_reads_every_repeated_row(produce):
    content = produce("pivot", "xlsx").data
    workbook = load_workbook(io.BytesIO(content))
    [pivot] = workbook["Pivot"]._pivots
    assert pivot.cache.cacheSource.worksheetSource.ref == "A1:B3"
    assert pivot.cache.refreshOnLoad
    assert [c.value for c in workbook["Dati"]["3"]] == ["Fratello/sorella", "Bruno Rossi"]


# --- the lint reads tags as docxtpl and Jinja will ------------------------------------------

@pytest.mark.parametrize("paragraphs, expected", [
    (["{%if scheda.isse%}sì{%endif%}"],
     "'scheda.isse' non esiste nel modulo prova: intendevi 'isee'? — «{%if scheda.isse%}sì"),
    (["{{scheda.cognomee}}"], "'scheda.cognomee' non esiste"),
    (["{%p if scheda.invalidita == ‘si’ %}", "x", "{%p endif %}", "{{ “a” ~ scheda.nomee }}"],
     "'scheda.nomee' non esiste"),
    (["{% p if scheda.cognome %}", "x", "{% p endif %}"],
     "il prefisso «p» va scritto attaccato alla parentesi, «{%p if scheda.cognome %}»"),
    (["{% vm %}{{ scheda.cognome }}"], "«{% vm %}» unisce in verticale le celle ripetute"),
    (["Testo che sparisce {%p if scheda.cognome %}", "x", "{%p endif %}"],
     "toglie dal documento tutto il paragrafo in cui sta: il testo «Testo che sparisce»"),
    (["{% include 'x' %}"], "istruzione «include» non ammessa"),
])
def test_lint_reports_what_docxtpl_would_do(tmp_path, paragraphs, expected):
    from tests.test_documents_lint import _template

    catalog = Catalog(load_library(FIXTURES / "forms"))
    messages = " | ".join(p.message for p in lint_template(_template(tmp_path, paragraphs),
                                                            catalog))
    assert expected in messages
    assert "expected token" not in messages


def test_lint_accepts_what_word_autocorrect_types(tmp_path):
    from tests.test_documents_lint import _template

    catalog = Catalog(load_library(FIXTURES / "forms"))
    template = _template(tmp_path, [
        "{{ scheda.cognome or “non indicato” }}", "{%p if scheda.invalidita %}",
        "{{ scheda.servizi|join(‘, ’) }}", "{%p endif %}", "{%-if scheda.isee-%}x{%-endif-%}"])
    assert lint_template(template, catalog) == []
    text = docx_text(render_docx(template.path, {"scheda": {
        "cognome": None, "invalidita": True, "servizi": ["SAD", "ADI"], "isee": 0}}))
    assert text.startswith("non indicato\nSAD, ADI")


# --- PDF: the fonts the templates use ---------------------------------------------------------

BROKEN_DATE = re.compile(r"\b\d{2}/\d{2}/\d{0,3}(?!\d)|(?<![\d/])\d{1,2}/\d{4}\b")


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                    reason="LibreOffice o pdftotext assenti")
def test_dates_come_out_whole_in_the_pdf_of_shipped_templates(tmp_path):
    """Without the templates' fonts (Liberation) LibreOffice wraps a date mid-number."""
    from app.documents.excel import render_xlsx
    from app.documents.templates import load_templates
    from tests.test_templates import PLAN, TEMPLATE_DIRS, Demo

    demo = Demo(tmp_path / "demo")
    sheet = demo.complete("progetto_individualizzato", PLAN)
    context = demo.context(sheet["case"], sheet["person"], sheet["entry"])
    templates, _ = load_templates(*TEMPLATE_DIRS)
    files = []
    for template_id in ("progetto_individualizzato", "piano_economico"):
        template = templates[template_id]
        render = render_xlsx if template.definition.is_excel else render_docx
        files.append(tmp_path / f"{template_id}{template.path.suffix}")
        files[-1].write_bytes(render(template.path, context))
    subprocess.run([shutil.which("soffice"), f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--headless", "--norestore", "--convert-to", "pdf", "--outdir",
                    str(tmp_path), *map(str, files)], check=True, capture_output=True, timeout=240)
    for path in files:
        text = subprocess.run(["pdftotext", str(path.with_suffix(".pdf")), "-"], check=True,
                              capture_output=True, text=True, timeout=60).stdout
        for whole in ("01/01/2026", "30/06/2026", "01/02/2026", "31/03/2026"):
            assert whole in text, f"{path.name}: la data {whole} non è intera nel PDF"
        assert not BROKEN_DATE.search(text), BROKEN_DATE.search(text).group(0)


def test_cartella_check_explains_an_unreadable_pivot_without_a_traceback(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from app import cli

    monkeypatch.setenv("CARTELLA_INSTANCE", str(tmp_path / "istanza"))
    monkeypatch.setenv("CARTELLA_DOC_TEMPLATES", str(OTHERS / "rifiutati"))
    monkeypatch.setenv("CARTELLA_SPREADSHEETS", str(tmp_path / "nessuno"))
    result = CliRunner().invoke(cli.main, ["check", "--forms", str(FIXTURES / "forms")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "pivot_illeggibile.xlsx:1: modello 'pivot_illeggibile': il file non si può leggere" \
        in result.output
    assert "Contiene una tabella pivot scritta in un modo che Cartella non sa leggere" in \
        result.output


def test_excel_parts_that_cannot_be_kept_are_named_before_use(tmp_path, monkeypatch):
    import importlib.util

    from tests.fixtures.templates_others.make import rewrite_parts

    target = tmp_path / "modelli"
    target.mkdir()
    for name in ("elenchi_x14.xlsx", "logo.xlsx"):
        (target / name).write_bytes((OTHERS / name).read_bytes())
    slicer = ('<ext uri="{A8765BA9-456A-4DAB-B4F3-ACF838C121DE}" xmlns:x14="http://schemas.'
              'microsoft.com/office/spreadsheetml/2009/9/main"><x14:slicerList/></ext>')
    rewrite_parts(target / "elenchi_x14.xlsx", re.compile(r"xl/worksheets/sheet1\.xml"),
                  lambda xml: xml.replace("</extLst>", slicer + "</extLst>"))
    (target / "catalogo.yaml").write_text("".join(
        f"- {{id: {name}, title: {name}, kind: register, file: {name}.xlsx, forms: [prova], "
        f"filename: x.xlsx, formats: [xlsx]}}\n" for name in ("elenchi_x14", "logo")))
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "PIL" else find_spec(name, *a))
    catalog = Catalog(load_library(FIXTURES / "forms"))
    messages = [p.message for p in template_problems(catalog, target)[1]]
    assert messages == [
        "modello 'elenchi_x14', foglio «Familiari»: contiene filtri dei dati (slicer), che "
        "andrebbero persi nei documenti prodotti: toglierli dal modello",
        "modello 'logo': le immagini del modello (il logo) andrebbero perse perché su questo "
        "server manca Pillow: installarlo (pip install pillow)"]


def test_lint_reads_every_header_and_the_file_name_pattern(tmp_path):
    from docx import Document as NewDocument

    document = NewDocument()
    section = document.sections[0]
    section.different_first_page_header_footer = True
    section.first_page_header.paragraphs[0].text = "{{ ufficio.nomee }}"
    document.add_paragraph("{{ persona.cognome }}")
    document.save(tmp_path / "lettera.docx")
    (tmp_path / "catalogo.yaml").write_text(
        "- {id: lettera, title: Lettera, kind: letter, file: lettera.docx, forms: [prova], "
        "filename: 'Lettera - {{ persona.cognomme }}.docx'}\n")
    catalog = Catalog(load_library(FIXTURES / "forms"))
    messages = [p.message for p in template_problems(catalog, tmp_path)[1]]
    assert any(m.startswith("modello 'lettera', intestazione della prima pagina: "
                            "'ufficio.nomee' non esiste") for m in messages), messages
    assert any(m.startswith("modello 'lettera', nome del file ('filename' nel catalogo): "
                            "'persona.cognomme' non esiste") for m in messages), messages


def test_a_word_loop_over_a_huge_range_stops_with_a_clear_message(tmp_path):
    from docx import Document as NewDocument

    document = NewDocument()
    document.add_paragraph("{% for n in range(10**9) %}{{ n }}{% endfor %}")
    document.save(tmp_path / "ciclo.docx")
    with pytest.raises(ValueError, match="ciclo su più di 100.000 elementi"):
        render_docx(tmp_path / "ciclo.docx", {})


@pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                    reason="LibreOffice o pdftotext assenti")
def test_documents_filled_from_the_corpus_open_in_libreoffice(tmp_path):
    from app.documents.excel import render_xlsx

    familiari = [{"nome": "Anna Rossi", "parentela": "Figlia", "convivente": True},
                 {"nome": "Bruno Rossi", "parentela": "Fratello", "convivente": False}]
    context = {"persona": {"cognome": "Rossi", "nome": "Mario"},
               "ufficio": {"nome": "Ufficio A", "code": "A", "pec": None},
               "scheda": {"cognome": "Rossi", "descrizione": "Vive solo & bene", "isee": 5000,
                          "invalidita": True, "percentuale": 74, "peso": None,
                          "familiari": familiari}}
    files = []
    for name in ("autocorretto.docx", "salvato_da_libreoffice.docx", "tabelle_docxtpl.docx",
                 "logo.xlsx", "elenchi_x14.xlsx", "pivot.xlsx"):
        render = render_xlsx if name.endswith(".xlsx") else render_docx
        files.append(tmp_path / name)
        files[-1].write_bytes(render(OTHERS / name, context))
    subprocess.run([shutil.which("soffice"), f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                    "--headless", "--norestore", "--convert-to", "pdf", "--outdir",
                    str(tmp_path / "pdf"), *map(str, files)], check=True, capture_output=True,
                   timeout=240)
    for path in files:
        pdf = tmp_path / "pdf" / (path.stem + ".pdf")
        assert pdf.exists(), f"LibreOffice non ha aperto {path.name}"
        text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                              text=True, timeout=60).stdout
        expected = "Rossi" if path.stem in ("logo", "pivot") else "Anna Rossi"
        assert expected in text, f"{path.name}: manca «{expected}» nel PDF"
