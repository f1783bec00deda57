"""Files made by other programs: every corpus file is read with its letters intact, old
encodings and line endings included; a huge cell is refused by the reading child, on the
command line as in the wizard; dates written in words are read.

The corpus (tests/corpus/) was saved by LibreOffice; tests/corpus/make_corpus.py rebuilds it.
"""

import html
import io
import json
from datetime import date
from pathlib import Path

import pytest

from app import cli
from app.definitions.fieldtypes import parse_date
from app.imports.limits import ImportFileError, Limits
from app.imports.reader import read_file
from app.imports.service import prepare
from tests import registers
from tests.conftest import FIXTURES, csrf_from

CORPUS = Path(__file__).parent / "corpus"
FILES = sorted(p.name for p in CORPUS.iterdir() if p.suffix != ".py")
HEADER = ["Cognome", "Nome", "Luogo di nascita", "Data di nascita", "Importo", "Note"]
AS_TEXT = [  # a text file keeps LibreOffice's Italian display: gg/mm/aaaa, decimal comma
    HEADER,
    ["Galli", "Niccolò", "Forlì", "11/12/1944", "1234,5", "seguito dal SAD; è già in carico"],
    ["Cantù", "Lucia", "Perù", "03/04/1941", "87,25", "visita il lunedì"],
    ["D'Amico", "Renée", "Canicattì", "29/02/1952", "12", "«urgente», caffè"]]
AS_CELLS = [  # a workbook keeps dates and numbers
    HEADER,
    ["Galli", "Niccolò", "Forlì", date(1944, 12, 11), 1234.5,
     "seguito dal SAD; è già in carico"],
    ["Cantù", "Lucia", "Perù", date(1941, 4, 3), 87.25, "visita il lunedì"],
    ["D'Amico", "Renée", "Canicattì", date(1952, 2, 29), 12, "«urgente», caffè"]]
ENCODINGS = {"registro-utf8.csv": "UTF-8", "registro-virgola-utf8.csv": "UTF-8",
             "registro-windows1252.csv": "Windows-1252",
             "registro-tabulazioni-windows1252.txt": "Windows-1252",
             # 437 writes the same bytes for these letters: the commoner 850 is named
             "registro-dos850.csv": "DOS (code page 850)",
             "registro-dos437.csv": "DOS (code page 850)",
             "registro-mac.csv": "Mac Roman", "registro-testo-unicode.txt": "UTF-16",
             "registro-csv.zip": "UTF-8"}


def fixture_library(monkeypatch) -> None:
    """The command line over the test forms and templates, as the app fixture."""
    for variable, folder in (("CARTELLA_FORMS", "forms"),
                             ("CARTELLA_DOC_TEMPLATES", "doc_templates"),
                             ("CARTELLA_SPREADSHEETS", "spreadsheets")):
        monkeypatch.setenv(variable, str(FIXTURES / folder))


def test_the_corpus_has_every_format_and_encoding():
    assert set(FILES) == set(ENCODINGS) | {"registro.ods", "registro.xls", "registro.xlsx"}
    assert all((CORPUS / name).stat().st_size < 16 * 1024 for name in FILES)
    assert b"\r\n" not in (CORPUS / "registro-mac.csv").read_bytes()  # CR alone
    assert (CORPUS / "registro-testo-unicode.txt").read_bytes().startswith(b"\xff\xfe")


@pytest.mark.parametrize("name", FILES)
def test_every_corpus_file_is_read_with_its_letters_intact(name):
    sheet = read_file(CORPUS / name, name)

    rows = [[value for value in row] for row in sheet.rows]
    expected = AS_CELLS if Path(name).suffix in (".ods", ".xls", ".xlsx") else AS_TEXT
    assert rows == expected
    assert sheet.encoding == ENCODINGS.get(name)


@pytest.mark.parametrize("name", ["registro-dos850.csv", "registro-testo-unicode.txt",
                                  "registro-mac.csv", "registro-csv.zip", "registro.xls"])
