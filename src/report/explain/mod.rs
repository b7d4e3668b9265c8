//! The `explain` report (JSON schema version 1): the explanations of a pasted error, and, when
//! an environment was scanned, what `check` finds there for each package the traceback names.
//! Its renderers: [`text`], and [`crate::report::json::write`] for JSON.

pub mod text;

use crate::explain::Explanation;
use crate::report::check::CheckReport;
use crate::rules::Severity;
use serde::Serialize;
use std::collections::BTreeSet;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct ExplainReport {
    pub schema_version: u32,
    /// The text holds at least one NumPy binary-incompatibility message.
    pub recognized: bool,
    pub explanations: Vec<Explanation>,
    /// The environment that was scanned for culprits; null when none was (`--no-env`, or no
    /// package named, or the scan failed).
    pub environment: Option<ExplainEnvironment>,
    /// One entry per package the explanations name, sorted by package; empty without an
    /// environment.
    pub culprits: Vec<Culprits>,
}

/// The scanned environment, as far as the explanation needs it.
#[derive(Debug, Serialize)]
pub struct ExplainEnvironment {
    pub prefix: String,
    pub python_version: Option<String>,
    /// The installed NumPy's version; null when none is installed.
    pub numpy: Option<String>,
}

/// What `check` finds for one package named by the traceback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Culprits {
    pub package: String,
    pub distribution: Option<String>,
    pub distribution_version: Option<String>,
    /// Failing modules of the package: (module, predicted message).
    pub modules: Vec<(String, String)>,
    /// Where `import <package>` dies, when that is elsewhere (another package).
    pub dies_in: Option<String>,
}

impl ExplainReport {
    /// The report of `explanations`, with the culprits `check` found in `env` for every package
    /// they name.
    pub fn new(explanations: Vec<Explanation>, env: Option<&CheckReport>) -> Self {
        let culprits = env
            .map(|r| {
                packages(&explanations)
                    .iter()
                    .map(|p| culprits(r, p))
                    .collect()
            })
            .unwrap_or_default();
        ExplainReport {
            schema_version: SCHEMA_VERSION,
            recognized: !explanations.is_empty(),
            explanations,
            environment: env.map(|r| ExplainEnvironment {
                prefix: r.environment.prefix.clone(),
                python_version: r.environment.python_version.clone(),
                numpy: r.numpy.as_ref().map(|n| n.version.clone()),
            }),
            culprits,
        }
    }
}

/// The packages the explanations name, sorted, each once: the ones worth an environment scan.
pub fn packages(explanations: &[Explanation]) -> Vec<String> {
    explanations
        .iter()
        .filter_map(|e| e.package.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// What the check report says of `package`: its distribution, its failing modules with their
/// predicted messages (those of its distribution too, which may live under another import
/// name), and where `import package` dies.
pub fn culprits(r: &CheckReport, package: &str) -> Culprits {
    let in_package = |m: &str| m == package || m.starts_with(&format!("{package}."));
    let cascade = r.cascades.iter().find(|c| c.package == package);
    let dist = cascade.and_then(|c| c.distribution.clone()).or_else(|| {
        r.findings
            .iter()
            .find(|f| f.module.as_deref().is_some_and(in_package))
            .and_then(|f| f.distribution.clone())
    });
    let modules = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter(|f| {
            f.module.as_deref().is_some_and(in_package)
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
