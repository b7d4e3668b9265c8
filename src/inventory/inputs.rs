//! What an inventory read, so that a later run can tell, with one `stat` per path, that it would
//! read the same bytes ([`super::inventory_remembered`]; `crate::scan::cache` keeps the record
//! between runs, next to the facts cache).
//!
//! Every directory the inventory lists and every file it reads, sniffs or follows a symlink to is
//! noted with its [`Stamp`], taken just before the read. If the file changes after the stamp was
//! taken, its stamp no longer matches on the next run, so a stale record is never used: a
//! directory's stamp changes when an entry is added, removed or renamed in it, a file's when it is
//! written, replaced or `chmod`ed.
//!
//! What a stamp cannot pin down spoils the record, and nothing is remembered: an I/O error (a
//! permission problem may be fixed without touching any stamp we hold), a broken or looping
//! symlink, and a path whose mtime falls within [`RECENT`] of the inventory's start (file times
//! are coarse: a change in the same clock tick as our read could leave the stamp unchanged).

use crate::fsread::Stamp;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Paths whose stamp is newer than this, counted back from the start of the inventory, are not
/// trusted to show a later change.
pub const RECENT: std::time::Duration = std::time::Duration::from_secs(2);

/// One path the inventory read, and its stamp then (`None`: it did not exist).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    pub path: PathBuf,
    pub stamp: Option<Stamp>,
}

/// The recorder one inventory run writes to. Off (the default for `--no-cache`), it costs nothing.
#[derive(Debug, Default)]
pub(crate) struct Inputs {
    on: bool,
    seen: Mutex<Vec<Input>>,
    spoiled: AtomicBool,
}

impl Inputs {
    pub(crate) fn off() -> Self {
        Inputs::default()
    }

    pub(crate) fn recording() -> Self {
        Inputs {
            on: true,
            ..Inputs::default()
        }
    }

    /// Note `path` (a file about to be read, or a directory about to be listed).
    pub(crate) fn note(&self, path: &Path) {
        if !self.on {
            return;
        }
        let stamp = Stamp::of(path);
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(Input {
                path: path.to_path_buf(),
                stamp,
            });
        }
    }

    /// Something was read that no stamp pins down: nothing of this run is remembered.
    pub(crate) fn spoil(&self) {
        self.spoiled.store(true, Ordering::Relaxed);
    }

    /// The record, unless it was spoiled or a path changed within `recent` of `started`
    /// ([`RECENT`]).
    pub(crate) fn finish(
        self,
        started: std::time::SystemTime,
        recent: std::time::Duration,
    ) -> Option<Vec<Input>> {
        if !self.on || self.spoiled.into_inner() {
            return None;
        }
        let mut seen = self.seen.into_inner().ok()?;
        let since_epoch = started.duration_since(std::time::UNIX_EPOCH).ok()?;
        let horizon = since_epoch.saturating_sub(recent).as_nanos() as i128;
        if seen
            .iter()
            .filter_map(|i| i.stamp.as_ref())
            .any(|s| s.mtime_ns >= horizon)
        {
            return None;
        }
        seen.sort_by(|a, b| a.path.cmp(&b.path));
        seen.dedup();
        Some(seen)
    }
}

/// Every path of `inputs` has the stamp it had when it was recorded.
pub fn unchanged(inputs: &[Input]) -> bool {
    inputs.iter().all(|i| Stamp::of(&i.path) == i.stamp)
}
