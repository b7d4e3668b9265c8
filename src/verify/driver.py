# abi-doctor verify driver: import one module in this fresh interpreter and report, as JSON lines
# marked with MARK on the original stdout, where the import got to and how it ended.
# argv: MODE NAME [PATH]. MODE "plain" imports NAME the way a user does (parents first);
# "stub" replaces the parent packages by empty modules whose __path__ points at the directories
# above PATH, so that only NAME's own initialisation runs (see
# docs/import-behaviour.md#measuring-imports).
# Written for Python >= 3.6; standard library only.
import os
import sys

MARK = "\x1eABI_DOCTOR_VERIFY "
_out = os.fdopen(os.dup(1), "w")


def emit(obj):
    import json

    _out.write(MARK + json.dumps(obj) + "\n")
    _out.flush()


def die_with_parent():
    """Linux: be killed when abi-doctor dies (Ctrl-C), even while hung in C code."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
        if str(os.getppid()) != os.environ.get("ABI_DOCTOR_VERIFY_PARENT", str(os.getppid())):
            os._exit(70)
    except BaseException:
        pass


die_with_parent()

if sys.path and sys.path[0] == "":
    del sys.path[0]

import importlib
import site
import traceback
import types
import warnings

for _d in os.environ.get("ABI_DOCTOR_VERIFY_SITE", "").split(os.pathsep):
    if _d and _d not in sys.path:
        site.addsitedir(_d)


def tname(t):
    mod = getattr(t, "__module__", "builtins")
    qual = getattr(t, "__qualname__", getattr(t, "__name__", "?"))
    return qual if mod in ("builtins", "exceptions") else mod + "." + qual


def text(x):
    try:
        return str(x)
    except BaseException:
        return "<str() failed>"


def origin(e):
    """The module whose code raised: the innermost traceback frame outside importlib."""
    found = None
    tb = e.__traceback__
    while tb is not None:
        try:
            name = tb.tb_frame.f_globals.get("__name__")
        except BaseException:
            name = None
        if isinstance(name, str) and name != "__main__" and not name.startswith("importlib"):
            found = name
        tb = tb.tb_next
    return found


def frames(e):
    try:
        return [
            "%s:%s in %s" % (f.filename, f.lineno, f.name)
            for f in traceback.extract_tb(e.__traceback__)
            if not f.filename.startswith("<") and "importlib" not in f.filename
        ][-8:]
    except BaseException:
        return []


def describe(e):
    c = e.__cause__
    if c is None and not e.__suppress_context__:
        c = e.__context__
    return {
        "exception": tname(type(e)),
        "message": text(e),
        "cause": None if c is None else {"exception": tname(type(c)), "message": text(c)},
        "origin": origin(e),
        "traceback": frames(e),
    }


def failure(e, failed_in):
    r = {"outcome": "error", "failed_in": failed_in}
    r.update(describe(e))
    return r


def import_target(mode, name, path):
    parts = name.split(".")
    if mode == "stub":
        d = os.path.dirname(path)
        for i in range(len(parts) - 1, 0, -1):
            pkg = ".".join(parts[:i])
            m = types.ModuleType(pkg)
            m.__path__ = [d]
            m.__package__ = pkg
            sys.modules[pkg] = m
            d = os.path.dirname(d)
    else:
        for i in range(1, len(parts)):
            pkg = ".".join(parts[:i])
            emit({"stage": "parent", "module": pkg})
            try:
                importlib.import_module(pkg)
            except BaseException as e:
                return failure(e, pkg)
    emit({"stage": "module", "module": name})
    try:
        importlib.import_module(name)
    except BaseException as e:
        return failure(e, None)
    return {"outcome": "ok"}


def main():
    mode, name = sys.argv[1], sys.argv[2]
    path = sys.argv[3] if len(sys.argv) > 3 else ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = import_target(mode, name, path)
        result["warnings"] = [
            {
                "category": tname(w.category),
                "message": text(w.message),
                "filename": text(w.filename),
                "lineno": w.lineno,
            }
            for w in caught
        ]
    emit(result)
    try:
        sys.stderr.flush()
    except BaseException:
        pass
    # Skip interpreter shutdown: a broken module crashing in its finalizers is not an import outcome.
    os._exit(0)


main()
