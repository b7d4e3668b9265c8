//! The report models (they are the JSON schemas, versioned) and their pure renderers.

pub mod check;
pub mod inspect;
