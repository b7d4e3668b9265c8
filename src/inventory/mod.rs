//! Installed distributions: `*.dist-info` (PEP 376/427/610/627) and `*.egg-info`, which files
//! each owns, and the files nobody owns.
//!
//! Everything is read as data: nothing in the scanned environment is imported, executed or
//! written. Bad input (corrupt or non-UTF-8 METADATA, unreadable files, RECORD entries pointing
//! outside the environment, symlink loops) becomes a [`Problem`] naming the file, and the scan goes
//! on.

mod marker;
mod requirement;

use crate::paths::normalize;
use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

pub use marker::{marker_applies, Platform};
pub use requirement::{normalize_name, parse_requirement};

/// Everything installed in a list of site directories.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    /// Sorted by site directory order, then metadata directory name.
    pub distributions: Vec<Distribution>,
    /// Compiled files (sniffed: ELF, Mach-O or PE), sorted by site order then path.
    pub binaries: Vec<BinaryFile>,
    pub problems: Vec<Problem>,
}

/// Something wrong with the input, kept as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file the problem is about.
    pub path: PathBuf,
    /// The full message, starting with the path.
    pub message: String,
}

/// One installed distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Distribution {
    /// As written in METADATA (or the directory name when METADATA is unusable).
    pub name: String,
    /// PEP 503 normalized.
    pub normalized: String,
    pub version: String,
    pub site_packages: PathBuf,
    /// The `*.dist-info` / `*.egg-info` directory (or egg-info file).
    pub metadata_dir: PathBuf,
    pub requires: Vec<Requirement>,
    /// `Tag:` lines of WHEEL.
    pub wheel_tags: Vec<String>,
    /// Built from source on this machine rather than downloaded as a binary wheel: a bare
    /// `linux_*` platform tag, or a PEP 610 VCS / directory / sdist origin for a non-pure wheel.
    pub built_locally: bool,
    pub installer: Option<String>,
    /// `url` of `direct_url.json`.
    pub direct_url: Option<String>,
    pub requires_python: Option<String>,
    /// Import names: top_level.txt, or derived from RECORD.
    pub top_level: Vec<String>,
    /// Files from RECORD (installed-files.txt for eggs), resolved and normalized; never outside
    /// the site directory, except for files inside the environment's prefix (scripts, headers,
    /// data) when the site directory has the standard layout.
    pub files: Vec<PathBuf>,
}

/// One `Requires-Dist` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    pub name: String,
    pub normalized: String,
    /// PEP 440 specifier text without spaces, e.g. `<1.28.0,>=1.21.6`; empty when unconstrained.
    pub specifier: String,
    pub marker: Option<String>,
    /// The extra this requirement belongs to (`extra == "test"` in its marker), normalized.
    pub extra: Option<String>,
    /// `name @ url` requirements.
    pub url: Option<String>,
}

/// A compiled file in a site directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BinaryFile {
    pub path: PathBuf,
    pub site_packages: PathBuf,
    /// Index into [`Inventory::distributions`] of the distribution whose RECORD lists it.
    pub distribution: Option<usize>,
    /// Dotted import name, or None for shared libraries (`*.libs/`, `.dylibs/`, `libfoo.so.1`,
    /// `.dylib`, `.dll`) and files outside importable directories.
    pub module: Option<String>,
    pub size: u64,
    /// Python would import another file for this module (an earlier site directory, a regular
    /// package elsewhere, or a preferred extension suffix in the same directory).
    pub shadowed: bool,
}

/// What went wrong reading one file. Becomes a [`Problem`]; never aborts the scan.
#[derive(Debug, thiserror::Error)]
pub enum DistError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not UTF-8, read lossily", path.display())]
    NotUtf8 { path: PathBuf },
    #[error("{}: no {field} field, using {fallback:?} from the directory name", path.display())]
    MissingField {
        path: PathBuf,
        field: &'static str,
        fallback: String,
    },
    #[error("{}: no RECORD, installed files unknown", path.display())]
    NoRecord { path: PathBuf },
    #[error("{}: line {line}: {reason}", path.display())]
    Line {
        path: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("{}: line {line}: {entry:?} points outside {}, ignored", path.display(), root.display())]
    Escapes {
        path: PathBuf,
        line: usize,
        entry: String,
        root: PathBuf,
    },
    #[error("{}: bad JSON: {reason}", path.display())]
    Json { path: PathBuf, reason: String },
    #[error("{}: {reason}", path.display())]
    Walk { path: PathBuf, reason: String },
    #[error("{}: listed in RECORD of {dist} but {reason}", path.display())]
    Missing {
        path: PathBuf,
        dist: String,
        reason: String,
    },
    #[error("{}: module {module} is shadowed by {}", path.display(), by.display())]
    Shadowed {
        path: PathBuf,
        module: String,
        by: PathBuf,
    },
}

impl DistError {
    fn path(&self) -> &Path {
        match self {
            DistError::Io { path, .. }
            | DistError::NotUtf8 { path }
            | DistError::MissingField { path, .. }
            | DistError::NoRecord { path }
            | DistError::Line { path, .. }
            | DistError::Escapes { path, .. }
            | DistError::Json { path, .. }
            | DistError::Walk { path, .. }
            | DistError::Missing { path, .. }
            | DistError::Shadowed { path, .. } => path,
        }
    }
}

