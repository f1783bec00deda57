"""The shipped library, tested as shipped: every form in forms/ and every template of the
catalogs, filled through the web as a coordinator on a real case, saved, reopened, rendered,
exported and imported back. Forms and templates are discovered here, so a new one is covered
without a new test."""

import io
import re
import shutil
import subprocess
import time
from datetime import date, timedelta
from decimal import Decimal
from html import escape, unescape
from pathlib import Path

import pytest
import yaml
from docx import Document
from openpyxl import load_workbook

from app import create_app
from app.definitions import fieldtypes
from app.definitions.fieldtypes import format_italian_number
from app.demo import load_demo
from app.sheets import evaluation_context
from app.store import cases as case_store
from app.store import offices as office_store
from app.store import persons as person_store
from app.store.scope import Scope
from tests.conftest import PASSWORD, csrf_from

REPO = Path(__file__).parent.parent
FORMS = sorted(p.stem for p in (REPO / "forms").glob("*.yaml")
               if not p.stem.startswith("_") and p.stem != "persona")


def _catalog(folder: str) -> list[dict]:
    return yaml.safe_load((REPO / folder / "catalogo.yaml").read_text(encoding="utf-8")) or []


TEMPLATES = [(folder, t) for folder in ("doc_templates", "spreadsheets") for t in _catalog(folder)]
PDF = shutil.which("soffice") is not None and shutil.which("pdftotext") is not None


@pytest.fixture
def app(tmp_path):
    """The app over the repository's own forms and templates (not the test fixtures)."""
    return create_app({"INSTANCE_PATH": tmp_path / "instance", "TESTING": True,
                       "FORMS_DIR": str(REPO / "forms"),
                       "DOC_TEMPLATES_DIR": str(REPO / "doc_templates"),
                       "SPREADSHEETS_DIR": str(REPO / "spreadsheets")})


def test_every_form_and_template_is_discovered():
    assert len(FORMS) >= 10 and "segnalazione_tm" in FORMS
    covered = {f for _, t in TEMPLATES for f in t["forms"]}
    assert covered <= set(FORMS), "a catalog names a form that is not in forms/"


# --- filling a sheet through the web --------------------------------------------------------

def _posted(f, stored) -> list[str]:
    """A stored value as the browser would send it."""
    if stored is None:
        return []
    if f.type == "boolean":
        return ["si" if stored else "no"]
    if f.type == "multichoice":
        return [str(v) for v in stored]
    if f.type in ("decimal", "money"):
        return [format_italian_number(Decimal(stored))]
    return [str(stored)]


def _samples(form) -> dict:
    """Every field with the sample value of its type (repeats with two rows); dates a day
    apart in the order of the form, as rules expect (a review after the plan it reviews)."""
    values = {fid: fieldtypes.get(f.type).sample(f) for fid, f in form.fields.items()
              if fieldtypes.get(f.type).has_input}
    dates = [fid for fid, f in form.fields.items() if f.type == "date"]
    for offset, fid in enumerate(dates):
        values[fid] = (date.fromisoformat(values[fid]) + timedelta(days=offset)).isoformat()
    return values


def _formdata(form, values: dict) -> list[tuple[str, str]]:
    pairs = []
    for fid, f in form.fields.items():
        if f.type == "repeat":
            for index, row in enumerate(values.get(fid) or []):
                for sub in f.fields:
                    pairs += [(f"{fid}-{index}-{sub.id}", v)
                              for v in _posted(sub, row.get(sub.id))]
        elif fid in values:
            pairs += [(fid, v) for v in _posted(f, values[fid])]
    return pairs


def _save(client, entry_id: int, values: dict, form, action: str):
    page = client.get(f"/schede/{entry_id}/modifica")
    assert page.status_code == 200
    rev = re.search(r'name="cartella_rev" value="(\d*)"', page.get_data(as_text=True)).group(1)
    data = [("csrf_token", csrf_from(page)), ("cartella_rev", rev), ("_azione", action),
            *_formdata(form, values)]
    from werkzeug.datastructures import MultiDict

    response = client.post(f"/schede/{entry_id}/modifica", data=MultiDict(data))
    if response.status_code != 302:
        body = response.get_data(as_text=True)
        problems = re.findall(r'class="invalid-feedback">([^<]+)<', body) + re.findall(
            r"<li>([^<]+)</li>", body)
        pytest.fail(f"{form.id}: salvataggio '{action}' rifiutato ({response.status_code}): "
                    f"{problems}")
    return response


def _new_sheet(client, case_id: int, form_id: str) -> int:
    page = client.get(f"/pratiche/{case_id}")
    assert page.status_code == 200
    response = client.post(f"/pratiche/{case_id}/schede/nuova",
                           data={"modulo": form_id, "csrf_token": csrf_from(page)})
    assert response.status_code == 302, f"{form_id} non si può aprire sulla pratica"
    return int(re.search(r"/schede/(\d+)/modifica", response.headers["Location"]).group(1))


