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

/// A venv with pandas 2.1.4 and NumPy 2.0.2 forced in, and a local index (tests/support/
/// index_server.rs) holding every installed distribution's real wheel from PyPI plus pandas 2.2.0
/// (built against NumPy 1.x), pandas 2.2.3 (built against NumPy 2) and NumPy 1.26.4.
fn broken_venv_and_index_wheels() -> Option<(
    tempfile::TempDir,
    std::path::PathBuf,
    Vec<std::path::PathBuf>,
)> {
    let (tmp, venv, _site) = test_venv("3.11.7", "2.0.2")?;
    pip(&venv, &["--only-binary=:all:", "pandas==2.1.4"]);
    pip(&venv, &["--only-binary=:all:", "--no-deps", "numpy==2.0.2"]);
    let freeze = run(Command::new(venv.join("bin/python")).args([
        "-m",
        "pip",
        "list",
        "--format=freeze",
        "--disable-pip-version-check",
    ]))
    .unwrap();
    let mut specs: Vec<String> = freeze
        .lines()
        .filter(|l| l.contains("=="))
        .map(str::to_string)
        .collect();
    specs.extend(["pandas==2.2.0", "pandas==2.2.3", "numpy==1.26.4"].map(String::from));
    let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
    let wheels = support::require(
        support::index_server::index_wheels(&specs),
        "real wheels from PyPI in the index-wheels cache",
    )?;
    Some((tmp, venv, wheels))
}

/// `fix --format json` with the local index as the environment's index and `cache` as the cache
/// root (`XDG_CACHE_HOME`), plus `extra` variables.
fn fix_with_index(
    venv: &Path,
    uv: &Path,
    index: &str,
    cache: &Path,
    extra: &[(&str, &str)],
) -> (i32, Value) {
    let mut cmd = abi_doctor();
    cmd.args(["fix", "--format", "json", "--uv"])
        .arg(uv)
        .arg("--env")
        .arg(venv)
        .env("PIP_INDEX_URL", index)
        .env("XDG_CACHE_HOME", cache)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env_remove("UV_INDEX_URL")
        .env_remove("UV_DEFAULT_INDEX")
        .env_remove("ABI_DOCTOR_OFFLINE");
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

fn alternative<'a>(r: &'a Value, kind: &str) -> &'a Value {
    r["alternatives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} alternative: {r:#}"))
}

