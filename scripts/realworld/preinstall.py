#!/usr/bin/env python3
"""Check before install against check after install, on the real-world scenarios.

For every scenario of scripts/realworld/scenarios/ whose steps are plain `--only-binary` pip
installs (no local builds, no user site), with its venv built by scenarios.py:

    abi-doctor check --env VENV --format json                          (after install)
    abi-doctor check --no-deps -r FREEZE --python-version X.Y --format json
        FREEZE: `pip freeze` of the built venv: exactly what is installed, checked as it is
    abi-doctor check -r STEPS --python-version X.Y --format json
        STEPS: the requirements of the steps, resolved by uv (a later step's pin of a name wins;
        a set that does not resolve is checked pin by pin, as check reports)

and fails when the modules predicted to fail differ, module by module, between the installed
venv and the FREEZE check (the prediction of the same set of wheels); the STEPS check is shown
beside it (a resolver may pick other versions than the steps' pip did, so it is reported, and
fails only when it predicts failures in a healthy scenario or none in a broken one). The
FREEZE check runs with an empty abi-doctor cache (XDG_CACHE_HOME in a temporary directory), so
its requests, bytes and seconds are those of a first run; "full" is what downloading every
wheel of the set would cost. The target is the scenario's Python on this machine's platform (the
venvs were built here), and every pin of the freeze must be checked: an entry left unchecked
fails the scenario.

python3 standard library only.

    python3 scripts/realworld/preinstall.py [--only NAME ...] [--bin PATH] [--uv PATH] [--json OUT]
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scenarios as sc  # noqa: E402


def plain(rec):
    """Only `install --only-binary=:all: REQ...` steps (options other than --no-deps refused)."""
    if rec.get("user_site") or rec.get("system_site_packages"):
        return False
    for step in rec["steps"]:
        if not step or step[0] != "install" or "--only-binary=:all:" not in step:
            return False
        for a in step[1:]:
            if a.startswith("-") and a not in ("--only-binary=:all:", "--no-deps"):
                return False
            if "{src}" in a:
                return False
    return True


def step_requirements(rec):
    """The steps' requirements; a later requirement of the same name replaces an earlier one."""
    out = {}
    for step in rec["steps"]:
        for a in step[1:]:
            if a.startswith("-"):
                continue
            name = re.split(r"[<>=!~; \[]", a, 1)[0]
            out[sc.canon(name)] = a
    return list(out.values())


def failing(report):
    """{module: predicted message} of error findings that predict an import failure."""
    out = {}
    for f in (report or {}).get("findings", []):
        if f.get("severity") == "error" and f.get("predicted") and f.get("module"):
            out[f["module"]] = f.get("code")
    return out


