//! The resolver is uv's (or, without uv, pip's): abi-doctor writes the question as files and
//! flags, runs `uv pip compile`, and reads back exact versions. What each flag does was measured
//! with uv 0.13.9 (docs/fix.md#the-resolver):
//!
//! - the NumPy window goes in as a constraints file (`-c`);
//! - what is known about single releases (this pandas wheel was built for NumPy 1.x) goes in as
//!   `override-dependencies` entries scoped to one version, in a uv.toml passed with
//!   `--config-file` (top level of the file; uv rejects the key under `[pip]`), only when the
//!   installed uv accepts that form ([`Uv::scoped_overrides`], probed once);
//! - the current freeze is the existing output file (`-o`), which uv keeps as preferences, so
//!   packages not named stay at their installed versions;
//! - `--resolution lowest-direct` makes a moved package take the lowest release that fits
//!   (pandas 2.1.4 -> 2.2.2, not 3.x);
//! - `--python-version` and `--python-platform` are the scanned interpreter's, and
//!   `--only-binary` for the moved packages, because with `x86_64-manylinux_2_17` and no
//!   `--only-binary` uv picks NumPy 2.4.6, whose wheels need glibc 2.27, as an sdist build.
//!
//! uv reads `uv.toml` from the working directory and its parents: every run here is given
//! `--config-file` or `--no-config` and runs in its own empty directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A uv executable and what it supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uv {
    pub path: PathBuf,
    /// `0.13.9`.
    pub version: String,
    /// `override-dependencies = [{ package = { name, version }, dependencies }]` works.
    pub scoped_overrides: bool,
}

/// Which resolver plans are computed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolver {
    Uv(Uv),
    /// `PYTHON -m pip install --dry-run --ignore-installed --report -`, run with an interpreter
    /// that has pip (no preferences: every unchanged package is pinned exactly instead).
    Pip {
        python: PathBuf,
    },
}

