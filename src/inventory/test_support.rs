//! Helpers for tests that build site directories on disk.

use std::fs;
use std::path::Path;

/// Enough of an ELF header for the sniffer.
pub(crate) const ELF: &[u8] = b"\x7fELF\x02\x01\x01\0 not really but the magic is there";

/// Write `data` to `p`, creating the parent directories.
pub(crate) fn write(p: &Path, data: impl AsRef<[u8]>) {
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, data).unwrap();
}

/// A `dir` dist-info in `site` with METADATA and, optionally, WHEEL and RECORD.
pub(crate) fn dist_info(
    site: &Path,
    dir: &str,
    metadata: &str,
    wheel: Option<&str>,
    record: Option<&str>,
) {
    let d = site.join(dir);
    write(&d.join("METADATA"), metadata);
    if let Some(w) = wheel {
        write(&d.join("WHEEL"), w);
    }
    if let Some(r) = record {
        write(&d.join("RECORD"), r);
    }
}
