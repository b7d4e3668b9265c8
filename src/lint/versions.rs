//! Requirements as the lint rules need them: a located PEP 508 entry, its bounds, the Python
//! versions it applies to, and what a build against it produces (from the knowledge base,
//! docs/numpy-abi.md#target-version).

use super::Loc;
use crate::inventory::{marker_applies, parse_requirement, Platform};
use crate::knowledge::{knowledge, Release};
use pep440_rs::{Operator, Version, VersionSpecifiers};
use std::str::FromStr;

/// Where a requirement was declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `[build-system] requires` of pyproject.toml.
    BuildSystem,
    /// `setup_requires` (setup.py or setup.cfg).
    SetupRequires,
    /// `[project] dependencies`.
    ProjectDependencies,
    /// `install_requires` (setup.py or setup.cfg).
    InstallRequires,
}

impl Origin {
    pub fn is_build(self) -> bool {
        matches!(self, Origin::BuildSystem | Origin::SetupRequires)
    }
    pub fn describe(self) -> &'static str {
        match self {
            Origin::BuildSystem => "[build-system] requires",
            Origin::SetupRequires => "setup_requires",
            Origin::ProjectDependencies => "[project] dependencies",
            Origin::InstallRequires => "install_requires",
        }
    }
}

/// One requirement string of a project file, located.
#[derive(Debug, Clone)]
pub struct Req {
    /// The text as written, without quotes: `numpy>=1.22.4,<2; python_version<'3.11'`.
    pub text: String,
    /// Normalized name (PEP 503).
    pub name: String,
    /// Specifier text, no spaces; empty when unconstrained.
    pub specifier: String,
    pub marker: Option<String>,
    pub origin: Origin,
    pub loc: Loc,
    /// Byte range of the string's contents (inside the quotes) in a pyproject.toml that
    /// `--fix` may rewrite; `None` anywhere else.
    pub toml_span: Option<std::ops::Range<usize>>,
}

impl Req {
    pub fn parse(text: &str, origin: Origin, loc: Loc) -> Option<Req> {
        let (r, _) = parse_requirement(text).ok()?;
        Some(Req {
            text: text.trim().to_string(),
            name: r.normalized,
            specifier: r.specifier,
            marker: r.marker,
            origin,
            loc,
            toml_span: None,
        })
    }

    fn specifiers(&self) -> Option<VersionSpecifiers> {
        if self.specifier.is_empty() {
            return Some(VersionSpecifiers::from_iter(std::iter::empty()));
        }
        VersionSpecifiers::from_str(&self.specifier).ok()
    }

    /// Does the entry apply on CPython `python` ("3.11") on x86-64 Linux? Unknown markers count
    /// as not applying.
    pub fn applies(&self, python: &str) -> bool {
        match &self.marker {
            None => true,
            Some(m) => marker_applies(m, python, &Platform::linux_x86_64()) == Some(true),
        }
    }

    /// The lowest version the specifier admits (`>=`, `>`, `==`, `~=`, `===`), or `None` when it
    /// has no lower bound.
    pub fn lower(&self) -> Option<Version> {
        let specs = self.specifiers()?;
        specs
            .iter()
            .filter(|s| {
                matches!(
                    s.operator(),
                    Operator::GreaterThanEqual
                        | Operator::GreaterThan
                        | Operator::Equal
                        | Operator::EqualStar
                        | Operator::ExactEqual
                        | Operator::TildeEqual
                )
            })
            .map(|s| s.version().clone())
            .max()
    }

    /// Does the specifier admit only versions below `bound`?
    pub fn capped_below(&self, bound: &Version) -> bool {
        let Some(specs) = self.specifiers() else {
            return false;
        };
        specs.iter().any(|s| {
            let v = s.version();
            match s.operator() {
                Operator::LessThan => v <= bound,
                Operator::LessThanEqual | Operator::Equal | Operator::ExactEqual => v < bound,
                Operator::EqualStar => star_upper(v) <= *bound,
                Operator::TildeEqual => tilde_upper(v) <= *bound,
                _ => false,
            }
        })
    }
}

