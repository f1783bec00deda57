"""Importing a messy legacy register into Misura B1 and exporting it back, as an office would.

The registers are built at test time by tests/registers.py. Every test works in its own
office of one instance with the real forms, so tests stay independent without paying for
a new instance each time; the CLI runs in-process through CliRunner.
"""

import hashlib
import itertools
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from click.testing import CliRunner
from codicefiscale import codicefiscale
from openpyxl import load_workbook

from app import create_app, store
from app.cli import main
from app.imports.commit import UndoRefused, undo
from app.imports.mapping import match_headers, targets
from app.imports.service import prepare
from app.store import entries as entry_store
from app.store import offices
from tests import registers

REPO = Path(__file__).resolve().parent.parent
FORMS = REPO / "forms"
_codes = itertools.count(1)


def new_instance(root: Path):
    """An instance folder with the real forms and no document templates."""
    empty = root / "nessun-modello"
    empty.mkdir(parents=True, exist_ok=True)
    app = create_app({"INSTANCE_PATH": root / "instance", "FORMS_DIR": str(FORMS),
                      "DOC_TEMPLATES_DIR": str(empty), "SPREADSHEETS_DIR": str(empty)})
    env = {"CARTELLA_INSTANCE": app.instance_path, "CARTELLA_FORMS": str(FORMS),
           "CARTELLA_DOC_TEMPLATES": str(empty), "CARTELLA_SPREADSHEETS": str(empty)}
    return app, env


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    app, env = new_instance(tmp_path_factory.mktemp("importazioni"))
    db = store.connect(app.config["DATABASE"])
    yield SimpleNamespace(app=app, env=env, db=db)
    db.conn.close()


@pytest.fixture
def db(instance):
    return instance.db


@pytest.fixture
def office(db):
    """A fresh office: what a test imports lands in its own corner of the database."""
    code = f"U{next(_codes)}"
    return SimpleNamespace(id=offices.create(db, code, f"Ufficio {code}"), code=code)


class Cli:
    """`cartella import|export` as the operator types them."""

    def __init__(self, runner: CliRunner):
        self.runner = runner

    def run(self, *args: str):
        result = self.runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result

    def import_(self, path: Path, office_code: str, *extra: str) -> dict:
        result = self.run("import", path, "--form", "misura_b1", "--office", office_code,
                          "--json", *extra)
        return json.loads(result.stdout)


@pytest.fixture
def cli(instance, monkeypatch):
    for key, value in instance.env.items():
        monkeypatch.setenv(key, value)
    return Cli(CliRunner())


def counted(summary: dict) -> dict:
    return {key: summary[key] for key in registers.EXPECTED}


def totals(db, office_id: int) -> dict:
    """What an office holds: the numbers an undo or a crash must leave right."""
    def one(sql: str) -> int:
        return db.execute(sql, [office_id]).fetchone()[0]
    return {
        "persons": one("SELECT COUNT(*) FROM persons WHERE office_id = ?"),
        "cases": one("SELECT COUNT(*) FROM cases WHERE office_id = ?"),
        "entries": one("SELECT COUNT(*) FROM entries WHERE office_id = ?"),
        "revisions": one("SELECT COUNT(*) FROM entry_revisions r JOIN entries e "
                         "ON e.id = r.entry_id WHERE e.office_id = ?"),
        "imports": one("SELECT COUNT(*) FROM imports WHERE office_id = ?"),
    }


def stored_persons(db, office_id: int) -> dict:
    return {p["codice_fiscale"]: (p["cognome"], p["nome"], p["data_nascita"]) for p in db.query(
        "SELECT codice_fiscale, cognome, nome, data_nascita FROM persons WHERE office_id = ?",
        [office_id])}


def stored_entries(db, office_id: int) -> dict:
    """(codice fiscale, or surname when there is none; anno) -> the entry."""
    result = {}
    for row in db.query("SELECT e.*, p.codice_fiscale, p.cognome FROM entries e JOIN persons p "
                        "ON p.id = e.person_id WHERE e.office_id = ? AND e.form_id = "
                        "'misura_b1' AND e.deleted_at IS NULL", [office_id]):
        row["data"] = json.loads(row["data"])
        key = (row["codice_fiscale"] or row["cognome"], row["data"]["anno"])
        assert key not in result, f"two entries for {key}"
        result[key] = row
    return result


