#!/usr/bin/env python3
"""Generate src/knowledge/numpy.json from real NumPy wheels and compiled probes.

For every NumPy release line (1.7 .. 2.4, newest patch of each line) this script:
  1. downloads one manylinux x86_64 wheel with `pip download` into the cache
     (${ABI_DOCTOR_CACHE:-~/.cache/abi-doctor}/knowledge) and extracts it there;
  2. compiles probes/sizeof_probe.c against the wheel's headers + a CPython Python.h in four
     configurations (gcc: c_default, c_no_deprecated, c_target_latest; g++: cxx_default), runs it
     and records the sizes under the Cython type names and the version constants;
  3. runs probes/runtime_basicsize.py with a pyenv Python the wheel supports (PYTHONPATH = the
     extracted wheel) and records the runtime tp_basicsize;
  4. takes the supported CPython versions from the cp tags of the release's wheels on PyPI;
  5. writes the JSON (schema_version 1, see src/knowledge/mod.rs).

Optionally (--sdist-old) the 1.7/1.8/1.9 lines are built from their sdists under Python 2.7
instead of using the manylinux1 wheels that were uploaded for them in 2016.

Python 3 standard library only. Resumable: downloads, extractions and sdist builds are cached.
See README.md beside this file.
"""

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PROBES = os.path.join(HERE, "probes")
SIZEOF_PROBE = os.path.join(PROBES, "sizeof_probe.c")
RUNTIME_PROBE = os.path.join(PROBES, "runtime_basicsize.py")
DEFAULT_OUT = os.path.join(REPO, "src", "knowledge", "numpy.json")
GENERATOR = "scripts/knowledge/generate.py"
PYPI_PROJECT_JSON = "https://pypi.org/pypi/numpy/json"
PYENV = os.path.expanduser("~/.pyenv/versions")

# Release lines covered: every line from 1.7 with a final release on PyPI (read from the index in
# main(), so that a new NumPy line is picked up by re-running with --refresh-index).
FIRST_LINE = (1, 7)


def lines_on_pypi(index):
    found = set()
    for v in index["releases"]:
        m = re.match(r"^(\d+)\.(\d+)\.\d+$", v)
        if m and (int(m.group(1)), int(m.group(2))) >= FIRST_LINE:
            found.add("%s.%s" % (m.group(1), m.group(2)))
    return sorted(found, key=line_key)

# Cython type name -> C struct whose sizeof Cython checks (numpy/__init__.pxd).
HEADER_TYPES = {
    "dtype": "PyArray_Descr",
    "flatiter": "PyArrayIterObject",
    "broadcast": "PyArrayMultiIterObject",
    "ndarray": "PyArrayObject",
    "generic": "PyObject",
    "number": "PyObject",
    "integer": "PyObject",
    "signedinteger": "PyObject",
    "unsignedinteger": "PyObject",
    "inexact": "PyObject",
    "floating": "PyObject",
    "complexfloating": "PyObject",
    "flexible": "PyObject",
    "character": "PyObject",
    "ufunc": "PyUFuncObject",
    "void": "PyVoidScalarObject",
}
RUNTIME_TYPES = [
    "ndarray", "dtype", "flatiter", "broadcast", "ufunc", "generic", "number", "integer",
    "signedinteger", "unsignedinteger", "inexact", "floating", "complexfloating", "flexible",
    "character", "void",
]

CONFIGS = [
    # name, compiler, extra flags
    ("c_default", "gcc", []),
    ("c_no_deprecated", "gcc", ["-DNPY_NO_DEPRECATED_API=NPY_1_7_API_VERSION"]),
    ("c_target_latest", "gcc", ["-DNPY_TARGET_VERSION=NPY_API_VERSION"]),
    ("cxx_default", "g++", ["-x", "c++"]),
]

# pyenv Pythons tried for a wheel, in order of preference.
PY_PREFERENCE = ["3.11", "3.10", "3.9", "3.12", "3.13", "3.8", "3.7", "3.6", "2.7"]


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def cache_dir():
    base = os.environ.get("ABI_DOCTOR_CACHE") or os.path.expanduser("~/.cache/abi-doctor")
    d = os.path.join(base, "knowledge")
    os.makedirs(d, exist_ok=True)
    return d


