//! `abi-doctor lint`: project files checked for what later breaks NumPy imports.

use super::global::Globals;
use super::LintFormat;
use abi_doctor::lint::{self, fix, Config};
use abi_doctor::report::check::Style;
use abi_doctor::report::json;
use abi_doctor::report::lint::{github, sarif, text, LintReport};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// A project directory (walked for pyproject.toml, setup.cfg, setup.py, requirements*.txt,
    /// constraints*.txt, environment.yml, Dockerfile*, *.sh, .github/workflows/*.yml) or one
    /// such file. Nothing is executed.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Apply the safe rewrites (pyproject.toml only; formatting is kept), then lint again.
    #[arg(long)]
    pub fix: bool,
    /// Only these rule codes or prefixes (comma-separated); replaces [tool.abi-doctor.lint] select.
    #[arg(long, value_delimiter = ',')]
    pub select: Option<Vec<String>>,
    /// Skip these rule codes or prefixes (comma-separated); adds to [tool.abi-doctor.lint] ignore.
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Output format (`--format` is the same option; default text). With `github`, the full
    /// table also goes to $GITHUB_STEP_SUMMARY when it is set.
    #[arg(
        long = "output-format",
        alias = "format",
        value_enum,
        env = "ABI_DOCTOR_OUTPUT_FORMAT"
    )]
    pub format: Option<LintFormat>,
    /// Never use the network: NPL009 (which reads pinned wheels from the package index) is not
    /// evaluated and a note says so. ABI_DOCTOR_OFFLINE=1, UV_OFFLINE=1 and PIP_NO_INDEX do the
    /// same.
    #[arg(long)]
    pub offline: bool,
    /// The Python NPL009 picks wheels for (`3.11`); replaces [tool.abi-doctor.lint]
    /// python-version, requires-python and this machine's python3.
    #[arg(long, value_name = "X.Y")]
    pub python_version: Option<String>,
    /// Exit 0 even when there are findings (2 still means a file could not be linted).
    #[arg(long, env = "ABI_DOCTOR_EXIT_ZERO", value_parser = clap::builder::FalseyValueParser::new())]
    pub exit_zero: bool,
}

/// Exit 0 clean (info findings alone are clean), 1 warnings or errors, 2 could not run or a
/// file could not be linted.
pub fn run(args: &LintArgs, g: &Globals) -> anyhow::Result<i32> {
    let format = match (args.format, &g.config.output_format) {
        (Some(f), _) => f,
        (None, Some(s)) => clap::ValueEnum::from_str(s, true).map_err(|_| {
            anyhow::anyhow!("configuration: output-format {s:?} is not one of lint's formats")
        })?,
        (None, None) => LintFormat::Text,
    };
    let config = Config {
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        python_version: args.python_version.clone(),
    };
    let network = network(args);
    let (fixed, linted) = if args.fix {
        match fix::fix_all(&args.path, &config, Some(&network)) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("abi-doctor: error: {e}");
                return Ok(2);
            }
        }
    } else {
        match lint::lint_with(&args.path, &config, Some(&network)) {
            Ok(l) => (Vec::new(), l),
            Err(e) => {
                eprintln!("abi-doctor: error: {e}");
                return Ok(2);
            }
        }
    };
    let report = LintReport::new(&args.path.display().to_string(), &linted, &fixed);
    let mut stdout = std::io::stdout().lock();
    let mut sink = std::io::sink();
    let out: &mut dyn Write = if g.quiet >= 2 { &mut sink } else { &mut stdout };
    match format {
        LintFormat::Text => text::write(
            out,
            &report,
            Style {
                color: g.color,
                verbose: g.verbose > 0,
            },
        )?,
        LintFormat::Json => json::write(out, &report)?,
        LintFormat::Sarif => sarif::write(out, &report, &std::env::current_dir()?)?,
        LintFormat::Github => {
            let opts = abi_doctor::report::check::github::Options {
                show_info: g.verbose > 0,
            };
            github::write(out, &report, opts)?;
            if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
                super::append_step_summary(&path, |w| github::write_summary(w, &report))?;
            }
        }
    }
    out.flush()?;
    let code = report.exit_code();
    Ok(
        if code == 1 && (args.exit_zero || g.config.exit_zero.unwrap_or(false)) {
            0
        } else {
            code
        },
    )
}

/// The package index NPL009 reads (pip's and uv's configuration, as `check` reads it), the cache,
/// and this machine's `python3`.
fn network(args: &LintArgs) -> lint::Network {
    let vars: std::collections::BTreeMap<String, std::ffi::OsString> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
        .collect();
    let mut cfg = abi_doctor::index::IndexConfig::from_env(&vars);
    if args.offline {
        cfg.offline = true;
        cfg.offline_source = Some("--offline".into());
    }
    let cache_root = abi_doctor::index::default_cache_dir(&vars);
    let client = if cfg.offline {
        Err(format!(
            "offline: {}",
            cfg.offline_source
                .clone()
                .unwrap_or_else(|| "offline".into())
        ))
    } else {
        abi_doctor::index::Client::new(cfg, cache_root.clone()).map_err(|e| e.to_string())
    };
    lint::Network {
        client,
        host_python: lint::host_python(vars.get("PATH").map(|p| p.as_os_str())),
        cache_dir: cache_root.map(|r| r.join("lint").join("npl009")),
    }
}
