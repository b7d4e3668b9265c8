//! What the index knows, for the planner: the scanned interpreter's target (Python version and
//! platform, for uv and for picking wheels), and per failing package the releases past the
//! installed one with what their wheels were built against, read with a few range requests per
//! wheel ([`crate::index::Client::wheel_facts`], cached by sha256), so that a release whose wheel
//! does not fit the NumPy is excluded before uv is asked and before any scratch install.

use crate::binary::{BinaryFacts, Pybind11Numpy};
use crate::index::tags::{self, best_wheel, Target};
use crate::index::{Client, IndexError, Project};
use crate::inventory::Distribution;
use crate::knowledge::Release;
use crate::rules::predict;
use crate::scan::Scanned;
use serde::Serialize;

/// The interpreter the plan is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct EnvTarget {
    /// `3.11`
    pub python_version: String,
    /// uv's `--python-platform`: `x86_64-manylinux_2_36`.
    pub python_platform: String,
    /// Where each part came from.
    pub evidence: String,
}

/// The architecture and C library of a wheel platform tag (`manylinux_2_17_x86_64` ->
/// (`x86_64`, `manylinux`)).
fn tag_arch(tag: &str) -> Option<(String, &'static str)> {
    let libc = if tag.starts_with("manylinux") || tag.starts_with("linux_") {
        "manylinux"
    } else if tag.starts_with("musllinux") {
        "musllinux"
    } else {
        return None;
    };
    // The architecture is what follows the libc part: `manylinux_2_17_x86_64`,
    // `manylinux2014_x86_64`, `linux_x86_64`, `musllinux_1_1_aarch64`.
    let rest = tag.split_once('_')?.1;
    let mut parts: Vec<&str> = rest.split('_').collect();
    while parts
        .first()
        .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
    {
        parts.remove(0);
    }
    let arch = parts.join("_");
    (!arch.is_empty()).then_some((arch, libc))
}

/// The target of the scanned interpreter: its Python version (the interpreter's own, from the
/// discovery probe), its architecture and C library from the platform tags of the wheels
/// installed in the environment (what that interpreter accepted), and the glibc version of this
/// machine (the interpreter runs here, so its glibc is this one; capped at 2.40, the newest uv
/// 0.13.9 names). Without installed platform wheels, this machine's architecture.
pub fn env_target(scanned: &Scanned) -> Option<EnvTarget> {
    let py = scanned.environment.python_version.as_deref()?;
    let mm: String = py.split('.').take(2).collect::<Vec<_>>().join(".");
    let mut seen: std::collections::BTreeMap<(String, &'static str), (usize, String)> =
        Default::default();
    for d in &scanned.inventory.distributions {
        for t in &d.wheel_tags {
            let Some(plat) = t.rsplit('-').next() else {
                continue;
            };
            for p in plat.split('.') {
                if let Some(k) = tag_arch(p) {
                    let e = seen.entry(k).or_insert((0, t.clone()));
                    e.0 += 1;
                }
            }
        }
    }
    let best = seen.iter().max_by_key(|(_, (n, _))| *n);
    let (spelt, evidence) = match (std::env::consts::OS, best) {
        ("linux", Some(((arch, libc), (n, example)))) => {
            let from = format!("{n} installed wheel tags such as {example}");
            if *libc == "musllinux" {
                (
                    format!("{arch}-musllinux_1_2"),
                    format!("architecture {arch} and musl from {from}"),
                )
            } else {
                let minor = tags::host_glibc().map_or(17, |(_, m)| m.min(40));
                (
                    format!("{arch}-manylinux_2_{minor}"),
                    format!(
                        "architecture {arch} from {from}; glibc 2.{minor} of this machine, where the interpreter runs"
                    ),
                )
            }
        }
        _ => (
            crate::fix::resolve::host_platform()?,
            "no installed platform wheel: this machine's architecture and C library".to_string(),
        ),
    };
    Some(EnvTarget {
        python_version: mm.clone(),
        evidence: format!("CPython {mm} (the interpreter's version) on {spelt}: {evidence}"),
        python_platform: spelt,
    })
}

/// What the index says about one release of a failing package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub name: String,
    pub version: String,
    /// The wheel read (the one an installer picks for the target).
    pub wheel: String,
    /// Its compiled modules import under the installed NumPy; `None`: the wheel shows no NumPy use.
    pub fits: Option<bool>,
    /// What the wheel's NumPy member says (`built against NumPy 1.x headers: numpy>=1.22,<2`).
    pub built: String,
    /// The NumPy requirement to give this release in uv's overrides when it does not fit.
    pub override_numpy: Option<String>,
}

/// Does one wheel member import under `rt`, and its window?
fn member_verdict(f: &BinaryFacts, rt: &Release) -> (Option<bool>, String, Option<String>) {
    if f.toolchain
        .pybind11
        .as_ref()
        .is_some_and(|p| p.numpy == Pybind11Numpy::Numpy1Only)
    {
        // pybind11 <= 2.11 numpy.h: right only under NumPy 1.x (rule NPY005).
        return (
            Some(rt.major() < 2),
            "pybind11 <= 2.11 numpy.h (right under NumPy 1.x only)".into(),
            Some("<2".into()),
        );
    }
    let np = &f.numpy;
    if !predict::depends_on_numpy(np) {
        return (None, "no NumPy use".into(), None);
    }
    let spec = predict::compatible_specifier(np).filter(|s| !s.is_empty());
    let gen = match np.abi_version.map(|a| a >> 24) {
        Some(0x01) => "built against NumPy 1.x headers".to_string(),
        Some(0x02) => "built against NumPy 2.x headers".to_string(),
        _ => "NumPy use".to_string(),
    };
    let ok = predict::verdicts(np).and_then(|v| {
        let li = crate::knowledge::knowledge()
            .releases
            .iter()
            .position(|r| r.line == rt.line)?;
        v.get(li).copied()
    });
    let built = match &spec {
        Some(s) => format!("{gen}: imports under numpy{s}"),
        None => gen,
    };
    (ok, built, spec.or_else(|| Some("<2".into())))
}

