#!/usr/bin/env python3
"""Real-wheel check for `abi-doctor inspect`.

Downloads real wheels from PyPI (cached in ${ABI_DOCTOR_CACHE:-~/.cache/abi-doctor}/wheels), runs
`abi-doctor inspect --format json WHEEL` on each, and checks module by module that what inspect
reports agrees with the wheel's known build.

The known builds (build NumPy line, languages, Cython/pybind11 requirements, each with its source)
are data: scripts/realworld/wheels.json. Everything expected of a module is derived from that build
through the knowledge base src/knowledge/numpy.json (ABI version, feature version, header sizes of
every configuration), never from the module's name.

Independently of inspect, the script also reads each member's bytes and looks for the marker
strings that NumPy's import_array(), Cython's numpy type imports and pybind11's numpy.h leave in a
binary (docs/binary-evidence.md): a module that has them must be reported with them.

Exit status: 0 all agreed; 1 any disagreement (or no NumPy module found in a wheel, or inspect
failed on a wheel); 2 the check could not run (no wheel in the cache with --offline, no binary).

Python 3 standard library only (pip is used for downloading).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pep440 import satisfies, vcmp, vtuple  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DATA = HERE / "wheels.json"
KNOWLEDGE = REPO / "src" / "knowledge" / "numpy.json"

# Marker strings (docs/binary-evidence.md#numpy-c-api-strings): present in the binary iff the
# module contains NumPy's _import_array() / _import_umath() code.
CAPI_MARKERS = (
    b"_ARRAY_API is NULL pointer",
    b"_UFUNC_API is NULL pointer",
    b"module compiled against ABI version",
    b"module was compiled against NumPy C-API",
)
# Cython's __Pyx_ImportType of numpy types (docs/binary-evidence.md#cython-sizes): the size-check
# message and the class-name string "flatiter" (imported by every numpy pxd since Cython 0.29.22 /
# NumPy 1.19).
CYTHON_SIZE_MSG = b"size changed, may indicate binary incompatibility"
CYTHON_NUMPY_TYPE = b"flatiter\x00"
PYBIND11_MARK = b"__pybind11_internals_v"
# pybind11 numpy.h (docs/binary-evidence.md#pybind11): <=2.11 imports "numpy.core.multiarray" and
# reads "_ARRAY_API"; >=2.12 also names "numpy._core" and "NumpyVersion".
PYBIND11_ARRAY_API = b"_ARRAY_API\x00"
PYBIND11_NUMPY_H = (b"numpy.core.multiarray", b"NumpyVersion")

MAX_LISTED = 5


def cache_dir():
    base = os.environ.get("ABI_DOCTOR_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "abi-doctor"
    )
    return Path(base) / "wheels"


# --------------------------------------------------------------------------------------------
# Versions and specifiers (tiny PEP 440 subset: numeric release segments)


def pybind11_mode(requirement, aware_since):
    """numpy.h mode implied by a pybind11 requirement: every allowed version below `aware_since`
    -> numpy1_only, every allowed version at or above it -> numpy2_aware, else None (either)."""
    lo, hi = None, None  # lowest allowed version, (version, inclusive) upper bound
    for clause in [c.strip() for c in requirement.split(",") if c.strip()]:
        m = re.match(r"(~=|==|<=|>=|<|>)\s*([0-9][0-9.]*)", clause)
        if not m:
            continue
        op, w = m.group(1), vtuple(m.group(2))
        if op in (">=", ">", "~=", "=="):
            lo = w if lo is None or vcmp(w, lo) > 0 else lo
        if op in ("<", "<=", "=="):
            hi = (w, op != "<")
        if op == "~=":
            hi = (w[:-2] + (w[-2] + 1,), False)
    a = vtuple(aware_since)
    if hi is not None and (vcmp(hi[0], a) < 0 or (vcmp(hi[0], a) == 0 and not hi[1])):
        return "numpy1_only"
    if lo is not None and vcmp(lo, a) >= 0:
        return "numpy2_aware"
    return None


# --------------------------------------------------------------------------------------------
# Expectations derived from the knowledge base


class Expectation:
    """What every module of one wheel must report, derived from its build NumPy line(s).

    Each field is a set of acceptable values (several lines when the build is known only to a
    set of lines whose facts may coincide, e.g. NumPy 2.1/2.2)."""

    def __init__(self, wheel, data, knowledge):
        releases = {r["line"]: r for r in knowledge["releases"]}
        strings = {e["value"]: e["string"] for e in knowledge["feature_version_strings"]}
        lines = wheel["build_numpy"]["lines"]
        missing = [l for l in lines if l not in releases]
        if missing:
            raise SystemExit(f"{wheel['id']}: NumPy line(s) {missing} not in {KNOWLEDGE}")
        self.lines = lines
        self.abi = set()
        self.feature = set()
        self.feature_string = set()
        self.headers = set()
        self.major = set()
        configs = []
        for lang in wheel["languages"]:
            configs += data["language_configs"][lang]
        self.configs = sorted(set(configs))
        self.sizes = {}  # type -> {size: [line:config, ...]}
        for line in lines:
            r = releases[line]
            self.abi.add(hex(r["abi_version"]))
            self.major.add(r["abi_version"] >> 24)
            # NPY_FEATURE_VERSION: before 1.25 headers it is NPY_API_VERSION; from 1.25 on the
            # default NPY_FEATURE_VERSION (docs/numpy-abi.md#target-version).
            if vtuple(line) < (1, 25):
                fv = r["api_version"]
            else:
                fv = r["default_feature_version"]
            self.feature.add(hex(fv))
            # "(NumPy X.Y)" is spelled out by 2.x headers only
            # (docs/numpy-abi.md#feature-version-string).
            self.feature_string.add(strings.get(fv) if r["abi_version"] >> 24 >= 2 else None)
            self.headers.add(data["header_generations"]["lines"][line])
            for cfg in self.configs:
                for t, size in r["header_sizes"][cfg].items():
                    self.sizes.setdefault(t, {}).setdefault(size, []).append(f"{line}:{cfg}")
        cy = wheel.get("cython")
        self.cython_req = cy["requirement"] if cy else None
        self.cython_major = cy["major"] if cy else None
        pb = wheel.get("pybind11")
        self.pybind11 = None
        if pb:
            self.pybind11 = pybind11_mode(
                pb["requirement"], data["pybind11_numpy"]["numpy2_aware_since"]
            )
        self.arch = wheel["arch"]

    def describe(self):
        fmt = lambda s: "|".join(sorted(str(x) for x in s))
        return (
            f"NumPy {'/'.join(self.lines)}: abi {fmt(self.abi)}, feature {fmt(self.feature)}"
            f" ({fmt(self.feature_string)}), headers {fmt(self.headers)}, configs {','.join(self.configs)}"
        )


def markers(blob):
    """Independent look at a member's bytes."""
    return {
        "capi": any(m in blob for m in CAPI_MARKERS),
        "cython_numpy": CYTHON_SIZE_MSG in blob and CYTHON_NUMPY_TYPE in blob,
        "pybind11_numpy_h": PYBIND11_MARK in blob
        and PYBIND11_ARRAY_API in blob
        and any(m in blob for m in PYBIND11_NUMPY_H),
    }


