"""Limits on untrusted files, and the checks that need no parsing (size, type, zip bombs)."""

import zipfile
from dataclasses import dataclass
from pathlib import Path

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SPREADSHEET_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
ZIP_EXTENSIONS = {".xlsx", ".xlsm", ".xlsb", ".ods"}
TEXT_EXTENSIONS = {".csv", ".txt", ".tsv", ".tab"}
EXTENSIONS = SPREADSHEET_EXTENSIONS | TEXT_EXTENSIONS | {".zip"}
EXCEL_CELL_CHARS = 32_767  # the longest text Excel itself puts in a cell


class ImportFileError(Exception):
    """The file cannot be read; the message says why, in Italian, for the person who sent it."""


@dataclass(frozen=True)
class Limits:
    """Caps for one untrusted file (configurable in the app's settings)."""

    max_bytes: int = 50 * 1024 * 1024
    max_uncompressed: int = 400 * 1024 * 1024
    max_ratio: int = 200
    max_rows: int = 200_000
    max_columns: int = 200
    memory_bytes: int = 1536 * 1024 * 1024
    seconds: int = 120
    max_cell_chars: int = EXCEL_CELL_CHARS
    max_text_bytes: int = 100 * 1024 * 1024  # all the text of a sheet, as the server holds it

    @classmethod
    def from_config(cls, config) -> "Limits":
        """The caps from the app's settings (IMPORT_MAX_MB, IMPORT_MAX_UNCOMPRESSED_MB,
        IMPORT_MAX_RATIO, IMPORT_MAX_ROWS, IMPORT_MAX_COLUMNS, IMPORT_MEMORY_MB,
        IMPORT_SECONDS, IMPORT_MAX_CELL_CHARS, IMPORT_MAX_TEXT_MB); a setting left out keeps
        its default."""
        mb, default = 1024 * 1024, cls()

        def get(key: str, fallback: int, unit: int = 1) -> int:
            value = config.get(key)
            return fallback if value is None else int(value) * unit
        return cls(max_bytes=get("IMPORT_MAX_MB", default.max_bytes, mb),
                   max_uncompressed=get("IMPORT_MAX_UNCOMPRESSED_MB",
                                        default.max_uncompressed, mb),
                   max_ratio=get("IMPORT_MAX_RATIO", default.max_ratio),
                   max_rows=get("IMPORT_MAX_ROWS", default.max_rows),
                   max_columns=get("IMPORT_MAX_COLUMNS", default.max_columns),
                   memory_bytes=get("IMPORT_MEMORY_MB", default.memory_bytes, mb),
                   seconds=get("IMPORT_SECONDS", default.seconds),
                   max_cell_chars=get("IMPORT_MAX_CELL_CHARS", default.max_cell_chars),
                   max_text_bytes=get("IMPORT_MAX_TEXT_MB", default.max_text_bytes, mb))


def precheck(path: Path, original_name: str, limits: Limits) -> str:
    """Cheap checks before any parser sees the file; return the format to read it as."""
    extension = Path(original_name).suffix.lower()
    if extension not in EXTENSIONS:
        shown = extension or "senza estensione"
        raise ImportFileError(f"«{original_name}»: formato non supportato ({shown}). Sono "
                              "accettati .xlsx, .xlsm, .xls, .xlsb, .ods, .csv, .txt "
                              "e un archivio .zip con dentro un solo CSV.")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImportFileError(f"«{original_name}» non è più disponibile: caricalo di "
                              "nuovo.") from exc
    if size == 0:
        raise ImportFileError(f"«{original_name}» è vuoto.")
    if size > limits.max_bytes:
        raise ImportFileError(f"«{original_name}» pesa {size // (1024 * 1024)} MB: il massimo è "
                              f"{limits.max_bytes // (1024 * 1024)} MB.")
    head = path.read_bytes()[:8] if size < 4096 else _head(path)
    if extension in ZIP_EXTENSIONS:
        if head.startswith(OLE_MAGIC):
            raise ImportFileError(f"«{original_name}» è protetto da password (file cifrato): "
                                  "aprilo in Excel, togli la password e salvalo di nuovo.")
        if not head.startswith(ZIP_MAGIC):
            raise ImportFileError(f"«{original_name}» non è un file {extension} valido: il "
                                  "contenuto non corrisponde all'estensione (file rinominato o "
                                  "danneggiato).")
        _check_zip(path, original_name, limits)
    elif extension == ".xls" and not head.startswith(OLE_MAGIC):
        raise ImportFileError(f"«{original_name}» non è un file .xls valido: il contenuto non "
                              "corrisponde all'estensione.")
    elif extension in TEXT_EXTENSIONS or extension == ".zip":
        if head.startswith(ZIP_MAGIC) or extension == ".zip":
            zipped_text(path, original_name, limits)
            return "csvzip"
        if head.startswith(OLE_MAGIC):
            raise ImportFileError(f"«{original_name}» è un file Excel 97-2003 (.xls), non un "
                                  "testo CSV: caricalo con l'estensione .xls.")
        return "csv"
    return extension.lstrip(".")


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(8)


