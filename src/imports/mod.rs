//! How Python finds and initialises modules, as far as abi-doctor needs it: the import graph
//! ([`graph`]) that decides which failing module `import PKG` reaches.

pub mod graph;
