#!/usr/bin/env python3
"""Real-world scenario suite for abi-doctor: build real environments, import for real, compare.

Each scenario is a JSON recipe in scripts/realworld/scenarios/ (interpreter, ordered pip steps,
which top-level imports a user would type). The suite builds each one into a venv under
${ABI_DOCTOR_CACHE:-~/.cache/abi-doctor}/scenarios/<name>-<hash of recipe and sources>/ (reused
while the recipe is unchanged), then runs

    abi-doctor check  --env VENV --format json     (the static prediction)
    abi-doctor verify --env VENV --format json     (reality: every extension module imported)

and fails on a NumPy-caused import failure that check missed, a module check predicted to fail
that imported, or a predicted message that differs from the real one. Expectations come from
reality; the only recipe-level assertions are the ones a scenario states ("healthy",
"npy005_imports_ok", "fix_conflict"). The real stderr of a failing top-level import is stored
as real_error.txt and, when `abi-doctor explain --format json` works, fed to it.

python3 standard library only.

    python3 scripts/realworld/scenarios.py [--only NAME ...] [--jobs N] [--rebuild] [--json OUT] [--no-apply]
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import interpreters  # noqa: E402
import pep440  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SCEN_DIR = os.path.join(HERE, "scenarios")
SRC_DIR = os.path.join(SCEN_DIR, "src")
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CACHE = os.environ.get("ABI_DOCTOR_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "abi-doctor")

FAILED = ("error", "crash", "timeout")


def log(msg):
    print(msg, flush=True)


def norm(s):
    return " ".join((s or "").split())


def family(report):
    """The NumPy binary-interface message family verify read in a module's or package's failed
    import (its `numpy_family`: size_changed, compiled_with_numpy1, ...), or None. abi-doctor's
    `messages` module is the one place that knows the message texts; verify sets the field only
    for imports that raised (outcome "error"), not for crashes or timeouts."""
    return (report or {}).get("numpy_family")


def import_family(verify, name):
    """verify's family for `import NAME`: its top-level package's, else that of a module under it."""
    top = name.split(".")[0]
    for p in verify.get("packages", []):
        if p.get("package") == top and family(p):
            return family(p)
    for m in verify.get("modules", []):
        if (m.get("module") or "").split(".")[0] == top and family(m):
            return family(m)
    return None


# ---------------------------------------------------------------- recipes

def load_scenarios():
    out = []
    for fn in sorted(os.listdir(SCEN_DIR)):
        if fn.endswith(".json"):
            with open(os.path.join(SCEN_DIR, fn)) as f:
                rec = json.load(f)
            rec["name"] = fn[: -len(".json")]
            out.append(rec)
    return out


def recipe_hash(rec):
    h = hashlib.sha256(json.dumps(rec, sort_keys=True).encode())
    text = json.dumps(rec["steps"])
    for m in sorted(set(re.findall(r"\{src\}/([\w.-]+)", text))):
        root = os.path.join(SRC_DIR, m)
        for dp, dns, fns in sorted(os.walk(root)):
            dns[:] = sorted(d for d in dns if not d.endswith(".egg-info") and d != "build")
            for fn in sorted(fns):
                p = os.path.join(dp, fn)
                h.update(os.path.relpath(p, SRC_DIR).encode())
                with open(p, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()[:12]


def interpreter(rec):
    """The scenario's base interpreter (scripts/lib/interpreters.py); raises interpreters.Missing."""
    return interpreters.find_python(rec["python"])


# ---------------------------------------------------------------- building

def scenario_env(rec):
    """Variables every command of the scenario runs with: PYTHONUSERBASE for a user-site recipe."""
    if rec.get("user_site"):
        return {"PYTHONUSERBASE": os.path.join(rec["dir"], "userbase")}
    return {}


