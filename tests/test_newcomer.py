"""What misled a newcomer (issue 10): conflicts, the case cycle, unassigned cases, the audit
log, new sheets, English labels, codici fiscali of another person."""

import re

import pytest

from app.store import entries
from app.store.scope import Scope
from tests.conftest import Auth, csrf_from


@pytest.fixture
def sheet(client, auth, world):
    """A new 'prova' sheet in office A's case, created and saved once by its social worker."""
    auth.login("as_a")
    page = client.get(f"/pratiche/{world['cases']['A']}")
    response = client.post(f"/pratiche/{world['cases']['A']}/schede/nuova",
                           data={"csrf_token": csrf_from(page), "modulo": "prova"})
    assert response.status_code == 302
    match = re.search(r"/schede/(\d+)", response.headers["Location"])
    if match:
        return int(match.group(1))
    return _first_save(client, response.headers["Location"])


def _first_save(client, location: str) -> int:
    """The new-sheet page is not stored yet: save it once to get an entry."""
    page = client.get(location)
    response = client.post(location, data={"csrf_token": csrf_from(page), "_azione": "bozza",
                                           "cognome": "Rossi"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/schede/(\d+)", response.headers["Location"]).group(1))


def _rev(html: str) -> str:
    return re.search(r'name="cartella_rev" value="(\d+)"', html).group(1)


def _save(client, entry_id, page, rev, **fields):
    return client.post(f"/schede/{entry_id}/modifica", data={
        "csrf_token": csrf_from(page), "cartella_rev": rev, "_azione": "bozza",
        "cognome": "Rossi", **fields})


def _stored(db, entry_id):
    office = entries.by_id(db, entry_id)["office_id"]
    return entries.get(db, Scope(office_id=office), entry_id)["data"]


# --- a. conflicts ---------------------------------------------------------------------------

def test_second_save_after_conflict_keeps_the_other_version(app, world, sheet, client, db):
    other = app.test_client()
    Auth(other).login("coord_a")
    mine = client.get(f"/schede/{sheet}/modifica")
    base = _rev(mine.get_data(as_text=True))
    theirs = other.get(f"/schede/{sheet}/modifica")
    assert _save(other, sheet, theirs, base, descrizione="Scritto dal coordinatore").status_code == 302
    response = _save(client, sheet, mine, base, figli="2")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "la scheda è stata salvata da COORD A, alle" in html
    # The other person's text is now in the form, not only in the panel.
    assert re.search(r'<textarea[^>]*name="descrizione"[^>]*>\s*Scritto dal coordinatore', html)
    seen = _rev(html)
    assert seen == str(int(base) + 1)
    # Pressing Save again on what is shown keeps both people's work.
    again = _save(client, sheet, mine, seen, figli="2", descrizione="Scritto dal coordinatore")
    assert again.status_code == 302
    data = _stored(db, sheet)
    assert data["descrizione"] == "Scritto dal coordinatore" and data["figli"] == 2


def test_a_save_on_an_old_revision_shows_the_merge_again(app, world, sheet, client, db):
    other = app.test_client()
    Auth(other).login("coord_a")
    mine = client.get(f"/schede/{sheet}/modifica")
    base = _rev(mine.get_data(as_text=True))
    _save(other, sheet, other.get(f"/schede/{sheet}/modifica"), base, descrizione="Prima")
    seen = _rev(_save(client, sheet, mine, base, figli="2").get_data(as_text=True))
    # The coordinator saves once more before the second press of Save.
    _save(other, sheet, other.get(f"/schede/{sheet}/modifica"), seen, descrizione="Seconda")
    response = _save(client, sheet, mine, seen, figli="2", descrizione="Prima")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Seconda" in html
    assert _stored(db, sheet)["descrizione"] == "Seconda"


def test_both_changed_the_same_field_shows_both_values(app, world, sheet, client):
    other = app.test_client()
    Auth(other).login("coord_a")
    mine = client.get(f"/schede/{sheet}/modifica")
    base = _rev(mine.get_data(as_text=True))
    _save(other, sheet, other.get(f"/schede/{sheet}/modifica"), base, figli="5")
    html = _save(client, sheet, mine, base, figli="3").get_data(as_text=True)
    assert "cambiati da entrambi" in html
    assert re.search(r"<td>Numero di figli</td><td[^>]*>—</td><td[^>]*>3</td><td[^>]*>5</td>",
                     html)
    assert re.search(r'name="figli"[^>]*value="3"', html)


def test_conflict_with_yourself_in_another_tab_says_so(world, sheet, client):
    first = client.get(f"/schede/{sheet}/modifica")
    second = client.get(f"/schede/{sheet}/modifica")
    base = _rev(first.get_data(as_text=True))
    assert _save(client, sheet, first, base, figli="1").status_code == 302
    html = _save(client, sheet, second, base, figli="4").get_data(as_text=True)
    assert "salvata da tu stesso" not in html
    assert "tu stesso, in un&#39;altra finestra" in html
    assert "un&#39;altra persona" not in html


def test_a_revision_that_never_existed_is_a_conflict_not_an_error(world, sheet, client):
    page = client.get(f"/schede/{sheet}/modifica")
    response = _save(client, sheet, page, "999", figli="2")
    assert response.status_code == 409
    assert "Il tuo salvataggio non è stato applicato" in response.get_data(as_text=True) or \
        "Il salvataggio di questa pagina non è stato applicato" in response.get_data(as_text=True)


# --- b. the case cycle moves with the sheets ------------------------------------------------

COMPLETE = {"cognome": "Rossi", "alimentazione": "5", "mobilita": "10", "invalidita": "no",
            "data_inizio": "01/05/2026", "data_fine": "30/06/2026"}


def _case_phase(db, case_id):
    return db.execute("SELECT fase FROM cases WHERE id = ?", [case_id]).fetchone()[0]


def test_completing_a_later_sheet_advances_the_case(client, world, sheet, db):
    case_id = world["cases"]["A"]
    assert _case_phase(db, case_id) == "accesso"
    page = client.get(f"/schede/{sheet}/modifica")
    response = client.post(f"/schede/{sheet}/modifica", data={
        "csrf_token": csrf_from(page), "cartella_rev": _rev(page.get_data(as_text=True)),
        "_azione": "completa", **COMPLETE}, follow_redirects=True)
    assert "La pratica passa alla fase Valutazione multidimensionale." in response.get_data(
        as_text=True)
    assert _case_phase(db, case_id) == "valutazione"
    html = client.get(f"/pratiche/{case_id}").get_data(as_text=True)
    assert re.search(r'aria-current="step">\s*<span class="fw-semibold">2\. Valutazione', html)


def test_a_draft_or_an_earlier_sheet_never_moves_the_case_back(client, world, sheet, db):
    case_id = world["cases"]["A"]
    page = client.get(f"/pratiche/{case_id}/modifica")
    client.post(f"/pratiche/{case_id}/modifica", data={
        "csrf_token": csrf_from(page), "area": "non_autosufficienza", "fase": "progettazione",
        "manager_id": str(world["users"]["as_a"])})
    assert _case_phase(db, case_id) == "progettazione"   # the manual override
    page = client.get(f"/schede/{sheet}/modifica")
    response = client.post(f"/schede/{sheet}/modifica", data={
        "csrf_token": csrf_from(page), "cartella_rev": _rev(page.get_data(as_text=True)),
        "_azione": "completa", **COMPLETE}, follow_redirects=True)
    assert "Scheda salvata come completa." in response.get_data(as_text=True)
    assert "La pratica passa" not in response.get_data(as_text=True)
    assert _case_phase(db, case_id) == "progettazione"


# --- c. cases without a case manager ---------------------------------------------------------

def test_unassigned_cases_are_listed_on_the_coordinators_home(client, auth, world, db):
    from app.store import cases

    orphan = cases.open_case(db, {"id": world["persons"]["A"], "office_id": world["offices"]["A"]},
                             {"area": "anziani"}, [], None)
    auth.login("coord_a")
    html = client.get("/").get_data(as_text=True)
    assert "Pratiche senza case manager: 1" in html
    assert f'href="/pratiche/{orphan}/modifica"' in html and "Assegna il case manager" in html
    listed = client.get("/pratiche/?senza_manager=1").get_data(as_text=True)
    assert f'href="/pratiche/{orphan}"' in listed
    assert f'href="/pratiche/{world["cases"]["A"]}"' not in listed
    page = client.get(f"/pratiche/{orphan}/modifica")
    response = client.post(f"/pratiche/{orphan}/modifica", data={
        "csrf_token": csrf_from(page), "area": "anziani", "fase": "accesso",
        "manager_id": str(world["users"]["as_a"])})
    assert response.status_code == 302
    assert "Pratiche senza case manager: 0" in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("as_a")
    assert f'href="/pratiche/{orphan}"' in client.get("/").get_data(as_text=True)


# --- d. the audit log in words ---------------------------------------------------------------

def _xlsx_rows(response):
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(response.data))
    return [[c for c in row] for row in book.active.iter_rows()]


def test_who_consulted_a_person_in_words(app, client, auth, world, sheet):
    person = world["persons"]["A"]
    client.get(f"/schede/{sheet}")
    auth.logout()
    auth.login("coord_a")
    html = client.get(f"/persone/{person}").get_data(as_text=True)
    assert f'href="/persone/{person}/accessi"' in html
    html = client.get(f"/persone/{person}/accessi").get_data(as_text=True)
    assert "Chi ha consultato i dati di Rossi Mario" in html
    assert "Scheda di prova di Rossi Mario" in html
    assert "AS A (as_a)" in html and "Consultazione" in html and "Creazione" in html
    assert "modulo: Scheda di prova" in html
    assert "entry" not in html.split("<main", 1)[-1]
    rows = _xlsx_rows(client.get(f"/persone/{person}/accessi?formato=xlsx"))
    texts = [[c.value for c in row] for row in rows]
    assert texts[0][0] == "Chi ha consultato i dati di Rossi Mario"
    assert any(r[1] == "AS A (as_a)" and r[4] == "Scheda di prova di Rossi Mario" for r in texts)
    printable = client.get(f"/persone/{person}/accessi?formato=stampa").get_data(as_text=True)
    assert "data-print" in printable and "Scheda di prova di Rossi Mario" in printable


def test_the_access_report_follows_the_access_rules(client, auth, world):
    person = world["persons"]["A"]
    auth.login("coord_b")
    assert client.get(f"/persone/{person}/accessi").status_code == 404
    auth.logout()
    auth.login("amm_a")
    assert client.get(f"/persone/{person}/accessi").status_code == 403


def test_admin_log_names_people_and_exports_text_as_text(client, auth, world, sheet, db):
    auth.logout()
    auth.login('=hyperlink("http://x")', "sbagliata")
    # A surname typed as a formula by whoever registered the person.
    db.execute("UPDATE persons SET nome = ? WHERE id = ?",
               ['=hyperlink("http://y")', world["persons"]["A"]])
    auth.login("coord_a")
    client.get(f"/persone/{world['persons']['A']}")
    auth.logout()
    auth.login("admin")
    html = client.get("/amministrazione/registro?codice_fiscale=rssmra41d03f205b"
                      ).get_data(as_text=True)
    assert "Scheda di prova di Rossi" in html and "Rossi" in html
    assert "<td>Accesso al sistema</td>" not in html   # only the events of that person
    assert "<td>Consultazione</td>" in html
    rows = _xlsx_rows(client.get("/amministrazione/registro?formato=xlsx"))
    failed = [r for r in rows if r[3].value == "Tentativo di accesso non riuscito"]
    # A name no user has is not kept (it may be a password typed in the wrong box).
    assert failed and failed[0][1].value.startswith("(utente sconosciuto ")
    formulas = [c for r in rows for c in r if isinstance(c.value, str) and "hyperlink" in c.value]
    assert formulas and all(c.data_type == "s" for c in formulas)
    assert not any("http://x" in c.value for c in formulas)


@pytest.mark.skipif(__import__("shutil").which("soffice") is None, reason="LibreOffice missing")
def test_access_report_as_pdf(client, auth, world, sheet):
    import subprocess

    auth.logout()
    auth.login("coord_a")
    response = client.get(f"/persone/{world['persons']['A']}/accessi?formato=pdf")
    assert response.mimetype == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True,
                          check=True).stdout.decode()
    assert "Chi ha consultato i dati di Rossi Mario" in text