def vkey(v):
    return tuple(int(x) for x in re.findall(r"\d+", v))


def line_key(line):
    a, b = line.split(".")
    return (int(a), int(b))


# ---------------------------------------------------------------- PyPI metadata

def pypi_index(refresh=False):
    path = os.path.join(cache_dir(), "pypi-numpy.json")
    if refresh or not os.path.exists(path):
        log("fetching", PYPI_PROJECT_JSON)
        with urllib.request.urlopen(PYPI_PROJECT_JSON, timeout=120) as r:
            data = r.read()
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        os.replace(path + ".tmp", path)
    with open(path) as f:
        return json.load(f)


def last_patch(index, line):
    """Newest final (non-pre-release) version of the line that has non-yanked files."""
    pat = re.compile(r"^%s\.(\d+)$" % re.escape(line))
    best = None
    for v, files in index["releases"].items():
        if not pat.match(v):
            continue
        if not [f for f in files if not f.get("yanked")]:
            continue
        if best is None or vkey(v) > vkey(best):
            best = v
    return best


def wheel_tags(filename):
    # name-ver(-build)?-py-abi-plat.whl
    parts = filename[:-4].split("-")
    return parts[-3], parts[-2], parts[-1]


def cp_to_version(tag):
    m = re.match(r"^cp(\d)(\d+)$", tag)
    return "%s.%s" % (m.group(1), m.group(2)) if m else None


def python_support(index, version):
    """CPython versions from the cp tags of the release's wheels; fallback: declared metadata."""
    files = [f for f in index["releases"][version] if not f.get("yanked")]
    vers = set()
    for f in files:
        if f["filename"].endswith(".whl"):
            for t in wheel_tags(f["filename"])[0].split("."):
                pv = cp_to_version(t)
                if pv:
                    vers.add(pv)
    if vers:
        src = "cp tags of the %d wheels of numpy %s on PyPI (%s)" % (
            sum(1 for f in files if f["filename"].endswith(".whl")), version, PYPI_PROJECT_JSON)
        return sorted(vers, key=vkey), src
    rp = next((f.get("requires_python") for f in files if f.get("requires_python")), None)
    return [], "no wheels for numpy %s on PyPI; Requires-Python %r (not expanded)" % (version, rp)


# ---------------------------------------------------------------- interpreters

_PY_CACHE = {}
_INFO_CACHE = {}


def pyenv_python(short):
    """Path of the pyenv python for '3.11' etc., or None."""
    if short in _PY_CACHE:
        return _PY_CACHE[short]
    found = None
    if os.path.isdir(PYENV):
        cands = [d for d in os.listdir(PYENV) if d == short or d.startswith(short + ".")]
        cands = [d for d in cands if re.match(r"^\d+\.\d+\.\d+$", d)]
        if cands:
            d = sorted(cands, key=vkey)[-1]
            exe = os.path.join(PYENV, d, "bin", "python")
            if os.path.exists(exe):
                found = exe
    _PY_CACHE[short] = found
    return found


def py_info(exe):
    if exe in _INFO_CACHE:
        return _INFO_CACHE[exe]
    code = ("import sys, sysconfig; print(sys.version.split()[0]); "
            "print(sysconfig.get_paths()['include']); print(sys.maxunicode)")
    out = subprocess.check_output([exe, "-c", code], text=True).split()
    _INFO_CACHE[exe] = {"version": out[0], "include": out[1], "ucs4": int(out[2]) > 0xFFFF}
    return _INFO_CACHE[exe]


def abi_tag_for(short, exe):
    major, minor = short.split(".")
    if major == "2":
        return "cp27mu" if py_info(exe)["ucs4"] else "cp27m"
    if int(minor) <= 7:
        return "cp3%sm" % minor
    return "cp3%s" % minor


# ---------------------------------------------------------------- wheels

def choose_wheel(index, version):
    """(file record, python short version, python exe) of a manylinux x86_64 wheel we can run."""
    files = [f for f in index["releases"][version]
             if f["filename"].endswith(".whl") and not f.get("yanked")]
    for short in PY_PREFERENCE:
        exe = pyenv_python(short)
        if not exe:
            continue
        want_py = "cp" + short.replace(".", "")
        want_abi = abi_tag_for(short, exe)
        for f in sorted(files, key=lambda f: f["filename"]):
            py, abi, plat = wheel_tags(f["filename"])
            plats = plat.split(".")
            if want_py in py.split(".") and abi == want_abi and \
                    any(p.startswith("manylinux") and p.endswith("_x86_64") for p in plats):
                return f, short, exe
    return None, None, None