def build(rec, rebuild=False):
    """Build the scenario's venv (or reuse it). Returns (ok, seconds, note)."""
    sdir = rec["dir"]
    venv = os.path.join(sdir, "venv")
    stamp = os.path.join(sdir, "built.json")
    if os.path.exists(stamp) and not rebuild:
        return True, 0.0, "cached"
    t0 = time.time()
    if os.path.exists(sdir):
        shutil.rmtree(sdir)
    os.makedirs(sdir)
    logf = os.path.join(sdir, "build.log")
    env = dict(os.environ)
    env["PIP_CACHE_DIR"] = os.path.join(CACHE, "pip")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.pop("PIP_CONSTRAINT", None)
    env.pop("PYTHONPATH", None)
    # Local sources are copied out of the repo so that pip's in-tree builds leave nothing there.
    src_copy = os.path.join(sdir, "src")
    shutil.copytree(SRC_DIR, src_copy)
    # "system_site_packages": a venv that sees the base interpreter's site-packages; "user_site":
    # PYTHONUSERBASE is the scenario's own userbase/ (never the real ~/.local), and a step that
    # starts with "user:" runs the base interpreter's pip (`pip install --user ...`) into it.
    env.update(scenario_env(rec))
    venv_cmd = [interpreter(rec), "-m", "venv"]
    if rec.get("system_site_packages"):
        venv_cmd.append("--system-site-packages")
    cmds = [venv_cmd + [venv]]
    for step in rec["steps"]:
        pip = [os.path.join(venv, "bin", "python"), "-m", "pip"]
        if step and step[0] == "user:":
            pip, step = [interpreter(rec), "-m", "pip"], step[1:]
        cmds.append(pip + [a.replace("{src}", src_copy) for a in step])
    with open(logf, "w") as lf:
        for cmd in cmds:
            lf.write("$ " + " ".join(cmd) + "\n")
            lf.flush()
            r = subprocess.run(cmd, stdout=lf, stderr=subprocess.STDOUT, env=env, cwd=sdir)
            if r.returncode != 0:
                return False, time.time() - t0, "build step failed (exit %d): %s; see %s" % (r.returncode, " ".join(cmd[3:]), logf)
        lf.write("$ pip freeze\n")
        lf.flush()
        subprocess.run([os.path.join(venv, "bin", "python"), "-m", "pip", "freeze"], stdout=lf, stderr=subprocess.STDOUT, env=env)
    with open(stamp, "w") as f:
        json.dump({"recipe": rec["steps"], "python": rec["python"], "seconds": round(time.time() - t0, 1)}, f)
    return True, time.time() - t0, "built"


# ---------------------------------------------------------------- running abi-doctor

def run_json(args, stdin=None, timeout=1800, extra_env=None):
    env = dict(os.environ, **(extra_env or {}))
    r = subprocess.run(args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout, env=env)
    try:
        data = json.loads(r.stdout) if r.stdout.strip() else None
    except ValueError:
        data = None
    return r.returncode, data, r.stdout, r.stderr


def has_subcommand(binary, name):
    r = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    return re.search(r"^\s+%s\s" % re.escape(name), r.stdout, re.M) is not None


# ---------------------------------------------------------------- version specifiers (PEP 440 subset)

def satisfies(version, spec):
    """`pep440.satisfies`, with a specifier outside the subset counting as not satisfied."""
    try:
        return pep440.satisfies(version, spec)
    except ValueError:
        return False


def canon(name):
    return re.sub(r"[-_.]+", "-", (name or "").lower())


# ---------------------------------------------------------------- comparing

def knock_on_chain(finding):
    """The import chain of an NPY013 finding's evidence (`import chain of its init: a -> b`)."""
    for e in finding.get("evidence") or []:
        if e.startswith("import chain of its init: "):
            return e[len("import chain of its init: "):].split(" -> ")
    return []


