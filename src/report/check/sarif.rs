//! `check --format sarif`: SARIF 2.1.0, for code-scanning UIs (GitHub code scanning among them).
//! The document is typed: each struct is one SARIF object, its fields renamed to SARIF's
//! camelCase property names and declared in the order the SARIF specification lists them.
//!
//! What GitHub's code scanning needs beyond the schema (its "SARIF support for code scanning"
//! page): every result has a physical location; artifact URIs are relative to a `uriBaseId`
//! named in `originalUriBaseIds` (here `ENVROOT`, the environment's prefix; `PROJECTROOT` for
//! `lint`, and for a check before install, whose results sit at the line of the requirements or
//! lock file that pins the distribution: its wheels' files are in no repository), percent-encoded (RFC 3986; SARIF 2.1.0 §3.4.3); `partialFingerprints` let it follow
//! one finding across runs; rules carry `shortDescription`, `fullDescription` and `helpUri`.

use super::CheckReport;
use crate::rules::{Severity, RULES};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Component, Path};

pub const SARIF_VERSION: &str = "2.1.0";
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The `uriBaseId` of paths inside the scanned environment: its prefix.
pub const ENVROOT: &str = "ENVROOT";
/// The `uriBaseId` of the project's files: `lint`'s, and a check before install's inputs (the
/// requirements and lock files, relative to the working directory).
pub const PROJECTROOT: &str = "PROJECTROOT";
/// The `partialFingerprints` key; the `v1` changes when what is hashed changes.
pub const FINGERPRINT_KEY: &str = "abiDoctor/v1";

/// The top-level `sarifLog` object, over the result type of the command (`check`'s
/// [`SarifResult`], `lint`'s own).
#[derive(Debug, Serialize)]
pub struct SarifLog<R = SarifResult> {
    pub version: &'static str,
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub runs: Vec<Run<R>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run<R = SarifResult> {
    pub tool: Tool,
    /// Where each `uriBaseId` is: an absolute `file:` URI ending in `/`.
    pub original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    pub results: Vec<R>,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub driver: Driver,
}

/// The `toolComponent` that ran: abi-doctor, with every rule it has.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: &'static str,
    pub version: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub information_uri: Option<String>,
    pub rules: Vec<ReportingDescriptor>,
}

/// One rule.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    pub id: &'static str,
    pub name: &'static str,
    pub short_description: Message,
    pub full_description: Message,
    /// The rule's page: see [`help_uri`]; absent when the package names no repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
}

/// A SARIF `result`: one finding.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: &'static str,
    pub level: Level,
    pub message: Message,
    /// Always one: the file, or for a finding about a distribution's metadata the
    /// site-packages directory that holds it.
    pub locations: Vec<Location>,
    pub partial_fingerprints: BTreeMap<&'static str, String>,
    pub properties: ResultProperties,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Note,
}

impl From<Severity> for Level {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Error => Level::Error,
            Severity::Warning => Level::Warning,
            Severity::Info => Level::Note,
        }
    }
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
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

/// Percent-encodes a path for a URI: every byte but RFC 3986's unreserved characters and `/`
/// (so a space is `%20`, `%` is `%25`); Windows separators become `/`.
pub fn encode_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An absolute path as a `file:` URI (`file:///home/a%20b/`), a directory's ending in `/`.
pub fn file_uri(abs: &str, dir: bool) -> String {
    let enc = encode_path(abs);
    let mut uri = if enc.starts_with('/') {
        format!("file://{enc}")
    } else {
        // C:/Users/... (the drive letter's colon stays: it is the path's, not a scheme's)
        format!("file:///{}", enc.replacen("%3A", ":", 1))
    };
    if dir && !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// `path`'s artifact location: relative to `base_id` (at `base`) when `path` is under `base`
/// or relative, else an absolute `file:` URI.
pub fn artifact(path: &str, base: &Path, base_id: &'static str, dir: bool) -> ArtifactLocation {
    let p = Path::new(path);
    let rel = if p.is_absolute() {
        p.strip_prefix(base).ok()
    } else {
        Some(p)
    };
    match rel {
        Some(rel) => {
            let parts: Vec<String> = rel
                .components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    Component::ParentDir => Some("..".into()),
                    _ => None,
                })
                .collect();
            let mut uri = encode_path(&parts.join("/"));
            if dir && !uri.is_empty() && !uri.ends_with('/') {
                uri.push('/');
            }
            ArtifactLocation {
                uri,
                uri_base_id: Some(base_id),
            }
        }
        None => ArtifactLocation {
            uri: file_uri(path, dir),
            uri_base_id: None,
        },
    }
}

/// A stable hash (64-bit FNV-1a, hex) of the parts that identify one finding, for
/// `partialFingerprints`: the same finding in another checkout or run hashes the same.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// The page of rule `code`: `docs/rules/<CODE>.md` of the package's repository (Cargo.toml
/// `repository`) at this version's tag, `<repository>/blob/v<version>/docs/rules/<CODE>.md`;
/// the pages are `abi-doctor rule CODE` verbatim, kept so by a test (tests/cli.rs).
/// `None` when the package names no repository.
pub fn help_uri(code: &str) -> Option<String> {
    let repo = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    (!repo.is_empty()).then(|| {
        format!(
            "{repo}/blob/v{}/docs/rules/{code}.md",
            env!("CARGO_PKG_VERSION")
        )
    })
}

