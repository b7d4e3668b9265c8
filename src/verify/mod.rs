//! `verify`: ground truth for the predictions. Every compiled extension module of an environment
//! is imported for real, each in a fresh interpreter of the environment (`python -W always -X
//! faulthandler -c DRIVER`), in parallel, with a deadline; the outcome (ok, warning, error, crash,
//! timeout) is put beside the static prediction of [`crate::rules::predict::predict`].
//!
//! Unlike everything else in abi-doctor, this **runs code from the scanned environment**.
//!
//! The method is that of docs/import-behaviour.md#measuring-imports: a module whose import
//! fails in a parent package's `__init__` is imported again with its parents replaced by empty
//! stubs, so that its own initialisation runs and is what gets compared; every top-level package
//! is also imported once the way a user does (`import h5py`), because a package may guard a
//! failing module (h5py's `_npystrings`) or fail because of one (a cascade).

mod classify;
mod reaper;
mod run;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub use classify::{classify, family, message_match, normalize, Failure, Family};
/// The pure parser of the driver's output, for `crate::fuzzing`.
pub(crate) use run::parse_driver_output;
pub use run::{signal_name, Runner, DRIVER};

// The report model, with the outcome types it is made of, lives with the other commands'
// models; verify builds it.
pub use crate::report::verify::{
    Cause, ImportResult, Mode, ModuleReport, OptionsUsed, Outcome, PackageReport, PredictionClass,
    Report, RuntimeNumpy, Skipped, Summary, Warning, SCHEMA_VERSION,
};

use crate::rules::predict;
use crate::rules::Predicted;
use crate::scan::{NotJudgedWhy, Scanned};

/// Why `verify` could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("no interpreter is known for {prefix} (only site-packages directories were given); verify imports modules, so it needs --python or --env")]
    NoInterpreter { prefix: String },
    #[error("{python}: cannot run interpreter: {source}")]
    Spawn {
        python: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{python}: interpreter does not work: {reason}")]
    Interpreter { python: String, reason: String },
}

/// What to import and how.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Parallel interpreters (at least 1).
    pub jobs: usize,
    /// Deadline of each import.
    pub timeout: Duration,
    /// Only the modules whose binary shows they use NumPy's C API or Cython NumPy type checks.
    pub numpy_only: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            timeout: Duration::from_secs(60),
            numpy_only: false,
        }
    }
}

struct Candidate {
    module: String,
    path: PathBuf,
    distribution: Option<usize>,
    depends_on_numpy: bool,
    predicted: Option<Predicted>,
    static_error: Option<String>,
}

/// Run `f` over `items` on `jobs` threads, results in input order.
fn parallel<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                if let Ok(mut o) = out.lock() {
                    o[i] = Some(r);
                }
            });
        }
    });
    out.into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

