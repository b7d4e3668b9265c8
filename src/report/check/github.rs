//! `check --format github`: GitHub Actions workflow commands (`::error file=...::message`), one
//! per finding, which the Actions runner turns into annotations.

use super::CheckReport;
use crate::rules::Severity;
use std::io::{self, Write};

pub fn write(w: &mut dyn Write, r: &CheckReport) -> io::Result<()> {
    for f in &r.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let file = f
            .path
            .as_deref()
            .map(|p| format!("file={},", escape_prop(p)))
            .unwrap_or_default();
        let title = format!(
            "{} {}",
            f.code,
            f.distribution.as_deref().unwrap_or("abi-doctor")
        );
        let mut msg = f.title.clone();
        if let Some(h) = &f.fix_hint {
            msg.push_str(&format!(" Fix: {h}"));
        }
        writeln!(
            w,
            "::{level} {file}title={}::{}",
            escape_prop(&title),
            escape_data(&msg)
        )?;
    }
    Ok(())
}

/// The runner reads `%`, CR and LF in a message as its own syntax.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Properties (`file=`, `title=`) also end at `:` and `,`.
fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
