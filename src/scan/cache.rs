//! The facts cache: what inspection learned about each compiled file, the imports of each Python
//! source the import graph read, and the inventory of the site directories, kept between runs so
//! that a re-run of `check` reads only what changed. On by default, as ruff's cache is;
//! `--no-cache` ([`super::ScanOptions::no_cache`]) turns it off.
//!
//! Where: `${XDG_CACHE_HOME:-~/.cache}/abi-doctor/facts` (`~/Library/Caches/abi-doctor/facts` on
//! macOS, `%LOCALAPPDATA%\abi-doctor\cache\facts` on Windows), one MessagePack file per
//! environment prefix; never inside the scanned environment (a cache directory under it turns the
//! cache off). An entry is used only when the file's path, size, modification time (nanoseconds),
//! permission bits and inode all match ([`Stamp`]), and the file's format version and
//! abi-doctor version match ours. The inventory is used only when every directory it listed and
//! every file it read still has its stamp (`crate::inventory::inventory_remembered`, which also
//! says what is never remembered).
//!
//! Bounded: at most [`MAX_ENTRIES`] entries per environment and [`MAX_FILES`] environments (the
//! least recently written are removed), and a cache file is read with a size cap. A cache file
//! that cannot be read or parsed is ignored with a note and rewritten; it never stops a scan.

use crate::binary::BinaryFacts;
use crate::fsread::map::Mapped;
use crate::fsread::Limit;
use crate::imports::graph::{ImportStmt, SourceCache};
use crate::inventory::{Inventory, Remembered, RememberedRef};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Bumped whenever the layout of a cache file or of [`BinaryFacts`] changes.
// 2: BinaryFacts keeps imported_functions and numpy_init_exports (NPY014).
// 3: module-level imports of the Python sources the import graph read (`sources`).
// 4: stamps carry the permission bits; the remembered inventory (`inventory`); MessagePack.
pub const FORMAT: u32 = 4;
/// Cache files are MessagePack (with field names, so that the layout can change behind
/// [`FORMAT`]): decoding one is several times faster than JSON, which matters on a warm run.
const EXTENSION: &str = "msgpack";
/// Entries kept per environment: more than the largest real environments have binaries.
pub const MAX_ENTRIES: usize = 20_000;
/// Environments kept.
pub const MAX_FILES: usize = 64;

pub use crate::fsread::Stamp;

#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    stamp: Stamp,
    facts: Arc<BinaryFacts>,
}

/// The module-level imports of one Python source file, as [`crate::imports::graph`] parsed it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SourceEntry {
    stamp: Stamp,
    /// The package relative imports were resolved against.
    package: String,
    /// Shared with the import graph (a hit copies nothing).
    imports: Arc<[ImportStmt]>,
}

#[derive(Debug, Deserialize)]
struct CacheFile {
    format: u32,
    version: String,
    prefix: PathBuf,
    entries: HashMap<PathBuf, Entry>,
    #[serde(default)]
    sources: HashMap<PathBuf, SourceEntry>,
    /// The inventory of the last run, with the stamps of everything it read.
    #[serde(default)]
    inventory: Option<Remembered>,
}

/// [`CacheFile`] as written.
#[derive(Serialize)]
struct CacheFileOut<'a> {
    format: u32,
    version: &'a str,
    prefix: &'a Path,
    entries: &'a HashMap<PathBuf, Entry>,
    sources: &'a HashMap<PathBuf, SourceEntry>,
    inventory: Option<RememberedRef<'a>>,
}

/// The cache of one environment, loaded.
#[derive(Debug)]
pub struct FactsCache {
    file: PathBuf,
    prefix: PathBuf,
    old: HashMap<PathBuf, Entry>,
    /// Entries of this run: what will be written back.
    new: HashMap<PathBuf, Entry>,
    /// An entry of this run was inspected anew (not kept from `old`).
    dirty: bool,
    /// Sources of this run: the stamp each had when looked at, then its entry once parsed.
    new_sources: Mutex<SourcesSeen>,
    /// The inventory the cache file holds, until [`FactsCache::take_inventory`].
    inventory: Option<Remembered>,
    /// The cache file held an inventory.
    had_inventory: bool,
    pub hits: usize,
}

#[derive(Debug, Default)]
struct SourcesSeen {
    /// Entries of the last run not (yet) used by this one.
    old: HashMap<PathBuf, SourceEntry>,
    /// An entry was parsed anew.
    dirty: bool,
    stamps: HashMap<PathBuf, Stamp>,
    entries: HashMap<PathBuf, SourceEntry>,
}

/// The user's cache directory for facts: `facts/` under [`crate::paths::cache_root`] (`None`: no
/// home known).
pub fn default_dir(
    vars: &std::collections::BTreeMap<String, std::ffi::OsString>,
) -> Option<PathBuf> {
    Some(crate::paths::cache_root(vars)?.join("facts"))
}

