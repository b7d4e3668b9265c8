//! The one place that builds installer commands: `check`'s fix line, `explain`'s remedies, the
//! commands `fix` prints and the ones `fix --apply` runs all come from here, so what is printed is
//! what was run.
//!
//! Every command names the scanned environment's own interpreter (`PY -m pip`, `uv pip install
//! --python PY`), `conda install -p PREFIX` only for a conda environment, exact versions, and
//! shell-quoted words.
//!
//! Rebuilds keep build isolation (the installer puts the package's build requirements from its
//! sdist's pyproject.toml into the build environment first), pin the installed version, bypass
//! the caches, and pin the build's NumPy with a build-constraints file that the printed command
//! writes first. How the file reaches the isolated build depends on the installer, as measured in
//! docs/pip-build-constraints.md: pip 25.3 and later take `--build-constraint FILE`; older pips
//! have no such option and apply `PIP_CONSTRAINT=FILE` to isolated builds (pip 26.2 stopped doing
//! that, and `-c` never reaches them); uv takes `--build-constraints FILE` and needs
//! `--reinstall-package X` to rebuild an installed package. pip reuses a cached build of the same
//! version, so it gets `--no-cache-dir`; uv's `--reinstall-package` already rebuilds the sdist
//! every time (measured in docs/fix.md#rebuild-commands), so it needs no `--no-cache`.

/// The scanned environment, as far as printed commands need it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Target {
    /// The environment's interpreter (absolute), when one is known.
    pub python: Option<String>,
    /// The prefix, when the environment is a conda environment.
    pub conda_prefix: Option<String>,
    /// The version of the environment's installed pip distribution; `None`: it has no pip.
    pub pip_version: Option<String>,
}

/// A word for a POSIX shell: as it is when it holds no special character, else single-quoted.
pub fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The installer a command runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tool {
    /// `PY -m pip`.
    Pip,
    /// `UV pip ... --python PY`; the program as run (`uv` when printed for people).
    Uv(String),
}

/// One command: the file it writes first (path, content), its environment variables, its argv.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Step {
    pub writes: Option<(String, String)>,
    pub env: Vec<(String, String)>,
    pub argv: Vec<String>,
}

impl Step {
    /// As a POSIX shell takes it, the file written first with `printf`.
    pub fn shown(&self) -> String {
        let cmd = self
            .env
            .iter()
            .map(|(k, v)| format!("{k}={}", shell_word(v)))
            .chain(self.argv.iter().map(|a| shell_word(a)))
            .collect::<Vec<_>>()
            .join(" ");
        match &self.writes {
            Some((path, content)) => {
                let lines: Vec<String> = content.lines().map(shell_word).collect();
                format!(
                    "printf '%s\\n' {} > {} && {cmd}",
                    lines.join(" "),
                    shell_word(path)
                )
            }
            None => cmd,
        }
    }
}

/// Does this pip have `--build-constraint` (pip >= 25.3)?
pub fn pip_has_build_constraint(pip_version: &str) -> bool {
    version_tuple(pip_version) >= (25, 3)
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

/// `PY -m pip VERB` / `uv pip VERB --python PY` (bare `pip` / `uv pip` when no interpreter is
/// known: only site-packages directories were scanned).
fn base(tool: &Tool, python: Option<&str>, verb: &str, break_system_packages: bool) -> Vec<String> {
    let mut v: Vec<String> = match (tool, python) {
        (Tool::Pip, Some(py)) => vec![py.into(), "-m".into(), "pip".into(), verb.into()],
        (Tool::Pip, None) => vec!["pip".into(), verb.into()],
        (Tool::Uv(uv), py) => {
            let mut v = vec![uv.clone(), "pip".into(), verb.into()];
            if let Some(py) = py {
                v.extend(["--python".into(), py.into()]);
            }
            v
        }
    };
    if break_system_packages {
        v.push("--break-system-packages".into());
    }
    v
}

/// Options shared by every command.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Opts {
    /// `--no-deps`: install exactly the set named (a plan names every change).
    pub no_deps: bool,
    pub break_system_packages: bool,
}

/// Install requirements (`numpy==1.26.4`, `numpy>=1.26.4,<2`); `reinstall` names those installed
/// at the same version that must be put in again.
pub fn install(
    tool: &Tool,
    python: Option<&str>,
    reqs: &[String],
    reinstall: &[String],
    o: Opts,
) -> Step {
    let mut argv = base(tool, python, "install", o.break_system_packages);
    if o.no_deps {
        argv.push("--no-deps".into());
    }
    match tool {
        Tool::Uv(_) => {
            for n in reinstall {
                argv.extend(["--reinstall-package".into(), n.clone()]);
            }
        }
        Tool::Pip if !reinstall.is_empty() => argv.push("--force-reinstall".into()),
        Tool::Pip => {}
    }
    argv.extend(reqs.iter().cloned());
    Step {
        argv,
        ..Step::default()
    }
}

