//! NPY010 unknown-target: a module uses NumPy's C-API but its target could not be read.
//!
//! ## What it detects
//! The module carries NumPy's `import_array()` strings, but neither the NPY_FEATURE_VERSION
//! immediate nor a "(NumPy X.Y)" text could be recovered (an unusual compiler or architecture).
//!
//! ## Why it breaks
//! It may not; abi-doctor just cannot say which NumPy versions it accepts. Shown so that the
//! summary does not claim more than was read.
//!
//! ## Example
//! `uses the NumPy C-API (1.x headers), C-API target unknown`
//!
//! ## Fix
//! Run `abi-doctor verify` to import it for real.
//!
//! ## References
//! abi-doctor docs/binary-evidence.md#limits (which compilers and formats were verified).

use super::{module_finding, Finding, Rule, Scan, Severity};
use crate::rules::predict::{window, Window};

pub const RULE: Rule = Rule {
    code: "NPY010",
    name: "unknown-target",
    source: include_str!("unknown_target.rs"),
    check,
};

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    for m in &scan.modules {
        if window(&m.facts.numpy) != Window::Unknown {
            continue;
        }
        let mut f = module_finding(
            scan,
            m,
            &RULE,
            Severity::Info,
            "uses the NumPy C-API, but its C-API target could not be read".into(),
        );
        f.evidence = vec![format!(
            "import_array() strings present; headers {}",
            m.facts
                .numpy
                .headers
                .map(|h| h.as_str())
                .unwrap_or("unknown")
        )];
        out.push(f);
    }
}
