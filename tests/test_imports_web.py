"""The import wizard through the Flask test client: what a staff member sees at each step,
what stays on disk and in the session when a file is refused or the wizard is left, and
that every step that changes something needs the CSRF token."""

import html
import io
import json
import re
import time
from pathlib import Path

import pytest

from app import store
from app.web.imports import PROGRESS
from tests import registers
from tests.conftest import csrf_from

GOOD = registers.ROSSI.cf
BAD = GOOD[:-1] + ("A" if GOOD[-1] != "A" else "B")


def register_csv(caregiver: str = "") -> bytes:
    cells = [["Codice fiscale", "Cognome", "Nome", "Data di nascita", "Numero di figli",
              "Codice fiscale del caregiver"],
             [GOOD, "Rossi", "Mario", "03/04/1941", "2", caregiver],
             [registers.VERDI.cf, "Verdi", "Anna", "30/01/1945", "1", ""]]
    return "\n".join(";".join(row) for row in cells).encode()


@pytest.fixture
def uploads(app) -> Path:
    return Path(app.instance_path) / "caricamenti"


@pytest.fixture
def staff(client, auth, world):
    auth.login("amm_a")
    return client


def pending(client) -> dict:
    """The open wizards, token -> state, as the server keeps them; none in the cookie."""
    with client.session_transaction() as session:
        assert "importazioni" not in session
    db = store.connect(client.application.config["DATABASE"])
    try:
        return {token: json.loads(state) for token, state in db.execute(
            "SELECT token, state FROM import_wizards").fetchall()}
    finally:
        db.conn.close()


def upload(client, content: bytes, name: str = "registro.csv", follow: bool = False, **extra):
    token = csrf_from(client.get("/importazioni/"))
    return client.post("/importazioni/", data={
        "csrf_token": token, "modulo": "prova", "area": "non_autosufficienza",
        "file": (io.BytesIO(content), name), **extra}, content_type="multipart/form-data",
        follow_redirects=follow)


def to_preview(client, content: bytes, **extra) -> tuple[str, str]:
    """Upload and keep the suggested mapping; return the token and the preview page."""
    mapping_url = upload(client, content, **extra).headers["Location"]
    token = mapping_url.split("/")[-2]
    page = client.get(mapping_url)
    form = {name: value for name, value in re.findall(
        r'<select id="(colonna_\d+)".*?<option value="([^"]*)" selected', page.get_data(
            as_text=True), re.S)}
    done = client.post(mapping_url, data={"csrf_token": csrf_from(page), **form})
    preview = client.get(done.headers["Location"])
    return token, html.unescape(preview.get_data(as_text=True))


def alert(response) -> str:
    text = html.unescape(response.get_data(as_text=True))
    return re.search(r'class="alert alert-\w+" role="\w+">(.*?)</div>', text, re.S).group(1)


@pytest.mark.parametrize("name, content, words", [
    ("registro.pdf", b"%PDF-1.4", "«registro.pdf»: formato non supportato (.pdf)"),
    ("registro.xlsx", registers.OLE_MAGIC + b"\0" * 600, "«registro.xlsx» è protetto da password"),
    ("registro.csv", b"Cognome;Nome\nRossi;Mar\0io\n", "«registro.csv»: il file contiene caratteri "
     "nulli"),
])
def test_a_refused_upload_leaves_nothing_behind(staff, uploads, name, content, words):
    page = upload(staff, content, name, follow=True)

    assert page.request.path == "/importazioni/"
    assert alert(page).startswith(words)
    assert list(uploads.iterdir()) == []
    assert pending(staff) == {}


def test_preview_names_the_bad_codice_fiscale_in_one_sentence(staff):
    _token, preview = to_preview(staff, register_csv(caregiver=BAD))

    row = re.search(r"<tr><td>2</td><td>non valida</td><td>(.*?)</td></tr>", preview).group(1)
    assert row == (f"«Codice fiscale del caregiver»: Codice fiscale «{BAD}» non valido: il "
                   "carattere di controllo finale non corrisponde agli altri (un carattere è "
                   "scritto male).")


def wait_for(client, url: str, headers: dict):
    for _ in range(100):
        answer = client.get(url, headers=headers)
        if answer.status_code != 200 or "HX-Redirect" in answer.headers:
            return answer
        time.sleep(0.05)
    raise AssertionError("the import did not end")


