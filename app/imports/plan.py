"""What each row of a register becomes: a person, a case, a sheet — planned before writing.

The plan reads the database once (persons, open cases and sheets of the office) and decides
row by row: invalid (a present value that is wrong, or a row tied to nobody), merged (the
same person and sheet twice in the file), and for the sheet: create, update or unchanged.
A row that lacks what the form requires becomes a draft sheet marked incomplete.
"""

import json
import re
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlite_utils import Database

from ..definitions import Form, fieldtypes
from ..definitions.fieldtypes import parse_date
from ..sheets import evaluation_context
from ..store import cases as case_store
from ..store import imports as import_store
from ..store.entries import dump_data
from ..store.scope import Scope
from .mapping import ENTRY_ID

PERSON_FIELDS = ("codice_fiscale", "cognome", "nome", "sesso", "data_nascita", "luogo_nascita",
                 "cittadinanza", "comune_residenza", "indirizzo", "telefono", "email")
SEX = {"m": "M", "maschio": "M", "uomo": "M", "f": "F", "femmina": "F", "donna": "F"}


@dataclass
class CellProblem:
    row: int
    column: str
    message: str


@dataclass(slots=True)
class RowPlan:
    """One data row of the file and its fate.

    A plan holds every row of the file, so a row keeps little: the sheet to write as its
    JSON text compressed (`data`, None when nothing is to be written: `sheet_json()` gives
    the text back; 2 KB of JSON, mostly field names and nulls, take about 400 bytes), the
    matched entry as id, revision and status; the values read are dropped once the sheet is
    computed."""

    number: int
    person: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    errors: list[CellProblem] = field(default_factory=list)
    outcome: str = ""
    person_id: int | None = None
    person_action: str = "same"
    case_id: int | None = None
    entry: dict | None = None
    data: bytes | None = None
    status: str = "bozza"
    missing: list[str] | tuple[str, ...] = field(default_factory=list)
    merged_into: int | None = None
    entry_id_wanted: int | None = None
    merged: list[int] | None = None  # numbers of the later rows merged into this one

    @property
    def valid(self) -> bool:
        return not self.errors and self.merged_into is None

    def sheet_json(self) -> str:
        return zlib.decompress(self.data).decode()


@dataclass
class Plan:
    """The whole import, before anything is written."""

    form: Form
    office_id: int
    mapping: dict[int, str]
    headers: list
    rows: list[RowPlan]
    area: str
    # The fields the importing role may not see (sensitive sections, for staff): the plan
    # neither reads, compares, writes nor reports them; stored values stay as they are.
    hidden: frozenset = frozenset()
    # The case manager of the cases the import opens (None: unassigned, listed on the
    # coordinator's home).
    manager_id: int | None = None

    def counts(self) -> dict:
        valid = [r for r in self.rows if r.valid]
        return {
            "rows": len(self.rows),
            "created": sum(1 for r in valid if r.outcome == "crea"),
            "updated": sum(1 for r in valid if r.outcome == "aggiorna"),
            "unchanged": sum(1 for r in valid if r.outcome == "invariata"),
            "incomplete": sum(1 for r in valid if r.outcome != "invariata"
                              and r.status == "bozza"),
            "persons_created": len({r.person["_key"] for r in valid
                                    if r.person_action == "create"}),
            "persons_updated": len({r.person["_key"] for r in valid
                                    if r.person_action == "update"}),
            "merged": sum(1 for r in self.rows if r.merged_into is not None),
            "invalid": sum(1 for r in self.rows if r.errors),
        }

    def errors(self) -> list[CellProblem]:
        return [e for r in self.rows for e in r.errors]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value == int(value):
        value = int(value)
    return str(value).strip()


def _person_from(row: RowPlan, cells: list, mapping: dict, headers: list) -> None:
    ctype, dtype = fieldtypes.get("codice_fiscale"), fieldtypes.get("date")
    for column, target in mapping.items():
        if not target.startswith("persona.") or column >= len(cells):
            continue
        name, raw = target.split(".", 1)[1], cells[column]
        header = str(headers[column])
        if raw in (None, ""):
            continue
        try:
            if name == "codice_fiscale":
                row.person[name] = ctype.parse(raw, None)
            elif name == "data_nascita":
                row.person[name] = _birth_date(dtype.parse(raw, None), raw)
            elif name == "sesso":
                value = SEX.get(_text(raw).lower())
                if value is None:
                    raise ValueError(f"«{raw}» non è un sesso (M/F)")
                row.person[name] = value
            elif name == "cognome_nome":
                words = _text(raw).split()
                row.person.setdefault("cognome", " ".join(words[:-1]) or words[0])
                row.person.setdefault("nome", words[-1] if len(words) > 1 else "")
            else:
                row.person[name] = _text(raw)
        except ValueError as exc:
            row.errors.append(CellProblem(row.number, header, str(exc)))


