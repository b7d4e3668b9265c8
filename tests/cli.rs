//! The one integration test binary: drives the real `abi-doctor` CLI on the committed fixtures
//! (compiled by scripts/fixtures/build.sh from tests/fixtures/src) and on site-packages trees
//! built here with real-shaped dist-info.

// Test helpers outside `#[test]` functions unwrap and print too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

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
            // "not_used" in the manifest: no pybind11 numpy.h use, reported as no pybind11 at all
            // or as pybind11 without numpy.h.
            let same = &got == want || (want == "not_used" && got.is_null());
            if !same {
                failures.push(format!("{shown}: pybind11: expected {want}, got {got}"));
            }
        }
        if let Some(want) = exp.get("module_init") {
            // The manifest names the exported symbol; the report names the module it initializes.
            let strip = |v: &Value| {
                v.as_str()
                    .map(|s| s.trim_start_matches("PyInit_").to_string())
            };
            if strip(want) != strip(&b["module_init"]) {
                failures.push(format!(
                    "{shown}: module_init: expected {want}, got {}",
                    b["module_init"]
                ));
            }
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
        let independent = report["binaries"][0]["numpy"]["independent"] == true;
        let facts = abi_doctor::binary::inspect_path(&path).unwrap();
        for imp in imports {
            let numpy = imp["numpy"].as_str().unwrap();
            let ok = imp["outcome"] == "ok";
            if independent {
                compared += 1;
                if !ok {
                    failures.push(format!(
                        "{}: NumPy-independent but failed under {numpy}: {}",
                        path.display(),
                        imp["message"]
                    ));
                }
                continue;
            }
            // The message too: the real final exception is the predicted one, or the ImportError
            // NumPy's import_array() raises after printing the predicted first error.
            let release = abi_doctor::knowledge::knowledge().release(numpy).unwrap();
            if let Some(pred) = abi_doctor::rules::predict::predict_module(&facts, release, numpy) {
                let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
                let real = (
                    imp["exception"].as_str().unwrap_or(""),
                    norm(imp["message"].as_str().unwrap_or("")),
                );
                let first_ok = real == (pred.exception(), norm(&pred.message()));
                let then_ok = pred
                    .then
                    .as_ref()
                    .is_some_and(|m| real == (m.exception(), norm(&m.render())))
                    && imp["stderr_first_line"].as_str().is_none_or(|l| {
                        let l = norm(l);
                        let l = l
                            .split_once(": ")
                            .filter(|(e, _)| !e.contains(' '))
                            .map(|(_, m)| m.to_string())
                            .unwrap_or(l);
                        // NumPy 2's notice is printed before the first exception.
                        let printed = pred.printed.as_ref().map(|m| norm(&m.render()));
                        norm(printed.as_deref().unwrap_or(&pred.message())).starts_with(&l)
                    })
                    // The first exception is the last thing printed before the final one: its
                    // line (`AttributeError: _ARRAY_API not found`), or the end of its message.
                    && imp["stderr_last_line"].as_str().is_none_or(|l| {
                        let l = norm(l);
                        l == norm(&pred.line()) || norm(&pred.message()).ends_with(&l)
                    });
                if !ok && !first_ok && !then_ok {
                    failures.push(format!(
                        "{}: NumPy {numpy}: predicted {}: {} (then {:?}); real {}: {} (stderr {})",
                        path.display(),
                        pred.exception(),
                        pred.message(),
                        pred.then.as_ref().map(|m| m.line()),
                        real.0,
                        real.1,
                        imp["stderr_first_line"]
                    ));
                }
            }
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

// ---------------------------------------------------------------------------------------------
// `check` on site-packages trees built here: the fixture binaries installed under real-shaped
// dist-info (METADATA, RECORD, WHEEL, top_level.txt) beside a NumPy dist-info + version.py.

/// A fixture from the manifest chosen by what it is (never by name), for x86_64 ELF.
fn pick(pred: impl Fn(&Value) -> bool) -> Value {
    manifest()
        .into_iter()
        .find(|e| e["format"] == "elf" && e["arch"] == "x86_64" && pred(&e["expect"]))
        .expect("the fixture set has a binary of this kind")
}

fn type_size(exp: &Value, ty: &str) -> Option<u64> {
    exp["type_checks"]
        .as_array()?
        .iter()
        .find(|t| t["type"] == ty)?
        .get("expected_size")?
        .as_u64()
}

struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new(numpy: &str) -> Site {
        let s = Site {
            dir: tempfile::tempdir().unwrap(),
        };
        let sp = s.path();
        std::fs::create_dir_all(sp.join("numpy")).unwrap();
        std::fs::write(sp.join("numpy/__init__.py"), "").unwrap();
        std::fs::write(
            sp.join("numpy/version.py"),
            format!("version = \"{numpy}\"\nshort_version = \"{numpy}\"\n"),
        )
        .unwrap();
        s.dist_info(
            "numpy",
            numpy,
            &[],
            &["numpy/__init__.py", "numpy/version.py"],
            "cp311-cp311-manylinux_2_17_x86_64",
        );
        s
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn dist_info(&self, name: &str, version: &str, requires: &[&str], files: &[&str], tag: &str) {
        let di = self.path().join(format!("{name}-{version}.dist-info"));
        std::fs::create_dir_all(&di).unwrap();
        let mut meta = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
        for r in requires {
            meta.push_str(&format!("Requires-Dist: {r}\n"));
        }
        std::fs::write(di.join("METADATA"), meta).unwrap();
        std::fs::write(
            di.join("WHEEL"),
            format!(
                "Wheel-Version: 1.0\nGenerator: bdist_wheel\nRoot-Is-Purelib: false\nTag: {tag}\n"
            ),
        )
        .unwrap();
        std::fs::write(di.join("INSTALLER"), "pip\n").unwrap();
        let top = files[0].split('/').next().unwrap();
        std::fs::write(di.join("top_level.txt"), format!("{top}\n")).unwrap();
        let mut record = String::new();
        for f in files {
            record.push_str(&format!("{f},,\n"));
        }
        record.push_str(&format!(
            "{name}-{version}.dist-info/METADATA,,\n{name}-{version}.dist-info/RECORD,,\n"
        ));
        std::fs::write(di.join("RECORD"), record).unwrap();
    }
    /// Install `fixture` as `pkg/<module>.cpython-311-x86_64-linux-gnu.so`, imported by
    /// `pkg/__init__.py`, owned by distribution `pkg` declaring `requires`.
    fn package(&self, pkg: &str, version: &str, requires: &[&str], fixture: &Value) -> String {
        let stem = fixture["expect"]["module_init"]
            .as_str()
            .unwrap()
            .trim_start_matches("PyInit_")
            .to_string();
        let so = format!("{pkg}/{stem}.cpython-311-x86_64-linux-gnu.so");
        std::fs::create_dir_all(self.path().join(pkg)).unwrap();
        std::fs::copy(fixture_path(fixture), self.path().join(&so)).unwrap();
        std::fs::write(
            self.path().join(pkg).join("__init__.py"),
            format!("from .{stem} import *\n"),
        )
        .unwrap();
        self.dist_info(
            pkg,
            version,
            requires,
            &[&so, &format!("{pkg}/__init__.py")],
            "cp311-cp311-manylinux_2_17_x86_64",
        );
        format!("{pkg}.{stem}")
    }
    fn check(&self, extra: &[&str]) -> (i32, Value) {
        let out = abi_doctor()
            .args(["check", "--format", "json", "--site-packages"])
            .arg(self.path())
            .args(extra)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
        (out.status.code().unwrap(), v)
    }
    fn check_text(&self) -> String {
        let out = abi_doctor()
            .args(["check", "--color", "never", "--site-packages"])
            .arg(self.path())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).replace(&self.path().display().to_string(), "[SITE]")
    }
    fn redact(&self, v: &Value) -> Value {
        let s = serde_json::to_string(v)
            .unwrap()
            .replace(&self.path().display().to_string(), "[SITE]");
        serde_json::from_str(&s).unwrap()
    }
}

fn findings<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

#[test]
fn check_numpy1_build_on_numpy2() {
    // A plain C extension built with NumPy 1.16-1.26 headers, installed with NumPy 2.0.2.
    let fx = pick(|e| {
        e["uses_c_api"] == true
            && e["type_checks"].as_array().is_some_and(|t| t.is_empty())
            && e["abi_version"] == "0x1000009"
            && e["headers"] == "1.26"
    });
    let site = Site::new("2.0.2");
    let module = site.package("oldpkg", "1.0", &["numpy>=1.21"], &fx);
    let (code, r) = site.check(&[]);
    assert_eq!(code, 1);
    assert_eq!(r["numpy"]["version"], "2.0.2");
    assert_eq!(r["numpy"]["abi_version"], "0x2000000");
    let f = findings(&r, "NPY002");
    assert_eq!(f.len(), 1, "{r:#}");
    assert_eq!(f[0]["module"], module.as_str());
    assert_eq!(f[0]["distribution"], "oldpkg");
    assert_eq!(f[0]["predicted"]["exception"], "ImportError");
    assert!(f[0]["predicted"]["message"]
        .as_str()
        .unwrap()
        .starts_with("A module that was compiled using NumPy 1.x cannot be run in NumPy 2.0.2"));
    assert_eq!(
        f[0]["predicted"]["then"]["message"],
        "numpy.core.multiarray failed to import"
    );
    // `import oldpkg` dies in the extension, through oldpkg/__init__.py.
    let c = &r["cascades"][0];
    assert_eq!(c["package"], "oldpkg");
    assert_eq!(c["dies_in"], module.as_str());
    assert!(
        r["fix_hint"]["commands"][0]
            .as_str()
            .unwrap()
            .contains("numpy>=1.16,<2")
            || r["fix_hint"]["commands"][0]
                .as_str()
                .unwrap()
                .contains("<2"),
        "{:#}",
        r["fix_hint"]
    );
    insta::assert_json_snapshot!("numpy1_on_numpy2_json", site.redact(&r), {".environment" => "[environment]"});
    insta::assert_snapshot!("numpy1_on_numpy2_text", site.check_text());
}

#[test]
fn check_cython_ndarray_88_on_numpy_1_19() {
    let fx = pick(|e| type_size(e, "ndarray") == Some(88) && type_size(e, "dtype") == Some(96));
    let site = Site::new("1.19.5");
    site.package("pyxdl", "1.5.3", &["numpy>=1.16.1"], &fx);
    let (code, r) = site.check(&[]);
    assert_eq!(code, 1);
    let f = findings(&r, "NPY001");
    assert_eq!(f.len(), 1, "{r:#}");
    assert_eq!(
        f[0]["predicted"]["message"],
        "numpy.ndarray size changed, may indicate binary incompatibility. Expected 88 from C header, got 80 from PyObject"
    );
    insta::assert_snapshot!("ndarray_88_on_1_19_text", site.check_text());
}

#[test]
fn check_c_api_target_newer_than_runtime() {
    // Built against NumPy 2.3/2.4 headers by default: C-API target 0x10 (NumPy 1.23).
    let fx = pick(|e| {
        e["uses_c_api"] == true
            && e["feature_version"] == "0x10"
            && e["headers"] == "2.x"
            && e["type_checks"].as_array().is_some_and(|t| t.is_empty())
    });
    let site = Site::new("1.22.4");
    site.package("newpkg", "3.0", &[], &fx);
    let (code, r) = site.check(&[]);
    assert_eq!(code, 1);
    let f = findings(&r, "NPY003");
    assert_eq!(f.len(), 1, "{r:#}");
    assert!(f[0]["predicted"]["message"].as_str().unwrap().starts_with(
        "module was compiled against NumPy C-API version 0x10 (NumPy 1.23) but the running NumPy has C-API version 0xf."
    ));
    assert_eq!(
        f[0]["predicted"]["then"]["message"],
        "numpy._core.multiarray failed to import"
    );
    // It declares nothing: NPY006 says so.
    assert_eq!(findings(&r, "NPY006").len(), 1);
}

#[test]
fn check_healthy_environment_is_clean() {
    let fx = pick(|e| e["headers"] == "2.x" && e["uses_c_api"] == true);
    let site = Site::new("2.2.6");
    site.package("goodpkg", "2.0", &["numpy>=1.23,<3"], &fx);
    let (code, r) = site.check(&[]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["summary"]["errors"], 0);
    assert!(r["numpy_binaries"].as_u64().unwrap() >= 1);
    assert!(r["fix_hint"].is_null());
}

#[test]
fn check_declared_floor_too_low_and_numpy_outside_declared() {
    // Built against NumPy 1.22 headers (C-API 0xf): needs NumPy >= 1.22, declares >= 1.21.6.
    let fx = pick(|e| e["feature_version"] == "0xf" && e["abi_version"] == "0x1000009");
    let site = Site::new("1.26.4");
    site.package("scipyish", "1.11.4", &["numpy<1.26.0,>=1.21.6"], &fx);
    let (code, r) = site.check(&[]);
    assert_eq!(code, 0, "warnings only: {r:#}");
    let f = findings(&r, "NPY006");
    assert_eq!(f.len(), 1, "{r:#}");
    assert!(
        f[0]["evidence"][0]
            .as_str()
            .unwrap()
            .contains("floor is too low"),
        "{:#}",
        f[0]
    );
    let f = findings(&r, "NPY007");
    assert_eq!(
        f[0]["title"],
        "scipyish 1.11.4 requires numpy<1.26.0,>=1.21.6, but numpy 1.26.4 is installed"
    );
}

#[test]
fn check_pybind11_numpy1_on_numpy2() {
    let fx = pick(|e| e["pybind11"] == "numpy1_only");
    let site = Site::new("2.0.2");
    site.package("pbpkg", "0.1", &["numpy"], &fx);
    let (code, r) = site.check(&[]);
    assert_eq!(code, 1);
    let f = findings(&r, "NPY005");
    assert_eq!(f.len(), 1, "{r:#}");
    assert!(
        f[0]["predicted"].is_null(),
        "it imports; the damage is silent"
    );
}

#[test]
fn check_two_numpys_unreadable_binary_and_verbose_info() {
    let fx = pick(|e| type_size(e, "ndarray") == Some(80) && type_size(e, "dtype") == Some(96));
    let user = Site::new("1.24.4");
    let site = Site::new("1.26.4");
    site.package("cypkg", "1.0", &["numpy>=1.19,<2"], &fx);
    // A truncated binary owned by a distribution: reported, the scan goes on.
    let good = fixture_path(&fx);
    let bytes = std::fs::read(&good).unwrap();
    std::fs::create_dir_all(site.path().join("broken")).unwrap();
    std::fs::write(
        site.path()
            .join("broken/_ext.cpython-311-x86_64-linux-gnu.so"),
        &bytes[..200],
    )
    .unwrap();
    site.dist_info(
        "broken",
        "0.1",
        &[],
        &["broken/_ext.cpython-311-x86_64-linux-gnu.so"],
        "cp311-cp311-manylinux_2_17_x86_64",
    );
    let (code, r) = site.check(&[
        "--site-packages",
        user.path().to_str().unwrap(),
        "--verbose",
    ]);
    assert_eq!(code, 0, "{r:#}");
    let unread = findings(&r, "NPY009");
    assert_eq!(unread.len(), 1, "{r:#}");
    assert_eq!(unread[0]["distribution"], "broken");
    let copies = findings(&r, "NPY008");
    assert_eq!(copies.len(), 1, "{r:#}");
    // ndarray 80 in the headers, 96 at run time: harmless, an info finding.
    assert_eq!(findings(&r, "NPY004").len(), 1, "{r:#}");
}

#[test]
fn check_notes_about_the_environment_are_not_unreadable() {
    // A module shadowed by another copy on the path, a dist-info without RECORD and a METADATA
    // with a latin-1 author are facts about the environment, not files that cannot be read.
    let fx = pick(|e| e["uses_c_api"] == true && e["abi_version"] == "0x1000009");
    let user = Site::new("1.26.4");
    let site = Site::new("1.26.4");
    site.package("dup", "1.0", &[], &fx);
    user.package("dup", "1.0", &[], &fx);
    let norecord = site.path().join("norecord-1.0.dist-info");
    std::fs::create_dir_all(&norecord).unwrap();
    std::fs::write(
        norecord.join("METADATA"),
        b"Metadata-Version: 2.1\nName: norecord\nVersion: 1.0\nAuthor: Jos\xe9\n",
    )
    .unwrap();
    let (code, r) = site.check(&["--site-packages", user.path().to_str().unwrap()]);
    assert_ne!(code, 2, "{r:#}");
    assert!(findings(&r, "NPY009").is_empty(), "{r:#}");
}

#[test]
fn check_cannot_scan_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = abi_doctor()
        .args(["check", "--env"])
        .arg(dir.path().join("does-not-exist"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does-not-exist"));
}

#[test]
fn check_sarif_and_github_formats() {
    let fx = pick(|e| e["uses_c_api"] == true && e["abi_version"] == "0x1000009");
    let site = Site::new("2.1.3");
    site.package("oldpkg", "1.0", &[], &fx);
    let out = abi_doctor()
        .args(["check", "--format", "sarif", "--site-packages"])
        .arg(site.path())
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert!(v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["ruleId"] == "NPY002"));
    let out = abi_doctor()
        .args(["check", "--format", "github", "--site-packages"])
        .arg(site.path())
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.lines()
            .any(|l| l.starts_with("::error file=") && l.contains("NPY002")),
        "{s}"
    );
}