/// Import every extension module (or every NumPy-using one) of a scanned environment and compare
/// with the scan's predictions. Errors only when nothing can be imported at all (no working interpreter).
pub fn verify(scanned: &Scanned, opts: &VerifyOptions) -> Result<Report, VerifyError> {
    let env = &scanned.environment;
    let python = env
        .python
        .clone()
        .ok_or_else(|| VerifyError::NoInterpreter {
            prefix: env.prefix.display().to_string(),
        })?;
    let runner = Runner {
        python: python.clone(),
        site_packages: env.site_packages.clone(),
        timeout: opts.timeout,
        cwd: std::env::temp_dir(),
    };
    // Daemons an import starts are re-parented to us and killed (reaper).
    reaper::adopt_orphans();
    runner.preflight()?;
    let mut notes = Vec::new();

    // 1. What is installed, which NumPy runs, what the binaries predict: `check`'s own scan.
    let inv = &scanned.inventory;
    for d in &inv.diagnostics {
        notes.push(d.to_string());
    }
    let rt = scanned.scan.numpy.as_ref();
    let numpy = scanned.numpy_install.as_ref().map(|n| RuntimeNumpy {
        version: rt.map_or_else(|| n.version.clone(), |r| r.version.clone()),
        path: n.path.clone(),
        path_in_env: None,
        release_line: rt.map(|r| r.release.line.clone()),
        beyond_knowledge: rt.is_some_and(|r| r.beyond_knowledge),
    });
    match (&scanned.numpy_install, rt) {
        (None, _) => notes.push(
            "no NumPy in this environment: nothing is predicted to fail, modules are imported anyway"
                .into(),
        ),
        (Some(n), None) => notes.push(format!(
            "NumPy {} is not in the knowledge base: nothing is predicted",
            n.version
        )),
        (Some(_), Some(r)) if r.beyond_knowledge => notes.push(format!(
            "NumPy {} is newer than the knowledge base: predicted with the facts of the {} line",
            r.version, r.release.line
        )),
        _ => {}
    }

    // Import names as the inventory gives them (the scan drops them for shared libraries).
    let names: BTreeMap<&str, &str> = inv
        .binaries
        .iter()
        .filter_map(|b| Some((b.path.to_str()?, b.module.as_deref()?)))
        .collect();
    let mut skipped = Vec::new();
    let mut candidates = Vec::new();
    for m in &scanned.scan.modules {
        let Some(name) = names.get(m.path.as_str()) else {
            continue;
        };
        if m.module.is_none() {
            // `import` of a file without PyInit_ fails with "dynamic module does not define
            // module export function": it is a shared library that modules load, not a module.
            skipped.push(Skipped {
                module: name.to_string(),
                path: PathBuf::from(&m.path),
                path_in_env: None,
                reason: "not an extension module: exports no PyInit_ function (a shared library \
                         that modules load)"
                    .into(),
            });
            continue;
        }
        let depends = predict::depends_on_numpy(&m.facts.numpy);
        if opts.numpy_only && !depends {
            continue;
        }
        candidates.push(Candidate {
            module: name.to_string(),
            path: PathBuf::from(&m.path),
            distribution: m.dist,
            depends_on_numpy: depends,
            predicted: scanned.predicted(name).cloned(),
            static_error: None,
        });
    }
    for u in &scanned.scan.unreadable {
        let Some(module) = &u.module else { continue };
        if opts.numpy_only {
            skipped.push(Skipped {
                module: module.clone(),
                path: PathBuf::from(&u.path),
                path_in_env: None,
                reason: format!("unreadable, so not known to use NumPy: {}", u.problem),
            });
            continue;
        }
        candidates.push(Candidate {
            module: module.clone(),
            path: PathBuf::from(&u.path),
            distribution: u.dist,
            depends_on_numpy: false,
            predicted: None,
            static_error: Some(format!("{}: {}", u.path, u.problem)),
        });
    }
    for n in &scanned.not_judged {
        let Some(module) = &n.module else { continue };
        match n.why {
            NotJudgedWhy::Shadowed => skipped.push(Skipped {
                module: module.clone(),
                path: n.path.clone(),
                path_in_env: None,
                reason: "shadowed: Python imports another file for this name".into(),
            }),
            // NumPy's own modules are the runtime: imported, but not judged, as in `check`.
            NotJudgedWhy::NumpyItself => {
                let facts = n.facts.as_ref();
                if facts.is_some_and(|f| f.module_init.is_none()) {
                    continue;
                }
                let depends = facts.is_some_and(|f| predict::depends_on_numpy(&f.numpy));
                if opts.numpy_only && !depends {
                    continue;
                }
                candidates.push(Candidate {
                    module: module.clone(),
                    path: n.path.clone(),
                    distribution: n.dist,
                    depends_on_numpy: depends,
                    predicted: None,
                    static_error: None,
                });
            }
        }
    }
    candidates.sort_by(|a, b| a.module.cmp(&b.module).then(a.path.cmp(&b.path)));
    candidates.dedup_by(|a, b| a.module == b.module);

    // 2. Top-level packages, imported once each the way a user does.
    let module_names: BTreeSet<&str> = candidates.iter().map(|c| c.module.as_str()).collect();
    let mut package_counts: BTreeMap<String, usize> = BTreeMap::new();
    for c in &candidates {
        if let Some((top, _)) = c.module.split_once('.') {
            *package_counts.entry(top.to_string()).or_default() += 1;
        }
    }
    let packages: Vec<String> = package_counts
        .keys()
        .filter(|p| !module_names.contains(p.as_str()))
        .cloned()
        .collect();

    // 3. Import everything: modules and packages in one pool, then stubbed re-imports.
    enum Task<'a> {
        Module(&'a Candidate),
        Package(&'a str),
    }
    let tasks: Vec<Task> = candidates
        .iter()
        .map(Task::Module)
        .chain(packages.iter().map(|p| Task::Package(p)))
        .collect();
    let jobs = opts.jobs.max(1);
    let mut results = parallel(&tasks, jobs, |t| match t {
        Task::Module(c) => runner.import(Mode::Plain, &c.module, Some(&c.path)),
        Task::Package(p) => runner.import(Mode::Plain, p, None),
    });
    let package_results = results.split_off(candidates.len());
    let plain_results = results;
    let restub: Vec<usize> = plain_results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.failed_in_parent().is_some())
        .map(|(i, _)| i)
        .collect();
    let stubbed = parallel(&restub, jobs, |&i| {
        let c = &candidates[i];
        runner.import(Mode::Stub, &c.module, Some(&c.path))
    });
    let mut stub_of: BTreeMap<usize, ImportResult> = restub.into_iter().zip(stubbed).collect();

    // 4. Compare.
    let package_outcome: BTreeMap<&str, Outcome> = packages
        .iter()
        .map(String::as_str)
        .zip(package_results.iter().map(|r| r.outcome))
        .collect();
    let modules: Vec<ModuleReport> = candidates
        .iter()
        .zip(plain_results)
        .enumerate()
        .map(|(i, (c, plain))| {
            let (import, plain) = match stub_of.remove(&i) {
                Some(own) => (own, Some(plain)),
                None => (plain, None),
            };
            let real = failure_of(&import);
            let (mut prediction, message_match) =
                classify(c.predicted.as_ref(), import.outcome, &real);
            // A NumPy failure raised by another module this one imports (sklearn's
            // `_cython_blas` dying in scipy's `_fblas`) is that module's, not a miss here.
            if prediction == PredictionClass::Missed
                && import.origin.as_deref().is_some_and(|o| o != c.module)
            {
                prediction = PredictionClass::Cascade;
            }
            let numpy_family = if import.outcome == Outcome::Error {
                real.numpy_family()
            } else {
                None
            };
            let dist = c.distribution.and_then(|d| inv.distributions.get(d));
            let package = c.module.split_once('.').map(|(top, _)| top.to_string());
            ModuleReport {
                module: c.module.clone(),
                path: c.path.clone(),
                path_in_env: None,
                distribution: dist.map(|d| d.name.clone()),
                distribution_version: dist.map(|d| d.version.clone()),
                depends_on_numpy: c.depends_on_numpy,
                package_outcome: package
                    .as_deref()
                    .and_then(|p| package_outcome.get(p).copied()),
                package,
                import,
                plain,
                prediction,
                predicted: c.predicted.clone(),
                numpy_family,
                message_match,
                static_error: c.static_error.clone(),
            }
        })
        .collect();
    let packages: Vec<PackageReport> = packages
        .into_iter()
        .zip(package_results)
        .map(|(package, import)| {
            let numpy_family = if import.outcome == Outcome::Error {
                failure_of(&import).numpy_family()
            } else {
                None
            };
            PackageReport {
                modules: package_counts.get(&package).copied().unwrap_or(0),
                package,
                import,
                numpy_family,
            }
        })
        .collect();

    let stray = reaper::kill_strays();
    if stray > 0 {
        notes.push(format!(
            "{stray} process(es) started by the imports were still running at the end and were killed"
        ));
    }
    let summary = summarize(&modules, &packages, skipped.len());
    Ok(Report {
        schema_version: SCHEMA_VERSION,
        environment: env.clone(),
        python,
        numpy,
        options: OptionsUsed {
            jobs,
            timeout_seconds: opts.timeout.as_secs_f64(),
            numpy_only: opts.numpy_only,
        },
        modules,
        packages,
        skipped,
        summary,
        notes,
    }
    .with_paths_in_env())
}

