//! NPL006 isolated-build-after-numpy-install: a NumPy is installed, then a package is built from source in an isolated build with no build constraint.
//!
//! ## What it detects
//! In a Dockerfile, shell script or workflow: a `pip`/`uv pip`/`conda` install of `numpy` (named
//! on the command line, or pinned in a requirements file it reads with `-r`), then, in the same
//! or a later command, a pip or uv install that builds from source (`--no-binary`, `.`, a local
//! path, `-e`, `git+...`, an sdist file or URL) without `--no-build-isolation` and without a build
//! constraint (`--build-constraint`, uv's `--build-constraints`/`-b`, `PIP_BUILD_CONSTRAINT`,
//! `UV_BUILD_CONSTRAINT`). In environment.yml: a conda `numpy` and a `pip:` entry that builds from
//! source. Packages that exist only as sdists on the index are not recognised (that needs the
//! index).
//!
//! ## Why it breaks
//! The isolated build environment resolves its own NumPy from the build requirements, usually
//! the newest, not the one installed. The binary is then built against a different NumPy than
//! the one it runs with: one built against NumPy 2.x with a newer target than the installed
//! 1.x, or against 1.x when NumPy 2 is installed, fails at import.
//!
//! ## Example
//! `pip install numpy==1.26.4 && pip install --no-binary pandas pandas` builds pandas against
//! whatever NumPy its build requirements resolve to.
//!
//! ## Fix
//! Build against the installed NumPy: `--no-build-isolation` (after installing the build
//! requirements yourself), or pass a build constraint that pins the same NumPy:
//! `pip install --build-constraint build-constraints.txt ...` (uv: `--build-constraints`).
//!
//! ## References
//! discuss.python.org, "Build isolation can lead to invalid install"; pip's documentation of
//! build isolation (`pip install --no-build-isolation`, `--build-constraint`); uv's
//! `--build-constraints`.

use super::{Input, LintRule};
use crate::inventory::parse_requirement;
use crate::lint::files::Content;
use crate::lint::shell::{install, Command, Script, Step, Tool};
use crate::lint::{requirements, LintFinding, Loc};
use crate::rules::Severity;

pub const RULE: LintRule = LintRule {
    code: "NPL006",
    name: "isolated-build-after-numpy-install",
    severity: Severity::Warning,
    source: include_str!("isolated_build_after_numpy_install.rs"),
    check,
};

/// The argument names a NumPy requirement.
fn is_numpy(arg: &str) -> bool {
    !arg.starts_with('-')
        && parse_requirement(arg).is_ok_and(|(r, _)| r.normalized == "numpy" && r.url.is_none())
}

/// A conda spec naming numpy (`numpy`, `numpy=1.26`, `conda-forge::numpy<2`).
fn is_conda_numpy(arg: &str) -> bool {
    let name = arg.rsplit("::").next().unwrap_or(arg);
    let name: String = name
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    name.eq_ignore_ascii_case("numpy")
}

/// Why this argument list builds something from source, when it does.
pub(crate) fn builds_from_source(args: &[String]) -> Option<String> {
    let mut it = args.iter().peekable();
    while let Some(a) = it.next() {
        if a == "--no-binary" {
            let v = it.next().map(String::as_str).unwrap_or("");
            if v != ":none:" {
                return Some(format!("--no-binary {v}"));
            }
        } else if let Some(v) = a.strip_prefix("--no-binary=") {
            if v != ":none:" {
                return Some(a.clone());
            }
        } else if matches!(
            a.as_str(),
            "-r" | "--requirement"
                | "-c"
                | "--constraint"
                | "-i"
                | "--index-url"
                | "--extra-index-url"
                | "-f"
                | "--find-links"
                | "--target"
                | "-t"
                | "--prefix"
                | "--python"
                | "-p"
        ) {
            it.next();
        } else if a == "."
            || a.starts_with("./")
            || a.starts_with("../")
            || a.starts_with('/') && !a.ends_with(".whl")
        {
            return Some(format!("the local tree {a}"));
        } else if a == "-e" || a == "--editable" {
            if let Some(v) = it.next() {
                return Some(format!("-e {v}"));
            }
        } else if a.contains("git+") {
            return Some(a.clone());
        } else if [".tar.gz", ".zip", ".tar.bz2", ".tgz"]
            .iter()
            .any(|s| a.ends_with(s))
        {
            return Some(format!("the sdist {a}"));
        }
    }
    None
}

pub(crate) fn has(args: &[String], flags: &[&str]) -> bool {
    args.iter().any(|a| {
        flags
            .iter()
            .any(|f| a == f || a.starts_with(&format!("{f}=")))
    })
}

fn set(vars: &[(&str, &Loc)], names: &[&str]) -> bool {
    vars.iter().any(|(n, _)| names.contains(n))
}

