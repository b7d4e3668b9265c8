//! Finding compiled files: a parallel walk of each site directory for binary-named files, and
//! sniffing their first bytes for ELF, Mach-O or PE magic.

use super::diagnostics::Diagnostic;
use super::Inputs;
use crate::paths::normalize;
use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Deeper than this is not a real package tree.
pub(super) const MAX_DEPTH: usize = 64;

/// How many symlinks are followed before a chain counts as a loop: Linux's `MAXSYMLINKS`
/// (path_resolution(7)); macOS allows 32, so a real chain this long does not exist.
const MAX_SYMLINK_HOPS: usize = 40;

/// `.so`, `.so.N`, `.pyd`, `.dylib`, `.dll`.
pub(super) fn is_binary_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".so")
        || lower.ends_with(".pyd")
        || lower.ends_with(".dylib")
        || lower.ends_with(".dll")
        || lower.contains(".so.")
}

/// The file is a binary (ELF/Mach-O/PE magic): its size. Not one (or not a regular file): None.
/// Opened without blocking (a FIFO with a binary's name must not stall the walk).
pub(super) fn sniff_file(path: &Path) -> std::io::Result<Option<u64>> {
    let (f, meta) = match crate::fsread::open_regular(path) {
        Ok(x) => x,
        Err(crate::fsread::ReadError::NotRegular { .. }) => return Ok(None),
        Err(crate::fsread::ReadError::Io { source, .. }) => return Err(source),
        Err(e) => return Err(std::io::Error::other(e.reason())),
    };
    let mut head = Vec::with_capacity(4);
    f.take(4).read_to_end(&mut head)?;
    Ok(crate::binary::sniff(&head).map(|_| meta.len()))
}

/// Every file with a binary-looking name under `site`, never following directory symlinks (loop
/// safe; a symlinked file is kept when it points to a file). Metadata directories and
/// `__pycache__` are skipped. Directories are read in parallel (rayon scope per directory), which
/// balances trees where one package holds most of the files. The site directory itself not
/// being readable is left to the caller, which lists it first.
/// The third list holds every `*.py` file seen on the way (the index the import graph is read
/// from, so that it never probes candidate module names with `stat`).
/// Every directory listed and every symlink followed is noted in `inputs`.
pub(super) fn walk_binaries(
    site: &Path,
    inputs: &Inputs,
) -> (Vec<PathBuf>, Vec<Diagnostic>, Vec<PathBuf>) {
    let found = Mutex::new((Vec::new(), Vec::new(), Vec::new()));
    rayon::scope(|scope| walk_dir(scope, site.to_path_buf(), 0, &found, inputs));
    found.into_inner().unwrap_or_else(|e| e.into_inner())
}

type Found = Mutex<(Vec<PathBuf>, Vec<Diagnostic>, Vec<PathBuf>)>;

fn walk_dir<'s>(
    scope: &rayon::Scope<'s>,
    dir: PathBuf,
    depth: usize,
    found: &'s Found,
    inputs: &'s Inputs,
) {
    let push = |d: Diagnostic| {
        if let Ok(mut g) = found.lock() {
            g.1.push(d);
        }
    };
    if depth > MAX_DEPTH {
        push(Diagnostic::TooDeep {
            path: dir,
            limit: MAX_DEPTH,
        });
        return;
    }
    inputs.note(&dir);
    let rd = match fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) => {
            inputs.spoil();
            if depth > 0 {
                push(Diagnostic::Unreadable {
                    path: dir,
                    reason: e.to_string(),
                });
            }
            return;
        }
    };
    let mut files = Vec::new();
    let mut diags = Vec::new();
    let mut sources = Vec::new();
    for entry in rd {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                inputs.spoil();
                diags.push(Diagnostic::Unreadable {
                    path: dir.clone(),
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let Ok(ft) = entry.file_type() else { continue };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if ft.is_dir() {
            if name == "__pycache__"
                || (depth == 0 && (name.ends_with(".dist-info") || name.ends_with(".egg-info")))
            {
                continue;
            }
            let sub = entry.path();
            scope.spawn(move |s| walk_dir(s, sub, depth + 1, found, inputs));
        } else if name.ends_with(".py") {
            // A symlinked source is kept too: the import system follows it.
            sources.push(entry.path());
        } else if is_binary_name(&name) {
            let path = entry.path();
            if ft.is_file() {
                files.push(path);
                continue;
            }
            // A symlink (followed with stat, never opened) or a special file with a binary's
            // name: a FIFO, a device or a socket is named, not read.
            inputs.note(&path);
            match fs::metadata(&path) {
                Ok(m) if m.is_file() => files.push(path),
                // A symlink to a directory with a binary's name: the walk follows no
                // directory links, and there is no file to read.
                Ok(m) if m.is_dir() => {}
                Ok(m) => diags.push(Diagnostic::SpecialFile {
                    path,
                    what: crate::fsread::classify(&m.file_type()).describe().into(),
                }),
                Err(e) => {
                    inputs.spoil();
                    diags.push(if ft.is_symlink() {
                        broken_symlink(path, e)
                    } else {
                        Diagnostic::Unreadable {
                            path,
                            reason: e.to_string(),
                        }
                    })
                }
            }
        }
    }
    if !files.is_empty() || !diags.is_empty() || !sources.is_empty() {
        if let Ok(mut g) = found.lock() {
            g.0.extend(files);
            g.1.extend(diags);
            g.2.extend(sources);
        }
    }
}

/// What is wrong with a symlink whose target cannot be opened.
fn broken_symlink(path: PathBuf, e: std::io::Error) -> Diagnostic {
    // `ErrorKind::FilesystemLoop` is not stable, so loops are recognised by following the chain.
    if symlink_loops(&path) {
        Diagnostic::SymlinkLoop { path }
    } else if matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    ) {
        Diagnostic::DanglingSymlink { path }
    } else {
        Diagnostic::Unreadable {
            path,
            reason: e.to_string(),
        }
    }
}

