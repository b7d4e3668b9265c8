//! The static pipeline as one library call: discover the environment, take its inventory, inspect
//! every compiled file, resolve the runtime NumPy, run the rules, walk the import graph for
//! cascades, and work out the fix hint. `check`, `explain` and `verify` all call [`scan`], so they
//! see the same inventory, the same runtime NumPy and the same set of modules.
//!
//! Nothing here prints. Progress goes to a [`Progress`] the caller implements (the CLI draws a
//! line on a terminal; library callers pass `&()`), in the manner of ripgrep's `Sink`.

use crate::binary::{self, BinaryFacts};
use crate::discover::{self, DiscoverError, DiscoverOptions, Environment};
use crate::imports::graph::{EnvGraph, SourceCache};
use crate::imports::ids::IdGraph;
use crate::inventory::{self, Distribution, Inventory};
use crate::rules::cascade::{self, Cascade};
use crate::rules::hint::{self as fix, Hint};
use crate::rules::predict;
use crate::rules::{self, Dist, Finding, Module, Predicted, Scan, Severity, Unreadable};
use crate::runtime::{self, NumpyInstall};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod cache;

/// What to scan.
#[derive(Debug, Clone, Default)]
pub struct ScanOptions {
    /// Which environment: `--python`, `--env`, `--site-packages`, or the process's own search
    /// order (`VIRTUAL_ENV`, `CONDA_PREFIX`, `.venv`, `python3` on `PATH`).
    pub discover: DiscoverOptions,
    /// Do not read or write the facts cache ([`cache`]; `--no-cache`).
    pub no_cache: bool,
    /// The facts cache directory; `None`: the user's cache directory, from `discover.env_vars`
    /// ([`cache::default_dir`]).
    pub cache_dir: Option<PathBuf>,
}

/// Progress of a scan. Every method has an empty default; `()` implements it and reports nothing.
/// Called from several threads at once.
pub trait Progress: Sync {
    /// Inspection of `total` compiled files begins.
    fn inspecting(&self, _total: usize) {}
    /// One more file was inspected.
    fn inspected(&self) {}
    /// Inspection is over.
    fn inspected_all(&self) {}
}

impl Progress for () {}

/// Why a scan could not start. Bad files inside the environment are never errors: they are
/// diagnostics of the inventory or `Unreadable` entries of the scan.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Discover(#[from] DiscoverError),
}

/// A compiled file of the environment that is deliberately not judged by the rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotJudged {
    pub path: PathBuf,
    pub module: Option<String>,
    pub dist: Option<usize>,
    pub why: NotJudgedWhy,
    /// What inspection found, when the file could be read.
    pub facts: Option<Arc<BinaryFacts>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotJudgedWhy {
    /// One of NumPy's own extension modules: the runtime itself (built with NPY_INTERNAL_BUILD,
    /// described by the knowledge base), not a consumer of it.
    NumpyItself,
    /// Python imports another file for this module name (an earlier site directory, a regular
    /// package elsewhere, or a preferred suffix in the same directory), so this one never loads.
    Shadowed,
}

/// Everything one scan found.
#[derive(Debug)]
pub struct Scanned {
    pub environment: Environment,
    pub inventory: Inventory,
    /// The `numpy/` Python imports, and the other copies on the path.
    pub numpy_install: Option<NumpyInstall>,
    /// The rules' input: modules and libraries judged, runtime NumPy, unreadable files.
    pub scan: Scan,
    /// Every finding, sorted.
    pub findings: Vec<Finding>,
    /// For each top-level package whose import will die: where and through which chain.
    pub cascades: Vec<Cascade>,
    pub fix_hint: Option<Hint>,
    /// Compiled files that were inspected or seen but not judged, with the reason.
    pub not_judged: Vec<NotJudged>,
    /// How many compiled files' facts came from the facts cache (`None`: cache not used).
    pub from_cache: Option<usize>,
    /// Wall time of each phase of the scan, in order (`ABI_DOCTOR_TRACE=1` prints them).
    pub phases: Vec<(&'static str, std::time::Duration)>,
    /// The facts cache and other working data of the scan (see [`Retained`]).
    pub retained: Retained,
}

impl Scanned {
    /// The import failure predicted for `module` (an error finding's prediction), if any.
    pub fn predicted(&self, module: &str) -> Option<&Predicted> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error && f.module.as_deref() == Some(module))
            .find_map(|f| f.predicted.as_ref())
    }

    /// Compiled files that use NumPy's binary interface, as far as their bytes show.
    pub fn numpy_binaries(&self) -> usize {
        self.scan
            .modules
            .iter()
            .filter(|m| predict::depends_on_numpy(&m.facts.numpy))
            .count()
    }

    /// Names of the distributions with at least one error finding, sorted.
    pub fn failing_distributions(&self) -> Vec<String> {
        failing_distributions(&self.findings)
    }
}

