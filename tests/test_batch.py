"""Many documents at once: mail merge with progress, registers, and `cartella render`."""

import io
import re
import time
import zipfile

import pytest
from openpyxl import load_workbook

from app import cli
from app.store import cases, entries, persons
from tests.conftest import Auth, csrf_from
from tests.test_documents_web import _docx_text
from tests.test_entries import COMPLETE, _post


def _sheet(client, case_id, **values):
    page = client.get(f"/pratiche/{case_id}")
    response = client.post(f"/pratiche/{case_id}/schede/nuova",
                           data={"csrf_token": csrf_from(page), "modulo": "prova"})
    entry_id = int(re.search(r"/schede/(\d+)/", response.headers["Location"]).group(1))
    if values:
        assert _post(client, entry_id, "completa", **values).status_code == 302
    return entry_id


@pytest.fixture
def three_cases(db, world, client, auth):
    """Office A: Rossi (complete sheet), Verdi (complete), Neri (draft only)."""
    office = world["offices"]["A"]
    ids = [world["cases"]["A"]]
    for surname in ("Verdi", "Neri"):
        person = persons.create(db, office, {"cognome": surname, "nome": "Ada"}, None)
        ids.append(cases.open_case(db, {"id": person, "office_id": office},
                                   {"area": "anziani", "manager_id": world["users"]["as_a"]},
                                   [], None))
    auth.login("as_a")
    _sheet(client, ids[0], **COMPLETE)
    _sheet(client, ids[1], **{**COMPLETE, "cognome": "Verdi", "isee": "1.000"})
    _sheet(client, ids[2])
    return ids


def _wait(client, job_url, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        html = client.get(job_url).get_data(as_text=True)
        if "Scarica il file ZIP" in html or "si è interrotta" in html:
            return html
        time.sleep(0.5)
    raise AssertionError("batch did not finish")


def test_mail_merge_zip_with_progress(client, three_cases, db):
    page = client.get("/documenti/serie")
    assert "Relazione di prova" in page.get_data(as_text=True)
    response = client.post("/documenti/serie", data={
        "csrf_token": csrf_from(page), "modello": "relazione_prova", "formato": "docx",
        "stato": "aperta"})
    assert response.status_code == 302
    html = _wait(client, response.headers["Location"])
    assert "Completato: 2 documenti prodotti" in html and "<progress" in html
    job_id = int(re.search(r"/serie/(\d+)", response.headers["Location"]).group(1))
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/documenti/serie/{job_id}/zip").data))
    names = sorted(archive.namelist())
    assert len(names) == 2 and all(n.startswith("Relazione - ") for n in names)
    texts = [_docx_text(archive.read(n)) for n in names]
    assert any("Persona: Rossi Mario" in t for t in texts)
    assert any("ISEE: 1.000,00 €" in t for t in texts)
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 2


def test_a_failing_case_is_reported_by_name(client, three_cases, db, monkeypatch):
    from app.documents import batch

    job = batch.Job(client.application.config["DATABASE"],
                    client.application.config["FORMS_DIR"],
                    (client.application.config["DOC_TEMPLATES_DIR"],
                     client.application.config["SPREADSHEETS_DIR"]),
                    "relazione_prova", "docx", None)
    result = batch.run_batch(job, three_cases, workers=2)
    assert len(result.done) == 2
    assert [o.label for o in result.failed] == [f"Neri Ada (pratica {three_cases[2]})"]
    assert "nessuna scheda completa di prova" in result.failed[0].error
    assert "Neri Ada" in zipfile.ZipFile(io.BytesIO(result.zip_bytes)).read(
        "ERRORI.txt").decode()


def test_register_across_cases(app, client, three_cases):
    coordinator = app.test_client()
    Auth(coordinator).login("coord_a")
    page = coordinator.get("/documenti/registri")
    assert "Registro di prova" in page.get_data(as_text=True)
    response = coordinator.post("/documenti/registri", data={
        "csrf_token": csrf_from(page), "modello": "registro_prova", "formato": "xlsx",
        "stato": "aperta"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=3).value
            for r in (3, 4)}
    assert rows == {"Rossi": pytest.approx(12345.6), "Verdi": pytest.approx(1000.0)}
    assert sheet["C5"].value == "=SUM(C3:C4)"
    listing = coordinator.get("/documenti/registri").get_data(as_text=True)
    assert "Registro - A -" in listing


def test_registers_are_not_for_social_workers(client, three_cases):
    assert client.get("/documenti/registri").status_code == 403


def test_cartella_render_entry_and_cases(runner, app, three_cases, tmp_path, monkeypatch):
    from tests.conftest import FIXTURES

    monkeypatch.setenv("CARTELLA_FORMS", str(FIXTURES / "forms"))
    monkeypatch.setenv("CARTELLA_DOC_TEMPLATES", str(FIXTURES / "doc_templates"))
    monkeypatch.setenv("CARTELLA_SPREADSHEETS", str(FIXTURES / "spreadsheets"))
    target = tmp_path / "relazione.docx"
    result = runner.invoke(cli.main, ["render", "relazione_prova", "--entry", "1",
                                      "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert "Persona: Rossi Mario" in _docx_text(target.read_bytes())
    archive = tmp_path / "tutti.zip"
    result = runner.invoke(cli.main, ["render", "relazione_prova", "--cases", "all",
                                      "--office", "A", "-o", str(archive)])
    assert result.exit_code == 0, result.output
    assert "2 documenti" in result.output
    assert len(zipfile.ZipFile(archive).namelist()) == 2
    result = runner.invoke(cli.main, ["render", "inesistente", "--entry", "1"])
    assert result.exit_code != 0 and "modello 'inesistente' inesistente" in result.output
    assert entries.count(__import__("app").store.connect(app.config["DATABASE"])) == 3
