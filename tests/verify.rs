//! `abi-doctor verify` against real environments: a Python 3.11 venv made with `-m venv`, a real
//! NumPy wheel from PyPI installed with pip (the venv is cached under
//! `${ABI_DOCTOR_CACHE:-$HOME/.cache/abi-doctor}/verify/`, keyed by the versions, and copied for
//! each test), the committed fixture modules of tests/fixtures/bin, and small C extensions
//! compiled here with gcc (one aborts in its init, one hangs).
//!
//! The interpreters, gcc and (on the first run) the network are found by `support`: when one is
//! missing, a test fails under CI / `ABI_DOCTOR_STRICT=1` and otherwise prints `note: not run`
//! and returns.

// Test helpers outside `#[test]` functions unwrap and print too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod support;

use support::venv::{copy_fixture, fixture, run, test_venv};

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const PY311: &str = "3.11.7";
/// The Cython fixtures are built for CPython 3.9.
const PY39: &str = "3.9.18";
const NUMPY: &str = "2.0.2";

/// Compile a C extension `module` (file name `module.cpython-311-x86_64-linux-gnu.so`) into `dir`
/// with `gcc` (from `support::find_gcc`).
fn compile(gcc: &Path, module: &str, body: &str, venv: &Path, dir: &Path) -> Result<(), String> {
    let include = run(Command::new(venv.join("bin/python")).args([
        "-c",
        "import sysconfig; print(sysconfig.get_paths()['include'])",
    ]))?;
    let suffix = run(Command::new(venv.join("bin/python")).args([
        "-c",
        "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))",
    ]))?;
    let src = dir.join(format!("{module}.c"));
    std::fs::write(&src, body).map_err(|e| e.to_string())?;
    run(Command::new(gcc)
        .args(["-shared", "-fPIC", "-O0", "-o"])
        .arg(dir.join(format!("{module}{}", suffix.trim())))
        .arg(format!("-I{}", include.trim()))
        .arg(&src))?;
    std::fs::remove_file(&src).map_err(|e| e.to_string())?;
    Ok(())
}

fn verify(venv: &Path, extra: &[&str]) -> (i32, Value, String, Duration) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_abi-doctor"))
        .arg("verify")
        .arg("--env")
        .arg(venv)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let v: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"));
    (out.status.code().unwrap_or(-1), v, stderr, took)
}

fn module<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["modules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["module"] == name)
        .unwrap_or_else(|| panic!("{name} not in report: {report:#}"))
}

fn package<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["package"] == name)
        .unwrap_or_else(|| panic!("package {name} not in report: {report:#}"))
}

/// Whether the static side can predict (binary inspection and the knowledge base are in this
/// checkout); the reason when it cannot.
fn predictions_available() -> Result<(), String> {
    if abi_doctor::knowledge::knowledge().releases.is_empty() {
        return Err("the knowledge base (src/knowledge/numpy.json) has no releases; regenerate it with scripts/knowledge/generate.py".into());
    }
    match abi_doctor::binary::inspect_path(&fixture("capi_np1_26_4_x86_64.so")) {
        Ok(f) if f.numpy.uses_c_api => Ok(()),
        Ok(_) => Err("inspection does not see the NumPy C API in capi_np1_26_4".into()),
        Err(e) => Err(format!("binary inspection fails: {e}")),
    }
}

/// A predicted-and-real failure: agreement, the predicted exception, the message match.
fn assert_agreeing_failure(m: &Value, predicted_exception: &str) {
    assert_eq!(m["prediction"], "agree", "{m:#}");
    assert_eq!(m["predicted"]["exception"], predicted_exception, "{m:#}");
    assert_eq!(m["message_match"], true, "{m:#}");
}

