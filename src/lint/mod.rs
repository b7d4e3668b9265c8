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
//!
//! One rule reads more than files: NPL009 asks the package index (through [`crate::index`],
//! range reads of one compiled member per wheel) what NumPy each pinned wheel was built for. It
//! runs only when [`lint_with`] is given a [`Network`]; nothing is ever executed.

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
    /// What lint could not look at, and why (offline, an index error for one pin); these do not
    /// change the exit code.
    pub notes: Vec<String>,
}

/// The package index NPL009 reads, and this machine's interpreter (the target Python when the
/// project does not say).
pub struct Network {
    /// The index client, or why there is none (offline, an unusable CA bundle).
    pub client: Result<crate::index::Client, String>,
    /// `(X.Y, where it was found)`: the `python3` on `PATH`, by its file name (never run).
    pub host_python: Option<(String, String)>,
    /// Where NPL009 keeps its answers (`<cache root>/lint/npl009`), `None` for no cache.
    pub cache_dir: Option<PathBuf>,
}

/// The `python3` (else `python`) on `PATH` and the CPython line its real file name says
/// (`/usr/bin/python3 -> python3.11`): `(3.11, /usr/bin/python3.11)`. Nothing is executed; a
/// name without a version (a shim) gives `None`.
pub fn host_python(path_var: Option<&std::ffi::OsStr>) -> Option<(String, String)> {
    let path_var = path_var?;
    for dir in std::env::split_paths(path_var) {
        for name in ["python3", "python"] {
            let p = dir.join(name);
            if !p.is_file() {
                continue;
            }
            let real = std::fs::canonicalize(&p).unwrap_or(p.clone());
            let v = real
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(crate::paths::version_from_lib_name);
            if let Some(v) = v {
                return Some((v, real.display().to_string()));
            }
        }
    }
    None
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
    /// `python-version = "3.11"`: the Python NPL009 picks wheels for.
    pub python_version: Option<String>,
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
    lint_with(root, extra, None)
}

/// [`lint`], with the package index for NPL009 (without one, NPL009 is not evaluated and a
/// note says so when there was something to evaluate).
pub fn lint_with(
    root: &Path,
    extra: &Config,
    network: Option<&Network>,
) -> Result<Linted, LintError> {
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
    if extra.python_version.is_some() {
        config.python_version = extra.python_version.clone();
    }
    let input = rules::Input {
        files: &read,
        network,
        config: &config,
        notes: std::cell::RefCell::new(Vec::new()),
    };
    let mut found = Vec::new();
    for rule in rules::LINT_RULES {
        if config.enabled(rule.code) {
            (rule.check)(&input, &mut found);
        }
    }
    out.notes = input.notes.take();
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
            python_version: None,
        };
        assert!(c.enabled("NPL001"));
        assert!(!c.enabled("NPL004"));
        assert!(!Config {
            select: Some(vec!["NPL002".into()]),
            ignore: vec![],
            python_version: None,
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
