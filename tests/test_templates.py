"""The starter templates, filled from demo cases and opened as their readers open them.

Each template is rendered from a demo case whose sheet holds known values, read back with
python-docx or openpyxl, then converted to PDF by LibreOffice (all files in one run) and read
with pdftotext: proof that the file opens in a real office suite and shows the values.
"""

import importlib.util
import io
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from docx import Document
from openpyxl import load_workbook

from app import create_app, sheets, store
from app.catalog import Catalog
from app.definitions import load_library
from app.demo import load_demo
from app.documents.context import build_context, office_values, operator_values, sheet_values
from app.documents.excel import render_xlsx
from app.documents.lint import lint_template
from app.documents.templates import load_templates
from app.documents.values import Data, SiNo
from app.documents.values import Testo as MultiLine
from app.documents.word import render_docx
from app.store import cases, entries, offices, persons, users
from app.store.scope import Scope

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = (ROOT / "doc_templates", ROOT / "spreadsheets")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class Sample:
    """Known values for a template's sheet, and what the filled document must (not) show."""

    form: str
    changes: dict
    shows: list[str]
    hides: list[str] = field(default_factory=list)
    pdf_shows: list[str] = field(default_factory=list)


PLAN = {
    "data_progetto": date(2026, 2, 1), "tipo_progetto": "pi", "data_verifica": date(2026, 8, 1),
    "obiettivi": [{"obiettivo": "Restare a casa propria in sicurezza", "area": "autonomia",
                   "indicatore": "Nessuna caduta nel semestre", "scadenza": date(2026, 7, 31)}],
    "interventi": [
        {"tipo": "sad", "descrizione": "=HYPERLINK(\"http://esempio.invalid\")",
         "erogatore": "Cooperativa Il Melo", "frequenza": "settimanale",
         "dal": date(2026, 1, 1), "al": date(2026, 6, 30),
         "costo_mensile": Decimal("1234.56"), "fonte": "comune"},
        {"tipo": "adi", "descrizione": "Medicazioni", "erogatore": "ASST Brianza",
         "frequenza": "piu_volte_settimana", "dal": date(2026, 2, 1), "al": date(2026, 3, 31),
         "costo_mensile": Decimal("250"), "fonte": "asst_ssn"},
    ],
    "partecipanti": [{"nome": "Lucia Neri", "ruolo": "caregiver", "ente": "Figlia",
                      "firmato": True}],
    "condiviso_con_persona": True,
}

