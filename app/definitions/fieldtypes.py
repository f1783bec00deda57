"""The field-type registry: one class per type knows its web field, storage, import and display.

The registry is the only list of valid types: the loader validates `type:` against it,
the web form builder asks it for WTForms fields, imports and documents ask it to
coerce and format values. Registering a name twice is an error at start-up.
"""

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    EmailField,
    FieldList,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import Choice, SelectChoice
from wtforms.validators import Email, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..people import check_cf, normalize_cf
from .model import FieldDef

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

    def check(self, field: FieldDef) -> list[str]:
        """Problems in a field's definition that only this type can see."""
        problems = []
        if field.choices is not None and not isinstance(self, ChoiceType):
            problems.append(f"'choices' non si usa con il tipo '{self.name}'")
        if field.fields is not None and not isinstance(self, RepeatType):
            problems.append(f"'fields' si usa solo con il tipo 'repeat', non con '{self.name}'")
        if field.expr is not None and not isinstance(self, ComputedType):
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
        value = str(value).strip()
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

    def form_data(self, value):
        """Stored JSON -> the value a WTForms field starts with."""
        return self.from_json(value)


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
        value = str(value).replace("\r\n", "\n").strip()
        return value or None


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
                raise ValueError(f"codice fiscale «{code}» non valido: {result.error}")
        return code


def parse_italian_number(text: str) -> Decimal:
    """'1.234,56 €' -> Decimal('1234.56'); '1234.56' and '1,5' are understood too."""
    cleaned = re.sub(r"[€\s\u00a0]", "", str(text)).replace("'", "")
    if not cleaned:
        raise InvalidOperation
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif cleaned.count(".") > 1 or re.match(r"^-?\d{1,3}(\.\d{3})+$", cleaned):
        cleaned = cleaned.replace(".", "")
    return Decimal(cleaned)


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
        return format(Decimal(value), "f")

    def from_json(self, raw):
        return None if raw is None else Decimal(str(raw))

    def parse(self, raw, field):
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

    def parse(self, raw, field):
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