def test_the_polled_progress_moves_to_the_report_with_hx_redirect(staff, uploads):
    token, preview = to_preview(staff, register_csv())
    assert "Schede da creare" in preview

    started = staff.post(f"/importazioni/{token}/conferma",
                         data={"csrf_token": csrf_from(staff.get("/importazioni/"))})
    progress = started.headers["Location"]
    answer = wait_for(staff, progress, {"HX-Request": "true"})

    assert answer.status_code == 200 and answer.get_data() == b""
    report = answer.headers["HX-Redirect"]
    assert re.fullmatch(r"/importazioni/\d+", report)
    assert PROGRESS[token]["import_id"] == int(report.rsplit("/", 1)[1])
    page = staff.get(report)
    assert "Schede create" in page.get_data(as_text=True)
    # Without htmx (a reload), the same finished job is a plain redirect.
    assert staff.get(progress).headers["Location"] == report
    assert list(uploads.iterdir()) == [] and pending(staff) == {}


@pytest.mark.parametrize("change, words", [
    (lambda path: path.unlink(), "«registro.csv» non è più disponibile: caricalo di nuovo."),
    (lambda path: path.write_bytes(b"Cognome\0;Nome\n"), "«registro.csv»: il file contiene "
     "caratteri nulli"),
])
def test_confirm_of_a_file_gone_or_spoiled_since_the_preview_says_so(staff, uploads, db, change,
                                                                    words):
    token, _preview = to_preview(staff, register_csv())
    change(next(uploads.iterdir()))

    page = staff.post(f"/importazioni/{token}/conferma",
                      data={"csrf_token": csrf_from(staff.get("/importazioni/"))},
                      follow_redirects=True)

    assert page.status_code == 200 and page.request.path == "/importazioni/"
    assert alert(page).startswith(words)
    assert token not in PROGRESS
    assert list(uploads.iterdir()) == [] and pending(staff) == {}
    assert db.execute("SELECT COUNT(*) FROM imports").fetchone()[0] == 0


@pytest.mark.parametrize("step", ["mapping", "preview"])
def test_cancel_deletes_the_upload(staff, uploads, step):
    if step == "mapping":
        mapping_url = upload(staff, register_csv()).headers["Location"]
        token, page = mapping_url.split("/")[-2], staff.get(mapping_url)
    else:
        token, _preview = to_preview(staff, register_csv())
        page = staff.get(f"/importazioni/{token}/anteprima")
    assert f'formaction="/importazioni/{token}/abbandona"' in page.get_data(as_text=True)

    left = staff.post(f"/importazioni/{token}/abbandona", data={"csrf_token": csrf_from(page)},
                      follow_redirects=True)

    assert alert(left) == ("Importazione di «registro.csv» abbandonata: il file caricato è "
                           "stato eliminato.")
    assert list(uploads.iterdir()) == [] and pending(staff) == {}
    again = staff.post(f"/importazioni/{token}/abbandona", data={"csrf_token": csrf_from(page)})
    assert again.status_code == 302


def test_every_step_that_changes_something_needs_the_csrf_token(staff, uploads, db):
    refused = staff.post("/importazioni/", data={
        "modulo": "prova", "file": (io.BytesIO(register_csv()), "registro.csv")},
        content_type="multipart/form-data")
    assert refused.status_code == 400 and "CSRF" in refused.get_data(as_text=True)
    assert not uploads.exists() or list(uploads.iterdir()) == []

    token, _preview = to_preview(staff, register_csv())
    chosen = pending(staff)[token]["mapping"]
    for step in ("mappa", "conferma", "abbandona"):
        answer = staff.post(f"/importazioni/{token}/{step}", data={"colonna_0": ""})
        assert answer.status_code == 400, step
    assert pending(staff)[token]["mapping"] == chosen  # the mapping was not changed
    assert token not in PROGRESS  # no import started
    assert len(list(uploads.iterdir())) == 1  # the upload is still there
    assert db.execute("SELECT COUNT(*) FROM imports").fetchone()[0] == 0
    assert staff.post("/importazioni/1/annulla").status_code == 400


def selected(page) -> dict[str, str]:
    """Column header -> the field chosen for it on the mapping page ("" when ignored)."""
    text = html.unescape(page.get_data(as_text=True))
    result = {}
    for header, options in re.findall(r'<th scope="row">(.*?)</th>.*?<select id="colonna_\d+"'
                                      r'[^>]*>(.*?)</select>', text, re.S):
        found = re.search(r'<option value="([^"]*)" selected', options)
        result[header] = found.group(1) if found else ""
    return result


