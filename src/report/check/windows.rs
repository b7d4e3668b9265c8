//! The import windows of a check report, as data: for each distribution that uses NumPy's binary
//! interface, the NumPy release lines its binaries import under (the intersection over its
//! modules) and the lines its declared requirement admits; the installed NumPy's line; the lines
//! where every window overlaps; and the line the fix hint moves NumPy to. The JSON report carries
//! them and the HTML report draws them.
//!
//! Every per-line vector follows [`Windows::release_lines`], the knowledge base's release lines
//! oldest first (src/knowledge/numpy.json). A line is "in" a window when the line's measured patch
//! release passes the rules' prediction (`rules::predict::verdicts`), the same test the fix hint
//! uses (src/fix/mod.rs).

use crate::knowledge::{knowledge, Release};
use crate::rules::hint::{admits, range_spec, Hint};
use crate::rules::{dist_verdicts, predict, Finding, Scan};
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Windows {
    /// The knowledge base's NumPy release lines ("1.7" ... "2.4"), oldest first: the axis.
    pub release_lines: Vec<String>,
    /// The installed NumPy's release line; the newest known line when the installed NumPy is newer
    /// than the knowledge base (`numpy.beyond_knowledge`). `None` without a NumPy.
    pub installed_line: Option<String>,
    /// One entry per distribution with at least one module that uses NumPy's binary interface,
    /// sorted by name.
    pub distributions: Vec<DistWindow>,
    /// Per release line: the binaries of every distribution with a known window import under it.
    pub overlap: Vec<bool>,
    /// `overlap` as PEP 440 specifiers, one per contiguous run of lines (`>=1.23,<2`); empty when
    /// no line is in every window.
    pub overlap_specifiers: Vec<String>,
    /// The newest release line the fix hint's NumPy specifier admits, when the hint moves NumPy.
    pub planned_line: Option<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct DistWindow {
    pub distribution: String,
    pub version: String,
    /// Its modules that use NumPy's binary interface.
    pub numpy_modules: usize,
    /// Of those, the ones whose window is known for every release line; only they take part in
    /// `imports_under`.
    pub decided_modules: usize,
    /// Per release line: every decided module imports under it. Empty when none is decided.
    pub imports_under: Vec<bool>,
    /// `imports_under` as PEP 440 specifiers, one per contiguous run of lines.
    pub imports_under_specifiers: Vec<String>,
    /// The `numpy` requirement its metadata declares (markers applied); `None` when it declares
    /// none.
    pub declared: Option<String>,
    /// Per release line: `declared` admits it. Empty when nothing is declared.
    pub declared_admits: Vec<bool>,
    /// Whether its binaries import under the installed NumPy's line; `None` when unknown or
    /// without a NumPy.
    pub installed_inside: Option<bool>,
    /// Its modules with a predicted import failure (error findings), sorted.
    pub failing_modules: Vec<String>,
}

impl Windows {
    /// The windows of one scan: `findings` give the failing modules, `hint` the planned line.
    pub fn of_scan(scan: &Scan, findings: &[Finding], hint: Option<&Hint>) -> Self {
        let releases = &knowledge().releases;
        let mut distributions = Vec::new();
        for (i, d) in scan.dists.iter().enumerate() {
            let numpy_modules = scan
                .modules
                .iter()
                .filter(|m| m.dist == Some(i) && predict::depends_on_numpy(&m.facts.numpy))
                .count();
            if numpy_modules == 0 {
                continue;
            }
            let (imports_under, decided_modules) = dist_verdicts(scan, i).unwrap_or_default();
            let mut failing_modules: Vec<String> = findings
                .iter()
                .filter(|f| f.fails_import())
                .filter(|f| f.distribution.as_deref() == Some(d.name.as_str()))
                .filter_map(|f| f.module.clone())
                .collect();
            failing_modules.sort();
            failing_modules.dedup();
            distributions.push(DistWindow {
                distribution: d.name.clone(),
                version: d.version.clone(),
                numpy_modules,
                decided_modules,
                imports_under_specifiers: specifiers(&imports_under, releases),
                imports_under,
                declared: d.numpy_requirement.clone(),
                declared_admits: d
                    .numpy_requirement
                    .as_deref()
                    .map(|s| releases.iter().map(|r| admits(s, r)).collect())
                    .unwrap_or_default(),
                installed_inside: None,
                failing_modules,
            });
        }
        distributions.sort_by(|a, b| {
            (a.distribution.to_lowercase(), &a.version)
                .cmp(&(b.distribution.to_lowercase(), &b.version))
        });
        let planned_line = hint
            .and_then(|h| h.numpy_specifier.as_deref())
            .and_then(|s| releases.iter().rev().find(|r| admits(s, r)))
            .map(|r| r.line.clone());
        Windows::new(
            releases,
            scan.numpy.as_ref().map(|n| n.release.line.clone()),
            distributions,
            planned_line,
        )
    }

    /// Windows over `releases` with the overlap and each distribution's `installed_inside`
    /// worked out from the other fields.
    pub fn new(
        releases: &[Release],
        installed_line: Option<String>,
        mut distributions: Vec<DistWindow>,
        planned_line: Option<String>,
    ) -> Self {
        let installed = installed_line
            .as_ref()
            .and_then(|l| releases.iter().position(|r| &r.line == l));
        for d in &mut distributions {
            d.installed_inside = installed.and_then(|i| d.imports_under.get(i).copied());
        }
        let overlap: Vec<bool> = (0..releases.len())
            .map(|i| {
                distributions
                    .iter()
                    .filter(|d| !d.imports_under.is_empty())
                    .all(|d| d.imports_under[i])
            })
            .collect();
        Windows {
            release_lines: releases.iter().map(|r| r.line.clone()).collect(),
            installed_line,
            overlap_specifiers: specifiers(&overlap, releases),
            overlap,
            distributions,
            planned_line,
        }
    }
}

/// One `>=LO,<NEXT` specifier per contiguous run of `true` in `ok`.
pub fn specifiers(ok: &[bool], releases: &[Release]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < ok.len() {
        if !ok[i] {
            i += 1;
            continue;
        }
        let lo = i;
        while i + 1 < ok.len() && ok[i + 1] {
            i += 1;
        }
        out.push(range_spec(releases, lo, i));
        i += 1;
    }
    out
}

/// A distribution's window from release lines (`from` inclusive to `to` exclusive, `None` = to
/// the newest line), for hand-made reports in tests.
#[cfg(test)]
pub(crate) fn sample_window(
    dist: &str,
    version: &str,
    from: &str,
    to: Option<&str>,
    declared: Option<&str>,
    failing_modules: &[&str],
) -> DistWindow {
    let releases = &knowledge().releases;
    let key = |l: &str| crate::knowledge::parse_line(l).unwrap_or((0, 0));
    let imports_under: Vec<bool> = releases
        .iter()
        .map(|r| r.key() >= key(from) && to.is_none_or(|t| r.key() < key(t)))
        .collect();
    DistWindow {
        distribution: dist.into(),
        version: version.into(),
        numpy_modules: failing_modules.len().max(1),
        decided_modules: failing_modules.len().max(1),
        imports_under_specifiers: specifiers(&imports_under, releases),
        imports_under,
        declared: declared.map(str::to_string),
        declared_admits: declared
            .map(|s| releases.iter().map(|r| admits(s, r)).collect())
            .unwrap_or_default(),
        installed_inside: None,
        failing_modules: failing_modules.iter().map(|m| m.to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::{dist, facts, scan_with};

    #[test]
    fn runs_become_specifiers() {
        let releases = &knowledge().releases;
        let n = releases.len();
        let mut ok = vec![false; n];
        assert!(specifiers(&ok, releases).is_empty());
        let i = |l: &str| releases.iter().position(|r| r.line == l).unwrap();
        for l in ["1.23", "1.24", "1.25", "1.26"] {
            ok[i(l)] = true;
        }
        assert_eq!(specifiers(&ok, releases), [">=1.23,<2"]);
        ok[n - 1] = true;
        let newest = &releases[n - 1];
        assert_eq!(
            specifiers(&ok, releases),
            [
                ">=1.23,<2".to_string(),
                format!(">={},<{}", newest.line, newest.major() + 1)
            ]
        );
    }

    #[test]
    fn the_overlap_is_the_intersection_and_the_installed_line_is_placed() {
        let a = sample_window("a", "1", "1.20", Some("2.0"), None, &["a.m"]);
        let b = sample_window("b", "1", "1.23", None, Some(">=1.23"), &[]);
        let w = Windows::new(&knowledge().releases, Some("2.0".into()), vec![a, b], None);
        assert_eq!(w.overlap_specifiers, [">=1.23,<2"]);
        assert_eq!(w.distributions[0].installed_inside, Some(false));
        assert_eq!(w.distributions[1].installed_inside, Some(true));
        let c = sample_window("c", "1", "2.0", None, None, &[]);
        let w = Windows::new(
            &knowledge().releases,
            None,
            vec![w.distributions[0].clone(), c],
            None,
        );
        assert!(
            w.overlap_specifiers.is_empty(),
            "{:?}",
            w.overlap_specifiers
        );
        assert_eq!(w.distributions[0].installed_inside, None);
    }

    #[test]
    fn a_scan_gives_one_window_per_numpy_using_distribution() {
        use crate::binary::{HeaderGeneration, NumpyFacts};
        // A C-API module built against NumPy 1.x headers (ABI 0x1000009) targeting 1.23 (0x10).
        let np = NumpyFacts {
            uses_c_api: true,
            headers: Some(HeaderGeneration::V1_16To1_23),
            abi_version: Some(0x1000009),
            feature_version: Some(0x10),
            ..Default::default()
        };
        let mut scan = scan_with(
            "2.0.2",
            dist("pkg", "1.0", Some(">=1.23")),
            facts(np.clone()),
        );
        scan.dists.push(dist("pure", "2.0", None));
        let findings = crate::rules::run_all(&scan);
        let hint = crate::rules::hint::hint(&scan, &["pkg".to_string()]);
        let w = Windows::of_scan(&scan, &findings, hint.as_ref());
        assert_eq!(w.distributions.len(), 1, "{:?}", w.distributions);
        let d = &w.distributions[0];
        assert_eq!((d.numpy_modules, d.decided_modules), (1, 1));
        assert_eq!(d.imports_under, predict::verdicts(&np).unwrap());
        assert_eq!(d.installed_inside, Some(false));
        assert_eq!(d.failing_modules, ["pkg.m"]);
        assert_eq!(d.declared.as_deref(), Some(">=1.23"));
        assert_eq!(w.overlap, d.imports_under);
        assert_eq!(w.installed_line.as_deref(), Some("2.0"));
        assert_eq!(w.planned_line.as_deref(), Some("1.26"));
    }
}
