#!/usr/bin/env bash
# Which pip versions apply a constraint to an *isolated* build environment, and how.
#
#   scripts/pip/build_constraints.sh [PIP_VERSION ...]     (default: 25.2 25.3 26.1.2 26.2 26.3)
#
# For each pip version: a fresh venv (CPython 3.11, found like the tests find it) with that pip from
# PyPI, then `pip wheel --no-deps --no-cache-dir` of a tiny local project whose build requires
# `setuptools` and whose setup.py records the setuptools version the isolated build ran with. The
# constraint file pins setuptools==69.5.1 (an old release, so an unconstrained build gets a newer
# one). Four ways of passing it: PIP_CONSTRAINT, -c, --build-constraint, PIP_BUILD_CONSTRAINT.
# Prints one line per pip version and way: the setuptools version the build used, or why it failed.
# Everything lives under a temporary directory; nothing is kept. Used for docs/pip-build-constraints.md.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
versions=("$@")
[ ${#versions[@]} -eq 0 ] && versions=(25.2 25.3 26.1.2 26.2 26.3)
out="$(python3 "$REPO/scripts/lib/interpreters.py" 3.11)" || { echo "$out" >&2; exit 2; }
PY311="${out#3.11 }"
T="$(mktemp -d)"; trap 'rm -rf "$T"' EXIT
mkdir -p "$T/proj"
cat > "$T/proj/pyproject.toml" <<'TOML'
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"
[project]
name = "probeproj"
version = "0.1"
TOML
cat > "$T/proj/setup.py" <<'PYEOF'
import os, setuptools
open(os.environ["PROBE_OUT"], "a").write(setuptools.__version__ + "\n")
setuptools.setup()
PYEOF
echo "setuptools==69.5.1" > "$T/c.txt"
used() { sort -u "$T/out" 2>/dev/null | tr '\n' ' '; }
for v in "${versions[@]}"; do
    "$PY311" -m venv "$T/v$v" && "$T/v$v/bin/python" -m pip install -q --disable-pip-version-check "pip==$v" \
        || { echo "pip $v: cannot install"; continue; }
    pipw() { PROBE_OUT="$T/out" "$T/v$v/bin/python" -m pip wheel -q --disable-pip-version-check --no-deps --no-cache-dir -w "$T/w" "$@" "$T/proj" >"$T/log" 2>&1 \
        || echo "failed: $(grep -m1 -i -E 'error|no such option' "$T/log")"; }
    rm -f "$T/out"; r="$(PIP_CONSTRAINT="$T/c.txt" pipw)"; echo "pip $v  PIP_CONSTRAINT=FILE         setuptools $(used)$r"
    rm -f "$T/out"; r="$(pipw -c "$T/c.txt")"; echo "pip $v  -c FILE                      setuptools $(used)$r"
    rm -f "$T/out"; r="$(pipw --build-constraint "$T/c.txt")"; echo "pip $v  --build-constraint FILE      setuptools $(used)$r"
    rm -f "$T/out"; r="$(PIP_BUILD_CONSTRAINT="$T/c.txt" pipw)"; echo "pip $v  PIP_BUILD_CONSTRAINT=FILE   setuptools $(used)$r"
done