# The year written last with two digits, however the date is written ('03/04/41', '3 apr 41',
# '03-04-41 10:30'): a time after it is allowed.
TWO_DIGIT_YEAR = re.compile(r"(?<![\d:])\d{2}(?:[\sT,]+\d{1,2}[:.]\d{2}(?::\d{2})?)?\s*$")

YEAR_FIRST = re.compile(r"\s*\d{4}\D")  # 2041-04-03: the year is whole, not two digits


def _birth_date(iso: str, raw) -> str:
    """A birth date is in the past: '03/04/41' is 1941, not 2041."""
    born = date.fromisoformat(iso)
    if born <= date.today():
        return iso
    if isinstance(raw, str) and TWO_DIGIT_YEAR.search(raw) and not YEAR_FIRST.match(raw):
        return born.replace(year=born.year - 100).isoformat()
    raise ValueError(f"la data di nascita «{raw}» è nel futuro")


def _values_from(row: RowPlan, cells: list, form: Form, mapping: dict, headers: list) -> None:
    for column, target in mapping.items():
        f = form.fields.get(target)
        if f is None or column >= len(cells):
            continue
        raw = cells[column]
        try:
            value = fieldtypes.get(f.type).parse(raw, f)
        except ValueError as exc:
            row.errors.append(CellProblem(row.number, str(headers[column]), str(exc)))
            continue
        if value not in (None, "", []):
            row.values[target] = value


def _key(person: dict) -> tuple | None:
    if person.get("codice_fiscale"):
        return ("cf", person["codice_fiscale"])
    return _name_key(person)


def _name_key(person: dict) -> tuple | None:
    if person.get("cognome") and person.get("nome") and person.get("data_nascita"):
        return ("nome", person["cognome"].lower(), person["nome"].lower(), person["data_nascita"])
    return None


class _Index:
    """The office's persons, open cases and sheets of the form, read once."""

    def __init__(self, db: Database, office_id: int, form: Form):
        self.people = import_store.office_people(db, office_id)
        self.by_key = {}
        self.by_name: dict[tuple, list[dict]] = {}
        for person in self.people:
            key = _key(person)
            if key:
                self.by_key[key] = person
            name = _name_key(person)
            if name:
                self.by_name.setdefault(name, []).append(person)
        self.open_cases = import_store.office_open_cases(db, office_id)
        # The office's sheets without their data (a re-import of 100,000 rows would hold
        # every one in memory): the import key of each, and the text is read again for
        # the one a row matches.
        keys = [k for k in form.definition.import_key if k in form.fields]
        self.entries = []
        for entry in import_store.office_entries(db, office_id, form.id):
            data = json.loads(entry.pop("data"))
            entry["key"] = tuple(data.get(k) for k in keys)
            self.entries.append(entry)
        self.by_id = {e["id"]: e for e in self.entries}
        self.by_person: dict[int, list[dict]] = {}
        for entry in self.entries:  # oldest first, as office_entries orders them
            self.by_person.setdefault(entry["person_id"], []).append(entry)
        self.db = db
        self.office_id = office_id
        self.cases: dict[int, dict] = {}
        self.new_case: dict = {}  # the case an import opens for a person without one
        self.shared: dict = {}  # equal small values held once (see plan_rows)

    def case_of(self, case_id: int | None) -> dict:
        """The open case a row's sheet belongs to (read once per case)."""
        if case_id is None:
            return self.new_case
        if case_id not in self.cases:
            self.cases[case_id] = case_store.get(self.db, Scope(self.office_id), case_id)
        return self.cases[case_id]

    def data_of(self, entry: dict) -> str:
        return import_store.entry_data(self.db, entry["id"])

    def find(self, person: dict) -> dict | None:
        """The known person: by codice fiscale, else by name and birth date if one alone fits.

        A register often lacks the codice fiscale of someone known by it, or brings it for
        someone first imported without: either way it is the same person, not a new one.
        """
        found = self.by_key.get(person["_key"])
        if found is not None:
            return found
        code = person.get("codice_fiscale")
        fits = [p for p in self.by_name.get(_name_key(person), [])
                if not code or not p["codice_fiscale"]]
        return fits[0] if len(fits) == 1 else None


