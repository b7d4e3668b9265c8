//! `abi-doctor lint`: project files (pyproject.toml, setup.cfg, setup.py, requirements and
//! constraints files, environment.yml, Dockerfiles, shell scripts, GitHub workflows) checked for
//! what later breaks NumPy imports. Everything is read as text through [`crate::fsread`]; nothing
//! is executed.
//!
//! The readers ([`files`], [`project`], [`requirements`], [`conda`], [`shell`]) turn files into
//! plain data with locations; the rules ([`rules`], one file each, in [`rules::LINT_RULES`]) turn
//! that data into findings; [`fix`] rewrites pyproject.toml for the rules that have a safe
//! rewrite. Configuration: `[tool.abi-doctor.lint]` `select` / `ignore` in the root
//! pyproject.toml, and `# noqa: NPL00x` on the line of a finding.

pub mod conda;
pub mod files;
pub mod fix;
pub mod project;
pub mod requirements;
pub mod rules;
pub mod shell;
pub mod versions;

use crate::rules::Severity;
use schemars::JsonSchema;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A place in a file: 1-based line and column (in characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
pub struct Loc {
    /// The path as given on the command line joined with the file's place under it.
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// A safe rewrite of one file: replace the bytes `start..end` with `replacement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Edit {
    #[serde(skip)]
    pub path: PathBuf,
    #[serde(skip)]
    pub start: usize,
    #[serde(skip)]
    pub end: usize,
    /// The text that was there, and what replaces it.
    pub before: String,
    pub after: String,
}

/// One lint finding. Every finding carries its evidence and its fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct LintFinding {
    pub code: &'static str,
    pub rule: &'static str,
    pub severity: Severity,
    pub location: Loc,
    /// One-line statement of the problem.
    pub title: String,
    pub evidence: Vec<String>,
    /// What to change, in words, with the exact text.
    pub fix: String,
    /// The rewrite `--fix` applies, when the change is safe to make unattended.
    pub edit: Option<Edit>,
}

/// A file that could not be read or parsed; the rest is still linted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Problem {
    pub file: String,
    pub message: String,
}

/// What was linted and what was found.
#[derive(Debug, Default)]
pub struct Linted {
    /// Every file read, with its kind.
    pub files: Vec<(String, files::Kind)>,
    pub problems: Vec<Problem>,
    pub findings: Vec<LintFinding>,
    /// Findings silenced by `# noqa` comments.
    pub suppressed: usize,
}

/// Why lint could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    #[error("{}: no such file or directory", .0.display())]
    Missing(PathBuf),
}

/// `[tool.abi-doctor.lint]`: rule codes (or code prefixes: `NPL00`) to run and to skip.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
}

impl Config {
    pub fn enabled(&self, code: &str) -> bool {
        let matches = |p: &String| code.starts_with(p.trim().to_ascii_uppercase().as_str());
        let selected = match &self.select {
            Some(s) => s.iter().any(matches),
            None => true,
        };
        selected && !self.ignore.iter().any(matches)
    }
}

/// Lint `root` (a directory, or one file). `extra` is the configuration given on the command
/// line, which adds to the root pyproject.toml's.
pub fn lint(root: &Path, extra: &Config) -> Result<Linted, LintError> {
    if !root.exists() {
        return Err(LintError::Missing(root.to_path_buf()));
    }
    let mut out = Linted::default();
    let read = files::collect(root, &mut out.problems);
    let mut config = Config::default();
    for f in &read {
        if let files::Content::Pyproject(p) = &f.content {
            if p.dir_is_root {
                config = p.config.clone();
            }
        }
    }
    if let Some(s) = &extra.select {
        config.select = Some(s.clone());
    }
    config.ignore.extend(extra.ignore.iter().cloned());
    let input = rules::Input { files: &read };
    let mut found = Vec::new();
    for rule in rules::LINT_RULES {
        if config.enabled(rule.code) {
            (rule.check)(&input, &mut found);
        }
    }
    for f in found {
        let text = read
            .iter()
            .find(|r| r.display == f.location.file)
            .map(|r| r.text.as_str())
            .unwrap_or("");
        if noqa_silences(text, f.location.line, f.code) {
            out.suppressed += 1;
        } else {
            out.findings.push(f);
        }
    }
    out.findings
        .sort_by(|a, b| (&a.location, a.code).cmp(&(&b.location, b.code)));
    out.findings.dedup();
    out.files = read.iter().map(|f| (f.display.clone(), f.kind)).collect();
    Ok(out)
}

/// Does a `# noqa` comment on line `line` (1-based) silence `code`? `# noqa` alone silences every
/// code; `# noqa: NPL001, NPL002` the ones listed (flake8's and ruff's syntax).
pub fn noqa_silences(text: &str, line: usize, code: &str) -> bool {
    let Some(l) = text.lines().nth(line.saturating_sub(1)) else {
        return false;
    };
    let lower = l.to_ascii_lowercase();
    let Some(at) = lower.find("# noqa") else {
        return false;
    };
    let rest = &l[at + "# noqa".len()..];
    let Some(list) = rest.trim_start().strip_prefix(':') else {
        return true;
    };
    list.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .take_while(|s| s.chars().all(|c| c.is_ascii_alphanumeric()))
        .any(|s| s.eq_ignore_ascii_case(code))
}

/// Byte offset -> (line, column), both 1-based; the column counts characters.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_boundary(text, offset)];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    (line, before[start..].chars().count() + 1)
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noqa_forms() {
        let t = "a\nb # noqa: NPL001, NPL002\nc # noqa\nd # NOQA:NPL003\n";
        assert!(!noqa_silences(t, 1, "NPL001"));
        assert!(noqa_silences(t, 2, "NPL001"));
        assert!(noqa_silences(t, 2, "npl002"));
        assert!(!noqa_silences(t, 2, "NPL003"));
        assert!(noqa_silences(t, 3, "NPL007"));
        assert!(noqa_silences(t, 4, "NPL003"));
        assert!(!noqa_silences(t, 9, "NPL003"));
    }

    #[test]
    fn select_and_ignore_take_prefixes() {
        let c = Config {
            select: Some(vec!["NPL00".into()]),
            ignore: vec!["npl004".into()],
        };
        assert!(c.enabled("NPL001"));
        assert!(!c.enabled("NPL004"));
        assert!(!Config {
            select: Some(vec!["NPL002".into()]),
            ignore: vec![]
        }
        .enabled("NPL001"));
    }

    #[test]
    fn lines_and_columns() {
        assert_eq!(line_col("ab\ncdé f", 0), (1, 1));
        assert_eq!(line_col("ab\ncdé f", 3), (2, 1));
        assert_eq!(line_col("ab\ncdé f", 7), (2, 4));
    }
}