/// Discover the environment `opts` names and scan it.
pub fn scan(opts: &ScanOptions, progress: &dyn Progress) -> Result<Scanned, ScanError> {
    let env = discover::discover(&opts.discover)?;
    let dir = if opts.no_cache {
        None
    } else {
        opts.cache_dir
            .clone()
            .or_else(|| cache::default_dir(&opts.discover.env_vars))
    };
    Ok(scan_environment_cached(env, dir.as_deref(), progress))
}

/// Scan an environment that is already discovered, without the facts cache.
pub fn scan_environment(environment: Environment, progress: &dyn Progress) -> Scanned {
    scan_environment_cached(environment, None, progress)
}

/// Scan an environment that is already discovered, with the facts cache in `cache_dir` (none:
/// every file is inspected).
pub fn scan_environment_cached(
    mut environment: Environment,
    cache_dir: Option<&Path>,
    progress: &dyn Progress,
) -> Scanned {
    let mut phases = Phases::default();
    let mut inside = environment.site_packages.clone();
    inside.push(environment.prefix.clone());
    let mut cache = cache_dir.and_then(|d| {
        cache::FactsCache::load(d, &environment.prefix, &inside, &mut environment.notes)
    });
    phases.mark("facts cache load");
    let (inventory, inventory_reused) = match cache.as_mut() {
        Some(c) => inventory::inventory_remembered(&environment.site_packages, c.take_inventory()),
        None => (inventory::inventory(&environment.site_packages), false),
    };
    phases.mark(if inventory_reused {
        "inventory (remembered)"
    } else {
        "inventory"
    });
    progress.inspecting(inventory.binaries.len());
    let inspected: Vec<(Inspected, Option<cache::Stamp>, bool)> = inventory
        .binaries
        .par_iter()
        .map(|b| {
            // The inventory's record holds the stamp each binary had before it was sniffed: as
            // good as a new `stat`, since the facts are read after it.
            let stamp = cache.as_ref().and_then(|_| {
                inventory
                    .record
                    .as_ref()
                    .and_then(|r| r.stamp_of(&b.path))
                    .or_else(|| cache::Stamp::of(&b.path))
            });
            let hit = match (&cache, &stamp) {
                (Some(c), Some(st)) => c.get(&b.path, st).cloned(),
                _ => None,
            };
            let r = match hit {
                Some(f) => (Ok(f), stamp, true),
                None => (
                    binary::inspect_path(&b.path)
                        .map(Arc::new)
                        .map_err(|e| e.to_string()),
                    stamp,
                    false,
                ),
            };
            progress.inspected();
            r
        })
        .collect();
    progress.inspected_all();
    phases.mark("inspection");
    let mut facts = Vec::with_capacity(inspected.len());
    for (b, (r, stamp, hit)) in inventory.binaries.iter().zip(inspected) {
        if let (Some(c), Some(st), Ok(f)) = (cache.as_mut(), stamp, &r) {
            if hit {
                c.hits += 1;
                c.keep(&b.path);
            } else {
                c.put(b.path.clone(), st, Arc::clone(f));
            }
        }
        facts.push(r);
    }
    let from_cache = cache.as_ref().map(|c| c.hits);

    let numpy_install = runtime::find_numpy(&inventory, &environment.site_packages);
    let (scan, not_judged) = assemble(&environment, &inventory, facts, numpy_install.as_ref());
    let mut scan = scan;
    let mut findings = rules::run_all(&scan);
    phases.mark("runtime and rules");
    let predicted: BTreeMap<String, Predicted> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| Some((f.module.clone()?, f.predicted.clone()?)))
        .collect();
    // A cascade ends with what the failing module's traceback ends with.
    let failures: BTreeMap<String, (String, String)> = predicted
        .iter()
        .map(|(m, p)| {
            let (exception, message) = p.last();
            (m.clone(), (exception.to_string(), message.to_string()))
        })
        .collect();
    // One import graph for the cascades, the knock-ons and what `import PKG` reaches: each
    // Python source the walks reach is read and parsed once.
    let graph = EnvGraph::new(&inventory.sources, binaries_of(&scan.modules), &failures)
        .with_cache(cache.as_ref().map(|c| c as &dyn SourceCache));
    // The same graph with each module interned, for the walks.
    let mut ids = IdGraph::new(&graph);
    let cascades = cascades(&mut ids, &inventory, &failures);
    phases.mark("cascades");
    // Knock-ons: modules whose init reaches a failing module (NPY013), after the first pass.
    let knock_ons = if failures.is_empty() {
        vec![]
    } else {
        rules::knock_on::find(&graph, &scan, &predicted)
    };
    if !knock_ons.is_empty() {
        scan.knock_ons = knock_ons;
        rules::knock_on::check(&scan, &mut findings);
        rules::sort_findings(&mut findings);
    }
    phases.mark("knock-ons");
    say_what_import_reaches(&mut ids, &cascades, &mut findings);
    drop(graph);
    phases.mark("what import reaches");
    if let Some(c) = &mut cache {
        c.save(&inventory, inventory_reused, &mut environment.notes);
    }
    phases.mark("facts cache save");
    let mut fix_hint = fix::hint(&scan, &failing_distributions(&findings));
    if let Some(h) = &mut fix_hint {
        rank_blockers(&scan, h, &cascades);
    }
    phases.mark("fix hint");
    Scanned {
        environment,
        inventory,
        numpy_install,
        scan,
        findings,
        cascades,
        fix_hint,
        not_judged,
        from_cache,
        phases: phases.done,
        retained: Retained { _cache: cache },
    }
}

