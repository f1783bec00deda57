"""The field-type registry: one class per type knows its web field, storage, import and display.

The registry is the only list of valid types: the loader validates `type:` against it,
the web form builder asks it for WTForms fields, imports and documents ask it to
coerce and format values. Registering a name twice is an error at start-up.
"""

import re

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import Length, Optional, Regexp

from ..model import FieldDef
from .xmlsafe import strip_illegal

REGISTRY: dict[str, "FieldType"] = {}


def register(cls: type["FieldType"]) -> type["FieldType"]:
    """Class decorator: add a field type to the registry under its `name`."""
    if cls.name in REGISTRY:
        raise RuntimeError(f"tipo di campo '{cls.name}' registrato due volte")
    REGISTRY[cls.name] = cls()
    return cls


def get(name: str) -> "FieldType":
    return REGISTRY[name]


class FieldType:
    """Base class: a type with a text value."""

    name = ""
    description = ""
    has_value = True
    has_input = True
    numeric = False
    uses_choices = uses_fields = uses_expr = False  # which definition keys the type reads

    def check(self, field: FieldDef) -> list[str]:
        """Problems in a field's definition that only this type can see."""
        problems = []
        if field.choices is not None and not self.uses_choices:
            problems.append(f"'choices' non si usa con il tipo '{self.name}'")
        if field.fields is not None and not self.uses_fields:
            problems.append(f"'fields' si usa solo con il tipo 'repeat', non con '{self.name}'")
        if field.expr is not None and not self.uses_expr:
            problems.append(f"'expr' si usa solo con il tipo 'computed', non con '{self.name}'")
        if field.label is None and self.has_input:
            problems.append("manca 'label': l'etichetta mostrata all'operatore")
        return problems

    def validators(self, field: FieldDef) -> list:
        result = [Optional()]
        if field.min_length or field.max_length:
            result.append(Length(min=field.min_length or -1, max=field.max_length or -1,
                                 message=_l("Lunghezza non valida.")))
        if field.pattern:
            result.append(Regexp(field.pattern, message=_l("Formato non valido.")))
        return result

    def wtforms_field(self, field: FieldDef, subform=None):
        return StringField(field.label_text(), validators=self.validators(field))

    def to_json(self, value):
        """Web or Python value -> what is stored in the entry's JSON."""
        if value is None:
            return None
        value = strip_illegal(str(value)).strip()
        return value or None

    def from_json(self, raw):
        """Stored JSON -> Python value (for expressions, forms and documents)."""
        return raw

    def parse(self, raw, field: FieldDef):
        """A value from an imported spreadsheet -> stored value; ValueError in Italian."""
        return self.to_json(raw)

    def display(self, value, field: FieldDef, lang: str = "it") -> str:
        """A value as a person reads it (dates dd/mm/yyyy, decimals with a comma)."""
        return "" if value is None else str(value)

    def spreadsheet_value(self, value, field: FieldDef):
        """A value as an exported cell that imports back to the same value."""
        return self.display(value, field)

    def form_data(self, value):
        """Stored JSON -> the value a WTForms field starts with."""
        return self.from_json(value)

    # Texts that fit the usual patterns (a time, a code, a number), tried in order.
    PATTERN_SAMPLES = ("10:30", "AB123", "12345", "prova")

    def sample(self, field: FieldDef):
        """A valid stored value for this field, for tests, previews and demonstrations."""
        if field.pattern:
            return next((t for t in self.PATTERN_SAMPLES
                         if re.fullmatch(field.pattern, t)), None)
        return f"Prova {field.id}"[:field.max_length or None]


# The types register themselves when their modules are imported (order = registry order).
from . import choices, dates, numbers, structure, text  # noqa: E402,F401
from .choices import MultiCheckboxField  # noqa: E402,F401
from .dates import DATE_FORMATS, parse_date  # noqa: E402,F401
from .numbers import format_italian_number, parse_italian_number  # noqa: E402,F401
from .text import TextType  # noqa: E402,F401
from .xmlsafe import xml_text  # noqa: E402,F401
