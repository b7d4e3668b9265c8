//! The command line: argument parsing, printing, exit codes. The only module that prints.

// The crate denies print_stdout/print_stderr (Cargo.toml [lints.clippy]) so that library code
// reports through return values; this module is the one place whose job is to print.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub(crate) mod check;
mod explain;
pub(crate) mod fix;
pub(crate) mod fix_apply;
pub(crate) mod global;
mod inspect;
mod lint;
mod preinstall;
mod verify;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

/// Find, explain and fix NumPy binary incompatibility ("numpy.ndarray size changed", "compiled
/// using NumPy 1.x cannot be run in NumPy 2", ...) by reading the compiled extension modules of a
/// Python environment, without importing anything.
#[derive(Debug, Parser)]
#[command(name = "abi-doctor", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: global::GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show which NumPy each extension module (or each binary inside a wheel) was built against,
    /// and which NumPy versions it will import under.
    Inspect(InspectArgs),
    /// Scan a Python environment and predict every NumPy import failure, without importing
    /// anything: the exact message Python would print, grouped by package, with the fix.
    Check(CheckArgs),
    /// Explain a pasted NumPy error, traceback or CI log (argument, or standard input): which NumPy
    /// the extension was built against, which is running, and what to do. Exit 3 when the text
    /// holds no NumPy binary-incompatibility message.
    Explain(ExplainArgs),
    /// Plan the fix of an environment: exact releases (move NumPy, move packages, rebuild),
    /// resolved with uv and proven in a scratch venv before anything is changed. Exit 0 when
    /// nothing needs fixing or the plan is proven, 1 otherwise, 2 when it cannot run.
    /// `--apply` carries a proven plan out with a snapshot to fall back on; `--rollback` undoes
    /// the last apply; every run first finishes an apply that was interrupted.
    Fix(fix::FixArgs),
    /// Print the documentation of a rule (NPY001 ..., NPL001 ...), or list the rules.
    Rule(RuleArgs),
    /// Check project files (pyproject.toml, setup.py/cfg, requirements, environment.yml,
    /// Dockerfiles, shell scripts, GitHub workflows) for what later breaks NumPy imports; reads,
    /// never executes. Exit 0 clean, 1 findings, 2 could not run.
    Lint(lint::LintArgs),
    // Help text (it runs code from the environment): `about` of cli/verify.rs VerifyArgs.
    Verify(verify::VerifyArgs),
    /// Print the JSON Schema (draft 2020-12) of a command's JSON report (check, explain, inspect,
    /// lint, verify), or list the reports. The same files are in docs/schema/.
    Schema(SchemaArgs),
    /// Print a shell's completion script (bash, zsh, fish, elvish, powershell) on standard
    /// output, e.g. `abi-doctor generate-shell-completion bash > ~/.local/share/bash-completion/completions/abi-doctor`.
    #[command(hide = true)]
    GenerateShellCompletion {
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on standard output: `abi-doctor generate-man-page > abi-doctor.1`.
    #[command(hide = true)]
    GenerateManPage,
}

/// Which Python environment to look at. With none of these: $VIRTUAL_ENV, then $CONDA_PREFIX,
/// then ./.venv, then `python3` on PATH.
#[derive(Debug, Clone, clap::Args)]
pub struct EnvArgs {
    /// A Python interpreter: a path, a virtual environment's directory, a version (`3.11`:
    /// `python3.11` on PATH, then pyenv's) or a name on PATH (`python3.11`). Its environment is
    /// scanned. It is run once to ask for its paths, as
    /// `-I -S -B` from an empty directory: no site-packages, .pth file or sitecustomize runs and
    /// no bytecode is written. Without --python, an environment's own interpreter is run only when
    /// it resolves to a compiled interpreter outside the environment, where pyvenv.cfg's `home`
    /// says.
    #[arg(long, value_name = "PYTHON")]
    pub python: Option<PathBuf>,
    /// A virtual environment or conda prefix.
    #[arg(long, value_name = "DIR")]
    pub env: Option<PathBuf>,
    /// A site-packages directory (repeatable, in sys.path order).
    #[arg(long = "site-packages", value_name = "DIR")]
    pub site_packages: Vec<PathBuf>,
}

impl EnvArgs {
    /// The library's scan options for these arguments, with the process's environment variables
    /// and working directory for the default search.
    pub fn scan_options(&self) -> abi_doctor::scan::ScanOptions {
        abi_doctor::scan::ScanOptions {
            discover: self.discover_options(),
            ..Default::default()
        }
    }

