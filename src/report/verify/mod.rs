//! The `verify` report (JSON schema version 1): each extension module's real import beside its
//! prediction, each top-level package's import, what was skipped, and a summary.
//! The verify command runs the imports and builds it; the outcome types it is made of are in
//! [`outcome`]. Its renderers: [`text`], and
//! [`crate::report::json::write`] for JSON.

pub mod outcome;
pub mod text;

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;

use crate::discover::Environment;
use crate::messages::Family;
use crate::rules::Predicted;

pub use outcome::{Cause, ImportResult, Mode, Outcome, PredictionClass, Warning};

/// Version of the JSON report.
pub const SCHEMA_VERSION: u32 = 1;

/// One extension module: its own import, the plain import when that failed in a parent, and the
/// comparison with the prediction.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ModuleReport {
    pub module: String,
    /// The compiled file, absolute.
    pub path: PathBuf,
    /// `path` relative to `environment.prefix`, `/`-separated; null when outside it.
    pub path_in_env: Option<String>,
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
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PackageReport {
    pub package: String,
    #[serde(flatten)]
    pub import: ImportResult,
    pub numpy_family: Option<Family>,
    /// Extension modules of this package that were verified.
    pub modules: usize,
}

/// A compiled module that was not imported.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Skipped {
    pub module: String,
    /// The compiled file, absolute.
    pub path: PathBuf,
    /// `path` relative to `environment.prefix`, `/`-separated; null when outside it.
    pub path_in_env: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RuntimeNumpy {
    pub version: String,
    /// The `numpy` package directory, absolute.
    pub path: PathBuf,
    /// `path` relative to `environment.prefix`, `/`-separated; null when outside it.
    pub path_in_env: Option<String>,
    /// The knowledge-base release line predictions were made with (null: no prediction).
    pub release_line: Option<String>,
    pub beyond_knowledge: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Summary {
    pub modules: usize,
    pub outcomes: BTreeMap<&'static str, usize>,
    pub predictions: BTreeMap<&'static str, usize>,
    pub message_match: BTreeMap<&'static str, usize>,
    pub packages: BTreeMap<&'static str, usize>,
    pub skipped: usize,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OptionsUsed {
    pub jobs: usize,
    pub timeout_seconds: f64,
    pub numpy_only: bool,
}

/// The `verify --format json` document. Every path is absolute, and every file in the
/// environment is also given relative to `environment.prefix` (`path_in_env`, `/`-separated, null
/// when the file lies outside the prefix).
#[derive(Debug, Clone, Serialize, JsonSchema)]
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
    /// Fills every `path_in_env` from the absolute path and `environment.prefix`.
    pub fn with_paths_in_env(mut self) -> Self {
        let prefix = self.environment.prefix.clone();
        let rel = |p: &std::path::Path| crate::paths::in_prefix(&prefix, p);
        for m in &mut self.modules {
            m.path_in_env = rel(&m.path);
        }
        for s in &mut self.skipped {
            s.path_in_env = rel(&s.path);
        }
        if let Some(n) = &mut self.numpy {
            n.path_in_env = rel(&n.path);
        }
        self
    }

    /// 0 when every prediction agrees (or the failure is unrelated), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        if self.modules.iter().any(|m| m.prediction.is_disagreement()) {
            1
        } else {
            0
        }
    }
}

/// A verify report built by hand, for the renderers' tests: a venv on NumPy 2.0.2 where every
/// prediction class shows up (agree, missed, false alarm, unrelated, cascade), with stubbed
/// re-imports, a crash, a warning, a package that guards its failing module, and skipped files.
#[cfg(test)]
pub(crate) mod samples {
    use super::*;
    use crate::discover::EnvKind;
    use crate::report::check::samples::{DTYPE_96_88, NUMPY1_ON_2};
    use crate::rules::PredictedThen;

    const SITE: &str = "/home/ana/.venvs/ml/lib/python3.11/site-packages";
    const UFUNC_216_232: &str = "numpy.ufunc size changed, may indicate binary \
         incompatibility. Expected 216 from C header, got 232 from PyObject";

