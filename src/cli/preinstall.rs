//! `abi-doctor check -r FILE | --lock FILE | --wheelhouse DIR | WHEEL...`: check a set of wheels
//! before installing it ([`abi_doctor::preinstall`]), with check's report and exit codes.

use super::check::{filter_findings, render, Progress};
use super::global::Globals;
use super::{CheckArgs, OutputFormat};
use abi_doctor::preinstall::fetch::IndexFetcher;
use abi_doctor::preinstall::lock::read_lock;
use abi_doctor::preinstall::resolve::{find_uv, resolve, ResolveOptions};
use abi_doctor::preinstall::{self, Plan, Problem, ProblemLevel, Target};
use abi_doctor::report::check::{CheckReport, PlanInfo, PlanLocation, PlanProblem, PlanWheel};
use abi_doctor::{discover, scan};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Is this a check before install (any input that is not an environment)?
pub fn wanted(args: &CheckArgs) -> bool {
    !args.requirements.is_empty()
        || !args.locks.is_empty()
        || !args.wheelhouses.is_empty()
        || args
            .paths
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "whl") || p.is_file())
}

pub fn run(
    args: &CheckArgs,
    g: &Globals,
    format: OutputFormat,
    progress: &Progress,
) -> anyhow::Result<i32> {
    let started = Instant::now();
    let dopts = args.env.discover_options();
    let vars = dopts.env_vars.clone();
    let cwd = dopts.cwd.clone();
    // The environment `check` would scan gives the default target and the interpreter printed
    // commands name; it is only looked for, never scanned.
    let env = discover::discover(&dopts).ok();
    let env_version = env.as_ref().and_then(|e| e.python_version.clone());
    let version = match (&args.python_version, &env_version) {
        (Some(v), _) => v.clone(),
        (None, Some(v)) => v.clone(),
        (None, None) => {
            eprintln!(
                "abi-doctor: error: no Python environment found to take the target from; pass \
                 --python-version X.Y (and --python-platform)"
            );
            return Ok(2);
        }
    };
    let target = match Target::new(&version, args.python_platform.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            let option = match e {
                preinstall::tags::TagError::Python(_) => "--python-version",
                preinstall::tags::TagError::Platform(_) => "--python-platform",
                _ => "the target",
            };
            eprintln!("abi-doctor: error: {option}: {e}");
            return Ok(2);
        }
    };
    // Printed commands name the environment's interpreter only when the target is that
    // environment's Python.
    let env_python = env
        .as_ref()
        .filter(|e| {
            e.python_version
                .as_deref()
                .and_then(|v| preinstall::tags::parse_python(v).ok())
                == Some(target.python)
                && args.python_platform.is_none()
        })
        .and_then(|e| e.python.clone());

    let mut plan = Plan::default();
    // Wheels and wheelhouses.
    let mut wheel_files = 0;
    for p in &args.paths {
        let p = cwd.join(p);
        if p.is_dir() {
            plan.problems.push(Problem::error(format!(
                "{}: a directory among wheel files (an environment is --env DIR, a directory of \
                 wheels --wheelhouse DIR); skipped",
                p.display()
            )));
            continue;
        }
        match preinstall::pin_of_wheel(&p, "the command line") {
            Some(pin) if p.is_file() => {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                if let Some(w) = name.and_then(|n| preinstall::WheelName::parse(&n).ok()) {
                    if !target.accepts(&w) {
                        plan.problems.push(Problem::warning(format!(
                            "{}: an installer would refuse this wheel for CPython {} on {}; \
                             checked anyway",
                            p.display(),
                            target.python_version(),
                            target.name
                        )));
                    }
                }
                wheel_files += 1;
                plan.add(vec![pin]);
            }
            Some(_) => plan.problems.push(Problem::error(format!(
                "{}: no such file; skipped",
                p.display()
            ))),
            None => plan.problems.push(Problem::error(format!(
                "{}: not a wheel file name (NAME-VERSION-PY-ABI-PLATFORM.whl); skipped",
                p.display()
            ))),
        }
    }
    if wheel_files > 0 {
        plan.inputs.push(format!(
            "{wheel_files} wheel file{}",
            if wheel_files == 1 { "" } else { "s" }
        ));
    }
    for dir in &args.wheelhouses {
        let d = cwd.join(dir);
        plan.inputs.push(dir.display().to_string());
        match preinstall::wheelhouse(&d, &target) {
            Ok((pins, problems)) => {
                plan.add(pins);
                plan.problems.extend(problems);
            }
            Err(e) => plan.problems.push(Problem::error(format!(
                "{}: cannot read the wheelhouse: {e}",
                d.display()
            ))),
        }
    }
    for lock in &args.locks {
        plan.inputs.push(lock.display().to_string());
        let path = cwd.join(lock);
        let text = match abi_doctor::fsread::read_text(&path, abi_doctor::fsread::Limit::Metadata) {
            Ok(t) => t,
            Err(e) => {
                plan.problems
                    .push(Problem::error(format!("{e}; not checked")));
                continue;
            }
        };
        match read_lock(lock, &text, &target) {
            Ok(read) => {
                plan.resolved = true;
                plan.notes.push(format!(
                    "{}: {} distributions for CPython {} on {} (markers evaluated)",
                    lock.display(),
                    read.pins.len(),
                    target.python_version(),
                    target.name
                ));
                plan.notes.extend(read.notes);
                plan.add(read.pins);
                plan.problems
                    .extend(read.problems.into_iter().map(Problem::error));
            }
            Err(e) => plan
                .problems
                .push(Problem::error(format!("{e}; not checked"))),
        }
    }
    if !args.requirements.is_empty() {
        for r in &args.requirements {
            plan.inputs.push(r.display().to_string());
        }
        let ropts = ResolveOptions {
            requirements: args.requirements.clone(),
            constraints: args.constraints.clone(),
            no_deps: args.no_deps,
            offline: args.offline,
            uv: find_uv(&vars),
            pip_python: env_python
                .clone()
                .or_else(|| env.as_ref().and_then(|e| e.python.clone())),
            cwd: cwd.clone(),
        };
        let got = resolve(&ropts, &target);
        plan.resolved |= !args.no_deps;
        plan.notes.extend(got.notes);
        plan.add(got.pins);
        plan.problems.extend(got.problems);
    }
    // Entries that a lock names by file only (poetry.lock): find their URLs on the index.
    let cache_root = if args.no_cache {
        None
    } else {
        scan::cache::default_dir(&vars).and_then(|d| d.parent().map(Path::to_path_buf))
    };
    let mut cfg = abi_doctor::index::IndexConfig::from_env(&vars);
    cfg.offline |= args.offline;
    let client =
        match abi_doctor::index::Client::new(cfg, abi_doctor::index::default_cache_dir(&vars)) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("abi-doctor: error: {e}");
                return Ok(2);
            }
        };
    let fetcher = IndexFetcher::new(client);
    locate_files(&mut plan, &fetcher);

    let opts = preinstall::CheckOptions {
        target: target.clone(),
        cache_root,
        python: env_python.clone(),
    };
    let checked = match preinstall::check(&plan, &fetcher, &opts, progress) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("abi-doctor: error: {e}");
            return Ok(2);
        }
    };
    let mut problems = checked.problems.clone();
    if checked.stats.ranges_refused > 0 || checked.stats.full_downloads > 0 {
        problems.push(Problem::warning(format!(
            "the index ({}) refused HTTP range requests: {} file(s) downloaded whole (within \
             the index reader's size limit) instead of reading only the members a check needs",
            fetcher.client().config().index_url,
            checked.stats.full_downloads
        )));
    }
    let mut report = CheckReport::from_scan(&checked.scanned);
    for f in &mut report.findings {
        if let Some(p) = f.path.as_deref().and_then(|p| checked.shown_path(p)) {
            if format != OutputFormat::Sarif {
                f.path = Some(p);
            }
        }
    }
    if let Some(n) = &mut report.numpy {
        let init = PathBuf::from(&n.path).join("__init__.py");
        if let Some(p) = checked.shown_path(&init.display().to_string()) {
            n.path = p.trim_end_matches("/__init__.py").to_string();
        }
    }
    filter_findings(&mut report, args, g);
    report.environment.source = "before install".to_string();
    report.plan = Some(PlanInfo {
        inputs: plan.inputs.clone(),
        target: format!("CPython {} on {}", target.python_version(), target.name),
        wheels: checked
            .wheels
            .iter()
            .map(|(name, version, wheel)| PlanWheel {
                name: name.clone(),
                version: version.clone(),
                wheel: wheel.clone(),
            })
            .collect(),
        problems: problems
            .iter()
            .map(|p| PlanProblem {
                level: match p.level {
                    ProblemLevel::Error => "error",
                    ProblemLevel::Warning => "warning",
                }
                .to_string(),
                message: p.message.clone(),
            })
            .collect(),
        explanations: checked.explanations.clone(),
        notes: plan.notes.clone(),
        requests: checked.stats.requests,
        bytes: checked.stats.bytes,
        cache_hits: checked.stats.cache_hits,
        full_bytes: plan
            .pins
            .iter()
            .filter_map(|p| match &p.choice {
                abi_doctor::preinstall::PinChoice::Wheel(f) if f.path.is_none() => f.size,
                _ => None,
            })
            .sum(),
        root: cwd.display().to_string(),
        locations: pin_locations(&plan, args, &cwd),
    });
    render(&report, format, g)?;
    if g.verbose > 0 && g.quiet == 0 {
        eprintln!(
            "abi-doctor: checked {} wheels in {:.0} ms: {} HTTP requests, {} bytes downloaded, {} from the cache",
            checked.wheels.len(),
            started.elapsed().as_secs_f64() * 1000.0,
            checked.stats.requests,
            checked.stats.bytes,
            checked.stats.cache_hits,
        );
    }
    let exit_zero = args.exit_zero || g.config.exit_zero.unwrap_or(false);
    let plan_errors = report.plan.as_ref().is_some_and(PlanInfo::has_errors);
    Ok(if report.has_errors() && !exit_zero {
        1
    } else if plan_errors {
        2
    } else {
        0
    })
}

