"""Reading an untrusted spreadsheet in a child process with memory and time limits.

calamine can abort the whole process on a crafted file (a cell at XFD1048576 asks for a
huge dense range), so parsing never happens in the server's process: a child with
RLIMIT_AS and RLIMIT_CPU reads the file and prints plain JSON; if it dies, the server
answers with an Italian error and goes on serving everyone else.

Run as `python -m app.imports.reader` with a JSON request on standard input.
"""

import csv
import io
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from .limits import ImportFileError, Limits, precheck


@dataclass
class RawSheet:
    """What was read: the sheet names, the chosen sheet, its rows, and where they start."""

    sheets: list[str]
    sheet: str
    first_row: int
    rows: list[list]


def read_file(path: str | Path, original_name: str, sheet: str | None = None,
              limits: Limits | None = None) -> RawSheet:
    """Read one sheet (the first visible one by default) of a file, safely."""
    path = Path(path)
    limits = limits or Limits()
    kind = precheck(path, original_name, limits)
    request = {"path": str(path), "kind": kind, "sheet": sheet, "max_rows": limits.max_rows,
               "max_columns": limits.max_columns}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "app.imports.reader"], input=json.dumps(request),
            capture_output=True, text=True, timeout=limits.seconds,
            preexec_fn=_limiter(limits), cwd=str(Path(__file__).resolve().parents[2]))
    except subprocess.TimeoutExpired as exc:
        raise ImportFileError(f"«{original_name}»: la lettura ha superato {limits.seconds} "
                              "secondi; il file è troppo grande o malformato.") from exc
    if done.returncode != 0 or not done.stdout.strip():
        raise ImportFileError(f"«{original_name}» non può essere letto: il file supera i "
                              "limiti di memoria o è malformato (per esempio una cella "
                              "isolata in fondo al foglio, come XFD1048576). Salvalo di nuovo "
                              "con solo i dati del registro.")
    answer = json.loads(done.stdout)
    if "error" in answer:
        raise ImportFileError(f"«{original_name}»: {answer['error']}")
    return RawSheet(answer["sheets"], answer["sheet"], answer["first_row"],
                    [[_decode(v) for v in row] for row in answer["rows"]])


def _limiter(limits: Limits):
    def apply() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (limits.seconds, limits.seconds))
    return apply


def _decode(value):
    if isinstance(value, dict):
        if "d" in value:
            return date.fromisoformat(value["d"])
        if "dt" in value:
            return datetime.fromisoformat(value["dt"])
    return value


def _encode(value):
    if isinstance(value, datetime):
        return {"dt": value.isoformat()} if (value.hour, value.minute, value.second) != (
            0, 0, 0) else {"d": value.date().isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time | timedelta):
        return str(value)
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


# --- child side ------------------------------------------------------------------------


def _read_csv(path: str) -> tuple[list[str], str, int, list[list]]:
    raw = Path(path).read_bytes()
    if b"\x00" in raw:
        raise ImportFileError("il file contiene caratteri nulli: non è un CSV di testo "
                              "(forse è un file binario con estensione .csv)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # e.g. a DOS (cp850) export: guessing would store names with wrong letters
        raise ImportFileError("il testo non è in una codifica riconosciuta (UTF-8 o "
                              "Windows-1252): aprilo con Excel o LibreOffice e salvalo come "
                              "«CSV UTF-8»")
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = max(";,\t", key=sample.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ImportFileError(f"il CSV è malformato alla riga {reader.line_num} (virgolette "
                              "non chiuse o un campo troppo lungo): salvalo di nuovo dal "
                              "programma di origine") from exc
    return ["CSV"], "CSV", 1, rows


def _read_spreadsheet(path: str, sheet: str | None) -> tuple[list[str], str, int, list[list]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(path)
    except Exception as exc:  # noqa: BLE001 - calamine raises many kinds; all mean unreadable
        message = str(exc).lower()
        if "password" in message or "encrypt" in message:
            raise ImportFileError("il file è protetto da password: togli la password e "
                                  "salvalo di nuovo") from exc
        raise ImportFileError("il file è danneggiato o incompleto e non si può leggere "
                              f"({exc})") from exc
    visible = [m.name for m in workbook.sheets_metadata
               if str(getattr(m, "visible", "Visible")).lower().endswith("visible")
               and "hidden" not in str(getattr(m, "visible", "")).lower()] or workbook.sheet_names
    chosen = sheet or visible[0]
    if chosen not in workbook.sheet_names:
        raise ImportFileError(f"il foglio «{chosen}» non esiste; fogli presenti: "
                              + ", ".join(workbook.sheet_names))
    data = workbook.get_sheet_by_name(chosen)
    # With the empty area kept, rows and columns start at A1: row numbers match the file's.
    return visible, chosen, 1, data.to_python(skip_empty_area=False)


def child_main() -> None:
    request = json.loads(sys.stdin.read())
    try:
        if request["kind"] == "csv":
            sheets, chosen, first, rows = _read_csv(request["path"])
        else:
            sheets, chosen, first, rows = _read_spreadsheet(request["path"], request["sheet"])
        while rows and not any(v not in (None, "") for v in rows[-1]):
            rows.pop()
        if len(rows) > request["max_rows"]:
            raise ImportFileError(f"il foglio ha {len(rows)} righe: il massimo è "
                                  f"{request['max_rows']}")
        width = max((len(r) for r in rows), default=0)
        if width > request["max_columns"]:
            raise ImportFileError(f"il foglio ha {width} colonne: il massimo è "
                                  f"{request['max_columns']}")
        answer = {"sheets": sheets, "sheet": chosen, "first_row": first,
                  "rows": [[_encode(v) for v in row] for row in rows]}
    except ImportFileError as exc:
        answer = {"error": str(exc)}
    json.dump(answer, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    child_main()
