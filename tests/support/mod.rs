//! What the tests need from the machine, found one way everywhere, and what happens when it is
//! missing.
//!
//! Used by the integration tests (`mod support;`) and, through `#[path]` in `src/lib.rs`, by the
//! unit tests (`crate::test_support`).
//!
//! * [`find_python`]: a CPython of an exact version (`"3.11.7"`) or release line (`"3.11"`), from
//!   `$ABI_DOCTOR_PYTHON_<X>_<Y>`, `$PYENV_ROOT/versions/<version>*`, the root printed by
//!   `pyenv root`, or `python<X>.<Y>` on `PATH`; every candidate is run to confirm its version.
//! * [`find_gcc`], [`pypi_reachable`]: the C compiler and the network.
//! * [`find_chromium`]: Debian's headless-capable `chromium` (scripts/ci/install-chromium.sh).
//! * [`require`]: the policy. When `CI` is set (non-empty, not `false`) or `ABI_DOCTOR_STRICT=1`,
//!   a missing prerequisite fails the test, saying what is missing and how to get it; otherwise
//!   the test prints `note: not run: ...` to stderr and returns.

// Each test binary uses part of this module.
#![allow(dead_code)]

pub mod index_server;
pub mod venv;

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// Whether a missing prerequisite fails the test: `CI` set (non-empty, not "false") or
/// `ABI_DOCTOR_STRICT=1`.
pub fn strict() -> bool {
    let ci = std::env::var("CI").unwrap_or_default();
    let ci = !ci.is_empty() && !ci.eq_ignore_ascii_case("false");
    ci || std::env::var("ABI_DOCTOR_STRICT").is_ok_and(|v| v == "1")
}

/// The prerequisite `what` (e.g. "CPython 3.11.7"), or, when it is missing (`found` is `Err` with
/// the reason and how to get it): a panic in strict mode ([`strict`]), else a `note: not run`
/// line on stderr and `None`, on which the test returns.
#[track_caller]
pub fn require<T>(found: Result<T, String>, what: &str) -> Option<T> {
    match found {
        Ok(v) => Some(v),
        Err(why) => {
            let test = std::thread::current()
                .name()
                .unwrap_or("this test")
                .to_string();
            if strict() {
                panic!(
                    "{test}: missing prerequisite: {what}: {why}\n\
                     (missing prerequisites fail because CI or ABI_DOCTOR_STRICT=1 is set)"
                );
            }
            // Straight to stderr, past the test harness's output capture, so the note is seen.
            let _ = writeln!(
                std::io::stderr(),
                "note: not run: {test}: {what} missing: {why}"
            );
            None
        }
    }
}

/// A CPython interpreter of `version`: exactly that version ("3.11.7") or the newest of a
/// release line ("3.11"). Candidates, in order:
///
/// 1. `$ABI_DOCTOR_PYTHON_<X>_<Y>` (e.g. `ABI_DOCTOR_PYTHON_3_11`) when set: the only candidate;
/// 2. `$PYENV_ROOT/versions/<version>*/bin/python`;
/// 3. the same under the root printed by `pyenv root`, when the `pyenv` command runs;
/// 4. `python<X>.<Y>` on `PATH`.
///
/// Each candidate is run (`-I -S -c ...`) and must report that version; the path returned is its
/// `sys.executable` (a pyenv shim resolves to the interpreter it runs).
pub fn find_python(version: &str) -> Result<PathBuf, String> {
    let parts: Vec<&str> = version.split('.').collect();
    if parts.len() < 2 || parts.iter().any(|p| p.parse::<u32>().is_err()) {
        return Err(format!("{version:?} is not a version like 3.11 or 3.11.7"));
    }
    let line = format!("{}.{}", parts[0], parts[1]);
    let var = format!("ABI_DOCTOR_PYTHON_{}_{}", parts[0], parts[1]);
    let how = format!(
        "install it with `pyenv install {version}` (found through $PYENV_ROOT or `pyenv root`), \
         put python{line} on PATH, or set {var}=/path/to/python{line}"
    );

    if let Some(p) = std::env::var_os(&var).filter(|v| !v.is_empty()) {
        let p = PathBuf::from(p);
        return match python_version(&p) {
            Ok((v, exe)) if version_matches(&v, version) => Ok(exe),
            Ok((v, _)) => Err(format!(
                "${var}={} is Python {v}, not {version}",
                p.display()
            )),
            Err(e) => Err(format!("${var}={}: {e}", p.display())),
        };
    }

    let mut candidates = Vec::new();
    let mut roots = Vec::new();
    if let Some(r) = std::env::var_os("PYENV_ROOT").filter(|v| !v.is_empty()) {
        roots.push(PathBuf::from(r));
    }
    if let Some(r) = pyenv_root() {
        if !roots.contains(&r) {
            roots.push(r);
        }
    }
    for root in &roots {
        candidates.extend(pyenv_candidates(root, version));
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(format!("python{line}"));
            if p.is_file() {
                candidates.push(p);
            }
        }
    }

    let mut tried = Vec::new();
    for c in &candidates {
        match python_version(c) {
            Ok((v, exe)) if version_matches(&v, version) => return Ok(exe),
            Ok((v, _)) => tried.push(format!("{} is {v}", c.display())),
            Err(e) => tried.push(format!("{}: {e}", c.display())),
        }
    }
    let searched = if roots.is_empty() {
        "no pyenv root ($PYENV_ROOT unset, no `pyenv` command)".to_string()
    } else {
        let shown: Vec<String> = roots
            .iter()
            .map(|r| r.join("versions").display().to_string())
            .collect();
        format!("looked in {}", shown.join(", "))
    };
    let tried = if tried.is_empty() {
        format!("no python{line} on PATH")
    } else {
        format!("tried {}", tried.join("; "))
    };
    Err(format!("no CPython {version} ({searched}; {tried}); {how}"))
}

