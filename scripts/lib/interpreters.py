#!/usr/bin/env python3
"""Find a CPython interpreter of an exact version ("3.11.7") or release line ("3.11"), in the same
order as the Rust tests (tests/support/mod.rs), without hard-coded home paths:

  1. $ABI_DOCTOR_PYTHON_<X>_<Y> (e.g. ABI_DOCTOR_PYTHON_3_11) when set: the only candidate;
  2. $PYENV_ROOT/versions/<version>*/bin/python (newest first);
  3. the same under the root printed by `pyenv root`, when the pyenv command runs;
  4. python<X>.<Y> on PATH.

Every candidate is run (`-I -S -c ...`; Python 2 with `-E -s -S`) and must report that version;
the path returned is its sys.executable (a pyenv shim resolves to the interpreter it runs).

strict() is the tests' policy: CI set (non-empty, not "false") or ABI_DOCTOR_STRICT=1 means a
missing prerequisite fails instead of being reported as not run.

Standard library only; runs under Python 3.6+.

    python3 scripts/lib/interpreters.py 3.11.7 3.9.18   # prints "VERSION PATH"; exit 1 if one is missing
"""

import os
import re
import subprocess
import sys

_SCRIPT = "import sys; sys.stdout.write('%d.%d.%d\\n%s\\n' % (tuple(sys.version_info[:3]) + (sys.executable,)))"
_found = {}


class Missing(LookupError):
    """No interpreter of the version; the message says what was tried and how to get one."""


def strict():
    ci = os.environ.get("CI", "")
    return (ci != "" and ci.lower() != "false") or os.environ.get("ABI_DOCTOR_STRICT") == "1"


def version_matches(actual, wanted):
    return actual == wanted or actual.startswith(wanted + ".")


def _version_key(name):
    nums = []
    for p in re.split(r"[^0-9]", name):
        if not p:
            break
        nums.append(int(p))
    return (nums, name)


def python_version(python):
    """(version "3.11.7", sys.executable) of an interpreter; raises OSError/RuntimeError."""
    last = None
    for flags in (["-I", "-S"], ["-E", "-s", "-S"]):
        r = subprocess.run([python] + flags + ["-c", _SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        if r.returncode == 0:
            lines = r.stdout.splitlines() + ["", ""]
            exe = lines[1].strip()
            return lines[0].strip(), exe if exe and os.path.isfile(exe) else python
        last = "exit %d: %s" % (r.returncode, r.stderr.strip())
    raise RuntimeError(last)


def pyenv_root():
    try:
        r = subprocess.run(["pyenv", "root"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
    except OSError:
        return None
    root = r.stdout.strip()
    return root if r.returncode == 0 and root else None


def pyenv_candidates(root, version):
    versions = os.path.join(root, "versions")
    try:
        names = os.listdir(versions)
    except OSError:
        return []
    names = [n for n in names if n.startswith(version) and not n[len(version):][:1].isdigit()]
    out = []
    for n in sorted(names, key=_version_key, reverse=True):
        for exe in ("python", "python3"):
            p = os.path.join(versions, n, "bin", exe)
            if os.path.isfile(p):
                out.append(p)
                break
    return out


def find_python(version):
    """Path of a CPython `version`; raises Missing (with what was tried and how to get it)."""
    if version in _found:
        return _found[version]
    parts = version.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts):
        raise Missing("%r is not a version like 3.11 or 3.11.7" % version)
    line = "%s.%s" % (parts[0], parts[1])
    var = "ABI_DOCTOR_PYTHON_%s_%s" % (parts[0], parts[1])
    how = ("install it with `pyenv install %s` (found through $PYENV_ROOT or `pyenv root`), put python%s on PATH, "
           "or set %s=/path/to/python%s" % (version, line, var, line))

    override = os.environ.get(var)
    if override:
        try:
            v, exe = python_version(override)
        except (OSError, RuntimeError) as e:
            raise Missing("$%s=%s: %s" % (var, override, e))
        if not version_matches(v, version):
            raise Missing("$%s=%s is Python %s, not %s" % (var, override, v, version))
        _found[version] = exe
        return exe

    roots = []
    if os.environ.get("PYENV_ROOT"):
        roots.append(os.environ["PYENV_ROOT"])
    r = pyenv_root()
    if r and r not in roots:
        roots.append(r)
    candidates = [c for root in roots for c in pyenv_candidates(root, version)]
    for d in os.environ.get("PATH", "").split(os.pathsep):
        p = os.path.join(d, "python" + line)
        if d and os.path.isfile(p):
            candidates.append(p)

    tried = []
    for c in candidates:
        try:
            v, exe = python_version(c)
        except (OSError, RuntimeError) as e:
            tried.append("%s: %s" % (c, e))
            continue
        if version_matches(v, version):
            _found[version] = exe
            return exe
        tried.append("%s is %s" % (c, v))
    searched = ("looked in %s" % ", ".join(os.path.join(r, "versions") for r in roots) if roots
                else "no pyenv root ($PYENV_ROOT unset, no `pyenv` command)")
    raise Missing("no CPython %s (%s; %s); %s" % (
        version, searched, "tried " + "; ".join(tried) if tried else "no python%s on PATH" % line, how))


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    missing = 0
    for v in argv:
        try:
            print("%s %s" % (v, find_python(v)))
        except Missing as e:
            print("%s MISSING: %s" % (v, e))
            missing += 1
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
