"""Integers read from a request (page numbers, ids, revisions): bounded, or a clear 400."""

import re

from flask import abort, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

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


class BoundedInt(IntegerConverter):
    """`<int:...>` in every URL: an id beyond what the database can hold is simply not a
    page (404), instead of an overflow deep in the store (500)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)
