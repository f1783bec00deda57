"""Excel documents: placeholders in cells, repeating rows, styles and formulas kept.

Conventions for template authors (docs/modelli.md):
- a cell `{{ espressione }}` alone gets the value with its type: numbers stay numbers, dates
  dates, text text; a cell mixing text and placeholders becomes text;
- a row whose first placeholder cell starts with `{% for r in scheda.interventi %}` is
  repeated once per item (styles, heights and merged cells copied), and the template's own
  formulas that cover that row (e.g. a SUM) grow to cover every repeated row;
- user text is always written as text: a value starting with = + - @ never becomes a formula.
"""

import copy
import io
import re
import warnings
import zipfile
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from itertools import islice
from pathlib import Path

from lxml import etree
from openpyxl import load_workbook
from openpyxl.formula.tokenizer import Token, Tokenizer
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.cell_range import MultiCellRange

from ..definitions.fieldtypes.xmlsafe import strip_illegal
from .values import Importo, SiNo, etichetta, text_environment

FOR_ROW = re.compile(r"^\s*\{%-?\s*(?:r\s+|tr\s+)?for\s+(\w+)\s+in\s+(.+?)\s*-?%\}", re.S)
ONLY_EXPR = re.compile(r"^\s*\{\{((?:(?!\{\{|\}\}).)+)\}\}\s*$", re.S)  # one placeholder
REF = re.compile(r"(\$?)([A-Z]{1,3})(\$?)(\d+)")


# Compiled code depends only on its source, never on the context: one compilation per
# placeholder per process, shared by every render (a register repeats them on every row).
@lru_cache(maxsize=4096)
def _expression(source: str):
    return text_environment().compile_expression(source, undefined_to_none=True)


@lru_cache(maxsize=4096)
def _text_template(source: str):
    return text_environment().from_string(source)


MAX_REPEATED_ROWS = 10_000
MAX_ROW = 1_048_576  # the last row of a sheet


class RepeatLimitError(ValueError):
    """A repeated row would be copied more times than a document can sensibly hold."""


def render_xlsx(template: Path | bytes, context: dict) -> bytes:
    """Fill an .xlsx template with the context; return the workbook's bytes."""
    raw = template if isinstance(template, bytes) else Path(template).read_bytes()
    workbook = load_workbook(io.BytesIO(raw))
    insertions = []
    for sheet in workbook.worksheets:
        insertions += _fill_sheet(sheet, context)
        for pivot in sheet._pivots:  # the author's pivot tables show the filled data
            pivot.cache.refreshOnLoad = True
    out = io.BytesIO()
    workbook.save(out)
    return keep_extensions(raw, out.getvalue(), insertions)


# Worksheet extensions (x14) openpyxl drops on reading, that hold only XML of their own:
# drop-down lists fed by another sheet, conditional formats, sparklines, ignored errors.
KEPT_EXTENSIONS = {
    "{CCE6A557-97BC-4B89-ADB6-D9C93CAAB3DF}": "elenchi a discesa (convalida dei dati)",
    "{78C0D931-6437-407D-A8EE-F0AAD7539E65}": "formattazioni condizionali",
    "{05C60535-1F16-4FD2-B633-F4F36F0B64E0}": "grafici sparkline",
    "{01252117-D84E-4E92-8308-4BE1C098FCBB}": "errori ignorati",
    "{FC87AEE6-9EDD-4A0A-B7FB-166176984837}": "intervalli protetti",
}
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
XM = "http://schemas.microsoft.com/office/excel/2006/main"


