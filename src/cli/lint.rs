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
    };
    let (fixed, linted) = if args.fix {
        match fix::fix_all(&args.path, &config) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("abi-doctor: error: {e}");
                return Ok(2);
            }
        }
    } else {
        match lint::lint(&args.path, &config) {
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
