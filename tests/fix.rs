//! `abi-doctor fix` on real venvs (CPython from `support`, wheels from PyPI, uv found or installed
//! by `support::find_uv`): the plan names exact releases, is proven in a scratch venv, and the
//! commands it prints fix the environment when run (fix's, check's fix line, explain's remedies,
//! each run as printed on a copy); a pin conflict is reported as a blocker with no plan that brings
//! the break back, and its rebuild alternative (a real sdist built here) is proven and works.

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

fn json_of(args: &[&str], venv: &Path, stdin: Option<&str>) -> Value {
    use std::io::Write;
    let mut child = abi_doctor()
        .args(args)
        .arg("--env")
        .arg(venv)
        .args(["--format", "json"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.unwrap_or("").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Run printed commands as printed, with `sh -c` in `cwd` (uv found on PATH as the commands
/// say `uv`); each must name `venv`'s interpreter.
fn run_printed(cmds: &[Value], venv: &Path, uv: &Path, cwd: &Path) {
    assert!(!cmds.is_empty());
    let path = format!(
        "{}:{}",
        uv.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for c in cmds {
        let c = c.as_str().unwrap();
        assert!(c.contains(venv.join("bin/python").to_str().unwrap()), "{c}");
        run(Command::new("sh")
            .arg("-c")
            .arg(c)
            .env("PATH", &path)
            .current_dir(cwd))
        .unwrap();
    }
}

fn copy_of(venv: &Path, name: &str) -> std::path::PathBuf {
    let copy = venv.parent().unwrap().join(name);
    run(Command::new("cp").arg("-a").arg(venv).arg(&copy)).unwrap();
    copy
}

fn import_ok(venv: &Path, module: &str) -> bool {
    Command::new(venv.join("bin/python"))
        .args(["-c", &format!("import {module}")])
        .status()
        .unwrap()
        .success()
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
    let copy_src = copy_of(&venv, "pristine");

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
    // check's fix line and explain's first remedy (with --env), run as printed on fresh copies.
    let hint_copy = copy_of(&copy_src, "hint");
    let check = json_of(&["check"], &hint_copy, None);
    let hint: Vec<Value> = check["fix_hint"]["commands"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c.as_str().unwrap().contains(" -m pip "))
        .cloned()
        .collect();
    run_printed(&hint, &hint_copy, &uv, venv.parent().unwrap());
    assert_eq!(check_code(&hint_copy), 0, "after check's {hint:?}");
    let explain_copy = copy_of(&copy_src, "explain");
    let text = String::from_utf8(
        Command::new(explain_copy.join("bin/python"))
            .args(["-c", "import pandas"])
            .output()
            .unwrap()
            .stderr,
    )
    .unwrap();
    let ex = json_of(&["explain"], &explain_copy, Some(&text));
    let first = &ex["explanations"][0]["remedies"][0];
    assert!(
        first["conda"].is_null(),
        "a venv gets no conda command: {first}"
    );
    for tool in ["pip", "uv"] {
        let c = first[tool].as_str().unwrap_or_else(|| panic!("{ex:#}"));
        assert!(c.contains(",<"), "NumPy bounded on both sides: {c}");
    }
    run_printed(
        &[first["pip"].clone()],
        &explain_copy,
        &uv,
        venv.parent().unwrap(),
    );
    assert_eq!(check_code(&explain_copy), 0, "after explain's {first}");
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
/// blocker names oldpin and its requirement, and no alternative moves NumPy out of ~=1.19.2. The
/// rebuild of pyxDamerauLevenshtein 1.5.3 from its sdist is proven, and its printed forms (pip,
/// uv, explain's) each fix a copy.
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
    let a = copy_of(&venv, "uv-copy");
    let b = copy_of(&venv, "explain-copy");
    let (code, r) = fix_json(&venv, &uv);
    // The rebuild of pyxDamerauLevenshtein 1.5.3 from its sdist against NumPy 1.19.5, proven in
    // a scratch venv; the blocker is still reported.
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["proven"], true, "{r:#}");
    assert_eq!(r["plan"]["kind"], "rebuild", "{r:#}");
    assert!(
        r["plan"]["proof"]["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n
                .as_str()
                .unwrap()
                .starts_with("rebuilt pyxDamerauLevenshtein 1.5.3")),
        "{r:#}"
    );
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
    // The printed rebuild commands, run as printed: pip's here, uv's on a copy.
    let here = tmp.path();
    run_printed(r["commands"]["pip"].as_array().unwrap(), &venv, &uv, here);
    assert_eq!(check_code(&venv), 0, "after {:?}", r["commands"]["pip"]);
    assert!(import_ok(&venv, "pyxdameraulevenshtein"));
    let (_, ra) = fix_json(&a, &uv);
    run_printed(ra["commands"]["uv"].as_array().unwrap(), &a, &uv, here);
    assert_eq!(check_code(&a), 0, "after {:?}", ra["commands"]["uv"]);
    assert!(import_ok(&a, "pyxdameraulevenshtein"));
    // explain's rebuild remedy for the real error, with --env: the installed version, NumPy 1.19.5.
    let text = String::from_utf8(
        Command::new(b.join("bin/python"))
            .args(["-c", "import pyxdameraulevenshtein"])
            .output()
            .unwrap()
            .stderr,
    )
    .unwrap();
    let ex = json_of(&["explain"], &b, Some(&text));
    let rebuild = ex["explanations"][0]["remedies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"].as_str().unwrap().starts_with("Rebuild"))
        .cloned()
        .unwrap_or_else(|| panic!("{ex:#}"));
    let c = rebuild["pip"]
        .as_str()
        .unwrap_or_else(|| panic!("{rebuild}"));
    assert!(
        c.contains("pyxdameraulevenshtein==1.5.3") && c.contains("numpy==1.19.5"),
        "{c}"
    );
    run_printed(&[rebuild["pip"].clone()], &b, &uv, here);
    assert_eq!(check_code(&b), 0, "after explain's {c}");
    assert!(import_ok(&b, "pyxdameraulevenshtein"));
}
