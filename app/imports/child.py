"""The child process that parses an untrusted spreadsheet (see reader.py).

Run by path, `python -P child.py`, with a JSON request on standard input: it imports neither
the app nor Flask (start-up stays under a tenth of a second) and it sets its own memory and
CPU limits before any parser runs. It answers on standard output, one JSON document per line:
first {"sheets", "sheet", "first_row", "encoding"} or {"error"}, then one row per line (a
JSON array), then {"end": number of rows, "width": the widest row}. A line {"error"} may come
instead of any row (a limit reached while reading). Dates travel as {"d": iso} and
date-times as {"dt": iso}.

Text files are decoded here too (byte-order marks, UTF-8, then the 8-bit code page whose
letters look most like Italian), and no cell longer than Excel allows, nor more text than
the cap, ever leaves this process: the server holds only what passed these checks.
"""

import codecs
import csv
import io
import json
import re
import resource
import sys
import unicodedata
import zipfile
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from xml.parsers import expat
from zlib import error as zlib_error

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


# --- text files: encoding, newlines, delimiter ---------------------------------------------

BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"))
# The 8-bit code pages an Italian office's old software writes, most likely first.
LEGACY = ("cp1252", "cp850", "cp437", "latin_1", "mac_roman")
ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16",
                  "utf-16-le": "UTF-16", "utf-16-be": "UTF-16", "utf-32": "UTF-32",
                  "cp1252": "Windows-1252", "cp850": "DOS (code page 850)",
                  "cp437": "DOS (code page 437)", "latin_1": "ISO-8859-1",
                  "mac_roman": "Mac Roman"}
ENCODING_NAMES.update({f"utf-8-mixed-{e}": f"UTF-8, con alcune righe in {ENCODING_NAMES[e]}"
                       for e in ("cp1252", "cp850", "cp437", "latin_1", "mac_roman")})
ITALIAN_LETTERS = frozenset("àèéìíîòóùúÀÈÉÌÍÒÓÙÚ")
# Typography an office writes: apostrophes, quotes, dashes, euro, degree and ordinal signs.
TYPOGRAPHY = frozenset("’‘“”«»–—€°ºª…·§©®£¿¡×½¼²³")
UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                           rb"|[\xf0-\xf4][\x80-\xbf]{3}")
CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\x0c\x1a")


