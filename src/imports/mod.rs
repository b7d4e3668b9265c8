//! The import graph ([`graph`]): what each module imports when it is initialised, read from
//! Python sources as text and from the extension modules' inspected facts; it decides which
//! failing module `import PKG` reaches. Which file a module name maps to, and which copy wins,
//! is the inventory's ([`crate::inventory::names`]).

pub mod graph;
pub mod ids;
