//! Test-only helpers for unit tests that need something from the machine, a real CPython above all.
//!
//! The policy when it is missing: on CI (`CI` set, non-empty and not `false`) or with
//! `ABI_DOCTOR_STRICT=1` the test fails with the reason, so that a misconfigured runner cannot
//! turn the real-interpreter tests into silent passes; elsewhere it prints
//! `note: not run: <reason>` to stderr and returns.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A real interpreter, checked by running it.
#[derive(Debug, Clone)]
pub(crate) struct Python {
    /// `sys.executable`: the interpreter itself, even when it was found through a pyenv shim.
    pub(crate) path: PathBuf,
    /// `"3.11.7"`.
    pub(crate) version: String,
    /// `sys.prefix`: a base interpreter's own prefix (venvs are refused) with CPython's
    /// self-contained layout, `lib/pythonX.Y/site-packages` and `include/pythonX.Y/patchlevel.h`.
    pub(crate) prefix: PathBuf,
}

/// Whether a missing prerequisite fails the test instead of only noting it.
pub(crate) fn strict() -> bool {
    strict_from(
        std::env::var_os("CI").as_deref(),
        std::env::var_os("ABI_DOCTOR_STRICT").as_deref(),
    )
}

fn strict_from(ci: Option<&OsStr>, strict: Option<&OsStr>) -> bool {
    let ci = ci.is_some_and(|v| !v.is_empty() && !v.eq_ignore_ascii_case("false"));
    ci || strict == Some(OsStr::new("1"))
}

/// A test cannot run for `reason`: panics under [`strict`], otherwise says so on stderr. The
/// caller returns afterwards.
pub(crate) fn not_run(reason: &str) {
    assert!(
        !strict(),
        "cannot run: {reason} (required because CI or ABI_DOCTOR_STRICT=1 is set)"
    );
    eprintln!("note: not run: {reason}");
}

/// A CPython `minor` (`"3.11"`) base interpreter, or `None` after [`not_run`].
///
/// Only the layout of CPython's own `make install` (what pyenv, python.org and
/// python-build-standalone ship) is accepted: tests compare discovery against
/// `<prefix>/lib/pythonX.Y/site-packages` and the full version in `patchlevel.h`, which a distro
/// build (Debian's `dist-packages`, headers in a separate package) does not have.
pub(crate) fn python(minor: &str) -> Option<Python> {
    match find_python(minor, &Search::from_process()) {
        Ok(py) => Some(py),
        Err(reason) => {
            not_run(&reason);
            None
        }
    }
}

/// `python -m venv --without-pip [--system-site-packages] dir`.
pub(crate) fn make_venv(python: &Path, dir: &Path, system_site: bool) {
    let mut cmd = Command::new(python);
    cmd.args(["-m", "venv", "--without-pip"]);
    if system_site {
        cmd.arg("--system-site-packages");
    }
    let st = cmd.arg(dir).status().expect("run venv");
    assert!(
        st.success(),
        "{} -m venv {}: {st}",
        python.display(),
        dir.display()
    );
}

/// Where to look, injectable so that the search itself can be tested.
struct Search {
    /// `$PYENV_ROOT`.
    pyenv_root: Option<PathBuf>,
    /// The command asked for `pyenv root` when `$PYENV_ROOT` has no candidate.
    pyenv_command: Option<OsString>,
    /// `$PATH`, searched for `pythonX.Y` last.
    path: Option<OsString>,
}

impl Search {
    fn from_process() -> Self {
        let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        Search {
            pyenv_root: non_empty("PYENV_ROOT").map(PathBuf::from),
            pyenv_command: Some("pyenv".into()),
            path: non_empty("PATH"),
        }
    }
}

/// `<root>/versions/X.Y.N/bin/pythonX.Y` (or `bin/python`), newest patch release first.
fn pyenv_candidates(root: &Path, minor: &str) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(root.join("versions")) else {
        return Vec::new();
    };
    let mut versions: Vec<(u64, PathBuf)> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let patch = name.strip_prefix(minor)?.strip_prefix('.')?;
            Some((patch.parse().ok()?, e.path()))
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.0));
    versions
        .into_iter()
        .filter_map(|(_, dir)| {
            [format!("bin/python{minor}"), "bin/python".to_string()]
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.is_file())
        })
        .collect()
}

