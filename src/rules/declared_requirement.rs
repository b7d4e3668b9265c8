//! NPY006 declared-requirement: a package's declared NumPy requirement contradicts its binaries.
//!
//! ## What it detects
//! The `Requires-Dist: numpy ...` of a distribution admits NumPy versions its own compiled modules
//! cannot import under: a floor too low (scipy 1.11.4 declares `numpy>=1.21.6` but its modules need
//! the NumPy 1.23 C-API), no `<2` cap on a build against NumPy 1.x (pandas 2.1.4), or nothing
//! declared at all while the binaries use NumPy's C-API (pyarrow).
//!
//! ## Why it breaks
//! pip, uv and conda resolve from the declared metadata. When it is wrong, they will happily install
//! a NumPy the package cannot import under, and `pip check` says all is well.
//!
//! ## Example
//! `scipy 1.11.4 declares numpy<1.28.0,>=1.21.6 but its binaries import only under numpy>=1.23,<2`
//!
//! ## Fix
//! Constrain NumPy yourself to the range shown (a constraints file,
//! `uv pip install --python PY -c FILE`, or a requirement in your project), and report the metadata
//! bug to the package.
//!
//! ## References
//! PEP 508 (Requires-Dist); NumPy "For downstream package authors" (the `<2` advice).

use super::{dist_verdicts, Finding, Rule, Scan, Severity};
use crate::knowledge::knowledge;
use crate::rules::predict::{window_of, Window};

pub const RULE: Rule = Rule {
    code: "NPY006",
    name: "declared-requirement",
    source: include_str!("declared_requirement.rs"),
    check,
};

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    let releases = &knowledge().releases;
    for (i, d) in scan.dists.iter().enumerate() {
        if d.name.eq_ignore_ascii_case("numpy") {
            continue;
        }
        let Some((ok, modules)) = dist_verdicts(scan, i) else {
            continue;
        };
        let Window::Range { lower, upper } = window_of(&ok, releases) else {
            continue;
        };
        let binaries = Window::Range { lower, upper };
        let spec_text = binaries_spec(&binaries);
        let mut problems = Vec::new();
        match &d.numpy_requirement {
            None => problems.push(format!(
                "declares no numpy requirement, but {modules} of its compiled modules use NumPy's binary interface"
            )),
            Some(req) => {
                let Ok(spec) = req.parse::<pep440_rs::VersionSpecifiers>() else {
                    continue;
                };
                let admits = |v: &str| {
                    v.parse::<pep440_rs::Version>()
                        .is_ok_and(|v| spec.contains(&v))
                };
                let (lo, hi) = (
                    releases.iter().position(|r| r == lower).unwrap_or(0),
                    upper
                        .and_then(|u| releases.iter().position(|r| r == u))
                        .unwrap_or(releases.len()),
                );
                if let Some(r) = releases[..lo].iter().rev().find(|r| admits(&r.last_patch)) {
                    problems.push(format!(
                        "declares numpy{req}, which admits NumPy {} where its modules fail: the floor is too low",
                        r.last_patch
                    ));
                }
                if let Some(r) = releases[hi..].iter().find(|r| admits(&r.last_patch)) {
                    let why = if r.major() >= 2 && lower.major() < 2 {
                        "no <2 cap on a build against NumPy 1.x"
                    } else {
                        "the cap is too high"
                    };
                    problems.push(format!(
                        "declares numpy{req}, which admits NumPy {} where its modules fail: {why}",
                        r.last_patch
                    ));
                }
            }
        }
        if problems.is_empty() {
            continue;
        }
        let title = format!(
            "{} {}: declared NumPy requirement contradicts its binaries (they import only under numpy{spec_text})",
            d.name, d.version
        );
        out.push(Finding {
            code: RULE.code,
            rule: RULE.name,
            severity: Severity::Warning,
            title,
            distribution: Some(d.name.clone()),
            distribution_version: Some(d.version.clone()),
            module: None,
            path: None,
            path_in_env: None,
            predicted: None,
            evidence: problems,
            fix_hint: Some(format!(
                "constrain NumPy yourself: {} (or add it to a constraints file)",
                scan.target.pip_install(&format!("\"numpy{spec_text}\""))
            )),
        });
    }
}

fn binaries_spec(w: &Window) -> String {
    let Window::Range { lower, upper } = w else {
        return String::new();
    };
    let mut parts = vec![format!(">={}", lower.line)];
    match upper {
        Some(u) => parts.push(format!("<{}", u.line.strip_suffix(".0").unwrap_or(&u.line))),
        None => parts.push(format!("<{}", lower.major().max(2) + 1)),
    }
    parts.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::{HeaderGeneration, NumpyFacts};
    use crate::rules::test_support::*;

    fn np1_0x10() -> NumpyFacts {
        NumpyFacts {
            uses_c_api: true,
            headers: Some(HeaderGeneration::V1_16To1_23),
            abi_version: Some(0x0100_0009),
            feature_version: Some(0x10),
            ..Default::default()
        }
    }

    #[test]
    fn scipy_floor_too_low() {
        let scan = scan_with(
            "1.26.4",
            dist("scipy", "1.11.4", Some("<1.28.0,>=1.21.6")),
            facts(np1_0x10()),
        );
        let mut out = vec![];
        check(&scan, &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(
            out[0].evidence[0].contains("floor is too low"),
            "{:?}",
            out[0].evidence
        );
        assert!(out[0].title.contains("numpy>=1.23,<2"), "{}", out[0].title);
    }

    #[test]
    fn pandas_no_cap_and_pyarrow_nothing() {
        let scan = scan_with(
            "1.26.4",
            dist("pandas", "2.1.4", Some(">=1.23.2")),
            facts(np1_0x10()),
        );
        let mut out = vec![];
        check(&scan, &mut out);
        assert!(
            out[0].evidence.iter().any(|e| e.contains("no <2 cap")),
            "{:?}",
            out[0].evidence
        );
        let scan = scan_with("1.26.4", dist("pyarrow", "17.0.0", None), facts(np1_0x10()));
        let mut out = vec![];
        check(&scan, &mut out);
        assert!(out[0].evidence[0].contains("declares no numpy requirement"));
        let scan = scan_with(
            "1.26.4",
            dist("ok", "1", Some(">=1.23.2,<2")),
            facts(np1_0x10()),
        );
        let mut out = vec![];
        check(&scan, &mut out);
        assert!(out.is_empty(), "{out:?}");
    }
}
