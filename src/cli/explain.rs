//! `abi-doctor explain [TEXT]`: a pasted error, traceback or CI log -> what happened, what to do.

use super::global::Globals;
use super::{ExplainArgs, Format};
use abi_doctor::explain::explain;
use abi_doctor::report::check::CheckReport;
use abi_doctor::report::explain::{packages, text, ExplainReport};
use abi_doctor::report::json;
use std::io::Write;

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
    let found = explain(&text);
    // Scan only when the text names a package to look for; a failed scan leaves the
    // explanation on its own.
    let in_env = if args.no_env || packages(&found).is_empty() {
        None
    } else {
        abi_doctor::scan::scan(&args.env.scan_options(), &())
            .ok()
            .map(|s| CheckReport::from_scan(&s))
    };
    let report = ExplainReport::new(found, in_env.as_ref());
    let mut out = g.stdout();
    match args.format {
        Format::Json => json::write(&mut out, &report)?,
        Format::Text => text::write(&mut out, &report, g.style())?,
    }
    out.flush()?;
    Ok(if report.recognized {
        0
    } else {
        NOTHING_RECOGNIZED
    })
}
