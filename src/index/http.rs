//! The HTTP side: one blocking agent (ureq over rustls) with timeouts, the trusted roots, bounded
//! bodies, and the counters behind [`super::Stats`].

use super::{IndexConfig, IndexError, Stats};
use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// The usual places of the system's CA bundle (Debian/Ubuntu, Fedora/RHEL, openSUSE, Alpine and
/// macOS's OpenSSL): tried in order when no bundle is configured.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
];

/// A CA bundle larger than this is not one.
const MAX_BUNDLE: u64 = 16 << 20;

#[derive(Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub bytes: AtomicU64,
    pub cache_hits: AtomicU64,
    pub ranges_refused: AtomicU64,
    pub full_downloads: AtomicU64,
}

impl Counters {
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
    pub fn snapshot(&self) -> Stats {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            requests: g(&self.requests),
            bytes: g(&self.bytes),
            cache_hits: g(&self.cache_hits),
            ranges_refused: g(&self.ranges_refused),
            full_downloads: g(&self.full_downloads),
        }
    }
}

pub(crate) struct Http {
    /// Through the configured proxy (the same as `direct` when there is none).
    proxied: ureq::Agent,
    /// Without a proxy: loopback and `NO_PROXY` hosts.
    direct: ureq::Agent,
    cfg: IndexConfig,
    pub counters: Counters,
    /// Hosts that answered a ranged GET with the whole file.
    pub refusing_hosts: Mutex<BTreeSet<String>>,
    /// Which roots are trusted, for messages: the bundle's path, or "the built-in roots".
    pub roots: String,
}

/// One response: status, the headers we use, and the body as a reader.
pub(crate) struct Response {
    pub status: u16,
    pub content_type: Option<String>,
    pub content_range: Option<String>,
    pub content_length: Option<u64>,
    /// The URL after redirects.
    pub final_url: String,
    pub body: ureq::BodyReader<'static>,
}

fn load_bundle(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".to_string());
    }
    if meta.len() > MAX_BUNDLE {
        return Err(format!("{} bytes: too large for a CA bundle", meta.len()));
    }
    let pem = std::fs::read(path).map_err(|e| e.to_string())?;
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return Err("holds no PEM certificate".to_string());
    }
    Ok(certs)
}

/// The host (and port) of `url`, lower-cased.
pub(crate) fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority
        .rsplit('@')
        .next()
        .unwrap_or(authority)
        .to_ascii_lowercase()
}

impl Http {
    pub fn new(cfg: &IndexConfig) -> Result<Http, IndexError> {
        let (certs, roots) = match &cfg.cert {
            Some(p) => {
                let certs = load_bundle(p).map_err(|reason| IndexError::Cert {
                    path: p.clone(),
                    source_name: cfg.cert_source.clone().unwrap_or_default(),
                    reason,
                })?;
                (Some(certs), p.display().to_string())
            }
            None => match SYSTEM_BUNDLES
                .iter()
                .map(PathBuf::from)
                .find_map(|p| load_bundle(&p).ok().map(|c| (c, p)))
            {
                Some((c, p)) => (Some(c), p.display().to_string()),
                None => (None, "the built-in web PKI roots".to_string()),
            },
        };
        let roots_cfg = match certs {
            Some(c) => ureq::tls::RootCerts::new_with_certs(&c),
            None => ureq::tls::RootCerts::WebPki,
        };
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(roots_cfg)
            .build();
        let proxy = match &cfg.proxy {
            None => None,
            Some(p) => Some(ureq::Proxy::new(p).map_err(|e| IndexError::Transport {
                url: p.clone(),
                reason: format!("not a usable proxy: {e}"),
            })?),
        };
        let agent = |proxy: Option<ureq::Proxy>| {
            ureq::Agent::config_builder()
                .tls_config(tls.clone())
                .proxy(proxy)
                .http_status_as_error(false)
                .user_agent(concat!("abi-doctor/", env!("CARGO_PKG_VERSION")))
                .timeout_connect(Some(Duration::from_secs(15)))
                .timeout_recv_response(Some(Duration::from_secs(60)))
                .timeout_recv_body(Some(Duration::from_secs(600)))
                .max_redirects(10)
                .build()
                .new_agent()
        };
        let direct = agent(None);
        let proxied = if proxy.is_some() {
            agent(proxy)
        } else {
            direct.clone()
        };
        Ok(Http {
            proxied,
            direct,
            cfg: cfg.clone(),
            counters: Counters::default(),
            refusing_hosts: Mutex::new(BTreeSet::new()),
            roots,
        })
    }

