//! The commands a plan prints, for the scanned environment only: its own interpreter
//! (`PY -m pip`, `uv pip install --python PY`), `conda install -p PREFIX` only for a conda
//! environment, exact versions, shell-quoted.
//!
//! Rebuilds keep build isolation, so the installer puts the package's build requirements (from its
//! sdist's pyproject.toml) into the build environment first, and pin the build NumPy with a
//! build-constraints file. How the file is passed depends on the installer, as measured here
//! (docs/fix.md#rebuild-commands): pip < 25.3 has no `--build-constraint` ("no such option") and
//! applies `PIP_CONSTRAINT` to isolated builds; pip 25.3 to 26.1 take `--build-constraint` (and
//! warn that `PIP_CONSTRAINT` stops reaching builds in 26.2); uv takes `--build-constraints` and
//! needs `--reinstall-package` to rebuild an installed package. Both reuse a cached build of the
//! same version, so pip gets `--no-cache-dir` and uv `--no-cache`.

use crate::rules::{shell_word, Target};
use serde::Serialize;

/// Commands per installer; each list runs in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Commands {
    pub pip: Vec<String>,
    pub uv: Vec<String>,
    /// Only for conda environments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conda: Vec<String>,
}

/// `pip` as installed in the environment: its version, when it has pip at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Installers {
    pub pip_version: Option<String>,
}

fn version_tuple(v: &str) -> (u32, u32) {
    let mut it = v.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or(0)
    });
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

/// Does this pip have `--build-constraint` (pip >= 25.3)?
pub fn pip_has_build_constraint(pip_version: &str) -> bool {
    version_tuple(pip_version) >= (25, 3)
}

fn quoted_pins(pins: &[(String, String)]) -> String {
    pins.iter()
        .map(|(n, v)| shell_word(&format!("{n}=={v}")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Install exact releases: `PY -m pip install numpy==1.26.4 pandas==2.2.2`.
pub fn install(t: &Target, inst: &Installers, pins: &[(String, String)]) -> Commands {
    if pins.is_empty() {
        return Commands::default();
    }
    let args = quoted_pins(pins);
    Commands {
        pip: if inst.pip_version.is_some() || t.python.is_none() {
            vec![t.pip_install(&args)]
        } else {
            vec![]
        },
        uv: vec![t.uv_install(&args)],
        conda: t.conda_install(&args).into_iter().collect(),
    }
}

/// Rebuild `name==version` from its sdist against NumPy `numpy` (exact), with the constraints
/// file written first at `file`.
pub fn rebuild(
    t: &Target,
    inst: &Installers,
    name: &str,
    version: &str,
    numpy: &str,
    file: &str,
) -> Commands {
    let write = format!(
        "printf '%s\\n' {} > {}",
        shell_word(&format!("numpy=={numpy}")),
        shell_word(file)
    );
    let pin = shell_word(&format!("{name}=={version}"));
    let n = shell_word(name);
    let f = shell_word(file);
    let mut pip = Vec::new();
    if let Some(pv) = &inst.pip_version {
        let base = format!("--force-reinstall --no-deps --no-cache-dir --no-binary {n}");
        pip.push(write.clone());
        if pip_has_build_constraint(pv) {
            pip.push(t.pip_install(&format!("{base} --build-constraint {f} {pin}")));
        } else {
            pip.push(format!(
                "PIP_CONSTRAINT={f} {}",
                t.pip_install(&format!("{base} {pin}"))
            ));
        }
    }
    let uv = vec![
        write,
        t.uv_install(&format!(
            "--reinstall-package {n} --no-deps --no-cache --no-binary {n} --build-constraints {f} {pin}"
        )),
    ];
    Commands {
        pip,
        uv,
        conda: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_flags_by_version() {
        assert!(!pip_has_build_constraint("23.2.1"));
        assert!(!pip_has_build_constraint("25.2"));
        assert!(pip_has_build_constraint("25.3"));
        assert!(pip_has_build_constraint("26.3"));
        let t = Target {
            python: Some("/e/bin/python".into()),
            conda_prefix: None,
        };
        let old = rebuild(
            &t,
            &Installers {
                pip_version: Some("23.2.1".into()),
            },
            "pyxdameraulevenshtein",
            "1.5.3",
            "1.19.5",
            "/tmp/bc.txt",
        );
        assert_eq!(old.pip[1], "PIP_CONSTRAINT=/tmp/bc.txt /e/bin/python -m pip install --force-reinstall --no-deps --no-cache-dir --no-binary pyxdameraulevenshtein pyxdameraulevenshtein==1.5.3");
        let c = install(
            &t,
            &Installers::default(),
            &[("numpy".into(), "1.26.4".into())],
        );
        assert!(
            c.pip.is_empty(),
            "no pip in the environment: no pip command"
        );
        assert_eq!(
            c.uv,
            ["uv pip install --python /e/bin/python numpy==1.26.4"]
        );
    }
}
