//! NPY007 numpy-outside-declared: the installed NumPy is outside a package's declared range.
//!
//! ## What it detects
//! The installed NumPy version does not satisfy a distribution's `Requires-Dist: numpy ...` (with
//! environment markers evaluated), the check `pip check` makes.
//!
//! ## Why it breaks
//! It may not break at import (the declared range can be stricter than the binaries), but the
//! package's authors do not support this combination, and the next `pip install` may move NumPy.
//!
//! ## Example
//! `tensorflow 2.5.0 requires numpy~=1.19.2, but numpy 1.21.6 is installed`
//!
//! ## Fix
//! Install a NumPy inside the range, or a release of the package that supports your NumPy.
//!
//! ## References
//! `pip check`; PEP 440 version specifiers.

use super::{Finding, Rule, Scan, Severity};

pub const RULE: Rule = Rule {
    code: "NPY007",
    name: "numpy-outside-declared",
    source: include_str!("numpy_outside_declared.rs"),
    check,
};

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    let Some(rt) = &scan.numpy else { return };
    let Ok(installed) = rt.version.parse::<pep440_rs::Version>() else {
        return;
    };
    for d in &scan.dists {
        let Some(req) = &d.numpy_requirement else {
            continue;
        };
        let Ok(spec) = req.parse::<pep440_rs::VersionSpecifiers>() else {
            continue;
        };
        if spec.contains(&installed) {
            continue;
        }
        out.push(Finding {
            code: RULE.code,
            rule: RULE.name,
            severity: Severity::Warning,
            title: format!(
                "{} {} requires numpy{req}, but numpy {} {}",
                d.name,
                d.version,
                rt.version,
                scan.is_installed()
            ),
            distribution: Some(d.name.clone()),
            distribution_version: Some(d.version.clone()),
            module: None,
            path: None,
            path_in_env: None,
            predicted: None,
            evidence: vec![format!(
                "Requires-Dist: numpy{req}; {} at {}",
                scan.installed(&format!("numpy {}", rt.version)),
                rt.path
            )],
            fix_hint: Some(format!(
                "{}, or a release of {} that supports numpy {}",
                super::first_command(
                    scan.target
                        .install(&[format!("numpy{}", super::bounded_numpy(req))])
                ),
                d.name,
                rt.version
            )),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::NumpyFacts;
    use crate::rules::test_support::*;

    #[test]
    fn tensorflow_style_pin() {
        let scan = scan_with(
            "1.21.6",
            dist("tensorflow", "2.5.0", Some("~=1.19.2")),
            facts(NumpyFacts::default()),
        );
        let mut out = vec![];
        check(&scan, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(
            out[0].title,
            "tensorflow 2.5.0 requires numpy~=1.19.2, but numpy 1.21.6 is installed"
        );
        assert!(out[0].evidence[0].contains("; installed numpy 1.21.6 at "));
    }

    #[test]
    fn before_install_the_set_would_be_installed() {
        let mut scan = scan_with(
            "2.0.2",
            dist("pandas", "2.1.4", Some("<2,>=1.23.2")),
            facts(NumpyFacts::default()),
        );
        scan.before_install = true;
        let mut out = vec![];
        check(&scan, &mut out);
        assert_eq!(
            out[0].title,
            "pandas 2.1.4 requires numpy<2,>=1.23.2, but numpy 2.0.2 would be installed"
        );
        assert!(
            out[0].evidence[0].contains("; numpy 2.0.2 in the set at "),
            "{:?}",
            out[0].evidence
        );
    }
}
