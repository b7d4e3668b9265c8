#!/usr/bin/env bash
# Build the Python distributions of abi-doctor: bin wheels (the binary alone, no Python code, as ruff
# and uv ship) and an sdist, with maturin and zig from PyPI, on this Linux x86_64 machine.
#
#   scripts/package/build.sh [--out DIR] [KIND...]
#
# KIND (default: all of them):
#   manylinux-x86_64   x86_64-unknown-linux-gnu,   --zig --compatibility manylinux2014 (glibc 2.17)
#   manylinux-aarch64  aarch64-unknown-linux-gnu,  --zig --compatibility manylinux2014 (glibc 2.17)
#   musllinux-x86_64   x86_64-unknown-linux-musl,  --zig --compatibility musllinux_1_2 (static)
#   musllinux-aarch64  aarch64-unknown-linux-musl, --zig --compatibility musllinux_1_2 (static)
#   sdist              maturin sdist (what `pip install abi-doctor` builds from where no wheel fits)
#
# Output: DIR (default target/dist). Needs: cargo, rustup (to add the Rust targets, from the Rust
# distribution server), PyPI (maturin, ziglang; pinned in tools.txt, installed into a venv under
# ${ABI_DOCTOR_CACHE:-$HOME/.cache/abi-doctor}/package/tools) and crates.io. macOS and Windows wheels
# are built by .github/workflows/release.yml (maturin-action), not here.
#
# Every wheel is checked after the build: its tag, the architecture of the binary inside it, the
# newest glibc symbol version it needs (<= 2.17 for manylinux2014) or no dynamic loader at all
# (musllinux), and, when the machine can run it, `abi-doctor --version`.
set -euo pipefail
source "$(dirname "$0")/tools.sh"

out="$REPO/target/dist"
kinds=()
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) kinds+=("$1"); shift ;;
    esac
done
[ ${#kinds[@]} -gt 0 ] || kinds=(manylinux-x86_64 manylinux-aarch64 musllinux-x86_64 musllinux-aarch64 sdist)
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if grep -q 'github.com/OWNER/' "$REPO/Cargo.toml" "$REPO/pyproject.toml"; then
    echo "package: warning: the project URLs are still the OWNER placeholder (Cargo.toml, pyproject.toml)" >&2
fi

tools_venv
cd "$REPO"
version="$(cargo_version)"
host="$(uname -m)"

add_target() {
    local triple="$1"
    if rustup target list --installed 2>/dev/null | grep -qx "$triple"; then return 0; fi
    if ! command -v rustup >/dev/null; then
        echo "package: the Rust target $triple is not installed and there is no rustup to add it" >&2
        return 1
    fi
    rustup target add "$triple"
}

# check_wheel WHEEL ARCH LIBC: the checks described above.
check_wheel() {
    local whl="$1" arch="$2" libc="$3" tmp
    tmp="$(mktemp -d)"
    python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' \
        "$whl" "abi_doctor-$version.data/scripts/abi-doctor" "$tmp"
    local bin="$tmp/abi_doctor-$version.data/scripts/abi-doctor"
    local machine
    machine="$(readelf -h "$bin" | sed -n 's/^ *Machine: *//p')"
    case "$arch:$machine" in
        x86_64:*X86-64*|aarch64:*AArch64*) ;;
        *) echo "package: $whl: binary is '$machine', expected $arch" >&2; rm -rf "$tmp"; return 1 ;;
    esac
    if [ "$libc" = gnu ]; then
        local newest
        newest="$(readelf -V --wide "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)"
        if [ "$(printf '%s\n2.17\n' "$newest" | sort -V | tail -1)" != "2.17" ]; then
            echo "package: $whl: needs glibc $newest, more than manylinux2014's 2.17" >&2; rm -rf "$tmp"; return 1
        fi
        echo "package: $(basename "$whl"): $machine, newest glibc symbol $newest"
    else
        if readelf -l "$bin" | grep -q 'Requesting program interpreter'; then
            echo "package: $whl: musl binary has a dynamic loader; expected a static binary" >&2; rm -rf "$tmp"; return 1
        fi
        echo "package: $(basename "$whl"): $machine, statically linked"
    fi
    if [ "$arch" = "$host" ]; then
        chmod +x "$bin"
        echo "package:   runs here: $("$bin" --version)"
    else
        echo "package:   not run ($arch binary on a $host machine without an emulator)"
    fi
    rm -rf "$tmp"
}

wheel() {
    local triple="$1" compat="$2" arch="$3" libc="$4" whl
    add_target "$triple"
    maturin build --release --zig --target "$triple" --compatibility "$compat" --out "$out"
    # The wheel this build wrote: its tag names the architecture and the platform policy.
    whl="$(ls -t "$out"/abi_doctor-"$version"-py3-none-*"$arch"*.whl | grep -- "${compat%%_*}" | head -1)"
    check_wheel "$whl" "$arch" "$libc"
    built+=("$whl")
}

built=()
for k in "${kinds[@]}"; do
    echo "== package: $k"
    case "$k" in
        manylinux-x86_64)  wheel x86_64-unknown-linux-gnu   manylinux2014 x86_64  gnu ;;
        manylinux-aarch64) wheel aarch64-unknown-linux-gnu  manylinux2014 aarch64 gnu ;;
        musllinux-x86_64)  wheel x86_64-unknown-linux-musl  musllinux_1_2 x86_64  musl ;;
        musllinux-aarch64) wheel aarch64-unknown-linux-musl musllinux_1_2 aarch64 musl ;;
        sdist)
            maturin sdist --out "$out"
            sd="$out/abi_doctor-$version.tar.gz"
            # What building from the sdist needs: the crate, its lock file, the metadata, the licences.
            members="$(tar -tzf "$sd")"
            for f in pyproject.toml Cargo.toml Cargo.lock README.md LICENSE-MIT LICENSE-APACHE src/main.rs src/knowledge/numpy.json; do
                grep -qx "abi_doctor-$version/$f" <<<"$members" || { echo "package: $sd lacks $f" >&2; exit 1; }
            done
            echo "package: $(basename "$sd"): $(grep -vc '/$' <<<"$members") files"
            built+=("$sd") ;;
        *) echo "package: unknown kind '$k' (see --help)" >&2; exit 2 ;;
    esac
done

echo "== package: built into $out"
for f in "${built[@]}"; do
    printf '  %8s  %s\n' "$(du -k "$f" | cut -f1)K" "$(basename "$f")"
done
