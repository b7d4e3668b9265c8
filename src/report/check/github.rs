//! `check --format github`: GitHub Actions workflow commands (`::error file=...::message`), which
//! the Actions runner turns into annotations, and the step summary's table.
//!
//! GitHub shows at most 10 annotations of each level (error, warning, notice) per step (its
//! "Workflow commands" and annotation-limit documentation); past that they vanish. So there is one
//! annotation per distribution, at the level of its worst finding and listing all of them,
//! errors first; info-level findings are left out unless asked for; what still does not fit is
//! counted on a plain log line, and the full table goes to `$GITHUB_STEP_SUMMARY` (the CLI
//! appends [`write_summary`] to it).

use super::CheckReport;
use crate::rules::{Finding, Severity};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Annotations GitHub shows per level and step.
pub const MAX_PER_LEVEL: usize = 10;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Also annotate info-level findings (off by default: they are harmless).
    pub show_info: bool,
}

/// One workflow command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub severity: Severity,
    pub file: Option<String>,
    pub line: Option<(usize, usize)>,
    pub title: String,
    pub message: String,
}

/// Writes `annotations` worst first, at most [`MAX_PER_LEVEL`] per level, then one plain line
/// (not a command, so not an annotation) counting those left out, which names `what` they are.
pub fn write_annotations(
    w: &mut dyn Write,
    mut annotations: Vec<Annotation>,
    what: &str,
) -> io::Result<()> {
    annotations.sort_by_key(|a| std::cmp::Reverse(rank(a.severity)));
    let mut shown: BTreeMap<u8, usize> = BTreeMap::new();
    let mut left_out = 0;
    for a in &annotations {
        let n = shown.entry(rank(a.severity)).or_default();
        if *n == MAX_PER_LEVEL {
            left_out += 1;
            continue;
        }
        *n += 1;
        let level = match a.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        if let Some(f) = &a.file {
            props.push(format!("file={}", escape_prop(f)));
        }
        if let Some((line, col)) = a.line {
            props.push(format!("line={line},col={col}"));
        }
        props.push(format!("title={}", escape_prop(&a.title)));
        writeln!(
            w,
            "::{level} {}::{}",
            props.join(","),
            escape_data(&a.message)
        )?;
    }
    if left_out > 0 {
        writeln!(
            w,
            "abi-doctor: {left_out} more {what} not annotated (GitHub shows {MAX_PER_LEVEL} \
             annotations per level and step); the step summary lists every finding"
        )?;
    }
    Ok(())
}

fn rank(s: Severity) -> u8 {
    match s {
        Severity::Error => 2,
        Severity::Warning => 1,
        Severity::Info => 0,
    }
}

/// The annotations of a check: one per distribution (findings without one: one per file, or one
/// for the environment).
pub fn annotations(r: &CheckReport, opts: Options) -> Vec<Annotation> {
    let mut groups: BTreeMap<String, Vec<&Finding>> = BTreeMap::new();
    for f in &r.findings {
        if f.severity == Severity::Info && !opts.show_info {
            continue;
        }
        let key = match (&f.distribution, &f.path) {
            (Some(d), _) => d.clone(),
            (None, Some(p)) => p.clone(),
            (None, None) => String::new(),
        };
        groups.entry(key).or_default().push(f);
    }
    groups
        .into_values()
        .filter_map(|mut fs| {
            fs.sort_by_key(|f| std::cmp::Reverse(rank(f.severity)));
            let worst = *fs.first()?;
            let name = match (&worst.distribution, &worst.distribution_version) {
                (Some(d), Some(v)) => format!("{d} {v}"),
                (Some(d), None) => d.clone(),
                (None, _) => "abi-doctor".into(),
            };
            let mut codes: Vec<&str> = fs.iter().map(|f| f.code).collect();
            codes.sort_unstable();
            codes.dedup();
            let count = |s: Severity, one: &str| {
                let n = fs.iter().filter(|f| f.severity == s).count();
                (n > 0).then(|| format!("{n} {one}{}", if n == 1 { "" } else { "s" }))
            };
            let counts: Vec<String> = [
                count(Severity::Error, "error"),
                count(Severity::Warning, "warning"),
                count(Severity::Info, "note"),
            ]
            .into_iter()
            .flatten()
            .collect();
            // One line per distinct finding (code and title), naming the modules it is about.
            let mut lines: Vec<(String, Vec<&str>)> = Vec::new();
            for f in &fs {
                let head = format!("{} {}", f.code, f.title);
                let what = f.module.as_deref().or(f.path.as_deref());
                match lines.iter_mut().find(|(h, _)| *h == head) {
                    Some((_, mods)) => mods.extend(what),
                    None => lines.push((head, what.into_iter().collect())),
                }
            }
            let mut message = String::new();
            for (head, mods) in &lines {
                message.push_str(head);
                match mods.len() {
                    0 => {}
                    1 if head.contains(mods[0]) => {}
                    1 => message.push_str(&format!(" ({})", mods[0])),
                    n => {
                        let shown: Vec<&str> = mods.iter().take(5).copied().collect();
                        message.push_str(&format!(" ({n} modules: {}", shown.join(", ")));
                        if n > 5 {
                            message.push_str(&format!(" and {} more", n - 5));
                        }
                        message.push(')');
                    }
                }
                message.push('\n');
            }
            if let Some(h) = fs.iter().find_map(|f| f.fix_hint.as_deref()) {
                message.push_str(&format!("Fix: {h}"));
            }
            Some(Annotation {
                severity: worst.severity,
                file: fs.iter().find_map(|f| f.path.clone()),
                line: None,
                title: format!("{name}: {} ({})", counts.join(", "), codes.join(", ")),
                message: message.trim_end().to_string(),
            })
        })
        .collect()
}

