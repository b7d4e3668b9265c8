//! `fix --apply`: change an environment the way a plan says, with a snapshot to fall back on.
//!
//! 1. Refuse what must not be touched: a PEP 668 `EXTERNALLY-MANAGED` environment (unless
//!    `break_system_packages`), conda-owned packages of a conda environment (the conda command is
//!    returned instead), versions that are not exact.
//! 2. Journal `snapshot-started`; take the [`Freeze`] of the whole environment (site-packages and
//!    `bin/`, every file hashed) and the [`Manifest`] copies of every distribution the plan
//!    touches; journal `snapshot-complete`.
//! 3. Journal `applying`; run the environment's own installer (`uv pip ... --python ENV/bin/python`,
//!    else `ENV/bin/python -m pip`) with exact pins and `--no-deps`, so that it changes exactly the
//!    planned distributions; take the planned freeze; journal `applied`.
//! 4. Call the caller's re-check (scan + imports). On failure, or when the installer failed, roll
//!    back; otherwise journal `verified`, then `committed`.
//!
//! Rollback ([`rollback`], and the automatic one) is a file-level restore that needs no network:
//! remove what the apply added, put the snapshot back, and compare the environment's freeze with
//! the one taken before. Every step skips what is already done, so a rollback that is killed is
//! finished by the next run ([`recover`], called at the start of every `fix` run on an
//! environment). All runs on one environment hold a lock in its state directory; the installer
//! and the import subprocesses inherit it (and on Linux are killed with their parent), so a
//! recovery never runs while a killed run's children still write.

use super::journal::{Journal, Lock, LockError, Phase, Reached, StateDir};
use super::snapshot::{self, Difference, Freeze, Manifest, SnapshotError, ToSave};
use crate::discover::{EnvKind, Environment};
use crate::inventory::{self, normalize_name, Distribution};
use crate::rules::shell_word;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// One change of a plan: distribution `name` from version `from` (`None`: not installed) to `to`
/// (`None`: removed), installed as `how` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    pub name: String,
    pub from: Option<String>,
    pub to: Option<String>,
    #[serde(default)]
    pub how: Install,
}

/// Where the new version comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Install {
    /// The exact release `name==to` from the environment's index.
    #[default]
    Index,
    /// Build `name==to` from its source distribution, bypassing the installer's caches, with
    /// these pins for the build environment (e.g. `numpy==1.26.4`).
    Rebuild {
        #[serde(default)]
        build_constraints: Vec<String>,
    },
}

/// The installer that runs the commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Installer {
    /// `uv pip ... --python ENV/bin/python`.
    Uv(PathBuf),
    /// `ENV/bin/python -m pip ...`.
    Pip,
}

impl Installer {
    /// uv when it was found, else pip when the environment has it.
    pub fn choose(env: &Environment, uv: Option<PathBuf>) -> Result<Installer, ApplyError> {
        if let Some(uv) = uv {
            return Ok(Installer::Uv(uv));
        }
        let has_pip = env
            .site_packages
            .iter()
            .any(|s| s.join("pip").join("__init__.py").is_file());
        if has_pip {
            Ok(Installer::Pip)
        } else {
            Err(ApplyError::NoInstaller {
                prefix: env.prefix.display().to_string(),
            })
        }
    }
}

#[derive(Debug, Clone)]
pub struct ApplyOptions {
    /// Where journals and snapshots live (one subdirectory per environment prefix), in the
    /// user's cache directory: `~/.cache/abi-doctor/fix`.
    pub state_dir: PathBuf,
    /// Install into a PEP 668 externally managed environment anyway.
    pub break_system_packages: bool,
    /// How long to wait for another run on the same environment (or its orphaned children).
    pub lock_wait: Duration,
}

impl ApplyOptions {
    pub fn new(state_dir: PathBuf) -> ApplyOptions {
        ApplyOptions {
            state_dir,
            break_system_packages: false,
            lock_wait: Duration::from_secs(120),
        }
    }
}

/// A completed apply.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Applied {
    pub changes: Vec<Change>,
    /// The commands that were run, as a shell would take them.
    pub commands: Vec<String>,
    /// Distributions added, removed or changed (by name and version).
    pub changed_distributions: usize,
    pub snapshot_files: usize,
    pub snapshot_bytes: u64,
    /// Each phase reached, with milliseconds since the start.
    pub timings: Vec<Reached>,
    pub state_dir: PathBuf,
    /// What finishing an earlier, interrupted apply did first.
    pub recovered: Option<Recovered>,
}