SAMPLES = {
    "relazione_sociale": Sample("valutazione_multidimensionale", {
        "data_valutazione": date(2026, 3, 5), "isee": Decimal("12345.67"),
        "rete_familiare": [{"nome_cognome": "Carla Verdini", "parentela": "figlio",
                            "convivente": False, "ruolo_cura": "caregiver_principale"}],
        "sintesi_bisogni": "Vive sola al terzo piano senza ascensore.",
    }, shows=["05/03/2026", "12.345,67 €", "Carla Verdini", "Figlio/a",
              "Vive sola al terzo piano"], pdf_shows=["12.345,67 €", "Carla Verdini"]),
    "progetto_individualizzato": Sample("progetto_individualizzato", PLAN, shows=[
        "01/02/2026", "1.234,56 €", "250,00 €", "1.484,56 €", "Cooperativa Il Melo",
        "SAD – Servizio di assistenza domiciliare", "dal 01/01/2026 al 30/06/2026",
        "Restare a casa propria in sicurezza", "Lucia Neri", "Comune / Ambito",
    ], hides=["Dopo di noi"], pdf_shows=["1.484,56 €", "Cooperativa Il Melo"]),
    "verbale_monitoraggio": Sample("monitoraggio", {
        "data_monitoraggio": date(2026, 4, 14), "prossima_verifica": date(2026, 7, 14),
        "modifiche_necessarie": False,
        "contatti": [{"data": date(2026, 4, 2), "tipo": "visita_domiciliare",
                      "con_chi": "La figlia Lucia", "sintesi": "Casa in ordine."}],
        "andamento_obiettivi": [{"obiettivo": "Restare a casa propria", "andamento": "in_linea",
                                 "scadenza": date(2026, 7, 31)}],
    }, shows=["14/04/2026", "14/07/2026", "Visita domiciliare", "La figlia Lucia",
              "In linea con quanto previsto"], pdf_shows=["14/07/2026", "La figlia Lucia"]),
    "relazione_valutazione_finale": Sample("valutazione_finale", {
        "data_valutazione": date(2026, 9, 30), "esito_percorso": "chiusura",
        "motivo_chiusura": "obiettivi_raggiunti", "punto_vista_persona": "Sono soddisfatta.",
        "esiti_obiettivi": [
            {"obiettivo": "Restare a casa", "esito": "raggiunto", "evidenze": "Nessuna caduta"},
            {"obiettivo": "Uscire ogni settimana", "esito": "non_raggiunto",
             "evidenze": "Uscite solo accompagnata"}],
    }, shows=["30/09/2026", "Chiusura del progetto", "Obiettivi raggiunti", "Nessuna caduta",
              "Non raggiunto"], hides=["Nuovi bisogni"], pdf_shows=["Uscite solo accompagnata"]),
    "domanda_misura_b1": Sample("misura_b1", {
        "anno": 2026, "data_domanda": date(2026, 1, 20), "isee": Decimal("18250.40"),
        "isee_tipo": "sociosanitario", "importo_buono": Decimal("1234.56"),
        "importo_voucher": Decimal("360"), "dipendenza_vitale": True,
    }, shows=["20/01/2026", "18.250,40 €", "1.234,56 €", "1.594,56 €", "☒ i)", "DM 26"],
        pdf_shows=["18.250,40 €", "1.594,56 €"]),
    "ricorso_ads": Sample("ricorso_ads", {
        "tribunale": "Tribunale di Monza", "modalita_deposito": "cancelleria",
        "data_ricorso": date(2026, 5, 8), "urgente": True,
        "motivazione_urgenza": "Dimissione ospedaliera prevista il 15/05/2026.",
        "parenti": [{"nome_cognome": "Giovanni Rossetti", "parentela": "figlio",
                     "indirizzo": "Via Roma 1, Monza"}],
        "atti_richiesti": ["gestione_conti"], "allegati": ["certificazione_medica"],
    }, shows=["AL GIUDICE TUTELARE", "DEL TRIBUNALE DI MONZA", "art. 407", "Giovanni Rossetti",
              "08/05/2026", "☒ Gestione dei conti correnti", "☐ Rappresentanza in giudizio",
              "art. 405, comma 4", "Dimissione ospedaliera", "– Certificazione medica"],
        hides=["TRIBUNALE DI TRIBUNALE", "PUBBLICO MINISTERO"],
        pdf_shows=["TRIBUNALE DI MONZA", "Giovanni Rossetti"]),
    "segnalazione_tm": Sample("segnalazione_tm", {
        "procura": "milano", "data_segnalazione": date(2026, 6, 3), "intervento_403": True,
        "data_provvedimento": date(2026, 6, 2), "ora_provvedimento": "22:30",
        "autorita_provvedimento": "il Comune con la Polizia Locale",
        "luogo_collocamento": "comunità educativa", "avviso_orale_pm": True,
        "ora_avviso_pm": "23:00", "livello_rischio": "alto",
        "fatti": [{"data": date(2026, 5, 20), "fatto": "Assenze scolastiche ripetute",
                   "fonte": "Scuola primaria"}],
    }, shows=["PER I MINORENNI DI MILANO", "URGENTE", "art. 403 c.c.", "02/06/2026",
              "ventiquattro ore", "☒ Alto", "☐ Basso", "Assenze scolastiche ripetute"],
        pdf_shows=["URGENTE", "Assenze scolastiche ripetute"]),
    "relazione_aggiornamento_ag": Sample("relazione_aggiornamento_ag", {
        "autorita": "giudice_tutelare", "sede_autorita": "Como", "numero_rg": "1234/2025 V.G.",
        "periodo_dal": date(2026, 1, 1), "periodo_al": date(2026, 6, 30),
        "data_relazione": date(2026, 7, 10), "proposte": "Proseguire il progetto in corso.",
    }, shows=["AL GIUDICE TUTELARE DEL TRIBUNALE DI COMO", "1234/2025 V.G.",
              "dal 01/01/2026 al 30/06/2026", "10/07/2026", "Proseguire il progetto"],
        hides=["TRIBUNALE PER I MINORENNI"], pdf_shows=["1234/2025 V.G.", "30/06/2026"]),
}


