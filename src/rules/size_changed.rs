//! NPY001 size-changed: a Cython module's NumPy type is bigger in its headers than at run time.
//!
//! ## What it detects
//! A Cython extension that `cimport numpy` checks, while it imports, that each NumPy type it knows
//! (dtype, flatiter, broadcast, ndarray, the abstract scalar types, ufunc) is at least as large at
//! run time as the C struct it was compiled with. The binary carries those sizes (the `size`
//! argument of `__Pyx_ImportType`); the knowledge base has each NumPy release's `tp_basicsize`.
//!
//! ## Why it breaks
//! The extension was compiled against newer NumPy headers than the NumPy installed now (or 1.x
//! headers run on NumPy 2, whose `dtype` shrank from 96 to 88 bytes). Cython refuses a runtime
//! type smaller than the header struct whatever `check_size` says, because the module would read
//! past the end of the object.
//!
//! ## Example
//! `ValueError: numpy.ndarray size changed, may indicate binary incompatibility. Expected 88 from C
//! header, got 80 from PyObject` (built against NumPy 1.20/1.21 headers, run on NumPy <= 1.19).
//!
//! ## Fix
//! Move NumPy into the range the module was built for (`abi-doctor inspect` shows it), install a
//! release of the package whose wheels were built for your NumPy, or rebuild
//! its installed version from its sdist, the build's NumPy pinned by a build constraint:
//! `printf '%s\n' numpy==1.26.4 > abi-doctor-build-constraints.txt && PY -m pip install
//! --force-reinstall --no-deps --no-cache-dir --no-binary PKG --build-constraint
//! abi-doctor-build-constraints.txt PKG==VERSION` (pip >= 25.3; older pips take
//! `PIP_CONSTRAINT=abi-doctor-build-constraints.txt` before the command; with uv,
//! `uv pip install --python PY --no-deps --no-binary PKG --build-constraints FILE
//! --reinstall-package PKG PKG==VERSION`). PY is the environment's interpreter; `check` prints the
//! command with it and the exact versions.
//!
//! ## References
//! Cython `Utility/ImportExport.c` (`__Pyx_ImportType`); NumPy 1.20 release notes (ndarray gained
//! `_buffer_info`); abi-doctor docs/import-behaviour.md#cython-size-check, docs/struct-sizes.md.

use super::{failure_findings, Finding, Rule, Scan};
use crate::messages::Family;
use crate::rules::predict::Failure;

pub const RULE: Rule = Rule {
    code: "NPY001",
    name: "size-changed",
    source: include_str!("size_changed.rs"),
    check,
};

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    failure_findings(scan, &RULE, &[Family::SizeChanged], Failure::line, out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::{NumpyFacts, TypeCheck};
    use crate::rules::test_support::*;

    #[test]
    fn flags_88_on_80() {
        let np = NumpyFacts {
            type_checks: vec![
                TypeCheck {
                    type_name: "dtype".into(),
                    expected_size: 96,
                    check_size: None,
                },
                TypeCheck {
                    type_name: "ndarray".into(),
                    expected_size: 88,
                    check_size: None,
                },
            ],
            ..Default::default()
        };
        let scan = scan_with(
            "1.19.5",
            dist("pyxdameraulevenshtein", "1.5.3", Some(">=1.16.1")),
            facts(np),
        );
        let mut out = vec![];
        check(&scan, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].predicted.as_ref().unwrap().message, "numpy.ndarray size changed, may indicate binary incompatibility. Expected 88 from C header, got 80 from PyObject");
        assert_eq!(
            out[0].distribution.as_deref(),
            Some("pyxdameraulevenshtein")
        );
        let scan = scan_with(
            "1.21.6",
            dist("p", "1", None),
            (*scan.modules[0].facts).clone(),
        );
        let mut out = vec![];
        check(&scan, &mut out);
        assert!(out.is_empty());
    }

    /// A failing file no RECORD lists gets a hint without a placeholder package name.
    #[test]
    fn an_unowned_file_gets_no_placeholder_command() {
        let np = NumpyFacts {
            type_checks: vec![TypeCheck {
                type_name: "ndarray".into(),
                expected_size: 88,
                check_size: None,
            }],
            ..Default::default()
        };
        let mut scan = scan_with("1.19.5", dist("p", "1", None), facts(np));
        scan.modules[0].dist = None;
        let mut out = vec![];
        check(&scan, &mut out);
        let hint = out[0].fix_hint.as_deref().unwrap();
        assert!(hint.contains("no installed distribution owns"), "{hint}");
        assert!(!hint.contains("the package"), "{hint}");
        assert!(!hint.contains("--no-binary"), "{hint}");
    }
}
