//! Finding the Python environment to scan: interpreter, version, site-packages directories in
//! sys.path order. Nothing from the environment is executed except the interpreter itself, run
//! isolated (`-I -S`) so that no site-packages code runs, and only when the answer cannot be read
//! from files (`pyvenv.cfg`, the `lib/pythonX.Y` layout, `conda-meta/`, `patchlevel.h`).
//!
//! Search order with no option (the same spirit as uv's): `VIRTUAL_ENV`, then `CONDA_PREFIX`, then
//! a `.venv` in the working directory or one of its ancestors, then `python3` on `PATH`.
//!
//! `.pth` files are read as data, in sorted file-name order like `site.py`; their `import` lines
//! are never executed, only recorded in [`Environment::notes`].
//!
//! This file holds the public API and the search order; each concern has its own file:
//! `pyvenv_cfg` (PEP 405's `pyvenv.cfg`), `layout` (reading a prefix's files), `interpreter` (the
//! isolated probe, `probe.py`), `pth` (`.pth` files) and `source` (why an environment was chosen).

mod interpreter;
mod layout;
mod pth;
mod pyvenv_cfg;
mod source;

#[cfg(test)]
mod fixtures;

pub use pth::expand_pth;
/// The pure parsers, for `crate::fuzzing`.
pub(crate) use pth::parse_pth;
pub(crate) use pyvenv_cfg::parse_pyvenv_cfg;
pub use source::Source;

use crate::paths::normalize;
use interpreter::from_interpreter;
use layout::{from_dir, python_lib_dirs, site_packages_only};
use pth::{canonical, canonical_set};
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;

/// What kind of environment was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EnvKind {
    /// A PEP 405 virtual environment (`pyvenv.cfg`).
    Venv,
    /// A conda prefix (`conda-meta/`).
    Conda,
    /// A base interpreter's own prefix.
    System,
    /// Only site-packages directories were given; no interpreter is known.
    SitePackagesOnly,
}

/// A Python environment, as far as import resolution is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Environment {
    /// The interpreter, when one is known.
    pub python: Option<PathBuf>,
    /// `"3.11.7"`, or `"3.11"` when only the `lib/python3.11` layout told it.
    pub python_version: Option<String>,
    /// `sys.prefix`.
    pub prefix: PathBuf,
    pub kind: EnvKind,
    /// Why this environment was chosen: which option, variable or search step found it.
    pub source: Source,
    /// Import search directories in `sys.path` order: site directories and the directories that
    /// their `.pth` files add. Existing directories only, no duplicates.
    pub site_packages: Vec<PathBuf>,
    /// The venv's `include-system-site-packages` setting (false for non-venvs).
    pub include_system_site_packages: bool,
    /// A PEP 668 `EXTERNALLY-MANAGED` marker is in the stdlib directory (never for venvs).
    pub externally_managed: bool,
    /// How the environment was found, `.pth` import lines not executed, anything unusual.
    pub notes: Vec<String>,
}

/// What to look for. Build with [`DiscoverOptions::from_process`] in the CLI; tests fill the
/// fields directly to inject `VIRTUAL_ENV`, `CONDA_PREFIX`, `PATH`, `HOME`.
#[derive(Debug, Clone, Default)]
pub struct DiscoverOptions {
    /// `--python PATH`: ask this interpreter (isolated).
    pub python: Option<PathBuf>,
    /// `--env DIR`: a venv or conda prefix (or a base interpreter's prefix).
    pub env: Option<PathBuf>,
    /// `--site-packages DIR...`: scan these only (appended after the others when combined).
    pub site_packages: Vec<PathBuf>,
    /// Relative paths are resolved against this; `.venv` search starts here.
    pub cwd: PathBuf,
    /// The environment variables to consult.
    pub env_vars: BTreeMap<String, OsString>,
}

impl DiscoverOptions {
    /// Options with the process's own working directory and environment variables.
    pub fn from_process() -> Self {
        DiscoverOptions {
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            env_vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
                .collect(),
            ..Default::default()
        }
    }

    /// A non-empty variable.
    fn var(&self, name: &str) -> Option<&OsStr> {
        self.env_vars
            .get(name)
            .map(OsString::as_os_str)
            .filter(|v| !v.is_empty())
    }

