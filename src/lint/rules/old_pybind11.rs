//! NPL005 old-pybind11: the build admits only pybind11 older than 2.12, in a project that uses NumPy through pybind11.
//!
//! ## What it detects
//! A `pybind11` build requirement whose highest admitted version is below 2.12 (`<2.11.1`,
//! `==2.10.4`, `~=2.10.4`), in a project that also requires NumPy at build time (the sign that
//! its pybind11 modules use `pybind11/numpy.h`).
//!
//! ## Why it breaks
//! pybind11 before 2.12 reaches NumPy's internals through `numpy.core.multiarray`, which NumPy 2
//! moved to `numpy._core`; modules built with it warn or fail under NumPy 2, and NumPy 2's own
//! error message asks for `pybind11>=2.12`.
//!
//! ## Example
//! scipy 1.11.4: `"pybind11>=2.10.4,<2.11.1"`.
//!
//! ## Fix
//! Require `pybind11>=2.12` at build time (check that the project builds with it; this is not
//! rewritten automatically).
//!
//! ## References
//! NumPy 2's import-failure message ("... e.g. with 'pybind11>=2.12'", in
//! `numpy/core/_multiarray_umath.py`); pybind11 2.12.0 changelog (NumPy 2 support); abi-doctor
//! rule NPY005.

use super::{at, numpy_build, Input, LintRule};
use crate::lint::versions::version;
use crate::lint::LintFinding;
use crate::rules::Severity;

pub const RULE: LintRule = LintRule {
    code: "NPL005",
    name: "old-pybind11",
    severity: Severity::Warning,
    source: include_str!("old_pybind11.rs"),
    check,
};

pub fn check(input: &Input, out: &mut Vec<LintFinding>) {
    let v212 = version("2.12");
    for p in input.projects() {
        // For the evidence, an entry that applies on x86-64 Linux for some Python if there is one.
        let pys = crate::lint::versions::pythons(p.requires_python.as_deref());
        let Some(np) = numpy_build(&p)
            .find(|r| pys.iter().any(|py| r.applies(py)))
            .or_else(|| numpy_build(&p).next())
        else {
            continue;
        };
        for r in p
            .build
            .iter()
            .filter(|r| r.name == "pybind11" && r.capped_below(&v212))
        {
            out.push(RULE.finding(
                &r.loc,
                format!(
                    "`{}` admits only pybind11 < 2.12, whose NumPy support fails under NumPy 2",
                    r.text
                ),
                vec![
                    format!("{} build requirement `{}`", at(r), r.text),
                    format!("{} the build also requires NumPy: `{}`", at(np), np.text),
                ],
                "require pybind11>=2.12 at build time".into(),
                None,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn caps_below_2_12_only_with_numpy() {
        let t = |pb: &str, np: &str| {
            lint_files(&[(
                "pyproject.toml",
                &format!("[build-system]\nrequires = [\"{pb}\", {np}]\n"),
            )])
        };
        assert_eq!(
            codes(&t("pybind11>=2.10.4,<2.11.1", "\"numpy\""), "NPL005"),
            vec!["pyproject.toml:2"]
        );
        assert!(codes(&t("pybind11>=2.12.0,<2.13.0", "\"numpy\""), "NPL005").is_empty());
        assert!(codes(&t("pybind11>=2.6", "\"numpy\""), "NPL005").is_empty());
        assert!(codes(&t("pybind11==2.10.4", "\"setuptools\""), "NPL005").is_empty());
    }
}
