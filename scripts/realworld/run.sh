#!/usr/bin/env bash
# Real-world suites for abi-doctor, run one after the other; prints a summary and exits non-zero if
# any part fails. Arguments are passed to every suite that takes them (e.g. --offline, --bin PATH).
#   scripts/realworld/run.sh [--offline] [--bin target/release/abi-doctor]
set -u
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

names=()
codes=()
secs=()

part() {
    local name="$1"; shift
    echo "=== $name: $*"
    local t0=$SECONDS
    "$@"
    local rc=$?
    names+=("$name"); codes+=("$rc"); secs+=("$((SECONDS - t0))")
    echo
}

part "unit checks of wheels.py" python3 "$here/test_wheels.py"
part "real wheels: inspect" python3 "$here/wheels.py" "$@"
part "real environments: scenarios" python3 "$here/scenarios.py" "$@"
part "check before install vs after" python3 "$here/preinstall.py" "$@"
# Later suites are added here, one `part` line each.

echo "=== summary"
fail=0
for i in "${!names[@]}"; do
    if [ "${codes[$i]}" -eq 0 ]; then s=ok; else s="FAILED (exit ${codes[$i]})"; fail=1; fi
    printf '  %-28s %-18s %ss\n' "${names[$i]}" "$s" "${secs[$i]}"
done
exit $fail
