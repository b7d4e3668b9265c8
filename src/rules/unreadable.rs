//! NPY009 unreadable: a binary or metadata file could not be read.
//!
//! ## What it detects
//! A compiled file that is truncated, corrupt or unreadable, or a distribution's METADATA/RECORD
//! that cannot be parsed.
//!
//! ## Why it breaks
//! abi-doctor cannot vouch for what it cannot read; Python may fail to import it too (`ImportError:
//! ... file too short`, `invalid ELF header`).
//!
//! ## Example
//! `site-packages/pkg/_ext.cpython-311-x86_64-linux-gnu.so: malformed ELF binary: ...`
//!
//! ## Fix
//! Reinstall the package: `pip install --force-reinstall --no-deps PKG`.
//!
//! ## References
//! PEP 376 (RECORD), PEP 566 (METADATA).

use super::{Finding, RuleInfo, Scan, Severity};

pub const INFO: RuleInfo = RuleInfo {
    code: "NPY009",
    name: "unreadable",
    source: include_str!("unreadable.rs"),
};

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    for (path, problem) in &scan.unreadable {
        out.push(Finding {
            code: INFO.code,
            rule: INFO.name,
            severity: Severity::Warning,
            title: problem.clone(),
            distribution: None,
            distribution_version: None,
            module: None,
            path: Some(path.clone()),
            predicted: None,
            evidence: vec![problem.clone()],
            fix_hint: Some(
                "reinstall the package that owns it: pip install --force-reinstall --no-deps PKG"
                    .into(),
            ),
        });
    }
}
