//! `explain --format text`: each explanation (what happened, the remedies best first), then what
//! `check` found in the environment for each package named.

use super::{Culprits, ExplainEnvironment, ExplainReport};
use crate::explain::{Explanation, Severity};
use crate::report::check::Style;
use std::io::{self, Write};

/// At most this many failing modules per package; `check` lists them all.
const MODULES_SHOWN: usize = 10;

pub fn write(w: &mut dyn Write, r: &ExplainReport, style: Style) -> io::Result<()> {
    if r.explanations.is_empty() {
        writeln!(
            w,
            "No NumPy binary-incompatibility message found in this text. abi-doctor explains \
             messages such as 'numpy.ndarray size changed', 'compiled using NumPy 1.x', \
             'module compiled against API version', '_ARRAY_API not found'."
        )?;
    }
    for (i, e) in r.explanations.iter().enumerate() {
        if i > 0 {
            writeln!(w)?;
        }
        explanation(w, e, style)?;
    }
    if let Some(env) = &r.environment {
        for c in &r.culprits {
            culprits(w, env, c, style)?;
        }
    }
    Ok(())
}

fn explanation(w: &mut dyn Write, e: &Explanation, style: Style) -> io::Result<()> {
    let sev = match e.severity {
        Severity::Error => style.paint("1;31", "error"),
        Severity::Warning => style.paint("1;33", "warning (harmless)"),
    };
    // The matched line may be wrapped (a CI log); one line here.
    writeln!(
        w,
        "{sev}: {}",
        e.matched.split_whitespace().collect::<Vec<_>>().join(" ")
    )?;
    if let Some(p) = &e.package {
        let m = e
            .module
            .as_deref()
            .map(|m| format!(" ({m})"))
            .unwrap_or_default();
        writeln!(w, "  package: {p}{m}")?;
    }
    if !e.built_against.is_empty() {
        writeln!(w, "  built against: NumPy {}", e.built_against.join(" or "))?;
    }
    if !e.running.is_empty() {
        writeln!(w, "  running:       NumPy {}", e.running.join(" or "))?;
    }
    writeln!(w, "  what happened: {}", e.summary)?;
    if !e.remedies.is_empty() {
        writeln!(w, "  what to do, best first:")?;
        for (i, r) in e.remedies.iter().enumerate() {
            writeln!(w, "    {}. {}", i + 1, style.bold(&r.title))?;
            for (tool, cmd) in [("pip", &r.pip), ("uv", &r.uv), ("conda", &r.conda)] {
                if let Some(c) = cmd {
                    writeln!(w, "       {tool:<5} {c}")?;
                }
            }
        }
    }
    Ok(())
}

fn culprits(
    w: &mut dyn Write,
    env: &ExplainEnvironment,
    c: &Culprits,
    style: Style,
) -> io::Result<()> {
    let numpy = env.numpy.as_deref().unwrap_or("(not installed)");
    writeln!(
        w,
        "\n{}",
        style.bold(&format!(
            "In the environment at {} (NumPy {numpy}):",
            env.prefix
        ))
    )?;
    if c.modules.is_empty() && c.dies_in.is_none() {
        writeln!(
            w,
            "  abi-doctor check predicts no NumPy import failure for {}.",
            c.package
        )?;
        return Ok(());
    }
    if let Some(d) = &c.dies_in {
        writeln!(w, "  import {} dies in {d}", c.package)?;
    }
    let name = match (&c.distribution, &c.distribution_version) {
        (Some(d), Some(v)) => format!("{d} {v}"),
        (Some(d), None) => d.clone(),
        _ => c.package.clone(),
    };
    if !c.modules.is_empty() {
        writeln!(w, "  {name}: {} module(s) will fail:", c.modules.len())?;
        for (m, msg) in c.modules.iter().take(MODULES_SHOWN) {
            writeln!(w, "    {m}: {msg}")?;
        }
        if c.modules.len() > MODULES_SHOWN {
            writeln!(
                w,
                "    ... and {} more (abi-doctor check)",
                c.modules.len() - MODULES_SHOWN
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::check::samples as check;
    use crate::report::explain::samples;
    use crate::report::rendered;

    #[test]
    fn without_environment() {
        let r = ExplainReport::new(samples::explanations(), None);
        insta::assert_snapshot!("explain_text", rendered(|w| write(w, &r, Style::default())));
    }

    #[test]
    fn with_culprits() {
        let env = check::failing();
        let r = ExplainReport::new(samples::explanations(), Some(&env));
        insta::assert_snapshot!(
            "explain_text_culprits",
            rendered(|w| write(w, &r, Style::default()))
        );
    }

    #[test]
    fn colors_paint_the_same_text() {
        let env = check::failing();
        let r = ExplainReport::new(samples::explanations(), Some(&env));
        let plain = rendered(|w| write(w, &r, Style::default()));
        let style = Style {
            color: true,
            verbose: false,
        };
        let painted = rendered(|w| write(w, &r, style));
        assert!(painted.starts_with("\x1b[1;31merror\x1b[0m: "), "{painted}");
        let stripped = regex::Regex::new("\x1b\\[[0-9;]*m")
            .unwrap()
            .replace_all(&painted, "");
        assert_eq!(stripped, plain);
    }

    #[test]
    fn nothing_recognized() {
        let r = ExplainReport::new(vec![], None);
        insta::assert_snapshot!(
            "explain_text_unrecognized",
            rendered(|w| write(w, &r, Style::default()))
        );
    }

    #[test]
    fn at_most_ten_modules_per_package() {
        let mut r = ExplainReport::new(vec![], Some(&check::failing()));
        r.culprits = vec![Culprits {
            package: "scipy".into(),
            distribution: Some("scipy".into()),
            distribution_version: Some("1.11.4".into()),
            modules: (0..12)
                .map(|i| (format!("scipy.m{i:02}"), "ImportError: ...".into()))
                .collect(),
            dies_in: None,
        }];
        let out = rendered(|w| write(w, &r, Style::default()));
        assert!(
            out.contains("scipy.m09: ") && !out.contains("scipy.m10"),
            "{out}"
        );
        assert!(
            out.contains("    ... and 2 more (abi-doctor check)\n"),
            "{out}"
        );
    }
}