def compare(rec, check, verify):
    """Module-by-module comparison. Returns (rows, problems, stats)."""
    problems = []
    preds = {}
    npy005 = set()
    errors_nonpredicting = []
    for f in check.get("findings", []):
        if f.get("severity") != "error":
            continue
        if f.get("predicted"):
            preds.setdefault(f.get("module"), f)
        else:
            errors_nonpredicting.append(f)
            if f.get("code") == "NPY005":
                npy005.add(f.get("module"))
    real_fail = {}
    imported = {}
    for m in verify.get("modules", []):
        imp = m.get("import") or m
        outcome = imp.get("outcome")
        fam = family(m)
        name = m.get("module")
        imported[name] = (outcome, m)
        if outcome in FAILED and fam:
            real_fail[name] = (m, imp, fam)
    agreed = 0
    cascaded = []
    notes = []
    for name, (m, imp, fam) in sorted(real_fail.items(), key=lambda kv: str(kv[0])):
        f = preds.get(name)
        origin = imp.get("origin")
        if origin and origin != name:
            # The module's own initialisation imported another extension module that failed
            # (Cython cimport, `from x import y` at init): a knock-on (NPY013). check must predict
            # it with the origin's message, and its chain must end in verify's origin.
            cascaded.append(name)
            if f is None:
                problems.append("MISSED-KNOCK-ON %s: real %s: %s (raised in %s)" % (name, imp.get("exception"), norm(imp.get("message"))[:160], origin))
                continue
            if f.get("code") == "NPY013":
                chain = knock_on_chain(f)
                # verify's origin is the last frame of the traceback: the failing module itself
                # (Cython) or, for an extension whose init leaves no Python frame (f2py, C), the
                # Python module that imported it (`scipy.linalg.blas` for `scipy.linalg._fblas`).
                if not chain or origin not in chain[-2:]:
                    problems.append("KNOCK-ON-ORIGIN %s: check's chain %s does not end in verify's origin %s" % (name, " -> ".join(chain) or "(none)", origin))
                    continue
        if f is None:
            problems.append("MISSED  %s: real %s: %s" % (name, imp.get("exception"), norm(imp.get("message"))[:200]))
            continue
        p = f["predicted"]
        cause = imp.get("cause") or {}
        if p.get("then"):
            # import_array(): the first exception is printed/chained, the import ends with `then`.
            final_ok = p["then"]["exception"] == imp.get("exception") and norm(p["then"]["message"]) == norm(imp.get("message"))
            first_ok = norm(p["message"]) in norm(cause.get("message")) or norm(p["message"]) in norm(imp.get("stderr"))
            # NumPy 2's notice for 1.x modules is printed text, not an exception: it must be on stderr.
            printed_ok = not p.get("printed") or norm(p["printed"]) in norm(imp.get("stderr"))
            ok = final_ok and first_ok and printed_ok
        else:
            ok = p["exception"] == imp.get("exception") and norm(p["message"]) == norm(imp.get("message"))
        if ok:
            agreed += 1
        else:
            problems.append(
                "MESSAGE %s: predicted %s: %s%s | real %s: %s (cause %s: %s)"
                % (name, p["exception"], norm(p["message"])[:160],
                   (" -> %s: %s" % (p["then"]["exception"], norm(p["then"]["message"])[:100])) if p.get("then") else "",
                   imp.get("exception"), norm(imp.get("message"))[:160], cause.get("exception"), norm(cause.get("message"))[:120]))
    for name, f in sorted(preds.items(), key=lambda kv: str(kv[0])):
        if name in real_fail:
            continue
        outcome, vm = imported.get(name, (None, None))
        if outcome in FAILED and vm is not None and vm.get("origin") and vm.get("origin") != name:
            notes.append("%s: predicted %s; the import died first in %s (%s)" % (name, f.get("code"), vm.get("origin"), norm(vm.get("message"))[:100]))
            continue
        if outcome in ("ok", "warning"):
            problems.append("FALSE-ALARM %s: %s predicted %s: %s, but it imported (%s)"
                            % (name, f.get("code"), f["predicted"]["exception"], norm(f["predicted"]["message"])[:160], outcome))
        elif outcome is None:
            problems.append("UNVERIFIED %s (%s): %s predicted a failure; verify did not import it" % (name, f.get("path"), f.get("code")))
        else:
            problems.append("PREDICTED-OTHER %s: %s predicted %s, real outcome %s (not a NumPy message)" % (name, f.get("code"), f["predicted"]["exception"], outcome))
    # Package level: top-level imports that die of NumPy should be among check's cascades.
    cascades = {c.get("package"): c for c in check.get("cascades", [])}
    pkg_fail = []
    for p in verify.get("packages", []):
        imp = p.get("import") or p
        if imp.get("outcome") in FAILED and family(p):
            pkg_fail.append(p.get("package"))
            if p.get("package") not in cascades:
                problems.append("CASCADE-MISSED %s: `import %s` dies of NumPy (%s: %s) but check lists no cascade"
                                % (p.get("package"), p.get("package"), imp.get("exception"), norm(imp.get("message"))[:120]))
    for pkg, c in sorted(cascades.items()):
        if pkg not in pkg_fail:
            vp = [p for p in verify.get("packages", []) if p.get("package") == pkg]
            outc = ((vp[0].get("import") or vp[0]).get("outcome")) if vp else "not imported by verify"
            if outc in ("ok", "warning"):
                problems.append("CASCADE-FALSE-ALARM %s: check says it dies in %s; `import %s` succeeded" % (pkg, c.get("dies_in"), pkg))
    # Scenario assertions.
    a = rec.get("assert", {})
    if a.get("healthy"):
        if real_fail:
            problems.append("HEALTHY? %d real NumPy failures in a scenario meant to be healthy" % len(real_fail))
        errs = [f for f in check.get("findings", []) if f.get("severity") == "error"]
        for f in errs:
            problems.append("HEALTHY-FLAGGED %s: %s %s (%s)" % (f.get("module"), f.get("code"), f.get("title"), f.get("distribution")))
    for mod in a.get("npy005_imports_ok", []):
        outcome = imported.get(mod, (None,))[0]
        if outcome not in ("ok", "warning"):
            problems.append("NPY005 %s: expected verify to import it (ok), got %s" % (mod, outcome))
        if mod not in npy005:
            problems.append("NPY005 %s: check did not flag it with NPY005 (error findings: %s)"
                            % (mod, ", ".join("%s:%s" % (f.get("code"), f.get("module")) for f in check.get("findings", []) if f.get("severity") == "error") or "none"))
    fc = a.get("fix_conflict")
    if fc:
        hint = check.get("fix_hint")
        if not hint:
            problems.append("FIX-CONFLICT: check gave no fix_hint")
        else:
            if hint.get("numpy_specifier"):
                problems.append("FIX-CONFLICT: fix_hint offers numpy_specifier %r, but no single NumPy satisfies all" % hint["numpy_specifier"])
            blob = " ".join(hint.get("blockers") or []).lower()
            if not hint.get("blockers"):
                problems.append("FIX-CONFLICT: fix_hint lists no blockers (summary: %s)" % hint.get("summary"))
            for name in fc.get("blockers_mention", []):
                if name.lower() not in blob:
                    problems.append("FIX-CONFLICT: blockers do not mention %s: %s" % (name, hint.get("blockers")))
    # Error findings that predict nothing, outside NPY005 scenarios, are reported for information.
    stats = {
        "modules": len(verify.get("modules", [])),
        "real": len(real_fail),
        "predicted": len(preds),
        "agreed": agreed,
        "cascaded": sorted(cascaded),
        "notes": notes,
        "npy005": sorted(x for x in npy005 if x),
        "packages_failing": sorted(pkg_fail),
        "verify_summary": verify.get("summary"),
    }
    return problems, stats