def sheet_extensions(raw: bytes) -> dict[str, list]:
    """Each sheet's title -> its x14 extensions (lxml elements), read from the .xlsx bytes."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        found = {}
        for title, part in _sheet_parts(archive).items():
            data = archive.read(part) if part in archive.namelist() else b""
            if b"extLst" in data:  # most sheets have none: not worth parsing
                found[title] = etree.fromstring(data, _PARSER).findall("m:extLst/m:ext", NS)
        return {title: exts for title, exts in found.items() if exts}


def keep_extensions(template: bytes, filled: bytes, insertions: list["Insertion"]) -> bytes:
    """Put back into the filled workbook the sheet extensions of the template openpyxl lost,
    their ranges and formulas following the rows inserted."""
    kept = {title: [ext for ext in exts if ext.get("uri", "").upper() in KEPT_EXTENSIONS]
            for title, exts in sheet_extensions(template).items()}
    kept = {title: exts for title, exts in kept.items() if exts}
    if not kept:
        return filled
    for title, exts in kept.items():
        for ext in exts:
            _follow(ext, title, insertions)
    source = zipfile.ZipFile(io.BytesIO(filled))
    parts = {part: kept[title] for title, part in _sheet_parts(source).items() if title in kept}
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename in parts and b"<extLst" not in data:
                block = "<extLst>" + "".join(etree.tostring(ext, encoding="unicode")
                                             for ext in parts[item.filename]) + "</extLst>"
                head, _, _ = data.rpartition(b"</worksheet>")
                data = head + block.encode("utf-8") + b"</worksheet>"
            target.writestr(item, data)
    return out.getvalue()


def _follow(ext, title: str, insertions: list["Insertion"]) -> None:
    """An extension of sheet `title`: its ranges and formulas after the inserted rows."""
    for insertion in insertions:  # in the order they were made
        for node in ext.iter(f"{{{XM}}}sqref", f"{{{XM}}}f"):
            if not node.text:
                continue
            if node.tag.endswith("sqref"):
                if insertion.sheet == title:
                    node.text = insertion.ranges(node.text)
            else:
                node.text = insertion.formula("=" + node.text, title)[1:]


# openpyxl warns on every load that it drops these extensions: keep_extensions puts back the
# ones that can be kept, and the lint refuses a template with the others.
warnings.filterwarnings("ignore", r".* extension is not supported and will be removed",
                        UserWarning, r"openpyxl\.")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title -> the path of its XML part in the package."""
    workbook = etree.fromstring(archive.read("xl/workbook.xml"), _PARSER)
    rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"), _PARSER)
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.findall("rel:Relationship",
                                                                           NS)}
    parts = {}
    for sheet in workbook.findall("m:sheets/m:sheet", NS):
        target = targets.get(sheet.get(f"{{{NS['r']}}}id"), "")
        parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else \
            "xl/" + target
    return parts


def template_cells(sheet) -> list:
    """The cells that exist in the file, in reading order: never the whole used range, which
    a formatted full column stretches to A1:XFD1048576 (17 billion cells)."""
    return sorted(sheet._cells.values(), key=lambda cell: (cell.row, cell.column))


def is_placeholder(value) -> bool:
    return isinstance(value, str) and ("{{" in value or "{%" in value)


def _fill_sheet(sheet, context: dict) -> list["Insertion"]:
    """Render each template cell exactly once; return the rows inserted, in order.

    The cells to fill are chosen before any is filled: a value a user typed that looks like
    a placeholder ("{{ pratiche }}") is written as text and never run as template code.
    """
    cells = template_cells(sheet)
    repeats = _repeat_rows(cells)
    single = [cell for cell in cells if cell.row not in repeats and is_placeholder(cell.value)]
    insertions = []
    for row_number in sorted(repeats, reverse=True):  # bottom first: rows above stay put
        variable, expr = repeats[row_number]
        insertion = _expand(sheet, row_number, variable, _items(expr, context, row_number),
                            context)
        insertions += [insertion] if insertion else []
    for cell in single:  # the same cell objects, moved down by the rows inserted above them
        _fill(cell, cell.value, context)
    return insertions


def _repeat_rows(cells: list) -> dict[int, tuple[str, str]]:
    """Rows whose first loop cell starts with {% for x in ... %}: row -> (variable, list)."""
    found: dict[int, tuple[str, str]] = {}
    for cell in cells:
        if cell.row not in found and isinstance(cell.value, str):
            match = FOR_ROW.match(cell.value)
            if match:
                found[cell.row] = (match.group(1), match.group(2))
    return found


def _items(expr: str, context: dict, row_number: int) -> list:
    """The list a row repeats over, refused beyond MAX_REPEATED_ROWS elements."""
    try:
        items = list(islice(_expression(expr)(**context) or [], MAX_REPEATED_ROWS + 1))
    except OverflowError:  # the sandbox's range() refuses more than 100,000 numbers
        items = range(MAX_REPEATED_ROWS + 1)
    if len(items) > MAX_REPEATED_ROWS:
        limit = f"{MAX_REPEATED_ROWS:,}".replace(",", ".")
        raise RepeatLimitError(f"la riga {row_number} si ripeterebbe per più di {limit} "
                               f"elementi («{expr.strip()}»): restringere i filtri o il periodo")
    return items


