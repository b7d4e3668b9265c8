//! What `fix --apply` saves before it changes anything, and how it puts it back.
//!
//! - [`Freeze`]: every file, directory and symlink under the environment's site-packages
//!   directories (those inside its prefix) and its `bin/` (`Scripts\` on Windows), each file with
//!   its SHA-256, size and permission bits. Taken before the change and after it; rollback ends
//!   when the environment's freeze equals the first one again.
//! - [`Manifest`]: full copies of what the plan will change. For each touched distribution: the
//!   top-level entries of site-packages its RECORD names (`numpy/`, `numpy.libs/`, the dist-info
//!   directory, a top-level `six.py`, the shared `__pycache__/`) copied whole, so that bytecode and
//!   stray files not in RECORD come back too, plus each RECORD entry outside site-packages
//!   (`../../../bin/f2py`, headers, data files).
//!
//! Copies live in the user's cache directory (`Manifest::take`), never inside the environment.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// One entry of a freeze or a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    File {
        sha256: String,
        size: u64,
        mode: u32,
    },
    Symlink {
        target: PathBuf,
    },
    Dir {
        mode: u32,
    },
}

/// Every entry under the environment's scope (see the module documentation), by absolute path,
/// and the distributions found there as `name==version`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    /// The directories walked.
    pub roots: Vec<PathBuf>,
    /// `name==version` of each distribution in the walked site-packages directories, sorted.
    pub dists: Vec<String>,
    pub entries: BTreeMap<PathBuf, Entry>,
}

/// A difference between two freezes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Difference {
    /// Present before, missing now.
    Missing { path: PathBuf },
    /// Not present before.
    Added { path: PathBuf },
    /// Present in both, with other content, type or permissions.
    Changed { path: PathBuf },
}

