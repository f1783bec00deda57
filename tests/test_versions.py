"""Form versions: entries keep their version; incompatible changes are refused."""

import shutil

import pytest

from app import cli, create_app, store
from app.definitions import DefinitionError
from app.store import cases, entries, forms, offices, persons
from tests.conftest import FIXTURE_FORMS, FIXTURES


@pytest.fixture
def forms_dir(tmp_path):
    target = tmp_path / "forms"
    shutil.copytree(FIXTURE_FORMS, target)
    return target


def _app(tmp_path, forms_dir):
    return create_app({"INSTANCE_PATH": tmp_path / "instance", "FORMS_DIR": str(forms_dir),
                       "DOC_TEMPLATES_DIR": str(FIXTURES / "doc_templates"),
                       "SPREADSHEETS_DIR": str(FIXTURES / "spreadsheets")})


def _entry_with(app, data: dict) -> int:
    db = store.connect(app.config["DATABASE"])
    office = offices.create(db, "V", "Versioni")
    person = persons.create(db, office, {"cognome": "Neri", "nome": "Ugo"}, None)
    case_id = cases.open_case(db, {"id": person, "office_id": office}, {"area": "anziani"}, [],
                              None)
    case = {"id": case_id, "person_id": person, "office_id": office}
    return entries.create(db, case, "prova", 1, data, None)


def _edit(forms_dir, old: str, new: str) -> None:
    path = forms_dir / "prova.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_every_loaded_version_is_stored(tmp_path, forms_dir):
    app = _app(tmp_path, forms_dir)
    db = store.connect(app.config["DATABASE"])
    assert [v["version"] for v in forms.versions(db, "prova")] == [1]
    _edit(forms_dir, "version: 1", "version: 2")
    _edit(forms_dir, "      - {id: peso, type: decimal, label: Peso (kg)}\n", "")
    _app(tmp_path, forms_dir)
    assert [v["version"] for v in forms.versions(db, "prova")] == [1, 2]


def test_old_entry_renders_with_its_own_version(tmp_path, forms_dir):
    app = _app(tmp_path, forms_dir)
    entry_id = _entry_with(app, {"cognome": "Neri", "peso": "70.5"})
    _edit(forms_dir, "version: 1", "version: 2")
    _edit(forms_dir, "      - {id: peso, type: decimal, label: Peso (kg)}\n", "")
    app = _app(tmp_path, forms_dir)
    catalog = app.extensions["cartella.catalog"]
    db = store.connect(app.config["DATABASE"])
    old = catalog.form(db, "prova", 1)
    assert "peso" in old.fields and "peso" not in catalog.form(db, "prova").fields
    row = list(db.query("SELECT form_version FROM entries WHERE id = ?", [entry_id]))[0]
    assert row["form_version"] == 1


def test_type_change_without_new_id_is_refused(tmp_path, forms_dir):
    _app(tmp_path, forms_dir)
    _edit(forms_dir, "{id: figli, type: integer,", "{id: figli, type: text,")
    _edit(forms_dir, "version: 1", "version: 2")
    with pytest.raises(DefinitionError, match="era di tipo 'integer'.*richiede un nuovo id"):
        _app(tmp_path, forms_dir)


def test_removing_a_used_field_needs_a_new_version(tmp_path, forms_dir):
    app = _app(tmp_path, forms_dir)
    _entry_with(app, {"cognome": "Neri", "peso": "70.5"})
    _edit(forms_dir, "      - {id: peso, type: decimal, label: Peso (kg)}\n", "")
    with pytest.raises(DefinitionError, match="'peso' è stato tolto.*aumentare 'version'"):
        _app(tmp_path, forms_dir)
    _edit(forms_dir, "version: 1", "version: 2")
    _app(tmp_path, forms_dir)


def test_compatible_change_in_the_same_version_is_accepted(tmp_path, forms_dir):
    app = _app(tmp_path, forms_dir)
    _entry_with(app, {"cognome": "Neri"})
    _edit(forms_dir, "label: Numero di figli", "label: Figli a carico")
    app = _app(tmp_path, forms_dir)
    db = store.connect(app.config["DATABASE"])
    assert "Figli a carico" in forms.definition(db, "prova", 1)


def test_cartella_check_reports_with_lines(tmp_path, forms_dir, monkeypatch):
    from click.testing import CliRunner

    monkeypatch.setenv("CARTELLA_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("CARTELLA_DOC_TEMPLATES", str(FIXTURES / "doc_templates"))
    monkeypatch.setenv("CARTELLA_SPREADSHEETS", str(FIXTURES / "spreadsheets"))
    runner = CliRunner()
    result = runner.invoke(cli.main, ["check", "--forms", str(forms_dir)])
    assert result.exit_code == 0 and "OK:" in result.output
    _edit(forms_dir, "{id: data_inizio, type: date,", "{id: data_inizio, type: dat,")
    result = runner.invoke(cli.main, ["check", "--forms", str(forms_dir)])
    assert result.exit_code == 1
    assert f"{forms_dir / 'prova.yaml'}:" in result.output
    assert "tipo 'dat' sconosciuto: intendevi 'date'?" in result.output
    result = runner.invoke(cli.main, ["check", "--json", "--forms", str(forms_dir)])
    import json

    report = json.loads(result.output)
    assert report["ok"] is False
    assert report["problems"][0]["field"] == "data_inizio"
    assert report["problems"][0]["line"] > 1


def test_check_of_the_starter_library_passes(monkeypatch, tmp_path):
    from click.testing import CliRunner

    monkeypatch.setenv("CARTELLA_INSTANCE", str(tmp_path / "instance"))
    result = CliRunner().invoke(cli.main, ["check"])
    assert result.exit_code == 0, result.output
