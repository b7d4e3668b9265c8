//! `abi-doctor lint`: project files checked for what later breaks NumPy imports.

use super::{ColorChoice, LintFormat};
use abi_doctor::lint::{self, fix, Config};
use abi_doctor::report::check::Style;
use abi_doctor::report::json;
use abi_doctor::report::lint::{github, sarif, text, LintReport};
use std::io::{IsTerminal, Write};
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
    /// Output format.
    #[arg(long = "output-format", alias = "format", value_enum, default_value_t = LintFormat::Text)]
    pub format: LintFormat,
    /// When to use colors.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Exit 0 clean (info findings alone are clean), 1 warnings or errors, 2 could not run or a
/// file could not be linted.
pub fn run(args: &LintArgs) -> anyhow::Result<i32> {
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
    let mut out = std::io::stdout().lock();
    match args.format {
        LintFormat::Text => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
                }
            };
            text::write(
                &mut out,
                &report,
                Style {
                    color,
                    verbose: false,
                },
            )?
        }
        LintFormat::Json => json::write(&mut out, &report)?,
        LintFormat::Sarif => sarif::write(&mut out, &report)?,
        LintFormat::Github => github::write(&mut out, &report)?,
    }
    out.flush()?;
    Ok(report.exit_code())
}
