//! `lint --format sarif`: SARIF 2.1.0 with a region (line, column) per result; the SARIF types
//! and GitHub's requirements are those of `check` (`report::check::sarif`). Paths are relative
//! to `PROJECTROOT`, the directory the linted paths are relative to (the working directory).

use super::LintReport;
use crate::lint::rules::LINT_RULES;
use crate::report::check::sarif::{
    artifact, file_uri, fingerprint, help_uri, information_uri, ArtifactLocation, Driver, Level,
    Message, ReportingDescriptor, Run, SarifLog, Tool, FINGERPRINT_KEY, SARIF_SCHEMA,
    SARIF_VERSION,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

pub use crate::report::check::sarif::PROJECTROOT;

/// A result with a line and column (check's results point at whole files).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LintResult {
    pub rule_id: &'static str,
    pub level: Level,
    pub message: Message,
    pub locations: Vec<LintLocation>,
    pub partial_fingerprints: BTreeMap<&'static str, String>,
    pub properties: LintProperties,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LintLocation {
    pub physical_location: LintPhysicalLocation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LintPhysicalLocation {
    pub artifact_location: ArtifactLocation,
    pub region: LintRegion,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LintRegion {
    pub start_line: usize,
    pub start_column: usize,
}

#[derive(Debug, Serialize)]
pub struct LintProperties {
    pub evidence: Vec<String>,
    pub fix: String,
}

/// `lint`'s SARIF log: the shared top level over lint's results.
pub type LintSarif = SarifLog<LintResult>;

pub fn log(r: &LintReport, project_root: &Path) -> LintSarif {
    let rules = LINT_RULES
        .iter()
        .map(|ri| ReportingDescriptor {
            id: ri.code,
            name: ri.name,
            short_description: Message { text: ri.title() },
            full_description: Message { text: ri.doc() },
            help_uri: help_uri(ri.code),
        })
        .collect();
    let results = r
        .findings
        .iter()
        .map(|f| {
            let artifact_location = artifact(&f.location.file, project_root, PROJECTROOT, false);
            // The line is left out: a finding stays the same one when lines above it move.
            let print = fingerprint(&[f.code, &artifact_location.uri, &f.title]);
            LintResult {
                rule_id: f.code,
                level: Level::from(f.severity),
                message: Message {
                    text: format!("{} Fix: {}", f.title, f.fix),
                },
                locations: vec![LintLocation {
                    physical_location: LintPhysicalLocation {
                        artifact_location,
                        region: LintRegion {
                            start_line: f.location.line,
                            start_column: f.location.column,
                        },
                    },
                }],
                partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, print)]),
                properties: LintProperties {
                    evidence: f.evidence.clone(),
                    fix: f.fix.clone(),
                },
            }
        })
        .collect();
    LintSarif {
        version: SARIF_VERSION,
        schema: SARIF_SCHEMA,
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "abi-doctor",
                    version: env!("CARGO_PKG_VERSION"),
                    information_uri: information_uri(),
                    rules,
                },
            },
            original_uri_base_ids: BTreeMap::from([(
                PROJECTROOT,
                ArtifactLocation {
                    uri: file_uri(&project_root.display().to_string(), true),
                    uri_base_id: None,
                },
            )]),
            results,
        }],
    }
}

pub fn write(w: &mut dyn Write, r: &LintReport, project_root: &Path) -> io::Result<()> {
    crate::report::json::write(w, &log(r, project_root))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::lint::samples;
    use crate::report::{json, rendered};

    #[test]
    fn lint_sarif() {
        let mut l = log(&samples::report(), Path::new("/home/ana/src"));
        let driver = &mut l.runs[0].tool.driver;
        driver.version = "[version]";
        driver.information_uri = None;
        assert_eq!(driver.rules.len(), LINT_RULES.len());
        for rule in &mut driver.rules {
            let ri = LINT_RULES.iter().find(|ri| ri.code == rule.id).unwrap();
            assert_eq!(rule.short_description.text, ri.title());
            rule.full_description.text = format!("[abi-doctor rule {}]", rule.id);
            rule.short_description.text = format!("[title of {}]", rule.id);
            rule.help_uri = None;
        }
        insta::assert_snapshot!("lint_sarif", rendered(|w| json::write(w, &l)));
    }
}