/// `$PYENV_ROOT`-style `root/versions/<name>/bin/python` for names that are `version` or start
/// with it followed by a non-digit ("3.11" matches "3.11.7", not "3.110"), newest first.
fn pyenv_candidates(root: &Path, version: &str) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(root.join("versions")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            n.strip_prefix(version)
                .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(version_key(n)));
    let mut out = Vec::new();
    for n in names {
        let bin = root.join("versions").join(n).join("bin");
        for exe in ["python", "python3"] {
            if bin.join(exe).is_file() {
                out.push(bin.join(exe));
                break;
            }
        }
    }
    out
}

/// Numeric components of "3.11.7" (then the rest of the name as a tie-breaker).
fn version_key(name: &str) -> (Vec<u32>, String) {
    let nums = name
        .split(|c: char| !c.is_ascii_digit())
        .take_while(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect();
    (nums, name.to_string())
}

fn version_matches(actual: &str, wanted: &str) -> bool {
    actual == wanted
        || actual
            .strip_prefix(wanted)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// The root printed by `pyenv root`, when the command runs.
fn pyenv_root() -> Option<PathBuf> {
    let out = Command::new("pyenv").arg("root").output().ok()?;
    let root = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !root.is_empty()).then(|| PathBuf::from(root))
}

/// ("3.11.7", sys.executable) of an interpreter, by running it isolated (`-I -S`; Python 2, which
/// has no `-I`, with `-E -s -S`).
fn python_version(python: &Path) -> Result<(String, PathBuf), String> {
    const SCRIPT: &str = "import sys; sys.stdout.write('%d.%d.%d\\n%s\\n' % \
                          (tuple(sys.version_info[:3]) + (sys.executable,)))";
    let mut last = String::new();
    for flags in [&["-I", "-S"][..], &["-E", "-s", "-S"][..]] {
        let out = match Command::new(python)
            .args(flags)
            .args(["-c", SCRIPT])
            .output()
        {
            Ok(o) => o,
            Err(e) => return Err(format!("cannot run: {e}")),
        };
        if out.status.success() {
            let text = String::from_utf8_lossy(&out.stdout);
            let mut lines = text.lines();
            let v = lines.next().unwrap_or_default().trim().to_string();
            let exe = lines.next().map(str::trim).filter(|e| !e.is_empty());
            let exe = exe
                .map(PathBuf::from)
                .filter(|e| e.is_file())
                .unwrap_or_else(|| python.to_path_buf());
            return Ok((v, exe));
        }
        last = format!(
            "exit {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Err(last)
}

/// A base CPython with its own install layout, for tests that compare discovery with it.
#[derive(Debug, Clone)]
pub struct Python {
    /// `sys.executable`.
    pub path: PathBuf,
    /// `"3.11.7"`.
    pub version: String,
    /// `sys.prefix`: holds `lib/pythonX.Y/site-packages` and `include/pythonX.Y/patchlevel.h`.
    pub prefix: PathBuf,
}

/// [`find_python`], then checked to be a base interpreter (not a venv's) with CPython's own
/// `make install` layout (what pyenv, python.org and python-build-standalone ship): tests compare
/// discovery against `<prefix>/lib/pythonX.Y/site-packages` and the full version in
/// `patchlevel.h`, which a distro build (Debian's `dist-packages`) does not have.
pub fn base_python(version: &str) -> Result<Python, String> {
    let path = find_python(version)?;
    const ASK: &str = "import sys; print(sys.version_info[0], sys.version_info[1], \
                       sys.version_info[2]); print(sys.prefix)";
    let out = Command::new(&path)
        .args(["-I", "-S", "-c", ASK])
        .output()
        .map_err(|e| format!("{}: cannot run: {e}", path.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let v: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    let prefix = PathBuf::from(lines.next().unwrap_or("").trim());
    let full = v.join(".");
    let minor = v.iter().take(2).copied().collect::<Vec<_>>().join(".");
    let bin = path.parent().unwrap_or(Path::new(""));
    if [Some(bin), bin.parent()]
        .into_iter()
        .flatten()
        .any(|d| d.join("pyvenv.cfg").is_file())
    {
        return Err(format!(
            "{} is a virtual environment's interpreter",
            path.display()
        ));
    }
    for needed in [
        format!("lib/python{minor}/site-packages"),
        format!("include/python{minor}/patchlevel.h"),
    ] {
        if !prefix.join(&needed).exists() {
            return Err(format!(
                "{}: not CPython's own install layout (no {needed} in {})",
                path.display(),
                prefix.display()
            ));
        }
    }
    Ok(Python {
        path,
        version: full,
        prefix,
    })
}

/// [`base_python`] under the [`require`] policy.
#[track_caller]
pub fn python(version: &str) -> Option<Python> {
    require(
        base_python(version),
        &format!("CPython {version} (base install)"),
    )
}

/// `python -m venv --without-pip [--system-site-packages] dir`.
pub fn make_venv(python: &Path, dir: &Path, system_site: bool) {
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

/// A working `gcc` (the path found on `PATH`).
pub fn find_gcc() -> Result<PathBuf, String> {
    let how = "install gcc (e.g. `apt-get install gcc`) and put it on PATH";
    let path = std::env::var_os("PATH").unwrap_or_default();
    let Some(gcc) = std::env::split_paths(&path)
        .map(|d| d.join("gcc"))
        .find(|p| p.is_file())
    else {
        return Err(format!("no gcc on PATH; {how}"));
    };
    match Command::new(&gcc).arg("--version").output() {
        Ok(o) if o.status.success() => Ok(gcc),
        Ok(o) => Err(format!("{} --version: {}; {how}", gcc.display(), o.status)),
        Err(e) => Err(format!("{}: {e}; {how}", gcc.display())),
    }
}

/// A working `chromium` (`$ABI_DOCTOR_CHROMIUM`, else `chromium` on `PATH`), for the HTML report
/// test; scripts/ci/install-chromium.sh installs Debian's package.
pub fn find_chromium() -> Result<PathBuf, String> {
    let how = "run scripts/ci/install-chromium.sh (apt-get install chromium), or set \
               ABI_DOCTOR_CHROMIUM=/path/to/chromium";
    let candidate = match std::env::var_os("ABI_DOCTOR_CHROMIUM").filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => {
            let path = std::env::var_os("PATH").unwrap_or_default();
            let Some(p) = std::env::split_paths(&path)
                .map(|d| d.join("chromium"))
                .find(|p| p.is_file())
            else {
                return Err(format!("no chromium on PATH; {how}"));
            };
            p
        }
    };
    match Command::new(&candidate).arg("--version").output() {
        Ok(o) if o.status.success() => Ok(candidate),
        Ok(o) => Err(format!(
            "{} --version: {}; {how}",
            candidate.display(),
            o.status
        )),
        Err(e) => Err(format!("{}: {e}; {how}", candidate.display())),
    }
}

/// Whether PyPI (or the index in `$PIP_INDEX_URL`, or the proxy in `$HTTPS_PROXY`) accepts a TCP
/// connection within a few seconds.
pub fn pypi_reachable() -> Result<(), String> {
    let index =
        std::env::var("PIP_INDEX_URL").unwrap_or_else(|_| "https://pypi.org/simple".to_string());
    let proxy = ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|v| !v.is_empty()));
    let (target, via) = match &proxy {
        Some(p) => (p.as_str(), format!(" (proxy for {index})")),
        None => (index.as_str(), String::new()),
    };
    let (host, port) = host_port(target);
    let how = "connect this machine to the network (pip installs from PyPI), or run once \
               where it is connected: later runs reuse the cache";
    let addrs = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}{via}: {e}; {how}"))?;
    let mut last = format!("{host} resolves to no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, Duration::from_secs(5)) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("cannot connect to {host}:{port}{via}: {e}"),
        }
    }
    Err(format!("{last}; {how}"))
}

/// Host and port of `https://user@host:port/path` (port from the scheme when absent).
fn host_port(url: &str) -> (String, u16) {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let default = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h, p.parse().unwrap_or(default)),
        _ => (authority, default),
    };
    (
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        port,
    )
}

