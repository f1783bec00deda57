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


@lru_cache(maxsize=4096)
def _decode(code: str) -> dict | None:
    """Decoded data of a valid code, None if invalid (decoding is slow: cached, done once)."""
    try:
        return codicefiscale.decode(code)  # raises ValueError on a wrong code or check char
    except ValueError:
        return None


def check_cf(value: str, birth_date: date | None = None, sex: str = "") -> CfCheck:
    """Validate a codice fiscale; warn when it disagrees with the typed birth date or sex."""
    code = normalize_cf(value)
    if PROVISIONAL.match(code):
        return CfCheck(code, provisional=True)
    if len(code) != 16:
        return CfCheck(code, _("Il codice fiscale deve avere 16 caratteri (ne ha %(n)s).",
                               n=len(code)))
    decoded = _decode(code)
    if decoded is None:
        return CfCheck(code, _("Codice fiscale non valido: controllare i caratteri, "
                               "il carattere di controllo finale non corrisponde."))
    result = CfCheck(code)
    if birth_date is None and not sex:
        return result
    born = decoded["birthdate"].date()
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
