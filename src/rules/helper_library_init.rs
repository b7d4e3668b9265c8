//! NPY014 helper-library-init: a module calls a helper library's NumPy-initialising function, and
//! that library's `import_array()` refuses the installed NumPy.
//!
//! ## What it detects
//! An extension module with no NumPy break of its own that imports, by name, an exported function
//! of a shared library it loads (DT_NEEDED) where that function holds the library's
//! `import_array()` code (NumPy's ABI or C-API check call lies inside the exported function), and
//! the library's import window excludes the installed NumPy: `pyarrow.lib` (pyarrow < 16) and
//! `arrow_init_numpy` of `libarrow_python.so`.
//!
//! ## Why it breaks
//! The library's NumPy initialisation is the library's own `import_array()`, compiled with the
//! NumPy headers the library was built with, so it fails as a 1.x module fails on NumPy 2. The
//! module raises what that call left: pyarrow's `lib.pyx` calls `arrow_init_numpy()` in its body,
//! so `import pyarrow` prints the 1.x notice and ends with `ImportError: numpy.core.multiarray
//! failed to import`. Every module that imports the failing module fails with it (NPY013).
//!
//! ## Example
//! pyarrow 15.0.2 with NumPy 2.0.2: `pyarrow.lib` raises `ImportError: numpy.core.multiarray
//! failed to import` after `AttributeError: _ARRAY_API not found` and NumPy's 1.x notice.
//!
//! ## Fix
//! Install a NumPy in the library's window (`PY -m pip install 'numpy>=1.26,<2'` for a 1.x-built
//! library, PY being the environment's interpreter), or a release of the package built for your
//! NumPy (pyarrow >= 16 for NumPy 2; `abi-doctor fix` names the exact release).
//!
//! ## References
//! Apache Arrow `python/pyarrow/src/arrow/python/numpy_init.cc` and `lib.pyx`
//! (`arrow_init_numpy`); abi-doctor docs/binary-evidence.md#helper-libraries; scripts/realworld
//! scenario 13.

use super::{module_finding, Finding, Predicted, Rule, Scan, Severity};

pub const RULE: Rule = Rule {
    code: "NPY014",
    name: "helper-library-init",
    source: include_str!("helper_library_init.rs"),
    check,
};

/// `libarrow_python.so.1500` -> `libarrow_python`.
fn stem(name: &str) -> &str {
    name.split_once(".so")
        .or_else(|| name.split_once(".dylib"))
        .map(|(s, _)| s)
        .unwrap_or(name)
}

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    let Some(rt) = &scan.numpy else { return };
    // Libraries whose exported NumPy initialisation fails under the installed NumPy.
    let libs: Vec<_> = scan
        .modules
        .iter()
        .filter(|l| l.module.is_none() && !l.facts.numpy_init_exports.is_empty())
        .filter_map(|l| Some((l, super::predicted_failure(scan, l)?)))
        .collect();
    if libs.is_empty() {
        return;
    }
    for m in scan.modules.iter().filter(|m| m.module.is_some()) {
        if super::predicted_failure(scan, m).is_some() {
            continue;
        }
        for (lib, failure) in &libs {
            let file = std::path::Path::new(&lib.path)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or(&lib.path);
            if !m.facts.needed.iter().any(|n| stem(n) == stem(file)) {
                continue;
            }
            let Some(func) = lib
                .facts
                .numpy_init_exports
                .iter()
                .find(|f| m.facts.imported_functions.contains(f))
            else {
                continue;
            };
            let predicted: Predicted = failure.into();
            let last = predicted.then.as_ref().map_or_else(
                || format!("{}: {}", predicted.exception, predicted.message),
                |t| format!("{}: {}", t.exception, t.message),
            );
            let title = format!(
                "{last} (raised by {file}'s NumPy initialisation {func}(), which this module calls)"
            );
            let mut f = module_finding(scan, m, &RULE, Severity::Error, title);
            f.predicted = Some(predicted);
            f.evidence = vec![
                format!("imports {func} (an undefined dynamic symbol) from {file}, which it loads (DT_NEEDED)"),
                format!("{func} in {file} holds the library's import_array(): NumPy's version check is called inside it"),
            ];
            f.evidence.extend(failure.evidence.iter().cloned());
            f.evidence.push(format!(
                "what NumPy {} raises in it: {}",
                rt.version,
                failure.line()
            ));
            f.fix_hint = super::fix_for_module(scan, lib);
            out.push(f);
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::{HeaderGeneration, NumpyFacts};
    use crate::rules::test_support::*;
    use crate::rules::Module;

    #[test]
    fn a_module_calling_a_refused_library_initialiser_fails() {
        let mut scan = scan_with(
            "2.0.2",
            dist("pyarrow", "15.0.2", None),
            facts(Default::default()),
        );
        std::sync::Arc::make_mut(&mut scan.modules[0].facts).needed =
            vec!["libarrow_python.so".into()];
        std::sync::Arc::make_mut(&mut scan.modules[0].facts).imported_functions =
            ["arrow_init_numpy"].into_iter().collect();
        let mut lib = facts(NumpyFacts {
            uses_c_api: true,
            headers: Some(HeaderGeneration::V1_16To1_23),
            abi_version: Some(0x0100_0009),
            feature_version: Some(0x10),
            ..Default::default()
        });
        lib.module_init = None;
        lib.numpy_init_exports = vec!["arrow_init_numpy".into()];
        scan.modules.push(Module {
            path: "/site/pyarrow/libarrow_python.so".into(),
            module: None,
            dist: Some(0),
            facts: lib.into(),
        });
        let mut out = vec![];
        check(&scan, &mut out);
        assert_eq!(out.len(), 1);
        let p = out[0].predicted.as_ref().unwrap();
        assert_eq!(
            p.then.as_ref().unwrap().message,
            "numpy.core.multiarray failed to import"
        );
        // A module that does not import the initialiser is not flagged.
        std::sync::Arc::make_mut(&mut scan.modules[0].facts)
            .imported_functions
            .clear();
        let mut out = vec![];
        check(&scan, &mut out);
        assert!(out.is_empty());
    }
}
