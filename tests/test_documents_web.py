"""Documents in the app: generate from a sheet, archive, download again, privacy, PDF."""

import hashlib
import io
import re
import subprocess

import pytest
from docx import Document
from openpyxl import load_workbook

from app.store import audit
from tests.conftest import Auth, csrf_from
from tests.test_entries import COMPLETE, _post


def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs]
    return "\n".join(parts)


def _generate(client, url_page, url_post, fmt):
    page = client.get(url_page)
    return client.post(url_post, data={"csrf_token": csrf_from(page), "formato": fmt})


def test_docx_from_a_complete_sheet(client, sheet, db):
    _post(client, sheet, "completa", **{**COMPLETE, "giudizio_professionale": "riservato"})
    response = _generate(client, f"/schede/{sheet}", f"/schede/{sheet}/documenti/relazione_prova",
                         "docx")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert "Relazione - Rossi Mario -" in disposition and disposition.endswith('.docx"') or \
        ".docx" in disposition
    text = _docx_text(response.data)
    assert "Persona: Rossi Mario, nata il 03/04/1941" in text
    assert "ISEE: 12.345,60 €" in text
    assert "☒ SAD" in text and "☐ ADI" in text and "☒ Pasti a domicilio" in text
    assert "Familiare: Anna Rossi (Figlio/a)" in text
    assert "Vive solo.\nFiglia vicina: D'Angelo & C. <bene>" in text
    assert "Ufficio A" in text
    assert not text.startswith("BOZZA")
    row = list(db.query("SELECT * FROM documents"))[0]
    assert row["sha256"] == hashlib.sha256(response.data).hexdigest()
    assert row["entry_id"] == sheet and row["entry_rev"] == 2 and row["draft"] == 0
    assert len(row["template_sha256"]) == 64


def test_draft_sheet_gives_a_document_marked_bozza(client, sheet):
    response = _generate(client, f"/schede/{sheet}", f"/schede/{sheet}/documenti/relazione_prova",
                         "docx")
    assert _docx_text(response.data).startswith("BOZZA")


def test_archive_downloads_byte_for_byte_and_audits(client, sheet, world, db):
    _post(client, sheet, "completa", **COMPLETE)
    generated = _generate(client, f"/schede/{sheet}",
                          f"/schede/{sheet}/documenti/relazione_prova", "docx").data
    _post(client, sheet, "completa", **{**COMPLETE, "isee": "99,00"})
    case_page = client.get(f"/pratiche/{world['cases']['A']}").get_data(as_text=True)
    assert "Documenti prodotti" in case_page and "Relazione - Rossi Mario" in case_page
    document_id = int(re.search(r"/documenti/(\d+)", case_page).group(1))
    again = client.get(f"/documenti/{document_id}")
    assert again.data == generated
    actions = {r["action"] for r in db.query(
        "SELECT action FROM audit_log WHERE object_type = 'document'")}
    assert {"generate", "download"} <= actions


def test_xlsx_from_the_case_keeps_types_and_formulas(client, sheet, world):
    _post(client, sheet, "completa", **{**COMPLETE, "familiari-1-nome": "=1+1",
                                        "familiari-1-parentela": "fratello"})
    response = _generate(client, f"/schede/{sheet}",
                         f"/schede/{sheet}/documenti/familiari_prova", "xlsx")
    assert response.status_code == 200
    sheet_xlsx = load_workbook(io.BytesIO(response.data)).active
    assert sheet_xlsx["A1"].value == "Familiari di Rossi"
    assert sheet_xlsx["A3"].value == "Anna Rossi" and sheet_xlsx["B3"].value == "Figlio/a"
    assert sheet_xlsx["A4"].value == "=1+1" and sheet_xlsx["A4"].data_type == "s"
    assert sheet_xlsx["C3"].value == pytest.approx(12345.6)
    assert sheet_xlsx["C5"].value == "=SUM(C3:C4)"


def test_staff_documents_leave_out_sensitive_sections(app, client, sheet, world):
    _post(client, sheet, "completa", **{**COMPLETE, "giudizio_professionale": "sospetto abuso"})
    mine = _generate(client, f"/schede/{sheet}", f"/schede/{sheet}/documenti/relazione_prova",
                     "docx")
    assert "Giudizio: sospetto abuso" in _docx_text(mine.data)
    staff = app.test_client()
    Auth(staff).login("amm_a")
    response = _generate(staff, f"/schede/{sheet}", f"/schede/{sheet}/documenti/relazione_prova",
                         "docx")
    assert response.status_code == 200
    text = _docx_text(response.data)
    assert "Rossi Mario" in text and "sospetto abuso" not in text


def test_other_office_cannot_generate_or_download(app, client, sheet, world, db):
    _generate(client, f"/schede/{sheet}", f"/schede/{sheet}/documenti/relazione_prova", "docx")
    other = app.test_client()
    Auth(other).login("coord_b")
    page = other.get("/")
    assert other.post(f"/schede/{sheet}/documenti/relazione_prova",
                      data={"csrf_token": csrf_from(page), "formato": "docx"}).status_code == 404
    assert other.get("/documenti/1").status_code == 404


def test_archived_documents_cannot_be_changed(db, client, sheet):
    import sqlite3

    _generate(client, f"/schede/{sheet}", f"/schede/{sheet}/documenti/relazione_prova", "docx")
    with pytest.raises(sqlite3.IntegrityError, match="conservati come inviati"):
        db.execute("UPDATE documents SET filename = 'x'")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("DELETE FROM documents")
    assert audit.count(db) > 0


def test_pdf_is_hidden_without_libreoffice(client, sheet, monkeypatch):
    from app.documents import pdf

    monkeypatch.setattr(pdf, "soffice", lambda: None)
    html = client.get(f"/schede/{sheet}").get_data(as_text=True)
    assert "Il formato PDF non è disponibile" in html
    assert 'value="pdf"' not in html
    response = _generate(client, f"/schede/{sheet}", f"/schede/{sheet}/documenti/relazione_prova",
                         "pdf")
    assert response.status_code == 404


@pytest.mark.skipif(not __import__("shutil").which("soffice"), reason="LibreOffice assente")
def test_pdf_opens_in_a_real_office_suite(client, sheet, tmp_path):
    _post(client, sheet, "completa", **COMPLETE)
    response = _generate(client, f"/schede/{sheet}", f"/schede/{sheet}/documenti/relazione_prova",
                         "pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    target = tmp_path / "doc.pdf"
    target.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Rossi Mario" in text and "12.345,60" in text
