"""Archived documents keep the sensitivity of what they show (issue 9, item 2).

With the shipped forms and templates: a social worker fills a segnalazione_tm whose sensitive
section (the risk assessment of a child) holds a marker text, and produces the document;
staff must never list it, download it, or find the text in a ZIP or register they make.
"""

import io
import random
import re
import shutil
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook

from app import create_app, sheets
from app.demo_sheets import sample_values
from app.store import cases, entries, persons
from tests.conftest import Auth, csrf_from

ROOT = Path(__file__).resolve().parent.parent
MARKER = "Rischio-Riservato-7Q2X"
REGISTER = """
- id: registro_tutela
  title: "Registro delle segnalazioni"
  kind: register
  file: registro_tutela.xlsx
  forms: [segnalazione_tm]
  across_cases: true
  filename: "Registro segnalazioni - {{ ufficio.nome }}.xlsx"
  formats: [xlsx]
"""


@pytest.fixture
def app(tmp_path):
    """The shipped forms and templates, plus a register that prints the risk assessment."""
    spreadsheets = tmp_path / "spreadsheets"
    shutil.copytree(ROOT / "spreadsheets", spreadsheets)
    workbook = Workbook()
    sheet = workbook.active
    sheet["A1"] = "{{ ufficio.nome }}"
    sheet["A3"] = "{% for p in pratiche %}{{ p.persona.cognome }}"
    sheet["B3"] = "{{ p.schede.segnalazione_tm.motivazione_rischio }}"
    workbook.save(spreadsheets / "registro_tutela.xlsx")
    with open(spreadsheets / "catalogo.yaml", "a", encoding="utf-8") as catalog:
        catalog.write(REGISTER)
    return create_app({"INSTANCE_PATH": tmp_path / "instance", "TESTING": True,
                       "FORMS_DIR": str(ROOT / "forms"),
                       "DOC_TEMPLATES_DIR": str(ROOT / "doc_templates"),
                       "SPREADSHEETS_DIR": str(spreadsheets)})


def _fill(app, db, case: dict, person: dict, form_id: str, user_id: int, **changes) -> int:
    """A complete sheet with plausible values and the given ones, saved by the user."""
    catalog = app.extensions["cartella.catalog"]
    form = catalog.forms[form_id]
    values = sample_values(form, sheets.prefill(db, catalog, form, case, person),
                           random.Random(7))
    values = form.decode(form.encode({**values, **changes}))
    result = sheets.check_submission(form, values, {}, sheets.context(catalog, case, person),
                                     True, set())
    assert result.ok, result.errors
    return entries.create(db, case, form_id, form.version, form.encode(result.values), user_id,
                          status="completa")


@pytest.fixture
def child(app, db, world):
    """A child's case in office A (managed by as_a) with a segnalazione holding the marker."""
    office = world["offices"]["A"]
    person_id = persons.create(db, office, {"cognome": "Minorelli", "nome": "Giulia", "sesso": "F",
                                            "data_nascita": "2016-03-01"}, None)
    person = persons.get(db, _scope(office), person_id)
    case_id = cases.open_case(db, {"id": person_id, "office_id": office},
                              {"area": "minori_famiglia",
                               "manager_id": world["users"]["as_a"]}, [], None)
    case = cases.get(db, _scope(office), case_id)
    entry_id = _fill(app, db, case, person, "segnalazione_tm", world["users"]["as_a"],
                     livello_rischio="alto", motivazione_rischio=f"Motivo: {MARKER}",
                     fattori_protezione=f"Nonna presente ({MARKER})",
                     data_segnalazione=date(2026, 6, 3))
    return {"case": case_id, "entry": entry_id, "person": person}


def _scope(office_id):
    from app.store.scope import Scope

    return Scope(office_id=office_id)


def _all_text(content: bytes) -> str:
    """Every text inside a file, opening zips (docx, xlsx, a batch ZIP) down to the last one."""
    if not content.startswith(b"PK"):
        return content.decode("utf-8", errors="replace")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "\n".join(name + "\n" + _all_text(archive.read(name))
                         for name in archive.namelist())


