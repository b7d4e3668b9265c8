//! The `verify` report (JSON schema version 1): each extension module's real import beside its
//! prediction, each top-level package's import, what was skipped, and a summary.
//! [`crate::verify::verify`] runs the imports and builds it. Its renderers: [`text`], and
//! [`crate::report::json::write`] for JSON.

pub mod text;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::discover::Environment;
use crate::rules::Predicted;
use crate::verify::{Family, ImportResult, Outcome, PredictionClass};

/// Version of the JSON report.
pub const SCHEMA_VERSION: u32 = 1;

/// One extension module: its own import, the plain import when that failed in a parent, and the
/// comparison with the prediction.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleReport {
    pub module: String,
    pub path: PathBuf,
    pub distribution: Option<String>,
    pub distribution_version: Option<String>,
    /// The binary uses NumPy's C API or Cython NumPy type checks.
    pub depends_on_numpy: bool,
    /// The module's own import (`mode: stub` when the parents had to be stubbed): `outcome`,
    /// `exception`, `message`, `cause`, `warnings`, `signal`, `stderr`, ...
    #[serde(flatten)]
    pub import: ImportResult,
    /// The import as a user does it (`import a.b.c`), when it failed in a parent package and the
    /// module was therefore imported again with its parents stubbed.
    pub plain: Option<ImportResult>,
    /// The top-level package, and how `import <package>` ended.
    pub package: Option<String>,
    pub package_outcome: Option<Outcome>,
    pub prediction: PredictionClass,
    /// The predicted failure under the environment's NumPy; null when predicted to import.
    pub predicted: Option<Predicted>,
    /// The real failure carries a NumPy binary-interface message.
    pub numpy_family: Option<Family>,
    /// Predicted to fail and failed with an exception: does the real message say what was
    /// predicted? Null when it imported, nothing was predicted, or it crashed or timed out.
    pub message_match: Option<bool>,
    /// The binary could not be read, so nothing was predicted.
    pub static_error: Option<String>,
}

/// `import <package>` for a top-level package.
#[derive(Debug, Clone, Serialize)]
pub struct PackageReport {
    pub package: String,
    #[serde(flatten)]
    pub import: ImportResult,
    pub numpy_family: Option<Family>,
    /// Extension modules of this package that were verified.
    pub modules: usize,
}

/// A compiled module that was not imported.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub module: String,
    pub path: PathBuf,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuntimeNumpy {
    pub version: String,
    pub path: PathBuf,
    /// The knowledge-base release line predictions were made with (null: no prediction).
    pub release_line: Option<String>,
    pub beyond_knowledge: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub modules: usize,
    pub outcomes: BTreeMap<&'static str, usize>,
    pub predictions: BTreeMap<&'static str, usize>,
    pub message_match: BTreeMap<&'static str, usize>,
    pub packages: BTreeMap<&'static str, usize>,
    pub skipped: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionsUsed {
    pub jobs: usize,
    pub timeout_seconds: f64,
    pub numpy_only: bool,
}

/// The `verify --format json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub environment: Environment,
    pub python: PathBuf,
    pub numpy: Option<RuntimeNumpy>,
    pub options: OptionsUsed,
    pub modules: Vec<ModuleReport>,
    pub packages: Vec<PackageReport>,
    pub skipped: Vec<Skipped>,
    pub summary: Summary,
    pub notes: Vec<String>,
}

impl Report {
    /// 0 when every prediction agrees (or the failure is unrelated), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.modules.iter().any(|m| m.prediction.is_disagreement()) {
            1
        } else {
            0
        }
    }
}
