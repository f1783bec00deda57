"""Integers read from a request (page numbers, ids, revisions): bounded, or a clear 400."""

import re

from flask import abort, request
from flask_babel import gettext as _

# Far beyond any real page or revision, far below SQLite's 64-bit limit.
LIMIT = 10**9
INTEGER = re.compile(r"-?[0-9]{1,12}")


def int_arg(name: str, default: int | None = None, *, minimum: int = 1,
            maximum: int = LIMIT, source=None) -> int | None:
    """The integer `name` of the query string (or `source`); missing or empty -> default.

    Anything else that is not an integer within [minimum, maximum] is answered with 400
    and the error page, never with a 500 from deeper down.
    """
    raw = (request.args if source is None else source).get(name, "")
    raw = raw.strip()
    if not raw:
        return default
    if not INTEGER.fullmatch(raw):
        abort(400, _("Il parametro «%(name)s» deve essere un numero.", name=name))
    value = int(raw)
    if not minimum <= value <= maximum:
        abort(400, _("Il parametro «%(name)s» è fuori dall'intervallo consentito.", name=name))
    return value


def page_arg() -> int:
    """The page of a list (`pagina`), 1 when absent."""
    return int_arg("pagina", 1)
