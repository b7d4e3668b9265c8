"""The PEP 440 subset the real-world suites need: numeric release segments and the specifier
operators ~= == != <= >= < > (with `==X.*` / `!=X.*`). Shared by wheels.py and scenarios.py."""
import re


def vtuple(v):
    """"1.26.4" -> (1, 26, 4); stops at the first non-numeric segment ("2.0.0rc1" -> (2, 0, 0))."""
    parts = []
    for p in str(v).split("."):
        m = re.match(r"\d+", p)
        if not m:
            break
        parts.append(int(m.group(0)))
    return tuple(parts)


def vcmp(a, b):
    """Compare two version tuples, missing segments counting as 0."""
    n = max(len(a), len(b))
    a = a + (0,) * (n - len(a))
    b = b + (0,) * (n - len(b))
    return (a > b) - (a < b)


def satisfies(version, spec):
    """True if `version` satisfies every clause of `spec` (">=0.29.33,<3"); ValueError on a
    clause outside the subset."""
    v = vtuple(version)
    for clause in [c.strip() for c in spec.split(",") if c.strip()]:
        m = re.match(r"(~=|==|!=|<=|>=|<|>)\s*([0-9][0-9.]*(?:\.\*)?)$", clause)
        if not m:
            raise ValueError("unsupported specifier clause %r" % clause)
        op, target = m.groups()
        if target.endswith(".*"):
            pre = vtuple(target[:-2])
            same = v[: len(pre)] == pre
            if op not in ("==", "!=") or (op == "==") != same:
                return False
            continue
        t = vtuple(target)
        c = vcmp(v, t)
        ok = {
            "==": c == 0, "!=": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0,
            "~=": c >= 0 and v[: len(t) - 1] == t[: len(t) - 1],
        }[op]
        if not ok:
            return False
    return True