def assert_register_imported(db, office_id: int, summary: dict) -> None:
    """What importing registers.grid() must leave, whatever the file format."""
    assert counted(summary) == registers.EXPECTED
    assert summary["committed"] is True
    assert summary["header_row"] == registers.HEADER_ROW
    assert [(e["row"], e["column"]) for e in summary["errors"]] == [
        (row, column) for row, column, _ in registers.EXPECTED_ERRORS]
    for error, (_, _, words) in zip(summary["errors"], registers.EXPECTED_ERRORS, strict=True):
        assert words in error["message"]
    assert stored_persons(db, office_id) == registers.EXPECTED_PERSONS
    entries = stored_entries(db, office_id)
    assert {key: (e["status"], e["data"]["isee"], e["data"]["data_domanda"])
            for key, e in entries.items()} == registers.EXPECTED_ENTRIES
    assert totals(db, office_id) == {"persons": 6, "cases": 6, "entries": 7, "revisions": 7,
                                     "imports": 1}


# --- 1. the messy Excel register ------------------------------------------------------------


def test_messy_xlsx_register_is_imported_row_by_row(cli, db, office, tmp_path):
    path = registers.write_xlsx(tmp_path / "Registro B1 2024.xlsx")
    report = tmp_path / "esito.xlsx"

    summary = cli.import_(path, office.code, "--report", report)

    assert_register_imported(db, office.id, summary)
    # The first visible sheet (not last year's hidden one, not the legend); the hidden and
    # unknown columns are left out.
    assert summary["sheet"] == "Registro 2024"
    assert summary["ignored_columns"] == ["N.", "Uso interno", "Note"]
    assert summary["mapping"]["Cod. Fiscale"] == "persona.codice_fiscale"
    # Codici fiscali typed in lower case with spaces are stored normalised.
    assert registers.ROSSI.cf == "RSSMRA41D03F205B"
    assert db.execute("SELECT COUNT(*) FROM persons WHERE office_id = ? AND codice_fiscale = ?",
                      [office.id, "RSSMRA41D03F205B"]).fetchone()[0] == 1
    entries = stored_entries(db, office.id)
    # Rossi twice in the file: one sheet, with the ASST only the second line had.
    rossi = entries[(registers.ROSSI.cf, 2024)]
    assert rossi["data"]["asst"] == "ASST Nord Milano"
    assert rossi["data"]["richiedente_ruolo"] == "beneficiario"
    assert rossi["data"]["vive_al_domicilio"] is True
    assert rossi["data"]["data_certificazione"] == "2024-01-15"
    # Years written as 2024.0 or "2024" are the integer 2024; D'Angelo has two years, one
    # person, though the 2023 row lacks his codice fiscale.
    assert {key[1] for key in entries if key[0] == registers.DANGELO.cf} == {2023, 2024}
    assert all(isinstance(e["data"]["anno"], int) for e in entries.values())
    # A sheet lacking a required answer is a draft; the report says which ones are missing.
    record = store.imports.get(db, office.id, summary["import_id"])
    assert (record["filename"], record["sha256"], record["form_id"]) == (
        path.name, hashlib.sha256(path.read_bytes()).hexdigest(), "misura_b1")
    bianchi = next(o for o in record["outcomes"] if o["riga"] == 7)
    assert (bianchi["esito"], bianchi["stato"], bianchi["mancanti"]) == (
        "crea", "bozza", ["«Medico specialista e struttura che certificano»"])
    assert next(o for o in record["outcomes"] if o["riga"] == 13)["esito"] == \
        "unita alla riga 5"
    # The report: the file's rows with their outcome and what to fix, named by column.
    sheet = load_workbook(report).active
    by_row = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    assert sorted(by_row) == [5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]
    # The note under the data and the totals row are listed, set aside, with the reason.
    assert [(by_row[n][1].value, by_row[n][2].value) for n in (19, 20)] == [
        ("ignorata", "nota: meno di due colonne del modulo compilate"),
        ("ignorata", "riga di totale")]
    assert by_row[14][1].value == "non valida"
    colombo = registers.COLOMBO.cf[:-1] + ("A" if registers.COLOMBO.cf[-1] != "A" else "B")
    assert by_row[14][2].value == (
        f"Cod. Fiscale: Codice fiscale «{colombo}» non valido: il carattere di controllo finale "
        "non corrisponde agli altri (un carattere è scritto male).")
    assert by_row[15][2].value == (f"Cod. Fiscale: Codice fiscale «{registers.RICCI.cf[:11]}» "
                                   "non valido: ha 11 caratteri invece di 16.")
    assert by_row[16][2].value == ("Data domanda: «31/02/2024» non è una data valida: "
                                   "febbraio 2024 ha 29 giorni")
    assert by_row[7][2].value == ("scheda incompleta (bozza): mancano «Medico specialista e "
                                  "struttura che certificano»")
    # Dates read as dates are shown as dates; the outcome colours reach the last row listed.
    born = by_row[5][3 + registers.HEADERS.index("Data di nascita")]
    assert born.is_date and born.number_format == "DD/MM/YYYY"
    coloured = {str(rng.sqref) for rng in sheet.conditional_formatting}
    assert coloured == {f"A2:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"}
    link = by_row[10][3 + registers.HEADERS.index("Note")]
    assert (link.data_type, link.value) == ("s", registers.data_rows()[5][15])
    sources = {r["source"] for r in db.query(
        "SELECT r.source FROM entry_revisions r JOIN entries e ON e.id = r.entry_id "
        "WHERE e.office_id = ?", [office.id])}
    assert sources == {"import"}
    audited = db.execute("SELECT username, detail FROM audit_log WHERE action = 'import' AND "
                         "object_id = ?", [summary["import_id"]]).fetchone()
    assert audited[0] == "cli" and '"created": 7' in audited[1]