/// A completed rollback.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RolledBack {
    /// Entries written back from the snapshot.
    pub restored: usize,
    /// Files and directories of the new versions removed.
    pub removed: usize,
    /// Why (the failed command or check, the interrupted phase, or `fix --rollback`).
    pub reason: String,
    /// The apply had been committed (`fix --rollback`).
    pub after_commit: bool,
    /// Differences left outside what the apply changed (after a committed apply, what else
    /// changed in the environment since); never inside it.
    pub notes: Vec<String>,
    pub ms: u64,
}

/// What [`recover`] found and did.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Recovered {
    /// The phase the journal was left in.
    pub found: Phase,
    pub pid: u32,
    #[serde(flatten)]
    pub action: Recovery,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Recovery {
    /// Killed while taking the snapshot: nothing had changed; the partial snapshot is deleted.
    Discarded,
    /// Killed after the check passed: the planned state stands; the journal is committed.
    Committed,
    /// Killed while changing or restoring: the rollback was completed.
    RolledBack(RolledBack),
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{prefix} is externally managed (PEP 668: {marker}): its packages belong to the system's package manager. Install into a virtual environment instead, or pass --break-system-packages to change it anyway.{detail}")]
    ExternallyManaged {
        prefix: String,
        marker: String,
        detail: String,
    },
    #[error("{} belong to conda in {prefix} (conda-meta/); abi-doctor does not change conda packages. Run the conda plan instead:\n  {}", packages.join(", "), commands.join("\n  "))]
    CondaOwned {
        prefix: String,
        packages: Vec<String>,
        commands: Vec<String>,
    },
    #[error("no interpreter is known for {prefix}; --apply needs --env or --python")]
    NoInterpreter { prefix: String },
    #[error("{name}: {version:?} is not an exact version; a plan names exact releases")]
    NotExact { name: String, version: String },
    #[error("{name}: the plan changes it from {from}, but {installed} is installed; plan again")]
    Stale {
        name: String,
        from: String,
        installed: String,
    },
    #[error("no installer for {prefix}: uv was not found (on PATH or $ABI_DOCTOR_UV) and the environment has no pip; install uv (https://docs.astral.sh/uv/) or `python -m ensurepip` in the environment")]
    NoInstaller { prefix: String },
    #[error("{0}")]
    Busy(#[from] super::journal::Busy),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error("{command}: cannot run: {source}")]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{reason}\nThe environment was rolled back: {} entries restored, {} removed, and its files match the snapshot taken before.", rollback.restored, rollback.removed)]
    RolledBack {
        reason: String,
        rollback: RolledBack,
    },
    #[error("{reason}\nThe rollback did not finish: {error}. Run `abi-doctor fix --rollback` on this environment to try again; the snapshot is in {snapshot}.")]
    RollbackFailed {
        reason: String,
        error: Box<ApplyError>,
        snapshot: String,
    },
    #[error("after the rollback, {} differ from the snapshot taken before the apply (the first: {}); the snapshot is in {snapshot}", differences.len(), differences.iter().take(5).map(|d| d.to_string()).collect::<Vec<_>>().join("; "))]
    Incomplete {
        differences: Vec<Difference>,
        snapshot: String,
    },
    #[error("nothing to roll back for {prefix}: {why}")]
    NothingToRollBack { prefix: String, why: String },
}

impl From<LockError> for ApplyError {
    fn from(e: LockError) -> Self {
        match e {
            LockError::Io(e) => ApplyError::Snapshot(e),
            LockError::Busy(b) => ApplyError::Busy(b),
        }
    }
}

/// The directories the freeze covers: the site-packages directories inside the prefix, and
/// the prefix's `bin/` (`Scripts\` on Windows).
pub fn scope(env: &Environment) -> Vec<PathBuf> {
    let prefix = crate::paths::normalize(&env.prefix);
    let mut out: Vec<PathBuf> = env
        .site_packages
        .iter()
        .map(|s| crate::paths::normalize(s))
        .filter(|s| s.starts_with(&prefix))
        .collect();
    let bin = prefix.join(if cfg!(windows) { "Scripts" } else { "bin" });
    if bin.is_dir() {
        out.push(bin);
    }
    out.sort();
    out.dedup();
    // A root inside another would be walked twice.
    let all = out.clone();
    out.retain(|r| !all.iter().any(|o| o != r && r.starts_with(o)));
    out
}

fn dists_in_scope(env: &Environment) -> Vec<Distribution> {
    let sites = scope(env);
    inventory::inventory(&env.site_packages)
        .distributions
        .into_iter()
        .filter(|d| {
            let s = crate::paths::normalize(&d.site_packages);
            sites.iter().any(|r| s.starts_with(r))
        })
        .collect()
}

fn freeze_now(env: &Environment) -> Result<Freeze, SnapshotError> {
    let dists = dists_in_scope(env)
        .iter()
        .map(|d| format!("{}=={}", d.normalized, d.version))
        .collect();
    Freeze::take(&scope(env), dists)
}

/// Names of the packages conda installed into a conda prefix (`conda-meta/*.json` `name`),
/// normalized.
pub fn conda_owned(prefix: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(rd) = std::fs::read_dir(prefix.join("conda-meta")) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let Ok(text) = crate::fsread::read_text(&p, crate::fsread::Limit::Metadata) else {
            continue;
        };
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            if let Some(n) = v.get("name").and_then(|n| n.as_str()) {
                out.insert(normalize_name(n));
            }
        }
    }
    out
}

