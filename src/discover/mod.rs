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

use crate::paths::{normalize, prefix_from_site_dir, version_from_lib_name};
use std::collections::{BTreeMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::Serialize;

/// What kind of environment was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Environment {
    /// The interpreter, when one is known.
    pub python: Option<PathBuf>,
    /// `"3.11.7"`, or `"3.11"` when only the `lib/python3.11` layout told it.
    pub python_version: Option<String>,
    /// `sys.prefix`.
    pub prefix: PathBuf,
    pub kind: EnvKind,
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
        let mut env = from_interpreter(&python, opts)?;
        env.notes
            .insert(0, format!("interpreter given: {}", python.display()));
        env
    } else if let Some(dir) = &opts.env {
        let dir = opts.abs(dir);
        let mut env = from_dir(&dir, opts)?;
        env.notes
            .insert(0, format!("environment given: {}", dir.display()));
        env
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
    for var in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
        if let Some(v) = opts.var(var) {
            let dir = opts.abs(Path::new(v));
            let mut env = from_dir(&dir, opts)?;
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
            let mut env = from_dir(&venv, opts)?;
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
            let mut env = from_dir(&prefix, opts)?;
            if env.python.is_none() {
                env.python = Some(python.to_path_buf());
            }
            return Ok(env);
        }
    }
    from_interpreter(python, opts)
}

/// `--site-packages` alone.
fn site_packages_only(dirs: &[PathBuf]) -> Environment {
    let mut notes = Vec::new();
    let mut roots = Vec::new();
    let mut seen = HashSet::new();
    for d in dirs {
        if !d.is_dir() {
            notes.push(format!("{}: not a directory, skipped", d.display()));
        } else if seen.insert(canonical(d)) {
            roots.push(d.clone());
        }
    }
    let first = roots.first().or(dirs.first()).cloned().unwrap_or_default();
    let (prefix, version) = match prefix_from_site_dir(&first) {
        Some((p, v)) => (p, v),
        None => (first.clone(), None),
    };
    let site_packages = expand_pth(&roots, &mut notes);
    Environment {
        python: None,
        python_version: version,
        prefix,
        kind: EnvKind::SitePackagesOnly,
        site_packages,
        include_system_site_packages: false,
        externally_managed: false,
        notes,
    }
}

/// `(version, dir)` for each `<prefix>/lib*/pythonX.Y` directory, sorted.
fn python_lib_dirs(prefix: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for lib in ["lib", "lib64"] {
        let Ok(rd) = std::fs::read_dir(prefix.join(lib)) else {
            continue;
        };
        for e in rd.flatten() {
            if let Some(v) = e.file_name().to_str().and_then(version_from_lib_name) {
                if e.path().is_dir() {
                    out.push((v, e.path()));
                }
            }
        }
    }
    out.sort();
    out
}

/// The parsed keys of a `pyvenv.cfg` that matter here.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct PyvenvCfg {
    home: Option<PathBuf>,
    version: Option<String>,
    include_system_site_packages: bool,
}

fn parse_pyvenv_cfg(text: &str) -> PyvenvCfg {
    let mut cfg = PyvenvCfg::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
        match k.as_str() {
            "home" => cfg.home = Some(PathBuf::from(v)),
            // venv writes `version = 3.11.7`, virtualenv `version_info = 3.11.7.final.0`.
            "version" | "version_info" if cfg.version.is_none() || k == "version" => {
                let parts: Vec<&str> = v.split('.').take(3).collect();
                if parts.len() >= 2 && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
                    cfg.version = Some(parts.join("."));
                }
            }
            "include-system-site-packages" => {
                cfg.include_system_site_packages = v.eq_ignore_ascii_case("true")
            }
            _ => {}
        }
    }
    cfg
}

/// `PY_VERSION "3.11.7"` from `<prefix>/include/pythonX.Y/patchlevel.h`.
fn patchlevel_version(prefix: &Path, xy: &str) -> Option<String> {
    for inc in [format!("python{xy}"), format!("python{xy}t")] {
        let Ok(text) =
            std::fs::read_to_string(prefix.join("include").join(inc).join("patchlevel.h"))
        else {
            continue;
        };
        for line in text.lines() {
            let mut words = line.split_whitespace();
            if words.next() == Some("#define") && words.next() == Some("PY_VERSION") {
                let v = words.next()?.trim_matches('"');
                let v: String = v
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.')
                    .collect();
                return Some(v.trim_end_matches('.').to_string());
            }
        }
    }
    None
}