@pytest.fixture
def case_for(db, world):
    """The office-A case, moved to an area where the form may be filled."""

    def case_for(form) -> dict:
        case_id = world["cases"]["A"]
        areas = form.definition.areas
        if areas:
            case_store.update(db, case_id, {"area": areas[0]}, None, None)
        return case_store.get(db, Scope(world["offices"]["A"]), case_id)

    return case_for


@pytest.fixture
def coordinator(world, client, auth):
    auth.login("coord_a")
    return client


def _stored(db, entry_id: int) -> dict:
    row = db.execute("SELECT data, status, rev FROM entries WHERE id = ?", [entry_id]).fetchone()
    import json

    return {"data": json.loads(row[0]), "status": row[1], "rev": row[2]}


def _visible_samples(db, app, form, case: dict, samples: dict) -> dict:
    """What a saved sheet must hold: the samples of the fields the sheet shows."""
    person = person_store.get(db, Scope(case["office_id"]), case["person_id"])
    context = evaluation_context(app.extensions["cartella.catalog"].parameters, case, person)
    state = form.settle(form.decode(form.encode(samples)), context)
    return {fid: value for fid, value in form.encode(state.values).items()
            if fid in samples and fid not in state.hidden}


def _texts(form, expected: dict) -> list[str]:
    """The sample texts (first line) of the visible text fields: what documents must show."""
    found = []
    for fid, f in form.fields.items():
        rows = expected.get(fid) if f.type == "repeat" else [{fid: expected.get(fid)}]
        subs = f.fields if f.type == "repeat" else [f]
        for row in rows or []:
            found += [row[s.id].splitlines()[0] for s in subs
                      if s.type in ("text", "textarea") and row.get(s.id)]
    return sorted(set(found))


@pytest.fixture
def filled(app, db, world, coordinator, case_for):
    """A sheet of the form filled with samples, saved as draft then as complete."""

    def filled(form_id: str, action_last: str = "completa") -> tuple:
        form = app.extensions["cartella.catalog"].forms[form_id]
        case = case_for(form)
        entry_id = _new_sheet(coordinator, case["id"], form_id)
        samples = _samples(form)
        _save(coordinator, entry_id, samples, form, "bozza")
        if action_last == "completa":
            _save(coordinator, entry_id, samples, form, "completa")
        return form, case, entry_id, _visible_samples(db, app, form, case, samples)

    return filled


@pytest.mark.parametrize("form_id", FORMS)
def test_every_form_fills_saves_reopens_and_shows_its_history(db, coordinator, filled, form_id):
    form, case, entry_id, expected = filled(form_id)
    saved = _stored(db, entry_id)
    assert saved["status"] == "completa" and saved["rev"] >= 2
    for fid, value in expected.items():
        if form.fields[fid].type == "repeat":
            computed = {s.id for s in form.fields[fid].fields if s.type == "computed"}
            value = [{k: v for k, v in row.items() if k not in computed} for row in value]
            got = [{k: v for k, v in row.items() if k not in computed}
                   for row in saved["data"][fid]]
            assert got == value, fid
        else:
            assert saved["data"][fid] == value, fid
    for url in (f"/schede/{entry_id}", f"/schede/{entry_id}/modifica"):
        page = coordinator.get(url)
        assert page.status_code == 200, url
        html = page.get_data(as_text=True)
        for text in _texts(form, expected):
            assert escape(text, quote=False) in html, (url, text)
    history = coordinator.get(f"/schede/{entry_id}/revisioni?da=1&a=2")
    assert history.status_code == 200
    html = history.get_data(as_text=True)
    assert "Differenze tra la revisione 1 e la 2" in html
    assert any(escape(text, quote=False) in html for text in _texts(form, expected))


@pytest.mark.parametrize("form_id", ["segnalazione_tm", "monitoraggio"])
def test_an_empty_draft_is_saved(db, coordinator, case_for, app, form_id):
    form = app.extensions["cartella.catalog"].forms[form_id]
    entry_id = _new_sheet(coordinator, case_for(form)["id"], form_id)
    _save(coordinator, entry_id, {}, form, "bozza")
    assert _stored(db, entry_id)["rev"] == 2
    assert coordinator.get(f"/schede/{entry_id}").status_code == 200


# --- documents -----------------------------------------------------------------------------

def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    for section in document.sections:
        for part in (section.header, section.footer):
            parts += [p.text for p in part.paragraphs]
            for table in part.tables:
                parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _xlsx_text(content: bytes) -> str:
    workbook = load_workbook(io.BytesIO(content))
    return "\n".join(str(cell.value) for sheet in workbook.worksheets
                     for row in sheet.iter_rows() for cell in row if cell.value is not None)


