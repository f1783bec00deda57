"""Demonstration sheets: every form of the library filled with plausible, fictional values."""

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlite_utils import Database

from . import sheets
from .catalog import Catalog
from .cycle import phase_index
from .definitions import Form
from .definitions.model import FieldDef
from .store import entries

PHRASES = [
    "Situazione stabile, la figlia passa ogni giorno e segue la terapia.",
    "Riferisce stanchezza e difficoltà a uscire di casa da solo.",
    "Colloquio svolto a domicilio con la persona e il caregiver principale.",
    "Si concorda di attivare il servizio e di verificare tra tre mesi.",
    "La rete informale è presente ma affaticata; il vicino aiuta con la spesa.",
]
NAMES = ["Anna Colombo", "Marco Ferrari", "Giulia Riva", "Paolo Sala", "Elena Brambilla"]


def sample_value(f: FieldDef, rng: random.Random):
    """A plausible value for one field, by its type (Python value, as a form would give)."""
    kind = f.type
    if kind in ("choice",):
        return rng.choice(f.choices).value if f.choices else None
    if kind == "multichoice":
        return [c.value for c in rng.sample(f.choices, k=min(2, len(f.choices)))]
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "integer":
        low, high = int(f.min if f.min is not None else 0), int(f.max if f.max is not None else 10)
        return rng.randint(low, min(high, low + 10))
    if kind in ("decimal", "money"):
        low = f.min if f.min is not None else 0
        high = f.max if f.max is not None else 2000
        return Decimal(str(round(rng.uniform(low, high), 2)))
    if kind == "date":
        return date.today() - timedelta(days=rng.randint(1, 300))
    if kind == "textarea":
        return rng.choice(PHRASES)
    if kind == "text":
        return rng.choice(NAMES) if "nom" in f.id else rng.choice(PHRASES)[:60]
    if kind == "phone":
        return f"031 {rng.randint(100000, 999999)}"
    if kind == "email":
        return "servizio@example.it"
    return None


def sample_values(form: Form, prefilled: dict, rng: random.Random) -> dict:
    """Prefilled values kept; every other input field filled; repeats with two rows."""
    values = dict(prefilled)
    for fid, f in form.fields.items():
        if f.type == "repeat":
            if not values.get(fid):
                values[fid] = [{sub.id: sample_value(sub, rng) for sub in f.fields}
                               for _ in range(max(2, f.min_rows))]
        elif values.get(fid) in (None, "", []):
            values[fid] = sample_value(f, rng)
    return values


def fill_case(db: Database, catalog: Catalog, case: dict, person: dict, user_id: int,
              rng: random.Random) -> int:
    """Sheets for the phases a case has gone through (plus its measure and court paperwork)."""
    reached = phase_index(case["fase"])
    created = 0
    for form in catalog.for_area(case["area"]):
        phase = form.definition.phase
        if phase in ("misura", "tribunale"):
            if rng.random() > 0.5:
                continue
        elif phase_index(phase) > reached:
            continue
        ctx = sheets.context(catalog, case, person)
        values = sample_values(form, sheets.prefill(db, catalog, form, case, person), rng)
        values = form.decode(form.encode(values))  # typed as the web form gives them
        result = sheets.check_submission(form, values, {}, ctx, True, set())
        status = "completa" if result.ok else "bozza"
        entries.create(db, case, form.id, form.version, form.encode(result.values), user_id,
                       status=status, note="dati dimostrativi", source="demo")
        created += 1
    return created
