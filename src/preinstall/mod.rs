//! Check before install: the same report `check` gives on an environment, for a set of wheels that
//! is not installed yet.
//!
//! 1. The inputs become a pinned set ([`Pin`]: name, version, the wheel an installer would pick for
//!    the [`Target`]): requirements files resolved by uv ([`resolve`]; pip's `install --dry-run
//!    --report` when uv is not found), lock files read directly ([`lock`]: pylock.toml, uv.lock,
//!    poetry.lock), a wheelhouse, wheel files.
//! 2. The set is materialised without executing anything ([`materialise`]): each wheel's
//!    dist-info, Python sources and compiled members are extracted, under the zip-bomb and
//!    traversal rules of [`crate::wheel`], into a private `site-packages` (installing a wheel is an
//!    unzip), cached per wheel by its sha256.
//! 3. The existing pipeline scans that directory ([`crate::scan::scan_environment_cached`] with an
//!    environment that has the target's Python version and no interpreter): the findings are, by
//!    construction, what `check` says after the install. [`explain`] adds why the resolver let a
//!    broken pair through, from each failing distribution's declared NumPy requirement.
//!
//! Every entry that cannot be checked (a malformed lock file, an unknown package, no wheel for
//! the target, an sdist) becomes a [`Problem`] naming it, and the rest of the set is checked.

pub mod explain;
pub mod fetch;
pub mod locate;
pub mod lock;
pub mod materialise;
pub mod resolve;
pub mod sdist;

use crate::discover::{EnvKind, Environment, Source};
use crate::inventory::normalize_name;
use crate::scan::{self, Scanned};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use crate::index::tags::{self, Target, WheelName};
pub use fetch::{FetchStats, Fetcher};

/// One file of a distribution: a wheel or an sdist, local or remote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRef {
    pub filename: String,
    pub url: Option<String>,
    /// A local file (a wheel given on the command line, in a wheelhouse, or a lock's `path`).
    pub path: Option<PathBuf>,
    /// Lowercase hex, when the lock or index gives it.
    pub sha256: Option<String>,
    pub size: Option<u64>,
}

/// What an installer would install for one pinned distribution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PinChoice {
    Wheel(FileRef),
    /// No wheel fits the target: an sdist would be built (when there is one).
    NoWheel {
        sdist: Option<FileRef>,
        /// Wheels there are, for other targets.
        other_wheels: Vec<String>,
    },
}

/// One distribution of the set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pin {
    pub name: String,
    pub version: String,
    /// The input it came from: a file, `uv pip compile`, the command line.
    pub from: String,
    pub choice: PinChoice,
}

/// How bad a problem is: an error leaves an entry unchecked; a warning says something about how
/// it was checked or what installing it would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemLevel {
    Error,
    Warning,
}

/// An entry that could not be checked, or checked with a caveat; `message` names the entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub level: ProblemLevel,
    pub message: String,
}

impl Problem {
    pub fn error(m: impl Into<String>) -> Self {
        Problem {
            level: ProblemLevel::Error,
            message: m.into(),
        }
    }
    pub fn warning(m: impl Into<String>) -> Self {
        Problem {
            level: ProblemLevel::Warning,
            message: m.into(),
        }
    }
}

/// The set to check: pins from every input, and what went wrong reading them.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub pins: Vec<Pin>,
    pub problems: Vec<Problem>,
    /// The inputs, for the report's first line (`requirements.txt`, `uv.lock`, `3 wheels`).
    pub inputs: Vec<String>,
    /// How the set was obtained (`resolved by uv 0.13.9`, `read from uv.lock`, ...).
    pub notes: Vec<String>,
    /// The set was resolved by a resolver from requirements (not pinned by hand or `--no-deps`).
    pub resolved: bool,
}

impl Plan {
    /// Add pins; a distribution pinned twice keeps its first pin, and a second, different version
    /// is a problem.
    pub fn add(&mut self, pins: Vec<Pin>) {
        for p in pins {
            let n = normalize_name(&p.name);
            match self.pins.iter().find(|q| normalize_name(&q.name) == n) {
                Some(q) if q.version != p.version => self.problems.push(Problem::error(format!(
                    "{} is pinned twice: {} from {}, {} from {}; {} was checked",
                    p.name, q.version, q.from, p.version, p.from, q.version
                ))),
                Some(_) => {}
                None => self.pins.push(p),
            }
        }
    }
}

/// A wheel file given on the command line or found in a wheelhouse, as a pin.
pub fn pin_of_wheel(path: &Path, from: &str) -> Option<Pin> {
    let filename = path.file_name()?.to_str()?.to_string();
    let w = WheelName::parse(&filename).ok()?;
    Some(Pin {
        name: w.name.clone(),
        version: w.version.clone(),
        from: from.to_string(),
        choice: PinChoice::Wheel(FileRef {
            filename,
            url: None,
            path: Some(path.to_path_buf()),
            sha256: None,
            size: std::fs::metadata(path).ok().map(|m| m.len()),
        }),
    })
}

