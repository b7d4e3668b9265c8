//! What the inventory noticed about its input, one variant per meaning.
//!
//! Not everything worth saying is an error: a module shadowed by another copy earlier on
//! `sys.path`, or a dist-info that has no RECORD, is a fact about the environment, not a file that
//! could not be read. Each [`Diagnostic`] says how serious it is ([`Diagnostic::severity`]) and
//! whether it means part of the input could not be read ([`Diagnostic::is_unreadable`]), so
//! consumers decide per meaning instead of by parsing messages.

use crate::fsread::{read_bounded, Limit, ReadError};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};

/// How much a [`Diagnostic`] matters to the scan's conclusions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticSeverity {
    /// A fact about the environment; nothing was lost.
    Info,
    /// Input was damaged or incomplete; what was read from it may be guessed or partial.
    Warning,
    /// Input could not be read at all; whatever it holds was not scanned.
    Error,
}

/// One thing the inventory noticed, naming the file it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Diagnostic {
    /// Error: an I/O error (permissions, a directory where a file should be, ...) kept a file or
    /// directory from being read, so nothing in it was scanned.
    Unreadable { path: PathBuf, reason: String },
    /// Warning: a FIFO, a device or a socket where a file should be (or a symlink to one); it is
    /// never opened, since reading a FIFO blocks forever and a device can be endless.
    SpecialFile {
        path: PathBuf,
        what: Cow<'static, str>,
    },
    /// Warning: far larger than any real file of its kind; not read, so memory stays bounded.
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    /// Info: the core metadata specification (PEP 566) and its siblings require UTF-8; the file
    /// was still read, with undecodable bytes replaced, which only matters if they sit in a name
    /// or version.
    NotUtf8 { path: PathBuf },
    /// Warning: a `*.dist-info`/`*.egg-info` without its METADATA/PKG-INFO, the one file PEP 376
    /// and PEP 627 keep mandatory; name and version are guessed from the directory name.
    MissingMetadata { path: PathBuf },
    /// Warning: METADATA without `Name` or `Version` (both required by PEP 566); the value is
    /// guessed from the directory name.
    MissingField {
        path: PathBuf,
        field: Cow<'static, str>,
        fallback: String,
    },
    /// Warning: METADATA headers that are not `Key: value` lines (PEP 566 uses RFC 822 headers),
    /// so the file is damaged and fields read from it may be wrong.
    CorruptMetadata { path: PathBuf, reason: String },
    /// Info: a requirement that PEP 508 rejects but that still says which distribution and
    /// versions are needed; it is used as written.
    OddRequirement {
        path: PathBuf,
        line: usize,
        requirement: String,
        reason: String,
    },
    /// Warning: a requirement with nothing usable in it; it is ignored, so a NumPy pin in it
    /// would be missed.
    BadRequirement {
        path: PathBuf,
        line: usize,
        requirement: String,
        reason: String,
    },
    /// Info: a dist-info without RECORD, which PEP 627 made optional (so that tools outside the
    /// Python ecosystem, such as Linux package managers, can omit it); its compiled files are
    /// still found by the directory walk, just not attributed to it.
    MissingRecord { dist_info: PathBuf },
    /// Warning: a RECORD line that is not the three CSV fields `path,hash,size` (PEP 376); the
    /// entry is ignored, so a file may go unattributed.
    CorruptRecord {
        record: PathBuf,
        line: usize,
        reason: String,
    },
    /// Warning: a RECORD (or installed-files.txt) entry that resolves outside the environment;
    /// PEP 376 paths are relative to the site directory or inside the prefix, so the entry is
    /// refused rather than read.
    RecordEscapes {
        record: PathBuf,
        line: usize,
        entry: String,
        root: PathBuf,
    },
    /// Warning: a file its distribution's RECORD lists is not there: the installation is
    /// incomplete, and Python would fail to import it too.
    RecordedFileMissing { path: PathBuf, distribution: String },
    /// Warning: `direct_url.json` that is not JSON (PEP 610); whether the distribution was built
    /// from source is then judged from WHEEL alone.
    CorruptDirectUrl { path: PathBuf, reason: String },
    /// Info: Python imports another file for this module (an earlier `sys.path` entry, a regular
    /// package elsewhere, or a preferred extension suffix), so this file is never loaded.
    Shadowed {
        path: PathBuf,
        module: String,
        by: PathBuf,
    },
    /// Warning: a binary-named symlink that resolves to itself; there is nothing to read, and
    /// anything loading through it fails.
    SymlinkLoop { path: PathBuf },
    /// Warning: a binary-named symlink to a file that does not exist; a library loaded through it
    /// would fail to load.
    DanglingSymlink { path: PathBuf },
    /// Warning: a directory nested deeper than any real package tree (usually a recursive copy
    /// or bind mount); what is below it was not scanned.
    TooDeep { path: PathBuf, limit: usize },
}

