//! `lint --format sarif`: SARIF 2.1.0 with a region (line, column) per result; the SARIF types
//! are those of `check` (`report::check::sarif`).

use super::LintReport;
use crate::lint::rules::LINT_RULES;
use crate::report::check::sarif::{
    ArtifactLocation, Driver, Level, Message, ReportingDescriptor, Tool, SARIF_SCHEMA,
    SARIF_VERSION,
};
use crate::rules::Severity;
use serde::Serialize;
use std::io::{self, Write};

/// A result with a line and column (check's results point at whole files).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LintResult {
    pub rule_id: &'static str,
    pub level: Level,
    pub message: Message,
    pub locations: Vec<LintLocation>,
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

#[derive(Debug, Serialize)]
pub struct LintSarif {
    pub version: &'static str,
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub runs: Vec<LintRun>,
}

#[derive(Debug, Serialize)]
pub struct LintRun {
    pub tool: Tool,
    pub results: Vec<LintResult>,
}

pub fn log(r: &LintReport) -> LintSarif {
    let rules = LINT_RULES
        .iter()
        .map(|ri| ReportingDescriptor {
            id: ri.code,
            name: ri.name,
            full_description: Message { text: ri.doc() },
        })
        .collect();
    let results = r
        .findings
        .iter()
        .map(|f| LintResult {
            rule_id: f.code,
            level: match f.severity {
                Severity::Error => Level::Error,
                Severity::Warning => Level::Warning,
                Severity::Info => Level::Note,
            },
            message: Message {
                text: format!("{} Fix: {}", f.title, f.fix),
            },
            locations: vec![LintLocation {
                physical_location: LintPhysicalLocation {
                    artifact_location: ArtifactLocation {
                        uri: f.location.file.clone(),
                    },
                    region: LintRegion {
                        start_line: f.location.line,
                        start_column: f.location.column,
                    },
                },
            }],
            properties: LintProperties {
                evidence: f.evidence.clone(),
                fix: f.fix.clone(),
            },
        })
        .collect();
    LintSarif {
        version: SARIF_VERSION,
        schema: SARIF_SCHEMA,
        runs: vec![LintRun {
            tool: Tool {
                driver: Driver {
                    name: "abi-doctor",
                    version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            results,
        }],
    }
}

pub fn write(w: &mut dyn Write, r: &LintReport) -> io::Result<()> {
    crate::report::json::write(w, &log(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::lint::samples;
    use crate::report::{json, rendered};

    #[test]
    fn lint_sarif() {
        let mut l = log(&samples::report());
        let driver = &mut l.runs[0].tool.driver;
        driver.version = "[version]";
        assert_eq!(driver.rules.len(), LINT_RULES.len());
        for rule in &mut driver.rules {
            rule.full_description.text = format!("[abi-doctor rule {}]", rule.id);
        }
        insta::assert_snapshot!("lint_sarif", rendered(|w| json::write(w, &l)));
    }
}
