//! `fix`'s text and JSON. Writes to a writer; the CLI prints.

use crate::fix::plan::{Plan, SCHEMA_VERSION};
use crate::fix::prove::ProofStatus;
use serde::Serialize;
use std::io::Write;

/// `fix --format json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct FixReport<'a> {
    pub schema_version: u32,
    pub environment: Environment,
    pub plan: PlanJson<'a>,
    pub proven: bool,
    pub commands: crate::fix::commands::Commands,
    pub alternatives: &'a [crate::fix::plan::Alternative],
    pub blockers: &'a [crate::fix::plan::Blocker],
    pub resolver: Option<&'a str>,
    pub notes: &'a [String],
    /// The interpreter uv resolved for and wheels were picked for.
    pub target: Option<&'a crate::fix::candidates::EnvTarget>,
    pub stats: &'a crate::fix::plan::Stats,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Environment {
    pub prefix: String,
    pub python: Option<String>,
    pub python_version: Option<String>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PlanJson<'a> {
    pub summary: &'a str,
    pub kind: Option<crate::fix::plan::Kind>,
    pub changes: &'a [crate::fix::plan::Change],
    pub proof: Option<&'a crate::fix::prove::Proof>,
}

impl<'a> FixReport<'a> {
    pub fn new(env: &crate::discover::Environment, plan: &'a Plan) -> Self {
        FixReport {
            schema_version: SCHEMA_VERSION,
            environment: Environment {
                prefix: env.prefix.display().to_string(),
                python: env.python.as_ref().map(|p| p.display().to_string()),
                python_version: env.python_version.clone(),
            },
            plan: PlanJson {
                summary: &plan.summary,
                kind: plan.kind,
                changes: &plan.changes,
                proof: plan.proof.as_ref(),
            },
            proven: plan.proven,
            commands: plan
                .chosen()
                .map(|a| a.commands.clone())
                .unwrap_or_default(),
            alternatives: &plan.alternatives,
            blockers: &plan.blockers,
            resolver: plan.resolver.as_deref(),
            notes: &plan.notes,
            target: plan.target.as_ref(),
            stats: &plan.stats,
        }
    }
}

pub fn json(
    out: &mut dyn Write,
    env: &crate::discover::Environment,
    plan: &Plan,
) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &FixReport::new(env, plan))?;
    writeln!(out)
}

fn human_bytes(b: u64) -> String {
    if b >= 1 << 20 {
        format!("{:.1} MB", b as f64 / 1048576.0)
    } else if b >= 1024 {
        format!("{:.0} KB", b as f64 / 1024.0)
    } else {
        format!("{b} bytes")
    }
}

fn status(s: &ProofStatus) -> &'static str {
    match s {
        ProofStatus::Proven => "proven",
        ProofStatus::Failed => "failed its proof",
        ProofStatus::Unproven => "not proven",
    }
}

pub fn text(
    out: &mut dyn Write,
    env: &crate::discover::Environment,
    plan: &Plan,
) -> std::io::Result<()> {
    writeln!(
        out,
        "Python {} at {}",
        env.python_version.as_deref().unwrap_or("?"),
        env.prefix.display()
    )?;
    writeln!(out, "Plan: {}", plan.summary)?;
    for c in &plan.changes {
        writeln!(
            out,
            "  {} {} -> {}: {}",
            c.name,
            c.from.as_deref().unwrap_or("(not installed)"),
            c.to.as_deref().unwrap_or("(removed)"),
            c.reason
        )?;
    }
    if let Some(p) = &plan.proof {
        for l in &p.passed {
            writeln!(out, "  proof: {l}")?;
        }
        for l in &p.notes {
            writeln!(out, "  note: {l}")?;
        }
    }
    if let Some(a) = plan.chosen() {
        if !a.commands.pip.is_empty() || !a.commands.uv.is_empty() {
            writeln!(out, "Commands:")?;
            for c in &a.commands.pip {
                writeln!(out, "  pip   {c}")?;
            }
            for c in &a.commands.uv {
                writeln!(out, "  uv    {c}")?;
            }
            for c in &a.commands.conda {
                writeln!(out, "  conda {c}")?;
            }
        }
    }
    for b in &plan.blockers {
        writeln!(out, "Blocked: {}", b.reason)?;
        for o in &b.options {
            writeln!(out, "  you could: {o}")?;
        }
    }
    let others: Vec<_> = plan
        .alternatives
        .iter()
        .filter(|a| Some(a.kind) != plan.kind)
        .collect();
    if !others.is_empty() {
        writeln!(out, "Alternatives, best first:")?;
        for (i, a) in others.iter().enumerate() {
            writeln!(
                out,
                "  {}. {} ({})",
                i + 1,
                a.summary,
                status(&a.proof.status)
            )?;
            for c in &a.changes {
                writeln!(
                    out,
                    "     {} {} -> {}",
                    c.name,
                    c.from.as_deref().unwrap_or("-"),
                    c.to.as_deref().unwrap_or("-")
                )?;
            }
            for e in &a.evidence {
                writeln!(out, "     evidence: {e}")?;
            }
            for n in a.proof.notes.iter().chain(&a.proof.failing).take(6) {
                writeln!(out, "     proof: {n}")?;
            }
            for c in a.commands.pip.iter().chain(&a.commands.uv) {
                writeln!(out, "     $ {c}")?;
            }
        }
    }
    for n in &plan.notes {
        writeln!(out, "note: {n}")?;
    }
    if let Some(t) = &plan.target {
        writeln!(out, "Target: {}", t.evidence)?;
    }
    let s = &plan.stats;
    writeln!(
        out,
        "Planning: {:.1} s, {} index requests ({}), {} cache hits, {} wheels read, {} resolver runs, {} scratch installs",
        s.seconds,
        s.index_requests,
        human_bytes(s.index_bytes),
        s.index_cache_hits,
        s.wheels_read,
        s.resolver_runs,
        s.scratch_installs
    )?;
    Ok(())
}

/// `fix --apply --format json` after a committed apply.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ApplyReport<'a> {
    pub schema_version: u32,
    /// Always `true` here.
    pub applied: bool,
    pub result: &'a crate::fix::apply::Applied,
    /// The command that undoes it.
    pub rollback: String,
}

/// `fix --apply --format json` when the apply failed (and was rolled back, or not).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ApplyFailedReport {
    pub schema_version: u32,
    /// Always `false` here.
    pub applied: bool,
    pub error: String,
    /// The environment was put back as it was before.
    pub rolled_back: bool,
}

/// `fix --rollback --format json`.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RollbackReport<'a> {
    pub schema_version: u32,
    pub rolled_back: &'a crate::fix::apply::RolledBack,
}

/// Everything `abi-doctor fix --format json` prints: a plan (also when `--apply` refuses an
/// unproven plan, or there is nothing to change), the result of an apply, or of a rollback.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
#[allow(
    clippy::large_enum_variant,
    reason = "a schema model only, never built"
)]
pub enum FixOutput<'a> {
    Plan(FixReport<'a>),
    Applied(ApplyReport<'a>),
    ApplyFailed(ApplyFailedReport),
    RolledBack(RollbackReport<'a>),
}

/// `explain --format json` with an environment where something fails: the explain report and
/// the plan `abi-doctor fix` gives for that environment.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ExplainWithPlan<'a> {
    #[serde(flatten)]
    pub report: &'a crate::report::explain::ExplainReport,
    /// The plan for the environment (as `abi-doctor fix --format json` gives it); absent without
    /// an environment, or when nothing in it fails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<FixReport<'a>>,
}
