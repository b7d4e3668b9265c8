//! Test-only builders shared by the discovery tests: options with injected variables and a
//! hand-made venv that needs no interpreter.

use super::DiscoverOptions;
use std::fs;
use std::path::{Path, PathBuf};

/// Options with `cwd` and exactly these variables (nothing from the test process leaks in).
pub(super) fn opts(cwd: &Path, vars: &[(&str, &Path)]) -> DiscoverOptions {
    DiscoverOptions {
        cwd: cwd.to_path_buf(),
        env_vars: vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_os_str().to_os_string()))
            .collect(),
        ..Default::default()
    }
}

/// A hand-made venv with a fake base prefix, no interpreter needed: `(venv, base)`.
pub(super) fn fake_venv(root: &Path, system_site: bool) -> (PathBuf, PathBuf) {
    let base = root.join("base");
    fs::create_dir_all(base.join("bin")).unwrap();
    fs::create_dir_all(base.join("lib/python3.11/site-packages/basepkg")).unwrap();
    fs::write(
        base.join("lib/python3.11/EXTERNALLY-MANAGED"),
        "[externally-managed]\n",
    )
    .unwrap();
    let venv = root.join("venv");
    fs::create_dir_all(venv.join("lib/python3.11/site-packages")).unwrap();
    fs::create_dir_all(venv.join("bin")).unwrap();
    fs::write(
        venv.join("pyvenv.cfg"),
        format!(
            "home = {}\ninclude-system-site-packages = {}\nversion = 3.11.7\n",
            base.join("bin").display(),
            system_site
        ),
    )
    .unwrap();
    (venv, base)
}
