//! Module naming and shadowing, as CPython's path-based finder (`importlib.machinery.PathFinder`
//! and `FileFinder`) resolves them: dotted names from file paths, the extension suffix order of
//! `importlib.machinery.EXTENSION_SUFFIXES`, and which copy of a module wins across `sys.path`.

use super::{BinaryFile, Diagnostic, Inputs};
use std::collections::{HashMap, HashSet};
use std::fs;
use std::path::{Component, Path, PathBuf};

/// The top-level names one site directory provides, for shadowing across `sys.path`.
#[derive(Debug, Default, Clone)]
pub struct TopNames {
    /// Modules and regular packages: they win the import.
    pub regular: HashSet<String>,
    /// Directories without `__init__`: namespace package portions (PEP 420), merged across
    /// `sys.path` entries.
    pub namespace: HashSet<String>,
}

impl TopNames {
    /// Record one entry of the site directory (not a metadata directory).
    pub(crate) fn add(&mut self, name: &str, path: &Path, is_dir: bool, inputs: &Inputs) {
        if is_dir {
            if is_identifier(name) {
                inputs.note(&path.join("__init__.py"));
                inputs.note(path);
                if has_init(path) {
                    self.regular.insert(name.to_string());
                } else {
                    self.namespace.insert(name.to_string());
                }
            }
        } else if let Some(stem) = module_file_stem(name) {
            self.regular.insert(stem.to_string());
        }
    }
}

/// The directory is a regular package: it holds an `__init__` module (source, bytecode or
/// extension), which is what `FileFinder` checks before treating it as a namespace portion.
pub fn has_init(dir: &Path) -> bool {
    if dir.join("__init__.py").is_file() {
        return true;
    }
    fs::read_dir(dir).is_ok_and(|rd| {
        rd.flatten().any(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.starts_with("__init__.") && module_file_stem(&n) == Some("__init__")
        })
    })
}

/// `foo.py`, `foo.pyc`, `foo.cpython-311-x86_64-linux-gnu.so`, `foo.pyd` → `foo`.
pub fn module_file_stem(name: &str) -> Option<&str> {
    let (stem, _) = name.split_once('.')?;
    let is_module = name.ends_with(".py")
        || name.ends_with(".pyc")
        || name.ends_with(".so")
        || name.ends_with(".pyd");
    (is_module && is_identifier(stem)).then_some(stem)
}

/// A Python identifier (the Unicode-aware test of `str.isidentifier`, close enough for file
/// names): only those can be imported as package or module names.
pub fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// Dotted module name of an extension module from its path relative to the site directory.
/// None for shared libraries and files under non-importable directories (`numpy.libs/`,
/// `.dylibs/`, `foo-1.0.data/`).
pub fn module_name_from_relative(rel: &Path) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    let comps: Vec<Component> = rel.components().collect();
    let (last, dirs) = comps.split_last()?;
    for c in dirs {
        let Component::Normal(s) = c else {
            return None;
        };
        let s = s.to_str()?;
        if !is_identifier(s) {
            return None;
        }
        parts.push(s.to_string());
    }
    let Component::Normal(file) = last else {
        return None;
    };
    let file = file.to_str()?;
    let lower = file.to_ascii_lowercase();
    if !(lower.ends_with(".so") || lower.ends_with(".pyd")) {
        return None;
    }
    let (stem, _) = file.split_once('.')?;
    if !is_identifier(stem) {
        return None;
    }
    parts.push(stem.to_string());
    Some(parts.join("."))
}

/// Rank of an extension suffix in `importlib.machinery.EXTENSION_SUFFIXES` order (lower wins):
/// `FileFinder` tries `.cpython-311-x86_64-linux-gnu.so` (or `.cp311-win_amd64.pyd`), then
/// `.abi3.so`, then the bare `.so`/`.pyd`, and takes the first that exists.
pub fn suffix_rank(path: &Path) -> u8 {
    let n = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if n.contains(".cpython-") || n.contains(".cp3") || n.contains(".pypy") {
        0
    } else if n.ends_with(".abi3.so") {
        1
    } else {
        2
    }
}

