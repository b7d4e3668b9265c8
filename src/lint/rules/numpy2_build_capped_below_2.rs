//! NPL004 numpy2-build-capped-below-2: built against NumPy 2 but the runtime requirement keeps NumPy below 2.
//!
//! ## What it detects
//! For some Python version the project supports, every NumPy build requirement builds against
//! NumPy >= 2 and the runtime `numpy` requirement for that Python has an upper bound below 2.
//!
//! ## Why it breaks
//! Nothing breaks at import: binaries built against NumPy 2 run on NumPy 1.x (down to their
//! target) and on 2.x. But the cap makes the package uninstallable beside NumPy 2 for no reason,
//! and forces resolvers to downgrade NumPy. It is information, not a failure.
//!
//! ## Example
//! `requires = ["numpy>=2.0"]` with `dependencies = ["numpy>=1.22,<2"]`.
//!
//! ## Fix
//! Drop the `<2` cap (keep a cap at the next major, `<3`, if you want one).
//!
//! ## References
//! NumPy's "For downstream package authors" guide (`doc/source/dev/depending_on_numpy.rst`:
//! building against NumPy 2 produces binaries that work with 1.x and 2.x); NumPy 2.0 release
//! notes; abi-doctor docs/numpy-abi.md.

use super::{at, numpy_build, Input, LintRule};
use crate::lint::versions::{build_numpy, pythons, version};
use crate::lint::LintFinding;
use crate::rules::Severity;

pub const RULE: LintRule = LintRule {
    code: "NPL004",
    name: "numpy2-build-capped-below-2",
    severity: Severity::Info,
    source: include_str!("numpy2_build_capped_below_2.rs"),
    check,
};

pub fn check(input: &Input, out: &mut Vec<LintFinding>) {
    let two = version("2");
    for p in input.projects() {
        let mut hits: Vec<(usize, usize, Vec<String>)> = Vec::new();
        let builds: Vec<_> = numpy_build(&p).cloned().collect();
        for py in pythons(p.requires_python.as_deref()) {
            let applying: Vec<usize> = (0..builds.len())
                .filter(|&i| builds[i].applies(&py))
                .collect();
            if applying.is_empty()
                || !applying.iter().all(|&i| {
                    build_numpy(&builds[i], &py).is_some_and(|b| b.release.major() >= 2)
                        || (builds[i].name == "numpy"
                            && builds[i].lower().is_some_and(|l| l >= two))
                })
            {
                continue;
            }
            for (ri, r) in p.runtime.iter().enumerate() {
                if r.name == "numpy" && r.applies(&py) && r.capped_below(&two) {
                    match hits.iter_mut().find(|h| h.0 == ri) {
                        Some(h) => h.2.push(py.clone()),
                        None => hits.push((ri, applying[0], vec![py.clone()])),
                    }
                }
            }
        }
        for (ri, bi, pys) in hits {
            let r = &p.runtime[ri];
            let b = &builds[bi];
            out.push(RULE.finding(
                &r.loc,
                format!("built against NumPy 2 but `{}` excludes NumPy 2, where the binaries would import", r.text),
                vec![
                    format!("{} builds against NumPy >= 2: `{}`", at(b), b.text),
                    format!("{} caps the runtime below 2: `{}` (for Python {})", at(r), r.text, super::list(&pys)),
                ],
                "drop the <2 cap from the runtime numpy requirement".into(),
                None,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn fires_only_for_2x_builds() {
        let t = |b: &str| {
            lint_files(&[(
                "pyproject.toml",
                &format!("[build-system]\nrequires = [\"{b}\"]\n[project]\nrequires-python = \">=3.10\"\ndependencies = [\"numpy>=1.22,<2\"]\n"),
            )])
        };
        assert_eq!(codes(&t("numpy>=2.0"), "NPL004"), vec!["pyproject.toml:5"]);
        assert!(codes(&t("numpy==1.26.4"), "NPL004").is_empty());
    }
}
