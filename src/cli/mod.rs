//! The command line: argument parsing, printing, exit codes. The only module that prints.

mod inspect;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

/// Find, explain and fix NumPy binary incompatibility ("numpy.ndarray size changed", "compiled
/// using NumPy 1.x cannot be run in NumPy 2", ...) by reading the compiled extension modules of a
/// Python environment, without importing anything.
#[derive(Debug, Parser)]
#[command(name = "abi-doctor", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show which NumPy each extension module (or each binary inside a wheel) was built against,
    /// and which NumPy versions it will import under.
    Inspect(InspectArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// Extension modules (.so, .pyd), wheels (.whl) or directories to search for them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Exit codes: 0 clean, 1 findings, 2 abi-doctor could not do its job.
pub fn run() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return 0;
            }
            let _ = writeln!(std::io::stderr(), "abi-doctor: error: {e:#}");
            2
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