def _check_zip(path: Path, original_name: str, limits: Limits) -> None:
    """A zip bomb is refused by its own table of contents, before anything is inflated."""
    members = _members(path, original_name)
    total = sum(m.file_size for m in members)
    packed = max(1, sum(m.compress_size for m in members))
    if total > limits.max_uncompressed or total / packed > limits.max_ratio:
        raise ImportFileError(f"«{original_name}» si espande a {total // (1024 * 1024)} MB "
                              "una volta aperto: troppo per un registro (possibile file "
                              "malevolo). Il massimo è "
                              f"{limits.max_uncompressed // (1024 * 1024)} MB.")
    strings = sum(m.file_size for m in members
                  if m.filename.lower().endswith(("sharedstrings.xml", "sharedstrings.bin")))
    if strings > 2 * limits.max_text_bytes:
        raise ImportFileError(f"«{original_name}» contiene {strings // (1024 * 1024)} MB di "
                              "testo: troppo per un registro (possibile file malevolo). Il "
                              f"massimo è {limits.max_text_bytes // (1024 * 1024)} MB.")


def zipped_text(path: Path, original_name: str, limits: Limits) -> str:
    """The one CSV inside a ZIP archive (a zipped export), checked as any upload is;
    an archive that is really a workbook, or holds something else, is named as it is."""
    members = _members(path, original_name)
    names = {m.filename for m in members}
    if "[Content_Types].xml" in names:
        raise ImportFileError(f"«{original_name}» è un file Excel (.xlsx), non un CSV: "
                              "caricalo con l'estensione .xlsx.")
    if "mimetype" in names and "content.xml" in names:
        raise ImportFileError(f"«{original_name}» è un foglio OpenDocument (.ods), non un CSV: "
                              "caricalo con l'estensione .ods.")
    files = [m for m in members if not m.is_dir() and not m.filename.startswith("__MACOSX/")
             and not Path(m.filename).name.startswith(".")]
    texts = [m for m in files if Path(m.filename).suffix.lower() in TEXT_EXTENSIONS]
    if len(files) != 1 or len(texts) != 1:
        listed = ", ".join(m.filename for m in files[:5]) or "nessun file"
        raise ImportFileError(f"«{original_name}» è un archivio ZIP che non contiene un solo "
                              f"file CSV (contiene: {listed}): estrai il CSV e caricalo da "
                              "solo.")
    member = texts[0]
    if member.flag_bits & 0x1:
        raise ImportFileError(f"«{original_name}» è un archivio ZIP protetto da password: "
                              "estrai il CSV e caricalo da solo.")
    if member.file_size > limits.max_bytes or \
            member.file_size / max(1, member.compress_size) > limits.max_ratio:
        raise ImportFileError(f"«{original_name}»: il CSV nell'archivio si espande a "
                              f"{member.file_size // (1024 * 1024)} MB: il massimo è "
                              f"{limits.max_bytes // (1024 * 1024)} MB.")
    return member.filename


def _members(path: Path, original_name: str) -> list[zipfile.ZipInfo]:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.infolist()
    except zipfile.BadZipFile as exc:
        raise ImportFileError(f"«{original_name}» è danneggiato o incompleto (archivio non "
                              "leggibile): salvalo di nuovo dal programma di origine.") from exc
