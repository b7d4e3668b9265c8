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

// ---- NPL009: pinned sets read against a local index of real wheels ----

use support::index_server::{index_wheels, IndexServer, Mode};

/// The real wheels NPL009's tests serve: cp311 x86_64 NumPy and pandas wheels, and the
/// pure-Python dependencies `uv lock` needs to resolve pandas.
const NPL009_WHEELS: &[&str] = &[
    "numpy==2.0.2",
    "numpy==1.26.4",
    "pandas==2.1.4",
    "pandas==2.2.3",
    "python-dateutil==2.9.0.post0",
    "six==1.16.0",
    "pytz==2024.2",
    "tzdata==2024.2",
];

fn npl009_server() -> Option<IndexServer> {
    let w = support::require(index_wheels(NPL009_WHEELS), "real wheels from PyPI")?;
    Some(IndexServer::start(&w, Mode::Ranges))
}

/// `abi-doctor lint DIR --format json` with the local index, a private cache and PATH, and no
/// offline switch from the parent's environment.
fn lint_indexed(
    dir: &Path,
    server: &IndexServer,
    cache: &Path,
    path: Option<&Path>,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (i32, serde_json::Value) {
    let mut c = Command::cargo_bin("abi-doctor").unwrap();
    c.arg("lint")
        .arg(dir)
        .args(["--format", "json"])
        .args(extra);
    for k in [
        "ABI_DOCTOR_OFFLINE",
        "UV_OFFLINE",
        "PIP_NO_INDEX",
        "UV_INDEX_URL",
        "UV_DEFAULT_INDEX",
        "UV_EXTRA_INDEX_URL",
        "UV_INDEX",
        "PIP_EXTRA_INDEX_URL",
    ] {
        c.env_remove(k);
    }
    c.env("PIP_INDEX_URL", server.index_url())
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("XDG_CACHE_HOME", cache)
        .env("PATH", path.map(|p| p.as_os_str()).unwrap_or_default());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

fn npl009(v: &serde_json::Value) -> Vec<&serde_json::Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "NPL009")
        .collect()
}

fn notes(v: &serde_json::Value) -> Vec<String> {
    v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(d.path().join(name), text).unwrap();
    }
    d
}

const PY311: &str = "[tool.abi-doctor.lint]\npython-version = \"3.11\"\n";

