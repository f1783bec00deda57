"""Messy legacy registers for the import tests, built at test time (no binary fixtures).

One grid of cells — title rows, a header, dirty data, a blank row, a note and a totals row —
is written as the .xlsx an office would really keep (merged title, hidden column, formatted
empty rows, a 'Legenda' sheet) or as CSV in the dialects Excel and LibreOffice produce.
`EXPECTED` says what importing it into misura_b1 must give.
"""

import csv
import random
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from codicefiscale import codicefiscale
from openpyxl import Workbook
from openpyxl.styles import Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter


@dataclass(frozen=True)
class Person:
    cognome: str
    nome: str
    sesso: str
    nascita: date
    luogo: str

    @property
    def cf(self) -> str:
        """A valid codice fiscale, computed like the Agenzia delle Entrate does."""
        return codicefiscale.encode(lastname=self.cognome, firstname=self.nome,
                                    gender=self.sesso, birthdate=self.nascita.strftime("%d/%m/%Y"),
                                    birthplace=self.luogo)


@dataclass(frozen=True)
class Formula:
    """A formula cell: a formula in Excel, its computed value (`shown`) in a CSV."""

    text: str
    shown: str


ROSSI = Person("Rossi", "Mario", "M", date(1941, 4, 3), "Milano")
DANGELO = Person("D'Angelo", "Niccolò", "M", date(1950, 11, 12), "Napoli")
BIANCHI = Person("Bianchi", "Lucia", "F", date(1938, 7, 21), "Torino")
VERDI = Person("Verdi", "Anna", "F", date(1945, 1, 30), "Bologna")
ESPOSITO = Person("Esposito", "Giuseppe", "M", date(1952, 9, 8), "Napoli")
GALLO = Person("Gallo", "Teresa", "F", date(1940, 5, 15), "Bergamo")
COLOMBO = Person("Colombo", "Luca", "M", date(1960, 2, 2), "Monza")
RICCI = Person("Ricci", "Sara", "F", date(1970, 10, 10), "Como")
MARINO = Person("Marino", "Franco", "M", date(1948, 3, 3), "Lecco")
GRECO = Person("Greco", "Elena", "F", date(1955, 6, 6), "Varese")

HEADERS = ["N.", "Cognome", "Nome", "Cod. Fiscale", "Data di nascita", "Anno", "Data domanda",
           "Valore ISEE", "ASST", "Vive al domicilio", "Certificatore", "Data certificazione",
           "Richiedente nome", "Richiedente ruolo", "Uso interno", "Note"]
HIDDEN_COLUMN = "O"  # "Uso interno"
HEADER_ROW = 4
TITLE = "Registro Misura B1 – Ambito territoriale di Esempio"


def _bad_check_character(code: str) -> str:
    return code[:-1] + ("A" if code[-1] != "A" else "B")


def _dirty(code: str) -> str:
    """'RSSMRA41D03F205B' as typed by hand: ' rss mra 41d03 f205b '."""
    return f" {code[:3]} {code[3:6]} {code[6:11]} {code[11:]} ".lower()