fn pyenv_root_from_command(command: &OsStr) -> Option<PathBuf> {
    let out = Command::new(command)
        .arg("root")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let root = String::from_utf8(out.stdout).ok()?;
    let root = root.trim();
    (out.status.success() && !root.is_empty()).then(|| PathBuf::from(root))
}

fn find_python(minor: &str, search: &Search) -> Result<Python, String> {
    let mut tried = Vec::new();
    let mut rejected = Vec::new();
    let mut check = |candidates: Vec<PathBuf>| {
        candidates
            .into_iter()
            .find_map(|c| match verify(&c, minor) {
                Ok(py) => Some(py),
                Err(why) => {
                    rejected.push(format!("{}: {why}", c.display()));
                    None
                }
            })
    };

    let mut roots_seen = Vec::new();
    match &search.pyenv_root {
        Some(root) => {
            tried.push(format!("$PYENV_ROOT/versions/{minor}.*"));
            if let Some(py) = check(pyenv_candidates(root, minor)) {
                return Ok(py);
            }
            roots_seen.push(root.clone());
        }
        None => tried.push("$PYENV_ROOT (unset)".to_string()),
    }
    match search.pyenv_command.as_deref().map(pyenv_root_from_command) {
        Some(Some(root)) if !roots_seen.contains(&root) => {
            tried.push(format!(
                "{}/versions/{minor}.* (pyenv root)",
                root.display()
            ));
            if let Some(py) = check(pyenv_candidates(&root, minor)) {
                return Ok(py);
            }
        }
        Some(Some(_)) => {}
        Some(None) => tried.push("`pyenv root` (no pyenv command)".to_string()),
        None => {}
    }
    tried.push(format!("python{minor} on PATH"));
    let on_path: Vec<PathBuf> = search
        .path
        .as_deref()
        .map(|p| {
            std::env::split_paths(p)
                .map(|d| d.join(format!("python{minor}")))
                .filter(|c| c.is_file())
                .collect()
        })
        .unwrap_or_default();
    if let Some(py) = check(on_path) {
        return Ok(py);
    }
    let mut reason = format!("no CPython {minor} found (looked at: {})", tried.join(", "));
    if !rejected.is_empty() {
        reason.push_str(&format!("; rejected: {}", rejected.join("; ")));
    }
    Err(reason)
}

