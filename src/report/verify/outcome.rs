//! The outcome types of the verify report: how an import ended ([`Outcome`], [`ImportResult`],
//! with its [`Cause`] and [`Warning`]s, in a [`Mode`]), and how that compares with the prediction
//! ([`PredictionClass`]). They are pure data; the verify command produces them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How an import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Imported, no warning.
    Ok,
    /// Imported, with warnings.
    Warning,
    /// Raised an exception (or the interpreter exited without reporting).
    Error,
    /// The interpreter was killed by a signal.
    Crash,
    /// No answer within the deadline; the process group was killed.
    Timeout,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Outcome::Ok,
        Outcome::Warning,
        Outcome::Error,
        Outcome::Crash,
        Outcome::Timeout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Warning => "warning",
            Outcome::Error => "error",
            Outcome::Crash => "crash",
            Outcome::Timeout => "timeout",
        }
    }

    pub fn failed(self) -> bool {
        matches!(self, Outcome::Error | Outcome::Crash | Outcome::Timeout)
    }
}

/// An exception's chained cause (`__cause__`, else `__context__`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema, Deserialize)]
pub struct Cause {
    pub exception: String,
    pub message: String,
}

/// A warning caught during the import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema, Deserialize)]
pub struct Warning {
    pub category: String,
    pub message: String,
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default)]
    pub lineno: Option<u64>,
}

/// How to import: the way a user does, or with the parent packages replaced by empty stubs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Plain,
    Stub,
}

/// What one import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ImportResult {
    pub mode: Mode,
    pub outcome: Outcome,
    pub exception: Option<String>,
    /// `str(exc)` of the exception the import ended with.
    pub message: Option<String>,
    /// `__cause__`, else `__context__`.
    pub cause: Option<Cause>,
    /// The parent package whose import failed (plain imports only).
    pub failed_in: Option<String>,
    /// The module whose code raised (innermost traceback frame outside importlib), when known.
    pub origin: Option<String>,
    pub traceback: Vec<String>,
    pub warnings: Vec<Warning>,
    /// The signal that killed the interpreter (`SIGSEGV`), for crashes and timeouts.
    pub signal: Option<String>,
    /// Exit status when the interpreter ended without reporting (no signal).
    pub exit_code: Option<i32>,
    /// The last import the driver started before a crash or timeout: `parent` or `module`.
    pub last_stage: Option<String>,
    /// The module named by `last_stage`.
    pub last_stage_module: Option<String>,
    /// Everything the interpreter wrote to stderr (what the module printed, tracebacks that
    /// NumPy's `import_array()` printed before raising, faulthandler output on crashes).
    pub stderr: String,
    pub duration_ms: u64,
}

impl ImportResult {
    /// An import that has not reported anything yet: `outcome`, and every other field empty.
    pub fn new(mode: Mode, outcome: Outcome) -> Self {
        ImportResult {
            mode,
            outcome,
            exception: None,
            message: None,
            cause: None,
            failed_in: None,
            origin: None,
            traceback: vec![],
            warnings: vec![],
            signal: None,
            exit_code: None,
            last_stage: None,
            last_stage_module: None,
            stderr: String::new(),
            duration_ms: 0,
        }
    }
    /// Did the import fail in (or hang or crash in) a parent package rather than in the target?
    pub fn failed_in_parent(&self) -> Option<&str> {
        match self.outcome {
            Outcome::Ok | Outcome::Warning => None,
            Outcome::Error => self.failed_in.as_deref(),
            Outcome::Crash | Outcome::Timeout => (self.last_stage.as_deref() == Some("parent"))
                .then_some(self.last_stage_module.as_deref())
                .flatten(),
        }
    }
}

/// How reality compares with the prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PredictionClass {
    /// Predicted to import and it did, or predicted to fail and it failed for a NumPy ABI reason.
    Agree,
    /// Failed for a NumPy ABI reason that was not predicted.
    Missed,
    /// Predicted to fail, imported.
    FalseAlarm,
    /// Failed (or crashed, or hung) for a reason that is not NumPy's binary interface, so the
    /// outcome neither confirms nor refutes the prediction.
    Unrelated,
    /// Failed with a NumPy message raised in another module it imports (`origin`); that module's
    /// failure is judged under its own name.
    Cascade,
}

impl PredictionClass {
    pub fn as_str(self) -> &'static str {
        match self {
            PredictionClass::Agree => "agree",
            PredictionClass::Missed => "missed",
            PredictionClass::FalseAlarm => "false_alarm",
            PredictionClass::Unrelated => "unrelated",
            PredictionClass::Cascade => "cascade",
        }
    }

    /// Does this class make `verify` exit 1?
    pub fn is_disagreement(self) -> bool {
        matches!(self, PredictionClass::Missed | PredictionClass::FalseAlarm)
    }
}
