//! The import graph with each module name interned once: a node per module, its edges as node
//! numbers. The walks of a scan (cascades, knock-ons, what `import PKG` reaches) ask the same
//! questions of the same few thousand modules hundreds of times; here each module's parents and
//! imports are resolved (and their names hashed) once, and a walk only follows numbers.
//!
//! A node's edges are what the walks over [`ModuleGraph`] follow: the module's existing parent
//! packages (`a`, then `a.b` for `a.b.c`: importing a submodule imports them first), then its
//! existing imports in order ([`ModuleGraph::imports`], filtered by [`ModuleGraph::exists`]).
//! Nodes and edges are added as walks reach them.

use super::graph::ModuleGraph;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A fast, non-cryptographic string hasher for maps keyed by module names (the default SipHash
/// is DoS-resistant, which names read from one's own environment do not need): each 8-byte word
/// is mixed in by rotate, xor and multiply by an odd constant.
#[derive(Default, Clone, Copy)]
pub struct WordHasher(u64);

const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl WordHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(K);
    }
}

impl Hasher for WordHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` hashed with [`WordHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<WordHasher>>;

/// One module of the graph.
#[derive(Debug)]
struct Node {
    name: Box<str>,
    /// Existing parent packages, outermost first, once looked up.
    parents: Option<Vec<u32>>,
    /// Existing imports in order, once asked for ([`ModuleGraph::imports`] may read a file).
    imports: Option<Vec<u32>>,
    failing: bool,
}

/// The interned graph of a [`ModuleGraph`], filled in as walks ask: a module's imports are asked
/// of the underlying graph exactly when a walk over it would ask, so no more files are read.
pub struct IdGraph<'g> {
    graph: &'g dyn ModuleGraph,
    index: FastMap<Box<str>, u32>,
    nodes: Vec<Node>,
}

impl<'g> IdGraph<'g> {
    pub fn new(graph: &'g dyn ModuleGraph) -> Self {
        IdGraph {
            graph,
            index: FastMap::default(),
            nodes: Vec::new(),
        }
    }

    /// The node of `name`, added when new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.index.get(name) {
            return id;
        }
        let id = self.nodes.len() as u32;
        self.nodes.push(Node {
            name: name.into(),
            parents: None,
            imports: None,
            failing: self.graph.fails(name),
        });
        self.index.insert(name.into(), id);
        id
    }

    /// The node of `name`, when it has one.
    pub fn id(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    pub fn name(&self, id: u32) -> &str {
        &self.nodes[id as usize].name
    }

    /// Is the module predicted to fail on its own ([`ModuleGraph::failure`])?
    pub fn failing(&self, id: u32) -> bool {
        self.nodes[id as usize].failing
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// How many existing parent packages the module has (looked up on first call); each is
    /// [`IdGraph::parent`].
    pub fn parents(&mut self, id: u32) -> usize {
        if let Some(p) = &self.nodes[id as usize].parents {
            return p.len();
        }
        let name = self.nodes[id as usize].name.clone();
        let mut out = Vec::new();
        let mut dot = 0;
        while let Some(k) = name[dot..].find('.') {
            let parent = &name[..dot + k];
            dot += k + 1;
            if self.graph.exists(parent) {
                out.push(self.intern(parent));
            }
        }
        let n = out.len();
        self.nodes[id as usize].parents = Some(out);
        n
    }

    /// The `k`th parent package, after [`IdGraph::parents`].
    pub fn parent(&self, id: u32, k: usize) -> u32 {
        self.nodes[id as usize]
            .parents
            .as_ref()
            .map_or(id, |p| p[k])
    }

    /// How many existing imports the module has (asked of the graph on first call); each is
    /// [`IdGraph::import`].
    pub fn imports(&mut self, id: u32) -> usize {
        if let Some(i) = &self.nodes[id as usize].imports {
            return i.len();
        }
        let graph = self.graph;
        let deps = graph.imports(&self.nodes[id as usize].name);
        let mut out = Vec::with_capacity(deps.len());
        for dep in deps.iter() {
            if graph.exists(dep) {
                out.push(self.intern(dep));
            }
        }
        let n = out.len();
        self.nodes[id as usize].imports = Some(out);
        n
    }

    /// The `k`th import, after [`IdGraph::imports`].
    pub fn import(&self, id: u32, k: usize) -> u32 {
        self.nodes[id as usize]
            .imports
            .as_ref()
            .map_or(id, |i| i[k])
    }
}

/// A set of nodes that is emptied in O(1) ([`Seen::clear`]): one walk per module reuses it.
#[derive(Debug, Default)]
pub struct Seen {
    stamp: Vec<u32>,
    epoch: u32,
}

impl Seen {
    pub fn new(len: usize) -> Self {
        Seen {
            stamp: vec![0; len],
            epoch: 1,
        }
    }
    pub fn clear(&mut self) {
        self.epoch += 1;
    }
    pub fn contains(&self, id: u32) -> bool {
        self.stamp.get(id as usize) == Some(&self.epoch)
    }
    /// Insert; `false` when it was there already.
    pub fn insert(&mut self, id: u32) -> bool {
        let i = id as usize;
        if i >= self.stamp.len() {
            self.stamp.resize(i + 1, 0);
        }
        if self.stamp[i] == self.epoch {
            return false;
        }
        self.stamp[i] = self.epoch;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::graph::MapGraph;
    use std::hash::BuildHasher;

    #[test]
    fn edges_are_parents_then_existing_imports() {
        let mut g = MapGraph::default();
        g.imports.insert("a".into(), vec![]);
        g.imports
            .insert("a.b".into(), vec!["missing".into(), "c".into(), "a".into()]);
        g.imports.insert("c".into(), vec![]);
        g.failures
            .insert("c".into(), ("ImportError".into(), "x".into()));
        let mut ids = IdGraph::new(&g);
        let ab = ids.intern("a.b");
        assert_eq!(ids.parents(ab), 1);
        assert_eq!(ids.name(ids.parent(ab, 0)), "a");
        assert_eq!(ids.imports(ab), 2);
        assert_eq!(ids.name(ids.import(ab, 0)), "c");
        assert_eq!(ids.name(ids.import(ab, 1)), "a");
        assert!(ids.failing(ids.id("c").unwrap()));
        assert!(ids.id("missing").is_none());
    }

    #[test]
    fn the_hasher_tells_names_apart() {
        let b = BuildHasherDefault::<WordHasher>::default();
        let names = [
            "a",
            "a.b",
            "ab",
            "pandas._libs",
            "pandas._libs.",
            "pandas._lib",
        ];
        let mut h: Vec<u64> = names.iter().map(|n| b.hash_one(n)).collect();
        h.sort();
        h.dedup();
        assert_eq!(h.len(), names.len());
        let mut s = Seen::new(2);
        assert!(s.insert(1) && !s.insert(1) && s.contains(1));
        s.clear();
        assert!(!s.contains(1) && s.insert(5));
    }
}
