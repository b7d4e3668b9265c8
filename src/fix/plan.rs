//! The plan: from a scan, the smallest set of exact changes after which every module the
//! environment's packages import works, with ranked alternatives and their evidence:
//!
//! 1. move NumPy into the window every judged module accepts and every declared requirement
//!    admits (the import windows of [`crate::rules::predict`]);
//! 2. move the failing packages to releases that fit the installed NumPy (the resolver picks the
//!    lowest release past the installed one whose declared requirements admit that NumPy; the
//!    proof tells whether its wheels really do, and a release that fails is excluded for the next
//!    try);
//! 3. rebuild the failing packages from source against the NumPy (last), proven like the others:
//!    the rebuild runs in the scratch venv with the printed command form.
//!
//! Where no NumPy works, the declared requirements that exclude every NumPy the binaries accept
//! are the blockers, with what the user could drop or change. A plan never proposes a NumPy
//! that a declared requirement excludes, so applying it and checking again cannot loop.

use crate::fix::commands::Commands;
use crate::fix::prove::{self, Proof, ProofStatus, ProveOptions};
use crate::fix::resolve::{self, Override, Request, Resolution, Resolver};
use crate::inventory::{normalize_name, Distribution};
use crate::knowledge::knowledge;
use crate::rules::dist_verdicts;
use crate::rules::hint::{admits, python_ok, range_spec};
use crate::scan::Scanned;
use serde::Serialize;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// JSON schema version of `fix --format json`.
pub const SCHEMA_VERSION: u32 = 1;

/// One change: `name` from one exact version to another (`from == to`: rebuilt in place).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Change {
    pub name: String,
    /// Installed version; `None`: newly installed.
    pub from: Option<String>,
    /// Planned version; `None`: removed.
    pub to: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    MoveNumpy,
    MovePackages,
    Rebuild,
}

/// A candidate plan.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Alternative {
    pub kind: Kind,
    pub summary: String,
    pub changes: Vec<Change>,
    pub evidence: Vec<String>,
    pub proof: Proof,
    pub commands: Commands,
}

/// A declared requirement that rules out every NumPy the binaries import under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Blocker {
    pub distribution: String,
    pub version: String,
    /// `numpy~=1.19.2`
    pub requirement: String,
    pub reason: String,
    /// What the user could drop or change.
    pub options: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Stats {
    pub resolver_runs: usize,
    pub scratch_installs: usize,
    pub seconds: f64,
}

/// The answer of `abi-doctor fix`.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The chosen alternative's changes (empty: nothing to change, or no plan).
    pub changes: Vec<Change>,
    pub kind: Option<Kind>,
    pub proven: bool,
    /// The chosen alternative's proof.
    pub proof: Option<Proof>,
    pub summary: String,
    /// Every alternative, best first (the chosen one included).
    pub alternatives: Vec<Alternative>,
    pub blockers: Vec<Blocker>,
    pub resolver: Option<String>,
    pub notes: Vec<String>,
    pub stats: Stats,
}

impl Plan {
    /// The chosen alternative.
    pub fn chosen(&self) -> Option<&Alternative> {
        self.kind
            .and_then(|k| self.alternatives.iter().find(|a| a.kind == k))
    }
}

/// Progress of planning (index queries, resolver runs, scratch installs). Empty defaults.
pub trait PlanProgress: Sync {
    fn step(&self, _what: &str) {}
    fn done(&self) {}
}

impl PlanProgress for () {}

#[derive(Debug, Clone)]
pub struct PlanOptions {
    /// `None`: no resolver (no uv, no pip): plans name NumPy windows only, unproven.
    pub resolver: Option<Resolver>,
    /// Prove candidates in a scratch venv.
    pub prove: bool,
    pub scratch_parent: PathBuf,
    /// uv's `--python-platform` spelling.
    pub python_platform: Option<String>,
    /// Candidate releases tried per failing package before giving up.
    pub max_tries: usize,
    pub import_timeout: Duration,
    pub jobs: usize,
}

