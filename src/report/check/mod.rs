//! The `check` report (JSON schema version 1). Its renderers: [`text`], [`sarif`], [`github`],
//! and [`crate::report::json::write`] for JSON.

pub mod github;
pub mod sarif;
pub mod text;

pub use text::Style;

use crate::discover::EnvKind;
use crate::fix::Hint;
use crate::rules::{Finding, Severity};
use crate::scan::Scanned;
use serde::Serialize;

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
