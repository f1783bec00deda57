"""Reading an untrusted spreadsheet in a child process with memory and time limits.

calamine can abort the whole process on a crafted file (a cell at XFD1048576 asks for a
huge dense range), so parsing never happens in the server's process: a child (child.py)
with RLIMIT_AS and RLIMIT_CPU reads the file and streams plain JSON lines back; if it dies,
the server answers with an Italian error and goes on serving everyone else.
"""

import json
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from .limits import ImportFileError, Limits, precheck, zipped_text

CHILD = Path(__file__).with_name("child.py")


class Rows(Sequence):
    """The rows of the sheet as the child sent them, one JSON text each, decoded when used:
    a 100,000-row register holds about 30 MB this way, 130 MB as Python values. A slice is
    another Rows; an item is a fresh list (changing it changes nothing here)."""

    __slots__ = ("_lines",)

    def __init__(self, lines: list[bytes]):
        self._lines = lines

    def __len__(self) -> int:
        return len(self._lines)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Rows(self._lines[index])
        return json.loads(self._lines[index], object_hook=_decode)


@dataclass
class RawSheet:
    """What was read: the sheet names, the chosen sheet, its rows, and where they start."""

    sheets: list[str]
    sheet: str
    first_row: int
    rows: Rows
    width: int = 0  # the widest row
    encoding: str | None = None  # a text file's encoding as found, e.g. "DOS (code page 850)"


def read_file(path: str | Path, original_name: str, sheet: str | None = None,
              limits: Limits | None = None) -> RawSheet:
    """Read one sheet (the first visible one by default) of a file, safely."""
    path = Path(path)
    limits = limits or Limits()
    kind = precheck(path, original_name, limits)
    request = {"path": str(path), "kind": kind, "sheet": sheet, "max_rows": limits.max_rows,
               "max_columns": limits.max_columns, "memory_bytes": limits.memory_bytes,
               "seconds": limits.seconds, "max_bytes": limits.max_bytes,
               "max_cell_chars": limits.max_cell_chars, "max_text_bytes": limits.max_text_bytes,
               "member": zipped_text(path, original_name, limits) if kind == "csvzip" else None}
    # -P: the script's folder is not put on the path (nothing there can shadow a module).
    # Not -I or -s: packages installed in the user's site (pip --user) must stay visible.
    with subprocess.Popen([sys.executable, "-P", str(CHILD)], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as child:
        timer = threading.Timer(limits.seconds, child.kill)
        timer.start()
        try:
            child.stdin.write(json.dumps(request).encode())
            child.stdin.close()
            # The child caps the text itself; this bound holds even if it went wrong.
            answer = _receive(child.stdout, 4 * limits.max_text_bytes + 1024 * 1024)
            if "rows" not in answer:
                child.kill()  # whatever it still has to say is not wanted
            child.wait()
        finally:
            expired = not timer.is_alive() and child.returncode not in (0, None)
            timer.cancel()
    if expired:
        raise ImportFileError(f"«{original_name}»: la lettura ha superato {limits.seconds} "
                              "secondi; il file è troppo grande o malformato.")
    if "error" in answer:
        raise ImportFileError(f"«{original_name}»: {answer['error']}")
    if child.returncode != 0 or "rows" not in answer:
        raise ImportFileError(f"«{original_name}» non può essere letto: il file supera i "
                              "limiti di memoria o è malformato (per esempio una cella "
                              "isolata in fondo al foglio, come XFD1048576). Salvalo di nuovo "
                              "con solo i dati del registro.")
    return RawSheet(answer["sheets"], answer["sheet"], answer["first_row"], answer["rows"],
                    answer["width"], answer.get("encoding"))


def _receive(stream, budget: int) -> dict:
    """The child's lines: a head, the rows, an end that counts them (see child.py).
    Whatever is missing (a child killed half-way) leaves "rows" out of the answer; more
    than `budget` bytes is an error, never held."""
    try:
        head = json.loads(stream.readline(budget) or b"{}")
        if "error" in head:
            return head
        lines = []
        while line := stream.readline(budget + 1):
            budget -= len(line)
            if budget < 0:
                return {"error": "il foglio contiene più testo di quanto un registro possa "
                                 "avere: dividi il file o chiedi all'amministratore di alzare "
                                 "il limite (IMPORT_MAX_TEXT_MB)"}
            if line.startswith(b"["):
                lines.append(line.rstrip(b"\n"))
                continue
            last = json.loads(line)
            if "error" in last:
                return last
            if last.get("end") == len(lines):
                head["rows"], head["width"] = Rows(lines), last.get("width", 0)
            break
        return head
    except ValueError:  # a line cut short
        return {}


def _decode(value: dict):
    if "d" in value:
        return date.fromisoformat(value["d"])
    if "dt" in value:
        return datetime.fromisoformat(value["dt"])
    return value


