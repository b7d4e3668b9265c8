#!/usr/bin/env python3
"""Count what is in a site-packages tree: all files, ELF/Mach-O/PE binaries, and
importable extension modules (binaries exporting PyInit_<name>, excluding
bundled libraries under *.libs/ and the like). Writes inventory.json and modules.txt.

Usage: inventory.py SITE_PACKAGES OUTDIR
"""
import json
import os
import sys

MAGIC = (b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"MZ")
SUFFIXES = (".so", ".pyd")


def main():
    site, out = sys.argv[1], sys.argv[2]
    n_all = b_all = n_bin = b_bin = n_ext = b_ext = 0
    mods = set()
    for root, _dirs, files in os.walk(site):
        for f in files:
            p = os.path.join(root, f)
            if os.path.islink(p) or not os.path.isfile(p):
                continue
            size = os.path.getsize(p)
            n_all += 1
            b_all += size
            with open(p, "rb") as fh:
                head = fh.read(4)
            if not any(head.startswith(m) for m in MAGIC):
                continue
            if head.startswith(b"MZ") and not f.lower().endswith((".pyd", ".dll", ".exe")):
                continue
            n_bin += 1
            b_bin += size
            if not f.endswith(SUFFIXES):
                continue
            name = f.split(".")[0]
            with open(p, "rb") as fh:
                if b"PyInit_" + name.encode() + b"\x00" not in fh.read():
                    continue  # a shared library, not a module
            rel = os.path.relpath(os.path.join(root, name), site)
            parts = rel.split(os.sep)
            if any(not x.isidentifier() for x in parts):
                continue  # e.g. numpy.libs/..., not importable by name
            n_ext += 1
            b_ext += size
            mods.add(".".join(parts))
    inv = dict(files=n_all, bytes=b_all, binaries=n_bin, binary_bytes=b_bin,
               extensions=n_ext, extension_bytes=b_ext)
    with open(os.path.join(out, "inventory.json"), "w") as fh:
        json.dump(inv, fh, indent=1)
    with open(os.path.join(out, "modules.txt"), "w") as fh:
        fh.write("".join(m + "\n" for m in sorted(mods)))
    print(json.dumps(inv))


if __name__ == "__main__":
    main()