def _pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "documento.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def _produce(client, entry_id: int, template: dict, fmt: str):
    if template.get("across_cases"):
        page = client.get("/documenti/registri")
        return client.post("/documenti/registri", data={
            "modello": template["id"], "formato": fmt, "csrf_token": csrf_from(page)})
    page = client.get(f"/schede/{entry_id}")
    return client.post(f"/schede/{entry_id}/documenti/{template['id']}",
                       data={"formato": fmt, "csrf_token": csrf_from(page)})


RENDERINGS = [(t, fmt) for _, t in TEMPLATES for fmt in t.get("formats", [])]


@pytest.mark.parametrize("template,fmt", RENDERINGS,
                         ids=[f"{t['id']}-{fmt}" for t, fmt in RENDERINGS])
def test_every_template_renders_the_sample_values(coordinator, filled, tmp_path, template,
                                                  fmt):
    if fmt == "pdf" and not PDF:
        pytest.skip("LibreOffice o pdftotext non installati")
    form, case, entry_id, expected = filled(template["forms"][0])
    response = _produce(coordinator, entry_id, template, fmt)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    content = response.data
    text = {"docx": _docx_text, "xlsx": _xlsx_text}[fmt](content) if fmt != "pdf" else \
        _pdf_text(content, tmp_path)
    assert "None" not in text and "Undefined" not in text
    shown = [t for t in _texts(form, expected) if t in text]
    if template.get("across_cases"):  # a register: one row per case, named by its person
        shown += ["Rossi"] if "Rossi" in text else []
    assert shown, f"{template['id']}: nessun valore di prova nel documento"


# --- export and import back ----------------------------------------------------------------

def _export(client, form_id: str, tmp_path: Path) -> Path:
    response = client.get(f"/importazioni/esporta/{form_id}")
    assert response.status_code == 200
    path = tmp_path / f"{form_id}.xlsx"
    path.write_bytes(response.data)
    return path


def _counts(preview: str) -> dict[str, int]:
    """The counts of the wizard's preview page, by their Italian title."""
    return {title: int(number) for title, number in re.findall(
        r'<dt class="col-sm-4">([^<]+)</dt><dd class="col-sm-8">(\d+)</dd>', preview)}


def _web_import(client, path: Path, form_id: str, area: str, confirm: bool) -> dict[str, int]:
    """Through the wizard: upload, keep the suggested mapping, preview (and confirm)."""
    page = client.get("/importazioni/")
    upload = client.post("/importazioni/", data={
        "csrf_token": csrf_from(page), "modulo": form_id, "area": area,
        "file": (io.BytesIO(path.read_bytes()), path.name)}, content_type="multipart/form-data")
    assert upload.status_code == 302, upload.get_data(as_text=True)[:500]
    mapping_url = upload.headers["Location"]
    page = client.get(mapping_url)
    chosen = {}
    for name, options in re.findall(r'<select id="(colonna_\d+)"(.*?)</select>',
                                    page.get_data(as_text=True), re.S):
        picked = re.search(r'<option value="([^"]*)" selected', options)
        chosen[name] = picked.group(1) if picked else ""
    done = client.post(mapping_url, data={"csrf_token": csrf_from(page), **chosen})
    preview = client.get(done.headers["Location"])
    counts = _counts(unescape(preview.get_data(as_text=True)))
    if confirm:
        started = client.post(mapping_url.rsplit("/", 1)[0] + "/conferma",
                              data={"csrf_token": csrf_from(preview)})
        progress = started.headers["Location"]
        for _ in range(600):
            answer = client.get(progress, headers={"HX-Request": "true"})
            if answer.status_code != 200 or "HX-Redirect" in answer.headers:
                break
            time.sleep(0.05)
        assert "HX-Redirect" in answer.headers, "l'importazione non è finita"
    return counts


@pytest.mark.parametrize("form_id", FORMS)
def test_every_form_exports_and_imports_back_unchanged(app, db, coordinator, filled, tmp_path,
                                                       form_id):
    form, case, first, expected = filled(form_id)
    filled(form_id, action_last="bozza")  # a second sheet, a draft, of the same case
    path = _export(coordinator, form_id, tmp_path)

    untouched = _web_import(coordinator, path, form_id, case["area"], confirm=False)
    assert untouched["Righe di dati"] == 2 and untouched["Schede invariate"] == 2, untouched
    assert untouched["Schede da aggiornare"] == untouched["Schede da creare"] == 0, untouched

    text_field = next(f for fid, f in form.fields.items()
                      if f.type in ("text", "textarea") and expected.get(fid))
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    headers = [c.value for c in sheet[1]]
    column = next(i for i, h in enumerate(headers, start=1)
                  if h in (text_field.label_text(), f"{text_field.label_text()} [{text_field.id}]"))
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == first)
    sheet.cell(row, column).value = "Valore cambiato nel foglio"
    workbook.save(path)
    edited = _web_import(coordinator, path, form_id, case["area"], confirm=True)
    assert (edited["Schede invariate"], edited["Schede da aggiornare"]) == (1, 1), edited
    assert _stored(db, first)["data"][text_field.id] == "Valore cambiato nel foglio"