fn to_of(a: &Value, name: &str) -> Option<String> {
    a["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["to"].as_str())
        .map(str::to_string)
}

/// The index's wheel facts decide the package move before uv runs: pandas 2.2.0's wheel (read
/// with range requests, NumPy 1.x headers) goes to uv as an override and is never picked; pandas
/// 2.2.3 is, and is proven. A second plan answers from the cache with no index request; offline,
/// nothing is requested and the plan comes from the installed facts only, and says so.
#[test]
fn planner_reads_wheel_facts_from_the_index_then_the_cache_and_offline_nothing() {
    use support::index_server::{IndexServer, Mode};
    let Some(uv) = support::require(support::find_uv(), "uv") else {
        return;
    };
    let Some((tmp, venv, wheels)) = broken_venv_and_index_wheels() else {
        return;
    };
    let server = IndexServer::start(&wheels, Mode::Ranges);
    let cache = tmp.path().join("cache");
    let pandas_220 = wheels
        .iter()
        .find(|w| {
            w.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("pandas-2.2.0-")
        })
        .unwrap();
    let size_220 = std::fs::metadata(pandas_220).unwrap().len();

    let (code, r) = fix_with_index(&venv, &uv, &server.index_url(), &cache, &[]);
    assert_eq!(code, 0, "{r:#}");
    let mp = alternative(&r, "move_packages");
    assert_eq!(to_of(mp, "pandas").as_deref(), Some("2.2.3"), "{mp:#}");
    assert_eq!(mp["proof"]["status"], "proven", "{mp:#}");
    let ev: Vec<&str> = mp["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        ev.iter().any(|e| e.starts_with("pandas 2.2.0 (")
            && e.contains("NumPy 1.x headers")
            && e.contains("does not fit NumPy 2.0.2")),
        "{ev:#?}"
    );
    assert!(
        ev.iter().any(|e| e.starts_with("pandas 2.2.3 (")
            && e.contains("NumPy 2.x headers")
            && e.contains("fits NumPy 2.0.2")),
        "{ev:#?}"
    );
    // One scratch install for the package move: 2.2.0 was excluded before anything was installed.
    let st = &r["stats"];
    assert_eq!(st["wheels_read"], 2, "{st}");
    let requests = st["index_requests"].as_u64().unwrap();
    let bytes = st["index_bytes"].as_u64().unwrap();
    assert!(requests > 0, "{st}");
    // Range reads: far less than one of the two wheels read.
    assert!(
        bytes < size_220 / 4,
        "{bytes} bytes for a {size_220}-byte wheel: {st}"
    );
    assert!(
        r["target"]["python_version"] == "3.11"
            && r["target"]["python_platform"]
                .as_str()
                .unwrap()
                .starts_with("x86_64-manylinux_2_"),
        "{r:#}"
    );

    // Again: the facts and the page come from the cache.
    let (code, r2) = fix_with_index(&venv, &uv, &server.index_url(), &cache, &[]);
    assert_eq!(code, 0, "{r2:#}");
    assert_eq!(r2["stats"]["index_requests"], 0, "{:#}", r2["stats"]);
    assert_eq!(r2["stats"]["index_bytes"], 0, "{:#}", r2["stats"]);
    assert!(
        r2["stats"]["index_cache_hits"].as_u64().unwrap() >= 3,
        "{:#}",
        r2["stats"]
    );
    assert_eq!(
        to_of(alternative(&r2, "move_packages"), "pandas").as_deref(),
        Some("2.2.3")
    );

    // Offline: nothing requested from anyone, and the plan says so.
    let before = server.requests();
    let (code, r3) = fix_with_index(
        &venv,
        &uv,
        &server.index_url(),
        &cache,
        &[("ABI_DOCTOR_OFFLINE", "1")],
    );
    assert_eq!(code, 1, "{r3:#}");
    assert_eq!(server.requests(), before, "{r3:#}");
    assert_eq!(r3["proven"], false, "{r3:#}");
    assert_eq!(r3["stats"]["index_requests"], 0, "{r3:#}");
    assert_eq!(r3["stats"]["resolver_runs"], 0, "{r3:#}");
    assert_eq!(r3["stats"]["scratch_installs"], 0, "{r3:#}");
    assert!(
        r3["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .contains("offline (ABI_DOCTOR_OFFLINE)")
            && n.as_str().unwrap().contains("installed facts only")),
        "{r3:#}"
    );
    let np = r3["plan"]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "numpy")
        .unwrap_or_else(|| panic!("{r3:#}"));
    assert!(np["to"].as_str().unwrap().starts_with("1."), "{np}");
    assert!(is_exact(np["to"].as_str().unwrap()), "{np}");
}

/// The same plan from an index whose file host refuses ranges: the wheels are read whole (the
/// bytes say so), and the facts, the override and the proven move are the same.
#[test]
fn planner_falls_back_to_whole_wheels_when_ranges_are_refused() {
    use support::index_server::{IndexServer, Mode};
    let Some(uv) = support::require(support::find_uv(), "uv") else {
        return;
    };
    let Some((tmp, venv, wheels)) = broken_venv_and_index_wheels() else {
        return;
    };
    let server = IndexServer::start(&wheels, Mode::RefuseRanges);
    let size_220 = wheels
        .iter()
        .find(|w| {
            w.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("pandas-2.2.0-")
        })
        .map(|w| std::fs::metadata(w).unwrap().len())
        .unwrap();
    let (code, r) = fix_with_index(&venv, &uv, &server.index_url(), &tmp.path().join("c"), &[]);
    assert_eq!(code, 0, "{r:#}");
    let mp = alternative(&r, "move_packages");
    assert_eq!(to_of(mp, "pandas").as_deref(), Some("2.2.3"), "{mp:#}");
    assert_eq!(mp["proof"]["status"], "proven", "{mp:#}");
    assert!(
        mp["evidence"].as_array().unwrap().iter().any(|e| e
            .as_str()
            .unwrap()
            .starts_with("pandas 2.2.0 (")
            && e.as_str().unwrap().contains("does not fit")),
        "{mp:#}"
    );
    let bytes = r["stats"]["index_bytes"].as_u64().unwrap();
    assert!(bytes >= size_220, "{bytes} < {size_220}: {:#}", r["stats"]);
}
