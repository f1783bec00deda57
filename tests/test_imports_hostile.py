"""Hostile and broken files: each is refused with a clear Italian message and writes nothing.

The files are built at test time by tests/registers.py. The same files go through the
library (with small limits), through `run_import` (what `cartella import` runs) and through
the web wizard, after which the server must go on answering.
"""

import html
import io
from pathlib import Path

import pytest

from app.imports.limits import ImportFileError, Limits
from app.imports.scripting import run_import
from app.imports.service import prepare
from tests import registers
from tests.conftest import csrf_from

SMALL = Limits(memory_bytes=512 * 1024 * 1024, seconds=20)

HOSTILE = {  # case -> (file name, builder, words the message must contain)
    "bomba-zip": ("registro.xlsx", lambda p: registers.zip_bomb(p, 410),
                  ["si espande a 410 MB", "possibile file malevolo", "massimo è 400 MB"]),
    "cella-XFD1048576": ("sparso.xlsx", registers.sparse_xlsx,
                         ["non può essere letto", "limiti di memoria", "XFD1048576"]),
    "xlsx-troncato": ("troncato.xlsx", registers.truncated_xlsx,
                      ["danneggiato o incompleto", "salvalo di nuovo"]),
    "csv-chiamato-xlsx": ("elenco.xlsx", registers.csv_named_xlsx,
                          ["non è un file .xlsx valido", "non corrisponde all'estensione"]),
    "protetto-da-password": ("protetto.xlsx", registers.password_protected_xlsx,
                             ["protetto da password", "togli la password"]),
    "csv-con-nul": ("utenti.csv", registers.csv_with_nul,
                    ["caratteri nulli", "non è un CSV di testo"]),
    "csv-virgolette-aperte": ("note.csv", registers.csv_with_unclosed_quote,
                              ["campo di oltre 131.072 caratteri",
                               "virgolette aperte e mai chiuse"]),
    "zip-con-due-csv": ("elenchi.zip", registers.zip_of_two_csv,
                        ["archivio ZIP che non contiene un solo file CSV",
                         "anagrafe.csv, servizi.csv", "estrai il CSV"]),
    "stringa-di-100-MB": ("registro.xlsx", registers.huge_string_xlsx,
                          ["la cella C3 del foglio «Foglio1» (riga 3, colonna C)",
                           "contiene 104.857.600 caratteri", "il massimo per una cella è "
                           "32.767"]),
    "vuoto": ("vuoto.xlsx", registers.empty_file, ["è vuoto"]),
}


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ostili")
    files = {}
    for case, (name, build, _) in HOSTILE.items():
        (folder / case).mkdir()
        files[case] = build(folder / case / name)
    return files


def totals(db) -> dict:
    return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("persons", "cases", "entries", "imports", "import_items")}


def assert_clear(message: str, case: str) -> None:
    name, _, words = HOSTILE[case]
    assert message.startswith(f"«{name}»"), message
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_file_is_refused_and_nothing_is_written(app, db, world, hostile_files, case):
    path = hostile_files[case]
    form = app.extensions["cartella.catalog"].forms["prova"]
    before = totals(db)

    with pytest.raises(ImportFileError) as refused:
        prepare(path, path.name, form, limits=SMALL)
    summary = run_import(app, db, str(path), "prova", "A")

    assert_clear(str(refused.value), case)
    assert summary["fatal"] is True and summary["committed"] is False
    assert_clear(summary["errors"][0]["message"], case)
    assert totals(db) == before


def test_zip_bomb_under_the_size_cap_is_caught_by_its_ratio(app, tmp_path):
    path = registers.zip_bomb(tmp_path / "piccola.xlsx", 30)

    with pytest.raises(ImportFileError, match="si espande a 30 MB.*possibile file malevolo"):
        prepare(path, path.name, app.extensions["cartella.catalog"].forms["prova"],
                limits=SMALL)


