"""Filling sheets: expression context, prefill, submission checks, row actions, diffs.

No Flask here: the entries blueprint calls these with what it parsed.
"""

from dataclasses import dataclass, field
from datetime import date

from sqlite_utils import Database

from .catalog import Catalog
from .definitions import Form, FormState, fieldtypes
from .definitions.expressions import eta
from .store import entries as entry_store


def _as_date(value) -> date | None:
    """A stored ISO date, or a date already parsed (a row being imported), as a date."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def person_context(person: dict) -> dict:
    """The `persona` of expressions and templates: stored row with real dates and age."""
    ctx = dict(person)
    ctx["data_nascita"] = _as_date(person.get("data_nascita"))
    ctx["eta"] = eta(ctx["data_nascita"])
    return ctx


def case_context(case: dict) -> dict:
    ctx = dict(case)
    for key in ("data_apertura", "data_chiusura", "prossima_verifica"):
        ctx[key] = _as_date(case.get(key))
    return ctx


def evaluation_context(parameters: dict, case: dict, person: dict) -> dict:
    """Names every expression of a sheet may read besides the form's own fields; the one
    context of the web, the import, the export, the documents and the batch."""
    return {"persona": person_context(person), "pratica": case_context(case),
            "oggi": date.today(), "parametri": parameters}


def context(catalog: Catalog, case: dict, person: dict) -> dict:
    """Names every expression may read besides the form's own fields."""
    return evaluation_context(catalog.parameters, case, person)


def prefill(db: Database, catalog: Catalog, form: Form, case: dict, person: dict) -> dict:
    """Initial values: defaults, then what the person, the case or other sheets already say."""
    ctx = context(catalog, case, person)
    values = {}
    for fid, f in form.fields.items():
        if f.default is not None:
            values[fid] = f.default
        if f.prefill:
            found = _prefill_value(db, catalog, f, f.prefill, case, ctx)
            if found not in (None, "", []):
                values[fid] = found
    return form.decode(form.encode(values))


def _prefill_value(db, catalog, f, source: str, case: dict, ctx: dict):
    kind, _, rest = source.partition(".")
    if kind in ("persona", "pratica"):
        return ctx[kind].get(rest)
    other_id, _, other_field = rest.partition(".")
    entry = entry_store.latest(db, case["id"], other_id) or entry_store.latest(
        db, case["id"], other_id, complete_only=False)
    if entry is None:
        return None
    other = catalog.form(db, other_id, entry["form_version"])
    value = other.decode(entry["data"]).get(other_field)
    if f.type == "repeat":
        wanted = {sub.id for sub in f.fields}
        return [{k: v for k, v in row.items() if k in wanted} for row in value or []]
    return value


@dataclass
class Submission:
    """The outcome of checking what the user sent."""

    values: dict
    state: FormState
    errors: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def check_submission(form: Form, values: dict, stored: dict, ctx: dict, complete: bool,
                     hidden_sections: set[str]) -> Submission:
    """Keep what the user may not see, compute, enforce required fields, rules and row limits."""
    for section in form.sections:
        if section.id in hidden_sections:
            for f in section.fields:
                if f.id in stored:
                    values[f.id] = stored[f.id]
    state = form.settle(values, ctx)
    errors = form.check(state, ctx, complete)
    for fid, f in form.fields.items():
        rows = state.values.get(fid) or []
        if f.type == "repeat" and f.max_rows is not None and len(rows) > f.max_rows:
            errors.setdefault(fid, []).append(f"Al massimo {f.max_rows} righe.")
        if f.type == "repeat" and complete and len(rows) < f.min_rows and fid not in errors:
            errors.setdefault(fid, []).append(
                "Serve almeno una riga." if f.min_rows == 1 else f"Servono almeno {f.min_rows} righe.")
    return Submission(state.values, state, errors)


def is_blank_row(row: dict) -> bool:
    return all(v in (None, "", [], False) for v in row.values())