# --- 2. the same register in other formats -------------------------------------------------


@pytest.fixture(scope="module")
def libreoffice_copies(tmp_path_factory):
    """The Excel register converted by LibreOffice to .ods and .xls."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required on CI")
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("libreoffice")
    source = registers.write_xlsx(folder / "registro.xlsx")
    profile = folder / "profilo"
    for extension in ("ods", "xls"):
        subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                        "--convert-to", extension, "--outdir", str(folder), str(source)],
                       check=True, capture_output=True, timeout=120)
    return {extension: folder / f"registro.{extension}" for extension in ("ods", "xls")}


CSV_DIALECTS = {
    "cp1252-punto-e-virgola": ("registro.csv", ";", "cp1252"),
    "utf8-bom-virgola": ("registro.csv", ",", "utf-8-sig"),
    "utf8-tabulazione": ("registro.txt", "\t", "utf-8"),
}


@pytest.mark.parametrize("dialect", CSV_DIALECTS)
def test_csv_dialects_give_the_same_import(cli, db, office, tmp_path, dialect):
    name, delimiter, encoding = CSV_DIALECTS[dialect]
    path = registers.write_csv(tmp_path / name, delimiter, encoding)
    if encoding == "cp1252":
        assert "Niccolò".encode("cp1252") in path.read_bytes()
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    summary = cli.import_(path, office.code)

    assert_register_imported(db, office.id, summary)
    assert summary["sheet"] == "CSV"
    # Accents and apostrophes survive every encoding.
    assert stored_persons(db, office.id)[registers.DANGELO.cf] == (
        "D'Angelo", "Niccolò", "1950-11-12")
    dangelo = stored_entries(db, office.id)[(registers.DANGELO.cf, 2024)]
    assert dangelo["data"]["richiedente_nome"] == "Carla D'Angelo"


@pytest.mark.parametrize("extension", ["ods", "xls"])
def test_libreoffice_formats_give_the_same_import(cli, db, office, libreoffice_copies,
                                                  extension):
    summary = cli.import_(libreoffice_copies[extension], office.code)

    assert_register_imported(db, office.id, summary)
    assert summary["sheet"] == "Registro 2024"
    assert summary["ignored_columns"] == ["N.", "Uso interno", "Note"]


# --- 3. mapping -----------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Cod. Fiscale", "C.F.", "codice fiscale"])
def test_codice_fiscale_headers_are_recognised(instance, tmp_path, header):
    form = instance.app.extensions["cartella.catalog"].forms["misura_b1"]
    assert [m.target for m in match_headers([header], targets(form))] == [
        "persona.codice_fiscale"]
    cells = registers.grid()
    cells[registers.HEADER_ROW - 1][3] = header
    path = registers.write_csv(tmp_path / "registro.csv", cells=cells)

    prepared = prepare(path, path.name, form)

    assert prepared.layout.header_row == registers.HEADER_ROW - 1
    assert prepared.layout.mapping[3] == "persona.codice_fiscale"
    assert [m.header for m in prepared.layout.ignored] == ["N.", "Uso interno", "Note"]


def test_saved_mapping_reproduces_the_import(cli, db, office, tmp_path):
    path = registers.write_xlsx(tmp_path / "registro.xlsx")
    saved = tmp_path / "mappatura.yaml"

    first = cli.import_(path, office.code, "--dry-run", "--save-mapping", saved)
    again = cli.import_(path, office.code, "--mapping", saved)

    mapping = yaml.safe_load(saved.read_text(encoding="utf-8"))
    assert mapping["modulo"] == "misura_b1"
    assert mapping["colonne"]["Cod. Fiscale"] == "persona.codice_fiscale"
    assert mapping["ignorate"] == ["N.", "Uso interno", "Note"]
    assert first["committed"] is False
    for key in ("mapping", "ignored_columns", "errors", *registers.EXPECTED):
        assert again[key] == first[key], key
    assert_register_imported(db, office.id, again)

    # The file is really what decides: without the ISEE column every ISEE is left out.
    del mapping["colonne"]["Valore ISEE"]
    saved.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    without_isee = cli.import_(path, office.code, "--mapping", saved, "--dry-run")
    assert "Valore ISEE" not in without_isee["mapping"]
    assert "Valore ISEE" in without_isee["ignored_columns"]
    assert without_isee["invalid"] == 4  # "n.d." is no longer read as an ISEE


# --- 4. importing twice ---------------------------------------------------------------------


def test_same_file_twice_changes_nothing_and_one_changed_cell_updates_one_sheet(
        cli, db, office, tmp_path):
    path = registers.write_xlsx(tmp_path / "registro.xlsx")
    cli.import_(path, office.code)
    before = totals(db, office.id)

    second = cli.import_(path, office.code)

    assert (second["created"], second["updated"], second["unchanged"],
            second["persons_created"], second["persons_updated"]) == (
        0, 0, registers.VALID_ROWS, 0, 0)
    assert totals(db, office.id) == {**before, "imports": before["imports"] + 1}

    cells = registers.grid()
    esposito = next(r for r in cells if r[1] == "Esposito")
    esposito[7] = "11.250,00 €"
    changed = registers.write_xlsx(tmp_path / "registro-giugno.xlsx", cells)

    third = cli.import_(changed, office.code)

    assert (third["created"], third["updated"], third["unchanged"], third["invalid"]) == (
        0, 1, registers.VALID_ROWS - 1, 5)
    assert totals(db, office.id) == {**before, "revisions": before["revisions"] + 1,
                                     "imports": before["imports"] + 2}
    entry = stored_entries(db, office.id)[(registers.ESPOSITO.cf, 2024)]
    assert (entry["rev"], entry["data"]["isee"]) == (2, "11250.00")
    newest, oldest = entry_store.revisions(db, entry["id"])
    assert (newest["rev"], newest["source"], newest["import_id"]) == (
        2, "import", third["import_id"])
    assert oldest["data"]["isee"] == "10000.50"


def test_a_person_is_recognised_with_or_without_codice_fiscale(cli, db, office, tmp_path):
    cli.import_(registers.write_xlsx(tmp_path / "registro.xlsx"), office.code)
    cells = registers.grid()
    for row in cells:
        if row[1] == "Gallo":
            row[3] = registers.GALLO.cf  # asked for, as the note said
        if row[1] == "Rossi":
            row[3] = None  # known by codice fiscale; this month's register left it out
    before = totals(db, office.id)

    summary = cli.import_(registers.write_xlsx(tmp_path / "registro-giugno.xlsx", cells),
                          office.code)

    assert (summary["created"], summary["unchanged"], summary["persons_created"],
            summary["persons_updated"], summary["merged"]) == (0, registers.VALID_ROWS, 0, 1, 1)
    assert totals(db, office.id) == {**before, "imports": before["imports"] + 1}
    persons = stored_persons(db, office.id)
    assert persons[registers.GALLO.cf] == ("Gallo", "Teresa", "1940-05-15")
    assert persons[registers.ROSSI.cf] == ("Rossi", "Mario", "1941-04-03")
    assert None not in persons


def test_a_corrected_name_updates_the_person_once_and_undo_restores_it(
        cli, db, office, tmp_path):
    cli.import_(registers.write_xlsx(tmp_path / "registro.xlsx"), office.code)
    cells = registers.grid()
    for row in cells:
        if row[1] == "D'Angelo":  # two rows, two years, one person
            row[2] = "Niccolò Maria"

    summary = cli.import_(registers.write_xlsx(tmp_path / "registro-2.xlsx", cells),
                          office.code)

    assert (summary["persons_updated"], summary["persons_created"], summary["updated"]) == (
        1, 0, 0)
    assert stored_persons(db, office.id)[registers.DANGELO.cf][1] == "Niccolò Maria"
    assert undo(db, office.id, summary["import_id"], None) == {
        "entries": 0, "cases": 0, "persons": 0}
    assert stored_persons(db, office.id)[registers.DANGELO.cf][1] == "Niccolò"


def test_updating_a_sheet_of_a_closed_case_opens_no_new_case(cli, db, office, tmp_path):
    cli.import_(registers.write_xlsx(tmp_path / "registro.xlsx"), office.code)
    entry = stored_entries(db, office.id)[(registers.ESPOSITO.cf, 2024)]
    store.cases.close(db, entry["case_id"], "Trasferimento", "2024-06-30", None)
    cells = registers.grid()
    next(r for r in cells if r[1] == "Esposito")[7] = "11.000"
    before = totals(db, office.id)

    summary = cli.import_(registers.write_xlsx(tmp_path / "registro-2.xlsx", cells),
                          office.code)

    assert (summary["created"], summary["updated"]) == (0, 1)
    assert totals(db, office.id) == {**before, "revisions": before["revisions"] + 1,
                                     "imports": before["imports"] + 1}
    updated = stored_entries(db, office.id)[(registers.ESPOSITO.cf, 2024)]
    assert (updated["case_id"], updated["data"]["isee"]) == (entry["case_id"], "11000.00")


# --- 5. undo --------------------------------------------------------------------------------


def test_undo_removes_what_the_import_created(cli, db, office, tmp_path):
    empty = totals(db, office.id)
    summary = cli.import_(registers.write_xlsx(tmp_path / "registro.xlsx"), office.code)
    assert totals(db, office.id)["entries"] == 7

    done = undo(db, office.id, summary["import_id"], None)

    assert done == {"entries": 7, "cases": 6, "persons": 6}
    assert totals(db, office.id) == {**empty, "imports": 1}
    assert store.imports.get(db, office.id, summary["import_id"])["status"] == "annullata"
    with pytest.raises(UndoRefused, match="già stata annullata"):
        undo(db, office.id, summary["import_id"], None)


def test_undo_of_an_update_restores_the_previous_sheet(cli, db, office, tmp_path):
    cli.import_(registers.write_xlsx(tmp_path / "registro.xlsx"), office.code)
    cells = registers.grid()
    next(r for r in cells if r[1] == "Verdi")[12] = "Anna Verdi"  # the missing applicant
    update = cli.import_(registers.write_xlsx(tmp_path / "registro-2.xlsx", cells), office.code)
    assert (update["created"], update["updated"]) == (0, 1)
    before_undo = totals(db, office.id)
    assert stored_entries(db, office.id)[(registers.VERDI.cf, 2024)]["status"] == "completa"

    assert undo(db, office.id, update["import_id"], None) == {
        "entries": 1, "cases": 0, "persons": 0}

    verdi = stored_entries(db, office.id)[(registers.VERDI.cf, 2024)]
    assert verdi["status"] == "bozza"
    assert "richiedente_nome" not in verdi["data"] or verdi["data"]["richiedente_nome"] is None
    assert totals(db, office.id) == {**before_undo, "revisions": before_undo["revisions"] + 1}


def test_undo_is_refused_after_a_sheet_was_edited(cli, db, office, tmp_path):
    summary = cli.import_(registers.write_xlsx(tmp_path / "registro.xlsx"), office.code)
    entry = stored_entries(db, office.id)[(registers.BIANCHI.cf, 2024)]
    entry_store.save(db, entry["id"], entry["rev"],
                     {**entry["data"], "certificatore": "Dott. Ferri"}, "completa", None)
    before = totals(db, office.id)

    with pytest.raises(UndoRefused) as refused:
        undo(db, office.id, summary["import_id"], None)

    assert str(refused.value) == (f"la scheda {entry['id']} è stata modificata dopo "
                                  "l'importazione: annullare cancellerebbe quel lavoro")
    assert totals(db, office.id) == before
    assert store.imports.get(db, office.id, summary["import_id"])["status"] == "completata"


# --- 6. a crash while committing ------------------------------------------------------------

# Enough for a commit of several seconds on any machine: each row is a new person, case and
# sheet (on a 2-core VM: plan ~0.3 ms a row, commit ~0.5 ms).
CRASH_ROWS = 20000


def test_killed_import_leaves_all_or_nothing(tmp_path):
    app, env = new_instance(tmp_path)
    database = Path(app.config["DATABASE"])
    db = store.connect(database)
    offices.create(db, "G", "Ufficio grande")
    db.conn.close()
    path = registers.big_csv(tmp_path / "grande.csv", CRASH_ROWS)
    wal = Path(f"{database}-wal")
    start_size = wal.stat().st_size if wal.exists() else 0

    process = subprocess.Popen(
        [sys.executable, "-m", "app", "import", str(path), "--form", "misura_b1", "--office",
         "G", "--json"], cwd=REPO, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        # The commit is one transaction; once it outgrows SQLite's page cache it spills
        # into the WAL, so a growing WAL means "writing, not yet committed".
        while (wal.stat().st_size if wal.exists() else 0) < start_size + 4 * 1024 * 1024:
            assert process.poll() is None, (
                f"the import ended before it could be killed: {process.stderr.read()!r}")
            assert time.monotonic() < deadline, "the import never started writing"
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    assert store.integrity_check(database) == "ok"
    conn = sqlite3.connect(database)
    try:
        entries, persons, imports, items = (conn.execute(f"SELECT COUNT(*) FROM {table}")
                                            .fetchone()[0] for table in
                                            ("entries", "persons", "imports", "import_items"))
    finally:
        conn.close()
    assert (entries, persons, imports) in ((0, 0, 0), (CRASH_ROWS, CRASH_ROWS, 1))
    assert items == (0 if imports == 0 else 3 * CRASH_ROWS)


# --- 7. export and back ---------------------------------------------------------------------


def test_export_round_trip(cli, db, office, tmp_path):
    cli.import_(registers.write_xlsx(tmp_path / "registro.xlsx"), office.code)
    gallo = stored_entries(db, office.id)[("Gallo", 2024)]
    entry_store.save(db, gallo["id"], gallo["rev"], {**gallo["data"], "asst": "=1+1"},
                     gallo["status"], None)  # typed by an operator in the web form
    exported = tmp_path / "misura_b1.xlsx"

    result = cli.run("export", "misura_b1", "-o", exported, "--office", office.code)

    assert "7 schede esportate" in result.output
    workbook = load_workbook(exported)
    assert workbook.sheetnames[-1] == "Legenda"
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    rows = {row[header.index("Id scheda")].value: {h: c for h, c in zip(header, row,
                                                                        strict=True)}
            for row in sheet.iter_rows(min_row=2)}
    assert len(rows) == 7
    esposito = next(r for r in rows.values() if r["Cognome"].value == "Esposito")
    assert esposito["Data della domanda"].is_date
    assert esposito["Data della domanda"].value.date().isoformat() == "2024-04-10"
    assert esposito["Data di nascita"].is_date
    assert (esposito["Valore ISEE (€)"].data_type, esposito["Valore ISEE (€)"].value) == (
        "n", 10000.5)
    assert (esposito["Anno della misura"].data_type, esposito["Anno della misura"].value) == (
        "n", 2024)
    # Only dates are shown as dates: no number or text after a date takes its format.
    assert {h: c.number_format for h, c in esposito.items() if c.value is not None
            and not c.is_date} == {h: "General" for h, c in esposito.items()
                                   if c.value is not None and not c.is_date}
    assert esposito["Il richiedente è"].value == "Il beneficiario"
    assert esposito["La persona vive al proprio domicilio"].value == "Sì"
    formula_like = rows[gallo["id"]]["ASST di riferimento"]
    assert (formula_like.value, formula_like.data_type) == ("=1+1", "s")

    esposito["Valore ISEE (€)"].value = 10250.75
    workbook.save(exported)
    before = totals(db, office.id)

    summary = cli.import_(exported, office.code)

    assert (summary["rows"], summary["created"], summary["updated"], summary["unchanged"],
            summary["invalid"], summary["persons_created"]) == (7, 0, 1, 6, 0, 0)
    assert summary["mapping"]["Id scheda"] == "id_scheda"
    assert totals(db, office.id) == {**before, "revisions": before["revisions"] + 1,
                                     "imports": before["imports"] + 1}
    entries = stored_entries(db, office.id)
    assert entries[(registers.ESPOSITO.cf, 2024)]["data"]["isee"] == "10250.75"
    assert entries[("Gallo", 2024)]["data"]["asst"] == "=1+1"


def _assessment_register(path: Path, patologie: str) -> Path:
    """Two persons' multidimensional assessments, with the Barthel and Katz 'Vestirsi' items."""
    cells = [["Cod. Fiscale", "Cognome", "Nome", "Data di nascita", "data_valutazione",
              "barthel_vestirsi", "katz_vestirsi", "patologie"],
             [registers.ROSSI.cf, "Rossi", "Mario", "03/04/1941", "10/06/2024", "5", "1",
              patologie],
             [registers.BIANCHI.cf, "Bianchi", "Lucia", "21/07/1938", "11/06/2024", "10", "0",
              ""]]
    return registers.write_csv(path, ",", "utf-8", cells)