/// What the wheel of `d` `version` for `target` says about `rt`; `None` when the version has no
/// wheel for the target (uv, with `--only-binary`, will not pick it either).
pub fn release(
    client: &Client,
    target: &Target,
    project: &Project,
    d: &Distribution,
    version: &str,
    rt: &Release,
) -> Result<Option<Candidate>, IndexError> {
    let files = project.files_of(version);
    let Some(f) = best_wheel(&files, target).filter(|f| !f.yanked) else {
        return Ok(None);
    };
    let facts = client.wheel_facts(f)?;
    let (fits, built, ov) = match facts.numpy_member() {
        Some((member, bf)) => {
            let (ok, b, ov) = member_verdict(bf, rt);
            (ok, format!("{member}: {b}"), ov)
        }
        None => (
            None,
            format!(
                "no compiled member showing NumPy use ({} of {} read)",
                facts.members.len(),
                facts.binaries
            ),
            None,
        ),
    };
    Ok(Some(Candidate {
        name: d.normalized.clone(),
        version: version.to_string(),
        wheel: f.filename.clone(),
        override_numpy: if fits == Some(false) { ov } else { None },
        fits,
        built,
    }))
}

/// Releases of `d` past the installed one, lowest first (no pre-releases), each with what its
/// wheel for `target` says about `rt`; reading stops at the first that fits (or shows no NumPy
/// use), after `max` wheels, or when the index cannot be reached (the error). Other errors of
/// one wheel are notes, and the next release is read.
pub fn candidates(
    client: &Client,
    target: &Target,
    project: &Project,
    d: &Distribution,
    rt: &Release,
    max: usize,
    notes: &mut Vec<String>,
) -> Result<Vec<Candidate>, IndexError> {
    use std::str::FromStr;
    let later: Vec<String> = project
        .versions()
        .into_iter()
        .filter(|v| tags::cmp_versions(v, &d.version).is_gt())
        .filter(|v| pep440_rs::Version::from_str(v).is_ok_and(|p| !p.any_prerelease()))
        .map(str::to_string)
        .collect();
    let mut out: Vec<Candidate> = Vec::new();
    for v in later {
        if out.len() >= max {
            break;
        }
        match release(client, target, project, d, &v, rt) {
            Ok(None) => continue,
            Ok(Some(c)) => {
                let stop = c.fits != Some(false);
                out.push(c);
                if stop {
                    break;
                }
            }
            Err(e @ (IndexError::Offline { .. } | IndexError::Transport { .. })) => return Err(e),
            Err(e) => notes.push(format!("{} {v}: {e}", d.name)),
        }
    }
    Ok(out)
}

/// How long a project page read by the planner is reused: PyPI serves simple pages with
/// `Cache-Control: max-age=600`, and pip's HTTP cache keeps them as long.
pub const PAGE_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(600);

#[derive(serde::Serialize, serde::Deserialize)]
struct CachedPage {
    index: String,
    name: String,
    files: Vec<crate::index::DistFile>,
}

/// The project page of `name`, from `<cache>/index/pages/` when it was read from the same
/// indexes less than [`PAGE_MAX_AGE`] ago (`true`: from the cache), else from the index (and
/// kept). A cache that cannot be read or written only costs a request.
pub fn project(
    client: &Client,
    cache: Option<&std::path::Path>,
    name: &str,
) -> Result<(Project, bool), IndexError> {
    use sha2::Digest;
    let norm = crate::index::normalize(name);
    let indexes: Vec<&str> = client.config().indexes().collect();
    let key = indexes.join(" ");
    let path = cache.map(|c| {
        let h = sha2::Sha256::digest(format!("{key}\n{norm}").as_bytes());
        let hex: String = h.iter().take(8).map(|b| format!("{b:02x}")).collect();
        c.join("index")
            .join("pages")
            .join(format!("{norm}-{hex}.json"))
    });
    if let Some(p) = &path {
        let fresh = std::fs::metadata(p)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age < PAGE_MAX_AGE);
        let page = fresh
            .then(|| std::fs::read(p).ok())
            .flatten()
            .and_then(|b| serde_json::from_slice::<CachedPage>(&b).ok())
            .filter(|c| c.index == key && c.name == norm);
        if let Some(c) = page {
            return Ok((
                Project {
                    name: c.name,
                    files: c.files,
                },
                true,
            ));
        }
    }
    let proj = client.project(&norm)?;
    if let Some(p) = &path {
        let page = CachedPage {
            index: key,
            name: proj.name.clone(),
            files: proj.files.clone(),
        };
        let _ = write_atomic(p, &page);
    }
    Ok((proj, false))
}

fn write_atomic(path: &std::path::Path, page: &CachedPage) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("no directory"))?;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut tmp, page)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architectures_of_wheel_tags() {
        assert_eq!(
            tag_arch("manylinux_2_17_x86_64"),
            Some(("x86_64".into(), "manylinux"))
        );
        assert_eq!(
            tag_arch("manylinux2014_aarch64"),
            Some(("aarch64".into(), "manylinux"))
        );
        assert_eq!(
            tag_arch("linux_x86_64"),
            Some(("x86_64".into(), "manylinux"))
        );
        assert_eq!(
            tag_arch("musllinux_1_1_x86_64"),
            Some(("x86_64".into(), "musllinux"))
        );
        assert_eq!(tag_arch("any"), None);
        assert_eq!(tag_arch("win_amd64"), None);
    }
}
