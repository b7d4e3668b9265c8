//! `abi-doctor explain [TEXT]`: a pasted error, traceback or CI log -> what happened, what to do.

use super::{ExplainArgs, Format};
use abi_doctor::explain::{explain, Explanation, Severity};
use abi_doctor::report::check::CheckReport;
use serde::Serialize;
use std::io::Write;

/// Exit code when the text holds no NumPy binary-incompatibility message.
pub const NOTHING_RECOGNIZED: i32 = 3;

pub fn run(args: &ExplainArgs) -> anyhow::Result<i32> {
    let text = match &args.text {
        Some(t) => t.clone(),
        None => {
            use abi_doctor::fsread::{read_stream_bounded, Limit};
            let (buf, cut) = read_stream_bounded(std::io::stdin().lock(), Limit::Log)?;
            if cut {
                eprintln!(
                    "abi-doctor: standard input is longer than {} MiB; only the first {} MiB were read",
                    Limit::Log.bytes() >> 20,
                    Limit::Log.bytes() >> 20
                );
            }
            String::from_utf8_lossy(&buf).into_owned()
        }
    };
    let found = explain(&text);
    let packages: Vec<String> = found
        .iter()
        .filter_map(|e| e.package.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let in_env = if args.no_env || packages.is_empty() {
        None
    } else {
        abi_doctor::scan::scan(&args.env.scan_options(), &())
            .ok()
            .map(|s| CheckReport::from_scan(&s))
    };
    let culprits: Vec<Culprits> = in_env
        .as_ref()
        .map(|r| packages.iter().map(|p| culprits(r, p)).collect())
        .unwrap_or_default();
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => {
            let doc = serde_json::json!({
                "schema_version": 1,
                "recognized": !found.is_empty(),
                "explanations": found,
                "environment": in_env.as_ref().map(|r| serde_json::json!({
                    "prefix": r.environment.prefix,
                    "python_version": r.environment.python_version,
                    "numpy": r.numpy.as_ref().map(|n| &n.version),
                })),
                "culprits": culprits,
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
            if let Some(r) = &in_env {
                for c in &culprits {
                    render_culprits(&mut out, r, c)?;
                }
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

/// What `check` finds for one package named by the traceback.
#[derive(Debug, Serialize)]
pub struct Culprits {
    pub package: String,
    pub distribution: Option<String>,
    pub distribution_version: Option<String>,
    /// Failing modules of the package: (module, predicted message).
    pub modules: Vec<(String, String)>,
    /// Where `import <package>` dies, when that is elsewhere (another package).
    pub dies_in: Option<String>,
}

fn culprits(r: &CheckReport, package: &str) -> Culprits {
    let cascade = r.cascades.iter().find(|c| c.package == package);
    let dist = cascade.and_then(|c| c.distribution.clone()).or_else(|| {
        r.findings
            .iter()
            .find(|f| {
                f.module
                    .as_deref()
                    .is_some_and(|m| m == package || m.starts_with(&format!("{package}.")))
            })
            .and_then(|f| f.distribution.clone())
    });
    let modules = r
        .findings
        .iter()
        .filter(|f| f.severity == abi_doctor::rules::Severity::Error)
        .filter(|f| {
            f.module
                .as_deref()
                .is_some_and(|m| m == package || m.starts_with(&format!("{package}.")))
                || (dist.is_some() && f.distribution == dist)
        })
        .filter_map(|f| {
            let p = f.predicted.as_ref()?;
            Some((f.module.clone()?, format!("{}: {}", p.exception, p.message)))
        })
        .collect();
    let version = r
        .findings
        .iter()
        .find(|f| f.distribution == dist)
        .and_then(|f| f.distribution_version.clone());
    Culprits {
        package: package.to_string(),
        distribution: dist,
        distribution_version: version,
        modules,
        dies_in: cascade.map(|c| c.dies_in.clone()),
    }
}

fn render_culprits(out: &mut impl Write, r: &CheckReport, c: &Culprits) -> std::io::Result<()> {
    let numpy = r
        .numpy
        .as_ref()
        .map(|n| n.version.as_str())
        .unwrap_or("(not installed)");
    writeln!(
        out,
        "\nIn the environment at {} (NumPy {numpy}):",
        r.environment.prefix
    )?;
    if c.modules.is_empty() && c.dies_in.is_none() {
        writeln!(
            out,
            "  abi-doctor check predicts no NumPy import failure for {}.",
            c.package
        )?;
        return Ok(());
    }
    if let Some(d) = &c.dies_in {
        writeln!(out, "  import {} dies in {d}", c.package)?;
    }
    let name = match (&c.distribution, &c.distribution_version) {
        (Some(d), Some(v)) => format!("{d} {v}"),
        (Some(d), None) => d.clone(),
        _ => c.package.clone(),
    };
    if !c.modules.is_empty() {
        writeln!(out, "  {name}: {} module(s) will fail:", c.modules.len())?;
        for (m, msg) in c.modules.iter().take(10) {
            writeln!(out, "    {m}: {msg}")?;
        }
        if c.modules.len() > 10 {
            writeln!(
                out,
                "    ... and {} more (abi-doctor check)",
                c.modules.len() - 10
            )?;
        }
    }
    Ok(())
}
