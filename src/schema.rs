//! The JSON Schema (draft 2020-12) of each JSON report, generated from the report types: every
//! report model derives `schemars::JsonSchema` next to serde's `Serialize`, so the schema is the
//! model, its descriptions are the models' doc comments, and it cannot drift from what
//! `--output-format json` prints.
//!
//! `abi-doctor schema REPORT` prints one; the published copies are `docs/schema/REPORT.schema.json`
//! (tests/json_schema.rs keeps them equal to this, and validates real reports against them).
//!
//! A report joins by one variant of [`Report`], its name in [`Report::name`], and its type in
//! [`Report::schema`] (`fix`: `Report::Fix`, `"fix"`, `of::<FixOutput>(...)`); the model needs
//! `schema_version: u32`, which the schema pins to the report's `SCHEMA_VERSION` (in each shape
//! of a report that prints one of several, as `fix` does: a plan, an apply, a rollback).

use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{json, Value};

/// The commands with a JSON report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Check,
    Explain,
    Fix,
    Inspect,
    Lint,
    Verify,
}

impl Report {
    pub const ALL: [Report; 6] = [
        Report::Check,
        Report::Explain,
        Report::Fix,
        Report::Inspect,
        Report::Lint,
        Report::Verify,
    ];

    /// The command's name, which is also the schema's file name (`check.schema.json`).
    pub fn name(self) -> &'static str {
        match self {
            Report::Check => "check",
            Report::Explain => "explain",
            Report::Fix => "fix",
            Report::Inspect => "inspect",
            Report::Lint => "lint",
            Report::Verify => "verify",
        }
    }

    pub fn from_name(name: &str) -> Option<Report> {
        Report::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(name))
    }

    /// The schema, as a JSON document.
    pub fn schema(self) -> Value {
        use crate::report::{check, explain, inspect, lint, verify};
        match self {
            Report::Check => of::<check::CheckReport>(
                self,
                check::SCHEMA_VERSION,
                "`abi-doctor check --output-format json`: every predicted NumPy import failure of \
                 one environment, with evidence and the fix.",
            ),
            Report::Explain => of::<crate::fix::render::ExplainWithPlan<'_>>(
                self,
                explain::SCHEMA_VERSION,
                "`abi-doctor explain --output-format json`: what a pasted NumPy error means and \
                 what to do, and what `check` finds for the packages it names.",
            ),
            Report::Fix => of::<crate::fix::render::FixOutput<'_>>(
                self,
                crate::fix::plan::SCHEMA_VERSION,
                "`abi-doctor fix --output-format json`: the plan of exact releases with its proof, \
                 alternatives and blockers; with --apply, what was applied (or why not); with \
                 --rollback, what was restored.",
            ),
            Report::Inspect => of::<inspect::InspectReport>(
                self,
                inspect::SCHEMA_VERSION,
                "`abi-doctor inspect --output-format json`: which NumPy each compiled file (or \
                 wheel member) was built against and which NumPy versions it imports under.",
            ),
            Report::Lint => of::<lint::LintReport>(
                self,
                lint::SCHEMA_VERSION,
                "`abi-doctor lint --output-format json`: findings in project files (file, line, \
                 column) that later break NumPy imports.",
            ),
            Report::Verify => of::<verify::Report>(
                self,
                verify::SCHEMA_VERSION,
                "`abi-doctor verify --output-format json`: each extension module's real import \
                 beside the static prediction.",
            ),
        }
    }
}

/// `T`'s schema for what serde writes (every field present, `null` for `None`), with the report's
/// title and description, and `schema_version` pinned to `version`.
fn of<T: JsonSchema>(report: Report, version: u32, description: &str) -> Value {
    let schema = SchemaSettings::draft2020_12()
        .for_serialize()
        .into_generator()
        .into_root_schema_for::<T>();
    let mut value = schema.to_value();
    if let Some(obj) = value.as_object_mut() {
        obj.insert(
            "title".into(),
            json!(format!("abi-doctor {} report", report.name())),
        );
        obj.insert("description".into(), json!(description));
        pin_version(obj.get_mut("properties"), version);
        // A report of several shapes (an untagged enum): each shape's definition.
        let shapes: Vec<String> = obj
            .get("anyOf")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|b| b.get("$ref")?.as_str()?.strip_prefix("#/$defs/"))
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        for name in shapes {
            let props = obj
                .get_mut("$defs")
                .and_then(|d| d.get_mut(&name))
                .and_then(|d| d.get_mut("properties"));
            pin_version(props, version);
        }
    }
    value
}

fn pin_version(properties: Option<&mut Value>, version: u32) {
    if let Some(v) = properties
        .and_then(|p| p.get_mut("schema_version"))
        .and_then(Value::as_object_mut)
    {
        v.insert("const".into(), json!(version));
        v.insert(
            "description".into(),
            json!(format!(
                "Version of this report's shape; this schema describes version {version}. \
                 Fields may be added within a version; a removal or change of meaning raises it."
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_has_a_titled_schema_with_its_version() {
        for r in Report::ALL {
            let s = r.schema();
            assert_eq!(Report::from_name(r.name()), Some(r));
            assert_eq!(
                s["$schema"],
                "https://json-schema.org/draft/2020-12/schema",
                "{}",
                r.name()
            );
            // One shape, or several (`fix`: plan, applied, apply failed, rolled back).
            let shapes: Vec<&Value> = match s["anyOf"].as_array() {
                Some(a) => a
                    .iter()
                    .map(|b| {
                        let name = b["$ref"].as_str().unwrap().trim_start_matches("#/$defs/");
                        &s["$defs"][name]
                    })
                    .collect(),
                None => vec![&s],
            };
            for shape in shapes {
                assert_eq!(shape["type"], "object", "{}", r.name());
                assert_eq!(
                    shape["properties"]["schema_version"]["const"],
                    1,
                    "{}",
                    r.name()
                );
                let required = shape["required"].as_array().unwrap();
                assert!(required.contains(&json!("schema_version")), "{}", r.name());
            }
        }
        assert_eq!(Report::from_name("fix"), Some(Report::Fix));
    }
}
