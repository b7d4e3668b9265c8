#!/usr/bin/env bash
# Benchmark `abi-doctor check` on a large real environment.
#
# Builds (once, cached) a Python 3.11 venv from PyPI binary wheels of the big
# NumPy-using packages, then measures on a warm page cache:
#   1. abi-doctor check --env VENV --format json   (hyperfine + peak RSS)
#   2. rg -a -l _ARRAY_API SITE_PACKAGES           (hyperfine; the "read every byte" floor)
#   3. importing every extension module in its own `python -c "import X"`,
#      2 jobs in parallel (what a user pays to bisect imports by hand)
# and prints a summary table. Raw results go to $OUT (default: $CACHE/bench/env-results).
#
# Usage: scripts/bench/env.sh [--no-imports] [--runs N]
# Env:   ABI_DOCTOR_CACHE (default ~/.cache/abi-doctor), PYTHON311 (interpreter for the venv),
#        ABI_DOCTOR (binary; default target/release/abi-doctor, built if missing)
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${ABI_DOCTOR_CACHE:-$HOME/.cache/abi-doctor}
PYTHON311=${PYTHON311:-$HOME/.pyenv/versions/3.11.7/bin/python}
VENV=$CACHE/bench/venv-py311
OUT=${OUT:-$CACHE/bench/env-results}
BIN=${ABI_DOCTOR:-$REPO/target/release/abi-doctor}
RUNS=10
DO_IMPORTS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-imports) DO_IMPORTS=0 ;;
    --runs) RUNS=$2; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
PACKAGES=(numpy scipy pandas scikit-learn scikit-image matplotlib pyarrow h5py numba
          statsmodels astropy opencv-python-headless)

mkdir -p "$OUT"
for tool in hyperfine rg /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install hyperfine ripgrep time)" >&2; exit 2; }
done

# --- 1. the environment (built once; delete $VENV to rebuild) -------------------------
if [ ! -f "$VENV/.bench-complete" ]; then
  echo "== building $VENV (binary wheels only, current versions)" >&2
  rm -rf "$VENV"
  "$PYTHON311" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --only-binary=:all: \
      --cache-dir "$CACHE/bench/pip-cache" "${PACKAGES[@]}"
  "$VENV/bin/python" -m pip freeze > "$VENV/.bench-freeze.txt"
  touch "$VENV/.bench-complete"
fi
SITE=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

# --- 2. the binary ---------------------------------------------------------------------
if [ -z "${ABI_DOCTOR:-}" ]; then
  (cd "$REPO" && cargo build --release --quiet) || echo "warning: cargo build failed; using the existing $BIN" >&2
fi

# --- 3. inventory of the environment ----------------------------------------------------
"$REPO/scripts/bench/machine.sh" "$CACHE" > "$OUT/machine.txt"
python3 "$REPO/scripts/bench/inventory.py" "$SITE" "$OUT" > /dev/null
du -sb "$SITE" | cut -f1 > "$OUT/site_du_bytes.txt"

echo "== warming the page cache" >&2
find "$SITE" -type f -print0 | xargs -0 cat > /dev/null
"$BIN" check --env "$VENV" --format json > "$OUT/check.json" || true   # exit 1 = failures predicted
rg -a -l _ARRAY_API "$SITE" > "$OUT/rg.txt" || true

"$BIN" inspect --format json "$SITE" > /dev/null || true

# -i: check exits 1 when it predicts failures; -N: no intermediate shell.
# `inspect SITE` = the binary inspection alone (no dist-info inventory, no rules): the
# difference to `check` is discovery + inventory + rules + report.
echo "== hyperfine: check vs ripgrep vs inspect-only ($RUNS runs each)" >&2
hyperfine --warmup 1 --runs "$RUNS" -N -i --export-json "$OUT/hyperfine.json" \
  -n check "$BIN check --env $VENV --format json" \
  -n ripgrep "rg -a -l _ARRAY_API $SITE" \
  -n inspect-only "$BIN inspect --format json $SITE" \
  > "$OUT/hyperfine.txt"
cat "$OUT/hyperfine.txt" >&2

echo "== peak RSS (/usr/bin/time -v)" >&2
/usr/bin/time -v "$BIN" check --env "$VENV" --format json > /dev/null 2> "$OUT/time-check.txt" || true
/usr/bin/time -v rg -a -l _ARRAY_API "$SITE" > /dev/null 2> "$OUT/time-rg.txt" || true
"$BIN" check --env "$VENV" --verbose > "$OUT/check-verbose.txt" 2>&1 || true

# --- 4. importing every extension module, one interpreter each, 2 jobs ------------------
if [ "$DO_IMPORTS" = 1 ]; then
  echo "== importing $(wc -l < "$OUT/modules.txt") extension modules, 2 parallel jobs (slow)" >&2
  "$VENV/bin/python" "$REPO/scripts/bench/import_all.py" --python "$VENV/bin/python" \
      --jobs 2 --modules "$OUT/modules.txt" --out "$OUT/imports.json" >&2
fi

# --- 5. summary --------------------------------------------------------------------------
python3 "$REPO/scripts/bench/summary.py" "$OUT" "$BIN"