/// Mark every binary that Python would not import because another file provides its module,
/// and say so with a [`Diagnostic::Shadowed`] each. `binaries[i].site_packages` must be one of
/// `sites` (sys.path order); `tops[i]` are the top-level names of `sites[i]`.
pub fn mark_shadowed(
    binaries: &mut [BinaryFile],
    sites: &[PathBuf],
    tops: &[TopNames],
) -> Vec<Diagnostic> {
    let site_of: HashMap<&Path, usize> = sites
        .iter()
        .enumerate()
        .rev()
        .map(|(i, s)| (s.as_path(), i))
        .collect();
    let site_index = |b: &BinaryFile| site_of.get(b.site_packages.as_path()).copied();
    // The winner per module: earliest site, then best suffix.
    let mut winner: HashMap<String, (usize, u8, usize)> = HashMap::new();
    for (bi, b) in binaries.iter().enumerate() {
        let (Some(m), Some(si)) = (&b.module, site_index(b)) else {
            continue;
        };
        let key = (si, suffix_rank(&b.path), bi);
        winner
            .entry(m.clone())
            .and_modify(|w| {
                if key < *w {
                    *w = key
                }
            })
            .or_insert(key);
    }
    let mut shadows: Vec<(usize, PathBuf)> = Vec::new();
    for (bi, b) in binaries.iter().enumerate() {
        let (Some(m), Some(si)) = (&b.module, site_index(b)) else {
            continue;
        };
        let top = m.split('.').next().unwrap_or(m);
        let here_namespace = tops.get(si).is_some_and(|t| !t.regular.contains(top));
        // A regular package or module of the same top-level name earlier on the path (or
        // anywhere, when this one is only a namespace portion) wins the import.
        let by_top = tops
            .iter()
            .enumerate()
            .find(|(i, t)| *i != si && t.regular.contains(top) && (*i < si || here_namespace));
        if let Some((i, _)) = by_top {
            shadows.push((bi, sites[i].join(top)));
            continue;
        }
        if let Some(&(_, _, w)) = winner.get(m) {
            if w != bi {
                shadows.push((bi, binaries[w].path.clone()));
            }
        }
    }
    let mut diagnostics = Vec::with_capacity(shadows.len());
    for (bi, by) in shadows {
        let b = &mut binaries[bi];
        b.shadowed = true;
        diagnostics.push(Diagnostic::Shadowed {
            path: b.path.clone(),
            module: b.module.clone().unwrap_or_default(),
            by,
        });
    }
    diagnostics
}

