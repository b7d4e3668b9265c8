//! Check before install (`check WHEEL...`, `--wheelhouse`, `--lock`, `-r`), on real parts only:
//! wheels downloaded from PyPI with pip, pylock.toml and a resolution made by real uv (the tools
//! venv of scripts/package/tools.sh), uv.lock by `uv lock`, poetry.lock by real Poetry (installed
//! from PyPI into a cache venv). Everything is cached under
//! `${ABI_DOCTOR_CACHE:-~/.cache/abi-doctor}/preinstall-tests/`; abi-doctor's own cache is a
//! temporary `XDG_CACHE_HOME` per test, so that every test downloads what it checks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command as Proc;
use support::venv::run;

fn cache() -> PathBuf {
    std::env::var_os("ABI_DOCTOR_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| support::venv::home().join(".cache/abi-doctor"))
        .join("preinstall-tests")
}

static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

const PLATFORM: &str = "x86_64-manylinux_2_17";

/// uv from the packaging tools venv (scripts/package/tools.sh installs it from PyPI).
fn uv() -> Option<PathBuf> {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(p) = std::env::var_os("ABI_DOCTOR_UV") {
        return Some(PathBuf::from(p));
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let found = run(Proc::new("bash").arg("-c").arg(format!(
        "source '{}/scripts/package/tools.sh' >&2 && tools_venv >&2 && command -v uv",
        repo.display()
    )));
    support::require(
        found
            .map(|s| PathBuf::from(s.trim()))
            .map_err(|e| format!("uv from scripts/package/tools.sh: {e}")),
        "uv (scripts/package/tools.sh)",
    )
}

/// Poetry from PyPI in a cache venv.
fn poetry() -> Option<PathBuf> {
    let _g = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let venv = cache().join("tools-poetry2");
    let bin = venv.join("bin/poetry");
    if bin.is_file() {
        return Some(bin);
    }
    let py = support::require(support::find_python("3.11"), "CPython 3.11")?;
    support::require(support::pypi_reachable(), "PyPI (to install Poetry)")?;
    let _ = std::fs::remove_dir_all(&venv);
    run(Proc::new(&py).args(["-m", "venv"]).arg(&venv)).unwrap();
    run(Proc::new(venv.join("bin/python"))
        .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
        .args(["--only-binary=:all:", "poetry>=2,<3"]))
    .unwrap();
    Some(bin)
}

/// `pip download --no-deps` of pinned cp311 manylinux wheels into the cache; their paths.
fn wheels(pins: &[&str]) -> Option<Vec<PathBuf>> {
    let dir = cache().join("wheels");
    let mut out = Vec::new();
    let py = support::require(support::find_python("3.11"), "CPython 3.11")?;
    for pin in pins {
        let (name, version) = pin.split_once("==").unwrap();
        let prefix = format!("{}-{version}-", name.replace('-', "_"));
        let find = || {
            std::fs::read_dir(&dir).ok().and_then(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
                })
            })
        };
        if find().is_none() {
            support::require(support::pypi_reachable(), "PyPI (to download wheels)")?;
            run(Proc::new(&py)
                .args(["-m", "pip", "download", "-q", "--disable-pip-version-check"])
                .args([
                    "--no-deps",
                    "--only-binary=:all:",
                    "--python-version",
                    "3.11",
                ])
                .args(["--platform", "manylinux_2_17_x86_64", "-d"])
                .arg(&dir)
                .arg(pin))
            .unwrap();
        }
        out.push(find().unwrap());
    }
    Some(out)
}

struct Run {
    code: i32,
    json: Value,
    stderr: String,
    _xdg: tempfile::TempDir,
}