#[test]
fn npl009_requirements_against_a_local_index() {
    let Some(server) = npl009_server() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let bad = project(&[
        ("pyproject.toml", PY311),
        (
            "requirements.txt",
            "numpy==2.0.2\npandas==2.1.4\nsix==1.16.0\n",
        ),
    ]);
    let (code, v) = lint_indexed(bad.path(), &server, cache.path(), None, &[], &[]);
    let f = npl009(&v);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!(
        found(&v, bad.path()),
        ["NPL009 requirements.txt:2"],
        "{v:#}"
    );
    assert_eq!(f[0]["location"]["column"], 1);
    let ev = f[0]["evidence"].to_string();
    assert!(ev.contains("pandas-2.1.4-cp311-cp311-manylinux"), "{ev}");
    assert!(ev.contains(".cpython-311-x86_64-linux-gnu.so"), "{ev}");
    assert!(ev.contains("ABI version 0x1000009"), "{ev}");
    assert!(ev.contains("numpy>=1.23,<2"), "{ev}");
    assert!(ev.contains("python-version"), "{ev}");
    let fix = f[0]["fix"].as_str().unwrap();
    assert!(fix.contains("`numpy==1.26.4`"), "{fix}");
    // The only later release the local index has, read and found to fit.
    assert!(fix.contains("`pandas==2.2.3`"), "{fix}");
    assert!(notes(&v).is_empty(), "{v:#}");

    // The same lint again: everything from the cache, not one request.
    let before = server.requests();
    let (_, again) = lint_indexed(bad.path(), &server, cache.path(), None, &[], &[]);
    assert_eq!(server.requests(), before, "a second lint sent requests");
    assert_eq!(npl009(&again), f);

    // noqa, --ignore, --select.
    let quiet = project(&[
        ("pyproject.toml", PY311),
        (
            "requirements.txt",
            "numpy==2.0.2\npandas==2.1.4  # noqa: NPL009\n",
        ),
    ]);
    let (code, v) = lint_indexed(quiet.path(), &server, cache.path(), None, &[], &[]);
    assert_eq!(
        (code, v["summary"]["suppressed"].as_u64()),
        (0, Some(1)),
        "{v:#}"
    );
    let (_, v) = lint_indexed(
        bad.path(),
        &server,
        cache.path(),
        None,
        &["--ignore", "NPL009"],
        &[],
    );
    assert!(npl009(&v).is_empty() && notes(&v).is_empty(), "{v:#}");
    let (_, v) = lint_indexed(
        bad.path(),
        &server,
        cache.path(),
        None,
        &["--select", "NPL009"],
        &[],
    );
    assert_eq!(npl009(&v).len(), 1, "{v:#}");

    // Healthy pairs stay silent: a NumPy 1.x pin with the 1.x-built pandas, NumPy 2 with the
    // NumPy 2-built one.
    for reqs in [
        "numpy==1.26.4\npandas==2.1.4\n",
        "numpy==2.0.2\npandas==2.2.3\n",
    ] {
        let d = project(&[("pyproject.toml", PY311), ("requirements.txt", reqs)]);
        let (code, v) = lint_indexed(d.path(), &server, cache.path(), None, &[], &[]);
        assert_eq!(code, 0, "{reqs}: {v:#}");
        assert!(
            npl009(&v).is_empty() && notes(&v).is_empty(),
            "{reqs}: {v:#}"
        );
    }

    // Offline, by the environment or the flag: one note, no NPL009, no request.
    let before = server.requests();
    let fresh = tempfile::tempdir().unwrap();
    for (extra, env) in [
        (vec![], vec![("ABI_DOCTOR_OFFLINE", "1")]),
        (vec!["--offline"], vec![]),
    ] {
        let (code, v) = lint_indexed(bad.path(), &server, fresh.path(), None, &extra, &env);
        assert_eq!(code, 0, "{v:#}");
        assert!(npl009(&v).is_empty(), "{v:#}");
        let n = notes(&v);
        assert_eq!(n.len(), 1, "{n:?}");
        assert!(
            n[0].contains("NPL009 not evaluated") && n[0].contains("offline"),
            "{n:?}"
        );
    }
    assert_eq!(server.requests(), before);

    // A pin the index does not have: a note naming it, and the rest is linted.
    let unknown = project(&[
        ("pyproject.toml", PY311),
        (
            "requirements.txt",
            "numpy==2.0.2\nno-such-dist-abi-doctor==1.0\npandas==2.1.4\n",
        ),
    ]);
    let (_, v) = lint_indexed(unknown.path(), &server, fresh.path(), None, &[], &[]);
    assert_eq!(
        found(&v, unknown.path()),
        ["NPL009 requirements.txt:3"],
        "{v:#}"
    );
    let n = notes(&v);
    assert!(
        n.len() == 1 && n[0].contains("requirements.txt:2:1 no-such-dist-abi-doctor==1.0"),
        "{n:?}"
    );
}

/// A directory holding `python3 -> <CPython 3.11>`: this machine's interpreter, for PATH.
fn path_with_python311(dir: &Path) -> Option<PathBuf> {
    let py = support::require(support::find_python("3.11"), "CPython 3.11")?;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let real = std::fs::canonicalize(&py).unwrap();
    std::os::unix::fs::symlink(&real, bin.join("python3")).unwrap();
    Some(bin)
}

fn uv_at(uv: &Path, dir: &Path, server: &IndexServer, cache: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(uv);
    c.current_dir(dir)
        .env("UV_CACHE_DIR", cache.join("uv"))
        .env("UV_NO_CONFIG", "1")
        .env("UV_PYTHON_DOWNLOADS", "never")
        .env("UV_DEFAULT_INDEX", server.index_url())
        .env_remove("UV_INDEX_URL")
        .env_remove("UV_EXTRA_INDEX_URL")
        .env_remove("UV_OFFLINE");
    c
}

