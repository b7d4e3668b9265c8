//! Installed distributions: `*.dist-info` (PEP 376/427/610/627) and `*.egg-info`, which files
//! each owns, and the files nobody owns.
//!
//! Everything is read as data: nothing in the scanned environment is imported, executed or
//! written. What is wrong or notable in the input (corrupt or non-UTF-8 METADATA, unreadable
//! files, RECORD entries pointing outside the environment, symlink loops, shadowed modules)
//! becomes a typed [`Diagnostic`] naming the file, and the scan goes on.
//!
//! One file per format: `metadata` (METADATA/PKG-INFO), `record` (RECORD), `wheel_file` (WHEEL),
//! `direct_url` (direct_url.json), `egg_info`; `walk` finds compiled files, `diagnostics` says
//! what was wrong. Module names and shadowing are [`names`].

mod diagnostics;
mod direct_url;
mod egg_info;
mod inputs;
mod marker;
mod metadata;
pub mod names;
mod record;
mod requirement;
#[cfg(test)]
pub(crate) mod test_support;
mod walk;
mod wheel_file;

use crate::paths::normalize;
use names::{mark_shadowed, module_name_from_relative, top_level_from_files, TopNames};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use diagnostics::read_text;
pub use diagnostics::{Diagnostic, DiagnosticSeverity};
pub use inputs::Input;
pub(crate) use inputs::Inputs;
pub use marker::{marker_applies, Platform};
/// The pure parsers, for `crate::fuzzing`.
pub(crate) use metadata::parse_metadata;
pub(crate) use record::read_record;
pub use record::{parse_record_line, RecordEntry};
pub use requirement::{normalize_name, parse_requirement};

/// Everything installed in a list of site directories.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Inventory {
    /// Sorted by site directory order, then metadata directory name.
    pub distributions: Vec<Distribution>,
    /// Compiled files (sniffed: ELF, Mach-O or PE), sorted by site order then path.
    pub binaries: Vec<BinaryFile>,
    /// What was wrong or notable in the input, each naming its file; see [`Diagnostic`].
    pub diagnostics: Vec<Diagnostic>,
    /// Python source modules found by the walk, for the import graph (not serialized).
    #[serde(skip)]
    pub sources: SourceIndex,
    /// What this inventory read, when it can be remembered ([`inventory_remembered`]).
    #[serde(skip)]
    pub record: Option<InputRecord>,
}

/// The site directories an inventory was taken of, and every path it read with its stamp then.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputRecord {
    sites: Vec<PathBuf>,
    inputs: Vec<Input>,
}

impl InputRecord {
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// The stamp `path` had when it was read (`None`: not read by the inventory).
    pub fn stamp_of(&self, path: &Path) -> Option<crate::fsread::Stamp> {
        let i = self
            .inputs
            .binary_search_by(|i| i.path.as_path().cmp(path))
            .ok()?;
        self.inputs[i].stamp
    }
}

/// An inventory kept between runs (by `crate::scan::cache`), with its [`InputRecord`].
#[derive(Debug, Deserialize)]
pub struct Remembered {
    record: InputRecord,
    distributions: Vec<Distribution>,
    binaries: Vec<BinaryFile>,
    diagnostics: Vec<Diagnostic>,
    sources: SourceIndex,
}

/// [`Remembered`] borrowed from an [`Inventory`], for writing.
#[derive(Debug, Serialize)]
pub struct RememberedRef<'a> {
    record: &'a InputRecord,
    distributions: &'a [Distribution],
    binaries: &'a [BinaryFile],
    diagnostics: &'a [Diagnostic],
    sources: &'a SourceIndex,
}

impl Inventory {
    /// What to keep of this inventory for the next run (`None`: it cannot be remembered).
    pub fn remembered(&self) -> Option<RememberedRef<'_>> {
        Some(RememberedRef {
            record: self.record.as_ref()?,
            distributions: &self.distributions,
            binaries: &self.binaries,
            diagnostics: &self.diagnostics,
            sources: &self.sources,
        })
    }
}

