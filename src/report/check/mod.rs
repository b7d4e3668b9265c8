//! The `check` report (JSON schema version 1). Its renderers: [`text`], [`sarif`], [`github`],
//! [`html`], and [`crate::report::json::write`] for JSON.

pub mod github;
pub mod html;
pub mod sarif;
pub mod text;
pub mod windows;

pub use text::Style;
pub use windows::{DistWindow, Windows};

use crate::discover::EnvKind;
use crate::rules::hint::Hint;
use crate::rules::{Finding, Severity};
use crate::scan::Scanned;
use schemars::JsonSchema;
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

/// Every path is absolute, and every file in the environment is also given relative to
/// `environment.prefix` (`path_in_env`, `/`-separated, null when the file lies outside the prefix:
/// a system site-packages seen from a venv, a user site).
#[derive(Debug, Serialize, JsonSchema)]
pub struct CheckReport {
    pub schema_version: u32,
    pub environment: EnvironmentInfo,
    pub numpy: Option<NumpyInfo>,
    pub findings: Vec<Finding>,
    /// For each top-level package whose import will die: the module it dies in.
    pub cascades: Vec<Cascade>,
    /// What to install so that everything imports, or what blocks that; null when nothing fails.
    #[schemars(with = "Option<HintSchema>")]
    pub fix_hint: Option<Hint>,
    pub binaries_scanned: usize,
    pub numpy_binaries: usize,
    pub summary: Summary,
    /// The import window of each NumPy-using distribution over the known NumPy release lines, the
    /// installed line and the overlap (what the HTML report draws).
    pub windows: Windows,
    /// Set when a set of wheels was checked before install (`check -r/--lock/--wheelhouse/WHEEL`)
    /// rather than an installed environment (added within schema version 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanInfo>,
}