/// FNV-1a, stable across runs and Rust versions: the cache file's name for a prefix.
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

impl FactsCache {
    /// Load the cache of `prefix` from `dir`. `inside` are the environment's directories: a cache
    /// directory under one of them is refused. Problems become `notes`.
    pub fn load(
        dir: &Path,
        prefix: &Path,
        inside: &[PathBuf],
        notes: &mut Vec<String>,
    ) -> Option<Self> {
        if inside.iter().any(|p| dir.starts_with(p)) {
            notes.push(format!(
                "facts cache not used: {} is inside the scanned environment",
                dir.display()
            ));
            return None;
        }
        let name = format!(
            "{:016x}.{EXTENSION}",
            fnv(prefix.as_os_str().as_encoded_bytes())
        );
        let file = dir.join(name);
        let mut old = HashMap::new();
        let mut old_sources = HashMap::new();
        let mut inventory = None;
        // Mapped, not read: the file is megabytes on a large environment, and decoding straight
        // from the page cache saves copying it (a writer replaces it by rename, never in place).
        match Mapped::open(&file, Limit::Record) {
            Ok(map) => match rmp_serde::from_slice::<CacheFile>(map.bytes()) {
                Ok(c)
                    if c.format == FORMAT
                        && c.version == env!("CARGO_PKG_VERSION")
                        && c.prefix == prefix =>
                {
                    old = c.entries;
                    old_sources = c.sources;
                    inventory = c.inventory;
                }
                Ok(_) => {} // another format or version: rebuilt silently
                Err(e) => notes.push(format!(
                    "facts cache {} is corrupt ({e}); ignored and rebuilt",
                    file.display()
                )),
            },
            Err(e) if file.exists() => notes.push(format!("facts cache ignored: {e}")),
            Err(_) => {}
        }
        Some(FactsCache {
            file,
            prefix: prefix.to_path_buf(),
            new: HashMap::with_capacity(old.len()),
            old,
            dirty: false,
            new_sources: Mutex::new(SourcesSeen {
                old: old_sources,
                ..SourcesSeen::default()
            }),
            had_inventory: inventory.is_some(),
            inventory,
            hits: 0,
        })
    }

    /// The inventory of the last run, for [`crate::inventory::inventory_remembered`] to check and
    /// reuse.
    pub fn take_inventory(&mut self) -> Option<Remembered> {
        self.inventory.take()
    }

    /// The cached facts of `path` when its stamp matches.
    pub fn get(&self, path: &Path, stamp: &Stamp) -> Option<&Arc<BinaryFacts>> {
        self.old
            .get(path)
            .filter(|e| e.stamp == *stamp)
            .map(|e| &e.facts)
    }

    /// Remember the facts of `path` for the next run.
    pub fn put(&mut self, path: PathBuf, stamp: Stamp, facts: Arc<BinaryFacts>) {
        if self.new.len() < MAX_ENTRIES {
            self.dirty = true;
            self.new.insert(path, Entry { stamp, facts });
        }
    }

    /// Keep the entry of `path` that [`FactsCache::get`] found for the next run (moved, not
    /// copied).
    pub fn keep(&mut self, path: &Path) {
        if self.new.len() < MAX_ENTRIES {
            if let Some((p, e)) = self.old.remove_entry(path) {
                self.new.insert(p, e);
            }
        }
    }

    /// Write this run's entries (atomically: a temporary file renamed over the old one) and trim
    /// the directory to [`MAX_FILES`] environments, with `inventory` when it can be remembered
    /// (`reused`: it is the one [`FactsCache::take_inventory`] gave). Failures become notes. An
    /// unchanged cache is not written, and nothing is freed here: the entries go with `self`,
    /// whose owner may keep it to the end of the process.
    pub fn save(&mut self, inventory: &Inventory, reused: bool, notes: &mut Vec<String>) {
        let Some(dir) = self.file.parent() else {
            return;
        };
        let seen = match self.new_sources.get_mut() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        // Every old entry kept, none added: the same set of files with the same stamps.
        let unchanged = !self.dirty && self.old.is_empty() && !seen.dirty && seen.old.is_empty();
        let inventory_unchanged = reused || (inventory.record.is_none() && !self.had_inventory);
        if unchanged && inventory_unchanged {
            return;
        }
        let mut data = CacheFileOut {
            format: FORMAT,
            version: env!("CARGO_PKG_VERSION"),
            prefix: &self.prefix,
            entries: &self.new,
            sources: &seen.entries,
            inventory: inventory.remembered(),
        };
        let result = (|| -> std::io::Result<()> {
            std::fs::create_dir_all(dir)?;
            let mut bytes = rmp_serde::to_vec_named(&data).map_err(std::io::Error::other)?;
            // An environment too large to remember (its inventory is not bounded the way the
            // entries are) still keeps its facts.
            if bytes.len() as u64 > Limit::Record.bytes() && data.inventory.is_some() {
                data.inventory = None;
                bytes = rmp_serde::to_vec_named(&data).map_err(std::io::Error::other)?;
            }
            if bytes.len() as u64 > Limit::Record.bytes() {
                return Err(std::io::Error::other("over the size cap, not written"));
            }
            let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
            std::io::Write::write_all(&mut tmp, &bytes)?;
            tmp.persist(&self.file).map_err(|e| e.error)?;
            trim(dir);
            Ok(())
        })();
        if let Err(e) = result {
            notes.push(format!(
                "facts cache not written to {}: {e}",
                self.file.display()
            ));
        }
    }
}

