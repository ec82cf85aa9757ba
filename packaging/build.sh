#!/usr/bin/env bash
# Build the one-folder desktop bundle with PyInstaller, then smoke-start it offscreen.
#
#   PYTHON=/path/to/venv/bin/python bash packaging/build.sh
#
# PYTHON must have the project installed (pip install -e .) and PyInstaller >= 6.10
# (installed into it when missing). Output: dist/mlops-desktop/ (build/ and dist/ are
# gitignored). Prints the bundle size and the start-up times of the packaged app
# (`mlops-desktop gui --smoke-test`: window shown, events processed, closed, exit 0).
# Needs no CI and no display: the smoke start runs with QT_QPA_PLATFORM=offscreen.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
py="${PYTHON:-$root/.venv/bin/python}"
[ -x "$py" ] || py="$(command -v python3)"
"$py" -m PyInstaller --version >/dev/null 2>&1 || "$py" -m pip install -q 'pyinstaller>=6.10'

QT_QPA_PLATFORM=offscreen "$py" packaging/make_icons.py  # PNG icons from the SVG (idempotent)
rm -rf build/pyinstaller dist/mlops-desktop
t0=$(date +%s.%N)
"$py" -m PyInstaller --noconfirm --clean --log-level WARN \
   --distpath "$root/dist" --workpath "$root/build/pyinstaller" packaging/mlops-desktop.spec
t1=$(date +%s.%N)
app="$root/dist/mlops-desktop/mlops-desktop"

# smoke starts in a throw-away HOME, so the user's settings are never read or written
export QT_QPA_PLATFORM=offscreen HOME="$(mktemp -d)"
export XDG_CONFIG_HOME="$HOME/.config" XDG_DATA_HOME="$HOME/.local/share" XDG_CACHE_HOME="$HOME/.cache"
trap 'rm -rf "$HOME"' EXIT
"$app" --version
times=()
for i in 1 2 3; do
  s=$(date +%s.%N)
  "$app" gui --smoke-test
  e=$(date +%s.%N)
  times+=("$(echo "$e - $s" | bc)")
done
s=$(date +%s.%N)
"$app" gui --smoke-test --store "$root/resources/demo/mlflow-3.17-sqlite.db"
e=$(date +%s.%N)
with_store="$(echo "$e - $s" | bc)"
"$app" inventory --store "$root/resources/demo/mlflow-3.17-sqlite.db" --format json >/dev/null

size=$(du -sh "$root/dist/mlops-desktop" | cut -f1)
files=$(find "$root/dist/mlops-desktop" -type f | wc -l)
printf 'bundle: %s\n  size: %s in %s files; build %.0f s\n' "$root/dist/mlops-desktop" "$size" "$files" "$(echo "$t1 - $t0" | bc)"
printf '  smoke start (gui --smoke-test, offscreen), first/second/third: %.2f / %.2f / %.2f s\n' "${times[@]}"
printf '  smoke start with the demo MLflow store loaded: %.2f s\n' "$with_store"
