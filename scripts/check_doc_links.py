#!/usr/bin/env python3
"""Check that every docs/ page the repository cites exists, with the section it names.

Scans the tracked files (and untracked ones not ignored) for citations such as
`docs/numpy-abi.md#feature-version`, and the Markdown pages under docs/ for relative links such as
`](struct-sizes.md#header-sizes)`. A citation fails when the file is missing or when the anchor is
not the GitHub anchor of one of the page's headings. It also fails on citations of notes that are
not part of the repository (notes kept outside it), so that the repository stays
self-contained.

Usage: python3 scripts/check_doc_links.py   (from anywhere inside the repository)
Exit status: 0 all citations resolve; 1 otherwise (each problem printed as FILE:LINE: message).
Python 3 standard library only.
"""
import os
import re
import subprocess
import sys

ROOT = subprocess.run(
    ["git", "rev-parse", "--show-toplevel"],
    capture_output=True, text=True, cwd=os.path.dirname(os.path.abspath(__file__)),
).stdout.strip() or os.getcwd()
SELF = os.path.relpath(os.path.abspath(__file__), ROOT)

# docs/<page>.md, optionally #anchor; the page name may contain letters, digits, - and _.
CITATION = re.compile(r"(?<![\w/.-])docs/([\w-]+(?:/[\w-]+)*\.md)(?:#([\w-]+))?")
# Relative Markdown links inside docs/ pages: ](page.md) or ](page.md#anchor) or ](#anchor).
MD_LINK = re.compile(r"\]\(((?:[\w-]+\.md)?)(?:#([\w-]+))?\)")
# Notes outside the repository that must not be cited (spelled in pieces so this file passes).
OUTSIDE = re.compile("FA" + r"CTS\.md|\.\./" + "shared/")


def files():
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    ).stdout.split("\n")
    for f in out:
        if not f or f == SELF or f.startswith("tests/fixtures/bin/") or f.startswith("target/"):
            continue
        path = os.path.join(ROOT, f)
        if os.path.isfile(path):
            yield f, path


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


_anchors = {}


def anchors(page):
    if page not in _anchors:
        found = set()
        counts = {}
        in_code = False
        with open(os.path.join(ROOT, "docs", page), encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("```"):
                    in_code = not in_code
                    continue
                m = None if in_code else re.match(r"#{1,6}\s+(.*?)\s*#*\s*$", line)
                if m:
                    base = slug(m.group(1))
                    n = counts.get(base, 0)
                    counts[base] = n + 1
                    found.add(base if n == 0 else f"{base}-{n}")
        _anchors[page] = found
    return _anchors[page]


def check(page, anchor, where, problems):
    if not os.path.isfile(os.path.join(ROOT, "docs", page)):
        problems.append(f"{where}: docs/{page} does not exist")
    elif anchor and anchor not in anchors(page):
        problems.append(f"{where}: docs/{page} has no section #{anchor}")


def main():
    problems = []
    cited = 0
    for rel, path in files():
        try:
            text = open(path, encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        in_docs = rel.startswith("docs/") and rel.endswith(".md")
        for n, line in enumerate(text.split("\n"), 1):
            where = f"{rel}:{n}"
            for m in CITATION.finditer(line):
                cited += 1
                check(m.group(1), m.group(2), where, problems)
            if in_docs:
                here = os.path.relpath(path, os.path.join(ROOT, "docs"))
                for m in MD_LINK.finditer(line):
                    cited += 1
                    check(m.group(1) or here, m.group(2), where, problems)
            if OUTSIDE.search(line):
                problems.append(f"{where}: cites a note outside the repository")
    for p in problems:
        print(p)
    print(f"{cited} docs citations checked, {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
