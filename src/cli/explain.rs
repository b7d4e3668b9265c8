//! `abi-doctor explain [TEXT]`: a pasted error, traceback or CI log -> what happened, what to do.

use super::{ExplainArgs, Format};
use abi_doctor::explain::{explain, Explanation, Severity};
use std::io::{Read, Write};

/// Exit code when the text holds no NumPy binary-incompatibility message.
pub const NOTHING_RECOGNIZED: i32 = 3;

pub fn run(args: &ExplainArgs) -> anyhow::Result<i32> {
    let text = match &args.text {
        Some(t) => t.clone(),
        None => {
            let mut buf = Vec::new();
            // Logs can be large; 64 MB is far more than any traceback.
            std::io::stdin().take(64 << 20).read_to_end(&mut buf)?;
            String::from_utf8_lossy(&buf).into_owned()
        }
    };
    let found = explain(&text);
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let doc = serde_json::json!({
                "schema_version": 1,
                "recognized": !found.is_empty(),
                "explanations": found,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        Format::Text => {
            if found.is_empty() {
                writeln!(
                    out,
                    "No NumPy binary-incompatibility message found in this text. abi-doctor explains \
                     messages such as 'numpy.ndarray size changed', 'compiled using NumPy 1.x', \
                     'module compiled against API version', '_ARRAY_API not found'."
                )?;
            }
            for (i, e) in found.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                render(&mut out, e)?;
            }
        }
    }
    Ok(if found.is_empty() {
        NOTHING_RECOGNIZED
    } else {
        0
    })
}

fn render(out: &mut impl Write, e: &Explanation) -> std::io::Result<()> {
    let sev = match e.severity {
        Severity::Error => "error",
        Severity::Warning => "warning (harmless)",
    };
    writeln!(
        out,
        "{sev}: {}",
        e.matched.split_whitespace().collect::<Vec<_>>().join(" ")
    )?;
    if let Some(p) = &e.package {
        let m = e
            .module
            .as_deref()
            .map(|m| format!(" ({m})"))
            .unwrap_or_default();
        writeln!(out, "  package: {p}{m}")?;
    }
    if !e.built_against.is_empty() {
        writeln!(
            out,
            "  built against: NumPy {}",
            e.built_against.join(" or ")
        )?;
    }
    if !e.running.is_empty() {
        writeln!(out, "  running:       NumPy {}", e.running.join(" or "))?;
    }
    writeln!(out, "  what happened: {}", e.summary)?;
    if !e.remedies.is_empty() {
        writeln!(out, "  what to do, best first:")?;
        for (i, r) in e.remedies.iter().enumerate() {
            writeln!(out, "    {}. {}", i + 1, r.title)?;
            for (tool, cmd) in [("pip", &r.pip), ("uv", &r.uv), ("conda", &r.conda)] {
                if let Some(c) = cmd {
                    writeln!(out, "       {tool:<5} {c}")?;
                }
            }
        }
    }
    Ok(())
}