class Demo:
    """A demo instance: cases with sheets of every form, one per test module."""

    def __init__(self, root: Path):
        self.app = create_app({"INSTANCE_PATH": root / "istanza",
                               "FORMS_DIR": str(ROOT / "forms")})
        self.db = store.connect(self.app.config["DATABASE"])
        self.catalog = self.app.extensions["cartella.catalog"]
        load_demo(self.db, password="demo-password-1", catalog=self.catalog)
        self.completed: dict[str, dict] = {}

    def complete(self, form_id: str, changes: dict) -> dict:
        """A sheet of the form (the demo's first), with the changes, saved complete."""
        if form_id in self.completed:
            return self.completed[form_id]
        row = next(iter(self.db.query(
            "SELECT * FROM entries WHERE form_id = ? AND deleted_at IS NULL "
            "ORDER BY status = 'completa' DESC, id LIMIT 1", [form_id])))
        scope = Scope(row["office_id"])
        case = cases.get(self.db, scope, row["case_id"])
        person = persons.get(self.db, scope, case["person_id"])
        form = self.catalog.form(self.db, form_id, row["form_version"])
        entry = entries.get(self.db, scope, row["id"])
        values = {**form.decode(entry["data"]), **changes}
        result = sheets.check_submission(form, values, {}, sheets.context(
            self.catalog, case, person), True, set())
        assert not result.errors, result.errors
        entries.save(self.db, entry["id"], entry["rev"], form.encode(result.values),
                     "completa", case["manager_id"])
        self.completed[form_id] = {"entry": entries.get(self.db, scope, entry["id"]),
                                   "case": case, "person": person}
        return self.completed[form_id]

    def context(self, case: dict, person: dict, entry: dict | None) -> dict:
        return build_context(self.db, self.catalog, case=case, person=person,
                             office=offices.get(self.db, case["office_id"]),
                             user=users.get(self.db, case["manager_id"]), entry=entry)

    def register_context(self, form_id: str) -> dict:
        """What a register across cases gets: `pratiche`, one context per case of an office."""
        office_id = next(iter(self.db.query(
            "SELECT office_id, COUNT(*) AS n FROM entries WHERE form_id = ? AND "
            "status = 'completa' GROUP BY office_id ORDER BY n DESC", [form_id])))["office_id"]
        scope = Scope(office_id)
        office = offices.get(self.db, office_id)
        user = users.office_staff(self.db, office_id)[0]
        rows = []
        for case_id in cases.with_complete_sheet(self.db, scope, form_id):
            case = cases.get(self.db, scope, case_id)
            person = persons.get(self.db, scope, case["person_id"])
            rows.append(build_context(self.db, self.catalog, case=case, person=person,
                                      office=office, user=user))
        return {"pratiche": rows, "ufficio": office_values(office),
                "operatore": operator_values(user), "oggi": Data(2026, 11, 24), "bozza": False,
                "periodo": {"dal": Data(2026, 1, 1), "al": Data(2026, 12, 31)}}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Demo:
    return Demo(tmp_path_factory.mktemp("modelli"))


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog(load_library(ROOT / "forms"))


@pytest.fixture(scope="module")
def templates() -> dict:
    found, problems = load_templates(*TEMPLATE_DIRS)
    assert not problems, problems
    return found


@pytest.fixture(scope="module")
def rendered(demo, templates, tmp_path_factory) -> dict[str, dict]:
    """Every starter template filled once: its bytes, file, person and context."""
    out = tmp_path_factory.mktemp("documenti")
    done = {}
    for template_id, template in templates.items():
        if template.definition.across_cases:
            context, person = demo.register_context("misura_b1"), None
            person = context["pratiche"][0]["persona"]
        else:
            sample = SAMPLES.get(template_id) or SAMPLES["progetto_individualizzato"]
            sheet = demo.complete(sample.form, sample.changes)
            context = demo.context(sheet["case"], sheet["person"], sheet["entry"])
            person = sheet["person"]
        render = render_xlsx if template.definition.is_excel else render_docx
        content = render(template.path, context)
        path = out / f"{template_id}{template.path.suffix}"
        path.write_bytes(content)
        done[template_id] = {"content": content, "path": path, "person": person,
                             "context": context}
    return done


