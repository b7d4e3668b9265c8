//! Proving a plan: a scratch venv made from the scanned environment's interpreter, the planned set
//! installed in it (the freeze with the plan's changes, `--no-deps`: exactly that set),
//! distributions that no index can give back (local builds, URL installs) copied file by file
//! from their RECORD, then the scan (`check`) of the scratch venv and a real `import` of every
//! top-level package in its own subprocess (verify's [`Runner`]). Only a plan that passes both is
//! proven.

use crate::discover::{self, DiscoverOptions};
use crate::fix::resolve::Resolver;
use crate::inventory::Distribution;
use crate::scan::{self, Scanned};
use crate::verify::{Mode, Outcome, Runner};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What a proof found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProofStatus {
    /// Both proofs passed.
    Proven,
    /// The scratch environment still has predicted or real NumPy failures.
    Failed,
    /// Not tried (`--no-prove`, no resolver, a rebuild) or could not be set up.
    Unproven,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Proof {
    pub status: ProofStatus,
    /// One line per proof passed (`check: ...`, `import: ...`).
    pub passed: Vec<String>,
    /// Why it failed or was not tried; what was copied rather than installed.
    pub notes: Vec<String>,
    /// The modules still failing in the scratch venv, when it failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<String>,
}

impl Proof {
    pub fn unproven(why: impl Into<String>) -> Proof {
        Proof {
            status: ProofStatus::Unproven,
            passed: vec![],
            notes: vec![why.into()],
            failing: vec![],
        }
    }

    pub fn is_proven(&self) -> bool {
        self.status == ProofStatus::Proven
    }
}

/// Where and how.
#[derive(Debug, Clone)]
pub struct ProveOptions {
    pub resolver: Resolver,
    /// The environment's indexes, primary first (empty: the installer's default).
    pub index_urls: Vec<String>,
    /// Parent directory of the scratch venv (a fresh temporary directory is made inside).
    pub scratch_parent: PathBuf,
    /// Per-import deadline.
    pub timeout: Duration,
    pub jobs: usize,
}

/// Prove that `planned` (every reinstallable distribution, normalized name -> exact version), with
/// `copies` copied over from the scanned environment, imports everywhere.
pub fn prove(
    scanned: &Scanned,
    planned: &BTreeMap<String, String>,
    copies: &[&Distribution],
    opts: &ProveOptions,
) -> Proof {
    prove_rebuild(scanned, planned, copies, &[], opts)
}

/// A distribution rebuilt from its sdist: `name==version`, its build environment pinned by
/// `build_constraints` (`numpy==1.19.5`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuild {
    pub name: String,
    pub version: String,
    pub build_constraints: Vec<String>,
}

/// [`prove`] for a plan that rebuilds: `planned` and `copies` go in first (neither names a rebuilt
/// distribution), then each of `rebuilds` is built in the scratch venv with the command form
/// `fix` prints ([`crate::install::rebuild`]), then the same check and imports.
pub fn prove_rebuild(
    scanned: &Scanned,
    planned: &BTreeMap<String, String>,
    copies: &[&Distribution],
    rebuilds: &[Rebuild],
    opts: &ProveOptions,
) -> Proof {
    match prove_inner(scanned, planned, copies, rebuilds, opts) {
        Ok(p) => p,
        Err(e) => Proof::unproven(format!("the scratch environment could not be set up: {e}")),
    }
}