impl From<DistError> for Problem {
    fn from(e: DistError) -> Self {
        Problem {
            path: e.path().to_path_buf(),
            message: e.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetaKind {
    DistInfo,
    EggInfoDir,
    EggInfoFile,
}

/// Read every distribution and compiled file of `env_site_packages` (in sys.path order).
pub fn inventory(env_site_packages: &[PathBuf]) -> Inventory {
    let sites: Vec<PathBuf> = env_site_packages.iter().map(|p| normalize(p)).collect();
    let mut problems: Vec<Problem> = Vec::new();

    // 1. Metadata directories, and the top-level names of each site (for shadowing).
    let mut jobs: Vec<(usize, PathBuf, MetaKind)> = Vec::new();
    let mut tops: Vec<TopNames> = Vec::with_capacity(sites.len());
    for (si, site) in sites.iter().enumerate() {
        let mut names = TopNames::default();
        let rd = match fs::read_dir(site) {
            Ok(rd) => rd,
            Err(source) => {
                problems.push(
                    DistError::Io {
                        path: site.clone(),
                        source,
                    }
                    .into(),
                );
                tops.push(names);
                continue;
            }
        };
        let mut entries: Vec<(String, PathBuf, bool)> = rd
            .flatten()
            .map(|e| {
                let path = e.path();
                let is_dir = path.is_dir();
                (e.file_name().to_string_lossy().into_owned(), path, is_dir)
            })
            .collect();
        entries.sort();
        for (name, path, is_dir) in entries {
            if name.ends_with(".dist-info") && is_dir {
                jobs.push((si, path, MetaKind::DistInfo));
            } else if name.ends_with(".egg-info") {
                let kind = if is_dir {
                    MetaKind::EggInfoDir
                } else {
                    MetaKind::EggInfoFile
                };
                jobs.push((si, path, kind));
            } else if is_dir {
                if is_identifier(&name) {
                    if has_init(&path) {
                        names.regular.insert(name);
                    } else {
                        names.namespace.insert(name);
                    }
                }
            } else if let Some(stem) = module_file_stem(&name) {
                names.regular.insert(stem.to_string());
            }
        }
        tops.push(names);
    }

    // 2. Parse metadata in parallel.
    let parsed: Vec<(Option<Distribution>, Vec<Problem>)> = jobs
        .par_iter()
        .map(|(si, path, kind)| {
            let mut probs = Vec::new();
            let d = read_distribution(&sites[*si], path, *kind, &mut probs);
            (Some(d), probs)
        })
        .collect();
    let mut distributions = Vec::with_capacity(parsed.len());
    for (d, p) in parsed {
        distributions.extend(d);
        problems.extend(p);
    }

    // 3. Candidate binaries: from RECORDs, then from a walk of each site for unlisted ones.
    let mut candidates: Vec<(PathBuf, usize, Option<usize>)> = Vec::new();
    let mut recorded: HashSet<&Path> = HashSet::new();
    let site_index: HashMap<&Path, usize> = sites
        .iter()
        .enumerate()
        .rev()
        .map(|(i, s)| (s.as_path(), i))
        .collect();
    for (di, d) in distributions.iter().enumerate() {
        let si = site_index[d.site_packages.as_path()];
        for f in &d.files {
            // The walk only returns binary-named files, so only those need remembering (hashing
            // every RECORD path was 8% of a check; BENCHMARKS.md).
            if f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(is_binary_name)
            {
                recorded.insert(f.as_path());
                candidates.push((f.clone(), si, Some(di)));
            }
        }
    }
    let walked: Vec<(Vec<PathBuf>, Vec<Problem>)> =
        sites.par_iter().map(|site| walk_binaries(site)).collect();
    for (si, (files, probs)) in walked.into_iter().enumerate() {
        problems.extend(probs);
        for f in files {
            if !recorded.contains(f.as_path()) {
                candidates.push((f, si, None));
            }
        }
    }
    drop(recorded);

    // 4. Sniff the first bytes; keep real binaries.
    let checked: Vec<Result<Option<BinaryFile>, Problem>> = candidates
        .into_par_iter()
        .map(|(path, si, di)| {
            let site = &sites[si];
            let size = match sniff_file(&path) {
                Ok(Some(size)) => size,
                Ok(None) => return Ok(None),
                Err(e) => {
                    return Err(match di {
                        Some(di) => DistError::Missing {
                            path,
                            dist: distributions[di].name.clone(),
                            reason: e.to_string(),
                        }
                        .into(),
                        None => DistError::Io { path, source: e }.into(),
                    })
                }
            };
            let module = path
                .strip_prefix(site)
                .ok()
                .and_then(module_name_from_relative);
            Ok(Some(BinaryFile {
                path,
                site_packages: site.clone(),
                distribution: di,
                module,
                size,
                shadowed: false,
            }))
        })
        .collect();
    let mut binaries = Vec::new();
    for c in checked {
        match c {
            Ok(Some(b)) => binaries.push(b),
            Ok(None) => {}
            Err(p) => problems.push(p),
        }
    }
    binaries.sort_by(|a, b| {
        (site_index[a.site_packages.as_path()], &a.path)
            .cmp(&(site_index[b.site_packages.as_path()], &b.path))
    });
    binaries.dedup_by(|a, b| a.path == b.path);

    // 5. Shadowing.
    mark_shadowed(&mut binaries, &sites, &tops, &mut problems);

    Inventory {
        distributions,
        binaries,
        problems,
    }
}

#[derive(Debug, Default)]
struct TopNames {
    /// Modules and regular packages: they win the import.
    regular: HashSet<String>,
    /// Directories without `__init__`: namespace portions.
    namespace: HashSet<String>,
}

pub(crate) fn has_init(dir: &Path) -> bool {
    if dir.join("__init__.py").is_file() {
        return true;
    }
    fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten().any(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.starts_with("__init__.") && module_file_stem(&n) == Some("__init__")
        })
    })
}

/// `foo.py`, `foo.pyc`, `foo.cpython-311-x86_64-linux-gnu.so`, `foo.pyd` → `foo`.
fn module_file_stem(name: &str) -> Option<&str> {
    let (stem, _) = name.split_once('.')?;
    let is_module = name.ends_with(".py")
        || name.ends_with(".pyc")
        || name.ends_with(".so")
        || name.ends_with(".pyd");
    (is_module && is_identifier(stem)).then_some(stem)
}

/// Rank of an extension suffix in `importlib.machinery.EXTENSION_SUFFIXES` order (lower wins).
fn suffix_rank(path: &Path) -> u8 {
    let n = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if n.contains(".cpython-") || n.contains(".cp3") || n.contains(".pypy") {
        0
    } else if n.ends_with(".abi3.so") {
        1
    } else {
        2
    }
}

