//! The import-graph parser on real PyPI source: scikit-learn 1.3.2's `sklearn/_config.py`, read
//! from the wheel in `${ABI_DOCTOR_CACHE:-$HOME/.cache/abi-doctor}/wheels` (downloaded with pip
//! when missing, as scripts/realworld/wheels.py does; never committed).
//!
//! `set_config(` there has a multi-line signature whose `):` sits in column 0 and imports
//! `.utils._array_api` in its body: that import runs only when `set_config` is called, so it must
//! not become an edge of `import sklearn`'s cascade (issue: `sklearn._config ->
//! sklearn.utils._array_api` was reported as a chain).

// Test helpers outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use abi_doctor::imports::graph::parse_imports;
use std::io::Read;
use std::path::PathBuf;

const WHEEL: &str = "scikit_learn-1.3.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl";

fn wheel() -> Result<PathBuf, String> {
    let dir = support::venv::cache_dir().join("wheels");
    let path = dir.join(WHEEL);
    if path.is_file() {
        return Ok(path);
    }
    support::pypi_reachable()?;
    let py = support::find_python("3.11")?;
    let st = std::process::Command::new(py)
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--platform",
            "manylinux2014_x86_64",
            "--python-version",
            "3.11",
            "--implementation",
            "cp",
            "--abi",
            "cp311",
            "scikit-learn==1.3.2",
            "-d",
        ])
        .arg(&dir)
        .status()
        .map_err(|e| format!("pip: {e}"))?;
    if !st.success() || !path.is_file() {
        return Err(format!("pip download scikit-learn==1.3.2 failed ({st})"));
    }
    Ok(path)
}

fn member(wheel: &PathBuf, name: &str) -> String {
    let f = std::fs::File::open(wheel).unwrap();
    let mut z = zip::ZipArchive::new(f).unwrap();
    let mut m = z.by_name(name).unwrap();
    let mut s = String::new();
    m.read_to_string(&mut s).unwrap();
    s
}

#[test]
fn sklearn_config_function_body_imports_are_not_module_level() {
    let Some(w) = support::require(wheel(), "scikit-learn 1.3.2 wheel") else {
        return;
    };
    let src = member(&w, "sklearn/_config.py");
    // The file really has the import, inside the function.
    assert!(src.contains("from .utils._array_api import _check_array_api_dispatch"));
    let got: Vec<String> = parse_imports(&src, "sklearn")
        .into_iter()
        .map(|s| s.module)
        .collect();
    assert!(
        !got.iter().any(|m| m == "sklearn.utils._array_api"),
        "function-body import taken as module-level: {got:?}"
    );
    // The module-level imports are still found.
    for m in ["os", "threading", "contextlib"] {
        assert!(got.iter().any(|g| g == m), "{m} missing from {got:?}");
    }
}