def _export_and_reimport(cli, office, tmp_path, form_id: str) -> dict:
    exported = tmp_path / f"{form_id}.xlsx"
    cli.run("export", form_id, "-o", exported, "--office", office.code)
    result = cli.run("import", exported, "--form", form_id, "--office", office.code, "--json")
    return json.loads(result.stdout)


def test_export_round_trip_keeps_fields_that_share_a_label(cli, db, office, tmp_path):
    path = _assessment_register(tmp_path / "valutazioni.csv", "")
    first = cli.run("import", path, "--form", "valutazione_multidimensionale", "--office",
                    office.code, "--json")
    assert json.loads(first.stdout)["created"] == 2

    again = _export_and_reimport(cli, office, tmp_path, "valutazione_multidimensionale")

    assert (again["rows"], again["unchanged"], again["updated"], again["invalid"]) == (
        2, 2, 0, 0), again["errors"]
    assert again["mapping"]["Vestirsi [barthel_vestirsi]"] == "barthel_vestirsi"
    assert again["mapping"]["Vestirsi [katz_vestirsi]"] == "katz_vestirsi"
    values = {json.loads(r["data"])["barthel_vestirsi"]: json.loads(r["data"])["katz_vestirsi"]
              for r in db.query("SELECT data FROM entries WHERE office_id = ?", [office.id])}
    assert values == {5: 1, 10: 0}