/// Python source modules of the site directories, by dotted name: the file Python's path-based
/// finder would load (the first site directory that has it; within one directory a package's
/// `__init__.py` before a `NAME.py`, as `FileFinder` looks for a directory first). Built from the
/// walk the inventory does anyway, so the import graph asks no `stat` per candidate name.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SourceIndex {
    /// module -> (file, is a package, index of the site directory).
    modules: HashMap<String, (PathBuf, bool, usize)>,
}

impl SourceIndex {
    /// `(file, is_package)` of `module`, if a source file provides it.
    pub fn get(&self, module: &str) -> Option<(&Path, bool)> {
        self.modules
            .get(module)
            .map(|(p, pkg, _)| (p.as_path(), *pkg))
    }

    pub fn len(&self) -> usize {
        self.modules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// Add `path` found under `site` (index `si` in sys.path order).
    fn add(&mut self, site: &Path, si: usize, path: PathBuf) {
        let Some(rel) = crate::paths::strip_dir(&path, site) else {
            return;
        };
        let mut parts: Vec<&str> = Vec::new();
        for c in rel.components() {
            match c.as_os_str().to_str() {
                Some(s) => parts.push(s),
                None => return,
            }
        }
        let Some(last) = parts.pop() else { return };
        let Some(stem) = last.strip_suffix(".py") else {
            return;
        };
        let is_pkg = stem == "__init__";
        if !is_pkg {
            parts.push(stem);
        }
        if parts.is_empty()
            || !parts
                .iter()
                .all(|p| !p.is_empty() && !p.contains('.') && !p.contains('-'))
        {
            return;
        }
        let name = parts.join(".");
        match self.modules.get(&name) {
            Some((_, old_pkg, old_si))
                if *old_si < si || (*old_si == si && (*old_pkg || !is_pkg)) => {}
            _ => {
                self.modules.insert(name, (path, is_pkg, si));
            }
        }
    }
}

/// One installed distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// package elsewhere, or a preferred extension suffix in the same directory); a
    /// [`Diagnostic::Shadowed`] says which.
    pub shadowed: bool,
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
    take(&sites, &Inputs::off())
}

/// [`inventory`], reusing `old` when it is of the same site directories and every path it read
/// still has the same stamp (one `stat` each; see [`inputs`] for why that is safe). Otherwise the
/// inventory is taken anew, recording what it reads in [`Inventory::record`] (`None` when it
/// cannot be remembered). The flag says whether `old` was used.
pub fn inventory_remembered(
    env_site_packages: &[PathBuf],
    old: Option<Remembered>,
) -> (Inventory, bool) {
    remembered_with(env_site_packages, old, inputs::RECENT)
}

/// [`inventory_remembered`] with another horizon for recent changes (tests use zero).
pub(crate) fn remembered_with(
    env_site_packages: &[PathBuf],
    old: Option<Remembered>,
    recent: std::time::Duration,
) -> (Inventory, bool) {
    let sites: Vec<PathBuf> = env_site_packages.iter().map(|p| normalize(p)).collect();
    if let Some(old) =
        old.filter(|o| o.record.sites == sites && inputs::unchanged(&o.record.inputs))
    {
        let inventory = Inventory {
            distributions: old.distributions,
            binaries: old.binaries,
            diagnostics: old.diagnostics,
            sources: old.sources,
            record: Some(old.record),
        };
        return (inventory, true);
    }
    let started = std::time::SystemTime::now();
    let inputs = Inputs::recording();
    let mut inventory = take(&sites, &inputs);
    inventory.record = inputs
        .finish(started, recent)
        .map(|inputs| InputRecord { sites, inputs });
    (inventory, false)
}

