"""The import wizard in Chromium: a messy register, from upload to report, download and undo.

The register is built at test time with openpyxl, as an office keeps it: a merged title, a
blank row, a header with a column nobody maps ("N.") and one the form does not know ("Note
operatore"), two valid persons, an invalid codice fiscale, the first person typed again, a
totals row and a hundred empty but formatted rows. A staff member uploads it into Misura B1,
checks the suggested mapping and the preview, confirms, waits for the background commit (the
progress page polls with htmx), downloads the row-by-row report and undoes the import.
"""

import re
import sqlite3
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from codicefiscale import codicefiscale
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Border, Font, PatternFill, Side
from playwright.sync_api import expect
from test_accessibility import assert_accessible

FORM_TITLE = "Misura B1 – Disabilità gravissima"
HEADERS = ["N.", "Cognome", "Nome", "Cod. Fiscale", "Data di nascita", "Valore ISEE", "Anno",
           "Note operatore"]
INVALID_ROW = 6  # the file row with the wrong codice fiscale (title, blank, header, then data)
DUPLICATE_ROW = 7


def _cf(cognome: str, nome: str, sesso: str, nascita: str, luogo: str) -> str:
    return codicefiscale.encode(lastname=cognome, firstname=nome, gender=sesso,
                                birthdate=nascita, birthplace=luogo)


BRAMBILLA = _cf("Brambilla", "Ercole", "M", "14/02/1939", "Monza")
FUMAGALLI = _cf("Fumagalli", "Gemma", "F", "22/08/1944", "Lecco")
_SIRONI = _cf("Sironi", "Ugo", "M", "05/05/1950", "Como")
WRONG_CHECK = _SIRONI[:-1] + ("A" if _SIRONI[-1] != "A" else "B")  # wrong check character


@pytest.fixture(scope="session")
def axe():
    return Axe()


def messy_register(path: Path) -> Path:
    """The register an office would really send, as .xlsx."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Beneficiari B1"
    sheet.append(["Registro Misura B1 – beneficiari 2025 (Ufficio di Piano di Monza)"])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    sheet.append(HEADERS)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFDDEBF7")
    sheet.append([1, "Brambilla", "Ercole", BRAMBILLA, date(1939, 2, 14), "12.500,00 €", 2025,
                  "prima domanda"])
    sheet.append([2, "Fumagalli", "Gemma", f" {FUMAGALLI.lower()} ", "22/08/1944", 9800.5,
                  "2025", None])
    sheet.append([3, "Sironi", "Ugo", WRONG_CHECK, "05/05/1950", "7.000", 2025,
                  "cf da verificare"])
    sheet.append([4, "BRAMBILLA", "ERCOLE", BRAMBILLA, "14/02/1939", "12.500,00 €", 2025,
                  "riga ripetuta"])
    sheet.append([None, "Totale", None, None, None, "=SUM(F4:F7)", None, None])
    sheet["E4"].number_format = "DD/MM/YYYY"
    sheet["F8"].number_format = "#,##0.00 €"
    # A hundred empty rows with borders and a fill: the register was "ready" for the year.
    thin = Side(style="thin", color="FF999999")
    for number in range(9, 109):
        for column in range(1, len(HEADERS) + 1):
            cell = sheet.cell(number, column)
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
            cell.fill = PatternFill("solid", fgColor="FFFFF2CC")
    workbook.save(path)
    return path


@contextmanager
def write_lock(database: str):
    """Hold the database's write lock (another writer at work) until `release()` or the end."""
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")

    def release() -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    try:
        yield release
    finally:
        release()
        conn.close()


def term_value(page, term: str):
    """The <dd> that follows the <dt> reading exactly `term`."""
    dt = page.locator("dt", has_text=re.compile("^" + re.escape(term) + "$"))
    return dt.locator("xpath=following-sibling::dd[1]")


