//! NPL007 pip-constraint-for-build: `PIP_CONSTRAINT` is used to pin build dependencies, which pip no longer applies to isolated builds.
//!
//! ## What it detects
//! `PIP_CONSTRAINT` set in a Dockerfile (`ENV`, `ARG`), a shell script (`export`, or before a
//! command) or a workflow (`env:`).
//!
//! ## Why it breaks
//! `PIP_CONSTRAINT` was the usual way to pin NumPy inside isolated builds, because the build
//! subprocess inherited it. pip 26.2 stopped applying constraint files to isolated build
//! environments; build constraints have their own option now. A build that relied on it silently
//! resolves the newest NumPy again, and its binaries may not import under the installed one.
//!
//! ## Example
//! `ENV PIP_CONSTRAINT=/constraints.txt` then `RUN pip install --no-binary scipy scipy`.
//!
//! ## Fix
//! Use `pip install --build-constraint FILE` (or `PIP_BUILD_CONSTRAINT=FILE`), which pip has
//! from 25.3 on; keep `PIP_CONSTRAINT` only for what is installed at run time. With pip older
//! than 25.3, `PIP_CONSTRAINT` is the only option that reaches the build (`-c` never does).
//! uv: `--build-constraints FILE`.
//!
//! ## References
//! Measured for pip 25.2, 25.3, 26.1.2, 26.2 and 26.3 by `scripts/pip/build_constraints.sh`:
//! `PIP_CONSTRAINT` pins an isolated build up to 26.1.2 and not from 26.2;
//! `--build-constraint` and `PIP_BUILD_CONSTRAINT` pin it from 25.3
//! (docs/pip-build-constraints.md#measured). pip's release notes (26.2: constraints no longer apply
//! to build environments; 25.3: `--build-constraint`); pip's documentation, "Build System
//! Interface" and "Constraints Files".

use super::{Input, LintRule};
use crate::lint::LintFinding;
use crate::rules::Severity;

pub const RULE: LintRule = LintRule {
    code: "NPL007",
    name: "pip-constraint-for-build",
    severity: Severity::Warning,
    source: include_str!("pip_constraint_for_build.rs"),
    check,
};

pub fn check(input: &Input, out: &mut Vec<LintFinding>) {
    for (_, s) in input.scripts() {
        for v in s.vars().filter(|v| v.name == "PIP_CONSTRAINT") {
            out.push(RULE.finding(
                &v.loc,
                "PIP_CONSTRAINT does not reach isolated builds (pip >= 26.2): build dependencies such as NumPy are not pinned by it".into(),
                vec![format!("{}:{}:{} sets PIP_CONSTRAINT={}", v.loc.file, v.loc.line, v.loc.column, v.value)],
                format!("pin build dependencies with PIP_BUILD_CONSTRAINT={} (pip install --build-constraint {}); uv: --build-constraints {}", v.value, v.value, v.value),
                None,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn every_way_to_set_it() {
        let l = lint_files(&[
            ("Dockerfile", "FROM x\nENV PIP_CONSTRAINT=/c.txt\n"),
            ("ci.sh", "PIP_CONSTRAINT=c.txt pip install .\nexport PIP_BUILD_CONSTRAINT=c.txt\n"),
            (".github/workflows/ci.yml", "on: push\njobs:\n  a:\n    runs-on: x\n    env:\n      PIP_CONSTRAINT: c.txt\n    steps:\n      - run: true\n"),
        ]);
        assert_eq!(
            codes(&l, "NPL007"),
            vec![".github/workflows/ci.yml:6", "Dockerfile:2", "ci.sh:1"]
        );
    }
}
