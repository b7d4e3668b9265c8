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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::check::samples;
    use crate::report::rendered;

    #[test]
    fn one_command_per_finding() {
        let r = samples::failing();
        insta::assert_snapshot!("check_github", rendered(|w| write(w, &r)));
    }

    #[test]
    fn escapes_the_runner_syntax() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_prop("C:\\a,b"), "C%3A\\a%2Cb");
    }
}