/// The inventory of `sites` (normalized), noting what it reads in `inputs`.
fn take(sites: &[PathBuf], inputs: &Inputs) -> Inventory {
    let mut diagnostics: Vec<Diagnostic> = Vec::new();

    // 1. Metadata directories, and the top-level names of each site (for shadowing).
    let mut jobs: Vec<(usize, PathBuf, MetaKind)> = Vec::new();
    let mut tops: Vec<TopNames> = Vec::with_capacity(sites.len());
    for (si, site) in sites.iter().enumerate() {
        let mut names = TopNames::default();
        inputs.note(site);
        let rd = match fs::read_dir(site) {
            Ok(rd) => rd,
            Err(e) => {
                inputs.spoil();
                diagnostics.push(Diagnostic::Unreadable {
                    path: site.clone(),
                    reason: e.to_string(),
                });
                tops.push(names);
                continue;
            }
        };
        let mut entries: Vec<(String, PathBuf, bool)> = rd
            .flatten()
            .map(|e| {
                let path = e.path();
                // Whether a symlink leads to a directory is not in the listing's stamp.
                if e.file_type().map_or(true, |t| t.is_symlink()) {
                    inputs.note(&path);
                }
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
            } else {
                names.add(&name, &path, is_dir, inputs);
            }
        }
        tops.push(names);
    }

    // 2. Parse metadata in parallel.
    let parsed: Vec<(Distribution, Vec<Diagnostic>)> = jobs
        .par_iter()
        .map(|(si, path, kind)| {
            let mut diags = Vec::new();
            let d = read_distribution(&sites[*si], path, *kind, inputs, &mut diags);
            (d, diags)
        })
        .collect();
    let mut distributions = Vec::with_capacity(parsed.len());
    for (d, diags) in parsed {
        distributions.push(d);
        diagnostics.extend(diags);
    }

    // 3. Candidate binaries: from RECORDs, then from a walk of each site for unlisted ones.
    let site_index: HashMap<&Path, usize> = sites
        .iter()
        .enumerate()
        .rev()
        .map(|(i, s)| (s.as_path(), i))
        .collect();
    let site_of = |p: &Path| site_index.get(p).copied().unwrap_or(usize::MAX);
    let mut candidates: Vec<(PathBuf, usize, Option<usize>)> = Vec::new();
    let mut recorded: HashSet<&Path> = HashSet::new();
    for (di, d) in distributions.iter().enumerate() {
        let si = site_of(&d.site_packages);
        for f in &d.files {
            // The walk only returns binary-named files, so only those need remembering (hashing
            // every RECORD path was 8% of a check).
            if f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(walk::is_binary_name)
            {
                recorded.insert(f.as_path());
                candidates.push((f.clone(), si, Some(di)));
            }
        }
    }
    let walked: Vec<(Vec<PathBuf>, Vec<Diagnostic>, Vec<PathBuf>)> = sites
        .par_iter()
        .map(|site| walk::walk_binaries(site, inputs))
        .collect();
    let mut sources = SourceIndex::default();
    for (si, (files, diags, py)) in walked.into_iter().enumerate() {
        diagnostics.extend(diags);
        for f in py {
            sources.add(&sites[si], si, f);
        }
        for f in files {
            if !recorded.contains(f.as_path()) {
                candidates.push((f, si, None));
            }
        }
    }
    drop(recorded);

    // 4. Sniff the first bytes; keep real binaries.
    let checked: Vec<Result<Option<BinaryFile>, Diagnostic>> = candidates
        .into_par_iter()
        .filter_map(|(path, si, di)| sites.get(si).map(|site| (path, site, di)))
        .map(|(path, site, di)| {
            inputs.note(&path);
            let size = match walk::sniff_file(&path) {
                Ok(Some(size)) => size,
                Ok(None) => return Ok(None),
                Err(e) => {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        inputs.spoil();
                    }
                    return Err(match di {
                        Some(di) if e.kind() == std::io::ErrorKind::NotFound => {
                            Diagnostic::RecordedFileMissing {
                                path,
                                distribution: distributions[di].name.clone(),
                            }
                        }
                        _ => Diagnostic::Unreadable {
                            path,
                            reason: e.to_string(),
                        },
                    });
                }
            };
            let module = crate::paths::strip_dir(&path, site).and_then(module_name_from_relative);
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
            Err(d) => diagnostics.push(d),
        }
    }
    binaries.sort_by(|a, b| {
        (site_of(&a.site_packages), &a.path).cmp(&(site_of(&b.site_packages), &b.path))
    });
    binaries.dedup_by(|a, b| a.path == b.path);

    // 5. Shadowing.
    diagnostics.extend(mark_shadowed(&mut binaries, sites, &tops));

    Inventory {
        distributions,
        binaries,
        diagnostics,
        sources,
        record: None,
    }
}