/// Import names from a distribution's installed files (when it has no `top_level.txt`):
/// top-level packages and modules directly in `site`.
pub fn top_level_from_files(files: &[PathBuf], site: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in files {
        let Some(rel) = crate::paths::strip_dir(f, site) else {
            continue;
        };
        let mut comps = rel.components();
        let Some(Component::Normal(first)) = comps.next() else {
            continue;
        };
        let Some(first) = first.to_str() else {
            continue;
        };
        let name = if comps.next().is_some() {
            is_identifier(first).then(|| first.to_string())
        } else if first.ends_with(".pth") {
            None
        } else {
            module_file_stem(first)
                .filter(|s| *s != "__init__")
                .map(str::to_string)
        };
        if let Some(n) = name {
            if n != "__pycache__" && !out.contains(&n) {
                out.push(n);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::test_support::{dist_info, write, ELF};
    use crate::inventory::{inventory, DiagnosticSeverity};
    use crate::runtime::{find_numpy, numpy_version_file};

    #[test]
    fn two_numpy_copies_and_shadowing() {
        let t = tempfile::tempdir().unwrap();
        let user = t.path().join("user/lib/python3.11/site-packages");
        let site = t.path().join("env/lib/python3.11/site-packages");
        // An old numpy in the user site (versioneer era) shadows the env's numpy 2.
        write(&user.join("numpy/__init__.py"), "");
        write(&user.join("numpy/version.py"), "from ._version import get_versions\nvinfo: dict[str, str] = get_versions()\nversion = vinfo[\"version\"]\n");
        write(
            &user.join("numpy/_version.py"),
            "version_json = '''\n{\n \"date\": \"2023-06-25\",\n \"version\": \"1.24.4\"\n}\n'''\n",
        );
        write(
            &user.join("numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"),
            ELF,
        );
        write(&user.join("dup.cpython-311-x86_64-linux-gnu.so"), ELF);
        write(&user.join("dup.abi3.so"), ELF);
        write(&site.join("numpy/__init__.py"), "");
        write(
            &site.join("numpy/version.py"),
            "version: str = \"2.0.1\"\n__version__ = version\n",
        );
        write(
            &site.join("numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"),
            ELF,
        );
        write(
            &site.join("numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"),
            ELF,
        );
        dist_info(
            &site,
            "numpy-2.0.1.dist-info",
            "Name: numpy\nVersion: 2.0.1\n",
            None,
            Some("numpy/__init__.py,,\nnumpy/version.py,,\n"),
        );
        // Namespace package portions in both: the first wins per module.
        write(&user.join("google/_upb/_message.abi3.so"), ELF);
        write(&site.join("google/_upb/_message.abi3.so"), ELF);
        write(&site.join("google/_upb/other.abi3.so"), ELF);

        let sites = [user.clone(), site.clone()];
        let inv = inventory(&sites);
        let b = |p: PathBuf| inv.binaries.iter().find(|b| b.path == p).unwrap();
        assert!(
            !b(user.join("numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so")).shadowed
        );
        assert!(
            b(site.join("numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so")).shadowed
        );
        assert!(
            b(site.join("numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so")).shadowed,
            "whole package shadowed"
        );
        assert!(!b(user.join("dup.cpython-311-x86_64-linux-gnu.so")).shadowed);
        assert!(
            b(user.join("dup.abi3.so")).shadowed,
            "cpython suffix wins in the same directory"
        );
        assert!(!b(user.join("google/_upb/_message.abi3.so")).shadowed);
        assert!(b(site.join("google/_upb/_message.abi3.so")).shadowed);
        assert!(
            !b(site.join("google/_upb/other.abi3.so")).shadowed,
            "namespace portions merge"
        );
        assert!(inv.diagnostics.contains(&Diagnostic::Shadowed {
            path: user.join("dup.abi3.so"),
            module: "dup".into(),
            by: user.join("dup.cpython-311-x86_64-linux-gnu.so"),
        }));
        assert!(inv.diagnostics.contains(&Diagnostic::Shadowed {
            path: site.join("numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"),
            module: "numpy._core._multiarray_umath".into(),
            by: user.join("numpy"),
        }));
        let shadowed = inv.binaries.iter().filter(|b| b.shadowed).count();
        let said = inv
            .diagnostics
            .iter()
            .filter(|d| matches!(d, Diagnostic::Shadowed { .. }))
            .count();
        assert_eq!(shadowed, said, "one diagnostic per shadowed file");
        assert!(inv
            .diagnostics
            .iter()
            .all(|d| !d.is_unreadable() && d.severity() == DiagnosticSeverity::Info));

        let np = find_numpy(&inv, &sites).unwrap();
        assert_eq!(np.path, user.join("numpy"));
        assert_eq!(np.version, "1.24.4");
        assert_eq!(np.distribution, None);
        assert_eq!(
            np.others,
            vec![(site.join("numpy"), Some("2.0.1".to_string()))]
        );
        assert_eq!(
            numpy_version_file(&site.join("numpy")).as_deref(),
            Some("2.0.1")
        );
        assert!(find_numpy(&inv, &[t.path().to_path_buf()]).is_none());
    }

    #[test]
    fn module_names() {
        let m = |p: &str| module_name_from_relative(Path::new(p));
        assert_eq!(
            m("a/b/_c.cpython-311-x86_64-linux-gnu.so").as_deref(),
            Some("a.b._c")
        );
        assert_eq!(m("a/_c.cp311-win_amd64.pyd").as_deref(), Some("a._c"));
        assert_eq!(m("a/_c.cpython-39-darwin.so").as_deref(), Some("a._c"));
        assert_eq!(m("_c.abi3.so").as_deref(), Some("_c"));
        assert_eq!(m("x.pyd").as_deref(), Some("x"));
        assert_eq!(m("numpy/.dylibs/libgfortran.5.dylib"), None);
        assert_eq!(m("scipy.libs/libopenblas.so"), None);
        assert_eq!(m("foo-1.0.data/platlib/x.so"), None);
        assert_eq!(m("a/libz.so.1"), None);
        assert_eq!(m("../x.so"), None);
    }

    #[test]
    fn suffixes_rank_as_extension_suffixes() {
        let r = |n: &str| suffix_rank(Path::new(n));
        assert!(r("a.cpython-311-x86_64-linux-gnu.so") < r("a.abi3.so"));
        assert!(r("a.cp311-win_amd64.pyd") < r("a.pyd"));
        assert!(r("a.abi3.so") < r("a.so"));
    }

    #[test]
    fn identifiers_and_top_levels() {
        assert!(is_identifier("_c") && is_identifier("numpy") && is_identifier("día"));
        assert!(!is_identifier("1x") && !is_identifier("a-b") && !is_identifier(""));
        let site = Path::new("/s");
        let files: Vec<PathBuf> = [
            "/s/pkg/__init__.py",
            "/s/mod.py",
            "/s/_ext.cpython-311-x86_64-linux-gnu.so",
            "/s/x.pth",
            "/s/__init__.py",
            "/s/pkg-1.0.dist-info/RECORD",
            "/elsewhere/other.py",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        assert_eq!(top_level_from_files(&files, site), ["_ext", "mod", "pkg"]);
    }
}