def _entry_key(form: Form, data: dict) -> tuple:
    keys = [k for k in form.definition.import_key if k in form.fields]
    return tuple((k, data.get(k)) for k in keys)


def plan_rows(db: Database, form: Form, office_id: int, rows: list[list], data_rows: list[int],
              headers: list, mapping: dict[int, str], area: str, first_row: int = 1,
              context: dict | None = None, hidden: Collection[str] = ()) -> Plan:
    """Decide every row; read-only. Columns mapped to a field in `hidden` are not read."""
    hidden = frozenset(hidden)
    mapping = {c: t for c, t in mapping.items() if t not in hidden}
    index = _Index(db, office_id, form)
    index.new_case = {"area": area, "stato": "aperta", "data_apertura": date.today()}
    plan = Plan(form, office_id, mapping, headers, [], area, hidden)
    seen: dict[tuple, RowPlan] = {}
    id_column = next((c for c, t in mapping.items() if t == ENTRY_ID), None)
    keys = [k for k in form.definition.import_key if k in form.fields]

    def full_values(row: RowPlan) -> dict:
        """The row's values read again, then those of the rows merged into it, in order."""
        values = {}
        for number in [row.number, *(row.merged or [])]:
            scratch = RowPlan(number)
            _values_from(scratch, rows[number - first_row], form, mapping, headers)
            values.update(scratch.values)
        return values

    for number in data_rows:
        # The row's cells are read here and not kept: the report reads them again.
        cells = rows[number]
        row = RowPlan(number + first_row)
        _person_from(row, cells, mapping, headers)
        _values_from(row, cells, form, mapping, headers)
        row.entry_id_wanted = _wanted_entry(cells, id_column)
        # Only the import key is kept until the row's turn comes (see full_values): the
        # values of 100,000 rows at once would weigh some 200 MB.
        row.values = {k: row.values[k] for k in keys if k in row.values}
        plan.rows.append(row)
    _share_codes(plan.rows)
    for row in plan.rows:
        key = _key(row.person)
        if key is None and not row.errors:
            row.errors.append(CellProblem(row.number, "", "riga non collegabile a una persona: "
                                          "servono il codice fiscale oppure cognome, nome e "
                                          "data di nascita"))
        if row.errors:
            row.outcome = "non valida"
            continue
        row.person["_key"] = key
        # A row naming its sheet (an export's 'Id scheda') is that sheet: two sheets of one
        # person in the file stay two, whatever their import key.
        entry_key = (key, ("id", row.entry_id_wanted) if row.entry_id_wanted is not None
                     else _entry_key(form, row.values))
        if entry_key in seen:
            first = seen[entry_key]
            first.merged = [*(first.merged or []), row.number]
            first.person.update({k: v for k, v in row.person.items() if v})
            row.merged_into, row.outcome = first.number, f"unita alla riga {first.number}"
            continue
        seen[entry_key] = row
    for row in plan.rows:
        if row.valid:
            row.values = full_values(row)
            _decide(row, form, index, context or {}, hidden)
            # The rows of one person share one dict: the commit writes the person from the
            # first row of each (later rows find it done), and 100,000 rows of 4,000 people
            # need not hold 100,000 copies.
            row.person = index.shared.setdefault(("person", row.person["_key"]), row.person)
    return plan


def _share_codes(rows: list[RowPlan]) -> None:
    """A row without codice fiscale takes the one other rows give for the same name and birth
    date, so that the person is one person (with the code) rather than two."""
    codes: dict[tuple, set[str]] = {}
    for row in rows:
        name = _name_key(row.person)
        if name and row.person.get("codice_fiscale"):
            codes.setdefault(name, set()).add(row.person["codice_fiscale"])
    for row in rows:
        found = codes.get(_name_key(row.person), set())
        if not row.person.get("codice_fiscale") and len(found) == 1:
            row.person["codice_fiscale"] = next(iter(found))


