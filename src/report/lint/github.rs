//! `lint --format github`: GitHub Actions workflow commands, one per file (at its first finding's
//! line, listing all of them), within GitHub's 10 annotations per level and step (see
//! `report::check::github`); info-level findings only when asked; the step summary's table.

use super::LintReport;
use crate::lint::LintFinding;
use crate::report::check::github::{cell, write_annotations, Annotation, Options};
use crate::rules::Severity;
use std::collections::BTreeMap;
use std::io::{self, Write};

pub fn annotations(r: &LintReport, opts: Options) -> Vec<Annotation> {
    let mut by_file: BTreeMap<&str, Vec<&LintFinding>> = BTreeMap::new();
    for f in &r.findings {
        if f.severity != Severity::Info || opts.show_info {
            by_file.entry(&f.location.file).or_default().push(f);
        }
    }
    let mut out: Vec<Annotation> = by_file
        .into_iter()
        .filter_map(|(file, mut fs)| {
            fs.sort_by_key(|f| {
                (
                    f.severity != Severity::Error,
                    f.severity != Severity::Warning,
                )
            });
            let worst = *fs.first()?;
            let mut codes: Vec<&str> = fs.iter().map(|f| f.code).collect();
            codes.sort_unstable();
            codes.dedup();
            let message = fs
                .iter()
                .map(|f| {
                    format!(
                        "{}:{} {} {} Fix: {}",
                        f.location.line, f.location.column, f.code, f.title, f.fix
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            Some(Annotation {
                severity: worst.severity,
                file: Some(file.to_string()),
                line: Some((worst.location.line, worst.location.column)),
                title: format!(
                    "abi-doctor lint: {} finding{} ({})",
                    fs.len(),
                    if fs.len() == 1 { "" } else { "s" },
                    codes.join(", ")
                ),
                message,
            })
        })
        .collect();
    for p in &r.problems {
        out.push(Annotation {
            severity: Severity::Warning,
            file: Some(p.file.clone()),
            line: None,
            title: "abi-doctor lint".into(),
            message: format!("not linted: {}", p.message),
        });
    }
    for n in &r.notes {
        out.push(Annotation {
            severity: Severity::Info,
            file: None,
            line: None,
            title: "abi-doctor lint".into(),
            message: n.clone(),
        });
    }
    out
}

pub fn write(w: &mut dyn Write, r: &LintReport, opts: Options) -> io::Result<()> {
    write_annotations(w, annotations(r, opts), "files with findings are")
}

/// The step summary: every finding in one Markdown table.
pub fn write_summary(w: &mut dyn Write, r: &LintReport) -> io::Result<()> {
    let s = &r.summary;
    writeln!(
        w,
        "## abi-doctor lint: {} errors, {} warnings, {} notes\n",
        s.errors, s.warnings, s.infos
    )?;
    if r.findings.is_empty() && r.problems.is_empty() {
        return writeln!(w, "No findings in `{}`.", r.root);
    }
    writeln!(w, "| level | rule | file:line | finding | fix |")?;
    writeln!(w, "|---|---|---|---|---|")?;
    for f in &r.findings {
        writeln!(
            w,
            "| {} | {} | {}:{} | {} | {} |",
            match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "note",
            },
            f.code,
            cell(&f.location.file),
            f.location.line,
            cell(&f.title),
            cell(&f.fix)
        )?;
    }
    for p in &r.problems {
        writeln!(
            w,
            "| warning | | {} | not linted: {} | |",
            cell(&p.file),
            cell(&p.message)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::lint::samples;
    use crate::report::rendered;

    #[test]
    fn lint_github() {
        insta::assert_snapshot!(
            "lint_github",
            rendered(|w| write(w, &samples::report(), Options::default()))
        );
    }

    #[test]
    fn one_annotation_per_file() {
        let r = samples::report();
        let a = annotations(&r, Options { show_info: true });
        let files: std::collections::BTreeSet<&str> = r
            .findings
            .iter()
            .map(|f| f.location.file.as_str())
            .collect();
        assert_eq!(a.len(), files.len() + r.problems.len());
    }

    #[test]
    fn lint_github_summary() {
        insta::assert_snapshot!(
            "lint_github_summary",
            rendered(|w| write_summary(w, &samples::report()))
        );
    }
}
