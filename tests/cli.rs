//! The one integration test binary: drives the real `abi-doctor` CLI on the committed fixtures
//! (compiled by scripts/fixtures/build.sh from tests/fixtures/src) and on site-packages trees
//! built here with real-shaped dist-info.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn manifest() -> Vec<Value> {
    let text = std::fs::read_to_string(fixtures().join("manifest.json"))
        .expect("tests/fixtures/manifest.json is committed (scripts/fixtures/build.sh makes it)");
    let v: Value = serde_json::from_str(&text).unwrap();
    match v {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("fixtures") {
            Some(Value::Array(a)) => a,
            _ => panic!("manifest has no fixtures list"),
        },
        _ => panic!("manifest is not a list"),
    }
}

fn abi_doctor() -> Command {
    Command::cargo_bin("abi-doctor").unwrap()
}

fn fixture_path(entry: &Value) -> PathBuf {
    fixtures().join(entry["file"].as_str().unwrap())
}

#[test]
fn inspect_json_matches_every_fixture_fact() {
    let entries = manifest();
    assert!(entries.len() >= 10, "fixture set too small");
    let paths: Vec<PathBuf> = entries.iter().map(fixture_path).collect();
    let out = abi_doctor()
        .arg("inspect")
        .arg("--format")
        .arg("json")
        .args(&paths)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema_version"], 1);
    let binaries = report["binaries"].as_array().unwrap();
    let mut failures = Vec::new();
    for (entry, path) in entries.iter().zip(&paths) {
        let shown = path.display().to_string();
        let Some(b) = binaries.iter().find(|b| b["path"] == shown.as_str()) else {
            failures.push(format!("{shown}: missing from report"));
            continue;
        };
        let exp = &entry["expect"];
        let check = |failures: &mut Vec<String>, field: &str, got: &Value, want: &Value| {
            if got != want {
                failures.push(format!("{shown}: {field}: expected {want}, got {got}"));
            }
        };
        check(&mut failures, "format", &b["format"], &entry["format"]);
        check(&mut failures, "arch", &b["arch"], &entry["arch"]);
        let np = &b["numpy"];
        for field in [
            "uses_c_api",
            "headers",
            "abi_version",
            "feature_version",
            "feature_version_string",
        ] {
            if let Some(want) = exp.get(field) {
                check(&mut failures, field, &np[field], want);
            }
        }
        if let Some(want) = exp.get("type_checks") {
            let got: Vec<Value> = np["type_checks"]
                .as_array()
                .unwrap()
                .iter()
                .map(
                    |t| serde_json::json!({"type": t["type"], "expected_size": t["expected_size"]}),
                )
                .collect();
            let want: Vec<Value> = want
                .as_array()
                .unwrap()
                .iter()
                .map(
                    |t| serde_json::json!({"type": t["type"], "expected_size": t["expected_size"]}),
                )
                .collect();
            if got != want {
                failures.push(format!(
                    "{shown}: type_checks: expected {want:?}, got {got:?}"
                ));
            }
        }
        if let Some(want) = exp.get("cython") {
            let got = &b["toolchain"]["cython"]["version"];
            if got != want {
                failures.push(format!(
                    "{shown}: cython version: expected {want}, got {got}"
                ));
            }
        }
        if exp.get("cython_present") == Some(&Value::Bool(true))
            && b["toolchain"]["cython"].is_null()
        {
            failures.push(format!("{shown}: Cython not detected"));
        }
        if let Some(want) = exp.get("pybind11") {
            let got = if b["toolchain"]["pybind11"].is_null() {
                Value::Null
            } else {
                b["toolchain"]["pybind11"]["numpy"].clone()
            };
            if &got != want {
                failures.push(format!("{shown}: pybind11: expected {want}, got {got}"));
            }
        }
        if let Some(want) = exp.get("module_init") {
            check(&mut failures, "module_init", &b["module_init"], want);
        }
    }
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn predictions_match_recorded_real_imports() {
    // The manifest records real imports of fixtures under real NumPy wheels (done by the build
    // script); the static prediction must say the same, message included.
    let mut compared = 0;
    let mut failures = Vec::new();
    for entry in manifest() {
        let Some(imports) = entry.get("imports").and_then(Value::as_array) else {
            continue;
        };
        let path = fixture_path(&entry);
        let out = abi_doctor()
            .args(["inspect", "--format", "json"])
            .arg(&path)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let compatible = report["binaries"][0]["numpy"]["compatible"].clone();
        for imp in imports {
            let numpy = imp["numpy"].as_str().unwrap();
            let ok = imp["outcome"] == "ok";
            let Some(spec) = compatible.as_str() else {
                failures.push(format!(
                    "{}: no compatible range, import under {numpy} was {}",
                    path.display(),
                    imp["outcome"]
                ));
                continue;
            };
            let spec: pep440_rs::VersionSpecifiers =
                spec.parse().unwrap_or_else(|_| "".parse().unwrap());
            let predicted_ok = spec.contains(&numpy.parse().unwrap());
            compared += 1;
            if predicted_ok != ok {
                failures.push(format!(
                    "{}: NumPy {numpy}: predicted {} (compatible {spec}), real import {}: {}",
                    path.display(),
                    if predicted_ok { "ok" } else { "failure" },
                    imp["outcome"],
                    imp["message"]
                ));
            }
        }
    }
    assert!(compared > 0, "manifest records no real imports");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn bad_input_is_named_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.so");
    std::fs::write(&empty, b"").unwrap();
    let garbage = dir.path().join("garbage.so");
    std::fs::write(
        &garbage,
        b"\x7fELF\x02\x01\x01\x00this is not really an ELF file",
    )
    .unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "hello").unwrap();
    let missing = dir.path().join("missing.so");
    let out = abi_doctor()
        .arg("inspect")
        .args([&empty, &garbage, &text, &missing])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "nothing readable: exit 2");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for p in [&empty, &garbage, &text, &missing] {
        assert!(
            stdout.contains(&p.display().to_string()),
            "{} not named in:\n{stdout}",
            p.display()
        );
    }
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));

    // With one good file, the same bad files are reported and the exit code is 0.
    let good = fixture_path(&manifest()[0]);
    let out = abi_doctor()
        .arg("inspect")
        .args([&empty, &garbage, &good])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("empty.so") && stdout.contains("garbage.so"));
}

#[test]
fn committed_bad_samples_never_panic() {
    let bad = fixtures().join("bad");
    let Ok(rd) = std::fs::read_dir(&bad) else {
        panic!("tests/fixtures/bad is committed");
    };
    let files: Vec<PathBuf> = rd.map(|e| e.unwrap().path()).collect();
    assert!(!files.is_empty());
    let out = abi_doctor().arg("inspect").args(&files).output().unwrap();
    assert!(matches!(out.status.code(), Some(0) | Some(2)));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy();
        assert!(
            stdout.contains(name.as_ref()),
            "{name} not named:\n{stdout}"
        );
    }
}

#[test]
fn rule_prints_documentation() {
    let out = abi_doctor().args(["rule", "NPY001"]).output().unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("size changed") && s.contains("## Fix"), "{s}");
    let out = abi_doctor().args(["rule", "NOPE"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