pub use crate::install::Step;

/// The installed pip's version, for the build-constraint flag.
fn pip_version(dists: &[Distribution]) -> Option<String> {
    dists
        .iter()
        .find(|d| d.normalized == "pip")
        .map(|d| d.version.clone())
}

/// The version of the environment's installed pip, which decides how a rebuild's build pins are
/// passed (`--build-constraint` from pip 25.3, `PIP_CONSTRAINT` before).
pub fn installed_pip(env: &Environment) -> Option<String> {
    pip_version(&dists_in_scope(env))
}

/// The commands that apply `changes` to the environment of `python` with `installer`, in order:
/// removals, index releases, rebuilds; built by [`crate::install`], as `fix` prints them.
/// `constraints_file` is where a rebuild's build pins go (each rebuild writes it first).
pub fn steps(
    python: &Path,
    installer: &Installer,
    changes: &[Change],
    break_system_packages: bool,
    pip: Option<&str>,
    constraints_file: &Path,
) -> Vec<Step> {
    use crate::install::{self, Opts, Tool};
    let py = python.display().to_string();
    let py = Some(py.as_str());
    let tool = match installer {
        Installer::Uv(uv) => Tool::Uv(uv.display().to_string()),
        Installer::Pip => Tool::Pip,
    };
    let o = Opts {
        no_deps: true,
        break_system_packages,
    };
    let mut out = Vec::new();
    let removed: Vec<String> = changes
        .iter()
        .filter(|c| c.to.is_none())
        .map(|c| c.name.clone())
        .collect();
    if !removed.is_empty() {
        out.push(install::uninstall(&tool, py, &removed, o));
    }
    let index: Vec<&Change> = changes
        .iter()
        .filter(|c| c.to.is_some() && c.how == Install::Index)
        .collect();
    if !index.is_empty() {
        let same: Vec<String> = index
            .iter()
            .filter(|c| c.from == c.to)
            .map(|c| c.name.clone())
            .collect();
        let reqs: Vec<String> = index.iter().filter_map(|c| pin(c)).collect();
        out.push(install::install(&tool, py, &reqs, &same, o));
    }
    let file = constraints_file.display().to_string();
    for c in changes {
        let (Some(to), Install::Rebuild { build_constraints }) = (&c.to, &c.how) else {
            continue;
        };
        out.push(install::rebuild(
            &tool,
            py,
            pip,
            &c.name,
            to,
            build_constraints,
            &file,
            o,
        ));
    }
    out
}

fn pin(c: &Change) -> Option<String> {
    c.to.as_ref().map(|v| format!("{}=={v}", c.name))
}

/// The conda commands for a plan that touches conda's packages (`conda install -p PREFIX
/// name=version`, `conda remove -p PREFIX name`).
pub fn conda_commands(prefix: &Path, changes: &[Change]) -> Vec<String> {
    let p = shell_word(&prefix.display().to_string());
    let mut out = Vec::new();
    let installs: Vec<String> = changes
        .iter()
        .filter_map(|c| {
            c.to.as_ref()
                .map(|v| shell_word(&format!("{}={v}", c.name)))
        })
        .collect();
    if !installs.is_empty() {
        out.push(format!("conda install -p {p} {}", installs.join(" ")));
    }
    let removes: Vec<String> = changes
        .iter()
        .filter(|c| c.to.is_none())
        .map(|c| shell_word(&c.name))
        .collect();
    if !removes.is_empty() {
        out.push(format!("conda remove -p {p} {}", removes.join(" ")));
    }
    out
}

