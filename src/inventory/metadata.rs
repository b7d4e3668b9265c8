//! Core metadata (PEP 566, PEP 345 before it): `METADATA` in a dist-info, `PKG-INFO` in an
//! egg-info. RFC 822 style headers up to the first empty line, then the description body.

use super::diagnostics::{read_text, Diagnostic};
use super::requirement::parse_requirement;
use super::Requirement;
use std::path::Path;

/// The fields the inventory uses, with name and version always filled (from the directory name
/// when the file does not say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Metadata {
    pub name: String,
    pub version: String,
    pub requires_python: Option<String>,
    /// `Requires-Dist` in file order; only dist-info METADATA carries them (egg-info keeps them
    /// in requires.txt).
    pub requires: Vec<Requirement>,
}

/// Read `meta_file`, the METADATA/PKG-INFO (or the egg-info file itself) of the distribution
/// whose metadata directory is `dir`.
pub(super) fn read_metadata(
    meta_file: &Path,
    dir: &Path,
    inputs: &super::Inputs,
    diagnostics: &mut Vec<Diagnostic>,
) -> Metadata {
    let before = diagnostics.len();
    let text = read_text(meta_file, inputs, diagnostics);
    if text.is_none() && diagnostics.len() == before {
        // Not an I/O error: the file is not there at all.
        diagnostics.push(Diagnostic::MissingMetadata {
            path: meta_file.to_path_buf(),
        });
    }
    parse_metadata(text.as_deref(), meta_file, dir, diagnostics)
}

/// The metadata in `text` (None: the file could not be read), with name and version from `dir`
/// when it does not give them; diagnostics name `meta_file`.
pub(crate) fn parse_metadata(
    text: Option<&str>,
    meta_file: &Path,
    dir: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Metadata {
    let (headers, bad) = parse_headers(text.unwrap_or(""));
    let get = |k: &str| headers.iter().find(|h| h.key == k).map(|h| h.value.clone());
    let (dir_name, dir_version) = name_version_from_dir(dir);
    let mut field = |key: &str, field: &'static str, fallback: String| {
        get(key).filter(|v| !v.is_empty()).unwrap_or_else(|| {
            if text.is_some() {
                diagnostics.push(Diagnostic::MissingField {
                    path: meta_file.to_path_buf(),
                    field: field.into(),
                    fallback: fallback.clone(),
                });
            }
            fallback
        })
    };
    let name = field("name", "Name", dir_name);
    let version = field("version", "Version", dir_version);
    if bad > 0 && text.is_some() {
        diagnostics.push(Diagnostic::CorruptMetadata {
            path: meta_file.to_path_buf(),
            reason: format!("{bad} line(s) in the header block are not `Key: value`"),
        });
    }
    let mut requires = Vec::new();
    for h in headers.iter().filter(|h| h.key == "requires-dist") {
        if let Some(r) = requirement(&h.value, meta_file, h.line, diagnostics) {
            requires.push(r);
        }
    }
    Metadata {
        name,
        version,
        requires_python: get("requires-python"),
        requires,
    }
}

/// One PEP 508 requirement line: Some (with [`Diagnostic::OddRequirement`] when it is usable but
/// not valid), None (with [`Diagnostic::BadRequirement`]) when nothing usable is there.
pub(super) fn requirement(
    line: &str,
    file: &Path,
    lineno: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Requirement> {
    match parse_requirement(line) {
        Ok((req, warning)) => {
            if let Some(reason) = warning {
                diagnostics.push(Diagnostic::OddRequirement {
                    path: file.to_path_buf(),
                    line: lineno,
                    requirement: line.to_string(),
                    reason,
                });
            }
            Some(req)
        }
        Err(reason) => {
            diagnostics.push(Diagnostic::BadRequirement {
                path: file.to_path_buf(),
                line: lineno,
                requirement: line.to_string(),
                reason,
            });
            None
        }
    }
}

/// One header of an email-style block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    /// Lowercased (header names are case-insensitive).
    pub key: String,
    /// Trimmed; continuation lines joined with `\n`.
    pub value: String,
    /// 1-based line of the file where it starts.
    pub line: usize,
}

