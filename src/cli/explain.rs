//! `abi-doctor explain [TEXT]`: a pasted error, traceback or CI log -> what happened, what to do.

use super::global::Globals;
use super::{ExplainArgs, Format};
use abi_doctor::explain::explain;
use abi_doctor::fix::plan::{self, PlanOptions};
use abi_doctor::fix::render;
use abi_doctor::report::check::CheckReport;
use abi_doctor::report::explain::{packages, text, ExplainReport};
use abi_doctor::report::json;
use std::io::Write;
use std::path::PathBuf;

/// Exit code when the text holds no NumPy binary-incompatibility message.
pub const NOTHING_RECOGNIZED: i32 = 3;

pub fn run(args: &ExplainArgs, g: &Globals) -> anyhow::Result<i32> {
    let text = match &args.text {
        Some(t) => t.clone(),
        None => {
            use abi_doctor::fsread::{read_stream_bounded, Limit};
            let (buf, cut) = read_stream_bounded(std::io::stdin().lock(), Limit::Log)?;
            if cut && g.quiet == 0 {
                eprintln!(
                    "abi-doctor: standard input is longer than {} MiB; only the first {} MiB were read",
                    Limit::Log.bytes() >> 20,
                    Limit::Log.bytes() >> 20
                );
            }
            String::from_utf8_lossy(&buf).into_owned()
        }
    };
    let mut found = explain(&text);
    // Scan only when the text names a package to look for, and only an environment that was
    // named (--env, --python, --site-packages) or that the traceback's own paths name and that
    // exists here: never whatever interpreter happens to be on PATH.
    let named =
        args.env.python.is_some() || args.env.env.is_some() || !args.env.site_packages.is_empty();
    let opts = if args.no_env || packages(&found).is_empty() {
        None
    } else if named {
        Some(args.env.scan_options())
    } else if let Some(prefix) = traceback_prefix(&text) {
        let mut e = args.env.clone();
        e.env = Some(prefix);
        Some(e.scan_options())
    } else {
        if args.format == Format::Text {
            eprintln!("abi-doctor: no environment: the text names none that exists here; pass --env DIR to see the culprit modules and a plan");
        }
        None
    };
    let scanned = opts.and_then(|o| abi_doctor::scan::scan(&o, &()).ok());
    let in_env = scanned.as_ref().map(CheckReport::from_scan);
    // With an environment, every remedy acts on it: its interpreter, its installed versions.
    if let Some(s) = &scanned {
        let ctx = abi_doctor::explain::EnvContext {
            target: s.scan.target.clone(),
            versions: s
                .inventory
                .distributions
                .iter()
                .map(|d| (d.normalized.clone(), d.version.clone()))
                .collect(),
            python: s.environment.python_version.clone(),
        };
        abi_doctor::explain::retarget(&mut found, &ctx);
    }
    // The same planner as `abi-doctor fix`, when something there fails, without the proof: a
    // proof installs into scratch venvs (a rebuild proof compiles from source, minutes), which an
    // explanation must not wait for. The plan says it is not proven; `abi-doctor fix` proves it.
    let plan = scanned
        .as_ref()
        .filter(|s| !s.failing_distributions().is_empty())
        .map(|s| {
            let fix_args = super::fix::FixArgs {
                dir: None,
                env: args.env.clone(),
                format: Format::Text,
                no_prove: true,
                uv: None,
                offline: false,
                apply: super::fix_apply::ApplyArgs::default(),
            };
            let vars = args.env.discover_options().env_vars;
            let (index, index_cache) = super::fix::index_options(false, &vars, false);
            let opts = PlanOptions {
                resolver: super::fix::resolver(&fix_args, &vars, s),
                prove: false,
                index: Some(index),
                index_cache,
                ..PlanOptions::default()
            };
            plan::plan(s, &opts, &())
        });
    let report = ExplainReport::new(found, in_env.as_ref());
    let mut out = g.stdout();
    match (args.format, &plan, &scanned) {
        (Format::Json, Some(p), Some(s)) => {
            let doc = render::ExplainWithPlan {
                report: &report,
                plan: Some(render::FixReport::new(&s.environment, p)),
            };
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        (Format::Json, _, _) => json::write(&mut out, &report)?,
        (Format::Text, p, s) => {
            text::write(&mut out, &report, g.style())?;
            if let (Some(p), Some(s)) = (p, s) {
                writeln!(
                    out,
                    "\nThe plan for this environment (as `abi-doctor fix` gives it):"
                )?;
                render::text(&mut out, &s.environment, p)?;
            }
        }
    }
    out.flush()?;
    Ok(if report.recognized {
        0
    } else {
        NOTHING_RECOGNIZED
    })
}

/// The prefix of the first `PREFIX/lib/pythonX.Y/site-packages/` path in the text that exists on
/// this machine.
fn traceback_prefix(text: &str) -> Option<PathBuf> {
    let re = regex::Regex::new(r#"(/[^\s"':]*?)/lib/python[0-9]+\.[0-9]+/site-packages/"#).ok()?;
    let found = re
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| PathBuf::from(m.as_str()))
        .find(|p| p.join("lib").is_dir());
    found
}