def decode_text(raw: bytes) -> tuple[str, str]:
    """The text of a CSV and the name of its encoding: a byte-order mark first, then UTF-8,
    then the 8-bit code page whose letters look most like Italian text."""
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            return _checked(raw.decode(encoding, errors="replace"), encoding)
    wide = _utf16_without_bom(raw)
    if wide:
        return _checked(raw.decode(wide, errors="replace"), wide)
    if b"\x00" in raw:
        raise Refused("il file contiene caratteri nulli: non è un CSV di testo (forse è un "
                      "file binario con estensione .csv)")
    raw = raw.rstrip(b"\x1a")  # the end-of-file mark of DOS programs
    try:
        return _checked(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    loose = raw.decode("utf-8", errors="replace")
    readings = []
    if len(loose) - len(loose.encode("ascii", "ignore")) > loose.count("\ufffd"):
        # Some real UTF-8 letters among bytes that are not: rows added by another program?
        # Then each stray byte is read in the code page that fits the stray bytes best.
        stray = _code_page(UTF8_SEQUENCE.sub(b"", raw))
        if stray:
            readings.append((raw.decode("utf-8", errors="cartella-" + stray),
                             "utf-8-mixed-" + stray))
    whole = _code_page(raw)
    if whole:
        readings.append((raw.decode(whole), whole))
    if not readings:
        raise Refused("il testo non sembra scritto in nessuna codifica nota (UTF-8, UTF-16, "
                      "Windows-1252, DOS, Mac): forse non è un file di testo. Aprilo con Excel "
                      "o LibreOffice e salvalo come «CSV UTF-8»")
    return _checked(*max(readings, key=lambda reading: _text_score(reading[0])))


def _code_page(raw: bytes) -> str | None:
    """The 8-bit code page in which the text's letters look most like Italian; None when
    the text looks like no text in any of them."""
    high = Counter(raw.translate(None, bytes(range(128))))
    scores = {encoding: _plausibility(high, encoding) for encoding in _ranked(raw)}
    top = max(score for score, _ in scores.values())
    best = next(encoding for encoding in scores if scores[encoding][0] == top)
    # Code pages that read this text alike (cp850 and cp437 share the Italian letters):
    # name the most common one.
    best = next(e for e in LEGACY if scores[e][0] == top and _alike(high, e, best))
    if scores[best][1] > max(3, sum(high.values()) // 3):
        return None
    return best


def _text_score(text: str) -> int:
    """How Italian the letters beyond ASCII look (see _weight)."""
    beyond = re.sub(r"[\x00-\x7f]+", "", text)
    return sum(_weight(char) * count for char, count in Counter(beyond).items())


def _legacy_handler(encoding: str):
    def handle(error: UnicodeDecodeError):
        return error.object[error.start:error.end].decode(encoding, "replace"), error.end
    return handle


for _encoding in LEGACY:
    codecs.register_error("cartella-" + _encoding, _legacy_handler(_encoding))


def _utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16 written without its mark: every other byte of Latin text is zero."""
    sample = raw[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    half = len(sample) // 2
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd > half * 0.6 and even == 0:
        return "utf-16-le"
    if even > half * 0.6 and odd == 0:
        return "utf-16-be"
    return None


def _ranked(raw: bytes) -> list[str]:
    """The 8-bit code pages, charset-normalizer's guess first (it alone is often wrong
    on short Italian text, hence the plausibility check that follows)."""
    try:
        from charset_normalizer import from_bytes
        guesses = [m.encoding for m in from_bytes(raw[:200_000], cp_isolation=list(LEGACY))]
    except Exception:  # noqa: BLE001 - the guess is only an ordering hint
        guesses = []
    return [e for e in guesses if e in LEGACY] + [e for e in LEGACY if e not in guesses]


def _alike(high: Counter, one: str, other: str) -> bool:
    data = bytes(high)
    return data.decode(one, errors="replace") == data.decode(other, errors="replace")


def _plausibility(high: Counter, encoding: str) -> tuple[int, int]:
    """(score, doubtful characters) of the text's non-ASCII bytes read in one code page:
    Italian accented letters count for, box drawing, control and stray signs against."""
    score = doubtful = 0
    for byte, count in high.items():
        try:
            char = bytes([byte]).decode(encoding)
        except UnicodeDecodeError:
            return (-10**12, 10**12)  # a byte the code page lacks: not this one
        weight = _weight(char)
        score += weight * count
        doubtful += count if weight < 0 else 0
    return score, doubtful


def _weight(char: str) -> int:
    if char in ITALIAN_LETTERS:
        return 3
    if char in TYPOGRAPHY:
        return 1
    category = unicodedata.category(char)
    if char.isalpha():
        return 0 if unicodedata.name(char, "").startswith("LATIN") else -2
    if category.startswith("C") or "\u2500" <= char <= "\u259f":
        return -5  # control characters, box drawing and shading of DOS screens
    return -2


def _checked(text: str, encoding: str) -> tuple[str, str]:
    """Refuse text with control characters no program writes in a table (a binary file)."""
    if "\x00" in text:
        raise Refused("il file contiene caratteri nulli: non è un CSV di testo (forse è un "
                      "file binario con estensione .csv)")
    sample = text[:1_000_000]
    controls = sum(sample.count(chr(b)) for b in CONTROL_BYTES)
    if controls > max(3, len(sample) // 200):
        raise Refused("il file contiene molti caratteri di controllo: non è un CSV di testo "
                      "(forse è un file binario con estensione .csv)")
    return text, ENCODING_NAMES.get(encoding, encoding)


def _delimiter(text: str) -> str:
    """The separator that splits the first lines into the same number of columns most often
    (a header without decimal commas tells ';' from ','); more columns wins a tie."""
    lines = text[:65536].replace("\r\n", "\n").replace("\r", "\n").split("\n")
    sample = "\n".join(lines[:-1][:100] if len(text) > 65536 else lines[:100])
    best, best_key = ";", (0.0, 0)
    for delimiter in ";\t,|":
        try:
            counts = [len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter)
                      if any(cell.strip() for cell in row)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        key = (counts.count(mode) / len(counts), mode) if mode > 1 else (0.0, 0)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _csv_rows(request: dict):
    raw = _csv_bytes(request)
    text, encoding = decode_text(raw)
    delimiter = _delimiter(text)
    # newline=None: universal newlines, so an old Mac file (CR only) reads like any other.
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)

    def rows():
        try:
            yield from reader
        except csv.Error as exc:
            if "field limit" in str(exc):
                raise Refused(f"la riga {reader.line_num} del CSV ha un campo di oltre "
                              f"{_number(csv.field_size_limit())} caratteri: di solito sono "
                              "virgolette aperte e mai chiuse; correggile o salva di nuovo il "
                              "file dal programma di origine") from exc
            raise Refused(f"il CSV è malformato alla riga {reader.line_num}: salvalo di nuovo "
                          "dal programma di origine") from exc
    return ["CSV"], "CSV", rows(), encoding


def _csv_bytes(request: dict) -> bytes:
    """The file's bytes; for a ZIP archive, those of the one CSV inside it (see limits.py)."""
    if request["kind"] != "csvzip":
        return Path(request["path"]).read_bytes()
    member = request["member"]
    try:
        with zipfile.ZipFile(request["path"]) as archive, archive.open(member) as handle:
            raw = handle.read(request["max_bytes"] + 1)
    except (zipfile.BadZipFile, OSError, EOFError, zlib_error) as exc:
        raise Refused(f"l'archivio ZIP è danneggiato e «{member}» non si può estrarre: "
                      "estrai il CSV con il programma che hai e caricalo da solo") from exc
    if len(raw) > request["max_bytes"]:
        raise Refused(f"«{member}» dentro l'archivio supera "
                      f"{request['max_bytes'] // (1024 * 1024)} MB")
    return raw


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


# --- xlsx: the shared strings, measured before calamine loads them --------------------------

class _Found(Exception):
    """Stops an XML scan once the answer is known."""


def check_shared_strings(path: str, max_cell: int, max_text: int) -> None:
    """Refuse an .xlsx whose shared strings hold a text longer than a cell may be, or more
    text than a register, before calamine loads them all (and copies one per cell that
    uses it). The XML is measured as it inflates: the sizes in the zip's directory may lie."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.filename.lower().endswith("sharedstrings.xml"):
                    found = _longest_string(archive, info, max_cell, 2 * max_text)
                    if found:
                        index, length = found
                        sheet, cell = _cell_using(archive, index)
                        raise Refused(cell_too_long(length, max_cell, sheet, cell))
    except (zipfile.BadZipFile, OSError, EOFError, zlib_error) as exc:
        raise Refused(f"il file è danneggiato o incompleto e non si può leggere ({exc})") \
            from exc


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def _scan(archive, info, start, text, end, max_bytes: int | None = None) -> None:
    """Feed one member of the archive to expat in 1 MB pieces, with the given handlers."""
    parser = expat.ParserCreate()
    parser.StartElementHandler, parser.CharacterDataHandler = start, text
    parser.EndElementHandler = end
    total = 0
    with archive.open(info) as handle:
        while piece := handle.read(1024 * 1024):
            total += len(piece)
            if max_bytes is not None and total > max_bytes:
                raise Refused(f"il testo del file («{info.filename}») supera "
                              f"{_megabytes(max_bytes)} una volta aperto: troppo per un "
                              "registro (possibile file malevolo)")
            try:
                parser.Parse(piece, False)
            except expat.ExpatError as exc:
                raise Refused(f"il file è danneggiato («{info.filename}»: {exc})") from exc
    parser.Parse(b"", True)


def _longest_string(archive, info, max_cell: int, max_bytes: int) -> tuple | None:
    """(index, length) of the first shared string longer than max_cell, if any. A quick
    pass in C (splitting at the <si> tags) rules out most files; expat, which calls Python
    for every string, runs only when some stretch of the XML is longer than a cell."""
    if not _has_long_stretch(archive, info, max_cell, max_bytes):
        return None
    state = {"index": -1, "length": 0, "inside": False}

    def start(name, _attrs):
        if _local(name) == "si":
            state.update(index=state["index"] + 1, length=0, inside=True)

    def text(data):
        if state["inside"]:
            state["length"] += len(data)
            if state["length"] > max_cell:
                raise _Found

    def end(name):
        if _local(name) == "si":
            state["inside"] = False
    try:
        _scan(archive, info, start, text, end, max_bytes)
    except _Found:
        return state["index"], _length_of(archive, info, state["index"], max_bytes)
    return None


def _has_long_stretch(archive, info, max_cell: int, max_bytes: int) -> bool:
    """Whether any stretch between two si tags (<si>, </si>, <x:si>) is over max_cell bytes;
    a string of more characters than that is at least that many bytes long."""
    carry, total = b"", 0
    with archive.open(info) as handle:
        while piece := handle.read(1024 * 1024):
            total += len(piece)
            if total > max_bytes:
                raise Refused(f"il testo del file («{info.filename}») supera "
                              f"{_megabytes(max_bytes)} una volta aperto: troppo per un "
                              "registro (possibile file malevolo)")
            stretches = (carry + piece).split(b"si>")
            carry = stretches.pop()
            if len(carry) > max_cell or max(map(len, stretches), default=0) > max_cell:
                return True
    return False


def _length_of(archive, info, wanted: int, max_bytes: int) -> int:
    """The whole length of one shared string, to say it."""
    state = {"index": -1, "length": 0, "inside": False}

    def start(name, _attrs):
        if _local(name) == "si":
            state["index"] += 1
            state["inside"] = state["index"] == wanted

    def text(data):
        if state["inside"]:
            state["length"] += len(data)

    def end(name):
        if _local(name) == "si" and state["inside"]:
            raise _Found
    try:
        _scan(archive, info, start, text, end, max_bytes)
    except _Found:
        pass
    return state["length"]


def _cell_using(archive, index: int) -> tuple[str | None, str | None]:
    """(sheet name, cell) of the first cell that shows shared string number `index`."""
    for name, part in _sheet_parts(archive):
        try:
            cell = _shared_cell(archive, archive.getinfo(part), str(index))
        except (KeyError, Refused):
            continue
        if cell:
            return name, cell
    return None, None


def _shared_cell(archive, info, wanted: str) -> str | None:
    """The reference (e.g. C3) of the first cell of one sheet showing that shared string."""
    state = {"ref": None, "shared": False, "value": None}

    def start(tag, attrs):
        tag = _local(tag)
        if tag == "c":
            state.update(ref=attrs.get("r"), shared=attrs.get("t") == "s", value=None)
        elif tag == "v" and state["shared"]:
            state["value"] = ""

    def text(data):
        if state["value"] is not None:
            state["value"] += data

    def end(tag):
        if _local(tag) == "v" and state["value"] is not None:
            if state["value"].strip() == wanted:
                raise _Found
            state["value"] = None
    try:
        _scan(archive, info, start, text, end)
    except _Found:
        return state["ref"]
    return None


def _sheet_parts(archive) -> list[tuple[str, str]]:
    """(sheet name, part in the archive) in the workbook's order."""
    names, targets = [], {}

    def sheet(tag, attrs):
        if _local(tag) == "sheet":
            rid = next((v for k, v in attrs.items() if _local(k) == "id"), None)
            names.append((attrs.get("name", ""), rid))

    def relation(tag, attrs):
        if _local(tag) == "Relationship":
            target = attrs.get("Target", "").lstrip("/")
            targets[attrs.get("Id")] = target if target.startswith("xl/") else "xl/" + target
    try:
        _scan(archive, archive.getinfo("xl/workbook.xml"), sheet, None, None)
        _scan(archive, archive.getinfo("xl/_rels/workbook.xml.rels"), relation, None, None)
    except (KeyError, Refused):
        return []
    return [(name, targets[rid]) for name, rid in names if rid in targets]


def main() -> None:
    request = json.loads(sys.stdin.read())
    out = sys.stdout
    try:
        _limit(request)
        encoding = None
        if request["kind"] in ("csv", "csvzip"):
            sheets, chosen, rows, encoding = _csv_rows(request)
        else:
            if request["kind"] in ("xlsx", "xlsm"):
                check_shared_strings(request["path"], request["max_cell_chars"],
                                     request["max_text_bytes"])
            sheets, chosen, rows = _sheet_rows(request["path"], request["sheet"])
        out.write(json.dumps({"sheets": sheets, "sheet": chosen, "first_row": 1,
                              "encoding": encoding}, ensure_ascii=False) + "\n")
        _stream(rows, request, chosen, out)
    except Refused as exc:
        out.write(json.dumps({"error": str(exc)}, ensure_ascii=False) + "\n")
    out.flush()


def _stream(rows, request: dict, sheet: str, out) -> None:
    """One row a line; blank rows are held back until a filled one follows, so that the
    formatted empty tail of a register is never sent. No cell longer than an Excel cell and
    no more text than the cap ever leaves this process."""
    max_rows, max_columns = request["max_rows"], request["max_columns"]
    max_cell, max_text = request["max_cell_chars"], request["max_text_bytes"]
    blanks, sent, width, text = 0, 0, 0, 0
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
        line = json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n"
        if len(line) > max_cell:
            _check_cells(row, count, sheet, max_cell)
        text += len(line) + 3 * blanks
        if text > max_text:
            raise Refused(f"il foglio «{sheet}» contiene più di {_megabytes(max_text)} di "
                          f"testo (superati alla riga {count}): il massimo per un registro è "
                          f"{_megabytes(max_text)}. Dividi il file o chiedi all'amministratore "
                          "di alzare il limite")
        out.write("[]\n" * blanks)
        out.write(line)
        sent, blanks, width = count, 0, max(width, len(row))
    out.write(json.dumps({"end": sent, "width": width}) + "\n")


def _check_cells(row: list, number: int, sheet: str, max_cell: int) -> None:
    for index, value in enumerate(row):
        if isinstance(value, str) and len(value) > max_cell:
            raise Refused(cell_too_long(len(value), max_cell, sheet,
                                        f"{column_letters(index)}{number}"))


def cell_too_long(length: int, max_cell: int, sheet: str | None, cell: str | None) -> str:
    """The message for a cell longer than the cap, naming sheet, row and column when known."""
    where = "una cella"
    if cell:
        column = cell.rstrip("0123456789")
        where = (f"la cella {cell} del foglio «{sheet}» (riga {cell[len(column):]}, colonna "
                 f"{column})")
    return (f"{where} contiene {_number(length)} caratteri: il massimo per una cella è "
            f"{_number(max_cell)} (lo stesso limite di Excel). Non sembra un registro: "
            "controlla quella cella o salva di nuovo il file con solo i dati")


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column as Excel names it."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _megabytes(value: int) -> str:
    if value < 1024 * 1024:
        return f"{value // 1024} KB"
    return f"{value // (1024 * 1024)} MB"


if __name__ == "__main__":
    main()