fn mark_shadowed(
    binaries: &mut [BinaryFile],
    sites: &[PathBuf],
    tops: &[TopNames],
    problems: &mut Vec<Problem>,
) {
    let site_of: HashMap<&Path, usize> = sites
        .iter()
        .enumerate()
        .rev()
        .map(|(i, s)| (s.as_path(), i))
        .collect();
    // The winner per module: earliest site, then best suffix.
    let mut winner: HashMap<String, (usize, u8, usize)> = HashMap::new();
    for (bi, b) in binaries.iter().enumerate() {
        let Some(m) = &b.module else { continue };
        let key = (site_of[b.site_packages.as_path()], suffix_rank(&b.path), bi);
        winner
            .entry(m.clone())
            .and_modify(|w| {
                if key < *w {
                    *w = key
                }
            })
            .or_insert(key);
    }
    let mut shadows: Vec<(usize, PathBuf)> = Vec::new();
    for (bi, b) in binaries.iter().enumerate() {
        let Some(m) = &b.module else { continue };
        let si = site_of[b.site_packages.as_path()];
        let top = m.split('.').next().unwrap_or(m);
        let here_namespace = tops.get(si).is_some_and(|t| !t.regular.contains(top));
        // A regular package or module of the same top-level name earlier on the path (or
        // anywhere, when this one is only a namespace portion) wins the import.
        let by_top = tops
            .iter()
            .enumerate()
            .find(|(i, t)| *i != si && t.regular.contains(top) && (*i < si || here_namespace));
        if let Some((i, _)) = by_top {
            shadows.push((bi, sites[i].join(top)));
            continue;
        }
        let w = winner[m];
        if w.2 != bi {
            shadows.push((bi, binaries[w.2].path.clone()));
        }
    }
    for (bi, by) in shadows {
        let b = &mut binaries[bi];
        b.shadowed = true;
        problems.push(
            DistError::Shadowed {
                path: b.path.clone(),
                module: b.module.clone().unwrap_or_default(),
                by,
            }
            .into(),
        );
    }
}

/// `.so`, `.so.N`, `.pyd`, `.dylib`, `.dll`.
fn is_binary_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".so")
        || lower.ends_with(".pyd")
        || lower.ends_with(".dylib")
        || lower.ends_with(".dll")
        || lower.contains(".so.")
}

/// Dotted module name of an extension module from its path relative to the site directory.
/// None for shared libraries and files under non-importable directories (`numpy.libs/`,
/// `.dylibs/`, `foo-1.0.data/`).
pub fn module_name_from_relative(rel: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let comps: Vec<Component> = rel.components().collect();
    let (last, dirs) = comps.split_last()?;
    for c in dirs {
        let Component::Normal(s) = c else {
            return None;
        };
        let s = s.to_str()?;
        if !is_identifier(s) {
            return None;
        }
        parts.push(s.to_string());
    }
    let Component::Normal(file) = last else {
        return None;
    };
    let file = file.to_str()?;
    let lower = file.to_ascii_lowercase();
    if !(lower.ends_with(".so") || lower.ends_with(".pyd")) {
        return None;
    }
    let (stem, _) = file.split_once('.')?;
    if !is_identifier(stem) {
        return None;
    }
    parts.push(stem.to_string());
    Some(parts.join("."))
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// The file is a binary (ELF/Mach-O/PE magic): its size. Not one: None.
fn sniff_file(path: &Path) -> std::io::Result<Option<u64>> {
    let f = fs::File::open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Ok(None);
    }
    let mut head = Vec::with_capacity(4);
    f.take(4).read_to_end(&mut head)?;
    Ok(crate::binary::sniff(&head).map(|_| meta.len()))
}

/// Every file with a binary-looking name under `site`, never following directory symlinks (loop
/// safe; a symlinked file is kept when it points to a file). Metadata directories and
/// `__pycache__` are skipped. Directories are read in parallel (rayon scope per directory), which
/// balances trees where one package holds most of the files.
fn walk_binaries(site: &Path) -> (Vec<PathBuf>, Vec<Problem>) {
    let found = std::sync::Mutex::new((Vec::new(), Vec::new()));
    rayon::scope(|scope| walk_dir(scope, site.to_path_buf(), 0, &found));
    found.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Deeper than this is not a real package tree.
const MAX_DEPTH: usize = 64;

type Found = std::sync::Mutex<(Vec<PathBuf>, Vec<Problem>)>;

fn walk_dir<'s>(scope: &rayon::Scope<'s>, dir: PathBuf, depth: usize, found: &'s Found) {
    let push_problem = |p: Problem| {
        if let Ok(mut g) = found.lock() {
            g.1.push(p);
        }
    };
    if depth > MAX_DEPTH {
        push_problem(
            DistError::Walk {
                path: dir,
                reason: format!("deeper than {MAX_DEPTH} levels, not scanned further"),
            }
            .into(),
        );
        return;
    }
    let rd = match fs::read_dir(&dir) {
        Ok(rd) => rd,
        Err(e) => {
            // The site directory itself is reported by the metadata pass.
            if depth > 0 {
                push_problem(
                    DistError::Io {
                        path: dir,
                        source: e,
                    }
                    .into(),
                );
            }
            return;
        }
    };
    let mut files = Vec::new();
    let mut probs = Vec::new();
    for entry in rd {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                probs.push(
                    DistError::Io {
                        path: dir.clone(),
                        source: e,
                    }
                    .into(),
                );
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
            scope.spawn(move |s| walk_dir(s, sub, depth + 1, found));
        } else if (ft.is_file() || ft.is_symlink()) && is_binary_name(&name) {
            let path = entry.path();
            if ft.is_symlink() && !path.is_file() {
                probs.push(
                    DistError::Walk {
                        path,
                        reason: "symlink to nothing, or a symlink loop".into(),
                    }
                    .into(),
                );
                continue;
            }
            files.push(path);
        }
    }
    if !files.is_empty() || !probs.is_empty() {
        if let Ok(mut g) = found.lock() {
            g.0.extend(files);
            g.1.extend(probs);
        }
    }
}

/// Read a file as text: lossy for non-UTF-8 (with a problem), None when missing, a problem when
/// unreadable.
fn read_text(path: &Path, problems: &mut Vec<Problem>) -> Option<String> {
    match fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => Some(s),
            Err(e) => {
                problems.push(
                    DistError::NotUtf8 {
                        path: path.to_path_buf(),
                    }
                    .into(),
                );
                Some(String::from_utf8_lossy(e.as_bytes()).into_owned())
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            problems.push(
                DistError::Io {
                    path: path.to_path_buf(),
                    source,
                }
                .into(),
            );
            None
        }
    }
}

