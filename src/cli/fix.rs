//! `abi-doctor fix`: plan the fix of a scanned environment, prove it in a scratch venv, print it.

use super::global::Globals;
use super::{EnvArgs, Format};
use abi_doctor::fix::plan::{self, Plan, PlanOptions};
use abi_doctor::fix::{render, resolve};
use abi_doctor::scan;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, clap::Args)]
pub struct FixArgs {
    /// The environment (as --env DIR).
    #[arg(value_name = "DIR", conflicts_with_all = ["env", "python", "site_packages"])]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub env: EnvArgs,
    /// Output format (`--format` is the same option).
    #[arg(long = "output-format", alias = "format", value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Plan only: do not install candidates into a scratch venv to prove them.
    #[arg(long)]
    pub no_prove: bool,
    /// The uv executable to resolve and prove with (default: `uv` on PATH, then the project
    /// tools' copy); pip's --dry-run --report is used without one.
    #[arg(long, value_name = "PATH", env = "ABI_DOCTOR_UV")]
    pub uv: Option<PathBuf>,
    /// Carry the plan out (not built yet in this version: the plan is printed).
    #[arg(long)]
    pub apply: bool,
}

/// Exit 0: nothing to fix or a proven plan; 1: a plan that is not proven, or none; 2: could not run.
pub fn run(args: &FixArgs, g: &Globals) -> anyhow::Result<i32> {
    let mut env = args.env.clone();
    if let Some(dir) = &args.dir {
        env.env = Some(dir.clone());
    }
    let opts = env.scan_options();
    let progress = super::check::Progress::new(g.progress);
    let scanned = match scan::scan(&opts, &progress) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("abi-doctor: error: {e}");
            return Ok(2);
        }
    };
    let plan_opts = PlanOptions {
        resolver: resolver(args, &opts.discover.env_vars, &scanned),
        prove: !args.no_prove,
        ..PlanOptions::default()
    };
    let steps = Steps::new(g.progress && g.quiet == 0);
    let plan = plan::plan(&scanned, &plan_opts, &steps);
    if args.apply {
        eprintln!(
            "abi-doctor: fix --apply is not available in this build; the plan below is printed, not applied"
        );
    }
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut sink = std::io::sink();
    let out: &mut dyn Write = if g.quiet >= 2 { &mut sink } else { &mut stdout };
    match args.format {
        Format::Text => render::text(out, &scanned.environment, &plan)?,
        Format::Json => render::json(out, &scanned.environment, &plan)?,
    }
    out.flush()?;
    Ok(exit_code(&plan))
}

fn exit_code(plan: &Plan) -> i32 {
    if plan.proven {
        0
    } else {
        1
    }
}

/// uv (explicit, PATH, project tools), else the environment's own pip.
pub(crate) fn resolver(
    args: &FixArgs,
    vars: &std::collections::BTreeMap<String, std::ffi::OsString>,
    scanned: &scan::Scanned,
) -> Option<resolve::Resolver> {
    let uv = args.uv.clone().or_else(|| resolve::find_uv(vars));
    if let Some(path) = uv {
        match resolve::probe_uv(&path) {
            Ok(u) => return Some(resolve::Resolver::Uv(u)),
            Err(e) => eprintln!("abi-doctor: warning: {e}; trying pip"),
        }
    }
    let has_pip = scanned
        .inventory
        .distributions
        .iter()
        .any(|d| d.normalized == "pip");
    match (&scanned.environment.python, has_pip) {
        (Some(py), true) => Some(resolve::Resolver::Pip { python: py.clone() }),
        _ => None,
    }
}

/// One progress line on stderr, on a terminal only, for resolver runs and scratch installs.
pub(crate) struct Steps {
    enabled: bool,
    shown: AtomicBool,
}

impl Steps {
    pub(crate) fn new(wanted: bool) -> Self {
        Steps {
            enabled: wanted && std::io::stderr().is_terminal(),
            shown: false.into(),
        }
    }
}

impl plan::PlanProgress for Steps {
    fn step(&self, what: &str) {
        if self.enabled {
            self.shown.store(true, Ordering::Relaxed);
            eprint!("\r\x1b[Kabi-doctor: {what}...");
        }
    }
    fn done(&self) {
        if self.shown.load(Ordering::Relaxed) {
            eprint!("\r\x1b[K");
        }
    }
}