/// `==1.2.*` admits versions below 1.3.
fn star_upper(v: &Version) -> Version {
    bump(v.release(), v.release().len())
}

/// `~=1.2.3` admits versions below 1.3; `~=2.10` below 3.
fn tilde_upper(v: &Version) -> Version {
    bump(v.release(), v.release().len().saturating_sub(1).max(1))
}

/// The release with its `keep`-th component increased and the rest dropped.
fn bump(release: &[u64], keep: usize) -> Version {
    let mut r: Vec<u64> = release.iter().take(keep).copied().collect();
    if let Some(last) = r.last_mut() {
        *last += 1;
    }
    Version::new(r)
}

pub fn version(s: &str) -> Version {
    Version::from_str(s).unwrap_or_else(|_| Version::new([0]))
}

/// The CPython lines the knowledge base knows (3.x only), oldest first, that `requires_python`
/// admits (all of them when it is absent or unreadable).
pub fn pythons(requires_python: Option<&str>) -> Vec<String> {
    let mut all: Vec<(u32, u32)> = knowledge()
        .releases
        .iter()
        .flat_map(|r| r.python.iter())
        .filter_map(|p| crate::knowledge::parse_line(p))
        .filter(|(major, _)| *major == 3)
        .collect();
    all.sort();
    all.dedup();
    let specs = requires_python.and_then(|s| VersionSpecifiers::from_str(s.trim()).ok());
    all.into_iter()
        .map(|(a, b)| format!("{a}.{b}"))
        .filter(|p| match &specs {
            None => true,
            // `>=3.9.2` admits some 3.9: try the line's first and a late patch release.
            Some(s) => [format!("{p}.0"), format!("{p}.99")]
                .iter()
                .any(|v| s.contains(&version(v))),
        })
        .collect()
}

/// The NumPy line oldest-supported-numpy pins for Python `python`: the oldest NumPy line with
/// wheels for it (its README: "the oldest NumPy version that has wheels for a given Python
/// version"), from the knowledge base's per-line Python lists. Its pins end at Python 3.12 (for
/// newer Pythons its last releases require plain `numpy`, the newest): `None` there.
pub fn oldest_supported_numpy(python: &str) -> Option<&'static Release> {
    if crate::knowledge::parse_line(python).is_none_or(|v| v > (3, 12)) {
        return None;
    }
    knowledge()
        .releases
        .iter()
        .find(|r| r.python.iter().any(|p| p == python))
}

/// A build's NumPy, as the rules reason about it.
#[derive(Debug, Clone)]
pub struct BuildNumpy {
    /// The NumPy version the build uses at the lowest: `1.23.2`, or the line `1.23` for
    /// oldest-supported-numpy.
    pub version: String,
    pub release: &'static Release,
    /// How that was decided, for the evidence.
    pub why: String,
}

/// The NumPy a build requirement entry builds against on Python `python`: numpy's lowest
/// admitted version, or oldest-supported-numpy's pin. `None` when the entry is not NumPy, has
/// no lower bound, or names a version outside the knowledge base.
pub fn build_numpy(req: &Req, python: &str) -> Option<BuildNumpy> {
    match req.name.as_str() {
        "numpy" => {
            let low = req.lower()?;
            let s = low.to_string();
            let release = knowledge().release(&s)?;
            Some(BuildNumpy {
                why: format!("`{}` builds against NumPy {s} at the lowest", req.text),
                version: s,
                release,
            })
        }
        "oldest-supported-numpy" => {
            let release = oldest_supported_numpy(python)?;
            Some(BuildNumpy {
                version: release.line.clone(),
                release,
                why: format!(
                    "oldest-supported-numpy pins the oldest NumPy with wheels for Python {python}: {} (knowledge base)",
                    release.line
                ),
            })
        }
        _ => None,
    }
}

