"""The audit log: a row for every read, change and login; UPDATE and DELETE refused."""

import sqlite3

import pytest

from app.store import audit
from tests.conftest import csrf_from


def _last(db):
    return list(db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1"))[0]


def test_login_success_and_failure_are_logged(client, auth, world, db):
    auth.login("as_a", "sbagliata-password")
    row = _last(db)
    assert (row["action"], row["username"]) == ("login_failed", "as_a")
    assert row["ip"] == "127.0.0.1"
    auth.login("as_a")
    row = _last(db)
    assert (row["action"], row["username"], row["user_id"]) == ("login", "as_a",
                                                                world["users"]["as_a"])


def test_case_read_is_logged_with_person(client, auth, world, db):
    auth.login("as_a")
    client.get(f"/pratiche/{world['cases']['A']}")
    row = _last(db)
    assert (row["action"], row["object_type"], row["object_id"], row["person_id"]) == (
        "read", "case", world["cases"]["A"], world["persons"]["A"])


def test_person_change_is_logged_with_fields(client, auth, world, db):
    auth.login("amm_a")
    url = f"/persone/{world['persons']['A']}/modifica"
    page = client.get(url)
    response = client.post(url, data={
        "csrf_token": csrf_from(page), "cognome": "Rossi", "nome": "Mario", "sesso": "M",
        "codice_fiscale": "RSSMRA41D03F205B", "data_nascita": "1941-04-03",
        "telefono": "031 123456"})
    assert response.status_code == 302
    row = _last(db)
    assert (row["action"], row["object_type"]) == ("update", "person")
    assert "telefono" in row["detail"]


def test_who_accessed_this_file(client, auth, world):
    auth.login("amm_a")
    client.get(f"/persone/{world['persons']['A']}")
    auth.logout()
    auth.login("coord_a")
    page = client.get(f"/persone/{world['persons']['A']}").get_data(as_text=True)
    assert "Chi ha consultato questa persona" in page
    page = client.get(f"/persone/{world['persons']['A']}/accessi").get_data(as_text=True)
    assert "AMM A" in page and "COORD A" in page


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET username = 'x'",
                                       "DELETE FROM audit_log"])
def test_audit_log_is_append_only(db, world, statement):
    audit.append(db, "read", username="x", object_type="person", object_id=1)
    with pytest.raises(sqlite3.IntegrityError, match="sola aggiunta"):
        db.execute(statement)
    assert audit.count(db) >= 1


def test_admin_filters_the_log(client, auth, world):
    auth.login("as_a", "sbagliata-password")
    auth.login("admin")
    page = client.get("/amministrazione/registro?action=login_failed").get_data(as_text=True)
    assert "Tentativo di accesso non riuscito" in page
    assert "as_a" in page
    page = client.get("/amministrazione/registro?username=nessuno").get_data(as_text=True)
    assert "0 eventi" in page


def test_no_code_path_updates_or_deletes_the_log():
    from pathlib import Path

    for path in Path("app").rglob("*.py"):
        text = path.read_text().upper()
        assert "UPDATE AUDIT_LOG" not in text and "DELETE FROM AUDIT_LOG" not in text, path
