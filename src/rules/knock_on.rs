//! NPY013 knock-on: a module whose own binary is fine fails at import because its initialisation
//! imports a module that fails.
//!
//! ## What it detects
//! An extension module with no NumPy break of its own whose init imports, directly or through
//! other modules, a module predicted to fail: a Cython `cimport` of a sibling (the init imports
//! the cimported module to fetch its C functions and types), a `cimport` into another package, or
//! a Python-level import the init runs (`import pandas.io.sas.sas_constants`, which runs
//! `pandas/io/sas/__init__.py` and what it imports). The chain comes from the import graph of the
//! scan: the dotted module names the binary holds and the module-level imports of the Python
//! files on the way. The module's own parent packages are left out, as when they are already
//! imported.
//!
//! ## Why it breaks
//! Python runs an import completely before the importing statement returns; when the imported
//! module raises, the exception propagates out of the importer's init, so importing the module
//! ends with the exception of the module at the end of the chain.
//!
//! ## Example
//! `pandas._libs.sas` (pandas 2.1.4) on NumPy 2.2.6: `ValueError: numpy.dtype size changed, may
//! indicate binary incompatibility. Expected 96 from C header, got 88 from PyObject`, raised in
//! `pandas._libs.algos` through `pandas.io.sas.sas_constants -> pandas.io.sas -> ... ->
//! pandas.core.dtypes.common`.
//!
//! ## Fix
//! Fix the module at the end of the chain (its own finding says how); the knock-on goes with it.
//!
//! ## References
//! The Python Language Reference, "The import system" (5.4: loading runs the module's code and
//! removes it from `sys.modules` when that raises); Cython `Utility/ImportExport.c`
//! (`__Pyx_ImportFunction`, `__Pyx_ImportType` of cimported modules in the module init);
//! scripts/realworld scenarios 03 and 04.

use super::{module_finding, Finding, Predicted, Rule, Scan, Severity};
use crate::imports::graph::ModuleGraph;
use crate::imports::ids::{IdGraph, Seen};
use crate::rules::cascade::IdWalk;
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

pub const RULE: Rule = Rule {
    code: "NPY013",
    name: "knock-on",
    source: include_str!("knock_on.rs"),
    check,
};

/// A module that fails because its init reaches a failing module.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnockOn {
    pub module: String,
    /// From `module` to the failing origin, both included.
    pub chain: Vec<String>,
    /// What the origin raises; the import of `module` ends with the same.
    pub predicted: Predicted,
}

impl KnockOn {
    pub fn origin(&self) -> &str {
        self.chain.last().map(String::as_str).unwrap_or("")
    }
}

/// The knock-on failures of the scan's extension modules over `graph`: `failing` maps each
/// module predicted to fail on its own to its prediction. Pure apart from what `graph` reads.
pub fn find(
    graph: &dyn ModuleGraph,
    scan: &Scan,
    failing: &BTreeMap<String, Predicted>,
) -> Vec<KnockOn> {
    if failing.is_empty() {
        return vec![];
    }
    let extensions: HashSet<&str> = scan
        .modules
        .iter()
        .filter_map(|m| m.module.as_deref())
        .collect();
    let graph = Memo::new(graph, extensions);
    // Interned: each module's walk follows node numbers, with one `seen` set emptied in O(1).
    let mut ids = IdGraph::new(&graph);
    let mut seen = Seen::default();
    let mut chain = Vec::new();
    let mut out = Vec::new();
    for name in scan.modules.iter().filter_map(|m| m.module.as_deref()) {
        if failing.contains_key(name) {
            continue;
        }
        let id = ids.intern(name);
        // The parents are already imported (or stubbed) when the module's init runs.
        seen.clear();
        let mut dot = 0;
        while let Some(k) = name[dot..].find('.') {
            seen.insert(ids.intern(&name[..dot + k]));
            dot += k + 1;
        }
        seen.insert(id);
        chain.clear();
        chain.push(id);
        for k in 0..ids.imports(id) {
            let dep = ids.import(id, k);
            let mut w = IdWalk {
                seen: &mut seen,
                chain: &mut chain,
                dead: &[],
                cut: false,
            };
            if w.walk(&mut ids, dep, 1) {
                let origin = chain.last().map_or("", |&o| ids.name(o));
                if let Some(p) = failing.get(origin) {
                    out.push(KnockOn {
                        module: name.to_string(),
                        chain: chain.iter().map(|&i| ids.name(i).to_string()).collect(),
                        predicted: p.clone(),
                    });
                }
                break;
            }
        }
    }
    out
}

/// Answers cached per module: each module's walk crosses the same package files. For extension
/// modules it also puts the names in init order as far as the binary shows it.
struct Memo<'a> {
    inner: &'a dyn ModuleGraph,
    extensions: HashSet<&'a str>,
    exists: RefCell<HashMap<String, bool>>,
    imports: RefCell<HashMap<String, Rc<[String]>>>,
}

impl<'a> Memo<'a> {
    fn new(inner: &'a dyn ModuleGraph, extensions: HashSet<&'a str>) -> Self {
        Memo {
            inner,
            extensions,
            exists: RefCell::default(),
            imports: RefCell::default(),
        }
    }

