#!/usr/bin/env python3
"""check (facts cache off, facts cache warm) and `rg -uuu -a -l _ARRAY_API` over the same tree, side
by side: the commands take turns within each round, so that the machine's load falls on all of
them alike. Prints, per command, the median of N runs of wall time, CPU time (user+sys) and peak
RSS, and the ratios to ripgrep. With --before OLD_BIN, an older build's two check runs take turns
in the same rounds (before/after figures from one run).

Usage: scripts/bench/sidebyside.py [--runs 5] [--bin target/release/abi-doctor] [--before BIN]
                                   VENV [VENV...]
Each VENV's site-packages is found from its lib/python3.*/site-packages. The facts cache goes to a
temporary XDG_CACHE_HOME, warmed by one run first; the page cache is warmed by one run of each.
"""
import argparse, glob, json, os, resource, shutil, statistics, subprocess, sys, tempfile, time

RG = "rg -uuu -a -l _ARRAY_API"

def run(cmd, env):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: measured apart with /usr/bin/time.
    return wall, cpu, p.returncode

def peak_rss_mb(cmd, env):
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       universal_newlines=True, env=env)
    return int(p.stderr.strip().splitlines()[-1]) / 1024.0

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "..", "target", "release", "abi-doctor"))
    ap.add_argument("--before", help="an older abi-doctor binary, measured in the same rounds")
    ap.add_argument("venvs", nargs="+")
    a = ap.parse_args()
    out = []
    for venv in a.venvs:
        site = sorted(glob.glob(os.path.join(venv, "lib", "python3*", "site-packages")))[0]
        cache = tempfile.mkdtemp(prefix="abi-doctor-bench-")
        cache_before = tempfile.mkdtemp(prefix="abi-doctor-bench-before-")
        env = dict(os.environ, XDG_CACHE_HOME=cache)
        cmds = {}
        envs = {}
        bins = [("", a.bin, cache)] + ([("before: ", a.before, cache_before)] if a.before else [])
        for label, b, c in bins:
            cmds[label + "check --no-cache"] = [b, "check", "--env", venv, "--format", "json", "--no-cache"]
            cmds[label + "check (warm facts cache)"] = [b, "check", "--env", venv, "--format", "json"]
            envs[label + "check --no-cache"] = envs[label + "check (warm facts cache)"] = dict(os.environ, XDG_CACHE_HOME=c)
        cmds[RG] = ["rg", "-uuu", "-a", "-l", "_ARRAY_API", site]
        envs[RG] = env
        for k, c in cmds.items():  # page cache, and the facts caches
            run(c, envs[k])
        samples = {k: [] for k in cmds}
        codes = {}
        for _ in range(a.runs):
            for k, c in cmds.items():
                w, u, code = run(c, envs[k])
                samples[k].append((w, u))
                codes[k] = code
        rss = {k: peak_rss_mb(c, envs[k]) for k, c in cmds.items()}
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(cache_before, ignore_errors=True)
        med = {k: (statistics.median(w for w, _ in v), statistics.median(u for _, u in v)) for k, v in samples.items()}
        rg = med[RG]
        load = os.getloadavg()[0]
        print("\n%s\n  site-packages %s, 1-min load %.1f, median of %d, commands taking turns" % (venv, site, load, a.runs))
        print("  %-34s %9s %9s %9s %8s %8s %5s" % ("command", "wall s", "CPU s", "RSS MB", "wall/rg", "CPU/rg", "exit"))
        for k in cmds:
            w, u = med[k]
            print("  %-34s %9.3f %9.3f %9.1f %8.3f %8.3f %5d" % (k, w, u, rss[k], w / rg[0], u / rg[1], codes[k]))
        out.append({"venv": venv, "load": load, "runs": a.runs, "median": med, "rss_mb": rss, "samples": samples})
    json.dump(out, sys.stderr if os.environ.get("BENCH_JSON_STDERR") else open(os.devnull, "w"))

if __name__ == "__main__":
    main()
