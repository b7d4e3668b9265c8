//! Asking the interpreter itself, for when the files cannot tell (`--python`, a prefix with
//! several `lib/pythonX.Y`): it runs `probe.py` (next to this file) isolated, with `-I -S`, so
//! that no site-packages code, `.pth` file, `sitecustomize` or `PYTHON*` variable is involved.

use super::layout::{from_dir, layout_site_dirs, major_minor};
use super::pth::expand_pth;
use super::pyvenv_cfg::{parse_pyvenv_cfg, PyvenvCfg};
use super::{DiscoverError, DiscoverOptions, EnvKind, Environment, Source};
use crate::paths::normalize;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What an isolated interpreter says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct InterpreterInfo {
    pub(super) version: String,
    pub(super) executable: Option<PathBuf>,
    pub(super) prefix: PathBuf,
    pub(super) base_prefix: PathBuf,
    pub(super) purelib: Option<PathBuf>,
    pub(super) platlib: Option<PathBuf>,
    pub(super) base_purelib: Option<PathBuf>,
    pub(super) base_platlib: Option<PathBuf>,
    pub(super) stdlib: Option<PathBuf>,
    pub(super) user_site: Option<PathBuf>,
}

/// The probe: run as `-c` with `-I -S`. What it prints is parsed by [`parse_query_output`].
const QUERY: &str = include_str!("probe.py");

/// A hung interpreter (a wrapper script waiting on a lock, a network home) must not hang the scan.
const QUERY_TIMEOUT: Duration = Duration::from_secs(15);

/// Most a probe may print on either pipe; the answer is one line of a few hundred bytes.
const PIPE_LIMIT: u64 = 1 << 20;

/// Run the probe. The interpreter runs isolated (`-I`: no `PYTHON*` variables, no user site, no
/// script directory on the path), without `site` (`-S`: no `.pth`, no sitecustomize), without
/// writing bytecode (`-B` and `PYTHONDONTWRITEBYTECODE=1`), from an empty working directory, with
/// stdin closed. Both pipes are drained at once, each up to [`PIPE_LIMIT`], so a chatty
/// interpreter can neither deadlock on a full pipe nor fill our memory.
pub(super) fn ask_interpreter(python: &Path) -> Result<InterpreterInfo, DiscoverError> {
    let path = python.display().to_string();
    let spawn_err = |source| DiscoverError::Spawn {
        path: path.clone(),
        source,
    };
    let cwd = tempfile::tempdir().map_err(spawn_err)?;
    let mut child = Command::new(python)
        .args(["-I", "-S", "-B", "-c", QUERY])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(cwd.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(spawn_err)?;
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = (&mut p).take(PIPE_LIMIT).read_to_end(&mut buf);
                // Keep reading (and discarding) so the child never blocks on a full pipe.
                let _ = std::io::copy(&mut p, &mut std::io::sink());
            }
            buf
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
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
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        let err = String::from_utf8_lossy(&stderr);
        return Err(DiscoverError::Interpreter {
            path,
            reason: format!("{status}: {}", err.lines().last().unwrap_or("").trim()),
        });
    }
    parse_query_output(&stdout).map_err(|reason| DiscoverError::Interpreter { path, reason })
}

