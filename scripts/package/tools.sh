# Sourced by scripts/package/*.sh (bash): the cache location, the Python 3.11 interpreter, and the
# packaging tools' venv.
#   CACHE         ${ABI_DOCTOR_CACHE:-$HOME/.cache/abi-doctor}
#   PY311         CPython 3.11, found like the tests find it (scripts/lib/interpreters.py)
#   TOOLS         $CACHE/package/tools: a venv with maturin, ziglang, uv and pipx (tools.txt)
# tools_venv creates or refreshes TOOLS (from PyPI; rebuilt when tools.txt changes) and puts its
# bin/ first on PATH, so that maturin finds zig through `python -m ziglang`.

PKG_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$PKG_HERE/../.." && pwd)"
CACHE="${ABI_DOCTOR_CACHE:-$HOME/.cache/abi-doctor}"
TOOLS="$CACHE/package/tools"

# The tests' policy (tests/support/mod.rs): CI set (non-empty, not "false") or ABI_DOCTOR_STRICT=1.
is_strict() {
    { [ -n "${CI:-}" ] && [ "${CI,,}" != "false" ]; } || [ "${ABI_DOCTOR_STRICT:-}" = "1" ]
}

# find_py311: sets PY311, or prints why not and returns 1.
find_py311() {
    local out
    if ! out="$(python3 "$REPO/scripts/lib/interpreters.py" 3.11)"; then
        echo "$out" >&2
        return 1
    fi
    PY311="${out#3.11 }"
}

tools_venv() {
    find_py311 || return 1
    local stamp="$TOOLS/.tools.txt"
    if [ ! -x "$TOOLS/bin/maturin" ] || ! cmp -s "$PKG_HERE/tools.txt" "$stamp"; then
        echo "package: installing $(grep -v '^#' "$PKG_HERE/tools.txt" | tr '\n' ' ')into $TOOLS (from PyPI)"
        rm -rf "$TOOLS"
        "$PY311" -m venv "$TOOLS" || return 1
        PIP_DISABLE_PIP_VERSION_CHECK=1 "$TOOLS/bin/python" -m pip install -q -r "$PKG_HERE/tools.txt" || return 1
        cp "$PKG_HERE/tools.txt" "$stamp"
    fi
    export PATH="$TOOLS/bin:$PATH"
}

# cargo_version: the package version from Cargo.toml (the wheel's version too).
cargo_version() {
    sed -n 's/^version = "\(.*\)"$/\1/p' "$REPO/Cargo.toml" | head -1
}