    fn import(mode: Mode, outcome: Outcome) -> ImportResult {
        ImportResult {
            duration_ms: 120,
            ..ImportResult::new(mode, outcome)
        }
    }

    fn error(mode: Mode, exception: &str, message: &str, origin: Option<&str>) -> ImportResult {
        ImportResult {
            exception: Some(exception.into()),
            message: Some(message.into()),
            origin: origin.map(Into::into),
            ..import(mode, Outcome::Error)
        }
    }

    /// The plain import that failed in `parent`, which made verify stub the parents.
    fn failed_in(parent: &str, exception: &str, message: &str) -> Option<ImportResult> {
        Some(ImportResult {
            failed_in: Some(parent.into()),
            ..error(Mode::Plain, exception, message, None)
        })
    }

    fn module(name: &str, dist: &str, version: &str, import: ImportResult) -> ModuleReport {
        let package = name.split_once('.').map(|(top, _)| top.to_string());
        ModuleReport {
            module: name.into(),
            path: PathBuf::from(format!(
                "{SITE}/{}.cpython-311-x86_64-linux-gnu.so",
                name.replace('.', "/")
            )),
            path_in_env: None,
            distribution: Some(dist.into()),
            distribution_version: Some(version.into()),
            depends_on_numpy: true,
            import,
            plain: None,
            package,
            package_outcome: None,
            prediction: PredictionClass::Agree,
            predicted: None,
            numpy_family: None,
            message_match: None,
            static_error: None,
        }
    }

    fn predicted(exception: &str, message: &str) -> Option<Predicted> {
        Some(Predicted {
            printed: None,
            exception: exception.into(),
            message: message.into(),
            then: None,
        })
    }

    fn package(name: &str, import: ImportResult, modules: usize) -> PackageReport {
        let numpy_family = match (import.outcome, import.message.as_deref()) {
            (Outcome::Error, Some(m)) if m.contains("size changed") => Some(Family::SizeChanged),
            (Outcome::Error, Some(m)) if m.contains("compiled using NumPy 1.x") => {
                Some(Family::CompiledWithNumpy1)
            }
            _ => None,
        };
        PackageReport {
            package: name.into(),
            import,
            numpy_family,
            modules,
        }
    }

