//! `abi-doctor fix --apply` / `--rollback`: the CLI over `abi_doctor::fix::apply`.
//!
//! [`ApplyArgs`] is flattened into `fix`'s arguments (cli/fix.rs), which calls [`recover_first`]
//! at the start of every run on an environment, [`rollback`] for `--rollback`, [`apply_file`] for
//! the hidden `--apply-changes FILE` (a JSON list of changes that drives the machinery directly)
//! and [`apply_changes`] with its plan's changes.

use abi_doctor::discover::Environment;
use abi_doctor::fix::apply::{
    self, Applied, ApplyError, ApplyOptions, Change, Installer, Recovered, Recovery, RolledBack,
};
use abi_doctor::scan;
use abi_doctor::verify::{Mode, Outcome, Runner};
use anyhow::Context;
use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

/// The apply options of `fix`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ApplyArgs {
    /// Apply the plan: snapshot what it changes, run the environment's own installer, re-check
    /// and import, and roll back automatically when that fails.
    #[arg(long, conflicts_with = "rollback")]
    pub apply: bool,
    /// Do not ask before applying.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Change a PEP 668 externally managed environment anyway (its packages belong to the
    /// system's package manager).
    #[arg(long)]
    pub break_system_packages: bool,
    /// Put the environment back as it was before the last `--apply`, from its snapshot (no
    /// network needed).
    #[arg(long)]
    pub rollback: bool,
    /// Apply the changes in FILE (a JSON list of {name, from, to, how}) instead of a plan: for
    /// testing the apply machinery.
    #[arg(long, value_name = "FILE", hide = true, conflicts_with = "rollback")]
    pub apply_changes: Option<PathBuf>,
}

/// The user's cache directory for journals and snapshots: `~/.cache/abi-doctor/fix`.
pub fn state_dir() -> anyhow::Result<PathBuf> {
    let vars = abi_doctor::discover::DiscoverOptions::from_process().env_vars;
    scan::cache::default_dir(&vars)
        .and_then(|facts| facts.parent().map(|p| p.join("fix")))
        .context("no cache directory (HOME, XDG_CACHE_HOME or LOCALAPPDATA is not set)")
}

pub fn options(args: &ApplyArgs) -> anyhow::Result<ApplyOptions> {
    Ok(ApplyOptions {
        break_system_packages: args.break_system_packages,
        ..ApplyOptions::new(state_dir()?)
    })
}

/// uv for the environment ([`abi_doctor::fix::uv::find_uv`]).
pub fn find_uv() -> Option<PathBuf> {
    let vars = abi_doctor::discover::DiscoverOptions::from_process().env_vars;
    abi_doctor::fix::uv::find_uv(&vars)
}

/// `fix --rollback`: restore the snapshot taken before the last apply.
pub fn rollback(env: &Environment, opts: &ApplyOptions, json: bool) -> anyhow::Result<i32> {
    Ok(match apply::rollback(env, opts) {
        Ok(r) => {
            print_rolled_back(env, &r, json)?;
            0
        }
        Err(e) => report_error(&e),
    })
}

/// The hidden `fix --apply-changes FILE`: a JSON list of changes, straight into the machinery
/// (tests of the machinery without a planner).
pub fn apply_file(
    env: &Environment,
    file: &std::path::Path,
    args: &ApplyArgs,
    json: bool,
) -> anyhow::Result<i32> {
    let text = std::fs::read_to_string(file).with_context(|| format!("{}", file.display()))?;
    let changes: Vec<Change> = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a JSON list of changes", file.display()))?;
    apply_changes(env, &changes, args, json)
}

/// Finish an interrupted apply on `env` (printing what was done). `Some(2)` when that failed and
/// nothing else should run.
pub fn recover_first(env: &Environment, opts: &ApplyOptions) -> Option<i32> {
    match apply::recover(env, opts) {
        Ok(None) => None,
        Ok(Some(r)) => {
            eprintln!("abi-doctor: {}", describe_recovery(env, &r));
            None
        }
        Err(e) => {
            eprintln!(
                "abi-doctor: error: finishing an interrupted apply on {}: {e}",
                env.prefix.display()
            );
            Some(2)
        }
    }
}

