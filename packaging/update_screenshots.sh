#!/usr/bin/env bash
# Refresh the README screenshots in docs/screenshots/ (light theme, bundled demo stores,
# a governance store with a few signed decisions). Every window and dialog is also written,
# in both themes, to test-artifacts/.
#   PYTHON=/path/to/venv/bin/python bash packaging/update_screenshots.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="${PYTHON:-$root/.venv/bin/python}"
[ -x "$py" ] || py="$(command -v python3)"
cd "$root"
QT_QPA_PLATFORM=offscreen MLOPS_UPDATE_SCREENSHOTS=1 "$py" -m pytest -q -p no:cacheprovider tests/ui/test_screenshots.py
ls -l docs/screenshots/
