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
//! Reinstall the package at its installed version: `PY -m pip install --force-reinstall --no-deps
//! PKG==VERSION` (PY being the environment's interpreter).
//!
//! ## References
//! PEP 376 (RECORD), PEP 566 (METADATA).

use super::{Finding, Rule, Scan, Severity};

pub const RULE: Rule = Rule {
    code: "NPY009",
    name: "unreadable",
    source: include_str!("unreadable.rs"),
    check,
};

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    for u in &scan.unreadable {
        let d = u.dist.and_then(|i| scan.dists.get(i));
        let fix = match d {
            Some(d) => format!(
                "reinstall it: {}",
                scan.target.pip_install(&format!(
                    "--force-reinstall --no-deps \"{}=={}\"",
                    d.name, d.version
                ))
            ),
            None => "no installed distribution owns it: remove it, or reinstall what put it there"
                .into(),
        };
        out.push(Finding {
            code: RULE.code,
            rule: RULE.name,
            severity: Severity::Warning,
            // Each problem text is a whole statement: "is a FIFO ...", "malformed ELF binary: ...".
            title: u.problem.clone(),
            distribution: d.map(|d| d.name.clone()),
            distribution_version: d.map(|d| d.version.clone()),
            module: None,
            path: Some(u.path.clone()),
            path_in_env: None,
            predicted: None,
            evidence: vec![format!("{}: {}", u.path, u.problem)],
            fix_hint: Some(fix),
        });
    }
}
