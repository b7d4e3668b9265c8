//! The lint rules (NPL...): one file each, named after the rule; the `//!` doc comment of each
//! file is its documentation (`abi-doctor rule NPL001`). One table, [`LINT_RULES`].
//!
//! NPL009 (pinned-set-incompatible) is the one rule that reads more than the project's files:
//! the package index, for the NumPy each pinned wheel was built for ([`super::Network`]).

pub mod isolated_build_after_numpy_install;
pub mod no_binary_with_cache;
pub mod numpy1_build_without_cap;
pub mod numpy2_build_capped_below_2;
pub mod old_pybind11;
pub mod oldest_supported_numpy;
pub mod pinned_set_incompatible;
pub mod pip_constraint_for_build;
pub mod runtime_floor_below_build_target;

use super::files::{Content, FileRead};
use super::project::{projects, Project};
use super::shell::Script;
use super::versions::Req;
use super::{Edit, LintFinding};
use crate::rules::Severity;

/// What the rules read: every file read, parsed.
pub struct Input<'a> {
    pub files: &'a [FileRead],
    /// The package index (NPL009 only); `None`: not evaluated.
    pub network: Option<&'a super::Network>,
    /// The configuration in force (the root pyproject.toml's and the command line's).
    pub config: &'a super::Config,
    /// Notes for the report: what a rule could not evaluate, and why.
    pub notes: std::cell::RefCell<Vec<String>>,
}

impl Input<'_> {
    pub fn projects(&self) -> Vec<Project> {
        projects(self.files)
    }
    /// Dockerfiles, shell scripts and workflows.
    pub fn scripts(&self) -> impl Iterator<Item = (&FileRead, &Script)> {
        self.files.iter().filter_map(|f| match &f.content {
            Content::Commands(s) => Some((f, s)),
            _ => None,
        })
    }
}

/// A lint rule: its code and name, its documentation, and the check.
pub struct LintRule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// The rule file's source; its `//!` doc comment is the documentation.
    pub source: &'static str,
    pub check: fn(&Input, &mut Vec<LintFinding>),
}

impl LintRule {
    pub fn doc(&self) -> String {
        crate::rules::doc_of(self.source)
    }
    pub fn title(&self) -> String {
        crate::rules::title_of(&self.doc())
    }

    pub(crate) fn finding(
        &self,
        loc: &super::Loc,
        title: String,
        evidence: Vec<String>,
        fix: String,
        edit: Option<Edit>,
    ) -> LintFinding {
        LintFinding {
            code: self.code,
            rule: self.name,
            severity: self.severity,
            location: loc.clone(),
            title,
            evidence,
            fix,
            edit,
        }
    }
}

/// Every lint rule, in code order.
pub const LINT_RULES: &[LintRule] = &[
    oldest_supported_numpy::RULE,
    numpy1_build_without_cap::RULE,
    runtime_floor_below_build_target::RULE,
    numpy2_build_capped_below_2::RULE,
    old_pybind11::RULE,
    isolated_build_after_numpy_install::RULE,
    pip_constraint_for_build::RULE,
    no_binary_with_cache::RULE,
    pinned_set_incompatible::RULE,
];

/// The numpy (or oldest-supported-numpy) build requirements of a project.
pub(crate) fn numpy_build(p: &Project) -> impl Iterator<Item = &Req> {
    p.build
        .iter()
        .filter(|r| r.name == "numpy" || r.name == "oldest-supported-numpy")
}

/// `where` for evidence: `pyproject.toml:5:5`.
pub(crate) fn at(r: &Req) -> String {
    format!("{}:{}:{}", r.loc.file, r.loc.line, r.loc.column)
}

/// "3.9, 3.10 and 3.11".
pub(crate) fn list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::lint::{lint, Config, Linted};

    /// Lint a directory made of `files` (name, contents).
    pub fn lint_files(files: &[(&str, &str)]) -> Linted {
        let d = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let p = d.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let mut l = lint(d.path(), &Config::default()).unwrap();
        let prefix = format!("{}/", d.path().display());
        for f in &mut l.findings {
            f.location.file = f.location.file.replace(&prefix, "");
        }
        l
    }

    pub fn codes(l: &Linted, code: &str) -> Vec<String> {
        l.findings
            .iter()
            .filter(|f| f.code == code)
            .map(|f| format!("{}:{}", f.location.file, f.location.line))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lint_rule_table_is_stable() {
        let table: Vec<String> = LINT_RULES.iter().map(LintRule::title).collect();
        insta::assert_snapshot!(table.join("\n"));
    }
}
