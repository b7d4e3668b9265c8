//! Which index to read, from the same settings pip and uv read, and where each came from.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// PyPI's simple index.
pub const DEFAULT_INDEX: &str = "https://pypi.org/simple";

/// The index settings in force: read by [`IndexConfig::from_env`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IndexConfig {
    /// The primary simple index (`https://pypi.org/simple`), without a trailing slash.
    pub index_url: String,
    /// Further indexes; a project's files are merged from all of them, the primary's first.
    pub extra_index_urls: Vec<String>,
    /// No network: pages and files are never fetched, facts come from the cache only.
    pub offline: bool,
    /// A CA bundle to trust instead of the system's roots.
    pub cert: Option<PathBuf>,
    /// Where `index_url` came from: `PIP_INDEX_URL`, `UV_DEFAULT_INDEX`, `UV_INDEX_URL`,
    /// `pip.conf at PATH`, or `default`.
    pub source: String,
    /// Where `offline` came from (`ABI_DOCTOR_OFFLINE`, `UV_OFFLINE`, `PIP_NO_INDEX`,
    /// `pip.conf at PATH`), when it is set.
    pub offline_source: Option<String>,
    /// Where `cert` came from (`SSL_CERT_FILE`, `PIP_CERT`, `pip.conf at PATH`).
    pub cert_source: Option<String>,
    /// The pip configuration files that were read, in the order pip reads them.
    pub config_files: Vec<PathBuf>,
    /// The proxy for index requests: `HTTPS_PROXY`, `https_proxy`, `ALL_PROXY`, `all_proxy`,
    /// `HTTP_PROXY`, `http_proxy`, the first set (as ureq and curl read them).
    pub proxy: Option<String>,
    /// Hosts reached without the proxy (`NO_PROXY`/`no_proxy`, comma-separated: a host, a
    /// `.domain` or `domain` suffix, `*`); loopback addresses always are.
    pub no_proxy: Vec<String>,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            index_url: DEFAULT_INDEX.to_string(),
            extra_index_urls: Vec::new(),
            offline: false,
            cert: None,
            source: "default".to_string(),
            offline_source: None,
            cert_source: None,
            config_files: Vec::new(),
            proxy: None,
            no_proxy: Vec::new(),
        }
    }
}

/// `1`, `true`, `yes`, `on` (any case).
fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// The settings abi-doctor reads from one pip configuration file: `[global]`, overridden by
/// `[install]`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct PipConf {
    index_url: Option<String>,
    extra_index_urls: Option<Vec<String>>,
    cert: Option<String>,
    no_index: Option<bool>,
}

/// Parse pip's INI format: `[section]`, `key = value` (or `key: value`), continuation lines
/// indented, `#`/`;` comments. Keys compare with `_` and `-` alike.
fn parse_pip_conf(text: &str) -> PipConf {
    let mut sections: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut section = String::new();
    let mut key: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(k) = &key {
                let v = sections
                    .entry(section.clone())
                    .or_default()
                    .entry(k.clone())
                    .or_default();
                v.push('\n');
                v.push_str(trimmed);
            }
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            key = None;
            continue;
        }
        let Some(at) = trimmed.find(['=', ':']) else {
            key = None;
            continue;
        };
        let k = trimmed[..at].trim().to_ascii_lowercase().replace('_', "-");
        let v = trimmed[at + 1..].trim().to_string();
        sections
            .entry(section.clone())
            .or_default()
            .insert(k.clone(), v);
        key = Some(k);
    }
    let get = |k: &str| -> Option<String> {
        ["install", "global"]
            .iter()
            .find_map(|s| sections.get(*s).and_then(|m| m.get(k)).cloned())
    };
    PipConf {
        index_url: get("index-url").filter(|v| !v.trim().is_empty()),
        extra_index_urls: get("extra-index-url").map(|v| split_urls(&v)),
        cert: get("cert").filter(|v| !v.trim().is_empty()),
        no_index: get("no-index").map(|v| truthy(&v)),
    }
}

/// Whitespace-separated URLs (pip's env vars and multi-line config values).
fn split_urls(v: &str) -> Vec<String> {
    v.split_whitespace().map(clean_url).collect()
}

fn clean_url(u: &str) -> String {
    u.trim().trim_end_matches('/').to_string()
}

