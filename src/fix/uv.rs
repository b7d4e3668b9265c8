//! Where uv is, for `fix` (resolving, proving) and `fix --apply` (installing): one search for both.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;

/// uv: `$ABI_DOCTOR_UV`, then `uv` on `PATH` (from `vars`), then the project tools' copy in the
/// cache directory (`$ABI_DOCTOR_CACHE/package/tools/bin/uv`, else
/// `~/.cache/abi-doctor/package/tools/bin/uv`, installed by scripts/package/tools.sh).
pub fn find_uv(vars: &BTreeMap<String, OsString>) -> Option<PathBuf> {
    let exe = if cfg!(windows) { "uv.exe" } else { "uv" };
    let var = |k: &str| vars.get(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let explicit = var("ABI_DOCTOR_UV");
    let on_path: Vec<PathBuf> = vars
        .get("PATH")
        .map(|p| std::env::split_paths(p).map(|d| d.join(exe)).collect())
        .unwrap_or_default();
    let tools_root = var("ABI_DOCTOR_CACHE").or_else(|| {
        let facts = crate::scan::cache::default_dir(vars)?;
        facts.parent().map(PathBuf::from)
    });
    let tools = tools_root.map(|r| r.join("package/tools/bin").join(exe));
    explicit
        .into_iter()
        .chain(on_path)
        .chain(tools)
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_then_path_then_tools() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let bin = dir.path().join("bin");
        let tools = dir.path().join("cache/package/tools/bin");
        std::fs::create_dir_all(&bin).unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir_all(&tools).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tools.join("uv"), "").unwrap_or_else(|e| panic!("{e}"));
        let mut vars = BTreeMap::new();
        vars.insert("PATH".to_string(), OsString::from(&bin));
        vars.insert(
            "ABI_DOCTOR_CACHE".to_string(),
            OsString::from(dir.path().join("cache")),
        );
        assert_eq!(find_uv(&vars), Some(tools.join("uv")));
        std::fs::write(bin.join("uv"), "").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(find_uv(&vars), Some(bin.join("uv")));
        vars.insert(
            "ABI_DOCTOR_UV".to_string(),
            OsString::from(tools.join("uv")),
        );
        assert_eq!(find_uv(&vars), Some(tools.join("uv")));
    }
}
