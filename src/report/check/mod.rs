//! The `check` report (JSON schema version 1) and its renderers: text, JSON, SARIF, GitHub.

use crate::discover::EnvKind;
use crate::fix::Hint;
use crate::rules::{Finding, Severity};
use crate::scan::Scanned;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub schema_version: u32,
    pub environment: EnvironmentInfo,
    pub numpy: Option<NumpyInfo>,
    pub findings: Vec<Finding>,
    /// For each top-level package whose import will die: the module it dies in.
    pub cascades: Vec<Cascade>,
    pub fix_hint: Option<Hint>,
    pub binaries_scanned: usize,
    pub numpy_binaries: usize,
    pub summary: Summary,
}

#[derive(Debug, Serialize)]
pub struct EnvironmentInfo {
    pub python: Option<String>,
    pub python_version: Option<String>,
    pub prefix: String,
    pub kind: String,
    pub site_packages: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct NumpyInfo {
    pub version: String,
    pub path: String,
    pub abi_version: String,
    pub c_api_version: String,
    pub beyond_knowledge: bool,
}

pub use crate::rules::cascade::Cascade;

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    pub distributions_failing: usize,
}

impl CheckReport {
    /// The report of one scan.
    pub fn from_scan(s: &Scanned) -> Self {
        let env = &s.environment;
        CheckReport {
            schema_version: SCHEMA_VERSION,
            environment: EnvironmentInfo {
                python: env.python.as_ref().map(|p| p.display().to_string()),
                python_version: env.python_version.clone(),
                prefix: env.prefix.display().to_string(),
                kind: match env.kind {
                    EnvKind::Venv => "venv",
                    EnvKind::Conda => "conda",
                    EnvKind::System => "system",
                    EnvKind::SitePackagesOnly => "site-packages",
                }
                .to_string(),
                site_packages: env
                    .site_packages
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect(),
            },
            numpy: s.scan.numpy.as_ref().map(|n| NumpyInfo {
                version: n.version.clone(),
                path: n.path.clone(),
                abi_version: format!("{:#x}", n.release.abi_version),
                c_api_version: format!("{:#x}", n.release.api_version),
                beyond_knowledge: n.beyond_knowledge,
            }),
            summary: CheckReport::summarize(&s.findings),
            findings: s.findings.clone(),
            cascades: s.cascades.clone(),
            fix_hint: s.fix_hint.clone(),
            binaries_scanned: s.inventory.binaries.len(),
            numpy_binaries: s.numpy_binaries(),
        }
    }

    pub fn summarize(findings: &[Finding]) -> Summary {
        let mut s = Summary::default();
        let mut failing = std::collections::BTreeSet::new();
        for f in findings {
            match f.severity {
                Severity::Error => {
                    s.errors += 1;
                    failing.insert(f.distribution.clone().unwrap_or_default());
                }
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
        }
        s.distributions_failing = failing.len();
        s
    }

    pub fn has_errors(&self) -> bool {
        self.summary.errors > 0
    }
}

/// Colors for the text renderer (ANSI), off unless asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    pub color: bool,
    pub verbose: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
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
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
}

