//! NPY002 numpy1-on-numpy2: a module compiled against NumPy 1.x headers, installed with NumPy 2.
//!
//! ## What it detects
//! The module's `import_array()` code comes from NumPy 1.x headers (ABI version 0x01000009, read
//! from the binary), and the installed NumPy is 2.x (ABI 0x02000000).
//!
//! ## Why it breaks
//! NumPy 2 changed the binary layout of `dtype` and other structs. Modules built with NumPy
//! 1.16-1.26 headers import `numpy.core._multiarray_umath`, which NumPy 2 keeps only as a shim that
//! refuses them; modules built with <= 1.15 headers reach the C ABI check in `_import_array()`.
//!
//! ## Example
//! NumPy 2 first prints a notice, `A module that was compiled using NumPy 1.x cannot be run in
//! NumPy 2.0.2 as it may crash. ...`; the traceback shows `AttributeError: _ARRAY_API not found`
//! (1.16-1.25 headers; 1.26 headers: `ImportError:` with the notice again) and ends with
//! `ImportError: numpy.core.multiarray failed to import`. With <= 1.15 headers: `RuntimeError:
//! module compiled against ABI version 0x1000009 but this version of numpy is 0x2000000`, then the
//! same final ImportError.
//!
//! ## Fix
//! `PY -m pip install 'numpy>=1.26,<2'` (PY being the environment's interpreter, as `check`
//! prints it), or move the package to a release built against NumPy 2 (most packages released
//! since mid-2024; `abi-doctor fix` names the exact one), or rebuild its installed version from its
//! sdist against NumPy 2: `printf '%s\n' numpy==2.0.2 > abi-doctor-build-constraints.txt &&
//! PY -m pip install --force-reinstall --no-deps --no-cache-dir --no-binary PKG
//! --build-constraint abi-doctor-build-constraints.txt PKG==VERSION` (pip >= 25.3; older pips take
//! `PIP_CONSTRAINT=abi-doctor-build-constraints.txt` before the command, docs/pip-build-constraints.md).
//!
//! ## References
//! NumPy 2.0 migration guide; `numpy/core/_multiarray_umath.py` (the shim); abi-doctor
//! docs/numpy-abi.md#numpy-2-shim, docs/import-behaviour.md#import-matrices.

use super::{failure_findings, Finding, Rule, Scan};
use crate::messages::Family;

pub const RULE: Rule = Rule {
    code: "NPY002",
    name: "numpy1-on-numpy2",
    source: include_str!("numpy1_on_numpy2.rs"),
    check,
};

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    // What the traceback ends with (`ImportError: numpy.core.multiarray failed to import`), then
    // the first exception; NumPy's printed notice is evidence.
    let kinds = [Family::CompiledWithNumpy1, Family::AbiVersion];
    failure_findings(scan, &RULE, &kinds, super::failure_title, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::{HeaderGeneration, NumpyFacts};
    use crate::rules::test_support::*;

    #[test]
    fn numpy1_module_on_numpy2() {
        let np = NumpyFacts {
            uses_c_api: true,
            headers: Some(HeaderGeneration::V1_16To1_23),
            abi_version: Some(0x0100_0009),
            feature_version: Some(0x10),
            ..Default::default()
        };
        let scan = scan_with(
            "2.0.2",
            dist("pandas", "2.1.4", Some(">=1.23.2")),
            facts(np),
        );
        let mut out = vec![];
        check(&scan, &mut out);
        assert_eq!(out.len(), 1);
        let p = out[0].predicted.as_ref().unwrap();
        assert_eq!(p.exception, "AttributeError");
        assert_eq!(p.message, "_ARRAY_API not found");
        assert!(p.printed.as_deref().unwrap().starts_with(
            "A module that was compiled using NumPy 1.x cannot be run in NumPy 2.0.2"
        ));
        assert_eq!(
            p.final_line(),
            "ImportError: numpy.core.multiarray failed to import"
        );
        assert_eq!(
            out[0].title,
            "ImportError: numpy.core.multiarray failed to import (after AttributeError: _ARRAY_API not found)"
        );
        assert!(out[0]
            .evidence
            .iter()
            .any(|e| e
                .starts_with("Python prints first: A module that was compiled using NumPy 1.x")));
    }
}
