#!/usr/bin/env python3
"""Summary table of one scripts/bench/env.sh run. Usage: summary.py OUTDIR BIN"""
import json
import os
import re
import sys

out = sys.argv[1]


def load(name, default=None):
    p = os.path.join(out, name)
    if not os.path.exists(p):
        return default
    with open(p) as fh:
        return json.load(fh) if name.endswith(".json") else fh.read()


def maxrss_mb(name):
    txt = load(name, "")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", txt)
    return int(m.group(1)) / 1024 if m else float("nan")


inv = load("inventory.json", {})
hf = {r["command"]: r for r in load("hyperfine.json", {"results": []})["results"]}
try:
    scanned = load("check.json", {}).get("binaries_scanned")
except ValueError:
    scanned = None
verbose = load("check-verbose.txt", "")
m = re.search(r"scanned (\d+) binaries in (\d+) ms", verbose)
imports = (load("imports.json") or {}).get("summary")


def row(name):
    r = hf.get(name)
    if not r:
        return "n/a"
    return (f"{r['mean']*1e3:7.1f} ms ± {r['stddev']*1e3:5.1f}  (min {r['min']*1e3:.1f}, "
            f"max {r['max']*1e3:.1f}; CPU user+sys {1e3*(r['user']+r['system']):.0f} ms; "
            f"{len(r['times'])} runs)")


lines = [
    ("site-packages bytes (du -sb)", load("site_du_bytes.txt", "?").strip()),
    ("site-packages files", inv.get("files")),
    ("binaries (ELF files) / bytes", f"{inv.get('binaries')} / {inv.get('binary_bytes')}"),
    ("extension modules (PyInit_) / bytes", f"{inv.get('extensions')} / {inv.get('extension_bytes')}"),
    ("binaries abi-doctor inspected", scanned),
    ("check --verbose scan time", f"{m.group(2)} ms for {m.group(1)} binaries" if m else "n/a"),
    ("check --format json", row("check")),
    ("rg -a -l _ARRAY_API", row("ripgrep")),
    ("inspect --format json SITE (inspection only)", row("inspect-only")),
]
if "check" in hf and "ripgrep" in hf:
    c, r = hf["check"], hf["ripgrep"]
    ratio = c["mean"] / r["mean"]
    cpu = (c["user"] + c["system"]) / (r["user"] + r["system"])
    lines.append(("ratio check/ripgrep, wall (target <= 0.25)",
                  f"{ratio:.2f} {'OK' if ratio <= 0.25 else 'MISSED'}"))
    lines.append(("ratio check/ripgrep, CPU user+sys", f"{cpu:.2f}"))
rss = maxrss_mb("time-check.txt")
lines.append(("peak RSS check (target < 150 MB)", f"{rss:.1f} MB {'OK' if rss < 150 else 'MISSED'}"))
lines.append(("peak RSS rg", f"{maxrss_mb('time-rg.txt'):.1f} MB"))
if imports:
    lines.append(("import every extension module, 2 jobs",
                  f"{imports['wall_seconds']} s wall for {imports['modules']} modules "
                  f"({imports['failed']} failed to import)"))
    if "check" in hf:
        lines.append(("import-all / check", f"{imports['wall_seconds'] / hf['check']['mean']:.0f}x"))

print()
print(load("machine.txt", "").rstrip())
print()
w = max(len(k) for k, _ in lines)
for k, v in lines:
    print(f"{k:<{w}}  {v}")
with open(os.path.join(out, "summary.txt"), "w") as fh:
    fh.write((load("machine.txt", "") or "") + "\n" + "\n".join(f"{k:<{w}}  {v}" for k, v in lines) + "\n")