def find_uv(given):
    if given:
        return given
    if os.environ.get("ABI_DOCTOR_UV"):
        return os.environ["ABI_DOCTOR_UV"]
    tools = os.path.join(sc.CACHE, "package", "tools", "bin", "uv")
    if os.path.exists(tools):
        return tools
    r = subprocess.run(["bash", "-c", "source '%s/scripts/package/tools.sh' && tools_venv >&2 && command -v uv" % sc.REPO],
                       stdout=subprocess.PIPE, universal_newlines=True)
    return r.stdout.strip() or None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--binary", "--bin", default=os.path.join(sc.REPO, "target", "release", "abi-doctor"))
    ap.add_argument("--uv")
    ap.add_argument("--json", dest="json_out")
    ap.add_argument("--warm", action="store_true", help="keep abi-doctor's cache (figures of a second run)")
    ap.add_argument("--offline", action="store_true", help="no network: abi-doctor's cache only (implies --warm); venvs are not built")
    args, _ = ap.parse_known_args()
    uv = find_uv(args.uv)
    if not uv:
        print("preinstall: uv not found (scripts/package/tools.sh installs it)")
        return 1
    scen = sc.load_scenarios()
    if args.only:
        scen = [s for s in scen if any(s["name"].startswith(o) for o in args.only)]
    root = os.path.join(sc.CACHE, "scenarios")
    rows, bad = [], 0
    for s in scen:
        if not plain(s):
            continue
        s["dir"] = os.path.join(root, "%s-%s" % (s["name"], sc.recipe_hash(s)))
        venv = os.path.join(s["dir"], "venv")
        if not os.path.exists(os.path.join(s["dir"], "built.json")):
            if args.offline:
                print("%s: venv not built and --offline: not compared" % s["name"])
                bad += sc.strict() if hasattr(sc, "strict") else 0
                continue
            ok, _, note = sc.build(s)
            if not ok:
                print("%s: build failed: %s" % (s["name"], note))
                bad += 1
                continue
        py = os.path.join(venv, "bin", "python")
        ver = ".".join(s["python"].split(".")[:2])
        with tempfile.TemporaryDirectory() as tmp:
            freeze = subprocess.run([py, "-m", "pip", "freeze", "--all", "--exclude", "pip", "--exclude", "setuptools",
                                     "--exclude", "wheel"], stdout=subprocess.PIPE, universal_newlines=True).stdout
            fz = os.path.join(tmp, "freeze.txt")
            with open(fz, "w") as f:
                f.write(freeze)
            st = os.path.join(tmp, "steps.txt")
            with open(st, "w") as f:
                f.write("\n".join(step_requirements(s)) + "\n")
            env = dict(os.environ, ABI_DOCTOR_UV=uv)
            env.pop("VIRTUAL_ENV", None)
            rc_a, after, _, err_a = sc.run_json([args.binary, "check", "--env", venv, "--format", "json"])
            cold = dict(env)
            off = ["--offline"] if args.offline else []
            if not (args.warm or args.offline):
                cold["XDG_CACHE_HOME"] = os.path.join(tmp, "xdg")
            t0 = time.time()
            rc_f, before, _, err_f = sc.run_json([args.binary, "check"] + off + ["--no-deps", "-r", fz, "--python-version", ver,
                                                  "--format", "json"],
                                                 extra_env=cold)
            secs = time.time() - t0
            rc_s, steps, _, err_s = sc.run_json([args.binary, "check"] + off + ["-r", st, "--python-version", ver,
                                                 "--format", "json"],
                                                extra_env=env)
        fa, ff, fs = failing(after), failing(before), failing(steps)
        plan = (before or {}).get("plan") or {}
        problems = []
        if after is None:
            problems.append("check --env gave no JSON: %s" % err_a.strip()[-300:])
        if before is None:
            problems.append("check --no-deps -r freeze gave no JSON: %s" % err_f.strip()[-300:])
        if set(fa) != set(ff):
            problems.append("freeze: before install predicts %d failing, after install %d; only before: %s; only after: %s"
                            % (len(ff), len(fa), sorted(set(ff) - set(fa))[:8], sorted(set(fa) - set(ff))[:8]))
        if bool(fa) != bool(fs):
            problems.append("steps (resolved): %d failing before install, %d after" % (len(fs), len(fa)))
        if plan.get("problems"):
            problems.append("freeze: %d entries not checked or checked with a caveat: %s"
                            % (len(plan["problems"]), plan["problems"][0]["message"][:300]))
        if (rc_a == 1) != (rc_f == 1):
            problems.append("exit codes differ: after %d, before %d" % (rc_a, rc_f))
        row = {
            "scenario": s["name"], "after": len(fa), "freeze": len(ff), "steps": len(fs),
            "wheels": len(plan.get("wheels", [])), "requests": plan.get("requests"), "bytes": plan.get("bytes"),
            "full_bytes": plan.get("full_bytes"), "seconds": round(secs, 1),
            "plan_problems": [p["message"] for p in plan.get("problems", [])],
            "explanations": ((steps or {}).get("plan") or {}).get("explanations", []) or plan.get("explanations", []),
            "problems": problems,
        }
        rows.append(row)
        bad += bool(problems)
        print("%-34s after %3d  freeze %3d  steps %3d  wheels %2d  requests %3s  MB %6.1f / full %6.1f  %5.1fs  %s"
              % (s["name"], len(fa), len(ff), len(fs), row["wheels"], row["requests"], (row["bytes"] or 0) / 1e6,
                 (row["full_bytes"] or 0) / 1e6, secs, "ok" if not problems else "DIFFERS"), flush=True)
        for p in problems:
            print("    " + p)
        for e in row["explanations"]:
            print("    why: " + e)
    out = args.json_out or os.path.join(root, "preinstall.json")
    with open(out, "w") as f:
        json.dump(rows, f, indent=1)
    print("preinstall: %d scenarios compared, %d with differences; results in %s" % (len(rows), bad, out))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
