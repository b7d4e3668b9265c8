"""Validates abi-doctor JSON reports against a report's JSON Schema (draft 2020-12, from
`abi-doctor schema REPORT` / docs/schema/) with jsonschema. Prints one line per error and
`N errors` last; exit 0 only when there are none.

With --strict, every object schema that lists `properties` and says nothing of
`additionalProperties` is closed first (additionalProperties: false), so a key the report prints
but the schema does not describe is an error too. The published schemas stay open: fields may be
added within a schema version.

usage: validate.py [--strict] SCHEMA.json REPORT.json...
"""
import json
import sys

import jsonschema


def close(node):
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for v in node.values():
            close(v)
    elif isinstance(node, list):
        for v in node:
            close(v)


def main():
    args = sys.argv[1:]
    strict = args[:1] == ["--strict"]
    if strict:
        args = args[1:]
    with open(args[0], encoding="utf-8") as f:
        schema = json.load(f)
    if strict:
        close(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    errors = 0
    for path in args[1:]:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            errors += 1
            where = "/".join(str(p) for p in e.absolute_path)
            print(f"{path}: /{where}: {e.message[:300]}")
    print(f"{errors} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
