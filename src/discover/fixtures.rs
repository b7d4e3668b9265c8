//! Test-only builders shared by the discovery tests: options with injected variables, a
//! hand-made venv that needs no interpreter, and a real venv from pyenv's 3.11.7.

use super::DiscoverOptions;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

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

const PY311: &str = "/root/.pyenv/versions/3.11.7/bin/python";

pub(super) fn py311() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from)?;
    let p = home.join(".pyenv/versions/3.11.7/bin/python");
    if p.is_file() {
        Some(p)
    } else if Path::new(PY311).is_file() {
        Some(PathBuf::from(PY311))
    } else {
        None
    }
}

pub(super) fn make_venv(python: &Path, dir: &Path, system_site: bool) {
    let mut cmd = Command::new(python);
    cmd.args(["-m", "venv", "--without-pip"]);
    if system_site {
        cmd.arg("--system-site-packages");
    }
    let st = cmd.arg(dir).status().expect("run venv");
    assert!(st.success());
}
