//! Why metadata let a broken pair through: for each distribution with modules predicted to fail,
//! its declared NumPy requirement (Requires-Dist, markers evaluated for the target) beside the
//! NumPy of the set and the NumPy its binaries were built against (their headers' ABI version).
//! Nothing is keyed to package names: the sentence comes from the metadata and the scan.

use crate::rules::predict;
use crate::scan::Scanned;
use std::collections::BTreeMap;

/// Does a specifier set cap the version from above (`<`, `<=`, `==`, `~=`, `===`)?
fn has_upper_bound(spec: &str) -> bool {
    spec.split(',').any(|c| {
        let c = c.trim();
        (c.starts_with('<') && !c.starts_with("<>")) || c.starts_with("==") || c.starts_with("~=")
    })
}

fn allows(spec: &str, version: &str) -> Option<bool> {
    let v: pep440_rs::Version = version.parse().ok()?;
    let s: pep440_rs::VersionSpecifiers = spec.parse().ok()?;
    Some(s.contains(&v))
}

/// One sentence per failing distribution; `resolved`: the set came from a resolver (a lock file
/// or requirements resolved by uv or pip), not from pins taken as they are.
pub fn explain(s: &Scanned, resolved: bool) -> Vec<String> {
    let Some(np) = &s.scan.numpy else {
        return Vec::new();
    };
    let rt = &np.version;
    // Per failing distribution: the header generations and import windows of its failing modules.
    let mut built: BTreeMap<usize, (BTreeMap<String, usize>, Option<String>)> = BTreeMap::new();
    let failing: std::collections::BTreeSet<usize> = s
        .findings
        .iter()
        .filter(|f| f.fails_import())
        .filter_map(|f| {
            s.scan.dists.iter().position(|d| {
                Some(&d.name) == f.distribution.as_ref()
                    && Some(&d.version) == f.distribution_version.as_ref()
            })
        })
        .collect();
    // The NumPy headers of every compiled file of a failing distribution (its extension
    // modules, and the helper libraries whose init a knock-on goes through).
    for m in &s.scan.modules {
        let Some(di) = m.dist.filter(|d| failing.contains(d)) else {
            continue;
        };
        let entry = built.entry(di).or_default();
        let generation = match m.facts.numpy.abi_version {
            Some(v) if v >= 0x0200_0000 => "NumPy 2.x".to_string(),
            Some(_) => "NumPy 1.x".to_string(),
            None => continue,
        };
        *entry.0.entry(generation).or_default() += 1;
        if entry.1.is_none() {
            entry.1 = predict::compatible_specifier(&m.facts.numpy);
        }
    }
    let mut out = Vec::new();
    for (di, (gens, window)) in built {
        let Some(d) = s.scan.dists.get(di) else {
            continue;
        };
        let Some(generation) = gens.iter().max_by_key(|(_, n)| **n).map(|(g, _)| g.clone()) else {
            continue;
        };
        let window = window
            .map(|w| format!(" (they import under numpy{w})"))
            .unwrap_or_default();
        let who = format!("{} {}", d.name, d.version);
        let line = match d.numpy_requirement.as_deref() {
            None | Some("") => {
                let verb = if resolved {
                    "the resolver chose"
                } else {
                    "the set has"
                };
                let decl = if d.numpy_requirement.is_none() {
                    "declares no numpy requirement"
                } else {
                    "declares numpy with no version bound"
                };
                format!(
                    "{verb} numpy {rt} because {who} {decl}; its wheels were built against \
                     {generation}{window}"
                )
            }
            Some(spec) if !has_upper_bound(spec) && allows(spec, rt) != Some(false) => {
                let verb = if resolved {
                    "the resolver chose"
                } else {
                    "the set has"
                };
                let because = if resolved { "because" } else { "and" };
                format!(
                    "{verb} numpy {rt} {because} {who} declares numpy{spec} with no upper bound; \
                     its wheels were built against {generation}{window}"
                )
            }
            Some(spec) if allows(spec, rt) == Some(false) => format!(
                "numpy {rt} is outside what {who} declares (numpy{spec}): no resolver would pick \
                 this pair; it was forced (--no-deps, or a lock file edited by hand). Its wheels \
                 were built against {generation}{window}"
            ),
            Some(spec) => format!(
                "{who} declares numpy{spec}, which allows numpy {rt}, but its wheels were built \
                 against {generation}{window}: its metadata is wrong, so a resolver cannot avoid \
                 the break"
            ),
        };
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_bounds() {
        assert!(!has_upper_bound(">=1.14.6"));
        assert!(has_upper_bound("<2,>=1.23.2"));
        assert!(has_upper_bound("==1.26.4"));
        assert!(has_upper_bound("~=1.19.2"));
        assert!(!has_upper_bound(">=1.23.2,!=1.24.0"));
        assert_eq!(allows(">=1.14.6", "2.2.6"), Some(true));
        assert_eq!(allows("<2,>=1.23.2", "2.2.6"), Some(false));
    }
}