def check_module(entry, exp, mk):
    """Disagreements of one inspect entry with the expectation: list of (field, expected, got).
    `mk` is markers() of the member's bytes, or None when unavailable."""
    out = []
    np = entry.get("numpy")
    tc = entry.get("toolchain") or {}
    if entry.get("arch") != exp.arch:
        out.append(("arch", exp.arch, entry.get("arch")))
    if np is None:
        out.append(("numpy", "facts", "unreadable: " + "; ".join(entry.get("problems") or [])))
        return out
    if mk is not None:
        if mk["capi"] and not np.get("uses_c_api"):
            out.append(("numpy.uses_c_api", True, np.get("uses_c_api")))
        if mk["cython_numpy"] and not np.get("type_checks"):
            out.append(("numpy.type_checks", "Cython numpy size checks (markers in binary)", []))
    if np.get("uses_c_api"):
        if np.get("headers") not in exp.headers:
            out.append(("numpy.headers", "|".join(sorted(exp.headers)), np.get("headers")))
        # import_umath()-only code carries no version check, hence no constants
        # (docs/binary-evidence.md#numpy-c-api-strings).
        if not np.get("umath_only") or np.get("abi_version") is not None:
            if np.get("abi_version") not in exp.abi:
                out.append(("numpy.abi_version", "|".join(sorted(exp.abi)), np.get("abi_version")))
        if not np.get("umath_only") or np.get("feature_version") is not None:
            if np.get("feature_version") not in exp.feature:
                out.append(
                    ("numpy.feature_version", "|".join(sorted(exp.feature)), np.get("feature_version"))
                )
        if np.get("feature_version_string") not in exp.feature_string and not (
            np.get("umath_only") and np.get("feature_version_string") is None
        ):
            out.append(
                (
                    "numpy.feature_version_string",
                    "|".join(sorted(str(s) for s in exp.feature_string)),
                    np.get("feature_version_string"),
                )
            )
    for t in np.get("type_checks") or []:
        name, size = t.get("type"), t.get("expected_size")
        allowed = exp.sizes.get(name)
        if allowed is None:
            out.append((f"numpy.type_checks[{name}]", "a NumPy type of the knowledge base", size))
        elif size not in allowed:
            out.append(
                (f"numpy.type_checks[{name}].expected_size", "|".join(str(s) for s in sorted(allowed)), size)
            )
        # check_size is not checked: a module may declare its own `ctypedef class numpy.dtype`
        # without check_size (default warn) besides numpy's pxd (ignore), e.g. pandas 2.1.4 lib.
    if np.get("type_checks") and np.get("uses_c_api") is False and not np.get("headers_without_import"):
        out.append(("numpy.headers_without_import", True, False))
    if np.get("independent") and (np.get("uses_c_api") or np.get("type_checks")):
        out.append(("numpy.independent", False, True))
    cy = tc.get("cython")
    if cy and cy.get("version"):
        v = cy["version"]
        if exp.cython_major is None:
            out.append(("toolchain.cython", "no Cython in this build", v))
        else:
            if vtuple(v)[:1] != (exp.cython_major,):
                out.append(("toolchain.cython.version (major)", exp.cython_major, v))
            elif not satisfies(v, exp.cython_req):
                out.append(("toolchain.cython.version", exp.cython_req, v))
    pb = tc.get("pybind11")
    got_pb = (pb or {}).get("numpy") if pb else None
    uses_numpy_h = (mk or {}).get("pybind11_numpy_h") or got_pb in ("numpy1_only", "numpy2_aware")
    if uses_numpy_h:
        if exp.pybind11 is None:
            out.append(("toolchain.pybind11.numpy", "no pybind11 numpy.h in this build", got_pb))
        elif got_pb != exp.pybind11:
            out.append(("toolchain.pybind11.numpy", exp.pybind11, got_pb))
    return out


