//! `fix --apply` on real venvs: CPython 3.11, pandas 2.1.4 with NumPy 2.0.2 from PyPI (broken:
//! pandas was built for NumPy 1), uv from the project's tools venv, pip from the venv. Each test
//! works on a private copy of a template venv built once into the cache, and compares the
//! environment by its freeze (the dist-info names) plus the SHA-256, mode or link target of every
//! file, directory and symlink under site-packages and bin/.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod support;

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use support::venv::{cache_dir, run};

const PY: &str = "3.11";
const SITE: &str = "lib/python3.11/site-packages";

/// The broken template: pandas 2.1.4 (and its dependencies, pinned) with NumPy 2.0.2 forced in
/// with `--no-deps`; built once with uv.
fn broken_template(uv: &Path) -> Option<PathBuf> {
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let python = support::require(support::find_python(PY), "CPython 3.11")?;
    let dir = cache_dir().join("fixapply-py3.11-pandas2.1.4-numpy2.0.2");
    if dir.join("ready").exists() {
        return Some(dir);
    }
    support::require(
        support::pypi_reachable(),
        "network access to PyPI (first build)",
    )?;
    std::fs::create_dir_all(cache_dir()).unwrap();
    let tmp = cache_dir().join(format!(".fixapply.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    run(Command::new(&python).arg("-m").arg("venv").arg(&tmp)).unwrap();
    let py = tmp.join("bin/python");
    run(Command::new(uv)
        .args(["pip", "install", "--python"])
        .arg(&py)
        .args([
            "pandas==2.1.4",
            "numpy==1.26.4",
            "python-dateutil==2.9.0.post0",
            "pytz==2024.1",
            "tzdata==2024.1",
            "six==1.16.0",
        ]))
    .unwrap();
    run(Command::new(uv)
        .args(["pip", "install", "--python"])
        .arg(&py)
        .args(["--no-deps", "numpy==2.0.2"]))
    .unwrap();
    std::fs::write(tmp.join("ready"), b"").unwrap();
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Some(dir)
}

/// `cp -a template dest` (dest replaced).
fn copy_venv(template: &Path, dest: &Path) {
    let _ = std::fs::remove_dir_all(dest);
    run(Command::new("cp").arg("-a").arg(template).arg(dest)).unwrap();
    let _ = std::fs::remove_file(dest.join("ready"));
}

/// The environment's freeze and file hashes: `freeze:name-version.dist-info` for each
/// distribution, and for each path under site-packages and bin/ its kind, SHA-256 and mode.
fn state(venv: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for d in std::fs::read_dir(venv.join(SITE)).unwrap().flatten() {
        let n = d.file_name().to_string_lossy().into_owned();
        if n.ends_with(".dist-info") {
            out.insert(format!("freeze:{n}"), String::new());
        }
    }
    for root in [venv.join(SITE), venv.join("bin")] {
        for e in walkdir::WalkDir::new(&root) {
            let e = e.unwrap();
            let rel = e.path().strip_prefix(venv).unwrap().display().to_string();
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            let mode = m.permissions().mode() & 0o7777;
            let v = if m.file_type().is_symlink() {
                format!("link {}", std::fs::read_link(e.path()).unwrap().display())
            } else if m.is_dir() {
                format!("dir {mode:o}")
            } else {
                let bytes = std::fs::read(e.path()).unwrap();
                let h: String = Sha256::digest(&bytes)
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                format!("file {h} {mode:o}")
            };
            out.insert(rel, v);
        }
    }
    out
}

/// The first few differences between two states.
fn differences(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in a {
        match b.get(k) {
            None => out.push(format!("missing {k}")),
            Some(w) if w != v => out.push(format!("changed {k}")),
            _ => {}
        }
    }
    for k in b.keys() {
        if !a.contains_key(k) {
            out.push(format!("added {k}"));
        }
    }
    out.truncate(10);
    out
}

/// The child's environment: journals in a private cache directory; uv's and pip's caches stay
/// the user's (warm).
struct Env {
    cache: PathBuf,
    uv: Option<PathBuf>,
    uv_cache: PathBuf,
    path: Option<String>,
}

impl Env {
    fn new(cache: &Path, uv: &Path) -> Env {
        let uv_cache = run(Command::new(uv).args(["cache", "dir"]))
            .map(|s| PathBuf::from(s.trim()))
            .unwrap_or_else(|_| support::venv::home().join(".cache/uv"));
        Env {
            cache: cache.to_path_buf(),
            uv: Some(uv.to_path_buf()),
            uv_cache,
            path: None,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_abi-doctor"));
        c.args(args)
            .env("XDG_CACHE_HOME", &self.cache)
            .env("UV_CACHE_DIR", &self.uv_cache)
            .env("PIP_CACHE_DIR", support::venv::home().join(".cache/pip"))
            .env("ABI_DOCTOR_NO_PROGRESS", "1")
            .env_remove("VIRTUAL_ENV")
            .env_remove("CONDA_PREFIX")
            .stdin(Stdio::null());
        match &self.uv {
            Some(uv) => {
                c.env("ABI_DOCTOR_UV", uv);
            }
            None => {
                // No uv anywhere: not in $ABI_DOCTOR_UV, not on PATH, no tools venv.
                c.env_remove("ABI_DOCTOR_UV")
                    .env("ABI_DOCTOR_CACHE", self.cache.join("no-tools"));
            }
        }
        if let Some(p) = &self.path {
            c.env("PATH", p);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().unwrap();
        eprintln!(
            "$ abi-doctor {}\n[{}]\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

fn changes_file(dir: &Path, json: &str) -> PathBuf {
    let p = dir.join("changes.json");
    std::fs::write(&p, json).unwrap();
    p
}

const NUMPY_DOWN: &str = r#"[{"name": "numpy", "from": "2.0.2", "to": "1.26.4"}]"#;

fn setup() -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let uv = support::require(support::find_uv(), "uv (scripts/package/tools.sh)")?;
    let template = broken_template(&uv)?;
    Some((tempfile::tempdir().unwrap(), uv, template))
}

/// numpy 2.0.2 -> 1.26.4 with uv makes `check` clean; `fix --rollback` puts back every file.
#[test]
fn apply_with_uv_then_rollback_restores_every_file() {
    let Some((tmp, uv, template)) = setup() else {
        return;
    };
    let venv = tmp.path().join("v");
    copy_venv(&template, &venv);
    let env = Env::new(&tmp.path().join("cache"), &uv);
    let v = venv.to_str().unwrap();
    let before = state(&venv);
    assert_eq!(env.run(&["check", "--env", v]).status.code(), Some(1));

    let file = changes_file(tmp.path(), NUMPY_DOWN);
    let out = env.run(&[
        "fix",
        "--env",
        v,
        "--apply-changes",
        file.to_str().unwrap(),
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    // The command names the environment's interpreter and the exact version.
    assert!(
        text.contains(&format!("pip install --python {v}/bin/python"))
            && text.contains("numpy==1.26.4"),
        "{text}"
    );
    assert!(text.contains("1 distribution(s) changed"), "{text}");
    let applied = state(&venv);
    assert!(applied.contains_key("freeze:numpy-1.26.4.dist-info"));
    assert!(!applied.contains_key("freeze:numpy-2.0.2.dist-info"));
    assert_eq!(env.run(&["check", "--env", v]).status.code(), Some(0));

    let out = env.run(&["fix", "--env", v, "--rollback"]);
    assert_eq!(out.status.code(), Some(0));
    let after = state(&venv);
    assert_eq!(differences(&before, &after), Vec::<String>::new());
    assert_eq!(before, after);
    assert_eq!(env.run(&["check", "--env", v]).status.code(), Some(1));
    // A second rollback has nothing to do.
    assert_eq!(
        env.run(&["fix", "--env", v, "--rollback"]).status.code(),
        Some(2)
    );
}

/// Without uv, pip from the environment applies; a change after which pandas still fails
/// (NumPy 2.0.2 -> 2.0.1) is rolled back automatically, exit 1, every file as before.
#[test]
fn failed_recheck_rolls_back_automatically_with_pip() {
    let Some((tmp, uv, template)) = setup() else {
        return;
    };
    if support::require(support::pypi_reachable(), "network access to PyPI").is_none() {
        return;
    }
    let venv = tmp.path().join("v");
    copy_venv(&template, &venv);
    let mut env = Env::new(&tmp.path().join("cache"), &uv);
    env.uv = None;
    env.path = Some("/usr/bin:/bin".into());
    let v = venv.to_str().unwrap();
    let before = state(&venv);
    let file = changes_file(
        tmp.path(),
        r#"[{"name": "numpy", "from": "2.0.2", "to": "2.0.1"}]"#,
    );
    let out = env.run(&[
        "fix",
        "--env",
        v,
        "--apply-changes",
        file.to_str().unwrap(),
        "--yes",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains(&format!("{v}/bin/python3 -m pip install"))
            && stdout.contains("numpy==2.0.1"),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("still predicts import failures in pandas")
            && stderr.contains("rolled back"),
        "{stderr}"
    );
    assert_eq!(differences(&before, &state(&venv)), Vec::<String>::new());
}

/// A tiny xorshift generator: the delays are reproducible from the printed seed.
struct Rng(u64);
impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn journal_phase(cache: &Path) -> String {
    let Ok(rd) = std::fs::read_dir(cache.join("abi-doctor/fix")) else {
        return "(no journal)".into();
    };
    for d in rd.flatten() {
        if let Ok(text) = std::fs::read_to_string(d.path().join("journal.json")) {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                return v["phase"].as_str().unwrap_or("?").to_string();
            }
        }
    }
    "(no journal)".into()
}

/// `fix --apply` killed with SIGKILL at random moments (spread over the snapshot, the install
/// and the re-check), then any `fix` run on the environment: every time the environment is
/// exactly the original or exactly the planned one, by freeze and file hashes. Seed:
/// `ABI_DOCTOR_KILL_SEED`; runs: `ABI_DOCTOR_KILL_RUNS` (at least 20).
#[test]
fn sigkill_at_random_moments_leaves_the_original_or_the_planned_environment() {
    let Some((tmp, uv, template)) = setup() else {
        return;
    };
    let runs: usize = std::env::var("ABI_DOCTOR_KILL_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
        .max(20);
    let seed: u64 = std::env::var("ABI_DOCTOR_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("SIGKILL test: seed {seed} (ABI_DOCTOR_KILL_SEED={seed} repeats it), {runs} runs");
    let venv = tmp.path().join("v");
    let v = venv.to_str().unwrap().to_string();
    let file = changes_file(tmp.path(), NUMPY_DOWN);
    let apply_args = [
        "fix",
        "--env",
        v.as_str(),
        "--apply-changes",
        file.to_str().unwrap(),
        "--yes",
    ];

    // The reference run, uninterrupted: the planned state and how long each phase takes.
    copy_venv(&template, &venv);
    let original = state(&venv);
    let cache0 = tmp.path().join("cache-ref");
    let env = Env::new(&cache0, &uv);
    let mut json_args = apply_args.to_vec();
    json_args.extend(["--format", "json"]);
    let out = env.run(&json_args);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let at = |p: &str| -> u64 {
        doc["result"]["timings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["phase"] == p)
            .and_then(|t| t["ms"].as_u64())
            .unwrap()
    };
    // Each phase the kill aims at, and how long it lasted in the reference run.
    let targets = [
        ("snapshot-started", at("snapshot-complete")),
        ("applying", at("applied") - at("applying")),
        ("applied", at("verified") - at("applied")),
    ];
    let planned = state(&venv);
    assert_ne!(original, planned);
    eprintln!("reference apply: phase durations {targets:?} ms");

    let mut rng = Rng(seed);
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let mut phases: BTreeMap<String, usize> = BTreeMap::new();
    let started = Instant::now();
    for i in 0..runs {
        // Run i aims at phase i mod 3: it waits until the journal shows that phase, then a
        // random part (up to 1.2 x) of that phase's reference duration, then kills.
        let (target, ms) = targets[i % targets.len()];
        let delay = Duration::from_secs_f64(ms as f64 / 1000.0 * 1.2 * rng.next_f64());
        copy_venv(&template, &venv);
        let cache = tmp.path().join(format!("cache-{i}"));
        let env = Env::new(&cache, &uv);
        let mut child = env
            .command(&apply_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let order = |p: &str| {
            [
                "snapshot-started",
                "snapshot-complete",
                "applying",
                "applied",
                "verified",
                "committed",
            ]
            .iter()
            .position(|q| *q == p)
        };
        let waited = Instant::now();
        while child.try_wait().unwrap().is_none()
            && order(&journal_phase(&cache)) < order(target)
            && waited.elapsed() < Duration::from_secs(120)
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let phase = if finished {
            "(finished before the kill)".to_string()
        } else {
            journal_phase(&cache)
        };
        *phases.entry(phase.clone()).or_default() += 1;

        // Any fix run on the environment finishes what the killed one left.
        let rec = env.command(&["fix", "--env", &v]).output().unwrap();
        assert_eq!(
            rec.status.code(),
            Some(0),
            "run {i}: recovery failed: {}",
            String::from_utf8_lossy(&rec.stderr)
        );
        let now = state(&venv);
        let outcome = if now == original {
            "original"
        } else if now == planned {
            "planned"
        } else {
            panic!(
                "run {i} (killed {delay:?} into {target}, journal at {phase}): the environment is neither the original nor the planned one:\n  vs original: {:?}\n  vs planned: {:?}\nrecovery said: {}",
                differences(&original, &now),
                differences(&planned, &now),
                String::from_utf8_lossy(&rec.stderr)
            );
        };
        *tally.entry(outcome).or_default() += 1;
        eprintln!(
            "run {i:2}: killed {:5.0} ms into {target:16} (journal: {phase:26}) -> {outcome}; recovery: {}",
            delay.as_secs_f64() * 1000.0,
            String::from_utf8_lossy(&rec.stderr).trim()
        );
        // A committed apply still rolls back to the original.
        if outcome == "planned" && i % 3 == 0 {
            let out = env.run(&["fix", "--env", &v, "--rollback"]);
            assert_eq!(out.status.code(), Some(0));
            assert_eq!(differences(&original, &state(&venv)), Vec::<String>::new());
        }
    }
    eprintln!(
        "SIGKILL test: seed {seed}: {runs}/{runs} runs ended exactly original or planned: {tally:?}; phases at the kill: {phases:?}; {:?}",
        started.elapsed()
    );
    assert_eq!(tally.values().sum::<usize>(), runs);
}

/// A CPython copy whose stdlib has an EXTERNALLY-MANAGED marker: refused, saying why and how,
/// nothing changed.
#[test]
fn externally_managed_environment_is_refused() {
    let Some(py) = support::python(PY) else {
        return;
    };
    let Some(uv) = support::require(support::find_uv(), "uv (scripts/package/tools.sh)") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("cpython");
    let minor = py.version.split('.').take(2).collect::<Vec<_>>().join(".");
    let lib = format!("lib/python{minor}");
    std::fs::create_dir_all(copy.join("bin")).unwrap();
    std::fs::copy(&py.path, copy.join("bin/python3")).unwrap();
    for e in std::fs::read_dir(py.prefix.join("lib")).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with("libpython") {
            std::fs::copy(e.path(), copy.join("lib").join(e.file_name()))
                .or_else(|_| {
                    std::fs::create_dir_all(copy.join("lib"))?;
                    std::fs::copy(e.path(), copy.join("lib").join(e.file_name()))
                })
                .unwrap();
        }
    }
    copy_tree(
        &py.prefix.join(&lib),
        &copy.join(&lib),
        &["site-packages", "test", "__pycache__"],
    );
    std::fs::create_dir_all(copy.join(&lib).join("site-packages")).unwrap();
    std::fs::write(
        copy.join(&lib).join("EXTERNALLY-MANAGED"),
        "[externally-managed]\nError=This Python belongs to the test's package manager.\n",
    )
    .unwrap();
    let before = manifest(&copy);
    let env = Env::new(&tmp.path().join("cache"), &uv);
    let file = changes_file(
        tmp.path(),
        r#"[{"name": "six", "from": null, "to": "1.16.0"}]"#,
    );
    let out = env.run(&[
        "fix",
        "--python",
        copy.join("bin/python3").to_str().unwrap(),
        "--apply-changes",
        file.to_str().unwrap(),
        "--yes",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for needed in [
        "externally managed",
        "PEP 668",
        "EXTERNALLY-MANAGED",
        "--break-system-packages",
        "belongs to the test's package manager",
    ] {
        assert!(stderr.contains(needed), "{needed:?} not in {stderr}");
    }
    assert_eq!(
        manifest(&copy),
        before,
        "the refused apply changed the interpreter"
    );
    assert!(
        !tmp.path().join("cache/abi-doctor/fix").exists() || {
            // No journal was written for a refused apply.
            journal_phase(&tmp.path().join("cache")) == "(no journal)"
        }
    );
}

fn copy_tree(from: &Path, to: &Path, skip: &[&str]) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let name = e.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        let ft = e.file_type().unwrap();
        if ft.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if ft.is_dir() {
            copy_tree(&src, &dst, skip);
        } else if ft.is_file() {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Every path under `dir` with its size (files) or link target.
fn manifest(dir: &Path) -> BTreeMap<PathBuf, String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| {
            let e = e.unwrap();
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            (
                e.path().to_path_buf(),
                format!("{:?} {}", m.file_type(), m.len()),
            )
        })
        .collect()
}

/// A distribution built on this machine (a C extension, from a source tree written here, with
/// gcc) cannot come back from any index: removing it and rolling back restores its files from
/// the snapshot, byte for byte, and it imports again.
#[test]
fn locally_built_distribution_comes_back_from_the_snapshot() {
    let Some(uv) = support::require(support::find_uv(), "uv (scripts/package/tools.sh)") else {
        return;
    };
    if support::require(support::find_gcc(), "gcc").is_none() {
        return;
    }
    let Some((tmp, venv, _site)) = support::venv::test_venv("3.11.7", "2.0.2") else {
        return;
    };
    let src = tmp.path().join("localpkg-src");
    std::fs::create_dir_all(src.join("localpkg")).unwrap();
    std::fs::write(
        src.join("setup.py"),
        "from setuptools import setup, Extension\n\
         setup(name='localpkg', version='0.1', packages=['localpkg'],\n\
               ext_modules=[Extension('localpkg._speed', ['speed.c'])],\n\
               entry_points={'console_scripts': ['localpkg-hello=localpkg:main']})\n",
    )
    .unwrap();
    std::fs::write(
        src.join("speed.c"),
        "#include <Python.h>\n\
         static PyObject *answer(PyObject *s, PyObject *a) { return PyLong_FromLong(42); }\n\
         static PyMethodDef M[] = {{\"answer\", answer, METH_NOARGS, 0}, {0}};\n\
         static struct PyModuleDef D = {PyModuleDef_HEAD_INIT, \"_speed\", 0, -1, M};\n\
         PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&D); }\n",
    )
    .unwrap();
    std::fs::write(
        src.join("localpkg/__init__.py"),
        "from ._speed import answer\n\ndef main():\n    print(answer())\n",
    )
    .unwrap();
    let py = venv.join("bin/python");
    // Built by uv in an isolated build environment (setuptools from the index, cached).
    if support::require(
        support::pypi_reachable(),
        "network access to PyPI (setuptools)",
    )
    .is_none()
    {
        return;
    }
    run(Command::new(&uv)
        .args(["pip", "install", "--no-deps", "--python"])
        .arg(&py)
        .arg(&src))
    .unwrap();
    std::fs::remove_dir_all(&src).unwrap();
    let import = || {
        Command::new(&py)
            .args(["-c", "import localpkg; print(localpkg.answer())"])
            .output()
            .unwrap()
    };
    assert_eq!(String::from_utf8_lossy(&import().stdout).trim(), "42");
    let before = state(&venv);
    assert!(before.contains_key("freeze:localpkg-0.1.dist-info"));
    assert!(before.contains_key("bin/localpkg-hello"));

    let env = Env::new(&tmp.path().join("cache"), &uv);
    let v = venv.to_str().unwrap();
    let file = changes_file(
        tmp.path(),
        r#"[{"name": "localpkg", "from": "0.1", "to": null}]"#,
    );
    let out = env.run(&[
        "fix",
        "--env",
        v,
        "--apply-changes",
        file.to_str().unwrap(),
        "--yes",
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("pip uninstall --python"));
    let removed = state(&venv);
    assert!(!removed.contains_key("freeze:localpkg-0.1.dist-info"));
    assert!(!removed.contains_key("bin/localpkg-hello"));
    assert!(!import().status.success());

    assert_eq!(
        env.run(&["fix", "--env", v, "--rollback"]).status.code(),
        Some(0)
    );
    assert_eq!(differences(&before, &state(&venv)), Vec::<String>::new());
    assert_eq!(String::from_utf8_lossy(&import().stdout).trim(), "42");
}
