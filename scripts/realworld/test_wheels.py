#!/usr/bin/env python3
"""Unit checks of wheels.py's logic on synthetic inspect entries (no wheel, no binary needed).

Run: python3 scripts/realworld/test_wheels.py
"""

import copy
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wheels as W  # noqa: E402

DATA = json.loads(W.DATA.read_text())
KNOWLEDGE = json.loads(W.KNOWLEDGE.read_text())
BY_ID = {w["id"]: w for w in DATA["wheels"]}


def exp(wid):
    return W.Expectation(BY_ID[wid], DATA, KNOWLEDGE)


def entry(abi, feat, headers, sizes, fvs=None, cython=None, pybind11=None, arch="x86_64", name="pkg/mod.so"):
    scalars = ["generic", "number", "integer", "signedinteger", "unsignedinteger", "inexact",
               "floating", "complexfloating", "flexible", "character"]
    tcs = [{"type": t, "expected_size": s, "check_size": "ignore"} for t, s in sizes.items()]
    if sizes:
        tcs += [{"type": t, "expected_size": 16, "check_size": "warn"} for t in scalars]
    return {
        "path": f"w.whl!{name}",
        "format": "elf",
        "arch": arch,
        "module_init": "mod",
        "numpy": {
            "uses_c_api": abi is not None,
            "umath_only": False,
            "headers": headers,
            "abi_version": abi,
            "feature_version": feat,
            "feature_version_string": fvs,
            "headers_without_import": abi is None and bool(sizes),
            "type_checks": tcs,
            "compatible": None,
            "independent": abi is None and not sizes,
            "evidence": [],
        },
        "toolchain": {
            "cython": {"version": cython} if cython else None,
            "f2py": None,
            "pybind11": pybind11,
            "nanobind": None,
        },
        "needed": [],
        "problems": [],
    }


NP1 = dict(dtype=96, flatiter=2632, broadcast=560, ndarray=96, ufunc=232)
NP2 = dict(dtype=32, flatiter=2632, broadcast=304, ndarray=88, ufunc=216)


class Specifiers(unittest.TestCase):
    def test_satisfies(self):
        self.assertTrue(W.satisfies("0.29.36", ">=0.29.33,<3"))
        self.assertFalse(W.satisfies("3.0.11", ">=0.29.33,<3"))
        self.assertTrue(W.satisfies("3.0.11", "~=3.0.5"))
        self.assertFalse(W.satisfies("3.1.0", "~=3.0.5"))
        self.assertFalse(W.satisfies("0.29.30", ">=0.29.31,<1"))

    def test_pybind11_mode(self):
        self.assertEqual(W.pybind11_mode(">=2.10.4,<2.11.1", "2.12.0"), "numpy1_only")
        self.assertEqual(W.pybind11_mode(">=2.12.0,<2.13.0", "2.12.0"), "numpy2_aware")
        self.assertIsNone(W.pybind11_mode(">=2.10", "2.12.0"))
        self.assertEqual(W.pybind11_mode("<2.12", "2.12.0"), "numpy1_only")


class Derivation(unittest.TestCase):
    def test_numpy_1_23_build(self):
        e = exp("pandas-2.1.4")
        self.assertEqual(e.abi, {"0x1000009"})
        self.assertEqual(e.feature, {"0x10"})
        self.assertEqual(e.headers, {"1.16-1.23"})
        self.assertEqual(e.feature_string, {None})
        self.assertEqual(set(e.sizes["ndarray"]), {96, 16})

    def test_numpy_2_1_build(self):
        e = exp("pandas-2.2.3")
        self.assertEqual(e.abi, {"0x2000000"})
        self.assertEqual(e.feature, {"0xe"})
        self.assertEqual(e.feature_string, {"1.20"})
        self.assertEqual(e.headers, {"2.x"})
        self.assertEqual(set(e.sizes["broadcast"]), {304, 560})  # C and C++
        self.assertEqual(set(e.sizes["dtype"]), {32})

    def test_numpy_2_0_build(self):
        e = exp("numba-0.60.0")
        self.assertEqual(e.feature, {"0xd"})
        self.assertEqual(e.feature_string, {"1.16"})

    def test_c_only_wheel_rejects_cxx_broadcast(self):
        self.assertEqual(set(exp("h5py-3.12.1").sizes["broadcast"]), {304})

    def test_pybind11(self):
        self.assertEqual(exp("scipy-1.11.4").pybind11, "numpy1_only")
        self.assertEqual(exp("scipy-1.14.1").pybind11, "numpy2_aware")