def data_rows() -> list[list]:
    """The register's body, file rows 5 to 20, as cell values (None is an empty cell)."""
    r = [
        [1, "Rossi", "Mario", _dirty(ROSSI.cf), datetime(1941, 4, 3), 2024.0, date(2024, 2, 5),
         "12.345,67 €", None, "Sì", "Dott. Bianchi, ASST Nord", "15/01/2024",
         "Mario Rossi", "Il beneficiario", "prot. 118", ""],
        [2, "D'Angelo", "Niccolò", DANGELO.cf, "12/11/1950", "2024", "03.03.2024", 9500.5,
         "ASST Napoli", "si", "Dott.ssa Russo", datetime(2024, 2, 20), "Carla D'Angelo",
         "Un familiare / caregiver", "prot. 119", "figlia caregiver"],
        [3, "Bianchi", "Lucia", f"  {BIANCHI.cf[:8]} {BIANCHI.cf[8:]} ", "21.07.1938", 2024.0,
         "3/4/2024", "8.000", "ASST Torino", "SI", None, "03/04/2024", "Lucia Bianchi",
         "beneficiario", "", "manca la certificazione"],
        None,
        [4, "Verdi", "Anna", VERDI.cf.lower(), "30-01-1945", 2024, "03-04-2024", "€ 7.200,00",
         "ASST Bologna", "x", "Dott. Neri", "03.04.2024", None, "familiare", "", ""],
        [5, "Esposito", "Giuseppe", ESPOSITO.cf, "8/9/1952", 2024.0, "2024-04-10", "10000,5",
         "ASST Napoli", "Sì", "Dott. Greco", "03/04/2024", "Giuseppe Esposito",
         "Il beneficiario", "", '=HYPERLINK("http://esempio.invalid/";"scheda")'],
        [6, "Gallo", "Teresa", None, datetime(1940, 5, 15), "2024", date(2024, 5, 2), 15000,
         "ASST Bergamo", "Sì", "Dott. Conti", "02/05/2024", "Teresa Gallo", "Il beneficiario",
         "", "codice fiscale da chiedere"],
        # No codice fiscale: row 6 gives it for the same name and birth date.
        [7, "D'Angelo", "Niccolò", None, "12/11/1950", 2023.0, "10/03/2023", "9.100,00",
         "ASST Napoli", "Sì", "Dott.ssa Russo", None, "Carla D'Angelo", "familiare", "", ""],
        [8, "Rossi", "Mario", ROSSI.cf, "03/04/1941", 2024.0, "05/02/2024", "12.345,67 €",
         "ASST Nord Milano", "Sì", "Dott. Bianchi, ASST Nord", "15/01/2024", "Mario Rossi",
         "Il beneficiario", "", "riga ripetuta con l'ASST"],
        [9, "Colombo", "Luca", _bad_check_character(COLOMBO.cf), "02/02/1960", 2024.0,
         "06/05/2024", "6.000", "ASST Brianza", "Sì", "Dott. Sala", "06/05/2024",
         "Luca Colombo", "Il beneficiario", "", ""],
        [10, "Ricci", "Sara", RICCI.cf[:11], "10/10/1970", 2024.0, "07/05/2024", "5.000",
         "ASST Lariana", "Sì", "Dott. Sala", "07/05/2024", "Sara Ricci", "Il beneficiario",
         "", ""],
        [11, "Marino", "Franco", MARINO.cf, "03/03/1948", 2024.0, "31/02/2024", "7.000",
         "ASST Lecco", "Sì", "Dott. Sala", "08/05/2024", "Franco Marino", "Il beneficiario",
         "", ""],
        [12, "Greco", "Elena", GRECO.cf, "06/06/1955", 2024.0, "09/05/2024", "n.d.",
         "ASST Sette Laghi", "Sì", "Dott. Sala", "09/05/2024", "Elena Greco",
         "Il beneficiario", "", "ISEE in arrivo"],
        [13, "Neri", "Paolo", None, None, 2024.0, "10/05/2024", "4.000", "ASST Nord Milano",
         "Sì", "Dott. Sala", "10/05/2024", "Paolo Neri", "Il beneficiario", "", ""],
        [None, "Nota: gli importi ISEE sono in euro, come da attestazione INPS.", None, None,
         None, None, None, None, None, None, None, None, None, None, None, None],
        [None, "Totale", None, None, None, None, None,
         Formula("=SUM(H5:H18)", "89.146,17"), None, None, None, None, None, None, None, None],
    ]
    return [[None] * len(HEADERS) if row is None else row for row in r]


def grid() -> list[list]:
    """The whole first sheet, from A1: title, subtitle, a blank row, header, body."""
    width = len(HEADERS)
    return [[TITLE] + [None] * (width - 1),
            ["Aggiornato al 31/05/2024 a cura dell'Ufficio di Piano"] + [None] * (width - 1),
            [None] * width, list(HEADERS), *data_rows()]


# What importing grid() into misura_b1 gives, for every format.
EXPECTED = {"rows": 13, "created": 7, "updated": 0, "unchanged": 0, "invalid": 5, "merged": 1,
            "persons_created": 6, "incomplete": 3}
VALID_ROWS = 7
EXPECTED_ERRORS = [  # (file row, column, words of the message)
    (14, "Cod. Fiscale", "non valido"),
    (15, "Cod. Fiscale", "non valido"),
    (16, "Data domanda", "non è una data valida"),
    (17, "Valore ISEE", "non è un numero"),
    (18, "", "non collegabile a una persona"),
]
EXPECTED_PERSONS = {  # codice fiscale (or cognome) -> (cognome, nome, data di nascita)
    ROSSI.cf: ("Rossi", "Mario", "1941-04-03"),
    DANGELO.cf: ("D'Angelo", "Niccolò", "1950-11-12"),
    BIANCHI.cf: ("Bianchi", "Lucia", "1938-07-21"),
    VERDI.cf: ("Verdi", "Anna", "1945-01-30"),
    ESPOSITO.cf: ("Esposito", "Giuseppe", "1952-09-08"),
    None: ("Gallo", "Teresa", "1940-05-15"),
}
EXPECTED_ENTRIES = {  # (codice fiscale or cognome, anno) -> (status, isee, data_domanda)
    (ROSSI.cf, 2024): ("completa", "12345.67", "2024-02-05"),
    (DANGELO.cf, 2024): ("completa", "9500.50", "2024-03-03"),
    (BIANCHI.cf, 2024): ("bozza", "8000.00", "2024-04-03"),
    (VERDI.cf, 2024): ("bozza", "7200.00", "2024-04-03"),
    (ESPOSITO.cf, 2024): ("completa", "10000.50", "2024-04-10"),
    ("Gallo", 2024): ("completa", "15000.00", "2024-05-02"),
    (DANGELO.cf, 2023): ("bozza", "9100.00", "2023-03-10"),
}


