//! `abi-doctor check`: scan an environment and predict every NumPy import failure.

use super::{CheckArgs, ColorChoice, OutputFormat};
use abi_doctor::report::check::{github, html, sarif, text, CheckReport, Style};
use abi_doctor::report::json;
use abi_doctor::scan;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

pub fn run(args: &CheckArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    let progress = Progress::new(true);
    let opts = scan::ScanOptions {
        no_cache: args.no_cache,
        ..args.env.scan_options()
    };
    let (report, from_cache) = match scan::scan(&opts, &progress) {
        Ok(s) => (CheckReport::from_scan(&s), s.from_cache),
        Err(e) => {
            eprintln!("abi-doctor: error: {e}");
            eprintln!(
                "  hint: name the environment with --env DIR, --python PATH or --site-packages DIR"
            );
            return Ok(2);
        }
    };
    // Buffered: a JSON report is thousands of lines, and stdout is line-buffered.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        OutputFormat::Text => {
            let style = Style {
                color: color_enabled(args.color),
                verbose: args.verbose,
            };
            text::write(&mut out, &report, style)?
        }
        OutputFormat::Json => json::write(&mut out, &report)?,
        OutputFormat::Sarif => sarif::write(&mut out, &report)?,
        OutputFormat::Github => github::write(&mut out, &report)?,
        OutputFormat::Html => html::write(&mut out, &report)?,
    }
    out.flush()?;
    if args.verbose {
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
    Ok(if report.has_errors() { 1 } else { 0 })
}

fn color_enabled(c: ColorChoice) -> bool {
    match c {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
        }
    }
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
        if !self.enabled || self.start.elapsed().as_millis() < 1000 || n % 16 != 0 {
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
