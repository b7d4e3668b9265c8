//! What the schema tests (tests/sarif_schema.rs, tests/json_schema.rs) share, all from PyPI into
//! the cache (`${ABI_DOCTOR_CACHE:-~/.cache/abi-doctor}/sarif/`), never the web: a tools venv with
//! jsonschema 4.23.0 and rfc3987, and a broken venv with pandas 2.1.4 (built against NumPy 1.x)
//! and then `pip install --no-deps numpy==2.0.2`.

use super::venv::run;
use std::path::{Path, PathBuf};
use std::process::Command as Proc;

pub fn cache() -> PathBuf {
    std::env::var_os("ABI_DOCTOR_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::venv::home().join(".cache/abi-doctor"))
        .join("sarif")
}

pub static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Builds `dir` once with `steps` (each a pip argument list), atomically renamed into place.
pub fn cached_venv(python: &Path, dir: &Path, steps: &[&[&str]]) -> Option<PathBuf> {
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    if dir.join("ready").exists() {
        return Some(dir.to_path_buf());
    }
    super::require(
        super::pypi_reachable(),
        &format!("network access to PyPI (to build {} once)", dir.display()),
    )?;
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    let tmp = dir.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    run(Proc::new(python).arg("-m").arg("venv").arg(&tmp)).unwrap();
    for step in steps {
        run(Proc::new(tmp.join("bin/python"))
            .args(["-m", "pip", "--disable-pip-version-check", "-q"])
            .args(*step))
        .unwrap();
    }
    std::fs::write(tmp.join("ready"), b"").unwrap();
    if std::fs::rename(&tmp, dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Some(dir.to_path_buf())
}

/// The python of the tools venv (jsonschema 4.23.0, rfc3987 1.3.8), built from `python`.
pub fn jsonschema_python(python: &Path) -> Option<PathBuf> {
    let tools = cached_venv(
        python,
        &cache().join("tools-jsonschema4.23.0"),
        &[&[
            "install",
            "--only-binary=:all:",
            "jsonschema==4.23.0",
            "rfc3987==1.3.8",
        ]],
    )?;
    Some(tools.join("bin/python"))
}

/// The cached broken venv (never scan it in place when the test needs its own path: copy it).
pub fn pandas_on_numpy2(python: &Path) -> Option<PathBuf> {
    cached_venv(
        python,
        &cache().join("py3.11-pandas2.1.4-numpy2.0.2"),
        &[
            &["install", "--only-binary=:all:", "pandas==2.1.4"],
            &[
                "install",
                "--only-binary=:all:",
                "--no-deps",
                "numpy==2.0.2",
            ],
        ],
    )
}