/// Email-style headers (METADATA, PKG-INFO): (lowercased key, value) pairs until the first empty
/// line; continuation lines are joined. Lines that are not headers are counted.
fn parse_headers(text: &str) -> (Vec<(String, String)>, usize) {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut bad = 0;
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.1.push('\n');
                last.1.push_str(line.trim());
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v))
                if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
            {
                out.push((k.to_ascii_lowercase(), v.trim().to_string()))
            }
            _ => bad += 1,
        }
    }
    (out, bad)
}

/// `scipy-1.11.4.dist-info` → ("scipy", "1.11.4"); `numpy-1.26.4-py3.11.egg-info` → ("numpy",
/// "1.26.4").
fn name_version_from_dir(path: &Path) -> (String, String) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".dist-info")
        .or_else(|| name.strip_suffix(".egg-info"))
        .unwrap_or(&name);
    let mut parts = stem.splitn(3, '-');
    let n = parts.next().unwrap_or_default().to_string();
    let v = parts.next().unwrap_or_default().to_string();
    (n, v)
}

fn read_distribution(
    site: &Path,
    path: &Path,
    kind: MetaKind,
    problems: &mut Vec<Problem>,
) -> Distribution {
    let meta_file = match kind {
        MetaKind::DistInfo => path.join("METADATA"),
        MetaKind::EggInfoDir => path.join("PKG-INFO"),
        MetaKind::EggInfoFile => path.to_path_buf(),
    };
    let text = read_text(&meta_file, problems);
    if text.is_none() && !problems.iter().any(|p| p.path == meta_file) {
        problems.push(
            DistError::Io {
                path: meta_file.clone(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "missing"),
            }
            .into(),
        );
    }
    let (headers, bad) = parse_headers(text.as_deref().unwrap_or(""));
    let get = |k: &str| {
        headers
            .iter()
            .find(|(hk, _)| hk == k)
            .map(|(_, v)| v.clone())
    };
    let (dir_name, dir_version) = name_version_from_dir(path);
    let name = get("name").filter(|n| !n.is_empty()).unwrap_or_else(|| {
        if text.is_some() {
            problems.push(
                DistError::MissingField {
                    path: meta_file.clone(),
                    field: "Name",
                    fallback: dir_name.clone(),
                }
                .into(),
            );
        }
        dir_name.clone()
    });
    let version = get("version").filter(|v| !v.is_empty()).unwrap_or_else(|| {
        if text.is_some() {
            problems.push(
                DistError::MissingField {
                    path: meta_file.clone(),
                    field: "Version",
                    fallback: dir_version.clone(),
                }
                .into(),
            );
        }
        dir_version.clone()
    });
    if bad > 0 && text.is_some() {
        problems.push(
            DistError::Line {
                path: meta_file.clone(),
                line: 0,
                reason: format!("{bad} line(s) in the header block are not `Key: value`"),
            }
            .into(),
        );
    }

    let mut requires = Vec::new();
    let mut files = Vec::new();
    let mut wheel_tags = Vec::new();
    let mut installer = None;
    let mut direct_url = None;
    let mut source_build = false;
    match kind {
        MetaKind::DistInfo => {
            let reqs: Vec<&String> = headers
                .iter()
                .filter(|(k, _)| k == "requires-dist")
                .map(|(_, v)| v)
                .collect();
            for (i, line) in reqs.into_iter().enumerate() {
                push_requirement(line, None, &meta_file, i + 1, &mut requires, problems);
            }
            let record = path.join("RECORD");
            match read_text(&record, problems) {
                Some(text) => files = parse_record(&text, site, &record, problems),
                None => {
                    if !problems.iter().any(|p| p.path == record) {
                        problems.push(DistError::NoRecord { path: record }.into());
                    }
                }
            }
            if let Some(text) = read_text(&path.join("WHEEL"), problems) {
                let (h, _) = parse_headers(&text);
                wheel_tags = h
                    .into_iter()
                    .filter(|(k, _)| k == "tag")
                    .map(|(_, v)| v)
                    .collect();
            }
            installer = read_text(&path.join("INSTALLER"), problems)
                .and_then(|t| t.lines().next().map(|l| l.trim().to_string()))
                .filter(|s| !s.is_empty());
            let du = path.join("direct_url.json");
            if let Some(text) = read_text(&du, problems) {
                match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(v) => {
                        direct_url = v.get("url").and_then(|u| u.as_str()).map(str::to_string);
                        let url = direct_url.as_deref().unwrap_or("");
                        source_build = v.get("vcs_info").is_some()
                            || v.get("dir_info").is_some()
                            || (v.get("archive_info").is_some()
                                && [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz"]
                                    .iter()
                                    .any(|s| url.ends_with(s)));
                    }
                    Err(e) => problems.push(
                        DistError::Json {
                            path: du,
                            reason: e.to_string(),
                        }
                        .into(),
                    ),
                }
            }
        }
        MetaKind::EggInfoDir => {
            let req_file = path.join("requires.txt");
            if let Some(text) = read_text(&req_file, problems) {
                parse_requires_txt(&text, &req_file, &mut requires, problems);
            }
            let list = path.join("installed-files.txt");
            if let Some(text) = read_text(&list, problems) {
                files = parse_file_list(&text, path, site, &list, problems);
            }
        }
        MetaKind::EggInfoFile => {}
    }

    let top_level = match kind {
        MetaKind::EggInfoFile => None,
        _ => read_text(&path.join("top_level.txt"), problems),
    }
    .map(|t| {
        let mut v: Vec<String> = t
            .lines()
            .map(|l| l.trim().replace('/', "."))
            .filter(|l| !l.is_empty())
            .collect();
        v.sort();
        v.dedup();
        v
    })
    .unwrap_or_else(|| top_level_from_files(&files, site));

    let linux_tag = wheel_tags.iter().any(|t| {
        t.rsplit('-')
            .next()
            .is_some_and(|plat| plat.split('.').any(|p| p.starts_with("linux_")))
    });
    let pure = !wheel_tags.is_empty() && wheel_tags.iter().all(|t| t.ends_with("-any"));
    let built_locally = linux_tag || (source_build && !pure);

    Distribution {
        normalized: normalize_name(&name),
        name,
        version,
        site_packages: site.to_path_buf(),
        metadata_dir: path.to_path_buf(),
        requires,
        wheel_tags,
        built_locally,
        installer,
        direct_url,
        requires_python: get("requires-python"),
        top_level,
        files,
    }
}

