//! A real package index on 127.0.0.1 for the tests (std only): a folder of wheels served as a
//! simple repository (PEP 503 HTML at `/simple/<name>/`, PEP 691 JSON when asked for with
//! `Accept: application/vnd.pypi.simple.v1+json`), the files at `/files/<filename>` with range
//! support (`206` + `content-range`, suffix ranges, `416` for unsatisfiable ones), or, in
//! [`Mode::RefuseRanges`], always the whole file with `200`. Counts requests and body bytes;
//! [`Mode::Hostile`] serves fixed bodies at fixed paths. It also answers `CONNECT` as an HTTP
//! proxy whose every tunnel leads back to itself, so a test can name it as `HTTPS_PROXY` for an
//! index host that does not exist. Stops when dropped.
//!
//! [`index_wheels`] fills `~/.cache/abi-doctor/index-wheels` with real wheels from PyPI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Mode {
    /// Range requests honoured.
    Ranges,
    /// Every GET answered `200` with the whole file, `Range` or not.
    RefuseRanges,
    /// Ranges honoured, but project pages always PEP 503 HTML (the `Accept` header ignored).
    HtmlOnly,
    /// `path -> canned answer` for every request; anything else is 404.
    Hostile(BTreeMap<String, Canned>),
}

/// A fixed answer of a hostile server.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// `content-length` to send: `Some(n)` (a lie when it is not the body's length), or `None`
    /// for none at all (the body ends when the connection closes).
    pub length: Option<u64>,
}

impl Canned {
    /// `200` with `content-type` and an honest `content-length`.
    pub fn ok(content_type: &str, body: Vec<u8>) -> Canned {
        Canned {
            status: "200 OK",
            headers: vec![("content-type".into(), content_type.into())],
            length: Some(body.len() as u64),
            body,
        }
    }
}

#[derive(Default)]
pub struct Counters {
    pub requests: AtomicU64,
    pub bytes: AtomicU64,
    pub ranged: AtomicU64,
}