/// One distribution from its metadata directory (or egg-info file), each format read by its
/// own module.
fn read_distribution(
    site: &Path,
    path: &Path,
    kind: MetaKind,
    inputs: &Inputs,
    diagnostics: &mut Vec<Diagnostic>,
) -> Distribution {
    let meta_file = match kind {
        MetaKind::DistInfo => path.join("METADATA"),
        MetaKind::EggInfoDir => path.join("PKG-INFO"),
        MetaKind::EggInfoFile => path.to_path_buf(),
    };
    let meta = metadata::read_metadata(&meta_file, path, inputs, diagnostics);

    let mut requires = Vec::new();
    let mut files = Vec::new();
    let mut wheel_tags = Vec::new();
    let mut installer = None;
    let mut direct_url = None;
    let mut source_build = false;
    match kind {
        MetaKind::DistInfo => {
            requires = meta.requires;
            let record = path.join("RECORD");
            let before = diagnostics.len();
            match read_text(&record, inputs, diagnostics) {
                Some(text) => files = record::read_record(&text, site, &record, diagnostics),
                // Missing, not unreadable (that was reported by read_text).
                None if diagnostics.len() == before => {
                    diagnostics.push(Diagnostic::MissingRecord {
                        dist_info: path.to_path_buf(),
                    })
                }
                None => {}
            }
            if let Some(text) = read_text(&path.join("WHEEL"), inputs, diagnostics) {
                wheel_tags = wheel_file::wheel_tags(&text);
            }
            installer = read_text(&path.join("INSTALLER"), inputs, diagnostics)
                .and_then(|t| t.lines().next().map(|l| l.trim().to_string()))
                .filter(|s| !s.is_empty());
            let du = path.join("direct_url.json");
            if let Some(text) = read_text(&du, inputs, diagnostics) {
                match direct_url::parse_direct_url(&text) {
                    Ok(d) => {
                        direct_url = d.url;
                        source_build = d.source_build;
                    }
                    Err(reason) => {
                        diagnostics.push(Diagnostic::CorruptDirectUrl { path: du, reason })
                    }
                }
            }
        }
        MetaKind::EggInfoDir => {
            (requires, files) = egg_info::read_egg_info(path, site, inputs, diagnostics);
        }
        MetaKind::EggInfoFile => {}
    }

    let top_level = match kind {
        MetaKind::EggInfoFile => None,
        _ => read_text(&path.join("top_level.txt"), inputs, diagnostics),
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

    Distribution {
        normalized: normalize_name(&meta.name),
        name: meta.name,
        version: meta.version,
        site_packages: site.to_path_buf(),
        metadata_dir: path.to_path_buf(),
        requires,
        built_locally: wheel_file::built_locally(&wheel_tags, source_build),
        wheel_tags,
        installer,
        direct_url,
        requires_python: meta.requires_python,
        top_level,
        files,
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{dist_info, write, ELF};
    use super::*;
    use crate::runtime::find_numpy;
    use std::os::unix::fs::symlink;

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
        let has = |d: &Diagnostic| inv.diagnostics.contains(d);
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
        let scipy_record = site.join("scipy-1.11.4.dist-info/RECORD");
        assert!(has(&Diagnostic::RecordEscapes {
            record: scipy_record.clone(),
            line: 4,
            entry: "../../../../../../../../etc/passwd".into(),
            root: t.path().to_path_buf(),
        }));
        assert!(inv.diagnostics.iter().any(|d| matches!(d,
            Diagnostic::RecordEscapes { record, entry, .. } if *record == scipy_record && entry == "/etc/shadow")));
        assert!(
            inv.diagnostics.iter().any(|d| matches!(d,
            Diagnostic::OddRequirement { requirement, line: 7, .. } if requirement == "foo_ >= 1"))
        );

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
        assert!(has(&Diagnostic::MissingRecord {
            dist_info: site.join("pandas-2.1.4.dist-info")
        }));
        assert_eq!(pandas.top_level, ["pandas"]);

        let broken = by("broken");
        assert_eq!(broken.version, "1.0", "falls back to the directory name");
        let broken_meta = site.join("broken-1.0.dist-info/METADATA");
        assert!(has(&Diagnostic::NotUtf8 {
            path: broken_meta.clone()
        }));
        assert!(has(&Diagnostic::MissingField {
            path: broken_meta.clone(),
            field: "Version".into(),
            fallback: "1.0".into()
        }));
        assert!(inv.diagnostics.iter().any(|d| matches!(d,
            Diagnostic::CorruptMetadata { path, .. } if *path == broken_meta)));
        assert_eq!(broken.top_level, ["broken"], "derived from RECORD");
        assert_eq!(by("latin").version, "2.0");
        let latin = site.join("latin-2.0.dist-info/METADATA");
        assert_eq!(
            inv.diagnostics
                .iter()
                .filter(|d| d.path() == latin)
                .collect::<Vec<_>>(),
            [&Diagnostic::NotUtf8 { path: latin }],
            "only the author is not UTF-8: nothing else to say"
        );
        assert!(inv.diagnostics.iter().any(|d| matches!(d,
            Diagnostic::SpecialFile { path, .. } if *path == site.join("dirmeta-1.0.dist-info/METADATA"))));
        assert!(inv.diagnostics.iter().any(|d| matches!(d,
            Diagnostic::CorruptDirectUrl { path, .. } if *path == site.join("badjson-1.0.dist-info/direct_url.json"))));
        assert!(inv.diagnostics.iter().any(|d| matches!(d,
            Diagnostic::CorruptRecord { record, line: 2, .. } if *record == site.join("badjson-1.0.dist-info/RECORD"))));

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
        assert!(has(&Diagnostic::SymlinkLoop {
            path: site.join("selfloop.so")
        }));
        assert!(has(&Diagnostic::RecordedFileMissing {
            path: site.join("scipy/missing.cpython-311-x86_64-linux-gnu.so"),
            distribution: "scipy".into()
        }));
        assert!(!inv
            .binaries
            .iter()
            .any(|b| b.path.starts_with(site.join("loop"))));
        // The diagnostics name files; nothing here is shadowed.
        for d in &inv.diagnostics {
            assert!(
                d.to_string()
                    .starts_with(&format!("{}: ", d.path().display())),
                "{d:?}"
            );
            assert!(!matches!(d, Diagnostic::Shadowed { .. }), "{d}");
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
                "{}: {} distributions, {} recorded files, {} binaries, {} diagnostics in {:?}",
                site.display(),
                inv.distributions.len(),
                files,
                inv.binaries.len(),
                inv.diagnostics.len(),
                start.elapsed()
            );
            for d in inv.diagnostics.iter().take(5) {
                eprintln!("  {d}");
            }
        }
    }

    /// The import graph's index: earlier site first, a package before a module of the same name
    /// in one directory, metadata and `__pycache__` not indexed; the walk is real, on real files.
    #[test]
    fn source_index_follows_the_path_finder() {
        let t = tempfile::tempdir().unwrap();
        let a = t.path().join("a");
        let b = t.path().join("b");
        for (p, text) in [
            (a.join("pkg/__init__.py"), ""),
            (a.join("pkg.py"), ""),
            (a.join("pkg/sub.py"), ""),
            (a.join("pkg/__pycache__/sub.py"), ""),
            (a.join("x-1.0.dist-info/y.py"), ""),
            (b.join("pkg/__init__.py"), ""),
            (b.join("other.py"), ""),
        ] {
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, text).unwrap();
        }
        let inv = inventory(&[a.clone(), b.clone()]);
        let src = &inv.sources;
        assert_eq!(
            src.get("pkg"),
            Some((a.join("pkg/__init__.py").as_path(), true))
        );
        assert_eq!(
            src.get("pkg.sub"),
            Some((a.join("pkg/sub.py").as_path(), false))
        );
        assert_eq!(
            src.get("other"),
            Some((b.join("other.py").as_path(), false))
        );
        assert_eq!(src.get("pkg.__pycache__.sub"), None);
        assert_eq!(src.get("x-1.0.dist-info.y"), None);
        assert_eq!(src.len(), 3);
    }

    /// An inventory kept through its serialized form, as the facts cache keeps it.
    fn kept(inv: &Inventory) -> Remembered {
        let text = serde_json::to_string(&inv.remembered().expect("rememberable")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// Everything an inventory says, in a comparable form.
    fn says(inv: &Inventory) -> String {
        let sources: std::collections::BTreeMap<_, _> = inv.sources.modules.iter().collect();
        format!("{}\n{sources:?}", serde_json::to_string(inv).unwrap())
    }

    #[test]
    fn a_remembered_inventory_is_used_only_while_nothing_it_read_changed() {
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("site");
        dist_info(
            &site,
            "pkg-1.0.dist-info",
            "Name: pkg\nVersion: 1.0\nRequires-Dist: numpy<2,>=1.22\n",
            Some("Tag: cp311-cp311-manylinux_2_17_x86_64\n"),
            Some("pkg/__init__.py,,\npkg/_a.so,,\n"),
        );
        write(&site.join("pkg/__init__.py"), "import pkg.sub\n");
        write(&site.join("pkg/sub.py"), "");
        write(&site.join("pkg/_a.so"), ELF);
        write(&site.join("pkg/deep/er/_b.so"), ELF);
        let elsewhere = t.path().join("elsewhere.so");
        write(&elsewhere, ELF);
        symlink(&elsewhere, site.join("pkg/_link.so")).unwrap();
        let sites = vec![site.clone()];
        let now = std::time::Duration::ZERO;

        let (first, reused) = remembered_with(&sites, None, now);
        assert!(!reused);
        assert!(first.record.as_ref().is_some_and(|r| r.len() > 5));
        assert_eq!(says(&first), says(&inventory(&sites)));
        let (second, reused) = remembered_with(&sites, Some(kept(&first)), now);
        assert!(reused, "nothing changed");
        assert_eq!(says(&second), says(&first));
        // Another list of site directories is another inventory.
        let (_, reused) =
            remembered_with(&[site.clone(), t.path().into()], Some(kept(&first)), now);
        assert!(!reused);

        // Each change is seen, and the inventory taken anew equals one taken without the record.
        // (The pause puts each change in a later tick of the file clock than the record.)
        let mut last = second;
        type Change<'a> = (&'a str, Box<dyn Fn() + 'a>);
        let changes: Vec<Change> = vec![
            (
                "a new binary deep down",
                Box::new(|| write(&site.join("pkg/deep/er/_c.so"), ELF)),
            ),
            (
                "METADATA rewritten",
                Box::new(|| {
                    write(
                        &site.join("pkg-1.0.dist-info/METADATA"),
                        "Name: pkg\nVersion: 1.0.1\n",
                    )
                }),
            ),
            (
                "a symlinked binary's target replaced by a non-binary",
                Box::new(|| {
                    fs::remove_file(&elsewhere).unwrap();
                    write(&elsewhere, "text");
                }),
            ),
            (
                "a source removed",
                Box::new(|| fs::remove_file(site.join("pkg/sub.py")).unwrap()),
            ),
            (
                "a new top-level package",
                Box::new(|| write(&site.join("other/__init__.py"), "")),
            ),
            (
                "an INSTALLER added",
                Box::new(|| write(&site.join("pkg-1.0.dist-info/INSTALLER"), "uv\n")),
            ),
        ];
        for (what, change) in changes {
            std::thread::sleep(std::time::Duration::from_millis(30));
            change();
            let (inv, reused) = remembered_with(&sites, Some(kept(&last)), now);
            assert!(!reused, "{what}: the old record was used");
            assert_eq!(says(&inv), says(&inventory(&sites)), "{what}");
            assert_ne!(says(&inv), says(&last), "{what}: no visible change");
            let (again, reused) = remembered_with(&sites, Some(kept(&inv)), now);
            assert!(reused, "{what}: unchanged since");
            last = again;
        }

        // What no stamp pins down is not remembered: a dangling symlink with a binary's name.
        symlink(t.path().join("nothing.so"), site.join("pkg/_gone.so")).unwrap();
        let (inv, _) = remembered_with(&sites, Some(kept(&last)), now);
        assert!(inv.record.is_none());
        // Nor is anything that changed in the last two seconds, with the default horizon.
        fs::remove_file(site.join("pkg/_gone.so")).unwrap();
        let (inv, reused) = inventory_remembered(&sites, None);
        assert!(!reused && inv.record.is_none());
    }
}