def _expand(sheet, row_number: int, variable: str, items: list, context: dict
            ) -> "Insertion | None":
    """Repeat a template row once per item, then fill each copy with its item."""
    template = {cell.column: (cell.value, copy.copy(cell._style))
                for cell in template_cells(sheet) if cell.row == row_number}
    template = {col: (FOR_ROW.sub("", value, count=1) if isinstance(value, str) else value, style)
                for col, (value, style) in template.items()}
    extra = max(len(items), 1) - 1
    insertion = _insert_rows(sheet, row_number, extra) if extra else None
    height = sheet.row_dimensions[row_number].height
    for offset in range(max(len(items), 1)):
        target = row_number + offset
        if height is not None:
            sheet.row_dimensions[target].height = height
        for col, (value, style) in template.items():
            cell = sheet.cell(row=target, column=col)
            cell._style = copy.copy(style)
            if not items:
                cell.value = None if is_placeholder(value) else value
            elif isinstance(value, str) and value.startswith("="):
                cell.value = _shift_formula(value, row_number, target - row_number)
            elif is_placeholder(value):
                _fill(cell, value, {**context, variable: items[offset]})
            else:
                cell.value = value
    return insertion


def _insert_rows(sheet, row_number: int, count: int) -> "Insertion":
    """Insert rows below `row_number`; what refers to the rows below follows them.

    Only existing cells move (openpyxl's insert_rows first creates every cell of the used
    range); formulas are recognised by their type, so a user's text starting with '=' stays
    exactly as typed. Formulas of every sheet, pivot sources, drop-down lists and conditional
    formats that cover the row grow to cover its copies.
    """
    for cell in sorted((c for c in sheet._cells.values() if c.row > row_number),
                       key=lambda c: c.row, reverse=True):
        del sheet._cells[(cell.row, cell.column)]
        cell.row += count
        if cell.row > MAX_ROW:  # pushed off the sheet: only formatting may go, never content
            if cell.value is not None:
                raise RepeatLimitError(f"le righe aggiunte spingerebbero la cella "
                                       f"{cell.column_letter}{cell.row - count} oltre l'ultima "
                                       "riga del foglio")
            continue
        sheet._cells[(cell.row, cell.column)] = cell
        if cell.hyperlink is not None:  # a link remembers its cell by coordinate
            cell.hyperlink.ref = cell.coordinate
    for merged in list(sheet.merged_cells.ranges):
        if merged.min_row > row_number:
            merged.shift(0, count)
    for index in sorted((i for i in sheet.row_dimensions if i > row_number), reverse=True):
        dimension = sheet.row_dimensions.pop(index)  # heights and hidden rows move too
        if index + count <= MAX_ROW:
            dimension.index = index + count
            sheet.row_dimensions[index + count] = dimension
    insertion = Insertion(sheet.title, row_number, count)
    for other in sheet.parent.worksheets:
        for cell in list(other._cells.values()):
            if cell.data_type == "f" and isinstance(cell.value, str) and \
                    (other is not sheet or cell.row != row_number):
                cell.value = insertion.formula(cell.value, other.title)
        for pivot in other._pivots:
            source = pivot.cache.cacheSource.worksheetSource
            if source is not None and source.ref and source.sheet == sheet.title:
                source.ref = insertion.reference(source.ref, sheet.title)
    _follow_names(sheet, insertion)
    for validation in sheet.data_validations.dataValidation:
        validation.sqref = MultiCellRange(insertion.ranges(str(validation.sqref)))
    formats = sheet.conditional_formatting
    rules, formats._cf_rules = formats._cf_rules, OrderedDict()
    for target, target_rules in rules.items():
        target.sqref = MultiCellRange(insertion.ranges(str(target.sqref)))
        formats._cf_rules.setdefault(target, []).extend(target_rules)
    return insertion


def _follow_names(sheet, insertion: "Insertion") -> None:
    """Defined names (of the workbook and of each sheet) and the print area follow the rows."""
    workbook = sheet.parent
    for home, names in [("", workbook.defined_names)] + [
            (other.title, other.defined_names) for other in workbook.worksheets]:
        for name in names.values():
            if name.attr_text:
                name.attr_text = insertion.formula("=" + name.attr_text, home)[1:]
    if sheet.print_area:
        sheet.print_area = insertion.formula("=" + sheet.print_area, sheet.title)[1:]