class ModuleCheck(unittest.TestCase):
    def test_agreeing_modules(self):
        self.assertEqual(W.check_module(entry("0x1000009", "0x10", "1.16-1.23", NP1, cython="0.29.36"), exp("pandas-2.1.4"), None), [])
        self.assertEqual(W.check_module(entry("0x2000000", "0xe", "2.x", NP2, fvs="1.20", cython="3.0.11"), exp("pandas-2.2.3"), None), [])
        nodep = dict(NP1, ndarray=16)
        self.assertEqual(W.check_module(entry(None, None, None, nodep, cython="0.29.36"), exp("scikit-learn-1.3.2"), None), [])

    def fields(self, e, wid, mk=None):
        return [f for (f, _x, _g) in W.check_module(e, exp(wid), mk)]

    def test_numpy1_module_in_numpy2_wheel_fails(self):
        f = self.fields(entry("0x1000009", "0x10", "1.16-1.23", NP1, cython="0.29.36"), "pandas-2.2.3")
        self.assertIn("numpy.abi_version", f)
        self.assertIn("numpy.feature_version", f)
        self.assertIn("numpy.headers", f)
        self.assertIn("numpy.feature_version_string", f)
        self.assertIn("numpy.type_checks[dtype].expected_size", f)
        self.assertIn("toolchain.cython.version (major)", f)

    def test_wrong_feature_version_fails(self):
        self.assertEqual(self.fields(entry("0x2000000", "0xd", "2.x", NP2, fvs="1.20"), "pandas-2.2.3"), ["numpy.feature_version"])

    def test_missing_values_fail(self):
        f = self.fields(entry("0x2000000", None, "2.x", NP2, fvs="1.20"), "scipy-1.14.1")
        self.assertEqual(f, ["numpy.feature_version"])

    def test_bogus_size_fails(self):
        e = entry("0x2000000", "0xe", "2.x", NP2, fvs="1.20")
        e["numpy"]["type_checks"].append({"type": "dtype", "expected_size": 0, "check_size": None})
        self.assertEqual(self.fields(e, "pandas-2.2.3"), ["numpy.type_checks[dtype].expected_size"])

    def test_target_latest_sizes_rejected(self):
        self.assertIn("numpy.type_checks[dtype].expected_size", self.fields(entry("0x2000000", "0xe", "2.x", dict(NP2, dtype=88), fvs="1.20"), "pandas-2.2.3"))

    def test_markers_catch_missed_detection(self):
        e = entry(None, None, None, {})
        mk = {"capi": True, "cython_numpy": True, "pybind11_numpy_h": False}
        f = self.fields(e, "pandas-2.1.4", mk)
        self.assertIn("numpy.uses_c_api", f)
        self.assertIn("numpy.type_checks", f)

    def test_pybind11_mode_checked(self):
        pb = {"internals": "__pybind11_internals_v4_gcc_libstdcpp_cxxabi1014__", "numpy": "numpy2_aware"}
        self.assertEqual(self.fields(entry(None, None, None, {}, pybind11=pb), "scipy-1.11.4"), ["toolchain.pybind11.numpy"])
        pb_unused = dict(pb, numpy="not_used")
        mk = {"capi": False, "cython_numpy": False, "pybind11_numpy_h": True}
        self.assertEqual(self.fields(entry(None, None, None, {}, pybind11=pb_unused), "scipy-1.14.1", mk), ["toolchain.pybind11.numpy"])

    def test_arch_checked(self):
        self.assertEqual(self.fields(entry("0x2000000", "0xe", "2.x", NP2, fvs="1.20", arch="x86_64"), "pandas-2.2.3-aarch64"), ["arch"])


class ArchComparison(unittest.TestCase):
    def test_pairs_by_member_and_finds_differences(self):
        x = entry("0x2000000", "0xe", "2.x", NP2, fvs="1.20", name="p/m.cpython-311-x86_64-linux-gnu.so")
        a = copy.deepcopy(x)
        a["arch"] = "aarch64"
        a["path"] = "w.whl!p/m.cpython-311-aarch64-linux-gnu.so"
        self.assertEqual(W.compare_arch([a], [x]), [])
        a["numpy"]["feature_version"] = "0xd"
        self.assertEqual([f for (_m, f, _x, _g) in W.compare_arch([a], [x])], ["same as x86_64: feature_version"])
        self.assertEqual(len(W.compare_arch([], [x])), 1)


if __name__ == "__main__":
    unittest.main(verbosity=1)