def fix_checks(binary, rec):
    venv = os.path.join(rec["dir"], "venv")
    t0 = time.time()
    code, data, _, err = run_json([binary, "fix", "--env", venv, "--format", "json"], extra_env=scenario_env(rec))
    secs = round(time.time() - t0, 1)
    if data is None:
        return ["FIX: no JSON (exit %d): %s" % (code, norm(err)[:300])], {"seconds": secs}
    plan = data.get("plan") or {}
    info = {
        "seconds": secs,
        "exit": code,
        "proven": data.get("proven"),
        "kind": plan.get("kind"),
        "changes": ["%s %s -> %s" % (c.get("name"), c.get("from"), c.get("to")) for c in plan.get("changes") or []],
        "blockers": [b.get("reason") for b in data.get("blockers") or []],
        "stats": data.get("stats"),
    }
    with open(os.path.join(rec["dir"], "fix.json"), "w") as f:
        json.dump(data, f, indent=1)
    probs = []
    fc = (rec.get("assert") or {}).get("fix_conflict")
    if fc:
        blob = " ".join(info["blockers"]).lower()
        for name in fc.get("blockers_mention", []):
            if name.lower() not in blob:
                probs.append("FIX: blockers do not mention %s: %s" % (name, info["blockers"]))
        if plan.get("kind") == "move_numpy":
            probs.append("FIX: a NumPy move offered despite the conflict: %s" % info["changes"])
    elif data.get("proven") is not True:
        probs.append("FIX: plan not proven: %s" % plan.get("summary"))
    return probs, info