impl Diagnostic {
    /// The diagnostic for a file the bounded reader refused or could not read.
    pub fn from_read_error(e: ReadError) -> Self {
        match e {
            ReadError::NotRegular { path, what } => Diagnostic::SpecialFile {
                path,
                what: what.describe().into(),
            },
            ReadError::TooLarge { path, size, limit } => Diagnostic::TooLarge { path, size, limit },
            ReadError::Io { path, source } => Diagnostic::Unreadable {
                path,
                reason: source.to_string(),
            },
            ReadError::Changed { path } => Diagnostic::Unreadable {
                path,
                reason: "it changed while it was being read (reinstalled?); run again".into(),
            },
        }
    }

    /// How serious it is; see each variant.
    pub fn severity(&self) -> DiagnosticSeverity {
        use DiagnosticSeverity::*;
        match self {
            Diagnostic::Unreadable { .. } => Error,
            Diagnostic::SpecialFile { .. }
            | Diagnostic::TooLarge { .. }
            | Diagnostic::MissingMetadata { .. }
            | Diagnostic::MissingField { .. }
            | Diagnostic::CorruptMetadata { .. }
            | Diagnostic::BadRequirement { .. }
            | Diagnostic::CorruptRecord { .. }
            | Diagnostic::RecordEscapes { .. }
            | Diagnostic::RecordedFileMissing { .. }
            | Diagnostic::CorruptDirectUrl { .. }
            | Diagnostic::SymlinkLoop { .. }
            | Diagnostic::DanglingSymlink { .. }
            | Diagnostic::TooDeep { .. } => Warning,
            Diagnostic::NotUtf8 { .. }
            | Diagnostic::OddRequirement { .. }
            | Diagnostic::MissingRecord { .. }
            | Diagnostic::Shadowed { .. } => Info,
        }
    }

    /// Part of the input could not be read, parsed or used, so findings about it may be
    /// incomplete. This is about meaning, not gravity: a shadowed file or a missing RECORD is
    /// not "unreadable" however it is ranked.
    pub fn is_unreadable(&self) -> bool {
        // Every warning and error is, today, part of the input that could not be used.
        self.severity() >= DiagnosticSeverity::Warning
    }