/// What a check before install checked, and what it could not.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct PlanInfo {
    /// The inputs: `requirements.txt`, `uv.lock`, `3 wheel files`, ...
    pub inputs: Vec<String>,
    /// `CPython 3.11 on x86_64-manylinux_2_17`.
    pub target: String,
    /// The wheels checked.
    pub wheels: Vec<PlanWheel>,
    /// Entries not checked, or checked with a caveat (`level`: error or warning), each naming
    /// its entry.
    pub problems: Vec<PlanProblem>,
    /// Why metadata let each broken pair through.
    pub explanations: Vec<String>,
    /// How the set was obtained.
    pub notes: Vec<String>,
    /// HTTP requests made, bytes received, wheels served from the cache.
    pub requests: u64,
    pub bytes: u64,
    pub cache_hits: u64,
    /// What downloading every remote wheel of the set in full would cost, in bytes.
    pub full_bytes: u64,
    /// The directory the inputs' paths are relative to (the working directory), absolute.
    pub root: String,
    /// Where each distribution of the set is written: the input file, and the line when the
    /// input names it (a distribution a resolver added has no line).
    pub locations: Vec<PlanLocation>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PlanLocation {
    pub distribution: String,
    /// As given on the command line (relative to `root`, or absolute).
    pub file: String,
    /// 1-based.
    pub line: Option<u64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PlanWheel {
    pub name: String,
    pub version: String,
    pub wheel: String,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PlanProblem {
    pub level: String,
    pub message: String,
}

impl PlanInfo {
    /// An entry could not be checked.
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.level == "error")
    }

    /// Where `distribution` is written ([`PlanLocation`]); else the first location (a finding
    /// about no one distribution); `None` when the plan has none.
    pub fn location_of(&self, distribution: Option<&str>) -> Option<&PlanLocation> {
        let want = distribution.map(crate::inventory::normalize_name);
        self.locations
            .iter()
            .find(|l| {
                want.as_deref() == Some(crate::inventory::normalize_name(&l.distribution).as_str())
            })
            .or_else(|| self.locations.first())
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct EnvironmentInfo {
    pub python: Option<String>,
    pub python_version: Option<String>,
    pub prefix: String,
    pub kind: String,
    /// Why this environment was scanned: `from --env`, `from $VIRTUAL_ENV`, `found .venv in DIR`,
    /// `python3 on PATH`.
    pub source: String,
    pub site_packages: Vec<String>,
    /// What discovery noticed: `.pth` import lines it did not execute, a Python version it could
    /// not learn without running something, the user site, unreadable configuration.
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct NumpyInfo {
    pub version: String,
    /// The `numpy` package directory, absolute.
    pub path: String,
    /// `path` relative to `environment.prefix`, `/`-separated; null when outside it.
    pub path_in_env: Option<String>,
    pub abi_version: String,
    pub c_api_version: String,
    pub beyond_knowledge: bool,
}

pub use crate::rules::cascade::Cascade;

/// The JSON shape of [`crate::fix::Hint`], for the schema (the fix module's types do not derive
/// `JsonSchema`; `tests::hint_schema_is_the_hint` keeps the two equal).
#[derive(JsonSchema)]
#[allow(dead_code, reason = "only its schema is used")]
struct HintSchema {
    /// One sentence.
    summary: String,
    /// NumPy versions under which every module imports and every declared requirement holds
    /// (PEP 440, `>=1.26.4,<2`).
    numpy_specifier: Option<String>,
    /// Commands for pip, uv and conda, each naming the scanned environment's interpreter or
    /// prefix, ready to paste.
    commands: Vec<String>,
    /// Packages that must be rebuilt, upgraded or moved, each with the reason.
    blockers: Vec<String>,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Modules whose import is predicted to fail (error findings with a predicted message; added
    /// within schema version 1). NPY005 modules import, so they are errors but not counted here.
    pub failing_modules: usize,
    /// Distributions with at least one module in `failing_modules`.
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
                source: env.source.describe(),
                notes: env.notes.clone(),
                site_packages: env
                    .site_packages
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect(),
            },
            numpy: s.scan.numpy.as_ref().map(|n| NumpyInfo {
                version: n.version.clone(),
                path: n.path.clone(),
                path_in_env: None,
                abi_version: format!("{:#x}", n.release.abi_version),
                c_api_version: format!("{:#x}", n.release.api_version),
                beyond_knowledge: n.beyond_knowledge,
            }),
            summary: CheckReport::summarize(&s.findings),
            windows: Windows::of_scan(&s.scan, &s.findings, s.fix_hint.as_ref()),
            findings: s.findings.clone(),
            cascades: s.cascades.clone(),
            fix_hint: s.fix_hint.clone(),
            binaries_scanned: s.inventory.binaries.len(),
            numpy_binaries: s.numpy_binaries(),
            plan: None,
        }
        .with_paths_in_env()
    }

    /// Fills every `path_in_env` from the absolute path and `environment.prefix`.
    pub fn with_paths_in_env(mut self) -> Self {
        let prefix = std::path::PathBuf::from(&self.environment.prefix);
        let rel = |p: &str| crate::paths::in_prefix(&prefix, std::path::Path::new(p));
        for f in &mut self.findings {
            f.path_in_env = f.path.as_deref().and_then(rel);
        }
        if let Some(n) = &mut self.numpy {
            n.path_in_env = rel(&n.path);
        }
        self
    }

    pub fn summarize(findings: &[Finding]) -> Summary {
        let mut s = Summary::default();
        let mut failing = std::collections::BTreeSet::new();
        for f in findings {
            match f.severity {
                Severity::Error => {
                    s.errors += 1;
                    if f.fails_import() {
                        s.failing_modules += 1;
                        failing.insert(f.distribution.clone().unwrap_or_default());
                    }
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

/// Check reports built by hand, for the renderers' tests: a venv on NumPy 2.0.2 where pandas
/// (Cython, NumPy 1.x headers) and scipy (C API, NumPy 1.x headers) fail, sklearn dies in scipy,
/// and one file cannot be read; and a healthy system Python on a NumPy newer than the knowledge
/// base.
#[cfg(test)]
pub(crate) mod samples {
    use super::windows::sample_window;
    use super::*;
    use crate::knowledge::knowledge;
    use crate::rules::Predicted;
    use crate::rules::PredictedThen;

    const SITE: &str = "/home/ana/.venvs/ml/lib/python3.11/site-packages";
    pub const DTYPE_96_88: &str = "numpy.dtype size changed, may indicate binary incompatibility. \
         Expected 96 from C header, got 88 from PyObject";
    pub const NUMPY1_ON_2: &str = "A module that was compiled using NumPy 1.x cannot be run in \
         NumPy 2.0.2 as it may crash. To support both 1.x and 2.x versions of NumPy, modules must \
         be compiled with NumPy 2.0. Some module may need to rebuild instead e.g. with \
         'pybind11>=2.12'. If you are a user of the module, the easiest solution will be to \
         downgrade to 'numpy<2' or try to upgrade the affected module. We expect that some \
         modules will need time to support NumPy 2.";

    fn so(module_path: &str) -> String {
        format!("{SITE}/{module_path}.cpython-311-x86_64-linux-gnu.so")
    }

    fn rebuild(dist: &str) -> String {
        format!(
            "install a NumPy it was built for: pip install \"numpy>=1.22.4,<2\"; or install a \
             release of {dist} built for NumPy 2.0.2, or rebuild it: pip install \
             --force-reinstall --no-deps --no-cache-dir --no-binary {dist} --no-build-isolation \
             {dist}"
        )
    }

    pub(super) fn finding(code: &'static str, rule: &'static str, severity: Severity) -> Finding {
        Finding {
            code,
            rule,
            severity,
            title: String::new(),
            distribution: None,
            distribution_version: None,
            module: None,
            path: None,
            path_in_env: None,
            predicted: None,
            evidence: vec![],
            fix_hint: None,
        }
    }

    fn of(f: Finding, dist: &str, version: &str) -> Finding {
        Finding {
            distribution: Some(dist.into()),
            distribution_version: Some(version.into()),
            ..f
        }
    }

    pub fn failing() -> CheckReport {
        // In the order rules::run_all sorts them: distribution, module, path, code.
        let findings =
            vec![
            Finding {
                title: "cannot be read: truncated ELF header (40 of 64 bytes)".into(),
                path: Some(format!("{SITE}/_cffi_backend.cpython-311-x86_64-linux-gnu.so")),
                evidence: vec![format!(
                    "{SITE}/_cffi_backend.cpython-311-x86_64-linux-gnu.so: truncated ELF header \
                     (40 of 64 bytes)"
                )],
                fix_hint: Some(
                    "reinstall the package that owns it: pip install --force-reinstall \
                     --no-deps PKG"
                        .into(),
                ),
                ..finding("NPY009", "unreadable", Severity::Warning)
            },
            of(
                Finding {
                    title: "pandas 2.1.4: declared NumPy requirement contradicts its binaries \
                            (they import only under numpy>=1.22.4,<2)"
                        .into(),
                    evidence: vec![
                        "declares numpy>=1.22.4, which admits NumPy 2.0.2 where its modules \
                         fail: no <2 cap on a build against NumPy 1.x"
                            .into(),
                    ],
                    fix_hint: Some(
                        "constrain NumPy yourself: pip install \"numpy>=1.22.4,<2\" (or add it \
                         to a constraints file)"
                            .into(),
                    ),
                    ..finding("NPY006", "declared-requirement", Severity::Warning)
                },
                "pandas",
                "2.1.4",
            ),
            of(
                Finding {
                    title: format!("ValueError: {DTYPE_96_88}"),
                    module: Some("pandas._libs.interval".into()),
                    path: Some(so("pandas/_libs/interval")),
                    predicted: Some(Predicted {
                        printed: None,
                        exception: "ValueError".into(),
                        message: DTYPE_96_88.into(),
                        then: None,
                    }),
                    evidence: vec![
                        "Cython checks sizeof(dtype) = 96 from the NumPy headers it was built \
                         with; NumPy 2.0.2 has tp_basicsize 88"
                            .into(),
                    ],
                    fix_hint: Some(rebuild("pandas")),
                    ..finding("NPY001", "size-changed", Severity::Error)
                },
                "pandas",
                "2.1.4",
            ),
            of(
                Finding {
                    title: "NumPy types larger at run time than in its headers (harmless): \
                            ndarray 80 < 96, ufunc 216 < 232"
                        .into(),
                    module: Some("pandas._libs.interval".into()),
                    path: Some(so("pandas/_libs/interval")),
                    evidence: vec![
                        "header sizeof(ndarray) = 80, NumPy 2.0.2 tp_basicsize = 96".into(),
                        "header sizeof(ufunc) = 216, NumPy 2.0.2 tp_basicsize = 232".into(),
                    ],
                    ..finding("NPY004", "larger-runtime-type", Severity::Info)
                },
                "pandas",
                "2.1.4",
            ),
            of(
                Finding {
                    title: "ImportError: numpy.core.multiarray failed to import (after \
                            AttributeError: _ARRAY_API not found)"
                        .into(),
                    module: Some("scipy.sparse._sparsetools".into()),
                    path: Some(so("scipy/sparse/_sparsetools")),
                    predicted: Some(Predicted {
                        printed: Some(NUMPY1_ON_2.into()),
                        exception: "AttributeError".into(),
                        message: "_ARRAY_API not found".into(),
                        then: Some(PredictedThen {
                            exception: "ImportError".into(),
                            message: "numpy.core.multiarray failed to import".into(),
                        }),
                    }),
                    evidence: vec![
                        "built with NumPy 1.25 headers (ABI 0x1000009), whose import_array() \
                         loads numpy.core._multiarray_umath; NumPy 2.0.2 serves it as a shim \
                         that prints \"A module that was compiled using NumPy 1.x cannot be \
                         run in NumPy 2.0.2\" and refuses the module"
                            .into(),
                        "Python prints first: A module that was compiled using NumPy 1.x cannot \
                         be run in NumPy 2.0.2 as it may crash."
                            .into(),
                        "the first exception, printed above the final one: AttributeError: \
                         _ARRAY_API not found"
                            .into(),
                    ],
                    fix_hint: Some(rebuild("scipy")),
                    ..finding("NPY002", "numpy1-on-numpy2", Severity::Error)
                },
                "scipy",
                "1.11.4",
            ),
        ];
        CheckReport {
            schema_version: SCHEMA_VERSION,
            environment: EnvironmentInfo {
                python: Some("/home/ana/.venvs/ml/bin/python".into()),
                python_version: Some("3.11.7".into()),
                prefix: "/home/ana/.venvs/ml".into(),
                kind: "venv".into(),
                source: "from $VIRTUAL_ENV".into(),
                site_packages: vec![SITE.into()],
                notes: vec![format!(
                    "{SITE}/distutils-precedence.pth: import line not executed: import os; \
                     var = 'SETUPTOOLS_USE_DISTUTILS'; ..."
                )],
            },
            numpy: Some(NumpyInfo {
                version: "2.0.2".into(),
                path: format!("{SITE}/numpy"),
                path_in_env: None,
                abi_version: "0x2000000".into(),
                c_api_version: "0x12".into(),
                beyond_knowledge: false,
            }),
            summary: CheckReport::summarize(&findings),
            findings,
            cascades: vec![
                Cascade {
                    package: "pandas".into(),
                    distribution: Some("pandas".into()),
                    dies_in: "pandas._libs.interval".into(),
                    via: vec![
                        "pandas".into(),
                        "pandas._libs".into(),
                        "pandas._libs.interval".into(),
                    ],
                    exception: "ValueError".into(),
                    message: DTYPE_96_88.into(),
                },
                Cascade {
                    package: "sklearn".into(),
                    distribution: Some("scikit-learn".into()),
                    dies_in: "scipy.sparse._sparsetools".into(),
                    via: vec![
                        "sklearn".into(),
                        "sklearn.base".into(),
                        "scipy.sparse".into(),
                        "scipy.sparse._sparsetools".into(),
                    ],
                    exception: "ImportError".into(),
                    message: NUMPY1_ON_2.into(),
                },
            ],
            fix_hint: Some(Hint {
                summary: "everything imports under NumPy >=1.22.4,<2 (NumPy 2.0.2 is \
                          installed); move NumPy:"
                    .into(),
                numpy_specifier: Some(">=1.22.4,<2".into()),
                commands: vec![
                    "pip install \"numpy>=1.22.4,<2\"".into(),
                    "uv pip install \"numpy>=1.22.4,<2\"".into(),
                    "conda install \"numpy>=1.22.4,<2\"".into(),
                ],
                blockers: vec![],
            }),
            binaries_scanned: 214,
            numpy_binaries: 61,
            windows: Windows::new(
                &knowledge().releases,
                Some("2.0".into()),
                vec![
                    sample_window(
                        "pandas",
                        "2.1.4",
                        "1.22",
                        Some("2.0"),
                        Some(">=1.22.4"),
                        &["pandas._libs.interval"],
                    ),
                    sample_window(
                        "scipy",
                        "1.11.4",
                        "1.21",
                        Some("2.0"),
                        Some("<1.28.0,>=1.21.6"),
                        &["scipy.sparse._sparsetools"],
                    ),
                ],
                Some("1.26".into()),
            ),
            plan: None,
        }
        .with_paths_in_env()
    }

    pub fn healthy() -> CheckReport {
        let findings = vec![of(
            Finding {
                title: "NumPy types larger at run time than in its headers (harmless): ufunc \
                        216 < 232"
                    .into(),
                module: Some("h5py._conv".into()),
                path: Some(
                    "/usr/lib/python3/dist-packages/h5py/_conv.cpython-312-x86_64-linux-gnu.so"
                        .into(),
                ),
                evidence: vec!["header sizeof(ufunc) = 216, NumPy 2.5.0 tp_basicsize = 232".into()],
                ..finding("NPY004", "larger-runtime-type", Severity::Info)
            },
            "h5py",
            "3.12.1",
        )];
        CheckReport {
            schema_version: SCHEMA_VERSION,
            environment: EnvironmentInfo {
                python: Some("/usr/bin/python3".into()),
                python_version: Some("3.12.3".into()),
                prefix: "/usr".into(),
                kind: "system".into(),
                source: "python3 on PATH".into(),
                notes: vec![],
                site_packages: vec!["/usr/lib/python3/dist-packages".into()],
            },
            numpy: Some(NumpyInfo {
                version: "2.5.0".into(),
                path: "/usr/lib/python3/dist-packages/numpy".into(),
                path_in_env: None,
                abi_version: "0x2000000".into(),
                c_api_version: "0x15".into(),
                beyond_knowledge: true,
            }),
            summary: CheckReport::summarize(&findings),
            findings,
            cascades: vec![],
            fix_hint: None,
            binaries_scanned: 1,
            numpy_binaries: 1,
            windows: Windows::new(
                &knowledge().releases,
                knowledge().newest().map(|r| r.line.clone()),
                vec![sample_window(
                    "h5py",
                    "3.12.1",
                    "1.19",
                    None,
                    Some(">=1.19.3"),
                    &[],
                )],
                None,
            ),
            plan: None,
        }
        .with_paths_in_env()
    }
}

#[cfg(test)]
mod tests {
    use super::{samples, text, CheckReport, Finding, Severity, Style};
    use crate::report::{json, rendered};

    /// The schema's mirror of the fix hint has exactly the keys a serialized hint has.
    #[test]
    fn hint_schema_is_the_hint() {
        let hint = samples::failing().fix_hint.unwrap();
        let value = serde_json::to_value(&hint).unwrap();
        let mut keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        let schema = schemars::schema_for!(super::HintSchema);
        let mut props: Vec<&String> = schema
            .get("properties")
            .and_then(|p| p.as_object())
            .unwrap()
            .keys()
            .collect();
        keys.sort();
        props.sort();
        assert_eq!(keys, props);
    }

    #[test]
    fn json_is_the_model() {
        let r = samples::failing();
        insta::assert_snapshot!("check_json", rendered(|w| json::write(w, &r)));
    }

    #[test]
    fn summary_counts_failing_distributions_once() {
        let s = &samples::failing().summary;
        assert_eq!(
            (s.errors, s.warnings, s.infos, s.distributions_failing),
            (2, 2, 1, 2)
        );
        assert_eq!(s.failing_modules, 2);
    }

    /// A pybind11 < 2.12 module on NumPy 2 (NPY005) imports: an error, not an import failure.
    #[test]
    fn npy005_is_an_error_that_imports() {
        let mut findings = samples::failing().findings;
        findings.push(Finding {
            module: Some("pyb11mod".into()),
            distribution: Some("pyb11mod".into()),
            title: "pybind11 2.11 numpy.h".into(),
            ..samples::finding("NPY005", "pybind11-numpy1", Severity::Error)
        });
        let s = CheckReport::summarize(&findings);
        assert_eq!(
            (s.errors, s.failing_modules, s.distributions_failing),
            (3, 2, 2)
        );
        let only = CheckReport::summarize(&findings[findings.len() - 1..]);
        assert_eq!((only.errors, only.failing_modules), (1, 0));
        let mut r = samples::failing();
        r.findings = findings[findings.len() - 1..].to_vec();
        r.summary = only;
        r.cascades.clear();
        let mut out = Vec::new();
        text::write(&mut out, &r, Style::default()).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.contains("no NumPy import failures predicted; 1 other error (modules that import but misbehave"),
            "{out}"
        );
        assert!(!out.contains("will fail"), "{out}");
    }
}
