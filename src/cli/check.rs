//! `abi-doctor check`: scan an environment and predict every NumPy import failure.

use super::{CheckArgs, ColorChoice, EnvArgs, OutputFormat};
use abi_doctor::binary::{self, BinaryFacts};
use abi_doctor::discover::{self, DiscoverOptions};
use abi_doctor::inventory::{self, Inventory};
use abi_doctor::knowledge::{knowledge, parse_line};
use abi_doctor::report::check::{
    render_github, render_json, render_sarif, render_text, Cascade, CheckReport, EnvironmentInfo,
    NumpyInfo, Style, SCHEMA_VERSION,
};
use abi_doctor::rules::cascade::{self, ModuleGraph};
use abi_doctor::rules::predict;
use abi_doctor::rules::{self, Dist, Module, RuntimeNumpy, Scan, Severity, Unreadable};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Discover the environment named by `env_args` and run the whole static pipeline on it.
pub fn scan(
    env_args: &EnvArgs,
    progress_bar: bool,
) -> Result<CheckReport, discover::DiscoverError> {
    let opts = DiscoverOptions {
        python: env_args.python.clone(),
        env: env_args.env.clone(),
        site_packages: env_args.site_packages.clone(),
        ..DiscoverOptions::from_process()
    };
    let env = discover::discover(&opts)?;
    let inv = inventory::inventory(&env.site_packages);
    let progress = Progress::new(inv.binaries.len(), progress_bar);
    let facts: Vec<Result<BinaryFacts, String>> = inv
        .binaries
        .par_iter()
        .map(|b| {
            let r = binary::inspect_path(&b.path).map_err(|e| e.to_string());
            progress.tick();
            r
        })
        .collect();
    progress.finish();

    let numpy = abi_doctor::runtime::find_numpy(&inv, &env.site_packages);
    let scan = build_scan(&env, &inv, facts, numpy.as_ref());
    let findings = rules::run_all(&scan);
    let failures: BTreeMap<String, (String, String)> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| {
            let p = f.predicted.as_ref()?;
            Some((f.module.clone()?, (p.exception.clone(), p.message.clone())))
        })
        .collect();
    let cascades = cascades(&scan, &inv, &failures);
    let failing_dists: Vec<String> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| f.distribution.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let hint = abi_doctor::fix::hint(&scan, &failing_dists);
    let numpy_binaries = scan
        .modules
        .iter()
        .filter(|m| predict::depends_on_numpy(&m.facts.numpy))
        .count();
    Ok(CheckReport {
        schema_version: SCHEMA_VERSION,
        environment: EnvironmentInfo {
            python: env.python.as_ref().map(|p| p.display().to_string()),
            python_version: env.python_version.clone(),
            prefix: env.prefix.display().to_string(),
            kind: match env.kind {
                discover::EnvKind::Venv => "venv",
                discover::EnvKind::Conda => "conda",
                discover::EnvKind::System => "system",
                discover::EnvKind::SitePackagesOnly => "site-packages",
            }
            .to_string(),
            site_packages: env
                .site_packages
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        },
        numpy: scan.numpy.as_ref().map(|n| NumpyInfo {
            version: n.version.clone(),
            path: n.path.clone(),
            abi_version: format!("{:#x}", n.release.abi_version),
            c_api_version: format!("{:#x}", n.release.api_version),
            beyond_knowledge: n.beyond_knowledge,
        }),
        summary: CheckReport::summarize(&findings),
        findings,
        cascades,
        fix_hint: hint,
        binaries_scanned: inv.binaries.len(),
        numpy_binaries,
    })
}