def dist_state(py, extra_env=None):
    """{normalized name: (version, sha256 of its RECORD)} of every distribution the interpreter
    sees in its site-packages: a rebuild at the same version changes the RECORD's hashes."""
    code = (
        "import hashlib, importlib.metadata as m, json, re\n"
        "out = {}\n"
        "for d in m.distributions():\n"
        "    n = re.sub(r'[-_.]+', '-', (d.metadata['Name'] or '').lower())\n"
        "    rec = d.read_text('RECORD') or ''\n"
        "    out.setdefault(n, [d.version, hashlib.sha256(rec.encode()).hexdigest()])\n"
        "print(json.dumps(out))\n"
    )
    r = subprocess.run([py, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=300, env=dict(os.environ, **(extra_env or {})))
    try:
        return {k: tuple(v) for k, v in json.loads(r.stdout).items()}
    except ValueError:
        return None


def tree_manifest(root):
    """Every entry under root (relative path -> sha256 of a file, the target of a symlink, or "dir"),
    bytecode caches left out: imports write them and a rollback leaves them be."""
    out = {}
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        for x in dirs:
            p = os.path.join(d, x)
            out[os.path.relpath(p, root)] = "link:" + os.readlink(p) if os.path.islink(p) else "dir"
        for x in files:
            p = os.path.join(d, x)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = "link:" + os.readlink(p)
            else:
                with open(p, "rb") as f:
                    out[rel] = hashlib.sha256(f.read()).hexdigest()
    return out


def tools_uv():
    uv = os.path.join(CACHE, "package", "tools", "bin", "uv")
    return uv if os.path.exists(uv) else None


def apply_checks(binary, rec, rollback=False):
    """`abi-doctor fix --apply --yes` on a COPY of the scenario's venv (the cached venv is never
    touched), then every import of the recipe in the copy's interpreter and `check` of the copy.
    With `rollback`, a second copy is applied and rolled back and must match its files before."""
    venv = os.path.join(rec["dir"], "venv")
    work = os.path.join(rec["dir"], "apply")
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    copy = os.path.join(work, "venv")
    shutil.copytree(venv, copy, symlinks=True)
    env = dict(scenario_env(rec))
    uv = tools_uv()
    if uv:
        env["ABI_DOCTOR_UV"] = uv
    py = os.path.join(copy, "bin", "python")
    before = dist_state(py, env)
    t0 = time.time()
    code, data, out, err = run_json([binary, "fix", "--env", copy, "--apply", "--yes", "--format", "json"], extra_env=env)
    info = {"seconds": round(time.time() - t0, 1), "exit": code, "applied": bool(data and data.get("applied"))}
    with open(os.path.join(work, "apply.json"), "w") as f:
        json.dump({"exit": code, "stdout": data if data is not None else out, "stderr": err}, f, indent=1)
    probs = []
    conflict = (rec.get("assert") or {}).get("fix_conflict")
    if not info["applied"]:
        plan = (data or {}).get("plan") or {}
        info["refused"] = norm(err)[-300:]
        info["blockers"] = [b.get("reason") for b in (data or {}).get("blockers") or []]
        info["kind"] = plan.get("kind")
        if conflict and info["blockers"]:
            # The pin conflict: refusing to apply an unproven plan is honest when the blocker is named.
            info["changed"] = 0
            after = dist_state(py, env)
            if after != before:
                probs.append("APPLY: refused, yet the copy changed")
            return probs, info
        probs.append("APPLY: not applied (exit %d): %s" % (code, norm(err)[-300:]))
        return probs, info
    result = data.get("result") or {}
    info["kind"] = None
    info["changes"] = ["%s %s -> %s" % (c.get("name"), c.get("from"), c.get("to")) for c in result.get("changes") or []]
    info["reported_changed"] = result.get("changed_distributions")
    after = dist_state(py, env)
    if before is None or after is None:
        probs.append("APPLY: could not list the copy's distributions")
    else:
        changed = sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))
        info["changed"] = len(changed)
        info["changed_names"] = changed
    # Every top-level import of the recipe, in the copy's own interpreter.
    bad = []
    for name in rec.get("imports", []):
        r = subprocess.run([py, "-c", "import %s" % name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, cwd=work, timeout=600, env=dict(os.environ, **env))
        if r.returncode != 0:
            bad.append("%s: %s" % (name, norm(r.stderr)[-200:]))
    info["imports_ok"] = "%d/%d" % (len(rec.get("imports", [])) - len(bad), len(rec.get("imports", [])))
    probs += ["APPLY: import %s" % b for b in bad]
    ccode, check, _, cerr = run_json([binary, "check", "--env", copy, "--format", "json"], extra_env=env)
    info["check_exit"] = ccode
    if ccode != 0:
        errs = [f.get("code") for f in (check or {}).get("findings", []) if f.get("severity") == "error"]
        probs.append("APPLY: check of the applied copy exits %d (%s)" % (ccode, errs or norm(cerr)[:200]))
    if rollback:
        info["rollback"] = rollback_check(binary, rec, venv, work, env)
        if info["rollback"] != "exact":
            probs.append("ROLLBACK: " + info["rollback"])
    return probs, info


def rollback_check(binary, rec, venv, work, env):
    """Apply to a second copy, `fix --rollback` it, and compare every file with before (bytecode
    caches aside, and uv's empty VENV/.lock)."""
    copy = os.path.join(work, "venv-rollback")
    shutil.copytree(venv, copy, symlinks=True)
    before = tree_manifest(copy)
    code, data, out, err = run_json([binary, "fix", "--env", copy, "--apply", "--yes", "--format", "json"], extra_env=env)
    if not (data and data.get("applied")):
        return "the apply before the rollback failed (exit %d): %s" % (code, norm(err)[-200:])
    if tree_manifest(copy) == before:
        return "the apply changed no file, so the rollback proves nothing"
    code, data, out, err = run_json([binary, "fix", "--rollback", "--env", copy, "--format", "json"], extra_env=env)
    if code != 0:
        return "fix --rollback exits %d: %s" % (code, norm(err)[-200:])
    after = tree_manifest(copy)
    # uv leaves its (empty) lock file VENV/.lock after any `uv pip` command; it lies outside
    # site-packages and bin/, which the snapshot covers, so the rollback does not remove it.
    if after.get(".lock") == hashlib.sha256(b"").hexdigest() and ".lock" not in before:
        del after[".lock"]
    if after == before:
        return "exact"
    diff = sorted(set(k for k in set(before) | set(after) if before.get(k) != after.get(k)))
    return "%d entries differ after the rollback: %s" % (len(diff), diff[:5])


def capture_real_error(rec, py):
    """The stderr of the first failing `python -c "import X"` of the scenario's imports."""
    for name in rec.get("imports", []):
        r = subprocess.run([py, "-c", "import %s" % name], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, cwd=rec["dir"], timeout=600, env=dict(os.environ, **scenario_env(rec)))
        if r.returncode != 0:
            return name, r.stderr
    return None, ""


def explain_checks(binary, rec, text, numpy_version, failing_dists):
    problems = []
    code, data, out, err = run_json([binary, "explain", "--format", "json"], stdin=text, timeout=120)
    if data is None:
        return ["EXPLAIN: no JSON (exit %d): %s" % (code, norm(err)[:200])], None
    if not data.get("recognized"):
        return ["EXPLAIN: text not recognized (exit %d)" % code], data
    exps = data.get("explanations") or []
    if not exps:
        return ["EXPLAIN: recognized but no explanations"], data
    wanted = {canon(x) for x in failing_dists if x}
    pk = [e.get("package") for e in exps]
    named = [w for w in wanted if re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(w).replace("\\-", "[-_.]"), text.lower().replace("_", "-"))]
    if not named:
        # `python -c "import npcext"` of a plain C extension prints no module or path: no tool
        # can name the package from that text, so only a wrong name is an error.
        if any(p and canon(p) not in wanted for p in pk):
            problems.append("EXPLAIN: package %s, expected one of %s (or none: the text names no package)" % (pk, sorted(wanted)))
    elif not any(canon(p) in wanted for p in pk if p):
        problems.append("EXPLAIN: package %s, expected one of %s" % (pk, sorted(wanted)))
    running = [s for e in exps for s in (e.get("running") or [])]
    if numpy_version and not any(satisfies(numpy_version, s) for s in running):
        problems.append("EXPLAIN: installed numpy %s satisfies none of running %s" % (numpy_version, running))
    return problems, data


