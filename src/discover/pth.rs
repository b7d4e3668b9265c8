//! `.pth` files as data. CPython's `site.addsitedir` reads every `*.pth` file of a site directory
//! in sorted file-name order, skips hidden ones and comments, **executes** lines that start with
//! `import` and appends the other lines, as directories relative to the site directory, to
//! `sys.path` when they exist. Here nothing is executed: `import` lines are only recorded in the
//! notes, so that scanning an environment never runs its code.

use crate::paths::normalize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// `site.addsitedir` as data: each site directory, then the existing directories its `.pth`
/// files name (sorted by file name, hidden files skipped), without duplicates. `import` lines are
/// recorded, not run.
pub fn expand_pth(site_dirs: &[PathBuf], notes: &mut Vec<String>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for dir in site_dirs {
        if !dir.is_dir() || !seen.insert(canonical(dir)) {
            continue;
        }
        out.push(dir.clone());
        let mut pths: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .flatten()
                .filter(|e| {
                    let n = e.file_name();
                    let n = n.to_string_lossy();
                    n.ends_with(".pth") && !n.starts_with('.')
                })
                .map(|e| e.path())
                .collect(),
            Err(e) => {
                notes.push(format!("{}: cannot list: {e}", dir.display()));
                continue;
            }
        };
        pths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
        for pth in pths {
            let bytes = match crate::fsread::read_bounded(&pth, crate::fsread::Limit::Small) {
                Ok(b) => b,
                Err(e) => {
                    notes.push(e.to_string());
                    continue;
                }
            };
            let parsed = parse_pth(&bytes);
            if parsed.lossy {
                notes.push(format!("{}: not UTF-8, read lossily", pth.display()));
            }
            for line in parsed.imports {
                let shown: String = line.chars().take(80).collect();
                notes.push(format!(
                    "{}: import line not executed: {shown}{}",
                    pth.display(),
                    if line.chars().count() > 80 { "…" } else { "" }
                ));
            }
            for line in parsed.dirs {
                let p = normalize(&dir.join(line));
                if p.is_dir() && seen.insert(canonical(&p)) {
                    out.push(p);
                }
            }
        }
    }
    out
}

/// One `.pth` file's text as `site.addpackage` reads it, nothing executed and nothing looked up.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct PthFile {
    /// The file was not UTF-8 and was decoded lossily.
    pub lossy: bool,
    /// Directory lines, trailing whitespace removed, relative to the site directory, in order.
    pub dirs: Vec<String>,
    /// Lines starting with `import` (CPython executes them; here they are only reported).
    pub imports: Vec<String>,
}

/// Split a `.pth` file's bytes into directory and `import` lines (comments and blank lines
/// skipped, a UTF-8 byte-order mark dropped).
pub(crate) fn parse_pth(bytes: &[u8]) -> PthFile {
    let mut out = PthFile::default();
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t.trim_start_matches('\u{feff}')),
        Err(_) => {
            out.lossy = true;
            String::from_utf8_lossy(bytes)
        }
    };
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if line.starts_with("import ") || line.starts_with("import\t") {
            out.imports.push(line.to_string());
        } else {
            out.dirs.push(line.trim_end().to_string());
        }
    }
    out
}

/// The real path when it exists, the path itself otherwise: the identity used to drop duplicate
/// site directories (a venv's `lib64` is often a symlink to its `lib`).
pub(super) fn canonical(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}

pub(super) fn canonical_set(paths: &[PathBuf]) -> HashSet<PathBuf> {
    paths.iter().map(|p| canonical(p)).collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::opts;
    use super::super::{discover, DiscoverOptions, EnvKind};
    use std::fs;

    #[test]
    fn pth_text_split_without_lookups() {
        let p =
            super::parse_pth(b"\xef\xbb\xbf# c\nimport os\n\n  \nrel/dir \t\nimport\tsys\n/abs\n");
        assert!(!p.lossy);
        assert_eq!(p.dirs, vec!["rel/dir", "/abs"]);
        assert_eq!(p.imports, vec!["import os", "import\tsys"]);
        let p = super::parse_pth(b"\xff dir\n");
        assert!(p.lossy);
        assert_eq!(p.dirs, vec!["\u{fffd} dir"]);
    }

    #[test]
    fn pth_files_read_as_data() {
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("lib/python3.11/site-packages");
        fs::create_dir_all(site.join("../../../src/editable")).unwrap();
        fs::create_dir_all(site.join("extra")).unwrap();
        let marker = t.path().join("pwned");
        fs::write(
            site.join("b.pth"),
            format!(
                "# comment\nimport os; open({:?}, 'w')\n\n../../../src/editable\nmissing-dir\n",
                marker.display().to_string()
            ),
        )
        .unwrap();
        fs::write(site.join("a.pth"), "extra\n").unwrap();
        fs::write(site.join(".hidden.pth"), "/\n").unwrap();
        fs::write(site.join("z.pth"), b"\xff\xfe garbage\n").unwrap();
        let env = discover(&DiscoverOptions {
            site_packages: vec![site.clone()],
            ..opts(t.path(), &[])
        })
        .unwrap();
        assert_eq!(env.kind, EnvKind::SitePackagesOnly);
        assert_eq!(env.prefix, t.path());
        assert_eq!(env.python_version.as_deref(), Some("3.11"));
        assert_eq!(
            env.site_packages,
            vec![
                site.clone(),
                site.join("extra"),
                t.path().join("src/editable")
            ]
        );
        assert!(env
            .notes
            .iter()
            .any(|n| n.contains("b.pth") && n.contains("import line not executed")));
        assert!(env
            .notes
            .iter()
            .any(|n| n.contains("z.pth") && n.contains("UTF-8")));
        assert!(!marker.exists(), "an import line was executed");
    }
}