def test_export_round_trip_keeps_choices_whose_labels_hold_commas(cli, db, office, tmp_path):
    path = _assessment_register(tmp_path / "valutazioni.csv", "neurologiche; demenza")
    cli.run("import", path, "--form", "valutazione_multidimensionale", "--office", office.code)

    again = _export_and_reimport(cli, office, tmp_path, "valutazione_multidimensionale")

    assert (again["unchanged"], again["updated"], again["invalid"]) == (2, 0, 0), again["errors"]
    sheet = load_workbook(tmp_path / "valutazione_multidimensionale.xlsx").worksheets[0]
    header = [c.value for c in sheet[1]]
    cells = [row[header.index("Altre patologie presenti")] for row in sheet.iter_rows(min_row=2)]
    assert sorted(c.value or "" for c in cells) == [
        "", "Neurologiche (ictus, Parkinson, SLA, SM...)\nDemenza / deterioramento cognitivo"]
    assert all(c.alignment.wrap_text for c in cells if c.value)
    stored = {json.loads(r["data"]).get("barthel_vestirsi"): json.loads(r["data"]).get("patologie")
              for r in db.query("SELECT data FROM entries WHERE office_id = ?", [office.id])}
    assert stored == {5: ["neurologiche", "demenza"], 10: []}


def test_a_form_with_its_own_codice_fiscale_still_links_rows_to_persons(
        cli, db, office, tmp_path):
    """ricorso_ads has a 'Codice fiscale' for the applicant and one for the beneficiary."""
    cells = [["Codice fiscale", "Cognome", "Nome", "Data di nascita", "Tribunale",
              "ricorrente_cognome", "ricorrente_nome"],
             [registers.ROSSI.cf, "Rossi", "Mario", "03/04/1941", "Tribunale di Milano",
              "Rossi", "Giulia"],
             [registers.VERDI.cf, "Verdi", "Anna", "30/01/1945", "Tribunale di Bologna",
              "Neri", "Marco"]]
    path = registers.write_csv(tmp_path / "ricorsi.csv", ";", "utf-8", cells)
    first = json.loads(cli.run("import", path, "--form", "ricorso_ads", "--office", office.code,
                               "--json").stdout)
    assert first["mapping"]["Codice fiscale"] == "persona.codice_fiscale"
    assert (first["created"], first["persons_created"], first["invalid"]) == (2, 2, 0)

    again = _export_and_reimport(cli, office, tmp_path, "ricorso_ads")

    assert (again["rows"], again["unchanged"], again["updated"], again["invalid"]) == (
        2, 2, 0, 0), again["errors"]
    assert again["mapping"]["Cognome"] == "persona.cognome"
    assert again["mapping"]["Cognome [ricorrente_cognome]"] == "ricorrente_cognome"
    applicants = {json.loads(r["data"])["ricorrente_nome"] for r in db.query(
        "SELECT data FROM entries WHERE office_id = ?", [office.id])}
    assert applicants == {"Giulia", "Marco"}
    assert stored_persons(db, office.id)[registers.VERDI.cf] == ("Verdi", "Anna", "1945-01-30")