fn check(args: &[&std::ffi::OsStr], cwd: &Path, uv: Option<&Path>) -> Run {
    let xdg = tempfile::tempdir().unwrap();
    let mut cmd = Command::cargo_bin("abi-doctor").unwrap();
    cmd.arg("check")
        .args(args)
        .args(["--format", "json", "--no-progress"])
        .current_dir(cwd)
        .env("XDG_CACHE_HOME", xdg.path())
        .env_remove("VIRTUAL_ENV")
        .env_remove("ABI_DOCTOR_OUTPUT_FORMAT");
    if let Some(uv) = uv {
        cmd.env("ABI_DOCTOR_UV", uv);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Run {
        code: out.status.code().unwrap_or(-1),
        json,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        _xdg: xdg,
    }
}

fn os(s: &str) -> &std::ffi::OsStr {
    std::ffi::OsStr::new(s)
}

fn failing(r: &Run) -> BTreeSet<String> {
    r.json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error" && !f["predicted"].is_null())
        .filter_map(|f| f["module"].as_str().map(str::to_string))
        .collect()
}

fn plan(r: &Run) -> &Value {
    &r.json["plan"]
}

fn problems(r: &Run) -> Vec<String> {
    plan(r)["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap().to_string())
        .collect()
}

fn wheel_names(r: &Run) -> BTreeSet<String> {
    plan(r)["wheels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{}=={}",
                w["name"].as_str().unwrap().to_lowercase().replace('_', "-"),
                w["version"].as_str().unwrap()
            )
        })
        .collect()
}

/// The modules of a wheel that use NumPy's C API, per `abi-doctor inspect`.
fn numpy_modules_of(wheel: &Path) -> BTreeSet<String> {
    let out = Command::cargo_bin("abi-doctor")
        .unwrap()
        .args(["inspect", "--format", "json"])
        .arg(wheel)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut mods = BTreeSet::new();
    for f in v["binaries"].as_array().unwrap() {
        let uses = f["numpy"]["uses_c_api"].as_bool() == Some(true);
        let path = f["path"].as_str().unwrap_or("");
        let member = path.rsplit('!').next().unwrap_or(path);
        if uses && member.starts_with("pandas/") {
            let stem = member.split('.').next().unwrap();
            mods.insert(stem.replace('/', "."));
        }
    }
    mods
}