# --- e. progress per document ------------------------------------------------------------------

from tests.test_batch import three_cases  # noqa: E402,F401 - a fixture


def test_batch_progress_moves_per_document(app, three_cases, monkeypatch):  # noqa: F811
    """Three cases in one chunk of one worker: the bar must not sit at 0 until the end."""
    import multiprocessing
    import time

    from app.documents import batch

    slow = batch.render_case

    def render_slowly(job, case_id):
        time.sleep(1.2)
        return slow(job, case_id)

    monkeypatch.setattr(batch, "render_case", render_slowly)   # inherited by a forked worker
    seen = []
    job = batch.Job(app.config["DATABASE"], app.config["FORMS_DIR"],
                    (app.config["DOC_TEMPLATES_DIR"], app.config["SPREADSHEETS_DIR"]),
                    "relazione_prova", "docx", None)
    batch.run_batch(job, three_cases, workers=1, progress=lambda done, total: seen.append(done),
                    mp_context=multiprocessing.get_context("fork"))
    assert seen[-1] == 3
    assert any(0 < done < 3 for done in seen), seen


# --- f. "Nuova scheda" then "Annulla" leaves nothing behind -----------------------------------

def _new_sheet(client, case_id):
    page = client.get(f"/pratiche/{case_id}")
    response = client.post(f"/pratiche/{case_id}/schede/nuova",
                           data={"csrf_token": csrf_from(page), "modulo": "prova"})
    return int(re.search(r"/schede/(\d+)", response.headers["Location"]).group(1))


