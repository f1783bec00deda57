"""The child process that parses an untrusted spreadsheet (see reader.py).

Run by path, `python -P child.py`, with a JSON request on standard input: it imports neither
the app nor Flask (start-up stays under a tenth of a second) and it sets its own memory and
CPU limits before any parser runs. It answers on standard output, one JSON document per line:
first {"sheets", "sheet", "first_row"} or {"error"}, then one row per line (a JSON array),
then {"end": number of rows, "width": the widest row}. A line {"error"} may come instead of
any row (a limit reached while reading). Dates travel as {"d": iso} and date-times as
{"dt": iso}.
"""

import csv
import io
import json
import resource
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

PLAIN = frozenset({str, int, bool, type(None)})


class Refused(Exception):
    """The file cannot be read; the message is for the person who sent it, in Italian."""


def _limit(request: dict) -> None:
    memory, seconds = request["memory_bytes"], request["seconds"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))


def _encode(value):
    if type(value) in PLAIN:
        return value
    if isinstance(value, float):
        return None if value != value else value  # NaN
    if isinstance(value, datetime):
        return {"dt": value.isoformat()} if (value.hour, value.minute, value.second) != (
            0, 0, 0) else {"d": value.date().isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, time | timedelta):
        return str(value)
    return str(value)


def _csv_rows(path: str):
    raw = Path(path).read_bytes()
    if b"\x00" in raw:
        raise Refused("il file contiene caratteri nulli: non è un CSV di testo "
                      "(forse è un file binario con estensione .csv)")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # e.g. a DOS (cp850) export: guessing would store names with wrong letters
        raise Refused("il testo non è in una codifica riconosciuta (UTF-8 o Windows-1252): "
                      "aprilo con Excel o LibreOffice e salvalo come «CSV UTF-8»")
    sample = text[:65536]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        delimiter = max(";,\t", key=sample.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)

    def rows():
        try:
            yield from reader
        except csv.Error as exc:
            raise Refused(f"il CSV è malformato alla riga {reader.line_num} (virgolette non "
                          "chiuse o un campo troppo lungo): salvalo di nuovo dal programma "
                          "di origine") from exc
    return ["CSV"], "CSV", rows()


def _sheet_rows(path: str, sheet: str | None):
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(path)
    except Exception as exc:  # noqa: BLE001 - calamine raises many kinds; all mean unreadable
        message = str(exc).lower()
        if "password" in message or "encrypt" in message:
            raise Refused("il file è protetto da password: togli la password e salvalo di "
                          "nuovo") from exc
        raise Refused(f"il file è danneggiato o incompleto e non si può leggere ({exc})") \
            from exc
    visible = [m.name for m in workbook.sheets_metadata
               if "hidden" not in str(getattr(m, "visible", "")).lower()] \
        or workbook.sheet_names
    chosen = sheet or visible[0]
    if chosen not in workbook.sheet_names:
        raise Refused(f"il foglio «{chosen}» non esiste; fogli presenti: "
                      + ", ".join(workbook.sheet_names))
    data = workbook.get_sheet_by_name(chosen)
    # Rows and columns as in the file, from A1: the numbers the office sees in Excel.
    # iter_rows starts at the first row but at the first used column.
    padding = [None] * (data.start or (0, 0))[1]

    def rows():
        for row in data.iter_rows():
            yield padding + row if padding else row
    return visible, chosen, rows()


def main() -> None:
    request = json.loads(sys.stdin.read())
    out = sys.stdout
    try:
        _limit(request)
        if request["kind"] == "csv":
            sheets, chosen, rows = _csv_rows(request["path"])
        else:
            sheets, chosen, rows = _sheet_rows(request["path"], request["sheet"])
        out.write(json.dumps({"sheets": sheets, "sheet": chosen, "first_row": 1},
                             ensure_ascii=False) + "\n")
        _stream(rows, request["max_rows"], request["max_columns"], out)
    except Refused as exc:
        out.write(json.dumps({"error": str(exc)}, ensure_ascii=False) + "\n")
    out.flush()


def _stream(rows, max_rows: int, max_columns: int, out) -> None:
    """One row a line; blank rows are held back until a filled one follows, so that the
    formatted empty tail of a register is never sent."""
    blanks, sent, width = 0, 0, 0
    rows = iter(rows)
    for row in rows:
        if not any(v is not None and v != "" for v in row):
            blanks += 1
            continue
        if len(row) > max_columns:
            raise Refused(f"il foglio ha {len(row)} colonne: il massimo è {max_columns}")
        count = sent + blanks + 1
        if count > max_rows:
            for number, rest in enumerate(rows, start=count + 1):  # the exact count, to say
                if any(v is not None and v != "" for v in rest):
                    count = number
            raise Refused(f"il foglio ha {count} righe: il massimo è {max_rows}")
        out.write("[]\n" * blanks)
        out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
        sent, blanks, width = count, 0, max(width, len(row))
    out.write(json.dumps({"end": sent, "width": width}) + "\n")


if __name__ == "__main__":
    main()