# --- 8. what a new sheet takes from the person ------------------------------------------------


def test_a_new_sheet_takes_the_persons_data_as_in_the_web(cli, db, office, tmp_path):
    """A report to the juvenile prosecutor imported from a list of minors: the child's
    section is filled from the person (`prefill: persona.*`), as a sheet opened in the
    web would be, and a re-import finds nothing to change."""
    path = tmp_path / "segnalazioni.csv"
    path.write_text("Codice fiscale;Cognome;Nome;Nato il;Nato a\n"
                    f"{registers.DANGELO.cf};D'Angelo;Niccolò;03/04/2012;Brescia\n",
                    encoding="cp1252")
    mapping = tmp_path / "mappa.yaml"
    mapping.write_text("modulo: segnalazione_tm\ncolonne:\n  Codice fiscale: "
                       "persona.codice_fiscale\n  Cognome: persona.cognome\n  Nome: "
                       "persona.nome\n  Nato il: persona.data_nascita\n  Nato a: "
                       "persona.luogo_nascita\n", encoding="utf-8")
    args = ("import", path, "--form", "segnalazione_tm", "--office", office.code,
            "--mapping", mapping, "--json")

    first = json.loads(cli.run(*args).stdout)
    again = json.loads(cli.run(*args).stdout)

    assert (first["created"], first["invalid"], again["unchanged"]) == (1, 0, 1)
    data = json.loads(db.execute("SELECT data FROM entries WHERE office_id = ? AND form_id = "
                                 "'segnalazione_tm'", [office.id]).fetchone()[0])
    assert {k: data[k] for k in ("minore_cognome", "minore_nome", "minore_data_nascita",
                                 "minore_luogo_nascita", "minore_codice_fiscale")} == {
        "minore_cognome": "D'Angelo", "minore_nome": "Niccolò",
        "minore_data_nascita": "2012-04-03", "minore_luogo_nascita": "Brescia",
        "minore_codice_fiscale": registers.DANGELO.cf}


