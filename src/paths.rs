//! Path helpers shared by environment discovery and the inventory: lexical normalization, the
//! CPython site-directory layout (`<prefix>/lib/pythonX.Y/site-packages`, `<prefix>/Lib/site-packages`)
//! and abi-doctor's cache root ([`cache_root`]).

use std::path::{Component, Path, PathBuf};

/// `<prefix>/lib/pythonX.Y/site-packages` → (prefix, Some("X.Y")); `<prefix>/Lib/site-packages`
/// → (prefix, None).
pub fn prefix_from_site_dir(site: &Path) -> Option<(PathBuf, Option<String>)> {
    let name = site.file_name()?.to_str()?;
    if name != "site-packages" && name != "dist-packages" {
        return None;
    }
    let parent = site.parent()?;
    let pname = parent.file_name()?.to_str()?;
    if pname == "Lib" {
        return Some((parent.parent()?.to_path_buf(), None));
    }
    let version = version_from_lib_name(pname)?;
    let lib = parent.parent()?;
    Some((lib.parent()?.to_path_buf(), Some(version)))
}

/// `python3.11` / `python3.13t` → `"3.11"`.
pub fn version_from_lib_name(name: &str) -> Option<String> {
    let rest = name.strip_prefix("python")?;
    let rest = rest.strip_suffix('t').unwrap_or(rest);
    let (major, minor) = rest.split_once('.')?;
    (!major.is_empty()
        && !minor.is_empty()
        && major.bytes().all(|b| b.is_ascii_digit())
        && minor.bytes().all(|b| b.is_ascii_digit()))
    .then(|| format!("{major}.{minor}"))
}

/// Lexical normalization: drop `.`, apply `..` (never above the root).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` relative to `prefix`, `/`-separated (`lib/python3.11/site-packages/numpy`), as the
/// JSON reports give it beside the absolute path; `None` when `path` is not under `prefix` (a
/// system site-packages seen from a venv, a user site) or is `prefix` itself.
pub fn in_prefix(prefix: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(prefix).ok()?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// abi-doctor's cache root for these environment variables: `$XDG_CACHE_HOME/abi-doctor` (absolute
/// only), else `~/.cache/abi-doctor`; `~/Library/Caches/abi-doctor` on macOS,
/// `%LOCALAPPDATA%\\abi-doctor\\cache` on Windows. `None`: no home is known. The facts cache
/// (`facts/`), the index cache (`index/`) and `fix`'s journals (`fix/`) live under it.
pub fn cache_root(
    vars: &std::collections::BTreeMap<String, std::ffi::OsString>,
) -> Option<PathBuf> {
    let var = |k: &str| vars.get(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    Some(if cfg!(windows) {
        var("LOCALAPPDATA")?.join("abi-doctor").join("cache")
    } else if cfg!(target_os = "macos") {
        var("HOME")?.join("Library/Caches/abi-doctor")
    } else {
        var("XDG_CACHE_HOME")
            .filter(|p| p.is_absolute())
            .or_else(|| var("HOME").map(|h| h.join(".cache")))?
            .join("abi-doctor")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_the_prefix() {
        let env = Path::new("/srv/my env");
        assert_eq!(
            in_prefix(
                env,
                Path::new("/srv/my env/lib/python3.11/site-packages/a b.so")
            )
            .as_deref(),
            Some("lib/python3.11/site-packages/a b.so")
        );
        assert_eq!(in_prefix(env, Path::new("/srv/my envelope/x.so")), None);
        assert_eq!(in_prefix(env, Path::new("/usr/lib/python3/x.so")), None);
        assert_eq!(in_prefix(env, env), None);
    }

    #[test]
    fn lib_names_and_site_prefix() {
        assert_eq!(version_from_lib_name("python3.11").as_deref(), Some("3.11"));
        assert_eq!(
            version_from_lib_name("python3.13t").as_deref(),
            Some("3.13")
        );
        assert_eq!(version_from_lib_name("python3"), None);
        assert_eq!(version_from_lib_name("pythonx.y"), None);
        let (p, v) = prefix_from_site_dir(Path::new("/e/lib/python3.11/site-packages")).unwrap();
        assert_eq!((p, v.as_deref()), (PathBuf::from("/e"), Some("3.11")));
        let (p, v) = prefix_from_site_dir(Path::new("C:/e/Lib/site-packages")).unwrap();
        assert_eq!((p, v), (PathBuf::from("C:/e"), None));
        assert!(prefix_from_site_dir(Path::new("/tmp/whatever")).is_none());
    }
}

/// `path.strip_prefix(dir)`, without walking components when `path` is plainly `dir/rest` (the
/// bytes of `dir`, one `/`, then a rest that neither starts with a separator nor holds `//` or a
/// `.` component): the answer is then the same path `strip_prefix` gives. Anything else goes
/// through `strip_prefix`.
pub fn strip_dir<'p>(path: &'p Path, dir: &Path) -> Option<&'p Path> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let (p, d) = (path.as_os_str().as_bytes(), dir.as_os_str().as_bytes());
        if let Some(rest) = p.strip_prefix(d).and_then(|r| r.strip_prefix(b"/")) {
            let plain = !d.is_empty()
                && !d.ends_with(b"/")
                && !rest.is_empty()
                && !rest.starts_with(b"/")
                && !rest.starts_with(b"./")
                && rest != b"."
                && memchr::memmem::find(rest, b"//").is_none()
                && memchr::memmem::find(rest, b"/./").is_none()
                && !rest.ends_with(b"/.");
            if plain {
                return Some(Path::new(std::ffi::OsStr::from_bytes(rest)));
            }
        }
    }
    path.strip_prefix(dir).ok()
}

#[cfg(test)]
mod strip_dir_tests {
    use super::strip_dir;
    use std::path::Path;

    #[test]
    fn agrees_with_strip_prefix() {
        let cases = [
            ("/s/site/a/b.py", "/s/site"),
            ("/s/site/a//b.py", "/s/site"),
            ("/s/site/./a/b.py", "/s/site"),
            ("/s/site/a/./b.py", "/s/site"),
            ("/s/site/a/.", "/s/site"),
            ("/s/site", "/s/site"),
            ("/s/site/", "/s/site"),
            ("/s/sitex/a", "/s/site"),
            ("/s/site/a", "/s/site/"),
            ("/s/site/a", "/s/./site"),
            ("/s/site/a/b", "/"),
            ("a/b", ""),
            ("/s/site/a/b/", "/s/site"),
        ];
        for (p, d) in cases {
            let (p, d) = (Path::new(p), Path::new(d));
            let want = p.strip_prefix(d).ok();
            let got = strip_dir(p, d);
            assert_eq!(
                got.map(|g| g.components().collect::<Vec<_>>()),
                want.map(|w| w.components().collect::<Vec<_>>()),
                "{p:?} {d:?}"
            );
            assert_eq!(got.is_some(), want.is_some(), "{p:?} {d:?}");
        }
    }
}