pub fn write(w: &mut dyn Write, r: &CheckReport, opts: Options) -> io::Result<()> {
    let mut all = annotations(r, opts);
    if let Some(p) = &r.plan {
        // Before install, the files of a finding are members of wheels, not of the repository:
        // the annotations go on the line of the input (the requirements or lock file) that
        // pins the distribution, else on the input.
        let input = p
            .inputs
            .iter()
            .find(|i| std::path::Path::new(i).is_file())
            .cloned();
        for a in &mut all {
            // The title starts with the distribution: `pandas 2.0.3: 3 errors (NPY001)`.
            let dist = a
                .title
                .split([' ', ':'])
                .next()
                .filter(|d| *d != "abi-doctor");
            match p.location_of(dist) {
                Some(l) => {
                    a.file = Some(l.file.clone());
                    a.line = l.line.map(|n| (n as usize, 1));
                }
                None => a.file = input.clone(),
            }
            if let Some(e) = p.explanations.iter().find(|e| {
                a.title
                    .split(':')
                    .next()
                    .is_some_and(|d| e.contains(&format!("{d} ")))
            }) {
                a.message.push_str(&format!("\n{e}"));
            }
        }
        for pr in &p.problems {
            all.push(Annotation {
                severity: if pr.level == "error" {
                    Severity::Error
                } else {
                    Severity::Warning
                },
                file: input.clone(),
                line: None,
                title: "abi-doctor check before install".to_string(),
                message: pr.message.clone(),
            });
        }
    }
    write_annotations(w, all, "distributions with findings are")
}

/// The step summary: every finding (info too) in one Markdown table.
pub fn write_summary(w: &mut dyn Write, r: &CheckReport) -> io::Result<()> {
    let s = &r.summary;
    writeln!(
        w,
        "## abi-doctor check: {} errors, {} warnings, {} notes\n",
        s.errors, s.warnings, s.infos
    )?;
    writeln!(
        w,
        "Environment `{}`{}\n",
        r.environment.prefix,
        r.numpy
            .as_ref()
            .map(|n| format!(", NumPy {}", n.version))
            .unwrap_or_default()
    )?;
    if r.findings.is_empty() {
        return writeln!(w, "No findings.");
    }
    writeln!(
        w,
        "| level | rule | distribution | module or file | finding | fix |"
    )?;
    writeln!(w, "|---|---|---|---|---|---|")?;
    for f in &r.findings {
        let dist = match (&f.distribution, &f.distribution_version) {
            (Some(d), Some(v)) => format!("{d} {v}"),
            (Some(d), None) => d.clone(),
            _ => String::new(),
        };
        writeln!(
            w,
            "| {} | {} | {} | {} | {} | {} |",
            match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "note",
            },
            f.code,
            cell(&dist),
            cell(f.module.as_deref().or(f.path.as_deref()).unwrap_or("")),
            cell(&f.title),
            cell(f.fix_hint.as_deref().unwrap_or(""))
        )?;
    }
    Ok(())
}

/// A Markdown table cell: `|` escaped, lines joined.
pub fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// The runner reads `%`, CR and LF in a message as its own syntax.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Properties (`file=`, `title=`) also end at `:` and `,`.
pub fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::check::samples;
    use crate::report::rendered;

    #[test]
    fn one_command_per_distribution() {
        let r = samples::failing();
        insta::assert_snapshot!(
            "check_github",
            rendered(|w| write(w, &r, Options::default()))
        );
    }

    #[test]
    fn info_only_when_asked() {
        let r = samples::failing();
        let quiet = annotations(&r, Options::default());
        let all = annotations(&r, Options { show_info: true });
        let pandas = |a: &[Annotation]| {
            a.iter()
                .find(|a| a.title.starts_with("pandas"))
                .unwrap()
                .message
                .clone()
        };
        assert!(!pandas(&quiet).contains("NPY004"));
        assert!(pandas(&all).contains("NPY004"));
        // pandas, scipy and the unreadable file: one each.
        assert_eq!(quiet.len(), 3);
    }

    #[test]
    fn at_most_ten_per_level() {
        let a = |severity, i| Annotation {
            severity,
            file: None,
            line: None,
            title: format!("t{i}"),
            message: "m".into(),
        };
        let many: Vec<Annotation> = (0..25)
            .map(|i| a(Severity::Error, i))
            .chain((0..3).map(|i| a(Severity::Warning, i)))
            .collect();
        let out = rendered(|w| write_annotations(w, many, "things are"));
        assert_eq!(out.lines().filter(|l| l.starts_with("::error")).count(), 10);
        assert_eq!(
            out.lines().filter(|l| l.starts_with("::warning")).count(),
            3
        );
        assert!(out.ends_with("abi-doctor: 15 more things are not annotated (GitHub shows 10 annotations per level and step); the step summary lists every finding\n"), "{out}");
    }

    #[test]
    fn summary_table() {
        let r = samples::failing();
        insta::assert_snapshot!("check_github_summary", rendered(|w| write_summary(w, &r)));
    }

    #[test]
    fn escapes_the_runner_syntax() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_prop("C:\\a,b"), "C%3A\\a%2Cb");
        assert_eq!(cell("a|b\nc"), "a\\|b c");
    }
}