    /// The file or directory it is about.
    pub fn path(&self) -> &Path {
        match self {
            Diagnostic::Unreadable { path, .. }
            | Diagnostic::SpecialFile { path, .. }
            | Diagnostic::TooLarge { path, .. }
            | Diagnostic::NotUtf8 { path }
            | Diagnostic::MissingMetadata { path }
            | Diagnostic::MissingField { path, .. }
            | Diagnostic::CorruptMetadata { path, .. }
            | Diagnostic::OddRequirement { path, .. }
            | Diagnostic::BadRequirement { path, .. }
            | Diagnostic::RecordedFileMissing { path, .. }
            | Diagnostic::CorruptDirectUrl { path, .. }
            | Diagnostic::Shadowed { path, .. }
            | Diagnostic::SymlinkLoop { path }
            | Diagnostic::DanglingSymlink { path }
            | Diagnostic::TooDeep { path, .. } => path,
            Diagnostic::MissingRecord { dist_info } => dist_info,
            Diagnostic::CorruptRecord { record, .. } | Diagnostic::RecordEscapes { record, .. } => {
                record
            }
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path().display())?;
        match self {
            Diagnostic::Unreadable { reason, .. } => {
                write!(f, "cannot read: {reason}; nothing in it was scanned")
            }
            Diagnostic::SpecialFile { what, .. } => {
                write!(f, "is {what}, not a regular file: not read")
            }
            Diagnostic::TooLarge { size, limit, .. } => write!(
                f,
                "{size} bytes, over the {limit}-byte limit for this kind of file: not read"
            ),
            Diagnostic::NotUtf8 { .. } => write!(
                f,
                "not UTF-8 as packaging metadata must be; read with the undecodable bytes replaced"
            ),
            Diagnostic::MissingMetadata { .. } => write!(
                f,
                "missing; the distribution's name and version are guessed from its directory name \
                 (pip would consider this installation broken)"
            ),
            Diagnostic::MissingField {
                field, fallback, ..
            } => write!(
                f,
                "no {field} field, using {fallback:?} from the directory name"
            ),
            Diagnostic::CorruptMetadata { reason, .. } => {
                write!(f, "{reason}; the file looks damaged")
            }
            Diagnostic::OddRequirement {
                line,
                requirement,
                reason,
                ..
            } => write!(
                f,
                "line {line}: requirement {requirement:?} is not valid PEP 508 ({reason}); used as \
                 written"
            ),
            Diagnostic::BadRequirement {
                line,
                requirement,
                reason,
                ..
            } => write!(
                f,
                "line {line}: requirement {requirement:?} ignored: {reason}"
            ),
            Diagnostic::MissingRecord { .. } => write!(
                f,
                "no RECORD, so which files this distribution installed is unknown; its compiled \
                 modules are still scanned, without an owner"
            ),
            Diagnostic::CorruptRecord { line, reason, .. } => write!(
                f,
                "line {line}: not a `path,hash,size` CSV row ({reason}); entry ignored"
            ),
            Diagnostic::RecordEscapes {
                line, entry, root, ..
            } => write!(
                f,
                "line {line}: {entry:?} points outside the environment {}; ignored, as a RECORD \
                 may only list files of its own environment",
                root.display()
            ),
            Diagnostic::RecordedFileMissing { distribution, .. } => write!(
                f,
                "listed in the RECORD of {distribution} but not there; the installation is \
                 incomplete"
            ),
            Diagnostic::CorruptDirectUrl { reason, .. } => write!(
                f,
                "bad JSON ({reason}); whether it was built from source is judged from WHEEL alone"
            ),
            Diagnostic::Shadowed { module, by, .. } => write!(
                f,
                "never imported: Python imports module {module} from {} instead",
                by.display()
            ),
            Diagnostic::SymlinkLoop { .. } => write!(f, "symlink loop; there is nothing to read"),
            Diagnostic::DanglingSymlink { .. } => {
                write!(f, "symlink to a file that does not exist")
            }
            Diagnostic::TooDeep { limit, .. } => write!(
                f,
                "deeper than {limit} levels, not scanned further (no real package is; probably a \
                 recursive copy)"
            ),
        }
    }
}

