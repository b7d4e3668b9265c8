//! How Python resolves imports over the inventory: which file a dotted module name maps to, and
//! which copy wins when several could.

pub mod names;