/// What apply would refuse, checked before anything is written.
pub fn preflight(
    env: &Environment,
    changes: &[Change],
    opts: &ApplyOptions,
) -> Result<PathBuf, ApplyError> {
    let python = env
        .python
        .clone()
        .ok_or_else(|| ApplyError::NoInterpreter {
            prefix: env.prefix.display().to_string(),
        })?;
    for c in changes {
        for v in [&c.from, &c.to].into_iter().flatten() {
            let exact =
                v.parse::<pep440_rs::Version>().is_ok() && !v.contains('*') && !v.trim().is_empty();
            if !exact {
                return Err(ApplyError::NotExact {
                    name: c.name.clone(),
                    version: v.clone(),
                });
            }
        }
    }
    if env.externally_managed && !opts.break_system_packages {
        let marker = externally_managed_marker(env);
        let detail = marker
            .as_deref()
            .and_then(marker_error)
            .map(|e| format!(" The marker says: {e}"))
            .unwrap_or_default();
        return Err(ApplyError::ExternallyManaged {
            prefix: env.prefix.display().to_string(),
            marker: marker.map_or_else(
                || "EXTERNALLY-MANAGED".to_string(),
                |m| m.display().to_string(),
            ),
            detail,
        });
    }
    if env.kind == EnvKind::Conda {
        let owned = conda_owned(&env.prefix);
        let packages: Vec<String> = changes
            .iter()
            .filter(|c| owned.contains(&normalize_name(&c.name)))
            .map(|c| c.name.clone())
            .collect();
        if !packages.is_empty() {
            return Err(ApplyError::CondaOwned {
                prefix: env.prefix.display().to_string(),
                packages,
                commands: conda_commands(&env.prefix, changes),
            });
        }
    }
    Ok(python)
}

/// The `EXTERNALLY-MANAGED` file of the environment's stdlib, when there is one.
fn externally_managed_marker(env: &Environment) -> Option<PathBuf> {
    let xy: Option<String> = env
        .python_version
        .as_deref()
        .map(|v| v.split('.').take(2).collect::<Vec<_>>().join("."));
    let mut candidates = vec![env.prefix.join("Lib").join("EXTERNALLY-MANAGED")];
    if let Some(xy) = xy {
        candidates.push(
            env.prefix
                .join("lib")
                .join(format!("python{xy}"))
                .join("EXTERNALLY-MANAGED"),
        );
    }
    // The stdlib is the parent of a site-packages directory.
    for s in &env.site_packages {
        if let Some(lib) = s.parent() {
            candidates.push(lib.join("EXTERNALLY-MANAGED"));
        }
    }
    candidates.into_iter().find(|p| p.is_file())
}

/// The `Error` value of the marker's `[externally-managed]` section.
fn marker_error(path: &Path) -> Option<String> {
    let text = crate::fsread::read_text(path, crate::fsread::Limit::Metadata).ok()?;
    let mut in_section = false;
    let mut out: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            in_section = t == "[externally-managed]";
            if out.is_some() {
                break;
            }
            continue;
        }
        if !in_section {
            continue;
        }
        if let Some(rest) = t.strip_prefix("Error") {
            if let Some(v) = rest.trim_start().strip_prefix('=') {
                out = Some(v.trim().to_string());
                continue;
            }
        }
        // Continuation lines of the value are indented.
        if let Some(o) = out.as_mut() {
            if line.starts_with([' ', '\t']) && !t.is_empty() {
                o.push(' ');
                o.push_str(t);
            } else if !t.is_empty() {
                break;
            }
        }
    }
    out.filter(|s| !s.is_empty())
}

/// The state directory of `env` under `opts.state_dir`.
pub fn state_of(env: &Environment, opts: &ApplyOptions) -> StateDir {
    StateDir::for_prefix(&opts.state_dir, &crate::paths::normalize(&env.prefix))
}

/// The journal of the last apply on `env`, read only (no lock, nothing changed).
pub fn pending(env: &Environment, opts: &ApplyOptions) -> Option<Journal> {
    Journal::load(&state_of(env, opts)).ok().flatten()
}

