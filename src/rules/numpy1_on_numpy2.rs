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
//! `ImportError: A module that was compiled using NumPy 1.x cannot be run in NumPy 2.0.2 as it may
//! crash. ...` then `ImportError: numpy.core.multiarray failed to import`; with <= 1.15 headers:
//! `RuntimeError: module compiled against ABI version 0x1000009 but this version of numpy is
//! 0x2000000`.
//!
//! ## Fix
//! `pip install "numpy<2"`, or upgrade the package to a release built against NumPy 2 (most
//! packages released since mid-2024), or rebuild it from source against NumPy 2.
//!
//! ## References
//! NumPy 2.0 migration guide; `numpy/core/_multiarray_umath.py` (the shim); abi-doctor
//! docs/numpy-abi.md#numpy-2-shim, docs/import-behaviour.md#import-matrices.

use super::{failure_findings, Finding, Rule, Scan};
use crate::messages::Family;
use crate::rules::predict::Failure;

pub const RULE: Rule = Rule {
    code: "NPY002",
    name: "numpy1-on-numpy2",
    source: include_str!("numpy1_on_numpy2.rs"),
    check,
};

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    let running = scan
        .numpy
        .as_ref()
        .map(|n| n.version.as_str())
        .unwrap_or("2.x");
    let title = |f: &Failure| {
        match f.kind() {
        Family::CompiledWithNumpy1 => format!(
            "ImportError: A module that was compiled using NumPy 1.x cannot be run in NumPy {running}"
        ),
        _ => f.line(),
    }
    };
    let kinds = [Family::CompiledWithNumpy1, Family::AbiVersion];
    failure_findings(scan, &RULE, &kinds, title, out);
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
        assert_eq!(p.exception, "ImportError");
        assert_eq!(
            p.then.as_ref().unwrap().message,
            "numpy.core.multiarray failed to import"
        );
    }
}
