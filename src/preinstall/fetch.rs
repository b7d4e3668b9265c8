//! Getting a wheel's bytes: a local file, or a download from the index into the cache (verified
//! against the sha256 the lock or index gives). [`Fetcher`] is what the rest of the module uses,
//! so that the reader behind it (full downloads here, HTTP range reads through an index client)
//! can change without the materialising code knowing.

use super::FileRef;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A wheel's bytes, seekable (the zip reader starts at the end).
pub trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

/// What fetching cost: HTTP requests, bytes received, files served from the cache.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FetchStats {
    pub requests: u64,
    pub bytes: u64,
    pub cache_hits: u64,
    /// Bytes a full download of every remote wheel read would have cost.
    pub full_bytes: u64,
}

pub trait Fetcher: Sync {
    /// The bytes of `file`, and the sha256 when it is known without reading them all.
    fn open(&self, file: &FileRef) -> Result<Box<dyn ReadSeek>, String>;
    /// The files the index lists for `name` (for lock entries that name files but no URLs).
    fn files(&self, name: &str) -> Result<Vec<FileRef>, String>;
    fn stats(&self) -> FetchStats;
}

/// Largest file downloaded in full: the biggest NumPy-using wheels (torch, tensorflow) are under
/// 1 GiB.
pub const MAX_DOWNLOAD: u64 = 2 << 30;

/// Where an index is and how to reach it.
#[derive(Debug, Clone)]
pub struct IndexSettings {
    /// PEP 503/691 simple index root, without the trailing slash.
    pub index_url: String,
    /// `--offline`: nothing is fetched; only the cache and local files are read.
    pub offline: bool,
    /// CA bundles to trust (PEM), besides the system's.
    pub certs: Vec<PathBuf>,
    /// Where the index URL came from (`PIP_INDEX_URL`, `UV_INDEX_URL`, `default`).
    pub source: String,
}

impl IndexSettings {
    /// From `UV_INDEX_URL` / `UV_DEFAULT_INDEX`, then `PIP_INDEX_URL`, else PyPI; CA bundles from
    /// `SSL_CERT_FILE`, `PIP_CERT`, `REQUESTS_CA_BUNDLE` and the system bundle.
    pub fn from_env(vars: &BTreeMap<String, OsString>, offline: bool) -> IndexSettings {
        let var = |k: &str| {
            vars.get(k)
                .and_then(|v| v.to_str())
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let (index_url, source) = ["UV_DEFAULT_INDEX", "UV_INDEX_URL", "PIP_INDEX_URL"]
            .iter()
            .find_map(|k| Some((var(k)?, k.to_string())))
            .unwrap_or_else(|| ("https://pypi.org/simple".to_string(), "default".to_string()));
        let mut certs: Vec<PathBuf> = ["SSL_CERT_FILE", "PIP_CERT", "REQUESTS_CA_BUNDLE"]
            .iter()
            .filter_map(|k| var(k).map(PathBuf::from))
            .collect();
        for sys in [
            "/etc/ssl/certs/ca-certificates.crt",
            "/etc/pki/tls/certs/ca-bundle.crt",
            "/etc/ssl/cert.pem",
        ] {
            if Path::new(sys).is_file() {
                certs.push(PathBuf::from(sys));
                break;
            }
        }
        IndexSettings {
            index_url: index_url.trim_end_matches('/').to_string(),
            offline,
            certs,
            source,
        }
    }
}

/// Full downloads over HTTPS into `dir/<sha256>.whl`.
pub struct HttpFetcher {
    settings: IndexSettings,
    agent: ureq::Agent,
    dir: Option<PathBuf>,
    stats: Mutex<FetchStats>,
}

impl HttpFetcher {
    pub fn new(settings: IndexSettings, download_dir: Option<PathBuf>) -> HttpFetcher {
        let mut roots = Vec::new();
        for c in &settings.certs {
            if let Ok(pem) = std::fs::read(c) {
                for item in ureq::tls::parse_pem(&pem).flatten() {
                    if let ureq::tls::PemItem::Certificate(cert) = item {
                        roots.push(cert);
                    }
                }
            }
        }
        let tls = if roots.is_empty() {
            ureq::tls::TlsConfig::builder().build()
        } else {
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&roots))
                .build()
        };
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .timeout_global(Some(std::time::Duration::from_secs(600)))
            .build()
            .new_agent();
        HttpFetcher {
            settings,
            agent,
            dir: download_dir,
            stats: Mutex::new(FetchStats::default()),
        }
    }

    fn count(&self, requests: u64, bytes: u64, hit: bool) {
        if let Ok(mut s) = self.stats.lock() {
            s.requests += requests;
            s.bytes += bytes;
            s.cache_hits += u64::from(hit);
        }
    }

    fn download(&self, url: &str, file: &FileRef) -> Result<std::fs::File, String> {
        if self.settings.offline {
            return Err(format!(
                "{url}: not in the cache, and --offline forbids downloading it"
            ));
        }
        let resp = self
            .agent
            .get(url)
            .call()
            .map_err(|e| format!("{url}: download failed: {e}"))?;
        let tmp_dir = self.dir.clone().unwrap_or_else(std::env::temp_dir);
        std::fs::create_dir_all(&tmp_dir).map_err(|e| format!("{}: {e}", tmp_dir.display()))?;
        let mut tmp = tempfile::NamedTempFile::new_in(&tmp_dir)
            .map_err(|e| format!("{}: {e}", tmp_dir.display()))?;
        let mut body = resp.into_body();
        let mut reader = body.with_config().limit(MAX_DOWNLOAD).reader();
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut n: u64 = 0;
        loop {
            let k = reader
                .read(&mut buf)
                .map_err(|e| format!("{url}: download failed after {n} bytes: {e}"))?;
            if k == 0 {
                break;
            }
            n += k as u64;
            hasher.update(&buf[..k]);
            tmp.write_all(&buf[..k])
                .map_err(|e| format!("{}: {e}", tmp.path().display()))?;
        }
        self.count(1, n, false);
        let got = hex(&hasher.finalize());
        if let Some(want) = &file.sha256 {
            if !want.eq_ignore_ascii_case(&got) {
                return Err(format!(
                    "{url}: sha256 {got} does not match the {want} the lock or index gives; not used"
                ));
            }
        }
        match &self.dir {
            Some(d) => {
                let dest = d.join(format!("{got}.whl"));
                tmp.persist(&dest)
                    .map_err(|e| format!("{}: {e}", dest.display()))?;
                std::fs::File::open(&dest).map_err(|e| format!("{}: {e}", dest.display()))
            }
            None => tmp.reopen().map_err(|e| format!("{url}: {e}")),
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The sha256 of a local file, streamed.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
    }
    Ok(hex(&h.finalize()))
}

