//! Installing a wheel is an unzip (the binary distribution format spec, "Installing a wheel"):
//! its `purelib`/`platlib` members go to site-packages, `NAME.data/{scripts,headers,data}` go
//! elsewhere. A check needs the dist-info (METADATA, RECORD, WHEEL, top_level.txt), the Python
//! sources (the import graph) and the compiled members; nothing else is extracted, nothing is
//! executed, and RECORD is rewritten to the installed paths the way an installer does.
//!
//! Each wheel is extracted once into `<cache>/preinstall/wheels/<sha256>/` (written to a
//! temporary directory, then renamed, so a crash leaves no half tree), and hard-linked (copied
//! across file systems) into the set's private site-packages.

use super::fetch::Fetcher;
use super::FileRef;
use crate::digest::sha256_file;
use crate::wheel;
use std::path::{Path, PathBuf};

/// What installing one wheel into the private site-packages gave.
#[derive(Debug, Default)]
pub struct Installed {
    /// Site-packages-relative paths.
    pub files: Vec<String>,
    /// Members refused or unreadable.
    pub problems: Vec<String>,
}

/// Where member `name` of a wheel goes (relative to site-packages), if a check needs it.
pub fn destination(name: &str) -> Option<String> {
    let mut parts = name.splitn(2, '/');
    let top = parts.next()?;
    let rest = parts.next().unwrap_or("");
    let rel = if top.ends_with(".data") {
        let (scheme, rest) = rest.split_once('/')?;
        if scheme != "purelib" && scheme != "platlib" {
            return None;
        }
        rest.to_string()
    } else if top.ends_with(".dist-info") {
        return ["METADATA", "RECORD", "WHEEL", "top_level.txt"]
            .contains(&rest)
            .then(|| name.to_string());
    } else {
        name.to_string()
    };
    if rel.split('/').any(|c| c == "__pycache__") {
        return None;
    }
    let base = rel.rsplit('/').next().unwrap_or(&rel);
    let keep = base.ends_with(".py")
        || wheel::binary_name(base)
        || (base.ends_with(".pth") && !rel.contains('/'));
    keep.then_some(rel)
}