fn script_findings(input: &Input, s: &Script, out: &mut Vec<LintFinding>) {
    let mut numpy_at: Option<(Loc, String)> = None;
    let mut vars: Vec<(&str, &Loc)> = Vec::new();
    for step in &s.steps {
        let c: &Command = match step {
            Step::Set(v) => {
                vars.push((v.name.as_str(), &v.loc));
                continue;
            }
            Step::Run(c) => c,
        };
        let Some(inst) = install(c) else { continue };
        let local: Vec<(&str, &Loc)> = c
            .assignments
            .iter()
            .map(|(n, _)| (n.as_str(), &c.loc))
            .collect();
        let all: Vec<(&str, &Loc)> = vars.iter().copied().chain(local).collect();
        let numpy_here = match inst.tool {
            Tool::Conda => inst.args.iter().find(|a| is_conda_numpy(a)).cloned(),
            _ => inst
                .args
                .iter()
                .find(|a| is_numpy(a))
                .cloned()
                .or_else(|| requirement_numpy(input, inst.args)),
        };
        if inst.tool != Tool::Conda {
            if let Some(why) = builds_from_source(inst.args) {
                let isolated = !has(inst.args, &["--no-build-isolation"])
                    && !set(&all, &["PIP_NO_BUILD_ISOLATION", "UV_NO_BUILD_ISOLATION"]);
                let constrained = has(
                    inst.args,
                    &["--build-constraint", "--build-constraints", "-b"],
                ) || set(&all, &["PIP_BUILD_CONSTRAINT", "UV_BUILD_CONSTRAINT"]);
                let before = numpy_at
                    .clone()
                    .or_else(|| numpy_here.as_ref().map(|n| (c.loc.clone(), n.clone())));
                if let (true, false, Some((nloc, n))) = (isolated, constrained, before) {
                    out.push(RULE.finding(
                        &c.loc,
                        format!("builds {why} in an isolated build after installing `{n}`: the build resolves its own NumPy, not the installed one"),
                        vec![
                            format!("{}:{}:{} installs `{n}`", nloc.file, nloc.line, nloc.column),
                            format!("{}:{}:{} `{}` builds {why}, isolated, with no build constraint", c.loc.file, c.loc.line, c.loc.column, c.words.join(" ")),
                        ],
                        "add --no-build-isolation (with the build requirements installed first), or --build-constraint FILE pinning the installed NumPy (uv: --build-constraints FILE)".into(),
                        None,
                    ));
                }
            }
        }
        if let Some(n) = numpy_here {
            numpy_at = Some((c.loc.clone(), n));
        }
    }
}

/// `-r FILE` arguments naming a requirements file that lint read and that pins numpy.
fn requirement_numpy(input: &Input, args: &[String]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let file = if a == "-r" || a == "--requirement" {
            it.next()
        } else {
            None
        };
        let Some(file) = file else { continue };
        // Inside an image `/requirements.txt` is the file COPY put there: match by its tail.
        let name = file.trim_start_matches("./").trim_start_matches('/');
        for f in input.files {
            if let Content::Requirements(lines) = &f.content {
                if f.path.ends_with(name) {
                    if let Some(l) = requirements::numpy_line(lines) {
                        return Some(format!("{} (from {})", l.text, f.display));
                    }
                }
            }
        }
    }
    None
}

pub fn check(input: &Input, out: &mut Vec<LintFinding>) {
    for (_, s) in input.scripts() {
        script_findings(input, s, out);
    }
    for f in input.files {
        let Content::Environment(env) = &f.content else {
            continue;
        };
        let Some((nloc, n)) = &env.numpy else {
            continue;
        };
        for (loc, entry) in &env.pip {
            let args: Vec<String> = entry.split_whitespace().map(str::to_string).collect();
            if has(&args, &["--no-build-isolation"]) {
                continue;
            }
            if let Some(why) = builds_from_source(&args) {
                out.push(RULE.finding(
                    loc,
                    format!("pip builds {why} in an isolated build after conda installs `{n}`: the build resolves its own NumPy"),
                    vec![
                        format!("{}:{}:{} conda installs `{n}`", nloc.file, nloc.line, nloc.column),
                        format!("{}:{}:{} pip entry `{entry}` builds {why}", loc.file, loc.line, loc.column),
                    ],
                    "install it in a later step with pip install --no-build-isolation, or with --build-constraint FILE pinning the conda NumPy".into(),
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
    fn sequence_in_a_script() {
        let l = lint_files(&[(
            "build.sh",
            "pip install numpy==1.26.4\npip install --no-binary pandas pandas\npip install --no-build-isolation .\npip install --build-constraint bc.txt git+https://github.com/o/p\n",
        )]);
        assert_eq!(codes(&l, "NPL006"), vec!["build.sh:2"]);
    }

    #[test]
    fn requirements_file_and_environment_yml() {
        let l = lint_files(&[
            ("requirements.txt", "numpy==1.26.4\n"),
            (
                "Dockerfile",
                "FROM python:3.11\nRUN pip install -r requirements.txt && pip install .\n",
            ),
            (
                "environment.yml",
                "dependencies:\n  - numpy=1.26\n  - pip:\n    - git+https://github.com/o/p\n",
            ),
        ]);
        assert_eq!(
            codes(&l, "NPL006"),
            vec!["Dockerfile:2", "environment.yml:4"]
        );
    }

    #[test]
    fn silent_without_a_numpy_install() {
        let l = lint_files(&[("build.sh", "pip install --no-binary pandas pandas\n")]);
        assert!(codes(&l, "NPL006").is_empty());
    }
}