impl SourceCache for FactsCache {
    fn get(&self, path: &Path, package: &str) -> Option<Arc<[ImportStmt]>> {
        let stamp = Stamp::of(path)?;
        let mut seen = self.new_sources.lock().ok()?;
        let hit = seen
            .old
            .get(path)
            .is_some_and(|e| e.stamp == stamp && e.package == package);
        if hit && seen.entries.len() < MAX_ENTRIES {
            let (p, e) = seen.old.remove_entry(path)?;
            let imports = e.imports.clone();
            seen.entries.insert(p, e);
            return Some(imports);
        }
        if let Some(e) = seen.old.get(path).filter(|_| hit) {
            return Some(e.imports.clone());
        }
        seen.stamps.insert(path.to_path_buf(), stamp);
        None
    }

    fn put(&self, path: &Path, package: &str, stmts: &Arc<[ImportStmt]>) {
        let Ok(mut seen) = self.new_sources.lock() else {
            return;
        };
        let Some(stamp) = seen.stamps.remove(path) else {
            return;
        };
        if seen.entries.len() < MAX_ENTRIES {
            seen.dirty = true;
            seen.entries.insert(
                path.to_path_buf(),
                SourceEntry {
                    stamp,
                    package: package.to_string(),
                    imports: Arc::clone(stmts),
                },
            );
        }
    }
}