/// The pip configuration files, in the order pip reads them (later ones override earlier):
/// global (`/etc/xdg/pip/pip.conf`, `/etc/pip.conf`), user (`~/.pip/pip.conf`,
/// `$XDG_CONFIG_HOME/pip/pip.conf` or `~/.config/pip/pip.conf`), site (`$VIRTUAL_ENV/pip.conf`),
/// then `$PIP_CONFIG_FILE`. `PIP_CONFIG_FILE=/dev/null` (`os.devnull`) turns them all off, as in
/// pip.
fn pip_conf_paths(var: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let explicit = var("PIP_CONFIG_FILE");
    if explicit.as_deref() == Some("/dev/null") || explicit.as_deref() == Some("nul") {
        return Vec::new();
    }
    let mut out = Vec::new();
    if cfg!(unix) {
        out.push(PathBuf::from("/etc/xdg/pip/pip.conf"));
        out.push(PathBuf::from("/etc/pip.conf"));
    }
    if let Some(home) = var("HOME") {
        let home = PathBuf::from(home);
        out.push(home.join(".pip/pip.conf"));
        let config = var("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| home.join(".config"));
        out.push(config.join("pip/pip.conf"));
    }
    if cfg!(windows) {
        if let Some(appdata) = var("APPDATA") {
            out.push(PathBuf::from(appdata).join("pip/pip.ini"));
        }
    }
    if let Some(venv) = var("VIRTUAL_ENV") {
        out.push(PathBuf::from(venv).join(if cfg!(windows) { "pip.ini" } else { "pip.conf" }));
    }
    if let Some(p) = explicit {
        out.push(PathBuf::from(p));
    }
    out
}

/// A config file's text: small regular files only (a FIFO or a huge file is left alone).
fn read_conf(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 1 << 20 {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

impl IndexConfig {
    /// The settings in `env_vars` (the scanned environment's variables, as
    /// [`crate::discover::DiscoverOptions::env_vars`]) and the pip configuration files they
    /// lead to.
    ///
    /// Index: `PIP_INDEX_URL`, else `UV_DEFAULT_INDEX`, else `UV_INDEX_URL`, else the last pip
    /// configuration file that sets `index-url` (`[install]` before `[global]`), else PyPI.
    /// Extra indexes: `PIP_EXTRA_INDEX_URL`, `UV_EXTRA_INDEX_URL`, `UV_INDEX` (each
    /// whitespace-separated), else the configuration files' `extra-index-url`. Offline:
    /// `ABI_DOCTOR_OFFLINE=1`, `UV_OFFLINE`, `PIP_NO_INDEX` (truthy), or `no-index` in a file.
    /// Certificates: `SSL_CERT_FILE`, else `PIP_CERT`, else the files' `cert`, else none (the
    /// client then trusts the system's roots).
    pub fn from_env(env_vars: &BTreeMap<String, OsString>) -> IndexConfig {
        let var = |k: &str| -> Option<String> {
            env_vars
                .get(k)
                .map(|v| v.to_string_lossy().trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut cfg = IndexConfig::default();
        let mut conf = PipConf::default();
        let mut conf_source: BTreeMap<&'static str, String> = BTreeMap::new();
        for path in pip_conf_paths(&var) {
            let Some(text) = read_conf(&path) else {
                continue;
            };
            let c = parse_pip_conf(&text);
            let at = format!("pip.conf at {}", path.display());
            if c.index_url.is_some() {
                conf.index_url = c.index_url;
                conf_source.insert("index", at.clone());
            }
            if c.extra_index_urls.is_some() {
                conf.extra_index_urls = c.extra_index_urls;
            }
            if c.cert.is_some() {
                conf.cert = c.cert;
                conf_source.insert("cert", at.clone());
            }
            if c.no_index.is_some() {
                conf.no_index = c.no_index;
                conf_source.insert("offline", at.clone());
            }
            cfg.config_files.push(path);
        }

        if let Some((k, v)) = ["PIP_INDEX_URL", "UV_DEFAULT_INDEX", "UV_INDEX_URL"]
            .iter()
            .find_map(|k| var(k).map(|v| (*k, v)))
        {
            cfg.index_url = clean_url(&v);
            cfg.source = k.to_string();
        } else if let (Some(u), Some(at)) = (conf.index_url, conf_source.get("index")) {
            cfg.index_url = clean_url(&u);
            cfg.source = at.clone();
        }

        let mut extras: Vec<String> = ["PIP_EXTRA_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX"]
            .iter()
            .filter_map(|k| var(k))
            .flat_map(|v| split_urls(&v))
            .collect();
        if extras.is_empty() {
            extras = conf.extra_index_urls.unwrap_or_default();
        }
        for e in extras {
            // `UV_INDEX` entries may be `name=url`.
            let e = match e.split_once('=') {
                Some((name, url)) if !name.contains('/') => url.to_string(),
                _ => e,
            };
            if e != cfg.index_url && !cfg.extra_index_urls.contains(&e) {
                cfg.extra_index_urls.push(e);
            }
        }

        if var("ABI_DOCTOR_OFFLINE").is_some_and(|v| truthy(&v)) {
            cfg.offline_source = Some("ABI_DOCTOR_OFFLINE".to_string());
        } else if var("UV_OFFLINE").is_some_and(|v| truthy(&v)) {
            cfg.offline_source = Some("UV_OFFLINE".to_string());
        } else if var("PIP_NO_INDEX").is_some_and(|v| truthy(&v)) {
            cfg.offline_source = Some("PIP_NO_INDEX".to_string());
        } else if conf.no_index == Some(true) {
            cfg.offline_source = conf_source.get("offline").cloned();
        }
        cfg.offline = cfg.offline_source.is_some();

        if let Some((k, v)) = ["SSL_CERT_FILE", "PIP_CERT"]
            .iter()
            .find_map(|k| var(k).map(|v| (*k, v)))
        {
            cfg.cert = Some(PathBuf::from(v));
            cfg.cert_source = Some(k.to_string());
        } else if let (Some(c), Some(at)) = (conf.cert, conf_source.get("cert")) {
            cfg.cert = Some(PathBuf::from(c));
            cfg.cert_source = Some(at.clone());
        }
        cfg.proxy = [
            "HTTPS_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "all_proxy",
            "HTTP_PROXY",
            "http_proxy",
        ]
        .iter()
        .find_map(|k| var(k));
        cfg.no_proxy = ["NO_PROXY", "no_proxy"]
            .iter()
            .find_map(|k| var(k))
            .map(|v| {
                v.split(',')
                    .map(|h| h.trim().to_ascii_lowercase())
                    .filter(|h| !h.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        cfg
    }

    /// Is `host` (without port) reached directly, not through [`IndexConfig::proxy`]?
    pub fn bypasses_proxy(&self, host: &str) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
        {
            return true;
        }
        self.no_proxy.iter().any(|n| {
            let n = n.split(':').next().unwrap_or(n);
            n == "*"
                || host == n.trim_start_matches('.')
                || host.ends_with(&format!(".{}", n.trim_start_matches('.')))
        })
    }

    /// Every index, the primary first.
    pub fn indexes(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.index_url.as_str())
            .chain(self.extra_index_urls.iter().map(|s| s.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(kv: &[(&str, &str)]) -> BTreeMap<String, OsString> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect()
    }

    #[test]
    fn defaults_to_pypi_without_settings() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().to_str().unwrap();
        let c = IndexConfig::from_env(&vars(&[("HOME", home), ("PIP_CONFIG_FILE", "/dev/null")]));
        assert_eq!(c.index_url, DEFAULT_INDEX);
        assert_eq!(c.source, "default");
        assert!(!c.offline);
        assert!(c.config_files.is_empty());
    }

    #[test]
    fn environment_variables_win_over_pip_conf_and_are_named() {
        let t = tempfile::tempdir().unwrap();
        let conf = t.path().join("pip.conf");
        std::fs::write(
            &conf,
            "[global]\nindex-url = https://conf.example/simple/\nextra-index-url =\n    https://a.example/simple\n    https://b.example/simple\ncert = /c.pem\n[install]\nindex_url = https://install.example/simple\n",
        )
        .unwrap();
        let home = t.path().to_str().unwrap();
        let file = conf.to_str().unwrap();
        let c = IndexConfig::from_env(&vars(&[("HOME", home), ("PIP_CONFIG_FILE", file)]));
        assert_eq!(c.index_url, "https://install.example/simple");
        assert_eq!(c.source, format!("pip.conf at {file}"));
        assert_eq!(
            c.extra_index_urls,
            ["https://a.example/simple", "https://b.example/simple"]
        );
        assert_eq!(c.cert, Some(PathBuf::from("/c.pem")));
        assert_eq!(c.cert_source, Some(format!("pip.conf at {file}")));

        let c = IndexConfig::from_env(&vars(&[
            ("HOME", home),
            ("PIP_CONFIG_FILE", file),
            ("UV_INDEX_URL", "https://uv.example/simple/"),
            (
                "PIP_EXTRA_INDEX_URL",
                "https://x.example/simple https://y.example/simple",
            ),
            ("SSL_CERT_FILE", "/ssl.pem"),
            ("PIP_CERT", "/pip.pem"),
        ]));
        assert_eq!(c.index_url, "https://uv.example/simple");
        assert_eq!(c.source, "UV_INDEX_URL");
        assert_eq!(
            c.extra_index_urls,
            ["https://x.example/simple", "https://y.example/simple"]
        );
        assert_eq!(c.cert, Some(PathBuf::from("/ssl.pem")));
        assert_eq!(c.cert_source.as_deref(), Some("SSL_CERT_FILE"));

        let c = IndexConfig::from_env(&vars(&[
            ("HOME", home),
            ("PIP_INDEX_URL", "https://pip.example/simple"),
            ("UV_DEFAULT_INDEX", "https://uvd.example/simple"),
        ]));
        assert_eq!(c.source, "PIP_INDEX_URL");
        let c = IndexConfig::from_env(&vars(&[
            ("HOME", home),
            ("UV_DEFAULT_INDEX", "https://uvd.example/simple"),
        ]));
        assert_eq!(c.source, "UV_DEFAULT_INDEX");
    }

    #[test]
    fn user_and_venv_config_files_are_read_in_pip_order() {
        let t = tempfile::tempdir().unwrap();
        let home = t.path().join("home");
        let venv = t.path().join("venv");
        std::fs::create_dir_all(home.join(".config/pip")).unwrap();
        std::fs::create_dir_all(&venv).unwrap();
        std::fs::write(
            home.join(".config/pip/pip.conf"),
            "[global]\nindex-url=https://user.example/simple\n",
        )
        .unwrap();
        let v = vars(&[("HOME", home.to_str().unwrap())]);
        assert_eq!(
            IndexConfig::from_env(&v).index_url,
            "https://user.example/simple"
        );
        std::fs::write(
            venv.join("pip.conf"),
            "# venv\n[global]\nindex-url: https://venv.example/simple\nno-index = yes\n",
        )
        .unwrap();
        let v = vars(&[
            ("HOME", home.to_str().unwrap()),
            ("VIRTUAL_ENV", venv.to_str().unwrap()),
        ]);
        let c = IndexConfig::from_env(&v);
        assert_eq!(c.index_url, "https://venv.example/simple");
        assert!(c.source.ends_with("venv/pip.conf"), "{}", c.source);
        assert!(c.offline);
        assert!(c
            .offline_source
            .as_deref()
            .unwrap()
            .ends_with("venv/pip.conf"));
    }

    #[test]
    fn proxies_come_from_the_variables_and_loopback_goes_direct() {
        let c = IndexConfig::from_env(&vars(&[
            ("https_proxy", "http://proxy.example:3128"),
            ("HTTP_PROXY", "http://other.example:1"),
            ("NO_PROXY", "internal.example, .corp.example,10.0.0.1"),
            ("PIP_CONFIG_FILE", "/dev/null"),
        ]));
        assert_eq!(c.proxy.as_deref(), Some("http://proxy.example:3128"));
        for direct in [
            "127.0.0.1",
            "localhost",
            "[::1]",
            "internal.example",
            "a.corp.example",
            "corp.example",
            "10.0.0.1",
        ] {
            assert!(c.bypasses_proxy(direct), "{direct}");
        }
        for proxied in ["pypi.org", "notinternal.example", "10.0.0.2"] {
            assert!(!c.bypasses_proxy(proxied), "{proxied}");
        }
    }

    #[test]
    fn offline_switches() {
        for (k, v) in [
            ("ABI_DOCTOR_OFFLINE", "1"),
            ("UV_OFFLINE", "true"),
            ("PIP_NO_INDEX", "yes"),
        ] {
            let c = IndexConfig::from_env(&vars(&[(k, v), ("PIP_CONFIG_FILE", "/dev/null")]));
            assert!(c.offline, "{k}");
            assert_eq!(c.offline_source.as_deref(), Some(k));
        }
        let c = IndexConfig::from_env(&vars(&[
            ("ABI_DOCTOR_OFFLINE", "0"),
            ("PIP_CONFIG_FILE", "/dev/null"),
        ]));
        assert!(!c.offline);
    }
}
