"""Values as templates see them: typed for logic, formatted the Italian way when printed.

A date prints as 03/04/1941, an amount as 1.234,56 €, a choice as its label, a yes/no as
Sì/No, a multi-line text keeps its line breaks in Word. The raw value stays usable:
`scheda.esito == 'chiusura'`, `scheda.totale > 60`, `{% if scheda.urgente %}`.
"""

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment
from markupsafe import Markup, escape

from ..definitions import fieldtypes
from ..definitions.fieldtypes import format_italian_number
from ..definitions.fieldtypes.xmlsafe import strip_illegal
from ..definitions.model import FieldDef

CHECKED, UNCHECKED = "☒", "☐"


def blank_none(value):
    """Jinja's finalize: an unanswered field prints as nothing, not as 'None'; text loses the
    control characters a .docx or .xlsx cannot hold."""
    if value is None:
        return ""
    if isinstance(value, str) and strip_illegal(value) is not value:
        cleaned = strip_illegal(value)
        return type(value)(cleaned) if type(value) in (Testo, Markup) else cleaned
    return value


@lru_cache(maxsize=1)
def text_environment() -> SandboxedEnvironment:
    """One sandbox per process for plain text (Excel cells, file names): no autoescape, as
    it is not HTML and '<' or '&' must stay as typed; an unanswered field prints nothing."""
    env = ImmutableSandboxedEnvironment(autoescape=False, finalize=blank_none)
    env.filters.update(FILTERS)
    return env


def data(value) -> str:
    """dd/mm/yyyy."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return value.strftime("%d/%m/%Y")


def data_estesa(value) -> str:
    """24 novembre 2026."""
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return format_date(value, "d MMMM y", locale="it")


def euro(value) -> str:
    """1.234,56 €."""
    if value is None or value == "":
        return ""
    return format_italian_number(_decimal(value), 2) + " €"


def _decimal(value) -> Decimal:
    """A plain Decimal (our printing subclasses would otherwise format themselves)."""
    if isinstance(value, Decimal):
        return Decimal(Decimal.__str__(value))
    return Decimal(str(value))


def si_no(value) -> str:
    """Sì / No (empty when unanswered)."""
    if value is None or value == "":
        return ""
    return "Sì" if value else "No"


def etichetta(value) -> str:
    """The label of a choice (or the labels of a multiple choice)."""
    if isinstance(value, Scelte):
        return ", ".join(value.labels)
    return getattr(value, "label", "" if value is None else str(value))


def caselle(value) -> str:
    """Every option with ☒ for the chosen ones and ☐ for the others."""
    options = getattr(value, "options", None)
    if options is None:
        return etichetta(value)
    chosen = set(value) if isinstance(value, Scelte) else {value}
    return "   ".join(f"{CHECKED if code in chosen else UNCHECKED} {label}"
                      for code, label in options)


class Data(date):
    """A date that prints as dd/mm/yyyy."""

    def __str__(self) -> str:
        return data(self)

    def __html__(self) -> str:
        return data(self)


class Importo(Decimal):
    """An amount in euro that prints as 1.234,56 €."""

    def __str__(self) -> str:
        return euro(self)

    def __html__(self) -> str:
        return euro(self)


class Numero(Decimal):
    """A decimal number that prints with a decimal comma."""

    def __str__(self) -> str:
        return format_italian_number(_decimal(self))

    def __html__(self) -> str:
        return str(self)


class SiNo(int):
    """A yes/no answer: true or false in logic, Sì/No when printed."""

    def __str__(self) -> str:
        return "Sì" if self else "No"

    def __html__(self) -> str:
        return str(self)


class _Choice:
    label: str
    options: list

    def __html__(self) -> str:
        return str(escape(self.label))


class Scelta(_Choice, str):
    """A choice coded as text: compares as its code, prints as its label."""

    def __new__(cls, code, label, options):
        obj = str.__new__(cls, code)
        obj.label, obj.options = label, options
        return obj


class SceltaNumerica(_Choice, int):
    """A choice coded as a number (e.g. a scale item): adds up, prints as its label."""

    def __new__(cls, code, label, options):
        obj = int.__new__(cls, code)
        obj.label, obj.options = label, options
        return obj


class Scelte(list):
    """A multiple choice: a list of codes that prints as its labels."""

    def __init__(self, codes, labels, options):
        super().__init__(codes)
        self.labels, self.options = labels, options

    def __html__(self) -> str:
        return str(escape(", ".join(self.labels)))

    def __str__(self) -> str:
        return ", ".join(self.labels)


class Testo(str):
    """A multi-line text: its line breaks become line breaks in Word."""

    def __html__(self) -> str:
        lines = [str(escape(line)) for line in self.split("\n")]
        return '</w:t><w:br/><w:t xml:space="preserve">'.join(lines)


def template_value(f: FieldDef, raw):
    """Stored JSON of a field -> the value a template sees."""
    if raw is None or raw == "" or raw == []:
        if f.type == "multichoice":
            return Scelte([], [], _options(f))
        return [] if f.type == "repeat" else None
    kind = f.type
    if kind == "repeat":
        return [{sub.id: template_value(sub, (row or {}).get(sub.id)) for sub in f.fields}
                for row in raw]
    if kind == "date":
        return Data.fromisoformat(raw)
    if kind == "money":
        return Importo(str(raw))
    if kind == "decimal":
        return Numero(str(raw))
    if kind == "boolean":
        return SiNo(bool(raw))
    if kind == "choice":
        return _choice(f, raw)
    if kind == "multichoice":
        labels = [fieldtypes.get("choice").display(code, f) for code in raw]
        return Scelte(raw, labels, _options(f))
    if kind == "textarea":
        return Testo(raw)
    if kind == "computed":
        return _computed(f, raw)
    return raw


def _options(f: FieldDef) -> list:
    return [(c.value, c.label.it) for c in f.choices or []]


def _choice(f: FieldDef, code):
    label = fieldtypes.get("choice").display(code, f)
    if isinstance(code, bool):
        return SiNo(code)
    if isinstance(code, int):
        return SceltaNumerica(code, label, _options(f))
    return Scelta(str(code), label, _options(f))


def _computed(f: FieldDef, raw):
    if isinstance(raw, bool):
        return SiNo(raw)
    if f.format == "money":
        return Importo(str(raw))
    if isinstance(raw, float):
        return Numero(str(raw))
    if isinstance(raw, str) and len(raw) == 10 and raw[4] == "-":
        try:
            return Data.fromisoformat(raw)
        except ValueError:
            return raw
    return raw


FILTERS = {"data": data, "data_estesa": data_estesa, "euro": euro, "si_no": si_no,
           "etichetta": etichetta, "caselle": caselle}
