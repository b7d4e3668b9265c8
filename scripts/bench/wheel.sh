#!/usr/bin/env bash
# Benchmark `abi-doctor inspect` on one big real wheel (>= 100 MB) with NumPy-using extensions.
#
# Default wheel: tensorflow-cpu 2.21.0, cp311 manylinux_2_27 x86_64 (274 MB packed, 1.27 GB
# unpacked, 75 .so members, largest member 788 MB; tensorflow/python/lib_pywrap_tensorflow_common.so
# uses the NumPy C API). None of scipy / pyarrow / opencv-python-headless reaches 100 MB
# (35 / 55 / 61 MB for cp311 x86_64 today), so a bigger NumPy user is taken. Also measured, for a
# typical "big" wheel: opencv-python-headless (61 MB; cv2.abi3.so uses the NumPy C API).
#
# Usage: scripts/bench/wheel.sh [--runs N] [SPEC...]   (SPEC = pip requirement, default below)
# Env:   ABI_DOCTOR_CACHE (default ~/.cache/abi-doctor), ABI_DOCTOR (binary)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${ABI_DOCTOR_CACHE:-$HOME/.cache/abi-doctor}
PYTHON=${PYTHON311:-$HOME/.pyenv/versions/3.11.7/bin/python}
WHEELS=$CACHE/bench/wheels
OUT=${OUT:-$CACHE/bench/wheel-results}
BIN=${ABI_DOCTOR:-$REPO/target/release/abi-doctor}
RUNS=5
SPECS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift ;;
    *) SPECS+=("$1") ;;
  esac
  shift
done
[ ${#SPECS[@]} -gt 0 ] || SPECS=("tensorflow-cpu==2.21.0" "opencv-python-headless==5.0.0.93")
mkdir -p "$WHEELS" "$OUT"
if [ -z "${ABI_DOCTOR:-}" ]; then
  (cd "$REPO" && cargo build --release --quiet) || echo "warning: cargo build failed; using the existing $BIN" >&2
fi
"$REPO/scripts/bench/machine.sh" "$CACHE" > "$OUT/machine.txt"

summary=()
for spec in "${SPECS[@]}"; do
  name=${spec%%[=<>]*}
  norm=$(echo "$name" | tr 'A-Z-' 'a-z_')
  ver=${spec##*==}
  whl=$(ls "$WHEELS"/"$norm"-"$ver"-*x86_64*.whl 2>/dev/null | head -1 || true)
  if [ -z "$whl" ]; then
    echo "== downloading $spec (cp311, manylinux x86_64) into $WHEELS" >&2
    (cd /tmp && "$PYTHON" -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 \
      --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
      --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$WHEELS" "$spec")
    whl=$(ls "$WHEELS"/"$norm"-"$ver"-*x86_64*.whl | head -1)
  fi
  tag=$(basename "$whl" .whl)
  python3 - "$whl" > "$OUT/$tag.members.txt" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); inf = z.infolist()
so = [i for i in inf if i.filename.endswith((".so", ".pyd")) or ".so." in i.filename]
big = max(inf, key=lambda i: i.file_size)
print(f"members={len(inf)} unpacked_bytes={sum(i.file_size for i in inf)} binary_members={len(so)} "
      f"binary_unpacked_bytes={sum(i.file_size for i in so)} largest={big.filename}:{big.file_size}")
PY
  echo "== $tag: warm, hyperfine ($RUNS runs), /usr/bin/time -v" >&2
  cat "$whl" > /dev/null
  "$BIN" inspect --format json "$whl" > "$OUT/$tag.json" || true
  hyperfine --warmup 1 --runs "$RUNS" -N -i --export-json "$OUT/$tag.hyperfine.json" \
    -n "inspect $tag" "$BIN inspect --format json $whl" > "$OUT/$tag.hyperfine.txt"
  /usr/bin/time -v "$BIN" inspect --format json "$whl" > /dev/null 2> "$OUT/$tag.time.txt" || true
  summary+=("$(python3 - "$whl" "$OUT" "$tag" <<'PY'
import json, os, re, sys
whl, out, tag = sys.argv[1:]
r = json.load(open(f"{out}/{tag}.hyperfine.json"))["results"][0]
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(f"{out}/{tag}.time.txt").read()).group(1))
rep = json.load(open(f"{out}/{tag}.json"))
numpy = sum(1 for b in rep.get("binaries", []) if "numpy" in json.dumps(b.get("facts", b)).lower() and "no numpy" not in json.dumps(b).lower())
members = open(f"{out}/{tag}.members.txt").read().strip()
print(f"{os.path.basename(whl)}\n  packed {os.path.getsize(whl)} bytes; {members}\n"
      f"  binaries reported {len(rep.get('binaries', []))}, problems {len(rep.get('problems', []))}\n"
      f"  inspect --format json: {r['mean']*1e3:.0f} ms ± {r['stddev']*1e3:.0f} (min {r['min']*1e3:.0f}, max {r['max']*1e3:.0f}; "
      f"CPU user+sys {1e3*(r['user']+r['system']):.0f} ms; {len(r['times'])} runs); peak RSS {rss/1024:.1f} MB")
PY
)")
done
echo
cat "$OUT/machine.txt"
echo
printf '%s\n' "${summary[@]}" | tee "$OUT/summary.txt"
