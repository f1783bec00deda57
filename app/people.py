"""Codice fiscale: normalisation, validation and comparison with typed data."""

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from codicefiscale import codicefiscale
from flask_babel import gettext as _

PROVISIONAL = re.compile(r"^\d{11}$")


def normalize_cf(value: str | None) -> str:
    """Strip spaces and punctuation, upper-case: ' rss mra 41d03 f205b ' -> 'RSSMRA41D03F205B'."""
    return re.sub(r"[^0-9A-Za-z]", "", value or "").upper()


@dataclass
class CfCheck:
    """Outcome of checking a codice fiscale against typed data."""

    code: str
    error: str = ""
    warnings: list[str] = field(default_factory=list)
    provisional: bool = False

    @property
    def valid(self) -> bool:
        return not self.error


_MONTHS = "ABCDEHLMPRST"
_OMOCODIA = str.maketrans("LMNPQRSTUV", "0123456789")
_FORMAT = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}"
                     r"[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")


@lru_cache(maxsize=1)
def _places() -> frozenset:
    """The Belfiore codes python-codicefiscale knows (municipalities and countries)."""
    from codicefiscale.data import get_countries_data, get_municipalities_data

    # The lists the library indexes (its index of names and slugs would cost twice as much).
    return frozenset(p["code"] for p in get_municipalities_data() + get_countries_data())


@lru_cache(maxsize=65536)
def _decode(code: str) -> dict | None:
    """Birth date and sex of a valid (normalised) code; None if the code is invalid.

    The checks of python-codicefiscale's `decode` without the part that makes it slow
    (about 1 ms a code: dates parsed with dateutil and 128 omocodes computed each time),
    which a 100,000-row register pays once per person: the syntax, omocodia included;
    the check character (the library's `encode_cin`); a real date (month letter, day
    1-31, +40 for women); a birthplace code the library knows. What is left out is
    whether that municipality already existed on the birth date.
    """
    if not _FORMAT.match(code) or codicefiscale.encode_cin(code) != code[15]:
        return None
    digits = code[6:15].translate(_OMOCODIA)
    year, month, day = int(digits[0:2]), _MONTHS.index(code[8]) + 1, int(digits[3:5])
    gender = "F" if day > 40 else "M"
    day -= 40 if day > 40 else 0
    this_year = date.today().year
    year += this_year // 100 * 100
    if year > this_year:
        year -= 100
    try:
        born = date(year, month, day)
    except ValueError:  # 29 February of a year that was not leap a century later
        try:
            born = date(year - 100, month, day)
        except ValueError:
            return None
    if code[11] + digits[6:9] not in _places():
        return None
    return {"birthdate": born, "gender": gender}


def _problem(code: str) -> str:
    """Why `_decode` refused a code of 16 characters, as one sentence naming the code."""
    if not _FORMAT.match(code):
        return _("Codice fiscale «%(code)s» non valido: non ha la forma di un codice fiscale "
                 "(6 lettere, 2 cifre, la lettera del mese, 2 cifre, 1 lettera, 3 cifre, "
                 "1 lettera).", code=code)
    if codicefiscale.encode_cin(code) != code[15]:
        return _("Codice fiscale «%(code)s» non valido: il carattere di controllo finale non "
                 "corrisponde agli altri (un carattere è scritto male).", code=code)
    place = code[11] + code[12:15].translate(_OMOCODIA)
    if place not in _places():
        return _("Codice fiscale «%(code)s» non valido: il codice del luogo di nascita "
                 "(%(place)s) non corrisponde a nessun comune o stato.", code=code, place=place)
    return _("Codice fiscale «%(code)s» non valido: la data di nascita che contiene non "
             "esiste.", code=code)


def check_cf(value: str, birth_date: date | None = None, sex: str = "", surname: str = "",
             name: str = "") -> CfCheck:
    """Validate a codice fiscale; warn when it disagrees with the typed surname, name, birth
    date or sex (a code of another person is valid, but not this person's)."""
    code = normalize_cf(value)
    if PROVISIONAL.match(code):
        return CfCheck(code, provisional=True)
    if len(code) != 16:
        return CfCheck(code, _("Codice fiscale «%(code)s» non valido: ha %(n)s caratteri "
                               "invece di 16.", code=code, n=len(code)))
    decoded = _decode(code)
    if decoded is None:
        return CfCheck(code, _problem(code))
    result = CfCheck(code)
    result.warnings += _name_warnings(code, surname, name)
    if birth_date is None and not sex:
        return result
    born = decoded["birthdate"]
    if birth_date and (born.day, born.month, born.year % 100) != (
        birth_date.day, birth_date.month, birth_date.year % 100
    ):
        result.warnings.append(_(
            "La data di nascita indicata (%(typed)s) non corrisponde a quella del codice "
            "fiscale (%(cf)s).", typed=birth_date.strftime("%d/%m/%Y"),
            cf=born.strftime("%d/%m/%y")))
    if sex and sex != decoded["gender"]:
        result.warnings.append(_(
            "Il sesso indicato (%(typed)s) non corrisponde a quello del codice fiscale (%(cf)s).",
            typed=sex, cf=decoded["gender"]))
    return result


def _letters(encode, text: str) -> str:
    """The three letters the code gives a surname or a name (DM 23/12/1976), '' if none."""
    try:
        return encode(text) if text and text.strip() else ""
    except (ValueError, TypeError, AttributeError):
        return ""


def _name_warnings(code: str, surname: str, name: str) -> list[str]:
    """Compare the first six letters of the code with those of the typed surname and name."""
    warnings = []
    expected = _letters(codicefiscale.encode_lastname, surname)
    if expected and expected != code[0:3]:
        warnings.append(_(
            "Il cognome indicato («%(typed)s», lettere %(expected)s) non corrisponde alle "
            "lettere del cognome nel codice fiscale (%(cf)s): il codice potrebbe essere di "
            "un'altra persona.", typed=surname.strip(), expected=expected, cf=code[0:3]))
    expected = _letters(codicefiscale.encode_firstname, name)
    if expected and expected != code[3:6]:
        warnings.append(_(
            "Il nome indicato («%(typed)s», lettere %(expected)s) non corrisponde alle lettere "
            "del nome nel codice fiscale (%(cf)s): il codice potrebbe essere di un'altra "
            "persona.", typed=name.strip(), expected=expected, cf=code[3:6]))
    return warnings