def _fold(text: str) -> str:
    """Lower case without accents, for matching labels typed by hand."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"\s+", " ", text).strip().lower()


YES = {"si", "s", "yes", "y", "x", "1", "true", "vero", "ok"}
NO = {"no", "n", "0", "false", "falso"}


def _options(field, is_selected) -> list[Choice]:
    """The options of a choice field, `is_selected(value_as_text)` deciding which are ticked.

    WTForms compares `str(option) == data`, which never holds once data is typed (True, 5):
    a saved or re-shown answer would appear blank and be lost on the next save.
    """
    return [Choice(c.value, c.label, is_selected(c.value), c.render_kw or {})
            for c in field.choices]


class _YesNoInput(RadioField):
    def process_data(self, value):
        self.data = value if isinstance(value, bool) else None

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0] in ("si", "no"):
            self.data = valuelist[0] == "si"
        else:
            self.data = None

    def pre_validate(self, form):
        return None

    def iter_choices(self):
        return _options(self, lambda v: self.data is not None and v == ("si" if self.data
                                                                         else "no"))


@register
class BooleanType(FieldType):
    name = "boolean"
    description = "sì / no"

    def wtforms_field(self, field, subform=None):
        return _YesNoInput(field.label_text(), choices=[SelectChoice("si", _l("Sì")),
                                                        SelectChoice("no", _l("No"))],
                           validators=[Optional()])

    def to_json(self, value):
        if value is None or value == "":
            return None
        if isinstance(value, str):
            return self.parse(value, None)
        return bool(value)

    def parse(self, raw, field):
        if raw is None or str(raw).strip() == "":
            return None
        if isinstance(raw, bool):
            return raw
        folded = _fold(str(raw))
        if isinstance(raw, int | float):
            folded = str(int(raw))
        if folded in YES:
            return True
        if folded in NO:
            return False
        raise ValueError(f"«{raw}» non è sì/no")

    def display(self, value, field, lang="it"):
        return {True: "Sì", False: "No"}.get(value, "")


class _ChoiceMixin:
    """Maps the strings of an HTML form back to the typed values of the definition."""

    def process_formdata(self, valuelist):
        self.data = None
        if valuelist and valuelist[0] != "":
            self.data = self.by_text.get(valuelist[0], valuelist[0])

    def pre_validate(self, form):
        if self.data is not None and self.data not in self.by_text.values():
            raise ValidationError(_l("Scelta non valida."))

    def iter_choices(self):
        return _options(self, lambda v: self.data is not None and v == str(self.data))


class _RadioChoice(_ChoiceMixin, RadioField):
    pass


class _SelectChoice(_ChoiceMixin, SelectField):
    pass


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class _MultiChoice(MultiCheckboxField):
    def process_formdata(self, valuelist):
        self.data = [self.by_text.get(v, v) for v in valuelist if v != ""]

    def pre_validate(self, form):
        values = set(self.by_text.values())
        if any(v not in values for v in self.data or []):
            raise ValidationError(_l("Scelta non valida."))

    def iter_choices(self):
        ticked = {str(v) for v in self.data or []}
        return _options(self, lambda v: v in ticked)


@register
class ChoiceType(FieldType):
    name = "choice"
    description = "una scelta tra opzioni (radio o elenco)"

    def check(self, field):
        problems = [p for p in super().check(field) if "'choices'" not in p]
        if not field.choices:
            problems.append("manca 'choices': elenco di opzioni o nome di una lista condivisa")
        return problems

    def _choices(self, field):
        return [SelectChoice(str(c.value), c.label.get()) for c in field.choices or []]

    def wtforms_field(self, field, subform=None):
        by_text = {str(c.value): c.value for c in field.choices or []}
        widget = field.widget or ("radio" if len(field.choices or []) <= 5 else "select")
        if widget == "select":
            choices = [SelectChoice("", "— scegliere —"), *self._choices(field)]
            unbound = _SelectChoice(field.label_text(), choices=choices, validators=[Optional()])
        else:
            unbound = _RadioChoice(field.label_text(), choices=self._choices(field),
                                   validators=[Optional()])
        unbound.field_class = type(unbound.field_class.__name__, (unbound.field_class,),
                                   {"by_text": by_text})
        return unbound

    def to_json(self, value):
        return None if value in (None, "") else value

    def parse(self, raw, field):
        if raw is None or str(raw).strip() == "":
            return None
        folded = _fold(raw if not isinstance(raw, float) or raw != int(raw) else int(raw))
        for choice in field.choices or []:
            if folded in (_fold(choice.value), _fold(choice.label.it)) or (
                    choice.label.en and folded == _fold(choice.label.en)):
                return choice.value
        raise ValueError(f"«{raw}» non è tra le opzioni ammesse")

    def display(self, value, field, lang="it"):
        for choice in field.choices or []:
            if choice.value == value:
                return choice.label.get(lang)
        return "" if value is None else str(value)


@register
class MultichoiceType(ChoiceType):
    name = "multichoice"
    description = "più scelte tra opzioni (caselle)"

    def wtforms_field(self, field, subform=None):
        by_text = {str(c.value): c.value for c in field.choices or []}
        unbound = _MultiChoice(field.label_text(), choices=self._choices(field),
                               validators=[Optional()])
        unbound.field_class = type("_MultiChoice", (_MultiChoice,), {"by_text": by_text})
        return unbound

    def to_json(self, value):
        return list(value) if value else []

    def parse(self, raw, field):
        if raw is None or str(raw).strip() == "":
            return []
        parts = [p.strip() for p in re.split(r"[;,\n]", str(raw)) if p.strip()]
        return [ChoiceType.parse(self, p, field) for p in parts]

    def display(self, value, field, lang="it"):
        return ", ".join(ChoiceType.display(self, v, field, lang) for v in value or [])


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


@register
class ComputedType(FieldType):
    name = "computed"
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

    def display(self, value, field, lang="it"):
        count = len(value or [])
        return "1 riga" if count == 1 else f"{count} righe"