/// The wheels of a wheelhouse directory: per distribution, the one that fits the target best
/// (the newest version among those), as pip's `--find-links` would pick.
pub fn wheelhouse(dir: &Path, target: &Target) -> Result<(Vec<Pin>, Vec<Problem>), std::io::Error> {
    let shown = dir.display().to_string();
    let mut by_name: BTreeMap<String, Vec<(PathBuf, WheelName)>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut rd: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    rd.sort();
    for p in rd {
        let fname = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        match WheelName::parse(fname) {
            Ok(w) => by_name
                .entry(normalize_name(&w.name))
                .or_default()
                .push((p, w)),
            Err(_) => problems.push(Problem::error(format!(
                "{}: not a wheel file name (NAME-VERSION-PY-ABI-PLATFORM.whl); skipped",
                p.display()
            ))),
        }
    }
    let mut pins = Vec::new();
    for (_, ws) in by_name {
        let names: Vec<(&PathBuf, String)> = ws
            .iter()
            .filter_map(|(p, _)| Some((p, p.file_name()?.to_str()?.to_string())))
            .collect();
        match target.best(&names, |(_, n)| n.as_str()) {
            Some((p, _)) => pins.extend(pin_of_wheel(p, &shown)),
            None => problems.push(Problem::error(format!(
                "{shown}: no wheel of {} fits CPython {} on {} (there: {}); not checked",
                ws[0].1.name,
                target.python_version(),
                target.name,
                ws.iter()
                    .filter_map(|(p, _)| p.file_name()?.to_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
    Ok((pins, problems))
}

/// Options of a check before install.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    pub target: Target,
    /// The cache root (`~/.cache/abi-doctor`); materialised wheels go to `preinstall/` under it.
    /// `None`: a temporary directory, removed afterwards.
    pub cache_root: Option<PathBuf>,
    /// The interpreter printed commands name (the environment the set would go into), if known.
    pub python: Option<PathBuf>,
}

/// A checked plan: the scan of the materialised set, and what was said on the way.
#[derive(Debug)]
pub struct Checked {
    pub scanned: Scanned,
    pub problems: Vec<Problem>,
    /// Why metadata let each broken pair through ([`explain`]).
    pub explanations: Vec<String>,
    /// The wheels checked: `(name, version, filename)`.
    pub wheels: Vec<(String, String, String)>,
    /// Site-packages-relative path -> the wheel file it came from, to name files in reports.
    pub origins: BTreeMap<PathBuf, String>,
    pub stats: FetchStats,
    /// The private site-packages (removed when this is dropped, unless it lives in the cache).
    pub site_packages: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

#[derive(Debug, thiserror::Error)]
pub enum PreinstallError {
    #[error("cannot create the directory the set is unpacked into ({path}): {source}")]
    Workdir {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Materialise `plan` and scan it.
pub fn check(
    plan: &Plan,
    fetcher: &dyn Fetcher,
    opts: &CheckOptions,
    progress: &dyn scan::Progress,
) -> Result<Checked, PreinstallError> {
    let mut problems = plan.problems.clone();
    let target = &opts.target;
    // Entries without a wheel: say what installing them would do.
    for p in &plan.pins {
        if let PinChoice::NoWheel {
            sdist,
            other_wheels,
        } = &p.choice
        {
            problems.push(sdist::no_wheel_problem(
                p,
                sdist.as_ref(),
                other_wheels,
                target,
                fetcher,
            ));
        }
    }
    let work_parent = opts.cache_root.as_ref().map(|r| r.join("preinstall"));
    let tmp = match &work_parent {
        Some(dir) => std::fs::create_dir_all(dir.join("sets")).and_then(|_| {
            tempfile::Builder::new()
                .prefix("set-")
                .tempdir_in(dir.join("sets"))
        }),
        None => tempfile::Builder::new().prefix("abi-doctor-set-").tempdir(),
    }
    .map_err(|source| PreinstallError::Workdir {
        path: work_parent.as_ref().map_or_else(
            || std::env::temp_dir().display().to_string(),
            |d| d.display().to_string(),
        ),
        source,
    })?;
    let prefix = tmp.path().to_path_buf();
    let site = prefix
        .join("lib")
        .join(format!("python{}", target.python_version()))
        .join("site-packages");
    std::fs::create_dir_all(&site).map_err(|source| PreinstallError::Workdir {
        path: site.display().to_string(),
        source,
    })?;
    let store = work_parent.as_ref().map(|d| d.join("wheels"));
    let mut wheels = Vec::new();
    let mut origins = BTreeMap::new();
    for p in &plan.pins {
        let PinChoice::Wheel(f) = &p.choice else {
            continue;
        };
        match materialise::install(f, fetcher, store.as_deref(), &site) {
            Ok(done) => {
                for w in done.problems {
                    problems.push(Problem::warning(w));
                }
                for rel in done.files {
                    origins.insert(PathBuf::from(rel), f.filename.clone());
                }
                wheels.push((p.name.clone(), p.version.clone(), f.filename.clone()));
            }
            Err(e) => problems.push(Problem::error(format!(
                "{} {} ({}): not checked: {e}",
                p.name, p.version, p.from
            ))),
        }
    }
    let env = Environment {
        python: opts.python.clone(),
        python_version: Some(target.python_version()),
        prefix: prefix.clone(),
        kind: EnvKind::Venv,
        source: Source::BeforeInstall,
        site_packages: vec![site.clone()],
        include_system_site_packages: false,
        externally_managed: false,
        notes: Vec::new(),
    };
    let facts_dir = opts.cache_root.as_ref().map(|r| r.join("facts"));
    let scanned = scan::scan_environment_cached(env, facts_dir.as_deref(), progress);
    let explanations = explain::explain(&scanned, plan.resolved);
    Ok(Checked {
        scanned,
        problems,
        explanations,
        wheels,
        origins,
        stats: fetcher.stats(),
        site_packages: site,
        _tmp: Some(tmp),
    })
}

impl Checked {
    /// `path` (a file of the private site-packages) as `WHEEL!member`, the way `inspect` names
    /// a wheel's members.
    pub fn shown_path(&self, path: &str) -> Option<String> {
        let rel = Path::new(path).strip_prefix(&self.site_packages).ok()?;
        let wheel = self.origins.get(rel)?;
        Some(format!("{wheel}!{}", rel.display()))
    }
}