/// Read a metadata file as text, through the bounded reader (regular files only, capped: RECORD
/// and installed-files.txt at [`Limit::Record`], the others at [`Limit::Metadata`]): lossy for
/// non-UTF-8 (with [`Diagnostic::NotUtf8`]), None when missing, None with
/// [`Diagnostic::Unreadable`] when it cannot be read (a FIFO, a device, too large, an I/O error).
pub(super) fn read_text(
    path: &Path,
    inputs: &super::Inputs,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<String> {
    inputs.note(path);
    let limit = match path.file_name().and_then(|n| n.to_str()) {
        Some("RECORD" | "installed-files.txt" | "SOURCES.txt") => Limit::Record,
        _ => Limit::Metadata,
    };
    match read_bounded(path, limit) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Some(s),
            Err(e) => {
                diagnostics.push(Diagnostic::NotUtf8 {
                    path: path.to_path_buf(),
                });
                Some(String::from_utf8_lossy(e.as_bytes()).into_owned())
            }
        },
        Err(e) if e.is_not_found() => None,
        Err(e) => {
            inputs.spoil();
            diagnostics.push(Diagnostic::from_read_error(e));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DiagnosticSeverity::{Error, Info, Warning};
    use super::*;
    use crate::inventory::test_support::{dist_info, write, ELF};
    use crate::inventory::{inventory, Inventory};
    use std::fs;
    use std::os::unix::fs::symlink;

    /// A site directory in the standard layout (so the prefix is known) inside a temp dir.
    fn site() -> (tempfile::TempDir, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("lib/python3.11/site-packages");
        fs::create_dir_all(&site).unwrap();
        (t, site)
    }

    /// The one diagnostic `pick` selects; checks the properties every diagnostic must have.
    fn the(
        inv: &Inventory,
        pick: impl Fn(&Diagnostic) -> bool,
        severity: DiagnosticSeverity,
        unreadable: bool,
    ) -> &Diagnostic {
        let found: Vec<&Diagnostic> = inv.diagnostics.iter().filter(|d| pick(d)).collect();
        assert_eq!(found.len(), 1, "{:#?}", inv.diagnostics);
        let d = found[0];
        assert_eq!(d.severity(), severity, "{d}");
        assert_eq!(d.is_unreadable(), unreadable, "{d}");
        let text = d.to_string();
        assert!(
            text.starts_with(&format!("{}: ", d.path().display())),
            "{text}"
        );
        d
    }

    fn good_metadata(site: &Path, name: &str) {
        dist_info(
            site,
            &format!("{name}-1.0.dist-info"),
            &format!("Name: {name}\nVersion: 1.0\n"),
            None,
            Some(&format!("{name}/__init__.py,,\n")),
        );
    }

    #[test]
    fn unreadable_site_dir() {
        let t = tempfile::tempdir().unwrap();
        let missing = t.path().join("nope");
        let inv = inventory(std::slice::from_ref(&missing));
        assert!(inv.distributions.is_empty());
        assert_eq!(inv.diagnostics.len(), 1);
        let d = the(&inv, |_| true, Error, true);
        assert!(matches!(d, Diagnostic::Unreadable { path, .. } if *path == missing));
    }

    #[test]
    fn unreadable_metadata() {
        // An I/O error even for root: /proc/self/mem is a regular file of size 0 whose first
        // page is not mapped (EIO).
        let (_t, site) = site();
        let meta = site.join("x-1.0.dist-info/METADATA");
        fs::create_dir_all(meta.parent().unwrap()).unwrap();
        symlink("/proc/self/mem", &meta).unwrap();
        let inv = inventory(std::slice::from_ref(&site));
        let d = the(
            &inv,
            |d| matches!(d, Diagnostic::Unreadable { .. }),
            Error,
            true,
        );
        assert_eq!(d.path(), meta);
        assert_eq!(inv.distributions[0].version, "1.0");
    }

    #[test]
    fn special_and_huge_metadata_files_are_not_read() {
        let (_t, site) = site();
        let dir_meta = site.join("d-1.0.dist-info/METADATA");
        fs::create_dir_all(&dir_meta).unwrap();
        let fifo = site.join("f-1.0.dist-info/METADATA");
        fs::create_dir_all(fifo.parent().unwrap()).unwrap();
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let zero = site.join("z-1.0.dist-info/METADATA");
        fs::create_dir_all(zero.parent().unwrap()).unwrap();
        symlink("/dev/zero", &zero).unwrap();
        let huge = site.join("h-1.0.dist-info/METADATA");
        fs::create_dir_all(huge.parent().unwrap()).unwrap();
        fs::File::create(&huge).unwrap().set_len(1 << 30).unwrap();
        let inv = inventory(std::slice::from_ref(&site));
        for (path, what) in [
            (&dir_meta, "a directory"),
            (&fifo, "a FIFO (named pipe)"),
            (&zero, "a character device"),
        ] {
            let d = the(
                &inv,
                |d| matches!(d, Diagnostic::SpecialFile { path: p, .. } if p == path),
                Warning,
                true,
            );
            assert!(d.to_string().contains(what), "{d}");
        }
        let d = the(
            &inv,
            |d| matches!(d, Diagnostic::TooLarge { .. }),
            Warning,
            true,
        );
        assert_eq!(d.path(), huge);
    }

    #[test]
    fn not_utf8() {
        let (_t, site) = site();
        write(
            &site.join("latin-2.0.dist-info/METADATA"),
            b"Name: latin\nVersion: 2.0\nAuthor: Jos\xe9\n",
        );
        let inv = inventory(std::slice::from_ref(&site));
        let d = the(
            &inv,
            |d| matches!(d, Diagnostic::NotUtf8 { .. }),
            Info,
            false,
        );
        assert_eq!(d.path(), site.join("latin-2.0.dist-info/METADATA"));
        assert_eq!(inv.distributions[0].name, "latin");
    }

    #[test]
    fn missing_metadata() {
        let (_t, site) = site();
        write(&site.join("ghost-3.1.dist-info/RECORD"), "ghost.py,,\n");
        let inv = inventory(std::slice::from_ref(&site));
        let d = the(
            &inv,
            |d| matches!(d, Diagnostic::MissingMetadata { .. }),
            Warning,
            true,
        );
        assert_eq!(d.path(), site.join("ghost-3.1.dist-info/METADATA"));
        assert_eq!(inv.distributions[0].version, "3.1");
        assert_eq!(inv.diagnostics.len(), 1, "{:?}", inv.diagnostics);
    }

    #[test]
    fn missing_field() {
        let (_t, site) = site();
        dist_info(&site, "nov-0.5.dist-info", "Name: nov\n", None, Some(""));
        let inv = inventory(std::slice::from_ref(&site));
        let d = the(
            &inv,
            |d| matches!(d, Diagnostic::MissingField { .. }),
            Warning,
            true,
        );
        assert_eq!(
            d,
            &Diagnostic::MissingField {
                path: site.join("nov-0.5.dist-info/METADATA"),
                field: "Version".into(),
                fallback: "0.5".into()
            }
        );
    }

    #[test]
    fn corrupt_metadata() {
        let (_t, site) = site();
        dist_info(
            &site,
            "c-1.0.dist-info",
            "Name: c\nVersion: 1.0\n<<<<<<< HEAD\n",
            None,
            Some(""),
        );
        let inv = inventory(std::slice::from_ref(&site));
        the(
            &inv,
            |d| matches!(d, Diagnostic::CorruptMetadata { .. }),
            Warning,
            true,
        );
    }

    #[test]
    fn odd_and_bad_requirements() {
        let (_t, site) = site();
        dist_info(
            &site,
            "r-1.0.dist-info",
            "Name: r\nVersion: 1.0\nRequires-Dist: numpy>=1.21\nRequires-Dist: foo_ >= 1\nRequires-Dist: [oops]\n",
            None,
            Some(""),
        );
        let inv = inventory(std::slice::from_ref(&site));
        let odd = the(
            &inv,
            |d| matches!(d, Diagnostic::OddRequirement { .. }),
            Info,
            false,
        );
        assert!(matches!(odd, Diagnostic::OddRequirement { line: 4, .. }));
        let bad = the(
            &inv,
            |d| matches!(d, Diagnostic::BadRequirement { .. }),
            Warning,
            true,
        );
        assert!(matches!(bad, Diagnostic::BadRequirement { line: 5, .. }));
        assert_eq!(inv.distributions[0].requires.len(), 2);
    }

    #[test]
    fn missing_record_is_not_a_problem() {
        let (_t, site) = site();
        dist_info(
            &site,
            "norec-1.0.dist-info",
            "Name: norec\nVersion: 1.0\n",
            None,
            None,
        );
        write(&site.join("norec/_c.cpython-311-x86_64-linux-gnu.so"), ELF);
        let inv = inventory(std::slice::from_ref(&site));
        let d = the(&inv, |_| true, Info, false);
        assert_eq!(
            d,
            &Diagnostic::MissingRecord {
                dist_info: site.join("norec-1.0.dist-info")
            }
        );
        assert_eq!(inv.binaries.len(), 1, "still found by the walk");
        assert_eq!(inv.binaries[0].distribution, None);
    }

    #[test]
    fn corrupt_record() {
        let (_t, site) = site();
        dist_info(
            &site,
            "cr-1.0.dist-info",
            "Name: cr\nVersion: 1.0\n",
            None,
            Some("cr/__init__.py,,\n\"cr/unterminated,,\ncr/x.py,sha256=a,many\n"),
        );
        let inv = inventory(std::slice::from_ref(&site));
        let lines: Vec<usize> = inv
            .diagnostics
            .iter()
            .map(|d| match d {
                Diagnostic::CorruptRecord { line, .. } => {
                    assert_eq!((d.severity(), d.is_unreadable()), (Warning, true));
                    *line
                }
                other => panic!("{other}"),
            })
            .collect();
        assert_eq!(lines, [2, 3]);
        assert_eq!(inv.distributions[0].files, [site.join("cr/__init__.py")]);
    }

    #[test]
    fn record_escapes() {
        let (t, site) = site();
        dist_info(
            &site,
            "esc-1.0.dist-info",
            "Name: esc\nVersion: 1.0\n",
            None,
            Some("../../../bin/esc,,\n../../../../../etc/passwd,,\n"),
        );
        let inv = inventory(std::slice::from_ref(&site));
        let d = the(&inv, |_| true, Warning, true);
        assert_eq!(
            d,
            &Diagnostic::RecordEscapes {
                record: site.join("esc-1.0.dist-info/RECORD"),
                line: 2,
                entry: "../../../../../etc/passwd".into(),
                root: t.path().to_path_buf(),
            }
        );
    }

    #[test]
    fn recorded_file_missing() {
        let (_t, site) = site();
        dist_info(
            &site,
            "gone-1.0.dist-info",
            "Name: gone\nVersion: 1.0\n",
            None,
            Some("gone/_c.cpython-311-x86_64-linux-gnu.so,,\n"),
        );
        let inv = inventory(std::slice::from_ref(&site));
        let d = the(&inv, |_| true, Warning, true);
        assert_eq!(
            d,
            &Diagnostic::RecordedFileMissing {
                path: site.join("gone/_c.cpython-311-x86_64-linux-gnu.so"),
                distribution: "gone".into()
            }
        );
    }

    #[test]
    fn corrupt_direct_url() {
        let (_t, site) = site();
        good_metadata(&site, "du");
        write(&site.join("du-1.0.dist-info/direct_url.json"), "{not json");
        let inv = inventory(std::slice::from_ref(&site));
        let d = the(&inv, |_| true, Warning, true);
        assert!(matches!(d, Diagnostic::CorruptDirectUrl { .. }));
        assert_eq!(d.path(), site.join("du-1.0.dist-info/direct_url.json"));
    }

    #[test]
    fn shadowed_is_info() {
        let (_t, site) = site();
        write(&site.join("dup.cpython-311-x86_64-linux-gnu.so"), ELF);
        write(&site.join("dup.abi3.so"), ELF);
        let inv = inventory(std::slice::from_ref(&site));
        let d = the(&inv, |_| true, Info, false);
        assert_eq!(
            d,
            &Diagnostic::Shadowed {
                path: site.join("dup.abi3.so"),
                module: "dup".into(),
                by: site.join("dup.cpython-311-x86_64-linux-gnu.so"),
            }
        );
        assert!(!d.to_string().contains("cannot"), "{d}");
    }

    #[test]
    fn symlink_loop() {
        let (_t, site) = site();
        symlink("a.so", site.join("b.so")).unwrap();
        symlink("b.so", site.join("a.so")).unwrap();
        let inv = inventory(std::slice::from_ref(&site));
        assert_eq!(inv.diagnostics.len(), 2, "{:?}", inv.diagnostics);
        for name in ["a.so", "b.so"] {
            the(
                &inv,
                |d| {
                    *d == Diagnostic::SymlinkLoop {
                        path: site.join(name),
                    }
                },
                Warning,
                true,
            );
        }
    }

    #[test]
    fn dangling_symlink() {
        let (_t, site) = site();
        symlink("libgone.so.1", site.join("libfoo.so")).unwrap();
        let inv = inventory(std::slice::from_ref(&site));
        let d = the(&inv, |_| true, Warning, true);
        assert_eq!(
            d,
            &Diagnostic::DanglingSymlink {
                path: site.join("libfoo.so")
            }
        );
    }

    #[test]
    fn too_deep() {
        let (_t, site) = site();
        let mut deep = site.clone();
        for _ in 0..=crate::inventory::walk::MAX_DEPTH {
            deep.push("d");
        }
        write(&deep.join("x/_c.so"), ELF);
        let inv = inventory(std::slice::from_ref(&site));
        let d = the(&inv, |_| true, Warning, true);
        assert_eq!(
            d,
            &Diagnostic::TooDeep {
                path: deep,
                limit: crate::inventory::walk::MAX_DEPTH
            }
        );
        assert!(inv.binaries.is_empty());
    }
}
