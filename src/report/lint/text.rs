//! `lint --format text`: one block per finding, `file:line:column: severity CODE title`, then
//! its evidence and fix; problems; a summary line.

use super::LintReport;
use crate::report::check::Style;
use std::io::{self, Write};

pub fn write(w: &mut dyn Write, r: &LintReport, style: Style) -> io::Result<()> {
    let paint = |code: &str, s: &str| {
        if style.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    for f in &r.fixed {
        for e in &f.edits {
            writeln!(w, "fixed {}: \"{}\" -> \"{}\"", f.path, e.before, e.after)?;
        }
    }
    for f in &r.findings {
        let sev = match f.severity {
            crate::rules::Severity::Error => paint("1;31", "error"),
            crate::rules::Severity::Warning => paint("1;33", "warning"),
            crate::rules::Severity::Info => paint("1;34", "info"),
        };
        let l = &f.location;
        writeln!(
            w,
            "{}:{}:{}: {sev} {} {}",
            l.file, l.line, l.column, f.code, f.title
        )?;
        for e in &f.evidence {
            writeln!(w, "  evidence: {e}")?;
        }
        let fixable = if f.edit.is_some() { " (--fix)" } else { "" };
        writeln!(w, "  fix{fixable}: {}", f.fix)?;
    }
    for p in &r.problems {
        writeln!(
            w,
            "{}: {} not linted: {}",
            p.file,
            paint("1;33", "problem:"),
            p.message
        )?;
    }
    for n in &r.notes {
        writeln!(w, "{} {n}", paint("1;34", "note:"))?;
    }
    let s = &r.summary;
    let mut parts = vec![format!(
        "{} files linted: {} errors, {} warnings, {} info",
        r.files.len(),
        s.errors,
        s.warnings,
        s.infos
    )];
    if s.fixable > 0 {
        parts.push(format!("{} fixable with --fix", s.fixable));
    }
    if s.suppressed > 0 {
        parts.push(format!("{} silenced by noqa", s.suppressed));
    }
    if !r.problems.is_empty() {
        parts.push(format!("{} files not linted", r.problems.len()));
    }
    writeln!(w, "{}.", parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::lint::samples;
    use crate::report::rendered;

    #[test]
    fn lint_text() {
        let r = samples::report();
        insta::assert_snapshot!("lint_text", rendered(|w| write(w, &r, Style::default())));
    }
}
