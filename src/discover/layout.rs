//! Reading an environment directory statically: the `lib/pythonX.Y` (POSIX) or `Lib` (Windows)
//! layout of CPython's `sysconfig` install schemes, the site directories it implies, the full
//! version from `patchlevel.h` or `conda-meta/`, PEP 668's `EXTERNALLY-MANAGED` marker and the
//! user site directory, so that the interpreter is only asked when the files cannot tell.

use super::interpreter::{ask_interpreter, trusted_env_interpreter, InterpreterInfo};
use super::pth::{canonical, expand_pth};
use super::pyvenv_cfg::{parse_pyvenv_cfg, PyvenvCfg};
use super::{DiscoverError, DiscoverOptions, EnvKind, Environment, Source};
use crate::fsread::{read_bounded, read_text, Limit};
use crate::paths::{prefix_from_site_dir, version_from_lib_name};
use std::collections::HashSet;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// `--site-packages` alone: the prefix and `X.Y` are guessed from the first directory's layout.
pub(super) fn site_packages_only(dirs: &[PathBuf]) -> Environment {
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
        source: Source::SitePackagesOption,
        site_packages,
        include_system_site_packages: false,
        externally_managed: false,
        notes,
    }
}

/// `(version, dir)` for each `<prefix>/lib*/pythonX.Y` directory, sorted.
pub(super) fn python_lib_dirs(prefix: &Path) -> Vec<(String, PathBuf)> {
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

/// `PY_VERSION "3.11.7"` from `<prefix>/include/pythonX.Y/patchlevel.h`.
fn patchlevel_version(prefix: &Path, xy: &str) -> Option<String> {
    for inc in [format!("python{xy}"), format!("python{xy}t")] {
        let header = prefix.join("include").join(inc).join("patchlevel.h");
        let Ok(text) = read_text(&header, Limit::Metadata) else {
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
pub(super) fn from_dir(
    dir: &Path,
    source: Source,
    opts: &DiscoverOptions,
) -> Result<Environment, DiscoverError> {
    if !dir.is_dir() {
        return Err(DiscoverError::NotADirectory {
            path: dir.display().to_string(),
        });
    }
    let mut notes = Vec::new();
    let cfg_path = dir.join("pyvenv.cfg");
    let cfg = if cfg_path.is_file() {
        match read_bounded(&cfg_path, Limit::Small) {
            Ok(bytes) => {
                if std::str::from_utf8(&bytes).is_err() {
                    notes.push(format!("{}: not UTF-8, read lossily", cfg_path.display()));
                }
                Some(parse_pyvenv_cfg(&String::from_utf8_lossy(&bytes)))
            }
            Err(e) => {
                notes.push(e.to_string());
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
            let home = cfg.home.as_deref().map(|h| opts.abs(h));
            match trusted_env_interpreter(py, dir, home.as_deref()) {
                Ok(_) => match ask_interpreter(py) {
                    Ok(info) => {
                        version = Some(info.version.clone());
                        asked = Some(info);
                    }
                    Err(e) => notes.push(format!("python version unknown: {e}")),
                },
                Err(why) => notes.push(format!(
                    "python version unknown: the files do not say, and {why}; not run. Pass \
                     --python with the interpreter of this environment to ask it"
                )),
            }
        }
    }
    let xy = version.as_deref().map(major_minor);

    // sys.path order, as CPython's Lib/site.py `main()` builds it: `venv()` adds a venv's own
    // site-packages first ("Doing this here ensures venv takes precedence over user-site"), then
    // `addusersitepackages()` the user site, then `addsitepackages()` the prefixes' (for a venv
    // with include-system-site-packages, the base prefix's). Outside a venv the user site comes
    // before the prefix's site-packages.
    let mut site_dirs = Vec::new();
    let user_site = if kind != EnvKind::Venv || cfg.include_system_site_packages {
        user_site_dir(opts, xy.as_deref(), &mut notes)
    } else {
        None
    };
    let mut own = layout_site_dirs(dir, xy.as_deref());
    if let Some(info) = &asked {
        own.extend(info.purelib.iter().cloned());
        own.extend(info.platlib.iter().cloned());
    }
    if kind == EnvKind::Venv {
        site_dirs.append(&mut own);
    }
    if let Some(u) = user_site {
        notes.push(format!("user site-packages enabled: {}", u.display()));
        site_dirs.push(u);
    }
    site_dirs.extend(own);
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
        source,
        site_packages,
        include_system_site_packages: kind == EnvKind::Venv && cfg.include_system_site_packages,
        externally_managed,
        notes,
    })
}

pub(super) fn major_minor(v: &str) -> String {
    v.split('.').take(2).collect::<Vec<_>>().join(".")
}

/// Site directories of a prefix by layout: `lib/pythonX.Y/site-packages`, `lib64/...`,
/// `Lib/site-packages`, and Debian's `dist-packages` for `/usr`.
pub(super) fn layout_site_dirs(prefix: &Path, xy: Option<&str>) -> Vec<PathBuf> {
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::{fake_venv, opts};
    use super::super::{discover, DiscoverError, DiscoverOptions, EnvKind};
    use std::fs;
    use std::path::Path;

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

    /// Issue 9's recipe, by hand: a venv with include-system-site-packages and a user site from
    /// PYTHONUSERBASE. CPython's site.py adds the venv's site-packages in `venv()`, then the user
    /// site, then the base prefix's; the user site must not come first. Outside a venv the user
    /// site does come before the prefix's site-packages.
    #[test]
    fn system_site_venv_with_user_site_in_site_py_order() {
        let t = tempfile::tempdir().unwrap();
        let (venv, base) = fake_venv(t.path(), true);
        let ub = t.path().join("ub");
        let user = ub.join("lib/python3.11/site-packages");
        fs::create_dir_all(&user).unwrap();
        let env = discover(&DiscoverOptions {
            env: Some(venv.clone()),
            ..opts(t.path(), &[("PYTHONUSERBASE", &ub)])
        })
        .unwrap();
        assert_eq!(
            env.site_packages,
            vec![
                venv.join("lib/python3.11/site-packages"),
                user.clone(),
                base.join("lib/python3.11/site-packages"),
            ]
        );
        let env = discover(&DiscoverOptions {
            env: Some(base.clone()),
            ..opts(t.path(), &[("PYTHONUSERBASE", &ub)])
        })
        .unwrap();
        assert_eq!(
            env.site_packages,
            vec![user, base.join("lib/python3.11/site-packages")]
        );
    }

    #[test]
    fn stale_virtual_env_is_named() {
        let t = tempfile::tempdir().unwrap();
        let gone = t.path().join("deleted-venv");
        let err = discover(&opts(t.path(), &[("VIRTUAL_ENV", &gone)])).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, DiscoverError::StaleVariable { .. }), "{msg}");
        assert!(
            msg.contains("$VIRTUAL_ENV") && msg.contains(&gone.display().to_string()),
            "{msg}"
        );
        // A directory that is not a venv (no pyvenv.cfg, no lib/pythonX.Y).
        let odd = t.path().join("odd");
        fs::create_dir_all(&odd).unwrap();
        let msg = discover(&opts(t.path(), &[("VIRTUAL_ENV", &odd)]))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("$VIRTUAL_ENV is set to") && msg.contains("not a Python environment"),
            "{msg}"
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

    /// Booby-trapped environments whose version the files do not tell: an interpreter inside the
    /// environment (here a shell script) and a `home` that does not hold the interpreter were
    /// both run before; now neither is, and the note says how to proceed.
    #[cfg(unix)]
    #[test]
    fn interpreters_the_environment_controls_are_never_run() {
        use std::os::unix::fs::{symlink, PermissionsExt};
        let t = tempfile::tempdir().unwrap();
        let marker = t.path().join("PWNED");
        let env = t.path().join("E");
        fs::create_dir_all(env.join("bin")).unwrap();
        fs::create_dir_all(env.join("conda-meta")).unwrap();
        let py = env.join("bin/python3");
        fs::write(&py, format!("#!/bin/sh\ntouch {}\n", marker.display())).unwrap();
        fs::set_permissions(&py, fs::Permissions::from_mode(0o755)).unwrap();
        let o = opts(t.path(), &[]);
        let e = discover(&DiscoverOptions {
            env: Some(env.clone()),
            ..o.clone()
        })
        .unwrap();
        assert!(!marker.exists(), "the environment's interpreter ran");
        assert_eq!(e.python_version, None);
        assert!(
            e.notes
                .iter()
                .any(|n| n.contains("inside the environment") && n.contains("--python")),
            "{:?}",
            e.notes
        );

        // A venv whose interpreter links to a real one, but whose `home` is planted.
        let Some(real) = crate::test_support::python("3.11") else {
            return;
        };
        let planted = t.path().join("planted/bin");
        fs::create_dir_all(planted.parent().unwrap().join("lib/python3.11/json")).unwrap();
        fs::create_dir_all(&planted).unwrap();
        fs::write(
            planted
                .parent()
                .unwrap()
                .join("lib/python3.11/json/__init__.py"),
            format!("open({:?}, 'w')\n", marker.display().to_string()),
        )
        .unwrap();
        let venv = t.path().join("V");
        fs::create_dir_all(venv.join("bin")).unwrap();
        // Two lib/pythonX.Y directories: the layout cannot tell the version.
        fs::create_dir_all(venv.join("lib/python3.11/site-packages")).unwrap();
        fs::create_dir_all(venv.join("lib/python3.12/site-packages")).unwrap();
        symlink(&real.path, venv.join("bin/python3")).unwrap();
        fs::write(
            venv.join("pyvenv.cfg"),
            format!("home = {}\n", planted.display()),
        )
        .unwrap();
        let e = discover(&DiscoverOptions {
            env: Some(venv.clone()),
            ..o.clone()
        })
        .unwrap();
        assert!(!marker.exists(), "a planted home was used");
        assert!(
            e.notes.iter().any(|n| n.contains("pyvenv.cfg says home")),
            "{:?}",
            e.notes
        );

        // The same venv with the true `home`: the real interpreter is asked (isolated).
        let real_bin = fs::canonicalize(&real.path).unwrap();
        fs::write(
            venv.join("pyvenv.cfg"),
            format!("home = {}\n", real_bin.parent().unwrap().display()),
        )
        .unwrap();
        let e = discover(&DiscoverOptions {
            env: Some(venv),
            ..o
        })
        .unwrap();
        assert_eq!(
            e.python_version.as_deref(),
            Some(real.version.as_str()),
            "{:?}",
            e.notes
        );
        assert!(!marker.exists());
    }
}
