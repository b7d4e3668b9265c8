//! Reading a Python package index (the simple repository API) without installing anything: which
//! files a project has, which wheel fits a target, and what a wheel's compiled modules say about
//! the NumPy they were built against, read from the remote wheel with a few HTTP range requests.
//!
//! Facts this relies on, and how they were measured: `docs/index.md`.
//!
//! ```text
//! IndexConfig::from_env(&env_vars) -> IndexConfig          // PIP_INDEX_URL, UV_*, pip.conf, offline, cert
//! Client::new(cfg, cache_dir: Option<PathBuf>) -> Result<Client, IndexError>
//! client.project("pandas") -> Result<Project, IndexError>  // PEP 691 JSON, else PEP 503 HTML
//! tags::best_wheel(&project.files, &tags::Target::parse("3.11", "x86_64-manylinux_2_17")?)
//! client.open(&file) -> Result<RemoteFile, IndexError>      // Read + Seek over range GETs
//! client.wheel_facts(&file) -> Result<WheelFacts, IndexError> // cached by sha256
//! client.stats() -> Stats
//! ```
//!
//! `cache_dir` is abi-doctor's cache root ([`default_cache_dir`]: `~/.cache/abi-doctor`); wheel
//! facts are kept as `<cache_dir>/index/facts/<sha256>.json`. Offline ([`IndexConfig::offline`]),
//! nothing is fetched: facts come from that cache or the call fails with
//! [`IndexError::Offline`].

mod config;
mod facts;
mod http;
mod remote;
pub mod simple;
pub mod tags;

pub use config::{IndexConfig, DEFAULT_INDEX};
pub use facts::WheelFacts;
pub use remote::{FileStats, RemoteFile};
pub use simple::normalize;

use std::path::PathBuf;
use std::sync::Arc;

/// A project page is bigger than this only when something is wrong (PyPI's pandas page: 1.1 MB
/// of JSON, 2,625 files).
pub const PAGE_LIMIT: u64 = 64 << 20;

/// One project's files on the index (all indexes merged, the primary's first).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Project {
    /// Normalised ([`normalize`]).
    pub name: String,
    pub files: Vec<DistFile>,
}

/// One file of a project as the index lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DistFile {
    pub filename: String,
    /// Absolute, without the `#sha256=` fragment.
    pub url: String,
    /// Lower-case hex, when the index gives it.
    pub sha256: Option<String>,
    /// Only PEP 691 JSON gives it.
    pub size: Option<u64>,
    pub requires_python: Option<String>,
    pub yanked: bool,
    /// The index serves the wheel's METADATA on its own (PEP 658/714).
    pub core_metadata: bool,
    /// From the file name (empty when it does not say).
    pub version: String,
    /// The parsed wheel name; `None` for sdists and other files.
    pub wheel: Option<tags::WheelName>,
}

impl Project {
    /// The project's versions that have files, oldest first (PEP 440 order).
    pub fn versions(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .files
            .iter()
            .map(|f| f.version.as_str())
            .filter(|v| !v.is_empty())
            .collect();
        v.sort_by(|a, b| tags::cmp_versions(a, b));
        v.dedup();
        v
    }

    /// The files of one version (compared by PEP 440: `2.2` matches `2.2.0`).
    pub fn files_of(&self, version: &str) -> Vec<DistFile> {
        self.files
            .iter()
            .filter(|f| tags::cmp_versions(&f.version, version).is_eq())
            .cloned()
            .collect()
    }
}

