//! `lint --fix`: apply the findings' [`Edit`]s. Each edit replaces the contents of one TOML
//! string (its span, from toml_edit) and nothing else, so comments, quoting, order and layout
//! are kept and the diff is one string per finding. The file is re-read (it must be unchanged
//! since it was linted) and the result re-parsed before it is written.

use super::{Edit, LintFinding};
use crate::fsread::{self, Limit};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One file rewritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixed {
    pub path: PathBuf,
    pub edits: Vec<Edit>,
    /// The new text (written unless asked not to).
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error(transparent)]
    Read(#[from] Box<fsread::ReadError>),
    #[error("{}: changed since it was linted; run lint again", .0.display())]
    Changed(PathBuf),
    #[error("{}: the rewrite would not be valid TOML ({why}); nothing written", path.display())]
    Invalid { path: PathBuf, why: String },
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The new contents of every file that has edits, from the current files. `write` writes them.
pub fn apply(findings: &[LintFinding], write: bool) -> Result<Vec<Fixed>, FixError> {
    let mut by_file: BTreeMap<PathBuf, Vec<Edit>> = BTreeMap::new();
    for e in findings.iter().filter_map(|f| f.edit.as_ref()) {
        by_file.entry(e.path.clone()).or_default().push(e.clone());
    }
    let mut out = Vec::new();
    for (path, mut edits) in by_file {
        edits.sort_by_key(|e| e.start);
        edits.dedup_by_key(|e| e.start);
        let mut text = fsread::read_text(&path, Limit::ProjectFile).map_err(Box::new)?;
        for e in edits.iter().rev() {
            if text.get(e.start..e.end) != Some(e.before.as_str()) {
                return Err(FixError::Changed(path));
            }
            text.replace_range(e.start..e.end, &e.after);
        }
        toml_edit::Document::parse(text.clone()).map_err(|err| FixError::Invalid {
            path: path.clone(),
            why: err.to_string().trim().replace('\n', " "),
        })?;
        if write {
            std::fs::write(&path, &text).map_err(|source| FixError::Write {
                path: path.clone(),
                source,
            })?;
        }
        out.push(Fixed { path, edits, text });
    }
    Ok(out)
}

/// Fix, lint again, until no finding has an edit (at most 5 rounds). Each round applies the edits
/// of one rule only, the lowest code first, because one fix can make another unneeded: once
/// NPL001 makes the build use NumPy 2, NPL002's cap is no longer wanted. The rounds lint without
/// the index (NPL009 has no rewrite); the last lint, returned, uses `network`.
pub fn fix_all(
    root: &std::path::Path,
    config: &super::Config,
    network: Option<&super::Network>,
) -> Result<(Vec<Fixed>, super::Linted), FixFailed> {
    let mut done: Vec<Fixed> = Vec::new();
    let mut no_npl009 = config.clone();
    no_npl009.ignore.push("NPL009".into());
    for _ in 0..5 {
        let linted = super::lint(root, &no_npl009).map_err(FixFailed::Lint)?;
        let Some(code) = linted
            .findings
            .iter()
            .filter(|f| f.edit.is_some())
            .map(|f| f.code)
            .min()
        else {
            let linted = super::lint_with(root, config, network).map_err(FixFailed::Lint)?;
            return Ok((done, linted));
        };
        let these: Vec<LintFinding> = linted
            .findings
            .iter()
            .filter(|f| f.code == code)
            .cloned()
            .collect();
        for f in apply(&these, true).map_err(FixFailed::Fix)? {
            match done.iter_mut().find(|d| d.path == f.path) {
                Some(d) => {
                    d.edits.extend(f.edits);
                    d.text = f.text;
                }
                None => done.push(f),
            }
        }
    }
    let linted = super::lint_with(root, config, network).map_err(FixFailed::Lint)?;
    Ok((done, linted))
}

#[derive(Debug, thiserror::Error)]
pub enum FixFailed {
    #[error(transparent)]
    Lint(super::LintError),
    #[error(transparent)]
    Fix(FixError),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::{lint, Config};

    #[test]
    fn rewrites_in_place_and_relints_clean() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("pyproject.toml");
        let orig = "# build\n[build-system]\nrequires = [\n    \"setuptools>=61\",  # keep\n    'oldest-supported-numpy',\n]\n\n[project]\nname = \"x\"\nrequires-python = \">=3.9\"\ndependencies = [\"numpy >=1.17.3\"]\n";
        std::fs::write(&p, orig).unwrap();
        let before = lint(d.path(), &Config::default()).unwrap();
        let codes: Vec<_> = before.findings.iter().map(|f| f.code).collect();
        assert!(
            codes.contains(&"NPL001") && codes.contains(&"NPL002"),
            "{codes:?}"
        );
        let (fixed, after) = fix_all(d.path(), &Config::default(), None).unwrap();
        assert_eq!(fixed.len(), 1);
        assert_eq!(
            fixed[0].edits.len(),
            1,
            "NPL001's fix makes NPL002's cap unneeded"
        );
        assert!(after.findings.is_empty(), "{:?}", after.findings);
        let now = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            now,
            orig.replace("'oldest-supported-numpy'", "'numpy>=2.0'")
        );
        let again = lint(d.path(), &Config::default()).unwrap();
        assert!(again.findings.is_empty(), "{:?}", again.findings);
    }

    #[test]
    fn refuses_a_changed_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("pyproject.toml");
        std::fs::write(&p, "[build-system]\nrequires = [\"oldest-supported-numpy\"]\n[project]\nrequires-python = \">=3.9\"\n").unwrap();
        let l = lint(d.path(), &Config::default()).unwrap();
        std::fs::write(&p, "[build-system]\nrequires = [\"numpy\"]\n").unwrap();
        assert!(matches!(
            apply(&l.findings, true),
            Err(FixError::Changed(_))
        ));
    }
}
