"""Dates typed or imported in the formats offices use."""

import calendar
import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
)
from wtforms.validators import Optional

from . import FieldType, register

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d")

MONTHS = {  # Italian and English names and their usual abbreviations
    1: "gennaio gen genn january jan", 2: "febbraio feb febbr february",
    3: "marzo mar march", 4: "aprile apr april", 5: "maggio mag may",
    6: "giugno giu june jun", 7: "luglio lug july jul", 8: "agosto ago august aug",
    9: "settembre set sett september sep sept", 10: "ottobre ott october oct",
    11: "novembre nov november", 12: "dicembre dic december dec"}
MONTH_NUMBERS = {name: number for number, names in MONTHS.items() for name in names.split()}
MONTH_NAMES = {number: names.split()[0] for number, names in MONTHS.items()}
WEEKDAYS = {  # Monday is 0, as date.weekday() counts
    0: "lunedì lunedi lun monday mon", 1: "martedì martedi mar mart tuesday tue tues",
    2: "mercoledì mercoledi mer merc wednesday wed", 3: "giovedì giovedi gio thursday thu",
    4: "venerdì venerdi ven friday fri", 5: "sabato sab saturday sat",
    6: "domenica dom sunday sun"}
WEEKDAY_NUMBERS = {name: number for number, names in WEEKDAYS.items() for name in names.split()}
WEEKDAY_NAMES = {number: names.split()[0] for number, names in WEEKDAYS.items()}
_TIME = re.compile(r"(?:[ T]|,?\s+(?:ore\s+)?)\d{1,2}[:.]\d{2}(?:[:.]\d{2}(?:\.\d+)?)?\s*$",
                   re.IGNORECASE)
_NUMERIC = re.compile(r"(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})|(\d{4})([/\-])(\d{1,2})\6(\d{1,2})")
_DAY = r"(\d{1,2})\s*(?:°|º|ª|o\b|st\b|nd\b|rd\b|th\b)?"
_WORDS = [  # (pattern, order of its groups): day month year, month day year
    (re.compile(rf"{_DAY}[\s\-/.]*([^\W\d_]+)\.?[\s\-/.,]*(\d{{4}}|'?\d{{2}})"), "dmy"),
    (re.compile(rf"([^\W\d_]+)\.?\s*{_DAY}\s*,?\s*(\d{{4}}|'?\d{{2}})"), "mdy")]


def parse_date(text: str) -> date:
    """'03/04/1941', '3/4/41', '1941-04-03', '11 dicembre 1944', 'lunedì 11 dic. 1944',
    '1° gennaio 2020', 'December 11, 1944' -> date; ValueError in Italian otherwise."""
    original = " ".join(str(text).split())
    cleaned = _TIME.sub("", original).strip() or original
    numeric = _NUMERIC.fullmatch(cleaned)
    if numeric:
        day, _, month, year, iso_year, _, iso_month, iso_day = numeric.groups()
        if iso_year:
            return _make(original, int(iso_year), int(iso_month), int(iso_day))
        return _make(original, _full_year(year), int(month), int(day))
    words = _from_words(original, cleaned)
    if words:
        return words
    raise ValueError(f"«{original}» non è una data valida: scrivila come gg/mm/aaaa "
                     "(03/04/1941) o in lettere (3 aprile 1941)")


def _from_words(original: str, text: str) -> date | None:
    """A date written with the month's name, maybe after the weekday (then checked)."""
    lowered = " ".join(text.lower().replace(",", ", ").split())
    readings = [(None, lowered)]
    first = re.match(r"([^\W\d_]+)\.?,?\s+", lowered)
    if first and first.group(1) in WEEKDAY_NUMBERS:  # 'mar' is martedì or marzo: try both
        readings.insert(0, (WEEKDAY_NUMBERS[first.group(1)], lowered[first.end():]))
    for weekday, rest in readings:
        found = _day_month_year(original, rest)
        if found is None:
            continue
        if weekday is not None and found.weekday() != weekday:
            raise ValueError(f"«{original}» non è una data coerente: {_spoken(found)} era "
                             f"{WEEKDAY_NAMES[found.weekday()]}, non "
                             f"{WEEKDAY_NAMES[weekday]}")
        return found
    return None


def _day_month_year(original: str, text: str) -> date | None:
    for pattern, order in _WORDS:
        match = pattern.fullmatch(text)
        if not match:
            continue
        day, month, year = match.group(1, 2, 3) if order == "dmy" else match.group(2, 1, 3)
        if month not in MONTH_NUMBERS:
            raise ValueError(f"«{original}» non è una data valida: «{month}» non è un mese")
        return _make(original, _full_year(year.lstrip("'")), MONTH_NUMBERS[month], int(day))
    return None


def _full_year(year: str) -> int:
    """Two digits as strptime's %y reads them: 69-99 -> 1900s, 00-68 -> 2000s."""
    number = int(year)
    if len(year) > 2:
        return number
    return number + (1900 if number >= 69 else 2000)


def _make(original: str, year: int, month: int, day: int) -> date:
    """The date, or an Italian message saying what does not exist (31 febbraio, mese 13)."""
    if not 1 <= month <= 12:
        raise ValueError(f"«{original}» non è una data valida: il mese {month} non esiste "
                         "(gg/mm/aaaa)")
    if year < 1:
        raise ValueError(f"«{original}» non è una data valida: l'anno {year} non esiste")
    last = calendar.monthrange(year, month)[1]
    if day < 1:
        raise ValueError(f"«{original}» non è una data valida: il giorno {day} non esiste")
    if day > last:
        raise ValueError(f"«{original}» non è una data valida: {MONTH_NAMES[month]} {year} ha "
                         f"{last} giorni")
    return date(year, month, day)


def _spoken(value: date) -> str:
    """'il 1° gennaio 2020', 'l'11 dicembre 1944'."""
    day = "1°" if value.day == 1 else str(value.day)
    article = "l'" if value.day in (8, 11) else "il "
    return f"{article}{day} {MONTH_NAMES[value.month]} {value.year}"


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

    def sample(self, field):
        return date.today().isoformat()