pub fn run(args: &CheckArgs) -> anyhow::Result<i32> {
    let started = Instant::now();
    let report = match scan(&args.env, true) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("abi-doctor: error: {e}");
            eprintln!(
                "  hint: name the environment with --env DIR, --python PATH or --site-packages DIR"
            );
            return Ok(2);
        }
    };
    let text = match args.format {
        OutputFormat::Text => render_text(
            &report,
            Style {
                color: color_enabled(args.color),
                verbose: args.verbose,
            },
        ),
        OutputFormat::Json => render_json(&report),
        OutputFormat::Sarif => render_sarif(&report),
        OutputFormat::Github => render_github(&report),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    if args.verbose {
        eprintln!(
            "abi-doctor: scanned {} binaries in {:.0} ms",
            report.binaries_scanned,
            started.elapsed().as_secs_f64() * 1000.0
        );
    }
    Ok(if report.has_errors() { 1 } else { 0 })
}

fn color_enabled(c: ColorChoice) -> bool {
    match c {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal()
        }
    }
}

/// Requirement specifiers on `numpy` that apply here (markers evaluated; extras ignored).
fn numpy_requirement(d: &inventory::Distribution, python: Option<&str>) -> Option<String> {
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

fn build_scan(
    env: &discover::Environment,
    inv: &Inventory,
    facts: Vec<Result<BinaryFacts, String>>,
    numpy: Option<&abi_doctor::runtime::NumpyInstall>,
) -> Scan {
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
    let mut modules = Vec::new();
    let strip = |path: &str, msg: &str| {
        msg.strip_prefix(path)
            .map(|m| m.trim_start_matches(':').trim().to_string())
            .unwrap_or_else(|| msg.to_string())
    };
    let mut unreadable: Vec<Unreadable> = inv
        .problems
        .iter()
        .map(|p| {
            let path = p.path.display().to_string();
            Unreadable {
                problem: strip(&path, &p.message),
                path,
                dist: None,
            }
        })
        .collect();
    for (b, f) in inv.binaries.iter().zip(facts) {
        // NumPy's own extension modules are the runtime, built with NPY_INTERNAL_BUILD; the
        // knowledge base describes them. They are scanned, not judged.
        if b.module
            .as_deref()
            .is_some_and(|m| m == "numpy" || m.starts_with("numpy."))
        {
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
                    dist: b.distribution,
                })
            }
        }
    }
    let numpy = numpy.and_then(|n| {
        let k = knowledge();
        // The files Python loads decide the ABI: numpy/version.py wins over the metadata when
        // they disagree (NPY012 reports it).
        let (version, metadata_version) = match &n.version_file_version {
            Some(f) if *f != n.version => (f.clone(), Some(n.version.clone())),
            _ => (n.version.clone(), None),
        };
        let (release, beyond) = match k.release(&version) {
            Some(r) => (r, false),
            None => {
                let newer = parse_line(&version)? > k.newest()?.key();
                if !newer {
                    return None;
                }
                (k.newest()?, true)
            }
        };
        Some(RuntimeNumpy {
            version,
            path: n.path.display().to_string(),
            release,
            beyond_knowledge: beyond,
            metadata_version,
        })
    });
    let other_numpys = numpy
        .as_ref()
        .and_then(|_| numpy_others(inv, env))
        .unwrap_or_default();
    Scan {
        python_version: env.python_version.clone(),
        dists,
        modules,
        numpy,
        other_numpys,
        unreadable,
    }
}

fn numpy_others(
    inv: &Inventory,
    env: &discover::Environment,
) -> Option<Vec<(String, Option<String>)>> {
    let n = abi_doctor::runtime::find_numpy(inv, &env.site_packages)?;
    Some(
        n.others
            .iter()
            .map(|(p, v)| (p.display().to_string(), v.clone()))
            .collect(),
    )
}

/// The module graph of the environment, read lazily from files.
struct EnvGraph<'a> {
    site_packages: &'a [PathBuf],
    binaries: HashMap<String, &'a Module>,
    failures: &'a BTreeMap<String, (String, String)>,
}

