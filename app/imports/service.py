"""An import from start to end, for the wizard and the command line."""

import heapq
import io
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cached_property
from pathlib import Path

import yaml
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from ..definitions import Form
from ..safe_yaml import MAX_BYTES, UnsafeYaml, load_user_yaml
from .export import sheet_row
from .limits import Limits
from .mapping import Layout, find_layout, match_headers, targets
from .plan import Plan, plan_rows
from .reader import RawSheet, Rows, read_file


@dataclass
class Prepared:
    """A file read and laid out, ready for a mapping and a plan."""

    raw: RawSheet
    layout: Layout

    @cached_property
    def headers(self) -> list:
        rows = self.raw.rows
        return rows[self.layout.header_row] if len(rows) else []

    def release_rows(self) -> None:
        """Let the rows go once the plan and the report are made: the commit does not need
        them (the headers stay)."""
        _ = self.headers
        self.raw.rows = Rows([])


def prepare(path: str | Path, original_name: str, form: Form, sheet: str | None = None,
            limits: Limits | None = None, header_row: int | None = None,
            hidden: Collection[str] = ()) -> Prepared:
    """Read the file in a child process and find its header, data rows and suggested mapping
    (never to a field in `hidden`: see Plan.hidden)."""
    raw = read_file(path, original_name, sheet, limits or Limits())
    layout = find_layout(raw.rows, form, hidden=hidden)
    if header_row is not None and 0 <= header_row < len(raw.rows):
        layout = _with_header(raw.rows, form, header_row, hidden)
    return Prepared(raw, layout)


def _with_header(rows: list, form: Form, header_row: int, hidden: Collection[str]) -> Layout:
    forced = find_layout(rows[header_row:], form, scan=1, hidden=hidden)
    return Layout(header_row, [n + header_row for n in forced.data_rows], forced.matches,
                  forced.skipped, [(n + header_row, why) for n, why in forced.set_aside])


def apply_mapping(prepared: Prepared, form: Form, mapping_by_header: dict[str, str | None],
                  hidden: Collection[str] = ()) -> dict[int, str]:
    """A saved or confirmed mapping (header text -> field) as column -> field."""
    from .mapping import normalize

    wanted = {normalize(h): t for h, t in mapping_by_header.items()}
    valid = {t.key for t in targets(form, hidden)}
    result = {}
    for column, header in enumerate(prepared.headers):
        target = wanted.get(normalize(header)) if header not in (None, "") else None
        if target in valid:
            result[column] = target
    return result


def suggested_mapping(prepared: Prepared) -> dict[int, str]:
    return prepared.layout.mapping


def cell_text(value) -> str:
    """A cell as a person wrote it: 2026, not 2026.0 (spreadsheets keep numbers as floats);
    dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M") if value.time() != time() \
            else value.strftime("%d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def samples(prepared: Prepared, count: int = 3) -> dict[int, list[str]]:
    """Column -> the first few values of its data rows, as text for the mapping page."""
    rows, first = prepared.raw.rows, prepared.layout.data_rows[:count]
    return {c: [cell_text(rows[r][c]) for r in first if c < len(rows[r])]
            for c in range(len(prepared.headers))}


def unmatched_message(form: Form, prepared: Prepared, mapping: dict[int, str]) -> str:
    """Why there is nothing to import when no column goes to a field, or "" if some do."""
    if mapping:
        return ""
    found = [f"«{cell_text(h)}»" for h in prepared.headers if h not in (None, "")]
    row = prepared.layout.header_row + prepared.raw.first_row
    headers = (f"le intestazioni trovate alla riga {row} sono: {', '.join(found)}" if found
               else f"la riga {row}, presa come intestazione, è vuota")
    return (f"Nessuna colonna del file corrisponde ai campi del modulo «{form_title(form)}», "
            f"quindi nessuna riga può essere importata: {headers}. Indica la riga "
            "dell'intestazione giusta oppure scegli a mano la destinazione delle colonne.")


def plan_import(db, form: Form, office_id: int, prepared: Prepared, mapping: dict[int, str],
                area: str, context: dict | None = None, hidden: Collection[str] = ()) -> Plan:
    """The plan of an import; `hidden`: the fields the importing role may not see."""
    return plan_rows(db, form, office_id, prepared.raw.rows, prepared.layout.data_rows,
                     prepared.headers, mapping, area, prepared.raw.first_row, context,
                     hidden=hidden)


def plan_and_report(db, form: Form, office_id: int, prepared: Prepared,
                    mapping: dict[int, str], area: str, parameters: dict,
                    hidden: Collection[str] = ()) -> tuple[Plan, bytes]:
    """What a confirmed import does before writing: the plan and its report. The rows read
    are let go after, as the commit does not need them."""
    plan = plan_import(db, form, office_id, prepared, mapping, area,
                       {"parametri": parameters}, hidden)
    report = report_xlsx(prepared, plan)
    prepared.release_rows()
    return plan, report


def mapping_yaml(form: Form, prepared: Prepared, mapping: dict[int, str]) -> str:
    """A confirmed mapping, to reuse with next month's file."""
    columns = {str(prepared.headers[c]): t for c, t in sorted(mapping.items())}
    ignored = [str(h) for c, h in enumerate(prepared.headers)
               if c not in mapping and h not in (None, "")]
    return yaml.safe_dump({"modulo": form.id, "colonne": columns, "ignorate": ignored},
                           allow_unicode=True, sort_keys=False)


