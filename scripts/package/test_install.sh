#!/usr/bin/env bash
# The install test (a suite of .ci/run): the manylinux2014 x86_64 wheel, installed the ways Python
# users install tools, gives a working `abi-doctor` that finds a real broken environment.
#
#   scripts/package/test_install.sh
#
# 1. The wheel: built by build.sh (maturin --zig --compatibility manylinux2014) and cached by a hash
#    of what goes into it (src/, Cargo.toml, Cargo.lock, pyproject.toml, README.md, the licences,
#    tools.txt, build.sh) under $CACHE/package/wheels/<hash>/, so a warm run does not rebuild it;
#    cargo builds in $CACHE/package/target, so a changed source recompiles only abi-doctor itself.
# 2. The broken environment, built once into $CACHE/package/envs/: CPython 3.11, `pip install
#    pandas==2.1.4`, then `pip install --no-deps numpy==2.0.2` (pandas 2.1.4 was built for NumPy 1.x).
# 3. For each installer, into a fresh temporary place, with the CPython 3.11 interpreter:
#      pip        python3.11 -m venv V && V/bin/python -m pip install WHEEL
#      uv tool    uv tool install --python python3.11 WHEEL      (UV_TOOL_DIR/UV_TOOL_BIN_DIR: temp)
#      uvx        uvx --python python3.11 --from WHEEL abi-doctor ...
#      pipx       pipx install --python python3.11 WHEEL         (PIPX_HOME/PIPX_BIN_DIR: temp)
#    `abi-doctor --version` must print the Cargo version; `abi-doctor check --env BROKEN` must exit 1
#    and report NPY001 for pandas 2.1.4's modules; `abi-doctor check --env V` on the installer's own
#    clean venv (no NumPy) must exit 0; all installers' outputs must be identical.
# The installs themselves use no network (the wheel has no dependencies; uv and pipx run offline).
# A missing prerequisite (CPython 3.11, PyPI on the first run) fails under CI / ABI_DOCTOR_STRICT=1,
# and is otherwise reported as "note: not run".
set -uo pipefail
source "$(dirname "$0")/tools.sh"

t_start=$SECONDS
step() { echo "-- [$((SECONDS - t_start))s] $*"; }
fail() { echo "install test: FAILED: $*" >&2; exit 1; }
not_run() {
    if is_strict; then fail "$* (CI / ABI_DOCTOR_STRICT=1: a missing prerequisite fails)"; fi
    echo "note: not run: $*"
    exit 0
}

find_py311 || not_run "no CPython 3.11 (see above)"
tools_venv || not_run "could not install the packaging tools from PyPI into $TOOLS"
version="$(cargo_version)"

# 1. The wheel, by source hash.
hash="$(cd "$REPO" && { find src -type f; ls Cargo.toml Cargo.lock pyproject.toml README.md LICENSE-MIT LICENSE-APACHE \
    scripts/package/tools.txt scripts/package/build.sh; } | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)"