@pytest.fixture(scope="module")
def pdf_texts(rendered, tmp_path_factory) -> dict[str, str]:
    """All rendered files converted by one LibreOffice run (Italian locale), as text."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice non installato")
    out = tmp_path_factory.mktemp("pdf")
    profile = tmp_path_factory.mktemp("lo-profile")
    env = {**os.environ, "LANG": "it_IT.UTF-8", "LC_ALL": "it_IT.UTF-8"}
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                    "--norestore", "--convert-to", "pdf", "--outdir", str(out),
                    *[str(r["path"]) for r in rendered.values()]],
                   check=True, capture_output=True, timeout=240, env=env)
    texts = {}
    for template_id, result in rendered.items():
        pdf = out / (result["path"].stem + ".pdf")
        assert pdf.exists(), f"LibreOffice non ha convertito {result['path'].name}"
        text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                              timeout=60).stdout.decode()
        texts[template_id] = " ".join(text.split())
    return texts


def docx_text(content: bytes) -> str:
    """What a reader sees: body paragraphs, table cells (nested too), headers and footers."""
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    tables = list(document.tables)
    while tables:
        table = tables.pop()
        for row in table.rows:
            for cell in row.cells:
                parts += [p.text for p in cell.paragraphs]
                tables += cell.tables
    for section in document.sections:
        for part in (section.header, section.footer):
            parts += [p.text for p in part.paragraphs]
    return "\n".join(parts)


def xlsx_cells(content: bytes):
    workbook = load_workbook(io.BytesIO(content))
    return workbook.worksheets[0]


# --- the catalog and lint --------------------------------------------------------------------

def test_every_template_passes_lint(templates, catalog):
    assert set(templates) == {*SAMPLES, "piano_economico", "rendicontazione_b1"}
    for template in templates.values():
        assert lint_template(template, catalog) == [], template.id


def test_catalog_entries_are_complete(templates):
    for template in templates.values():
        definition = template.definition
        assert definition.description and definition.forms, template.id
        native = "xlsx" if definition.is_excel else "docx"
        assert definition.formats == [native, "pdf"], template.id
        assert definition.filename.endswith(f".{native}"), template.id


def test_committed_files_are_what_the_script_builds(tmp_path):
    spec = importlib.util.spec_from_file_location("build_templates",
                                                  ROOT / "scripts" / "build_templates.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for built in script.build_all(tmp_path):
        committed = ROOT / built.relative_to(tmp_path)
        assert built.read_bytes() == committed.read_bytes(), (
            f"{committed.name} non corrisponde allo script: eseguire "
            "python scripts/build_templates.py e fare commit dei file generati")


def test_lint_finds_a_typo_and_quotes_the_paragraph(tmp_path, templates, catalog):
    document = Document(str(templates["ricorso_ads"].path))
    paragraph = next(p for p in document.paragraphs if p.text == "{{ scheda.motivi }}")
    paragraph.runs[0].text = "{{ scheda.mot"  # the typo split across two runs, as Word does
    paragraph.add_run("iv }}")
    document.save(str(tmp_path / "ricorso.docx"))
    entry = {**templates["ricorso_ads"].definition.model_dump(), "file": "ricorso.docx"}
    (tmp_path / "catalogo.yaml").write_text(yaml.safe_dump([entry], allow_unicode=True),
                                            encoding="utf-8")
    copy, problems = load_templates(tmp_path)
    assert problems == []
    found = lint_template(copy["ricorso_ads"], catalog)
    assert len(found) == 1, found
    message = str(found[0])
    assert "'scheda.motiv' non esiste nel modulo ricorso_ads" in message
    assert "intendevi 'motivi'?" in message and "«{{ scheda.motiv }}»" in message
    assert message.startswith(f"{tmp_path / 'ricorso.docx'}:")


def test_lint_checks_excel_rows_and_registers(tmp_path, templates, catalog):
    for template_id, cell, typo in (("piano_economico", "C8", "{{ r.erogatre }}"),
                                    ("rendicontazione_b1", "K5", "{{ p.schede.misura_b1.ise }}")):
        workbook = load_workbook(templates[template_id].path)
        workbook.worksheets[0][cell] = typo
        workbook.save(tmp_path / f"{template_id}.xlsx")
    entries_ = [{**templates[t].definition.model_dump(), "file": f"{t}.xlsx"}
                for t in ("piano_economico", "rendicontazione_b1")]
    (tmp_path / "catalogo.yaml").write_text(yaml.safe_dump(entries_, allow_unicode=True),
                                            encoding="utf-8")
    copies, _ = load_templates(tmp_path)
    plan = [str(p) for p in lint_template(copies["piano_economico"], catalog)]
    assert len(plan) == 1 and "'r.erogatre' non esiste" in plan[0] and "erogatore" in plan[0]
    assert "cella C8" in plan[0]
    register = [str(p) for p in lint_template(copies["rendicontazione_b1"], catalog)]
    assert len(register) == 1 and "misura_b1.ise" in register[0], register


# --- Word ------------------------------------------------------------------------------------

@pytest.mark.parametrize("template_id", sorted(SAMPLES))
def test_word_template_shows_the_sheet(template_id, rendered):
    result, sample = rendered[template_id], SAMPLES[template_id]
    text = docx_text(result["content"])
    assert result["person"]["cognome"] in text
    for expected in sample.shows:
        assert expected in text, f"{template_id}: manca «{expected}»"
    for unexpected in [*sample.hides, "None", "{{", "{%"]:
        assert unexpected not in text, f"{template_id}: non dovrebbe esserci «{unexpected}»"
    letterhead = result["context"]["ufficio"]
    assert letterhead["nome"] in text and letterhead["pec"] in text
    assert f"Prot. n. ____________ del {result['context']['oggi']}" in text
    assert result["context"]["operatore"]["nome"] in text
    assert not text.startswith("BOZZA")


def test_urgent_placement_paragraph_only_when_urgent(rendered, templates):
    context = dict(rendered["segnalazione_tm"]["context"])
    context["scheda"] = {**context["scheda"], "intervento_403": SiNo(False)}
    text = docx_text(render_docx(templates["segnalazione_tm"].path, context))
    assert "URGENTE" not in text and "ventiquattro ore" not in text
    assert "SEGNALAZIONE DI MINORE IN SITUAZIONE DI PREGIUDIZIO" in text


def test_petition_as_a_report_to_the_prosecutor(rendered, templates):
    context = dict(rendered["ricorso_ads"]["context"])
    context["scheda"] = {**context["scheda"], "modalita_deposito": "informativa_pm"}
    text = docx_text(render_docx(templates["ricorso_ads"].path, context))
    assert "AL PUBBLICO MINISTERO" in text and "PRESSO IL TRIBUNALE DI MONZA" in text
    assert "SEGNALA E CHIEDE" in text and "AL GIUDICE TUTELARE" not in text


def test_user_text_comes_out_intact(rendered, templates):
    tricky = 'Ha detto: "non firmo" <subito> & l\'assegno è già perso 😟\nSeconda riga: così'
    context = dict(rendered["ricorso_ads"]["context"])
    parenti = [{**context["scheda"]["parenti"][0], "nome_cognome": "D'Alì & Figli <srl> 🙂"}]
    context["scheda"] = {**context["scheda"], "motivi": MultiLine(tricky), "parenti": parenti}
    content = render_docx(templates["ricorso_ads"].path, context)
    text = docx_text(content)
    assert tricky in text  # python-docx reads <w:br/> back as a newline
    assert "D'Alì & Figli <srl> 🙂" in text
    body = Document(io.BytesIO(content)).element.body
    paragraph = next(p for p in body.iter(f"{W}p") if "perso 😟" in "".join(
        t.text or "" for t in p.iter(f"{W}t")))
    assert len(list(paragraph.iter(f"{W}br"))) == 1


def test_draft_sheet_gives_a_document_marked_bozza(demo, templates):
    drafts = {r["form_id"]: r for r in demo.db.query(
        "SELECT * FROM entries WHERE status = 'bozza' AND deleted_at IS NULL ORDER BY id")}
    checked = 0
    for template in templates.values():
        form_id = template.definition.forms[0]
        if template.definition.is_excel or form_id not in drafts:
            continue
        scope = Scope(drafts[form_id]["office_id"])
        entry = entries.get(demo.db, scope, drafts[form_id]["id"])
        case = cases.get(demo.db, scope, entry["case_id"])
        context = demo.context(case, persons.get(demo.db, scope, case["person_id"]), entry)
        assert context["bozza"] is True
        document = Document(io.BytesIO(render_docx(template.path, context)))
        assert document.paragraphs[0].text.startswith("BOZZA"), template.id
        checked += 1
    assert checked >= 2


def test_draft_without_its_date_is_named_without_a_dangling_dash(demo):
    """The downloaded (and archived) file name drops the separator of an empty part."""
    row = next(iter(demo.db.query(
        "SELECT * FROM entries WHERE form_id = 'progetto_individualizzato' LIMIT 1")))
    scope = Scope(row["office_id"])
    case = cases.get(demo.db, scope, row["case_id"])
    person = persons.get(demo.db, scope, case["person_id"])
    form = demo.catalog.form(demo.db, "progetto_individualizzato", row["form_version"])
    draft = entries.get(demo.db, scope, entries.create(
        demo.db, case, form.id, form.version, {"data_progetto": None}, case["manager_id"]))
    documents = demo.app.extensions["cartella.documents"]
    produced = documents.produce(
        demo.db, "progetto_individualizzato", "docx", case=case, person=person,
        office=offices.get(demo.db, case["office_id"]),
        user=users.get(demo.db, case["manager_id"]), entry=draft)
    name = f"{person['cognome']} {person['nome']}"
    assert produced.filename == f"Progetto individualizzato - {name}.docx"
    assert Document(io.BytesIO(produced.content)).paragraphs[0].text.startswith("BOZZA")
    archived = demo.db.execute("SELECT filename FROM documents WHERE id = ?",
                               [produced.document_id]).fetchone()[0]
    assert archived == produced.filename
    template = documents.templates["segnalazione_tm"]
    blank = {"persona": {}, "scheda": {"data_segnalazione": None}}
    assert template.file_name(blank, "pdf") == "Segnalazione Procura minorenni.pdf"
    dated = {"persona": {}, "scheda": {"minore_cognome": "Bianchi", "minore_nome": "Anna",
                                       "data_segnalazione": Data(2026, 6, 3)}}
    assert template.file_name(dated, "docx") == \
        "Segnalazione Procura minorenni - Bianchi Anna - 03-06-2026.docx"


def test_blank_sheet_renders_without_none(templates, catalog):
    """A sheet with nothing filled in still renders: no error, no 'None', no stray tag."""
    for template in templates.values():
        if template.definition.across_cases:
            continue
        form = catalog.forms[template.definition.forms[0]]
        context = {"persona": {}, "pratica": {}, "schede": {}, "ufficio": {}, "operatore": {},
                   "oggi": Data(2026, 11, 24), "bozza": True,
                   "scheda": sheet_values(form, {"data": {}, "status": "bozza", "rev": 1})}
        if template.definition.is_excel:
            sheet = xlsx_cells(render_xlsx(template.path, context))
            text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row
                            if c.value is not None and not str(c.value).startswith("="))
        else:
            text = docx_text(render_docx(template.path, context))
        for unexpected in ("None", "NONE", "{{", "{%"):
            assert unexpected not in text, f"{template.id}: «{unexpected}»"


# --- Excel -----------------------------------------------------------------------------------

def test_plan_budget_rows_types_and_formulas(rendered):
    sheet = xlsx_cells(rendered["piano_economico"]["content"])
    assert "Piano economico".upper() in sheet["A1"].value.upper()
    assert "A1:J1" in {str(r) for r in sheet.merged_cells.ranges}
    assert sheet["B3"].value == "{cognome} {nome}".format(**rendered["piano_economico"]["person"])
    assert sheet["B4"].value == datetime(2026, 2, 1)
    first, second, total = 8, 9, 10
    assert sheet[f"A{first}"].value == "SAD – Servizio di assistenza domiciliare"
    assert sheet[f"C{second}"].value == "ASST Brianza"
    assert sheet[f"G{first}"].value == pytest.approx(1234.56)
    assert isinstance(sheet[f"G{second}"].value, (int, float))
    assert "€" in sheet[f"G{first}"].number_format
    assert sheet[f"E{first}"].value == datetime(2026, 1, 1)
    assert sheet[f"E{first}"].number_format == "DD/MM/YYYY"
    assert sheet[f"H{first}"].value == "Comune / Ambito"
    user_text = sheet[f"B{first}"]
    assert user_text.value == '=HYPERLINK("http://esempio.invalid")'
    assert user_text.data_type == "s"  # text, never a live formula
    assert sheet[f"J{second}"].value == f'=IF(I{second}="","",G{second}*I{second})'
    assert sheet[f"A{total}"].value == "Totale"
    assert sheet[f"G{total}"].value == f"=SUM(G{first}:G{second})"
    assert sheet[f"J{total}"].value == f"=SUM(J{first}:J{second})"
    summary = {sheet[f"A{r}"].value: r for r in range(total + 1, sheet.max_row + 1)}
    row = summary["Comune / Ambito"]
    assert sheet[f"B{row}"].value == (f"=SUMIF($H${first}:$H${second},A{row},"
                                      f"$G${first}:$G${second})")
    assert sheet[f"B{summary['Totale mensile dal progetto']}"].value == pytest.approx(1484.56)


def test_plan_budget_sources_match_the_form(templates, catalog):
    form = catalog.forms["progetto_individualizzato"]
    fonte = next(f for f in form.fields["interventi"].fields if f.id == "fonte")
    sheet = load_workbook(templates["piano_economico"].path).worksheets[0]
    criteria = [sheet[f"A{c.row}"].value for c in sheet["B"] if str(c.value).startswith("=SUMIF")]
    assert criteria == [choice.label.it for choice in fonte.choices]


def test_b1_register_one_row_per_case(rendered):
    result = rendered["rendicontazione_b1"]
    cases_ = result["context"]["pratiche"]
    assert len(cases_) >= 2
    sheet = xlsx_cells(result["content"])
    first, last = 5, 4 + len(cases_)
    assert [sheet[f"B{r}"].value for r in range(first, last + 1)] == [
        c["persona"]["cognome"] for c in cases_]
    b1 = cases_[0]["schede"]["misura_b1"]
    assert sheet[f"K{first}"].value == pytest.approx(float(b1["isee"]))
    assert "€" in sheet[f"K{first}"].number_format
    assert isinstance(sheet[f"G{first}"].value, int)
    assert isinstance(sheet[f"H{first}"].value, datetime)
    assert sheet[f"M{first}"].value in ("Sì", "No")
    assert sheet[f"A{last}"].value == "=ROW()-4"
    total = last + 1
    assert sheet[f"B{total}"].value == f"=COUNTA(B{first}:B{last})"
    assert sheet[f"Q{total}"].value == f"=SUM(Q{first}:Q{last})"
    assert sheet[f"M{total}"].value == f'=COUNTIF(M{first}:M{last},"Sì")'
    assert "dal 01/01/2026 al 31/12/2026" in sheet["A2"].value


# --- PDF through LibreOffice -----------------------------------------------------------------

@pytest.mark.parametrize("template_id", sorted(SAMPLES))
def test_word_template_opens_in_libreoffice(template_id, rendered, pdf_texts):
    text = pdf_texts[template_id]
    assert rendered[template_id]["person"]["cognome"] in text
    for expected in SAMPLES[template_id].pdf_shows:
        assert expected in text, f"{template_id}: manca «{expected}» nel PDF"


def test_excel_templates_open_in_libreoffice_with_live_formulas(rendered, pdf_texts):
    plan = pdf_texts["piano_economico"]
    assert rendered["piano_economico"]["person"]["cognome"] in plan
    assert "1.484,56 €" in plan  # the SUM, computed by LibreOffice
    assert "7.407,36 €" in plan  # 6 months (DATEDIF) × 1.234,56 €, then SUMIF by source
    register = pdf_texts["rendicontazione_b1"]
    for case in rendered["rendicontazione_b1"]["context"]["pratiche"]:
        assert case["persona"]["cognome"] in register
