//! `abi-doctor fix`: a plan of exact releases ([`plan`]), resolved by uv or pip ([`resolve`]),
//! proven in a scratch venv ([`prove`]), with the commands that carry it out ([`commands`]) and
//! its rendering ([`render`]). `check`'s one-line hint is [`crate::rules::hint`].
//!
//! The seam for `fix --apply`: [`plan::Plan::changes`] (name, from, to) is what an applier takes.

pub mod apply;
pub mod candidates;
pub mod commands;
pub mod journal;
pub mod plan;
pub mod prove;
pub mod render;
pub mod resolve;
pub mod snapshot;
pub mod uv;

pub use crate::rules::hint::{hint, Hint};