def _wanted_entry(cells: list, id_column: int | None) -> int | None:
    if id_column is None or id_column >= len(cells):
        return None
    value = _text(cells[id_column])
    return int(value) if value.isdigit() else None


def _decide(row: RowPlan, form: Form, index: _Index, context: dict,
            hidden: frozenset = frozenset()) -> None:
    existing = index.find(row.person)
    if existing is None:
        row.person_action = "create"
    else:
        row.person_id = existing["id"]
        changes = {k: v for k, v in row.person.items() if k in PERSON_FIELDS and v
                   and str(existing.get(k) or "") != str(v)}
        row.person_action = "update" if changes else "same"
        row.case_id = index.open_cases.get(existing["id"])
    entry = None
    wanted = row.entry_id_wanted
    if wanted is not None:
        entry = index.by_id.get(wanted)
        if entry is None or (row.person_id and entry["person_id"] != row.person_id):
            row.errors.append(CellProblem(row.number, "Id scheda", f"la scheda {wanted} non "
                                          "esiste in questo ufficio o è di un'altra persona"))
            row.outcome = "non valida"
            return
    elif row.person_id is not None:
        entry = _matching_entry(form, index, row)
    stored = index.data_of(entry) if entry else None
    base = json.loads(stored) if entry else _starting_values(form, {**(existing or {}),
                                                                   **row.person})
    merged = {**base, **row.values}
    # Evaluated as the web evaluates the sheet: with its person, its case and today.
    context = evaluation_context(context.get("parametri") or {}, index.case_of(row.case_id),
                                 {**(existing or {}), **row.person})
    state = form.settle(form.decode(merged), context)
    errors = form.check(state, context, complete=True)
    missing = missing_labels(form, errors, hidden)
    row.missing = index.shared.setdefault(("missing", missing), missing)
    row.status = "bozza" if errors else "completa"
    row.entry, row.values = entry, {}
    data = dump_data(form.encode(state.values))
    # An untouched draft stays a draft: only a person completes a sheet, not a re-import.
    if entry is not None and data == stored and entry["status"] in (row.status, "bozza"):
        row.outcome, row.status = "invariata", entry["status"]
    else:
        row.outcome = "crea" if entry is None else "aggiorna"
        row.data = zlib.compress(data.encode(), 1)


def missing_labels(form: Form, errors: dict, hidden: frozenset = frozenset()) -> tuple:
    """What a draft lacks, as users read it: «label» of each field (a repeat's row named),
    leaving out the fields the importing role may not see."""
    labels = []
    for key in errors:
        fid = key if isinstance(key, str) else key[0]
        if fid in hidden or fid not in form.fields:
            continue
        label = form.fields[fid].label_text()
        if not isinstance(key, str):
            sub = next((f for f in form.fields[fid].fields or [] if f.id == key[2]), None)
            label += f", riga {key[1] + 1}: {sub.label_text() if sub else key[2]}"
        labels.append(f"«{label}»")
    return tuple(sorted(set(labels)))


def _starting_values(form: Form, person: dict) -> dict:
    """What a new sheet starts with, as in the web: the defaults, then what the form takes
    from the person's registry data (`prefill: persona.<campo>`)."""
    defaults, prefills = _starters(form)
    values = dict(defaults)
    values.update((fid, person[name]) for fid, name in prefills
                  if person.get(name) not in (None, ""))
    return form.encode(values)


@lru_cache(maxsize=32)
def _starters(form: Form) -> tuple[dict, list[tuple[str, str]]]:
    defaults = {fid: f.default for fid, f in form.fields.items() if f.default is not None}
    prefills = [(fid, f.prefill.partition(".")[2]) for fid, f in form.fields.items()
                if (f.prefill or "").startswith("persona.")]
    return defaults, prefills


def _matching_entry(form: Form, index: _Index, row: RowPlan) -> dict | None:
    keys = [k for k in form.definition.import_key if k in form.fields]
    candidates = index.by_person.get(row.person_id, [])
    if keys:
        wanted = tuple(row.values.get(k) for k in keys)
        candidates = [e for e in candidates if e["key"] == wanted]
    return candidates[-1] if candidates else None


__all__ = ["CellProblem", "Plan", "RowPlan", "plan_rows", "parse_date"]