def download_wheel(f, version, short, exe):
    wdir = os.path.join(cache_dir(), "wheels")
    os.makedirs(wdir, exist_ok=True)
    path = os.path.join(wdir, f["filename"])
    if os.path.exists(path):
        return path
    py, abi, plat = wheel_tags(f["filename"])
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
           "--implementation", "cp", "--python-version", short.replace(".", ""), "--abi", abi,
           "-d", wdir]
    for p in plat.split("."):
        cmd += ["--platform", p]
    cmd.append("numpy==%s" % version)
    log("  pip download", f["filename"])
    subprocess.check_call(cmd)
    if not os.path.exists(path):
        raise RuntimeError("pip did not produce %s" % f["filename"])
    return path


def extract_wheel(whl):
    dest = os.path.join(cache_dir(), "inst", os.path.basename(whl)[:-4])
    marker = os.path.join(dest, ".extracted")
    if not os.path.exists(marker):
        if os.path.exists(dest):
            shutil.rmtree(dest)
        log("  extracting", os.path.basename(whl))
        with zipfile.ZipFile(whl) as z:
            z.extractall(dest)
        open(marker, "w").close()
    return dest


def include_dir(site):
    for sub in ("numpy/_core/include", "numpy/core/include"):
        d = os.path.join(site, sub)
        if os.path.exists(os.path.join(d, "numpy", "numpyconfig.h")):
            return d
    raise RuntimeError("no numpy headers under %s" % site)


# ---------------------------------------------------------------- sdist builds (1.7-1.9)

def build_sdist_py27(index, version):
    """Build numpy from sdist under pyenv 2.7 (--sdist-old, see README.md). -> site dir."""
    exe = pyenv_python("2.7")
    if not exe:
        raise RuntimeError("pyenv 2.7 not installed")
    root = os.path.join(cache_dir(), "sdist-build")
    os.makedirs(root, exist_ok=True)
    prefix = os.path.join(root, "inst-%s" % version)
    site = os.path.join(prefix, "lib", "python2.7", "site-packages")
    if os.path.exists(os.path.join(prefix, ".built")):
        return site, sdist_name(index, version)
    name = sdist_name(index, version)
    sd = os.path.join(cache_dir(), "sdist")
    os.makedirs(sd, exist_ok=True)
    arch = os.path.join(sd, name)
    if not os.path.exists(arch):
        # pip runs the sdist's setup.py egg_info, which these old releases only support under
        # Python 2: use pyenv 2.7's pip.
        cmd = [exe, "-m", "pip", "download", "-q", "--no-deps", "--no-binary=:all:",
               "--no-build-isolation", "-d", sd, "numpy==%s" % version]
        log("  pip download (sdist, python2.7)", version)
        subprocess.check_call(cmd)
        if not os.path.exists(arch):
            got = [n for n in os.listdir(sd) if n.startswith("numpy-%s." % version)]
            if not got:
                raise RuntimeError("pip did not produce an sdist of %s" % version)
            name = got[0]
            arch = os.path.join(sd, name)
    src = os.path.join(root, "src-%s" % version)
    if os.path.exists(src):
        shutil.rmtree(src)
    os.makedirs(src)
    shutil.unpack_archive(arch, src)
    top = os.path.join(src, "numpy-%s" % version)
    env = dict(os.environ, BLAS="None", LAPACK="None", ATLAS="None",
               CFLAGS="-fcommon -w -std=gnu99 -O1")
    logf = os.path.join(root, "build-%s.log" % version)
    log("  building numpy %s from sdist under %s (log: %s)" % (version, exe, logf))
    with open(logf, "w") as lf:
        subprocess.check_call([exe, "setup.py", "install", "--prefix=" + prefix], cwd=top,
                              env=env, stdout=lf, stderr=subprocess.STDOUT)
    open(os.path.join(prefix, ".built"), "w").close()
    return site, name