/// Text for people: grouped by distribution, one line per finding, then cascades, the hint and a
/// summary line.
pub fn render_text(r: &CheckReport, style: Style) -> String {
    let mut o = String::new();
    let env = &r.environment;
    match (&env.python_version, env.kind.as_str()) {
        (_, "site-packages") => {
            let _ = writeln!(o, "site-packages: {}", env.site_packages.join(", "));
        }
        (py, kind) => {
            let py = py.as_deref().unwrap_or("(version unknown)");
            let _ = writeln!(o, "Python {py} {kind} at {}", env.prefix);
        }
    }
    match &r.numpy {
        Some(n) => {
            let _ = writeln!(
                o,
                "NumPy {} at {} (ABI {}, C-API {})",
                n.version, n.path, n.abi_version, n.c_api_version
            );
            if n.beyond_knowledge {
                let _ = writeln!(
                    o,
                    "note: NumPy {} is newer than abi-doctor's knowledge base; its newest known release line's facts were used",
                    n.version
                );
            }
        }
        None => {
            let _ = writeln!(o, "NumPy: not installed in this environment");
        }
    }
    let shown: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| style.verbose || f.severity != Severity::Info)
        .collect();
    let mut groups: BTreeMap<(String, String), Vec<&Finding>> = BTreeMap::new();
    for f in &shown {
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
        let errors = fs.iter().filter(|f| f.severity == Severity::Error).count();
        let head = if errors > 0 {
            format!(
                "{dist} {version}: {errors} module{} will fail",
                if errors == 1 { "" } else { "s" }
            )
        } else {
            format!("{dist} {version}")
        };
        let _ = writeln!(o, "\n{}", style.bold(head.trim_end()));
        for f in fs {
            let what = f.module.as_deref().or(f.path.as_deref()).unwrap_or("");
            let sep = if what.is_empty() { "" } else { ": " };
            let _ = writeln!(
                o,
                "  {} {} {what}{sep}{}",
                style.sev(f.severity),
                f.code,
                f.title
            );
            if style.verbose {
                for e in &f.evidence {
                    let _ = writeln!(o, "      evidence: {e}");
                }
                if let Some(p) = &f.path {
                    let _ = writeln!(o, "      file: {p}");
                }
            }
        }
        // One fix line per distribution: the first finding's hint (they agree within a package).
        if let Some(h) = fs.iter().find_map(|f| f.fix_hint.as_deref()) {
            let _ = writeln!(o, "  fix: {h}");
        }
    }
    if !r.cascades.is_empty() {
        let _ = writeln!(o, "\n{}", style.bold("What `import` will do"));
        for c in &r.cascades {
            let via = if c.via.len() > 2 {
                format!(" (via {})", c.via[1..c.via.len() - 1].join(" -> "))
            } else {
                String::new()
            };
            let _ = writeln!(
                o,
                "  import {} dies in {}{via}: {}: {}",
                c.package,
                c.dies_in,
                c.exception,
                first_sentence(&c.message)
            );
        }
    }
    if let Some(h) = &r.fix_hint {
        let _ = writeln!(o, "\n{} {}", style.bold("Fix:"), h.summary);
        for c in &h.commands {
            let _ = writeln!(o, "  {c}");
        }
        for b in &h.blockers {
            let _ = writeln!(o, "  - {b}");
        }
    }
    let s = &r.summary;
    let verdict = if s.errors == 0 {
        style.paint("1;32", "no NumPy import failures predicted")
    } else {
        style.paint(
            "1;31",
            &format!(
                "{} module{} will fail to import in {} distribution{}",
                s.errors,
                if s.errors == 1 { "" } else { "s" },
                s.distributions_failing,
                if s.distributions_failing == 1 {
                    ""
                } else {
                    "s"
                }
            ),
        )
    };
    let _ = writeln!(
        o,
        "\n{verdict}; {} binar{} scanned, {} use NumPy; {} warning{}{}.",
        r.binaries_scanned,
        if r.binaries_scanned == 1 { "y" } else { "ies" },
        r.numpy_binaries,
        s.warnings,
        if s.warnings == 1 { "" } else { "s" },
        if s.infos > 0 && !style.verbose {
            format!(", {} info (--verbose)", s.infos)
        } else {
            String::new()
        }
    );
    o
}

fn first_sentence(m: &str) -> &str {
    match m.find(" as it may crash") {
        Some(i) => &m[..i + " as it may crash".len()],
        None => m,
    }
}

pub fn render_json(r: &CheckReport) -> String {
    serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
}

/// SARIF 2.1.0, for code-scanning UIs.
pub fn render_sarif(r: &CheckReport) -> String {
    let rules: Vec<serde_json::Value> = crate::rules::RULES
        .iter()
        .map(|ri| {
            serde_json::json!({
                "id": ri.code,
                "name": ri.name,
                "fullDescription": {"text": ri.doc()},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = r
        .findings
        .iter()
        .map(|f| {
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "note",
            };
            let mut text = f.title.clone();
            if let Some(h) = &f.fix_hint {
                text.push_str(&format!(" Fix: {h}"));
            }
            let mut v = serde_json::json!({
                "ruleId": f.code,
                "level": level,
                "message": {"text": text},
                "properties": {"distribution": f.distribution, "module": f.module, "evidence": f.evidence},
            });
            if let Some(p) = &f.path {
                v["locations"] = serde_json::json!([{"physicalLocation": {"artifactLocation": {"uri": p}}}]);
            }
            v
        })
        .collect();
    let doc = serde_json::json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": {"driver": {"name": "abi-doctor", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results,
        }],
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// GitHub Actions workflow commands (`::error file=...::message`).
pub fn render_github(r: &CheckReport) -> String {
    let mut o = String::new();
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
        let _ = writeln!(
            o,
            "::{level} {file}title={}::{}",
            escape_prop(&title),
            escape_data(&msg)
        );
    }
    o
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_prop(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