fn failure_of(r: &ImportResult) -> Failure<'_> {
    Failure {
        exception: r.exception.as_deref(),
        message: r.message.as_deref(),
        cause: r.cause.as_ref().map(|c| c.message.as_str()),
        stderr: &r.stderr,
    }
}

fn summarize(modules: &[ModuleReport], packages: &[PackageReport], skipped: usize) -> Summary {
    let mut outcomes: BTreeMap<&'static str, usize> =
        Outcome::ALL.iter().map(|o| (o.as_str(), 0)).collect();
    let mut predictions: BTreeMap<&'static str, usize> = [
        PredictionClass::Agree,
        PredictionClass::Missed,
        PredictionClass::FalseAlarm,
        PredictionClass::Unrelated,
    ]
    .iter()
    .map(|p| (p.as_str(), 0))
    .collect();
    let mut message_match: BTreeMap<&'static str, usize> =
        [("true", 0), ("false", 0)].into_iter().collect();
    for m in modules {
        *outcomes.entry(m.import.outcome.as_str()).or_default() += 1;
        *predictions.entry(m.prediction.as_str()).or_default() += 1;
        if let Some(b) = m.message_match {
            *message_match
                .entry(if b { "true" } else { "false" })
                .or_default() += 1;
        }
    }
    let mut pk: BTreeMap<&'static str, usize> =
        Outcome::ALL.iter().map(|o| (o.as_str(), 0)).collect();
    for p in packages {
        *pk.entry(p.import.outcome.as_str()).or_default() += 1;
    }
    Summary {
        modules: modules.len(),
        outcomes,
        predictions,
        message_match,
        packages: pk,
        skipped,
    }
}
