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

/// A stand-in interpreter for `--python` and `PATH` (POSIX only): a shell script that ignores its
/// arguments and answers like `probe.py` for a base interpreter whose prefix is `prefix`.
#[cfg(unix)]
pub(super) fn fake_interpreter(exe: &Path, prefix: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(exe.parent().unwrap()).unwrap();
    let p = prefix.display();
    fs::write(
        exe,
        format!(
            "#!/bin/sh\necho '{{\"version\": \"3.11.7\", \"executable\": \"{}\", \
             \"prefix\": \"{p}\", \"base_prefix\": \"{p}\", \"purelib\": \"{p}/lib/python3.11/site-packages\", \
             \"platlib\": null, \"stdlib\": \"{p}/lib/python3.11\", \"base_purelib\": null, \
             \"base_platlib\": null, \"user_site\": null}}'\n",
            exe.display()
        ),
    )
    .unwrap();
    fs::set_permissions(exe, fs::Permissions::from_mode(0o755)).unwrap();
}
