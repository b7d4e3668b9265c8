//! `abi-doctor lint` on real project files and on our hand-written fixtures.
//!
//! The real files are the pyproject.toml, setup.py and setup.cfg of sdists downloaded from PyPI
//! by `scripts/lint/fetch_sdists.py` into `${ABI_DOCTOR_CACHE:-$HOME/.cache/abi-doctor}/lint-sdists/`
//! (only those files are kept; nothing third-party is committed). Each project's expected
//! findings were decided by reading its files; the reason is written beside them.

// Test helpers outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use assert_cmd::Command;
use std::path::{Path, PathBuf};

fn cache() -> PathBuf {
    std::env::var_os("ABI_DOCTOR_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/abi-doctor")
        })
        .join("lint-sdists")
}

/// (project, expected `CODE file:line` findings, why).
const PROJECTS: &[(&str, &[&str], &str)] = &[
    (
        "h5py==3.10.0",
        &[
            "NPL001 pyproject.toml:4",
            "NPL002 setup.py:34",
            "NPL003 setup.py:34",
            "NPL003 setup.py:34",
        ],
        "builds with oldest-supported-numpy (NumPy 1.x) and setup.py's RUN_REQUIRES says \
         \"numpy >=1.17.3\" with no cap (NPL001, NPL002); oldest-supported-numpy builds against \
         1.21 for Python 3.10 and 1.23 for 3.11, whose binaries need NumPy 1.20 and 1.23, above \
         the 1.17.3 floor (NPL003 twice, info: no wheels in the gap)",
    ),
    (
        "h5py==3.12.1",
        &[],
        "healthy: builds against numpy>=2.0.0,<3 (default target 1.16 for 2.0 headers), runtime \
         numpy >=1.19.3 uncapped",
    ),
    (
        "matplotlib==3.7.5",
        &["NPL001 pyproject.toml:5", "NPL003 setup.py:326"],
        "oldest-supported-numpy in the build (NPL001); install_requires numpy>=1.20,<2 is capped \
         (no NPL002) but the Python 3.11 build against 1.23 needs 1.23 (NPL003); pybind11>=2.6 \
         is not capped (no NPL005)",
    ),
    (
        "pandas==2.1.4",
        &["NPL001 pyproject.toml:12"],
        "oldest-supported-numpy for Python < 3.12 (NPL001); every runtime numpy entry is capped \
         <2 (no NPL002) and each floor matches its Python's build (1.22.4 / 1.23.2 / 1.26.0)",
    ),
    (
        "pandas==2.2.3",
        &[],
        "healthy: numpy>=2.0 build, uncapped runtime floors at or above the 2.0 default target",
    ),
    (
        "pyxDamerauLevenshtein==1.5.3",
        &[],
        "build numpy>=1.16.1 is open-ended (not a 1.x-only build), runtime numpy>=1.16.1 equals \
         the 1.16 C-API a 1.16 build needs",
    ),
    (
        "scikit-learn==1.3.2",
        &["NPL001 pyproject.toml:12"],
        "oldest-supported-numpy (NPL001); its runtime numpy requirement is computed in setup.py \
         (line 605-607 appends <2.0), which a text reader does not see, so NPL002/NPL003 stay \
         silent rather than guess",
    ),
    (
        "scikit-learn==1.5.2",
        &[],
        "healthy: numpy>=2 build, runtime numpy>=1.19.5",
    ),
    (
        "scipy==1.11.4",
        &["NPL003 pyproject.toml:69", "NPL005 pyproject.toml:18"],
        "pins numpy==1.23.2 for Python 3.11 but declares numpy>=1.21.6 (NPL003, the issue's \
         example); pybind11>=2.10.4,<2.11.1 with NumPy (NPL005); runtime <1.28.0 is a cap \
         below 2 (no NPL002)",
    ),
    (
        "scipy==1.14.1",
        &[],
        "healthy: numpy>=2.0.0rc1,<2.3 build, runtime numpy>=1.23.5,<2.3, pybind11>=2.12.0",
    ),
    (
        "xarray==2024.6.0",
        &[],
        "healthy: pure Python, no NumPy at build time",
    ),
];

fn dir_of(spec: &str) -> String {
    spec.replace("==", "-")
}