    /// `p` against the working directory, normalized lexically.
    fn abs(&self, p: &Path) -> PathBuf {
        normalize(&self.cwd.join(p))
    }
}

/// Why no environment could be found.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("no Python environment found (searched: {searched}); use --env, --python or --site-packages")]
    NotFound { searched: String },
    #[error("{path}: not a Python environment (no pyvenv.cfg, conda-meta/ or lib/pythonX.Y)")]
    NotAnEnvironment { path: String },
    #[error("{path}: does not exist or is not a directory")]
    NotADirectory { path: String },
    /// `VIRTUAL_ENV` or `CONDA_PREFIX` names something that is not an environment (any more).
    #[error("${var} is set to {path}, which is not usable: {reason}. It is probably left over from an environment that was deleted or moved: run `deactivate` (or `unset {var}`), or pass --env")]
    StaleVariable {
        var: String,
        path: String,
        reason: String,
    },
    #[error("{path}: cannot run interpreter: {source}")]
    Spawn {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: interpreter failed: {reason}")]
    Interpreter { path: String, reason: String },
    #[error("{path}: interpreter did not answer within {seconds}s")]
    Timeout { path: String, seconds: u64 },
}

/// Find the environment. See the module docs for the search order.
pub fn discover(opts: &DiscoverOptions) -> Result<Environment, DiscoverError> {
    let extra: Vec<PathBuf> = opts.site_packages.iter().map(|p| opts.abs(p)).collect();
    let mut env = if let Some(python) = &opts.python {
        let python = opts.abs(python);
        // Why this environment: `env.source` (no note needed).
        from_interpreter(&python, Source::PythonOption(python.clone()), opts)?
    } else if let Some(dir) = &opts.env {
        let dir = opts.abs(dir);
        from_dir(&dir, Source::EnvOption(dir.clone()), opts)?
    } else if !extra.is_empty() {
        return Ok(site_packages_only(&extra));
    } else {
        auto(opts)?
    };
    if !extra.is_empty() {
        let mut seen = canonical_set(&env.site_packages);
        for dir in extra {
            if dir.is_dir() && seen.insert(canonical(&dir)) {
                env.notes
                    .push(format!("added from --site-packages: {}", dir.display()));
                env.site_packages.push(dir);
            }
        }
    }
    Ok(env)
}

/// The no-option search: VIRTUAL_ENV, CONDA_PREFIX, ./.venv (and ancestors), python3 on PATH.
fn auto(opts: &DiscoverOptions) -> Result<Environment, DiscoverError> {
    let mut searched = Vec::new();
    for (var, source) in [
        ("VIRTUAL_ENV", Source::VirtualEnv),
        ("CONDA_PREFIX", Source::CondaPrefix),
    ] {
        if let Some(v) = opts.var(var) {
            let dir = opts.abs(Path::new(v));
            // A variable left over from a deleted or moved environment: name it, so the user
            // knows which variable to unset rather than which directory is odd.
            let mut env = from_dir(&dir, source, opts).map_err(|e| match e {
                DiscoverError::NotADirectory { .. } | DiscoverError::NotAnEnvironment { .. } => {
                    DiscoverError::StaleVariable {
                        var: var.to_string(),
                        path: dir.display().to_string(),
                        reason: e.to_string(),
                    }
                }
                e => e,
            })?;
            let mut note = format!("found via {var}={}", dir.display());
            if var == "CONDA_PREFIX" && opts.var("CONDA_DEFAULT_ENV") == Some(OsStr::new("base")) {
                note.push_str(" (the conda base environment)");
            }
            env.notes.insert(0, note);
            return Ok(env);
        }
        searched.push(var.to_string());
    }
    for dir in opts.cwd.ancestors() {
        let venv = dir.join(".venv");
        if venv.join("pyvenv.cfg").is_file() {
            let mut env = from_dir(&venv, Source::DotVenv(dir.to_path_buf()), opts)?;
            env.notes
                .insert(0, format!("found .venv: {}", venv.display()));
            return Ok(env);
        }
    }
    searched.push(format!(".venv in {} and its parents", opts.cwd.display()));
    if let Some(python) = find_on_path(opts, "python3") {
        let mut env = from_python_path(&python, opts)?;
        env.notes
            .insert(0, format!("found python3 on PATH: {}", python.display()));
        return Ok(env);
    }
    searched.push("python3 on PATH".to_string());
    Err(DiscoverError::NotFound {
        searched: searched.join(", "),
    })
}