fn push_requirement(
    line: &str,
    section: Option<(&str, &str)>,
    file: &Path,
    lineno: usize,
    out: &mut Vec<Requirement>,
    problems: &mut Vec<Problem>,
) {
    match parse_requirement(line) {
        Ok((mut req, warning)) => {
            if let Some(w) = warning {
                problems.push(
                    DistError::Line {
                        path: file.to_path_buf(),
                        line: lineno,
                        reason: format!("requirement {line:?}: {w}"),
                    }
                    .into(),
                );
            }
            if let Some((extra, marker)) = section {
                let mut clauses = Vec::new();
                if let Some(m) = req.marker.take() {
                    clauses.push(format!("({m})"));
                }
                if !marker.is_empty() {
                    clauses.push(format!("({marker})"));
                }
                if !extra.is_empty() {
                    clauses.push(format!("extra == \"{extra}\""));
                    req.extra = Some(normalize_name(extra));
                }
                if !clauses.is_empty() {
                    req.marker = Some(clauses.join(" and "));
                }
            }
            out.push(req)
        }
        Err(reason) => problems.push(
            DistError::Line {
                path: file.to_path_buf(),
                line: lineno,
                reason: format!("requirement {line:?} ignored: {reason}"),
            }
            .into(),
        ),
    }
}

/// setuptools' requires.txt: requirement lines, `[extra]`, `[:marker]`, `[extra:marker]`.
fn parse_requires_txt(
    text: &str,
    file: &Path,
    out: &mut Vec<Requirement>,
    problems: &mut Vec<Problem>,
) {
    let mut section = String::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.trim().to_string();
            continue;
        }
        let (extra, marker) = section.split_once(':').unwrap_or((section.as_str(), ""));
        let sec = (!section.is_empty()).then_some((extra.trim(), marker.trim()));
        push_requirement(line, sec, file, i + 1, out, problems);
    }
}

/// Resolve one recorded path against `base`; None (with a problem) when it leaves `site` and is
/// not inside the environment prefix.
fn resolve_recorded(
    entry: &str,
    base: &Path,
    site: &Path,
    prefix: Option<&Path>,
    file: &Path,
    line: usize,
    problems: &mut Vec<Problem>,
) -> Option<PathBuf> {
    let entry_fixed = entry.replace('\\', "/");
    let joined = base.join(&entry_fixed);
    // Fast path: a plain relative entry under an already-normalized base needs no work.
    let plain = !entry_fixed.starts_with('/')
        && !entry_fixed.contains(':')
        && !entry_fixed
            .split('/')
            .any(|c| c == ".." || c == "." || c.is_empty());
    if plain && base.starts_with(site) {
        return Some(joined);
    }
    let resolved = normalize(&joined);
    if resolved.starts_with(site) && !resolved.components().any(|c| c == Component::ParentDir) {
        return Some(resolved);
    }
    if let Some(prefix) = prefix {
        if resolved.starts_with(prefix) && !resolved.components().any(|c| c == Component::ParentDir)
        {
            return Some(resolved);
        }
    }
    problems.push(
        DistError::Escapes {
            path: file.to_path_buf(),
            line,
            entry: entry.to_string(),
            root: prefix.unwrap_or(site).to_path_buf(),
        }
        .into(),
    );
    None
}

/// RECORD: CSV `path,hash,size`, paths relative to the site directory.
fn parse_record(text: &str, site: &Path, file: &Path, problems: &mut Vec<Problem>) -> Vec<PathBuf> {
    let prefix = crate::paths::prefix_from_site_dir(site).map(|(p, _)| p);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry = match csv_first_field(line) {
            Ok(e) => e,
            Err(reason) => {
                problems.push(
                    DistError::Line {
                        path: file.to_path_buf(),
                        line: i + 1,
                        reason,
                    }
                    .into(),
                );
                continue;
            }
        };
        if entry.is_empty() || entry.contains('\0') {
            continue;
        }
        if let Some(p) =
            resolve_recorded(&entry, site, site, prefix.as_deref(), file, i + 1, problems)
        {
            out.push(p);
        }
    }
    out
}

/// installed-files.txt: one path per line, relative to the egg-info directory.
fn parse_file_list(
    text: &str,
    egg_info: &Path,
    site: &Path,
    file: &Path,
    problems: &mut Vec<Problem>,
) -> Vec<PathBuf> {
    let prefix = crate::paths::prefix_from_site_dir(site).map(|(p, _)| p);
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.contains('\0'))
        .filter_map(|(i, l)| {
            resolve_recorded(
                l.trim(),
                egg_info,
                site,
                prefix.as_deref(),
                file,
                i + 1,
                problems,
            )
        })
        .collect()
}

/// The first field of a CSV line (RFC 4180 quoting, as Python's csv module writes it).
fn csv_first_field(line: &str) -> Result<String, String> {
    let Some(rest) = line.strip_prefix('"') else {
        return Ok(line.split(',').next().unwrap_or("").to_string());
    };
    let mut out = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                out.push('"');
            } else {
                return Ok(out);
            }
        } else {
            out.push(c);
        }
    }
    Err("unterminated quoted field".to_string())
}