@dataclass(frozen=True)
class Insertion:
    """Rows added below a row of a sheet: references below move, ranges over it grow."""

    sheet: str
    row: int
    count: int

    def formula(self, formula: str, home: str) -> str:
        """A formula written in sheet `home`, with its references to the sheet followed."""
        parts = []
        for token in Tokenizer(formula).items:
            if token.type == Token.OPERAND and token.subtype == Token.RANGE:
                parts.append(self.reference(token.value, home))
            else:
                parts.append(token.value)
        return "=" + "".join(parts)

    def ranges(self, sqref: str) -> str:
        """Cell ranges of the sheet itself ("C4 B4:B9"): one on the row grows with it."""
        return " ".join(self.reference(part if ":" in part else f"{part}:{part}", self.sheet)
                        for part in sqref.split())

    def reference(self, reference: str, home: str) -> str:
        """One reference (A1, $A$1:$B$7, 'Altro foglio'!A1) read from sheet `home`."""
        sheet_prefix, _, ref = reference.rpartition("!")
        named = sheet_prefix.strip("'").replace("''", "'") if sheet_prefix else home
        if named != self.sheet:
            return reference
        row_number, count = self.row, self.count
        if ":" in ref:
            start, end = ref.split(":", 1)
            try:
                _, min_row, _, max_row = range_boundaries(ref.replace("$", ""))
            except ValueError:
                return reference
            start = _move(start, row_number, count, inclusive=False)
            end = _move(end, row_number, count,
                        inclusive=min_row is not None and min_row <= row_number <= (max_row or 0))
            ref = f"{start}:{end}"
        else:
            ref = _move(ref, row_number, count, inclusive=False)
        return f"{sheet_prefix}!{ref}" if sheet_prefix else ref


def _move(ref: str, row_number: int, count: int, inclusive: bool) -> str:
    def shift(match):
        row = int(match.group(4))
        if row > row_number or (inclusive and row == row_number):
            row += count
        return f"{match.group(1)}{match.group(2)}{match.group(3)}{row}"

    return REF.sub(shift, ref)


def _shift_formula(formula: str, row_number: int, offset: int) -> str:
    """A formula of the repeated row, pointing at its own copy (=D5*12 -> =D6*12)."""
    if not offset:
        return formula

    def shift(match):
        row = int(match.group(4))
        if row == row_number and not match.group(3):
            row += offset
        return f"{match.group(1)}{match.group(2)}{match.group(3)}{row}"

    return REF.sub(shift, formula)


def _fill(cell, text: str, context: dict) -> None:
    """Put the value of a placeholder cell, typed; never a formula from user text."""
    text = FOR_ROW.sub("", text, count=1)
    only = ONLY_EXPR.match(text)
    if only:
        _set_typed(cell, _expression(only.group(1))(**context))
    else:
        _set_text(cell, _text_template(text).render(**context))


def _set_typed(cell, value) -> None:
    if value is None:
        cell.value = None
    elif isinstance(value, SiNo) or isinstance(value, bool):
        _set_text(cell, "Sì" if value else "No")
    elif hasattr(value, "label"):
        _set_text(cell, etichetta(value))
    elif isinstance(value, list):
        _set_text(cell, etichetta(value) if hasattr(value, "labels") else ", ".join(map(str, value)))
    elif isinstance(value, datetime | date):
        cell.value = value if type(value) in (date, datetime) else date(value.year, value.month,
                                                                        value.day)
        if cell.number_format == "General":
            cell.number_format = "DD/MM/YYYY"
    elif isinstance(value, Decimal):
        cell.value = float(Decimal.__str__(value) and Decimal(Decimal.__str__(value)))
        if cell.number_format == "General" and isinstance(value, Importo):
            cell.number_format = '#,##0.00 "€"'
    elif isinstance(value, int | float):
        cell.value = value
    else:
        _set_text(cell, str(value))


def _set_text(cell, text: str) -> None:
    cell.value = strip_illegal(text)  # a control character would make the file unwritable
    cell.data_type = "s"  # a string starting with '=' would otherwise be a live formula