/// `PY -m pip --version` -> "24.0".
fn pip_version_of(python: &Path) -> Option<String> {
    let out = Command::new(python)
        .args(["-m", "pip", "--version"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().nth(1).map(str::to_string)
}

fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = err.lines().rev().take(6).collect();
    Err(format!(
        "{what} failed ({}): {}",
        out.status,
        tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
    ))
}

fn prove_inner(
    scanned: &Scanned,
    planned: &BTreeMap<String, String>,
    copies: &[&Distribution],
    rebuilds: &[Rebuild],
    opts: &ProveOptions,
) -> Result<Proof, String> {
    let env = &scanned.environment;
    let python = env
        .python
        .as_ref()
        .ok_or("no interpreter is known for the environment")?;
    std::fs::create_dir_all(&opts.scratch_parent)
        .map_err(|e| format!("{}: {e}", opts.scratch_parent.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix("fix-proof-")
        .tempdir_in(&opts.scratch_parent)
        .map_err(|e| format!("{}: {e}", opts.scratch_parent.display()))?;
    let venv = tmp.path().join("venv");
    let planned_txt = tmp.path().join("planned.txt");
    let text: String = planned.iter().map(|(n, v)| format!("{n}=={v}\n")).collect();
    std::fs::write(&planned_txt, text).map_err(|e| e.to_string())?;
    let spy = venv.join("bin/python");
    match &opts.resolver {
        Resolver::Uv(uv) => {
            run(
                Command::new(&uv.path)
                    .current_dir(tmp.path())
                    .args(["venv", "--no-config", "--quiet", "--python"])
                    .arg(python)
                    .arg(&venv),
                "uv venv",
            )?;
            run(
                Command::new(&uv.path)
                    .current_dir(tmp.path())
                    .args(["pip", "install", "--no-config", "--quiet", "--no-deps"])
                    .arg("--python")
                    .arg(&spy)
                    .arg("-r")
                    .arg(&planned_txt)
                    .args(crate::fix::resolve::index_args(&opts.index_urls, true)),
                "uv pip install -r planned.txt",
            )?;
        }
        Resolver::Pip { .. } => {
            run(
                Command::new(python).arg("-m").arg("venv").arg(&venv),
                "python -m venv",
            )?;
            run(
                Command::new(&spy)
                    .args(["-m", "pip", "install", "--quiet", "--no-deps", "-r"])
                    .arg(&planned_txt)
                    .args(crate::fix::resolve::index_args(&opts.index_urls, false)),
                "pip install -r planned.txt",
            )?;
        }
    }
    // The scratch venv's own site-packages, from its layout.
    let scratch_env = discover::discover(&DiscoverOptions {
        env: Some(venv.clone()),
        cwd: tmp.path().to_path_buf(),
        ..Default::default()
    })
    .map_err(|e| e.to_string())?;
    let site = scratch_env
        .site_packages
        .first()
        .cloned()
        .ok_or("the scratch venv has no site-packages")?;
    let mut notes = Vec::new();
    for d in copies {
        let n = copy_distribution(d, &site)?;
        notes.push(format!(
            "{} {} cannot be reinstalled from an index ({}): its {n} files were copied from the \
             environment",
            d.name,
            d.version,
            if d.built_locally {
                "built on this machine"
            } else {
                "installed from a URL"
            }
        ));
    }
    // The rebuilds, with the command `fix` prints, run in the scratch directory.
    if !rebuilds.is_empty() {
        use crate::install::{self, Opts, Tool};
        let (tool, pip) = match &opts.resolver {
            Resolver::Uv(uv) => (Tool::Uv(uv.path.display().to_string()), None),
            Resolver::Pip { .. } => (Tool::Pip, pip_version_of(&spy)),
        };
        let file = tmp
            .path()
            .join("build-constraints.txt")
            .display()
            .to_string();
        let spy_s = spy.display().to_string();
        for r in rebuilds {
            let step = install::rebuild(
                &tool,
                Some(&spy_s),
                pip.as_deref(),
                &r.name,
                &r.version,
                &r.build_constraints,
                &file,
                Opts {
                    no_deps: true,
                    break_system_packages: false,
                },
            );
            if let Some((path, content)) = &step.writes {
                std::fs::write(path, content).map_err(|e| format!("{path}: {e}"))?;
            }
            let Some((exe, args)) = step.argv.split_first() else {
                continue;
            };
            let shown = step.shown();
            let mut cmd = Command::new(exe);
            cmd.args(args)
                .envs(step.env.iter().map(|(k, v)| (k, v)))
                .current_dir(tmp.path());
            if let Err(e) = run(&mut cmd, &shown) {
                return Ok(Proof {
                    status: ProofStatus::Failed,
                    passed: vec![],
                    notes: {
                        notes.push(format!("the rebuild in the scratch venv failed: {e}"));
                        notes
                    },
                    failing: vec![],
                });
            }
            notes.push(format!(
                "rebuilt {} {} from its sdist in the scratch venv ({}): `{shown}`",
                r.name,
                r.version,
                r.build_constraints.join(", ")
            ));
        }
    }
    // Proof 1: the scan.
    let checked = scan::scan_environment(scratch_env, &());
    // Every error counts, not only predicted import failures: a pybind11 <= 2.11 module on NumPy
    // 2 (NPY005) imports and then misreads arrays, so its import would prove nothing.
    let failing: Vec<String> = checked
        .findings
        .iter()
        .filter(|f| f.severity == crate::rules::Severity::Error)
        .filter_map(|f| f.module.clone())
        .collect();
    // Modules whose import proves only that they load: pybind11 <= 2.11 numpy.h imports under
    // every NumPy and is right only under 1.x.
    let loads_only: Vec<String> = checked
        .scan
        .modules
        .iter()
        .filter(|m| {
            m.facts
                .toolchain
                .pybind11
                .as_ref()
                .is_some_and(|p| p.numpy == crate::binary::Pybind11Numpy::Numpy1Only)
        })
        .map(|m| m.module.clone().unwrap_or_else(|| m.path.clone()))
        .collect();
    let numpy = checked
        .scan
        .numpy
        .as_ref()
        .map(|n| n.version.clone())
        .unwrap_or_else(|| "none".into());
    if !failing.is_empty() {
        return Ok(Proof {
            status: ProofStatus::Failed,
            passed: vec![],
            notes: {
                notes.push(format!(
                    "check of the scratch venv (NumPy {numpy}): {} modules still predicted to fail or misbehave",
                    failing.len()
                ));
                notes
            },
            failing,
        });
    }
    let mut passed = vec![format!(
        "check: no module predicted to fail in a scratch venv with NumPy {numpy} ({} binaries, {} using NumPy{})",
        checked.scan.modules.len(),
        checked.numpy_binaries(),
        if loads_only.is_empty() {
            String::new()
        } else {
            // Past the check, such a module sits on a NumPy 1.x (NPY005 is an error on 2.x).
            format!(
                "; {} with pybind11 <= 2.11 numpy.h, which reads this NumPy 1.x's layouts",
                loads_only.join(", ")
            )
        }
    )];
    // Proof 2: import every top-level package.
    let mut tops: Vec<String> = checked
        .inventory
        .distributions
        .iter()
        .flat_map(|d| d.top_level.iter().cloned())
        .filter(|t| !t.starts_with('_') && !t.contains('/') && !t.is_empty())
        .filter(|t| !matches!(t.as_str(), "pip" | "setuptools" | "pkg_resources" | "wheel"))
        .collect();
    tops.sort();
    tops.dedup();
    let runner = Runner {
        python: spy.clone(),
        site_packages: checked.environment.site_packages.clone(),
        timeout: opts.timeout,
        cwd: tmp.path().to_path_buf(),
    };
    let results = parallel_imports(&runner, &tops, opts.jobs);
    let mut import_failing = Vec::new();
    let mut other = Vec::new();
    for (name, r) in tops.iter().zip(&results) {
        if r.outcome == Outcome::Ok || r.outcome == Outcome::Warning {
            continue;
        }
        let line = format!(
            "import {name}: {}: {}",
            r.exception.as_deref().unwrap_or(r.outcome.as_str()),
            r.message.as_deref().unwrap_or("")
        );
        let text = format!(
            "{} {} {}",
            r.message.as_deref().unwrap_or(""),
            r.stderr,
            r.cause.as_ref().map(|c| c.message.as_str()).unwrap_or("")
        );
        if r.outcome != Outcome::Error || crate::verify::family(&text).is_some() {
            import_failing.push(line);
        } else {
            other.push(line);
        }
    }
    if !import_failing.is_empty() {
        notes.extend(other);
        return Ok(Proof {
            status: ProofStatus::Failed,
            passed,
            notes,
            failing: import_failing,
        });
    }
    passed.push(format!(
        "import: {} of {} top-level packages imported in their own interpreter ({})",
        tops.len() - other.len(),
        tops.len(),
        tops.join(", ")
    ));
    for o in other {
        notes.push(format!("{o} (not a NumPy binary failure)"));
    }
    if !loads_only.is_empty() {
        notes.push(format!(
            "the import of {} proves only that it loads: a pybind11 <= 2.11 module imports under \
             NumPy 2 as well and goes wrong on first use (docs/import-behaviour.md#old-pybind11-on-numpy-2); \
             what proves it here is the check: NumPy {numpy} has the 1.x layouts its numpy.h reads",
            loads_only.join(", ")
        ));
    }
    Ok(Proof {
        status: ProofStatus::Proven,
        passed,
        notes,
        failing: vec![],
    })
}

fn parallel_imports(
    runner: &Runner,
    names: &[String],
    jobs: usize,
) -> Vec<crate::verify::ImportResult> {
    let chunks: Vec<&[String]> = names
        .chunks(names.len().div_ceil(jobs.max(1)).max(1))
        .collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|c| {
                s.spawn(move || {
                    c.iter()
                        .map(|n| runner.import(Mode::Plain, n, None))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Copy the files a distribution's RECORD lists under its site directory into `site`.
fn copy_distribution(d: &Distribution, site: &Path) -> Result<usize, String> {
    let mut n = 0;
    for f in &d.files {
        let Ok(rel) = f.strip_prefix(&d.site_packages) else {
            continue;
        };
        if !f.is_file() {
            continue;
        }
        let dest = site.join(rel);
        if let Some(p) = dest.parent() {
            std::fs::create_dir_all(p).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        std::fs::copy(f, &dest).map_err(|e| format!("copy {}: {e}", f.display()))?;
        n += 1;
    }
    Ok(n)
}