def sdist_name(index, version):
    names = [f["filename"] for f in index["releases"][version]
             if f["filename"].endswith((".tar.gz", ".zip")) and not f.get("yanked")]
    names.sort(key=lambda n: (not n.endswith(".tar.gz"), n))
    if not names:
        raise RuntimeError("no sdist for %s" % version)
    return names[0]


# ---------------------------------------------------------------- probes

def tool_version(tool):
    return subprocess.check_output([tool, "-dumpfullversion"], text=True).strip()


def run_sizeof(incdir, pyinc, cfg, compiler, flags, tag):
    bdir = os.path.join(cache_dir(), "build")
    os.makedirs(bdir, exist_ok=True)
    exe = os.path.join(bdir, "sizeof_%s_%s" % (tag, cfg))
    cmd = [compiler] + flags + ["-O2", "-w", "-I" + pyinc, "-I" + incdir, SIZEOF_PROBE,
                                "-o", exe]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("compile failed (%s): %s\n%s" % (cfg, " ".join(cmd), r.stderr[-2000:]))
    out = subprocess.check_output([exe], text=True)
    vals = {}
    for ln in out.splitlines():
        k, _, v = ln.partition("=")
        vals[k] = v
    return vals


def measure_headers(incdir, py_exes):
    """Compile the probe in every configuration. py_exes: Pythons whose Python.h to try, in order."""
    last_err = None
    for exe in py_exes:
        pyinc = py_info(exe)["include"]
        try:
            res = {}
            for cfg, compiler, flags in CONFIGS:
                tag = re.sub(r"[^A-Za-z0-9.]", "_", incdir.split(os.sep + "inst" + os.sep)[-1]
                             if os.sep + "inst" + os.sep in incdir else incdir)[-80:]
                res[cfg] = run_sizeof(incdir, pyinc, cfg, compiler, flags, tag)
            return res, exe
        except RuntimeError as e:
            last_err = e
            log("  probe failed with %s, trying next Python.h: %s" % (pyinc, str(e)[:300]))
    raise last_err


def sizes_from_probe(vals):
    return {k: int(vals[struct]) for k, struct in HEADER_TYPES.items()}


def measure_runtime(site, exe):
    env = dict(os.environ, PYTHONPATH=site)
    env.pop("PYTHONHOME", None)
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.check_output([exe, RUNTIME_PROBE], cwd=tmp, env=env, text=True)
    d = json.loads(out.strip().splitlines()[-1])
    res = {k: int(d[k]) for k in RUNTIME_TYPES}
    res["dtype_legacy_instance"] = int(d["type(np.dtype(float))"])
    return res, d


# ---------------------------------------------------------------- feature version strings

def parse_feature_strings(numpyconfig_h):
    text = open(numpyconfig_h).read()
    macros = {m.group(1): int(m.group(2), 16) for m in re.finditer(
        r"#define\s+(NPY_\d+_\d+_API_VERSION)\s+(0x[0-9a-fA-F]+)", text)}
    out = []
    for m in re.finditer(r"#(?:el)?if\s+NPY_FEATURE_VERSION\s*==\s*(NPY_\d+_\d+_API_VERSION)[^\n]*\n"
                         r"\s*#define\s+NPY_FEATURE_VERSION_STRING\s+\"([^\"]+)\"", text):
        out.append({"value": macros[m.group(1)], "string": m.group(2)})
    if not out:
        raise RuntimeError("no NPY_FEATURE_VERSION_STRING chain in %s" % numpyconfig_h)
    values = [o["value"] for o in out]
    if values != sorted(values) or len(set(values)) != len(values):
        raise RuntimeError("unexpected NPY_FEATURE_VERSION_STRING chain: %r" % out)
    return out


# ---------------------------------------------------------------- one release line

def hexint(s):
    return int(s, 16)


