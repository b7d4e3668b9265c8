//! Real venvs for the tests: CPython from `find_python`, NumPy from PyPI, built once into the cache
//! (`${ABI_DOCTOR_CACHE:-$HOME/.cache/abi-doctor}/verify/`) and copied for each test; and the
//! committed fixture binaries (built from tests/fixtures/src by scripts/fixtures/build.sh).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

pub fn home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"))
}

pub fn cache_dir() -> PathBuf {
    std::env::var_os("ABI_DOCTOR_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home().join(".cache/abi-doctor"))
        .join("verify")
}

pub fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

static BUILD: Mutex<()> = Mutex::new(());

/// The cached venv of CPython `py` with NumPy `numpy` from PyPI; built once (atomically renamed
/// into place). `None` when the interpreter, or the network for a first build, is missing (see
/// `super::require`); a build that fails with both at hand fails the test.
pub fn base_venv(py: &str, numpy: &str) -> Option<PathBuf> {
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let python = super::require(super::find_python(py), &format!("CPython {py}"))?;
    let dir = cache_dir().join(format!("py{py}-numpy{numpy}"));
    if dir.join("ready").exists() {
        return Some(dir);
    }
    super::require(
        super::pypi_reachable(),
        &format!(
            "network access to PyPI (to build {} once: pip install numpy=={numpy})",
            dir.display()
        ),
    )?;
    Some(build_venv(&python, py, numpy, &dir).unwrap_or_else(|e| panic!("{e}")))
}

fn build_venv(python: &Path, py: &str, numpy: &str, dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(cache_dir()).map_err(|e| e.to_string())?;
    let tmp = cache_dir().join(format!(".py{py}-numpy{numpy}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    run(Command::new(python).arg("-m").arg("venv").arg(&tmp))?;
    let installed = run(Command::new(tmp.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--only-binary=:all:",
        ])
        .arg(format!("numpy=={numpy}")));
    if let Err(e) = installed {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(format!("pip install numpy=={numpy} failed: {e}"));
    }
    std::fs::write(tmp.join("ready"), b"").map_err(|e| e.to_string())?;
    if std::fs::rename(&tmp, dir).is_err() {
        // Another process finished first.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    dir.join("ready")
        .exists()
        .then(|| dir.to_path_buf())
        .ok_or("cache venv vanished".into())
}

/// A private copy of the cached venv: (temp dir guard, venv, site-packages); `None` when a
/// prerequisite is missing (the test returns).
pub fn test_venv(py: &str, numpy: &str) -> Option<(tempfile::TempDir, PathBuf, PathBuf)> {
    let base = base_venv(py, numpy)?;
    let tmp = tempfile::tempdir().unwrap();
    let venv = tmp.path().join("venv");
    run(Command::new("cp").arg("-a").arg(&base).arg(&venv)).unwrap();
    let minor = py.rsplit_once('.').map_or(py, |(mm, _)| mm);
    let site = venv.join(format!("lib/python{minor}/site-packages"));
    assert!(
        site.join("numpy").is_dir(),
        "no numpy in {}",
        site.display()
    );
    Some((tmp, venv, site))
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/bin")
        .join(name)
}

pub fn copy_fixture(name: &str, dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(fixture(name), dir.join(name)).unwrap();
}
