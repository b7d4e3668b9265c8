//! `direct_url.json` (PEP 610): where a distribution installed from a URL, a local directory or a
//! VCS checkout came from.

/// What the inventory uses from `direct_url.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct DirectUrl {
    /// The `url` key.
    pub url: Option<String>,
    /// Installed from source: `vcs_info` or `dir_info`, or `archive_info` for an sdist archive
    /// (PEP 610 distinguishes these three; only a wheel archive is a binary origin).
    pub source_build: bool,
}

/// Parse `direct_url.json`; Err with the JSON error.
pub(super) fn parse_direct_url(text: &str) -> Result<DirectUrl, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let url = v.get("url").and_then(|u| u.as_str()).map(str::to_string);
    let u = url.as_deref().unwrap_or("");
    let source_build = v.get("vcs_info").is_some()
        || v.get("dir_info").is_some()
        || (v.get("archive_info").is_some()
            && [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz"]
                .iter()
                .any(|s| u.ends_with(s)));
    Ok(DirectUrl { url, source_build })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        let p = |s: &str| parse_direct_url(s).unwrap();
        let dir = p(r#"{"url": "file:///src/scipy", "dir_info": {"editable": false}}"#);
        assert_eq!(dir.url.as_deref(), Some("file:///src/scipy"));
        assert!(dir.source_build);
        assert!(p(r#"{"url": "https://g/x.git", "vcs_info": {"vcs": "git"}}"#).source_build);
        assert!(p(r#"{"url": "https://h/x-1.0.tar.gz", "archive_info": {}}"#).source_build);
        assert!(
            !p(r#"{"url": "https://h/x-1.0-py3-none-any.whl", "archive_info": {}}"#).source_build
        );
        assert!(parse_direct_url("{not json").is_err());
    }
}
