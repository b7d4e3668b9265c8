//! The plan: from a scan, the smallest set of exact changes after which every module the
//! environment's packages import works, with ranked alternatives and their evidence:
//!
//! 1. move NumPy into the window every judged module accepts and every declared requirement
//!    admits (the import windows of [`crate::rules::predict`]);
//! 2. move the failing packages to releases that fit the installed NumPy (the index's wheel facts
//!    exclude, as uv overrides, the releases whose wheels were built for another NumPy; uv picks
//!    the lowest remaining release past the installed one whose declared requirements admit that
//!    NumPy; the proof tells whether the set imports, and a release that fails is excluded for the
//!    next try);
//! 3. rebuild the failing packages from source against the NumPy (last), proven like the others:
//!    the rebuild runs in the scratch venv with the printed command form.
//!
//! Where no NumPy works, the declared requirements that exclude every NumPy the binaries accept
//! are the blockers, with what the user could drop or change. A plan never proposes a NumPy
//! that a declared requirement excludes, so applying it and checking again cannot loop.

use crate::binary::Pybind11Numpy;
use crate::fix::candidates::{self, Candidate, EnvTarget};
use crate::fix::commands::Commands;
use crate::fix::prove::{self, Proof, ProofStatus, ProveOptions};
use crate::fix::resolve::{self, Override, Request, Resolution, Resolver};
use crate::index::{Client, IndexConfig, IndexError, Project};
use crate::inventory::{normalize_name, Distribution};
use crate::knowledge::knowledge;
use crate::rules::dist_verdicts;
use crate::rules::hint::{admits, python_ok, range_spec};
use crate::scan::Scanned;
use serde::Serialize;
use std::collections::BTreeMap;
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
    /// HTTP requests sent to the index (project pages and wheel ranges).
    pub index_requests: u64,
    /// Response bytes received from the index.
    pub index_bytes: u64,
    /// Wheel facts and project pages answered from the cache (no request).
    pub index_cache_hits: u64,
    /// Wheels whose build NumPy was learnt (from the index or the cache).
    pub wheels_read: usize,
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
    /// The interpreter uv resolves for and wheels are picked for.
    pub target: Option<EnvTarget>,
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
    /// uv's `--python-platform` spelling; `None`: the scanned interpreter's
    /// ([`candidates::env_target`]).
    pub python_platform: Option<String>,
    /// The index the environment installs from (`IndexConfig::from_env` of its variables);
    /// `None`: candidates from uv alone.
    pub index: Option<IndexConfig>,
    /// abi-doctor's cache root for wheel facts (`index::default_cache_dir`); `None`: no cache.
    pub index_cache: Option<PathBuf>,
    /// Wheels read per failing package before giving up on finding one that fits.
    pub max_candidates: usize,
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
            python_platform: None,
            index: None,
            index_cache: None,
            max_candidates: 8,
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
    /// The resolver actually used (`None` offline).
    resolver: Option<Resolver>,
    /// The index client (`None`: no index configured, or offline).
    client: Option<Client>,
    /// Why the index is not used, when it is not (`offline (ABI_DOCTOR_OFFLINE)`).
    offline: Option<String>,
    target: Option<EnvTarget>,
    /// Project pages read so far.
    projects: BTreeMap<String, Project>,
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
        resolver: opts.resolver.clone(),
        client: None,
        offline: None,
        target: candidates::env_target(scanned),
        projects: BTreeMap::new(),
    };
    if let Some(cfg) = &opts.index {
        if cfg.offline {
            ctx.offline = Some(format!(
                "offline ({})",
                cfg.offline_source.as_deref().unwrap_or("offline")
            ));
        } else {
            match Client::new(cfg.clone(), opts.index_cache.clone()) {
                Ok(c) => ctx.client = Some(c),
                Err(e) => {
                    ctx.offline = Some(format!("the index cannot be used: {e}"));
                }
            }
        }
    }
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
        target: None,
        stats: Stats::default(),
    };
    if let Some(t) = &ctx.target {
        plan.target = Some(t.clone());
    }
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
    // The failing packages an index can give back, and what the index knows of their releases.
    let movable: Vec<&Distribution> = failing
        .iter()
        .filter_map(|n| inv.distributions.iter().find(|d| &d.name == n))
        .filter(|d| reinstallable(d))
        .collect();
    if let Some(client) = &ctx.client {
        for d in &movable {
            ctx.progress
                .step(&format!("reading the index page of {}", d.name));
            match candidates::project(client, opts.index_cache.as_deref(), &d.name) {
                Ok((p, cached)) => {
                    ctx.stats.index_cache_hits += u64::from(cached);
                    ctx.projects.insert(d.normalized.clone(), p);
                }
                Err(e @ (IndexError::Offline { .. } | IndexError::Transport { .. })) => {
                    ctx.offline = Some(format!(
                        "the index {} cannot be reached ({e})",
                        client.config().index_url
                    ));
                    break;
                }
                Err(e) => plan.notes.push(format!("index: {e}")),
            }
        }
        if ctx.offline.is_some() {
            let st = client.stats();
            ctx.stats.index_requests = st.requests;
            ctx.stats.index_bytes = st.bytes;
            ctx.client = None;
        }
    }
    if let Some(why) = &ctx.offline {
        plan.notes.push(format!(
            "{why}: planned from the installed facts only (the binaries' NumPy windows and the \
             knowledge base's releases); no index page or wheel was read, nothing was resolved \
             or proven"
        ));
        ctx.resolver = None;
    } else if opts.resolver.is_none() {
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
    // A pybind11 <= 2.11 module using numpy.h imports under NumPy 2 but reads 1.x layouts (rule
    // NPY005): its window ends below 2.0 whatever its other modules say.
    let old_pybind11 = |i: usize| {
        scan.modules.iter().find(|m| {
            m.dist == Some(i)
                && m.facts
                    .toolchain
                    .pybind11
                    .as_ref()
                    .is_some_and(|p| p.numpy == Pybind11Numpy::Numpy1Only)
        })
    };
    let per_dist: Vec<(usize, Vec<bool>)> = (0..scan.dists.len())
        .filter_map(|i| {
            let v = dist_verdicts(scan, i).map(|(v, _)| v);
            if old_pybind11(i).is_none() {
                return v.map(|v| (i, v));
            }
            let v = v.unwrap_or_else(|| vec![true; releases.len()]);
            let v = v
                .iter()
                .zip(releases)
                .map(|(ok, r)| *ok && r.major() < 2)
                .collect();
            Some((i, v))
        })
        .collect();
    let pybind11_dists: Vec<(String, String, String)> = (0..scan.dists.len())
        .filter_map(|i| {
            let m = old_pybind11(i)?;
            let d = &scan.dists[i];
            Some((d.name.clone(), d.version.clone(), m.path.clone()))
        })
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

    for (name, version, path) in &pybind11_dists {
        window_evidence.push(format!(
            "{name} {version}: {path} uses pybind11 <= 2.11 numpy.h, which reads NumPy 1.x \
             layouts: right under NumPy 1.x only (NPY005; under NumPy 2 it imports and gives \
             wrong results on first use, docs/import-behaviour.md#old-pybind11-on-numpy-2)"
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
        let alt = match (&alt.proof.status, alt.changes.is_empty(), &ctx.offline) {
            // Offline: the newest line's measured release, from the knowledge base (the
            // installed facts); not resolved, not proven.
            (ProofStatus::Unproven, true, Some(why))
                if releases[newest].last_patch != rt.version =>
            {
                let to = releases[newest].last_patch.clone();
                let changes = vec![Change {
                    name: "numpy".into(),
                    from: Some(rt.version.clone()),
                    to: Some(to.clone()),
                    reason: format!(
                        "the newest release of the newest line in numpy{spec} that the knowledge base knows (it was {})",
                        rt.version
                    ),
                }];
                Alternative {
                    commands: scan.target.install_pins(&[("numpy".to_string(), to)]),
                    changes,
                    proof: Proof::unproven(format!(
                        "{why}: not resolved against the other packages' requirements, not tried in a scratch venv"
                    )),
                    ..alt
                }
            }
            _ => alt,
        };
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
    if !movable.is_empty() && ctx.resolver.is_some() && (!proven_numpy || others_admit_rt) {
        if let Some(alt) = move_packages(&mut ctx, &movable, rt, &window_evidence) {
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
    let is_pb11 = |name: &str| pybind11_dists.iter().any(|(n, _, _)| n == name);
    if let Some(np) = target_numpy.filter(|_| !numpy_move_works || !pybind11_dists.is_empty()) {
        let mut changes = Vec::new();
        let mut cmds = Commands::default();
        for name in &failing {
            let Some(d) = inv.distributions.iter().find(|d| &d.name == name) else {
                continue;
            };
            let pb11 = is_pb11(&d.name);
            changes.push(Change {
                name: d.name.clone(),
                from: Some(d.version.clone()),
                to: Some(d.version.clone()),
                reason: format!(
                    "rebuild {} {} from source against NumPy {np}{}",
                    d.name,
                    d.version,
                    if pb11 {
                        " with pybind11>=2.12 (its numpy.h reads NumPy 1.x and 2.x layouts)"
                    } else {
                        ""
                    }
                ),
            });
            cmds.extend(scan.target.rebuild_with(
                &d.name,
                &d.version,
                &rebuild_constraints(&np, pb11),
            ));
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
            if !pybind11_dists.is_empty() {
                evidence.push(
                    "pybind11 >= 2.12's numpy.h is right under NumPy 1.x and 2.x \
                     (docs/import-behaviour.md#old-pybind11-on-numpy-2)"
                        .into(),
                );
            }
            // A rebuild compiles from source (minutes; scipy needs a Fortran compiler): it is
            // tried only when no other alternative is proven.
            let proof = if plan
                .alternatives
                .iter()
                .any(|a| a.proof.status == ProofStatus::Proven)
            {
                Proof::unproven("not tried: an alternative above is proven, and a rebuild from source is the last resort")
            } else {
                prove_rebuilds(&mut ctx, &changes, &np, &is_pb11)
            };
            plan.alternatives.push(Alternative {
                kind: Kind::Rebuild,
                summary: format!(
                    "rebuild {} from source against NumPy {np}{}",
                    failing.join(", "),
                    if pybind11_dists.is_empty() {
                        ""
                    } else {
                        " (pybind11>=2.12 at build time)"
                    }
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
    if let Some(c) = &ctx.client {
        let st = c.stats();
        plan.stats.index_requests = st.requests;
        plan.stats.index_bytes = st.bytes;
        plan.stats.index_cache_hits += st.cache_hits;
    }
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
        python_version: ctx
            .target
            .as_ref()
            .map(|t| t.python_version.clone())
            .or_else(|| ctx.python_mm.clone()),
        python_platform: ctx
            .opts
            .python_platform
            .clone()
            .or_else(|| ctx.target.as_ref().map(|t| t.python_platform.clone())),
        index_urls: ctx
            .opts
            .index
            .as_ref()
            .map(|c| c.indexes().map(str::to_string).collect())
            .unwrap_or_default(),
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
    let Some(resolver) = ctx.resolver.clone() else {
        return Proof::unproven(match &ctx.offline {
            Some(why) => format!("{why}: nothing is installed in a scratch venv"),
            None => "no resolver: nothing to install in a scratch venv".into(),
        });
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
    prove::prove(ctx.scanned, res, &copies, &prove_options(ctx, resolver))
}

/// The scratch venv's options: the resolver, the environment's indexes, the plan's limits.
fn prove_options(ctx: &Ctx<'_>, resolver: Resolver) -> ProveOptions {
    ProveOptions {
        resolver,
        index_urls: ctx
            .opts
            .index
            .as_ref()
            .map(|c| c.indexes().map(str::to_string).collect())
            .unwrap_or_default(),
        scratch_parent: ctx.opts.scratch_parent.clone(),
        timeout: ctx.opts.import_timeout,
        jobs: ctx.opts.jobs,
    }
}

/// The build environment's pins for a rebuild against NumPy `np`: that NumPy, and pybind11 >= 2.12
/// for a package whose modules use an older pybind11's `numpy.h`.
fn rebuild_constraints(np: &str, pybind11: bool) -> Vec<String> {
    let mut bc = vec![format!("numpy=={np}")];
    if pybind11 {
        bc.push("pybind11>=2.12".into());
    }
    bc
}

/// Prove a rebuild alternative in a scratch venv: every reinstallable distribution at its
/// installed version (NumPy at `np`), the local builds copied, then each rebuilt distribution
/// built from its sdist there with the printed command form, against NumPy `np`.
fn prove_rebuilds(
    ctx: &mut Ctx<'_>,
    changes: &[Change],
    np: &str,
    is_pb11: &dyn Fn(&str) -> bool,
) -> Proof {
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
                build_constraints: rebuild_constraints(np, is_pb11(&c.name)),
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
        &prove_options(ctx, resolver),
    )
}

fn compile(ctx: &mut Ctx<'_>, req: &Request) -> Result<Resolution, resolve::ResolveError> {
    let resolver = ctx
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
    if ctx.resolver.is_none() {
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

/// Move the failing packages past their installed releases (lowest that fits), keeping NumPy.
///
/// With an index: the releases past the installed one are read lowest first
/// ([`candidates::candidates`]: each wheel's build NumPy, a few range requests, cached), and each
/// whose wheel does not fit the installed NumPy goes to uv as a version-scoped override giving it
/// the NumPy requirement its wheel really has (`numpy<2` for a 1.x build), so uv cannot pick it;
/// a release uv picks that was not read yet is read before anything is installed, and excluded
/// the same way when it does not fit. A candidate whose proof fails is excluded too (`numpy!=`
/// the installed one) and the next tried. Without scoped overrides, exclusions are `!=VERSION`.
fn move_packages(
    ctx: &mut Ctx<'_>,
    movable: &[&Distribution],
    rt: &crate::runtime::RuntimeNumpy,
    window_evidence: &[String],
) -> Option<Alternative> {
    let numpy = rt.version.as_str();
    // (name, version, the NumPy requirement it is given).
    let mut excluded: Vec<(String, String, String)> = Vec::new();
    let scoped = matches!(&ctx.resolver, Some(Resolver::Uv(u)) if u.scoped_overrides);
    let index_target = ctx.target.as_ref().and_then(|t| {
        crate::index::tags::Target::parse(&t.python_version, &t.python_platform).ok()
    });
    let mut known: Vec<Candidate> = Vec::new();
    let mut index_notes: Vec<String> = Vec::new();
    if let (Some(client), Some(t)) = (&ctx.client, &index_target) {
        for d in movable {
            let Some(project) = ctx.projects.get(&d.normalized) else {
                continue;
            };
            ctx.progress
                .step(&format!("reading wheels of {} from the index", d.name));
            match candidates::candidates(
                client,
                t,
                project,
                d,
                rt.release,
                ctx.opts.max_candidates,
                &mut index_notes,
            ) {
                Ok(cs) => {
                    ctx.stats.wheels_read += cs.len();
                    known.extend(cs);
                }
                Err(e) => index_notes.push(format!("index: {e}")),
            }
        }
    }
    let exclude_known = |known: &[Candidate], excluded: &mut Vec<(String, String, String)>| {
        for c in known.iter().filter(|c| c.fits == Some(false)) {
            if !excluded
                .iter()
                .any(|(n, v, _)| n == &c.name && v == &c.version)
            {
                let req = c.override_numpy.as_deref().unwrap_or("<2");
                excluded.push((c.name.clone(), c.version.clone(), format!("numpy{req}")));
            }
        }
    };
    exclude_known(&known, &mut excluded);
    let names: Vec<&str> = movable.iter().map(|d| d.name.as_str()).collect();
    let summary = format!(
        "move {} to releases built for NumPy {numpy}",
        names.join(", ")
    );
    let reason = |name: &str| {
        if movable.iter().any(|d| d.normalized == name) {
            format!("a release whose declared requirements and wheels fit NumPy {numpy}")
        } else {
            "needed by the moved packages".into()
        }
    };
    let mut last = None;
    let mut proofs = 0;
    let rounds = ctx.opts.max_tries.max(1) + ctx.opts.max_candidates.max(1) * movable.len();
    for _ in 0..rounds {
        let mut extra: Vec<String> = vec![format!("numpy=={numpy}")];
        let mut overrides = Vec::new();
        for d in movable {
            // pip has no lowest-direct: the lowest release the index showed to fit, exactly.
            let lowest_fit = known
                .iter()
                .find(|c| c.name == d.normalized && c.fits == Some(true))
                .filter(|_| matches!(ctx.resolver, Some(Resolver::Pip { .. })));
            let mut r = match lowest_fit {
                Some(c) => format!("{}=={}", d.normalized, c.version),
                None => format!("{}>{}", d.normalized, d.version),
            };
            for (n, v, dep) in excluded.iter().filter(|(n, _, _)| n == &d.normalized) {
                if scoped {
                    overrides.push(Override {
                        name: n.clone(),
                        version: v.clone(),
                        dependencies: vec![dep.clone()],
                    });
                } else {
                    r.push_str(&format!(",!={v}"));
                }
            }
            extra.push(r);
        }
        let mut req = base_request(ctx, &names, &extra, &overrides);
        req.lowest_direct = true;
        let mut evidence = window_evidence.to_vec();
        evidence.push(format!(
            "the lowest releases past the installed ones whose declared requirements admit NumPy {numpy} (uv --resolution lowest-direct)"
        ));
        for c in &known {
            evidence.push(format!(
                "{} {} ({}): {}: {}",
                c.name,
                c.version,
                c.wheel,
                c.built,
                match c.fits {
                    Some(true) => format!("fits NumPy {numpy}"),
                    Some(false) => format!(
                        "does not fit NumPy {numpy}: excluded before resolving (override numpy{})",
                        c.override_numpy.as_deref().unwrap_or("<2")
                    ),
                    None => "its wheel says nothing about NumPy; the proof decides".into(),
                }
            ));
        }
        evidence.extend(index_notes.iter().cloned());
        for (n, v, dep) in &excluded {
            if !known.iter().any(|c| &c.name == n && &c.version == v) {
                evidence.push(format!(
                    "{n} {v} excluded ({dep}): its modules still fail under NumPy {numpy} in the scratch venv"
                ));
            }
        }
        let res = match compile(ctx, &req) {
            Ok(r) => r,
            Err(e) => {
                evidence.push(format!("the resolver found no exact versions: {e}"));
                return Some(Alternative {
                    kind: Kind::MovePackages,
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
                });
            }
        };
        // A release uv picked that the index was not asked about yet: read it before installing.
        let mut unread_misfit = false;
        if let (Some(client), Some(t)) = (&ctx.client, &index_target) {
            for d in movable {
                let Some(v) = res.get(&d.normalized) else {
                    continue;
                };
                if known.iter().any(|c| {
                    c.name == d.normalized
                        && crate::index::tags::cmp_versions(&c.version, v).is_eq()
                }) {
                    continue;
                }
                let Some(project) = ctx.projects.get(&d.normalized) else {
                    continue;
                };
                match candidates::release(client, t, project, d, v, rt.release) {
                    Ok(Some(c)) => {
                        ctx.stats.wheels_read += 1;
                        unread_misfit |= c.fits == Some(false);
                        known.push(c);
                    }
                    Ok(None) => {}
                    Err(e) => index_notes.push(format!("index: {e}")),
                }
            }
        }
        if unread_misfit {
            exclude_known(&known, &mut excluded);
            continue;
        }
        let changes = diff(ctx, &res, &reason);
        let commands = ctx.scanned.scan.target.install_pins(&pins(&changes));
        let proof = run_prove(ctx, &res);
        proofs += 1;
        let alt = Alternative {
            kind: Kind::MovePackages,
            summary: summary.clone(),
            changes,
            evidence,
            proof,
            commands,
        };
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
                    // Known not to import under this NumPy: exclude it outright.
                    excluded.push((n, v.clone(), format!("numpy!={numpy}")));
                }
            }
        }
        let progressed = excluded.len() > before;
        last = Some(alt);
        if !progressed || proofs >= ctx.opts.max_tries.max(1) {
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