/// Where each pin of the plan is written in the inputs, for the reports' locations.
fn pin_locations(plan: &Plan, args: &CheckArgs, cwd: &Path) -> Vec<PlanLocation> {
    use abi_doctor::preinstall::locate::{locate, InputKind};
    let inputs: Vec<(PathBuf, InputKind)> = args
        .requirements
        .iter()
        .map(|p| (p.clone(), InputKind::Requirements))
        .chain(args.locks.iter().map(|p| (p.clone(), InputKind::Lock)))
        .collect();
    locate(&plan.pins, &inputs, cwd)
        .into_iter()
        .map(|l| PlanLocation {
            distribution: l.distribution,
            file: l.file.display().to_string(),
            line: l.line.map(|n| n as u64),
        })
        .collect()
}

/// Pins whose wheel has a file name and a hash but no URL (poetry.lock): look the file up on
/// the index.
fn locate_files(plan: &mut Plan, fetcher: &IndexFetcher) {
    use abi_doctor::preinstall::{Fetcher, PinChoice};
    let mut problems = Vec::new();
    plan.pins.retain_mut(|p| {
        let PinChoice::Wheel(f) = &mut p.choice else {
            return true;
        };
        if f.url.is_some() || f.path.is_some() {
            return true;
        }
        match fetcher.files(&p.name) {
            Ok(files) => match files.into_iter().find(|x| x.filename == f.filename) {
                Some(found) => {
                    f.url = found.url;
                    f.size = f.size.or(found.size);
                    if f.sha256.is_none() {
                        f.sha256 = found.sha256;
                    }
                    true
                }
                None => {
                    problems.push(Problem::error(format!(
                        "{} {} ({}): {} is not on the index; not checked",
                        p.name, p.version, p.from, f.filename
                    )));
                    false
                }
            },
            Err(e) => {
                problems.push(Problem::error(format!(
                    "{} {} ({}): {e}; not checked",
                    p.name, p.version, p.from
                )));
                false
            }
        }
    });
    plan.problems.extend(problems);
}
