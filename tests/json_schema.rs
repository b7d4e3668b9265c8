//! The JSON Schema of each JSON report (`abi-doctor schema REPORT`, generated from the report
//! types) is the committed docs/schema/REPORT.schema.json, and real reports validate against it:
//! check, explain, inspect and verify of a real broken venv (pandas 2.1.4 built against NumPy 1.x,
//! on NumPy 2.0.2), lint of a project, and fix of the same venv: its plan, the apply of it
//! (`fix --apply --yes`, uv from tests/support) and the rollback. Validation is Python's jsonschema 4.23.0 from PyPI in a
//! cached tools venv (tests/support/schema.rs), in strict mode: a key a report prints that its
//! schema does not describe is an error too (tests/json_schema/validate.py).
//!
//! `ABI_DOCTOR_UPDATE_DOCS=1 cargo test --test json_schema committed` rewrites the files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Command as Proc;
use support::venv::run;

fn abi_doctor() -> Command {
    let mut c = Command::cargo_bin("abi-doctor").unwrap();
    c.env_remove("ABI_DOCTOR_OUTPUT_FORMAT")
        .env_remove("ABI_DOCTOR_CONFIG")
        .env("ABI_DOCTOR_NO_PROGRESS", "1");
    c
}

fn reports() -> Vec<String> {
    let out = abi_doctor().arg("schema").output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn schema_text(report: &str) -> String {
    let out = abi_doctor().args(["schema", report]).output().unwrap();
    assert!(out.status.success(), "schema {report}");
    String::from_utf8(out.stdout).unwrap()
}

fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema")
}

