//! `lint --format github`: GitHub Actions workflow commands (`::warning file=...,line=...,col=...`),
//! one per finding and per problem, which the runner turns into annotations on the lines.

use super::LintReport;
use crate::rules::Severity;
use std::io::{self, Write};

pub fn write(w: &mut dyn Write, r: &LintReport) -> io::Result<()> {
    for f in &r.findings {
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let l = &f.location;
        writeln!(
            w,
            "::{level} file={},line={},col={},title={}::{}",
            escape_prop(&l.file),
            l.line,
            l.column,
            escape_prop(&format!("{} {}", f.code, f.rule)),
            escape_data(&format!("{} Fix: {}", f.title, f.fix))
        )?;
    }
    for p in &r.problems {
        writeln!(
            w,
            "::warning file={},title=abi-doctor lint::{}",
            escape_prop(&p.file),
            escape_data(&format!("not linted: {}", p.message))
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

/// Properties also end at `:` and `,`.
fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::lint::samples;
    use crate::report::rendered;

    #[test]
    fn lint_github() {
        insta::assert_snapshot!("lint_github", rendered(|w| write(w, &samples::report())));
    }
}
