"""Fixtures: an app over a temporary instance folder, clients, CLI runner, users per role."""

import re
from pathlib import Path

import pytest

from app import create_app, store
from app.store import cases, offices, persons, users

PASSWORD = "password-di-prova-1"
FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_FORMS = FIXTURES / "forms"

# Hashing cost is not under test: a cheap method keeps the suite fast.
users.PASSWORD_METHOD = "pbkdf2:sha256:1000"


@pytest.fixture
def app(tmp_path):
    app = create_app({"INSTANCE_PATH": tmp_path / "instance", "TESTING": True,
                      "FORMS_DIR": str(FIXTURE_FORMS),
                      "DOC_TEMPLATES_DIR": str(FIXTURES / "doc_templates"),
                      "SPREADSHEETS_DIR": str(FIXTURES / "spreadsheets")})
    yield app


@pytest.fixture
def db(app):
    connection = store.connect(app.config["DATABASE"])
    yield connection
    connection.conn.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app, monkeypatch):
    monkeypatch.setenv("CARTELLA_INSTANCE", app.instance_path)
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture
def world(db):
    """Two offices, a user of each role in each, a person and a case per office."""
    ids = {"offices": {}, "users": {}, "persons": {}, "cases": {}}
    ids["users"]["admin"] = users.create(db, "admin", PASSWORD, "admin", None, "Amministratore")
    for code in ("A", "B"):
        office_id = offices.create(db, code, f"Ufficio {code}")
        ids["offices"][code] = office_id
        for role, name in (("coordinator", "coord"), ("social_worker", "as"),
                           ("social_worker", "as2"), ("staff", "amm")):
            username = f"{name}_{code.lower()}"
            ids["users"][username] = users.create(db, username, PASSWORD, role, office_id,
                                                  f"{name.upper()} {code}")
        person_id = persons.create(db, office_id, {
            "codice_fiscale": "RSSMRA41D03F205B" if code == "A" else "BNCLCU80A41F704S",
            "cognome": "Rossi" if code == "A" else "Bianchi",
            "nome": "Mario" if code == "A" else "Lucia",
            "sesso": "M" if code == "A" else "F",
            "data_nascita": "1941-04-03" if code == "A" else "1980-01-01",
        }, None)
        ids["persons"][code] = person_id
        ids["cases"][code] = cases.open_case(
            db, {"id": person_id, "office_id": office_id},
            {"area": "non_autosufficienza", "manager_id": ids["users"][f"as_{code.lower()}"]},
            [], None)
    return ids


class Auth:
    """Log a test client in and out as a given user."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        page = self.client.get("/accesso")
        token = _csrf(page.get_data(as_text=True))
        return self.client.post("/accesso", data={"username": username, "password": password,
                                                  "csrf_token": token})

    def logout(self):
        page = self.client.get("/")
        return self.client.post("/esci", data={"csrf_token": _csrf(page.get_data(as_text=True))})


def _csrf(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_from(response) -> str:
    """The CSRF token of a rendered page."""
    return _csrf(response.get_data(as_text=True))


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def sheet(client, auth, world):
    """A new 'prova' sheet in office A's case, created by its social worker (logged in)."""
    auth.login("as_a")
    page = client.get(f"/pratiche/{world['cases']['A']}")
    response = client.post(f"/pratiche/{world['cases']['A']}/schede/nuova",
                           data={"csrf_token": csrf_from(page), "modulo": "prova"})
    assert response.status_code == 302
    return int(re.search(r"/schede/(\d+)/modifica", response.headers["Location"]).group(1))