def process_line(index, line, sdist_old, gcc_v, gxx_v):
    version = last_patch(index, line)
    if not version:
        raise RuntimeError("no release for line %s" % line)
    log("== %s (%s)" % (line, version))
    py311 = pyenv_python("3.11")
    use_sdist = sdist_old and line_key(line) < (1, 10)
    if use_sdist:
        site, artefact = build_sdist_py27(index, version)
        run_short, run_exe = "2.7", pyenv_python("2.7")
        origin = "%s sdist built under Python %s (gcc %s, CFLAGS=-fcommon -w -std=gnu99 -O1)" % (
            artefact, py_info(run_exe)["version"], gcc_v)
    else:
        f, run_short, run_exe = choose_wheel(index, version)
        if not f:
            raise RuntimeError("no manylinux x86_64 wheel of %s for an installed pyenv Python"
                               % version)
        whl = download_wheel(f, version, run_short, run_exe)
        site = extract_wheel(whl)
        artefact = f["filename"]
        origin = artefact
    incdir = include_dir(site)
    py_exes = [e for e in [py311, run_exe] if e]
    probes, pyh_exe = measure_headers(incdir, list(dict.fromkeys(py_exes)))
    pyh = "CPython %s Python.h" % py_info(pyh_exe)["version"]

    d = probes["c_default"]
    abi = hexint(d["NPY_ABI_VERSION"])
    api = hexint(d["NPY_API_VERSION"])
    if "NPY_FEATURE_VERSION" in d:
        feat = hexint(d["NPY_FEATURE_VERSION"])
        feat_src = "NPY_FEATURE_VERSION as compiled (c_default)"
    else:
        feat = api
        feat_src = "NPY_FEATURE_VERSION not defined by these headers: taken as NPY_API_VERSION"
    header_sizes = {cfg: sizes_from_probe(probes[cfg]) for cfg, _, _ in CONFIGS}

    runtime, raw = measure_runtime(site, run_exe)
    rt_c = raw.get("C_API_VERSION(_get_ndarray_c_version)")

    python, py_src = python_support(index, version)

    flags = {
        "c_default": "gcc %s -O2 -w" % gcc_v,
        "c_no_deprecated": "gcc %s -O2 -w -DNPY_NO_DEPRECATED_API=NPY_1_7_API_VERSION" % gcc_v,
        "c_target_latest": "gcc %s -O2 -w -DNPY_TARGET_VERSION=NPY_API_VERSION" % gcc_v,
        "cxx_default": "g++ %s -x c++ -O2 -w" % gxx_v,
    }
    rel = {
        "line": line,
        "last_patch": version,
        "abi_version": abi,
        "api_version": api,
        "default_feature_version": feat,
        "python": python,
        "header_sizes": header_sizes,
        "runtime_sizes": dict(sorted(runtime.items())),
        "sources": {
            "constants": "%s headers, scripts/knowledge/probes/sizeof_probe.c %s, %s: "
                         "NPY_ABI_VERSION, NPY_API_VERSION; %s" % (
                             origin, flags["c_default"], pyh, feat_src)
                         + ("; NPY_FEATURE_VERSION_STRING=%s" % d["NPY_FEATURE_VERSION_STRING"]
                            if "NPY_FEATURE_VERSION_STRING" in d else ""),
            "header_sizes": "%s headers, scripts/knowledge/probes/sizeof_probe.c with %s; "
                            "configs: %s; generic..character = sizeof(PyObject), "
                            "void = sizeof(PyVoidScalarObject)" % (
                                origin, pyh,
                                "; ".join("%s = %s" % (k, v) for k, v in flags.items())),
            "runtime_sizes": "%s %s and imported via PYTHONPATH with CPython %s, "
                             "scripts/knowledge/probes/runtime_basicsize.py (__basicsize__; "
                             "dtype_legacy_instance = type(np.dtype(float)) = %s; "
                             "_get_ndarray_c_version() = %s)" % (
                                 origin, "installed (setup.py install --prefix)" if use_sdist
                                 else "extracted", raw.get("python"),
                                 raw.get("type(np.dtype(float)).__name__"), rt_c),
            "python": py_src,
        },
    }
    if rt_c is not None and int(rt_c, 16) != abi:
        raise RuntimeError("runtime _get_ndarray_c_version() %s != header NPY_ABI_VERSION %#x"
                           % (rt_c, abi))
    if raw.get("numpy") != version:
        raise RuntimeError("runtime imported numpy %s, expected %s" % (raw.get("numpy"), version))
    return rel


# ---------------------------------------------------------------- main