/// Remove distributions.
pub fn uninstall(tool: &Tool, python: Option<&str>, names: &[String], o: Opts) -> Step {
    let mut argv = base(tool, python, "uninstall", o.break_system_packages);
    if *tool == Tool::Pip {
        argv.push("-y".into());
    }
    argv.extend(names.iter().cloned());
    Step {
        argv,
        ..Step::default()
    }
}

/// Rebuild `name==version` from its sdist, the build environment pinned by `build_constraints`
/// (`numpy==1.26.4`) through the file `file`, written first. A pip of unknown version gets
/// `--build-constraint`: an old pip rejects it loudly ("no such option"), while `PIP_CONSTRAINT`
/// would be silently ignored by pip >= 26.2.
#[allow(clippy::too_many_arguments)]
pub fn rebuild(
    tool: &Tool,
    python: Option<&str>,
    pip_version: Option<&str>,
    name: &str,
    version: &str,
    build_constraints: &[String],
    file: &str,
    o: Opts,
) -> Step {
    let mut argv = base(tool, python, "install", o.break_system_packages);
    let mut env = vec![];
    let has = !build_constraints.is_empty();
    match tool {
        Tool::Pip => {
            argv.extend(
                [
                    "--force-reinstall",
                    "--no-deps",
                    "--no-cache-dir",
                    "--no-binary",
                    name,
                ]
                .map(String::from),
            );
            if has {
                if pip_version.is_none_or(pip_has_build_constraint) {
                    argv.extend(["--build-constraint".into(), file.into()]);
                } else {
                    env.push(("PIP_CONSTRAINT".into(), file.into()));
                }
            }
        }
        Tool::Uv(_) => {
            argv.extend(["--no-deps", "--no-binary", name].map(String::from));
            if has {
                argv.extend(["--build-constraints".into(), file.into()]);
            }
            argv.extend(["--reinstall-package".into(), name.into()]);
        }
    }
    argv.push(format!("{name}=={version}"));
    let mut content = build_constraints.join("\n");
    content.push('\n');
    Step {
        writes: has.then(|| (file.to_string(), content)),
        env,
        argv,
    }
}

/// The file a printed rebuild command writes its build pins to (in the current directory).
pub const PRINTED_BUILD_CONSTRAINTS: &str = "abi-doctor-build-constraints.txt";

/// Printed commands per installer; each list runs in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Commands {
    pub pip: Vec<String>,
    pub uv: Vec<String>,
    /// Only for conda environments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conda: Vec<String>,
}

impl Commands {
    pub fn extend(&mut self, o: Commands) {
        self.pip.extend(o.pip);
        self.uv.extend(o.uv);
        self.conda.extend(o.conda);
    }
}

impl Target {
    fn py(&self) -> Option<&str> {
        self.python.as_deref()
    }

    /// Whether a pip command can run here: the environment has pip (or nothing is known).
    fn pip_usable(&self) -> bool {
        self.pip_version.is_some() || self.python.is_none()
    }

    /// `PY -m pip install ARGS` for the scanned interpreter (`pip install ARGS` when only
    /// site-packages directories were given and no interpreter is known). `args` are shell words
    /// already.
    pub fn pip_install(&self, args: &str) -> String {
        match &self.python {
            Some(py) => format!("{} -m pip install {args}", shell_word(py)),
            None => format!("pip install {args}"),
        }
    }

    /// `uv pip install --python PY ARGS`.
    pub fn uv_install(&self, args: &str) -> String {
        match &self.python {
            Some(py) => format!("uv pip install --python {} {args}", shell_word(py)),
            None => format!("uv pip install {args}"),
        }
    }

    /// `conda install -p PREFIX ARGS`, for conda environments only.
    pub fn conda_install(&self, args: &str) -> Option<String> {
        self.conda_prefix
            .as_ref()
            .map(|p| format!("conda install -p {} {args}", shell_word(p)))
    }

    /// Install requirements (exact pins or a bounded NumPy range), as printed for people.
    pub fn install(&self, reqs: &[String]) -> Commands {
        if reqs.is_empty() {
            return Commands::default();
        }
        let o = Opts::default();
        let uv = Tool::Uv("uv".into());
        // conda spells `==` as `=` for an exact pin and takes the same range syntax otherwise.
        let conda_args: Vec<String> = reqs.iter().map(|r| shell_word(&conda_spec(r))).collect();
        Commands {
            pip: if self.pip_usable() {
                vec![install(&Tool::Pip, self.py(), reqs, &[], o).shown()]
            } else {
                vec![]
            },
            uv: vec![install(&uv, self.py(), reqs, &[], o).shown()],
            conda: self
                .conda_install(&conda_args.join(" "))
                .into_iter()
                .collect(),
        }
    }

    /// Exact pins, as printed: `numpy==1.26.4 pandas==2.2.2`.
    pub fn install_pins(&self, pins: &[(String, String)]) -> Commands {
        let reqs: Vec<String> = pins.iter().map(|(n, v)| format!("{n}=={v}")).collect();
        self.install(&reqs)
    }