    fn counts(pairs: &[(&'static str, usize)]) -> BTreeMap<&'static str, usize> {
        pairs.iter().copied().collect()
    }

    pub fn report() -> Report {
        let numpy1_then = Some(Predicted {
            printed: Some(NUMPY1_ON_2.into()),
            exception: "AttributeError".into(),
            message: "_ARRAY_API not found".into(),
            then: Some(PredictedThen {
                exception: "ImportError".into(),
                message: "numpy.core.multiarray failed to import".into(),
            }),
        });
        let modules = vec![
            // Crashes in its own initialisation, but `import h5py` never loads it.
            ModuleReport {
                prediction: PredictionClass::Unrelated,
                package_outcome: Some(Outcome::Ok),
                ..module(
                    "h5py._npystrings",
                    "h5py",
                    "3.12.1",
                    ImportResult {
                        message: Some(
                            "interpreter killed by SIGSEGV while importing h5py._npystrings".into(),
                        ),
                        signal: Some("SIGSEGV".into()),
                        last_stage: Some("module".into()),
                        last_stage_module: Some("h5py._npystrings".into()),
                        stderr: "Fatal Python error: Segmentation fault\n".into(),
                        ..import(Mode::Plain, Outcome::Crash)
                    },
                )
            },
            ModuleReport {
                prediction: PredictionClass::Missed,
                numpy_family: Some(Family::SizeChanged),
                package_outcome: Some(Outcome::Error),
                ..module(
                    "mystery._ext",
                    "mystery",
                    "0.3.0",
                    error(
                        Mode::Plain,
                        "ValueError",
                        "numpy.ndarray size changed, may indicate binary incompatibility. \
                         Expected 96 from C header, got 80 from PyObject",
                        Some("mystery._ext"),
                    ),
                )
            },
            ModuleReport {
                prediction: PredictionClass::FalseAlarm,
                package_outcome: Some(Outcome::Ok),
                predicted: predicted(
                    "RuntimeError",
                    "module was compiled against NumPy C-API version 0x13 (NumPy 2.1) but the \
                     running NumPy has C-API version 0x12. Check the section C-API \
                     incompatibility at the Troubleshooting ImportError section at \
                     https://numpy.org/devdocs/user/troubleshooting-importerror.html\
                     #c-api-incompatibility for indications on how to solve this problem.",
                ),
                ..module(
                    "numexpr.interpreter",
                    "numexpr",
                    "2.10.1",
                    import(Mode::Plain, Outcome::Ok),
                )
            },
            ModuleReport {
                plain: failed_in("pandas", "ValueError", DTYPE_96_88),
                package_outcome: Some(Outcome::Error),
                predicted: predicted("ValueError", DTYPE_96_88),
                numpy_family: Some(Family::SizeChanged),
                message_match: Some(true),
                ..module(
                    "pandas._libs.interval",
                    "pandas",
                    "2.1.4",
                    error(
                        Mode::Stub,
                        "ValueError",
                        DTYPE_96_88,
                        Some("pandas._libs.interval"),
                    ),
                )
            },
            ModuleReport {
                depends_on_numpy: false,
                package_outcome: Some(Outcome::Ok),
                ..module(
                    "pyxdl._core",
                    "pyxdl",
                    "1.5.3",
                    import(Mode::Plain, Outcome::Ok),
                )
            },
            ModuleReport {
                package_outcome: Some(Outcome::Ok),
                predicted: numpy1_then,
                numpy_family: Some(Family::FailedToImport),
                message_match: Some(true),
                ..module(
                    "scipy.sparse._sparsetools",
                    "scipy",
                    "1.11.4",
                    ImportResult {
                        stderr: format!("ImportError: {NUMPY1_ON_2}\n"),
                        ..error(
                            Mode::Plain,
                            "ImportError",
                            "numpy.core.multiarray failed to import",
                            Some("scipy.sparse._sparsetools"),
                        )
                    },
                )
            },
            // Dies in scipy's module, which is judged under its own name.
            ModuleReport {
                plain: failed_in("sklearn", "ImportError", NUMPY1_ON_2),
                prediction: PredictionClass::Cascade,
                package_outcome: Some(Outcome::Error),
                numpy_family: Some(Family::CompiledWithNumpy1),
                ..module(
                    "sklearn.utils._cython_blas",
                    "scikit-learn",
                    "1.3.2",
                    ImportResult {
                        cause: Some(Cause {
                            exception: "ImportError".into(),
                            message: "numpy.core.multiarray failed to import".into(),
                        }),
                        ..error(
                            Mode::Stub,
                            "ImportError",
                            NUMPY1_ON_2,
                            Some("scipy.linalg._fblas"),
                        )
                    },
                )
            },
            ModuleReport {
                package_outcome: Some(Outcome::Warning),
                ..module(
                    "tables.utilsextension",
                    "tables",
                    "3.9.2",
                    ImportResult {
                        warnings: vec![Warning {
                            category: "RuntimeWarning".into(),
                            message: UFUNC_216_232.into(),
                            filename: Some("<frozen importlib._bootstrap>".into()),
                            lineno: Some(241),
                        }],
                        ..import(Mode::Plain, Outcome::Warning)
                    },
                )
            },
        ];
        let packages = vec![
            package("h5py", import(Mode::Plain, Outcome::Ok), 12),
            package(
                "mystery",
                error(
                    Mode::Plain,
                    "ValueError",
                    "numpy.ndarray size changed, may indicate binary incompatibility. \
                     Expected 96 from C header, got 80 from PyObject",
                    Some("mystery._ext"),
                ),
                1,
            ),
            package("numexpr", import(Mode::Plain, Outcome::Ok), 1),
            package(
                "pandas",
                error(
                    Mode::Plain,
                    "ValueError",
                    DTYPE_96_88,
                    Some("pandas._libs.interval"),
                ),
                44,
            ),
            package("pyxdl", import(Mode::Plain, Outcome::Ok), 1),
            package("scipy", import(Mode::Plain, Outcome::Ok), 108),
            package(
                "sklearn",
                error(
                    Mode::Plain,
                    "ImportError",
                    NUMPY1_ON_2,
                    Some("scipy.linalg._fblas"),
                ),
                60,
            ),
            package(
                "tables",
                ImportResult {
                    warnings: vec![Warning {
                        category: "RuntimeWarning".into(),
                        message: UFUNC_216_232.into(),
                        filename: None,
                        lineno: None,
                    }],
                    ..import(Mode::Plain, Outcome::Warning)
                },
                9,
            ),
        ];
        Report {
            schema_version: SCHEMA_VERSION,
            environment: Environment {
                python: Some("/home/ana/.venvs/ml/bin/python".into()),
                python_version: Some("3.11.7".into()),
                prefix: "/home/ana/.venvs/ml".into(),
                kind: EnvKind::Venv,
                source: crate::discover::Source::VirtualEnv,
                site_packages: vec![SITE.into()],
                include_system_site_packages: false,
                externally_managed: false,
                notes: vec!["environment given: /home/ana/.venvs/ml".into()],
            },
            python: "/home/ana/.venvs/ml/bin/python".into(),
            numpy: Some(RuntimeNumpy {
                version: "2.0.2".into(),
                path: format!("{SITE}/numpy").into(),
                path_in_env: None,
                release_line: Some("2.0".into()),
                beyond_knowledge: false,
            }),
            options: OptionsUsed {
                jobs: 8,
                timeout_seconds: 60.0,
                numpy_only: false,
            },
            summary: Summary {
                modules: modules.len(),
                outcomes: counts(&[
                    ("crash", 1),
                    ("error", 4),
                    ("ok", 2),
                    ("timeout", 0),
                    ("warning", 1),
                ]),
                predictions: counts(&[
                    ("agree", 4),
                    ("cascade", 1),
                    ("false_alarm", 1),
                    ("missed", 1),
                    ("unrelated", 1),
                ]),
                message_match: counts(&[("false", 0), ("true", 2)]),
                packages: counts(&[
                    ("crash", 0),
                    ("error", 3),
                    ("ok", 4),
                    ("timeout", 0),
                    ("warning", 1),
                ]),
                skipped: 2,
            },
            modules,
            packages,
            skipped: vec![
                Skipped {
                    module: "scipy.special.libsf_error_state".into(),
                    path: format!("{SITE}/scipy/special/libsf_error_state.so").into(),
                    path_in_env: None,
                    reason: "not an extension module: exports no PyInit_ function (a shared \
                             library that modules load)"
                        .into(),
                },
                Skipped {
                    module: "yaml._yaml".into(),
                    path: format!("{SITE}/yaml/_yaml.cpython-311-x86_64-linux-gnu.so").into(),
                    path_in_env: None,
                    reason: "shadowed: Python imports another file for this name".into(),
                },
            ],
            notes: vec![format!(
                "{SITE}/mystery-0.3.0.dist-info: no RECORD file: its files are not known"
            )],
        }
        .with_paths_in_env()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{json, rendered};

    #[test]
    fn json_is_the_model() {
        let r = samples::report();
        insta::assert_snapshot!("verify_json", rendered(|w| json::write(w, &r)));
    }

    #[test]
    fn a_miss_or_a_false_alarm_exits_1() {
        let mut r = samples::report();
        assert_eq!(r.exit_code(), 1);
        r.modules.retain(|m| !m.prediction.is_disagreement());
        assert_eq!(r.exit_code(), 0);
    }
}
