//! The options every command takes, as uv and ruff have them: `--color`, `-q`/`-qq`, `-v`,
//! `--no-progress`, `--config`; the configuration file (`[tool.abi-doctor]` in pyproject.toml,
//! or abi-doctor.toml) under the `ABI_DOCTOR_*` environment variables and the command line; and
//! `--python` given as a version, a name, a path or a virtual environment.

use super::ColorChoice;
use abi_doctor::fsread::{self, Limit};
use anyhow::{bail, Context};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// When to use colors: `auto` colors a terminal unless NO_COLOR is set, or FORCE_COLOR or
    /// CLICOLOR_FORCE is (NO_COLOR wins).
    #[arg(
        long,
        global = true,
        value_enum,
        env = "ABI_DOCTOR_COLOR",
        value_name = "WHEN"
    )]
    pub color: Option<ColorChoice>,
    /// More output (repeatable): harmless findings and evidence, timings.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Less output: -q prints the report only (no progress, no notes on stderr); -qq prints
    /// nothing, the exit code tells.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub quiet: u8,
    /// No progress line on stderr (ABI_DOCTOR_NO_PROGRESS: any value but 0, false, no, off).
    #[arg(long, global = true, env = "ABI_DOCTOR_NO_PROGRESS", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_progress: bool,
    /// The configuration file (abi-doctor.toml, or a pyproject.toml with [tool.abi-doctor]); by
    /// default ./abi-doctor.toml, then ./pyproject.toml.
    #[arg(long, global = true, env = "ABI_DOCTOR_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The configuration file's settings; the command line and `ABI_DOCTOR_*` win over them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Config {
    /// Where it was read from.
    pub file: Option<PathBuf>,
    pub output_format: Option<String>,
    pub color: Option<ColorChoice>,
    pub exit_zero: Option<bool>,
    pub no_progress: Option<bool>,
    /// `[check]` select and ignore (lint's are its own `[tool.abi-doctor.lint]`).
    pub check_select: Option<Vec<String>>,
    pub check_ignore: Vec<String>,
}

impl Config {
    /// `--config FILE`, else ./abi-doctor.toml, else ./pyproject.toml's [tool.abi-doctor]
    /// (absent: no configuration).
    pub fn load(explicit: Option<&Path>) -> anyhow::Result<Config> {
        let (path, required) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None if Path::new("abi-doctor.toml").is_file() => ("abi-doctor.toml".into(), true),
            None if Path::new("pyproject.toml").is_file() => ("pyproject.toml".into(), false),
            None => return Ok(Config::default()),
        };
        let text = fsread::read_text(&path, Limit::ProjectFile)
            .with_context(|| format!("configuration {}", path.display()))?;
        let doc: toml_edit::DocumentMut = text
            .parse()
            .with_context(|| format!("configuration {}: not TOML", path.display()))?;
        let in_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
        let table = if in_pyproject {
            match doc
                .get("tool")
                .and_then(|t| t.get("abi-doctor"))
                .and_then(|t| t.as_table_like())
            {
                Some(t) => t,
                None if required => bail!("{}: no [tool.abi-doctor] table", path.display()),
                None => return Ok(Config::default()),
            }
        } else {
            doc.as_table()
        };
        let mut c = Config {
            file: Some(path.clone()),
            ..Config::default()
        };
        let where_ = |key: &str| format!("{}: {key}", path.display());
        for (key, item) in table.iter() {
            match key {
                "output-format" => c.output_format = Some(string(item, &where_(key))?),
                "color" => {
                    let s = string(item, &where_(key))?;
                    c.color = Some(clap::ValueEnum::from_str(&s, true).map_err(|_| {
                        anyhow::anyhow!("{}: auto, always or never, not {s:?}", where_(key))
                    })?)
                }
                "exit-zero" => c.exit_zero = Some(boolean(item, &where_(key))?),
                "no-progress" => c.no_progress = Some(boolean(item, &where_(key))?),
                // lint reads its own table from the linted project.
                "lint" => {}
                "check" => {
                    let Some(t) = item.as_table_like() else {
                        bail!("{}: a table", where_(key));
                    };
                    for (k, v) in t.iter() {
                        let w = where_(&format!("check.{k}"));
                        match k {
                            "select" => c.check_select = Some(strings(v, &w)?),
                            "ignore" => c.check_ignore = strings(v, &w)?,
                            _ => bail!("{w}: unknown setting (select, ignore)"),
                        }
                    }
                }
                _ => bail!(
                    "{}: unknown setting (output-format, color, exit-zero, no-progress, \
                     [check] select and ignore, [lint])",
                    where_(key)
                ),
            }
        }
        Ok(c)
    }
}

fn string(item: &toml_edit::Item, at: &str) -> anyhow::Result<String> {
    item.as_str()
        .map(str::to_string)
        .with_context(|| format!("{at}: a string"))
}

fn boolean(item: &toml_edit::Item, at: &str) -> anyhow::Result<bool> {
    item.as_bool()
        .with_context(|| format!("{at}: true or false"))
}

fn strings(item: &toml_edit::Item, at: &str) -> anyhow::Result<Vec<String>> {
    let arr = item
        .as_array()
        .with_context(|| format!("{at}: a list of rule codes"))?;
    arr.iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .with_context(|| format!("{at}: a list of rule codes"))
        })
        .collect()
}

/// The settings in force: the command line, then `ABI_DOCTOR_*`, then the file, then defaults.
#[derive(Debug, Clone)]
pub struct Globals {
    pub color: bool,
    pub verbose: u8,
    pub quiet: u8,
    pub progress: bool,
    pub config: Config,
}

