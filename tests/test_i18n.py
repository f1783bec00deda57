"""The English catalog: complete, compiled, in step with the code, and used by the app.

Italian is the source language (msgids are Italian). When you add or change a
translatable string, run scripts/i18n.sh, translate the new entries in
app/translations/en/LC_MESSAGES/messages.po, then run scripts/i18n.sh again.
"""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.conftest import csrf_from

REPO = Path(__file__).resolve().parent.parent
BABEL_CFG = REPO / "babel.cfg"
PO = REPO / "app" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")

# The same keywords scripts/i18n.sh passes to `pybabel extract` (on top of Babel's defaults).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "_": None, "gettext": None,
            "ngettext": (1, 2)}

HOW_TO_FIX = ("run scripts/i18n.sh, translate the new entries in "
              "app/translations/en/LC_MESSAGES/messages.po, then run scripts/i18n.sh again")


def _load_po():
    with PO.open("rb") as fileobj:
        return read_po(fileobj, locale="en")


def _load_mo():
    with MO.open("rb") as fileobj:
        return read_mo(fileobj)


def _key(msgid, context=None):
    """Catalog key: the msgid (a tuple for plurals) and its context."""
    return (tuple(msgid) if isinstance(msgid, (list, tuple)) else msgid, context)


def _entries(catalog) -> dict:
    return {_key(m.id, m.context): m for m in catalog if m.id}


def test_every_message_is_translated_and_not_fuzzy():
    catalog = _load_po()
    assert not catalog.fuzzy, f"the catalog header is marked fuzzy: {HOW_TO_FIX}"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not strings or not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
        if message.pluralizable and len(strings) != catalog.num_plurals:
            problems.append(f"wrong number of plural forms: {message.id!r}")
    assert not problems, f"{HOW_TO_FIX}:\n" + "\n".join(problems)


def test_placeholders_are_kept():
    """Babel's checkers: the %(name)s placeholders of each msgstr match its msgid."""
    problems = [f"{message.id!r}: {'; '.join(str(e) for e in errors)}"
                for message, errors in _load_po().check()]
    assert not problems, "\n".join(problems)


def test_compiled_catalog_matches_the_po():
    """messages.mo holds exactly what messages.po holds (mtimes mean nothing after a checkout)."""
    # pybabel compile leaves out untranslated and fuzzy entries; those are the other test's job.
    po = {key: m for key, m in _entries(_load_po()).items() if m.string and not m.fuzzy}
    mo = _entries(_load_mo())
    stale = sorted(map(repr, po.keys() - mo.keys())) + sorted(map(repr, mo.keys() - po.keys()))
    assert not stale, ("messages.mo is out of date, run scripts/i18n.sh "
                       "(or pybabel compile -d app/translations):\n" + "\n".join(stale))
    different = sorted(repr(key) for key, message in po.items()
                       if _key(message.string) != _key(mo[key].string))
    assert not different, ("messages.mo has different translations from messages.po, "
                           "run scripts/i18n.sh:\n" + "\n".join(different))


def test_catalog_covers_every_string_in_the_app():
    with BABEL_CFG.open(encoding="utf-8") as fileobj:
        method_map, options_map = parse_mapping_cfg(fileobj, str(BABEL_CFG))
    extracted = {}
    for filename, lineno, msgid, _comments, context in extract_from_dir(
            str(REPO), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        if not msgid or (isinstance(msgid, tuple) and not msgid[0]):
            continue
        extracted.setdefault(_key(msgid, context), f"{filename}:{lineno}")
    assert extracted, "nothing extracted: is babel.cfg right?"
    known = _entries(_load_po())
    missing = sorted(f"{where}: {key[0]!r}" for key, where in extracted.items()
                     if key not in known)
    assert not missing, (f"{len(missing)} translatable string(s) are not in the English catalog; "
                         f"{HOW_TO_FIX}:\n" + "\n".join(missing))


def test_switching_to_english(client):
    page = client.get("/accesso")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Accedi a Cartella" in html
    assert '<html lang="it"' in html

    response = client.post("/lingua/en", data={"csrf_token": csrf_from(page), "next": "/accesso"})
    assert response.status_code == 302

    html = client.get("/accesso").get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "Log in to Cartella" in html
    assert "Accedi a Cartella" not in html
