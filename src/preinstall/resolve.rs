//! Requirements files to pins. uv resolves them (`uv pip compile --format pylock.toml` for the
//! target's `--python-version` and `--python-platform`; with `--no-deps` the listed pins are
//! taken as they are, conflicts and all), and its pylock.toml is read by [`super::lock`]. When uv
//! is not found, pip's `install --dry-run --ignore-installed --report -` resolves instead, run by
//! the target environment's interpreter.
//!
//! A resolution that fails as a whole is retried line by line (`--no-deps`, one requirement at
//! a time) to name the entries that cannot be found for the target (an unknown package or
//! version, no wheel); those are reported and the rest is resolved again.

use super::lock::read_lock;
use super::Target;
use super::{FileRef, Pin, PinChoice, Problem};
use crate::inventory::normalize_name;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What to resolve, and with which tools.
#[derive(Debug, Clone)]
pub struct ResolveOptions {
    pub requirements: Vec<PathBuf>,
    pub constraints: Vec<PathBuf>,
    pub no_deps: bool,
    pub offline: bool,
    /// uv, when found (`$ABI_DOCTOR_UV`, then `uv` on `PATH`).
    pub uv: Option<PathBuf>,
    /// The interpreter whose pip resolves when there is no uv.
    pub pip_python: Option<PathBuf>,
    /// The working directory relative paths are against.
    pub cwd: PathBuf,
}

/// Pins, problems and a note on how they were obtained.
#[derive(Debug, Default)]
pub struct Resolved {
    pub pins: Vec<Pin>,
    pub problems: Vec<Problem>,
    pub notes: Vec<String>,
}

/// `$ABI_DOCTOR_UV`, then `uv` on `PATH`.
pub fn find_uv(vars: &std::collections::BTreeMap<String, OsString>) -> Option<PathBuf> {
    if let Some(p) = vars.get("ABI_DOCTOR_UV").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = vars.get("PATH")?;
    std::env::split_paths(path)
        .map(|d| d.join(if cfg!(windows) { "uv.exe" } else { "uv" }))
        .find(|p| p.is_file())
}

fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect();
    lines[lines.len().saturating_sub(n)..].join(" / ")
}

