"""A broken template never stops the server: it is left out, named to the administrator,
and still refused by `cartella check`; every other template keeps working."""

import shutil
from pathlib import Path

from docx import Document

from app import create_app
from app.store import users
from tests.conftest import PASSWORD, Auth

REPO = Path(__file__).resolve().parent.parent


def _broken_library(tmp_path) -> Path:
    """The shipped Word templates, with the social report rewritten with a typo in a tag."""
    folder = tmp_path / "doc_templates"
    shutil.copytree(REPO / "doc_templates", folder)
    document = Document()
    document.add_paragraph("Relazione di {{ persona.cognomme }}")
    document.save(folder / "relazione_sociale.docx")
    return folder


def test_a_broken_template_is_left_out_and_named_to_the_administrator(tmp_path, monkeypatch):
    folder = _broken_library(tmp_path)
    app = create_app({"INSTANCE_PATH": tmp_path / "instance", "TESTING": True,
                      "FORMS_DIR": str(REPO / "forms"), "DOC_TEMPLATES_DIR": str(folder),
                      "SPREADSHEETS_DIR": str(REPO / "spreadsheets")})
    documents = app.extensions["cartella.documents"]
    assert "relazione_sociale" not in documents.templates
    assert "ricorso_ads" in documents.templates and "piano_economico" in documents.templates
    with app.app_context():
        from app.web.db import get_db

        users.create(get_db(), "admin", PASSWORD, "admin", None, "Amministratore")
    client = app.test_client()
    Auth(client).login("admin")
    html = client.get("/amministrazione/").get_data(as_text=True)
    assert "Modelli di documento non disponibili" in html
    assert "relazione_sociale.docx" in html and "cognomme" in html

    from click.testing import CliRunner

    from app.cli import main

    monkeypatch.setenv("CARTELLA_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("CARTELLA_DOC_TEMPLATES", str(folder))
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code != 0 and "cognomme" in result.output
