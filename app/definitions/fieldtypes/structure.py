"""Fields without input: notes, computed values; repeat groups of rows."""

from datetime import date
from decimal import Decimal

from wtforms import (
    FieldList,
    FormField,
)

from . import REGISTRY, FieldType, register
from .numbers import MoneyType, format_italian_number


@register
class NoteType(FieldType):
    name = "note"
    description = "testo informativo (nessun valore)"
    has_value = False
    has_input = False

    def check(self, field):
        problems = super().check(field)
        if field.text is None:
            problems.append("manca 'text': il testo informativo da mostrare")
        return problems

    def wtforms_field(self, field, subform=None):
        return None

    def sample(self, field):
        return None


@register
class ComputedType(FieldType):
    name = "computed"
    uses_expr = True
    description = "valore calcolato da un'espressione (non modificabile)"
    has_input = False

    def check(self, field):
        problems = [p for p in super().check(field) if "'expr'" not in p]
        if not field.expr:
            problems.append("manca 'expr': l'espressione che calcola il valore")
        if field.label is None:
            problems.append("manca 'label': l'etichetta del valore calcolato")
        return problems

    def wtforms_field(self, field, subform=None):
        return None

    def sample(self, field):
        return None  # computed from the other fields

    def to_json(self, value):
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float) and value == int(value):
            return int(value)
        return value

    def display(self, value, field, lang="it"):
        if value is None:
            return "—"
        if isinstance(value, bool):
            return "Sì" if value else "No"
        if field.format == "money":
            return MoneyType().display(value, field)
        if isinstance(value, float | Decimal):
            return format_italian_number(Decimal(str(value)).normalize())
        return str(value)


@register
class RepeatType(FieldType):
    name = "repeat"
    uses_fields = True
    description = "gruppo di campi ripetibile (righe)"

    def check(self, field):
        problems = [p for p in super().check(field) if "'fields'" not in p]
        if not field.fields:
            problems.append("manca 'fields': i campi di ogni riga")
        if field.max_rows is not None and field.max_rows < field.min_rows:
            problems.append("'max_rows' è minore di 'min_rows'")
        return problems

    def wtforms_field(self, field, subform=None):
        return FieldList(FormField(subform), min_entries=field.min_rows,
                         max_entries=None)

    def to_json(self, value):
        return value or []

    def sample(self, field, rows: int = 2):
        """`rows` rows, each sub-field with its own sample."""
        return [{sub.id: REGISTRY[sub.type].sample(sub) for sub in field.fields or []
                 if REGISTRY[sub.type].has_value} for _ in range(max(rows, field.min_rows))]

    def display(self, value, field, lang="it"):
        count = len(value or [])
        return "1 riga" if count == 1 else f"{count} righe"