/// The sdists' project files, fetched when the cache is cold. `None` when a prerequisite is
/// missing (the support policy decides whether that fails).
fn sdists() -> Option<PathBuf> {
    let dest = cache();
    let cold: Vec<&str> = PROJECTS
        .iter()
        .map(|p| p.0)
        .filter(|p| !dest.join(dir_of(p)).join(".complete").is_file())
        .collect();
    if !cold.is_empty() {
        let python = support::require(
            support::find_python("3.11"),
            "CPython 3.11 (runs the fetch script)",
        )?;
        support::require(support::pypi_reachable(), "PyPI (to download sdists)")?;
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/lint/fetch_sdists.py");
        let st = std::process::Command::new(python)
            .arg(&script)
            .arg(&dest)
            .args(&cold)
            .status()
            .expect("run fetch_sdists.py");
        assert!(st.success(), "fetch_sdists.py: {st}");
    }
    Some(dest)
}

fn lint_json(path: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::cargo_bin("abi-doctor")
        .unwrap()
        .arg("lint")
        .arg(path)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap_or(-1), v)
}

/// `CODE file:line` for every finding, the file relative to `root`.
fn found(v: &serde_json::Value, root: &Path) -> Vec<String> {
    let prefix = format!("{}/", root.display());
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["location"]["file"].as_str().unwrap().replace(&prefix, "");
            format!(
                "{} {file}:{}",
                f["code"].as_str().unwrap(),
                f["location"]["line"]
            )
        })
        .collect()
}