/// First `name` on the injected PATH that is a file.
fn find_on_path(opts: &DiscoverOptions, name: &str) -> Option<PathBuf> {
    let path = opts.var("PATH")?;
    let names: Vec<String> = if cfg!(windows) {
        vec![format!("{name}.exe"), "python.exe".to_string()]
    } else {
        vec![name.to_string()]
    };
    std::env::split_paths(path).find_map(|dir| {
        names.iter().find_map(|n| {
            let p = opts.abs(&dir.join(n));
            p.is_file().then_some(p)
        })
    })
}

/// An interpreter found on PATH: read its prefix from files when possible, ask it otherwise.
fn from_python_path(python: &Path, opts: &DiscoverOptions) -> Result<Environment, DiscoverError> {
    // A venv's bin/python3 is a symlink to the base interpreter: look at the unresolved path
    // first, then at the resolved one.
    let mut candidates = Vec::new();
    if let Some(prefix) = python.parent().and_then(Path::parent) {
        candidates.push(prefix.to_path_buf());
    }
    if let Ok(real) = std::fs::canonicalize(python) {
        if let Some(prefix) = real.parent().and_then(Path::parent) {
            candidates.push(prefix.to_path_buf());
        }
    }
    for prefix in candidates {
        if prefix.join("pyvenv.cfg").is_file()
            || prefix.join("conda-meta").is_dir()
            || !python_lib_dirs(&prefix).is_empty()
        {
            let mut env = from_dir(&prefix, Source::SearchPath, opts)?;
            if env.python.is_none() {
                env.python = Some(python.to_path_buf());
            }
            return Ok(env);
        }
    }
    from_interpreter(python, Source::SearchPath, opts)
}

#[cfg(test)]
mod tests {
    #[cfg(unix)]
    use super::fixtures::fake_interpreter;
    use super::fixtures::{fake_venv, opts};
    use super::*;
    use crate::test_support::{self, make_venv};
    use std::fs;

    #[test]
    fn order_virtual_env_before_conda_then_dot_venv() {
        let t = tempfile::tempdir().unwrap();
        let (venv, _) = fake_venv(t.path(), false);
        let conda = t.path().join("conda");
        fs::create_dir_all(conda.join("conda-meta")).unwrap();
        fs::create_dir_all(conda.join("lib/python3.12/site-packages")).unwrap();
        let env = discover(&opts(
            t.path(),
            &[("VIRTUAL_ENV", &venv), ("CONDA_PREFIX", &conda)],
        ))
        .unwrap();
        assert_eq!(env.prefix, venv);
        // ./.venv found from a subdirectory, with no variables.
        let proj = t.path().join("proj");
        let (dotvenv, _) = fake_venv(&proj, false);
        fs::rename(&dotvenv, proj.join(".venv")).unwrap();
        fs::create_dir_all(proj.join("src/pkg")).unwrap();
        let env = discover(&opts(&proj.join("src/pkg"), &[])).unwrap();
        assert_eq!(env.prefix, proj.join(".venv"));
        // Nothing at all.
        let empty = tempfile::tempdir().unwrap();
        let err = discover(&opts(empty.path(), &[("PATH", empty.path())])).unwrap_err();
        assert!(matches!(err, DiscoverError::NotFound { .. }), "{err}");
    }

