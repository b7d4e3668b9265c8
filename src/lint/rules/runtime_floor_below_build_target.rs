//! NPL003 runtime-floor-below-build-target: the runtime numpy floor is below the oldest NumPy the built binaries import under.
//!
//! ## What it detects
//! For some Python version the project supports, the runtime `numpy` requirement's lower bound
//! is below the oldest NumPy a binary built with the build requirement imports under: for a
//! build against NumPy before 1.25, that NumPy's own C-API (its first release line); from 1.25
//! on, `NPY_TARGET_VERSION` when the build configuration sets it, else the headers' default
//! target. The build NumPy is the lowest the build requirement admits (oldest-supported-numpy:
//! the oldest NumPy with wheels for that Python); markers are evaluated for CPython on x86-64
//! Linux. All of it comes from the knowledge base (`src/knowledge/numpy.json`).
//!
//! ## Why it breaks
//! pip and uv trust the declared floor. A NumPy between the floor and the binaries' target is
//! installable beside the package, and every extension then fails at import.
//!
//! ## Example
//! scipy 1.11.4 declares `numpy>=1.21.6,<1.28.0` but builds for Python 3.11 against
//! `numpy==1.23.2`: its cp311 binaries need NumPy 1.23 (`RuntimeError: module compiled against
//! API version 0x10 but this version of numpy is 0xe`).
//!
//! ## Fix
//! Raise the runtime floor to the target (`numpy>=1.23` for that Python, with a marker), or set
//! `NPY_TARGET_VERSION` / build against NumPy >= 2.0, whose default target is old. Severity is
//! info when no NumPy release between the floor and the target has wheels for that Python (the
//! gap is reachable only by building NumPy from source), warning otherwise.
//!
//! ## References
//! NumPy's "For downstream package authors" guide (`doc/source/dev/depending_on_numpy.rst`,
//! "Adding a dependency on NumPy"); `numpy/_core/include/numpy/numpyconfig.h`
//! (`NPY_TARGET_VERSION`); abi-doctor docs/numpy-abi.md#target-version.

use super::{at, numpy_build, Input, LintRule};
use crate::knowledge::knowledge;
use crate::lint::versions::{build_numpy, oldest_runtime, pythons, version};
use crate::lint::LintFinding;
use crate::rules::Severity;

pub const RULE: LintRule = LintRule {
    code: "NPL003",
    name: "runtime-floor-below-build-target",
    severity: Severity::Warning,
    source: include_str!("runtime_floor_below_build_target.rs"),
    check,
};

pub fn check(input: &Input, out: &mut Vec<LintFinding>) {
    for p in input.projects() {
        // One finding per (runtime entry, build entry, needed line), listing the Pythons.
        struct Hit {
            runtime: usize,
            build: usize,
            needed: String,
            why: Vec<String>,
            pys: Vec<String>,
            reachable: bool,
        }
        let mut hits: Vec<Hit> = Vec::new();
        let builds: Vec<_> = numpy_build(&p).cloned().collect();
        for py in pythons(p.requires_python.as_deref()) {
            let Some((bi, b)) = builds.iter().enumerate().find(|(_, r)| r.applies(&py)) else {
                continue;
            };
            let Some(bn) = build_numpy(b, &py) else {
                continue;
            };
            let Some((needed, why)) = oldest_runtime(&bn, p.target.as_deref()) else {
                continue;
            };
            let need_v = version(&needed);
            for (ri, r) in p.runtime.iter().enumerate() {
                if r.name != "numpy" || !r.applies(&py) {
                    continue;
                }
                let Some(floor) = r.lower() else { continue };
                if floor >= need_v {
                    continue;
                }
                // Releases in the gap [floor, needed) with wheels for this Python.
                let reachable = knowledge().releases.iter().any(|rel| {
                    let v = version(&rel.last_patch);
                    let line0 = version(&rel.line);
                    (v >= floor || line0 >= floor) && line0 < need_v && rel.python.contains(&py)
                });
                match hits
                    .iter_mut()
                    .find(|h| h.runtime == ri && h.build == bi && h.needed == needed)
                {
                    Some(h) => {
                        h.pys.push(py.clone());
                        h.reachable |= reachable;
                    }
                    None => hits.push(Hit {
                        runtime: ri,
                        build: bi,
                        needed: needed.clone(),
                        why: vec![bn.why.clone(), why.clone()],
                        pys: vec![py.clone()],
                        reachable,
                    }),
                }
            }
        }
        for h in hits {
            let r = &p.runtime[h.runtime];
            let b = &builds[h.build];
            let pys = super::list(&h.pys);
            let mut evidence = vec![
                format!("{} runtime requirement `{}`", at(r), r.text),
                format!(
                    "{} build requirement `{}` (for Python {pys})",
                    at(b),
                    b.text
                ),
            ];
            evidence.extend(h.why);
            evidence.push(if h.reachable {
                format!("NumPy releases below {} have wheels for Python {pys}: pip can install one beside the package", h.needed)
            } else {
                format!("no NumPy release between the floor and {} has wheels for Python {pys} (knowledge base): only a NumPy built from source lands in the gap", h.needed)
            });
            let mut f = RULE.finding(
                &r.loc,
                format!(
                    "`{}` admits NumPy older than {}, the oldest its binaries for Python {pys} import under",
                    r.text, h.needed
                ),
                evidence,
                format!(
                    "raise the floor to numpy>={} for Python {pys}, or build against a NumPy whose target is at most the floor (NPY_TARGET_VERSION, or numpy>=2.0)",
                    h.needed
                ),
                None,
            );
            if !h.reachable {
                f.severity = Severity::Info;
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn floor_below_a_pre_1_25_build() {
        let l = lint_files(&[(
            "pyproject.toml",
            "[build-system]\nrequires = [\"numpy==1.23.2; python_version=='3.11'\"]\n[project]\nrequires-python = \">=3.11\"\ndependencies = [\"numpy>=1.21.6,<1.28.0\"]\n",
        )]);
        let f: Vec<_> = l.findings.iter().filter(|f| f.code == "NPL003").collect();
        assert_eq!(f.len(), 1, "{:?}", l.findings);
        assert!(f[0].title.contains("1.23"), "{}", f[0].title);
    }

    #[test]
    fn target_version_and_2x_builds() {
        // A 1.26 build with NPY_TARGET_VERSION=1.22 needs 1.22; the floor 1.21 is below.
        let l = lint_files(&[
            (
                "pyproject.toml",
                "[build-system]\nrequires = [\"numpy==1.26.4\"]\n[project]\nrequires-python = \">=3.11\"\ndependencies = [\"numpy>=1.21,<2\"]\n",
            ),
            ("meson.build", "add_project_arguments('-DNPY_TARGET_VERSION=NPY_1_22_API_VERSION', language: 'c')\n"),
        ]);
        assert_eq!(codes(&l, "NPL003"), vec!["pyproject.toml:5"]);
        // numpy>=2.0 targets 1.16 by default (2.0 headers): a 1.19 floor is fine.
        let l = lint_files(&[(
            "pyproject.toml",
            "[build-system]\nrequires = [\"numpy>=2.0\"]\n[project]\ndependencies = [\"numpy>=1.19\"]\n",
        )]);
        assert!(codes(&l, "NPL003").is_empty(), "{:?}", l.findings);
    }
}