/// The repository, for the driver's `informationUri`.
pub fn information_uri() -> Option<String> {
    let repo = env!("CARGO_PKG_REPOSITORY");
    (!repo.is_empty()).then(|| repo.to_string())
}

impl SarifLog {
    /// The log of one check: one run, every rule, one result per finding in the report's order.
    pub fn from_report(r: &CheckReport) -> Self {
        let rules = RULES
            .iter()
            .map(|ri| ReportingDescriptor {
                id: ri.code,
                name: ri.name,
                short_description: Message { text: ri.title() },
                full_description: Message { text: ri.doc() },
                help_uri: help_uri(ri.code),
            })
            .collect();
        let prefix = Path::new(&r.environment.prefix);
        let results = r
            .findings
            .iter()
            .map(|f| {
                let mut text = f.title.clone();
                if let Some(h) = &f.fix_hint {
                    text.push_str(&format!(" Fix: {h}"));
                }
                let planned = r.plan.as_ref().map(|p| {
                    let root = Path::new(&p.root);
                    match p.location_of(f.distribution.as_deref()) {
                        Some(l) => (
                            artifact(&l.file, root, PROJECTROOT, false),
                            l.line.map(|n| Region { start_line: n }),
                        ),
                        None => (artifact(&p.root, root, PROJECTROOT, true), None),
                    }
                });
                let (artifact_location, region) = match (planned, &f.path) {
                    (Some(at), _) => at,
                    (None, Some(p)) => (artifact(p, prefix, ENVROOT, false), None),
                    (None, None) => match r.environment.site_packages.first() {
                        Some(site) => (artifact(site, prefix, ENVROOT, true), None),
                        None => (artifact(&r.environment.prefix, prefix, ENVROOT, true), None),
                    },
                };
                let print = fingerprint(&[
                    f.code,
                    f.distribution.as_deref().unwrap_or(""),
                    f.module.as_deref().unwrap_or(""),
                    &artifact_location.uri,
                ]);
                SarifResult {
                    rule_id: f.code,
                    level: f.severity.into(),
                    message: Message { text },
                    locations: vec![Location {
                        physical_location: PhysicalLocation {
                            artifact_location,
                            region,
                        },
                    }],
                    partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, print)]),
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
                        information_uri: information_uri(),
                        rules,
                    },
                },
                original_uri_base_ids: match &r.plan {
                    // Before install the environment is a private directory, gone after the
                    // run: the results are on the inputs.
                    Some(p) => BTreeMap::from([(
                        PROJECTROOT,
                        ArtifactLocation {
                            uri: file_uri(&p.root, true),
                            uri_base_id: None,
                        },
                    )]),
                    None => BTreeMap::from([(
                        ENVROOT,
                        ArtifactLocation {
                            uri: file_uri(&r.environment.prefix, true),
                            uri_base_id: None,
                        },
                    )]),
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
        // The rules' documentation, the crate version and repository have their own tests and
        // would churn this snapshot; the rest is what it shows.
        let driver = &mut log.runs[0].tool.driver;
        assert_eq!(driver.version, env!("CARGO_PKG_VERSION"));
        driver.version = "[version]";
        driver.information_uri = None;
        for rule in &mut driver.rules {
            let ri = RULES.iter().find(|ri| ri.code == rule.id).unwrap();
            assert_eq!(rule.full_description.text, ri.doc());
            assert_eq!(rule.short_description.text, ri.title());
            assert_eq!(rule.help_uri, help_uri(ri.code));
            rule.full_description.text = format!("[abi-doctor rule {}]", rule.id);
            rule.short_description.text = format!("[title of {}]", rule.id);
            rule.help_uri = None;
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
        let results = v["runs"][0]["results"].as_array().unwrap();
        assert_eq!(results.len(), 5);
        for res in results {
            let loc = &res["locations"][0]["physicalLocation"]["artifactLocation"];
            assert_eq!(loc["uriBaseId"], ENVROOT, "{res}");
            assert!(!loc["uri"].as_str().unwrap().starts_with('/'), "{res}");
            assert_eq!(
                res["partialFingerprints"][FINGERPRINT_KEY]
                    .as_str()
                    .unwrap()
                    .len(),
                16
            );
        }
        assert_eq!(
            v["runs"][0]["originalUriBaseIds"][ENVROOT]["uri"],
            "file:///home/ana/.venvs/ml/"
        );
        assert_eq!(
            v["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .unwrap()
                .len(),
            RULES.len()
        );
    }

    #[test]
    fn uris_are_percent_encoded_and_relative() {
        let base = Path::new("/srv/my env");
        assert_eq!(
            artifact("/srv/my env/lib/a b%#?.so", base, ENVROOT, false),
            ArtifactLocation {
                uri: "lib/a%20b%25%23%3F.so".into(),
                uri_base_id: Some(ENVROOT)
            }
        );
        // Outside the base: absolute, still encoded; a directory ends in `/`.
        assert_eq!(
            artifact("/opt/site packages", base, ENVROOT, true),
            ArtifactLocation {
                uri: "file:///opt/site%20packages/".into(),
                uri_base_id: None
            }
        );
        assert_eq!(file_uri("/srv/my env", true), "file:///srv/my%20env/");
        assert_eq!(file_uri("C:\\Users\\a b", true), "file:///C:/Users/a%20b/");
        assert_eq!(encode_path("ü"), "%C3%BC");
    }

    #[test]
    fn fingerprints_separate_their_parts() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["NPY001"]), fingerprint(&["NPY001"]));
        assert_eq!(fingerprint(&[]), "cbf29ce484222325");
    }
}
