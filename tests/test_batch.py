"""Many documents at once: mail merge with progress, registers, and `cartella render`."""

import io
import re
import shutil
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

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


def _job(app, fmt):
    from app.documents import batch

    return batch.Job(app.config["DATABASE"], app.config["FORMS_DIR"],
                     (app.config["DOC_TEMPLATES_DIR"], app.config["SPREADSHEETS_DIR"]),
                     "relazione_prova", fmt, None)


def _pdf_text(content: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True,
                          check=True).stdout.decode()


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice assente")
def test_pdf_mail_merge_keeps_the_others_when_one_fails(app, three_cases, monkeypatch, tmp_path):
    """PDFs of a chunk come from one LibreOffice run; a file it cannot read fails alone."""
    from app.documents import batch
    from app.documents.service import Documents

    render = Documents.render

    def broken_for_verdi(self, template, context):
        content = render(self, template, context)
        return b"PK\x03\x04" + b"x" * 100 if context["persona"]["cognome"] == "Verdi" \
            else content

    monkeypatch.setattr(Documents, "render", broken_for_verdi)  # inherited by forked workers
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    result = batch.run_batch(_job(app, "pdf"), three_cases, workers=1)
    archive = zipfile.ZipFile(io.BytesIO(result.zip_bytes))
    pdfs = [n for n in archive.namelist() if n.endswith(".pdf")]
    assert len(pdfs) == 1 and pdfs[0].startswith("Relazione - Rossi Mario - ")
    assert "Persona: Rossi Mario" in _pdf_text(archive.read(pdfs[0]))
    errors = archive.read("ERRORI.txt").decode()
    assert f"Verdi Ada (pratica {three_cases[1]}): PDF non prodotto" in errors
    assert f"Neri Ada (pratica {three_cases[2]}): nessuna scheda completa" in errors
    assert not list(tmp_path.glob("cartella-*")), "LibreOffice profiles left behind"


def test_pdf_conversion_stops_at_the_timeout(tmp_path, monkeypatch):
    """A LibreOffice that hangs is stopped, the user reads why in Italian, no folder is left."""
    from app.documents.pdf import PdfFailed, PdfPool

    fake = tmp_path / "bin" / "soffice"
    fake.parent.mkdir()
    # Like soffice, a wrapper that starts the real program as its child.
    fake.write_text(f"#!/bin/sh\n{shutil.which('sleep')} 60 &\necho $! > {tmp_path}/pid\nwait\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    pool = PdfPool(size=1, timeout=1)
    assert not list(tmp_path.glob("cartella-lo-*")), "a profile folder before any conversion"
    started = time.monotonic()
    with pytest.raises(PdfFailed, match="conversione in PDF oltre 1 secondi"):
        pool.convert(b"documento", ".docx")
    assert time.monotonic() - started < 30
    child = int((tmp_path / "pid").read_text())
    time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists() or \
        Path(f"/proc/{child}/stat").read_text().split()[2] == "Z", "the child still runs"
    assert len(list(tmp_path.glob("cartella-lo-*"))) == 1
    pool.close()
    assert not list(tmp_path.glob("cartella-*")), "LibreOffice folders left behind"


def test_docx_mail_merge_on_spawned_workers(app, three_cases):
    """As the web app runs it: spawned workers get the checked forms, not a reload."""
    import multiprocessing

    from app.documents import batch

    result = batch.run_batch(_job(app, "docx"), three_cases, workers=2,
                             mp_context=multiprocessing.get_context("spawn"),
                             documents=app.extensions["cartella.documents"])
    texts = {o.label: _docx_text(o.content) for o in result.done}
    assert "Persona: Rossi Mario" in texts[f"Rossi Mario (pratica {three_cases[0]})"]
    assert "ISEE: 1.000,00 €" in texts[f"Verdi Ada (pratica {three_cases[1]})"]
    assert [o.label for o in result.failed] == [f"Neri Ada (pratica {three_cases[2]})"]


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