impl Globals {
    /// Where a report goes: standard output (buffered), or nowhere with `-qq`.
    pub fn stdout(&self) -> Box<dyn std::io::Write> {
        if self.quiet >= 2 {
            Box::new(std::io::sink())
        } else {
            Box::new(std::io::BufWriter::new(std::io::stdout().lock()))
        }
    }

    /// The text renderers' style: `--color` resolved, `-v`.
    pub fn style(&self) -> abi_doctor::report::check::Style {
        abi_doctor::report::check::Style {
            color: self.color,
            verbose: self.verbose > 0,
        }
    }

    pub fn resolve(g: &GlobalArgs) -> anyhow::Result<Globals> {
        let config = Config::load(g.config.as_deref())?;
        let choice = g.color.or(config.color).unwrap_or(ColorChoice::Auto);
        Ok(Globals {
            color: color_enabled(
                choice,
                |k| std::env::var_os(k),
                std::io::stdout().is_terminal(),
            ),
            verbose: g.verbose,
            quiet: g.quiet,
            progress: !g.no_progress && !config.no_progress.unwrap_or(false) && g.quiet == 0,
            config,
        })
    }
}

/// `--color auto`: NO_COLOR (set and not empty, no-color.org) turns colors off; else
/// CLICOLOR_FORCE (not `0`, bixense.com/clicolors) or FORCE_COLOR (not empty and not `0`, as
/// Node and pip's rich read it) turns them on; else a terminal gets them.
pub fn color_enabled(
    choice: ColorChoice,
    var: impl Fn(&str) -> Option<std::ffi::OsString>,
    terminal: bool,
) -> bool {
    let set = |k: &str, off: &[&str]| {
        var(k).is_some_and(|v| !v.is_empty() && !off.iter().any(|o| v == *o))
    };
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR", &[]) => false,
        ColorChoice::Auto if set("CLICOLOR_FORCE", &["0"]) || set("FORCE_COLOR", &["0"]) => true,
        ColorChoice::Auto => terminal,
    }
}

/// `--python` as uv takes it: a path (has a `/`, or exists), a virtual environment or prefix
/// directory (its `bin/python`, or `Scripts/python.exe`), a version (`3.11`: `python3.11` on
/// PATH, then pyenv's `$PYENV_ROOT/versions/3.11*`), or a name (`python3.11`, `pypy3`) on PATH.
/// What cannot be resolved is returned as given, for discovery to report.
pub fn resolve_python(given: &Path) -> PathBuf {
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    let pyenv_root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".pyenv")));
    resolve_python_in(given, &path_var, pyenv_root.as_deref())
}

pub fn resolve_python_in(
    given: &Path,
    path_var: &std::ffi::OsStr,
    pyenv: Option<&Path>,
) -> PathBuf {
    if given.is_dir() {
        for exe in [
            "bin/python",
            "bin/python3",
            "Scripts/python.exe",
            "python.exe",
        ] {
            if given.join(exe).is_file() {
                return given.join(exe);
            }
        }
        return given.to_path_buf();
    }
    let s = given.to_string_lossy();
    if given.exists() || s.contains('/') || s.contains('\\') {
        return given.to_path_buf();
    }
    let on_path = |name: &str| {
        std::env::split_paths(path_var)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    };
    let version = s.strip_prefix("python").unwrap_or(&s);
    let is_version = !version.is_empty()
        && version.split('.').count() <= 3
        && version
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !is_version {
        return on_path(&s).unwrap_or_else(|| given.to_path_buf());
    }
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or("3");
    let minor = parts.next();
    let exe = match minor {
        Some(m) => format!("python{major}.{m}"),
        None => format!("python{major}"),
    };
    // A full version (3.11.7) must be pyenv's exact one; PATH names carry no patch level.
    if version.split('.').count() < 3 {
        if let Some(p) = on_path(&exe) {
            return p;
        }
    }
    if let Some(root) = pyenv {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join("versions"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n == version || n.strip_prefix(version).is_some_and(|r| r.starts_with('.'))
            })
            .map(|e| e.path().join("bin").join(&exe))
            .filter(|p| p.is_file())
            .collect();
        // The newest patch release: compare the numbers, not the text (3.11.10 > 3.11.9).
        found.sort_by_key(|p| {
            p.parent()
                .and_then(Path::parent)
                .and_then(Path::file_name)
                .map(|n| {
                    n.to_string_lossy()
                        .split('.')
                        .map(|x| x.parse::<u32>().unwrap_or(0))
                        .collect::<Vec<_>>()
                })
        });
        if let Some(p) = found.pop() {
            return p;
        }
    }
    given.to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    #[test]
    fn color_variables() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        assert!(!color_enabled(ColorChoice::Auto, env(&[]), false));
        assert!(color_enabled(ColorChoice::Auto, env(&[]), true));
        assert!(!color_enabled(
            ColorChoice::Auto,
            env(&[("NO_COLOR", "1")]),
            true
        ));
        assert!(color_enabled(
            ColorChoice::Auto,
            env(&[("NO_COLOR", "")]),
            true
        ));
        assert!(color_enabled(
            ColorChoice::Auto,
            env(&[("FORCE_COLOR", "1")]),
            false
        ));
        assert!(!color_enabled(
            ColorChoice::Auto,
            env(&[("FORCE_COLOR", "0")]),
            false
        ));
        assert!(color_enabled(
            ColorChoice::Auto,
            env(&[("CLICOLOR_FORCE", "1")]),
            false
        ));
        assert!(!color_enabled(
            ColorChoice::Auto,
            env(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]),
            false
        ));
        assert!(color_enabled(
            ColorChoice::Always,
            env(&[("NO_COLOR", "1")]),
            false
        ));
        assert!(!color_enabled(
            ColorChoice::Never,
            env(&[("FORCE_COLOR", "1")]),
            true
        ));
    }
}
