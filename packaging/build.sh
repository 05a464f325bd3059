#!/usr/bin/env bash
# Build the one-folder desktop build of QuantumFlux with PyInstaller (installed into the venv if missing).
#
#   packaging/build.sh [--dist DIR] [--work DIR] [--clean]
#
# Result: DIR/quantumflux/quantumflux (default DIR: dist/), a folder you can copy anywhere and run
# (`dist/quantumflux/quantumflux --demo`). Chrome/Chromium is not bundled: the program uses the one
# installed on the machine. Environment: QF_VENV (default .venv), QF_PYTHON (a Python to use instead),
# QF_WINDOWED=1 (no console window; a .app bundle on macOS). See packaging/README.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
DIST=$ROOT/dist
WORK=$ROOT/build/pyinstaller
CLEAN=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dist) DIST=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --clean) CLEAN=(--clean); shift ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: packaging/build.sh [--dist DIR] [--work DIR] [--clean]" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m[build]\033[0m %s\n' "$*" >&2; }

PY=${QF_PYTHON:-}
if [ -z "$PY" ]; then
  VENV=${QF_VENV:-$ROOT/.venv}
  if [ -x "$VENV/bin/python" ]; then PY=$VENV/bin/python; else PY=$(command -v python3); fi
fi
if ! "$PY" -c "import PyInstaller" >/dev/null 2>&1; then
  say "installing PyInstaller into $("$PY" -c 'import sys; print(sys.prefix)')"
  "$PY" -m pip install -q "pyinstaller>=6.0"
fi
if ! "$PY" -c "import quantumflux, PySide6, pyqtgraph, talib, selenium" >/dev/null 2>&1; then
  say "QuantumFlux's dependencies are missing in $PY: run ./dev setup (or pip install -e .) first"
  exit 1
fi

say "PyInstaller $("$PY" -m PyInstaller --version) -> $DIST/quantumflux"
started=$(date +%s)
"$PY" -m PyInstaller --noconfirm --log-level WARN ${CLEAN[@]+"${CLEAN[@]}"} \
  --distpath "$DIST" --workpath "$WORK" packaging/quantumflux.spec
EXE=$DIST/quantumflux/quantumflux
[ -x "$EXE" ] || EXE=$DIST/quantumflux/quantumflux.exe
version=$("$EXE" --version)
say "built $version in $(( $(date +%s) - started )) s: $EXE ($(du -sh "$DIST/quantumflux" | cut -f1))"
