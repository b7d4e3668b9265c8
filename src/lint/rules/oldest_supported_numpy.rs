//! NPL001 oldest-supported-numpy: the build requires `oldest-supported-numpy`, which is deprecated.
//!
//! ## What it detects
//! `oldest-supported-numpy` in pyproject.toml's `[build-system] requires`, or in `setup_requires`
//! (setup.cfg, setup.py).
//!
//! ## Why it breaks
//! The package pins, for each Python version, the oldest NumPy 1.x with wheels for it. Extensions
//! built against NumPy 1.x headers do not import under NumPy 2 ("A module that was compiled using
//! NumPy 1.x cannot be run in NumPy 2 ..."), while extensions built against NumPy 2 import under
//! NumPy 1.x too, down to their target version. Its own README says it is deprecated and that
//! projects should build against NumPy >= 2.0.
//!
//! ## Example
//! `requires = ["setuptools", "oldest-supported-numpy"]` (h5py 3.10.0, matplotlib 3.7.5,
//! scikit-learn 1.3.2 all shipped this).
//!
//! ## Fix
//! Replace it with `numpy>=2.0` (the marker, if any, is kept). `abi-doctor lint --fix` does this
//! in pyproject.toml when every Python the entry applies to has a NumPy 2 release with wheels
//! (NumPy 2.0 needs Python >= 3.9); otherwise keep a NumPy 1.x build for the older Pythons only.
//! The project's C code must compile against NumPy 2 headers (NumPy's migration guide).
//!
//! ## References
//! oldest-supported-numpy's README (deprecation notice); NumPy's "For downstream package authors"
//! guide (`doc/source/dev/depending_on_numpy.rst`); abi-doctor docs/numpy-abi.md#target-version.

use super::{at, Input, LintRule};
use crate::knowledge::knowledge;
use crate::lint::versions::{pythons, Origin};
use crate::lint::{Edit, LintFinding};
use crate::rules::Severity;

pub const RULE: LintRule = LintRule {
    code: "NPL001",
    name: "oldest-supported-numpy",
    severity: Severity::Warning,
    source: include_str!("oldest_supported_numpy.rs"),
    check,
};

pub fn check(input: &Input, out: &mut Vec<LintFinding>) {
    for p in input.projects() {
        let pys = pythons(p.requires_python.as_deref());
        for r in p
            .build
            .iter()
            .filter(|r| r.name == "oldest-supported-numpy")
        {
            let applies: Vec<String> = pys.iter().filter(|py| r.applies(py)).cloned().collect();
            let without_2x: Vec<String> = applies
                .iter()
                .filter(|py| {
                    !knowledge()
                        .releases
                        .iter()
                        .any(|rel| rel.major() >= 2 && rel.python.iter().any(|p| p == *py))
                })
                .cloned()
                .collect();
            let mut evidence = vec![format!(
                "{} lists `{}` ({})",
                at(r),
                r.text,
                r.origin.describe()
            )];
            let edit = match (&r.toml_span, r.origin) {
                (Some(span), Origin::BuildSystem) if without_2x.is_empty() => {
                    let f = input.files.iter().find(|f| f.display == r.loc.file);
                    f.and_then(|f| {
                        let before = f.text.get(span.clone())?.to_string();
                        let tail = before
                            .split_once(';')
                            .map(|(h, t)| format!("{};{t}", &h[h.trim_end().len()..]));
                        Some(Edit {
                            path: f.path.clone(),
                            start: span.start,
                            end: span.end,
                            after: format!("numpy>=2.0{}", tail.unwrap_or_default()),
                            before,
                        })
                    })
                }
                _ => None,
            };
            let fix = if !without_2x.is_empty() {
                evidence.push(format!(
                    "no NumPy 2 release has wheels for Python {} (knowledge base), which the project supports",
                    super::list(&without_2x)
                ));
                format!(
                    "build against \"numpy>=2.0; python_version>='3.9'\" and keep a NumPy 1.x build requirement only for Python {}{}",
                    span(&without_2x),
                    if p.requires_python.is_none() {
                        " (the project declares no requires-python, so every Python counts)"
                    } else {
                        ""
                    }
                )
            } else {
                match &edit {
                    Some(e) => format!("replace \"{}\" with \"{}\"", e.before, e.after),
                    None => format!("replace `{}` with `numpy>=2.0`", r.text),
                }
            };
            out.push(RULE.finding(
                &r.loc,
                "build requires oldest-supported-numpy (deprecated): it builds against NumPy 1.x, whose binaries do not import under NumPy 2".into(),
                evidence,
                fix,
                edit,
            ));
        }
    }
}

/// "3.8", "3.7 and 3.8", or "3.3 to 3.8".
fn span(pys: &[String]) -> String {
    match pys {
        [a, .., b] if pys.len() > 2 => format!("{a} to {b}"),
        _ => super::list(pys),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn fires_on_the_entry_with_a_safe_edit() {
        let l = lint_files(&[(
            "pyproject.toml",
            "[build-system]\nrequires = [\"setuptools\", \"oldest-supported-numpy; python_version<'3.12'\"]\n[project]\nrequires-python = \">=3.9\"\n",
        )]);
        assert_eq!(codes(&l, "NPL001"), vec!["pyproject.toml:2"]);
        let e = l.findings[0].edit.as_ref().unwrap();
        assert_eq!(e.after, "numpy>=2.0; python_version<'3.12'");
    }

    #[test]
    fn no_edit_when_a_python_has_no_numpy_2() {
        let l = lint_files(&[(
            "pyproject.toml",
            "[build-system]\nrequires = [\"oldest-supported-numpy\"]\n[project]\nrequires-python = \">=3.8\"\n",
        )]);
        assert!(l.findings[0].edit.is_none());
        assert!(l.findings[0].fix.contains("3.8"), "{}", l.findings[0].fix);
    }
}