#[test]
fn fixtures_under_numpy_2_agree_with_the_predictions() {
    let Some((_tmp, venv, site)) = test_venv(PY311, NUMPY) else {
        return;
    };
    for f in [
        "capi_np1_26_4_x86_64.so",
        "capi_np1_15_4_x86_64.so",
        "capi_np2_0_2_x86_64.so",
        "capi_np2_4_6_x86_64.so",
    ] {
        copy_fixture(f, &site);
    }
    let (code, report, stderr, took) = verify(&venv, &[]);
    eprintln!("verify took {took:?}\n{stderr}");
    assert!(stderr.contains("RUNS CODE"), "{stderr}");
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["numpy"]["version"], NUMPY);
    let predictions = predictions_available();

    // NumPy 1.26 headers: the NumPy 2 shim refuses, import_array() prints that and raises.
    let m = module(&report, "capi_np1_26_4_x86_64");
    assert_eq!(m["outcome"], "error", "{m:#}");
    assert_eq!(m["exception"], "ImportError");
    assert_eq!(m["message"], "numpy.core.multiarray failed to import");
    assert!(m["stderr"]
        .as_str()
        .unwrap()
        .contains("compiled using NumPy 1.x cannot be run in"));
    assert_eq!(m["numpy_family"], "compiled_with_numpy1");

    // NumPy 1.15 headers: the C ABI check.
    let m15 = module(&report, "capi_np1_15_4_x86_64");
    assert_eq!(m15["outcome"], "error", "{m15:#}");
    assert!(m15["stderr"]
        .as_str()
        .unwrap()
        .contains("RuntimeError: module compiled against ABI version 0x1000009 but this version of numpy is 0x2000000"));
    assert_eq!(m15["numpy_family"], "abi_version");

    // NumPy 2.x headers import, and so do NumPy's own modules.
    for name in [
        "capi_np2_0_2_x86_64",
        "capi_np2_4_6_x86_64",
        "numpy._core._multiarray_umath",
    ] {
        let m = module(&report, name);
        assert_eq!(m["outcome"], "ok", "{m:#}");
        assert_eq!(m["prediction"], "agree", "{m:#}");
        assert!(m["predicted"].is_null());
        assert!(m["message_match"].is_null());
    }
    assert_eq!(package(&report, "numpy")["outcome"], "ok");
    assert_eq!(report["summary"]["outcomes"]["error"], 2, "{report:#}");

    if support::require(
        predictions,
        "static predictions (for the prediction checks)",
    )
    .is_none()
    {
        return;
    }
    assert_agreeing_failure(m, "ImportError");
    assert_agreeing_failure(m15, "RuntimeError");
    assert_eq!(report["summary"]["predictions"]["missed"], 0, "{report:#}");
    assert_eq!(report["summary"]["predictions"]["false_alarm"], 0);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn cython_size_check_under_numpy_2_agrees() {
    // The Cython fixtures are CPython 3.9 builds (under 3.11 they crash: reported as such).
    let Some((_tmp, venv, site)) = test_venv(PY39, NUMPY) else {
        return;
    };
    for f in ["cy029_np1_22_4_x86_64.so", "capi_np2_0_2_x86_64.so"] {
        copy_fixture(f, &site);
    }
    let (code, report, stderr, took) = verify(&venv, &[]);
    eprintln!("verify took {took:?}\n{stderr}");
    let m = module(&report, "cy029_np1_22_4_x86_64");
    assert_eq!(m["outcome"], "error", "{m:#}");
    assert_eq!(m["exception"], "ValueError");
    assert_eq!(
        m["message"],
        "numpy.dtype size changed, may indicate binary incompatibility. Expected 96 from C header, got 88 from PyObject"
    );
    assert_eq!(m["numpy_family"], "size_changed");
    if support::require(
        predictions_available(),
        "static predictions (for the prediction checks)",
    )
    .is_none()
    {
        return;
    }
    assert_agreeing_failure(m, "ValueError");
    assert_eq!(code, 0, "{report:#}");
}

const CRASH: &str = r#"
#include <Python.h>
#include <stdlib.h>
PyMODINIT_FUNC PyInit_crashmod(void) { abort(); return NULL; }
"#;

const HANG: &str = r#"
#include <Python.h>
#include <unistd.h>
PyMODINIT_FUNC PyInit_hangmod(void) { for (;;) sleep(1); return NULL; }
"#;

const FAKE_SIZE_ERROR: &str = r#"
#include <Python.h>
PyMODINIT_FUNC PyInit_sizemod(void) {
    PyErr_SetString(PyExc_ValueError, "numpy.ndarray size changed, may indicate binary "
                    "incompatibility. Expected 9999 from C header, got 16 from PyObject");
    return NULL;
}
"#;

