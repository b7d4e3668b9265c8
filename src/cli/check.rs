//! `abi-doctor check`: scan an environment and predict every NumPy import failure.

use super::global::Globals;
use super::{CheckArgs, OutputFormat};
use abi_doctor::report::check::{github, html, sarif, text, CheckReport, Style};
use abi_doctor::report::json;
use abi_doctor::scan;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

pub fn run(args: &CheckArgs, g: &Globals) -> anyhow::Result<i32> {
    let started = Instant::now();
    let format = match (args.format, &g.config.output_format) {
        (Some(f), _) => f,
        (None, Some(s)) => clap::ValueEnum::from_str(s, true).map_err(|_| {
            anyhow::anyhow!("configuration: output-format {s:?} is not one of check's formats")
        })?,
        (None, None) => OutputFormat::Text,
    };
    let progress = Progress::new(g.progress);
    if super::preinstall::wanted(args) {
        return super::preinstall::run(args, g, format, &progress);
    }
    let mut env = args.env.clone();
    match args.paths.as_slice() {
        [] => {}
        [dir] if env.env.is_none() && env.python.is_none() && env.site_packages.is_empty() => {
            env.env = Some(dir.clone())
        }
        _ => {
            eprintln!("abi-doctor: error: check takes one environment directory (or wheel files), not both a directory and --env/--python/--site-packages");
            return Ok(2);
        }
    }
    let opts = scan::ScanOptions {
        no_cache: args.no_cache,
        ..env.scan_options()
    };
    let scanned = match scan::scan(&opts, &progress) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("abi-doctor: error: {e}");
            eprintln!(
                "  hint: name the environment with --env DIR, --python PATH or --site-packages DIR"
            );
            return Ok(2);
        }
    };
    if std::env::var_os("ABI_DOCTOR_TRACE").is_some_and(|v| v == "1") {
        for (phase, d) in &scanned.phases {
            eprintln!(
                "abi-doctor: trace: {phase}: {:.1} ms",
                d.as_secs_f64() * 1e3
            );
        }
    }
    let mut report = CheckReport::from_scan(&scanned);
    filter_findings(&mut report, args, g);
    let from_cache = scanned.from_cache;
    render(&report, format, g)?;
    if g.verbose > 0 && g.quiet == 0 {
        let cached = match from_cache {
            Some(n) => format!(" ({n} unchanged, from the facts cache)"),
            None => " (facts cache off)".to_string(),
        };
        eprintln!(
            "abi-doctor: scanned {} binaries in {:.0} ms{cached}",
            report.binaries_scanned,
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    let exit_zero = args.exit_zero || g.config.exit_zero.unwrap_or(false);
    let code = if report.has_errors() && !exit_zero {
        1
    } else {
        0
    };
    // The process ends right after this: the scan's and the report's memory goes with it, without
    // freeing each of their allocations one by one (a tenth of a warm run's time).
    std::mem::forget(report);
    std::mem::forget(scanned);
    Ok(code)
}

/// Keep the findings `--select`/`--ignore` (and the configuration) ask for.
pub(crate) fn filter_findings(r: &mut CheckReport, args: &CheckArgs, g: &Globals) {
    let select = args.select.clone().or(g.config.check_select.clone());
    let ignore: Vec<String> = args
        .ignore
        .iter()
        .chain(&g.config.check_ignore)
        .cloned()
        .collect();
    let matches = |code: &str, p: &String| code.starts_with(&p.to_ascii_uppercase());
    r.findings.retain(|f| {
        select
            .as_ref()
            .is_none_or(|s| s.iter().any(|p| matches(f.code, p)))
            && !ignore.iter().any(|p| matches(f.code, p))
    });
    r.summary = CheckReport::summarize(&r.findings);
}

/// Write the report in `format` to stdout (nothing with -qq).
pub(crate) fn render(
    report: &CheckReport,
    format: OutputFormat,
    g: &Globals,
) -> anyhow::Result<()> {
    // Buffered: a JSON report is thousands of lines, and stdout is line-buffered.
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut sink = std::io::sink();
    let out: &mut dyn Write = if g.quiet >= 2 { &mut sink } else { &mut stdout };
    match format {
        OutputFormat::Text => {
            let style = Style {
                color: g.color,
                verbose: g.verbose > 0,
            };
            text::write(out, report, style)?
        }
        OutputFormat::Json => json::write(out, report)?,
        OutputFormat::Sarif => sarif::write(out, report)?,
        OutputFormat::Github => {
            let opts = github::Options {
                show_info: g.verbose > 0,
            };
            github::write(out, report, opts)?;
            if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
                super::append_step_summary(&path, |w| github::write_summary(w, report))?;
            }
        }
        OutputFormat::Html => html::write(out, report)?,
    }
    out.flush()?;
    Ok(())
}

/// A progress line on stderr for scans longer than a second, only on a terminal.
pub(crate) struct Progress {
    total: AtomicUsize,
    done: AtomicUsize,
    start: Instant,
    enabled: bool,
    shown: AtomicBool,
}

impl Progress {
    pub(crate) fn new(wanted: bool) -> Self {
        Progress {
            total: 0.into(),
            done: 0.into(),
            start: Instant::now(),
            enabled: wanted && std::io::stderr().is_terminal(),
            shown: false.into(),
        }
    }
}

impl scan::Progress for Progress {
    fn inspecting(&self, total: usize) {
        self.total.store(total, Ordering::Relaxed);
    }
    fn inspected(&self) {
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.enabled || self.start.elapsed().as_millis() < 1000 || !n.is_multiple_of(16) {
            return;
        }
        self.shown.store(true, Ordering::Relaxed);
        let total = self.total.load(Ordering::Relaxed);
        eprint!("\rabi-doctor: inspecting binaries {n}/{total}");
    }
    fn inspected_all(&self) {
        if self.shown.load(Ordering::Relaxed) {
            eprint!("\r\x1b[K");
        }
    }
}