def test_limits_of_the_form_two_digit_years_and_a_surname_like_a_total(cli, db, office,
                                                                       tmp_path):
    """Mr Somma is a person, not a totals row; a year below the form's minimum is a wrong
    value (the row is invalid, as the web form would refuse it); '03/04/41' is a birth in
    1941."""
    somma = codicefiscale.encode(lastname="Somma", firstname="Giuseppe", gender="M",
                                 birthdate="03/04/1941", birthplace="Brescia")
    path = tmp_path / "registro.csv"
    path.write_text("Codice fiscale;Cognome;Nome;Data di nascita;Anno;Valore ISEE\n"
                    f"{somma};Somma;Giuseppe;03/04/41;2024;8000\n"
                    f"{registers.DANGELO.cf};D'Angelo;Niccolò;03/04/1950;2010;9000\n"
                    "Totale;;;;;17000\n", encoding="utf-8")

    summary = cli.import_(path, office.code)

    assert (summary["rows"], summary["created"], summary["invalid"]) == (2, 1, 1)
    assert [(e["row"], e["column"], e["message"]) for e in summary["errors"]] == [
        (3, "Anno", "«2010» non è ammesso: il valore deve essere compreso tra 2016 e 2100")]
    assert stored_persons(db, office.id) == {somma: ("Somma", "Giuseppe", "1941-04-03")}


