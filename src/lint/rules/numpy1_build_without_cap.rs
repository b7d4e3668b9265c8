//! NPL002 numpy1-build-without-cap: the build is against NumPy 1.x but the runtime requirement lets NumPy 2 in.
//!
//! ## What it detects
//! For some Python version the project supports, its NumPy build requirement admits only NumPy
//! < 2 (a pin or a range whose top is below 2, or `oldest-supported-numpy`), and the runtime
//! `numpy` requirement for that Python has no upper bound below 2. A NumPy build requirement is
//! taken as the sign that the project compiles against NumPy's C API. Only requirements written
//! as literals are read: a setup.py that computes its requirements is not seen.
//!
//! ## Why it breaks
//! Binaries built against NumPy 1.x headers fail to import under NumPy 2, and nothing in the
//! package's metadata stops pip or uv from installing NumPy 2 beside it.
//!
//! ## Example
//! h5py 3.10.0: `oldest-supported-numpy` in the build, `"numpy >=1.17.3"` in setup.py's
//! requirements; under NumPy 2: `ImportError: A module that was compiled using NumPy 1.x cannot be
//! run in NumPy 2.0.2 as it may crash.`
//!
//! ## Fix
//! Add the cap: `numpy>=1.17.3,<2`. `abi-doctor lint --fix` adds `,<2` to the requirement in
//! pyproject.toml's `[project] dependencies`. Better still, build against NumPy >= 2.0 (NPL001).
//!
//! ## References
//! NumPy's "For downstream package authors" guide (`doc/source/dev/depending_on_numpy.rst`:
//! "add `numpy<2.0` ... when building against NumPy 1.x"); abi-doctor docs/numpy-abi.md.

use super::{at, numpy_build, Input, LintRule};
use crate::lint::versions::{build_numpy, pythons, version, Origin, Req};
use crate::lint::{Edit, LintFinding};
use crate::rules::Severity;

pub const RULE: LintRule = LintRule {
    code: "NPL002",
    name: "numpy1-build-without-cap",
    severity: Severity::Error,
    source: include_str!("numpy1_build_without_cap.rs"),
    check,
};

/// The build requirement builds against NumPy 1.x on `py`.
pub(crate) fn builds_against_1x(r: &Req, py: &str) -> bool {
    let two = version("2");
    match r.name.as_str() {
        "oldest-supported-numpy" => build_numpy(r, py).is_some_and(|b| b.release.major() < 2),
        _ => r.capped_below(&two),
    }
}

pub fn check(input: &Input, out: &mut Vec<LintFinding>) {
    let two = version("2");
    for p in input.projects() {
        // (runtime requirement index or None, build requirement, pythons)
        let mut hits: Vec<(Option<usize>, Req, Vec<String>)> = Vec::new();
        for py in pythons(p.requires_python.as_deref()) {
            let Some(b) = numpy_build(&p).find(|r| r.applies(&py) && builds_against_1x(r, &py))
            else {
                continue;
            };
            let runtime: Vec<usize> = p
                .runtime
                .iter()
                .enumerate()
                .filter(|(_, r)| r.name == "numpy" && r.applies(&py))
                .map(|(i, _)| i)
                .collect();
            let key = if runtime.is_empty() {
                if !p.runtime_complete || p.runtime.iter().any(|r| r.name == "numpy") {
                    continue;
                }
                None
            } else if runtime.iter().any(|&i| p.runtime[i].capped_below(&two)) {
                continue;
            } else {
                Some(runtime[0])
            };
            match hits.iter_mut().find(|h| h.0 == key) {
                Some(h) => h.2.push(py),
                None => hits.push((key, b.clone(), vec![py])),
            }
        }
        for (key, build, pys) in hits {
            let mut evidence = vec![format!(
                "{} builds against NumPy 1.x: `{}`",
                at(&build),
                build.text
            )];
            match key {
                Some(i) => {
                    let r = &p.runtime[i];
                    evidence.push(format!(
                        "{} requires `{}` at run time ({}), no upper bound below 2",
                        at(r),
                        r.text,
                        r.origin.describe()
                    ));
                    evidence.push(format!("for Python {}", super::list(&pys)));
                    let edit = cap_edit(input, r);
                    let fix = match &edit {
                        Some(e) => format!("change \"{}\" to \"{}\"", e.before, e.after),
                        None => format!("add the cap in {}: `{}`", r.loc.file, capped(&r.text)),
                    };
                    out.push(RULE.finding(
                        &r.loc,
                        format!("built against NumPy 1.x but `{}` admits NumPy 2, where the binaries fail to import", r.text),
                        evidence,
                        fix,
                        edit,
                    ));
                }
                None => {
                    evidence.push("[project] dependencies declares no numpy requirement".into());
                    out.push(RULE.finding(
                        &build.loc,
                        "built against NumPy 1.x but the runtime requirements do not bound NumPy below 2".into(),
                        evidence,
                        "add \"numpy<2\" to [project] dependencies, or build against numpy>=2.0".into(),
                        None,
                    ));
                }
            }
        }
    }
}

/// `numpy>=1.2; marker` -> `numpy>=1.2,<2; marker`.
fn capped(text: &str) -> String {
    let (head, tail) = match text.split_once(';') {
        Some((h, t)) => (h, Some(t)),
        None => (text, None),
    };
    let h = head.trim_end();
    let space = &head[h.len()..];
    let has_spec = h.contains(['<', '>', '=', '!', '~']);
    let sep = if has_spec { "," } else { "" };
    match tail {
        Some(t) => format!("{h}{sep}<2{space};{t}"),
        None => format!("{h}{sep}<2"),
    }
}

fn cap_edit(input: &Input, r: &Req) -> Option<Edit> {
    if r.origin != Origin::ProjectDependencies {
        return None;
    }
    let span = r.toml_span.clone()?;
    let f = input.files.iter().find(|f| f.display == r.loc.file)?;
    let before = f.text.get(span.clone())?.to_string();
    Some(Edit {
        path: f.path.clone(),
        start: span.start,
        end: span.end,
        after: capped(&before),
        before,
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::capped;

    #[test]
    fn caps() {
        assert_eq!(capped("numpy>=1.22"), "numpy>=1.22,<2");
        assert_eq!(capped("numpy"), "numpy<2");
        assert_eq!(
            capped("numpy >=1.2 ; python_version<'3.11'"),
            "numpy >=1.2,<2 ; python_version<'3.11'"
        );
    }

    #[test]
    fn fires_on_the_runtime_requirement() {
        let l = lint_files(&[(
            "pyproject.toml",
            "[build-system]\nrequires = [\"numpy==1.26.4\"]\n[project]\nrequires-python = \">=3.11\"\ndependencies = [\n  \"numpy>=1.23\",\n]\n",
        )]);
        assert_eq!(codes(&l, "NPL002"), vec!["pyproject.toml:6"]);
        let e = l
            .findings
            .iter()
            .find(|f| f.code == "NPL002")
            .unwrap()
            .edit
            .clone()
            .unwrap();
        assert_eq!(e.after, "numpy>=1.23,<2");
    }

    #[test]
    fn silent_when_capped_or_built_against_2() {
        for (b, r) in [
            ("numpy==1.26.4", "numpy>=1.23,<2"),
            ("numpy>=2.0", "numpy>=1.23"),
        ] {
            let l = lint_files(&[(
                "pyproject.toml",
                &format!(
                    "[build-system]\nrequires = [\"{b}\"]\n[project]\ndependencies = [\"{r}\"]\n"
                ),
            )]);
            assert!(codes(&l, "NPL002").is_empty(), "{b} {r}: {:?}", l.findings);
        }
    }
}
