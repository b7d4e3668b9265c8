//! Cascades: which failing module `import <package>` actually dies in.
//!
//! The module a user imports is often not the one that fails: `import sklearn` dies inside
//! `scipy.sparse._sparsetools`, and pandas 2.1.4 fails on NumPy 2 in `pandas._libs.interval`
//! because `pandas/__init__.py` imports it first. This walks the import graph
//! ([`crate::imports::graph`]) in import order until it reaches a module predicted to fail.

use crate::imports::graph::ModuleGraph;
use crate::imports::ids::{FastMap, IdGraph, Seen};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// `import <package>` ends in a failure of `dies_in`, possibly through other packages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Cascade {
    /// The top-level import name a user types: `sklearn`.
    pub package: String,
    pub distribution: Option<String>,
    /// The failing module its import reaches first: `scipy.sparse._sparsetools`.
    pub dies_in: String,
    /// Import chain from the package to the failing module.
    pub via: Vec<String>,
    pub exception: String,
    pub message: String,
}

/// Where `import <package>` dies, and through which chain; `None` when it does not (as far as the
/// graph shows).
pub fn dies_in(graph: &dyn ModuleGraph, package: &str) -> Option<(Vec<String>, String, String)> {
    let mut seen = HashSet::new();
    let mut chain = Vec::new();
    walk(graph, package, &mut seen, &mut chain, 0)
}

const MAX_DEPTH: usize = 64;

/// The walk behind [`dies_in`]: `seen` may hold modules already imported; `chain` the importers.
pub(crate) fn walk(
    graph: &dyn ModuleGraph,
    module: &str,
    seen: &mut HashSet<String>,
    chain: &mut Vec<String>,
    depth: usize,
) -> Option<(Vec<String>, String, String)> {
    if depth > MAX_DEPTH || !seen.insert(module.to_string()) {
        return None;
    }
    chain.push(module.to_string());
    // Importing a.b.c first imports a and a.b.
    let mut dot = 0;
    while let Some(k) = module[dot..].find('.') {
        let parent = &module[..dot + k];
        dot += k + 1;
        if !seen.contains(parent) && graph.exists(parent) {
            if let Some(hit) = walk(graph, parent, seen, chain, depth + 1) {
                return Some(hit);
            }
        }
    }
    if let Some((exc, msg)) = graph.failure(module) {
        return Some((chain.clone(), exc, msg));
    }
    for dep in graph.imports(module).iter() {
        if graph.exists(dep) {
            if let Some(hit) = walk(graph, dep, seen, chain, depth + 1) {
                return Some(hit);
            }
        }
    }
    chain.pop();
    None
}

/// Every module `import <package>` reaches in the graph, whether or not something fails first,
/// with the chain that reaches it (first found, import order). A failing module that is not in
/// here is guarded or imported lazily: it fails only when imported directly or on first use.
pub fn reached(graph: &dyn ModuleGraph, package: &str) -> Reached {
    let mut out = Reached::default();
    reach(graph, package, None, &mut out, 0);
    out
}

/// What [`reached`] found: each module with the module it was first reached from (the walk's tree,
/// so a chain is read back along it instead of being copied for every module).
#[derive(Debug, Default)]
pub struct Reached {
    /// module -> its index in `nodes`.
    index: HashMap<String, usize>,
    /// (module, index of the module that reached it; `None` for the package itself).
    nodes: Vec<(String, Option<usize>)>,
}

impl Reached {
    /// The chain from the package to `module`, both included; `None` when not reached.
    pub fn chain(&self, module: &str) -> Option<Vec<String>> {
        let mut at = Some(*self.index.get(module)?);
        let mut out = Vec::new();
        while let Some(i) = at {
            let (name, parent) = &self.nodes[i];
            out.push(name.clone());
            at = *parent;
        }
        out.reverse();
        Some(out)
    }

    pub fn contains(&self, module: &str) -> bool {
        self.index.contains_key(module)
    }
}

fn reach(
    graph: &dyn ModuleGraph,
    module: &str,
    from: Option<usize>,
    out: &mut Reached,
    depth: usize,
) {
    if depth > MAX_DEPTH || out.index.contains_key(module) {
        return;
    }
    let me = out.nodes.len();
    out.nodes.push((module.to_string(), from));
    out.index.insert(module.to_string(), me);
    let mut dot = 0;
    while let Some(k) = module[dot..].find('.') {
        let parent = &module[..dot + k];
        if graph.exists(parent) {
            reach(graph, parent, Some(me), out, depth + 1);
        }
        dot += k + 1;
    }
    for dep in graph.imports(module).iter() {
        if graph.exists(dep) {
            reach(graph, dep, Some(me), out, depth + 1);
        }
    }
}

/// [`walk`] over an interned graph: the same first failure through the same chain, asking the
/// same modules' imports. `chain` ends with the failing module when it returns `true`. Nodes
/// `dead` marks are skipped: nothing fails in what they reach (a walk into one finds nothing and
/// only marks such nodes seen). `cut` is set when the depth limit stopped the walk somewhere.
pub(crate) struct IdWalk<'w> {
    pub seen: &'w mut Seen,
    pub chain: &'w mut Vec<u32>,
    pub dead: &'w [bool],
    pub cut: bool,
}