    /// An extension's referenced names, resolved and ordered: a name that is no module is tried
    /// as a relative import (`from ..utils.extmath import x` in `sklearn.cluster._k_means_common`
    /// leaves `utils.extmath`) against each enclosing package, innermost first; then the
    /// extension modules among them come first, because Cython's init imports the cimported
    /// modules (always extensions) before the module body's imports run.
    fn extension_imports(&self, module: &str, refs: Vec<String>) -> Vec<String> {
        // The enclosing packages, innermost first: `module` up to each dot.
        let dots: Vec<usize> = module.match_indices('.').map(|(i, _)| i).collect();
        let mut resolved = Vec::new();
        let mut candidate = String::new();
        for r in refs {
            if self.exists(&r) {
                resolved.push(r);
                continue;
            }
            for &d in dots.iter().rev() {
                candidate.clear();
                candidate.push_str(&module[..d]);
                candidate.push('.');
                candidate.push_str(&r);
                if self.exists(&candidate) {
                    resolved.push(candidate.clone());
                    break;
                }
            }
        }
        let (mut ext, rest): (Vec<String>, Vec<String>) = resolved
            .into_iter()
            .partition(|r| self.extensions.contains(r.as_str()));
        ext.extend(rest);
        ext.dedup();
        ext
    }
}

impl ModuleGraph for Memo<'_> {
    fn exists(&self, module: &str) -> bool {
        if let Some(v) = self.exists.borrow().get(module) {
            return *v;
        }
        let v = self.inner.exists(module);
        self.exists.borrow_mut().insert(module.to_string(), v);
        v
    }
    fn imports(&self, module: &str) -> Rc<[String]> {
        if let Some(v) = self.imports.borrow().get(module) {
            return v.clone();
        }
        let mut v = self.inner.imports(module);
        if self.extensions.contains(module) {
            v = Rc::from(self.extension_imports(module, v.to_vec()));
        }
        self.imports
            .borrow_mut()
            .insert(module.to_string(), v.clone());
        v
    }
    fn failure(&self, module: &str) -> Option<(String, String)> {
        self.inner.failure(module)
    }
    fn fails(&self, module: &str) -> bool {
        self.inner.fails(module)
    }
}

pub fn check(scan: &Scan, out: &mut Vec<Finding>) {
    for k in &scan.knock_ons {
        let Some(m) = scan
            .modules
            .iter()
            .find(|m| m.module.as_deref() == Some(k.module.as_str()))
        else {
            continue;
        };
        let origin = k.origin();
        let last = k.predicted.then.as_ref().map_or(
            format!("{}: {}", k.predicted.exception, k.predicted.message),
            |t| format!("{}: {}", t.exception, t.message),
        );
        let title = format!("{last} (raised in {origin}, which its init imports)");
        let mut f = module_finding(scan, m, &RULE, Severity::Error, title);
        f.predicted = Some(k.predicted.clone());
        f.evidence = vec![
            format!("import chain of its init: {}", k.chain.join(" -> ")),
            format!(
                "{origin} fails on its own: {}: {}",
                k.predicted.exception, k.predicted.message
            ),
        ];
        let origin_dist = scan
            .modules
            .iter()
            .find(|o| o.module.as_deref() == Some(origin))
            .and_then(|o| scan.dist_of(o))
            .map(|d| format!(" ({} {})", d.name, d.version))
            .unwrap_or_default();
        f.fix_hint = Some(format!(
            "fix {origin}{origin_dist} first (see its finding); this module then imports"
        ));
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::graph::MapGraph;
    use crate::rules::test_support::*;
    use crate::rules::Module;

    fn predicted() -> Predicted {
        Predicted {
            printed: None,
            exception: "ValueError".into(),
            message: "numpy.dtype size changed".into(),
            then: None,
        }
    }

    #[test]
    fn a_module_whose_init_reaches_a_failing_module_fails_with_its_message() {
        let mut scan = scan_with("2.2.6", dist("pkg", "1", None), facts(Default::default()));
        scan.modules[0].module = Some("pkg._libs.sas".into());
        scan.modules.push(Module {
            path: "/site/pkg/_libs/algos.so".into(),
            module: Some("pkg._libs.algos".into()),
            dist: Some(0),
            facts: facts(Default::default()).into(),
        });
        let mut g = MapGraph::default();
        g.imports
            .insert("pkg._libs.sas".into(), vec!["pkg.io.consts".into()]);
        // The parent's init imports the failing module too, but it is already imported.
        g.imports
            .insert("pkg._libs".into(), vec!["pkg._libs.algos".into()]);
        g.imports.insert("pkg.io".into(), vec![]);
        g.imports
            .insert("pkg.io.consts".into(), vec!["pkg._libs.algos".into()]);
        g.imports.insert("pkg._libs.algos".into(), vec![]);
        g.failures.insert(
            "pkg._libs.algos".into(),
            ("ValueError".into(), "numpy.dtype size changed".into()),
        );
        let failing: BTreeMap<_, _> = [("pkg._libs.algos".to_string(), predicted())].into();
        let k = find(&g, &scan, &failing);
        assert_eq!(k.len(), 1);
        assert_eq!(
            k[0].chain,
            ["pkg._libs.sas", "pkg.io.consts", "pkg._libs.algos"]
        );
        scan.knock_ons = k;
        let mut out = vec![];
        check(&scan, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].code, "NPY013");
        assert_eq!(out[0].predicted.as_ref(), Some(&predicted()));
        assert!(
            out[0].evidence[0].contains("pkg.io.consts"),
            "{:?}",
            out[0].evidence
        );

        // No failing module reached: nothing.
        g.imports.insert("pkg.io.consts".into(), vec![]);
        assert!(find(&g, &scan, &failing).is_empty());
    }
}
