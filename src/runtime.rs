//! The NumPy Python will import: which `numpy/` directory on the path wins, its version (the
//! files Python loads decide; the dist-info METADATA is cross-read), and the knowledge-base
//! release line whose facts predictions are made with. `check`, `explain` and `verify` all resolve
//! the runtime here, so they agree on it.

use crate::fsread::{read_text, Limit};
use crate::inventory::names::has_init;
use crate::inventory::Inventory;
use crate::knowledge::{knowledge, parse_line, Release};
use crate::paths::normalize;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Which NumPy Python would import, and any other copy on the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NumpyInstall {
    /// From its dist-info METADATA, else from `numpy/version.py`, else `"unknown"`.
    pub version: String,
    /// The `numpy/` package directory.
    pub path: PathBuf,
    pub distribution: Option<usize>,
    /// What `numpy/version.py` (or `_version.py`) says, read as text.
    pub version_file_version: Option<String>,
    /// Other `numpy/` directories on the path, with their versions.
    pub others: Vec<(PathBuf, Option<String>)>,
}

/// The NumPy that Python will import.
#[derive(Debug, Clone)]
pub struct RuntimeNumpy {
    pub version: String,
    pub path: String,
    pub release: &'static Release,
    /// The installed version is newer than the knowledge base; facts of the newest known line used.
    pub beyond_knowledge: bool,
    /// What the dist-info METADATA says, when it differs or when `version` came from the files.
    pub metadata_version: Option<String>,
}

/// Which NumPy Python would import from `site_packages` (the first `numpy/` regular package in
/// path order), and every other copy.
pub fn find_numpy(inv: &Inventory, site_packages: &[PathBuf]) -> Option<NumpyInstall> {
    let copies: Vec<(PathBuf, bool)> = site_packages
        .iter()
        .map(|s| normalize(s).join("numpy"))
        .filter(|d| d.is_dir())
        .map(|d| {
            let regular = has_init(&d);
            (d, regular)
        })
        .collect();
    let chosen = copies
        .iter()
        .position(|(_, regular)| *regular)
        .or((!copies.is_empty()).then_some(0))?;
    let dist_for = |dir: &Path| -> Option<usize> {
        let site = dir.parent()?;
        let init = dir.join("__init__.py");
        inv.distributions
            .iter()
            .position(|d| d.normalized == "numpy" && d.files.contains(&init))
            .or_else(|| {
                inv.distributions
                    .iter()
                    .position(|d| d.normalized == "numpy" && d.site_packages == site)
            })
    };
    let version_of = |dir: &Path| -> (Option<usize>, Option<String>, Option<String>) {
        let di = dist_for(dir);
        let file_v = numpy_version_file(dir);
        let v = di
            .map(|i| inv.distributions[i].version.clone())
            .or_else(|| file_v.clone());
        (di, v, file_v)
    };
    let (path, _) = &copies[chosen];
    let (distribution, version, version_file_version) = version_of(path);
    let others = copies
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != chosen)
        .map(|(_, (p, _))| (p.clone(), version_of(p).1))
        .collect();
    Some(NumpyInstall {
        version: version.unwrap_or_else(|| "unknown".to_string()),
        path: path.clone(),
        distribution,
        version_file_version,
        others,
    })
}

/// `version = "1.26.4"` (also `version: str = ...`, `__version__`, `full_version`,
/// `short_version`) in `numpy/version.py`, or `"version": "1.24.4"` in versioneer's
/// `numpy/_version.py`. Read as text, never imported.
pub fn numpy_version_file(numpy_dir: &Path) -> Option<String> {
    let mut found: Vec<(u8, String)> = Vec::new();
    if let Ok(text) = read_text(&numpy_dir.join("version.py"), Limit::Small) {
        for line in text.lines() {
            let Some((lhs, rhs)) = line.split_once('=') else {
                continue;
            };
            let var = lhs.split(':').next().unwrap_or("").trim();
            let rank = match var {
                "version" => 0,
                "__version__" => 1,
                "full_version" => 2,
                "short_version" => 3,
                _ => continue,
            };
            let rhs = rhs.trim();
            let quote = rhs.chars().next().filter(|c| *c == '"' || *c == '\'');
            if let Some(q) = quote {
                if let Some(v) = rhs[1..].split(q).next().filter(|v| !v.is_empty()) {
                    found.push((rank, v.to_string()));
                }
            }
        }
    }
    if found.is_empty() {
        if let Ok(text) = read_text(&numpy_dir.join("_version.py"), Limit::Small) {
            for line in text.lines() {
                let t = line.trim();
                if let Some(rest) = t.strip_prefix("\"version\":") {
                    let v = rest.trim().trim_end_matches(',').trim().trim_matches('"');
                    if !v.is_empty() {
                        found.push((0, v.to_string()));
                    }
                }
            }
        }
    }
    found.sort();
    found.into_iter().next().map(|(_, v)| v)
}

/// The release line to predict with: the runtime's own, else the newest known when the runtime is
/// newer than the knowledge base (`true`). `None` for a version older than, or between, the
/// known lines, or unparseable.
pub fn release_for(version: &str) -> Option<(&'static Release, bool)> {
    let k = knowledge();
    if let Some(r) = k.release(version) {
        return Some((r, false));
    }
    let newest = k.newest()?;
    (parse_line(version)? > newest.key()).then_some((newest, true))
}

/// The runtime NumPy of an installation, when its version is one predictions can be made for.
/// The files Python loads decide the ABI: `numpy/version.py` wins over the metadata when they
/// disagree (NPY012 reports it).
pub fn resolve(n: &NumpyInstall) -> Option<RuntimeNumpy> {
    let (version, metadata_version) = match &n.version_file_version {
        Some(f) if *f != n.version => (f.clone(), Some(n.version.clone())),
        _ => (n.version.clone(), None),
    };
    let (release, beyond_knowledge) = release_for(&version)?;
    Some(RuntimeNumpy {
        version,
        path: n.path.display().to_string(),
        release,
        beyond_knowledge,
        metadata_version,
    })
}