def write_xlsx(path: Path, cells: list[list] | None = None, empty_rows: int = 400) -> Path:
    """The register as an office keeps it in Excel (last year's sheet hidden before it)."""
    cells = grid() if cells is None else cells
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Registro 2024"
    thin = Side(style="thin", color="FF999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for number, row in enumerate(cells, start=1):
        for column, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(number, column)
            if isinstance(value, Formula):
                cell.value = value.text
                cell.number_format = "#,##0.00 €"
                continue
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # "=..." stays text, as typed in a text-formatted cell
            if isinstance(value, date):
                cell.number_format = "DD/MM/YYYY"
    width = len(cells[HEADER_ROW - 1])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FFDDEBF7")
    # Formatted, empty rows: the register was "prepared" for the rest of the year.
    for number in range(len(cells) + 1, len(cells) + 1 + empty_rows):
        for column in range(1, width + 1):
            cell = sheet.cell(number, column)
            cell.border = border
            if column in (5, 7, 12):
                cell.number_format = "DD/MM/YYYY"
    sheet.column_dimensions[HIDDEN_COLUMN].hidden = True
    for column in range(1, width + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 16
    archive = workbook.create_sheet("Archivio 2023", 0)  # last year's, hidden, not to import
    archive.append(["Cognome", "Nome", "Cod. Fiscale", "Anno", "Valore ISEE"])
    archive.append(["Rossi", "Mario", ROSSI.cf, 2023, 11000])
    archive.sheet_state = "hidden"
    workbook.active = 1
    legend = workbook.create_sheet("Legenda")
    legend.append(["Colonna", "Significato"])
    legend.append(["Cod. Fiscale", "Codice fiscale dell'assistito"])
    legend.append(["Valore ISEE", "ISEE sociosanitario in euro"])
    legend.append(["Uso interno", "Protocollo (colonna nascosta)"])
    workbook.save(path)
    return path


def text_value(value, decimal_comma: bool = True) -> str:
    """A cell as Excel would write it in a CSV (Italian locale)."""
    if value is None:
        return ""
    if isinstance(value, Formula):
        return value.shown
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        if value == int(value):
            return str(int(value))
        text = repr(value)
        return text.replace(".", ",") if decimal_comma else text
    return str(value)


def write_csv(path: Path, delimiter: str = ";", encoding: str = "cp1252",
              cells: list[list] | None = None) -> Path:
    """The register saved as CSV ('CSV (delimitato dal separatore di elenco)' and friends)."""
    cells = grid() if cells is None else cells
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        for row in cells:
            writer.writerow([text_value(v) for v in row])
    return path


def big_csv(path: Path, count: int) -> Path:
    """`count` distinct complete persons, one Misura B1 row each, for the crash test."""
    start = date(1930, 1, 1).toordinal()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Cognome", "Nome", "Data di nascita", "Anno", "Data domanda",
                         "Valore ISEE", "Vive al domicilio", "Certificatore",
                         "Data certificazione", "Richiedente nome", "Richiedente ruolo"])
        for number in range(count):
            born = date.fromordinal(start + number % 20000)
            writer.writerow([f"Cognome{number // 20000}", f"Persona{number:06d}",
                             born.strftime("%d/%m/%Y"), "2024", "05/02/2024",
                             f"{8000 + number % 997},50", "Sì", "Dott. Sala", "15/01/2024",
                             f"Persona{number:06d}", "Il beneficiario"])
    return path


