//! What identifies one version of a file or directory, for the caches that skip re-reading
//! what did not change (the facts cache and the remembered inventory, `crate::scan::cache`).

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Size, modification time (nanoseconds), permission bits and inode of a path, following
/// symlinks. Writing a file changes its mtime; replacing it (a new file renamed over the old, as
/// pip and uv install) changes the inode; `chmod` changes the mode. For a directory, adding,
/// removing or renaming an entry changes its mtime. The status-change time is left out on
/// purpose: uv installs by hard-linking files from its cache, so every new venv with the same
/// wheel changes the ctime of the files of every other one, and would invalidate their caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: i128,
    /// Permission bits (0 where the platform has none).
    #[serde(default)]
    pub mode: u32,
    pub inode: u64,
}

impl Stamp {
    /// The stamp of what `path` names now (`None`: it cannot be `stat`ed, e.g. it does not exist).
    pub fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        Some(Stamp::from_metadata(&m))
    }

    pub fn from_metadata(m: &std::fs::Metadata) -> Stamp {
        let mtime_ns = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(0);
        #[cfg(unix)]
        let (inode, mode) = {
            use std::os::unix::fs::MetadataExt;
            (m.ino(), m.mode())
        };
        #[cfg(not(unix))]
        let (inode, mode) = (0, 0);
        Stamp {
            size: m.len(),
            mtime_ns,
            mode,
            inode,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_a_replacement_and_a_chmod_change_the_stamp() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("f");
        std::fs::write(&p, "one").unwrap();
        let a = Stamp::of(&p).unwrap();
        assert_eq!(Stamp::of(&p), Some(a));
        std::fs::write(&p, "three").unwrap();
        let b = Stamp::of(&p).unwrap();
        assert_ne!(a, b, "size");
        let tmp = t.path().join("g");
        std::fs::write(&tmp, "three").unwrap();
        std::fs::rename(&tmp, &p).unwrap();
        let c = Stamp::of(&p).unwrap();
        assert_ne!(b.inode, c.inode, "replaced");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert_ne!(Stamp::of(&p), Some(c), "chmod");
            // A new hard link changes nothing we compare.
            let d = Stamp::of(&p).unwrap();
            std::fs::hard_link(&p, t.path().join("link")).unwrap();
            assert_eq!(Stamp::of(&p), Some(d), "hard link");
        }
        assert_eq!(Stamp::of(&t.path().join("missing")), None);
        let d = Stamp::of(t.path()).unwrap();
        std::fs::write(t.path().join("new"), "").unwrap();
        let e = Stamp::of(t.path()).unwrap();
        assert!(d.mtime_ns <= e.mtime_ns);
    }
}