#[test]
fn crash_hang_and_failing_parents_are_reported_and_the_run_finishes() {
    let Some((_tmp, venv, site)) = test_venv(PY311, NUMPY) else {
        return;
    };
    let Some(gcc) = support::require(support::find_gcc(), "gcc") else {
        return;
    };
    compile(&gcc, "crashmod", CRASH, &venv, &site).unwrap();
    compile(&gcc, "hangmod", HANG, &venv, &site).unwrap();
    // A package whose __init__ hangs, and one whose __init__ fails for a non-NumPy reason; each
    // holds a module that imports fine on its own.
    let hangpkg = site.join("hangpkg");
    copy_fixture("capi_np2_0_2_x86_64.so", &hangpkg);
    std::fs::write(hangpkg.join("__init__.py"), "while True:\n    pass\n").unwrap();
    let badpkg = site.join("badpkg");
    copy_fixture("capi_np2_0_2_x86_64.so", &badpkg);
    std::fs::write(
        badpkg.join("__init__.py"),
        "raise ImportError('libfoo.so.1: cannot open shared object file: No such file or directory')\n",
    )
    .unwrap();

    let (code, report, stderr, took) = verify(&venv, &["--timeout", "3", "--jobs", "2"]);
    eprintln!("verify took {took:?}\n{stderr}");
    assert!(took < Duration::from_secs(120), "took {took:?}");

    let m = module(&report, "crashmod");
    assert_eq!(m["outcome"], "crash", "{m:#}");
    assert_eq!(m["signal"], "SIGABRT", "{m:#}");
    assert_eq!(m["prediction"], "unrelated");
    assert!(m["stderr"].as_str().unwrap().contains("Fatal Python error"));

    let m = module(&report, "hangmod");
    assert_eq!(m["outcome"], "timeout", "{m:#}");
    assert_eq!(m["prediction"], "unrelated");

    for pkg in ["hangpkg", "badpkg"] {
        let m = module(&report, &format!("{pkg}.capi_np2_0_2_x86_64"));
        assert_eq!(m["mode"], "stub", "{m:#}");
        assert_eq!(m["outcome"], "ok", "{m:#}");
        assert_eq!(m["prediction"], "agree", "{m:#}");
        assert_eq!(m["plain"]["mode"], "plain");
        assert_eq!(m["plain"]["last_stage_module"], pkg);
    }
    assert_eq!(
        module(&report, "hangpkg.capi_np2_0_2_x86_64")["plain"]["outcome"],
        "timeout"
    );
    let plain = &module(&report, "badpkg.capi_np2_0_2_x86_64")["plain"];
    assert_eq!(plain["outcome"], "error");
    assert_eq!(plain["failed_in"], "badpkg");
    assert_eq!(package(&report, "hangpkg")["outcome"], "timeout");
    assert_eq!(package(&report, "badpkg")["outcome"], "error");
    assert_eq!(package(&report, "badpkg")["exception"], "ImportError");

    // NumPy's own extension modules are verified too (no --numpy-only) and import.
    let np = module(&report, "numpy._core._multiarray_umath");
    assert_eq!(np["outcome"], "ok", "{np:#}");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn an_unpredicted_numpy_failure_is_missed_and_exits_1() {
    let Some((_tmp, venv, site)) = test_venv(PY311, NUMPY) else {
        return;
    };
    let Some(gcc) = support::require(support::find_gcc(), "gcc") else {
        return;
    };
    compile(&gcc, "sizemod", FAKE_SIZE_ERROR, &venv, &site).unwrap();
    let (code, report, _stderr, _took) = verify(&venv, &[]);
    let m = module(&report, "sizemod");
    assert_eq!(m["outcome"], "error", "{m:#}");
    assert_eq!(m["numpy_family"], "size_changed");
    assert_eq!(m["prediction"], "missed", "{m:#}");
    assert_eq!(report["summary"]["predictions"]["missed"], 1);
    assert_eq!(code, 1);
}

#[test]
fn an_environment_without_interpreter_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_abi-doctor"))
        .arg("verify")
        .arg("--site-packages")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--python or --env"), "{stderr}");
}

const PLAIN_MODULE: &str = r#"
#include <Python.h>
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "shadowmod", NULL, -1, NULL};
PyMODINIT_FUNC PyInit_shadowmod(void) { return PyModule_Create(&def); }
"#;