def render(doc):
    return json.dumps(doc, indent=2) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lines", help="comma-separated release lines to (re)generate, e.g. 1.19,2.0; "
                    "others are kept from the existing output file")
    ap.add_argument("--out", default=DEFAULT_OUT, help="output JSON (default: %(default)s)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temp file and diff against --out; exit 1 on difference")
    ap.add_argument("--sdist-old", action="store_true",
                    help="measure 1.7/1.8/1.9 from sdist builds under Python 2.7 instead of their "
                         "manylinux1 wheels")
    ap.add_argument("--refresh-index", action="store_true",
                    help="re-fetch PyPI's numpy project JSON instead of using the cached copy")
    args = ap.parse_args()

    index = pypi_index(args.refresh_index)
    all_lines = lines_on_pypi(index)
    lines = args.lines.split(",") if args.lines else list(all_lines)
    for ln in lines:
        if not re.match(r"^\d+\.\d+$", ln):
            ap.error("bad line %r" % ln)
    gcc_v, gxx_v = tool_version("gcc"), tool_version("g++")

    existing = None
    if os.path.exists(args.out):
        try:
            existing = json.load(open(args.out))
            if existing.get("generator") != GENERATOR:
                existing = None
        except ValueError:
            existing = None

    releases = {}
    if args.lines and existing:
        for r in existing["releases"]:
            releases[r["line"]] = r
    failures = []
    for ln in lines:
        try:
            releases[ln] = process_line(index, ln, args.sdist_old, gcc_v, gxx_v)
        except Exception as e:  # keep going; report at the end
            failures.append((ln, str(e)))
            log("!! %s: %s" % (ln, e))

    # NPY_FEATURE_VERSION_STRING chain from the newest 2.x numpyconfig.h.
    newest_line = max(all_lines, key=line_key)
    nv = last_patch(index, newest_line)
    f, short, exe = choose_wheel(index, nv)
    site = extract_wheel(download_wheel(f, nv, short, exe))
    incdir = include_dir(site)
    fvs = parse_feature_strings(os.path.join(incdir, "numpy", "numpyconfig.h"))
    # Cross-check the parsed chain by compiling: NPY_TARGET_VERSION=value must print the string.
    pyinc = py_info(pyenv_python("3.11") or exe)["include"]
    for fv in fvs:
        got = run_sizeof(incdir, pyinc, "fvs_%d" % fv["value"], "gcc",
                         ["-DNPY_TARGET_VERSION=%d" % fv["value"]], "newest")
        if got.get("NPY_FEATURE_VERSION_STRING") != fv["string"] or \
                hexint(got["NPY_FEATURE_VERSION"]) != fv["value"]:
            raise RuntimeError("feature string check failed for %r: compiled %r" % (fv, got))

    ordered = [releases[k] for k in sorted(releases, key=line_key)]
    if ordered:
        # The schema has no top-level sources: say where the chain came from on the newest line.
        ordered[-1]["sources"]["feature_version_strings"] = (
            "NPY_FEATURE_VERSION_STRING #if/#elif chain parsed from numpy/numpyconfig.h of %s "
            "(values from its NPY_<x>_API_VERSION defines); each pair confirmed by compiling "
            "probes/sizeof_probe.c with gcc %s -DNPY_TARGET_VERSION=<value> against those headers "
            "and reading NPY_FEATURE_VERSION_STRING" % (f["filename"], gcc_v))
    doc = {
        "schema_version": 1,
        "generator": GENERATOR,
        "feature_version_strings": fvs,
        "releases": ordered,
    }
    text = render(doc)

    if args.check:
        old = open(args.out).read() if os.path.exists(args.out) else ""
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as t:
            t.write(text)
        diff = list(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                         args.out, t.name))
        sys.stdout.writelines(diff)
        os.unlink(t.name)
        if failures:
            log("failed lines:", failures)
        if diff or failures:
            log("check: DIFFERENT" if diff else "check: failures")
            sys.exit(1)
        log("check: up to date")
        return
    if failures:
        log("not writing %s: failed lines %s" % (args.out, [f[0] for f in failures]))
        sys.exit(1)
    with open(args.out + ".tmp", "w") as o:
        o.write(text)
    os.replace(args.out + ".tmp", args.out)
    log("wrote %s (%d releases)" % (args.out, len(doc["releases"])))


if __name__ == "__main__":
    main()