/// RECORD as an installer leaves it: `NAME.data/purelib/x` and `platlib/x` become `x`; other
/// `.data` entries (scripts, headers, data) are dropped, since they were not extracted.
fn rewrite_record(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let path = line.split(',').next().unwrap_or("");
        let mut it = path.splitn(3, '/');
        let (top, scheme) = (it.next().unwrap_or(""), it.next());
        if top.ends_with(".data") {
            if let (Some("purelib" | "platlib"), Some(rest)) = (scheme, it.next()) {
                out.push_str(rest);
                out.push_str(&line[path.len()..]);
                out.push('\n');
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn extract(f: &FileRef, fetcher: &dyn Fetcher, dest: &Path) -> Result<wheel::Extracted, String> {
    let reader = fetcher.open(f)?;
    let shown = f
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .or_else(|| f.url.clone())
        .unwrap_or_else(|| f.filename.clone());
    let done =
        wheel::extract_reader(&shown, reader, dest, &destination).map_err(|e| e.to_string())?;
    if let Some(rec) = done
        .written
        .iter()
        .find(|w| w.ends_with(".dist-info/RECORD") && w.matches('/').count() == 1)
    {
        let p = dest.join(rec);
        if let Ok(text) = std::fs::read_to_string(&p) {
            std::fs::write(&p, rewrite_record(&text))
                .map_err(|e| format!("{}: {e}", p.display()))?;
        }
    }
    if !done
        .written
        .iter()
        .any(|w| w.ends_with(".dist-info/METADATA"))
    {
        return Err(format!(
            "{shown}: no NAME.dist-info/METADATA member: not a wheel"
        ));
    }
    Ok(done)
}

/// Extract `f` (through the store when there is one) and put its files into `site`.
pub fn install(
    f: &FileRef,
    fetcher: &dyn Fetcher,
    store: Option<&Path>,
    site: &Path,
) -> Result<Installed, String> {
    let Some(store) = store else {
        let done = extract(f, fetcher, site)?;
        return Ok(Installed {
            files: done.written,
            problems: done.problems,
        });
    };
    let key = match (&f.sha256, &f.path) {
        (Some(s), _) => s.to_ascii_lowercase(),
        (None, Some(p)) => sha256_file(p).map_err(|e| format!("{}: {e}", p.display()))?,
        (None, None) => return Err(format!("{}: no sha256 and no local file", f.filename)),
    };
    let dir = store.join(&key);
    let manifest = dir.join(".files");
    let (files, problems) = match std::fs::read_to_string(&manifest) {
        Ok(text) => {
            fetcher.hit();
            let problems = std::fs::read_to_string(dir.join(".problems")).unwrap_or_default();
            (
                text.lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
                problems
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>(),
            )
        }
        Err(_) => {
            std::fs::create_dir_all(store).map_err(|e| format!("{}: {e}", store.display()))?;
            let tmp = tempfile::Builder::new()
                .prefix(".part-")
                .tempdir_in(store)
                .map_err(|e| format!("{}: {e}", store.display()))?;
            let done = extract(f, fetcher, tmp.path())?;
            let write = |name: &str, lines: &[String]| {
                let mut s = lines.join("\n");
                s.push('\n');
                std::fs::write(tmp.path().join(name), s)
            };
            write(".files", &done.written)
                .and_then(|_| write(".problems", &done.problems))
                .map_err(|e| format!("{}: {e}", tmp.path().display()))?;
            let tmp_path = tmp.keep();
            if std::fs::rename(&tmp_path, &dir).is_err() {
                // Another process stored it first: use that copy.
                let _ = std::fs::remove_dir_all(&tmp_path);
            }
            (done.written, done.problems)
        }
    };
    for rel in &files {
        let from = dir.join(rel);
        let to = site.join(rel);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        let _ = std::fs::remove_file(&to);
        if std::fs::hard_link(&from, &to).is_err() {
            std::fs::copy(&from, &to).map_err(|e| format!("{}: {e}", from.display()))?;
        }
    }
    Ok(Installed { files, problems })
}

/// The store directory of a cache root.
pub fn store_dir(cache_root: &Path) -> PathBuf {
    cache_root.join("preinstall").join("wheels")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_what_an_installer_puts_in_site_packages() {
        assert_eq!(
            destination("pandas/_libs/algos.cpython-311-x86_64-linux-gnu.so").as_deref(),
            Some("pandas/_libs/algos.cpython-311-x86_64-linux-gnu.so")
        );
        assert_eq!(
            destination("pandas/__init__.py").as_deref(),
            Some("pandas/__init__.py")
        );
        assert_eq!(destination("pandas/io/formats/templates/html.tpl"), None);
        assert_eq!(
            destination("numpy-2.0.2.dist-info/METADATA").as_deref(),
            Some("numpy-2.0.2.dist-info/METADATA")
        );
        assert_eq!(destination("numpy-2.0.2.dist-info/LICENSE.txt"), None);
        assert_eq!(
            destination("x-1.data/platlib/x/_c.so").as_deref(),
            Some("x/_c.so")
        );
        assert_eq!(destination("x-1.data/scripts/x"), None);
        assert_eq!(destination("x-1.data/headers/x.h"), None);
        assert_eq!(destination("x/__pycache__/a.cpython-311.pyc"), None);
        assert_eq!(
            destination("distutils-precedence.pth").as_deref(),
            Some("distutils-precedence.pth")
        );
    }

    #[test]
    fn record_is_rewritten_to_installed_paths() {
        let r = "x/__init__.py,sha256=a,1\nx-1.data/platlib/x/_c.so,sha256=b,2\nx-1.data/scripts/run,sha256=c,3\nx-1.dist-info/RECORD,,\n";
        assert_eq!(
            rewrite_record(r),
            "x/__init__.py,sha256=a,1\nx/_c.so,sha256=b,2\nx-1.dist-info/RECORD,,\n"
        );
    }
}
