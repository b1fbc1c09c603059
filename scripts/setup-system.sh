#!/usr/bin/env bash
# Installs what pip cannot: CJK fonts and Inter (the Latin face), HarfBuzz's subsetter
# (without it WeasyPrint silently spends ~15 s per CJK font per PDF), poppler
# (pdftotext/pdffonts for checks) and Chromium (browser tests of the HTML edition).
# Idempotent: installs only what is missing, and says what it does.
set -euo pipefail

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in fonts-noto-cjk fonts-inter libharfbuzz-subset0 poppler-utils chromium; do
    have_pkg "$pkg" || need+=("$pkg")
done
# Pango/Cairo are on most images; WeasyPrint needs them.
have_pkg libpango-1.0-0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)

if [ ${#need[@]} -eq 0 ]; then
    echo "setup: system packages present (fonts-noto-cjk, fonts-inter, libharfbuzz-subset0," \
         "poppler-utils, chromium)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing ${need[*]} and no apt-get here; install them with your package manager" >&2
    exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "setup: installing system packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "setup: installed ${need[*]}"