def test_a_saved_mapping_sets_the_columns_and_a_wrong_one_is_refused(staff, uploads):
    """Next month's file: the mapping downloaded from the preview is uploaded with it, and
    the columns come out as they were confirmed, even where the suggestion differs."""
    saved = ("modulo: prova\ncolonne:\n  Codice fiscale: persona.codice_fiscale\n  Cognome: "
             "persona.cognome\n  Nome: persona.nome\n  Numero di figli: null\n")
    token = csrf_from(staff.get("/importazioni/"))
    sent = staff.post("/importazioni/", data={
        "csrf_token": token, "modulo": "prova", "area": "non_autosufficienza",
        "file": (io.BytesIO(register_csv()), "registro.csv"),
        "mappa": (io.BytesIO(saved.encode()), "mappatura.yaml")},
        content_type="multipart/form-data")
    page = staff.get(sent.headers["Location"])

    columns = selected(page)
    assert columns["Codice fiscale"] == "persona.codice_fiscale"
    assert columns["Numero di figli"] == ""  # the saved mapping ignores it
    assert "Colonne impostate dalla mappatura salvata" in page.get_data(as_text=True)

    other = staff.post("/importazioni/", data={
        "csrf_token": token, "modulo": "prova", "area": "non_autosufficienza",
        "file": (io.BytesIO(register_csv()), "registro.csv"),
        "mappa": (io.BytesIO(b"modulo: misura_b1\ncolonne: {}\n"), "b1.yaml")},
        content_type="multipart/form-data", follow_redirects=True)
    assert alert(other) == ("La mappatura «b1.yaml» è del modulo «misura_b1», non di quello "
                            "scelto («Scheda di prova»).")


def test_uploads_left_behind_are_deleted_after_a_day(staff, uploads):
    """A wizard left half-way (the tab closed): its upload goes with the next upload after
    24 hours; a recent one stays."""
    import os

    upload(staff, register_csv())
    left = next(uploads.iterdir())
    day_old = time.time() - 25 * 3600
    os.utime(left, (day_old, day_old))
    upload(staff, register_csv())
    recent = next(p for p in uploads.iterdir() if p != left)

    upload(staff, register_csv())

    assert not left.exists() and recent.exists()
    assert len(list(uploads.iterdir())) == 2


def test_a_failure_in_the_background_is_told_in_plain_italian(staff, uploads, db, monkeypatch):
    """Something unforeseen while writing: the progress page says nothing was written and
    what to do, not the program's own words; the upload stays, to try again."""
    from app.web import imports as wizard

    def broken(*args, **kwargs):
        raise RuntimeError("disk I/O error at page 4711")

    monkeypatch.setattr(wizard, "commit", broken)
    token, _preview = to_preview(staff, register_csv())
    staff.post(f"/importazioni/{token}/conferma",
               data={"csrf_token": csrf_from(staff.get("/importazioni/"))})
    for _ in range(100):
        if PROGRESS[token]["error"]:
            break
        time.sleep(0.05)

    page = html.unescape(staff.get(f"/importazioni/{token}/avanzamento").get_data(as_text=True))

    assert ("L'importazione non è andata a buon fine e nulla è stato scritto: errore imprevisto "
            "(è stato registrato per l'amministratore). Riprova; se si ripete, avvisa "
            "l'amministratore") in page
    assert "disk I/O" not in page
    assert db.execute("SELECT COUNT(*) FROM imports").fetchone()[0] == 0
    assert len(list(uploads.iterdir())) == 1


def test_the_wizard_asks_who_manages_the_cases_it_opens(staff, world, db, client, auth):
    """Cases opened by an import get the case manager chosen on the first page, so that
    social worker sees them at once; a manager of another office is refused."""
    as_a, as_b = world["users"]["as_a"], world["users"]["as_b"]
    assert 'name="case_manager"' in staff.get("/importazioni/").get_data(as_text=True)
    refused = upload(staff, register_csv(), follow=True, case_manager=str(as_b))
    assert "non è un assistente sociale o un coordinatore attivo" in html.unescape(
        refused.get_data(as_text=True))
    assert pending(staff) == {}

    token, _preview = to_preview(staff, register_csv(), case_manager=str(as_a))
    started = staff.post(f"/importazioni/{token}/conferma",
                         data={"csrf_token": csrf_from(staff.get("/importazioni/"))})
    wait_for(staff, started.headers["Location"], {"HX-Request": "true"})
    managers = {row["cognome"]: row["manager_id"] for row in db.query(
        "SELECT p.cognome, c.manager_id FROM cases c JOIN persons p ON p.id = c.person_id "
        "WHERE c.office_id = ?", [world["offices"]["A"]])}
    assert managers["Verdi"] == as_a  # opened by the import
    auth.logout()
    auth.login("as_a")
    assert "Verdi" in client.get("/pratiche/").get_data(as_text=True)
