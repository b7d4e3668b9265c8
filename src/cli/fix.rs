//! `abi-doctor fix`: plan the fix of a scanned environment, prove it in a scratch venv, print it.

use super::fix_apply;
use super::global::Globals;
use super::{EnvArgs, Format};
use abi_doctor::fix::apply::{Change, Install};
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
    /// Read no index: plan from the installed facts only (also ABI_DOCTOR_OFFLINE=1, UV_OFFLINE,
    /// PIP_NO_INDEX).
    #[arg(long)]
    pub offline: bool,
    #[command(flatten)]
    pub apply: fix_apply::ApplyArgs,
}

/// Exit 0: nothing to fix or a proven plan; 1: a plan that is not proven, or none; 2: could not run.
pub fn run(args: &FixArgs, g: &Globals) -> anyhow::Result<i32> {
    let mut env = args.env.clone();
    if let Some(dir) = &args.dir {
        env.env = Some(dir.clone());
    }
    let opts = env.scan_options();
    let json = args.format == Format::Json;
    let apply_opts = fix_apply::options(&args.apply)?;
    let environment = match abi_doctor::discover::discover(&opts.discover) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("abi-doctor: error: {e}");
            return Ok(2);
        }
    };
    if args.apply.rollback {
        return fix_apply::rollback(&environment, &apply_opts, json);
    }
    // An apply that was interrupted (killed, crashed) is finished before anything else.
    if let Some(code) = fix_apply::recover_first(&environment, &apply_opts) {
        return Ok(code);
    }
    if let Some(file) = &args.apply.apply_changes {
        return fix_apply::apply_file(&environment, file, &args.apply, json);
    }
    let cache_dir = if opts.no_cache {
        None
    } else {
        opts.cache_dir
            .clone()
            .or_else(|| scan::cache::default_dir(&opts.discover.env_vars))
    };
    let progress = super::check::Progress::new(g.progress);
    let scanned = scan::scan_environment_cached(environment, cache_dir.as_deref(), &progress);
    let (index, index_cache) = index_options(args.offline, &opts.discover.env_vars, opts.no_cache);
    let plan_opts = PlanOptions {
        resolver: resolver(args, &opts.discover.env_vars, &scanned),
        prove: !args.no_prove,
        index: Some(index),
        index_cache,
        ..PlanOptions::default()
    };
    let steps = Steps::new(g.progress && g.quiet == 0);
    let plan = plan::plan(&scanned, &plan_opts, &steps);
    if args.apply.apply {
        return apply_plan(&scanned, &plan, args, json);
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

/// `fix --apply`: carry out the chosen alternative when it is proven (or was not asked to be, with
/// `--no-prove`); otherwise print the plan and change nothing.
fn apply_plan(
    scanned: &scan::Scanned,
    plan: &Plan,
    args: &FixArgs,
    json: bool,
) -> anyhow::Result<i32> {
    let env = &scanned.environment;
    if plan.changes.is_empty() {
        if json {
            render::json(&mut std::io::stdout().lock(), env, plan)?;
        } else {
            println!("nothing to fix in {}", env.prefix.display());
        }
        return Ok(exit_code(plan));
    }
    if !plan.proven && !args.no_prove {
        let mut out = std::io::stdout().lock();
        if json {
            render::json(&mut out, env, plan)?;
        } else {
            render::text(&mut out, env, plan)?;
        }
        eprintln!(
            "abi-doctor: error: the plan is not proven in a scratch environment, so it is not applied"
        );
        return Ok(1);
    }
    if !json {
        // The plan with its proof first, then the changes and the commands apply runs.
        let mut out = std::io::stdout().lock();
        render::text(&mut out, env, plan)?;
        writeln!(out)?;
        out.flush()?;
    }
    let rebuild = plan.kind == Some(plan::Kind::Rebuild);
    // A rebuild is built against the NumPy the plan ends with: the planned one, else the installed.
    let build_numpy = plan
        .changes
        .iter()
        .find(|c| abi_doctor::inventory::normalize_name(&c.name) == "numpy")
        .and_then(|c| c.to.clone())
        .or_else(|| {
            let rt = scanned
                .numpy_install
                .as_ref()
                .and_then(abi_doctor::runtime::resolve)?;
            Some(rt.version.to_string())
        });
    let changes: Vec<Change> = plan
        .changes
        .iter()
        .map(|c| Change {
            name: c.name.clone(),
            from: c.from.clone(),
            to: c.to.clone(),
            how: if rebuild && abi_doctor::inventory::normalize_name(&c.name) != "numpy" {
                Install::Rebuild {
                    build_constraints: build_numpy.iter().map(|v| format!("numpy=={v}")).collect(),
                }
            } else {
                Install::Index
            },
        })
        .collect();
    fix_apply::apply_changes(env, &changes, &args.apply, json)
}

fn exit_code(plan: &Plan) -> i32 {
    if plan.proven {
        0
    } else {
        1
    }
}

/// The index the environment installs from (its variables and pip.conf) and the cache root for
/// wheel facts (none with `--no-cache`).
pub(crate) fn index_options(
    offline: bool,
    vars: &std::collections::BTreeMap<String, std::ffi::OsString>,
    no_cache: bool,
) -> (abi_doctor::index::IndexConfig, Option<PathBuf>) {
    let mut cfg = abi_doctor::index::IndexConfig::from_env(vars);
    if offline {
        cfg.offline = true;
        cfg.offline_source = Some("--offline".into());
    }
    let cache = if no_cache {
        None
    } else {
        abi_doctor::index::default_cache_dir(vars)
    };
    (cfg, cache)
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