impl Difference {
    pub fn path(&self) -> &Path {
        match self {
            Difference::Missing { path }
            | Difference::Added { path }
            | Difference::Changed { path } => path,
        }
    }
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::Missing { path } => write!(f, "missing {}", path.display()),
            Difference::Added { path } => write!(f, "added {}", path.display()),
            Difference::Changed { path } => write!(f, "changed {}", path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Format { path: String, reason: String },
    #[error("{path}: the saved copy does not have the SHA-256 recorded when it was taken (the snapshot is damaged)")]
    Damaged { path: String },
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Io {
        path: path.display().to_string(),
        source,
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// SHA-256 of a file's bytes, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String, SnapshotError> {
    let mut f = fs::File::open(path).map_err(io(path))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

/// SHA-256 of a string, lower-case hex.
pub fn sha256_str(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

#[cfg(unix)]
fn mode_of(m: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn mode_of(m: &fs::Metadata) -> u32 {
    if m.permissions().readonly() {
        0o444
    } else {
        0o644
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<(), SnapshotError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io(path))
}

#[cfg(not(unix))]
fn set_mode(path: &Path, mode: u32) -> Result<(), SnapshotError> {
    let mut p = fs::metadata(path).map_err(io(path))?.permissions();
    p.set_readonly(mode & 0o222 == 0);
    fs::set_permissions(path, p).map_err(io(path))
}

/// The entry at `path` (not following a final symlink), `None` when nothing is there.
pub fn entry_of(path: &Path) -> Result<Option<Entry>, SnapshotError> {
    let m = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(path)(e)),
    };
    Ok(Some(if m.file_type().is_symlink() {
        Entry::Symlink {
            target: fs::read_link(path).map_err(io(path))?,
        }
    } else if m.is_dir() {
        Entry::Dir { mode: mode_of(&m) }
    } else {
        Entry::File {
            sha256: sha256_file(path)?,
            size: m.len(),
            mode: mode_of(&m),
        }
    }))
}

/// Every path under each of `roots` (the roots included), not following symlinks.
fn walk(roots: &[PathBuf]) -> Result<Vec<PathBuf>, SnapshotError> {
    let mut out = Vec::new();
    for root in roots {
        if fs::symlink_metadata(root).is_err() {
            continue;
        }
        for e in walkdir::WalkDir::new(root).follow_links(false) {
            let e = e.map_err(|e| SnapshotError::Io {
                path: e
                    .path()
                    .map_or_else(|| root.display().to_string(), |p| p.display().to_string()),
                source: e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("walk error")),
            })?;
            out.push(e.into_path());
        }
    }
    Ok(out)
}

/// The entries of every path under `roots`, hashed in parallel.
fn entries_under(roots: &[PathBuf]) -> Result<BTreeMap<PathBuf, Entry>, SnapshotError> {
    let paths = walk(roots)?;
    let entries: Result<Vec<(PathBuf, Option<Entry>)>, SnapshotError> = paths
        .into_par_iter()
        .map(|p| entry_of(&p).map(|e| (p, e)))
        .collect();
    Ok(entries?
        .into_iter()
        .filter_map(|(p, e)| e.map(|e| (p, e)))
        .collect())
}

impl Freeze {
    /// Walk and hash `roots`; `dists` is the distributions' `name==version` list.
    pub fn take(roots: &[PathBuf], mut dists: Vec<String>) -> Result<Freeze, SnapshotError> {
        dists.sort();
        Ok(Freeze {
            roots: roots.to_vec(),
            dists,
            entries: entries_under(roots)?,
        })
    }

    /// What is different in `now` compared with `self`, sorted by path.
    pub fn diff(&self, now: &Freeze) -> Vec<Difference> {
        let mut out = Vec::new();
        for (p, e) in &self.entries {
            match now.entries.get(p) {
                None => out.push(Difference::Missing { path: p.clone() }),
                Some(n) if n != e => out.push(Difference::Changed { path: p.clone() }),
                Some(_) => {}
            }
        }
        for p in now.entries.keys() {
            if !self.entries.contains_key(p) {
                out.push(Difference::Added { path: p.clone() });
            }
        }
        out.sort_by(|a, b| a.path().cmp(b.path()));
        out
    }
}

/// A saved entry: where it was, what it was, and (files) the name of its copy under `files/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub path: PathBuf,
    pub entry: Entry,
    pub copy: Option<String>,
}

/// A distribution the snapshot holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedDist {
    pub name: String,
    pub version: String,
    pub metadata_dir: PathBuf,
    /// The top-level entries (and out-of-site files) that were copied.
    pub roots: Vec<PathBuf>,
}

/// The copies of what the plan touches (`dir/manifest.json`, `dir/files/N`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub dists: Vec<SavedDist>,
    pub saved: Vec<Saved>,
    pub bytes: u64,
}

/// A distribution to save: its metadata directory, the site directory it is in, and its RECORD
/// files (absolute).
pub struct ToSave<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub site: &'a Path,
    pub metadata_dir: &'a Path,
    pub files: &'a [PathBuf],
}

/// The top-level entries of `site` that `files` live in, and the files outside `site`.
pub fn roots_of(site: &Path, metadata_dir: &Path, files: &[PathBuf]) -> Vec<PathBuf> {
    let mut roots = BTreeSet::new();
    roots.insert(metadata_dir.to_path_buf());
    for f in files {
        match f.strip_prefix(site) {
            Ok(rel) => {
                if let Some(first) = rel.components().next() {
                    roots.insert(site.join(first));
                }
            }
            Err(_) => {
                roots.insert(f.clone());
            }
        }
    }
    roots.into_iter().collect()
}

/// Write `bytes` to `path` through a temporary file, fsync'd, renamed into place, with the
/// directory fsync'd after (a reader sees the old file or the new one, never a part).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), SnapshotError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    tmp.write_all(bytes).map_err(io(path))?;
    tmp.as_file().sync_all().map_err(io(path))?;
    tmp.persist(path).map_err(|e| io(path)(e.error))?;
    sync_dir(dir)
}