pub struct IndexServer {
    pub addr: std::net::SocketAddr,
    pub counters: Arc<Counters>,
    /// Request lines seen, in order (`GET /files/x.whl Range: bytes=-65557`).
    pub log: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The PEP 503 name of a wheel file name's project.
fn project_of(filename: &str) -> String {
    let name = filename.split('-').next().unwrap_or(filename);
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// sha256 of a file, by `sha256sum` (coreutils) or Python's hashlib.
pub fn sha256_of(path: &Path) -> String {
    if let Ok(o) = Command::new("sha256sum").arg(path).output() {
        if o.status.success() {
            let s = String::from_utf8_lossy(&o.stdout);
            if let Some(h) = s.split_whitespace().next() {
                return h.to_string();
            }
        }
    }
    let o = Command::new("python3")
        .args([
            "-c",
            "import hashlib,sys;print(hashlib.sha256(open(sys.argv[1],'rb').read()).hexdigest())",
        ])
        .arg(path)
        .output()
        .expect("sha256sum or python3");
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

struct Served {
    files: Vec<(String, PathBuf, String, u64)>,
    mode: Mode,
}

impl IndexServer {
    /// Serve `wheels` (paths of real wheel files) in `mode`.
    pub fn start(wheels: &[PathBuf], mode: Mode) -> IndexServer {
        let files = wheels
            .iter()
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                let len = std::fs::metadata(p).unwrap().len();
                (name, p.clone(), sha256_of(p), len)
            })
            .collect();
        let served = Arc::new(Served { files, mode });
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let counters = Arc::new(Counters::default());
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (c, l, s) = (counters.clone(), log.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (served, c, l, s) = (served.clone(), c.clone(), l.clone(), s.clone());
                        std::thread::spawn(move || connection(stream, &served, &c, &l, &s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        IndexServer {
            addr,
            counters,
            log,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT/simple`
    pub fn index_url(&self) -> String {
        format!("http://{}/simple", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn requests(&self) -> u64 {
        self.counters.requests.load(Ordering::SeqCst)
    }

    pub fn bytes(&self) -> u64 {
        self.counters.bytes.load(Ordering::SeqCst)
    }
}

impl Drop for IndexServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One keep-alive connection: requests until the client closes, the server stops, or 10 s idle.
fn connection(
    stream: TcpStream,
    served: &Served,
    counters: &Counters,
    log: &Mutex<Vec<String>>,
    stop: &AtomicBool,
) {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    stream.set_nonblocking(false).ok();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    // At most 10,000 requests on one connection: bounded whatever the client does.
    for _ in 0..10_000 {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut headers = BTreeMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("/").to_string();
        counters.requests.fetch_add(1, Ordering::SeqCst);
        let range = headers.get("range").cloned();
        if range.is_some() {
            counters.ranged.fetch_add(1, Ordering::SeqCst);
        }
        log.lock().unwrap().push(format!(
            "{method} {path}{}",
            range
                .as_ref()
                .map(|r| format!(" Range: {r}"))
                .unwrap_or_default()
        ));
        if method == "CONNECT" {
            // Acting as the proxy in front of itself: the tunnel's far end is this server, so
            // the requests that follow on this connection are served as usual.
            if out
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .is_err()
            {
                return;
            }
            continue;
        }
        let accept = headers.get("accept").cloned().unwrap_or_default();
        let resp = respond(served, &method, &path, &accept, range.as_deref());
        let mut head = format!("HTTP/1.1 {}\r\n", resp.status);
        for (k, v) in &resp.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        match resp.body_len {
            Some(n) => head.push_str(&format!("content-length: {n}\r\n\r\n")),
            None => head.push_str("connection: close\r\n\r\n"),
        }
        if out.write_all(head.as_bytes()).is_err() {
            return;
        }
        if method != "HEAD" {
            let sent = match resp.body {
                Body::Bytes(b) => out.write_all(&b).map(|_| b.len() as u64),
                Body::File(p, start, len) => {
                    let mut f = std::fs::File::open(p).unwrap();
                    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(start)).unwrap();
                    std::io::copy(&mut f.take(len), &mut out)
                }
            };
            match sent {
                Ok(n) => {
                    counters.bytes.fetch_add(n, Ordering::SeqCst);
                }
                Err(_) => return,
            }
        }
        out.flush().ok();
        if resp.body_len.is_none() || resp.close {
            return;
        }
    }
}

enum Body {
    Bytes(Vec<u8>),
    File(PathBuf, u64, u64),
}

struct Resp {
    status: &'static str,
    headers: Vec<(String, String)>,
    body: Body,
    /// The `content-length` sent (`None`: none, and the connection closes after the body).
    body_len: Option<u64>,
    /// Close the connection after this answer (a declared length that is a lie).
    close: bool,
}

fn text(status: &'static str, ctype: &str, body: Vec<u8>) -> Resp {
    let n = body.len() as u64;
    Resp {
        status,
        headers: vec![("content-type".into(), ctype.into())],
        body: Body::Bytes(body),
        body_len: Some(n),
        close: false,
    }
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` against `len`: `Some(Ok((start, end_inclusive)))`,
/// `Some(Err(()))` for unsatisfiable, `None` for a header we do not take as a range.
fn parse_range(h: &str, len: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = h.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 || len == 0 {
            return Some(Err(()));
        }
        return Some(Ok((len.saturating_sub(n), len - 1)));
    }
    let a: u64 = a.parse().ok()?;
    let b: u64 = if b.is_empty() {
        len.saturating_sub(1)
    } else {
        b.parse().ok()?
    };
    if a >= len || b < a {
        return Some(Err(()));
    }
    Some(Ok((a, b.min(len - 1))))
}

fn respond(served: &Served, method: &str, path: &str, accept: &str, range: Option<&str>) -> Resp {
    if let Mode::Hostile(map) = &served.mode {
        return match map.get(path) {
            Some(c) => Resp {
                status: c.status,
                headers: c.headers.clone(),
                body: Body::Bytes(c.body.clone()),
                body_len: c.length,
                close: c.length != Some(c.body.len() as u64),
            },
            None => text("404 Not Found", "text/plain", b"not found".to_vec()),
        };
    }
    if method != "GET" && method != "HEAD" {
        return text("405 Method Not Allowed", "text/plain", Vec::new());
    }
    if let Some(rest) = path.strip_prefix("/simple/") {
        let project = rest.trim_end_matches('/');
        let files: Vec<_> = served
            .files
            .iter()
            .filter(|(n, ..)| project_of(n) == project)
            .collect();
        if files.is_empty() || project.contains('/') {
            return text("404 Not Found", "text/plain", b"no such project".to_vec());
        }
        let json = accept.contains("application/vnd.pypi.simple.v1+json")
            && !matches!(served.mode, Mode::HtmlOnly);
        if json {
            let list: Vec<String> = files
                .iter()
                .map(|(n, _, sha, len)| {
                    format!(
                        "{{\"filename\":\"{n}\",\"url\":\"../../files/{n}\",\"hashes\":{{\"sha256\":\"{sha}\"}},\"requires-python\":\">=3.9\",\"size\":{len},\"yanked\":false}}"
                    )
                })
                .collect();
            let body = format!(
                "{{\"meta\":{{\"api-version\":\"1.1\"}},\"name\":\"{project}\",\"files\":[{}]}}",
                list.join(",")
            );
            return text(
                "200 OK",
                "application/vnd.pypi.simple.v1+json",
                body.into_bytes(),
            );
        }
        let mut body = format!(
            "<!DOCTYPE html>\n<html><head><title>Links for {project}</title></head><body>\n"
        );
        for (n, _, sha, _) in &files {
            body.push_str(&format!(
                "<a href=\"/files/{n}#sha256={sha}\" data-requires-python=\"&gt;=3.9\">{n}</a><br/>\n"
            ));
        }
        body.push_str("</body></html>\n");
        return text("200 OK", "text/html", body.into_bytes());
    }
    if let Some(name) = path.strip_prefix("/files/") {
        let Some((_, p, _, len)) = served.files.iter().find(|(n, ..)| n == name) else {
            return text("404 Not Found", "text/plain", b"no such file".to_vec());
        };
        let len = *len;
        let whole = Resp {
            status: "200 OK",
            headers: vec![
                ("content-type".into(), "application/octet-stream".into()),
                ("accept-ranges".into(), "bytes".into()),
            ],
            body: Body::File(p.clone(), 0, len),
            body_len: Some(len),
            close: false,
        };
        if matches!(served.mode, Mode::RefuseRanges) {
            let mut w = whole;
            w.headers.pop();
            return w;
        }
        return match range.and_then(|r| parse_range(r, len)) {
            None => whole,
            Some(Err(())) => Resp {
                status: "416 Range Not Satisfiable",
                headers: vec![("content-range".into(), format!("bytes */{len}"))],
                body: Body::Bytes(Vec::new()),
                body_len: Some(0),
                close: false,
            },
            Some(Ok((a, b))) => Resp {
                status: "206 Partial Content",
                headers: vec![
                    ("content-type".into(), "application/octet-stream".into()),
                    ("content-range".into(), format!("bytes {a}-{b}/{len}")),
                ],
                body: Body::File(p.clone(), a, b - a + 1),
                body_len: Some(b - a + 1),
                close: false,
            },
        };
    }
    text("404 Not Found", "text/plain", b"not found".to_vec())
}

/// The directory of real wheels for the index tests:
/// `${ABI_DOCTOR_CACHE:-~/.cache/abi-doctor}/index-wheels`.
pub fn wheels_dir() -> PathBuf {
    std::env::var_os("ABI_DOCTOR_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::venv::home().join(".cache/abi-doctor"))
        .join("index-wheels")
}

static DOWNLOAD: Mutex<()> = Mutex::new(());

/// The CPython 3.11 manylinux2014 x86_64 wheels of `specs` (`pandas==2.2.3`; a pure-Python
/// project's `py3-none-any` wheel), downloaded from
/// PyPI into [`wheels_dir`] when missing (`pip download --no-deps --only-binary=:all:`). `Err`
/// says what is missing (PyPI unreachable, pip failed) for `support::require`.
pub fn index_wheels(specs: &[&str]) -> Result<Vec<PathBuf>, String> {
    let _g = DOWNLOAD.lock().unwrap_or_else(|e| e.into_inner());
    let dir = wheels_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = Vec::new();
    for spec in specs {
        let (name, version) = spec
            .split_once("==")
            .ok_or_else(|| format!("{spec:?}: want name==version"))?;
        let prefix = format!("{}-{version}-", name.replace('-', "_"));
        // The cp311 x86_64 wheel, or the pure-Python one for a pure project.
        let find = || -> Option<PathBuf> {
            std::fs::read_dir(&dir)
                .ok()?
                .flatten()
                .map(|e| e.path())
                .find(|p| {
                    p.file_name().is_some_and(|n| {
                        let n = n.to_string_lossy();
                        n.starts_with(&prefix)
                            && n.ends_with(".whl")
                            && ((n.contains("-cp311-cp311-") && n.contains("x86_64"))
                                || n.ends_with("-none-any.whl"))
                    })
                })
        };
        if let Some(p) = find() {
            out.push(p);
            continue;
        }
        super::pypi_reachable()?;
        let python =
            super::find_python("3.11").or_else(|_| Ok::<_, String>(PathBuf::from("python3")))?;
        let tmp = tempfile::tempdir_in(&dir).map_err(|e| e.to_string())?;
        super::venv::run(
            Command::new(&python)
                .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:"])
                .args([
                    "--platform",
                    "manylinux2014_x86_64",
                    "--python-version",
                    "3.11",
                ])
                .args(["--implementation", "cp", "--abi", "cp311", "-d"])
                .arg(tmp.path())
                .arg(spec),
        )?;
        for e in std::fs::read_dir(tmp.path())
            .map_err(|e| e.to_string())?
            .flatten()
        {
            let dest = dir.join(e.file_name());
            std::fs::rename(e.path(), &dest).map_err(|e| e.to_string())?;
        }
        out.push(
            find()
                .ok_or_else(|| format!("pip download {spec} gave no cp311 x86_64 or pure wheel"))?,
        );
    }
    Ok(out)
}