def numpy_module(entry):
    np = entry.get("numpy") or {}
    return bool(np.get("uses_c_api") or np.get("type_checks"))


def comparable(entry):
    """The facts two builds of one module for two architectures must share."""
    np = entry.get("numpy") or {}
    tc = entry.get("toolchain") or {}
    return {
        "module_init": entry.get("module_init"),
        "uses_c_api": np.get("uses_c_api"),
        "umath_only": np.get("umath_only"),
        "headers": np.get("headers"),
        "abi_version": np.get("abi_version"),
        "feature_version": np.get("feature_version"),
        "feature_version_string": np.get("feature_version_string"),
        "headers_without_import": np.get("headers_without_import"),
        "type_checks": [(t.get("type"), t.get("expected_size"), t.get("check_size")) for t in np.get("type_checks") or []],
        "compatible": np.get("compatible"),
        "cython": (tc.get("cython") or {}).get("version") if tc.get("cython") else None,
        "pybind11": (tc.get("pybind11") or {}).get("numpy") if tc.get("pybind11") else None,
    }


def member_key(path):
    """Member name with the architecture spelled neutrally, for pairing across architectures."""
    member = path.split("!", 1)[1] if "!" in path else path
    return re.sub(r"(x86_64|aarch64)", "ARCH", member)


def compare_arch(entries, ref_entries):
    out = []
    ref = {member_key(e["path"]): e for e in ref_entries}
    mine = {member_key(e["path"]): e for e in entries}
    for k in sorted(set(ref) | set(mine)):
        if k not in mine:
            out.append((k, "member", "present (x86_64 wheel)", "absent"))
            continue
        if k not in ref:
            out.append((k, "member", "absent (x86_64 wheel)", "present"))
            continue
        a, b = comparable(mine[k]), comparable(ref[k])
        for f in a:
            if a[f] != b[f]:
                out.append((k, f"same as x86_64: {f}", b[f], a[f]))
    return out


