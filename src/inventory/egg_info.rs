//! setuptools' egg-info metadata (the pre-PEP 376 format, still written by `setup.py install`
//! and by distro packagers): `PKG-INFO` holds the core metadata, `requires.txt` the
//! requirements, `installed-files.txt` the installed files (relative to the egg-info directory).
//! An egg-info may also be a single file, which is PKG-INFO itself.

use super::diagnostics::{read_text, Diagnostic};
use super::metadata::requirement;
use super::record::resolve_installed;
use super::requirement::normalize_name;
use super::{Inputs, Requirement};
use std::path::{Path, PathBuf};

/// Requirements and installed files of an egg-info directory.
pub(super) fn read_egg_info(
    egg_info: &Path,
    site: &Path,
    inputs: &Inputs,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<Requirement>, Vec<PathBuf>) {
    let mut requires = Vec::new();
    let req_file = egg_info.join("requires.txt");
    if let Some(text) = read_text(&req_file, inputs, diagnostics) {
        requires = parse_requires_txt(&text, &req_file, diagnostics);
    }
    let mut files = Vec::new();
    let list = egg_info.join("installed-files.txt");
    if let Some(text) = read_text(&list, inputs, diagnostics) {
        files = parse_installed_files(&text, egg_info, site, &list, diagnostics);
    }
    (requires, files)
}

/// requires.txt: requirement lines, `[extra]`, `[:marker]`, `[extra:marker]` sections. Each
/// section becomes part of the requirement's marker, as `pkg_resources` reads it.
fn parse_requires_txt(
    text: &str,
    file: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Requirement> {
    let mut out = Vec::new();
    let mut section = String::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.trim().to_string();
            continue;
        }
        let Some(mut req) = requirement(line, file, i + 1, diagnostics) else {
            continue;
        };
        if !section.is_empty() {
            let (extra, marker) = section.split_once(':').unwrap_or((section.as_str(), ""));
            let (extra, marker) = (extra.trim(), marker.trim());
            let mut clauses = Vec::new();
            if let Some(m) = req.marker.take() {
                clauses.push(format!("({m})"));
            }
            if !marker.is_empty() {
                clauses.push(format!("({marker})"));
            }
            if !extra.is_empty() {
                clauses.push(format!("extra == \"{extra}\""));
                req.extra = Some(normalize_name(extra));
            }
            if !clauses.is_empty() {
                req.marker = Some(clauses.join(" and "));
            }
        }
        out.push(req);
    }
    out
}

/// installed-files.txt: one path per line, relative to the egg-info directory.
fn parse_installed_files(
    text: &str,
    egg_info: &Path,
    site: &Path,
    file: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<PathBuf> {
    let prefix = crate::paths::prefix_from_site_dir(site).map(|(p, _)| p);
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.contains('\0'))
        .filter_map(|(i, l)| {
            resolve_installed(
                l.trim(),
                egg_info,
                site,
                prefix.as_deref(),
                file,
                i + 1,
                diagnostics,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requires_txt_sections_become_markers() {
        let mut d = Vec::new();
        let r = parse_requires_txt(
            "numpy>=1.16\n\n[test]\npytest\n\n[:python_version < \"3.8\"]\nimportlib-metadata\n[x:sys_platform == \"win32\"]\npywin32; python_version > \"3\"\n",
            Path::new("/s/x.egg-info/requires.txt"),
            &mut d,
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].marker, None);
        assert_eq!(r[1].extra.as_deref(), Some("test"));
        assert_eq!(r[1].marker.as_deref(), Some("extra == \"test\""));
        assert_eq!(r[2].marker.as_deref(), Some("(python_version < \"3.8\")"));
        assert_eq!(
            r[3].marker.as_deref(),
            Some("(python_version > \"3\") and (sys_platform == \"win32\") and extra == \"x\"")
        );
    }

    #[test]
    fn installed_files_are_relative_to_the_egg_info() {
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("lib/python3.11/site-packages");
        let egg = site.join("oldpkg-0.1-py3.11.egg-info");
        let mut d = Vec::new();
        let files = parse_installed_files(
            "../oldpkg/__init__.py\n../oldpkg/_c.so\nPKG-INFO\n\n",
            &egg,
            &site,
            &egg.join("installed-files.txt"),
            &mut d,
        );
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(
            files,
            [
                site.join("oldpkg/__init__.py"),
                site.join("oldpkg/_c.so"),
                egg.join("PKG-INFO")
            ]
        );
    }
}
