#!/usr/bin/env bash
# Install everything the test suite needs (system and Python packages), then run it all.
# Usage: ./scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

# Fonts: the templates use Times New Roman/Arial (Liberation) and Calibri/Cambria
# (Carlito/Caladea, metric-compatible); without them LibreOffice substitutes narrower fonts and PDF text breaks mid-number.
APT_PACKAGES=(chromium libreoffice-writer-nogui libreoffice-calc-nogui poppler-utils
              fonts-liberation fonts-liberation2 fonts-dejavu-core fonts-crosextra-carlito fonts-crosextra-caladea)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "Installing system packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'
exec python3 -m pytest -q "$@"