# --------------------------------------------------------------------------------------------
# Downloading and running


def wheel_glob(w):
    name = w["project"].replace("-", "_")
    arch = w["arch"]
    return f"{name}-{w['version']}-cp311-cp311-*{arch}*.whl"


def find_wheel(w, cache):
    hits = sorted(cache.glob(wheel_glob(w)))
    return hits[0] if hits else None


def download(w, data, cache):
    d = data["download"]
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--python-version", d["python_version"], "--implementation", d["implementation"],
        "--abi", d["abi"], "-d", str(cache), "--quiet",
    ]
    for p in d["platforms"][w["arch"]]:
        cmd += ["--platform", p]
    cmd.append(f"{w['project']}=={w['version']}")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        print(f"  download failed: {' '.join(cmd)}\n{r.stderr.strip()}", file=sys.stderr)
    return find_wheel(w, cache)


def ensure_binary(path):
    if path.exists():
        return path
    print(f"{path} missing: cargo build --release", file=sys.stderr)
    r = subprocess.run(["cargo", "build", "--release"], cwd=REPO)
    if r.returncode != 0 or not path.exists():
        raise SystemExit(2)
    return path


def run_inspect(binary, wheel):
    t0 = time.monotonic()
    r = subprocess.run([str(binary), "inspect", "--format", "json", str(wheel)], capture_output=True, text=True)
    dt = time.monotonic() - t0
    try:
        report = json.loads(r.stdout)
    except json.JSONDecodeError:
        report = None
    return r.returncode, report, r.stderr.strip(), dt


def wheel_markers(wheel_path, entries):
    out = {}
    with zipfile.ZipFile(wheel_path) as z:
        names = set(z.namelist())
        for e in entries:
            member = e["path"].split("!", 1)[1] if "!" in e["path"] else None
            if member in names:
                out[e["path"]] = markers(z.read(member))
    return out


def check_wheel(w, wheel_path, binary, data, knowledge, reports):
    exp = Expectation(w, data, knowledge)
    res = {"id": w["id"], "wheel": wheel_path.name, "expect": exp.describe(), "disagreements": []}
    rc, report, err, dt = run_inspect(binary, wheel_path)
    res["seconds"] = dt
    if report is None or rc != 0:
        res["error"] = f"inspect exit {rc}: {err[:300] or 'no JSON on stdout'}"
        res.update(modules=0, extension_modules=0, numpy_modules=0, agreed=0, counts={})
        return res
    entries = report.get("binaries", [])
    reports[w["id"]] = entries
    mk = wheel_markers(wheel_path, entries)
    numpy_mods = [e for e in entries if numpy_module(e)]
    agreed = 0
    for e in entries:
        member = e["path"].split("!", 1)[-1]
        d = check_module(e, exp, mk.get(e["path"]))
        if d:
            res["disagreements"] += [(member, f, x, g) for (f, x, g) in d]
        elif numpy_module(e):
            agreed += 1
    disagreeing = {m for (m, *_rest) in res["disagreements"]}
    if w.get("same_as"):
        ref = reports.get(w["same_as"])
        if ref is None:
            res["disagreements"].append(("*", "same_as", w["same_as"] + " inspected", "not available"))
        else:
            cmp = compare_arch(entries, ref)
            res["disagreements"] += cmp
            disagreeing |= {m for (m, *_r) in cmp}
            agreed = sum(1 for e in numpy_mods if member_key(e["path"]) not in disagreeing and e["path"].split("!", 1)[-1] not in disagreeing)
    if report.get("problems"):
        res["disagreements"] += [("*", "problems", "[]", p) for p in report["problems"]]
    if not numpy_mods:
        res["disagreements"].append(("*", "NumPy modules", ">= 1", 0))
    res.update(
        modules=len(entries),
        extension_modules=sum(1 for e in entries if e.get("module_init")),
        numpy_modules=len(numpy_mods),
        agreed=agreed,
        disagreeing_modules=len(disagreeing),
        counts={
            "import_strings": sum(1 for e in entries if (e.get("numpy") or {}).get("uses_c_api")),
            "cython_numpy_sizes": sum(1 for e in entries if (e.get("numpy") or {}).get("type_checks")),
            "numpy_dependent": len(numpy_mods),
        },
        marker_counts={
            "import_strings": sum(1 for v in mk.values() if v["capi"]),
            "cython_numpy_sizes": sum(1 for v in mk.values() if v["cython_numpy"]),
            "pybind11_numpy_h": sum(1 for v in mk.values() if v["pybind11_numpy_h"]),
        },
    )
    return res


