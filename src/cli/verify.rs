//! `abi-doctor verify`: import every extension module for real and compare with the predictions.

use std::io::Write;
use std::time::{Duration, Instant};

use abi_doctor::report::{json, verify::text};
use abi_doctor::verify::{verify, VerifyOptions};
use anyhow::{bail, Context};

use super::global::Globals;
use super::{EnvArgs, Format};

/// One line for `abi-doctor --help`.
const ABOUT: &str = "Import every extension module for real (RUNS CODE FROM THE ENVIRONMENT, unlike check), each in a fresh interpreter, and compare each outcome with the prediction";

const LONG_ABOUT: &str =
    "Import every compiled extension module of the environment for real, each in a fresh\n\
subprocess of the environment's own interpreter, and put each outcome beside the prediction.\n\
\n\
THIS RUNS CODE FROM THE ENVIRONMENT. Every interpreter it starts (one to check the\n\
interpreter works, then one per import) runs the environment's site.py: its `.pth` files\n\
(including their `import` lines) and any sitecustomize or usercustomize module, even when there\n\
is no module to import. Each import then executes the module's initialisation and its\n\
packages' `__init__.py` files. `check` never runs any of this. Each import gets a fresh\n\
`python -W always -X faulthandler` in its own session with a deadline; a module that crashes\n\
or hangs is reported as `crash` (with the signal) or `timeout`; when an import ends, its\n\
session is killed, and on Linux so is anything it detached (daemons are re-parented to\n\
verify and killed). A module whose import fails in a parent package is imported again with its parents\n\
stubbed, so that its own initialisation is what gets compared. Every top-level package is\n\
also imported once, as a user would.\n\
\n\
Prediction classes: agree; missed (a NumPy ABI failure that was not predicted); false_alarm\n\
(predicted to fail, imported); unrelated (failed for another reason: a missing system library,\n\
a Python-level error, a crash, a timeout); cascade (failed with a NumPy message raised in\n\
another module it imports, judged under that module's name).\n\
\n\
Exit codes: 0 every prediction agrees (or the failure is unrelated), 1 a missed failure or a\n\
false alarm, 2 the environment cannot be scanned or its interpreter does not run.";

/// Arguments of `abi-doctor verify` (its help text is [`LONG_ABOUT`]).
#[derive(Debug, clap::Args)]
#[command(about = ABOUT, long_about = LONG_ABOUT)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub env: EnvArgs,
    /// Output format (`--format` is the same option).
    #[arg(long = "output-format", alias = "format", value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Imports to run in parallel (default: the number of CPUs).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Seconds each import may take before its process group is killed.
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub timeout: f64,
    /// Only the modules whose binary shows they use NumPy (C API or Cython NumPy types).
    #[arg(long)]
    pub numpy_only: bool,
}

pub fn run(args: &VerifyArgs, g: &Globals) -> anyhow::Result<i32> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout < 1e9) {
        bail!("--timeout must be a positive number of seconds");
    }
    let scanned = abi_doctor::scan::scan(&args.env.scan_options(), &())
        .context("cannot find the environment")?;
    let env = &scanned.environment;
    let mut vopts = VerifyOptions {
        timeout: Duration::from_secs_f64(args.timeout),
        numpy_only: args.numpy_only,
        ..VerifyOptions::default()
    };
    if let Some(j) = args.jobs {
        vopts.jobs = j.max(1);
    }
    let python = env
        .python
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "(no interpreter)".into());
    // -q: the report only; the warning is in `verify --help` too.
    let mut err: Box<dyn Write> = if g.quiet > 0 {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::stderr().lock())
    };
    writeln!(
        err,
        "abi-doctor verify: importing the extension modules of {} with {python}.\n\
         This RUNS CODE from that environment: in every interpreter started, its site.py with the \
         .pth files and sitecustomize; then each module's initialisation and its packages' \
         __init__ files. `abi-doctor check` never does. {} parallel imports, {}s timeout each; \
         whatever an import leaves running is killed when it ends.",
        env.prefix.display(),
        vopts.jobs,
        args.timeout
    )?;
    drop(err);
    let started = Instant::now();
    let report = verify(&scanned, &vopts).context("cannot verify")?;
    let elapsed = started.elapsed();
    let mut out = g.stdout();
    match args.format {
        Format::Json => json::write(&mut out, &report)?,
        Format::Text => text::write(&mut out, &report, elapsed, g.style())?,
    }
    out.flush()?;
    Ok(report.exit_code())
}