#[test]
fn wheels_pandas_214_with_numpy_202_every_numpy_module_fails() {
    let Some(w) = wheels(&["pandas==2.1.4", "numpy==2.0.2"]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let r = check(
        &[
            os("--python-version"),
            os("3.11"),
            w[0].as_os_str(),
            w[1].as_os_str(),
        ],
        tmp.path(),
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let numpy_modules = numpy_modules_of(&w[0]);
    assert!(numpy_modules.len() > 30, "{numpy_modules:?}");
    let fails = failing(&r);
    let missed: Vec<_> = numpy_modules.difference(&fails).collect();
    assert!(
        missed.is_empty(),
        "NumPy-using pandas modules not predicted to fail: {missed:?}"
    );
    assert_eq!(r.json["numpy"]["version"], "2.0.2");
    let why = plan(&r)["explanations"].as_array().unwrap();
    assert!(
        why.iter().any(|e| e
            .as_str()
            .unwrap()
            .contains("pandas 2.1.4 declares (numpy<2,>=1.23.2)")),
        "{why:?}"
    );
    // The same set as a wheelhouse, beside an older pandas: the newest pandas is picked.
    let Some(old) = wheels(&["pandas==2.2.3"]) else {
        return;
    };
    let house = tmp.path().join("house");
    std::fs::create_dir(&house).unwrap();
    for p in w.iter().chain(&old) {
        std::fs::copy(p, house.join(p.file_name().unwrap())).unwrap();
    }
    let r = check(
        &[
            os("--python-version"),
            os("3.11"),
            os("--wheelhouse"),
            house.as_os_str(),
        ],
        tmp.path(),
        None,
    );
    assert_eq!(
        wheel_names(&r),
        ["numpy==2.0.2", "pandas==2.2.3"].map(String::from).into()
    );
    assert!(failing(&r).is_empty(), "{:?}", failing(&r));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn wheels_pandas_223_with_numpy_202_nothing_fails() {
    let Some(w) = wheels(&["pandas==2.2.3", "numpy==2.0.2"]) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let r = check(
        &[
            os("--python-version"),
            os("3.11"),
            w[0].as_os_str(),
            w[1].as_os_str(),
        ],
        tmp.path(),
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(failing(&r).is_empty());
    assert!(r.json["numpy_binaries"].as_u64().unwrap() > 30);
    // A single wheel: pandas alone, no NumPy in the set.
    let r = check(
        &[os("--python-version"), os("3.11"), w[0].as_os_str()],
        tmp.path(),
        None,
    );
    assert!(r.json["numpy"].is_null());
    assert_eq!(wheel_names(&r), ["pandas==2.2.3".to_string()].into());
}

/// A pylock.toml from `uv pip compile`: scikit-learn 1.0.2 for CPython 3.10 resolves to NumPy 2.
#[test]
fn pylock_from_uv_sklearn_102_gets_numpy_2() {
    let Some(uv) = uv() else { return };
    if support::require(support::pypi_reachable(), "PyPI").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("req.in"), "scikit-learn==1.0.2\n").unwrap();
    run(Proc::new(&uv)
        .args([
            "pip",
            "compile",
            "--format",
            "pylock.toml",
            "--python-version",
            "3.10",
        ])
        .args([
            "--python-platform",
            PLATFORM,
            "-o",
            "pylock.toml",
            "-q",
            "req.in",
        ])
        .current_dir(tmp.path()))
    .unwrap();
    let r = check(
        &[
            os("--python-version"),
            os("3.10"),
            os("--python-platform"),
            os(PLATFORM),
            os("--lock"),
            os("pylock.toml"),
        ],
        tmp.path(),
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let fails = failing(&r);
    assert!(fails.iter().any(|m| m.starts_with("sklearn.")), "{fails:?}");
    let np = r.json["numpy"]["version"].as_str().unwrap();
    assert!(np.starts_with("2."), "{np}");
    let why = plan(&r)["explanations"].as_array().unwrap();
    let want = format!("the resolver chose numpy {np} because scikit-learn 1.0.2 declares numpy>=");
    assert!(
        why.iter().any(|e| e.as_str().unwrap().starts_with(&want)
            && e.as_str().unwrap().contains("no upper bound")),
        "{why:?}"
    );
    // The same lock for another Python: no wheel fits; the sdists would be built.
    let r = check(
        &[
            os("--python-version"),
            os("3.12"),
            os("--python-platform"),
            os(PLATFORM),
            os("--lock"),
            os("pylock.toml"),
        ],
        tmp.path(),
        None,
    );
    let ps = problems(&r);
    assert!(
        ps.iter().any(|p| p
            .starts_with("scikit-learn 1.0.2 (pylock.toml): no wheel for CPython 3.12")
            && p.contains("builds scikit-learn-1.0.2.tar.gz from source")
            && p.contains("oldest-supported-numpy")),
        "{ps:?}"
    );
    // The pure wheels are still checked.
    assert!(
        wheel_names(&r).iter().any(|w| w.starts_with("joblib==")),
        "{:?}",
        wheel_names(&r)
    );
}

/// `-r`: resolved by uv (pandas 2.1.4 caps NumPy below 2: healthy), and `--no-deps` on a freeze
/// that forces NumPy 2 (broken), and an unknown package beside them.
#[test]
fn requirements_resolved_by_uv_and_no_deps() {
    let Some(uv) = uv() else { return };
    if support::require(support::pypi_reachable(), "PyPI").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("requirements.txt"), "pandas==2.1.4\n").unwrap();
    let r = check(
        &[
            os("--python-version"),
            os("3.11"),
            os("--python-platform"),
            os(PLATFORM),
            os("-r"),
            os("requirements.txt"),
        ],
        tmp.path(),
        Some(&uv),
    );
    assert_eq!(r.code, 0, "{}\n{:?}", r.stderr, problems(&r));
    let names = wheel_names(&r);
    assert!(names.contains("pandas==2.1.4"), "{names:?}");
    let np = names.iter().find(|n| n.starts_with("numpy==")).unwrap();
    assert!(np.starts_with("numpy==1."), "{np}");

    std::fs::write(
        tmp.path().join("freeze.txt"),
        "pandas==2.1.4\nnumpy==2.0.2\nno-such-distribution-abi-doctor-test==1.0\n",
    )
    .unwrap();
    let r = check(
        &[
            os("--python-version"),
            os("3.11"),
            os("--python-platform"),
            os(PLATFORM),
            os("--no-deps"),
            os("-r"),
            os("freeze.txt"),
        ],
        tmp.path(),
        Some(&uv),
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        wheel_names(&r),
        ["numpy==2.0.2", "pandas==2.1.4"].map(String::from).into()
    );
    assert!(failing(&r).contains("pandas._libs.interval"));
    let ps = problems(&r);
    assert!(
        ps.iter()
            .any(|p| p.contains("no-such-distribution-abi-doctor-test==1.0")
                && p.contains("not checked")),
        "{ps:?}"
    );
}

const PROJECT: &str =
    "[project]\nname = \"demo\"\nversion = \"0.1.0\"\nrequires-python = \">=3.11,<3.12\"\n\
dependencies = [\"pandas==2.1.4\", \"numpy==1.26.4\"]\n";

/// uv.lock from `uv lock` and poetry.lock from `poetry lock` for the same project give the same
/// set, and it is healthy; a truncated lock file is named and the wheels beside it still checked.
#[test]
fn uv_lock_and_poetry_lock_from_real_tools() {
    let Some(uv) = uv() else { return };
    let Some(poetry) = poetry() else { return };
    if support::require(support::pypi_reachable(), "PyPI").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (u, p) = (tmp.path().join("u"), tmp.path().join("p"));
    for d in [&u, &p] {
        std::fs::create_dir(d).unwrap();
        std::fs::write(d.join("pyproject.toml"), PROJECT).unwrap();
    }
    run(Proc::new(&uv).args(["lock", "-q"]).current_dir(&u)).unwrap();
    run(Proc::new(&poetry).args(["lock", "-q"]).current_dir(&p)).unwrap();
    let args = |lock: &Path| {
        vec![
            os("--python-version").to_os_string(),
            os("3.11").to_os_string(),
            os("--python-platform").to_os_string(),
            os(PLATFORM).to_os_string(),
            os("--lock").to_os_string(),
            lock.as_os_str().to_os_string(),
        ]
    };
    let run_lock = |lock: &Path| {
        let a = args(lock);
        let refs: Vec<&std::ffi::OsStr> = a.iter().map(|s| s.as_os_str()).collect();
        check(&refs, tmp.path(), None)
    };
    let ru = run_lock(&u.join("uv.lock"));
    let rp = run_lock(&p.join("poetry.lock"));
    assert_eq!(ru.code, 0, "{}\n{:?}", ru.stderr, problems(&ru));
    assert_eq!(rp.code, 0, "{}\n{:?}", rp.stderr, problems(&rp));
    let set = wheel_names(&ru);
    assert!(
        set.contains("pandas==2.1.4") && set.contains("numpy==1.26.4"),
        "{set:?}"
    );
    assert!(
        set.iter().any(|n| n.starts_with("python-dateutil==")),
        "{set:?}"
    );
    assert_eq!(set, wheel_names(&rp), "uv.lock and poetry.lock disagree");
    assert!(ru.json["numpy_binaries"].as_u64().unwrap() > 30);

    // Malformed: the real uv.lock cut in the middle of a table.
    let text = std::fs::read_to_string(u.join("uv.lock")).unwrap();
    let cut = tmp.path().join("cut").join("uv.lock");
    std::fs::create_dir(cut.parent().unwrap()).unwrap();
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let Some(w) = wheels(&["numpy==2.0.2"]) else {
        return;
    };
    let mut a = args(&cut);
    a.push(w[0].clone().into_os_string());
    let refs: Vec<&std::ffi::OsStr> = a.iter().map(|s| s.as_os_str()).collect();
    let r = check(&refs, tmp.path(), None);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let ps = problems(&r);
    assert!(
        ps.iter()
            .any(|p| p.contains(&cut.display().to_string()) && p.contains("not valid TOML")),
        "{ps:?}"
    );
    assert_eq!(wheel_names(&r), ["numpy==2.0.2".to_string()].into());
}

// ---- Over the local test index (tests/support/index_server.rs): real wheels, real HTTP. ----

use support::index_server::{index_wheels, sha256_of, IndexServer, Mode};

/// pandas 2.0.3 declares `numpy>=1.23.2` with no upper bound, and its wheels are built against
/// NumPy 1.x: with NumPy 2.0.2 its NumPy extensions fail to import.
const BROKEN: &[&str] = &["pandas==2.0.3", "numpy==2.0.2"];
/// What pip needs to resolve `pandas==2.0.3` from the local index alone.
const PANDAS_DEPS: &[&str] = &[
    "python-dateutil==2.9.0.post0",
    "six==1.16.0",
    "pytz==2024.1",
    "tzdata==2024.1",
];

fn served_wheels(specs: &[&str]) -> Option<Vec<PathBuf>> {
    support::require(
        index_wheels(specs),
        "real wheels for the local index (PyPI)",
    )
}

/// A pylock.toml (PEP 751) naming `wheels` by their URLs on `server`, with sha256 and size.
fn pylock_for(server: &IndexServer, wheels: &[PathBuf]) -> String {
    let mut s = String::from("lock-version = \"1.0\"\ncreated-by = \"abi-doctor tests\"\n");
    for w in wheels {
        let file = w.file_name().unwrap().to_str().unwrap();
        let mut parts = file.split('-');
        let (name, version) = (parts.next().unwrap(), parts.next().unwrap());
        s += &format!(
            "\n[[packages]]\nname = \"{}\"\nversion = \"{version}\"\n\
             wheels = [{{ url = \"{}\", size = {}, hashes = {{ sha256 = \"{}\" }} }}]\n",
            name.replace('_', "-"),
            server.url(&format!("/files/{file}")),
            std::fs::metadata(w).unwrap().len(),
            sha256_of(w)
        );
    }
    s
}

/// `check` with abi-doctor's cache at `xdg` (kept between runs), the index at `server`.
fn check_cached(args: &[&std::ffi::OsStr], cwd: &Path, xdg: &Path, server: &IndexServer) -> Run {
    let out = Command::cargo_bin("abi-doctor")
        .unwrap()
        .arg("check")
        .args(args)
        .args(["--format", "json", "--no-progress"])
        .current_dir(cwd)
        .env("XDG_CACHE_HOME", xdg)
        .env("PIP_INDEX_URL", server.index_url())
        .env_remove("VIRTUAL_ENV")
        .env_remove("ABI_DOCTOR_OUTPUT_FORMAT")
        .env_remove("ABI_DOCTOR_OFFLINE")
        .env_remove("PIP_FIND_LINKS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Run {
        code: out.status.code().unwrap_or(-1),
        json,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        _xdg: tempfile::tempdir().unwrap(),
    }
}

fn lock_args(extra: &[&str]) -> Vec<std::ffi::OsString> {
    let mut a: Vec<std::ffi::OsString> = [
        "--python-version",
        "3.11",
        "--python-platform",
        PLATFORM,
        "--lock",
        "pylock.toml",
    ]
    .iter()
    .map(|s| s.into())
    .collect();
    a.extend(extra.iter().map(|s| s.into()));
    a
}

fn refs(a: &[std::ffi::OsString]) -> Vec<&std::ffi::OsStr> {
    a.iter().map(|s| s.as_os_str()).collect()
}

fn stat(r: &Run, k: &str) -> u64 {
    plan(r)[k]
        .as_u64()
        .unwrap_or_else(|| panic!("plan.{k}: {}", plan(r)))
}

/// What `check` says about the same wheels as local files: the reference result.
fn local_result(wheels: &[PathBuf]) -> BTreeSet<String> {
    let tmp = tempfile::tempdir().unwrap();
    let mut a: Vec<&std::ffi::OsStr> = vec![os("--python-version"), os("3.11")];
    a.extend(wheels.iter().map(|w| w.as_os_str()));
    let r = check(&a, tmp.path(), None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    failing(&r)
}

/// A pylock.toml whose wheels are on the local index: read with range requests (counted by the
/// server and reported the same), then offline from the warm cache (zero requests, same result).
#[test]
fn pylock_over_the_local_index_with_ranges_then_offline_from_the_cache() {
    let Some(w) = served_wheels(BROKEN) else {
        return;
    };
    let want = local_result(&w);
    assert!(
        want.iter().any(|m| m.starts_with("pandas._libs.")),
        "{want:?}"
    );
    let server = IndexServer::start(&w, Mode::Ranges);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("pylock.toml"), pylock_for(&server, &w)).unwrap();
    let xdg = tempfile::tempdir().unwrap();
    let r = check_cached(&refs(&lock_args(&[])), tmp.path(), xdg.path(), &server);
    assert_eq!(r.code, 1, "{}\n{:?}", r.stderr, problems(&r));
    assert_eq!(failing(&r), want);
    assert_eq!(
        wheel_names(&r),
        BROKEN.iter().map(|s| s.to_string()).collect()
    );
    let (requests, bytes) = (server.requests(), server.bytes());
    assert!(requests > 0);
    assert_eq!(stat(&r, "requests"), requests, "{}", plan(&r));
    assert_eq!(stat(&r, "bytes"), bytes, "{}", plan(&r));
    let ranged = server
        .counters
        .ranged
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        ranged > 0,
        "no range request: {:?}",
        server.log.lock().unwrap()
    );
    let full: u64 = w.iter().map(|p| std::fs::metadata(p).unwrap().len()).sum();
    assert_eq!(stat(&r, "full_bytes"), full);
    assert!(
        !problems(&r).iter().any(|p| p.contains("refused")),
        "{:?}",
        problems(&r)
    );

    // Offline, with the cache the first run filled: the same result and no request at all.
    let r2 = check_cached(
        &refs(&lock_args(&["--offline"])),
        tmp.path(),
        xdg.path(),
        &server,
    );
    assert_eq!(r2.code, 1, "{}\n{:?}", r2.stderr, problems(&r2));
    assert_eq!(failing(&r2), want);
    assert_eq!(server.requests(), requests, "offline made requests");
    assert_eq!(stat(&r2, "requests"), 0);
    assert_eq!(stat(&r2, "cache_hits"), 2, "{}", plan(&r2));
}

/// An index that refuses range requests: every wheel downloaded whole, the report says so, and
/// the result is the same as with ranges.
#[test]
fn pylock_over_an_index_that_refuses_ranges() {
    let Some(w) = served_wheels(BROKEN) else {
        return;
    };
    let want = local_result(&w);
    let server = IndexServer::start(&w, Mode::RefuseRanges);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("pylock.toml"), pylock_for(&server, &w)).unwrap();
    let xdg = tempfile::tempdir().unwrap();
    let r = check_cached(&refs(&lock_args(&[])), tmp.path(), xdg.path(), &server);
    assert_eq!(r.code, 1, "{}\n{:?}", r.stderr, problems(&r));
    assert_eq!(failing(&r), want);
    let ps = problems(&r);
    assert!(
        ps.iter().any(|p| p.contains("refused HTTP range requests")
            && p.contains("2 file(s) downloaded whole")),
        "{ps:?}"
    );
    let full: u64 = w.iter().map(|p| std::fs::metadata(p).unwrap().len()).sum();
    assert!(server.bytes() >= full, "{} < {full}", server.bytes());
    assert_eq!(stat(&r, "bytes"), server.bytes());
}

/// Offline with a cold cache: nothing can be read; the entries not checked are named, exit 2.
#[test]
fn pylock_offline_with_a_cold_cache_names_what_was_not_checked() {
    let Some(w) = served_wheels(BROKEN) else {
        return;
    };
    let server = IndexServer::start(&w, Mode::Ranges);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("pylock.toml"), pylock_for(&server, &w)).unwrap();
    let xdg = tempfile::tempdir().unwrap();
    let r = check_cached(
        &refs(&lock_args(&["--offline"])),
        tmp.path(),
        xdg.path(),
        &server,
    );
    assert_eq!(r.code, 2, "{}\n{:?}", r.stderr, problems(&r));
    assert_eq!(server.requests(), 0);
    let ps = problems(&r);
    for (name, version) in [("pandas", "2.0.3"), ("numpy", "2.0.2")] {
        assert!(
            ps.iter().any(
                |p| p.starts_with(&format!("{name} {version} (pylock.toml)"))
                    && p.contains("not checked")
                    && p.contains("offline")
            ),
            "{name}: {ps:?}"
        );
    }
    assert!(wheel_names(&r).is_empty());
}

