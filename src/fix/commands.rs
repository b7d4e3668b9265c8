//! The commands a plan prints: built by [`crate::install`], the one place that builds installer
//! commands (check's fix line, explain's remedies, fix's plan and fix --apply's steps).

pub use crate::install::{pip_has_build_constraint, Commands};