/// May the interpreter found inside an environment directory be run to ask its version? Only
/// when it is a compiled interpreter (not a script) that resolves, through symlinks, to a file
/// outside the environment, and, for a venv, lives in the directory `pyvenv.cfg`'s `home` names
/// (CPython finds its standard library from `home`, so a planted `home` would make even a real
/// interpreter import planted modules). Anything inside the environment is the environment's
/// code, which static modes never run.
pub(super) fn trusted_env_interpreter(
    python: &Path,
    env_dir: &Path,
    home: Option<&Path>,
) -> Result<PathBuf, String> {
    let real = std::fs::canonicalize(python)
        .map_err(|e| format!("{}: cannot resolve: {e}", python.display()))?;
    let dir = std::fs::canonicalize(env_dir).unwrap_or_else(|_| env_dir.to_path_buf());
    if real.starts_with(&dir) {
        return Err(format!(
            "{} is inside the environment{}; running it would run the environment's own code",
            python.display(),
            if real != python {
                format!(" (it resolves to {})", real.display())
            } else {
                String::new()
            }
        ));
    }
    let mut head = [0u8; 4];
    let compiled = crate::fsread::open_regular(&real)
        .ok()
        .and_then(|(mut f, _)| f.read_exact(&mut head).ok())
        .is_some_and(|_| crate::binary::sniff(&head).is_some());
    if !compiled {
        return Err(format!(
            "{} (resolves to {}) is not a compiled interpreter",
            python.display(),
            real.display()
        ));
    }
    if let Some(home) = home {
        let home_c = std::fs::canonicalize(home).unwrap_or_else(|_| home.to_path_buf());
        if real.parent() != Some(home_c.as_path()) {
            return Err(format!(
                "pyvenv.cfg says home = {} but {} resolves to {}",
                home.display(),
                python.display(),
                real.display()
            ));
        }
    }
    Ok(real)
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
pub(super) fn from_interpreter(
    python: &Path,
    source: Source,
    opts: &DiscoverOptions,
) -> Result<Environment, DiscoverError> {
    // Under -S, sys.prefix is not switched to a venv (site.venv() does that): look for
    // pyvenv.cfg beside the interpreter or one level up, as site.py does, and read it statically.
    let info = ask_interpreter(python)?;
    let exe_dirs = [Some(python.to_path_buf()), info.executable.clone()];
    for exe in exe_dirs.iter().flatten() {
        let Some(bin) = exe.parent() else { continue };
        for dir in [Some(bin), bin.parent()].into_iter().flatten() {
            if dir.join("pyvenv.cfg").is_file() {
                let mut env = from_dir(dir, source, opts)?;
                if env.python_version.is_none() {
                    env.python_version = Some(info.version.clone());
                }
                env.python = Some(python.to_path_buf());
                env.notes.insert(
                    0,
                    format!(
                        "asked {} (-I -S -B): Python {}, venv {}",
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
        "asked {} (-I -S -B): Python {}, prefix {}",
        python.display(),
        info.version,
        info.prefix.display()
    )];
    let prefix = info.prefix.clone();
    let is_venv = normalize(&info.prefix) != normalize(&info.base_prefix);
    let cfg = if is_venv {
        crate::fsread::read_text(&prefix.join("pyvenv.cfg"), crate::fsread::Limit::Small)
            .map(|t| parse_pyvenv_cfg(&t))
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
    // sys.path order of CPython's Lib/site.py `main()`: `venv()` puts a venv's own
    // site-packages first, then `addusersitepackages()`, then `addsitepackages()` (the base
    // prefix's, for a venv with system site-packages). Outside a venv the user site is first.
    let mut own: Vec<PathBuf> = info.purelib.iter().cloned().collect();
    own.extend(info.platlib.iter().cloned());
    own.extend(layout_site_dirs(&prefix, Some(&xy)));
    let mut site_dirs = Vec::new();
    if is_venv {
        site_dirs.append(&mut own);
    }
    if !is_venv || cfg.include_system_site_packages {
        if opts.var("PYTHONNOUSERSITE").is_some() {
            notes.push("user site-packages disabled by PYTHONNOUSERSITE".to_string());
        } else if let Some(u) = info.user_site.as_ref().filter(|u| u.is_dir()) {
            notes.push(format!("user site-packages enabled: {}", u.display()));
            site_dirs.push(u.clone());
        }
    }
    site_dirs.extend(own);
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
        source,
        site_packages,
        include_system_site_packages: is_venv && cfg.include_system_site_packages,
        externally_managed,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::opts;
    use super::super::pth::canonical;
    use super::super::{discover, DiscoverOptions, EnvKind};
    use super::*;
    use crate::test_support::{self, make_venv};
    use std::path::Path;

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
    fn real_base_interpreter_via_python() {
        let Some(py) = test_support::python("3.11") else {
            return;
        };
        let t = tempfile::tempdir().unwrap();
        let env = discover(&DiscoverOptions {
            python: Some(py.path.clone()),
            ..opts(t.path(), &[("PYTHONNOUSERSITE", Path::new("1"))])
        })
        .unwrap();
        assert_eq!(env.kind, EnvKind::System);
        assert_eq!(env.python_version.as_deref(), Some(py.version.as_str()));
        let base_site = py.prefix.join("lib/python3.11/site-packages");
        assert_eq!(canonical(&env.site_packages[0]), canonical(&base_site));
        // The same prefix read statically agrees (patchlevel.h gives the full version).
        let by_env = discover(&DiscoverOptions {
            env: Some(py.prefix.clone()),
            ..opts(t.path(), &[("PYTHONNOUSERSITE", Path::new("1"))])
        })
        .unwrap();
        assert_eq!(by_env.python_version.as_deref(), Some(py.version.as_str()));
        assert_eq!(by_env.site_packages[0], base_site);
    }

    #[test]
    fn real_venv_with_system_site_packages() {
        let Some(py) = test_support::python("3.11") else {
            return;
        };
        let t = tempfile::tempdir().unwrap();
        let venv = t.path().join("v");
        make_venv(&py.path, &venv, true);
        let base_site = py.prefix.join("lib/python3.11/site-packages");
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
    fn probe_on_a_real_interpreter() {
        let Some(py) = test_support::python("3.11") else {
            return;
        };
        let info = ask_interpreter(&py.path).unwrap();
        assert_eq!(info.version, py.version);
        assert_eq!(info.prefix, py.prefix);
        assert_eq!(info.base_prefix, py.prefix);
        assert_eq!(info.executable.as_deref(), Some(py.path.as_path()));
        assert!(info.stdlib.is_some() && info.purelib.is_some());
    }
}