    #[test]
    fn real_venv_via_env_virtual_env_and_python() {
        let Some(py) = test_support::python("3.11") else {
            return;
        };
        let t = tempfile::tempdir().unwrap();
        let venv = t.path().join("v");
        make_venv(&py.path, &venv, false);
        let site = venv.join("lib/python3.11/site-packages");
        fs::write(site.join("x.pth"), "import sys\n").unwrap();

        let by_env = discover(&DiscoverOptions {
            env: Some(venv.clone()),
            ..opts(t.path(), &[])
        })
        .unwrap();
        assert_eq!(by_env.kind, EnvKind::Venv);
        assert_eq!(by_env.python_version.as_deref(), Some(py.version.as_str()));
        assert_eq!(by_env.site_packages, vec![site.clone()]);
        assert_eq!(by_env.python, Some(venv.join("bin/python3")));
        assert!(!by_env.include_system_site_packages);
        assert_eq!(by_env.source, Source::EnvOption(venv.clone()));

        let by_var = discover(&opts(t.path(), &[("VIRTUAL_ENV", &venv)])).unwrap();
        assert_eq!(by_var.site_packages, by_env.site_packages);
        assert_eq!(by_var.prefix, venv);
        assert_eq!(by_var.source, Source::VirtualEnv);

        // --python: the interpreter is asked, isolated.
        let by_python = discover(&DiscoverOptions {
            python: Some(venv.join("bin/python")),
            ..opts(t.path(), &[])
        })
        .unwrap();
        assert_eq!(by_python.kind, EnvKind::Venv);
        assert_eq!(
            by_python.python_version.as_deref(),
            Some(py.version.as_str())
        );
        assert_eq!(by_python.site_packages, vec![site.clone()]);
        assert_eq!(
            by_python.source,
            Source::PythonOption(venv.join("bin/python"))
        );

        // python3 on PATH (the venv's bin): read from files.
        let by_path = discover(&opts(t.path(), &[("PATH", &venv.join("bin"))])).unwrap();
        assert_eq!(by_path.prefix, venv);
        assert_eq!(by_path.kind, EnvKind::Venv);
        assert_eq!(by_path.source, Source::SearchPath);
    }

    #[test]
    fn real_venv_then_inventory_and_numpy() {
        let Some(py) = test_support::python("3.11") else {
            return;
        };
        let t = tempfile::tempdir().unwrap();
        let venv = t.path().join("v");
        make_venv(&py.path, &venv, false);
        let site = venv.join("lib/python3.11/site-packages");
        fs::create_dir_all(site.join("numpy/_core")).unwrap();
        fs::write(site.join("numpy/__init__.py"), "").unwrap();
        fs::write(site.join("numpy/version.py"), "version: str = \"2.1.3\"\n").unwrap();
        fs::write(
            site.join("numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"),
            b"\x7fELF\x02\x01\x01\0",
        )
        .unwrap();
        fs::create_dir_all(site.join("numpy-2.1.3.dist-info")).unwrap();
        fs::write(
            site.join("numpy-2.1.3.dist-info/METADATA"),
            "Name: numpy\nVersion: 2.1.3\n",
        )
        .unwrap();
        fs::write(
            site.join("numpy-2.1.3.dist-info/RECORD"),
            "numpy/__init__.py,,\nnumpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so,,\n",
        )
        .unwrap();
        let env = discover(&opts(t.path(), &[("VIRTUAL_ENV", &venv)])).unwrap();
        let inv = crate::inventory::inventory(&env.site_packages);
        assert_eq!(inv.distributions.len(), 1);
        assert_eq!(inv.binaries.len(), 1);
        assert_eq!(
            inv.binaries[0].module.as_deref(),
            Some("numpy._core._multiarray_umath")
        );
        let np = crate::runtime::find_numpy(&inv, &env.site_packages).unwrap();
        assert_eq!(
            (np.version.as_str(), np.version_file_version.as_deref()),
            ("2.1.3", Some("2.1.3"))
        );
    }

    #[test]
    fn source_of_each_option() {
        let t = tempfile::tempdir().unwrap();
        let (venv, base) = fake_venv(t.path(), false);
        let env = discover(&DiscoverOptions {
            env: Some("venv".into()),
            ..opts(t.path(), &[])
        })
        .unwrap();
        assert_eq!(env.source, Source::EnvOption(venv.clone()));
        assert_eq!(env.source.describe(), "from --env");
        // --site-packages beside --env only adds directories: the source stays --env.
        let env = discover(&DiscoverOptions {
            env: Some(venv.clone()),
            site_packages: vec![base.join("lib/python3.11/site-packages")],
            ..opts(t.path(), &[])
        })
        .unwrap();
        assert_eq!(env.source, Source::EnvOption(venv.clone()));
        let env = discover(&DiscoverOptions {
            site_packages: vec![base.join("lib/python3.11/site-packages")],
            ..opts(t.path(), &[("VIRTUAL_ENV", &venv)])
        })
        .unwrap();
        assert_eq!(env.source, Source::SitePackagesOption);
    }