/// What a scan built on the way and no longer reads, kept so that freeing it (tens of thousands
/// of small allocations) happens when the [`Scanned`] is dropped, or never when the process ends
/// first (the CLI).
#[derive(Default)]
pub struct Retained {
    _cache: Option<cache::FactsCache>,
}

impl std::fmt::Debug for Retained {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Retained")
    }
}

/// Wall time per phase: each [`Phases::mark`] closes the phase that began at the previous one.
struct Phases {
    last: std::time::Instant,
    done: Vec<(&'static str, std::time::Duration)>,
}

impl Default for Phases {
    fn default() -> Self {
        Phases {
            last: std::time::Instant::now(),
            done: Vec::new(),
        }
    }
}

impl Phases {
    fn mark(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        self.done.push((name, now - self.last));
        self.last = now;
    }
}

/// Each module predicted to fail gets one more line of evidence: does `import <its top-level
/// package>` reach it (and through which chain), or is it guarded / imported only lazily, so that
/// it fails only when imported directly or on first use? Read from the import graph, which skips
/// `try:` blocks and function bodies ([`crate::imports::graph`]).
fn say_what_import_reaches(ids: &mut IdGraph<'_>, cascades: &[Cascade], findings: &mut [Finding]) {
    if !findings.iter().any(Finding::fails_import) {
        return;
    }
    let mut by_top: BTreeMap<String, cascade::ReachedIds> = BTreeMap::new();
    for f in findings.iter_mut().filter(|f| f.fails_import()) {
        let Some(m) = f.module.as_deref() else {
            continue;
        };
        // Another package's import dies in it (`import sklearn` in scipy.sparse._sparsetools).
        if let Some((c, i)) = cascades
            .iter()
            .find_map(|c| Some((c, c.via.iter().position(|v| v == m)?)))
        {
            let line = format!(
                "`import {}` reaches it: {}",
                c.package,
                c.via[..=i].join(" -> ")
            );
            f.evidence.push(line);
            continue;
        }
        let top = m.split('.').next().unwrap_or(m);
        if !by_top.contains_key(top) {
            let start = ids.intern(top);
            by_top.insert(top.to_string(), cascade::reached_ids(ids, start));
        }
        let reached = &by_top[top];
        let chain = ids.id(m).and_then(|id| reached.chain(id));
        let line = match chain {
            Some(chain) if chain.len() > 1 => {
                let names: Vec<&str> = chain.iter().map(|&i| ids.name(i)).collect();
                format!("`import {top}` reaches it: {}", names.join(" -> "))
            }
            Some(_) => format!("`import {top}` is this module"),
            None => format!(
                "`import {top}` does not reach it (guarded, or imported only inside a function): \
                 it fails when imported directly or on first use"
            ),
        };
        f.evidence.push(line);
    }
}

/// What breaks `import PKG` first: blockers naming the distribution of a module some cascade dies
/// in go before the others (the order is otherwise kept).
fn rank_blockers(scan: &Scan, h: &mut fix::Hint, cascades: &[Cascade]) {
    let breaking: Vec<&str> = cascades
        .iter()
        .filter_map(|c| {
            let m = scan
                .modules
                .iter()
                .find(|m| m.module.as_deref() == Some(c.dies_in.as_str()))?;
            Some(scan.dist_of(m)?.name.as_str())
        })
        .collect();
    h.blockers.sort_by_key(|b| {
        let first = b.split_whitespace().next().unwrap_or("");
        !breaking.iter().any(|d| d.eq_ignore_ascii_case(first))
    });
}

fn failing_distributions(findings: &[Finding]) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| f.distribution.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Requirement specifiers on `numpy` that apply here (markers evaluated; extras ignored).
fn numpy_requirement(d: &Distribution, python: Option<&str>) -> Option<String> {
    let specs: Vec<&str> = d
        .requires
        .iter()
        .filter(|r| r.normalized == "numpy" && r.extra.is_none())
        .filter(|r| match (&r.marker, python) {
            (None, _) => true,
            (Some(m), Some(py)) => {
                inventory::marker_applies(m, py, &inventory::Platform::host()) != Some(false)
            }
            (Some(_), None) => true,
        })
        .map(|r| r.specifier.as_str())
        .collect();
    if specs.is_empty() {
        // Declared with a marker that excludes us, or not at all: both mean "nothing declared".
        return None;
    }
    Some(
        specs
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// What inspecting one binary gave: its facts, or why it could not be read.
type Inspected = Result<Arc<BinaryFacts>, String>;

/// The rules' input from the inventory, the inspected facts (one per inventory binary, in order)
/// and the NumPy installation.
fn assemble(
    env: &Environment,
    inv: &Inventory,
    facts: Vec<Inspected>,
    numpy: Option<&NumpyInstall>,
) -> (Scan, Vec<NotJudged>) {
    let py = env.python_version.as_deref();
    let dists = inv
        .distributions
        .iter()
        .map(|d| Dist {
            name: d.name.clone(),
            version: d.version.clone(),
            numpy_requirement: numpy_requirement(d, py),
            built_locally: d.built_locally,
        })
        .collect();
    let strip = |path: &str, msg: &str| {
        msg.strip_prefix(path)
            .map(|m| m.trim_start_matches(':').trim().to_string())
            .unwrap_or_else(|| msg.to_string())
    };
    // Only what could not be read is NPY009; notes such as a shadowed module or a missing RECORD
    // are not.
    let mut unreadable: Vec<Unreadable> = inv
        .diagnostics
        .iter()
        .filter(|d| d.is_unreadable())
        .map(|d| {
            let path = d.path().display().to_string();
            Unreadable {
                problem: strip(&path, &d.to_string()),
                path,
                module: None,
                dist: None,
            }
        })
        .collect();
    let mut modules = Vec::new();
    let mut not_judged = Vec::new();
    for (b, f) in inv.binaries.iter().zip(facts) {
        let why = if b.shadowed {
            Some(NotJudgedWhy::Shadowed)
        } else if b
            .module
            .as_deref()
            .is_some_and(|m| m == "numpy" || m.starts_with("numpy."))
        {
            Some(NotJudgedWhy::NumpyItself)
        } else {
            None
        };
        if let Some(why) = why {
            not_judged.push(NotJudged {
                path: b.path.clone(),
                module: b.module.clone(),
                dist: b.distribution,
                why,
                facts: f.ok(),
            });
            continue;
        }
        match f {
            Ok(facts) => modules.push(Module {
                path: b.path.display().to_string(),
                // A file that exports no PyInit_ is a shared library modules load, whatever
                // its name (pyarrow's libarrow_python.so), not a module Python imports.
                module: b.module.clone().filter(|_| facts.module_init.is_some()),
                dist: b.distribution,
                facts,
            }),
            Err(e) => {
                let path = b.path.display().to_string();
                unreadable.push(Unreadable {
                    problem: strip(&path, &e),
                    path,
                    module: b.module.clone(),
                    dist: b.distribution,
                })
            }
        }
    }
    let numpy_rt = numpy.and_then(runtime::resolve);
    let other_numpys = match (numpy, &numpy_rt) {
        (Some(n), Some(_)) => n
            .others
            .iter()
            .map(|(p, v)| (p.display().to_string(), v.clone()))
            .collect(),
        _ => vec![],
    };
    let scan = Scan {
        before_install: env.source == discover::Source::BeforeInstall,
        python_version: env.python_version.clone(),
        dists,
        modules,
        numpy: numpy_rt,
        other_numpys,
        unreadable,
        knock_ons: vec![],
        target: rules::Target {
            python: env.python.as_ref().map(|p| p.display().to_string()),
            conda_prefix: (env.kind == crate::discover::EnvKind::Conda)
                .then(|| env.prefix.display().to_string()),
            pip_version: inv
                .distributions
                .iter()
                .find(|d| d.normalized == "pip")
                .map(|d| d.version.clone()),
        },
    };
    (scan, not_judged)
}

/// Each extension module's name and the dotted module names its binary references.
fn binaries_of(modules: &[Module]) -> impl Iterator<Item = (&str, &crate::binary::NameList)> {
    modules
        .iter()
        .filter_map(|m| Some((m.module.as_deref()?, &m.facts.referenced_modules)))
}

/// Where `import PKG` dies, for every top-level import name of every distribution.
fn cascades(
    ids: &mut IdGraph<'_>,
    inv: &Inventory,
    failures: &BTreeMap<String, (String, String)>,
) -> Vec<Cascade> {
    if failures.is_empty() {
        return vec![];
    }
    let mut tops: BTreeMap<&str, Option<&str>> = BTreeMap::new();
    for d in &inv.distributions {
        for t in &d.top_level {
            if !t.is_empty() && !t.starts_with('_') {
                tops.entry(t.as_str()).or_insert(Some(d.name.as_str()));
            }
        }
    }
    tops.remove("numpy");
    let starts: Vec<u32> = tops.keys().map(|t| ids.intern(t)).collect();
    let chains = cascade::dies_in_ids(ids, &starts);
    let mut out = Vec::new();
    for ((top, dist), chain) in tops.into_iter().zip(chains) {
        let Some(chain) = chain else {
            continue;
        };
        let via: Vec<String> = chain.iter().map(|&i| ids.name(i).to_string()).collect();
        let dies_in = via.last().cloned().unwrap_or_default();
        let (exception, message) = failures.get(&dies_in).cloned().unwrap_or_default();
        out.push(Cascade {
            package: top.to_string(),
            distribution: dist.map(str::to_string),
            dies_in,
            via,
            exception,
            message,
        });
    }
    out
}
