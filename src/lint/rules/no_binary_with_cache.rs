//! NPL008 no-binary-with-cache: a `--no-binary` rebuild that can reuse a cached build.
//!
//! ## What it detects
//! `pip install --no-binary ...` without `--no-cache-dir` (or `PIP_NO_CACHE_DIR`), and
//! `uv pip install --no-binary ...` without `--reinstall`, `--reinstall-package`, `--no-cache`
//! (or `UV_NO_CACHE`).
//!
//! ## Why it breaks
//! `--no-binary` is how people rebuild a package against the NumPy they have, after an import
//! failure. But pip caches the wheels it builds from sdists and reuses them (since pip 23.1 for
//! every sdist build), and uv keeps built wheels in its cache and does not reinstall what is
//! installed: the "rebuild" installs the old binary, built against the old NumPy, and the import
//! fails the same way.
//!
//! ## Example
//! `pip install --force-reinstall --no-binary pandas pandas` after `Expected 96 from C header, got
//! 88 from PyObject`.
//!
//! ## Fix
//! pip: add `--no-cache-dir`; uv: add `--reinstall-package NAME` (or `--no-cache`).
//!
//! ## References
//! pip 23.1 release notes (wheels built from sdists are cached and reused); pip's documentation,
//! "Caching"; uv's documentation, "Caching" (`--reinstall`, `--no-cache`).

use super::isolated_build_after_numpy_install::has;
use super::{Input, LintRule};
use crate::lint::shell::{install, Tool};
use crate::lint::LintFinding;
use crate::rules::Severity;

pub const RULE: LintRule = LintRule {
    code: "NPL008",
    name: "no-binary-with-cache",
    severity: Severity::Warning,
    source: include_str!("no_binary_with_cache.rs"),
    check,
};

pub fn check(input: &Input, out: &mut Vec<LintFinding>) {
    for (_, s) in input.scripts() {
        let mut names: Vec<&str> = Vec::new();
        for step in &s.steps {
            let c = match step {
                crate::lint::shell::Step::Set(v) => {
                    names.push(v.name.as_str());
                    continue;
                }
                crate::lint::shell::Step::Run(c) => c,
            };
            let Some(inst) = install(c) else { continue };
            let value = inst
                .args
                .iter()
                .position(|a| a == "--no-binary")
                .and_then(|i| inst.args.get(i + 1).cloned())
                .or_else(|| {
                    inst.args
                        .iter()
                        .find_map(|a| a.strip_prefix("--no-binary=").map(str::to_string))
                });
            let Some(value) = value.filter(|v| v != ":none:") else {
                continue;
            };
            let local: Vec<&str> = c.assignments.iter().map(|(n, _)| n.as_str()).collect();
            let env = |n: &str| names.contains(&n) || local.contains(&n);
            let (cached, fix) = match inst.tool {
                Tool::Pip => (
                    !has(inst.args, &["--no-cache-dir"]) && !env("PIP_NO_CACHE_DIR"),
                    "add --no-cache-dir".to_string(),
                ),
                Tool::Uv => (
                    !has(
                        inst.args,
                        &["--reinstall", "--reinstall-package", "--no-cache", "-n"],
                    ) && !env("UV_NO_CACHE"),
                    format!(
                        "add --reinstall-package {}",
                        value.split(',').next().unwrap_or(&value)
                    ),
                ),
                Tool::Conda => continue,
            };
            if cached {
                let cmd = c.words.join(" ");
                out.push(RULE.finding(
                    &c.loc,
                    format!("`--no-binary {value}` can reinstall a wheel built earlier and cached, against an older NumPy"),
                    vec![format!("{}:{}:{} `{cmd}`", c.loc.file, c.loc.line, c.loc.column)],
                    fix,
                    None,
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn pip_and_uv() {
        let l = lint_files(&[(
            "rebuild.sh",
            "pip install --no-binary pandas pandas\npip install --no-cache-dir --no-binary pandas pandas\nuv pip install --no-binary scipy scipy\nuv pip install --reinstall-package scipy --no-binary scipy scipy\npip install --no-binary :none: x\n",
        )]);
        assert_eq!(codes(&l, "NPL008"), vec!["rebuild.sh:1", "rebuild.sh:3"]);
    }
}