def _cancel(client, entry_id):
    page = client.get(f"/schede/{entry_id}/modifica")
    assert f'formaction="/schede/{entry_id}/annulla"' in page.get_data(as_text=True)
    return client.post(f"/schede/{entry_id}/annulla", data={
        "csrf_token": csrf_from(page), "cognome": "Rossi"}, follow_redirects=True)


def test_cancelling_a_new_sheet_does_not_keep_it(client, auth, world, db):
    auth.login("as_a")
    case_id = world["cases"]["A"]
    entry_id = _new_sheet(client, case_id)
    html = _cancel(client, entry_id).get_data(as_text=True)
    assert "Scheda annullata" in html
    assert "nessuna scheda" in html and f"/schede/{entry_id}" not in html
    assert db.execute("SELECT COUNT(*) FROM entries").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM entry_revisions").fetchone()[0] == 0


def test_cancelling_a_saved_sheet_keeps_it(client, auth, world, db):
    auth.login("as_a")
    entry_id = _new_sheet(client, world["cases"]["A"])
    page = client.get(f"/schede/{entry_id}/modifica")
    client.post(f"/schede/{entry_id}/modifica", data={
        "csrf_token": csrf_from(page), "cartella_rev": "1", "_azione": "bozza",
        "cognome": "Rossi", "figli": "2"})
    response = _cancel(client, entry_id)
    assert "Scheda annullata" not in response.get_data(as_text=True)
    assert db.execute("SELECT rev FROM entries WHERE id = ?", [entry_id]).fetchone()[0] == 2