wheels="$CACHE/package/wheels"
wdir="$wheels/$hash"
wheel="$(ls "$wdir"/abi_doctor-"$version"-py3-none-manylinux2014_x86_64*.whl 2>/dev/null | head -1)"
if [ -z "$wheel" ]; then
    step "building the manylinux2014 x86_64 wheel (source hash $hash, not cached)"
    rm -rf "$wdir.tmp"
    # Cargo's build directory lives in the cache too (about 200 MB), so that a CI run on a clean
    # checkout after a source change recompiles abi-doctor only, not its dependencies.
    CARGO_TARGET_DIR="$CACHE/package/target" "$PKG_HERE/build.sh" --out "$wdir.tmp" manylinux-x86_64 ||
        fail "build.sh manylinux-x86_64"
    rm -rf "$wdir" && mv "$wdir.tmp" "$wdir"
    wheel="$(ls "$wdir"/abi_doctor-"$version"-py3-none-manylinux2014_x86_64*.whl | head -1)"
    # Keep the three newest builds.
    ls -1dt "$wheels"/*/ | tail -n +4 | xargs -r rm -rf
else
    step "wheel cached (source hash $hash)"
fi
echo "   $wheel ($(du -k "$wheel" | cut -f1) KiB)"

# 2. The broken environment.
broken="$CACHE/package/envs/pandas214-np202"
if [ ! -f "$broken/.abi-doctor-complete" ]; then
    step "building the broken environment $broken (from PyPI)"
    rm -rf "$broken"
    export PIP_CACHE_DIR="$CACHE/pip" PIP_DISABLE_PIP_VERSION_CHECK=1
    { "$PY311" -m venv "$broken" &&
      "$broken/bin/python" -m pip install -q pandas==2.1.4 &&
      "$broken/bin/python" -m pip install -q --no-deps numpy==2.0.2; } ||
        { rm -rf "$broken"; not_run "could not build $broken from PyPI"; }
    touch "$broken/.abi-doctor-complete"
else
    step "broken environment cached: $broken"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export UV_CACHE_DIR="$CACHE/package/uv-cache" UV_PYTHON_DOWNLOADS=never UV_NO_CONFIG=1
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INDEX=1
unset VIRTUAL_ENV CONDA_PREFIX

# exercise NAME ABI_DOCTOR...: the three runs, checked; the broken run's output goes to $tmp/NAME.out.
exercise() {
    local name="$1"; shift
    local v rc clean npy
    v="$("$@" --version)" || fail "$name: abi-doctor --version exited $?"
    # `abi-doctor X.Y.Z (knowledge base: NumPy up to A.B.C)`
    case "$v" in
        "abi-doctor $version"|"abi-doctor $version ("*) ;;
        *) fail "$name: --version printed '$v', expected 'abi-doctor $version ...'" ;;
    esac
    "$@" check --env "$broken" >"$tmp/$name.out" 2>"$tmp/$name.err"
    rc=$?
    [ "$rc" -eq 1 ] || { cat "$tmp/$name.out" "$tmp/$name.err"; fail "$name: check on the broken venv exited $rc, expected 1"; }
    npy="$(grep -c '^  error NPY001 pandas\._libs\.' "$tmp/$name.out")"
    [ "$npy" -gt 0 ] && grep -q '^pandas 2\.1\.4: ' "$tmp/$name.out" ||
        { cat "$tmp/$name.out"; fail "$name: no NPY001 finding for pandas 2.1.4 in the output"; }
    "$@" check --env "$clean_env" >"$tmp/$name.clean" 2>&1
    rc=$?
    [ "$rc" -eq 0 ] || { cat "$tmp/$name.clean"; fail "$name: check on the clean venv $clean_env exited $rc, expected 0"; }
    echo "   $name: '$v'; check on the broken venv: exit 1, $npy NPY001 findings for pandas 2.1.4; on a clean venv: exit 0"
}

# 3. The installers.
step "pip install into a fresh venv"
"$PY311" -m venv "$tmp/pip-venv" || fail "venv"
"$tmp/pip-venv/bin/python" -m pip install -q "$wheel" || fail "pip install $wheel"
[ -x "$tmp/pip-venv/bin/abi-doctor" ] || fail "pip did not install $tmp/pip-venv/bin/abi-doctor"
clean_env="$tmp/pip-venv"
exercise pip "$tmp/pip-venv/bin/abi-doctor"

step "uv tool install"
UV_TOOL_DIR="$tmp/uv-tools" UV_TOOL_BIN_DIR="$tmp/uv-bin" uv tool install -q --offline --python "$PY311" "$wheel" ||
    fail "uv tool install $wheel"
exercise uv-tool "$tmp/uv-bin/abi-doctor"

step "uvx --from the wheel"
exercise uvx uvx -q --offline --python "$PY311" --from "$wheel" abi-doctor

step "pipx install"
PIPX_HOME="$tmp/pipx" PIPX_BIN_DIR="$tmp/pipx-bin" PIPX_MAN_DIR="$tmp/pipx-man" \
    pipx install --quiet --python "$PY311" "$wheel" >/dev/null || fail "pipx install $wheel"
exercise pipx "$tmp/pipx-bin/abi-doctor"

for n in uv-tool uvx pipx; do
    cmp -s "$tmp/pip.out" "$tmp/$n.out" || { diff "$tmp/pip.out" "$tmp/$n.out" | head; fail "$n's output differs from pip's"; }
done
step "install test passed: pip, uv tool install, uvx and pipx give the same abi-doctor $version"
sed -n '1,4p' "$tmp/pip.out"
tail -1 "$tmp/pip.out"