/// Keep the [`MAX_FILES`] most recently written cache files.
fn trim(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = rd
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            // `.json`: the files of format 3 and earlier.
            name.ends_with(EXTENSION) || name.ends_with(".json")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if files.len() <= MAX_FILES {
        return;
    }
    files.sort();
    for (_, p) in &files[..files.len() - MAX_FILES] {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discover::{self, DiscoverOptions};
    use crate::scan::scan_environment_cached;
    use crate::test_support;

    fn hits(s: &crate::scan::Scanned) -> Option<usize> {
        s.from_cache
    }

    fn cache_notes(s: &crate::scan::Scanned) -> Vec<&str> {
        s.environment
            .notes
            .iter()
            .filter(|n| n.contains("facts cache"))
            .map(String::as_str)
            .collect()
    }

    /// The interpreter's own `_json` extension module: a real compiled file to scan.
    fn json_extension() -> Option<PathBuf> {
        let py = test_support::python("3.11")?;
        let dynload = py.prefix.join("lib/python3.11/lib-dynload");
        let found = std::fs::read_dir(&dynload)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("_json.")
            });
        Some(found.unwrap_or_else(|| panic!("no _json extension in {}", dynload.display())))
    }

    /// The environment of one site directory.
    fn env_of(site: &Path, cwd: &Path) -> discover::Environment {
        discover::discover(&DiscoverOptions {
            site_packages: vec![site.to_path_buf()],
            cwd: cwd.to_path_buf(),
            ..Default::default()
        })
        .unwrap()
    }

    /// A real extension module (the interpreter's own `_json`), scanned three times through the
    /// cache, then with the cache file corrupted, then with the cache directory inside the
    /// environment.
    #[test]
    fn facts_are_reused_when_unchanged_and_a_bad_cache_is_ignored() {
        let Some(json) = json_extension() else {
            return;
        };
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("site");
        std::fs::create_dir_all(&site).unwrap();
        let module = site.join(json.file_name().unwrap());
        std::fs::copy(&json, &module).unwrap();
        let dir = t.path().join("cache");
        let env = || env_of(&site, t.path());
        let first = scan_environment_cached(env(), Some(&dir), &());
        assert_eq!(hits(&first), Some(0));
        assert!(cache_notes(&first).is_empty());
        let second = scan_environment_cached(env(), Some(&dir), &());
        assert_eq!(hits(&second), Some(1));
        assert!(cache_notes(&second).is_empty());
        assert_eq!(first.not_judged, second.not_judged);
        assert_eq!(
            format!("{:?}", first.scan.modules),
            format!("{:?}", second.scan.modules)
        );
        // A new file at the same path (new inode, mtime): inspected again.
        let tmp = site.join("new.tmp");
        std::fs::copy(&json, &tmp).unwrap();
        std::fs::rename(&tmp, &module).unwrap();
        let third = scan_environment_cached(env(), Some(&dir), &());
        assert_eq!(hits(&third), Some(0));
        assert!(cache_notes(&third).is_empty());
        // Corrupt: ignored with a note, the scan goes on and the file is rewritten.
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .next()
            .unwrap()
            .path();
        std::fs::write(&file, b"{\"format\": 1, \"entr").unwrap();
        let fourth = scan_environment_cached(env(), Some(&dir), &());
        let notes = cache_notes(&fourth);
        assert!(
            notes[0].contains("is corrupt") && notes[0].contains("ignored"),
            "{notes:?}"
        );
        assert_eq!(fourth.scan.modules.len(), first.scan.modules.len());
        let fifth = scan_environment_cached(env(), Some(&dir), &());
        assert_eq!(hits(&fifth), Some(1));
        assert!(cache_notes(&fifth).is_empty());
        // Never inside the environment.
        let inside = site.join(".cache");
        let sixth = scan_environment_cached(env(), Some(&inside), &());
        assert!(cache_notes(&sixth)[0].contains("inside the scanned environment"));
        assert_eq!(hits(&sixth), None);
        assert!(!inside.exists());
    }

    /// Set the mtime of `root` and everything under it to an hour ago, so that the inventory
    /// trusts it (a change in the last seconds is never remembered).
    fn age(root: &Path) {
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for e in walkdir::WalkDir::new(root).contents_first(true) {
            let e = e.unwrap();
            std::fs::File::open(e.path())
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
    }

    fn phase_names(s: &crate::scan::Scanned) -> Vec<&str> {
        s.phases.iter().map(|(n, _)| *n).collect()
    }

    /// The inventory comes from the cache file while nothing it read changed, and is taken anew
    /// (seeing the change) once something did; the scan's results are the same either way.
    #[test]
    fn the_inventory_is_remembered_until_the_environment_changes() {
        let Some(json) = json_extension() else {
            return;
        };
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("site");
        std::fs::create_dir_all(site.join("pkg")).unwrap();
        std::fs::write(site.join("pkg/__init__.py"), "import json\n").unwrap();
        std::fs::copy(&json, site.join("pkg").join(json.file_name().unwrap())).unwrap();
        age(t.path());
        let dir = t.path().join("cache");
        let env = || env_of(&site, t.path());
        let first = scan_environment_cached(env(), Some(&dir), &());
        assert!(
            phase_names(&first).contains(&"inventory"),
            "{:?}",
            first.phases
        );
        let second = scan_environment_cached(env(), Some(&dir), &());
        assert!(
            phase_names(&second).contains(&"inventory (remembered)"),
            "{:?}",
            second.phases
        );
        assert_eq!(hits(&second), Some(1));
        assert_eq!(
            format!("{:?}", first.scan.modules),
            format!("{:?}", second.scan.modules)
        );
        assert_eq!(
            format!("{:?}", first.inventory.distributions),
            format!("{:?}", second.inventory.distributions)
        );
        // A second extension appears: the remembered inventory is not used, and the new file is
        // found and inspected.
        std::fs::create_dir_all(site.join("other")).unwrap();
        std::fs::copy(&json, site.join("other").join(json.file_name().unwrap())).unwrap();
        let third = scan_environment_cached(env(), Some(&dir), &());
        assert!(
            phase_names(&third).contains(&"inventory"),
            "{:?}",
            third.phases
        );
        assert_eq!(third.inventory.binaries.len(), 2);
        assert_eq!(hits(&third), Some(1));
        // With --no-cache the inventory is always taken.
        let fourth = scan_environment_cached(env(), None, &());
        assert!(phase_names(&fourth).contains(&"inventory"));
        assert_eq!(fourth.inventory.binaries.len(), 2);
    }

    #[test]
    fn the_default_directory_follows_xdg() {
        let vars = |kv: &[(&str, &str)]| {
            kv.iter()
                .map(|(k, v)| (k.to_string(), std::ffi::OsString::from(v)))
                .collect()
        };
        if cfg!(all(unix, not(target_os = "macos"))) {
            assert_eq!(
                default_dir(&vars(&[("HOME", "/h"), ("XDG_CACHE_HOME", "/x")])),
                Some(PathBuf::from("/x/abi-doctor/facts"))
            );
            assert_eq!(
                default_dir(&vars(&[("HOME", "/h"), ("XDG_CACHE_HOME", "rel")])),
                Some(PathBuf::from("/h/.cache/abi-doctor/facts"))
            );
            assert_eq!(default_dir(&vars(&[])), None);
        }
    }
}