/// What the client has cost so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// HTTP requests sent (pages and file ranges).
    pub requests: u64,
    /// Response body bytes received.
    pub bytes: u64,
    /// Wheel facts answered from the cache.
    pub cache_hits: u64,
    /// Files whose server answered a ranged GET with the whole file.
    pub ranges_refused: u64,
    /// Files downloaded whole (after a refusal, or from a host known to refuse).
    pub full_downloads: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("offline ({why}): {what} is not available without the network")]
    Offline { what: String, why: String },
    #[error("{url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("{url}: HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("{url}: no project {name:?} on this index (HTTP 404)")]
    NotFound { name: String, url: String },
    #[error("{url}: response larger than the {limit}-byte limit ({got} bytes or more)")]
    TooLarge { url: String, limit: u64, got: u64 },
    #[error("{url}: not a usable simple-index page: {reason}")]
    BadPage { url: String, reason: String },
    #[error("{url}: {reason}")]
    BadResponse { url: String, reason: String },
    #[error("{url}: not a readable wheel: {reason}")]
    BadWheel { url: String, reason: String },
    #[error("CA bundle {} (from {source_name}): {reason}", path.display())]
    Cert {
        path: PathBuf,
        source_name: String,
        reason: String,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

/// abi-doctor's cache root for these variables: `$XDG_CACHE_HOME/abi-doctor` (absolute only),
/// else `~/.cache/abi-doctor`; `~/Library/Caches/abi-doctor` on macOS,
/// `%LOCALAPPDATA%\abi-doctor\cache` on Windows. The scan cache's default directory is its
/// `facts/` (a unit test keeps the two in step; `index` does not depend on `scan`, so that
/// modules under the scan may use the index).
pub fn default_cache_dir(
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

/// Reads projects and wheels from the configured indexes.
pub struct Client {
    cfg: IndexConfig,
    cache_dir: Option<PathBuf>,
    http: Arc<http::Http>,
}

impl Client {
    /// A client for `cfg`; `cache_dir` is abi-doctor's cache root (wheel facts go under
    /// `index/facts/`), `None` for no cache. Fails only on an unusable CA bundle.
    pub fn new(cfg: IndexConfig, cache_dir: Option<PathBuf>) -> Result<Client, IndexError> {
        let http = Arc::new(http::Http::new(&cfg)?);
        Ok(Client {
            cfg,
            cache_dir,
            http,
        })
    }

    pub fn config(&self) -> &IndexConfig {
        &self.cfg
    }

    pub fn stats(&self) -> Stats {
        self.http.counters.snapshot()
    }

    fn offline(&self, what: String) -> IndexError {
        IndexError::Offline {
            what,
            why: self
                .cfg
                .offline_source
                .clone()
                .unwrap_or_else(|| "offline".to_string()),
        }
    }

    /// The files of project `name` on every configured index (the primary's first; a file name
    /// already seen is not repeated). JSON (PEP 691) is asked for; an HTML answer (PEP 503) is
    /// parsed as such. [`IndexError::NotFound`] when no index has it.
    pub fn project(&self, name: &str) -> Result<Project, IndexError> {
        let norm = normalize(name);
        if self.cfg.offline {
            return Err(self.offline(format!("the index page of {norm}")));
        }
        let mut out: Option<Project> = None;
        let mut first_404 = None;
        for index in self.cfg.indexes() {
            let url = format!("{}/{norm}/", index.trim_end_matches('/'));
            match self.project_page(&url, &norm) {
                Ok(p) => match &mut out {
                    None => out = Some(p),
                    Some(o) => {
                        for f in p.files {
                            if !o.files.iter().any(|g| g.filename == f.filename) {
                                o.files.push(f);
                            }
                        }
                    }
                },
                Err(e @ IndexError::NotFound { .. }) => {
                    first_404.get_or_insert(e);
                }
                Err(e) => return Err(e),
            }
        }
        match (out, first_404) {
            (Some(p), _) => Ok(p),
            (None, Some(e)) => Err(e),
            (None, None) => Err(IndexError::NotFound {
                name: norm,
                url: self.cfg.index_url.clone(),
            }),
        }
    }

    fn project_page(&self, url: &str, norm: &str) -> Result<Project, IndexError> {
        let accept = "application/vnd.pypi.simple.v1+json, \
                      application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01";
        let mut resp = self.http.get(url, &[("Accept", accept)])?;
        match resp.status {
            200 => {}
            404 => {
                return Err(IndexError::NotFound {
                    name: norm.to_string(),
                    url: url.to_string(),
                })
            }
            s => {
                return Err(IndexError::Http {
                    url: url.to_string(),
                    status: s,
                })
            }
        }
        let body = self.http.read_capped(&mut resp, url, PAGE_LIMIT)?;
        let page_url = resp.final_url.clone();
        let text = String::from_utf8(body).map_err(|e| IndexError::BadPage {
            url: url.to_string(),
            reason: format!("not UTF-8 text: {e}"),
        })?;
        let ctype = resp.content_type.unwrap_or_default().to_ascii_lowercase();
        if ctype.contains("json") {
            simple::parse_json(&text, &page_url, norm).map_err(|reason| IndexError::BadPage {
                url: url.to_string(),
                reason,
            })
        } else if ctype.contains("html") || text.trim_start().starts_with('<') {
            Ok(simple::parse_html(&text, &page_url, norm))
        } else {
            Err(IndexError::BadPage {
                url: url.to_string(),
                reason: format!("content-type {ctype:?} is neither PEP 691 JSON nor HTML"),
            })
        }
    }

    /// `file` as a [`RemoteFile`] (one request to open it).
    pub fn open(&self, file: &DistFile) -> Result<RemoteFile, IndexError> {
        if self.cfg.offline {
            return Err(self.offline(file.filename.clone()));
        }
        RemoteFile::open(self.http.clone(), &file.url)
    }

    /// What the wheel's compiled modules say about the NumPy they were built against: the
    /// wheel's `Requires-Dist`, then its compiled members read smallest first until one shows
    /// NumPy use ([`WheelFacts`]). Kept by sha256 in the cache; offline, only the cache answers.
    pub fn wheel_facts(&self, file: &DistFile) -> Result<WheelFacts, IndexError> {
        facts::wheel_facts(self, file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_versions_sort_by_pep_440() {
        let p = Project {
            name: "x".into(),
            files: [
                "x-1.10.tar.gz",
                "x-1.9-py3-none-any.whl",
                "x-1.9.tar.gz",
                "x-2.0rc1.tar.gz",
            ]
            .iter()
            .map(|n| DistFile::from_filename(n, "u", "x"))
            .collect(),
        };
        assert_eq!(p.versions(), ["1.9", "1.10", "2.0rc1"]);
        assert_eq!(p.files_of("1.9.0").len(), 2);
    }

    #[test]
    fn the_cache_root_is_the_scan_caches_parent() {
        for kv in [
            vec![("HOME", "/h")],
            vec![("HOME", "/h"), ("XDG_CACHE_HOME", "/x")],
            vec![("HOME", "/h"), ("XDG_CACHE_HOME", "rel")],
            vec![("LOCALAPPDATA", "C:/l"), ("HOME", "/h")],
            vec![],
        ] {
            let vars = kv
                .iter()
                .map(|(k, v)| (k.to_string(), std::ffi::OsString::from(v)))
                .collect();
            assert_eq!(
                default_cache_dir(&vars).map(|d| d.join("facts")),
                crate::scan::cache::default_dir(&vars),
                "{kv:?}"
            );
        }
    }

    #[test]
    fn offline_clients_fetch_nothing() {
        let cfg = IndexConfig {
            offline: true,
            offline_source: Some("ABI_DOCTOR_OFFLINE".into()),
            ..IndexConfig::default()
        };
        let c = Client::new(cfg, None).unwrap();
        let e = c.project("pandas").unwrap_err();
        assert!(
            e.to_string().contains("offline (ABI_DOCTOR_OFFLINE)"),
            "{e}"
        );
        assert_eq!(c.stats().requests, 0);
    }
}
