//! `verify --format text`: a table of modules (prediction, outcome, module, what really
//! happened) with detail lines under the ones that failed or disagree, the packages' own
//! imports, what was skipped, and a summary line.

use super::{ModuleReport, Outcome, PredictionClass, Report};
use crate::messages::normalize;
use crate::report::check::Style;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::Duration;

/// Detail lines start under the MODULE column.
const PAD: &str = "                     ";

/// `elapsed` is the wall time of the run, which the report does not hold (it would make the
/// JSON differ between identical runs).
pub fn write(w: &mut dyn Write, r: &Report, elapsed: Duration, style: Style) -> io::Result<()> {
    let np = r
        .numpy
        .as_ref()
        .map(|n| format!("NumPy {}", n.version))
        .unwrap_or_else(|| "no NumPy".into());
    writeln!(
        w,
        "{} ({}, {})",
        style.bold(&r.environment.prefix.display().to_string()),
        r.environment
            .python_version
            .as_deref()
            .unwrap_or("Python ?"),
        np
    )?;
    writeln!(w)?;
    let width = r
        .modules
        .iter()
        .map(|m| m.module.len())
        .max()
        .unwrap_or(6)
        .clamp(6, 60);
    writeln!(
        w,
        "{:<11} {:<8} {:<width$} REAL",
        "PREDICTION", "OUTCOME", "MODULE"
    )?;
    for m in &r.modules {
        module(w, m, width, style)?;
    }
    if !r.packages.is_empty() {
        writeln!(w)?;
        writeln!(w, "{:<8} PACKAGE (import as a user does)", "OUTCOME")?;
        for p in &r.packages {
            let i = &p.import;
            let detail = match i.outcome {
                Outcome::Ok => String::new(),
                Outcome::Warning => format!("{} warning(s)", i.warnings.len()),
                Outcome::Error => format!(
                    "{}: {}",
                    i.exception.as_deref().unwrap_or("error"),
                    clip(i.message.as_deref().unwrap_or(""), 160)
                ),
                _ => clip(i.message.as_deref().unwrap_or(""), 160),
            };
            writeln!(
                w,
                "{} {} {}",
                outcome(style, i.outcome, 8),
                p.package,
                detail
            )?;
        }
    }
    for s in &r.skipped {
        writeln!(w, "skipped {}: {}", s.module, s.reason)?;
    }
    writeln!(w)?;
    let join = |m: &BTreeMap<&'static str, usize>| {
        m.iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{n} {k}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let s = &r.summary;
    writeln!(
        w,
        "{} modules: {}; predictions: {}; message match: {} of {}; packages: {}. ({:.1}s)",
        s.modules,
        join(&s.outcomes),
        join(&s.predictions),
        s.message_match.get("true").copied().unwrap_or(0),
        s.message_match.values().sum::<usize>(),
        join(&s.packages),
        elapsed.as_secs_f64()
    )?;
    for n in &r.notes {
        writeln!(w, "note: {n}")?;
    }
    Ok(())
}