#[test]
fn committed_schemas_are_the_generated_ones() {
    let update = std::env::var("ABI_DOCTOR_UPDATE_DOCS").is_ok_and(|v| v == "1");
    let names = reports();
    assert_eq!(
        names,
        ["check", "explain", "fix", "inspect", "lint", "verify"]
    );
    let mut stale = Vec::new();
    for r in &names {
        let text = schema_text(r);
        let file = docs().join(format!("{r}.schema.json"));
        if update {
            std::fs::create_dir_all(docs()).unwrap();
            std::fs::write(&file, &text).unwrap();
        } else if std::fs::read_to_string(&file).ok().as_deref() != Some(text.as_str()) {
            stale.push(file.display().to_string());
        }
    }
    let committed: Vec<String> = std::fs::read_dir(docs())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".schema.json"))
        .collect();
    assert!(
        stale.is_empty() && committed.len() == names.len(),
        "stale or missing schemas {stale:?} ({committed:?} committed): run \
         ABI_DOCTOR_UPDATE_DOCS=1 cargo test --test json_schema committed"
    );
    let mut out = abi_doctor().args(["schema", "nonsense"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    out.stderr.truncate(200);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("check, explain, fix, inspect, lint, verify"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Validates `doc` against the committed schema of `report`; (valid, what the validator said).
fn validate(py: &Path, report: &str, doc: &[u8], dir: &Path) -> (bool, String) {
    let path = dir.join(format!("{report}.json"));
    std::fs::write(&path, doc).unwrap();
    let out = Proc::new(py)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/json_schema/validate.py"))
        .arg("--strict")
        .arg(docs().join(format!("{report}.schema.json")))
        .arg(&path)
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

fn json_of(cmd: &mut Command, expect: &[i32]) -> (Vec<u8>, serde_json::Value) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| expect.contains(&c)),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v = serde_json::from_slice(&out.stdout).unwrap();
    (out.stdout, v)
}

const TRACEBACK: &str = "Traceback (most recent call last):\n  \
    File \"<stdin>\", line 1, in <module>\n  \
    File \"/srv/app/.venv/lib/python3.11/site-packages/pandas/__init__.py\", line 29, in <module>\n    \
    from pandas._libs import hashtable as _hashtable, lib as _lib, tslib as _tslib\n  \
    File \"interval.pyx\", line 1, in init pandas._libs.interval\n\
    ValueError: numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, got 88 from PyObject\n";

#[test]
fn real_reports_validate_against_their_schemas() {
    let Some(python) = support::require(support::find_python("3.11"), "CPython 3.11") else {
        return;
    };
    let Some(py) = support::schema::jsonschema_python(&python) else {
        return;
    };
    let Some(base) = support::schema::pandas_on_numpy2(&python) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // verify runs code in the environment: a copy, so the cached venv stays as built.
    let env = tmp.path().join("broken env");
    run(Proc::new("cp").arg("-a").arg(&base).arg(&env)).unwrap();
    let site = env.join("lib/python3.11/site-packages");

    // check: failures predicted, exit 1.
    let (doc, check) = json_of(
        abi_doctor()
            .arg("check")
            .arg(&env)
            .args(["--output-format", "json"]),
        &[1],
    );
    let (ok, said) = validate(&py, "check", &doc, tmp.path());
    assert!(ok, "{said}");
    assert!(check["summary"]["failing_modules"].as_u64().unwrap() > 0);
    // Every file is given absolute and relative to the prefix.
    let prefix = check["environment"]["prefix"].as_str().unwrap().to_string();
    let both = |item: &serde_json::Value| {
        let abs = item["path"].as_str().unwrap();
        let rel = item["path_in_env"].as_str().unwrap();
        assert_eq!(format!("{prefix}/{rel}"), abs);
        assert!(rel.starts_with("lib/python3.11/site-packages/"), "{rel}");
    };
    let with_files: Vec<&serde_json::Value> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["path"].is_null())
        .collect();
    assert!(!with_files.is_empty());
    with_files.iter().for_each(|f| both(f));
    both(&check["numpy"]);

    // The validator is not blind: a wrong schema_version, a missing field, an unknown key and a
    // wrong type each fail.
    for (what, edit) in [
        ("schema_version", {
            let mut v = check.clone();
            v["schema_version"] = 2.into();
            v
        }),
        ("summary", {
            let mut v = check.clone();
            v.as_object_mut().unwrap().remove("summary");
            v
        }),
        ("unknown", {
            let mut v = check.clone();
            v["findings"][0]["surprise"] = true.into();
            v
        }),
        ("type", {
            let mut v = check.clone();
            v["findings"][0]["severity"] = "fatal".into();
            v
        }),
    ] {
        let (ok, said) = validate(
            &py,
            "check",
            &serde_json::to_vec(&edit).unwrap(),
            tmp.path(),
        );
        assert!(!ok, "{what}: {said}");
    }

    // explain: the traceback names pandas, found in the environment.
    let (doc, explain) = json_of(
        abi_doctor()
            .arg("explain")
            .arg(TRACEBACK)
            .arg("--env")
            .arg(&env)
            .args(["--output-format", "json"]),
        &[0],
    );
    let (ok, said) = validate(&py, "explain", &doc, tmp.path());
    assert!(ok, "{said}");
    assert!(
        !explain["culprits"].as_array().unwrap().is_empty(),
        "{explain:#}"
    );

    // inspect: pandas' compiled modules.
    let (doc, inspect) = json_of(
        abi_doctor()
            .arg("inspect")
            .arg(site.join("pandas/_libs"))
            .args(["--output-format", "json"]),
        &[0],
    );
    let (ok, said) = validate(&py, "inspect", &doc, tmp.path());
    assert!(ok, "{said}");
    assert!(inspect["binaries"].as_array().unwrap().len() > 10);

    // verify: the real imports (0 agree, 1 a disagreement; either is a report).
    let (doc, verify) = json_of(
        abi_doctor().arg("verify").arg("--env").arg(&env).args([
            "--numpy-only",
            "-j",
            "2",
            "--output-format",
            "json",
        ]),
        &[0, 1],
    );
    let (ok, said) = validate(&py, "verify", &doc, tmp.path());
    assert!(ok, "{said}");
    assert!(!verify["modules"].as_array().unwrap().is_empty());
    verify["modules"].as_array().unwrap().iter().for_each(both);
    both(&verify["numpy"]);

    // lint: a project whose build pins the NumPy 1.x headers.
    let proj = tmp.path().join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(
        proj.join("pyproject.toml"),
        "[build-system]\nrequires = [\"setuptools\", \"oldest-supported-numpy\"]\n\
         build-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"p\"\nversion = \"1\"\n\
         dependencies = [\"numpy\"]\n",
    )
    .unwrap();
    std::fs::write(proj.join("requirements.txt"), "pandas==2.1.4\nnumpy>=2\n").unwrap();
    let (doc, lint) = json_of(
        abi_doctor()
            .arg("lint")
            .arg(&proj)
            .args(["--output-format", "json"]),
        &[1],
    );
    let (ok, said) = validate(&py, "lint", &doc, tmp.path());
    assert!(ok, "{said}");
    assert!(!lint["findings"].as_array().unwrap().is_empty());

    // fix: the plan (proven: exit 0), its apply to the copy, the rollback. The journal and
    // snapshot go to a cache directory of this test's own.
    let Some(uv) = support::require(support::find_uv(), "uv (scripts/package/tools.sh)") else {
        return;
    };
    let cache = tmp.path().join("cache");
    let fix = |args: &[&str], expect: &[i32]| {
        json_of(
            abi_doctor()
                .arg("fix")
                .arg("--env")
                .arg(&env)
                .args(args)
                .args(["--output-format", "json"])
                .env("ABI_DOCTOR_UV", &uv)
                .env("XDG_CACHE_HOME", &cache),
            expect,
        )
    };
    let (doc, plan) = fix(&[], &[0]);
    let (ok, said) = validate(&py, "fix", &doc, tmp.path());
    assert!(ok, "{said}");
    assert_eq!(plan["proven"], true, "{plan:#}");
    assert!(!plan["plan"]["changes"].as_array().unwrap().is_empty());
    let (doc, applied) = fix(&["--apply", "--yes"], &[0]);
    let (ok, said) = validate(&py, "fix", &doc, tmp.path());
    assert!(ok, "{said}");
    assert_eq!(applied["applied"], true, "{applied:#}");
    assert!(applied["result"]["changed_distributions"].as_u64().unwrap() > 0);
    let (doc, rolled) = fix(&["--rollback"], &[0]);
    let (ok, said) = validate(&py, "fix", &doc, tmp.path());
    assert!(ok, "{said}");
    assert!(
        rolled["rolled_back"]["restored"].as_u64().unwrap() > 0,
        "{rolled:#}"
    );
    // The validator is not blind to the fix shapes either.
    let mut bad = applied.clone();
    bad["result"]["surprise"] = true.into();
    let (ok, said) = validate(&py, "fix", &serde_json::to_vec(&bad).unwrap(), tmp.path());
    assert!(!ok, "unknown key in an applied report: {said}");
}
