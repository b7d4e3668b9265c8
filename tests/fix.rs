//! `abi-doctor fix` on real venvs (CPython from `support`, wheels from PyPI, uv found or installed
//! by `support::find_uv`): the plan names exact releases, is proven in a scratch venv, and the
//! commands it prints fix the environment when run; a pin conflict is reported as a blocker with
//! no plan that brings the break back.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::Command;
use support::venv::{run, test_venv};

fn abi_doctor() -> Command {
    Command::new(env!("CARGO_BIN_EXE_abi-doctor"))
}

fn pip(venv: &Path, args: &[&str]) {
    run(Command::new(venv.join("bin/python"))
        .args(["-m", "pip", "install", "--disable-pip-version-check", "-q"])
        .args(args))
    .unwrap();
}

fn fix_json(venv: &Path, uv: &Path) -> (i32, Value) {
    let out = abi_doctor()
        .args(["fix", "--format", "json", "--uv"])
        .arg(uv)
        .arg("--env")
        .arg(venv)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

fn check_code(venv: &Path) -> i32 {
    abi_doctor()
        .args(["check", "--no-cache", "-qq", "--env"])
        .arg(venv)
        .status()
        .unwrap()
        .code()
        .unwrap_or(-1)
}

fn is_exact(v: &str) -> bool {
    !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
}

/// pandas 2.1.4 with NumPy 2.0.2 forced in: the plan moves NumPy to an exact 1.x (or pandas to an
/// exact 2.2.x), the proof passes, the JSON has its documented shape, and each printed command,
/// run as printed (pip's on one copy, uv's on another), leaves an environment `check` finds clean.
#[test]
fn pandas_214_on_numpy_202_plan_is_proven_and_its_commands_work() {
    let Some(uv) = support::require(support::find_uv(), "uv") else {
        return;
    };
    let Some((_tmp, venv, _site)) = test_venv("3.11.7", "2.0.2") else {
        return;
    };
    pip(&venv, &["--only-binary=:all:", "pandas==2.1.4"]);
    pip(&venv, &["--only-binary=:all:", "--no-deps", "numpy==2.0.2"]);
    assert_eq!(check_code(&venv), 1, "the venv must start broken");
    let copy = venv.parent().unwrap().join("copy");
    run(Command::new("cp").arg("-a").arg(&venv).arg(&copy)).unwrap();

    let (code, r) = fix_json(&venv, &uv);
    assert_eq!(r["schema_version"], 1, "{r:#}");
    assert_eq!(r["proven"], true, "{r:#}");
    assert_eq!(code, 0, "{r:#}");
    assert!(
        r["alternatives"].is_array() && r["blockers"].is_array(),
        "{r:#}"
    );
    let changes = r["plan"]["changes"].as_array().unwrap();
    assert!(!changes.is_empty(), "{r:#}");
    for c in changes {
        for k in ["name", "from", "to", "reason"] {
            assert!(c.get(k).is_some(), "change without {k}: {c}");
        }
        assert!(is_exact(c["to"].as_str().unwrap()), "not exact: {c}");
    }
    let moved = |name: &str| {
        changes
            .iter()
            .find(|c| c["name"] == name)
            .and_then(|c| c["to"].as_str())
            .map(str::to_string)
    };
    let numpy_1x = moved("numpy").is_some_and(|v| v.starts_with("1."));
    let pandas_22 = moved("pandas").is_some_and(|v| v.starts_with("2.2."));
    assert!(numpy_1x || pandas_22, "{r:#}");
    assert!(
        r["plan"]["proof"]["passed"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().starts_with("import:")),
        "{r:#}"
    );
    // Run the printed commands, exactly as printed.
    let py = venv.join("bin/python");
    let pip_cmds = r["commands"]["pip"].as_array().unwrap();
    assert!(!pip_cmds.is_empty(), "{r:#}");
    for c in pip_cmds {
        let c = c.as_str().unwrap();
        assert!(c.starts_with(py.to_str().unwrap()), "{c}");
        run(Command::new("sh").arg("-c").arg(c)).unwrap();
    }
    assert_eq!(check_code(&venv), 0, "after {pip_cmds:?}");
    let (_, r2) = fix_json(&copy, &uv);
    let uv_cmds = r2["commands"]["uv"].as_array().unwrap();
    assert!(!uv_cmds.is_empty(), "{r2:#}");
    let path = format!(
        "{}:{}",
        uv.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for c in uv_cmds {
        let c = c.as_str().unwrap();
        assert!(c.contains(copy.join("bin/python").to_str().unwrap()), "{c}");
        run(Command::new("sh").arg("-c").arg(c).env("PATH", &path)).unwrap();
    }
    assert_eq!(check_code(&copy), 0, "after {uv_cmds:?}");
    // Nothing left to do: fix says so and exits 0.
    let (code, r3) = fix_json(&venv, &uv);
    assert_eq!(code, 0, "{r3:#}");
    assert!(
        r3["plan"]["changes"].as_array().unwrap().is_empty(),
        "{r3:#}"
    );
}

/// scripts/realworld scenario 09: a distribution declaring numpy~=1.19.2 (src/oldpin) beside
/// pyxDamerauLevenshtein built against NumPy 1.20.3, on 1.19.5. No NumPy satisfies both: the
/// blocker names oldpin and its requirement, and no alternative moves NumPy out of ~=1.19.2.
#[test]
fn pin_conflict_reports_the_blocker_and_no_looping_plan() {
    let Some(uv) = support::require(support::find_uv(), "uv") else {
        return;
    };
    let Some((tmp, venv, _site)) = test_venv("3.9.18", "1.20.3") else {
        return;
    };
    pip(
        &venv,
        &["--only-binary=:all:", "cython<3", "wheel", "setuptools<70"],
    );
    pip(
        &venv,
        &[
            "--no-build-isolation",
            "--no-deps",
            "--no-cache-dir",
            "--no-binary",
            "pyxdameraulevenshtein",
            "pyxdameraulevenshtein==1.5.3",
        ],
    );
    pip(&venv, &["--only-binary=:all:", "numpy==1.19.5"]);
    let src = tmp.path().join("oldpin");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    run(Command::new("cp")
        .arg("-a")
        .arg(repo.join("scripts/realworld/scenarios/src/oldpin"))
        .arg(&src))
    .unwrap();
    pip(
        &venv,
        &["--no-build-isolation", "--no-deps", src.to_str().unwrap()],
    );
    let (code, r) = fix_json(&venv, &uv);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["proven"], false, "{r:#}");
    let blockers = r["blockers"].as_array().unwrap();
    assert!(
        blockers
            .iter()
            .any(|b| b["distribution"] == "oldpin" && b["requirement"] == "numpy~=1.19.2"),
        "{r:#}"
    );
    for a in r["alternatives"].as_array().unwrap() {
        assert_ne!(a["kind"], "move_numpy", "{a:#}");
        for c in a["changes"].as_array().unwrap() {
            if c["name"] == "numpy" {
                assert!(
                    c["to"].as_str().unwrap().starts_with("1.19."),
                    "loops: {a:#}"
                );
            }
        }
    }
}