/// fsync a directory (its entries are durable); a no-op where directories cannot be opened.
pub fn sync_dir(dir: &Path) -> Result<(), SnapshotError> {
    #[cfg(unix)]
    {
        fs::File::open(dir)
            .and_then(|f| f.sync_all())
            .map_err(io(dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Make everything written under `dir` durable: one `syncfs` on Linux, else an fsync per file.
fn sync_tree(dir: &Path) -> Result<(), SnapshotError> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let f = fs::File::open(dir).map_err(io(dir))?;
        // SAFETY: syncfs takes a file descriptor that stays open for the duration of the call.
        let rc = unsafe { libc::syncfs(f.as_raw_fd()) };
        if rc != 0 {
            return Err(io(dir)(std::io::Error::last_os_error()));
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        for p in walk(&[dir.to_path_buf()])? {
            if p.is_file() {
                fs::File::open(&p)
                    .and_then(|f| f.sync_all())
                    .map_err(io(&p))?;
            }
        }
        Ok(())
    }
}

impl Manifest {
    /// Copy everything `dists` installed into `dir` (which must be empty or absent) and write
    /// `dir/manifest.json` last, fsync'd: a manifest on disk means the copies are complete.
    pub fn take(dir: &Path, dists: &[ToSave<'_>]) -> Result<Manifest, SnapshotError> {
        let files_dir = dir.join("files");
        fs::create_dir_all(&files_dir).map_err(io(&files_dir))?;
        let mut manifest = Manifest::default();
        let mut seen = BTreeSet::new();
        for d in dists {
            let roots = roots_of(d.site, d.metadata_dir, d.files);
            for p in walk(&roots)? {
                if !seen.insert(p.clone()) {
                    continue;
                }
                let Some(entry) = entry_of(&p)? else { continue };
                let copy = match &entry {
                    Entry::File { size, .. } => {
                        let name = format!("{}", manifest.saved.len());
                        let to = files_dir.join(&name);
                        fs::copy(&p, &to).map_err(io(&p))?;
                        manifest.bytes += size;
                        Some(name)
                    }
                    _ => None,
                };
                manifest.saved.push(Saved {
                    path: p,
                    entry,
                    copy,
                });
            }
            manifest.dists.push(SavedDist {
                name: d.name.to_string(),
                version: d.version.to_string(),
                metadata_dir: d.metadata_dir.to_path_buf(),
                roots,
            });
        }
        // A file that changed while it was copied would not match its hash; check the copies.
        manifest
            .saved
            .par_iter()
            .try_for_each(|s| check_copy(&files_dir, s))?;
        sync_tree(dir)?;
        let json = serde_json::to_vec(&manifest).map_err(|e| SnapshotError::Format {
            path: dir.join("manifest.json").display().to_string(),
            reason: e.to_string(),
        })?;
        write_atomic(&dir.join("manifest.json"), &json)?;
        Ok(manifest)
    }

    /// The manifest in `dir`, `None` when the snapshot was never completed.
    pub fn load(dir: &Path) -> Result<Option<Manifest>, SnapshotError> {
        let path = dir.join("manifest.json");
        match fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| SnapshotError::Format {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Every path the snapshot holds.
    pub fn paths(&self) -> BTreeSet<&Path> {
        self.saved.iter().map(|s| s.path.as_path()).collect()
    }

    /// Put every saved entry back as it was, skipping those already equal (so that a restore cut
    /// short is finished by the next one). Returns how many entries were written.
    pub fn restore(&self, dir: &Path) -> Result<usize, SnapshotError> {
        let files_dir = dir.join("files");
        let mut written = 0;
        // Directories first, parents before children (paths sort that way).
        let mut saved: Vec<&Saved> = self.saved.iter().collect();
        saved.sort_by(|a, b| a.path.cmp(&b.path));
        for s in saved
            .iter()
            .filter(|s| matches!(s.entry, Entry::Dir { .. }))
        {
            if let Entry::Dir { mode } = s.entry {
                match entry_of(&s.path)? {
                    Some(Entry::Dir { mode: m }) if m == mode => continue,
                    Some(Entry::Dir { .. }) => {}
                    Some(_) => remove_any(&s.path)?,
                    None => {}
                }
                fs::create_dir_all(&s.path).map_err(io(&s.path))?;
                set_mode(&s.path, mode)?;
                written += 1;
            }
        }
        let results: Vec<Result<bool, SnapshotError>> = saved
            .par_iter()
            .filter(|s| !matches!(s.entry, Entry::Dir { .. }))
            .map(|s| restore_one(&files_dir, s))
            .collect();
        for r in results {
            if r? {
                written += 1;
            }
        }
        Ok(written)
    }
}

fn check_copy(files_dir: &Path, s: &Saved) -> Result<(), SnapshotError> {
    if let (Entry::File { sha256, .. }, Some(copy)) = (&s.entry, &s.copy) {
        if &sha256_file(&files_dir.join(copy))? != sha256 {
            return Err(SnapshotError::Damaged {
                path: s.path.display().to_string(),
            });
        }
    }
    Ok(())
}

/// Remove a file, symlink or directory tree; nothing there is fine.
pub fn remove_any(path: &Path) -> Result<(), SnapshotError> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path).map_err(io(path)),
        Ok(_) => fs::remove_file(path).map_err(io(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io(path)(e)),
    }
}

/// Put one file or symlink back (through a temporary name and a rename); `false` when it was
/// already there as saved.
fn restore_one(files_dir: &Path, s: &Saved) -> Result<bool, SnapshotError> {
    let now = entry_of(&s.path)?;
    if now.as_ref() == Some(&s.entry) {
        return Ok(false);
    }
    if let Some(parent) = s.path.parent() {
        fs::create_dir_all(parent).map_err(io(parent))?;
    }
    if matches!(now, Some(Entry::Dir { .. })) {
        remove_any(&s.path)?;
    }
    let name = s
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = s.path.with_file_name(format!(".{name}.abi-doctor-restore"));
    let _ = remove_any(&tmp);
    match &s.entry {
        Entry::File { sha256, mode, .. } => {
            let Some(copy) = &s.copy else {
                return Err(SnapshotError::Format {
                    path: s.path.display().to_string(),
                    reason: "saved file without a copy".into(),
                });
            };
            let from = files_dir.join(copy);
            fs::copy(&from, &tmp).map_err(io(&from))?;
            set_mode(&tmp, *mode)?;
            if &sha256_file(&tmp)? != sha256 {
                let _ = fs::remove_file(&tmp);
                return Err(SnapshotError::Damaged {
                    path: s.path.display().to_string(),
                });
            }
        }
        Entry::Symlink { target } => {
            #[cfg(unix)]
            std::os::unix::fs::symlink(target, &tmp).map_err(io(&tmp))?;
            #[cfg(not(unix))]
            return Err(SnapshotError::Format {
                path: s.path.display().to_string(),
                reason: format!("cannot recreate a symlink to {}", target.display()),
            });
        }
        Entry::Dir { .. } => return Ok(false),
    }
    fs::rename(&tmp, &s.path).map_err(io(&s.path))?;
    Ok(true)
}

/// Remove `paths` (files and symlinks first, then directories, deepest first, only when empty
/// of anything else). Returns how many were removed.
pub fn remove_paths(paths: &[PathBuf]) -> Result<usize, SnapshotError> {
    let mut n = 0;
    let mut dirs = Vec::new();
    for p in paths {
        match fs::symlink_metadata(p) {
            Ok(m) if m.is_dir() => dirs.push(p.clone()),
            Ok(_) => {
                fs::remove_file(p).map_err(io(p))?;
                n += 1;
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(p)(e)),
        }
    }
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for d in dirs {
        match fs::remove_dir(&d) {
            Ok(()) => n += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // Not empty: something there is kept (the caller decided what to remove).
            Err(_) => {}
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn take_restore_roundtrip_with_strays_and_symlinks() {
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("env/lib/site-packages");
        let bin = t.path().join("env/bin");
        fs::create_dir_all(site.join("pkg/__pycache__")).unwrap();
        fs::create_dir_all(site.join("pkg-1.0.dist-info")).unwrap();
        fs::create_dir_all(&bin).unwrap();
        fs::write(site.join("pkg/__init__.py"), "x = 1\n").unwrap();
        fs::write(site.join("pkg/__pycache__/stray.pyc"), "pyc").unwrap();
        fs::write(site.join("pkg-1.0.dist-info/RECORD"), "").unwrap();
        fs::write(bin.join("pkg-tool"), "#!/bin/sh\n").unwrap();
        set_mode(&bin.join("pkg-tool"), 0o755).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("pkg-tool", bin.join("tool-link")).unwrap();
        let roots = vec![site.clone(), bin.clone()];
        let before = Freeze::take(&roots, vec!["pkg==1.0".into()]).unwrap();

        let files = vec![
            site.join("pkg/__init__.py"),
            site.join("pkg-1.0.dist-info/RECORD"),
            bin.join("pkg-tool"),
            bin.join("tool-link"),
        ];
        let snap = t.path().join("snap");
        let m = Manifest::take(
            &snap,
            &[ToSave {
                name: "pkg",
                version: "1.0",
                site: &site,
                metadata_dir: &site.join("pkg-1.0.dist-info"),
                files: &files,
            }],
        )
        .unwrap();
        assert_eq!(Manifest::load(&snap).unwrap().as_ref(), Some(&m));

        // Damage: remove the package, change the tool's content and mode, add a new file.
        fs::remove_dir_all(site.join("pkg")).unwrap();
        fs::write(bin.join("pkg-tool"), "other").unwrap();
        set_mode(&bin.join("pkg-tool"), 0o644).unwrap();
        fs::write(site.join("new.py"), "").unwrap();
        let damaged = Freeze::take(&roots, vec![]).unwrap();
        let d = before.diff(&damaged);
        assert!(d.contains(&Difference::Added {
            path: site.join("new.py")
        }));
        assert!(d.contains(&Difference::Changed {
            path: bin.join("pkg-tool")
        }));
        assert!(d.contains(&Difference::Missing {
            path: site.join("pkg/__pycache__/stray.pyc")
        }));

        assert!(m.restore(&snap).unwrap() > 0);
        remove_paths(&[site.join("new.py")]).unwrap();
        let after = Freeze::take(&roots, vec!["pkg==1.0".into()]).unwrap();
        assert_eq!(before.diff(&after), vec![]);
        // A second restore has nothing to do.
        assert_eq!(m.restore(&snap).unwrap(), 0);
    }

    #[test]
    fn damaged_copy_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("site");
        fs::create_dir_all(site.join("m-1.dist-info")).unwrap();
        fs::write(site.join("m.py"), "a").unwrap();
        let snap = t.path().join("snap");
        let files = vec![site.join("m.py")];
        let m = Manifest::take(
            &snap,
            &[ToSave {
                name: "m",
                version: "1",
                site: &site,
                metadata_dir: &site.join("m-1.dist-info"),
                files: &files,
            }],
        )
        .unwrap();
        let copy = m
            .saved
            .iter()
            .find(|s| s.path == site.join("m.py"))
            .and_then(|s| s.copy.clone())
            .unwrap();
        fs::write(snap.join("files").join(copy), "b").unwrap();
        fs::remove_file(site.join("m.py")).unwrap();
        let e = m.restore(&snap).unwrap_err();
        assert!(e.to_string().contains("m.py"), "{e}");
    }
}