/// One row of the table and its detail lines.
fn module(w: &mut dyn Write, m: &ModuleReport, width: usize, style: Style) -> io::Result<()> {
    let prediction = format!("{:<11}", m.prediction.as_str());
    let prediction = match m.prediction {
        PredictionClass::Agree => style.paint("32", &prediction),
        p if p.is_disagreement() => style.paint("1;31", &prediction),
        _ => prediction,
    };
    writeln!(
        w,
        "{prediction} {} {:<width$} {}",
        outcome(style, m.import.outcome, 8),
        m.module,
        real_line(m)
    )?;
    if let Some(p) = &m.plain {
        writeln!(
            w,
            "{PAD}(own import with parents stubbed; `import {}` {} in {})",
            m.module,
            match p.outcome {
                Outcome::Crash => "crashed",
                Outcome::Timeout => "timed out",
                _ => "fails",
            },
            p.failed_in_parent().unwrap_or("a parent package")
        )?;
    }
    if m.prediction != PredictionClass::Agree || m.import.outcome.failed() {
        match &m.predicted {
            Some(p) => {
                let then = p
                    .then
                    .as_ref()
                    .map(|t| format!(", then {}: {}", t.exception, t.message))
                    .unwrap_or_default();
                if let Some(printed) = &p.printed {
                    writeln!(w, "{PAD}predicted notice: {}", clip(printed, 120))?;
                }
                writeln!(
                    w,
                    "{PAD}predicted: {}: {}{then}",
                    p.exception,
                    clip(&p.message, 120)
                )?;
            }
            None => writeln!(w, "{PAD}predicted: imports")?,
        }
        if let Some(mm) = m.message_match {
            writeln!(w, "{PAD}message match: {}", if mm { "yes" } else { "no" })?;
        }
        if let (Some(o), Some(_)) = (&m.import.origin, &m.numpy_family) {
            if o != &m.module {
                writeln!(w, "{PAD}raised in: {o}")?;
            }
        }
    }
    if let (Some(pkg), Some(po)) = (&m.package, m.package_outcome) {
        if m.import.outcome.failed() && !po.failed() {
            writeln!(
                w,
                "{PAD}(but `import {pkg}` succeeds: the package guards or does not load it)"
            )?;
        }
    }
    Ok(())
}

/// The outcome, padded to `width`, green when it imported, yellow with warnings, red otherwise.
fn outcome(style: Style, o: Outcome, width: usize) -> String {
    let s = format!("{:<width$}", o.as_str());
    match o {
        Outcome::Ok => style.paint("32", &s),
        Outcome::Warning => style.paint("33", &s),
        _ => style.paint("1;31", &s),
    }
}

/// The message on one line (normalized), cut to `n` characters with an ellipsis.
fn clip(s: &str, n: usize) -> String {
    let s = normalize(s);
    if s.chars().count() <= n {
        s
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

/// What really happened, in the REAL column.
fn real_line(m: &ModuleReport) -> String {
    let i = &m.import;
    match i.outcome {
        Outcome::Ok => "imported".into(),
        Outcome::Warning => match i.warnings.first() {
            Some(w) => format!(
                "imported; {} warning(s), first: {}: {}",
                i.warnings.len(),
                w.category,
                clip(&w.message, 140)
            ),
            None => "imported with warnings".into(),
        },
        Outcome::Error => {
            let mut s = format!(
                "{}: {}",
                i.exception.as_deref().unwrap_or("error"),
                clip(i.message.as_deref().unwrap_or(""), 160)
            );
            if let Some(c) = &i.cause {
                s.push_str(&format!(
                    " (from {}: {})",
                    c.exception,
                    clip(&c.message, 100)
                ));
            }
            s
        }
        Outcome::Crash | Outcome::Timeout => clip(i.message.as_deref().unwrap_or(""), 160),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::rendered;
    use crate::report::verify::samples;

    #[test]
    fn table_details_packages_and_summary() {
        let r = samples::report();
        insta::assert_snapshot!(
            "verify_text",
            rendered(|w| write(w, &r, Duration::from_millis(8_400), Style::default()))
        );
    }

    /// With colors the table is the same text, painted.
    #[test]
    fn colors_paint_the_same_table() {
        let r = samples::report();
        let d = Duration::from_millis(8_400);
        let plain = rendered(|w| write(w, &r, d, Style::default()));
        let style = Style {
            color: true,
            verbose: false,
        };
        let painted = rendered(|w| write(w, &r, d, style));
        assert!(
            painted.contains("\x1b[1;31mmissed     \x1b[0m"),
            "{painted}"
        );
        assert!(painted.contains("\x1b[32magree      \x1b[0m"), "{painted}");
        let stripped = regex::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&painted, "");
        assert_eq!(stripped, plain);
    }

    #[test]
    fn clip_cuts_on_characters_with_an_ellipsis() {
        assert_eq!(clip("größer als", 5), "größe…");
        assert_eq!(clip("short", 5), "short");
    }
}