    pub fn discover_options(&self) -> abi_doctor::discover::DiscoverOptions {
        abi_doctor::discover::DiscoverOptions {
            python: self.python.as_deref().map(global::resolve_python),
            env: self.env.clone(),
            site_packages: self.site_packages.clone(),
            ..abi_doctor::discover::DiscoverOptions::from_process()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
    Sarif,
    Github,
    /// One self-contained page: the import windows drawn, the findings table below.
    Html,
}

/// `lint`'s formats: `check`'s, without the import-window picture (a project has no installed
/// NumPy to draw).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    Text,
    Json,
    Sarif,
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The environment (as --env DIR), or wheel files to check before installing them.
    #[arg(value_name = "DIR|WHEEL")]
    pub paths: Vec<PathBuf>,
    /// Check before install: the distributions these requirements files resolve to (uv pip
    /// compile; pip install --dry-run --report when uv is not found). Repeatable.
    #[arg(short = 'r', long = "requirement", value_name = "FILE")]
    pub requirements: Vec<PathBuf>,
    /// Constraints files for the resolution of -r (repeatable).
    #[arg(short = 'c', long = "constraint", value_name = "FILE")]
    pub constraints: Vec<PathBuf>,
    /// Check before install: a lock file (pylock.toml, uv.lock, poetry.lock), read directly.
    /// Repeatable.
    #[arg(long = "lock", value_name = "FILE")]
    pub locks: Vec<PathBuf>,
    /// Check before install: the wheels of this directory (per distribution, the one that fits
    /// the target). Repeatable.
    #[arg(long = "wheelhouse", value_name = "DIR")]
    pub wheelhouses: Vec<PathBuf>,
    /// The Python version to check for before install (`3.11`); default: the environment check
    /// would scan, else this machine's python3.
    #[arg(long, value_name = "X.Y")]
    pub python_version: Option<String>,
    /// The platform to check for before install, in uv's spelling (`x86_64-manylinux_2_17`,
    /// `aarch64-apple-darwin`, `windows`); default: this machine.
    #[arg(long, value_name = "PLATFORM")]
    pub python_platform: Option<String>,
    /// With -r: take the pins as they are (a `pip freeze`), without resolving dependencies.
    #[arg(long)]
    pub no_deps: bool,
    /// Before install: download nothing; use only local files and the cache.
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub env: EnvArgs,
    /// Output format (`--format` is the same option; default text). With `github`, the full
    /// table also goes to $GITHUB_STEP_SUMMARY when it is set.
    #[arg(
        long = "output-format",
        alias = "format",
        value_enum,
        env = "ABI_DOCTOR_OUTPUT_FORMAT"
    )]
    pub format: Option<OutputFormat>,
    /// Exit 0 even when there are findings (2 still means abi-doctor could not run).
    #[arg(long, env = "ABI_DOCTOR_EXIT_ZERO", value_parser = clap::builder::FalseyValueParser::new())]
    pub exit_zero: bool,
    /// Only these rule codes or prefixes (comma-separated: NPY001,NPY00).
    #[arg(
        long,
        value_delimiter = ',',
        env = "ABI_DOCTOR_SELECT",
        value_name = "CODES"
    )]
    pub select: Option<Vec<String>>,
    /// Leave out these rule codes or prefixes (comma-separated).
    #[arg(
        long,
        value_delimiter = ',',
        env = "ABI_DOCTOR_IGNORE",
        value_name = "CODES"
    )]
    pub ignore: Vec<String>,
    /// Inspect every compiled file and list the environment again: do not read or write the facts
    /// cache (kept in the user's cache directory; a file's entry is used while its size, mtime,
    /// permissions and inode are unchanged, the remembered inventory while every directory and
    /// file it read is).
    #[arg(long, env = "ABI_DOCTOR_NO_CACHE", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_cache: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The message or traceback; read from standard input when absent.
    pub text: Option<String>,
    /// Where the traceback names a package, look for it in this environment (the same options as
    /// `check`; by default the environment `check` would find) and name the culprit modules.
    #[command(flatten)]
    pub env: EnvArgs,
    /// Do not look at any environment.
    #[arg(long)]
    pub no_env: bool,
    /// Output format (`--format` is the same option).
    #[arg(long = "output-format", alias = "format", value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, clap::Args)]