fn check_json(venv: &Path) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_abi-doctor"))
        .arg("check")
        .arg("--env")
        .arg(venv)
        .args(["--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `check` and `verify` run one scan: with a second site directory (added by a `.pth` file), a
/// module shadowed there, and a NumPy whose dist-info says 1.26.4 while its files are 2.0.2, both
/// name the same runtime NumPy (the files win) and judge the same modules.
#[test]
fn check_and_verify_agree_across_two_site_directories() {
    let Some((tmp, venv, site)) = test_venv(PY311, NUMPY) else {
        return;
    };
    let Some(gcc) = support::require(support::find_gcc(), "gcc") else {
        return;
    };
    let extra = tmp.path().join("extra");
    std::fs::create_dir_all(&extra).unwrap();
    std::fs::write(site.join("zz-extra.pth"), format!("{}\n", extra.display())).unwrap();
    // Python finds site-packages/shadowmod first; the NumPy-1.x-built file of the same name in
    // the extra directory never loads.
    compile(&gcc, "shadowmod", PLAIN_MODULE, &venv, &site).unwrap();
    let suffix = "cpython-311-x86_64-linux-gnu.so";
    std::fs::copy(
        fixture("capi_np1_26_4_x86_64.so"),
        extra.join(format!("shadowmod.{suffix}")),
    )
    .unwrap();
    // A NumPy 1.26 build that does load, from the extra directory.
    copy_fixture("capi_np1_26_4_x86_64.so", &extra);
    // The metadata lies about NumPy's version.
    let dist_info = site.join(format!("numpy-{NUMPY}.dist-info"));
    let meta = std::fs::read_to_string(dist_info.join("METADATA")).unwrap();
    std::fs::write(
        dist_info.join("METADATA"),
        meta.replacen(&format!("Version: {NUMPY}"), "Version: 1.26.4", 1),
    )
    .unwrap();

    let check = check_json(&venv);
    let (_code, verify, stderr, _took) = verify(&venv, &[]);
    eprintln!("{stderr}");
    assert_eq!(check["numpy"]["version"], NUMPY, "{check:#}");
    assert_eq!(verify["numpy"]["version"], NUMPY, "{verify:#}");
    let codes: Vec<&str> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(codes.contains(&"NPY012"), "metadata mismatch: {codes:?}");

    // The same modules are predicted to fail, and the shadowed file is judged by neither.
    let shadowed = extra.join(format!("shadowmod.{suffix}"));
    let check_failing: std::collections::BTreeSet<&str> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .filter_map(|f| f["module"].as_str())
        .collect();
    let verify_failing: std::collections::BTreeSet<&str> = verify["modules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !m["predicted"].is_null())
        .filter_map(|m| m["module"].as_str())
        .collect();
    assert_eq!(check_failing, verify_failing, "{check:#}\n{verify:#}");
    assert!(check_failing.contains("capi_np1_26_4_x86_64"), "{check:#}");
    for f in check["findings"].as_array().unwrap() {
        assert_ne!(f["path"].as_str(), shadowed.to_str(), "{f:#}");
    }
    let skipped = verify["skipped"].as_array().unwrap();
    assert!(
        skipped
            .iter()
            .any(|s| s["path"].as_str() == shadowed.to_str() && s["module"] == "shadowmod"),
        "{verify:#}"
    );
    let m = module(&verify, "shadowmod");
    assert_eq!(m["outcome"], "ok", "{m:#}");
    assert_eq!(m["prediction"], "agree", "{m:#}");
    let m = module(&verify, "capi_np1_26_4_x86_64");
    assert_agreeing_failure(m, "ImportError");
}

/// A package `__init__` that leaves a daemon behind: it forks, the child starts its own session
/// (`setsid`), forks again and the grandchild points its stdio at /dev/null and sleeps. With
/// `exit_parent`, the importing interpreter itself exits from inside the import, the way a
/// daemonising module ends its foreground process, and the daemon closes every other descriptor.
fn daemonising_init(pids: &Path, exit_parent: bool) -> String {
    format!(
        r#"import os, time
def _daemon():
    if os.fork() == 0:
        fd = os.open(os.devnull, os.O_RDWR)
        for i in (0, 1, 2):
            os.dup2(fd, i)
        os.closerange(3, 256)
        with open({pids:?}, "a") as f:
            f.write("%d\n" % os.getpid())
        time.sleep(300)
    os._exit(0)
pid = os.fork()
if pid == 0:
    os.setsid()
    _daemon()
os.waitpid(pid, 0)
if {exit_parent}:
    os._exit(0)
"#,
        pids = pids.display().to_string(),
        exit_parent = if exit_parent { "True" } else { "False" },
    )
}

fn alive(pid: u32) -> bool {
    // A zombie has exited; only a running (or sleeping) process counts.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, r)| r.trim_start().chars().next())
        })
        .flatten()
        .is_some_and(|state| state != 'Z' && state != 'X')
}

/// Daemons started by an import used to outlive `verify`, and an import whose process ended
/// from inside was "exited without reporting"; now every process an import leaves behind is
/// killed when it ends, and the message says what happened.
#[cfg(target_os = "linux")]
#[test]
fn daemons_started_by_imports_do_not_outlive_verify() {
    let Some((tmp, venv, site)) = test_venv(PY311, NUMPY) else {
        return;
    };
    let pids = tmp.path().join("daemon-pids");
    for (pkg, exit_parent) in [("daemonpkg", false), ("exitpkg", true)] {
        let dir = site.join(pkg);
        copy_fixture("capi_np2_0_2_x86_64.so", &dir);
        std::fs::write(
            dir.join("__init__.py"),
            daemonising_init(&pids, exit_parent),
        )
        .unwrap();
    }
    let (_code, report, stderr, took) = verify(&venv, &["--timeout", "20"]);
    eprintln!("verify took {took:?}\n{stderr}");
    let started: Vec<u32> = std::fs::read_to_string(&pids)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    assert!(
        started.len() >= 2,
        "the daemons did not start: {started:?}\n{report:#}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let living: Vec<u32> = started.iter().copied().filter(|&p| alive(p)).collect();
    for p in &living {
        let _ = Command::new("kill").arg("-9").arg(p.to_string()).status();
    }
    assert!(living.is_empty(), "daemons outlived verify: {living:?}");

    // The package whose import stays in the foreground imports; its module too.
    assert_eq!(package(&report, "daemonpkg")["outcome"], "ok", "{report:#}");
    // The one whose init ends the interpreter is an error that says so.
    let p = package(&report, "exitpkg");
    assert_eq!(p["outcome"], "error", "{p:#}");
    let msg = p["message"].as_str().unwrap_or("");
    assert!(msg.contains("ended the process"), "{p:#}");
    // Its daemon is killed (checked above); the "left N process(es)" count is best effort:
    // strays are killed, and counted, by whichever import ends first.
}

/// `-q`, `-qq` and `--color` work for verify as for check: -q drops the warning on stderr, -qq
/// the report too (the exit code still tells), --color always / FORCE_COLOR paint the table,
/// NO_COLOR and --color never do not.
#[test]
fn quiet_and_color() {
    let Some((_tmp, venv, site)) = test_venv(PY311, NUMPY) else {
        return;
    };
    copy_fixture("capi_np1_26_4_x86_64.so", &site);
    let text = |args: &[&str], envs: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_abi-doctor"));
        for v in [
            "NO_COLOR",
            "FORCE_COLOR",
            "CLICOLOR_FORCE",
            "ABI_DOCTOR_COLOR",
        ] {
            c.env_remove(v);
        }
        c.envs(envs.iter().copied());
        let out = c
            .arg("verify")
            .arg("--env")
            .arg(&venv)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, plain, err) = text(&[], &[]);
    assert_eq!(code, 0, "{plain}{err}");
    assert!(err.contains("RUNS CODE"), "{err}");
    assert!(
        plain.contains("agree") && !plain.contains('\x1b'),
        "{plain}"
    );
    let (code, out, err) = text(&["-q"], &[]);
    assert_eq!((code, err.as_str()), (0, ""), "{err}");
    assert!(out.contains("capi_np1_26_4_x86_64"), "{out}");
    let (code, out, err) = text(&["-qq"], &[]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    for (args, envs, painted) in [
        (&["--color", "always"][..], &[][..], true),
        (&[], &[("FORCE_COLOR", "1")][..], true),
        (&[], &[("CLICOLOR_FORCE", "1")][..], true),
        (&[], &[("FORCE_COLOR", "1"), ("NO_COLOR", "1")][..], false),
        (&["--color", "never"], &[("FORCE_COLOR", "1")][..], false),
    ] {
        let (code, out, _) = text(args, envs);
        assert_eq!(code, 0);
        assert_eq!(
            out.contains("\x1b[32magree"),
            painted,
            "{args:?} {envs:?}: {out}"
        );
    }
}