impl IdWalk<'_> {
    pub(crate) fn walk(&mut self, g: &mut IdGraph<'_>, id: u32, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            self.cut = true;
            return false;
        }
        if self.dead.get(id as usize) == Some(&true) || !self.seen.insert(id) {
            return false;
        }
        self.chain.push(id);
        for k in 0..g.parents(id) {
            let p = g.parent(id, k);
            if !self.seen.contains(p) && self.walk(g, p, depth + 1) {
                return true;
            }
        }
        if g.failing(id) {
            return true;
        }
        for k in 0..g.imports(id) {
            let d = g.import(id, k);
            if self.walk(g, d, depth + 1) {
                return true;
            }
        }
        self.chain.pop();
        false
    }
}

/// [`dies_in`] for every package of `packages` (in order), over one interned graph: what one
/// walk found to reach no failure is not walked again. The chains as node numbers.
pub(crate) fn dies_in_ids(g: &mut IdGraph<'_>, packages: &[u32]) -> Vec<Option<Vec<u32>>> {
    let mut dead: Vec<bool> = Vec::new();
    let mut seen = Seen::new(g.len());
    let mut visited: Vec<u32> = Vec::new();
    let mut out = Vec::with_capacity(packages.len());
    for &p in packages {
        seen.clear();
        let mut chain = Vec::new();
        let mut w = IdWalk {
            seen: &mut seen,
            chain: &mut chain,
            dead: &dead,
            cut: false,
        };
        if w.walk(g, p, 0) {
            out.push(Some(chain));
            continue;
        }
        let cut = w.cut;
        out.push(None);
        // Nothing failed and nothing was cut off: everything this walk saw is dead.
        if !cut {
            visited.clear();
            visited.extend((0..g.len() as u32).filter(|&i| seen.contains(i)));
            dead.resize(g.len(), false);
            for &i in &visited {
                dead[i as usize] = true;
            }
        }
    }
    out
}

/// [`reached`] over an interned graph: the same chains, asking the same modules' imports.
pub(crate) fn reached_ids(g: &mut IdGraph<'_>, package: u32) -> ReachedIds {
    let mut out = ReachedIds {
        from: FastMap::default(),
    };
    reach_ids(g, package, None, &mut out, 0);
    out
}

/// What [`reached_ids`] found: for each node reached, the node it was first reached from.
#[derive(Debug)]
pub(crate) struct ReachedIds {
    /// node -> the node that reached it (`None` for the package itself).
    from: FastMap<u32, Option<u32>>,
}

impl ReachedIds {
    /// The chain from the package to `id`, both included; `None` when not reached.
    pub(crate) fn chain(&self, id: u32) -> Option<Vec<u32>> {
        let mut at = *self.from.get(&id)?;
        let mut out = vec![id];
        while let Some(i) = at {
            out.push(i);
            at = self.from.get(&i).copied().flatten();
        }
        out.reverse();
        Some(out)
    }
}

fn reach_ids(g: &mut IdGraph<'_>, id: u32, from: Option<u32>, out: &mut ReachedIds, depth: usize) {
    if depth > MAX_DEPTH || out.from.contains_key(&id) {
        return;
    }
    out.from.insert(id, from);
    for k in 0..g.parents(id) {
        let p = g.parent(id, k);
        reach_ids(g, p, Some(id), out, depth + 1);
    }
    for k in 0..g.imports(id) {
        let d = g.import(id, k);
        reach_ids(g, d, Some(id), out, depth + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::graph::MapGraph;

    #[test]
    fn walks_to_the_first_failure_across_packages() {
        let mut g = MapGraph::default();
        g.imports
            .insert("sklearn".into(), vec!["sklearn.base".into()]);
        g.imports
            .insert("sklearn.base".into(), vec!["scipy.sparse".into()]);
        g.imports.insert("scipy".into(), vec![]);
        g.imports.insert(
            "scipy.sparse".into(),
            vec!["scipy.sparse._sparsetools".into()],
        );
        g.failures.insert(
            "scipy.sparse._sparsetools".into(),
            (
                "ImportError".into(),
                "numpy.core.multiarray failed to import".into(),
            ),
        );
        let (chain, exc, _) = dies_in(&g, "sklearn").unwrap();
        assert_eq!(exc, "ImportError");
        assert_eq!(chain.last().unwrap(), "scipy.sparse._sparsetools");
        assert_eq!(chain[0], "sklearn");
        assert!(dies_in(&g, "scipy.sparse").is_some());
        g.imports.insert("loop".into(), vec!["loop".into()]);
        assert!(dies_in(&g, "loop").is_none());
    }

    #[test]
    fn reached_goes_past_failures_and_misses_guarded_modules() {
        let mut g = MapGraph::default();
        g.imports.insert("h5py".into(), vec!["h5py._conv".into()]);
        g.imports.insert("h5py._conv".into(), vec![]);
        // Guarded in h5py/__init__.py (try:), so no edge: never reached by `import h5py`.
        g.imports.insert("h5py._npystrings".into(), vec![]);
        g.failures
            .insert("h5py._conv".into(), ("ImportError".into(), "x".into()));
        g.imports.insert("h5py.after".into(), vec![]);
        g.imports.get_mut("h5py").unwrap().push("h5py.after".into());
        let r = reached(&g, "h5py");
        assert_eq!(r.chain("h5py._conv").unwrap(), ["h5py", "h5py._conv"]);
        // Past the failure: still reached (the walk does not stop there).
        assert_eq!(r.chain("h5py.after").unwrap(), ["h5py", "h5py.after"]);
        assert!(!r.contains("h5py._npystrings"));
    }
}