/// uv from the project's tools venv (`scripts/package/tools.sh`, which installs it from PyPI on
/// first use): `$ABI_DOCTOR_CACHE/package/tools/bin/uv`.
pub fn find_uv() -> Result<PathBuf, String> {
    let cache = std::env::var_os("ABI_DOCTOR_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| venv::home().join(".cache/abi-doctor"));
    let uv = cache.join("package/tools/bin/uv");
    if !uv.is_file() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = Command::new("bash")
            .arg("-c")
            .arg("source scripts/package/tools.sh && tools_venv")
            .current_dir(repo)
            .output()
            .map_err(|e| format!("bash scripts/package/tools.sh: {e}"))?;
        if !out.status.success() || !uv.is_file() {
            return Err(format!(
                "scripts/package/tools.sh did not install {} ({}): {}",
                uv.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    Ok(uv)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in interpreter: a shell script printing what `python_version` asks for.
    fn fake_python(path: &Path, version: &str) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            path,
            format!("#!/bin/sh\nprintf '{version}\\n%s\\n' \"$0\"\n"),
        )
        .unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn versions_match_exactly_or_by_line() {
        assert!(version_matches("3.11.7", "3.11.7"));
        assert!(version_matches("3.11.7", "3.11"));
        assert!(!version_matches("3.11.7", "3.11.1"));
        assert!(!version_matches("3.110.1", "3.11"));
        assert!(!version_matches("3.12.1", "3.11"));
    }

    #[test]
    fn pyenv_versions_by_prefix_newest_first() {
        let t = tempfile::tempdir().unwrap();
        for v in ["3.11.2", "3.11.10", "3.110.0", "3.12.1"] {
            fake_python(&t.path().join(format!("versions/{v}/bin/python")), v);
        }
        let names = |version| -> Vec<String> {
            pyenv_candidates(t.path(), version)
                .iter()
                .map(|p| p.parent().unwrap().parent().unwrap())
                .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(names("3.11"), ["3.11.10", "3.11.2"]);
        assert_eq!(names("3.11.2"), ["3.11.2"]);
        assert!(names("3.9").is_empty());
        assert!(pyenv_candidates(&t.path().join("none"), "3.11").is_empty());
    }

    #[test]
    fn a_candidate_is_run_to_learn_its_version() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("bin/python3.11");
        fake_python(&p, "3.11.7");
        assert_eq!(python_version(&p).unwrap(), ("3.11.7".to_string(), p));
        assert!(python_version(&t.path().join("missing")).is_err());
    }

    #[test]
    fn proxy_and_index_urls_give_host_and_port() {
        assert_eq!(
            host_port("https://pypi.org/simple"),
            ("pypi.org".into(), 443)
        );
        assert_eq!(host_port("http://u:p@proxy:3128"), ("proxy".into(), 3128));
        assert_eq!(host_port("http://[::1]:8080/"), ("::1".into(), 8080));
        assert_eq!(host_port("proxy.local"), ("proxy.local".into(), 80));
    }

    #[test]
    fn a_bad_version_is_an_error_not_a_search() {
        assert!(find_python("3").is_err());
        assert!(find_python("three.eleven").is_err());
    }
}