#[test]
fn check_numpy_files_win_over_metadata() {
    // pip's metadata says 1.26.4, the files Python loads are 2.0.2: a 1.x module must be judged
    // against 2.0.2, and the disagreement reported.
    let fx = pick(|e| {
        e["uses_c_api"] == true && e["abi_version"] == "0x1000009" && e["headers"] == "1.26"
    });
    let site = Site::new("1.26.4");
    std::fs::write(
        site.path().join("numpy/version.py"),
        "version = \"2.0.2\"\n",
    )
    .unwrap();
    site.package("oldpkg", "1.0", &["numpy<2"], &fx);
    let (code, r) = site.check(&[]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["numpy"]["version"], "2.0.2");
    assert_eq!(findings(&r, "NPY012").len(), 1, "{r:#}");
    assert_eq!(findings(&r, "NPY002").len(), 1, "{r:#}");
}

/// `explain` reads at most 64 MiB of standard input and says when it cut there (it used to cut
/// silently), and still explains what it read.
#[test]
fn explain_says_when_standard_input_was_cut() {
    let mut log = b"ValueError: numpy.ndarray size changed, may indicate binary incompatibility. \
Expected 88 from C header, got 80 from PyObject\n"
        .to_vec();
    log.resize((64 << 20) + 4096, b'x');
    let out = abi_doctor()
        .arg("explain")
        .arg("--no-env")
        .write_stdin(log)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("only the first 64 MiB were read"),
        "{stderr}"
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("numpy.ndarray size changed"));
}
