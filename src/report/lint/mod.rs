//! The `lint` report (JSON schema version 1). Its renderers: [`text`], [`sarif`], [`github`],
//! and [`crate::report::json::write`] for JSON.

pub mod github;
pub mod sarif;
pub mod text;

use crate::lint::files::Kind;
use crate::lint::{LintFinding, Linted, Problem};
use crate::rules::Severity;
use schemars::JsonSchema;
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize, JsonSchema)]
pub struct LintReport {
    pub schema_version: u32,
    /// The path linted, as given.
    pub root: String,
    pub files: Vec<FileInfo>,
    /// Files that could not be read or parsed (the rest was linted).
    pub problems: Vec<Problem>,
    /// What was not evaluated, and why (offline, an index error for one pin); the exit code does
    /// not depend on them.
    pub notes: Vec<String>,
    pub findings: Vec<LintFinding>,
    /// Files `--fix` rewrote, with what changed.
    pub fixed: Vec<FixedInfo>,
    pub summary: Summary,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FileInfo {
    pub path: String,
    pub kind: Kind,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FixedInfo {
    pub path: String,
    pub edits: Vec<crate::lint::Edit>,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub suppressed: usize,
    pub fixable: usize,
}

impl LintReport {
    pub fn new(root: &str, l: &Linted, fixed: &[crate::lint::fix::Fixed]) -> Self {
        let mut summary = Summary {
            suppressed: l.suppressed,
            ..Default::default()
        };
        for f in &l.findings {
            match f.severity {
                Severity::Error => summary.errors += 1,
                Severity::Warning => summary.warnings += 1,
                Severity::Info => summary.infos += 1,
            }
            if f.edit.is_some() {
                summary.fixable += 1;
            }
        }
        LintReport {
            schema_version: SCHEMA_VERSION,
            root: root.to_string(),
            files: l
                .files
                .iter()
                .map(|(p, k)| FileInfo {
                    path: p.clone(),
                    kind: *k,
                })
                .collect(),
            problems: l.problems.clone(),
            notes: l.notes.clone(),
            findings: l.findings.clone(),
            fixed: fixed
                .iter()
                .map(|f| FixedInfo {
                    path: f.path.display().to_string(),
                    edits: f.edits.clone(),
                })
                .collect(),
            summary,
        }
    }

    /// Exit code: 1 when a warning or error remains, else 2 when a file could not be linted,
    /// else 0 (info findings alone are clean).
    pub fn exit_code(&self) -> i32 {
        if self.summary.errors + self.summary.warnings > 0 {
            1
        } else if !self.problems.is_empty() {
            2
        } else {
            0
        }
    }
}

/// Lint reports built by hand, for the renderers' tests.
#[cfg(test)]
pub(crate) mod samples {
    use super::*;
    use crate::lint::{Edit, Loc};

    pub fn report() -> LintReport {
        let loc = |file: &str, line, column| Loc {
            file: file.into(),
            line,
            column,
        };
        LintReport {
            schema_version: SCHEMA_VERSION,
            root: "h5py".into(),
            files: vec![
                FileInfo { path: "h5py/pyproject.toml".into(), kind: Kind::Pyproject },
                FileInfo { path: "h5py/setup.py".into(), kind: Kind::SetupPy },
                FileInfo { path: "h5py/Dockerfile".into(), kind: Kind::Dockerfile },
            ],
            problems: vec![Problem {
                file: "h5py/environment.yml".into(),
                message: "not valid YAML: did not find expected ',' or ']' at byte 20 line 2 column 7".into(),
            }],
            notes: vec![],
            findings: vec![
                LintFinding {
                    code: "NPL001",
                    rule: "oldest-supported-numpy",
                    severity: Severity::Warning,
                    location: loc("h5py/pyproject.toml", 5, 5),
                    title: "build requires oldest-supported-numpy (deprecated): it builds against NumPy 1.x, whose binaries do not import under NumPy 2".into(),
                    evidence: vec!["h5py/pyproject.toml:5:5 lists `oldest-supported-numpy` ([build-system] requires)".into()],
                    fix: "replace \"oldest-supported-numpy\" with \"numpy>=2.0\"".into(),
                    edit: Some(Edit {
                        path: "h5py/pyproject.toml".into(),
                        start: 60,
                        end: 82,
                        before: "oldest-supported-numpy".into(),
                        after: "numpy>=2.0".into(),
                    }),
                },
                LintFinding {
                    code: "NPL002",
                    rule: "numpy1-build-without-cap",
                    severity: Severity::Error,
                    location: loc("h5py/setup.py", 34, 5),
                    title: "built against NumPy 1.x but `numpy >=1.17.3` admits NumPy 2, where the binaries fail to import".into(),
                    evidence: vec![
                        "h5py/pyproject.toml:5:5 builds against NumPy 1.x: `oldest-supported-numpy`".into(),
                        "h5py/setup.py:34:5 requires `numpy >=1.17.3` at run time (install_requires), no upper bound below 2".into(),
                    ],
                    fix: "add the cap in h5py/setup.py: `numpy >=1.17.3,<2`".into(),
                    edit: None,
                },
                LintFinding {
                    code: "NPL008",
                    rule: "no-binary-with-cache",
                    severity: Severity::Warning,
                    location: loc("h5py/Dockerfile", 3, 5),
                    title: "`--no-binary h5py` can reinstall a wheel built earlier and cached, against an older NumPy".into(),
                    evidence: vec!["h5py/Dockerfile:3:5 `pip install --no-binary h5py h5py`".into()],
                    fix: "add --no-cache-dir".into(),
                    edit: None,
                },
            ],
            fixed: vec![],
            summary: Summary { errors: 1, warnings: 2, infos: 0, suppressed: 1, fixable: 1 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{json, rendered};

    #[test]
    fn lint_json() {
        let r = samples::report();
        assert_eq!(r.exit_code(), 1);
        insta::assert_snapshot!("lint_json", rendered(|w| json::write(w, &r)));
    }

    #[test]
    fn exit_codes() {
        let mut r = samples::report();
        r.findings.clear();
        r.summary = Summary::default();
        assert_eq!(r.exit_code(), 2, "a file could not be linted");
        r.problems.clear();
        assert_eq!(r.exit_code(), 0);
        r.summary.infos = 1;
        assert_eq!(r.exit_code(), 0, "info alone is clean");
    }
}
