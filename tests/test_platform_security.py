"""Platform security (issue 9): audit privacy, file permissions, XML-illegal characters,
bad query parameters, immutable expressions, append-only tables, a database refusing writes."""

import io
import json
import os
import re
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook

from app import create_app, store
from app.store import audit, entries
from app.store.scope import Scope
from tests.conftest import FIXTURE_FORMS, FIXTURES, Auth, csrf_from


def _save(client, entry_id, action="bozza", **fields):
    page = client.get(f"/schede/{entry_id}/modifica")
    rev = re.search(r'name="cartella_rev" value="(\d+)"', page.get_data(as_text=True)).group(1)
    return client.post(f"/schede/{entry_id}/modifica", data={
        "csrf_token": csrf_from(page), "cartella_rev": rev, "_azione": action, **fields})


def _docx_text(content: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)


def _word(client, entry_id):
    page = client.get(f"/schede/{entry_id}")
    return client.post(f"/schede/{entry_id}/documenti/relazione_prova",
                       data={"csrf_token": csrf_from(page), "formato": "docx"})


# --- 4. the audit log keeps no personal data --------------------------------------------

def test_person_search_text_is_not_in_the_audit_log(client, auth, world, db, app):
    auth.login("amm_a")
    for typed in ("RSSMRA41D03F205B", "Rossi Mario"):
        assert "Rossi" in client.get("/persone/", query_string={"q": typed}).get_data(
            as_text=True)
    searches = [json.loads(r["detail"]) for r in db.query(
        "SELECT detail FROM audit_log WHERE action = 'search'")]
    assert searches == [
        {"ricerca": "codice fiscale", "caratteri": 16, "risultati": 1},
        {"ricerca": "nome", "caratteri": 11, "risultati": 1}]
    admin = app.test_client()
    Auth(admin).login("admin")
    page = admin.get("/amministrazione/registro").get_data(as_text=True)
    assert "ricerca" in page
    for secret in ("RSSMRA", "Rossi", "Mario"):
        assert secret not in page


def test_no_audit_detail_holds_what_users_typed(client, auth, world, db, sheet):
    """Saving, closing, searching: the log says what was done, never the text written."""
    _save(client, sheet, descrizione="Diagnosi riservatissima XYZ")
    page = client.get(f"/pratiche/{world['cases']['A']}")
    client.post(f"/pratiche/{world['cases']['A']}/chiudi", data={
        "csrf_token": csrf_from(page), "motivo_chiusura": "decesso",
        "data_chiusura": "2026-05-01"})
    client.get("/persone/", query_string={"q": "Rossi"})
    details = " ".join(r["detail"] for r in db.query("SELECT detail FROM audit_log"))
    assert "update" in {r["action"] for r in db.query("SELECT action FROM audit_log")}
    for secret in ("Diagnosi", "XYZ", "Rossi", "Mario", "RSSMRA41D03F205B"):
        assert secret not in details


def test_audit_details_never_keep_personal_values(db, app, world):
    """The store's safety net: a caller sending a name, a code or a file name gets a mark."""
    audit.append(db, "import", detail={"file": "Rossi Mario.xlsx", "q": "RSSMRA41D03F205B",
                                       "schede": 3})
    stored = json.loads(list(db.query("SELECT detail FROM audit_log ORDER BY id DESC"))[0]["detail"])
    assert stored == {"file": "(non registrato)", "q": "(non registrato)", "schede": 3}
    admin = app.test_client()
    Auth(admin).login("admin")
    assert admin.get("/amministrazione/registro",
                     query_string={"codice_fiscale": "RSSMRA41D03F205B"}).status_code == 200
    assert "RSSMRA" not in " ".join(r["detail"] for r in db.query("SELECT detail FROM audit_log"))