def _produce(client, entry_id: int, template_id: str, fmt: str = "docx"):
    page = client.get(f"/schede/{entry_id}")
    return client.post(f"/schede/{entry_id}/documenti/{template_id}",
                       data={"csrf_token": csrf_from(page), "formato": fmt})


def _as(app, username: str):
    client = app.test_client()
    Auth(client).login(username)
    return client


def _produced_ids(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/documenti/(\d+)"', html)}


def test_staff_never_list_nor_download_a_document_with_sensitive_sections(app, db, world, child):
    worker = _as(app, "as_a")
    made = _produce(worker, child["entry"], "segnalazione_tm")
    assert made.status_code == 200 and MARKER in _all_text(made.data)
    document_id, filename, sensitive = db.execute(
        "SELECT id, filename, sensitive FROM documents ORDER BY id DESC LIMIT 1").fetchone()
    assert sensitive == 1

    staff = _as(app, "amm_a")
    case_page = staff.get(f"/pratiche/{child['case']}").get_data(as_text=True)
    assert "Documenti prodotti" in case_page
    assert document_id not in _produced_ids(case_page) and filename not in case_page
    refused = staff.get(f"/documenti/{document_id}")
    assert refused.status_code == 404 and MARKER not in refused.get_data(as_text=True)
    assert [dict(r) for r in db.query(
        "SELECT username, action FROM audit_log WHERE object_type = 'document' "
        "AND object_id = ? AND action IN ('refused', 'download')", [document_id])] == [
        {"username": "amm_a", "action": "refused"}]

    coordinator = _as(app, "coord_a")
    assert document_id in _produced_ids(
        coordinator.get(f"/pratiche/{child['case']}").get_data(as_text=True))
    again = coordinator.get(f"/documenti/{document_id}")
    assert again.status_code == 200 and again.data == made.data


def test_staff_produce_the_document_without_the_sensitive_sections(app, db, world, child):
    staff = _as(app, "amm_a")
    made = _produce(staff, child["entry"], "segnalazione_tm")
    assert made.status_code == 200
    text = _all_text(made.data)
    assert "Minorelli" in text and MARKER not in text
    document_id = db.execute("SELECT MAX(id) FROM documents").fetchone()[0]
    assert db.execute("SELECT sensitive FROM documents WHERE id = ?",
                      [document_id]).fetchone()[0] == 0
    assert document_id in _produced_ids(
        staff.get(f"/pratiche/{child['case']}").get_data(as_text=True))
    assert staff.get(f"/documenti/{document_id}").data == made.data


def test_a_document_that_reads_no_sensitive_field_stays_for_staff(app, db, world, child):
    """The mark follows what the template read, not what the case holds."""
    worker = _as(app, "as_a")
    office = world["offices"]["A"]
    case = cases.get(db, _scope(office), child["case"])
    entry_id = _fill(app, db, case, child["person"], "relazione_aggiornamento_ag",
                     world["users"]["as_a"], periodo_dal=date(2026, 1, 1),
                     periodo_al=date(2026, 6, 30))
    made = _produce(worker, entry_id, "relazione_aggiornamento_ag")
    assert made.status_code == 200 and MARKER not in _all_text(made.data)
    document_id = db.execute("SELECT MAX(id) FROM documents").fetchone()[0]
    staff = _as(app, "amm_a")
    assert document_id in _produced_ids(
        staff.get(f"/pratiche/{child['case']}").get_data(as_text=True))
    assert staff.get(f"/documenti/{document_id}").data == made.data


def _batch(client, template_id: str) -> tuple[int, bytes]:
    page = client.get("/documenti/serie")
    response = client.post("/documenti/serie", data={
        "csrf_token": csrf_from(page), "modello": template_id, "formato": "docx", "stato": ""})
    assert response.status_code == 302, response.get_data(as_text=True)
    url = response.headers["Location"]
    deadline = time.monotonic() + 120
    while "Scarica il file ZIP" not in client.get(url).get_data(as_text=True):
        assert time.monotonic() < deadline, "batch did not finish"
        time.sleep(0.5)
    job_id = int(re.search(r"/serie/(\d+)", url).group(1))
    return job_id, client.get(f"/documenti/serie/{job_id}/zip")


def test_batch_zip_of_staff_has_no_sensitive_text(app, db, world, child):
    coordinator = _as(app, "coord_a")
    job_id, zipped = _batch(coordinator, "segnalazione_tm")
    assert zipped.status_code == 200 and MARKER in _all_text(zipped.data)
    assert db.execute("SELECT sensitive FROM batch_jobs WHERE id = ?", [job_id]).fetchone()[0]

    staff = _as(app, "amm_a")
    staff_job, staff_zip = _batch(staff, "segnalazione_tm")
    assert staff_zip.status_code == 200
    text = _all_text(staff_zip.data)
    assert "Minorelli" in text and MARKER not in text
    # What the batches archived follows the same rule on the case page.
    listed = _produced_ids(staff.get(f"/pratiche/{child['case']}").get_data(as_text=True))
    marks = dict(db.execute("SELECT id, sensitive FROM documents WHERE case_id = ?",
                            [child["case"]]).fetchall())
    assert listed == {i for i, sensitive in marks.items() if not sensitive}
    assert sorted(marks.values()) == [0, 1]

    # A coordinator who became staff no longer takes the ZIP of sensitive documents.
    db.execute("UPDATE users SET role = 'staff' WHERE username = 'coord_a'")
    db.conn.commit()
    demoted = _as(app, "coord_a")
    refused = demoted.get(f"/documenti/serie/{job_id}/zip")
    assert refused.status_code == 404 and MARKER not in _all_text(refused.data)
    status = demoted.get(f"/documenti/serie/{job_id}").get_data(as_text=True)
    assert f"/documenti/serie/{job_id}/zip" not in status and "sezioni riservate" in status


def _register(client, template_id: str = "registro_tutela"):
    page = client.get("/documenti/registri")
    return client.post("/documenti/registri", data={
        "csrf_token": csrf_from(page), "modello": template_id, "formato": "xlsx"})


def test_registers_by_staff_hold_no_sensitive_values(app, db, world, child):
    coordinator = _as(app, "coord_a")
    theirs = _register(coordinator)
    assert theirs.status_code == 200 and MARKER in _all_text(theirs.data)
    theirs_id = db.execute("SELECT MAX(id) FROM documents").fetchone()[0]

    staff = _as(app, "amm_a")
    mine = _register(staff)
    assert mine.status_code == 200
    text = _all_text(mine.data)
    assert "Minorelli" in text and MARKER not in text
    mine_id = db.execute("SELECT MAX(id) FROM documents").fetchone()[0]
    listed = _produced_ids(staff.get("/documenti/registri").get_data(as_text=True))
    assert mine_id in listed and theirs_id not in listed
    refused = staff.get(f"/documenti/{theirs_id}")
    assert refused.status_code == 404 and MARKER not in _all_text(refused.data)
    assert theirs_id in _produced_ids(coordinator.get("/documenti/registri").get_data(as_text=True))


def test_older_documents_are_sensitive_unless_staff_made_them(tmp_path):
    """The migration marks what was archived before the mark existed."""
    from app import store
    from app.store import migrations, offices, users

    db = store.connect(str(tmp_path / "old.db"))
    saved = list(migrations.MIGRATIONS)
    migrations.MIGRATIONS[:] = saved[:[name for name, _ in saved].index("m010_docs_sensitive")]
    try:
        migrations.migrate(db)
        office = offices.create(db, "X", "Ufficio X")
        made_by = {role: users.create(db, f"u_{role}", "password-di-prova-1", role, office, role)
                   for role in ("staff", "social_worker")}
        for role, user_id in made_by.items():
            db["documents"].insert({
                "office_id": office, "template_id": "t", "template_sha256": "0", "format": "docx",
                "filename": f"{role}.docx", "draft": 0, "sha256": "0", "size": 1,
                "content": b"x", "created_by": user_id, "created_at": "2026-01-01"})
        db.conn.commit()
    finally:
        migrations.MIGRATIONS[:] = saved
    migrations.migrate(db)
    marks = dict(db.execute("SELECT filename, sensitive FROM documents").fetchall())
    assert marks == {"staff.docx": 0, "social_worker.docx": 1}
    triggers = {r[0] for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'documents'")}
    assert {"documents_no_update", "documents_no_delete"} <= triggers
    db.conn.close()