/// Apply `changes` to `env` with `installer`; `after` re-checks the changed environment (scan and
/// imports) and its `Err` rolls the change back.
pub fn apply(
    env: &Environment,
    changes: &[Change],
    installer: Installer,
    opts: &ApplyOptions,
    after: &dyn Fn(&Environment) -> Result<(), String>,
) -> Result<Applied, ApplyError> {
    let python = preflight(env, changes, opts)?;
    let state = state_of(env, opts);
    let _lock = Lock::acquire(&state, opts.lock_wait, true)?;
    let recovered = recover_locked(env, &state)?;

    // What is installed now, and which distributions the plan touches.
    let dists = dists_in_scope(env);
    let names: BTreeSet<String> = changes.iter().map(|c| normalize_name(&c.name)).collect();
    for c in changes {
        let n = normalize_name(&c.name);
        if let (Some(from), Some(d)) = (&c.from, dists.iter().find(|d| d.normalized == n)) {
            let same = match (
                from.parse::<pep440_rs::Version>(),
                d.version.parse::<pep440_rs::Version>(),
            ) {
                (Ok(a), Ok(b)) => a == b,
                _ => from == &d.version,
            };
            if !same {
                return Err(ApplyError::Stale {
                    name: c.name.clone(),
                    from: from.clone(),
                    installed: d.version.clone(),
                });
            }
        }
    }
    let touched: Vec<&Distribution> = dists
        .iter()
        .filter(|d| names.contains(&d.normalized))
        .collect();
    let steps = steps(
        &python,
        &installer,
        changes,
        opts.break_system_packages,
        pip_version(&dists).as_deref(),
        &state.build_constraints(),
    );
    let mut journal = Journal::new(
        &env.prefix,
        Some(&python),
        changes,
        steps.iter().map(Step::shown).collect(),
    );

    // 1. Snapshot. The journal is written first: a crash from here on is recovered.
    journal.save(&state)?;
    snapshot::remove_any(&state.snapshot())?;
    snapshot::remove_any(&state.planned())?;
    snapshot::remove_any(&state.freeze())?;
    let freeze = freeze_now(env)?;
    write_json(&state.freeze(), &freeze)?;
    let to_save: Vec<ToSave<'_>> = touched
        .iter()
        .map(|d| ToSave {
            name: &d.name,
            version: &d.version,
            site: &d.site_packages,
            metadata_dir: &d.metadata_dir,
            files: &d.files,
        })
        .collect();
    let manifest = Manifest::take(&state.snapshot(), &to_save)?;
    journal.enter(&state, Phase::SnapshotComplete)?;

    // 2. Install.
    journal.enter(&state, Phase::Applying)?;
    if let Err(reason) = run_steps(&steps, &state) {
        return Err(roll_back_after_failure(env, &state, &mut journal, reason));
    }
    let planned = freeze_now(env)?;
    write_json(&state.planned(), &planned)?;
    journal.enter(&state, Phase::Applied)?;

    // 3. Re-check.
    if let Err(reason) = after(env) {
        let reason = format!("the re-check after the change failed: {reason}");
        return Err(roll_back_after_failure(env, &state, &mut journal, reason));
    }
    journal.enter(&state, Phase::Verified)?;
    journal.enter(&state, Phase::Committed)?;

    let before: BTreeSet<&String> = freeze.dists.iter().collect();
    let after_set: BTreeSet<&String> = planned.dists.iter().collect();
    let mut changed: BTreeSet<String> = before
        .symmetric_difference(&after_set)
        .filter_map(|d| d.split("==").next().map(normalize_name))
        .collect();
    // A rebuild or reinstall at the same version changed the distribution when its RECORD did.
    for c in changes.iter().filter(|c| c.from == c.to) {
        let n = normalize_name(&c.name);
        let record = |f: &Freeze| {
            f.entries
                .iter()
                .find(|(p, _)| {
                    p.file_name().is_some_and(|x| x == "RECORD")
                        && p.parent()
                            .and_then(|d| d.file_name())
                            .and_then(|d| d.to_str())
                            .and_then(|d| d.strip_suffix(".dist-info"))
                            .and_then(|d| d.rsplit_once('-'))
                            .is_some_and(|(name, _)| normalize_name(name) == n)
                })
                .map(|(_, e)| e.clone())
        };
        if record(&freeze) != record(&planned) {
            changed.insert(n);
        }
    }
    Ok(Applied {
        changes: changes.to_vec(),
        commands: journal.commands.clone(),
        changed_distributions: changed.len(),
        snapshot_files: manifest.saved.len(),
        snapshot_bytes: manifest.bytes,
        timings: journal.history.clone(),
        state_dir: state.dir.clone(),
        recovered,
    })
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<(), SnapshotError> {
    let json = serde_json::to_vec(v).map_err(|e| SnapshotError::Format {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    snapshot::write_atomic(path, &json)
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, SnapshotError> {
    let bytes = std::fs::read(path).map_err(snapshot::io(path))?;
    serde_json::from_slice(&bytes).map_err(|e| SnapshotError::Format {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

fn roll_back_after_failure(
    env: &Environment,
    state: &StateDir,
    journal: &mut Journal,
    reason: String,
) -> ApplyError {
    match roll_back_locked(env, state, journal, reason.clone(), false) {
        Ok(rollback) => ApplyError::RolledBack { reason, rollback },
        Err(e) => ApplyError::RollbackFailed {
            reason,
            error: Box::new(e),
            snapshot: state.snapshot().display().to_string(),
        },
    }
}

/// Run each step, its output appended to the state directory's `install.log`; the first
/// failure's command and the end of its output.
fn run_steps(steps: &[Step], state: &StateDir) -> Result<(), String> {
    use std::io::Write;
    for s in steps {
        let shown = s.shown();
        let Some((exe, args)) = s.argv.split_first() else {
            continue;
        };
        if let Some((path, content)) = &s.writes {
            snapshot::write_atomic(Path::new(path), content.as_bytes())
                .map_err(|e| format!("{shown}: {e}"))?;
        }
        let mut cmd = Command::new(exe);
        cmd.args(args).envs(s.env.iter().map(|(k, v)| (k, v)));
        cmd.stdin(std::process::Stdio::null());
        die_with_parent(&mut cmd);
        let out = cmd
            .output()
            .map_err(|e| format!("{shown}: cannot run: {e}"))?;
        if let Ok(mut log) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(state.log())
        {
            let _ = writeln!(log, "$ {shown}");
            let _ = log.write_all(&out.stdout);
            let _ = log.write_all(&out.stderr);
            let _ = writeln!(log, "[{}]", out.status);
        }
        if !out.status.success() {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let tail: Vec<&str> = text.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!(
                "`{shown}` failed ({}):\n    {}",
                out.status,
                tail.join("\n    ")
            ));
        }
    }
    Ok(())
}

/// On Linux, the installer gets SIGKILL when abi-doctor dies, so that nothing writes into the
/// environment once a recovery can start.
fn die_with_parent(cmd: &mut Command) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe; the closure allocates nothing.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cmd;
}

/// `fix --rollback`: put the environment back as it was before the last apply (finished or
/// not), from its snapshot, without the network.
pub fn rollback(env: &Environment, opts: &ApplyOptions) -> Result<RolledBack, ApplyError> {
    let state = state_of(env, opts);
    let _lock = Lock::acquire(&state, opts.lock_wait, false)?;
    let prefix = env.prefix.display().to_string();
    let Some(mut journal) = Journal::load(&state)? else {
        return Err(ApplyError::NothingToRollBack {
            prefix,
            why: format!("no apply is recorded in {}", state.dir.display()),
        });
    };
    match journal.phase {
        Phase::RolledBack => Err(ApplyError::NothingToRollBack {
            prefix,
            why: "the last apply was already rolled back".into(),
        }),
        Phase::SnapshotStarted => {
            discard(&state)?;
            Err(ApplyError::NothingToRollBack {
                prefix,
                why: "the last apply was interrupted before it changed anything".into(),
            })
        }
        Phase::Committed | Phase::Verified => {
            roll_back_locked(env, &state, &mut journal, "fix --rollback".into(), true)
        }
        Phase::RollingBack => {
            let reason = journal.reason.clone().unwrap_or_default();
            let after_commit = journal.after_commit;
            roll_back_locked(env, &state, &mut journal, reason, after_commit)
        }
        Phase::SnapshotComplete | Phase::Applying | Phase::Applied => {
            let reason = format!(
                "fix --rollback (the apply was interrupted at {})",
                journal.phase
            );
            roll_back_locked(env, &state, &mut journal, reason, false)
        }
    }
}

/// Finish what an interrupted apply left: called at the start of every `fix` run on `env`.
/// `None` when there is nothing to finish.
pub fn recover(env: &Environment, opts: &ApplyOptions) -> Result<Option<Recovered>, ApplyError> {
    let state = state_of(env, opts);
    if !state.journal().exists() {
        return Ok(None);
    }
    let _lock = Lock::acquire(&state, opts.lock_wait, false)?;
    recover_locked(env, &state)
}

fn discard(state: &StateDir) -> Result<(), SnapshotError> {
    snapshot::remove_any(&state.snapshot())?;
    snapshot::remove_any(&state.freeze())?;
    snapshot::remove_any(&state.planned())?;
    snapshot::remove_any(&state.journal())?;
    snapshot::sync_dir(&state.dir)
}

fn recover_locked(env: &Environment, state: &StateDir) -> Result<Option<Recovered>, ApplyError> {
    let Some(mut journal) = Journal::load(state)? else {
        return Ok(None);
    };
    let found = journal.phase;
    let pid = journal.pid;
    let action = match found {
        Phase::Committed | Phase::RolledBack => return Ok(None),
        Phase::SnapshotStarted => {
            discard(state)?;
            Recovery::Discarded
        }
        Phase::Verified => {
            journal.enter(state, Phase::Committed)?;
            Recovery::Committed
        }
        Phase::RollingBack => {
            let reason = journal.reason.clone().unwrap_or_default();
            let after_commit = journal.after_commit;
            Recovery::RolledBack(roll_back_locked(
                env,
                state,
                &mut journal,
                reason,
                after_commit,
            )?)
        }
        Phase::SnapshotComplete | Phase::Applying | Phase::Applied => {
            let reason = format!("an apply (pid {pid}) was interrupted at {found}");
            Recovery::RolledBack(roll_back_locked(env, state, &mut journal, reason, false)?)
        }
    };
    Ok(Some(Recovered { found, pid, action }))
}

/// The rollback itself (the lock held). `after_commit`: the apply had finished, so only what it
/// added is removed, and differences elsewhere (later changes by the user) are notes.
fn roll_back_locked(
    env: &Environment,
    state: &StateDir,
    journal: &mut Journal,
    reason: String,
    after_commit: bool,
) -> Result<RolledBack, ApplyError> {
    let start = Instant::now();
    let snapshot_dir = state.snapshot();
    let missing = |what: &str| ApplyError::NothingToRollBack {
        prefix: env.prefix.display().to_string(),
        why: format!("the {what} in {} is missing", state.dir.display()),
    };
    let Some(manifest) = Manifest::load(&snapshot_dir)? else {
        return Err(missing("snapshot"));
    };
    if !state.freeze().exists() {
        return Err(missing("freeze"));
    }
    let original: Freeze = read_json(&state.freeze())?;
    let planned: Option<Freeze> = if state.planned().exists() {
        Some(read_json(&state.planned())?)
    } else {
        None
    };
    journal.reason = Some(reason.clone());
    journal.after_commit = after_commit;
    if journal.phase != Phase::RollingBack {
        journal.enter(state, Phase::RollingBack)?;
    }
    let saved = manifest.paths();
    let names: BTreeSet<String> = journal
        .changes
        .iter()
        .map(|c| normalize_name(&c.name))
        .collect();

    // 1. Files the new versions' RECORDs name outside the freeze's directories.
    let roots = scope(env);
    let mut outside: Vec<PathBuf> = dists_in_scope(env)
        .iter()
        .filter(|d| names.contains(&d.normalized))
        .flat_map(|d| d.files.iter().cloned())
        .filter(|f| !roots.iter().any(|r| f.starts_with(r)) && !saved.contains(f.as_path()))
        .collect();
    outside.sort();
    outside.dedup();
    let mut removed = snapshot::remove_paths(&outside)?;

    // 2. What the apply added inside them.
    let now = Freeze::take(&roots, vec![])?;
    let added: Vec<PathBuf> = match (after_commit, &planned) {
        (true, Some(planned)) => planned
            .entries
            .keys()
            .filter(|p| !original.entries.contains_key(*p) && now.entries.contains_key(*p))
            .cloned()
            .collect(),
        _ => now
            .entries
            .keys()
            .filter(|p| !original.entries.contains_key(*p))
            .cloned()
            .collect(),
    };
    removed += snapshot::remove_paths(&added)?;

    // 3. The snapshot, back in place.
    let restored = manifest.restore(&snapshot_dir)?;

    // 4. The freeze again: the environment must be as it was.
    let end = Freeze::take(&roots, vec![])?;
    let diffs = original.diff(&end);
    let ours = |d: &Difference| -> bool {
        let p = d.path();
        if !after_commit || saved.contains(p) {
            return true;
        }
        planned
            .as_ref()
            .is_none_or(|pl| pl.entries.get(p) != original.entries.get(p))
    };
    let (bad, notes): (Vec<Difference>, Vec<Difference>) = diffs.into_iter().partition(ours);
    if !bad.is_empty() {
        return Err(ApplyError::Incomplete {
            differences: bad,
            snapshot: snapshot_dir.display().to_string(),
        });
    }
    journal.enter(state, Phase::RolledBack)?;
    Ok(RolledBack {
        restored,
        removed,
        reason,
        after_commit,
        notes: notes
            .iter()
            .take(20)
            .map(|d| format!("{d} (changed since the apply, not by it; left as it is)"))
            .collect(),
        ms: start.elapsed().as_millis() as u64,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn change(name: &str, from: Option<&str>, to: Option<&str>, how: Install) -> Change {
        Change {
            name: name.into(),
            from: from.map(Into::into),
            to: to.map(Into::into),
            how,
        }
    }

    #[test]
    fn steps_name_the_interpreter_and_exact_versions() {
        let py = Path::new("/e/v env/bin/python");
        let changes = vec![
            change("numpy", Some("2.0.2"), Some("1.26.4"), Install::Index),
            change("old", Some("1.0"), None, Install::Index),
            change(
                "pkg",
                Some("0.3"),
                Some("0.3"),
                Install::Rebuild {
                    build_constraints: vec!["numpy==1.26.4".into()],
                },
            ),
        ];
        let c = Path::new("/s/build-constraints.txt");
        let uv = steps(py, &Installer::Uv("/t/uv".into()), &changes, false, None, c);
        let shown: Vec<String> = uv.iter().map(Step::shown).collect();
        assert_eq!(
            shown,
            [
                "/t/uv pip uninstall --python '/e/v env/bin/python' old",
                "/t/uv pip install --python '/e/v env/bin/python' --no-deps numpy==1.26.4",
                "printf '%s\\n' numpy==1.26.4 > /s/build-constraints.txt && /t/uv pip install --python '/e/v env/bin/python' --no-deps --no-binary pkg --build-constraints /s/build-constraints.txt --reinstall-package pkg pkg==0.3",
            ]
        );
        let pip = steps(py, &Installer::Pip, &changes, true, Some("24.0"), c);
        let shown: Vec<String> = pip.iter().map(Step::shown).collect();
        assert_eq!(
            shown,
            [
                "'/e/v env/bin/python' -m pip uninstall --break-system-packages -y old",
                "'/e/v env/bin/python' -m pip install --break-system-packages --no-deps numpy==1.26.4",
                "printf '%s\\n' numpy==1.26.4 > /s/build-constraints.txt && PIP_CONSTRAINT=/s/build-constraints.txt '/e/v env/bin/python' -m pip install --break-system-packages --force-reinstall --no-deps --no-cache-dir --no-binary pkg pkg==0.3",
            ]
        );
        let pip253 = steps(py, &Installer::Pip, &changes[2..], false, Some("25.3"), c);
        assert!(pip253[0]
            .shown()
            .contains("--build-constraint /s/build-constraints.txt"));
    }

    #[test]
    fn conda_plan_names_the_prefix() {
        let changes = vec![
            change("numpy", Some("2.0.2"), Some("1.26.4"), Install::Index),
            change("x", Some("1"), None, Install::Index),
        ];
        assert_eq!(
            conda_commands(Path::new("/opt/conda/envs/a"), &changes),
            [
                "conda install -p /opt/conda/envs/a numpy=1.26.4",
                "conda remove -p /opt/conda/envs/a x"
            ]
        );
    }

    #[test]
    fn marker_error_reads_the_section() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("EXTERNALLY-MANAGED");
        std::fs::write(
            &p,
            "[externally-managed]\nError=To install Python packages system-wide, try apt install\n python3-xyz.\n\n[other]\nError=no\n",
        )
        .unwrap();
        assert_eq!(
            marker_error(&p).as_deref(),
            Some("To install Python packages system-wide, try apt install python3-xyz.")
        );
    }

    #[test]
    fn inexact_versions_and_conda_owned_packages_are_refused() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("conda-meta")).unwrap();
        std::fs::write(
            t.path().join("conda-meta/numpy-1.26.4-py311h.json"),
            r#"{"name": "numpy", "version": "1.26.4", "files": []}"#,
        )
        .unwrap();
        let env = Environment {
            python: Some(t.path().join("bin/python")),
            python_version: Some("3.11.7".into()),
            prefix: t.path().to_path_buf(),
            kind: EnvKind::Conda,
            source: crate::discover::Source::EnvOption(t.path().to_path_buf()),
            site_packages: vec![],
            include_system_site_packages: false,
            externally_managed: false,
            notes: vec![],
        };
        let opts = ApplyOptions::new(t.path().join("state"));
        let e = preflight(
            &env,
            &[change("numpy", None, Some(">=1.26"), Install::Index)],
            &opts,
        )
        .unwrap_err();
        assert!(matches!(e, ApplyError::NotExact { .. }), "{e}");
        let e = preflight(
            &env,
            &[change(
                "NumPy",
                Some("2.0.2"),
                Some("1.26.4"),
                Install::Index,
            )],
            &opts,
        )
        .unwrap_err();
        let text = e.to_string();
        assert!(text.contains("conda install -p"), "{text}");
        assert!(text.contains("NumPy=1.26.4"), "{text}");
        // A pip-installed package in a conda environment is ours to change.
        assert!(preflight(
            &env,
            &[change(
                "pandas",
                Some("2.1.4"),
                Some("2.2.3"),
                Install::Index
            )],
            &opts
        )
        .is_ok());
    }
}
