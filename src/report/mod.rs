//! The report models (they are the JSON schemas, versioned) and their pure renderers.
//!
//! One model per command (`check`, `explain`, `inspect`, `verify`), each with a
//! `schema_version`; every renderer is one file that writes to a [`std::io::Write`] and does no
//! other I/O, so the CLI hands it a locked stdout and tests hand it a buffer. JSON is the same
//! for every command: [`json::write`].

pub mod check;
pub mod explain;

pub mod inspect;
pub mod json;
pub mod verify;
