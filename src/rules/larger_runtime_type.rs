//! NPY004 larger-runtime-type: a NumPy type is larger at run time than in the module's headers.
//!
//! ## What it detects
//! A Cython size check whose runtime `tp_basicsize` exceeds the header size the module was built
//! with, for example ndarray 80 in the headers (a default build against NumPy >= 1.25) and 96 at run
//! time.
//!
//! ## Why it breaks
//! It does not: NumPy only appends fields, and a module built against older (smaller) headers never
//! touches them. Cython says nothing (`check_size ignore`, NumPy's own pxd) or emits a
//! `RuntimeWarning: numpy.ndarray size changed` (`check_size warn`, older Cython pxds). Shown only
//! with `--verbose`, to explain such a warning.
//!
//! ## Example
//! `RuntimeWarning: numpy.ndarray size changed, may indicate binary incompatibility. Expected 80 from
//! C header, got 96 from PyObject`
//!
//! ## Fix
//! Nothing to fix. To silence the warning, rebuild the package against the installed NumPy.
//!
//! ## References
//! Cython `Utility/ImportExport.c` (`__Pyx_ImportType`, `check_size`); abi-doctor
//! docs/import-behaviour.md#cython-size-check, docs/struct-sizes.md#runtime-sizes.

use super::{module_finding, Finding, Rule, Scan, Severity};
use crate::rules::predict::larger_runtime_types;

pub const RULE: Rule = Rule {
    code: "NPY004",
    name: "larger-runtime-type",
    source: include_str!("larger_runtime_type.rs"),
    check,
};

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    let Some(rt) = &scan.numpy else { return };
    for m in &scan.modules {
        let larger = larger_runtime_types(&m.facts.numpy, rt.release);
        if larger.is_empty() {
            continue;
        }
        let list: Vec<String> = larger
            .iter()
            .map(|l| format!("{} {} < {}", l.type_name, l.expected_size, l.runtime_size))
            .collect();
        let mut f = module_finding(
            scan,
            m,
            &RULE,
            Severity::Info,
            format!(
                "NumPy types larger at run time than in its headers (harmless): {}",
                list.join(", ")
            ),
        );
        f.evidence = larger
            .iter()
            .map(|l| {
                format!(
                    "header sizeof({}) = {}, NumPy {} tp_basicsize = {}",
                    l.type_name, l.expected_size, rt.version, l.runtime_size
                )
            })
            .collect();
        out.push(f);
    }
}
