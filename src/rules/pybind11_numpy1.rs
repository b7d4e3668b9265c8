//! NPY005 pybind11-numpy1: a pybind11 <= 2.11 module using `numpy.h`, installed with NumPy 2.
//!
//! ## What it detects
//! A pybind11 module whose `numpy.h` is the pre-2.12 one: it imports `numpy.core.multiarray` and
//! reads `_ARRAY_API`, with no trace of `numpy._core` (pybind11 >= 2.12 has both), while the
//! installed NumPy is 2.x.
//!
//! ## Why it breaks
//! pybind11 <= 2.11 hard-codes the NumPy 1.x `PyArray_Descr` layout. NumPy 2 still serves
//! `numpy.core.multiarray._ARRAY_API` to it without a warning, so the module imports, and then
//! reads the wrong fields: `dtype().itemsize()` returns 0, arrays it creates hold wrong values.
//! No exception tells you.
//!
//! ## Example
//! No message: `import mod` succeeds; `py::array_t<double>(3)` filled with 0, 1, 2 reads back
//! `[2.0, 2.0, 2.0]` under NumPy 2.0.2 (see docs/import-behaviour.md#old-pybind11-on-numpy-2).
//!
//! ## Fix
//! `PY -m pip install 'numpy>=1.26,<2'` (PY being the environment's interpreter, as `check`
//! prints it), or move the package to a release built with pybind11 >= 2.12 (`abi-doctor fix`
//! names the exact one).
//!
//! ## References
//! pybind11 2.12.0 changelog ("make numpy.h compatible with both NumPy 1.x and 2.x");
//! NumPy 2's `numpy/core/multiarray.py` (keeps `_ARRAY_API` for it); abi-doctor
//! docs/binary-evidence.md#pybind11.

use super::{module_finding, Finding, Rule, Scan, Severity};
use crate::binary::Pybind11Numpy;

pub const RULE: Rule = Rule {
    code: "NPY005",
    name: "pybind11-numpy1",
    source: include_str!("pybind11_numpy1.rs"),
    check,
};

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    let Some(rt) = &scan.numpy else { return };
    if rt.release.major() < 2 {
        return;
    }
    for m in &scan.modules {
        let Some(pb) = &m.facts.toolchain.pybind11 else {
            continue;
        };
        if pb.numpy != Pybind11Numpy::Numpy1Only {
            continue;
        }
        let mut f = module_finding(
            scan,
            m,
            &RULE,
            Severity::Error,
            format!(
                "imports under NumPy {} but pybind11 <= 2.11 numpy.h reads NumPy 1.x layouts: wrong results, no error",
                rt.version
            ),
        );
        f.evidence = vec![
            format!(
                "pybind11 internals {}; strings \"numpy.core.multiarray\" and \"_ARRAY_API\" without \"numpy._core\" (numpy.h of pybind11 <= 2.11)",
                pb.internals.as_deref().unwrap_or("(key not found)")
            ),
            format!(
                "{} (2.x layouts)",
                scan.installed(&format!("NumPy {}", rt.version))
            ),
        ];
        // The module's own window bounds NumPy on both sides (a 1.x build: `>=1.X,<2`).
        let spec = crate::rules::predict::compatible_specifier(&m.facts.numpy)
            .filter(|s| s.starts_with(">="))
            .unwrap_or_else(|| "<2".to_string());
        f.fix_hint = Some(format!(
            "{}, or upgrade the package to a release built with pybind11 >= 2.12",
            scan.target.pip_install(&format!("\"numpy{spec}\""))
        ));
        out.push(f);
    }
}