fn uv_compile(
    uv: &Path,
    inputs: &[PathBuf],
    stdin: Option<&str>,
    opts: &ResolveOptions,
    target: &Target,
    no_deps: bool,
) -> Result<String, String> {
    let mut cmd = Command::new(uv);
    cmd.args([
        "pip",
        "compile",
        "--format",
        "pylock.toml",
        "--no-header",
        "--quiet",
    ])
    .args(["--python-version", &target.python_version()])
    .args(["--python-platform", &target.uv_platform()])
    .current_dir(&opts.cwd)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if no_deps {
        cmd.arg("--no-deps");
    }
    if opts.offline {
        cmd.arg("--offline");
    }
    for c in &opts.constraints {
        cmd.arg("-c").arg(c);
    }
    for r in inputs {
        cmd.arg(r);
    }
    if stdin.is_some() {
        cmd.arg("-").stdin(Stdio::piped());
    } else {
        cmd.stdin(Stdio::null());
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", uv.display()))?;
    if let (Some(text), Some(mut w)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        let _ = w.write_all(text.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{}: {e}", uv.display()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(tail(&String::from_utf8_lossy(&out.stderr), 4))
    }
}

/// The requirement lines of a requirements file (options, `-r` includes and comments left out:
/// uv reads those itself in the whole-file pass).
fn requirement_lines(path: &Path) -> Vec<String> {
    let text = crate::fsread::read_text(path, crate::fsread::Limit::Small).unwrap_or_default();
    text.lines()
        .map(|l| l.split(" #").next().unwrap_or(l).trim())
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('-'))
        .map(str::to_string)
        .collect()
}

fn pins_from_pylock(
    text: &str,
    from: &str,
    target: &Target,
) -> Result<(Vec<Pin>, Vec<String>), String> {
    let read = read_lock(Path::new("pylock.toml"), text, target).map_err(|e| e.to_string())?;
    let pins = read
        .pins
        .into_iter()
        .map(|mut p| {
            p.from = from.to_string();
            p
        })
        .collect();
    Ok((pins, read.problems))
}

/// Resolve the requirements files of `opts` for `target`.
pub fn resolve(opts: &ResolveOptions, target: &Target) -> Resolved {
    let mut out = Resolved::default();
    let files: Vec<String> = opts
        .requirements
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let from = files.join(", ");
    let Some(uv) = &opts.uv else {
        return pip_resolve(opts, target, &from);
    };
    let how = if opts.no_deps {
        "taken as pinned (--no-deps), files located by uv pip compile --no-deps"
    } else {
        "resolved by uv pip compile"
    };
    out.notes.push(format!(
        "{from}: {how} for CPython {} on {}",
        target.python_version(),
        target.name
    ));
    match uv_compile(uv, &opts.requirements, None, opts, target, opts.no_deps) {
        Ok(text) => match pins_from_pylock(&text, &from, target) {
            Ok((pins, problems)) => {
                out.pins = pins;
                out.problems
                    .extend(problems.into_iter().map(Problem::error));
            }
            Err(e) => out.problems.push(Problem::error(format!(
                "{from}: uv's pylock.toml could not be read: {e}"
            ))),
        },
        Err(whole) => {
            // Find the lines that fail on their own; resolve the rest.
            let mut good = Vec::new();
            for f in &opts.requirements {
                for line in requirement_lines(&opts.cwd.join(f)) {
                    match uv_compile(uv, &[], Some(&line), opts, target, true) {
                        Ok(_) => good.push(line),
                        Err(e) => out.problems.push(Problem::error(format!(
                            "{}: {line}: cannot be installed for CPython {} on {}: {e}; not checked",
                            f.display(),
                            target.python_version(),
                            target.name
                        ))),
                    }
                }
            }
            let before = out.problems.len();
            if before == 0 {
                out.problems.push(Problem::error(format!(
                    "{from}: uv could not resolve the requirements: {whole}"
                )));
                if opts.no_deps {
                    return out;
                }
                out.notes.push(format!(
                    "{from}: the requirements conflict; each pin is checked as it is (--no-deps)"
                ));
            }
            if good.is_empty() {
                return out;
            }
            let no_deps = opts.no_deps || before == 0;
            match uv_compile(uv, &[], Some(&good.join("\n")), opts, target, no_deps) {
                Ok(text) => match pins_from_pylock(&text, &from, target) {
                    Ok((pins, problems)) => {
                        out.pins = pins;
                        out.problems
                            .extend(problems.into_iter().map(Problem::error));
                    }
                    Err(e) => out.problems.push(Problem::error(format!("{from}: {e}"))),
                },
                Err(e) => out.problems.push(Problem::error(format!(
                    "{from}: uv could not resolve the remaining requirements: {e}"
                ))),
            }
        }
    }
    out
}

/// pip's `install --dry-run --ignore-installed --report -`, for when there is no uv.
fn pip_resolve(opts: &ResolveOptions, target: &Target, from: &str) -> Resolved {
    let mut out = Resolved::default();
    let Some(py) = &opts.pip_python else {
        out.problems.push(Problem::error(format!(
            "{from}: cannot resolve: uv was not found (set ABI_DOCTOR_UV or put uv on PATH: \
             `pipx install uv`, or https://docs.astral.sh/uv/) and no interpreter is known to run \
             pip with (pass --python)"
        )));
        return out;
    };
    out.notes.push(format!(
        "{from}: resolved by pip (install --dry-run --report) of {}: uv was not found (faster: \
         `pipx install uv`, or set ABI_DOCTOR_UV)",
        py.display()
    ));
    let mut cmd = Command::new(py);
    cmd.args([
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
    ])
    .args(["--report", "-", "--disable-pip-version-check"])
    .args(["--python-version", &target.python_version()])
    .arg("--only-binary=:all:")
    .current_dir(&opts.cwd)
    .env("PIP_NO_INPUT", "1")
    .stdin(Stdio::null());
    for t in target.platform.iter().filter(|t| *t != "any").take(40) {
        cmd.args(["--platform", t]);
    }
    // pip wants --target with --platform when it would install; a dry run still asks for it.
    let tmp = tempfile::tempdir().ok();
    if let Some(t) = &tmp {
        cmd.arg("--target").arg(t.path());
    }
    if opts.no_deps {
        cmd.arg("--no-deps");
    }
    if opts.offline {
        cmd.arg("--no-index");
    }
    for c in &opts.constraints {
        cmd.arg("-c").arg(c);
    }
    for r in &opts.requirements {
        cmd.arg("-r").arg(r);
    }
    let output = match cmd.output() {
        Ok(o) => o,
        Err(e) => {
            out.problems.push(Problem::error(format!(
                "{from}: cannot run {} -m pip: {e}",
                py.display()
            )));
            return out;
        }
    };
    if !output.status.success() {
        out.problems.push(Problem::error(format!(
            "{from}: pip could not resolve the requirements: {}",
            tail(&String::from_utf8_lossy(&output.stderr), 4)
        )));
        return out;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let json = text.find('{').map_or("", |i| &text[i..]);
    let v: serde_json::Value = match serde_json::from_str(json) {
        Ok(v) => v,
        Err(e) => {
            out.problems.push(Problem::error(format!(
                "{from}: pip's --report is not JSON: {e}"
            )));
            return out;
        }
    };
    for item in v
        .get("install")
        .and_then(|i| i.as_array())
        .into_iter()
        .flatten()
    {
        let meta = item.get("metadata");
        let s = |k: &str| meta.and_then(|m| m.get(k)).and_then(|v| v.as_str());
        let (Some(name), Some(version)) = (s("name"), s("version")) else {
            continue;
        };
        let info = item.get("download_info");
        let Some(url) = info.and_then(|d| d.get("url")).and_then(|u| u.as_str()) else {
            continue;
        };
        let archive = info.and_then(|d| d.get("archive_info"));
        let sha256 = archive
            .and_then(|a| a.get("hashes"))
            .and_then(|h| h.get("sha256"))
            .and_then(|h| h.as_str())
            .map(str::to_string)
            .or_else(|| {
                archive
                    .and_then(|a| a.get("hash"))
                    .and_then(|h| h.as_str())
                    .and_then(|h| h.strip_prefix("sha256="))
                    .map(str::to_string)
            });
        let filename = url
            .rsplit('/')
            .next()
            .unwrap_or(url)
            .split('#')
            .next()
            .unwrap_or("")
            .to_string();
        let file = FileRef {
            filename: filename.clone(),
            url: Some(url.to_string()),
            path: url.strip_prefix("file://").map(PathBuf::from),
            sha256,
            size: None,
        };
        let choice = if filename.ends_with(".whl") {
            PinChoice::Wheel(file)
        } else {
            PinChoice::NoWheel {
                sdist: Some(file),
                other_wheels: Vec::new(),
            }
        };
        out.pins.push(Pin {
            name: name.to_string(),
            version: version.to_string(),
            from: from.to_string(),
            choice,
        });
    }
    out.pins.sort_by_key(|p| normalize_name(&p.name));
    out
}
