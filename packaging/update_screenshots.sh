#!/usr/bin/env bash
# Regenerate the committed screenshots from the current tree: every window, page, tab and dialog
# in the light and dark themes at 1280x800 and 1920x1080 into docs/screenshots/gallery/<size>/
# (with its index, docs/screenshots/gallery/README.md), and the README's screenshots
# (1280x800, light theme) in docs/screenshots/. Full-colour renders also go to test-artifacts/screens/.
# Bundled demo stores, a governance store with a few signed decisions, the offscreen Qt platform.
#   PYTHON=/path/to/venv/bin/python bash packaging/update_screenshots.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
py="${PYTHON:-$root/.venv/bin/python}"
[ -x "$py" ] || py="$(command -v python3)"
cd "$root"
rm -rf docs/screenshots/gallery/1280x800 docs/screenshots/gallery/1920x1080  # views that no longer exist go too
rm -f test-artifacts/screens/layout-notes_*.txt
QT_QPA_PLATFORM=offscreen MLOPS_UPDATE_SCREENSHOTS=1 "$py" -m pytest -q -p no:cacheprovider tests/ui/test_screenshots.py
ls docs/screenshots/gallery/1280x800 | wc -l | xargs echo "renders per size:"
du -sh docs/screenshots/gallery
