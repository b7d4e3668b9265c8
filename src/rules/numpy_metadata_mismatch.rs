//! NPY012 numpy-metadata-mismatch: NumPy's metadata and its own files disagree on its version.
//!
//! ## What it detects
//! The `numpy-*.dist-info/METADATA` of the NumPy that Python imports names one version, and
//! `numpy/version.py` (the file `numpy.__version__` comes from) another.
//!
//! ## Why it breaks
//! Two installs were laid over each other (a pip install over a conda or Debian one, an
//! interrupted upgrade): the compiled files Python loads belong to the version the files say,
//! while pip, `pip check` and resolvers believe the metadata. abi-doctor judges the modules
//! against the files' version.
//!
//! ## Example
//! `numpy's metadata says 1.26.4 but numpy/version.py says 2.0.2`
//!
//! ## Fix
//! Reinstall NumPy cleanly at the version its files are: `PY -m pip install --force-reinstall
//! numpy==2.0.2` (PY being the environment's interpreter; or remove the other installer's copy
//! first).
//!
//! ## References
//! PEP 376 (installed distributions); abi-doctor docs/numpy-abi.md#reading-the-runtime-version.

use super::{Finding, Rule, Scan, Severity};

pub const RULE: Rule = Rule {
    code: "NPY012",
    name: "numpy-metadata-mismatch",
    source: include_str!("numpy_metadata_mismatch.rs"),
    check,
};

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    let Some(rt) = &scan.numpy else { return };
    let Some(meta) = &rt.metadata_version else {
        return;
    };
    if *meta == rt.version {
        return;
    }
    out.push(Finding {
        code: RULE.code,
        rule: RULE.name,
        severity: Severity::Warning,
        title: format!(
            "numpy's metadata says {meta} but numpy/version.py says {}: modules are judged against {}",
            rt.version, rt.version
        ),
        distribution: Some("numpy".into()),
        distribution_version: Some(meta.clone()),
        module: Some("numpy".into()),
        path: Some(rt.path.clone()),
        path_in_env: None,
        predicted: None,
        evidence: vec![
            format!("dist-info METADATA Version: {meta}"),
            format!("{}/version.py: {}", rt.path, rt.version),
        ],
        fix_hint: Some(format!(
            "reinstall NumPy cleanly: {}",
            scan.target
                .pip_install(&format!("--force-reinstall \"numpy=={}\"", rt.version))
        )),
    });
}
