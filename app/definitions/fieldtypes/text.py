"""Text, long text, email, phone and codice fiscale."""

import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import Email, Optional, Regexp, ValidationError

from ...people import check_cf, normalize_cf
from . import FieldType, register
from .xmlsafe import strip_illegal


@register
class TextType(FieldType):
    name = "text"
    description = "testo su una riga"


@register
class TextareaType(FieldType):
    name = "textarea"
    description = "testo su più righe (le andate a capo restano nei documenti)"

    def wtforms_field(self, field, subform=None):
        return TextAreaField(field.label_text(), validators=self.validators(field))

    def to_json(self, value):
        if value is None:
            return None
        value = strip_illegal(str(value).replace("\r\n", "\n")).strip()
        return value or None

    def sample(self, field):
        return f"Prova {field.id}\nseconda riga"


@register
class EmailType(FieldType):
    name = "email"
    description = "indirizzo email"

    def wtforms_field(self, field, subform=None):
        return EmailField(field.label_text(), validators=[
            *self.validators(field), Email(message=_l("Indirizzo email non valido."))])

    def parse(self, raw, field):
        value = self.to_json(raw)
        if value and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", value):
            raise ValueError(f"indirizzo email non valido: «{value}»")
        return value

    def sample(self, field):
        return "prova@example.it"


@register
class PhoneType(FieldType):
    name = "phone"
    description = "numero di telefono"
    PATTERN = r"^\+?[0-9 ()./-]{5,25}$"

    def wtforms_field(self, field, subform=None):
        return TelField(field.label_text(), validators=[
            *self.validators(field),
            Regexp(self.PATTERN, message=_l("Numero di telefono non valido."))])

    def parse(self, raw, field):
        value = self.to_json(raw)
        if value and not re.match(self.PATTERN, value):
            raise ValueError(f"numero di telefono non valido: «{value}»")
        return value

    def sample(self, field):
        return "031 123456"


class _CodiceFiscaleInput(StringField):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data:
            self.data = normalize_cf(self.data)


def _valid_cf(form, field) -> None:
    if field.data:
        result = check_cf(field.data)
        if not result.valid:
            raise ValidationError(result.error)


@register
class CodiceFiscaleType(FieldType):
    name = "codice_fiscale"
    description = "codice fiscale (normalizzato e verificato)"

    def wtforms_field(self, field, subform=None):
        return _CodiceFiscaleInput(field.label_text(), validators=[Optional(), _valid_cf],
                                   render_kw={"autocomplete": "off", "spellcheck": "false"})

    def to_json(self, value):
        return normalize_cf(value) or None

    def parse(self, raw, field):
        code = self.to_json(raw)
        if code:
            result = check_cf(code)
            if not result.valid:
                raise ValueError(result.error)  # one sentence, naming the code and the problem
        return code

    def sample(self, field):
        return "RSSMRA41D03F205B"
