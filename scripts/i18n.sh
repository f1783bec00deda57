#!/usr/bin/env bash
# Refresh the translation catalogs: extract the Italian msgids from the code and
# templates, merge them into the English catalog (creating it the first time),
# then compile the .mo files Flask-Babel loads at runtime.
#
# Usage: scripts/i18n.sh   (from anywhere; it works from the repository root)
# After running it, translate the new/fuzzy entries in
# app/translations/en/LC_MESSAGES/messages.po and run it again to compile.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TRANSLATIONS=app/translations
POT="$TRANSLATIONS/messages.pot"
LOCALE=en
PO="$TRANSLATIONS/$LOCALE/LC_MESSAGES/messages.po"

mkdir -p "$TRANSLATIONS"

pybabel extract -F babel.cfg \
    -k _l -k lazy_gettext -k _ -k gettext -k ngettext:1,2 \
    --project=Cartella --copyright-holder="Cartella" \
    --sort-by-file \
    -o "$POT" .

if [[ -f "$PO" ]]; then
    pybabel update -i "$POT" -d "$TRANSLATIONS" -l "$LOCALE"
else
    pybabel init -i "$POT" -d "$TRANSLATIONS" -l "$LOCALE"
fi

pybabel compile --statistics -d "$TRANSLATIONS"