/// No uv: pip's `install --dry-run --ignore-installed --report` of a real interpreter resolves
/// `pandas==2.0.3` against the local index, which has only NumPy 2.0.2: the break metadata let
/// through is found and explained.
#[test]
fn requirements_resolved_by_pip_when_uv_is_not_found() {
    let Some(py) = support::require(support::find_python("3.11"), "CPython 3.11") else {
        return;
    };
    let specs: Vec<&str> = BROKEN.iter().chain(PANDAS_DEPS).copied().collect();
    let Some(w) = served_wheels(&specs) else {
        return;
    };
    let server = IndexServer::start(&w, Mode::Ranges);
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("requirements.txt"), "pandas==2.0.3\n").unwrap();
    // A PATH without uv (the interpreter is named with --python).
    let bare = tmp.path().join("bin");
    std::fs::create_dir(&bare).unwrap();
    let xdg = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("abi-doctor")
        .unwrap()
        .arg("check")
        .arg("--python")
        .arg(&py)
        .args(["--python-version", "3.11", "--python-platform", PLATFORM])
        .args([
            "-r",
            "requirements.txt",
            "--format",
            "json",
            "--no-progress",
        ])
        .current_dir(tmp.path())
        .env("XDG_CACHE_HOME", xdg.path())
        .env("PIP_INDEX_URL", server.index_url())
        .env("PATH", &bare)
        .env("ABI_DOCTOR_UV", "")
        .env_remove("PIP_FIND_LINKS")
        .env_remove("PIP_EXTRA_INDEX_URL")
        .env_remove("VIRTUAL_ENV")
        .env_remove("ABI_DOCTOR_OUTPUT_FORMAT")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stderr}"));
    let r = Run {
        code: out.status.code().unwrap_or(-1),
        json,
        stderr,
        _xdg: tempfile::tempdir().unwrap(),
    };
    assert_eq!(r.code, 1, "{}\n{:?}", r.stderr, problems(&r));
    let notes = plan(&r)["notes"].to_string();
    assert!(notes.contains("resolved by pip"), "{notes}");
    let names = wheel_names(&r);
    for want in ["pandas==2.0.3", "numpy==2.0.2", "six==1.16.0"] {
        assert!(names.contains(want), "{want}: {names:?}");
    }
    let pandas_numpy: Vec<PathBuf> = w[..2].to_vec();
    assert_eq!(failing(&r), local_result(&pandas_numpy));
    let why = plan(&r)["explanations"].to_string();
    assert!(
        why.contains("the resolver chose numpy 2.0.2 because pandas 2.0.3 declares numpy>=")
            && why.contains("no upper bound"),
        "{why}"
    );
    // pip asked the local index (and read the wheels it chose through the same server).
    assert!(server
        .log
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("/simple/pandas/")));
}