def write_zip(path: Path, members: dict[str, bytes | str],
              compression: int = zipfile.ZIP_DEFLATED) -> Path:
    """An OOXML-like archive from raw members (for files openpyxl refuses to write)."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Foglio1" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_OPEN = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')


def handmade_xlsx(path: Path, sheet_xml: bytes | str) -> Path:
    """A minimal .xlsx whose only sheet is the given XML, written without openpyxl."""
    return write_zip(path, {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": ROOT_RELS,
                            "xl/workbook.xml": WORKBOOK, "xl/_rels/workbook.xml.rels":
                            WORKBOOK_RELS, "xl/worksheets/sheet1.xml": sheet_xml})


def sparse_sheet_xml() -> str:
    """Two cells: A1 and XFD1048576, the last cell of the grid."""
    return (SHEET_OPEN + '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Cognome</t>'
            '</is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
            '</sheetData></worksheet>')


# --- hostile files --------------------------------------------------------------------------

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def zip_bomb(path: Path, megabytes: int) -> Path:
    """An .xlsx whose sheet inflates to `megabytes` MB of empty rows (a few MB packed)."""
    chunk = b"<row/>" * (1024 * 1024 // 6) + b"<row/>" * 2  # a little over 1 MB
    # The fastest deflate level still packs it over 200:1; the default one takes 4 s more.
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, content in {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": ROOT_RELS,
                              "xl/workbook.xml": WORKBOOK,
                              "xl/_rels/workbook.xml.rels": WORKBOOK_RELS}.items():
            archive.writestr(name, content)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(SHEET_OPEN.encode() + b"<sheetData>")
            for _ in range(megabytes):
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
    return path


def sparse_xlsx(path: Path) -> Path:
    """A header cell and one number at XFD1048576: a reader that fills the grid explodes."""
    return handmade_xlsx(path, sparse_sheet_xml())


def truncated_xlsx(path: Path) -> Path:
    """A real register cut in half, as an interrupted download leaves it."""
    whole = write_xlsx(path.with_name("intero.xlsx"), empty_rows=0).read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path


def csv_named_xlsx(path: Path) -> Path:
    """A CSV saved with an .xlsx name."""
    return write_csv(path)


def password_protected_xlsx(path: Path) -> Path:
    """What Excel writes for a workbook with an opening password: an OLE compound file."""
    header = OLE_MAGIC + bytes(16) + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
    name = "EncryptedPackage".encode("utf-16-le")
    path.write_bytes(header.ljust(512, b"\x00") + name.ljust(4096, b"\x00"))
    return path


def csv_with_nul(path: Path) -> Path:
    """A 'CSV' with NUL bytes that is no text at all: a picture renamed (a UTF-16 export,
    with NUL in every other byte, is read: see tests/test_imports_files.py)."""
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    return path


def zip_of_two_csv(path: Path) -> Path:
    """An archive with two CSV files: which one is the register is not for us to guess."""
    return write_zip(path, {"anagrafe.csv": "Cognome;Nome\r\nRossi;Mario\r\n",
                            "servizi.csv": "Servizio;Ore\r\nSAD;12\r\n"})


SHARED_STRINGS_TYPE = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
SHARED_STRINGS_REL = (
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')


def huge_string_xlsx(path: Path, megabytes: int = 100, cell: str = "C3") -> Path:
    """A valid workbook whose shared strings hold one text of `megabytes` MB, shown in one
    cell: under 1 MB packed, it inflates about 130:1, below the zip-bomb ratio."""
    sheet = (SHEET_OPEN + '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" '
             't="s"><v>1</v></c></row><row r="3"><c r="A3" t="s"><v>2</v></c>'
             f'<c r="{cell}" t="s"><v>3</v></c></row></sheetData></worksheet>')
    noise = random.Random(12)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in {
                "[Content_Types].xml": CONTENT_TYPES.replace("</Types>", SHARED_STRINGS_TYPE),
                "_rels/.rels": ROOT_RELS, "xl/workbook.xml": WORKBOOK,
                "xl/_rels/workbook.xml.rels": WORKBOOK_RELS.replace("</Relationships>",
                                                                    SHARED_STRINGS_REL),
                "xl/worksheets/sheet1.xml": sheet}.items():
            archive.writestr(name, content)
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                          b'openxmlformats.org/spreadsheetml/2006/main"><si><t>Cognome</t></si>'
                          b'<si><t>Note</t></si><si><t>Rossi</t></si><si><t>')
            for _ in range(megabytes * 1024 // 100):  # 100 KB a time, 1% random letters
                strings.write(b"x" * (99 * 1024)
                              + bytes(noise.choice(b"abcdefghilmnoprstuvz ") for _ in range(1024)))
            strings.write(b"</t></si></sst>")
    return path


def dos_encoded_csv(path: Path) -> Path:
    """A CSV from an old DOS program (code page 850): 'Forlì' has a byte Windows lacks."""
    path.write_bytes("Cognome;Nome;Luogo di nascita\r\nGalli;Anna;Forlì\r\n".encode("cp850"))
    return path


def csv_with_unclosed_quote(path: Path, rows: int = 3000) -> Path:
    """A quote opened and never closed: the rest of the file becomes one endless field."""
    lines = ["Cognome;Nome;Note", 'Rossi;Mario;"dice: \'ok'] + [
        f"Cognome{n};Nome{n};nota {n:05d} " + "x" * 40 for n in range(rows)]
    path.write_text("\r\n".join(lines), encoding="utf-8")
    return path


def empty_file(path: Path) -> Path:
    path.write_bytes(b"")
    return path