# --- the demonstration data ----------------------------------------------------------------

def test_every_demo_sheet_opens(app, db, client, auth):
    load_demo(db, password=PASSWORD, catalog=app.extensions["cartella.catalog"])
    failed = []
    for office in ("monza", "como"):
        auth.login(f"coord.{office}")
        office_id = office_store.by_code(db, office.upper())["id"]
        ids = [r[0] for r in db.execute("SELECT id FROM entries WHERE office_id = ? AND "
                                        "deleted_at IS NULL", [office_id])]
        assert ids
        for entry_id in ids:
            for url in (f"/schede/{entry_id}", f"/schede/{entry_id}/modifica"):
                status = client.get(url).status_code
                if status != 200:
                    failed.append((url, status))
        auth.logout()
    assert failed == []



# --- field ids and the web form's own names ------------------------------------------------

RESERVED_FORM = """\
id: prova_id
version: 1
title: Prova
phase: valutazione
sections:
  - id: generale
    title: Dati generali
    fields:
      - {id: nota, type: text, label: Nota}
      - {id: oggi, type: date, label: Data odierna}
"""


def test_check_refuses_an_id_that_expressions_already_use(tmp_path):
    from app.definitions import DefinitionError, load_library

    (tmp_path / "prova_id.yaml").write_text(RESERVED_FORM, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_library(tmp_path)
    [problem] = caught.value.problems
    assert problem.line == 10 and problem.field == "oggi"
    assert "riservato" in problem.message and "oggi_prova_id" in problem.message


@pytest.mark.parametrize("field_id", ["data", "errors", "meta", "validate", "process",
                                      "populate_obj", "form", "formdata", "obj", "prefix"])
def test_any_field_id_works_in_the_web_form(app, db, coordinator, case_for, field_id):
    """Ids that are names of WTForms' own members, top-level and inside a repeat row."""
    from app.definitions import Form
    from app.definitions.model import FormDef

    form = Form(FormDef.model_validate({
        "id": "prova_nomi", "version": 1, "title": "Prova", "phase": "valutazione",
        "sections": [{"id": "s", "title": "S", "fields": [
            {"id": field_id, "type": "text", "label": "In cima"},
            {"id": "righe", "type": "repeat", "label": "Righe", "fields": [
                {"id": field_id, "type": "text", "label": "Nella riga"}]}]}]}))
    from app.store import forms as form_store

    app.extensions["cartella.catalog"].library.forms[form.id] = form
    form_store.record(db, form.id, form.version, form.json(), form.sha256, "test")
    case = case_for(form)
    entry_id = _new_sheet(coordinator, case["id"], form.id)
    values = {field_id: "in cima", "righe": [{field_id: "riga uno"}, {field_id: "riga due"}]}
    _save(coordinator, entry_id, values, form, "bozza")
    assert _stored(db, entry_id)["data"] == values
    html = coordinator.get(f"/schede/{entry_id}/modifica").get_data(as_text=True)
    assert f'name="{field_id}" type="text" value="in cima"' in html
    assert f'name="righe-1-{field_id}" type="text" value="riga due"' in html
    empty = _new_sheet(coordinator, case["id"], form.id)
    _save(coordinator, empty, {}, form, "bozza")
    assert coordinator.get(f"/schede/{empty}").status_code == 200


def test_a_hidden_amount_is_not_counted_in_the_total_nor_changed_by_a_round_trip(
        app, db, coordinator, case_for, tmp_path):
    """misura_b2: the voucher typed, then the voucher unticked: the saved total is the
    allowance alone, and the export imports back unchanged."""
    form = app.extensions["cartella.catalog"].forms["misura_b2"]
    case = case_for(form)
    entry_id = _new_sheet(coordinator, case["id"], "misura_b2")
    values = {**_samples(form), "sostegni_richiesti": ["buono_caregiver"],
              "importo_buono": "400.00", "importo_voucher": "250.00"}
    _save(coordinator, entry_id, values, form, "completa")
    saved = _stored(db, entry_id)["data"]
    assert saved["importo_voucher"] is None
    assert saved["totale_mensile"] == "400.00"
    page = coordinator.get(f"/schede/{entry_id}").get_data(as_text=True)
    assert "400,00 €" in page and "650,00" not in page
    path = _export(coordinator, "misura_b2", tmp_path)
    counts = _web_import(coordinator, path, "misura_b2", case["area"], confirm=False)
    assert counts["Schede invariate"] == 1 and counts["Schede da aggiornare"] == 0, counts
