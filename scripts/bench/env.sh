#!/usr/bin/env bash
# Benchmark `abi-doctor check` on two large real environments, side by side with ripgrep.
#
# Builds (once, cached under $CACHE/bench/, reused by every later run) two Python 3.11 venvs
# from PyPI binary wheels of the big NumPy-using packages:
#   venv-py311         current releases of the whole stack: healthy (~1.2 GB site-packages)
#   venv-py311-broken  releases built against NumPy 1.x (pandas 2.1.4, scipy 1.11.4,
#                      scikit-learn 1.3.2, pyarrow 15, ...) with numpy 2.2.6 forced on top:
#                      many modules fail to import (~1.2 GB)
# then, on a warm page cache, runs scripts/bench/sidebyside.py over both (abi-doctor check
# --no-cache, check with a warm facts cache, and rg over the same site-packages, taking turns,
# median of N rounds, CPU time and wall and peak RSS). With --imports it also imports every
# extension module of the healthy venv in its own `python -c "import X"` (slow: ~10 minutes).
# Raw results go to $OUT (default: $CACHE/bench/env-results).
#
# Usage: scripts/bench/env.sh [--build-only] [--imports] [--runs N]
# Env:   ABI_DOCTOR_CACHE (default ~/.cache/abi-doctor), PYTHON311 (interpreter for the venvs),
#        ABI_DOCTOR (binary; default target/release/abi-doctor, built if unset)
# Delete a venv's directory to rebuild it; `.bench-freeze.txt` in each lists what was installed.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${ABI_DOCTOR_CACHE:-$HOME/.cache/abi-doctor}
PYTHON311=${PYTHON311:-$HOME/.pyenv/versions/3.11.7/bin/python}
OUT=${OUT:-$CACHE/bench/env-results}
BIN=${ABI_DOCTOR:-$REPO/target/release/abi-doctor}
UV=$CACHE/package/tools/bin/uv
RUNS=5
BUILD_ONLY=0
DO_IMPORTS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-only) BUILD_ONLY=1 ;;
    --imports) DO_IMPORTS=1 ;;
    --no-imports) DO_IMPORTS=0 ;;
    --runs) RUNS=$2; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

HEALTHY=(numpy scipy pandas scikit-learn scikit-image matplotlib pyarrow h5py numba
         statsmodels astropy opencv-python-headless tables numexpr bottleneck shapely
         pywavelets jax jaxlib polars)
# Wheels built against NumPy 1.x headers (all of these predate NumPy 2.0, June 2024), then
# NumPy 2 installed over them without asking the resolver (their metadata would refuse it).
BROKEN=(numpy==1.26.4 scipy==1.11.4 pandas==2.1.4 scikit-learn==1.3.2 scikit-image==0.22.0
        matplotlib==3.8.2 pyarrow==15.0.2 h5py==3.10.0 numba==0.59.1 statsmodels==0.14.1
        astropy==6.0.0 opencv-python-headless==4.9.0.80 tables==3.9.2 numexpr==2.8.8
        bottleneck==1.3.7 shapely==2.0.2 pywavelets==1.5.0 jax==0.4.23 jaxlib==0.4.23
        polars==0.20.3)
BROKEN_AFTER=(numpy==2.2.6)

install() {  # VENV ARGS...: binary wheels only, uv when the project's tool venv has it
  local venv=$1; shift
  if [ -x "$UV" ]; then
    "$UV" pip install --quiet --python "$venv/bin/python" --only-binary=:all: "$@"
  else
    "$venv/bin/python" -m pip install --quiet --only-binary=:all: \
        --cache-dir "$CACHE/bench/pip-cache" "$@"
  fi
}

build() {  # NAME -- PACKAGES... [-- FORCED...]: once; `.bench-complete` marks a finished build
  local venv=$CACHE/bench/$1; shift; shift
  if [ -f "$venv/.bench-complete" ]; then return; fi
  echo "== building $venv (binary wheels from PyPI)" >&2
  rm -rf "$venv"
  "$PYTHON311" -m venv "$venv"
  local first=() rest=() seen=0
  for a in "$@"; do
    if [ "$a" = -- ]; then seen=1; elif [ $seen = 0 ]; then first+=("$a"); else rest+=("$a"); fi
  done
  install "$venv" "${first[@]}"
  if [ ${#rest[@]} -gt 0 ]; then install "$venv" --no-deps "${rest[@]}"; fi
  "$venv/bin/python" -m pip freeze > "$venv/.bench-freeze.txt" 2>/dev/null \
    || "$UV" pip freeze --python "$venv/bin/python" > "$venv/.bench-freeze.txt"
  touch "$venv/.bench-complete"
}

build venv-py311 -- "${HEALTHY[@]}"
build venv-py311-broken -- "${BROKEN[@]}" -- "${BROKEN_AFTER[@]}"
VENVS=("$CACHE/bench/venv-py311" "$CACHE/bench/venv-py311-broken")
for v in "${VENVS[@]}"; do
  site=$(ls -d "$v"/lib/python3*/site-packages)
  echo "$v: $(du -sb "$site" | cut -f1) bytes, $(find "$site" -type f | wc -l) files" >&2
done
[ "$BUILD_ONLY" = 1 ] && exit 0

if [ -z "${ABI_DOCTOR:-}" ]; then
  (cd "$REPO" && cargo build --release --quiet) || echo "warning: cargo build failed; using the existing $BIN" >&2
fi
command -v rg >/dev/null || { echo "missing rg (apt-get install ripgrep)" >&2; exit 2; }
mkdir -p "$OUT"
"$REPO/scripts/bench/machine.sh" "$CACHE" | tee "$OUT/machine.txt" >&2

echo "== warming the page cache" >&2
for v in "${VENVS[@]}"; do find "$v" -type f -print0 | xargs -0 cat > /dev/null; done

BENCH_JSON_STDERR=1 python3 "$REPO/scripts/bench/sidebyside.py" --runs "$RUNS" --bin "$BIN" \
    "${VENVS[@]}" 2> "$OUT/sidebyside.json" | tee "$OUT/sidebyside.txt"

if [ "$DO_IMPORTS" = 1 ]; then
  V=${VENVS[0]}
  SITE=$(ls -d "$V"/lib/python3*/site-packages)
  python3 "$REPO/scripts/bench/inventory.py" "$SITE" "$OUT" > /dev/null
  echo "== importing $(wc -l < "$OUT/modules.txt") extension modules, 2 parallel jobs (slow)" >&2
  "$V/bin/python" "$REPO/scripts/bench/import_all.py" --python "$V/bin/python" \
      --jobs 2 --modules "$OUT/modules.txt" --out "$OUT/imports.json" >&2
fi
