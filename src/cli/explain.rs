//! `abi-doctor explain [TEXT]`: a pasted error, traceback or CI log -> what happened, what to do.

use super::{ExplainArgs, Format};
use abi_doctor::explain::explain;
use abi_doctor::report::check::CheckReport;
use abi_doctor::report::explain::{packages, text, ExplainReport};
use abi_doctor::report::json;
use std::io::{Read, Write};

/// Exit code when the text holds no NumPy binary-incompatibility message.
pub const NOTHING_RECOGNIZED: i32 = 3;

pub fn run(args: &ExplainArgs) -> anyhow::Result<i32> {
    let text = match &args.text {
        Some(t) => t.clone(),
        None => {
            let mut buf = Vec::new();
            // Logs can be large; 64 MB is far more than any traceback.
            std::io::stdin().take(64 << 20).read_to_end(&mut buf)?;
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
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => json::write(&mut out, &report)?,
        Format::Text => text::write(&mut out, &report)?,
    }
    out.flush()?;
    Ok(if report.recognized {
        0
    } else {
        NOTHING_RECOGNIZED
    })
}
