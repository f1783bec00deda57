"""The `cartella` command: offices, users, passwords, backup under load, demo data."""

import sqlite3
import threading

from app import cli, store
from app.store import offices, users
from tests.conftest import PASSWORD, Auth, csrf_from


def test_office_and_user_add_then_login(runner, app, db, client):
    result = runner.invoke(cli.main, ["office", "add", "lecco", "Comune di Lecco"])
    assert result.exit_code == 0, result.output
    assert offices.by_code(db, "LECCO")["name"] == "Comune di Lecco"
    result = runner.invoke(cli.main, ["user", "add", "m.rossi", "--role", "social_worker",
                                      "--office", "LECCO", "--full-name", "Marta Rossi",
                                      "--password-stdin"], input="una-password-lunga\n")
    assert result.exit_code == 0, result.output
    assert Auth(client).login("m.rossi", "una-password-lunga").status_code == 302


def test_cli_errors_are_clear(runner, app):
    result = runner.invoke(cli.main, ["user", "add", "x", "--role", "staff", "--office", "NOPE",
                                      "--password-stdin"], input="una-password-lunga\n")
    assert result.exit_code != 0 and "ufficio NOPE inesistente" in result.output
    runner.invoke(cli.main, ["office", "add", "A", "Uno"])
    result = runner.invoke(cli.main, ["office", "add", "a", "Due"])
    assert result.exit_code != 0 and "esiste già un ufficio" in result.output
    result = runner.invoke(cli.main, ["user", "add", "y", "--role", "staff", "--office", "A",
                                      "--password-stdin"], input="corta\n")
    assert result.exit_code != 0 and "almeno 10 caratteri" in result.output


def test_user_passwd(runner, world, client):
    result = runner.invoke(cli.main, ["user", "passwd", "as_a", "--password-stdin"],
                           input="password-cambiata-1\n")
    assert result.exit_code == 0, result.output
    auth = Auth(client)
    assert auth.login("as_a", PASSWORD).status_code == 200
    assert auth.login("as_a", "password-cambiata-1").status_code == 302


def test_first_start_creates_admin_once(db, monkeypatch):
    monkeypatch.delenv("CARTELLA_ADMIN_PASSWORD", raising=False)
    generated = cli.ensure_admin(db)
    assert generated and len(generated) >= 12
    assert users.authenticate(db, "admin", generated)["role"] == "admin"
    assert cli.ensure_admin(db) is None
    assert users.authenticate(db, "admin", generated) is not None


def test_admin_password_from_environment(db, monkeypatch):
    monkeypatch.setenv("CARTELLA_ADMIN_PASSWORD", "dall-ambiente-123")
    assert cli.ensure_admin(db) is None
    assert users.authenticate(db, "admin", "dall-ambiente-123") is not None


def test_later_start_applies_migrations_and_changes_nothing(app, db):
    from app.store import migrations

    before = db.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0]
    assert migrations.migrate(db) == []
    assert db.execute("SELECT COUNT(*) FROM _migrations").fetchone()[0] == before
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_backup_while_requests_write(runner, app, world, tmp_path):
    stop = threading.Event()
    written = []

    def writer():
        client = app.test_client()
        Auth(client).login("amm_a")
        n = 0
        while not stop.is_set() and n < 200:
            page = client.get("/persone/nuova")
            response = client.post("/persone/nuova", data={
                "csrf_token": csrf_from(page), "cognome": f"Carico{n}", "nome": "Test"})
            assert response.status_code == 302
            written.append(n)
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    copies = []
    try:
        for i in range(5):
            target = tmp_path / f"copia{i}.db"
            result = runner.invoke(cli.main, ["backup", str(target)])
            assert result.exit_code == 0, result.output
            copies.append(target)
    finally:
        stop.set()
        thread.join()
    assert written, "the writer made no request"
    for target in copies:
        conn = sqlite3.connect(target)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT COUNT(*) FROM persons").fetchone()[0] >= 2
        conn.close()
    assert store.integrity_check(copies[-1]) == "ok"


def test_demo_loads_a_living_app(runner, app, db):
    result = runner.invoke(cli.main, ["demo", "--password", "demo-password-1"])
    assert result.exit_code == 0, result.output
    assert "coord.monza" in result.output and "amm.como" in result.output
    assert db.execute("SELECT COUNT(*) FROM persons").fetchone()[0] == 30
    phases = {r["fase"] for r in db.query("SELECT DISTINCT fase FROM cases")}
    assert phases == {"accesso", "valutazione", "progettazione", "attuazione", "monitoraggio",
                      "valutazione_finale", "chiusura"}
    from app.people import check_cf

    for row in db.query("SELECT codice_fiscale FROM persons WHERE codice_fiscale IS NOT NULL"):
        assert check_cf(row["codice_fiscale"]).valid
    roles = {r["role"] for r in db.query("SELECT role FROM users")}
    assert roles == {"admin", "coordinator", "social_worker", "staff"}
    sheet_forms = {r["form_id"] for r in db.query("SELECT DISTINCT form_id FROM entries")}
    assert {"accesso", "valutazione_multidimensionale"} <= sheet_forms
    again = runner.invoke(cli.main, ["demo"])
    assert again.exit_code != 0 and "già stati caricati" in again.output


def test_python_dash_m_app_is_the_cli():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "app", "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "backup" in result.stdout and "serve" in result.stdout


def test_demo_fills_every_starter_form(tmp_path):
    from app import create_app
    from app.demo import load_demo

    app = create_app({"INSTANCE_PATH": tmp_path / "demo", "FORMS_DIR": "forms"})
    db = store.connect(app.config["DATABASE"])
    catalog = app.extensions["cartella.catalog"]
    summary = load_demo(db, password="demo-password-1", catalog=catalog)
    filled = {r["form_id"]: r["n"] for r in db.query(
        "SELECT form_id, COUNT(*) AS n FROM entries GROUP BY form_id")}
    expected = set(catalog.forms) - {"persona"}
    assert expected <= set(filled), expected - set(filled)
    assert summary["entries"] == sum(filled.values())
    complete = db.execute("SELECT COUNT(*) FROM entries WHERE status = 'completa'").fetchone()[0]
    assert complete > summary["entries"] // 2
