"""Dates typed or imported in the formats offices use."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
)
from wtforms.validators import Optional

from . import FieldType, register

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d")


def parse_date(text: str) -> date:
    """'03/04/1941', '3/4/1941', '03.04.1941', '03-04-1941', '1941-04-03' -> date."""
    text = text.strip().split(" ")[0].split("T")[0]
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"«{text}» non è una data valida (gg/mm/aaaa)")


class _DateInput(DateField):
    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = parse_date(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(_l("Data non valida: usare il formato gg/mm/aaaa.")) from None


@register
class DateType(FieldType):
    name = "date"
    description = "data (gg/mm/aaaa)"

    def wtforms_field(self, field, subform=None):
        return _DateInput(field.label_text(), validators=[Optional()], format="%Y-%m-%d")

    def to_json(self, value):
        if value in (None, ""):
            return None
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value.isoformat()
        return parse_date(str(value)).isoformat()

    def from_json(self, raw):
        return date.fromisoformat(raw) if raw else None

    def parse(self, raw, field):
        if raw is None or str(raw).strip() == "":
            return None
        if isinstance(raw, datetime | date):
            return self.to_json(raw)
        return parse_date(str(raw)).isoformat()

    def display(self, value, field, lang="it"):
        return date.fromisoformat(value).strftime("%d/%m/%Y") if value else ""