/// Import names from the installed files: top-level packages and modules.
fn top_level_from_files(files: &[PathBuf], site: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in files {
        let Ok(rel) = f.strip_prefix(site) else {
            continue;
        };
        let mut comps = rel.components();
        let Some(Component::Normal(first)) = comps.next() else {
            continue;
        };
        let Some(first) = first.to_str() else {
            continue;
        };
        let name = if comps.next().is_some() {
            is_identifier(first).then(|| first.to_string())
        } else if first.ends_with(".pth") {
            None
        } else {
            module_file_stem(first)
                .filter(|s| *s != "__init__")
                .map(str::to_string)
        };
        if let Some(n) = name {
            if n != "__pycache__" && !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{find_numpy, numpy_version_file};
    use std::os::unix::fs::symlink;

    const ELF: &[u8] = b"\x7fELF\x02\x01\x01\0 not really but the magic is there";

    fn write(p: &Path, data: impl AsRef<[u8]>) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, data).unwrap();
    }

    fn dist_info(
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

    /// A site-packages shaped like a real one: numpy and scipy wheels from PyPI, a pandas without
    /// RECORD, a corrupt METADATA, an egg-info, stray binaries, a symlink loop, a hostile RECORD.
    fn real_shaped(root: &Path) -> PathBuf {
        let site = root.join("lib/python3.11/site-packages");
        dist_info(
            &site,
            "numpy-1.26.4.dist-info",
            "Metadata-Version: 2.1\nName: numpy\nVersion: 1.26.4\nSummary: Fundamental package for array computing in Python\nRequires-Python: >=3.9\nDescription-Content-Type: text/markdown\n\n# NumPy\nName: not-a-header\n",
            Some("Wheel-Version: 1.0\nGenerator: meson\nRoot-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_17_x86_64\nTag: cp311-cp311-manylinux2014_x86_64\n"),
            Some("../../../bin/f2py,sha256=abc,123\nnumpy-1.26.4.dist-info/METADATA,,\nnumpy/__init__.py,sha256=x,1\nnumpy/version.py,,\nnumpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so,sha256=y,2\nnumpy.libs/libopenblas64_p-r0-0cf96a72.3.23.dev.so,,\nnumpy.libs/libgfortran-040039e1.so.5.0.0,,\nnumpy/core/__pycache__/x.cpython-311.pyc,,\n"),
        );
        write(&site.join("numpy-1.26.4.dist-info/INSTALLER"), "pip\n");
        write(&site.join("numpy/__init__.py"), "");
        write(&site.join("numpy/version.py"), "\"\"\"\nModule to expose more detailed version info\n\"\"\"\nversion = \"1.26.4\"\n__version__ = version\nfull_version = version\nshort_version = version.split(\"+\")[0]\n");
        write(
            &site.join("numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"),
            ELF,
        );
        write(
            &site.join("numpy.libs/libopenblas64_p-r0-0cf96a72.3.23.dev.so"),
            ELF,
        );
        write(&site.join("numpy.libs/libgfortran-040039e1.so.5.0.0"), ELF);

        dist_info(
            &site,
            "scipy-1.11.4.dist-info",
            "Metadata-Version: 2.1\nName: scipy\nVersion: 1.11.4\nRequires-Python: >=3.9\nRequires-Dist: numpy<1.28.0,>=1.21.6\nRequires-Dist: pytest ; extra == 'test'\nRequires-Dist: foo_ >= 1\nProvides-Extra: test\n\nSciPy\n",
            Some("Wheel-Version: 1.0\nGenerator: meson\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n"),
            Some("scipy/__init__.py,,\nscipy/linalg/_fblas.cpython-311-x86_64-linux-gnu.so,,\n\"scipy/odd,name.py\",,\n../../../../../../../../etc/passwd,,\n/etc/shadow,,\nscipy/missing.cpython-311-x86_64-linux-gnu.so,,\n"),
        );
        write(&site.join("scipy/__init__.py"), "");
        write(
            &site.join("scipy/linalg/_fblas.cpython-311-x86_64-linux-gnu.so"),
            ELF,
        );
        write(
            &site.join("scipy-1.11.4.dist-info/direct_url.json"),
            "{\"url\": \"file:///src/scipy\", \"dir_info\": {}}",
        );

        dist_info(
            &site,
            "pandas-2.1.4.dist-info",
            "Metadata-Version: 2.1\nName: pandas\nVersion: 2.1.4\nRequires-Dist: numpy<2,>=1.22.4; python_version < \"3.11\"\nRequires-Dist: numpy<2,>=1.23.2; python_version == \"3.11\"\nRequires-Dist: numpy<2,>=1.26.0; python_version >= \"3.12\"\n",
            None,
            None,
        );
        write(
            &site.join("pandas-2.1.4.dist-info/top_level.txt"),
            "pandas\n",
        );
        dist_info(
            &site,
            "broken-1.0.dist-info",
            "",
            None,
            Some("broken/x.py,,\n"),
        );
        write(
            &site.join("broken-1.0.dist-info/METADATA"),
            b"\x00\xff\xfe\x89PNG\r\n\x1a\n\xde\xad\xbe\xef garbage\n",
        );
        write(
            &site.join("latin-2.0.dist-info/METADATA"),
            b"Name: latin\nVersion: 2.0\nAuthor: Jos\xe9\n",
        );
        fs::create_dir_all(site.join("dirmeta-1.0.dist-info/METADATA")).unwrap();
        write(
            &site.join("badjson-1.0.dist-info/METADATA"),
            "Name: badjson\nVersion: 1.0\n",
        );
        write(
            &site.join("badjson-1.0.dist-info/RECORD"),
            "badjson.py,,\n\"unterminated,,\n",
        );
        write(
            &site.join("badjson-1.0.dist-info/direct_url.json"),
            "{not json",
        );

        // egg-info directory and file
        let egg = site.join("oldpkg-0.1-py3.11.egg-info");
        write(
            &egg.join("PKG-INFO"),
            "Metadata-Version: 1.1\nName: oldpkg\nVersion: 0.1\n",
        );
        write(
            &egg.join("requires.txt"),
            "numpy>=1.16\n\n[test]\npytest\n\n[:python_version < \"3.8\"]\nimportlib-metadata\n",
        );
        write(
            &egg.join("installed-files.txt"),
            "../oldpkg/__init__.py\n../oldpkg/_c.so\nPKG-INFO\n",
        );
        write(&site.join("oldpkg/__init__.py"), "");
        write(&site.join("oldpkg/_c.so"), ELF);
        write(
            &site.join("single-1.0-py3.11.egg-info"),
            "Metadata-Version: 1.0\nName: single\nVersion: 1.0\n",
        );

        // unlisted binaries, a fake one, symlink loops
        write(&site.join("stray/_x.cpython-311-x86_64-linux-gnu.so"), ELF);
        write(&site.join("_top.abi3.so"), ELF);
        write(&site.join("notbin.so"), "just text");
        symlink(".", site.join("loop")).unwrap();
        symlink("selfloop.so", site.join("selfloop.so")).unwrap();
        symlink(
            "stray/_x.cpython-311-x86_64-linux-gnu.so",
            site.join("alias.so"),
        )
        .unwrap();
        site
    }

    #[test]
    fn inventory_of_a_real_shaped_site() {
        let t = tempfile::tempdir().unwrap();
        let site = real_shaped(t.path());
        let inv = inventory(std::slice::from_ref(&site));
        let by = |n: &str| {
            inv.distributions
                .iter()
                .find(|d| d.normalized == n)
                .unwrap()
        };
        let names: Vec<&str> = inv
            .distributions
            .iter()
            .map(|d| d.normalized.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "badjson", "broken", "dirmeta", "latin", "numpy", "oldpkg", "pandas", "scipy",
                "single"
            ]
        );

        let numpy = by("numpy");
        assert_eq!(numpy.version, "1.26.4");
        assert_eq!(numpy.requires_python.as_deref(), Some(">=3.9"));
        assert_eq!(numpy.installer.as_deref(), Some("pip"));
        assert_eq!(numpy.wheel_tags.len(), 2);
        assert!(!numpy.built_locally);
        assert_eq!(numpy.top_level, ["numpy"]);
        assert!(
            numpy.files.contains(&t.path().join("bin/f2py")),
            "scripts inside the prefix are kept"
        );
        assert!(numpy.files.contains(&site.join("numpy/__init__.py")));

        let scipy = by("scipy");
        assert!(scipy.built_locally, "linux_x86_64 tag");
        assert_eq!(scipy.direct_url.as_deref(), Some("file:///src/scipy"));
        assert_eq!(scipy.requires.len(), 3);
        assert_eq!(scipy.requires[0].specifier, "<1.28.0,>=1.21.6");
        assert_eq!(scipy.requires[1].extra.as_deref(), Some("test"));
        assert_eq!(scipy.requires[2].name, "foo_");
        assert!(scipy.files.contains(&site.join("scipy/odd,name.py")));
        assert!(
            scipy.files.iter().all(|f| f.starts_with(t.path())),
            "{:?}",
            scipy.files
        );
        assert!(inv
            .problems
            .iter()
            .any(|p| p.message.contains("etc/passwd") && p.message.contains("outside")));
        assert!(inv
            .problems
            .iter()
            .any(|p| p.message.contains("/etc/shadow")));
        assert!(inv.problems.iter().any(|p| p.message.contains("foo_")));

        let pandas = by("pandas");
        assert_eq!(pandas.requires[1].specifier, "<2,>=1.23.2");
        assert_eq!(
            pandas.requires[1].marker.as_deref(),
            Some("python_version == \"3.11\"")
        );
        let applying: Vec<&str> = pandas
            .requires
            .iter()
            .filter(|r| {
                marker_applies(
                    r.marker.as_deref().unwrap_or(""),
                    "3.11.7",
                    &Platform::linux_x86_64(),
                ) == Some(true)
            })
            .map(|r| r.specifier.as_str())
            .collect();
        assert_eq!(applying, ["<2,>=1.23.2"]);
        assert!(pandas.files.is_empty());
        assert!(inv
            .problems
            .iter()
            .any(|p| p.path == site.join("pandas-2.1.4.dist-info/RECORD")));
        assert_eq!(pandas.top_level, ["pandas"]);

        let broken = by("broken");
        assert_eq!(broken.version, "1.0", "falls back to the directory name");
        assert!(inv
            .problems
            .iter()
            .any(|p| p.path == site.join("broken-1.0.dist-info/METADATA")));
        assert_eq!(broken.top_level, ["broken"], "derived from RECORD");
        assert_eq!(by("latin").version, "2.0");
        assert!(inv
            .problems
            .iter()
            .any(|p| p.path == site.join("latin-2.0.dist-info/METADATA")
                && p.message.contains("UTF-8")));
        assert!(inv
            .problems
            .iter()
            .any(|p| p.path == site.join("dirmeta-1.0.dist-info/METADATA")));
        assert!(inv
            .problems
            .iter()
            .any(|p| p.path == site.join("badjson-1.0.dist-info/direct_url.json")));
        assert!(inv
            .problems
            .iter()
            .any(|p| p.path == site.join("badjson-1.0.dist-info/RECORD")
                && p.message.contains("line 2")));

        let old = by("oldpkg");
        assert_eq!(old.version, "0.1");
        assert_eq!(old.requires.len(), 3);
        assert_eq!(old.requires[1].extra.as_deref(), Some("test"));
        assert_eq!(
            old.requires[2].marker.as_deref(),
            Some("(python_version < \"3.8\")")
        );
        assert_eq!(old.top_level, ["oldpkg"]);
        assert_eq!(by("single").version, "1.0");

        // Binaries.
        let bin = |rel: &str| inv.binaries.iter().find(|b| b.path == site.join(rel));
        let umath = bin("numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so").unwrap();
        assert_eq!(
            umath.module.as_deref(),
            Some("numpy.core._multiarray_umath")
        );
        assert_eq!(
            umath
                .distribution
                .map(|i| inv.distributions[i].normalized.as_str()),
            Some("numpy")
        );
        assert_eq!(umath.size, ELF.len() as u64);
        assert!(!umath.shadowed);
        let blas = bin("numpy.libs/libopenblas64_p-r0-0cf96a72.3.23.dev.so").unwrap();
        assert_eq!(blas.module, None);
        assert!(blas.distribution.is_some());
        assert_eq!(
            bin("numpy.libs/libgfortran-040039e1.so.5.0.0")
                .unwrap()
                .module,
            None
        );
        assert_eq!(
            bin("oldpkg/_c.so").unwrap().module.as_deref(),
            Some("oldpkg._c")
        );
        assert!(bin("oldpkg/_c.so").unwrap().distribution.is_some());
        let stray = bin("stray/_x.cpython-311-x86_64-linux-gnu.so").unwrap();
        assert_eq!(
            (stray.distribution, stray.module.as_deref()),
            (None, Some("stray._x"))
        );
        assert_eq!(bin("_top.abi3.so").unwrap().module.as_deref(), Some("_top"));
        assert!(bin("alias.so").is_some(), "file symlinks are kept");
        assert!(bin("notbin.so").is_none(), "no magic, not a binary");
        assert!(bin("selfloop.so").is_none());
        assert!(inv
            .problems
            .iter()
            .any(|p| p.path == site.join("selfloop.so")));
        assert!(inv
            .problems
            .iter()
            .any(|p| p.path == site.join("scipy/missing.cpython-311-x86_64-linux-gnu.so")));
        assert!(!inv
            .binaries
            .iter()
            .any(|b| b.path.starts_with(site.join("loop"))));
        // The problems name files.
        for p in &inv.problems {
            assert!(
                p.message.starts_with(&p.path.display().to_string()),
                "{p:?}"
            );
        }

        // NumPy.
        let np = find_numpy(&inv, std::slice::from_ref(&site)).unwrap();
        assert_eq!(np.version, "1.26.4");
        assert_eq!(np.version_file_version.as_deref(), Some("1.26.4"));
        assert_eq!(np.path, site.join("numpy"));
        assert_eq!(
            np.distribution
                .map(|i| inv.distributions[i].normalized.as_str()),
            Some("numpy")
        );
        assert!(np.others.is_empty());
    }

    #[test]
    fn two_numpy_copies_and_shadowing() {
        let t = tempfile::tempdir().unwrap();
        let user = t.path().join("user/lib/python3.11/site-packages");
        let site = t.path().join("env/lib/python3.11/site-packages");
        // An old numpy in the user site (versioneer era) shadows the env's numpy 2.
        write(&user.join("numpy/__init__.py"), "");
        write(&user.join("numpy/version.py"), "from ._version import get_versions\nvinfo: dict[str, str] = get_versions()\nversion = vinfo[\"version\"]\n");
        write(
            &user.join("numpy/_version.py"),
            "version_json = '''\n{\n \"date\": \"2023-06-25\",\n \"version\": \"1.24.4\"\n}\n'''\n",
        );
        write(
            &user.join("numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"),
            ELF,
        );
        write(&user.join("dup.cpython-311-x86_64-linux-gnu.so"), ELF);
        write(&user.join("dup.abi3.so"), ELF);
        write(&site.join("numpy/__init__.py"), "");
        write(
            &site.join("numpy/version.py"),
            "version: str = \"2.0.1\"\n__version__ = version\n",
        );
        write(
            &site.join("numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"),
            ELF,
        );
        write(
            &site.join("numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"),
            ELF,
        );
        dist_info(
            &site,
            "numpy-2.0.1.dist-info",
            "Name: numpy\nVersion: 2.0.1\n",
            None,
            Some("numpy/__init__.py,,\nnumpy/version.py,,\n"),
        );
        // Namespace package portions in both: the first wins per module.
        write(&user.join("google/_upb/_message.abi3.so"), ELF);
        write(&site.join("google/_upb/_message.abi3.so"), ELF);
        write(&site.join("google/_upb/other.abi3.so"), ELF);

        let sites = [user.clone(), site.clone()];
        let inv = inventory(&sites);
        let b = |p: PathBuf| inv.binaries.iter().find(|b| b.path == p).unwrap();
        assert!(
            !b(user.join("numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so")).shadowed
        );
        assert!(
            b(site.join("numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so")).shadowed
        );
        assert!(
            b(site.join("numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so")).shadowed,
            "whole package shadowed"
        );
        assert!(!b(user.join("dup.cpython-311-x86_64-linux-gnu.so")).shadowed);
        assert!(
            b(user.join("dup.abi3.so")).shadowed,
            "cpython suffix wins in the same directory"
        );
        assert!(!b(user.join("google/_upb/_message.abi3.so")).shadowed);
        assert!(b(site.join("google/_upb/_message.abi3.so")).shadowed);
        assert!(
            !b(site.join("google/_upb/other.abi3.so")).shadowed,
            "namespace portions merge"
        );
        assert!(inv
            .problems
            .iter()
            .any(|p| p.message.contains("shadowed by")));

        let np = find_numpy(&inv, &sites).unwrap();
        assert_eq!(np.path, user.join("numpy"));
        assert_eq!(np.version, "1.24.4");
        assert_eq!(np.distribution, None);
        assert_eq!(
            np.others,
            vec![(site.join("numpy"), Some("2.0.1".to_string()))]
        );
        assert_eq!(
            numpy_version_file(&site.join("numpy")).as_deref(),
            Some("2.0.1")
        );
        assert!(find_numpy(&inv, &[t.path().to_path_buf()]).is_none());
    }

    #[test]
    fn module_names() {
        let m = |p: &str| module_name_from_relative(Path::new(p));
        assert_eq!(
            m("a/b/_c.cpython-311-x86_64-linux-gnu.so").as_deref(),
            Some("a.b._c")
        );
        assert_eq!(m("a/_c.cp311-win_amd64.pyd").as_deref(), Some("a._c"));
        assert_eq!(m("a/_c.cpython-39-darwin.so").as_deref(), Some("a._c"));
        assert_eq!(m("_c.abi3.so").as_deref(), Some("_c"));
        assert_eq!(m("x.pyd").as_deref(), Some("x"));
        assert_eq!(m("numpy/.dylibs/libgfortran.5.dylib"), None);
        assert_eq!(m("scipy.libs/libopenblas.so"), None);
        assert_eq!(m("foo-1.0.data/platlib/x.so"), None);
        assert_eq!(m("a/libz.so.1"), None);
        assert_eq!(m("../x.so"), None);
    }

    #[test]
    fn unreadable_site_dir_is_a_problem() {
        let t = tempfile::tempdir().unwrap();
        let missing = t.path().join("nope");
        let inv = inventory(std::slice::from_ref(&missing));
        assert!(inv.distributions.is_empty());
        assert_eq!(inv.problems.len(), 1);
        assert_eq!(inv.problems[0].path, missing);
    }

    /// `cargo test --release -- --ignored --nocapture real_site_packages`: timing on a real tree.
    #[test]
    #[ignore]
    fn real_site_packages_timing() {
        let site = std::env::var_os("ABI_DOCTOR_SITE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                let py = crate::test_support::find_python("3.11.7").unwrap();
                py.parent()
                    .unwrap()
                    .parent()
                    .unwrap()
                    .join("lib/python3.11/site-packages")
            });
        for _ in 0..3 {
            let start = std::time::Instant::now();
            let inv = inventory(std::slice::from_ref(&site));
            let files: usize = inv.distributions.iter().map(|d| d.files.len()).sum();
            eprintln!(
                "{}: {} distributions, {} recorded files, {} binaries, {} problems in {:?}",
                site.display(),
                inv.distributions.len(),
                files,
                inv.binaries.len(),
                inv.problems.len(),
                start.elapsed()
            );
            for p in inv.problems.iter().take(5) {
                eprintln!("  {}", p.message);
            }
        }
    }
}
