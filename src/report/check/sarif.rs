//! `check --format sarif`: SARIF 2.1.0, for code-scanning UIs. The document is typed: each
//! struct is one SARIF object, its fields renamed to SARIF's camelCase property names and
//! declared in the order the SARIF specification lists them.

use super::CheckReport;
use crate::rules::{Severity, RULES};
use serde::Serialize;
use std::io::{self, Write};

pub const SARIF_VERSION: &str = "2.1.0";
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The top-level `sarifLog` object.
#[derive(Debug, Serialize)]
pub struct SarifLog {
    pub version: &'static str,
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub runs: Vec<Run>,
}

#[derive(Debug, Serialize)]
pub struct Run {
    pub tool: Tool,
    pub results: Vec<SarifResult>,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub driver: Driver,
}

/// The `toolComponent` that ran: abi-doctor, with every rule it has.
#[derive(Debug, Serialize)]
pub struct Driver {
    pub name: &'static str,
    pub version: &'static str,
    pub rules: Vec<ReportingDescriptor>,
}

/// One rule.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    pub id: &'static str,
    pub name: &'static str,
    pub full_description: Message,
}

/// A SARIF `result`: one finding.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: &'static str,
    pub level: Level,
    pub message: Message,
    /// Absent, not empty, when the finding names no file (a distribution's metadata).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    pub properties: ResultProperties,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Note,
}

/// A `message` (also a `multiformatMessageString`, which has the same `text`).
#[derive(Debug, Serialize)]
pub struct Message {
    pub text: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub physical_location: PhysicalLocation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    /// A compiled file has no lines to point at: absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<Region>,
}

#[derive(Debug, Serialize)]
pub struct ArtifactLocation {
    pub uri: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: u64,
}

/// The result's property bag: what the finding says beyond its message.
#[derive(Debug, Serialize)]
pub struct ResultProperties {
    pub distribution: Option<String>,
    pub module: Option<String>,
    pub evidence: Vec<String>,
}

impl SarifLog {
    /// The log of one check: one run, every rule, one result per finding in the report's order.
    pub fn from_report(r: &CheckReport) -> Self {
        let rules = RULES
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
            .map(|f| {
                let mut text = f.title.clone();
                if let Some(h) = &f.fix_hint {
                    text.push_str(&format!(" Fix: {h}"));
                }
                SarifResult {
                    rule_id: f.code,
                    level: match f.severity {
                        Severity::Error => Level::Error,
                        Severity::Warning => Level::Warning,
                        Severity::Info => Level::Note,
                    },
                    message: Message { text },
                    locations: f
                        .path
                        .iter()
                        .map(|p| Location {
                            physical_location: PhysicalLocation {
                                artifact_location: ArtifactLocation { uri: p.clone() },
                                region: None,
                            },
                        })
                        .collect(),
                    properties: ResultProperties {
                        distribution: f.distribution.clone(),
                        module: f.module.clone(),
                        evidence: f.evidence.clone(),
                    },
                }
            })
            .collect();
        SarifLog {
            version: SARIF_VERSION,
            schema: SARIF_SCHEMA,
            runs: vec![Run {
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
}

pub fn write(w: &mut dyn Write, r: &CheckReport) -> io::Result<()> {
    crate::report::json::write(w, &SarifLog::from_report(r))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::check::samples;
    use crate::report::{json, rendered};

    #[test]
    fn typed_log() {
        let r = samples::failing();
        let mut log = SarifLog::from_report(&r);
        // The rules' documentation and the crate version have their own tests and would churn
        // this snapshot; the rest is what it shows.
        let driver = &mut log.runs[0].tool.driver;
        assert_eq!(driver.version, env!("CARGO_PKG_VERSION"));
        driver.version = "[version]";
        for rule in &mut driver.rules {
            let doc = RULES.iter().find(|ri| ri.code == rule.id).unwrap().doc();
            assert_eq!(rule.full_description.text, doc);
            rule.full_description.text = format!("[abi-doctor rule {}]", rule.id);
        }
        insta::assert_snapshot!("check_sarif", rendered(|w| json::write(w, &log)));
    }

    #[test]
    fn write_renders_the_log() {
        let r = samples::failing();
        let out = rendered(|w| write(w, &r));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["version"], "2.1.0");
        assert_eq!(v["$schema"], SARIF_SCHEMA);
        assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 5);
        assert_eq!(
            v["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .unwrap()
                .len(),
            RULES.len()
        );
    }
}