def test_a_corpus_file_imports_through_the_command_line(runner, app, world, db, monkeypatch,
                                                        name):
    """`cartella import` stores Niccolò Galli born in Forlì on 11/12/1944, whatever wrote
    the file."""
    fixture_library(monkeypatch)

    result = runner.invoke(cli.main, ["import", str(CORPUS / name), "--form", "prova",
                                      "--office", "A", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["committed"] is True
    person = db.execute("SELECT nome, luogo_nascita, data_nascita FROM persons "
                        "WHERE cognome = 'Galli'").fetchone()
    assert tuple(person) == ("Niccolò", "Forlì", "1944-12-11")
    names = {row[0] for row in db.execute("SELECT cognome FROM persons")}
    assert {"Cantù", "D'Amico"} <= names


@pytest.mark.parametrize(("name", "encoding"), [
    # code pages 437 and 850 share every Italian letter: 850, the later one, is named
    ("registro-dos437.csv", "DOS (code page 850)"), ("registro-testo-unicode.txt", "UTF-16"),
    ("registro-mac.csv", "Mac Roman"), ("registro-csv.zip", None)])
def test_the_wizard_shows_the_letters_of_an_old_file_as_typed(client, auth, world, name,
                                                              encoding):
    """The mapping page's examples are what the office typed, not Niccol• or Forl¬."""
    auth.login("amm_a")
    token = csrf_from(client.get("/importazioni/"))

    page = client.post("/importazioni/", data={
        "csrf_token": token, "modulo": "prova", "area": "non_autosufficienza",
        "file": (io.BytesIO((CORPUS / name).read_bytes()), name)},
        content_type="multipart/form-data", follow_redirects=True)

    assert page.request.path.endswith("/mappa")
    text = html.unescape(page.get_data(as_text=True))
    assert "Niccolò · Lucia · Renée" in text
    assert "Forlì · Perù · Canicattì" in text
    assert "righe di dati: 3" in text
    if encoding:  # the office is told how its file was read
        assert f"Codifica dei caratteri riconosciuta: {encoding}." in text


# --- encodings and shapes the corpus cannot hold ---------------------------------------------

TABLE = "Cognome;Nome;Luogo\r\nGALLI;NICCOLÒ;FORLÌ\r\nCantù;Lucia;Perù\r\n"


@pytest.mark.parametrize("encoding, expected", [
    ("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"),  # no byte-order mark
    ("utf-32", "UTF-32"), ("utf-8-sig", "UTF-8"),
    ("cp850", "DOS (code page 850)"),  # Ò and Ì exist in 850 only, not in 437
    ("cp1252", "Windows-1252")])
def test_text_in_any_encoding_is_read_as_written(tmp_path, encoding, expected):
    path = tmp_path / "anagrafe.csv"
    path.write_bytes(TABLE.encode(encoding))

    sheet = read_file(path, path.name)

    assert list(sheet.rows) == [["Cognome", "Nome", "Luogo"], ["GALLI", "NICCOLÒ", "FORLÌ"],
                                ["Cantù", "Lucia", "Perù"]]
    assert sheet.encoding == expected


@pytest.mark.parametrize("added, expected", [
    ("cp1252", "UTF-8, con alcune righe in Windows-1252"),
    ("cp850", "UTF-8, con alcune righe in DOS (code page 850)")])
def test_utf8_rows_and_rows_added_by_an_older_program_are_both_read(tmp_path, added,
                                                                     expected):
    path = tmp_path / "anagrafe.csv"
    path.write_bytes("Cognome;Nome\r\nGalli;Niccolò\r\n".encode()
                     + "Cantù;Forlì\r\n".encode(added))

    sheet = read_file(path, path.name)

    assert list(sheet.rows) == [["Cognome", "Nome"], ["Galli", "Niccolò"], ["Cantù", "Forlì"]]
    assert sheet.encoding == expected


def test_the_dos_file_that_used_to_be_refused_is_read(tmp_path):
    path = registers.dos_encoded_csv(tmp_path / "anagrafe.csv")

    assert list(read_file(path, path.name).rows)[1] == ["Galli", "Anna", "Forlì"]


def test_semicolons_and_decimal_commas_are_told_apart(tmp_path):
    """Every amount has a decimal comma: only the header shows ';' is the separator."""
    path = tmp_path / "importi.csv"
    path.write_text("Cognome;Importo;Ore\n" + "".join(
        f"Rossi{n};1.{n}34,50;12,5\n" for n in range(5)), encoding="utf-8")

    rows = list(read_file(path, path.name).rows)

    assert rows[0] == ["Cognome", "Importo", "Ore"]
    assert rows[1] == ["Rossi0", "1.034,50", "12,5"]


@pytest.mark.parametrize("content, words", [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(1, 32)) * 40, "molti caratteri di controllo"),
    (b"Cognome\x00;Nome\n", "caratteri nulli"),
])
def test_a_binary_file_named_csv_is_refused_for_what_it_is(tmp_path, content, words):
    path = tmp_path / "elenco.csv"
    path.write_bytes(content)

    with pytest.raises(ImportFileError) as refused:
        read_file(path, path.name)

    assert words in str(refused.value) and "non è un CSV di testo" in str(refused.value)


