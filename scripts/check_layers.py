#!/usr/bin/env python3
"""The library's top-level modules must not depend on each other in a cycle.

Reads src/ as text: every `crate::<module>` reference outside comments and test modules is an
edge from the module of the file to <module>. Prints the edges (with -v, the files behind each)
and exits 1 when the graph has a cycle (a strongly connected component of more than one module).
`cli/` and `main.rs` sit on top and are left out.

    python3 scripts/check_layers.py [-v]
"""
import collections
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")


def modules():
    out = []
    for name in os.listdir(ROOT):
        if os.path.isdir(os.path.join(ROOT, name)):
            out.append(name)
        elif name.endswith(".rs") and name not in ("lib.rs", "main.rs"):
            out.append(name[:-3])
    return out


def edges(top):
    deps = collections.defaultdict(lambda: collections.defaultdict(set))
    for root, _, files in os.walk(ROOT):
        for f in files:
            if not f.endswith(".rs") or f in ("tests.rs", "fixtures.rs", "test_support.rs"):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, ROOT)
            mod = rel.split(os.sep)[0].replace(".rs", "")
            if mod in ("lib", "main", "cli"):
                continue
            text = open(path, encoding="utf-8").read()
            cut = re.search(r"#\[cfg\(test\)\]\s*\n\s*(pub(\(crate\))? )?mod ", text)
            if cut:
                text = text[: cut.start()]
            code = "\n".join(l for l in text.split("\n") if not l.strip().startswith("//"))
            for m in re.findall(r"crate::([a-z_]+)", code):
                if m != mod and m in top:
                    deps[mod][m].add(rel)
    return deps


def cycles(deps):
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in deps[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(deps):
        if v not in index:
            visit(v)
    return out


def main():
    deps = edges(modules())
    for m in sorted(deps):
        if "-v" in sys.argv:
            print(m, "->", {k: sorted(v) for k, v in sorted(deps[m].items())})
        else:
            print(m, "->", ", ".join(sorted(deps[m])))
    found = cycles(deps)
    if found:
        for c in found:
            print("CYCLE:", " <-> ".join(c))
        return 1
    print("no cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
