//! The fix hint: from the import windows of every NumPy-using binary, the declared requirements and
//! the Python version, the NumPy versions under which everything imports, or, when none exists,
//! which packages must be rebuilt or moved. `check` prints it; `abi-doctor fix` ([`crate::fix`])
//! turns it into a plan of exact releases and proves it.

use crate::knowledge::{knowledge, Release};
use crate::rules::{dist_verdicts, Scan};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hint {
    /// One sentence.
    pub summary: String,
    /// NumPy versions under which every module imports and every declared requirement holds.
    pub numpy_specifier: Option<String>,
    /// Commands for pip, uv and conda.
    pub commands: Vec<String>,
    /// Packages that must be rebuilt, upgraded or moved, each with the reason.
    pub blockers: Vec<String>,
}

/// Whether a PEP 440 specifier admits a release line (its measured patch or its `.0`); an
/// unparsable specifier admits everything.
pub(crate) fn admits(spec: &str, r: &Release) -> bool {
    let Ok(spec) = spec.parse::<pep440_rs::VersionSpecifiers>() else {
        return true;
    };
    [r.last_patch.clone(), format!("{}.0", r.line)]
        .iter()
        .filter_map(|v| v.parse::<pep440_rs::Version>().ok())
        .any(|v| spec.contains(&v))
}

pub(crate) fn python_ok(scan: &Scan, r: &Release) -> bool {
    let Some(py) = &scan.python_version else {
        return true;
    };
    let mm: String = py.split('.').take(2).collect::<Vec<_>>().join(".");
    r.python.is_empty() || r.python.contains(&mm)
}

/// `>=LO,<NEXT` for the release lines `lo..=hi`.
pub(crate) fn range_spec(releases: &[Release], lo: usize, hi: usize) -> String {
    let mut s = format!(">={}", releases[lo].line);
    match releases.get(hi + 1) {
        Some(next) => s.push_str(&format!(
            ",<{}",
            next.line.strip_suffix(".0").unwrap_or(&next.line)
        )),
        None => s.push_str(&format!(",<{}", releases[hi].major() + 1)),
    }
    s
}

/// The commands that move NumPy in the scanned environment: pip and uv with its interpreter,
/// conda only for a conda environment.
fn commands(scan: &Scan, spec: &str) -> Vec<String> {
    let c = scan.target.install(&[format!("numpy{spec}")]);
    c.pip.into_iter().chain(c.uv).chain(c.conda).collect()
}

/// The hint for a scan whose runtime NumPy makes some module fail (`failing` = distributions with
/// error findings). `None` when there is no runtime NumPy or nothing fails.
pub fn hint(scan: &Scan, failing: &[String]) -> Option<Hint> {
    let rt = scan.numpy.as_ref()?;
    if failing.is_empty() {
        return None;
    }
    let releases = &knowledge().releases;
    let per_dist: Vec<(usize, Vec<bool>)> = (0..scan.dists.len())
        .filter_map(|i| dist_verdicts(scan, i).map(|(v, _)| (i, v)))
        .collect();
    let binaries_ok = |li: usize| per_dist.iter().all(|(_, v)| v[li]);
    let declared_ok = |li: usize| {
        scan.dists.iter().all(|d| {
            d.numpy_requirement
                .as_deref()
                .is_none_or(|s| admits(s, &releases[li]))
        })
    };
    let usable: Vec<bool> = releases.iter().map(|r| python_ok(scan, r)).collect();
    let all_ok: Vec<bool> = (0..releases.len())
        .map(|i| usable[i] && binaries_ok(i) && declared_ok(i))
        .collect();
    if let Some(newest) = all_ok.iter().rposition(|&b| b) {
        let mut lo = newest;
        while lo > 0 && all_ok[lo - 1] {
            lo -= 1;
        }
        let spec = range_spec(releases, lo, newest);
        return Some(Hint {
            summary: format!(
                "everything imports under NumPy {spec} (NumPy {} {}); move NumPy:",
                rt.version,
                if scan.before_install {
                    "is in the set"
                } else {
                    "is installed"
                }
            ),
            numpy_specifier: Some(spec.clone()),
            commands: commands(scan, &spec),
            blockers: vec![],
        });
    }
    // No NumPy satisfies everything. Pick the release line that lets the most distributions import
    // (ties: the installed line, then the newest), and name the ones still failing there.
    let score = |li: usize| per_dist.iter().filter(|(_, v)| v[li]).count();
    let rt_index = releases.iter().position(|r| r == rt.release);
    let best = (0..releases.len())
        .filter(|&i| usable[i])
        .max_by_key(|&i| (score(i), Some(i) == rt_index, i))?;
    let target = &releases[best];
    let mut blockers = Vec::new();
    for (i, v) in &per_dist {
        if !v[best] {
            let d = &scan.dists[*i];
            let w = crate::rules::predict::window_of(v, releases);
            let spec = match w {
                crate::rules::predict::Window::Range { lower, upper } => {
                    let hi = upper
                        .and_then(|u| releases.iter().position(|r| r == u))
                        .map(|u| u - 1)
                        .unwrap_or(releases.len() - 1);
                    let lo = releases.iter().position(|r| r == lower).unwrap_or(0);
                    format!(
                        "its binaries import only under numpy{}",
                        range_spec(releases, lo, hi)
                    )
                }
                _ => "its binaries import under no known NumPy".into(),
            };
            blockers.push(format!(
                "{} {}: {spec}; upgrade it to a release built for NumPy {} or rebuild it from source against it",
                d.name, d.version, target.line
            ));
        }
    }
    for d in &scan.dists {
        if let Some(req) = &d.numpy_requirement {
            if !admits(req, target) && per_dist.iter().all(|(i, _)| scan.dists[*i].name != d.name) {
                blockers.push(format!(
                    "{} {} declares numpy{req}, which excludes NumPy {}; upgrade it or relax the pin",
                    d.name, d.version, target.line
                ));
            }
        }
    }
    Some(Hint {
        summary: format!(
            "no NumPy release satisfies every package here; with NumPy {} the fewest packages need work:",
            target.line
        ),
        numpy_specifier: None,
        commands: commands(scan, &format!("=={}.*", target.line)),
        blockers,
    })
}