/// `conda-meta/python-3.11.7-h955ad1f_0.json` → `"3.11.7"`.
fn conda_meta_version(prefix: &Path) -> Option<String> {
    let rd = std::fs::read_dir(prefix.join("conda-meta")).ok()?;
    rd.flatten().find_map(|e| {
        let name = e.file_name().into_string().ok()?;
        let rest = name.strip_prefix("python-")?.strip_suffix(".json")?;
        let v = rest.split('-').next()?;
        (v.split('.').count() >= 2 && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
            .then(|| v.to_string())
    })
}

fn first_existing(prefix: &Path, names: &[&str]) -> Option<PathBuf> {
    names
        .iter()
        .map(|n| prefix.join(n))
        .find(|p| p.symlink_metadata().is_ok())
}

fn interpreter_in(prefix: &Path) -> Option<PathBuf> {
    first_existing(
        prefix,
        &[
            "bin/python3",
            "bin/python",
            "Scripts/python.exe",
            "python.exe",
        ],
    )
}

/// A venv, conda or base prefix given as a directory: read it statically.
fn from_dir(dir: &Path, opts: &DiscoverOptions) -> Result<Environment, DiscoverError> {
    if !dir.is_dir() {
        return Err(DiscoverError::NotADirectory {
            path: dir.display().to_string(),
        });
    }
    let mut notes = Vec::new();
    let cfg_path = dir.join("pyvenv.cfg");
    let cfg = if cfg_path.is_file() {
        match std::fs::read(&cfg_path) {
            Ok(bytes) => {
                if std::str::from_utf8(&bytes).is_err() {
                    notes.push(format!("{}: not UTF-8, read lossily", cfg_path.display()));
                }
                Some(parse_pyvenv_cfg(&String::from_utf8_lossy(&bytes)))
            }
            Err(e) => {
                notes.push(format!("{}: cannot read: {e}", cfg_path.display()));
                Some(PyvenvCfg::default())
            }
        }
    } else {
        None
    };
    let kind = if cfg.is_some() {
        EnvKind::Venv
    } else if dir.join("conda-meta").is_dir() {
        EnvKind::Conda
    } else if !python_lib_dirs(dir).is_empty() || dir.join("Lib").is_dir() {
        EnvKind::System
    } else {
        return Err(DiscoverError::NotAnEnvironment {
            path: dir.display().to_string(),
        });
    };
    let cfg = cfg.unwrap_or_default();
    let python = interpreter_in(dir);

    // The base prefix: a venv's `home` is the directory of the base interpreter.
    let base_prefix = match (&kind, &cfg.home) {
        (EnvKind::Venv, Some(home)) => {
            let home = opts.abs(home);
            Some(if home.file_name() == Some(OsStr::new("bin")) {
                home.parent().map(Path::to_path_buf).unwrap_or(home)
            } else {
                home
            })
        }
        (EnvKind::Venv, None) => {
            notes.push(format!("{}: no `home` key", cfg_path.display()));
            None
        }
        _ => None,
    };

    // Version: pyvenv.cfg, conda-meta, the lib/pythonX.Y name (+ patchlevel.h), the interpreter.
    let libs = python_lib_dirs(dir);
    let mut version = cfg.version.clone();
    if version.is_none() && kind == EnvKind::Conda {
        version = conda_meta_version(dir);
    }
    if version.is_none() {
        let mut xys: Vec<&String> = libs.iter().map(|(v, _)| v).collect();
        xys.dedup();
        if xys.len() == 1 {
            let xy = xys[0].clone();
            let full = patchlevel_version(dir, &xy)
                .or_else(|| {
                    base_prefix
                        .as_deref()
                        .and_then(|b| patchlevel_version(b, &xy))
                })
                .filter(|v| v.starts_with(&format!("{xy}.")));
            version = Some(full.unwrap_or(xy));
        } else if xys.len() > 1 {
            notes.push(format!(
                "{}: several lib/pythonX.Y directories ({}), asking the interpreter",
                dir.display(),
                xys.iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    let mut asked: Option<InterpreterInfo> = None;
    if version.is_none() && !dir.join("Lib").is_dir() {
        if let Some(py) = &python {
            match ask_interpreter(py) {
                Ok(info) => {
                    version = Some(info.version.clone());
                    asked = Some(info);
                }
                Err(e) => notes.push(format!("python version unknown: {e}")),
            }
        }
    }
    let xy = version.as_deref().map(major_minor);

    let mut site_dirs = Vec::new();
    let user_site = if kind != EnvKind::Venv || cfg.include_system_site_packages {
        user_site_dir(opts, xy.as_deref(), &mut notes)
    } else {
        None
    };
    if let Some(u) = user_site {
        notes.push(format!("user site-packages enabled: {}", u.display()));
        site_dirs.push(u);
    }
    site_dirs.extend(layout_site_dirs(dir, xy.as_deref()));
    if let Some(info) = &asked {
        site_dirs.extend(info.purelib.iter().cloned());
        site_dirs.extend(info.platlib.iter().cloned());
    }
    if kind == EnvKind::Venv && cfg.include_system_site_packages {
        match &base_prefix {
            Some(base) => {
                notes.push(format!(
                    "include-system-site-packages = true: base prefix {}",
                    base.display()
                ));
                site_dirs.extend(layout_site_dirs(base, xy.as_deref()));
            }
            None => notes.push(
                "include-system-site-packages = true but the base prefix is unknown".to_string(),
            ),
        }
    }
    if site_dirs.is_empty() {
        notes.push(format!(
            "{}: no site-packages directory found",
            dir.display()
        ));
    }

    // PEP 668: the marker is ignored inside a venv.
    let stdlib_prefix = if kind == EnvKind::Venv {
        base_prefix.clone()
    } else {
        Some(dir.to_path_buf())
    };
    let marker = stdlib_prefix
        .as_deref()
        .and_then(|p| externally_managed_marker(p, xy.as_deref()));
    let externally_managed = match (&kind, marker) {
        (EnvKind::Venv, Some(m)) => {
            notes.push(format!(
                "base interpreter is externally managed ({}); ignored inside a venv",
                m.display()
            ));
            false
        }
        (_, Some(_)) => true,
        (_, None) => false,
    };

    let site_packages = expand_pth(&site_dirs, &mut notes);
    Ok(Environment {
        python,
        python_version: version,
        prefix: dir.to_path_buf(),
        kind,
        site_packages,
        include_system_site_packages: kind == EnvKind::Venv && cfg.include_system_site_packages,
        externally_managed,
        notes,
    })
}

fn major_minor(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// Site directories of a prefix by layout: `lib/pythonX.Y/site-packages`, `lib64/...`,
/// `Lib/site-packages`, and Debian's `dist-packages` for `/usr`.
fn layout_site_dirs(prefix: &Path, xy: Option<&str>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (v, lib) in python_lib_dirs(prefix) {
        if xy.is_none_or(|xy| xy == v) {
            out.push(lib.join("site-packages"));
        }
    }
    out.push(prefix.join("Lib").join("site-packages"));
    if let Some(xy) = xy {
        if prefix == Path::new("/usr") {
            out.push(PathBuf::from(format!(
                "/usr/local/lib/python{xy}/dist-packages"
            )));
            out.push(PathBuf::from("/usr/lib/python3/dist-packages"));
            out.push(PathBuf::from(format!("/usr/lib/python{xy}/dist-packages")));
        }
    }
    out.retain(|p| p.is_dir());
    out
}

fn externally_managed_marker(prefix: &Path, xy: Option<&str>) -> Option<PathBuf> {
    let mut candidates = vec![prefix.join("Lib").join("EXTERNALLY-MANAGED")];
    for (v, lib) in python_lib_dirs(prefix) {
        if xy.is_none_or(|xy| xy == v) {
            candidates.push(lib.join("EXTERNALLY-MANAGED"));
        }
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// The user site directory when `site.py` would add it: not disabled by `PYTHONNOUSERSITE`,
/// existing. Computed like `sysconfig`'s `posix_user` / `nt_user` schemes.
fn user_site_dir(
    opts: &DiscoverOptions,
    xy: Option<&str>,
    notes: &mut Vec<String>,
) -> Option<PathBuf> {
    if opts.var("PYTHONNOUSERSITE").is_some() {
        notes.push("user site-packages disabled by PYTHONNOUSERSITE".to_string());
        return None;
    }
    let xy = xy?;
    let dir = if cfg!(windows) {
        let base = opts
            .var("PYTHONUSERBASE")
            .map(PathBuf::from)
            .or_else(|| opts.var("APPDATA").map(|a| Path::new(a).join("Python")))?;
        base.join(format!("Python{}", xy.replace('.', "")))
            .join("site-packages")
    } else {
        let base = opts
            .var("PYTHONUSERBASE")
            .map(PathBuf::from)
            .or_else(|| opts.var("HOME").map(|h| Path::new(h).join(".local")))?;
        base.join("lib")
            .join(format!("python{xy}"))
            .join("site-packages")
    };
    let dir = opts.abs(&dir);
    dir.is_dir().then_some(dir)
}

/// What an isolated interpreter says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
struct InterpreterInfo {
    version: String,
    executable: Option<PathBuf>,
    prefix: PathBuf,
    base_prefix: PathBuf,
    purelib: Option<PathBuf>,
    platlib: Option<PathBuf>,
    base_purelib: Option<PathBuf>,
    base_platlib: Option<PathBuf>,
    stdlib: Option<PathBuf>,
    user_site: Option<PathBuf>,
}

/// Runs with `-I -S`: no site-packages, no `.pth`, no user site, no PYTHON* variables. Works on
/// Python 2.7 to 3.13 (no f-strings). The user site path is computed by sysconfig, not site.
const QUERY: &str = r#"
import sys, os, sysconfig, json
def paths(v):
    try:
        p = sysconfig.get_paths(vars=v) if v else sysconfig.get_paths()
        return p.get('purelib'), p.get('platlib'), p.get('stdlib')
    except Exception:
        return None, None, None
bp = getattr(sys, 'base_prefix', sys.prefix)
bep = getattr(sys, 'base_exec_prefix', sys.exec_prefix)
pl, ql, sl = paths(None)
bl, bql, _ = paths({'base': bp, 'platbase': bep, 'installed_base': bp, 'installed_platbase': bep})
try:
    scheme = sysconfig._get_preferred_scheme('user')
except Exception:
    scheme = os.name + '_user'
try:
    us = sysconfig.get_path('purelib', scheme)
except Exception:
    us = None
print(json.dumps({'version': '%d.%d.%d' % tuple(sys.version_info[:3]),
  'executable': sys.executable, 'prefix': sys.prefix, 'base_prefix': bp,
  'purelib': pl, 'platlib': ql, 'stdlib': sl, 'base_purelib': bl, 'base_platlib': bql,
  'user_site': us}))
"#;

const QUERY_TIMEOUT: Duration = Duration::from_secs(15);

fn ask_interpreter(python: &Path) -> Result<InterpreterInfo, DiscoverError> {
    let path = python.display().to_string();
    let mut child = Command::new(python)
        .args(["-I", "-S", "-c", QUERY])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| DiscoverError::Spawn {
            path: path.clone(),
            source,
        })?;
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() > QUERY_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(DiscoverError::Timeout {
                    path,
                    seconds: QUERY_TIMEOUT.as_secs(),
                });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(source) => return Err(DiscoverError::Spawn { path, source }),
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|source| DiscoverError::Spawn {
            path: path.clone(),
            source,
        })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(DiscoverError::Interpreter {
            path,
            reason: format!(
                "{}: {}",
                out.status,
                err.lines().last().unwrap_or("").trim()
            ),
        });
    }
    parse_query_output(&out.stdout).map_err(|reason| DiscoverError::Interpreter { path, reason })
}

fn parse_query_output(stdout: &[u8]) -> Result<InterpreterInfo, String> {
    let text = String::from_utf8_lossy(stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .ok_or_else(|| "no JSON in output".to_string())?;
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("bad JSON output: {e}"))?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let p = |k: &str| s(k).filter(|x| !x.is_empty()).map(PathBuf::from);
    Ok(InterpreterInfo {
        version: s("version").ok_or("no version in output")?,
        executable: p("executable"),
        prefix: p("prefix").ok_or("no prefix in output")?,
        base_prefix: p("base_prefix").ok_or("no base_prefix in output")?,
        purelib: p("purelib"),
        platlib: p("platlib"),
        base_purelib: p("base_purelib"),
        base_platlib: p("base_platlib"),
        stdlib: p("stdlib"),
        user_site: p("user_site"),
    })
}

/// `--python PATH`: ask the interpreter (isolated), then read its prefix's files.
fn from_interpreter(python: &Path, opts: &DiscoverOptions) -> Result<Environment, DiscoverError> {
    // Under -S, sys.prefix is not switched to a venv (site.venv() does that): look for
    // pyvenv.cfg beside the interpreter or one level up, as site.py does, and read it statically.
    let info = ask_interpreter(python)?;
    let exe_dirs = [Some(python.to_path_buf()), info.executable.clone()];
    for exe in exe_dirs.iter().flatten() {
        let Some(bin) = exe.parent() else { continue };
        for dir in [Some(bin), bin.parent()].into_iter().flatten() {
            if dir.join("pyvenv.cfg").is_file() {
                let mut env = from_dir(dir, opts)?;
                if env.python_version.is_none() {
                    env.python_version = Some(info.version.clone());
                }
                env.python = Some(python.to_path_buf());
                env.notes.insert(
                    0,
                    format!(
                        "asked {} (-I -S): Python {}, venv {}",
                        python.display(),
                        info.version,
                        dir.display()
                    ),
                );
                return Ok(env);
            }
        }
    }
    let mut notes = vec![format!(
        "asked {} (-I -S): Python {}, prefix {}",
        python.display(),
        info.version,
        info.prefix.display()
    )];
    let prefix = info.prefix.clone();
    let is_venv = normalize(&info.prefix) != normalize(&info.base_prefix);
    let cfg = if is_venv {
        std::fs::read(prefix.join("pyvenv.cfg"))
            .map(|b| parse_pyvenv_cfg(&String::from_utf8_lossy(&b)))
            .unwrap_or_default()
    } else {
        PyvenvCfg::default()
    };
    let kind = if is_venv {
        EnvKind::Venv
    } else if prefix.join("conda-meta").is_dir() {
        EnvKind::Conda
    } else {
        EnvKind::System
    };
    let xy = major_minor(&info.version);
    let mut site_dirs = Vec::new();
    if !is_venv || cfg.include_system_site_packages {
        if opts.var("PYTHONNOUSERSITE").is_some() {
            notes.push("user site-packages disabled by PYTHONNOUSERSITE".to_string());
        } else if let Some(u) = info.user_site.as_ref().filter(|u| u.is_dir()) {
            notes.push(format!("user site-packages enabled: {}", u.display()));
            site_dirs.push(u.clone());
        }
    }
    site_dirs.extend(info.purelib.iter().cloned());
    site_dirs.extend(info.platlib.iter().cloned());
    site_dirs.extend(layout_site_dirs(&prefix, Some(&xy)));
    if is_venv && cfg.include_system_site_packages {
        notes.push(format!(
            "include-system-site-packages = true: base prefix {}",
            info.base_prefix.display()
        ));
        site_dirs.extend(info.base_purelib.iter().cloned());
        site_dirs.extend(info.base_platlib.iter().cloned());
        site_dirs.extend(layout_site_dirs(&info.base_prefix, Some(&xy)));
    }
    site_dirs.retain(|d| d.is_dir());
    let marker = info
        .stdlib
        .as_ref()
        .map(|s| s.join("EXTERNALLY-MANAGED"))
        .filter(|m| m.is_file());
    let externally_managed = match marker {
        Some(m) if is_venv => {
            notes.push(format!(
                "base interpreter is externally managed ({}); ignored inside a venv",
                m.display()
            ));
            false
        }
        Some(_) => true,
        None => false,
    };
    let site_packages = expand_pth(&site_dirs, &mut notes);
    Ok(Environment {
        // A launcher (pyenv shim, wrapper script) is replaced by the interpreter it started.
        python: Some(
            info.executable
                .clone()
                .filter(|e| e.is_file())
                .unwrap_or_else(|| python.to_path_buf()),
        ),
        python_version: Some(info.version),
        prefix,
        kind,
        site_packages,
        include_system_site_packages: is_venv && cfg.include_system_site_packages,
        externally_managed,
        notes,
    })
}

/// `site.addsitedir` as data: each site directory, then the existing directories its `.pth`
/// files name (sorted by file name, hidden files skipped), without duplicates. `import` lines are
/// recorded, not run.
pub fn expand_pth(site_dirs: &[PathBuf], notes: &mut Vec<String>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for dir in site_dirs {
        if !dir.is_dir() || !seen.insert(canonical(dir)) {
            continue;
        }
        out.push(dir.clone());
        let mut pths: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .flatten()
                .filter(|e| {
                    let n = e.file_name();
                    let n = n.to_string_lossy();
                    n.ends_with(".pth") && !n.starts_with('.')
                })
                .map(|e| e.path())
                .collect(),
            Err(e) => {
                notes.push(format!("{}: cannot list: {e}", dir.display()));
                continue;
            }
        };
        pths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        for pth in pths {
            let bytes = match std::fs::read(&pth) {
                Ok(b) => b,
                Err(e) => {
                    notes.push(format!("{}: cannot read: {e}", pth.display()));
                    continue;
                }
            };
            let text = match std::str::from_utf8(&bytes) {
                Ok(t) => t.trim_start_matches('\u{feff}').to_string(),
                Err(_) => {
                    notes.push(format!("{}: not UTF-8, read lossily", pth.display()));
                    String::from_utf8_lossy(&bytes).into_owned()
                }
            };
            for line in text.lines() {
                if line.starts_with('#') || line.trim().is_empty() {
                    continue;
                }
                if line.starts_with("import ") || line.starts_with("import\t") {
                    let shown: String = line.chars().take(80).collect();
                    notes.push(format!(
                        "{}: import line not executed: {shown}{}",
                        pth.display(),
                        if line.chars().count() > 80 { "…" } else { "" }
                    ));
                    continue;
                }
                let p = normalize(&dir.join(line.trim_end()));
                if p.is_dir() && seen.insert(canonical(&p)) {
                    out.push(p);
                }
            }
        }
    }
    out
}

fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

fn canonical_set(paths: &[PathBuf]) -> HashSet<PathBuf> {
    paths.iter().map(|p| canonical(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// CPython 3.11.7, or `None` (not run) / a failure under CI (`crate::test_support`).
    fn py311() -> Option<PathBuf> {
        use crate::test_support::{find_python, require};
        require(find_python("3.11.7"), "CPython 3.11.7")
    }

    fn opts(cwd: &Path, vars: &[(&str, &Path)]) -> DiscoverOptions {
        DiscoverOptions {
            cwd: cwd.to_path_buf(),
            env_vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.as_os_str().to_os_string()))
                .collect(),
            ..Default::default()
        }
    }

    fn make_venv(python: &Path, dir: &Path, system_site: bool) {
        let mut cmd = Command::new(python);
        cmd.args(["-m", "venv", "--without-pip"]);
        if system_site {
            cmd.arg("--system-site-packages");
        }
        let st = cmd.arg(dir).status().expect("run venv");
        assert!(st.success());
    }

    /// A hand-made venv with a fake base prefix, no interpreter needed.
    fn fake_venv(root: &Path, system_site: bool) -> (PathBuf, PathBuf) {
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

    #[test]
    fn pyvenv_cfg_keys() {
        let c = parse_pyvenv_cfg(
            "home = /usr/bin\nimplementation = CPython\nversion_info = 3.12.1.final.0\ninclude-system-site-packages = TRUE\n",
        );
        assert_eq!(c.home, Some(PathBuf::from("/usr/bin")));
        assert_eq!(c.version.as_deref(), Some("3.12.1"));
        assert!(c.include_system_site_packages);
        let c = parse_pyvenv_cfg("version = 3.11.7\nversion_info = 3.11.7.final.0\n");
        assert_eq!(c.version.as_deref(), Some("3.11.7"));
        assert!(!parse_pyvenv_cfg("garbage\n=\n").include_system_site_packages);
    }

    #[test]
    fn lib_names_and_site_prefix() {
        assert_eq!(version_from_lib_name("python3.11").as_deref(), Some("3.11"));
        assert_eq!(
            version_from_lib_name("python3.13t").as_deref(),
            Some("3.13")
        );
        assert_eq!(version_from_lib_name("python3"), None);
        assert_eq!(version_from_lib_name("pythonx.y"), None);
        let (p, v) = prefix_from_site_dir(Path::new("/e/lib/python3.11/site-packages")).unwrap();
        assert_eq!((p, v.as_deref()), (PathBuf::from("/e"), Some("3.11")));
        let (p, v) = prefix_from_site_dir(Path::new("C:/e/Lib/site-packages")).unwrap();
        assert_eq!((p, v), (PathBuf::from("C:/e"), None));
        assert!(prefix_from_site_dir(Path::new("/tmp/whatever")).is_none());
    }

    #[test]
    fn fake_venv_static_and_system_site() {
        let t = tempfile::tempdir().unwrap();
        let (venv, base) = fake_venv(t.path(), true);
        let env = discover(&DiscoverOptions {
            env: Some(venv.clone()),
            ..opts(t.path(), &[])
        })
        .unwrap();
        assert_eq!(env.kind, EnvKind::Venv);
        assert_eq!(env.python_version.as_deref(), Some("3.11.7"));
        assert!(env.include_system_site_packages);
        assert!(!env.externally_managed, "PEP 668 marker ignored in venvs");
        assert_eq!(
            env.site_packages,
            vec![
                venv.join("lib/python3.11/site-packages"),
                base.join("lib/python3.11/site-packages")
            ]
        );
        // Without system site: only the venv's own.
        let t2 = tempfile::tempdir().unwrap();
        let (venv2, _) = fake_venv(t2.path(), false);
        let env = discover(&DiscoverOptions {
            env: Some(venv2.clone()),
            ..opts(t2.path(), &[])
        })
        .unwrap();
        assert_eq!(
            env.site_packages,
            vec![venv2.join("lib/python3.11/site-packages")]
        );
    }

    #[test]
    fn base_prefix_externally_managed_and_user_site() {
        let t = tempfile::tempdir().unwrap();
        let (_, base) = fake_venv(t.path(), false);
        let home = t.path().join("home");
        let user = home.join(".local/lib/python3.11/site-packages");
        fs::create_dir_all(&user).unwrap();
        let env = discover(&DiscoverOptions {
            env: Some(base.clone()),
            ..opts(t.path(), &[("HOME", &home)])
        })
        .unwrap();
        assert_eq!(env.kind, EnvKind::System);
        assert!(env.externally_managed);
        assert_eq!(env.python_version.as_deref(), Some("3.11"));
        // user site comes first, like site.main().
        assert_eq!(
            env.site_packages,
            vec![user.clone(), base.join("lib/python3.11/site-packages")]
        );
        let env = discover(&DiscoverOptions {
            env: Some(base.clone()),
            ..opts(
                t.path(),
                &[("HOME", &home), ("PYTHONNOUSERSITE", Path::new("1"))],
            )
        })
        .unwrap();
        assert_eq!(
            env.site_packages,
            vec![base.join("lib/python3.11/site-packages")]
        );
    }

    #[test]
    fn conda_prefix_from_env_var_and_version_from_conda_meta() {
        let t = tempfile::tempdir().unwrap();
        let conda = t.path().join("miniforge/envs/x");
        fs::create_dir_all(conda.join("conda-meta")).unwrap();
        fs::write(
            conda.join("conda-meta/python-3.10.13-hd12c33a_0_cpython.json"),
            "{}",
        )
        .unwrap();
        fs::create_dir_all(conda.join("lib/python3.10/site-packages")).unwrap();
        let env = discover(&opts(
            t.path(),
            &[
                ("CONDA_PREFIX", &conda),
                ("PYTHONNOUSERSITE", Path::new("1")),
            ],
        ))
        .unwrap();
        assert_eq!(env.kind, EnvKind::Conda);
        assert_eq!(env.python_version.as_deref(), Some("3.10.13"));
        assert_eq!(
            env.site_packages,
            vec![conda.join("lib/python3.10/site-packages")]
        );
        assert!(env.notes[0].contains("CONDA_PREFIX"));
    }

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
    fn pth_files_read_as_data() {
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("lib/python3.11/site-packages");
        fs::create_dir_all(site.join("../../../src/editable")).unwrap();
        fs::create_dir_all(site.join("extra")).unwrap();
        let marker = t.path().join("pwned");
        fs::write(
            site.join("b.pth"),
            format!(
                "# comment\nimport os; open({:?}, 'w')\n\n../../../src/editable\nmissing-dir\n",
                marker.display().to_string()
            ),
        )
        .unwrap();
        fs::write(site.join("a.pth"), "extra\n").unwrap();
        fs::write(site.join(".hidden.pth"), "/\n").unwrap();
        fs::write(site.join("z.pth"), b"\xff\xfe garbage\n").unwrap();
        let env = discover(&DiscoverOptions {
            site_packages: vec![site.clone()],
            ..opts(t.path(), &[])
        })
        .unwrap();
        assert_eq!(env.kind, EnvKind::SitePackagesOnly);
        assert_eq!(env.prefix, t.path());
        assert_eq!(env.python_version.as_deref(), Some("3.11"));
        assert_eq!(
            env.site_packages,
            vec![
                site.clone(),
                site.join("extra"),
                t.path().join("src/editable")
            ]
        );
        assert!(env
            .notes
            .iter()
            .any(|n| n.contains("b.pth") && n.contains("import line not executed")));
        assert!(env
            .notes
            .iter()
            .any(|n| n.contains("z.pth") && n.contains("UTF-8")));
        assert!(!marker.exists(), "an import line was executed");
    }

    #[test]
    fn not_an_environment() {
        let t = tempfile::tempdir().unwrap();
        let err = discover(&DiscoverOptions {
            env: Some(t.path().to_path_buf()),
            ..opts(t.path(), &[])
        })
        .unwrap_err();
        assert!(err.to_string().contains(&t.path().display().to_string()));
        let err = discover(&DiscoverOptions {
            env: Some(t.path().join("nope")),
            ..opts(t.path(), &[])
        })
        .unwrap_err();
        assert!(matches!(err, DiscoverError::NotADirectory { .. }));
    }

    #[test]
    fn query_output_parsing() {
        let info = parse_query_output(
            br#"{"version": "3.11.7", "executable": "/x/bin/python", "prefix": "/v", "base_prefix": "/x", "purelib": "/v/lib/python3.11/site-packages", "platlib": null, "stdlib": "/x/lib/python3.11", "base_purelib": null, "base_platlib": null, "user_site": null}"#,
        )
        .unwrap();
        assert_eq!(info.version, "3.11.7");
        assert_eq!(info.platlib, None);
        assert!(parse_query_output(b"Traceback").is_err());
        assert!(parse_query_output(b"{\"prefix\": 1}").is_err());
    }

    #[test]
    fn real_venv_via_env_virtual_env_and_python() {
        let Some(py) = py311() else {
            return;
        };
        let t = tempfile::tempdir().unwrap();
        let venv = t.path().join("v");
        make_venv(&py, &venv, false);
        let site = venv.join("lib/python3.11/site-packages");
        fs::write(site.join("x.pth"), "import sys\n").unwrap();

        let by_env = discover(&DiscoverOptions {
            env: Some(venv.clone()),
            ..opts(t.path(), &[])
        })
        .unwrap();
        assert_eq!(by_env.kind, EnvKind::Venv);
        assert_eq!(by_env.python_version.as_deref(), Some("3.11.7"));
        assert_eq!(by_env.site_packages, vec![site.clone()]);
        assert_eq!(by_env.python, Some(venv.join("bin/python3")));
        assert!(!by_env.include_system_site_packages);

        let by_var = discover(&opts(t.path(), &[("VIRTUAL_ENV", &venv)])).unwrap();
        assert_eq!(by_var.site_packages, by_env.site_packages);
        assert_eq!(by_var.prefix, venv);

        // --python: the interpreter is asked, isolated.
        let by_python = discover(&DiscoverOptions {
            python: Some(venv.join("bin/python")),
            ..opts(t.path(), &[])
        })
        .unwrap();
        assert_eq!(by_python.kind, EnvKind::Venv);
        assert_eq!(by_python.python_version.as_deref(), Some("3.11.7"));
        assert_eq!(by_python.site_packages, vec![site.clone()]);

        // python3 on PATH (the venv's bin): read from files.
        let by_path = discover(&opts(t.path(), &[("PATH", &venv.join("bin"))])).unwrap();
        assert_eq!(by_path.prefix, venv);
        assert_eq!(by_path.kind, EnvKind::Venv);
    }

    #[test]
    fn real_venv_with_system_site_packages() {
        let Some(py) = py311() else {
            return;
        };
        let t = tempfile::tempdir().unwrap();
        let venv = t.path().join("v");
        make_venv(&py, &venv, true);
        let base_site = py
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("lib/python3.11/site-packages");
        let nouser = [("PYTHONNOUSERSITE", Path::new("1"))];
        for o in [
            DiscoverOptions {
                env: Some(venv.clone()),
                ..opts(t.path(), &nouser)
            },
            DiscoverOptions {
                python: Some(venv.join("bin/python")),
                ..opts(t.path(), &nouser)
            },
        ] {
            let env = discover(&o).unwrap();
            assert!(env.include_system_site_packages);
            assert_eq!(
                env.site_packages[0],
                venv.join("lib/python3.11/site-packages")
            );
            assert!(
                env.site_packages
                    .iter()
                    .any(|p| canonical(p) == canonical(&base_site)),
                "{:?}",
                env.site_packages
            );
        }
    }

    #[test]
    fn windows_layout() {
        let t = tempfile::tempdir().unwrap();
        let venv = t.path().join("winvenv");
        fs::create_dir_all(venv.join("Lib/site-packages")).unwrap();
        fs::create_dir_all(venv.join("Scripts")).unwrap();
        fs::write(venv.join("Scripts/python.exe"), "MZ").unwrap();
        fs::write(
            venv.join("pyvenv.cfg"),
            "home = C:\\Python311\r\ninclude-system-site-packages = false\r\nversion = 3.11.7\r\n",
        )
        .unwrap();
        let env = discover(&DiscoverOptions {
            env: Some(venv.clone()),
            ..opts(t.path(), &[])
        })
        .unwrap();
        assert_eq!(env.kind, EnvKind::Venv);
        assert_eq!(env.python_version.as_deref(), Some("3.11.7"));
        assert_eq!(env.python, Some(venv.join("Scripts/python.exe")));
        assert_eq!(env.site_packages, vec![venv.join("Lib/site-packages")]);
    }

    #[test]
    fn real_base_interpreter_via_python() {
        let Some(py) = py311() else {
            return;
        };
        let t = tempfile::tempdir().unwrap();
        let env = discover(&DiscoverOptions {
            python: Some(py.clone()),
            ..opts(t.path(), &[("PYTHONNOUSERSITE", Path::new("1"))])
        })
        .unwrap();
        assert_eq!(env.kind, EnvKind::System);
        assert_eq!(env.python_version.as_deref(), Some("3.11.7"));
        let base_site = py
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .join("lib/python3.11/site-packages");
        assert_eq!(canonical(&env.site_packages[0]), canonical(&base_site));
        // The same prefix read statically agrees (patchlevel.h gives the full version).
        let by_env = discover(&DiscoverOptions {
            env: Some(py.parent().unwrap().parent().unwrap().to_path_buf()),
            ..opts(t.path(), &[("PYTHONNOUSERSITE", Path::new("1"))])
        })
        .unwrap();
        assert_eq!(by_env.python_version.as_deref(), Some("3.11.7"));
        assert_eq!(by_env.site_packages[0], base_site);
    }

    #[test]
    fn real_venv_then_inventory_and_numpy() {
        let Some(py) = py311() else {
            return;
        };
        let t = tempfile::tempdir().unwrap();
        let venv = t.path().join("v");
        make_venv(&py, &venv, false);
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
}