def test_someone_elses_new_sheet_is_not_discarded(app, client, auth, world, db):
    auth.login("as_a")
    entry_id = _new_sheet(client, world["cases"]["A"])
    other = app.test_client()
    Auth(other).login("coord_a")
    _cancel(other, entry_id)
    assert db.execute("SELECT COUNT(*) FROM entries WHERE id = ?", [entry_id]).fetchone()[0] == 1


# --- h. a codice fiscale of another person -----------------------------------------------------

def test_codice_fiscale_of_another_person_is_named_as_such(client, auth, world):
    """Rossi Mario's code typed for Verdi Giuseppe, same birth date and sex."""
    auth.login("amm_b")
    page = client.get("/persone/nuova")
    response = client.post("/persone/nuova", data={
        "csrf_token": csrf_from(page), "cognome": "Verdi", "nome": "Giuseppe", "sesso": "M",
        "data_nascita": "1941-04-03", "codice_fiscale": "RSSMRA41D03F205B"},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert ("Il cognome indicato («Verdi», lettere VRD) non corrisponde alle lettere del "
            "cognome nel codice fiscale (RSS)") in html
    assert "Il nome indicato («Giuseppe», lettere GPP) non corrisponde" in html
    assert "potrebbe essere di un&#39;altra persona" in html
    assert "data di nascita indicata" not in html   # the date agrees: only the letters differ


def test_the_letters_of_the_right_person_give_no_warning(client, auth, world):
    auth.login("coord_a")
    html = client.get(f"/persone/{world['persons']['A']}").get_data(as_text=True)
    assert "non corrisponde" not in html
    from app.people import check_cf

    with client.application.test_request_context():
        # DM 23/12/1976: a name of four or more consonants takes the 1st, 3rd and 4th (GFR).
        assert check_cf("RSSGFR80A01F205N", surname="Rossi", name="Gianfranco").warnings == []
        assert len(check_cf("RSSGFR80A01F205N", surname="Rossi", name="Gianni").warnings) == 1


# --- g. English ---------------------------------------------------------------------------------

def test_statuses_phases_and_titles_in_english(client, auth, world, sheet):
    page = client.get("/")
    client.post("/lingua/en", data={"csrf_token": csrf_from(page), "next": "/"})
    html = client.get(f"/pratiche/{world['cases']['A']}").get_data(as_text=True)
    assert ">open</span>" in html and ">aperta<" not in html
    assert "Care planning" in html and "(draft)" in html
    html = client.get(f"/schede/{sheet}").get_data(as_text=True)
    assert ">draft</span>" in html and "Test sheet" in html


def test_the_starter_library_has_english_section_titles():
    from app.definitions.loader import load_library

    library = load_library("forms")
    for form in library.forms.values():
        assert form.definition.title.get("en") != form.definition.title.get("it"), form.id
        for section in form.sections:
            assert section.title.get("en") != section.title.get("it") or section.title.get(
                "it") == "ISEE", (form.id, section.id)


def test_who_consulted_a_sheet(client, auth, world, sheet):
    client.get(f"/schede/{sheet}")
    auth.logout()
    auth.login("coord_a")
    html = client.get(f"/schede/{sheet}").get_data(as_text=True)
    assert f'href="/schede/{sheet}/accessi"' in html
    html = client.get(f"/schede/{sheet}/accessi").get_data(as_text=True)
    assert "Chi ha consultato la scheda «Scheda di prova» di Rossi Mario" in html
    assert "AS A (as_a)" in html and "COORD A (coord_a)" in html
    assert "Anagrafica di" not in html   # only the sheet's events
    rows = _xlsx_rows(client.get(f"/schede/{sheet}/accessi?formato=xlsx"))
    assert any(r[1].value == "AS A (as_a)" for r in rows)
    auth.logout()
    auth.login("amm_a")
    assert client.get(f"/schede/{sheet}/accessi").status_code == 403
