//! NPY003 c-api-too-new: the module targets a NumPy C-API newer than the installed NumPy.
//!
//! ## What it detects
//! NPY_FEATURE_VERSION, read from the immediate the module passes to `PyErr_Format` in its
//! `import_array()` code (or from the "(NumPy X.Y)" text of 2.x headers), is greater than the C-API
//! version of the installed NumPy.
//!
//! ## Why it breaks
//! Before NumPy 1.25 a module built against NumPy X.Y required NumPy >= X.Y at run time (that is why
//! `oldest-supported-numpy` existed). Since 1.25 the default target is older (1.19, then 1.21 with
//! 2.1 headers, 1.23 with 2.3 headers), but a build with `NPY_TARGET_VERSION` or against old
//! headers still needs a runtime at least that new. `_import_array()` refuses older runtimes.
//!
//! ## Example
//! `RuntimeError: module compiled against API version 0x10 but this version of numpy is 0xf`
//! (built against NumPy 1.23-1.24, run on 1.22), then `ImportError: numpy.core.multiarray failed to
//! import`; with 2.x headers: `module was compiled against NumPy C-API version 0x10 (NumPy 1.23) but
//! the running NumPy has C-API version 0xf. ...`.
//!
//! ## Fix
//! Upgrade NumPy to at least the release named, within its major
//! (`PY -m pip install 'numpy>=1.23,<2'`, PY being the environment's interpreter, as `check` prints
//! it), or install the release of the package built for your NumPy that `abi-doctor fix` names.
//!
//! ## References
//! `numpy/_core/include/numpy/numpyconfig.h` (NPY_TARGET_VERSION); NumPy C-API docs "Depending on
//! NumPy"; abi-doctor docs/numpy-abi.md#target-version, docs/import-behaviour.md#import-matrices.

use super::{failure_findings, Finding, Rule, Scan};
use crate::messages::Family;

pub const RULE: Rule = Rule {
    code: "NPY003",
    name: "c-api-too-new",
    source: include_str!("c_api_too_new.rs"),
    check,
};

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    // The traceback's last line, then the RuntimeError it wraps (stopped before NumPy's "Check
    // the section C-API incompatibility ..." pointer).
    failure_findings(
        scan,
        &RULE,
        &[Family::ApiVersion],
        super::failure_title,
        out,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::{HeaderGeneration, NumpyFacts};
    use crate::rules::test_support::*;

    #[test]
    fn scipy_1_11_on_numpy_1_22() {
        let np = NumpyFacts {
            uses_c_api: true,
            headers: Some(HeaderGeneration::V1_16To1_23),
            abi_version: Some(0x0100_0009),
            feature_version: Some(0x10),
            ..Default::default()
        };
        let scan = scan_with(
            "1.22.4",
            dist("scipy", "1.11.4", Some("<1.28.0,>=1.21.6")),
            facts(np),
        );
        let mut out = vec![];
        check(&scan, &mut out);
        assert_eq!(out.len(), 1);
        // The traceback ends with import_array()'s ImportError; the RuntimeError comes first.
        assert_eq!(out[0].title, "ImportError: numpy.core.multiarray failed to import (after RuntimeError: module compiled against API version 0x10 but this version of numpy is 0xf)");
        let p = out[0].predicted.as_ref().unwrap();
        assert_eq!(p.exception, "RuntimeError");
        assert_eq!(p.printed, None);
    }
}