impl Fetcher for HttpFetcher {
    fn open(&self, file: &FileRef) -> Result<Box<dyn ReadSeek>, String> {
        if let Some(p) = &file.path {
            let (f, _) = crate::fsread::open_regular(p).map_err(|e| e.to_string())?;
            return Ok(Box::new(std::io::BufReader::new(f)));
        }
        if let (Some(d), Some(sha)) = (&self.dir, &file.sha256) {
            let cached = d.join(format!("{sha}.whl"));
            if let Ok(f) = std::fs::File::open(&cached) {
                self.count(0, 0, true);
                return Ok(Box::new(std::io::BufReader::new(f)));
            }
        }
        let url = file
            .url
            .as_deref()
            .ok_or_else(|| format!("{}: no URL and no local path", file.filename))?;
        if let Ok(mut s) = self.stats.lock() {
            s.full_bytes += file.size.unwrap_or(0);
        }
        let f = self.download(url, file)?;
        Ok(Box::new(std::io::BufReader::new(f)))
    }

    fn files(&self, name: &str) -> Result<Vec<FileRef>, String> {
        if self.settings.offline {
            return Err(format!(
                "{name}: the lock file names no URL for it, and --offline forbids asking the index"
            ));
        }
        let n = crate::inventory::normalize_name(name);
        let url = format!("{}/{n}/", self.settings.index_url);
        let mut resp = self
            .agent
            .get(&url)
            .header("Accept", "application/vnd.pypi.simple.v1+json")
            .call()
            .map_err(|e| format!("{url}: {e}"))?;
        let text = resp
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .map_err(|e| format!("{url}: {e}"))?;
        self.count(1, text.len() as u64, false);
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("{url}: not a PEP 691 JSON project page: {e}"))?;
        let files = v
            .get("files")
            .and_then(|f| f.as_array())
            .ok_or_else(|| format!("{url}: no files in the project page"))?;
        Ok(files
            .iter()
            .filter_map(|f| {
                let filename = f.get("filename")?.as_str()?.to_string();
                let href = f.get("url")?.as_str()?;
                let url = if href.starts_with("http://") || href.starts_with("https://") {
                    href.to_string()
                } else {
                    join_url(&url, href)
                };
                Some(FileRef {
                    filename,
                    url: Some(url),
                    path: None,
                    sha256: f
                        .get("hashes")
                        .and_then(|h| h.get("sha256"))
                        .and_then(|h| h.as_str())
                        .map(str::to_string),
                    size: f.get("size").and_then(|s| s.as_u64()),
                })
            })
            .collect())
    }

    fn stats(&self) -> FetchStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// `href` relative to `base` (a page URL).
fn join_url(base: &str, href: &str) -> String {
    if let Some(rest) = href.strip_prefix('/') {
        let origin_end = base
            .find("://")
            .and_then(|i| base[i + 3..].find('/').map(|j| i + 3 + j))
            .unwrap_or(base.len());
        return format!("{}/{rest}", &base[..origin_end]);
    }
    let dir = base.rsplit_once('/').map_or(base, |(d, _)| d);
    format!("{dir}/{href}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join() {
        assert_eq!(
            join_url("https://h/simple/numpy/", "../../packages/a.whl"),
            "https://h/simple/numpy/../../packages/a.whl"
        );
        assert_eq!(
            join_url("https://h/simple/numpy/", "/p/a.whl"),
            "https://h/p/a.whl"
        );
    }
}