/// The oldest NumPy line a binary built against `build` imports under, and why: before 1.25
/// the build's own C-API (NPY_FEATURE_VERSION is NPY_API_VERSION), from 1.25 on
/// `NPY_TARGET_VERSION` when the build sets it, else the headers' default target
/// (docs/numpy-abi.md#target-version).
pub fn oldest_runtime(build: &BuildNumpy, target: Option<&str>) -> Option<(String, String)> {
    let k = knowledge();
    let r = build.release;
    if r.key() < (1, 25) {
        let line = k.first_line_with_api(r.api_version)?;
        return Some((
            line.line.clone(),
            format!(
                "NumPy {} headers (before 1.25) make the binary require C-API {:#x}, first in NumPy {}",
                build.version, r.api_version, line.line
            ),
        ));
    }
    if let Some(t) = target {
        return Some((
            t.to_string(),
            format!("NPY_TARGET_VERSION is set to NumPy {t} in the build configuration"),
        ));
    }
    let s = k.feature_string(r.default_feature_version)?;
    Some((
        s.to_string(),
        format!(
            "NumPy {} headers target C-API {:#x} (NumPy {s}) by default",
            build.version, r.default_feature_version
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(t: &str) -> Req {
        Req::parse(
            t,
            Origin::BuildSystem,
            Loc {
                file: "pyproject.toml".into(),
                line: 1,
                column: 1,
            },
        )
        .unwrap()
    }

    #[test]
    fn bounds() {
        let two = version("2");
        assert!(req("numpy>=1.22,<2").capped_below(&two));
        assert!(req("numpy==1.23.2").capped_below(&two));
        assert!(req("numpy~=1.21").capped_below(&two));
        assert!(req("numpy<1.28.0").capped_below(&two));
        assert!(!req("numpy>=1.22").capped_below(&two));
        assert!(!req("numpy<2.1").capped_below(&two));
        assert!(!req("numpy<=2.0").capped_below(&two));
        assert!(req("pybind11>=2.10.4,<2.11.1").capped_below(&version("2.12")));
        assert!(req("pybind11~=2.10.4").capped_below(&version("2.12")));
        assert!(!req("pybind11~=2.10").capped_below(&version("2.12")));
        assert_eq!(
            req("numpy>=1.21.6,<1.28").lower().unwrap().to_string(),
            "1.21.6"
        );
        assert!(req("numpy").lower().is_none());
    }

    #[test]
    fn markers_per_python() {
        let r = req(
            "numpy==1.23.2; python_version=='3.11' and platform_python_implementation != 'PyPy'",
        );
        assert!(r.applies("3.11"));
        assert!(!r.applies("3.10"));
    }

    #[test]
    fn requires_python_filters_lines() {
        let p = pythons(Some(">=3.9"));
        assert_eq!(p.first().map(String::as_str), Some("3.9"));
        assert!(!pythons(Some(">=3.9.2")).is_empty());
        assert!(pythons(None).contains(&"3.6".to_string()));
    }

    #[test]
    fn targets_from_the_knowledge_base() {
        let b = build_numpy(&req("numpy==1.23.2"), "3.11").unwrap();
        assert_eq!(oldest_runtime(&b, None).unwrap().0, "1.23");
        let b = build_numpy(&req("numpy==1.21.6"), "3.9").unwrap();
        assert_eq!(oldest_runtime(&b, None).unwrap().0, "1.20");
        let b = build_numpy(&req("numpy>=2.0"), "3.12").unwrap();
        assert_eq!(oldest_runtime(&b, None).unwrap().0, "1.16");
        assert_eq!(oldest_runtime(&b, Some("1.22")).unwrap().0, "1.22");
        let o = build_numpy(&req("oldest-supported-numpy"), "3.11").unwrap();
        assert_eq!(o.version, "1.23");
        assert!(build_numpy(&req("oldest-supported-numpy"), "3.13").is_none());
        assert!(build_numpy(&req("oldest-supported-numpy"), "3.13").is_none());
    }
}