pub struct RuleArgs {
    /// Rule code (NPY001, NPL001) or name (size-changed); omit to list all rules.
    pub code: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// The report: check, explain, inspect, lint or verify; omit to list them.
    pub report: Option<String>,
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
    /// Output format (`--format` is the same option).
    #[arg(long = "output-format", alias = "format", value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Exit codes: 0 clean, 1 findings, 2 abi-doctor could not do its job.
pub fn run() -> i32 {
    let matches = command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let globals = match global::Globals::resolve(&cli.global) {
        Ok(g) => g,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "abi-doctor: error: {e:#}");
            return 2;
        }
    };
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(&args, &globals),
        Command::Check(args) => check::run(&args, &globals),
        Command::Rule(args) => rule(&args),
        Command::Schema(args) => schema(&args),
        Command::Explain(args) => explain::run(&args, &globals),
        Command::Verify(args) => verify::run(&args, &globals),
        Command::Fix(args) => fix::run(&args, &globals),
        Command::Lint(args) => lint::run(&args, &globals),
        Command::GenerateShellCompletion { shell } => {
            let mut cmd = command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "abi-doctor", &mut script);
            std::io::stdout()
                .write_all(&script)
                .map(|()| 0)
                .map_err(anyhow::Error::from)
        }
        Command::GenerateManPage => clap_mangen::Man::new(command())
            .render(&mut std::io::stdout())
            .map(|()| 0)
            .map_err(anyhow::Error::from),
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

/// The clap command, its `--version` naming the knowledge base's newest NumPy:
/// `abi-doctor 0.1.0 (knowledge base: NumPy up to 2.3.5)`.
pub fn command() -> clap::Command {
    let kb = abi_doctor::knowledge::knowledge();
    let newest = kb
        .newest()
        .map(|r| format!(" (knowledge base: NumPy up to {})", r.last_patch))
        .unwrap_or_default();
    let version: &'static str =
        Box::leak(format!("{}{newest}", env!("CARGO_PKG_VERSION")).into_boxed_str());
    Cli::command().version(version)
}

/// Appends a step summary to `$GITHUB_STEP_SUMMARY` (the runner gives each step its own file).
pub(crate) fn append_step_summary(
    path: &std::ffi::OsStr,
    render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("$GITHUB_STEP_SUMMARY {}", path.to_string_lossy()))?;
    let mut buf = Vec::new();
    render(&mut buf)?;
    f.write_all(&buf)?;
    Ok(())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn schema(args: &SchemaArgs) -> anyhow::Result<i32> {
    use abi_doctor::schema::Report;
    let mut out = std::io::stdout().lock();
    match &args.report {
        None => {
            for r in Report::ALL {
                writeln!(out, "{}", r.name())?;
            }
            Ok(0)
        }
        Some(name) => match Report::from_name(name) {
            Some(r) => {
                abi_doctor::report::json::write(&mut out, &r.schema())?;
                Ok(0)
            }
            None => {
                let names: Vec<&str> = Report::ALL.iter().map(|r| r.name()).collect();
                eprintln!(
                    "abi-doctor: no JSON report {name:?}; the reports are {}",
                    names.join(", ")
                );
                Ok(2)
            }
        },
    }
}

fn rule(args: &RuleArgs) -> anyhow::Result<i32> {
    // Both tables: check's rules (NPY...) and lint's (NPL...), as (code, name, title, doc).
    let reg: Vec<(&str, &str, String, String)> = abi_doctor::rules::RULES
        .iter()
        .map(|r| (r.code, r.name, r.title(), r.doc()))
        .chain(
            abi_doctor::lint::rules::LINT_RULES
                .iter()
                .map(|r| (r.code, r.name, r.title(), r.doc())),
        )
        .collect();
    let mut out = std::io::stdout().lock();
    match &args.code {
        None => {
            for r in &reg {
                writeln!(out, "{}", r.2)?;
            }
            Ok(0)
        }
        Some(code) => match reg
            .iter()
            .find(|r| r.0.eq_ignore_ascii_case(code) || r.1.eq_ignore_ascii_case(code))
        {
            Some(r) => {
                writeln!(out, "{}", r.3)?;
                Ok(0)
            }
            None => {
                eprintln!("abi-doctor: no rule {code:?}; `abi-doctor rule` lists them");
                Ok(2)
            }
        },
    }
}
