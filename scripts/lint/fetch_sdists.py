#!/usr/bin/env python3
"""Download sdists from PyPI and keep only their project files, for the `lint` tests.

    python3 scripts/lint/fetch_sdists.py DEST NAME==VERSION ...

For each NAME==VERSION: ask PyPI's JSON API (https://pypi.org/pypi/NAME/VERSION/json, or the
project's https://pypi.org/pypi/NAME/json where the first is not served) for the sdist, download it, check its sha256 against the digest PyPI lists, and extract only the project
files at the top of the sdist (pyproject.toml, setup.py, setup.cfg) into DEST/NAME-VERSION/.
Members are read by name, never extracted wholesale: no path from the archive is used as a path
here, links and non-regular members are skipped, and each file is capped at 1 MiB. A finished
directory holds a `.complete` file and is not fetched again. The sdist itself is not kept.
Standard library only.
"""
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile

WANTED = ("pyproject.toml", "setup.py", "setup.cfg")
CAP = 1 << 20
SDIST_CAP = 512 << 20


def get(url, cap):
    with urllib.request.urlopen(url, timeout=60) as r:
        data = r.read(cap + 1)
    if len(data) > cap:
        raise SystemExit(f"{url}: over {cap} bytes")
    return data


def sdist_of(name, version):
    """The sdist's entry in PyPI's JSON API: the release's own page, or, where that page is not
    served, the release's files listed in the project's page."""
    page = f"https://pypi.org/pypi/{name}/{version}/json"
    try:
        files = json.loads(get(page, 16 << 20))["urls"]
    except urllib.error.HTTPError as e:
        if e.code != 404:
            raise
        page = f"https://pypi.org/pypi/{name}/json"
        project = json.loads(get(page, 128 << 20))
        files = project.get("releases", {}).get(version, [])
    for u in files:
        if u.get("packagetype") == "sdist":
            # A mirror may list the file relative to the page.
            return dict(u, url=urllib.parse.urljoin(page, u["url"]))
    raise SystemExit(f"{name} {version}: PyPI lists no sdist")


def top_level(member):
    """'pkg-1.0/setup.py' -> 'setup.py' when the member sits directly under the top folder."""
    parts = member.split("/")
    if len(parts) == 2 and parts[1] in WANTED:
        return parts[1]
    return None


def extract(filename, data):
    out = {}
    if filename.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                want = top_level(info.filename)
                if want and not info.is_dir() and info.file_size <= CAP:
                    with z.open(info) as f:
                        out[want] = f.read(CAP + 1)[:CAP]
    else:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as t:
            for m in t:
                want = top_level(m.name)
                if want and m.isreg() and m.size <= CAP:
                    f = t.extractfile(m)
                    if f is not None:
                        out[want] = f.read(CAP + 1)[:CAP]
    return out


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    dest = sys.argv[1]
    for spec in sys.argv[2:]:
        name, version = spec.split("==")
        d = os.path.join(dest, f"{name}-{version}")
        if os.path.exists(os.path.join(d, ".complete")):
            continue
        u = sdist_of(name, version)
        data = get(u["url"], SDIST_CAP)
        want = u.get("digests", {}).get("sha256")
        got = hashlib.sha256(data).hexdigest()
        if want and want != got:
            raise SystemExit(f"{u['filename']}: sha256 {got}, PyPI says {want}")
        files = extract(u["filename"], data)
        if not files:
            raise SystemExit(f"{u['filename']}: no project file at its top")
        os.makedirs(d, exist_ok=True)
        for fname, content in files.items():
            with open(os.path.join(d, fname), "wb") as f:
                f.write(content)
        with open(os.path.join(d, ".complete"), "w") as f:
            f.write(f"{u['filename']} sha256={got}\n")
        print(f"{name} {version}: {', '.join(sorted(files))} from {u['filename']}")


if __name__ == "__main__":
    main()
