//! NPY011 helper-library: a shared library (not a module) holds NumPy C-API code that the installed
//! NumPy will refuse.
//!
//! ## What it detects
//! A compiled file that exports no `PyInit_*` (so Python never imports it directly) but carries
//! NumPy's `import_array()` code or Cython size checks, and whose import window excludes the
//! installed NumPy: pyarrow's `libarrow_python.so`, for example. The extension modules that load
//! it (their DT_NEEDED / LC_LOAD_DYLIB / import table names it) are listed.
//!
//! ## Why it breaks
//! The library runs `import_array()` when a module that loads it first calls into it, at import
//! or later. Packages often guard this with their own version check (pyarrow raises `pyarrow
//! requires NumPy 2.0 or newer`), so the message users see is the package's, not NumPy's.
//!
//! ## Example
//! `libarrow_python.so: module was compiled against NumPy C-API version 0x12 (NumPy 2.0) but the
//! running NumPy has C-API version 0x11` (pyarrow 26 with NumPy 1.26.4; pyarrow.lib fails first
//! with `ImportError: pyarrow requires NumPy 2.0 or newer, found 1.26.4`).
//!
//! ## Fix
//! Install a NumPy in the library's window, or a release of the package built for your NumPy.
//!
//! ## References
//! abi-doctor docs/binary-evidence.md#helper-libraries; scripts/realworld scenario 06.

use super::{Finding, Rule, Scan, Severity};
use std::collections::BTreeMap;

pub const RULE: Rule = Rule {
    code: "NPY011",
    name: "helper-library",
    source: include_str!("helper_library.rs"),
    check,
};

/// `libarrow_python.so.2600.1.0` -> `libarrow_python`: copies under versioned names are one
/// library.
fn stem(name: &str) -> &str {
    name.split_once(".so")
        .or_else(|| name.split_once(".dylib"))
        .or_else(|| name.split_once(".dll"))
        .map(|(s, _)| s)
        .unwrap_or(name)
}

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    let Some(rt) = &scan.numpy else { return };
    let mut seen: BTreeMap<(String, String), ()> = BTreeMap::new();
    for m in scan.modules.iter().filter(|m| m.module.is_none()) {
        let Some(f) = super::predicted_failure(scan, m) else {
            continue;
        };
        let path = std::path::Path::new(&m.path);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or(&m.path);
        let dir = path
            .parent()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        if seen.insert((dir, stem(name).to_string()), ()).is_some() {
            continue;
        }
        let loaders: Vec<String> = scan
            .modules
            .iter()
            .filter(|l| l.module.is_some())
            .filter(|l| l.facts.needed.iter().any(|n| stem(n) == stem(name)))
            .filter_map(|l| l.module.clone())
            .collect();
        let d = scan.dist_of(m);
        let who = match loaders.len() {
            0 => "the modules that load it".to_string(),
            1..=3 => loaders.join(", "),
            n => format!("{} and {} more modules", loaders[..3].join(", "), n - 3),
        };
        let window = crate::rules::predict::compatible_specifier(&m.facts.numpy)
            .filter(|s| !s.is_empty())
            .map(|s| format!(" (built for numpy{s})"))
            .unwrap_or_default();
        let mut evidence = f.evidence.clone();
        evidence.push(format!(
            "what NumPy {} would raise in it: {}",
            rt.version,
            f.line()
        ));
        if !loaders.is_empty() {
            evidence.push(format!("loaded by (DT_NEEDED): {}", loaders.join(", ")));
        }
        // A loader that imports the library's NumPy-initialising export fails at import (NPY014).
        let at_import = scan.modules.iter().any(|l| {
            l.module.is_some()
                && l.facts.needed.iter().any(|n| stem(n) == stem(name))
                && m.facts
                    .numpy_init_exports
                    .iter()
                    .any(|e| l.facts.imported_functions.contains(e))
        });
        let when = if at_import {
            "at import: see NPY014"
        } else {
            "at import or first use"
        };
        out.push(Finding {
            code: RULE.code,
            rule: RULE.name,
            severity: Severity::Warning,
            title: format!(
                "shared library {name}{window} holds NumPy C-API code that NumPy {} refuses; {who} will fail when it runs ({when})",
                rt.version
            ),
            distribution: d.map(|d| d.name.clone()),
            distribution_version: d.map(|d| d.version.clone()),
            module: None,
            path: Some(m.path.clone()),
            path_in_env: None,
            predicted: None,
            evidence,
            fix_hint: super::fix_for_module(scan, m),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versioned_copies_are_one_library() {
        assert_eq!(stem("libarrow_python.so.2600.1.0"), "libarrow_python");
        assert_eq!(stem("libarrow_python.so"), "libarrow_python");
        assert_eq!(stem("libfoo.1.dylib"), "libfoo.1");
    }
}
