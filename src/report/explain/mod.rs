//! The `explain` report (JSON schema version 1): the explanations of a pasted error, and, when
//! an environment was scanned, what `check` finds there for each package the traceback names.
//! Its renderers: [`text`], and [`crate::report::json::write`] for JSON.

pub mod text;

use crate::explain::Explanation;
use crate::report::check::CheckReport;
use crate::rules::Severity;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeSet;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize, JsonSchema)]
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
#[derive(Debug, Serialize, JsonSchema)]
pub struct ExplainEnvironment {
    pub prefix: String,
    pub python_version: Option<String>,
    /// The installed NumPy's version; null when none is installed.
    pub numpy: Option<String>,
}

/// What `check` finds for one package named by the traceback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
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
            Some((f.module.clone()?, p.final_line()))
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

/// Explanations built by hand, for the renderers' tests: what `explain` says of a pandas
/// traceback ending in the dtype 96/88 message, of a scipy traceback ending in "compiled using
/// NumPy 1.x", and of h5py's harmless ufunc warning.
#[cfg(test)]
pub(crate) mod samples {
    use crate::explain::{Explanation, Remedy, Severity};
    use crate::messages::Family as Kind;
    use crate::report::check::samples::{DTYPE_96_88, NUMPY1_ON_2};

    fn remedy(title: &str, pip: &str, uv: &str, conda: Option<&str>) -> Remedy {
        Remedy {
            title: title.into(),
            pip: Some(pip.into()),
            uv: Some(uv.into()),
            conda: conda.map(Into::into),
        }
    }

    fn numpy2_remedies(pkg: &str) -> Vec<Remedy> {
        vec![
            remedy(
                "Move NumPy into the range the extension was built for: numpy<2",
                "pip install \"numpy<2\"",
                "uv pip install \"numpy<2\"",
                Some("conda install \"numpy<2\""),
            ),
            remedy(
                &format!(
                    "Install a release of {pkg} whose wheels were built for NumPy 2 (most \
                     releases since mid-2024)"
                ),
                &format!("pip install --upgrade {pkg}"),
                &format!("uv pip install --upgrade {pkg}"),
                Some(&format!("conda install -c conda-forge {pkg}")),
            ),
        ]
    }

    pub fn explanations() -> Vec<Explanation> {
        vec![
            Explanation {
                kind: Kind::SizeChanged,
                exception: Some("ValueError".into()),
                matched: format!("ValueError: {DTYPE_96_88}"),
                numpy_type: Some("dtype".into()),
                expected_size: Some(96),
                runtime_size: Some(88),
                built_against: vec![">=1.10,<2".into()],
                running: vec!["<1.10".into(), ">=2.0".into()],
                newer: Some("runtime"),
                severity: Severity::Error,
                package: Some("pandas".into()),
                module: Some("pandas._libs.interval".into()),
                summary: "The extension was compiled against NumPy 1.x headers (numpy.dtype is \
                          96 bytes there: NumPy >=1.10,<2), and the NumPy running now has an \
                          88-byte dtype (NumPy <1.10 or >=2.0): NumPy 2.0 shrank dtype, so this \
                          is a module built for NumPy 1.x running on NumPy 2. Cython refuses a \
                          runtime type smaller than its header struct."
                    .into(),
                remedies: numpy2_remedies("pandas"),
            },
            Explanation {
                kind: Kind::CompiledWithNumpy1,
                exception: Some("ImportError".into()),
                // As a CI log wraps it: the renderer puts it back on one line.
                matched: NUMPY1_ON_2[..NUMPY1_ON_2.find(" as it may crash").unwrap() + 16]
                    .replacen(" cannot be run", "\n    cannot be run", 1),
                numpy_type: None,
                expected_size: None,
                runtime_size: None,
                built_against: vec!["<2".into()],
                running: vec!["==2.0.2".into()],
                newer: Some("runtime"),
                severity: Severity::Error,
                package: Some("scipy".into()),
                module: Some("scipy.sparse".into()),
                summary: "An extension built against NumPy 1.x headers (1.16-1.26) is being \
                          loaded by NumPy 2.0.2. NumPy 2 changed the binary layout, so it \
                          refuses the module; the ImportError that follows \
                          (numpy.core.multiarray failed to import, or _ARRAY_API not found) is \
                          the same failure."
                    .into(),
                remedies: numpy2_remedies("scipy"),
            },
            Explanation {
                kind: Kind::SizeChanged,
                exception: Some("RuntimeWarning".into()),
                matched: "RuntimeWarning: numpy.ufunc size changed, may indicate binary \
                          incompatibility. Expected 216 from C header, got 232 from PyObject"
                    .into(),
                numpy_type: Some("ufunc".into()),
                expected_size: Some(216),
                runtime_size: Some(232),
                built_against: vec![">=1.16,<1.22".into(), ">=1.25,<2.3".into()],
                running: vec![">=1.22,<2.1".into()],
                newer: None,
                severity: Severity::Warning,
                package: Some("h5py".into()),
                module: None,
                summary: "Harmless: the running NumPy (NumPy >=1.22,<2.1) has a larger \
                          numpy.ufunc (232 bytes) than the headers the extension was built with \
                          (216 bytes, NumPy >=1.16,<1.22 or >=1.25,<2.3). NumPy only appends \
                          fields; Cython warns, nothing breaks."
                    .into(),
                remedies: vec![Remedy {
                    title: "Nothing is broken. To silence the warning, rebuild the package \
                            against the installed NumPy"
                        .into(),
                    pip: None,
                    uv: None,
                    conda: None,
                }],
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::check::samples as check;
    use crate::report::{json, rendered};

    #[test]
    fn packages_are_sorted_once_each() {
        let mut found = samples::explanations();
        found.push(found[0].clone());
        assert_eq!(packages(&found), ["h5py", "pandas", "scipy"]);
    }

    #[test]
    fn culprits_of_a_package_its_distribution_and_a_cascade() {
        let r = check::failing();
        let pandas = culprits(&r, "pandas");
        assert_eq!(pandas.distribution.as_deref(), Some("pandas"));
        assert_eq!(pandas.distribution_version.as_deref(), Some("2.1.4"));
        assert_eq!(pandas.dies_in.as_deref(), Some("pandas._libs.interval"));
        assert_eq!(pandas.modules.len(), 1);
        // sklearn has no failing module of its own: it dies in scipy's.
        let sklearn = culprits(&r, "sklearn");
        assert_eq!(sklearn.distribution.as_deref(), Some("scikit-learn"));
        assert_eq!(
            sklearn.dies_in.as_deref(),
            Some("scipy.sparse._sparsetools")
        );
        assert!(sklearn.modules.is_empty());
        let h5py = culprits(&r, "h5py");
        assert_eq!((h5py.distribution, h5py.dies_in), (None, None));
        assert!(h5py.modules.is_empty());
    }

    #[test]
    fn json_without_environment() {
        let r = ExplainReport::new(samples::explanations(), None);
        assert!(r.culprits.is_empty());
        insta::assert_snapshot!("explain_json", rendered(|w| json::write(w, &r)));
    }

    #[test]
    fn json_with_culprits() {
        let env = check::failing();
        let r = ExplainReport::new(samples::explanations()[..1].to_vec(), Some(&env));
        insta::assert_snapshot!("explain_json_culprits", rendered(|w| json::write(w, &r)));
    }

    #[test]
    fn nothing_recognized() {
        let r = ExplainReport::new(vec![], None);
        assert!(!r.recognized);
        insta::assert_snapshot!(
            "explain_json_unrecognized",
            rendered(|w| json::write(w, &r))
        );
    }
}
