//! NPY008 two-numpy-copies: more than one NumPy is visible on sys.path.
//!
//! ## What it detects
//! A `numpy` package in more than one sys.path directory (for example a user site-packages copy
//! shadowing the environment's, or a system one behind a venv with system site-packages).
//!
//! ## Why it breaks
//! Python imports the first; pip, `pip check` and your build may look at another. Extensions get
//! built against one NumPy and run with the other, which is how most size mismatches start.
//!
//! ## Example
//! `numpy 1.19.5 in ~/.local/lib/python3.9/site-packages shadows numpy 1.21.6 in .venv/...`
//!
//! ## Fix
//! Python imports the first copy on sys.path; the others are shadowed and never imported while it
//! is there. A base interpreter's NumPy behind a venv with system site-packages is normal: leave
//! it alone. If the copy Python imports is not the one you want, uninstall that one (for a user
//! site copy, `python -m pip uninstall --user numpy`), then re-run `abi-doctor check`.
//!
//! ## References
//! Python `site` module documentation (sys.path order).

use super::{Finding, Rule, Scan, Severity};

pub const RULE: Rule = Rule {
    code: "NPY008",
    name: "two-numpy-copies",
    source: include_str!("two_numpy_copies.rs"),
    check,
};

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    let Some(rt) = &scan.numpy else { return };
    for (path, version) in &scan.other_numpys {
        let v = version.as_deref().unwrap_or("(unknown version)");
        out.push(Finding {
            code: RULE.code,
            rule: RULE.name,
            severity: Severity::Warning,
            title: format!(
                "Python imports numpy {} from {}; numpy {v} at {path} is shadowed",
                rt.version, rt.path
            ),
            distribution: Some("numpy".into()),
            distribution_version: Some(rt.version.clone()),
            module: Some("numpy".into()),
            path: Some(path.clone()),
            path_in_env: None,
            predicted: None,
            evidence: vec![format!(
                "first on sys.path: {}; also present: {path}",
                rt.path
            )],
            fix_hint: Some(format!(
                "nothing to remove if numpy {} is the one you want: {path} is never imported \
                 while {} comes first on sys.path",
                rt.version, rt.path
            )),
        });
    }
}