def test_sparse_sheet_is_refused_under_the_default_limits_too(app, tmp_path):
    """The crafted sheet kills only the reading child, whatever its memory cap."""
    path = registers.sparse_xlsx(tmp_path / "sparso.xlsx")

    with pytest.raises(ImportFileError, match="limiti di memoria"):
        prepare(path, path.name, app.extensions["cartella.catalog"].forms["prova"],
                limits=Limits())


@pytest.mark.parametrize("case", HOSTILE)
def test_wizard_shows_the_error_and_keeps_serving(app, client, auth, db, world, hostile_files,
                                                  case):
    path = hostile_files[case]
    auth.login("amm_a")
    page = client.get("/importazioni/")
    token = csrf_from(page)
    before = totals(db)

    response = client.post("/importazioni/", data={
        "csrf_token": token, "modulo": "prova", "area": "non_autosufficienza",
        "file": (io.BytesIO(path.read_bytes()), path.name)},
        content_type="multipart/form-data", follow_redirects=True)

    assert response.status_code == 200
    assert response.request.path == "/importazioni/"
    text = html.unescape(response.get_data(as_text=True))
    assert 'class="alert alert-danger"' in text
    message = text.split('class="alert alert-danger" role="alert">')[1].split("</div>")[0]
    assert_clear(message, case)
    assert totals(db) == before
    # Nothing of the refused file stays, on disk or in the session.
    assert list((Path(app.instance_path) / "caricamenti").iterdir()) == []
    assert db.execute("SELECT COUNT(*) FROM import_wizards").fetchone()[0] == 0
    # The server is still there for the next page and the next person.
    persons = client.get("/persone/")
    assert persons.status_code == 200
    assert "Rossi" in persons.get_data(as_text=True)




@pytest.mark.parametrize("limits, words", [
    (Limits(max_rows=19), "il foglio ha 20 righe: il massimo è 19"),
    (Limits(max_columns=15), "il foglio ha 16 colonne: il massimo è 15"),
])
def test_a_register_over_the_limits_is_refused(app, tmp_path, limits, words):
    """The 400 formatted empty rows under the data do not count; the 20 real ones do."""
    path = registers.write_xlsx(tmp_path / "registro.xlsx")
    form = app.extensions["cartella.catalog"].forms["prova"]
    assert prepare(path, path.name, form, limits=Limits(max_rows=20)).raw.rows

    with pytest.raises(ImportFileError) as refused:
        prepare(path, path.name, form, limits=limits)

    assert str(refused.value) == f"«registro.xlsx»: {words}"


def test_a_reader_that_runs_too_long_is_stopped(app, tmp_path, monkeypatch):
    """A file that keeps the parser busy past the time limit: the child is killed and the
    user reads how long was allowed (here the child is replaced by one that never ends)."""
    from app.imports import reader

    endless = tmp_path / "endless.py"
    endless.write_text("import time\ntime.sleep(60)\n")
    monkeypatch.setattr(reader, "CHILD", endless)
    path = registers.write_xlsx(tmp_path / "registro.xlsx")

    with pytest.raises(ImportFileError) as refused:
        reader.read_file(path, path.name, limits=Limits(seconds=1))

    assert str(refused.value) == ("«registro.xlsx»: la lettura ha superato 1 secondi; il file "
                                  "è troppo grande o malformato.")


def test_the_caps_come_from_the_settings(app, db, world, tmp_path, monkeypatch):
    """An office that sets IMPORT_MAX_ROWS lower sees its own cap, on the command line as in
    the wizard; a setting left out keeps the default."""
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 19)
    path = registers.write_xlsx(tmp_path / "registro.xlsx")

    summary = run_import(app, db, str(path), "prova", "A")

    assert summary["committed"] is False
    assert summary["errors"][0]["message"] == ("«registro.xlsx»: il foglio ha 20 righe: il "
                                               "massimo è 19")
    assert Limits.from_config(app.config).max_columns == Limits().max_columns
