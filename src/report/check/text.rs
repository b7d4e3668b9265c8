//! `check --format text`: for people. Grouped by distribution, one line per finding, then the
//! cascades, the fix and a summary line.

use super::CheckReport;
use crate::rules::{Finding, Severity};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Colors (ANSI) and detail for the text renderer; colors are off unless asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    /// Also show info findings, and each finding's evidence and file.
    pub verbose: bool,
}

impl Style {
    /// `s` in the ANSI SGR `code` (`1;31`: bold red) when colors are on; every text renderer
    /// colors through this.
    pub(crate) fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn sev(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
            Severity::Info => self.paint("1;34", "info"),
        }
    }
    pub(crate) fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
}

pub fn write(w: &mut dyn Write, r: &CheckReport, style: Style) -> io::Result<()> {
    let env = &r.environment;
    match (&env.python_version, env.kind.as_str()) {
        _ if r.plan.is_some() => {
            if let Some(p) = &r.plan {
                writeln!(
                    w,
                    "Before install: {} wheel{} from {}, for {} (nothing installed)",
                    p.wheels.len(),
                    plural(p.wheels.len()),
                    p.inputs.join(", "),
                    p.target
                )?;
                for n in &p.notes {
                    writeln!(w, "note: {n}")?;
                }
                for pr in &p.problems {
                    let level = if pr.level == "error" {
                        style.sev(Severity::Error)
                    } else {
                        style.sev(Severity::Warning)
                    };
                    writeln!(w, "{level}: {}", pr.message)?;
                }
            }
        }
        (_, "site-packages") => {
            writeln!(
                w,
                "site-packages: {} ({})",
                env.site_packages.join(", "),
                env.source
            )?;
        }
        (py, kind) => {
            let py = py.as_deref().unwrap_or("(version unknown)");
            writeln!(w, "Python {py} {kind} at {} ({})", env.prefix, env.source)?;
        }
    }
    // `.pth` import lines are in nearly every venv (setuptools' distutils-precedence.pth): counted,
    // and listed with --verbose; every other note is shown.
    let (pth, other): (Vec<&String>, Vec<&String>) = env
        .notes
        .iter()
        .partition(|n| n.contains(": import line not executed: "));
    for n in other {
        writeln!(w, "note: {n}")?;
    }
    if style.verbose {
        for n in &pth {
            writeln!(w, "note: {n}")?;
        }
    } else if !pth.is_empty() {
        writeln!(
            w,
            "note: {} .pth import line(s) read as data, not executed (--verbose lists them)",
            pth.len()
        )?;
    }
    match &r.numpy {
        Some(n) => {
            writeln!(
                w,
                "NumPy {} at {} (ABI {}, C-API {})",
                n.version, n.path, n.abi_version, n.c_api_version
            )?;
            if n.beyond_knowledge {
                writeln!(
                    w,
                    "note: NumPy {} is newer than abi-doctor's knowledge base; its newest known release line's facts were used",
                    n.version
                )?;
            }
        }
        None if r.plan.is_some() => writeln!(w, "NumPy: not in the set")?,
        None => writeln!(w, "NumPy: not installed in this environment")?,
    }
    let mut groups: BTreeMap<(String, String), Vec<&Finding>> = BTreeMap::new();
    for f in r
        .findings
        .iter()
        .filter(|f| style.verbose || f.severity != Severity::Info)
    {
        let key = (
            f.distribution
                .clone()
                .unwrap_or_else(|| "(files no distribution owns)".into()),
            f.distribution_version.clone().unwrap_or_default(),
        );
        groups.entry(key).or_default().push(f);
    }
    for fs in groups.values_mut() {
        // Errors first; a stable order otherwise (the findings are already sorted).
        fs.sort_by_key(|f| std::cmp::Reverse(f.severity));
    }
    for ((dist, version), fs) in &groups {
        // Modules that will not import; NPY005 modules import (their error says what breaks).
        let errors = fs.iter().filter(|f| f.fails_import()).count();
        let head = if errors > 0 {
            format!(
                "{dist} {version}: {errors} module{} will fail",
                plural(errors)
            )
        } else {
            format!("{dist} {version}")
        };
        writeln!(w, "\n{}", style.bold(head.trim_end()))?;
        for f in fs {
            let what = f.module.as_deref().or(f.path.as_deref()).unwrap_or("");
            let sep = if what.is_empty() { "" } else { ": " };
            writeln!(
                w,
                "  {} {} {what}{sep}{}",
                style.sev(f.severity),
                f.code,
                f.title
            )?;
            if style.verbose {
                for e in &f.evidence {
                    writeln!(w, "      evidence: {e}")?;
                }
                if let Some(p) = &f.path {
                    writeln!(w, "      file: {p}")?;
                }
            }
        }
        // One fix line per distribution: the first finding's hint (they agree within a package).
        if let Some(h) = fs.iter().find_map(|f| f.fix_hint.as_deref()) {
            writeln!(w, "  fix: {h}")?;
        }
    }
    if !r.cascades.is_empty() {
        writeln!(w, "\n{}", style.bold("What `import` will do"))?;
        for c in &r.cascades {
            let via = if c.via.len() > 2 {
                format!(" (via {})", c.via[1..c.via.len() - 1].join(" -> "))
            } else {
                String::new()
            };
            writeln!(
                w,
                "  import {} dies in {}{via}: {}: {}",
                c.package,
                c.dies_in,
                c.exception,
                first_sentence(&c.message)
            )?;
        }
    }
    if let Some(p) = r.plan.as_ref().filter(|p| !p.explanations.is_empty()) {
        writeln!(w, "\n{}", style.bold("Why the metadata let it through"))?;
        for e in &p.explanations {
            writeln!(w, "  {e}")?;
        }
    }
    if let Some(h) = &r.fix_hint {
        writeln!(w, "\n{} {}", style.bold("Fix:"), h.summary)?;
        for c in &h.commands {
            writeln!(w, "  {c}")?;
        }
        for b in &h.blockers {
            writeln!(w, "  - {b}")?;
        }
    }
    let s = &r.summary;
    let others = s.errors - s.failing_modules.min(s.errors);
    let other_errors = if others > 0 {
        format!(
            "; {others} other error{} (modules that import but misbehave, or files that cannot be read)",
            plural(others)
        )
    } else {
        String::new()
    };
    let verdict = if s.errors == 0 {
        style.paint("1;32", "no NumPy import failures predicted")
    } else if s.failing_modules == 0 {
        style.paint(
            "1;31",
            &format!("no NumPy import failures predicted{other_errors}"),
        )
    } else {
        style.paint(
            "1;31",
            &format!(
                "{} module{} will fail to import in {} distribution{}{other_errors}",
                s.failing_modules,
                plural(s.failing_modules),
                s.distributions_failing,
                plural(s.distributions_failing)
            ),
        )
    };
    writeln!(
        w,
        "\n{verdict}; {} binar{} scanned, {} use NumPy; {} warning{}{}.",
        r.binaries_scanned,
        if r.binaries_scanned == 1 { "y" } else { "ies" },
        r.numpy_binaries,
        s.warnings,
        plural(s.warnings),
        if s.infos > 0 && !style.verbose {
            format!(", {} info (--verbose)", s.infos)
        } else {
            String::new()
        }
    )
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// NumPy's "compiled using NumPy 1.x" message runs on for five sentences; a cascade line keeps
/// the first.
pub(super) fn first_sentence(m: &str) -> &str {
    match m.find(" as it may crash") {
        Some(i) => &m[..i + " as it may crash".len()],
        None => m,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::check::samples;
    use crate::report::rendered;

    #[test]
    fn plain() {
        let r = samples::failing();
        insta::assert_snapshot!(
            "check_text_plain",
            rendered(|w| write(w, &r, Style::default()))
        );
    }

    #[test]
    fn verbose() {
        let r = samples::failing();
        let style = Style {
            verbose: true,
            ..Style::default()
        };
        insta::assert_snapshot!("check_text_verbose", rendered(|w| write(w, &r, style)));
    }

    #[test]
    fn healthy_beyond_knowledge() {
        let r = samples::healthy();
        insta::assert_snapshot!(
            "check_text_healthy",
            rendered(|w| write(w, &r, Style::default()))
        );
    }

    #[test]
    fn color_wraps_severities_and_verdict_only() {
        let r = samples::healthy();
        let style = Style {
            color: true,
            verbose: true,
        };
        let out = rendered(|w| write(w, &r, style));
        assert!(out.contains("\x1b[1;34minfo\x1b[0m NPY004"), "{out}");
        assert!(out.contains("\x1b[1;32mno NumPy import failures predicted\x1b[0m"));
        assert!(!rendered(|w| write(w, &r, Style::default())).contains('\x1b'));
    }
}
