//! `abi-doctor verify`: import every extension module for real and compare with the predictions.

use std::io::Write;
use std::time::{Duration, Instant};

use abi_doctor::verify::{verify, ModuleReport, Outcome, PredictionClass, Report, VerifyOptions};
use anyhow::{bail, Context};

use super::{EnvArgs, Format};

/// One line for `abi-doctor --help`.
const ABOUT: &str = "Import every extension module for real (RUNS CODE FROM THE ENVIRONMENT, unlike check), each in a fresh interpreter, and compare each outcome with the prediction";

const LONG_ABOUT: &str =
    "Import every compiled extension module of the environment for real, each in a fresh\n\
subprocess of the environment's own interpreter, and put each outcome beside the prediction.\n\
\n\
THIS RUNS CODE FROM THE ENVIRONMENT: importing a module executes its initialisation and its\n\
packages' `__init__.py` files (`check` never runs anything). Each import gets a fresh\n\
`python -W always -X faulthandler`, its own process group and a deadline; a module that\n\
crashes or hangs is reported as `crash` (with the signal) or `timeout` (the process group is\n\
killed). A module whose import fails in a parent package is imported again with its parents\n\
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
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

pub fn run(args: &VerifyArgs) -> anyhow::Result<i32> {
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
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "abi-doctor verify: importing the extension modules of {} with {python}.\n\
         This RUNS CODE from that environment (module initialisation, package __init__ files); \
         `abi-doctor check` never does. {} parallel imports, {}s timeout each.",
        env.prefix.display(),
        vopts.jobs,
        args.timeout
    )?;
    drop(err);
    let started = Instant::now();
    let report = verify(&scanned, &vopts).context("cannot verify")?;
    let elapsed = started.elapsed();
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Text => text(&mut out, &report, elapsed)?,
    }
    out.flush()?;
    Ok(report.exit_code())
}

fn clip(s: &str, n: usize) -> String {
    let s = abi_doctor::verify::normalize(s);
    if s.chars().count() <= n {
        s
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

fn real_line(m: &ModuleReport) -> String {
    let i = &m.import;
    match i.outcome {
        Outcome::Ok => "imported".into(),
        Outcome::Warning => match i.warnings.first() {
            Some(w) => format!(
                "imported; {} warning(s), first: {}: {}",
                i.warnings.len(),
                w.category,
                clip(&w.message, 140)
            ),
            None => "imported with warnings".into(),
        },
        Outcome::Error => {
            let mut s = format!(
                "{}: {}",
                i.exception.as_deref().unwrap_or("error"),
                clip(i.message.as_deref().unwrap_or(""), 160)
            );
            if let Some(c) = &i.cause {
                s.push_str(&format!(
                    " (from {}: {})",
                    c.exception,
                    clip(&c.message, 100)
                ));
            }
            s
        }
        Outcome::Crash | Outcome::Timeout => clip(i.message.as_deref().unwrap_or(""), 160),
    }
}

fn text(out: &mut impl Write, r: &Report, elapsed: Duration) -> anyhow::Result<()> {
    let np = r
        .numpy
        .as_ref()
        .map(|n| format!("NumPy {}", n.version))
        .unwrap_or_else(|| "no NumPy".into());
    writeln!(
        out,
        "{} ({}, {})",
        r.environment.prefix.display(),
        r.environment
            .python_version
            .as_deref()
            .unwrap_or("Python ?"),
        np
    )?;
    writeln!(out)?;
    let width = r
        .modules
        .iter()
        .map(|m| m.module.len())
        .max()
        .unwrap_or(6)
        .clamp(6, 60);
    writeln!(
        out,
        "{:<11} {:<8} {:<width$} REAL",
        "PREDICTION", "OUTCOME", "MODULE"
    )?;
    for m in &r.modules {
        writeln!(
            out,
            "{:<11} {:<8} {:<width$} {}",
            m.prediction.as_str(),
            m.import.outcome.as_str(),
            m.module,
            real_line(m)
        )?;
        let pad = " ".repeat(21);
        if let Some(p) = &m.plain {
            writeln!(
                out,
                "{pad}(own import with parents stubbed; `import {}` {} in {})",
                m.module,
                match p.outcome {
                    Outcome::Crash => "crashed",
                    Outcome::Timeout => "timed out",
                    _ => "fails",
                },
                p.failed_in_parent().unwrap_or("a parent package")
            )?;
        }
        if m.prediction != PredictionClass::Agree || m.import.outcome.failed() {
            match &m.predicted {
                Some(p) => {
                    let then = p
                        .then
                        .as_ref()
                        .map(|t| format!(", then {}: {}", t.exception, t.message))
                        .unwrap_or_default();
                    writeln!(
                        out,
                        "{pad}predicted: {}: {}{then}",
                        p.exception,
                        clip(&p.message, 120)
                    )?;
                }
                None => writeln!(out, "{pad}predicted: imports")?,
            }
            if let Some(mm) = m.message_match {
                writeln!(out, "{pad}message match: {}", if mm { "yes" } else { "no" })?;
            }
            if let (Some(o), Some(_)) = (&m.import.origin, &m.numpy_family) {
                if o != &m.module {
                    writeln!(out, "{pad}raised in: {o}")?;
                }
            }
        }
        if let (Some(pkg), Some(po)) = (&m.package, m.package_outcome) {
            if m.import.outcome.failed() && !po.failed() {
                writeln!(
                    out,
                    "{pad}(but `import {pkg}` succeeds: the package guards or does not load it)"
                )?;
            }
        }
    }
    if !r.packages.is_empty() {
        writeln!(out)?;
        writeln!(out, "{:<8} PACKAGE (import as a user does)", "OUTCOME")?;
        for p in &r.packages {
            let i = &p.import;
            let detail = match i.outcome {
                Outcome::Ok => String::new(),
                Outcome::Warning => format!("{} warning(s)", i.warnings.len()),
                Outcome::Error => format!(
                    "{}: {}",
                    i.exception.as_deref().unwrap_or("error"),
                    clip(i.message.as_deref().unwrap_or(""), 160)
                ),
                _ => clip(i.message.as_deref().unwrap_or(""), 160),
            };
            writeln!(out, "{:<8} {} {}", i.outcome.as_str(), p.package, detail)?;
        }
    }
    for s in &r.skipped {
        writeln!(out, "skipped {}: {}", s.module, s.reason)?;
    }
    writeln!(out)?;
    let join = |m: &std::collections::BTreeMap<&'static str, usize>| {
        m.iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let s = &r.summary;
    writeln!(
        out,
        "{} modules: {}; predictions: {}; message match: {} of {}; packages: {}. ({:.1}s)",
        s.modules,
        join(&s.outcomes),
        join(&s.predictions),
        s.message_match.get("true").copied().unwrap_or(0),
        s.message_match.values().sum::<usize>(),
        join(&s.packages),
        elapsed.as_secs_f64()
    )?;
    for n in &r.notes {
        writeln!(out, "note: {n}")?;
    }
    Ok(())
}