def test_import_a_messy_register_then_undo(page, login, axe, live_app, tmp_path,
                                            no_csp_errors):
    register = messy_register(tmp_path / "Registro B1 2025.xlsx")
    login("amm.monza")
    page.get_by_role("navigation", name="Menu principale").get_by_role(
        "link", name="Importazioni").click()
    expect(page.get_by_role("heading", level=1, name="Importare un registro")).to_be_visible()
    assert_accessible(axe, page)

    # 1. The file, the form and the area of new cases.
    page.get_by_label("File del registro").set_input_files(register)
    page.get_by_label("Modulo in cui importare").select_option(label=FORM_TITLE)
    page.get_by_label("Area delle pratiche nuove").select_option(label="Non autosufficienza")
    page.get_by_role("button", name="Avanti").click()

    # 2. The mapping: the header is found under the title, the rest is recognised.
    expect(page).to_have_url(re.compile(r"/importazioni/[^/]+/mappa$"))
    expect(page.get_by_role("heading", level=1, name="Registro B1 2025.xlsx")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Intestazione trovata alla riga 3; righe di dati: 4 "
                                       r"\(escluse \d+ righe vuote, 1 righe di totale"))).to_be_visible()
    expect(page.get_by_label("Riga dell'intestazione")).to_have_value("3")

    def destination(header: str):
        return page.get_by_role("combobox", name=f"Destinazione di «{header}»", exact=True)

    expect(destination("Cod. Fiscale")).to_have_value("persona.codice_fiscale")
    expect(destination("Cod. Fiscale").locator("option:checked")).to_have_text(
        "Codice fiscale (persona)")
    expect(destination("N.").locator("option:checked")).to_have_text("— ignora la colonna —")
    expect(destination("Note operatore")).to_have_value("")
    expect(destination("Cognome")).to_have_value("persona.cognome")
    expect(destination("Nome")).to_have_value("persona.nome")
    expect(destination("Data di nascita")).to_have_value("persona.data_nascita")
    expect(destination("Valore ISEE")).to_have_value("isee")
    expect(destination("Anno")).to_have_value("anno")
    # The examples column shows what the first data rows hold.
    expect(page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Cognome"))
           ).to_contain_text("Brambilla · Fumagalli · Sironi")
    assert_accessible(axe, page)
    page.get_by_role("button", name="Vai all'anteprima").click()

    # 3. The preview: nothing written yet; counts and the problem rows.
    expect(page).to_have_url(re.compile(r"/importazioni/[^/]+/anteprima$"))
    expect(page.get_by_role("heading", level=1, name="Anteprima: nulla è ancora stato scritto")
           ).to_be_visible()
    expected = {"Righe di dati": "4", "Schede da creare": "2", "Schede da aggiornare": "0",
                "Persone nuove": "2", "Righe unite (stessa persona due volte)": "1",
                "Righe non valide (saranno saltate)": "1"}
    for term, value in expected.items():
        expect(term_value(page, term)).to_have_text(value)
    expect(page.get_by_text(re.compile(r"Colonne ignorate:\s*N\., Note operatore"))).to_be_visible()
    problems = page.get_by_role("table", name="Righe con problemi")
    expect(problems.get_by_role("row")).to_have_count(3)  # header, the invalid and the merged row
    invalid = problems.get_by_role("row").filter(
        has=page.get_by_role("cell", name=str(INVALID_ROW), exact=True))
    expect(invalid).to_contain_text("non valida")
    expect(invalid.get_by_role("cell").nth(2)).to_have_text(
        f"«Cod. Fiscale»: Codice fiscale «{WRONG_CHECK}» non valido: il carattere di controllo "
        "finale non corrisponde agli altri (un carattere è scritto male).")
    merged = problems.get_by_role("row").filter(
        has=page.get_by_role("cell", name=str(DUPLICATE_ROW), exact=True))
    expect(merged).to_contain_text("unita alla riga 4")
    assert_accessible(axe, page)

    # 4. Confirm: the commit runs in the background. Another writer holds the database for a
    # moment (as a long import would take), so the progress page shows and polls; once the
    # writer lets go the commit ends and the page moves on to the report by itself.
    with write_lock(live_app.config["DATABASE"]) as release:
        page.get_by_role("button", name="Conferma l'importazione").click()
        expect(page).to_have_url(re.compile(r"/importazioni/[^/]+/avanzamento$"))
        expect(page.get_by_role("heading", level=1, name="Importazione in corso")).to_be_visible()
        expect(page.get_by_text("Righe scritte: 0 di 4")).to_be_visible()
        with page.expect_response(lambda r: r.url.endswith("/avanzamento")
                                  and r.request.headers.get("hx-request") == "true"):
            pass  # one poll, answered "still running"
        expect(page.get_by_role("heading", level=1, name="Importazione in corso")).to_be_visible()
        assert_accessible(axe, page)
        release()
    page.wait_for_url(re.compile(r"/importazioni/\d+$"))
    heading = page.get_by_role("heading", level=1,
                               name=re.compile(r"^Importazione n\. \d+: Registro B1 2025\.xlsx$"))
    expect(heading).to_be_visible()
    import_id = re.search(r"/importazioni/(\d+)$", page.url).group(1)
    expect(page.get_by_text(re.compile(r"stato: completata"))).to_be_visible()
    done = {"Righe di dati": "4", "Schede create": "2", "Schede aggiornate": "0",
            "Persone nuove": "2", "Righe non valide (saltate)": "1"}
    for term, value in done.items():
        expect(term_value(page, term)).to_have_text(value)

    # The row-by-row report, to fix the bad row and import it again.
    with page.expect_download() as info:
        page.get_by_role("link", name="Scarica l'esito riga per riga (.xlsx)").click()
    download = info.value
    assert download.suggested_filename == f"esito-importazione-{import_id}.xlsx"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = load_workbook(saved, read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    assert "Esito" in header and "Riga del file" in header
    assert header[-len(HEADERS):] == HEADERS  # the original columns follow
    outcome = {row[header.index("Riga del file")]: row[header.index("Esito")] for row in rows[1:]}
    assert outcome == {4: "crea", 5: "crea", INVALID_ROW: "non valida",
                       DUPLICATE_ROW: "unita alla riga 4", 8: "ignorata"}  # 8: the totals
    bad = next(r for r in rows[1:] if r[header.index("Riga del file")] == INVALID_ROW)
    assert "Cod. Fiscale" in bad[header.index("Errori")]
    assert WRONG_CHECK in bad  # the original cells are there, to be corrected

    # 5. Undo, after a confirmation dialog.
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="Annulla l'importazione").click()
    expect(page.get_by_role("status").filter(
        has_text="Importazione annullata: tolte 2 schede, 2 pratiche e 2 persone.")).to_be_visible()
    assert dialogs == ["Annullare tutta l'importazione?"]
    expect(page).to_have_url(re.compile(rf"/importazioni/{import_id}$"))
    expect(page.get_by_role("button", name="Annulla l'importazione")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"stato: completata"))).to_have_count(0)

    # The persons are gone again.
    page.goto("/persone/")
    page.get_by_label("Cerca per cognome, nome o codice fiscale").fill("Brambilla")
    expect(page.get_by_text(re.compile("per «Brambilla»"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Brambilla Ercole"))).to_have_count(0)
    no_csp_errors()