    /// An interpreter that writes more than a pipe holds to stderr before answering used to be
    /// reported as "did not answer within 15s" (one pipe was read after the other).
    #[cfg(unix)]
    #[test]
    fn a_chatty_interpreter_is_answered_not_timed_out() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let (_, base) = fake_venv(t.path(), false);
        let exe = t.path().join("tools/bin/python3");
        fake_interpreter(&exe, &base);
        let answer = std::fs::read_to_string(&exe).unwrap();
        let chatty = answer.replacen(
            "#!/bin/sh\n",
            "#!/bin/sh\nhead -c 1000000 /dev/zero | tr '\\0' x >&2\n",
            1,
        );
        std::fs::write(&exe, chatty).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let started = std::time::Instant::now();
        let env = discover(&DiscoverOptions {
            python: Some(exe.clone()),
            ..opts(t.path(), &[])
        })
        .unwrap();
        assert_eq!(env.python_version.as_deref(), Some("3.11.7"));
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[cfg(unix)]
    #[test]
    fn source_of_python_option() {
        let t = tempfile::tempdir().unwrap();
        let (_, base) = fake_venv(t.path(), false);
        let exe = t.path().join("tools/bin/python3");
        fake_interpreter(&exe, &base);
        // Relative to cwd, recorded absolute.
        let env = discover(&DiscoverOptions {
            python: Some("tools/./bin/python3".into()),
            ..opts(t.path(), &[("PYTHONNOUSERSITE", Path::new("1"))])
        })
        .unwrap();
        assert_eq!(env.source, Source::PythonOption(exe.clone()));
        assert_eq!(env.prefix, base);
        assert_eq!(env.source.describe(), "from --python");
    }

    #[test]
    fn source_of_each_search_step() {
        let t = tempfile::tempdir().unwrap();
        let (venv, _) = fake_venv(t.path(), false);
        let conda = t.path().join("conda");
        fs::create_dir_all(conda.join("conda-meta")).unwrap();
        fs::create_dir_all(conda.join("lib/python3.12/site-packages")).unwrap();
        let env = discover(&opts(
            t.path(),
            &[("VIRTUAL_ENV", &venv), ("CONDA_PREFIX", &conda)],
        ))
        .unwrap();
        assert_eq!(env.source, Source::VirtualEnv);
        let env = discover(&opts(t.path(), &[("CONDA_PREFIX", &conda)])).unwrap();
        assert_eq!(env.source, Source::CondaPrefix);
        assert_eq!(env.prefix, conda);

        // .venv in an ancestor of the working directory: the ancestor is recorded.
        let proj = t.path().join("proj");
        fs::create_dir_all(proj.join("src/pkg")).unwrap();
        fs::rename(&venv, proj.join(".venv")).unwrap();
        let env = discover(&opts(&proj.join("src/pkg"), &[])).unwrap();
        assert_eq!(env.source, Source::DotVenv(proj.clone()));
        assert_eq!(
            env.source.describe(),
            format!("found .venv in {}", proj.display())
        );

        // python3 on PATH inside a venv: read from the venv's files.
        let venv = proj.join(".venv");
        fs::write(venv.join("bin/python3"), "").unwrap();
        let env = discover(&opts(t.path(), &[("PATH", &venv.join("bin"))])).unwrap();
        assert_eq!(env.source, Source::SearchPath);
        assert_eq!(env.prefix, venv);
    }

    #[cfg(unix)]
    #[test]
    fn source_of_an_interpreter_asked_from_path() {
        let t = tempfile::tempdir().unwrap();
        let (_, base) = fake_venv(t.path(), false);
        // No layout around the interpreter: it has to be asked.
        let exe = t.path().join("tools/bin/python3");
        fake_interpreter(&exe, &base);
        let env = discover(&opts(
            t.path(),
            &[
                ("PATH", &t.path().join("tools/bin")),
                ("PYTHONNOUSERSITE", Path::new("1")),
            ],
        ))
        .unwrap();
        assert_eq!(env.source, Source::SearchPath);
        assert_eq!(env.prefix, base);
        assert!(
            env.notes[0].contains("found python3 on PATH"),
            "{:?}",
            env.notes
        );
    }
}