/// Following `path`'s symlinks (the last component, lexically) comes back to one already seen,
/// or goes on longer than the kernel would follow.
fn symlink_loops(path: &Path) -> bool {
    let mut seen = HashSet::new();
    let mut cur = path.to_path_buf();
    for _ in 0..MAX_SYMLINK_HOPS {
        if !seen.insert(cur.clone()) {
            return true;
        }
        match fs::read_link(&cur) {
            Ok(target) => {
                let base = cur.parent().map(Path::to_path_buf).unwrap_or_default();
                cur = normalize(&base.join(target));
            }
            Err(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn binary_names() {
        for n in ["a.so", "a.SO", "b.pyd", "libz.so.1", "c.dylib", "d.dll"] {
            assert!(is_binary_name(n), "{n}");
        }
        for n in ["a.py", "so", "a.sox", "a.pyc"] {
            assert!(!is_binary_name(n), "{n}");
        }
    }

    #[test]
    fn the_walk_finds_binaries_and_skips_metadata_and_pycache() {
        let t = tempfile::tempdir().unwrap();
        let site = t.path();
        for p in [
            "pkg/_a.cpython-311-x86_64-linux-gnu.so",
            "pkg/sub/_b.abi3.so",
            "pkg/__pycache__/c.so",
            "x-1.0.dist-info/d.so",
            "pkg/readme.txt",
        ] {
            fs::create_dir_all(site.join(p).parent().unwrap()).unwrap();
            fs::write(site.join(p), "x").unwrap();
        }
        symlink(site.join("pkg"), site.join("pkglink")).unwrap();
        let (mut files, diags, _) = walk_binaries(site, &Inputs::off());
        files.sort();
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(
            files,
            [
                site.join("pkg/_a.cpython-311-x86_64-linux-gnu.so"),
                site.join("pkg/sub/_b.abi3.so")
            ]
        );
    }

    #[test]
    fn sniffing() {
        let t = tempfile::tempdir().unwrap();
        let elf = t.path().join("a.so");
        fs::write(&elf, b"\x7fELF\x02\x01\x01\0rest").unwrap();
        let text = t.path().join("b.so");
        fs::write(&text, "hello").unwrap();
        assert_eq!(sniff_file(&elf).unwrap(), Some(12));
        assert_eq!(sniff_file(&text).unwrap(), None);
        assert_eq!(sniff_file(t.path()).unwrap(), None, "a directory");
        assert!(sniff_file(&t.path().join("missing.so")).is_err());
    }

    #[test]
    fn symlink_loops_are_told_from_dangling_links() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        symlink("self.so", d.join("self.so")).unwrap();
        symlink("b.so", d.join("a.so")).unwrap();
        symlink("a.so", d.join("b.so")).unwrap();
        symlink("nothing.so", d.join("dangling.so")).unwrap();
        assert!(symlink_loops(&d.join("self.so")));
        assert!(symlink_loops(&d.join("a.so")));
        assert!(!symlink_loops(&d.join("dangling.so")));
    }
}