/// Email-style headers (METADATA, PKG-INFO, and WHEEL, which PEP 427 writes the same way) until
/// the first empty line; continuation lines are joined. Lines that are not headers are counted.
pub(super) fn parse_headers(text: &str) -> (Vec<Header>, usize) {
    let mut out: Vec<Header> = Vec::new();
    let mut bad = 0;
    for (i, line) in text.lines().enumerate() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = out.last_mut() {
                last.value.push('\n');
                last.value.push_str(line.trim());
            }
            continue;
        }
        match line.split_once(':') {
            Some((k, v))
                if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
            {
                out.push(Header {
                    key: k.to_ascii_lowercase(),
                    value: v.trim().to_string(),
                    line: i + 1,
                })
            }
            _ => bad += 1,
        }
    }
    (out, bad)
}

/// `scipy-1.11.4.dist-info` → ("scipy", "1.11.4"); `numpy-1.26.4-py3.11.egg-info` → ("numpy",
/// "1.26.4"). Installers replace `-` by `_` in both parts (PEP 376 as amended by PEP 627; PEP
/// 427 for wheels), so the first two dash-separated parts are name and version.
pub(super) fn name_version_from_dir(path: &Path) -> (String, String) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix(".dist-info")
        .or_else(|| name.strip_suffix(".egg-info"))
        .unwrap_or(&name);
    let mut parts = stem.splitn(3, '-');
    let n = parts.next().unwrap_or_default().to_string();
    let v = parts.next().unwrap_or_default().to_string();
    (n, v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_stop_at_the_body_and_join_continuations() {
        let (h, bad) = parse_headers(
            "Metadata-Version: 2.1\nName: numpy\nLicense: BSD\n  and more\nnot a header\n\nName: body\n",
        );
        let h: Vec<(&str, &str, usize)> = h
            .iter()
            .map(|h| (h.key.as_str(), h.value.as_str(), h.line))
            .collect();
        assert_eq!(
            h,
            [
                ("metadata-version", "2.1", 1),
                ("name", "numpy", 2),
                ("license", "BSD\nand more", 3),
            ]
        );
        assert_eq!(bad, 1);
    }

    #[test]
    fn names_and_versions_from_directories() {
        let nv = |p: &str| name_version_from_dir(Path::new(p));
        assert_eq!(
            nv("/s/scipy-1.11.4.dist-info"),
            ("scipy".into(), "1.11.4".into())
        );
        assert_eq!(
            nv("/s/numpy-1.26.4-py3.11.egg-info"),
            ("numpy".into(), "1.26.4".into())
        );
        assert_eq!(nv("/s/odd.dist-info"), ("odd".into(), String::new()));
    }

    #[test]
    fn requires_dist_and_fallbacks() {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("scipy-1.11.4.dist-info");
        std::fs::create_dir_all(&dir).unwrap();
        let meta = dir.join("METADATA");
        std::fs::write(
            &meta,
            "Requires-Python: >=3.9\nRequires-Dist: numpy<1.28.0,>=1.21.6\nRequires-Dist: [x]\n",
        )
        .unwrap();
        let mut d = Vec::new();
        let m = read_metadata(&meta, &dir, &crate::inventory::Inputs::off(), &mut d);
        assert_eq!((m.name.as_str(), m.version.as_str()), ("scipy", "1.11.4"));
        assert_eq!(m.requires_python.as_deref(), Some(">=3.9"));
        assert_eq!(m.requires.len(), 1);
        assert_eq!(m.requires[0].specifier, "<1.28.0,>=1.21.6");
        assert!(matches!(
            &d[..],
            [
                Diagnostic::MissingField { field: a, .. },
                Diagnostic::MissingField { field: b, .. },
                Diagnostic::BadRequirement { line: 3, .. }
            ] if a == "Name" && b == "Version"
        ));
    }
}
