//! What identifies one version of a file or directory, for the caches that skip re-reading
//! what did not change (the facts cache and the remembered inventory, `crate::scan::cache`).

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Size, modification and status-change times (nanoseconds) and inode of a path, following
/// symlinks. Writing a file changes its mtime and ctime; replacing it (a new file renamed over the
/// old, as pip and uv install) changes the inode; `chmod`, `chown`, a rename of the file and a new
/// hard link change its ctime. For a directory, adding, removing or renaming an entry changes its
/// mtime and ctime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: i128,
    /// Status change time (0 where the platform has none).
    #[serde(default)]
    pub ctime_ns: i128,
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
        let (inode, ctime_ns) = {
            use std::os::unix::fs::MetadataExt;
            (
                m.ino(),
                i128::from(m.ctime()) * 1_000_000_000 + i128::from(m.ctime_nsec()),
            )
        };
        #[cfg(not(unix))]
        let (inode, ctime_ns) = (0, 0);
        Stamp {
            size: m.len(),
            mtime_ns,
            ctime_ns,
            inode,
        }
    }

    /// The later of the two times, in nanoseconds since the epoch.
    pub fn newest_ns(&self) -> i128 {
        self.mtime_ns.max(self.ctime_ns)
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
        assert_eq!(Stamp::of(&t.path().join("missing")), None);
        let d = Stamp::of(t.path()).unwrap();
        std::fs::write(t.path().join("new"), "").unwrap();
        let e = Stamp::of(t.path()).unwrap();
        assert!(d.newest_ns() <= e.newest_ns());
    }
}