#[test]
fn real_sdists_fire_exactly_where_their_files_say() {
    let Some(dest) = sdists() else { return };
    let mut failures = Vec::new();
    for (spec, expected, why) in PROJECTS {
        let root = dest.join(dir_of(spec));
        let (code, v) = lint_json(&root, &[]);
        let mut got = found(&v, &root);
        got.sort();
        let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
        want.sort();
        if got != want {
            failures.push(format!("{spec}: got {got:?}, want {want:?} ({why})"));
        }
        assert!(
            v["problems"].as_array().unwrap().is_empty(),
            "{spec}: {}",
            v["problems"]
        );
        let loud =
            v["summary"]["errors"].as_u64().unwrap() + v["summary"]["warnings"].as_u64().unwrap();
        assert_eq!(code, if loud > 0 { 1 } else { 0 }, "{spec}: exit code");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// `--fix` on a copy of pandas 2.1.4's pyproject.toml: one line changes (oldest-supported-numpy
/// becomes numpy>=2.0, marker kept), every other byte stays, and the result lints clean (exit 0,
/// no warning or error). What remains is information: NPL004 says the `<2` caps on the
/// runtime requirements for Python < 3.12 are no longer needed now that those builds use NumPy 2
/// (dropping a cap is the maintainer's call, so it is not rewritten).
#[test]
fn fix_is_a_minimal_diff_that_relints_clean() {
    let Some(dest) = sdists() else { return };
    for spec in ["pandas==2.1.4", "scipy==1.14.1"] {
        let src = dest.join(dir_of(spec)).join("pyproject.toml");
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("pyproject.toml");
        std::fs::copy(&src, &p).unwrap();
        let before = std::fs::read_to_string(&p).unwrap();
        let out = Command::cargo_bin("abi-doctor")
            .unwrap()
            .args(["lint", "--fix"])
            .arg(d.path())
            .output()
            .unwrap();
        let after = std::fs::read_to_string(&p).unwrap();
        let changed: Vec<(&str, &str)> = before
            .lines()
            .zip(after.lines())
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(before.lines().count(), after.lines().count(), "{spec}");
        if spec.starts_with("pandas") {
            assert_eq!(
                changed,
                vec![(
                    "    \"oldest-supported-numpy>=2022.8.16; python_version<'3.12'\",",
                    "    \"numpy>=2.0; python_version<'3.12'\","
                )],
                "{spec}"
            );
        } else {
            assert!(
                changed.is_empty(),
                "{spec}: nothing to fix, nothing changed"
            );
        }
        assert_eq!(
            out.status.code(),
            Some(0),
            "{spec}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let (code, v) = lint_json(d.path(), &[]);
        assert_eq!(code, 0, "{spec}: re-lint: {v}");
        let left = found(&v, d.path());
        let want: Vec<&str> = if spec.starts_with("pandas") {
            vec!["NPL004 pyproject.toml:32", "NPL004 pyproject.toml:33"]
        } else {
            vec![]
        };
        assert_eq!(left, want, "{spec}");
        assert!(v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "info"));
    }
}

/// NPL002's fix on a pyproject.toml whose runtime requirement is in [project] dependencies.
#[test]
fn fix_adds_the_cap_and_relints_clean() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("pyproject.toml");
    let orig = "[build-system]\nrequires = [\n  \"setuptools\",\n  \"numpy==1.26.4\",  # headers\n]\n\n[project]\nname = \"ext\"\nrequires-python = \">=3.11\"\ndependencies = [\n  'numpy >=1.23.5 ; python_version>=\"3.11\"',\n  \"packaging\",\n]\n";
    std::fs::write(&p, orig).unwrap();
    let (code, v) = lint_json(d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(found(&v, d.path()), vec!["NPL002 pyproject.toml:11"]);
    Command::cargo_bin("abi-doctor")
        .unwrap()
        .args(["lint", "--fix"])
        .arg(d.path())
        .assert()
        .code(0);
    let after = std::fs::read_to_string(&p).unwrap();
    assert_eq!(
        after,
        orig.replace("numpy >=1.23.5 ;", "numpy >=1.23.5,<2 ;")
    );
    let (code, _) = lint_json(d.path(), &[]);
    assert_eq!(code, 0);
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lint")
        .join(name)
}

#[test]
fn dockerfile_requirements_and_script() {
    let root = fixture("docker");
    let (code, v) = lint_json(&root, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        found(&v, &root),
        vec![
            // ENV PIP_CONSTRAINT.
            "NPL007 Dockerfile:3",
            // requirements.txt pins numpy==1.26.4, then an isolated --no-binary pandas build,
            // with the cache.
            "NPL006 Dockerfile:6",
            "NPL008 Dockerfile:6",
            // line 7 has --no-cache-dir and --no-build-isolation; line 9 is silenced by noqa.
            "NPL006 rebuild.sh:4",
            "NPL008 rebuild.sh:4",
            // line 5: --reinstall-package and --build-constraints: silent.
        ]
    );
    assert_eq!(v["summary"]["suppressed"], 2);
    let f = &v["findings"][1];
    assert_eq!(f["location"]["column"], 5);
    assert!(
        f["evidence"][0]
            .as_str()
            .unwrap()
            .contains("requirements.txt"),
        "{f}"
    );
    // --ignore and --select.
    let (_, v) = lint_json(&root, &["--ignore", "NPL006,NPL008"]);
    assert_eq!(found(&v, &root), vec!["NPL007 Dockerfile:3"]);
    let (_, v) = lint_json(&root, &["--select", "NPL008"]);
    assert_eq!(found(&v, &root).len(), 2);
}

#[test]
fn workflow_and_environment_yml() {
    let root = fixture("workflow");
    let (_, v) = lint_json(&root, &[]);
    assert_eq!(
        found(&v, &root),
        vec![
            "NPL007 .github/workflows/wheels.yml:7",
            // `pip install .` after numpy==1.26.4; the git+ install has a build constraint.
            "NPL006 .github/workflows/wheels.yml:13",
        ]
    );
    let root = fixture("conda");
    let (_, v) = lint_json(&root, &[]);
    assert_eq!(found(&v, &root), vec!["NPL006 environment.yml:10"]);
}

#[test]
fn broken_files_are_reported_and_the_rest_is_linted() {
    let root = fixture("broken");
    let (code, v) = lint_json(&root, &[]);
    assert_eq!(code, 1, "the script's findings");
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    let text = serde_json::to_string(problems).unwrap();
    assert!(
        text.contains("not valid TOML") && text.contains("line 2"),
        "{text}"
    );
    assert!(
        text.contains("not valid YAML") && text.contains("line 5"),
        "{text}"
    );
    assert_eq!(
        found(&v, &root),
        vec!["NPL006 build.sh:2", "NPL008 build.sh:2"]
    );
    // Only broken files: nothing linted, exit 2.
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(root.join("pyproject.toml"), d.path().join("pyproject.toml")).unwrap();
    let (code, _) = lint_json(d.path(), &[]);
    assert_eq!(code, 2);
    Command::cargo_bin("abi-doctor")
        .unwrap()
        .args(["lint", "/nonexistent/abi-doctor"])
        .assert()
        .code(2);
}

#[test]
fn every_format_and_the_rule_docs() {
    let root = fixture("docker");
    for (fmt, needle) in [
        ("text", "Dockerfile:3:5: warning NPL007"),
        ("sarif", "\"startColumn\": 5"),
        ("github", "::warning file="),
    ] {
        let out = Command::cargo_bin("abi-doctor")
            .unwrap()
            .arg("lint")
            .arg(&root)
            .args(["--format", fmt])
            .output()
            .unwrap();
        let s = String::from_utf8_lossy(&out.stdout);
        assert!(s.contains(needle), "{fmt}: {s}");
        assert_eq!(out.status.code(), Some(1));
    }
    let out = Command::cargo_bin("abi-doctor")
        .unwrap()
        .args(["rule", "NPL001"])
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.starts_with("NPL001 oldest-supported-numpy:") && s.contains("## References"),
        "{s}"
    );
    let out = Command::cargo_bin("abi-doctor")
        .unwrap()
        .arg("rule")
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("NPY001 ") && s.contains("NPL008 no-binary-with-cache"),
        "{s}"
    );
}
