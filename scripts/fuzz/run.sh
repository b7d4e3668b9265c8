#!/usr/bin/env bash
# Build every cargo-fuzz target (fuzz/Cargo.toml) and run each for a time budget, some at once.
#   scripts/fuzz/run.sh [SECONDS_PER_TARGET=30] [JOBS=2] [TARGET...]
# Prints, per target: executions, executions per second, corpus size, findings (crash, timeout,
# OOM or leak artifacts), and a total; exits non-zero when anything was found, naming each
# artifact (reproduce: fuzz/target/<triple>/release/<target> <artifact>).
# Corpora grow in fuzz/corpus/<target> (gitignored) from the committed seeds in fuzz/seeds/<target>
# (scripts/fuzz/make_seeds.py writes them); inspect_bytes also reads tests/fixtures/bin, and the
# wheel target gets a wheel holding one of those fixtures, built here.
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); the stable toolchain is used with
# RUSTC_BOOTSTRAP=1 for the nightly-only sanitizer flags. FUZZ_SANITIZER (default: address; `none`
# is faster) is passed to `cargo fuzz build -s`. Each input gets at most 10 s (-timeout) and
# 2 GiB (-rss_limit_mb) before it counts as a finding.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-30}"
jobs="${2:-2}"
shift $(( $# > 2 ? 2 : $# ))
sanitizer="${FUZZ_SANITIZER:-address}"
export RUSTC_BOOTSTRAP=1

if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^abi-doctor-fuzz$')
fi

echo "== cargo fuzz build -O -s $sanitizer (${#targets[@]} targets)"
cargo fuzz build --fuzz-dir fuzz -O -s "$sanitizer" || exit 2
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin="fuzz/target/$triple/release"

logs="fuzz/logs"
mkdir -p "$logs"
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
done
if [ -d fuzz/corpus/wheel ] && command -v python3 >/dev/null; then
    python3 - <<'EOF'
import glob, zipfile
so = sorted(glob.glob("tests/fixtures/bin/*.so"))
if so:
    with zipfile.ZipFile("fuzz/corpus/wheel/fixture.whl", "w", zipfile.ZIP_DEFLATED) as z:
        z.write(so[0], "demo/" + so[0].rsplit("/", 1)[1])
EOF
fi

run_one() {
    local t="$1"
    local extra=()
    [ -d "fuzz/seeds/$t" ] && extra+=("fuzz/seeds/$t")
    [ "$t" = inspect_bytes ] && extra+=("tests/fixtures/bin")
    "$bin/$t" "fuzz/corpus/$t" "${extra[@]}" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="fuzz/artifacts/$t/" >"$logs/$t.log" 2>&1
    echo $? >"$logs/$t.rc"
}

t0=$SECONDS
echo "== running ${#targets[@]} targets, ${secs}s each, $jobs at a time (logs: $logs/)"
running=0
for t in "${targets[@]}"; do
    rm -f "$logs/$t.rc"
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
done
wait
wall=$((SECONDS - t0))

total_execs=0
total_found=0
printf '%-15s %12s %8s %8s %9s\n' target executions exec/s corpus findings
for t in "${targets[@]}"; do
    log="$logs/$t.log"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
    found=$(find "fuzz/artifacts/$t" -type f | wc -l)
    rc=$(cat "$logs/$t.rc" 2>/dev/null || echo "?")
    if [ "$rc" != 0 ] && [ "$found" -eq 0 ]; then
        found=1 # the fuzzer failed without an artifact: count it, show the log
        echo "$t: fuzzer exited with status $rc without an artifact; see $log" >&2
    fi
    printf '%-15s %12s %8s %8s %9s\n' "$t" "${execs:-?}" "${rate:-?}" "$corpus" "$found"
    total_execs=$((total_execs + ${execs:-0}))
    total_found=$((total_found + found))
done
printf '%-15s %12s %8s %8s %9s\n' total "$total_execs" "" "" "$total_found"
echo "wall time: ${wall}s (${#targets[@]} targets x ${secs}s, $jobs at a time)"
if [ "$total_found" -gt 0 ]; then
    echo "findings:"
    find fuzz/artifacts -type f | sed 's/^/  /'
    exit 1
fi
exit 0
