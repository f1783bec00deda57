"""Rebuild the corpus: one small Italian register saved by LibreOffice in the formats and
encodings that offices' old software writes.

    python3 tests/corpus/make_corpus.py        (needs `soffice`, the Debian libreoffice package)

LibreOffice reads SOURCE (a UTF-8 CSV) as an Italian-language sheet, so dates become dates
and "1234,5" a number, and saves it as .ods; every other file is that .ods saved again by
LibreOffice with a filter and its options (separator, text quote, character set: LibreOffice's
own encoding numbers, listed in CSV_FILES). Two files LibreOffice cannot write are made
from its output, as the old programs that write them do: CR-only line endings (old Mac
programs) and a CSV inside a ZIP archive (a download portal's export). The files are
committed; tests/test_imports_files.py reads each through the real reader and checks that
the accented names come out exactly as typed here.
"""

import csv
import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).parent

ROWS = [  # what every file holds; Niccolò, Forlì, Perù must survive every encoding
    ["Cognome", "Nome", "Luogo di nascita", "Data di nascita", "Importo", "Note"],
    ["Galli", "Niccolò", "Forlì", "11/12/1944", "1234,5", "seguito dal SAD; è già in carico"],
    ["Cantù", "Lucia", "Perù", "03/04/1941", "87,25", "visita il lunedì"],
    ["D'Amico", "Renée", "Canicattì", "29/02/1952", "12", "«urgente», caffè"],
]
NAMES = ["Niccolò", "Forlì", "Perù", "Cantù", "Renée", "Canicattì", "D'Amico"]

# file name -> LibreOffice CSV export options: separator (ASCII code), quote, encoding.
# Encodings: 76 UTF-8, 1 Windows-1252, 4 DOS 850, 3 DOS 437, 2 Mac Roman, 65535 UTF-16.
CSV_FILES = {
    "registro-utf8.csv": "59,34,76",
    "registro-virgola-utf8.csv": "44,34,76",
    "registro-windows1252.csv": "59,34,1",
    "registro-dos850.csv": "59,34,4",
    "registro-dos437.csv": "59,34,3",
    "registro-testo-unicode.txt": "9,34,65535",  # Excel's «Testo Unicode»
    "registro-tabulazioni-windows1252.txt": "9,34,1",  # «Testo (delimitato da tabulazioni)»
    "registro-mac.csv": "59,34,2",
}
SHEETS = {"registro.xlsx": "xlsx:Calc MS Excel 2007 XML", "registro.xls": "xls:MS Excel 97"}


def soffice(source: Path, target: str, folder: Path, profile: Path, infilter: str = "") -> Path:
    """One conversion by LibreOffice headless, in an Italian locale and a private profile."""
    command = ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless"]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--convert-to", target, "--outdir", str(folder), str(source)]
    env = dict(os.environ, LANG="it_IT.UTF-8", LC_ALL="it_IT.UTF-8")
    subprocess.run(command, check=True, env=env, capture_output=True, timeout=180)
    return folder / (source.stem + "." + target.split(":")[0])


def main() -> None:
    """Write every corpus file next to this script."""
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        profile = work / "profile"
        source = work / "registro.csv"
        with source.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter=";").writerows(ROWS)
        # 59 ';', 34 '"', 76 UTF-8, from line 1; 1040 = Italian: decimal comma, gg/mm/aaaa.
        ods = soffice(source, "ods", work / "ods", profile, "CSV:59,34,76,1,,1040")
        shutil.copy(ods, HERE / "registro.ods")
        for name, target in SHEETS.items():
            shutil.copy(soffice(ods, target, work / name, profile), HERE / name)
        for name, options in CSV_FILES.items():
            made = soffice(ods, f"csv:Text - txt - csv (StarCalc):{options},1", work / name,
                           profile)
            shutil.copy(made, HERE / name)
    mac = HERE / "registro-mac.csv"  # old Mac programs ended lines with CR alone
    mac.write_bytes(mac.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    with zipfile.ZipFile(HERE / "registro-csv.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(HERE / "registro-utf8.csv", "registro.csv")


if __name__ == "__main__":
    main()