def test_a_workbook_named_csv_says_it_is_a_workbook(tmp_path):
    path = registers.write_xlsx(tmp_path / "registro.xlsx", empty_rows=0)
    renamed = path.rename(tmp_path / "registro.csv")

    with pytest.raises(ImportFileError) as refused:
        read_file(renamed, renamed.name)

    assert str(refused.value) == ("«registro.csv» è un file Excel (.xlsx), non un CSV: "
                                  "caricalo con l'estensione .xlsx.")


def test_a_csv_zipped_and_named_csv_is_read(tmp_path):
    path = registers.write_zip(tmp_path / "export.csv", {"dati/export.csv": TABLE})

    assert list(read_file(path, path.name).rows)[2] == ["Cantù", "Lucia", "Perù"]


# --- item 12: a huge cell never reaches the server ------------------------------------------

HUGE_WORDS = ("«enorme.xlsx»: la cella C3 del foglio «Foglio1» (riga 3, colonna C) contiene "
              "104.857.600 caratteri: il massimo per una cella è 32.767 (lo stesso limite di "
              "Excel)")


@pytest.fixture(scope="module")
def huge_xlsx(tmp_path_factory) -> Path:
    path = registers.huge_string_xlsx(tmp_path_factory.mktemp("enorme") / "enorme.xlsx")
    assert path.stat().st_size < 1024 * 1024  # a 1 MB file that passes the ratio check
    return path


def test_a_huge_shared_string_is_refused_by_the_wizards_library(app, huge_xlsx):
    form = app.extensions["cartella.catalog"].forms["prova"]

    with pytest.raises(ImportFileError) as refused:
        prepare(huge_xlsx, huge_xlsx.name, form, limits=Limits())

    assert str(refused.value).startswith(HUGE_WORDS)


def test_a_huge_shared_string_is_refused_by_the_command_line(runner, app, world, db,
                                                              monkeypatch, huge_xlsx):
    fixture_library(monkeypatch)
    before = db.execute("SELECT COUNT(*) FROM imports").fetchone()[0]

    result = runner.invoke(cli.main, ["import", str(huge_xlsx), "--form", "prova",
                                      "--office", "A", "--dry-run"])

    assert result.exit_code == 2
    assert HUGE_WORDS in result.output
    assert db.execute("SELECT COUNT(*) FROM imports").fetchone()[0] == before


def test_shared_strings_over_the_text_cap_are_refused_before_any_parsing(huge_xlsx):
    with pytest.raises(ImportFileError) as refused:
        read_file(huge_xlsx, huge_xlsx.name, limits=Limits(max_text_bytes=10 * 1024 * 1024))

    assert str(refused.value) == ("«enorme.xlsx» contiene 100 MB di testo: troppo per un "
                                  "registro (possibile file malevolo). Il massimo è 10 MB.")


def test_a_long_cell_is_refused_by_the_child_naming_where_it_is(tmp_path):
    """A cell over the cap in any format (here a CSV): the child stops and names the cell;
    one within the cap passes whole."""
    path = tmp_path / "note.csv"
    path.write_text("Cognome;Note\nRossi;" + "a" * 40 + "\nBianchi;" + "b" * 60 + "\n",
                    encoding="utf-8")

    assert list(read_file(path, path.name, limits=Limits(max_cell_chars=60)).rows)[2][1] \
        == "b" * 60
    with pytest.raises(ImportFileError) as refused:
        read_file(path, path.name, limits=Limits(max_cell_chars=50))

    assert str(refused.value).startswith("«note.csv»: la cella B3 del foglio «CSV» (riga 3, "
                                         "colonna B) contiene 60 caratteri: il massimo per "
                                         "una cella è 50")