/// uv.lock and poetry.lock made by the real tools for a project with dependency groups: the set
/// is what `uv sync` / `poetry install` would install, walked from the project (uv: the default
/// groups, `dev` unless `tool.uv.default-groups` says otherwise; Poetry: every group not marked
/// optional); a poetry.lock alone takes every package and says so.
#[test]
fn lock_files_follow_the_graph_from_the_project_and_its_groups() {
    let Some(uv) = uv() else { return };
    let Some(poetry) = poetry() else { return };
    if support::require(support::pypi_reachable(), "PyPI").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (u, p) = (tmp.path().join("u"), tmp.path().join("p"));
    for d in [&u, &p] {
        std::fs::create_dir(d).unwrap();
    }
    let uv_project = format!(
        "{PROJECT}\n[dependency-groups]\ndev = [\"idna==3.7\"]\nlint = [\"packaging==24.1\"]\n"
    );
    std::fs::write(u.join("pyproject.toml"), &uv_project).unwrap();
    std::fs::write(
        p.join("pyproject.toml"),
        format!(
            "{PROJECT}\n[tool.poetry]\npackage-mode = false\n\n\
             [tool.poetry.group.lint.dependencies]\npackaging = \"24.1\"\n\n\
             [tool.poetry.group.docs]\noptional = true\n\n\
             [tool.poetry.group.docs.dependencies]\nidna = \"3.7\"\n"
        ),
    )
    .unwrap();
    run(Proc::new(&uv).args(["lock", "-q"]).current_dir(&u)).unwrap();
    run(Proc::new(&poetry).args(["lock", "-q"]).current_dir(&p)).unwrap();
    let lock_run = |dir: &Path, lock: &str| {
        let a: Vec<std::ffi::OsString> = [
            "--python-version",
            "3.11",
            "--python-platform",
            PLATFORM,
            "--lock",
            lock,
        ]
        .iter()
        .map(|s| s.into())
        .collect();
        check(&refs(&a), dir, None)
    };
    let has = |r: &Run, n: &str| {
        wheel_names(r)
            .iter()
            .any(|w| w.starts_with(&format!("{n}==")))
    };
    let notes = |r: &Run| plan(r)["notes"].to_string();

    // uv: the default group `dev` only.
    let r = lock_run(&u, "uv.lock");
    assert_eq!(r.code, 0, "{}\n{:?}", r.stderr, problems(&r));
    assert!(has(&r, "pandas") && has(&r, "python-dateutil") && has(&r, "idna"));
    assert!(!has(&r, "packaging"), "{:?}", wheel_names(&r));
    assert!(
        notes(&r).contains("the dependency groups dev"),
        "{}",
        notes(&r)
    );
    // tool.uv.default-groups = "all": the lint group too (the lock itself is unchanged).
    std::fs::write(
        u.join("pyproject.toml"),
        format!("{uv_project}\n[tool.uv]\ndefault-groups = \"all\"\n"),
    )
    .unwrap();
    let r = lock_run(&u, "uv.lock");
    assert!(
        has(&r, "packaging") && has(&r, "idna"),
        "{:?}",
        wheel_names(&r)
    );
    // default-groups = []: the project's own dependencies only.
    std::fs::write(
        u.join("pyproject.toml"),
        format!("{uv_project}\n[tool.uv]\ndefault-groups = []\n"),
    )
    .unwrap();
    let r = lock_run(&u, "uv.lock");
    assert!(
        !has(&r, "packaging") && !has(&r, "idna"),
        "{:?}",
        wheel_names(&r)
    );
    assert!(has(&r, "pandas"));

    // Poetry: main and the non-optional group lint; not the optional group docs.
    let r = lock_run(&p, "poetry.lock");
    assert_eq!(r.code, 0, "{}\n{:?}", r.stderr, problems(&r));
    assert!(has(&r, "pandas") && has(&r, "python-dateutil") && has(&r, "packaging"));
    assert!(!has(&r, "idna"), "{:?}", wheel_names(&r));
    assert!(notes(&r).contains("poetry install"), "{}", notes(&r));
    // The lock alone: every package not marked optional, and the report says so.
    let alone = tmp.path().join("alone");
    std::fs::create_dir(&alone).unwrap();
    std::fs::copy(p.join("poetry.lock"), alone.join("poetry.lock")).unwrap();
    let r = lock_run(&alone, "poetry.lock");
    assert!(
        has(&r, "idna") && has(&r, "packaging"),
        "{:?}",
        wheel_names(&r)
    );
    assert!(
        notes(&r).contains("no pyproject.toml beside it"),
        "{}",
        notes(&r)
    );
}