/// Run the candidate isolated (`-I -S`: no site-packages, no `PYTHON*` variables) and check
/// that it is a base CPython `minor`.
fn verify(candidate: &Path, minor: &str) -> Result<Python, String> {
    const ASK: &str = "import sys, json; print(json.dumps({'version': '%d.%d.%d' % \
        tuple(sys.version_info[:3]), 'executable': sys.executable, 'prefix': sys.prefix}))";
    let out = Command::new(candidate)
        .args(["-I", "-S", "-c", ASK])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "{}: {}",
            out.status,
            err.lines().last().unwrap_or("").trim()
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("unexpected answer ({e})"))?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let version = s("version");
    if !version.starts_with(&format!("{minor}.")) {
        return Err(format!("is Python {version}"));
    }
    let exe = PathBuf::from(s("executable"));
    let path = if exe.is_file() {
        exe
    } else {
        candidate.to_path_buf()
    };
    // A venv's interpreter would make "base interpreter" tests see a venv (PEP 405: pyvenv.cfg
    // beside the executable or one directory up).
    let bin = path.parent().unwrap_or(Path::new(""));
    if [Some(bin), bin.parent()]
        .into_iter()
        .flatten()
        .any(|d| d.join("pyvenv.cfg").is_file())
    {
        return Err("is a virtual environment's interpreter".to_string());
    }
    let prefix = PathBuf::from(s("prefix"));
    for needed in [
        format!("lib/python{minor}/site-packages"),
        format!("include/python{minor}/patchlevel.h"),
    ] {
        if !prefix.join(&needed).exists() {
            return Err(format!(
                "not CPython's own install layout (no {needed} in {})",
                prefix.display()
            ));
        }
    }
    Ok(Python {
        path,
        version,
        prefix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strictness() {
        let o = |s: &str| Some(OsString::from(s));
        let strict =
            |ci: Option<OsString>, st: Option<OsString>| strict_from(ci.as_deref(), st.as_deref());
        assert!(!strict(None, None));
        assert!(!strict(o(""), None));
        assert!(!strict(o("false"), None));
        assert!(strict(o("true"), None));
        assert!(strict(o("1"), None));
        assert!(strict(None, o("1")));
        assert!(!strict(None, o("0")));
        assert!(strict(o("false"), o("1")));
    }

    /// A fake pyenv root whose "interpreters" are shell scripts answering like the real probe.
    #[cfg(unix)]
    fn fake_python(root: &Path, dir_version: &str, says: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let prefix = root.join("versions").join(dir_version);
        let bin = prefix.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let xy: String = says.split('.').take(2).collect::<Vec<_>>().join(".");
        std::fs::create_dir_all(prefix.join(format!("lib/python{xy}/site-packages"))).unwrap();
        let include = prefix.join(format!("include/python{xy}"));
        std::fs::create_dir_all(&include).unwrap();
        std::fs::write(include.join("patchlevel.h"), "").unwrap();
        let exe = bin.join("python");
        std::fs::write(
            &exe,
            format!(
                "#!/bin/sh\necho '{{\"version\": \"{says}\", \"executable\": \"{}\", \"prefix\": \"{}\"}}'\n",
                exe.display(),
                prefix.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        exe
    }

    #[cfg(unix)]
    #[test]
    fn search_verifies_versions_and_prefers_the_newest_patch() {
        let t = tempfile::tempdir().unwrap();
        let liar = fake_python(t.path(), "3.11.9", "3.12.0");
        let good = fake_python(t.path(), "3.11.4", "3.11.4");
        fake_python(t.path(), "3.11.2", "3.11.2");
        fake_python(t.path(), "3.110.1", "3.110.1");
        let search = Search {
            pyenv_root: Some(t.path().to_path_buf()),
            pyenv_command: None,
            path: None,
        };
        let py = find_python("3.11", &search).unwrap();
        assert_eq!(py.path, good);
        assert_eq!(py.version, "3.11.4");
        assert_eq!(py.prefix, t.path().join("versions/3.11.4"));
        let err = find_python("3.13", &search).unwrap_err();
        assert!(err.contains("no CPython 3.13"), "{err}");
        // With only the liar left, it is run and its answer refused, by name.
        std::fs::remove_dir_all(t.path().join("versions/3.11.4")).unwrap();
        std::fs::remove_dir_all(t.path().join("versions/3.11.2")).unwrap();
        let err = find_python("3.11", &search).unwrap_err();
        assert!(
            err.contains(&liar.display().to_string()) && err.contains("is Python 3.12.0"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn search_falls_back_to_path() {
        let t = tempfile::tempdir().unwrap();
        let exe = fake_python(t.path(), "elsewhere", "3.11.1");
        let named = exe.with_file_name("python3.11");
        std::fs::rename(&exe, &named).unwrap();
        let search = Search {
            pyenv_root: None,
            pyenv_command: None,
            path: Some(named.parent().unwrap().as_os_str().to_os_string()),
        };
        let py = find_python("3.11", &search).unwrap();
        assert_eq!(py.version, "3.11.1");
        // A distro-style prefix (no lib/python3.11/site-packages) is refused with the reason.
        std::fs::remove_dir_all(t.path().join("versions/elsewhere/lib")).unwrap();
        let err = find_python("3.11", &search).unwrap_err();
        assert!(err.contains("not CPython's own install layout"), "{err}");
        let search = Search {
            path: None,
            ..search
        };
        let err = find_python("3.11", &search).unwrap_err();
        assert!(err.contains("python3.11 on PATH"), "{err}");
    }
}