impl EnvGraph<'_> {
    fn source_path(&self, module: &str) -> Option<(PathBuf, bool)> {
        let rel: PathBuf = module.split('.').collect();
        for sp in self.site_packages {
            let pkg = sp.join(&rel).join("__init__.py");
            if pkg.is_file() {
                return Some((pkg, true));
            }
            let file = sp.join(&rel).with_extension("py");
            if file.is_file() {
                return Some((file, false));
            }
        }
        None
    }
}

impl ModuleGraph for EnvGraph<'_> {
    fn exists(&self, module: &str) -> bool {
        self.binaries.contains_key(module) || self.source_path(module).is_some()
    }
    fn imports(&self, module: &str) -> Vec<String> {
        if let Some(m) = self.binaries.get(module) {
            return m.facts.referenced_modules.clone();
        }
        let Some((path, is_pkg)) = self.source_path(module) else {
            return vec![];
        };
        // Bounded read: Python files larger than 4 MB are generated data, not import lists.
        let Ok(bytes) = read_bounded(&path, 4 << 20) else {
            return vec![];
        };
        let text = String::from_utf8_lossy(&bytes);
        let package = if is_pkg {
            module.to_string()
        } else {
            module
                .rsplit_once('.')
                .map(|(p, _)| p.to_string())
                .unwrap_or_default()
        };
        let stmts = cascade::parse_imports(&text, &package);
        cascade::expand(&stmts, |m| self.exists(m))
    }
    fn failure(&self, module: &str) -> Option<(String, String)> {
        self.failures.get(module).cloned()
    }
}

fn read_bounded(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)?.take(max).read_to_end(&mut buf)?;
    Ok(buf)
}

fn cascades(
    scan: &Scan,
    inv: &Inventory,
    failures: &BTreeMap<String, (String, String)>,
) -> Vec<Cascade> {
    if failures.is_empty() {
        return vec![];
    }
    let site_packages: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = Vec::new();
        for b in &inv.binaries {
            if !v.contains(&b.site_packages) {
                v.push(b.site_packages.clone());
            }
        }
        v
    };
    let graph = EnvGraph {
        site_packages: &site_packages,
        binaries: scan
            .modules
            .iter()
            .filter_map(|m| Some((m.module.clone()?, m)))
            .collect(),
        failures,
    };
    // Every top-level import name of every distribution that has compiled modules or depends on
    // a package that does.
    let mut tops: BTreeMap<String, Option<String>> = BTreeMap::new();
    for d in &inv.distributions {
        for t in &d.top_level {
            if !t.is_empty() && !t.starts_with('_') {
                tops.entry(t.clone())
                    .or_insert_with(|| Some(d.name.clone()));
            }
        }
    }
    let mut out = Vec::new();
    for (top, dist) in tops {
        if top == "numpy" {
            continue;
        }
        if let Some((chain, exception, message)) = cascade::dies_in(&graph, &top) {
            let dies_in = chain.last().cloned().unwrap_or_default();
            out.push(Cascade {
                package: top,
                distribution: dist,
                dies_in,
                via: chain,
                exception,
                message,
            });
        }
    }
    out
}

/// A progress line on stderr for scans longer than a second, only on a terminal.
struct Progress {
    total: usize,
    done: std::sync::atomic::AtomicUsize,
    start: Instant,
    enabled: bool,
    shown: std::sync::atomic::AtomicBool,
}

impl Progress {
    fn new(total: usize, wanted: bool) -> Self {
        Progress {
            total,
            done: 0.into(),
            start: Instant::now(),
            enabled: wanted && std::io::stderr().is_terminal(),
            shown: false.into(),
        }
    }
    fn tick(&self) {
        use std::sync::atomic::Ordering;
        let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.enabled || self.start.elapsed().as_millis() < 1000 || n % 16 != 0 {
            return;
        }
        self.shown.store(true, Ordering::Relaxed);
        eprint!("\rabi-doctor: inspecting binaries {n}/{}", self.total);
    }
    fn finish(&self) {
        if self.shown.load(std::sync::atomic::Ordering::Relaxed) {
            eprint!("\r\x1b[K");
        }
    }
}