/// The line of `name = "<name>"` in a lock file.
fn lock_line(text: &str, name: &str) -> usize {
    let want = format!("name = \"{name}\"");
    text.lines().position(|l| l.trim() == want).unwrap() + 1
}

#[test]
fn npl009_pylock_and_uv_lock_made_by_real_uv() {
    let Some(server) = npl009_server() else {
        return;
    };
    let Some(uv) = support::require(support::find_uv(), "uv") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let Some(path) = path_with_python311(tmp.path()) else {
        return;
    };
    let py = path.join("python3");
    let cache = tmp.path().join("cache");

    // pylock.toml by `uv pip compile --no-deps`: the pins exactly as given.
    for (reqs, fires) in [
        ("numpy==2.0.2\npandas==2.1.4\n", true),
        ("numpy==1.26.4\npandas==2.1.4\n", false),
        ("numpy==2.0.2\npandas==2.2.3\n", false),
    ] {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("req.in"), reqs).unwrap();
        support::venv::run(
            uv_at(&uv, d.path(), &server, &cache)
                .args(["pip", "compile", "--no-deps", "--format", "pylock.toml"])
                .args([
                    "--python-version",
                    "3.11",
                    "--python-platform",
                    "x86_64-manylinux_2_17",
                ])
                .args(["-o", "pylock.toml", "-q", "req.in"]),
        )
        .unwrap();
        std::fs::remove_file(d.path().join("req.in")).unwrap();
        let text = std::fs::read_to_string(d.path().join("pylock.toml")).unwrap();
        let (code, v) = lint_indexed(d.path(), &server, &cache, Some(&path), &[], &[]);
        if fires {
            assert_eq!(code, 1, "{text}\n{v:#}");
            let want = format!("NPL009 pylock.toml:{}", lock_line(&text, "pandas"));
            assert_eq!(found(&v, d.path()), [want], "{v:#}");
            let ev = npl009(&v)[0]["evidence"].to_string();
            // The target Python: this machine's python3 (3.11), admitted by the lock's
            // requires-python.
            assert!(ev.contains("CPython 3.11 (this machine's"), "{ev}");
            assert!(ev.contains("pandas-2.1.4-cp311-cp311-manylinux"), "{ev}");
        } else {
            assert_eq!(code, 0, "{reqs}{text}\n{v:#}");
            assert!(npl009(&v).is_empty() && notes(&v).is_empty(), "{v:#}");
        }
    }

    // uv.lock by `uv lock`: pandas 2.1.4 declares numpy<2, so only an override gets NumPy 2 in.
    for (deps, overrides, fires) in [
        (
            "\"pandas==2.1.4\", \"numpy==2.0.2\"",
            "\n[tool.uv]\noverride-dependencies = [\"numpy==2.0.2\"]\n",
            true,
        ),
        ("\"pandas==2.1.4\", \"numpy==1.26.4\"", "", false),
        ("\"pandas==2.2.3\", \"numpy==2.0.2\"", "", false),
    ] {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("pyproject.toml"),
            format!(
                "[project]\nname = \"demo\"\nversion = \"0.1.0\"\nrequires-python = \">=3.11,<3.12\"\ndependencies = [{deps}]\n{overrides}"
            ),
        )
        .unwrap();
        support::venv::run(
            uv_at(&uv, d.path(), &server, &cache)
                .arg("lock")
                .arg("-q")
                .arg("--python")
                .arg(&py),
        )
        .unwrap();
        let text = std::fs::read_to_string(d.path().join("uv.lock")).unwrap();
        let (code, v) = lint_indexed(d.path(), &server, &cache, Some(&path), &[], &[]);
        if fires {
            assert_eq!(code, 1, "{text}\n{v:#}");
            let want = format!("NPL009 uv.lock:{}", lock_line(&text, "pandas"));
            assert_eq!(found(&v, d.path()), [want], "{v:#}");
        } else {
            assert_eq!(code, 0, "{text}\n{v:#}");
            assert!(npl009(&v).is_empty() && notes(&v).is_empty(), "{v:#}");
        }
    }
}