    /// Rebuild `name==version` against NumPy `numpy` (exact), as printed: the constraints file is
    /// written first, in the current directory.
    pub fn rebuild(&self, name: &str, version: &str, numpy: &str) -> Commands {
        self.rebuild_with(name, version, &[format!("numpy=={numpy}")])
    }

    /// Rebuild `name==version` with these build-environment pins (`numpy==1.26.4`,
    /// `pybind11>=2.12`), as printed: the constraints file is written first.
    pub fn rebuild_with(
        &self,
        name: &str,
        version: &str,
        build_constraints: &[String],
    ) -> Commands {
        let bc = build_constraints.to_vec();
        let f = PRINTED_BUILD_CONSTRAINTS;
        let o = Opts::default();
        let pv = self.pip_version.as_deref();
        Commands {
            pip: if self.pip_usable() {
                vec![rebuild(&Tool::Pip, self.py(), pv, name, version, &bc, f, o).shown()]
            } else {
                vec![]
            },
            uv: vec![rebuild(
                &Tool::Uv("uv".into()),
                self.py(),
                pv,
                name,
                version,
                &bc,
                f,
                o,
            )
            .shown()],
            conda: vec![],
        }
    }
}

fn conda_spec(req: &str) -> String {
    match req.split_once("==") {
        Some((n, v)) if !v.contains(['*', ',']) => format!("{n}={v}"),
        _ => req.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(pip: Option<&str>) -> Target {
        Target {
            python: Some("/e/bin/python".into()),
            conda_prefix: None,
            pip_version: pip.map(String::from),
        }
    }

    #[test]
    fn pip_flags_by_version() {
        assert!(!pip_has_build_constraint("23.2.1"));
        assert!(!pip_has_build_constraint("25.2"));
        assert!(pip_has_build_constraint("25.3"));
        assert!(pip_has_build_constraint("26.3"));
        let old = t(Some("23.2.1")).rebuild("pyxdameraulevenshtein", "1.5.3", "1.19.5");
        assert_eq!(
            old.pip,
            [
                "printf '%s\\n' numpy==1.19.5 > abi-doctor-build-constraints.txt && \
              PIP_CONSTRAINT=abi-doctor-build-constraints.txt /e/bin/python -m pip install \
              --force-reinstall --no-deps --no-cache-dir --no-binary pyxdameraulevenshtein \
              pyxdameraulevenshtein==1.5.3"
            ]
        );
        let new = t(Some("25.3")).rebuild("x", "1.0", "2.0.2");
        assert!(new.pip[0].contains("--build-constraint abi-doctor-build-constraints.txt x==1.0"));
        assert_eq!(
            new.uv,
            [
                "printf '%s\\n' numpy==2.0.2 > abi-doctor-build-constraints.txt && uv pip install \
              --python /e/bin/python --no-deps --no-binary x --build-constraints \
              abi-doctor-build-constraints.txt --reinstall-package x x==1.0"
            ]
        );
    }

    #[test]
    fn no_pip_no_pip_command_and_conda_only_for_conda() {
        let c = t(None).install_pins(&[("numpy".into(), "1.26.4".into())]);
        assert!(
            c.pip.is_empty(),
            "no pip in the environment: no pip command"
        );
        assert_eq!(
            c.uv,
            ["uv pip install --python /e/bin/python numpy==1.26.4"]
        );
        assert!(c.conda.is_empty());
        let conda = Target {
            conda_prefix: Some("/opt/conda/envs/a".into()),
            ..t(Some("24.0"))
        };
        let c = conda.install(&["numpy>=1.26.4,<2".into()]);
        assert_eq!(c.pip, ["/e/bin/python -m pip install 'numpy>=1.26.4,<2'"]);
        assert_eq!(
            c.conda,
            ["conda install -p /opt/conda/envs/a 'numpy>=1.26.4,<2'"]
        );
        let c = conda.install_pins(&[("numpy".into(), "1.26.4".into())]);
        assert_eq!(c.conda, ["conda install -p /opt/conda/envs/a numpy=1.26.4"]);
    }

    #[test]
    fn apply_steps_are_the_printed_forms() {
        let s = install(
            &Tool::Uv("/t/uv".into()),
            Some("/e/bin/python"),
            &["numpy==1.26.4".into()],
            &["numpy".into()],
            Opts {
                no_deps: true,
                break_system_packages: true,
            },
        );
        assert_eq!(
            s.shown(),
            "/t/uv pip install --python /e/bin/python --break-system-packages --no-deps \
             --reinstall-package numpy numpy==1.26.4"
        );
        let u = uninstall(
            &Tool::Pip,
            Some("/e/bin/python"),
            &["x".into()],
            Opts::default(),
        );
        assert_eq!(u.shown(), "/e/bin/python -m pip uninstall -y x");
    }
}