impl Resolver {
    pub fn describe(&self) -> String {
        match self {
            Resolver::Uv(uv) => format!("uv {} ({})", uv.version, uv.path.display()),
            Resolver::Pip { python } => format!("{} -m pip (no uv found)", python.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("{program}: cannot run: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// The resolver ran and found no solution; its own explanation.
    #[error("no solution: {0}")]
    NoSolution(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("could not read the resolver's answer: {0}")]
    Output(String),
}

pub use super::uv::find_uv;

/// Ask uv its version and whether it takes version-scoped overrides.
pub fn probe_uv(path: &Path) -> Result<Uv, ResolveError> {
    let out = Command::new(path)
        .arg("--version")
        .output()
        .map_err(|e| spawn(path, e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text
        .split_whitespace()
        .nth(1)
        .unwrap_or("unknown")
        .to_string();
    let dir = tempfile::tempdir()?;
    std::fs::write(
        dir.path().join("uv.toml"),
        "override-dependencies = [{ package = { name = \"abi-doctor-probe\", version = \"1\" }, dependencies = [] }]\n",
    )?;
    std::fs::write(dir.path().join("empty.in"), "")?;
    let ok = Command::new(path)
        .current_dir(dir.path())
        .args([
            "pip",
            "compile",
            "empty.in",
            "--no-index",
            "--quiet",
            "--config-file",
        ])
        .arg(dir.path().join("uv.toml"))
        .output()
        .map_err(|e| spawn(path, e))?
        .status
        .success();
    Ok(Uv {
        path: path.to_path_buf(),
        version,
        scoped_overrides: ok,
    })
}

fn spawn(p: &Path, source: std::io::Error) -> ResolveError {
    ResolveError::Spawn {
        program: p.display().to_string(),
        source,
    }
}

/// One scoped override: `name==version` is resolved as if it required `dependencies`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    pub name: String,
    pub version: String,
    pub dependencies: Vec<String>,
}

/// The question asked of the resolver.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `requirements.in` lines (`pandas>2.1.4`, `pytz`).
    pub requirements: Vec<String>,
    /// `-c` lines (`numpy>=1.23,<2`).
    pub constraints: Vec<String>,
    pub overrides: Vec<Override>,
    /// The freeze: (name, version) kept where possible.
    pub preferences: Vec<(String, String)>,
    pub lowest_direct: bool,
    /// Packages that must come as wheels.
    pub only_binary: Vec<String>,
    /// `3.11`
    pub python_version: Option<String>,
    /// uv's spelling: `x86_64-manylinux_2_36`.
    pub python_platform: Option<String>,
    /// The environment's indexes, primary first (empty: the resolver's own default).
    pub index_urls: Vec<String>,
}

/// `--default-index URL --index URL...` for uv, `--index-url URL --extra-index-url URL...` for
/// pip.
pub fn index_args(urls: &[String], uv: bool) -> Vec<String> {
    let mut out = Vec::new();
    for (i, u) in urls.iter().enumerate() {
        out.push(
            match (uv, i) {
                (true, 0) => "--default-index",
                (true, _) => "--index",
                (false, 0) => "--index-url",
                (false, _) => "--extra-index-url",
            }
            .to_string(),
        );
        out.push(u.clone());
    }
    out
}

/// Exact versions by normalized name.
pub type Resolution = BTreeMap<String, String>;

/// The command line of a uv compile (for the output's evidence and docs).
pub fn compile(resolver: &Resolver, req: &Request) -> Result<Resolution, ResolveError> {
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    std::fs::write(d.join("requirements.in"), lines(&req.requirements))?;
    std::fs::write(d.join("constraints.txt"), lines(&req.constraints))?;
    match resolver {
        Resolver::Uv(uv) => {
            let prefs: Vec<String> = req
                .preferences
                .iter()
                .map(|(n, v)| format!("{n}=={v}"))
                .collect();
            std::fs::write(d.join("requirements.txt"), lines(&prefs))?;
            let mut cmd = Command::new(&uv.path);
            cmd.current_dir(d)
                .args(["pip", "compile", "requirements.in", "-c", "constraints.txt"])
                .args([
                    "-o",
                    "requirements.txt",
                    "--no-header",
                    "--no-annotate",
                    "--quiet",
                ]);
            if uv.scoped_overrides && !req.overrides.is_empty() {
                std::fs::write(d.join("uv.toml"), overrides_toml(&req.overrides))?;
                cmd.arg("--config-file").arg(d.join("uv.toml"));
            } else {
                cmd.arg("--no-config");
            }
            if req.lowest_direct {
                cmd.args(["--resolution", "lowest-direct"]);
            }
            for p in &req.only_binary {
                cmd.args(["--only-binary", p]);
            }
            if let Some(v) = &req.python_version {
                cmd.args(["--python-version", v]);
            }
            if let Some(p) = &req.python_platform {
                cmd.args(["--python-platform", p]);
            }
            cmd.args(index_args(&req.index_urls, true));
            let out = cmd.output().map_err(|e| spawn(&uv.path, e))?;
            if !out.status.success() {
                return Err(ResolveError::NoSolution(tidy(&out.stderr)));
            }
            let text = std::fs::read_to_string(d.join("requirements.txt"))?;
            Ok(parse_pins(&text))
        }
        Resolver::Pip { python } => {
            // pip has no preferences: what the uv path would keep is pinned (a bare name with a
            // preference becomes `name==version`).
            let mut reqs: Vec<String> = req
                .requirements
                .iter()
                .map(|r| {
                    let n = crate::inventory::normalize_name(name_of(r));
                    match req.preferences.iter().find(|(p, _)| {
                        name_of(r).len() == r.trim().len()
                            && crate::inventory::normalize_name(p) == n
                    }) {
                        Some((p, v)) => format!("{p}=={v}"),
                        None => r.clone(),
                    }
                })
                .collect();
            let named: Vec<String> = req
                .requirements
                .iter()
                .map(|r| crate::inventory::normalize_name(name_of(r)))
                .collect();
            for (n, v) in &req.preferences {
                if !named.contains(&crate::inventory::normalize_name(n)) {
                    reqs.push(format!("{n}=={v}"));
                }
            }
            std::fs::write(d.join("requirements.in"), lines(&reqs))?;
            let mut cmd = Command::new(python);
            cmd.current_dir(d)
                .args(["-m", "pip", "install", "--dry-run", "--ignore-installed"])
                .args(["--report", "-", "--quiet", "-r", "requirements.in"])
                .args(["-c", "constraints.txt"]);
            for p in &req.only_binary {
                cmd.args(["--only-binary", p]);
            }
            cmd.args(index_args(&req.index_urls, false));
            let out = cmd.output().map_err(|e| spawn(python, e))?;
            if !out.status.success() {
                return Err(ResolveError::NoSolution(tidy(&out.stderr)));
            }
            parse_pip_report(&out.stdout)
        }
    }
}

fn lines(v: &[String]) -> String {
    v.iter().map(|l| format!("{l}\n")).collect()
}

fn tidy(stderr: &[u8]) -> String {
    let t = String::from_utf8_lossy(stderr);
    let t: Vec<&str> = t
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    t.join("\n")
}

/// The project name of a requirement line (`pandas>2.1.4` -> `pandas`).
pub fn name_of(req: &str) -> &str {
    let end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .unwrap_or(req.len());
    &req[..end]
}

/// A uv.toml with version-scoped overrides.
pub fn overrides_toml(ov: &[Override]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut s = String::from("override-dependencies = [\n");
    for o in ov {
        let deps: Vec<String> = o.dependencies.iter().map(|d| q(d)).collect();
        s.push_str(&format!(
            "  {{ package = {{ name = {}, version = {} }}, dependencies = [{}] }},\n",
            q(&o.name),
            q(&o.version),
            deps.join(", ")
        ));
    }
    s.push_str("]\n");
    s
}

/// `name==version` lines of a compiled requirements file.
pub fn parse_pins(text: &str) -> Resolution {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter_map(|l| l.split_once("=="))
        .map(|(n, v)| {
            (
                crate::inventory::normalize_name(n.trim()),
                v.split(';').next().unwrap_or("").trim().to_string(),
            )
        })
        .collect()
}

fn parse_pip_report(json: &[u8]) -> Result<Resolution, ResolveError> {
    let v: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| ResolveError::Output(e.to_string()))?;
    let mut out = Resolution::new();
    for item in v["install"].as_array().into_iter().flatten() {
        let m = &item["metadata"];
        if let (Some(n), Some(ver)) = (m["name"].as_str(), m["version"].as_str()) {
            out.insert(crate::inventory::normalize_name(n), ver.to_string());
        }
    }
    Ok(out)
}

/// uv's `--python-platform` for this machine: `x86_64-manylinux_2_36` from the C library's
/// version (the interpreter runs here, so its glibc is this one), capped at what uv 0.13 names.
pub fn host_platform() -> Option<String> {
    let arch = std::env::consts::ARCH;
    match std::env::consts::OS {
        "linux" => {
            let minor = glibc_minor()?;
            Some(format!("{arch}-manylinux_2_{}", minor.min(40)))
        }
        "macos" => Some(format!("{arch}-apple-darwin")),
        "windows" => Some(format!("{arch}-pc-windows-msvc")),
        _ => None,
    }
}

#[cfg(all(unix, target_env = "gnu"))]
fn glibc_minor() -> Option<u32> {
    // SAFETY: gnu_get_libc_version returns a pointer to a static NUL-terminated string.
    let v = unsafe { std::ffi::CStr::from_ptr(libc::gnu_get_libc_version()) };
    v.to_str().ok()?.split('.').nth(1)?.parse().ok()
}

#[cfg(not(all(unix, target_env = "gnu")))]
fn glibc_minor() -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_and_names() {
        let r = parse_pins("numpy==1.26.4\n# c\nPandas==2.2.2 ; python_version >= '3'\n");
        assert_eq!(r.get("pandas").map(String::as_str), Some("2.2.2"));
        assert_eq!(r.get("numpy").map(String::as_str), Some("1.26.4"));
        assert_eq!(name_of("pandas>2.1.4"), "pandas");
        assert_eq!(name_of("python-dateutil"), "python-dateutil");
    }

    #[test]
    fn toml_quotes() {
        let t = overrides_toml(&[Override {
            name: "pandas".into(),
            version: "2.2.2".into(),
            dependencies: vec!["numpy<2".into()],
        }]);
        assert!(t.contains(
            "{ package = { name = \"pandas\", version = \"2.2.2\" }, dependencies = [\"numpy<2\"] }"
        ));
        assert!(t.parse::<toml_edit::DocumentMut>().is_ok());
    }
}
