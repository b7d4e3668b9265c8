#!/usr/bin/env python3
"""Import every extension module in its own fresh interpreter (`PY -c "import X"`),
JOBS at a time, and report the total wall time: the cost of learning by trial
which compiled modules fail to import.

Usage: import_all.py --python PY --modules modules.txt [--jobs 2] [--timeout 120] [--out imports.json]
"""
import argparse
import concurrent.futures as cf
import json
import subprocess
import tempfile
import time


def run(py, mod, timeout):
    t = time.monotonic()
    try:
        p = subprocess.run([py, "-c", f"import {mod}"], capture_output=True, text=True,
                           timeout=timeout, cwd=tempfile.gettempdir())
        rc, err = p.returncode, p.stderr.strip().splitlines()[-1:] 
    except subprocess.TimeoutExpired:
        rc, err = "timeout", []
    return dict(module=mod, rc=rc, seconds=round(time.monotonic() - t, 3),
                error=err[0] if err else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", required=True)
    ap.add_argument("--modules", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--out")
    a = ap.parse_args()
    mods = [m.strip() for m in open(a.modules) if m.strip()]
    t0 = time.monotonic()
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        res = list(ex.map(lambda m: run(a.python, m, a.timeout), mods))
    wall = time.monotonic() - t0
    failed = [r for r in res if r["rc"] != 0]
    summary = dict(modules=len(mods), jobs=a.jobs, wall_seconds=round(wall, 2),
                   failed=len(failed), slowest=sorted(res, key=lambda r: -r["seconds"])[:5])
    if a.out:
        json.dump(dict(summary=summary, results=res), open(a.out, "w"), indent=1)
    print(f"imported {len(mods)} modules with {a.jobs} jobs in {wall:.1f} s; {len(failed)} failed")


if __name__ == "__main__":
    main()