def print_table(results, wheels):
    hdr = ["wheel", "arch", "modules", "ext", "NumPy", "agreed", "disagreed", "inspect s"]
    rows = []
    for r, w in zip(results, wheels):
        n_dis = r.get("disagreeing_modules", 0) if not r.get("error") else "-"
        rows.append([r["id"], w["arch"], r["modules"], r["extension_modules"], r["numpy_modules"], r["agreed"], n_dis, f"{r['seconds']:.2f}"])
    widths = [max(len(str(x)) for x in col) for col in zip(hdr, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(wd) for c, wd in zip(cells, widths))
    print(line(hdr))
    print(line(["-" * wd for wd in widths]))
    for row in rows:
        print(line(row))
    print()
    print("counts (inspect | markers in bytes | earlier study, docs/real-wheels.md#per-wheel):")
    for r, w in zip(results, wheels):
        rc = w.get("research_counts") or {}
        c, m = r.get("counts", {}), r.get("marker_counts", {})
        print(
            f"  {r['id']:22} import strings {c.get('import_strings', '-')}|{m.get('import_strings', '-')}|{rc.get('import_strings', '-')}"
            f"  Cython numpy sizes {c.get('cython_numpy_sizes', '-')}|{m.get('cython_numpy_sizes', '-')}|{rc.get('cython_numpy_sizes', '-')}"
            f"  numpy-dependent {c.get('numpy_dependent', '-')}|-|{rc.get('numpy_dependent', '-')}"
        )
    print()
    for r in results:
        if r.get("error"):
            print(f"{r['id']}: ERROR {r['error']}")
        d = r["disagreements"]
        if d:
            print(f"{r['id']}: {len(d)} disagreement(s) in {r.get('disagreeing_modules', '?')} module(s); expected {r['expect']}")
            for (m, f, x, g) in d[:MAX_LISTED]:
                print(f"    {m}: {f}: expected {x}, got {g}")
            if len(d) > MAX_LISTED:
                print(f"    ... {len(d) - MAX_LISTED} more (--verbose lists all)")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", type=Path, default=REPO / "target" / "release" / "abi-doctor")
    ap.add_argument("--offline", action="store_true", help="use the wheel cache only")
    ap.add_argument("--only", action="append", default=[], help="wheel id (repeatable)")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--knowledge", type=Path, default=KNOWLEDGE)
    ap.add_argument("--json", type=Path, help="write the full results here")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)

    data = json.loads(args.data.read_text())
    knowledge = json.loads(args.knowledge.read_text())
    wheels = data["wheels"]
    if args.only:
        wanted = set(args.only)
        # keep the reference of a same_as wheel
        wanted |= {w["same_as"] for w in wheels if w["id"] in wanted and w.get("same_as")}
        wheels = [w for w in wheels if w["id"] in wanted]
    binary = ensure_binary(args.bin)
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)

    paths = {}
    for w in wheels:
        p = find_wheel(w, cache)
        if p is None and not args.offline:
            print(f"downloading {w['project']}=={w['version']} ({w['arch']}) into {cache}", file=sys.stderr)
            p = download(w, data, cache)
        if p is None:
            print(f"{w['id']}: no wheel in {cache} ({wheel_glob(w)})" + (" and --offline" if args.offline else ""), file=sys.stderr)
            return 2
        paths[w["id"]] = p

    results, reports = [], {}
    for w in wheels:
        results.append(check_wheel(w, paths[w["id"]], binary, data, knowledge, reports))
    if args.verbose:
        global MAX_LISTED
        MAX_LISTED = 10**9
    print(f"abi-doctor inspect real-wheel check ({binary})")
    print_table(results, wheels)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    bad = [r for r in results if r["disagreements"] or r.get("error")]
    total = sum(r["seconds"] for r in results)
    print(f"\n{len(results) - len(bad)}/{len(results)} wheels agree; inspect time {total:.2f}s total")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