def drop_blank_rows(form: Form, values: dict) -> dict:
    """Rows left empty by the user are not data."""
    result = dict(values)
    for fid, f in form.fields.items():
        if f.type == "repeat":
            result[fid] = [row for row in values.get(fid) or [] if not is_blank_row(row)]
    return result


def row_action(form: Form, values: dict, action: str) -> dict:
    """'aggiungi_riga:<repeat>' or 'rimuovi_riga:<repeat>:<index>' applied to the values."""
    verb, _, rest = action.partition(":")
    repeat, _, index = rest.partition(":")
    f = form.fields.get(repeat)
    if f is None or f.type != "repeat":
        return values
    rows = list(values.get(repeat) or [])
    if verb == "aggiungi_riga" and (f.max_rows is None or len(rows) < f.max_rows):
        rows.append({sub.id: None for sub in f.fields if fieldtypes.get(sub.type).has_value})
    elif verb == "rimuovi_riga" and index.isdigit() and int(index) < len(rows):
        rows.pop(int(index))
    return {**values, repeat: rows}


@dataclass
class Change:
    """One difference between two saved states, as a person reads it."""

    label: str
    before: str
    after: str


def diff(form: Form, before: dict, after: dict, hidden: set[str] = frozenset()) -> list[Change]:
    """Field-by-field differences (repeat rows compared row by row)."""
    changes = []
    for section in form.sections:
        if section.id in hidden:
            continue
        for f in section.fields:
            kind = fieldtypes.get(f.type)
            if not kind.has_value:
                continue
            old, new = before.get(f.id), after.get(f.id)
            if f.type == "repeat":
                changes += _diff_rows(f, old or [], new or [])
            elif old != new:
                changes.append(Change(f.label_text(), kind.display(old, f), kind.display(new, f)))
    return changes


def _diff_rows(f, old_rows: list, new_rows: list) -> list[Change]:
    changes = []
    for index in range(max(len(old_rows), len(new_rows))):
        old = old_rows[index] if index < len(old_rows) else {}
        new = new_rows[index] if index < len(new_rows) else {}
        for sub in f.fields:
            kind = fieldtypes.get(sub.type)
            if kind.has_value and old.get(sub.id) != new.get(sub.id):
                changes.append(Change(f"{f.label_text()} — riga {index + 1}: {sub.label_text()}",
                                      kind.display(old.get(sub.id), sub),
                                      kind.display(new.get(sub.id), sub)))
    return changes


@dataclass
class PhaseView:
    """One phase of the cycle on the case page: its forms, their sheets, what is missing."""

    code: str
    label: str
    forms: list = field(default_factory=list)   # (form, [entries])
    missing: list = field(default_factory=list)  # forms expected but without a complete sheet
    current: bool = False
    past: bool = False


def cycle_overview(catalog: Catalog, case: dict, entries: list[dict]) -> list[PhaseView]:
    """The cycle of a case with the sheets of each phase, plus measures and court paperwork."""
    from .cycle import OTHER_GROUPS, PHASES, phase_index

    current = phase_index(case["fase"])
    by_form: dict[str, list] = {}
    for entry in entries:
        by_form.setdefault(entry["form_id"], []).append(entry)
    views = {code: PhaseView(code, str(label), current=(i == current),
                             past=(i < current or case["stato"] == "chiusa"))
             for i, (code, label) in enumerate(PHASES.items())}
    for code, label in OTHER_GROUPS.items():
        views[code] = PhaseView(code, str(label))
    for form in catalog.for_area(case["area"]):
        view = views.get(form.definition.phase)
        if view is None:
            continue
        sheets_of_form = by_form.get(form.id, [])
        view.forms.append((form, sheets_of_form))
        done = any(e["status"] == "completa" for e in sheets_of_form)
        if form.definition.expected and not done and (view.past or view.current):
            view.missing.append(form)
    return list(views.values())