def test_the_header_row_can_be_given_on_the_command_line(cli, office, tmp_path):
    """Two blocks with the same header, as after a page break: the office imports only the
    second one by naming its header row, as it can on the web page."""
    header = "Codice fiscale;Cognome;Nome;Data di nascita;Anno;Valore ISEE\n"
    path = tmp_path / "due-blocchi.csv"
    path.write_text(header + f"{registers.ROSSI.cf};Rossi;Mario;03/04/1941;2024;8000\n"
                    + header + f"{registers.VERDI.cf};Verdi;Anna;30/01/1945;2024;9000\n",
                    encoding="utf-8")

    found = cli.import_(path, office.code, "--dry-run")
    chosen = cli.import_(path, office.code, "--dry-run", "--header-row", "3")

    assert (found["header_row"], found["rows"], found["invalid"]) == (1, 3, 1)
    assert (chosen["header_row"], chosen["rows"], chosen["created"], chosen["invalid"]) == (
        3, 1, 1, 0)


def test_a_mapping_of_another_form_is_refused_on_the_command_line(cli, office, tmp_path):
    """The same check as the wizard's: nothing is read with a mapping made for another form."""
    path = registers.write_xlsx(tmp_path / "registro.xlsx")
    other = tmp_path / "mappa.yaml"
    other.write_text("modulo: segnalazione_tm\ncolonne:\n  Cognome: persona.cognome\n",
                     encoding="utf-8")

    result = cli.runner.invoke(main, ["import", str(path), "--form", "misura_b1", "--office",
                                      office.code, "--mapping", str(other), "--json"])

    assert result.exit_code == 2
    summary = json.loads(result.stdout)
    assert summary["committed"] is False
    assert summary["errors"][0]["message"] == (
        "La mappatura «mappa.yaml» è del modulo «Segnalazione alla Procura presso il Tribunale "
        "per i Minorenni», non di quello scelto («Misura B1 – Disabilità gravissima»).")


@pytest.mark.parametrize(("raw", "expected"), [
    ("03/04/41", "1941-04-03"), ("3 apr 41", "1941-04-03"), ("lunedì 11 dic. 44", "1944-12-11"),
    ("11-dic-44", "1944-12-11"), ("03.04.41 10:30", "1941-04-03"),
])
def test_a_two_digit_birth_year_is_in_the_past_however_the_date_is_written(raw, expected):
    """'3 apr 41' is a birth in 1941, as '03/04/41' is: the year read from the cell's end."""
    from datetime import date

    from app.imports.plan import _birth_date

    parsed = date(2000 + int(expected[2:4]), int(expected[5:7]), int(expected[8:]))
    assert _birth_date(parsed.isoformat(), raw) == expected


@pytest.mark.parametrize("raw", ["2041-04-03", "03/04/2041", "11 dicembre 2041"])
def test_a_birth_date_written_with_a_whole_future_year_is_refused(raw):
    from app.imports.plan import _birth_date

    with pytest.raises(ValueError, match="nel futuro"):
        _birth_date("2041-04-03", raw)
