//! How Python resolves and initialises modules, as far as abi-doctor needs it: which file a dotted
//! module name maps to and which copy wins when several could ([`names`]), and the import graph
//! ([`graph`]) that decides which failing module `import PKG` reaches.

pub mod graph;
pub mod names;