@pytest.mark.parametrize("proxies,logged", [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_forwarded_address_is_believed_only_behind_a_declared_proxy(tmp_path, proxies, logged):
    app = create_app({**_config(tmp_path / "instance"), "TRUSTED_PROXIES": proxies})
    db = store.connect(app.config["DATABASE"])
    from app.store import users

    users.create(db, "amministratore", "password-di-prova-1", "admin", None, "Admin")
    client = app.test_client()
    headers = {"X-Forwarded-For": "203.0.113.7"}
    page = client.get("/accesso", headers=headers)
    client.post("/accesso", headers=headers, data={
        "username": "amministratore", "password": "sbagliata", "csrf_token": csrf_from(page)})
    ips = {r["ip"] for r in db.query("SELECT ip FROM audit_log WHERE action LIKE 'login%'")}
    assert ips == {logged}


# --- 5. files on disk are private ---------------------------------------------------------

@pytest.fixture
def open_umask():
    """Run with the usual 022 umask, as a server would without Cartella's own."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _config(instance: Path) -> dict:
    return {"INSTANCE_PATH": instance, "FORMS_DIR": str(FIXTURE_FORMS),
            "DOC_TEMPLATES_DIR": str(FIXTURES / "doc_templates"),
            "SPREADSHEETS_DIR": str(FIXTURES / "spreadsheets")}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_instance_and_database_are_private(tmp_path, open_umask):
    instance = tmp_path / "instance"
    app = create_app(_config(instance))
    assert _mode(instance) == 0o700
    database = Path(app.config["DATABASE"])
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"),
                 instance / "secret_key"):
        assert _mode(path) == 0o600, path
    assert os.umask(0o022) == 0o077  # whatever the process writes next is private too


def test_world_readable_files_are_fixed_at_start(tmp_path, open_umask):
    instance = tmp_path / "instance"
    create_app(_config(instance))
    uploads = instance / "caricamenti"
    uploads.mkdir()
    (uploads / "registro.xlsx").write_bytes(b"x")
    for path in (instance, uploads):
        path.chmod(0o755)
    for path in (instance / "cartella.db", uploads / "registro.xlsx"):
        path.chmod(0o644)
    create_app(_config(instance))
    assert _mode(instance) == _mode(uploads) == 0o700
    assert _mode(instance / "cartella.db") == _mode(uploads / "registro.xlsx") == 0o600


def test_unfixable_permissions_are_one_clear_warning(tmp_path, monkeypatch, caplog):
    instance = tmp_path / "instance"
    create_app(_config(instance))
    (instance / "cartella.db").chmod(0o644)

    def refused(self, mode):
        raise PermissionError(self)

    monkeypatch.setattr(Path, "chmod", refused)
    create_app(_config(instance))
    warnings = [r.getMessage() for r in caplog.records if "cartella.db" in r.getMessage()]
    assert len(warnings) == 1
    assert "accessibile ad altri utenti" in warnings[0] and "644" in warnings[0]


def test_cli_backup_is_private(runner, app, tmp_path, open_umask):
    from app.cli import main

    target = tmp_path / "copia.db"
    result = runner.invoke(main, ["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert _mode(target) == 0o600


# --- 14. characters XML forbids -----------------------------------------------------------

def test_control_characters_typed_in_a_textarea_do_not_break_exports(client, auth, world,
                                                                     db, sheet, app):
    assert _save(client, sheet, descrizione="Riga\x0buno\x01 e\tdue\nfine",
                 cognome="Ros\x0csi").status_code == 302
    data = entries.get(db, Scope(office_id=world["offices"]["A"]), sheet)["data"]
    assert data["descrizione"] == "Rigauno e\tdue\nfine" and data["cognome"] == "Rossi"
    word = _word(client, sheet)
    assert word.status_code == 200 and "Rigauno e" in _docx_text(word.data)
    staff = app.test_client()
    Auth(staff).login("amm_a")
    export = staff.get("/importazioni/esporta/prova")
    assert export.status_code == 200
    cells = [c for row in load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True)
             for c in row if isinstance(c, str)]
    assert "Rigauno e\tdue\nfine" in cells


def test_control_characters_already_stored_do_not_break_exports(client, auth, world, db,
                                                                sheet, app):
    """Data saved before the fix (or written by another tool) is cleaned on the way out."""
    _save(client, sheet, descrizione="pulito")
    db.execute("UPDATE entries SET data = json_set(data, '$.descrizione', ?) WHERE id = ?",
               ["vecchio\x0btesto\x07", sheet])
    db.execute("UPDATE persons SET indirizzo = ? WHERE id = ?",
               ["Via\x0b Roma", world["persons"]["A"]])
    word = _word(client, sheet)
    assert word.status_code == 200 and "vecchiotesto" in _docx_text(word.data)
    staff = app.test_client()
    Auth(staff).login("amm_a")
    export = staff.get("/importazioni/esporta/prova")
    assert export.status_code == 200
    text = " ".join(str(c) for row in load_workbook(io.BytesIO(export.data)).active.iter_rows(
        values_only=True) for c in row)
    assert "vecchiotesto" in text and "\x0b" not in text


def test_strip_illegal_keeps_tabs_and_line_breaks():
    from app.definitions.fieldtypes.xmlsafe import strip_illegal

    assert strip_illegal("a\tb\nc\r\x00d\x1fe\x0b\ufffef") == "a\tb\nc\rdef"
    text = "niente da togliere"
    assert strip_illegal(text) is text


# --- 15. bad query parameters answer 4xx with the error page ----------------------------

@pytest.mark.parametrize("value", ["10" * 10, str(10**20), "-1", "0", "abc", "1e5", "²"])
def test_bad_page_numbers_are_400(client, auth, world, app, value):
    auth.login("coord_a")
    admin = app.test_client()
    Auth(admin).login("admin")
    for who, url in ((client, "/persone/"), (client, "/pratiche/"), (client, "/moduli/prova"),
                     (admin, "/amministrazione/registro")):
        response = who.get(url, query_string={"pagina": value})
        assert response.status_code == 400, url
        assert "Richiesta non valida" in response.get_data(as_text=True)
        assert "pagina" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/persone/{n}", "/pratiche/{n}", "/schede/{n}/revisioni",
                                 "/documenti/{n}", "/importazioni/{n}", "/documenti/serie/{n}"])
def test_an_id_beyond_the_database_is_404(client, auth, world, url):
    auth.login("coord_a")
    response = client.get(url.format(n=10**20))
    assert response.status_code == 404
    assert "Pagina non trovata" in response.get_data(as_text=True)


def test_a_far_page_is_just_empty(client, auth, world):
    auth.login("coord_a")
    response = client.get("/persone/", query_string={"pagina": "999999"})
    assert response.status_code == 200 and "RSSMRA41D03F205B" not in response.get_data(as_text=True)


def test_revision_out_of_range_is_400(client, sheet):
    _save(client, sheet, descrizione="prima")
    assert client.get(f"/schede/{sheet}/revisioni?da=1&a=2").status_code == 200
    for query in ("da=99", "a=0", "da=x", f"a={10**30}", "da=-3"):
        response = client.get(f"/schede/{sheet}/revisioni?{query}")
        assert response.status_code == 400, query
        assert "Richiesta non valida" in response.get_data(as_text=True)


@pytest.mark.parametrize("action", ["sconosciuta", "aggiungi_riga", "aggiungi_riga:nessuno",
                                    "rimuovi_riga:familiari:x", "aggiungi_riga:cognome",
                                    "rimuovi_riga:familiari:²"])
def test_unknown_row_action_on_live_update_is_400(client, sheet, action):
    page = client.get(f"/schede/{sheet}/modifica")
    response = client.post(f"/schede/{sheet}/aggiorna", data={
        "csrf_token": csrf_from(page), "_azione": action}, headers={"HX-Request": "true"})
    assert response.status_code == 400


def test_known_row_action_still_works(client, sheet):
    page = client.get(f"/schede/{sheet}/modifica")
    response = client.post(f"/schede/{sheet}/aggiorna", data={
        "csrf_token": csrf_from(page), "_azione": "aggiungi_riga:familiari"},
        headers={"HX-Request": "true"})
    assert response.status_code == 200 and "familiari-0-" in response.get_data(as_text=True)


# --- 16. expressions and templates cannot change shared data ------------------------------

def test_check_refuses_an_expression_that_changes_the_parameters(runner, tmp_path):
    from app.cli import main

    forms = tmp_path / "forms"
    shutil.copytree(FIXTURE_FORMS, forms)
    source = (forms / "prova.yaml").read_text()
    hostile = source.replace("expr: isee is not none and isee <= parametri.soglie.isee_max",
                             "expr: (parametri|dictsort|first)[1].clear()")
    assert hostile != source
    (forms / "prova.yaml").write_text(hostile)
    line = next(n for n, text in enumerate(hostile.splitlines(), 1) if ".clear()" in text)
    result = runner.invoke(main, ["check", "--forms", str(forms)])
    assert result.exit_code == 1
    assert f"prova.yaml:{line}" in result.output and "«clear»" in result.output


def test_expressions_run_read_only(app):
    from app.definitions.expressions import Expression
    from app.documents.values import text_environment
    from app.documents.word import environment

    parameters = app.extensions["cartella.catalog"].parameters
    rows = [{"a": 1}]
    for source in ("(parametri|dictsort|first)[1].clear()", "righe.append(1)",
                   "(righe|first).update(a=2)"):
        assert Expression(source).evaluate({"parametri": parameters, "righe": rows}) is None
    assert parameters["soglie"]["isee_max"] == 25000 and rows == [{"a": 1}]
    with pytest.raises(TypeError):
        parameters["soglie"]["isee_max"] = 0
    for env in (text_environment(), environment()):
        with pytest.raises(Exception, match="unsafe|modif"):
            env.from_string("{{ righe.append(2) }}").render(righe=rows)
    assert rows == [{"a": 1}]


def test_a_sheet_still_uses_the_parameters(client, sheet, db, world):
    _save(client, sheet, isee="1.000")
    data = entries.get(db, Scope(office_id=world["offices"]["A"]), sheet)["data"]
    assert data["sotto_soglia"] is True


# --- 17. append-only tables refuse REPLACE ----------------------------------------------

def _raw(app):
    return sqlite3.connect(app.config["DATABASE"], isolation_level=None)


def test_replace_cannot_rewrite_append_only_rows(client, sheet, app, db):
    _save(client, sheet, descrizione="prima")
    assert _word(client, sheet).status_code == 200
    conn = _raw(app)
    tables = {"audit_log": "SELECT * FROM audit_log WHERE id = 1",
              "documents": "SELECT id, sha256 FROM documents WHERE id = 1",
              "entry_revisions": "SELECT * FROM entry_revisions WHERE id = 1"}
    before = {t: conn.execute(q).fetchall() for t, q in tables.items()}
    assert all(before.values())
    attacks = [
        "REPLACE INTO audit_log (id, at, action, detail) VALUES (1, '2000-01-01', 'x', 'falso')",
        "INSERT OR REPLACE INTO audit_log (id, at, action) VALUES (1, '2000-01-01', 'x')",
        "REPLACE INTO documents (id, office_id, template_id, template_sha256, format, "
        "filename, sha256, size, content, created_at) "
        "SELECT id, office_id, template_id, template_sha256, format, filename, 'falso', 1, "
        "x'00', created_at FROM documents WHERE id = 1",
        "REPLACE INTO entry_revisions (entry_id, rev, form_version, status, data, at) "
        "SELECT entry_id, rev, form_version, status, '{}', at FROM entry_revisions WHERE id = 1",
        "UPDATE entry_revisions SET data = '{}' WHERE id = 1",
    ]
    for sql in attacks:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(sql)
    conn.execute("PRAGMA recursive_triggers = ON")
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(attacks[0])
    assert {t: conn.execute(q).fetchall() for t, q in tables.items()} == before
    conn.close()
    assert _save(client, sheet, descrizione="dopo").status_code == 302  # appends still work
    audit.append(db, "test")


# --- 19. a database that refuses writes ---------------------------------------------------

def _refusing_connect(monkeypatch, how: str):
    """Every new connection refuses writes: read-only (query_only, as root ignores file
    permissions) or full (no page may be added)."""
    real = store.connect

    def connect(path):
        db = real(path)
        if how == "readonly":
            db.execute("PRAGMA query_only = 1")
        else:
            pages = db.execute("PRAGMA page_count").fetchone()[0]
            db.execute(f"PRAGMA max_page_count = {pages}")
        return db

    monkeypatch.setattr(store, "connect", connect)


def test_serve_on_a_read_only_database_refuses_with_one_line(runner, app, monkeypatch):
    from app.cli import main

    _refusing_connect(monkeypatch, "readonly")
    result = runner.invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "non accetta scritture" in lines[0] and "Cartella non parte" in lines[0]
    assert "Traceback" not in result.output


@pytest.mark.parametrize("how", ["readonly", "full"])
def test_saving_on_a_refusing_database_says_so_and_keeps_the_text(client, sheet, monkeypatch,
                                                                  db, how):
    page = client.get(f"/schede/{sheet}/modifica")
    rev = re.search(r'name="cartella_rev" value="(\d+)"', page.get_data(as_text=True)).group(1)
    typed = "Relazione lunga scritta a mano. " * 4000 + "FINE-DEL-TESTO"
    _refusing_connect(monkeypatch, how)
    response = client.post(f"/schede/{sheet}/modifica", data={
        "csrf_token": csrf_from(page), "cartella_rev": rev, "_azione": "bozza",
        "descrizione": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Il database non accetta scritture" in html
    assert "non è stato salvato" in html
    assert "FINE-DEL-TESTO" in html
    monkeypatch.undo()
    stored = list(db.query("SELECT rev FROM entries WHERE id = ?", [sheet]))[0]["rev"]
    assert stored == int(rev)  # nothing half-written


def test_refusal_page_resends_the_same_form(client, sheet, monkeypatch, db):
    """Once the administrator frees the disk, 'Riprova a salvare' posts the same values."""
    page = client.get(f"/schede/{sheet}/modifica")
    rev = re.search(r'name="cartella_rev" value="(\d+)"', page.get_data(as_text=True)).group(1)
    _refusing_connect(monkeypatch, "readonly")
    html = client.post(f"/schede/{sheet}/modifica", data={
        "csrf_token": csrf_from(page), "cartella_rev": rev, "_azione": "bozza",
        "descrizione": "da riprovare"}).get_data(as_text=True)
    monkeypatch.undo()
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    assert fields["descrizione"] == "da riprovare" and fields["_azione"] == "bozza"
    assert client.post(f"/schede/{sheet}/modifica", data=fields).status_code == 302
    data = entries.get(db, Scope(office_id=1), sheet)["data"]
    assert data["descrizione"] == "da riprovare"


def test_not_writable_is_told_apart_from_other_errors(tmp_path):
    from app.store.health import not_writable

    conn = sqlite3.connect(tmp_path / "x.db")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("PRAGMA query_only = 1")
    with pytest.raises(sqlite3.OperationalError) as readonly:
        conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError) as typo:
        conn.execute("SELECT nope FROM t")
    assert not_writable(readonly.value) and not not_writable(typo.value)
    assert not not_writable(ValueError("disk"))


def test_template_lint_refuses_code_that_changes_data(tmp_path):
    from app.catalog import Catalog
    from app.definitions import load_library
    from app.documents.lint import lint_template
    from tests.test_documents_lint import _template

    template = _template(tmp_path, ["Intestazione", "{{ scheda.familiari.append(1) }}",
                                    "{% if scheda.servizi.clear() %}x{% endif %}"])
    problems = lint_template(template, Catalog(load_library(FIXTURE_FORMS)))
    assert [(p.line, "«append»" in p.message or "«clear»" in p.message) for p in problems] == [
        (2, True), (3, True)]


def test_a_control_character_stored_in_a_name_does_not_break_the_audit_export(client, auth,
                                                                              world, app, db):
    # Stored before the input filter existed: the export must still clean it on output.
    db.execute("UPDATE persons SET cognome = ? WHERE id = ?",
               ["mal\x0bintenzionato", world["persons"]["A"]])
    auth.login("coord_a")
    client.get(f"/persone/{world['persons']['A']}")
    admin = app.test_client()
    Auth(admin).login("admin")
    export = admin.get("/amministrazione/registro", query_string={"formato": "xlsx"})
    assert export.status_code == 200
    cells = [c for row in load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True)
             for c in row if isinstance(c, str)]
    assert any("malintenzionato" in c for c in cells)


def test_serve_with_an_unusable_instance_folder_refuses_with_one_line(runner, tmp_path,
                                                                      monkeypatch):
    from app.cli import main

    blocker = tmp_path / "un-file"
    blocker.write_text("non una cartella")
    monkeypatch.setenv("CARTELLA_INSTANCE", str(blocker / "istanza"))
    result = runner.invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Cartella non parte" in lines[0], result.output


def test_reading_on_a_read_only_database_says_what_happened(client, sheet, monkeypatch):
    """Every read is audited, so even a page view needs a write: say so, plainly."""
    _refusing_connect(monkeypatch, "readonly")
    response = client.get(f"/schede/{sheet}")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Il database non accetta scritture" in html and "Nessun dato è andato perso" in html


@pytest.mark.parametrize("rev", [str(10**20), "-5"])
def test_a_forged_revision_number_is_refused_not_a_500(client, sheet, db, rev):
    page = client.get(f"/schede/{sheet}/modifica")
    response = client.post(f"/schede/{sheet}/modifica", data={
        "csrf_token": csrf_from(page), "cartella_rev": rev, "_azione": "bozza",
        "descrizione": "testo"})
    assert response.status_code == 422
    assert "testo" in response.get_data(as_text=True)
    assert list(db.query("SELECT rev FROM entries WHERE id = ?", [sheet]))[0]["rev"] == 1
    autosave = client.post(f"/schede/{sheet}/autosalva", data={
        "csrf_token": csrf_from(page), "cartella_rev": rev}, headers={"HX-Request": "true"})
    assert autosave.status_code == 400


@pytest.mark.parametrize("typed", ["9" * 60, "nan", "1e400", "Infinity"])
def test_an_absurd_amount_is_a_field_error_not_a_500(client, sheet, typed):
    response = _save(client, sheet, isee=typed)
    assert response.status_code == 422
    assert "Numero non valido" in response.get_data(as_text=True)