MAPPING_MAX_BYTES = MAX_BYTES


def read_mapping(content: bytes, name: str, form: Form, hidden: Collection[str] = (),
                 titles: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """A mapping saved from an earlier import (header -> field), checked: it must be one
    that Cartella wrote, for this form, naming no field in `hidden` (those the importing
    role may not see). ValueError says, in Italian, what is wrong."""
    try:
        data = load_user_yaml(content, name, MAPPING_MAX_BYTES)
    except UnsafeYaml as exc:
        raise ValueError(f"Mappatura rifiutata: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("colonne"), dict):
        raise ValueError(f"«{name}» non è una mappatura salvata da Cartella (manca l'elenco "
                         "«colonne»).")
    if data.get("modulo") != form.id:
        other = (titles or {}).get(str(data.get("modulo")), data.get("modulo"))
        raise ValueError(f"La mappatura «{name}» è del modulo «{other}», non di quello "
                         f"scelto («{form_title(form)}»).")
    columns = {str(h): (str(t) if t else None) for h, t in data["colonne"].items()}
    refused = [(h, t) for h, t in columns.items() if t in hidden]
    if refused:
        header, target = refused[0]
        raise ValueError(f"La mappatura «{name}» porta la colonna «{header}» nel campo "
                         f"«{form.fields[target].label_text()}», di una sezione riservata che il "
                         "tuo ruolo non può vedere né modificare: togli quella riga dalla "
                         "mappatura o chiedi al coordinatore di importare il file.")
    return columns


def form_title(form: Form) -> str:
    """The form's title as users read it."""
    return form.definition.title.get("it")


OUTCOME_FILL = {"non valida": "FFF4CCCC", "crea": "FFE2F0D9", "aggiorna": "FFDDEBF7"}


def report_xlsx(prepared: Prepared, plan: Plan) -> bytes:
    """The original rows with an outcome and an error column, to fix and re-import.

    Written in openpyxl's write-only mode, row by row; the rows are coloured by their
    outcome with conditional formatting (one rule per outcome), not cell by cell."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Esito importazione")
    headers = ["Riga del file", "Esito", "Errori",
               *[("" if h is None else str(h)) for h in prepared.headers]]
    width = max(len(headers), prepared.raw.width + 3)
    sheet.freeze_panes = "D2"
    for letter, size in (("A", 10), ("B", 18), ("C", 60)):
        sheet.column_dimensions[letter].width = size
    last = f"{get_column_letter(width)}{len(plan.rows) + len(prepared.layout.set_aside) + 1}"
    for outcome, color in OUTCOME_FILL.items():
        sheet.conditional_formatting.add(f"A2:{last}", FormulaRule(
            formula=[f'$B2="{outcome}"'], fill=PatternFill("solid", bgColor=color)))
    bold = Font(bold=True)
    sheet.append([_styled(sheet, h, bold) for h in headers])
    first, rows = prepared.raw.first_row, prepared.raw.rows
    # The rows set aside (totals, notes) are listed too, in their place: no row of the file
    # is left out of the report.
    aside = ((number + first, "ignorata", why) for number, why in prepared.layout.set_aside)
    planned = ((row.number, row.outcome, _problems(row)) for row in plan.rows)
    for number, outcome, problems in heapq.merge(planned, aside):
        sheet.append(sheet_row(sheet, [number, outcome, problems, *rows[number - first]]))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _problems(row) -> str:
    """The report's «Errori» cell: each wrong value by column, or what a draft lacks."""
    if row.valid and row.status == "bozza" and row.missing and row.outcome != "invariata":
        return "scheda incompleta (bozza): mancano " + ", ".join(row.missing)
    return "; ".join(f"{e.column}: {e.message}" if e.column else e.message for e in row.errors)


def _styled(sheet, value, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value)
    cell.font = font
    return cell





__all__ = ["Prepared", "apply_mapping", "match_headers", "plan_import", "prepare",
           "report_xlsx"]
