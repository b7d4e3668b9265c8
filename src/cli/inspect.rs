//! `abi-doctor inspect PATH...`

use super::{Format, InspectArgs};
use abi_doctor::report::{inspect::text, json};
use std::io::Write;

pub fn run(args: &InspectArgs) -> anyhow::Result<i32> {
    let report = abi_doctor::inspect::inspect(&args.paths);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => json::write(&mut out, &report)?,
        Format::Text => text::write(&mut out, &report)?,
    }
    out.flush()?;
    if report.readable() == 0 {
        if matches!(args.format, Format::Text) {
            eprintln!("abi-doctor: nothing could be inspected");
        }
        return Ok(2);
    }
    Ok(0)
}
