"""Export a form to Excel: one sheet for the fields, one per repeat, linked by entry id.

Written with openpyxl's write-only mode (constant memory). Choices as labels (several
choices one a line), dates as dates, numbers as numbers; user text always as text, so
'=...' never becomes a formula.
The file imports back into the same form: rows match their entries by 'Id scheda'.
"""

from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

from ..definitions import Form, fieldtypes
from .mapping import match_headers, targets

BASE = [("id_scheda", "Id scheda"), ("codice_fiscale", "Codice fiscale"),
        ("cognome", "Cognome"), ("nome", "Nome"), ("data_nascita", "Data di nascita"),
        ("stato", "Stato della scheda"), ("aggiornata", "Ultimo salvataggio")]


def _exportable(fields) -> list:
    return [f for f in fields if fieldtypes.get(f.type).has_value and f.type != "repeat"]


def _value(f, raw):
    """A stored value as an Excel cell value of the right type."""
    if raw is None or raw == [] or raw == "":
        return None
    if f.type == "date":
        return date.fromisoformat(raw)
    if f.type in ("money", "decimal"):
        return float(Decimal(str(raw)))
    if f.type == "integer" or (f.type == "computed" and isinstance(raw, int | float)
                               and not isinstance(raw, bool)):
        return raw
    return fieldtypes.get(f.type).spreadsheet_value(raw, f)


def _headers(form: Form, fields: list) -> list[str]:
    """Column titles: each field's label, with '[id]' where the label alone would import
    back into another field (two fields called 'Vestirsi', a second 'Codice fiscale')."""
    labels = [label for _, label in BASE] + [f.label_text() for f in fields]
    read_back = {m.column: m.target for m in match_headers(labels, targets(form))}
    wanted = {f.id for f in fields if fieldtypes.get(f.type).has_input}
    return [label if read_back.get(number) == (f.id if f.id in wanted else None)
            else f"{label} [{f.id}]"
            for number, (f, label) in enumerate(zip(fields, labels[len(BASE):], strict=True),
                                                start=len(BASE))]


def _cell(sheet, value, bold: bool = False):
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if "\n" in value:  # several choices, one a line, or a text of several lines
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if isinstance(value, date):
        cell.number_format = "DD/MM/YYYY"
    if bold:
        cell.font = Font(bold=True)
    return cell


def _needs_cell(value) -> bool:
    """Values a bare append would get wrong: a date (no date format), text that looks like
    a formula, text on several lines (not wrapped)."""
    return isinstance(value, date) or isinstance(value, str) and (
        value.startswith("=") or "\n" in value)


def sheet_row(sheet, values: list) -> list:
    """One row for a write-only sheet's append(): plain values stay plain (a cell object each
    would double the time of a large export); dates get a date format, text that Excel would
    take for a formula stays text, text on several lines wraps."""
    values = [fieldtypes.xml_text(v) for v in values]  # a control character would make the file unwritable
    return [_cell(sheet, v) if _needs_cell(v) else v for v in values]


def export_form(form: Form, rows, output, hidden: frozenset = frozenset()) -> int:
    """Write every entry (rows from store.entries.for_export) to `output`; return the count.

    Fields in `hidden` (sensitive sections, for who may not see them) are left out.
    """
    workbook = Workbook(write_only=True)
    main = workbook.create_sheet(_title(form.title))
    fields = [f for f in _exportable(form.fields.values()) if f.id not in hidden]
    headers = _headers(form, fields)
    main.append([_cell(main, label, True) for _, label in BASE]
                + [_cell(main, header, True) for header in headers])
    repeats = {fid: f for fid, f in form.fields.items() if f.type == "repeat"
               and fid not in hidden}
    repeat_sheets = {}
    for fid, f in repeats.items():
        sheet = workbook.create_sheet(_title(f.label_text()))
        subs = _exportable(f.fields)
        sheet.append([_cell(sheet, "Id scheda", True), _cell(sheet, "Riga", True)]
                     + [_cell(sheet, s.label_text(), True) for s in subs])
        repeat_sheets[fid] = (sheet, subs)
    count = 0
    for row in rows:
        base = [row["id"], row["codice_fiscale"], row["cognome"], row["nome"],
                date.fromisoformat(row["data_nascita"]) if row["data_nascita"] else None,
                row["status"], row["updated_at"][:10]]
        main.append(sheet_row(main, base + [_value(f, row["data"].get(f.id)) for f in fields]))
        for fid, (sheet, subs) in repeat_sheets.items():
            for number, item in enumerate(row["data"].get(fid) or [], start=1):
                sheet.append(sheet_row(sheet, [row["id"], number]
                                  + [_value(s, item.get(s.id)) for s in subs]))
        count += 1
    legend = workbook.create_sheet("Legenda")
    legend.append([_cell(legend, h, True) for h in ("Colonna", "Id del campo", "Tipo")])
    for fid, label in BASE:
        legend.append([_cell(legend, label), _cell(legend, fid), _cell(legend, "")])
    for f, header in zip(fields, headers, strict=True):
        legend.append([_cell(legend, header), _cell(legend, f.id), _cell(legend, f.type)])
    workbook.save(output)
    return count


def _title(text: str) -> str:
    cleaned = "".join(c for c in text if c not in "[]:*?/\\")
    return cleaned[:31] or "Dati"