fn describe_recovery(env: &Environment, r: &Recovered) -> String {
    let p = env.prefix.display();
    match &r.action {
        Recovery::Discarded => format!(
            "an apply on {p} (pid {}) was interrupted while taking its snapshot, before anything changed; the partial snapshot was deleted",
            r.pid
        ),
        Recovery::Committed => format!(
            "an apply on {p} (pid {}) was interrupted after its re-check passed; the change stands and is committed",
            r.pid
        ),
        Recovery::RolledBack(rb) => format!(
            "an apply on {p} (pid {}) was interrupted at {}; rolled back: {} entries restored, {} removed, the files match the snapshot taken before ({} ms)",
            r.pid, r.found, rb.restored, rb.removed, rb.ms
        ),
    }
}

/// Exit code of a failed apply or rollback, after printing why: 1 when the change failed and the
/// environment was rolled back, 2 otherwise.
fn report_error(e: &ApplyError) -> i32 {
    eprintln!("abi-doctor: error: {e}");
    match e {
        ApplyError::RolledBack { .. } => 1,
        _ => 2,
    }
}

/// The re-check after an apply: the static check must find no failing distribution, and the
/// top-level packages of every distribution that uses NumPy or was changed must import.
pub fn recheck(env: &Environment, changed: &BTreeSet<String>) -> Result<(), String> {
    let cache = state_dir()
        .ok()
        .and_then(|s| s.parent().map(|p| p.join("facts")));
    let scanned = scan::scan_environment_cached(env.clone(), cache.as_deref(), &());
    let failing = scanned.failing_distributions();
    if !failing.is_empty() {
        return Err(format!(
            "`abi-doctor check` still predicts import failures in {}",
            failing.join(", ")
        ));
    }
    let python = env.python.clone().ok_or("no interpreter")?;
    let runner = Runner {
        python,
        site_packages: env.site_packages.clone(),
        timeout: Duration::from_secs(120),
        cwd: std::env::temp_dir(),
    };
    let uses_numpy: BTreeSet<usize> = scanned
        .scan
        .modules
        .iter()
        .filter(|m| abi_doctor::rules::predict::depends_on_numpy(&m.facts.numpy))
        .filter_map(|m| m.dist)
        .collect();
    let mut tops: BTreeSet<String> = BTreeSet::new();
    for (i, d) in scanned.inventory.distributions.iter().enumerate() {
        if uses_numpy.contains(&i) || changed.contains(&d.normalized) {
            tops.extend(
                d.top_level
                    .iter()
                    .filter(|t| !t.starts_with('_') && !t.contains('/') && !t.is_empty())
                    .cloned(),
            );
        }
    }
    let tops: Vec<String> = tops.into_iter().collect();
    let failed: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = tops
            .iter()
            .map(|t| {
                let runner = &runner;
                s.spawn(move || (t, runner.import(Mode::Plain, t, None)))
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .filter(|(_, r)| !matches!(r.outcome, Outcome::Ok | Outcome::Warning))
            .map(|(t, r)| {
                format!(
                    "import {t}: {}{}",
                    r.exception.as_deref().unwrap_or("failed"),
                    r.message.map(|m| format!(": {m}")).unwrap_or_default()
                )
            })
            .collect()
    });
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

/// Apply `changes` to `env` after showing them (and asking, unless `--yes`); exit 0 applied, 1
/// the change failed and was rolled back, 2 refused or could not finish.
pub fn apply_changes(
    env: &Environment,
    changes: &[Change],
    args: &ApplyArgs,
    json: bool,
) -> anyhow::Result<i32> {
    let opts = options(args)?;
    let python = match apply::preflight(env, changes, &opts) {
        Ok(p) => p,
        Err(e) => return Ok(report_error(&e)),
    };
    let installer = match Installer::choose(env, find_uv()) {
        Ok(i) => i,
        Err(e) => return Ok(report_error(&e)),
    };
    let state = apply::state_of(env, &opts);
    let steps = apply::steps(
        &python,
        &installer,
        changes,
        args.break_system_packages,
        apply::installed_pip(env).as_deref(),
        &state.build_constraints(),
    );
    if changes.is_empty() {
        println!("nothing to change in {}", env.prefix.display());
        return Ok(0);
    }
    if !json {
        println!("{} ({})", env.prefix.display(), python.display());
        for c in changes {
            println!(
                "  {} {} -> {}",
                c.name,
                c.from.as_deref().unwrap_or("(not installed)"),
                c.to.as_deref().unwrap_or("(removed)")
            );
        }
        println!("will run:");
        for s in &steps {
            println!("  {}", s.shown());
        }
    }
    if !args.yes && !confirm()? {
        eprintln!("abi-doctor: not applied (pass --yes to apply without asking)");
        return Ok(2);
    }
    let changed: BTreeSet<String> = changes
        .iter()
        .map(|c| abi_doctor::inventory::normalize_name(&c.name))
        .collect();
    let after = |e: &Environment| recheck(e, &changed);
    match apply::apply(env, changes, installer, &opts, &after) {
        Ok(a) => {
            print_applied(env, &a, json)?;
            Ok(0)
        }
        Err(e) => {
            if json {
                let doc = abi_doctor::fix::render::ApplyFailedReport {
                    schema_version: abi_doctor::fix::plan::SCHEMA_VERSION,
                    applied: false,
                    error: e.to_string(),
                    rolled_back: matches!(e, ApplyError::RolledBack { .. }),
                };
                println!("{}", serde_json::to_string_pretty(&doc)?);
            }
            Ok(report_error(&e))
        }
    }
}

fn confirm() -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        eprintln!("abi-doctor: standard input is not a terminal, so there is no one to ask");
        return Ok(false);
    }
    eprint!("Apply these changes? [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}

fn rollback_hint(env: &Environment) -> String {
    format!(
        "abi-doctor fix --rollback --env {}",
        abi_doctor::rules::shell_word(&env.prefix.display().to_string())
    )
}

fn print_applied(env: &Environment, a: &Applied, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let doc = abi_doctor::fix::render::ApplyReport {
            schema_version: abi_doctor::fix::plan::SCHEMA_VERSION,
            applied: true,
            result: a,
            rollback: rollback_hint(env),
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    let ms = |p: &str| {
        a.timings
            .iter()
            .find(|t| t.phase.as_str() == p)
            .map_or(0, |t| t.ms)
    };
    writeln!(
        out,
        "applied: {} distribution(s) changed; snapshot of {} entries ({:.1} MB) in {} ms, install {} ms, re-check {} ms",
        a.changed_distributions,
        a.snapshot_files,
        a.snapshot_bytes as f64 / 1e6,
        ms("snapshot-complete"),
        ms("applied").saturating_sub(ms("applying")),
        ms("verified").saturating_sub(ms("applied")),
    )?;
    writeln!(
        out,
        "the re-check passed; committed. To undo: {}",
        rollback_hint(env)
    )?;
    writeln!(out, "journal and snapshot: {}", a.state_dir.display())?;
    Ok(())
}

fn print_rolled_back(env: &Environment, r: &RolledBack, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let doc = abi_doctor::fix::render::RollbackReport {
            schema_version: abi_doctor::fix::plan::SCHEMA_VERSION,
            rolled_back: r,
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "rolled back {}: {} entries restored, {} removed; its files match the snapshot taken before the apply ({} ms)",
        env.prefix.display(),
        r.restored,
        r.removed,
        r.ms
    )?;
    for n in &r.notes {
        writeln!(out, "  note: {n}")?;
    }
    Ok(())
}