def test_the_text_of_a_sheet_is_capped_in_the_child(tmp_path):
    path = registers.write_xlsx(tmp_path / "registro.xlsx", empty_rows=0)

    with pytest.raises(ImportFileError) as refused:
        read_file(path, path.name, limits=Limits(max_text_bytes=2048))

    assert str(refused.value).startswith("«registro.xlsx»: il foglio «Registro 2024» contiene "
                                         "più di 2 KB di testo (superati alla riga ")


def test_the_server_never_holds_more_than_the_cap_even_from_a_child_gone_wrong(
        tmp_path, monkeypatch):
    """A child that ignores the caps and streams rows forever: the server stops listening
    at its own bound (four times the text cap, plus 1 MB), kills it and says why."""
    from app.imports import reader

    endless = tmp_path / "endless.py"
    endless.write_text("import sys\n"
                       "sys.stdout.write('{\"sheets\": [\"S\"], \"sheet\": \"S\", "
                       "\"first_row\": 1}\\n')\n"
                       "while True:\n    sys.stdout.write('[\"' + 'x' * 1000 + '\"]\\n')\n")
    monkeypatch.setattr(reader, "CHILD", endless)
    path = registers.write_xlsx(tmp_path / "registro.xlsx", empty_rows=0)

    with pytest.raises(ImportFileError) as refused:
        reader.read_file(path, path.name, limits=Limits(max_text_bytes=1024, seconds=60))

    assert str(refused.value).startswith("«registro.xlsx»: il foglio contiene più testo di "
                                         "quanto un registro possa avere")


# --- dates written in words -----------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("11 dicembre 1944", date(1944, 12, 11)),
    ("lunedì 11 dicembre 1944", date(1944, 12, 11)),
    ("Lunedì, 11 Dicembre 1944", date(1944, 12, 11)),
    ("11 dic. 1944", date(1944, 12, 11)),
    ("11-dic-1944", date(1944, 12, 11)),
    ("1° gennaio 2020", date(2020, 1, 1)),
    ("1º gennaio 2020", date(2020, 1, 1)),
    ("mar 3 marzo 2020", date(2020, 3, 3)),
    ("December 11, 1944", date(1944, 12, 11)),
    ("Monday, 11th December 1944", date(1944, 12, 11)),
    ("11 dicembre 1944 ore 10:30", date(1944, 12, 11)),
    ("03/04/1941", date(1941, 4, 3)), ("03.04.1941", date(1941, 4, 3)),
    ("1941-04-03", date(1941, 4, 3)), ("1941-04-03T00:00:00", date(1941, 4, 3)),
    ("03/04/1941 00:00:00", date(1941, 4, 3)),
])
def test_dates_in_words_and_numbers_are_read(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text, words", [
    ("31 febbraio 2020", "«31 febbraio 2020» non è una data valida: febbraio 2020 ha 29 giorni"),
    ("29/02/2021", "«29/02/2021» non è una data valida: febbraio 2021 ha 28 giorni"),
    ("12/13/2020", "«12/13/2020» non è una data valida: il mese 13 non esiste"),
    ("martedì 11 dicembre 1944", "«martedì 11 dicembre 1944» non è una data coerente: "
     "l'11 dicembre 1944 era lunedì, non martedì"),
    ("11 dicembrre 1944", "«11 dicembrre 1944» non è una data valida: «dicembrre» non è un "
     "mese"),
    ("domani", "«domani» non è una data valida: scrivila come gg/mm/aaaa (03/04/1941) o in "
     "lettere (3 aprile 1941)"),
])
def test_impossible_dates_say_why(text, words):
    with pytest.raises(ValueError) as refused:
        parse_date(text)

    assert str(refused.value).startswith(words)


def test_a_register_with_dates_in_words_imports(runner, app, world, db, monkeypatch, tmp_path):
    fixture_library(monkeypatch)
    path = tmp_path / "registro.csv"
    path.write_text("Cognome;Nome;Data di nascita;Data di inizio\n"
                    "Galli;Niccolò;lunedì 11 dicembre 1944;1° gennaio 2020\n", encoding="utf-8")

    result = runner.invoke(cli.main, ["import", str(path), "--form", "prova", "--office", "A",
                                      "--json"])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["committed"] is True and not summary["errors"], summary["errors"]
    born = db.execute("SELECT data_nascita FROM persons WHERE cognome = 'Galli'").fetchone()
    assert born[0] == "1944-12-11"
    data = json.loads(db.execute("SELECT data FROM entries ORDER BY id DESC").fetchone()[0])
    assert data["data_inizio"] == "2020-01-01"
