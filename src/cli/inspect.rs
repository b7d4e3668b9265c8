//! `abi-doctor inspect PATH...`

use super::global::Globals;
use super::{Format, InspectArgs};
use abi_doctor::report::{inspect::text, json};
use std::io::Write;

pub fn run(args: &InspectArgs, g: &Globals) -> anyhow::Result<i32> {
    let report = abi_doctor::inspect::inspect(&args.paths);
    let mut out = g.stdout();
    match args.format {
        Format::Json => json::write(&mut out, &report)?,
        Format::Text => text::write(&mut out, &report, g.style())?,
    }
    out.flush()?;
    if report.readable() == 0 {
        if matches!(args.format, Format::Text) && g.quiet == 0 {
            eprintln!("abi-doctor: nothing could be inspected");
        }
        return Ok(2);
    }
    Ok(0)
}