def apply_cell(a):
    if not a:
        return "-"
    if not a.get("applied"):
        return "refused" if a.get("blockers") else "FAILED"
    cell = "%s chg %s %s" % (a.get("changed", "?"), a.get("imports_ok", "?"), "clean" if a.get("check_exit") == 0 else "chk%s" % a.get("check_exit"))
    return cell + (" rb" if a.get("rollback") == "exact" else "")


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", help="scenario names (or prefixes) to run")
    ap.add_argument("--jobs", type=int, default=2, help="scenarios built in parallel (default 2)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild venvs even when cached")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--binary", "--bin", default=os.path.join(REPO, "target", "release", "abi-doctor"))
    ap.add_argument("--offline", action="store_true", help="build nothing: scenarios whose venv is not cached are skipped (visibly; they fail under CI or ABI_DOCTOR_STRICT=1)")
    ap.add_argument("--json", dest="json_out", help="write results JSON here (default: CACHE/scenarios/results.json)")
    ap.add_argument("--no-apply", action="store_true", help="do not run `fix --apply` on copies of the broken scenarios")
    ap.add_argument("--verify-timeout", type=int, default=120, help="per-import timeout given to verify")
    args, unknown = ap.parse_known_args()  # run.sh passes every suite the same arguments
    if unknown:
        log("(ignoring arguments meant for other suites: %s)" % " ".join(unknown))

    t_start = time.time()
    scen = load_scenarios()
    if args.only:
        scen = [s for s in scen if any(s["name"] == o or s["name"].startswith(o) for o in args.only)]
    root = os.path.join(CACHE, "scenarios")
    os.makedirs(root, exist_ok=True)
    for s in scen:
        s["hash"] = recipe_hash(s)
        s["dir"] = os.path.join(root, "%s-%s" % (s["name"], s["hash"]))
    results = {s["name"]: {"scenario": s["name"], "python": s["python"], "description": s.get("description"), "status": None,
                           "problems": [], "real_error_text": None} for s in scen}

    runnable = []
    for s in scen:
        try:
            interpreter(s)
            missing = None
        except interpreters.Missing as e:
            missing = str(e)
        if missing and interpreters.strict():
            # CI / ABI_DOCTOR_STRICT=1: a scenario that cannot run fails.
            log("!!! FAIL %s: INTERPRETER MISSING: %s" % (s["name"], missing))
            results[s["name"]]["status"] = "FAIL"
            results[s["name"]]["problems"].append("interpreter missing: %s" % missing)
        elif missing:
            log("!!! SKIP %s: INTERPRETER MISSING: %s" % (s["name"], missing))
            results[s["name"]]["status"] = "SKIP"
            results[s["name"]]["problems"].append("interpreter missing: %s" % missing)
        elif args.offline and not os.path.exists(os.path.join(s["dir"], "built.json")):
            strict = interpreters.strict()
            log("!!! %s %s: --offline and its environment is not cached at %s" % ("FAIL" if strict else "SKIP", s["name"], s["dir"]))
            results[s["name"]]["status"] = "FAIL" if strict else "SKIP"
            results[s["name"]]["problems"].append("offline, not cached")
        else:
            runnable.append(s)

    log("== building %d scenario environments under %s (jobs %d)" % (len(runnable), root, args.jobs))

    def do_build(s):
        t0 = time.time()
        ok, secs, note = build(s, args.rebuild)
        log("   %-40s %-7s %6.1fs  %s" % (s["name"], "ok" if ok else "FAILED", time.time() - t0, note))
        return s["name"], ok, time.time() - t0, note

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        for name, ok, secs, note in ex.map(do_build, runnable):
            results[name]["build_seconds"] = round(secs, 1)
            if not ok:
                results[name]["status"] = "FAIL"
                results[name]["problems"].append("BUILD: " + note)
    if args.build_only:
        return 1 if any(r["status"] == "FAIL" for r in results.values()) else 0

    have = os.path.exists(args.binary)
    if not have:
        log("!!! %s not found: run `cargo build --release` first" % args.binary)
        return 2
    have_verify = has_subcommand(args.binary, "verify")
    have_explain = has_subcommand(args.binary, "explain")
    have_fix = has_subcommand(args.binary, "fix")
    if not have_verify:
        log("!!! abi-doctor has no `verify` subcommand yet: real outcomes cannot be compared")
        return 2

    rolled_back = False
    for s in runnable:
        res = results[s["name"]]
        if res["status"] == "FAIL":
            continue
        t0 = time.time()
        venv = os.path.join(s["dir"], "venv")
        py = os.path.join(venv, "bin", "python")
        ccode, check, _, cerr = run_json([args.binary, "check", "--env", venv, "--format", "json"], extra_env=scenario_env(s))
        with open(os.path.join(s["dir"], "check.json"), "w") as f:
            json.dump(check, f, indent=1)
        vcode, verify, _, verr = run_json([args.binary, "verify", "--env", venv, "--format", "json", "--timeout", str(args.verify_timeout)], extra_env=scenario_env(s))
        with open(os.path.join(s["dir"], "verify.json"), "w") as f:
            json.dump(verify, f, indent=1)
        if check is None or verify is None:
            res["status"] = "FAIL"
            if check is None:
                res["problems"].append("CHECK: no JSON (exit %d): %s" % (ccode, norm(cerr)[:300]))
            if verify is None:
                res["problems"].append("VERIFY: no JSON (exit %d): %s" % (vcode, norm(verr)[:300]))
            res["seconds"] = round(time.time() - t0 + res.get("build_seconds", 0), 1)
            continue
        problems, stats = compare(s, check, verify)
        res.update(stats)
        res["numpy"] = (check.get("numpy") or {}).get("version")
        res["check_exit"] = ccode
        res["verify_exit"] = vcode
        res["cascades"] = check.get("cascades")
        res["fix_hint"] = check.get("fix_hint")
        # The real error of a failing top-level import, for `explain`.
        imp_name, text = capture_real_error(s, py)
        res["real_error_import"] = imp_name
        res["real_error_text"] = text or None
        if text:
            with open(os.path.join(s["dir"], "real_error.txt"), "w") as f:
                f.write(text)
            if import_family(verify, imp_name) and have_explain:
                # The packages `explain` may rightly name: the top-level import, the distribution
                # of every module that failed of NumPy.
                dists = {imp_name.split(".")[0]}
                for m in verify.get("modules", []):
                    imp = m.get("import") or m
                    if imp.get("outcome") in FAILED and family(m):
                        dists.add(m.get("distribution"))
                        dists.add((m.get("module") or "").split(".")[0])
                eprobs, edata = explain_checks(args.binary, s, text, res["numpy"], dists)
                res["explain"] = edata
                problems += eprobs
        # `abi-doctor fix`: a broken scenario gets a proven plan, or (fix_conflict) the blocker
        # and no plan that moves NumPy out of what the blocking requirement admits.
        if have_fix and ccode == 1:
            fprobs, fdata = fix_checks(args.binary, s)
            res["fix"] = fdata
            problems += fprobs
            if not args.no_apply:
                # `fix --apply --yes` on a copy; the first broken scenario also rolls a copy back.
                aprobs, adata = apply_checks(args.binary, s, rollback=not rolled_back)
                rolled_back = rolled_back or "rollback" in adata
                res["apply"] = adata
                problems += aprobs
        res["problems"] += problems
        res["status"] = "FAIL" if problems else "PASS"
        res["seconds"] = round(time.time() - t0 + res.get("build_seconds", 0), 1)
        log("-- %s: %s (%d modules, %d real NumPy failures, %d predicted, %d agreed) %.0fs"
            % (s["name"], res["status"], res.get("modules", 0), res.get("real", 0), res.get("predicted", 0), res.get("agreed", 0), time.time() - t0))
        for p in problems:
            log("     " + p)

    total = time.time() - t_start
    log("")
    log("np-real: modules whose import failed with a NumPy message (verify); predicted: modules check predicts to fail;")
    log("agreed: both, same message; casc: real failures raised in another module (counted under that module); npy5: NPY005 modules")
    log("apply: `fix --apply --yes` on a copy: distributions changed / top-level imports ok / check exit of the copy")
    log("       (refused: not applied, the blocker reported; a rollback of a second copy is checked once)")
    hdr = "%-34s %-7s %7s %8s %9s %6s %5s %5s %-16s %7s  %s" % ("scenario", "python", "modules", "np-real", "predicted", "agreed", "casc", "npy5", "apply", "time", "result")
    log(hdr)
    log("-" * len(hdr))
    for s in scen:
        r = results[s["name"]]
        log("%-34s %-7s %7s %8s %9s %6s %5s %5s %-16s %6ss  %s" % (
            s["name"][:34], s["python"], r.get("modules", "-"), r.get("real", "-"), r.get("predicted", "-"),
            r.get("agreed", "-"), len(r["cascaded"]) if "cascaded" in r else "-", len(r.get("npy005") or []) if r.get("status") not in ("SKIP",) else "-",
            apply_cell(r.get("apply")), r.get("seconds", r.get("build_seconds", "-")), r["status"]))
    npass = sum(1 for r in results.values() if r["status"] == "PASS")
    nfail = sum(1 for r in results.values() if r["status"] == "FAIL")
    nskip = sum(1 for r in results.values() if r["status"] == "SKIP")
    log("")
    log("scenarios: %d passed, %d failed, %d skipped; total %.0fs" % (npass, nfail, nskip, total))
    out = args.json_out or os.path.join(root, "results.json")
    with open(out, "w") as f:
        json.dump({"total_seconds": round(total, 1), "binary": args.binary, "scenarios": [results[s["name"]] for s in scen]}, f, indent=1)
    log("results: %s" % out)
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