impl Default for PlanOptions {
    fn default() -> Self {
        PlanOptions {
            resolver: None,
            prove: true,
            scratch_parent: std::env::temp_dir(),
            python_platform: resolve::host_platform(),
            max_tries: 3,
            import_timeout: Duration::from_secs(120),
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// A distribution that no index gives back: built on this machine or installed from a URL.
pub fn reinstallable(d: &Distribution) -> bool {
    !d.built_locally && d.direct_url.is_none()
}

struct Ctx<'a> {
    scanned: &'a Scanned,
    opts: &'a PlanOptions,
    progress: &'a dyn PlanProgress,
    stats: Stats,
    python_mm: Option<String>,
}

/// Plan the fix for a scanned environment.
pub fn plan(scanned: &Scanned, opts: &PlanOptions, progress: &dyn PlanProgress) -> Plan {
    let started = Instant::now();
    let inv = &scanned.inventory;
    let mut ctx = Ctx {
        scanned,
        opts,
        progress,
        stats: Stats::default(),
        python_mm: scanned
            .environment
            .python_version
            .as_ref()
            .map(|v| v.split('.').take(2).collect::<Vec<_>>().join(".")),
    };
    let mut plan = Plan {
        changes: vec![],
        kind: None,
        proven: false,
        proof: None,
        summary: String::new(),
        alternatives: vec![],
        blockers: vec![],
        resolver: opts.resolver.as_ref().map(Resolver::describe),
        notes: vec![],
        stats: Stats::default(),
    };
    let failing = scanned.failing_distributions();
    let Some(rt) = scanned.scan.numpy.as_ref() else {
        plan.summary = "no NumPy in this environment: nothing to plan".into();
        return finish(plan, ctx, started);
    };
    if failing.is_empty() {
        plan.summary = format!(
            "nothing to fix: no module is predicted to fail under NumPy {}",
            rt.version
        );
        plan.proven = true;
        return finish(plan, ctx, started);
    }
    if opts.resolver.is_none() {
        plan.notes.push(
            "no uv found (PATH, or ~/.cache/abi-doctor/package/tools/bin/uv) and the environment \
             has no pip: the plan names NumPy windows only and nothing is proven; get uv with \
             `curl -LsSf https://astral.sh/uv/install.sh | sh` or `pipx install uv`"
                .into(),
        );
    } else if matches!(opts.resolver, Some(Resolver::Pip { .. })) {
        plan.notes.push(
            "uv not found: resolving with pip's --dry-run --report (every unchanged package is \
             pinned); get uv with `pipx install uv` for preferences and per-release overrides"
                .into(),
        );
    }

    let releases = &knowledge().releases;
    let scan = &scanned.scan;
    let per_dist: Vec<(usize, Vec<bool>)> = (0..scan.dists.len())
        .filter_map(|i| dist_verdicts(scan, i).map(|(v, _)| (i, v)))
        .collect();
    let py_ok: Vec<bool> = releases.iter().map(|r| python_ok(scan, r)).collect();
    let bin_ok: Vec<bool> = (0..releases.len())
        .map(|li| py_ok[li] && per_dist.iter().all(|(_, v)| v[li]))
        .collect();
    let decl_ok = |li: usize| {
        scan.dists.iter().all(|d| {
            d.numpy_requirement
                .as_deref()
                .is_none_or(|s| admits(s, &releases[li]))
        })
    };
    let all_ok: Vec<bool> = (0..releases.len())
        .map(|li| bin_ok[li] && decl_ok(li))
        .collect();

    // Evidence shared by the alternatives: each failing distribution's window and declaration.
    let mut window_evidence = Vec::new();
    for (i, v) in &per_dist {
        let d = &scan.dists[*i];
        if !failing.contains(&d.name) {
            continue;
        }
        window_evidence.push(format!(
            "{} {}: its binaries import under {}{}",
            d.name,
            d.version,
            lines_spec(v, releases).unwrap_or_else(|| "no known NumPy".into()),
            d.numpy_requirement
                .as_deref()
                .map(|r| format!("; it declares numpy{r}"))
                .unwrap_or_default()
        ));
    }

    // 1. Move NumPy.
    if let Some(newest) = all_ok.iter().rposition(|&b| b) {
        let mut lo = newest;
        while lo > 0 && all_ok[lo - 1] {
            lo -= 1;
        }
        let spec = range_spec(releases, lo, newest);
        let mut evidence = vec![format!(
            "every NumPy-using module and every declared requirement admits numpy{spec}; NumPy {} is installed",
            rt.version
        )];
        evidence.extend(window_evidence.iter().cloned());
        let req = base_request(&ctx, &[], &[format!("numpy{spec}")], &[]);
        let alt = resolve_and_prove(
            &mut ctx,
            Kind::MoveNumpy,
            format!("move NumPy into numpy{spec}"),
            req,
            evidence,
            |name| {
                if name == "numpy" {
                    format!(
                        "every module here imports under numpy{spec} (it was {})",
                        rt.version
                    )
                } else {
                    "needed by the new NumPy".into()
                }
            },
        );
        plan.alternatives.push(alt);
    } else {
        plan.blockers = blockers(scanned, &bin_ok, releases);
        if plan.blockers.is_empty() {
            plan.notes.push(format!(
                "no NumPy release is accepted by every binary here ({}): some package must move or be rebuilt",
                window_evidence.join("; ")
            ));
        }
    }

    // 2. Move the failing packages to releases that fit the installed NumPy (only when NumPy
    // itself is not the whole answer, or as the runner-up).
    let proven_numpy = plan.alternatives.iter().any(|a| a.proof.is_proven());
    let movable: Vec<&Distribution> = failing
        .iter()
        .filter_map(|n| inv.distributions.iter().find(|d| &d.name == n))
        .filter(|d| reinstallable(d))
        .collect();
    // Every declaration but the movers' own (their new releases declare anew) admits this NumPy.
    let others_admit_rt = scan.dists.iter().all(|d| {
        movable.iter().any(|m| m.name == d.name)
            || d.numpy_requirement
                .as_deref()
                .is_none_or(|s| admits(s, rt.release))
    });
    let decl_admits_rt = scan.dists.iter().all(|d| {
        d.numpy_requirement
            .as_deref()
            .is_none_or(|s| admits(s, rt.release))
    });
    if !movable.is_empty() && ctx.opts.resolver.is_some() && (!proven_numpy || others_admit_rt) {
        if let Some(alt) = move_packages(&mut ctx, &movable, &rt.version, &window_evidence) {
            plan.alternatives.push(alt);
        }
    }

    // 3. Rebuild (proven in a scratch venv like the others), against the installed NumPy when every declaration admits
    // it, else against the newest NumPy the declarations admit.
    let target_numpy = if decl_admits_rt {
        Some(rt.version.clone())
    } else {
        (0..releases.len())
            .rev()
            .find(|&li| py_ok[li] && decl_ok(li))
            .map(|li| releases[li].last_patch.clone())
    };
    let numpy_move_works = plan.alternatives.iter().any(|a| {
        a.kind == Kind::MoveNumpy && a.proof.status != ProofStatus::Failed && !a.changes.is_empty()
    });
    if let Some(np) = target_numpy.filter(|_| !numpy_move_works) {
        let mut changes = Vec::new();
        let mut cmds = Commands::default();
        for name in &failing {
            let Some(d) = inv.distributions.iter().find(|d| &d.name == name) else {
                continue;
            };
            changes.push(Change {
                name: d.name.clone(),
                from: Some(d.version.clone()),
                to: Some(d.version.clone()),
                reason: format!(
                    "rebuild {} {} from source against NumPy {np}",
                    d.name, d.version
                ),
            });
            cmds.extend(scan.target.rebuild(&d.name, &d.version, &np));
        }
        if np != rt.version {
            changes.insert(
                0,
                Change {
                    name: "numpy".into(),
                    from: Some(rt.version.clone()),
                    to: Some(np.clone()),
                    reason: "the newest NumPy every declared requirement admits".into(),
                },
            );
            let pin = [("numpy".to_string(), np.clone())];
            let c = scan.target.install_pins(&pin);
            cmds.pip.splice(0..0, c.pip);
            cmds.uv.splice(0..0, c.uv);
        }
        if !changes.is_empty() {
            let mut evidence = window_evidence.clone();
            evidence.push(format!(
                "a build against NumPy {np} headers imports under NumPy {np} (docs/numpy-abi.md)"
            ));
            let proof = prove_rebuilds(&mut ctx, &changes, &np);
            plan.alternatives.push(Alternative {
                kind: Kind::Rebuild,
                summary: format!(
                    "rebuild {} from source against NumPy {np}",
                    failing.join(", ")
                ),
                changes,
                evidence,
                proof,
                commands: cmds,
            });
        }
    }

    // Rank: proven first, then unproven, failed last; then the kind; then fewer changes.
    let rank = |a: &Alternative| match a.proof.status {
        ProofStatus::Proven => 0,
        ProofStatus::Unproven => 1,
        ProofStatus::Failed => 2,
    };
    plan.alternatives
        .sort_by_key(|a| (rank(a), a.kind, a.changes.len()));
    let chosen = plan
        .alternatives
        .iter()
        .find(|a| a.proof.status != ProofStatus::Failed && !a.changes.is_empty());
    if let Some(c) = chosen {
        plan.changes = c.changes.clone();
        plan.kind = Some(c.kind);
        plan.proven = c.proof.is_proven();
        plan.proof = Some(c.proof.clone());
        plan.summary = format!(
            "{}{}",
            c.summary,
            if plan.proven {
                " (proven)"
            } else {
                " (not proven)"
            }
        );
    } else if !plan.blockers.is_empty() {
        plan.summary = format!(
            "no plan: {}",
            plan.blockers
                .iter()
                .map(|b| b.reason.clone())
                .collect::<Vec<_>>()
                .join("; ")
        );
    } else {
        plan.summary = "no plan passed its proof".into();
    }
    finish(plan, ctx, started)
}

fn finish(mut plan: Plan, ctx: Ctx<'_>, started: Instant) -> Plan {
    ctx.progress.done();
    plan.stats = ctx.stats;
    plan.stats.seconds = started.elapsed().as_secs_f64();
    plan
}

/// `>=1.23,<2` for the first run of `true` in a verdict vector.
fn lines_spec(v: &[bool], releases: &[crate::knowledge::Release]) -> Option<String> {
    let lo = v.iter().position(|&b| b)?;
    let hi = lo + v[lo..].iter().take_while(|&&b| b).count() - 1;
    Some(format!("numpy{}", range_spec(releases, lo, hi)))
}

/// The requests' common part: every reinstallable distribution by name (kept at its installed
/// version by the preferences), `extra` requirements, constraints, and what local builds declare.
fn base_request(
    ctx: &Ctx<'_>,
    replace: &[&str],
    extra: &[String],
    overrides: &[Override],
) -> Request {
    let inv = &ctx.scanned.inventory;
    let mut requirements = Vec::new();
    let mut preferences = Vec::new();
    let mut constraints: Vec<String> = extra.to_vec();
    let moved: Vec<String> = extra
        .iter()
        .map(|r| normalize_name(resolve::name_of(r)))
        .chain(replace.iter().map(|n| normalize_name(n)))
        .collect();
    for d in &inv.distributions {
        if !reinstallable(d) {
            // Kept as they are: what they declare binds the resolution.
            for r in d
                .requires
                .iter()
                .filter(|r| r.extra.is_none() && r.url.is_none())
            {
                if !r.specifier.is_empty() && marker_ok(ctx, r.marker.as_deref()) {
                    constraints.push(format!("{}{}", r.name, r.specifier));
                }
            }
            continue;
        }
        if !moved.contains(&d.normalized) {
            requirements.push(d.normalized.clone());
        }
        preferences.push((d.normalized.clone(), d.version.clone()));
    }
    requirements.extend(extra.iter().cloned());
    requirements.sort();
    requirements.dedup();
    // Constraints may only name plain version bounds (the `numpy...` window), not `pkg>1.0`.
    constraints.retain(|c| {
        !moved
            .iter()
            .any(|m| m != "numpy" && normalize_name(resolve::name_of(c)) == *m)
    });
    Request {
        requirements,
        constraints,
        overrides: overrides.to_vec(),
        preferences,
        lowest_direct: false,
        only_binary: moved.iter().filter(|m| !m.is_empty()).cloned().collect(),
        python_version: ctx.python_mm.clone(),
        python_platform: ctx.opts.python_platform.clone(),
    }
}

fn marker_ok(ctx: &Ctx<'_>, marker: Option<&str>) -> bool {
    match (marker, &ctx.scanned.environment.python_version) {
        (None, _) => true,
        (Some(m), Some(py)) => {
            crate::inventory::marker_applies(m, py, &crate::inventory::Platform::host())
                != Some(false)
        }
        (Some(_), None) => true,
    }
}

/// The changes from the freeze to a resolution.
fn diff(ctx: &Ctx<'_>, res: &Resolution, reason: &dyn Fn(&str) -> String) -> Vec<Change> {
    let inv = &ctx.scanned.inventory;
    let mut out = Vec::new();
    for (name, v) in res {
        let have = inv.distributions.iter().find(|d| &d.normalized == name);
        if have.map(|d| &d.version) == Some(v) {
            continue;
        }
        out.push(Change {
            name: have.map_or_else(|| name.clone(), |d| d.name.clone()),
            from: have.map(|d| d.version.clone()),
            to: Some(v.clone()),
            reason: reason(name),
        });
    }
    // NumPy first, then by name.
    out.sort_by_key(|c| (c.name != "numpy", c.name.clone()));
    out
}

fn pins(changes: &[Change]) -> Vec<(String, String)> {
    changes
        .iter()
        .filter_map(|c| Some((c.name.clone(), c.to.clone()?)))
        .collect()
}

fn run_prove(ctx: &mut Ctx<'_>, res: &Resolution) -> Proof {
    let Some(resolver) = ctx.opts.resolver.clone() else {
        return Proof::unproven("no resolver: nothing to install in a scratch venv");
    };
    if !ctx.opts.prove {
        return Proof::unproven("not proven (--no-prove)");
    }
    ctx.progress.step("installing the plan into a scratch venv");
    ctx.stats.scratch_installs += 1;
    let copies: Vec<&Distribution> = ctx
        .scanned
        .inventory
        .distributions
        .iter()
        .filter(|d| !reinstallable(d))
        .collect();
    prove::prove(
        ctx.scanned,
        res,
        &copies,
        &ProveOptions {
            resolver,
            scratch_parent: ctx.opts.scratch_parent.clone(),
            timeout: ctx.opts.import_timeout,
            jobs: ctx.opts.jobs,
        },
    )
}

/// Prove a rebuild alternative in a scratch venv: every reinstallable distribution at its
/// installed version (NumPy at `np`), the local builds copied, then each rebuilt distribution
/// built from its sdist there with the printed command form, against NumPy `np`.
fn prove_rebuilds(ctx: &mut Ctx<'_>, changes: &[Change], np: &str) -> Proof {
    let Some(resolver) = ctx.opts.resolver.clone() else {
        return Proof::unproven("no resolver (uv or pip) to make a scratch venv with");
    };
    if !ctx.opts.prove {
        return Proof::unproven("not proven (--no-prove)");
    }
    let rebuilt: Vec<String> = changes
        .iter()
        .filter(|c| c.from == c.to)
        .map(|c| normalize_name(&c.name))
        .collect();
    let inv = &ctx.scanned.inventory;
    let mut planned: Resolution = inv
        .distributions
        .iter()
        .filter(|d| reinstallable(d) && !rebuilt.contains(&d.normalized))
        .map(|d| (d.normalized.clone(), d.version.clone()))
        .collect();
    planned.insert("numpy".into(), np.to_string());
    let copies: Vec<&Distribution> = inv
        .distributions
        .iter()
        .filter(|d| !reinstallable(d) && !rebuilt.contains(&d.normalized))
        .collect();
    let rebuilds: Vec<prove::Rebuild> = changes
        .iter()
        .filter(|c| c.from == c.to)
        .filter_map(|c| {
            Some(prove::Rebuild {
                name: c.name.clone(),
                version: c.to.clone()?,
                build_constraints: vec![format!("numpy=={np}")],
            })
        })
        .collect();
    ctx.progress
        .step("rebuilding from source in a scratch venv");
    ctx.stats.scratch_installs += 1;
    prove::prove_rebuild(
        ctx.scanned,
        &planned,
        &copies,
        &rebuilds,
        &ProveOptions {
            resolver,
            scratch_parent: ctx.opts.scratch_parent.clone(),
            timeout: ctx.opts.import_timeout,
            jobs: ctx.opts.jobs,
        },
    )
}

fn compile(ctx: &mut Ctx<'_>, req: &Request) -> Result<Resolution, resolve::ResolveError> {
    let resolver = ctx
        .opts
        .resolver
        .clone()
        .ok_or_else(|| resolve::ResolveError::Output("no resolver".into()))?;
    ctx.progress.step("resolving with uv");
    ctx.stats.resolver_runs += 1;
    resolve::compile(&resolver, req)
}

fn resolve_and_prove(
    ctx: &mut Ctx<'_>,
    kind: Kind,
    summary: String,
    req: Request,
    mut evidence: Vec<String>,
    reason: impl Fn(&str) -> String,
) -> Alternative {
    let target = &ctx.scanned.scan.target;
    if ctx.opts.resolver.is_none() {
        return Alternative {
            kind,
            summary,
            changes: vec![],
            evidence,
            proof: Proof::unproven(
                "no resolver (uv or pip) to turn the window into exact versions",
            ),
            commands: Commands::default(),
        };
    }
    match compile(ctx, &req) {
        Err(e) => {
            evidence.push(format!("the resolver found no exact versions: {e}"));
            Alternative {
                kind,
                summary,
                changes: vec![],
                evidence,
                proof: Proof {
                    status: ProofStatus::Failed,
                    passed: vec![],
                    notes: vec!["not resolvable".into()],
                    failing: vec![],
                },
                commands: Commands::default(),
            }
        }
        Ok(res) => {
            let changes = diff(ctx, &res, &reason);
            let commands = target.install_pins(&pins(&changes));
            let proof = run_prove(ctx, &res);
            Alternative {
                kind,
                summary,
                changes,
                evidence,
                proof,
                commands,
            }
        }
    }
}

/// Move the failing packages past their installed releases (lowest that fits), keeping NumPy;
/// a candidate whose proof fails is excluded (a scoped override when uv takes them, else `!=`)
/// and the next one tried.
fn move_packages(
    ctx: &mut Ctx<'_>,
    movable: &[&Distribution],
    numpy: &str,
    window_evidence: &[String],
) -> Option<Alternative> {
    let mut excluded: Vec<(String, String)> = Vec::new();
    let scoped = matches!(&ctx.opts.resolver, Some(Resolver::Uv(u)) if u.scoped_overrides);
    let mut last = None;
    for _ in 0..ctx.opts.max_tries.max(1) {
        let mut extra: Vec<String> = vec![format!("numpy=={numpy}")];
        let mut overrides = Vec::new();
        for d in movable {
            let mut r = format!("{}>{}", d.normalized, d.version);
            for (n, v) in excluded.iter().filter(|(n, _)| n == &d.normalized) {
                if scoped {
                    overrides.push(Override {
                        name: n.clone(),
                        version: v.clone(),
                        // Known not to import under this NumPy: exclude it outright.
                        dependencies: vec![format!("numpy!={numpy}")],
                    });
                } else {
                    r.push_str(&format!(",!={v}"));
                }
            }
            extra.push(r);
        }
        let names: Vec<&str> = movable.iter().map(|d| d.name.as_str()).collect();
        let mut req = base_request(ctx, &names, &extra, &overrides);
        req.lowest_direct = true;
        let mut evidence = window_evidence.to_vec();
        evidence.push(format!(
            "the lowest releases past the installed ones whose declared requirements admit NumPy {numpy} (uv --resolution lowest-direct)"
        ));
        for (n, v) in &excluded {
            evidence.push(format!(
                "{n} {v} excluded: its modules still fail under NumPy {numpy} in the scratch venv"
            ));
        }
        let alt = resolve_and_prove(
            ctx,
            Kind::MovePackages,
            format!(
                "move {} to releases built for NumPy {numpy}",
                names.join(", ")
            ),
            req,
            evidence,
            |name| {
                if movable.iter().any(|d| d.normalized == name) {
                    format!("a release whose declared requirements and wheels fit NumPy {numpy}")
                } else {
                    "needed by the moved packages".into()
                }
            },
        );
        if alt.proof.status != ProofStatus::Failed || alt.changes.is_empty() {
            return Some(alt);
        }
        // Exclude the releases whose modules still fail, and try again.
        let before = excluded.len();
        for c in &alt.changes {
            let n = normalize_name(&c.name);
            let still = alt
                .proof
                .failing
                .iter()
                .any(|m| m.split('.').next().is_some_and(|t| normalize_name(t) == n))
                || alt
                    .proof
                    .failing
                    .iter()
                    .any(|m| m.contains(&format!("import {}", c.name)));
            if still && movable.iter().any(|d| d.normalized == n) {
                if let Some(v) = &c.to {
                    excluded.push((n, v.clone()));
                }
            }
        }
        let progressed = excluded.len() > before;
        last = Some(alt);
        if !progressed {
            break;
        }
    }
    last
}

/// The declared requirements that exclude every NumPy the binaries import under.
fn blockers(
    scanned: &Scanned,
    bin_ok: &[bool],
    releases: &'static [crate::knowledge::Release],
) -> Vec<Blocker> {
    let Some(lines) = lines_spec(bin_ok, releases) else {
        return vec![];
    };
    let scan = &scanned.scan;
    let failing = scanned.failing_distributions();
    let mut out = Vec::new();
    for d in &scan.dists {
        let Some(req) = &d.numpy_requirement else {
            continue;
        };
        let admits_any = (0..releases.len()).any(|li| bin_ok[li] && admits(req, &releases[li]));
        if admits_any {
            continue;
        }
        let mut options = vec![
            format!("drop {} (uninstall it) if nothing here needs it", d.name),
            format!(
                "change or relax its requirement numpy{req} to admit {lines} (a newer release of {}, or a fork)",
                d.name
            ),
        ];
        if !failing.is_empty() {
            options.push(format!(
                "rebuild {} from source against a NumPy that numpy{req} admits (the rebuild alternative)",
                failing.join(", ")
            ));
        }
        out.push(Blocker {
            distribution: d.name.clone(),
            version: d.version.clone(),
            requirement: format!("numpy{req}"),
            reason: format!(
                "{} {} declares numpy{req}, but the binaries here import only under {lines}",
                d.name, d.version
            ),
            options,
        });
    }
    out
}