    /// GET `url` with `headers`; any status comes back (the caller decides), transport errors
    /// name the URL.
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Response, IndexError> {
        Counters::add(&self.counters.requests, 1);
        let host = host_of(url);
        let bare = match host.rsplit_once(':') {
            Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host.as_str(),
        };
        let agent = if self.cfg.bypasses_proxy(bare) {
            &self.direct
        } else {
            &self.proxied
        };
        let mut req = agent.get(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.call().map_err(|e| IndexError::Transport {
            url: url.to_string(),
            reason: match &e {
                ureq::Error::Tls(_) | ureq::Error::Rustls(_) => {
                    format!("{e} (trusted roots: {})", self.roots)
                }
                _ => e.to_string(),
            },
        })?;
        use ureq::ResponseExt;
        let final_url = resp.get_uri().to_string();
        let h = |k: &str| {
            resp.headers()
                .get(k)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let status = resp.status().as_u16();
        let content_type = h("content-type");
        let content_range = h("content-range");
        let content_length = h("content-length").and_then(|v| v.trim().parse().ok());
        let (_, body) = resp.into_parts();
        Ok(Response {
            status,
            content_type,
            content_range,
            content_length,
            final_url,
            body: body.into_reader(),
        })
    }

    /// Read a whole body into memory, at most `cap` bytes: past that, [`IndexError::TooLarge`].
    pub fn read_capped(
        &self,
        resp: &mut Response,
        url: &str,
        cap: u64,
    ) -> Result<Vec<u8>, IndexError> {
        if let Some(n) = resp.content_length.filter(|n| *n > cap) {
            return Err(IndexError::TooLarge {
                url: url.to_string(),
                limit: cap,
                got: n,
            });
        }
        let mut out = Vec::new();
        let read = (&mut resp.body)
            .take(cap + 1)
            .read_to_end(&mut out)
            .map_err(|e| IndexError::Transport {
                url: url.to_string(),
                reason: format!("reading the response: {e}"),
            });
        Counters::add(&self.counters.bytes, out.len() as u64);
        read?;
        if out.len() as u64 > cap {
            return Err(IndexError::TooLarge {
                url: url.to_string(),
                limit: cap,
                got: out.len() as u64,
            });
        }
        Ok(out)
    }

    /// Copy a whole body into `w`, at most `cap` bytes.
    pub fn copy_capped(
        &self,
        resp: &mut Response,
        url: &str,
        cap: u64,
        w: &mut dyn std::io::Write,
    ) -> Result<u64, IndexError> {
        if let Some(n) = resp.content_length.filter(|n| *n > cap) {
            return Err(IndexError::TooLarge {
                url: url.to_string(),
                limit: cap,
                got: n,
            });
        }
        let got = std::io::copy(&mut (&mut resp.body).take(cap + 1), w);
        let got = got.map_err(|e| IndexError::Transport {
            url: url.to_string(),
            reason: format!("reading the response: {e}"),
        })?;
        Counters::add(&self.counters.bytes, got);
        if got > cap {
            return Err(IndexError::TooLarge {
                url: url.to_string(),
                limit: cap,
                got,
            });
        }
        Ok(got)
    }

    pub fn host_refuses(&self, url: &str) -> bool {
        self.refusing_hosts
            .lock()
            .is_ok_and(|s| s.contains(&host_of(url)))
    }

    pub fn mark_refusing(&self, url: &str) {
        if let Ok(mut s) = self.refusing_hosts.lock() {
            s.insert(host_of(url));
        }
    }
}
