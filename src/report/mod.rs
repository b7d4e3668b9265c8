//! The report models (they are the JSON schemas, versioned) and their pure renderers.
//!
//! One model per command (`check`, `explain`, `inspect`, `verify`), each with a
//! `schema_version`; every renderer is one file that writes to a [`std::io::Write`] and does no
//! other I/O, so the CLI hands it a locked stdout and tests hand it a buffer. JSON is the same
//! for every command: [`json::write`]; each JSON report's JSON Schema is generated from its model
//! ([`schema`], published in docs/schema/).

pub mod check;
pub mod explain;

pub mod inspect;
pub mod json;
pub mod lint;
pub mod verify;

/// What a renderer writes, as text: the renderers' snapshot tests compare this.
#[cfg(test)]
pub(crate) fn rendered(
    render: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> String {
    let mut out = Vec::new();
    render(&mut out).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("renderers write UTF-8")
}
