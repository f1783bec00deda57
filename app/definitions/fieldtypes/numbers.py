"""Numbers the Italian way: integers, decimals and amounts in euro."""

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import (
    IntegerField,
    StringField,
)
from wtforms.validators import NumberRange, Optional

from ..model import FieldDef
from . import FieldType, register

MAX_DIGITS = 15  # significant digits Excel keeps; far beyond any amount or score


def parse_italian_number(text: str) -> Decimal:
    """'1.234,56 €' -> Decimal('1234.56'); '1234.56' and '1,5' are understood too."""
    cleaned = re.sub(r"[€\s\u00a0]", "", str(text)).replace("'", "")
    if not cleaned:
        raise InvalidOperation
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif cleaned.count(".") > 1 or re.match(r"^-?\d{1,3}(\.\d{3})+$", cleaned):
        cleaned = cleaned.replace(".", "")
    number = Decimal(cleaned)
    # 'nan', 'inf', '1e400' or 60 digits are no one's amount: refused like any other typo,
    # before they overflow an Excel cell or a rounding deep in the export.
    if not number.is_finite() or abs(number.adjusted()) > MAX_DIGITS:
        raise InvalidOperation
    return number


def format_italian_number(value: Decimal, places: int | None = None) -> str:
    """Decimal('1234.5') -> '1.234,5' (or '1.234,50' with places=2)."""
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    sign, text = ("-", f"{-value:f}") if value < 0 else ("", f"{value:f}")
    whole, _, fraction = text.partition(".")
    whole = f"{int(whole):,}".replace(",", ".")
    return sign + whole + ("," + fraction if fraction else "")


class _DecimalInput(StringField):
    """A number typed the Italian way: '1.234,56'."""

    places: int | None = None

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        if self.raw and self.raw.strip():
            try:
                self.data = parse_italian_number(self.raw)
            except (InvalidOperation, ValueError):
                self.data = None
                raise ValueError(_l("Numero non valido: usare la virgola per i decimali "
                                    "(es. 1.234,56).")) from None

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_italian_number(self.data, self.places) if self.data is not None else ""


class _MoneyInput(_DecimalInput):
    places = 2


def _range(field: FieldDef):
    if field.min is None and field.max is None:
        return []
    if field.min is not None and field.max is not None:
        message = _l("Il valore deve essere compreso tra %(min)s e %(max)s.")
    elif field.min is not None:
        message = _l("Il valore deve essere almeno %(min)s.")
    else:
        message = _l("Il valore deve essere al massimo %(max)s.")
    return [_InRange(min=_whole(field.min), max=_whole(field.max), message=message)]


class _InRange(NumberRange):
    """NumberRange that stays silent when the number could not be read at all."""

    def __call__(self, form, field):
        if field.data is not None:
            super().__call__(form, field)


def check_range(field: FieldDef | None, value) -> None:
    """An imported number must keep within the field's min and max, as in the web form."""
    if value is None or field is None or (field.min is None and field.max is None):
        return
    number = Decimal(str(value))
    low, high = (None if x is None else Decimal(str(x)) for x in (field.min, field.max))
    if (low is None or number >= low) and (high is None or number <= high):
        return
    shown = " e ".join(str(_whole(x)) for x in (field.min, field.max) if x is not None)
    bound = ("compreso tra " if low is not None and high is not None else
             "almeno " if low is not None else "al massimo ")
    raise ValueError(f"«{value}» non è ammesso: il valore deve essere {bound}{shown}")


def _sample_number(field: FieldDef, wanted: Decimal) -> Decimal:
    """`wanted` if the field's range allows it, else a whole number inside the range."""
    low = None if field.min is None else Decimal(str(field.min))
    high = None if field.max is None else Decimal(str(field.max))
    if (low is None or wanted >= low) and (high is None or wanted <= high):
        return wanted
    if low is not None and high is not None:
        return ((low + high) / 2).to_integral_value(rounding="ROUND_FLOOR")
    return low if low is not None else high


def _whole(limit: float | None):
    """20.0 -> 20, so that messages read 'tra 0 e 20', not 'tra 0.0 e 20.0'."""
    return int(limit) if limit is not None and limit == int(limit) else limit


@register
class DecimalType(FieldType):
    name = "decimal"
    description = "numero con decimali (virgola)"
    numeric = True
    input_class = _DecimalInput
    places = None

    def wtforms_field(self, field, subform=None):
        return self.input_class(field.label_text(), validators=[Optional(), *_range(field)],
                                render_kw={"inputmode": "decimal"})

    def to_json(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, str):
            value = parse_italian_number(value)
        # '22,0' and 22 are one number: stored the same way, as an export reads back.
        return format(Decimal(str(value)).normalize(), "f")

    def from_json(self, raw):
        return None if raw is None else Decimal(str(raw))

    def parse(self, raw, field):
        value = self._number(raw)
        check_range(field, value)
        return value

    def _number(self, raw):
        if raw is None or str(raw).strip() == "":
            return None
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            # Plain notation: normalize() alone turns 1200.0 into '1.2E+3'.
            return format(Decimal(str(round(raw, 6))).normalize(), "f")
        try:
            return format(parse_italian_number(str(raw)), "f")
        except (InvalidOperation, ValueError):
            raise ValueError(f"«{raw}» non è un numero") from None

    def display(self, value, field, lang="it"):
        return "" if value is None else format_italian_number(Decimal(str(value)), self.places)

    def sample(self, field):
        return self.to_json(_sample_number(field, Decimal("1234.5")))


@register
class MoneyType(DecimalType):
    name = "money"
    description = "importo in euro (es. 1.234,56 €)"
    input_class = _MoneyInput
    places = 2

    def to_json(self, value):
        text = super().to_json(value)
        return None if text is None else str(Decimal(text).quantize(Decimal("0.01")))

    def parse(self, raw, field):
        text = super().parse(raw, field)
        return None if text is None else str(Decimal(text).quantize(Decimal("0.01")))

    def display(self, value, field, lang="it"):
        return "" if value is None else format_italian_number(Decimal(str(value)), 2) + " €"


class _IntegerInput(IntegerField):
    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Numero intero non valido.")) from None


@register
class IntegerType(FieldType):
    name = "integer"
    description = "numero intero"
    numeric = True

    def wtforms_field(self, field, subform=None):
        return _IntegerInput(field.label_text(), validators=[Optional(), *_range(field)],
                             render_kw={"inputmode": "numeric"})

    def to_json(self, value):
        if value is None or value == "":
            return None
        return int(value)

    def sample(self, field):
        return int(_sample_number(field, Decimal(7)))

    def parse(self, raw, field):
        value = self._integer(raw)
        check_range(field, value)
        return value

    @staticmethod
    def _integer(raw):
        if raw is None or str(raw).strip() == "":
            return None
        if isinstance(raw, float):
            if raw != int(raw):
                raise ValueError(f"«{raw}» non è un numero intero")
            return int(raw)
        try:
            number = parse_italian_number(str(raw))
        except (InvalidOperation, ValueError):
            raise ValueError(f"«{raw}» non è un numero intero") from None
        if number != number.to_integral_value():
            raise ValueError(f"«{raw}» non è un numero intero")
        return int(number)
