//! The index reader against a real local index serving real wheels (tests/support/index_server.rs),
//! and once against PyPI itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use abi_doctor::index::tags::{best_wheel, Target};
use abi_doctor::index::{Client, DistFile, IndexConfig, IndexError, WheelFacts};
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use support::index_server::{index_wheels, Canned, IndexServer, Mode};

const PANDAS_NEW: &str = "pandas==2.2.3";
const PANDAS_OLD: &str = "pandas==2.1.4";
const NUMPY: &str = "numpy==2.0.2";
/// A pure-Python wheel (no compiled members).
const PURE: &str = "six==1.16.0";

fn wheels(specs: &[&str]) -> Option<Vec<PathBuf>> {
    support::require(
        index_wheels(specs),
        "real wheels from PyPI in the index-wheels cache",
    )
}

fn config(index_url: String) -> IndexConfig {
    IndexConfig {
        index_url,
        source: "test".to_string(),
        ..IndexConfig::default()
    }
}

fn note(line: String) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn file_named<'a>(files: &'a [DistFile], version: &str) -> &'a DistFile {
    files
        .iter()
        .find(|f| f.version == version)
        .unwrap_or_else(|| panic!("no {version} in {files:#?}"))
}

/// The NumPy ABI version the member says it was built with, 1.x headers or 2.x headers.
fn abi_major(f: &WheelFacts) -> u32 {
    let (_, m) = f
        .numpy_member()
        .unwrap_or_else(|| panic!("no NumPy member: {f:#?}"));
    m.numpy.abi_version.expect("an ABI version") >> 24
}

/// The same member read from the local copy of the wheel, in full.
fn local_member(path: &Path, member: &str) -> abi_doctor::binary::BinaryFacts {
    let c = abi_doctor::wheel::inspect_wheel(path).unwrap();
    let m = c.members.into_iter().find(|m| m.name == member).unwrap();
    m.facts.unwrap()
}

#[test]
fn project_pages_list_the_same_files_as_json_and_html() {
    let Some(w) = wheels(&[PANDAS_NEW, PANDAS_OLD, NUMPY]) else {
        return;
    };
    let json = IndexServer::start(&w, Mode::Ranges);
    let html = IndexServer::start(&w, Mode::HtmlOnly);
    let a = Client::new(config(json.index_url()), None).unwrap();
    let b = Client::new(config(html.index_url()), None).unwrap();
    let pa = a.project("Pandas").unwrap();
    let pb = b.project("pandas").unwrap();
    assert_eq!(pa.name, "pandas");
    assert_eq!(pa.files.len(), 2, "{pa:#?}");
    let key = |p: &abi_doctor::index::Project| {
        let mut v: Vec<_> = p
            .files
            .iter()
            .map(|f| {
                (
                    f.filename.clone(),
                    f.url.clone(),
                    f.sha256.clone(),
                    f.version.clone(),
                )
            })
            .collect();
        v.sort();
        v
    };
    // Same files, hashes and versions; URLs differ only by the server's port.
    let ka = key(&pa);
    let kb = key(&pb);
    for (x, y) in ka.iter().zip(&kb) {
        assert_eq!((&x.0, &x.2, &x.3), (&y.0, &y.2, &y.3));
        assert!(x.1.starts_with(&json.url("/files/")), "{}", x.1);
        assert!(y.1.starts_with(&html.url("/files/")), "{}", y.1);
    }
    for f in &pa.files {
        let local = w
            .iter()
            .find(|p| p.file_name().unwrap() == f.filename.as_str())
            .unwrap();
        assert_eq!(
            f.sha256.as_deref(),
            Some(support::index_server::sha256_of(local).as_str())
        );
        assert_eq!(f.size, Some(std::fs::metadata(local).unwrap().len()));
        assert_eq!(f.requires_python.as_deref(), Some(">=3.9"));
        assert!(f.wheel.is_some());
    }
    assert!(
        pb.files.iter().all(|f| f.size.is_none()),
        "HTML carries no sizes"
    );
    assert_eq!(pa.versions(), ["2.1.4", "2.2.3"]);
    assert!(matches!(
        a.project("no-such-project"),
        Err(IndexError::NotFound { .. })
    ));
    assert_eq!(a.stats().requests, 2);
}

#[test]
fn best_wheel_for_cp311_manylinux_2_17() {
    let Some(w) = wheels(&[PANDAS_NEW, PANDAS_OLD]) else {
        return;
    };
    let server = IndexServer::start(&w, Mode::Ranges);
    let c = Client::new(config(server.index_url()), None).unwrap();
    let p = c.project("pandas").unwrap();
    let t = Target::parse("3.11", "x86_64-manylinux_2_17").unwrap();
    let best = best_wheel(&p.files, &t).unwrap();
    assert_eq!(best.version, "2.2.3", "the newest version that fits");
    let old_files = p.files_of("2.1.4");
    let old = best_wheel(&old_files, &t).unwrap();
    assert_eq!(old.version, "2.1.4");
    for other in ["3.12", "3.10"] {
        let t = Target::parse(other, "x86_64-manylinux_2_17").unwrap();
        assert!(
            best_wheel(&p.files, &t).is_none(),
            "cp311 wheels do not fit {other}"
        );
    }
    let older_glibc = Target::parse("3.11", "x86_64-manylinux_2_12").unwrap();
    assert!(best_wheel(&p.files, &older_glibc).is_none());
    let arm = Target::parse("3.11", "aarch64-manylinux_2_28").unwrap();
    assert!(best_wheel(&p.files, &arm).is_none());
}

#[test]
fn remote_file_reads_match_the_local_bytes() {
    let Some(w) = wheels(&[PANDAS_NEW]) else {
        return;
    };
    let server = IndexServer::start(&w, Mode::Ranges);
    let c = Client::new(config(server.index_url()), None).unwrap();
    let p = c.project("pandas").unwrap();
    let mut rf = c.open(&p.files[0]).unwrap();
    let local = std::fs::read(&w[0]).unwrap();
    assert_eq!(rf.len(), local.len() as u64);
    assert_eq!(rf.stats().requests, 1, "one suffix read to open");
    for (at, n) in [
        (0u64, 100usize),
        (5_000_000, 300_000),
        (local.len() as u64 - 10, 10),
        (1, 1),
    ] {
        rf.seek(SeekFrom::Start(at)).unwrap();
        let mut buf = vec![0; n];
        rf.read_exact(&mut buf).unwrap();
        assert_eq!(buf, &local[at as usize..at as usize + n], "at {at}");
    }
    rf.seek(SeekFrom::End(0)).unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(rf.read(&mut buf).unwrap(), 0, "end of file");
    assert!(rf
        .seek(SeekFrom::Current(-(local.len() as i64) - 1))
        .is_err());
    let s = rf.stats();
    assert!(s.bytes < local.len() as u64 / 4, "{s:?}");
    assert!(rf.notes().is_empty());
    let log = server.log.lock().unwrap().clone();
    assert!(log.iter().any(|l| l.contains("Range: bytes=-")), "{log:?}");
    // The test server itself: 416 for a range past the end, 206 for a suffix.
    let raw = |range: &str| {
        let mut s = std::net::TcpStream::connect(server.addr).unwrap();
        let path = p.files[0].url.trim_start_matches(&server.url(""));
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nRange: {range}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut head = [0u8; 64];
        s.read_exact(&mut head).unwrap();
        String::from_utf8_lossy(&head).into_owned()
    };
    assert!(raw(&format!("bytes={}-", local.len())).starts_with("HTTP/1.1 416"));
    assert!(raw("bytes=-10").starts_with("HTTP/1.1 206"));
}

#[test]
fn range_reads_learn_the_build_numpy_of_pandas_wheels() {
    let Some(w) = wheels(&[PANDAS_NEW, PANDAS_OLD]) else {
        return;
    };
    let server = IndexServer::start(&w, Mode::Ranges);
    let cache = tempfile::tempdir().unwrap();
    let c = Client::new(config(server.index_url()), Some(cache.path().to_path_buf())).unwrap();
    let p = c.project("pandas").unwrap();
    let mut majors = BTreeMap::new();
    for version in ["2.2.3", "2.1.4"] {
        let f = file_named(&p.files, version);
        let before = (server.requests(), server.bytes());
        let started = std::time::Instant::now();
        let facts = c.wheel_facts(f).unwrap();
        let (req, bytes) = (server.requests() - before.0, server.bytes() - before.1);
        let size = f.size.unwrap();
        note(format!(
            "local index: {} facts in {req} requests, {bytes} bytes of {size} ({:.1}%), {:.2}s; \
             member {} after {} of {} compiled members",
            f.filename,
            bytes as f64 * 100.0 / size as f64,
            started.elapsed().as_secs_f64(),
            facts.numpy_member().map(|m| m.0.as_str()).unwrap_or("-"),
            facts.members.len(),
            facts.binaries
        ));
        assert_eq!(facts.cost.requests, req);
        assert!(bytes < size / 10, "{bytes} bytes of a {size}-byte wheel");
        assert!(req <= 12, "{req} requests");
        assert!(facts.notes.is_empty(), "{:?}", facts.notes);
        assert!(
            facts.requires_dist.iter().any(|r| r.starts_with("numpy")),
            "{:?}",
            facts.requires_dist
        );
        // What the remote read says equals what reading the local wheel in full says.
        let (name, remote) = facts.numpy_member().unwrap();
        let local_path = w
            .iter()
            .find(|x| x.file_name().unwrap() == f.filename.as_str())
            .unwrap();
        assert_eq!(remote, &local_member(local_path, name));
        majors.insert(version, abi_major(&facts));
    }
    // pandas 2.2.3 was built against NumPy 2 headers, 2.1.4 against NumPy 1.
    assert_eq!(majors["2.2.3"], 2, "{majors:?}");
    assert_eq!(majors["2.1.4"], 1, "{majors:?}");
    assert_eq!(c.stats().cache_hits, 0);
    assert!(cache.path().join("index/facts").read_dir().unwrap().count() == 2);
}

#[test]
fn cached_facts_cost_no_requests_and_serve_offline() {
    let Some(w) = wheels(&[PANDAS_NEW]) else {
        return;
    };
    let server = IndexServer::start(&w, Mode::Ranges);
    let cache = tempfile::tempdir().unwrap();
    let dir = Some(cache.path().to_path_buf());
    let c = Client::new(config(server.index_url()), dir.clone()).unwrap();
    let p = c.project("pandas").unwrap();
    let first = c.wheel_facts(&p.files[0]).unwrap();
    assert!(!first.from_cache);
    let sha = p.files[0].sha256.clone().unwrap();
    assert!(cache
        .path()
        .join(format!("index/facts/{sha}.json"))
        .is_file());

    let before = server.requests();
    let again = Client::new(config(server.index_url()), dir.clone()).unwrap();
    let second = again.wheel_facts(&p.files[0]).unwrap();
    assert_eq!(server.requests(), before, "a cache hit sends no request");
    assert!(second.from_cache);
    assert_eq!(second.members, first.members);
    assert_eq!(again.stats().cache_hits, 1);
    assert_eq!(again.stats().requests, 0);

    let offline = IndexConfig {
        offline: true,
        offline_source: Some("ABI_DOCTOR_OFFLINE".into()),
        ..config(server.index_url())
    };
    let off = Client::new(offline.clone(), dir).unwrap();
    assert_eq!(off.wheel_facts(&p.files[0]).unwrap().members, first.members);
    let e = off.project("pandas").unwrap_err();
    assert!(matches!(e, IndexError::Offline { .. }), "{e}");
    let mut unknown = p.files[0].clone();
    unknown.sha256 = Some("0".repeat(64));
    let e = off.wheel_facts(&unknown).unwrap_err().to_string();
    assert!(
        e.contains("offline (ABI_DOCTOR_OFFLINE)") && e.contains("not in the wheel-facts cache"),
        "{e}"
    );
    assert!(off.open(&p.files[0]).is_err());
    assert_eq!(server.requests(), before);
    assert_eq!(off.stats().requests, 0);
}

#[test]
fn a_server_refusing_ranges_gives_the_whole_file_and_a_note() {
    let Some(w) = wheels(&[PANDAS_NEW, PANDAS_OLD]) else {
        return;
    };
    let server = IndexServer::start(&w, Mode::RefuseRanges);
    let c = Client::new(config(server.index_url()), None).unwrap();
    let p = c.project("pandas").unwrap();
    let new = file_named(&p.files, "2.2.3");
    let facts = c.wheel_facts(new).unwrap();
    assert_eq!(abi_major(&facts), 2);
    let host = server.addr.to_string();
    assert!(
        facts.notes.iter().any(|n| n.starts_with(&format!(
            "{host} refused range requests; downloaded the whole file ("
        ))),
        "{:?}",
        facts.notes
    );
    let s = c.stats();
    assert_eq!((s.ranges_refused, s.full_downloads), (1, 1), "{s:?}");
    // The host is remembered: the next file is asked for whole, without a Range header.
    let before = server
        .counters
        .ranged
        .load(std::sync::atomic::Ordering::SeqCst);
    let old = c.wheel_facts(file_named(&p.files, "2.1.4")).unwrap();
    assert_eq!(abi_major(&old), 1);
    assert_eq!(
        server
            .counters
            .ranged
            .load(std::sync::atomic::Ordering::SeqCst),
        before
    );
    let s = c.stats();
    assert_eq!((s.ranges_refused, s.full_downloads), (1, 2), "{s:?}");
    assert_eq!(old.cost.requests, 1);
}

#[test]
fn hostile_servers_give_errors_naming_the_url() {
    let Some(w) = wheels(&[PANDAS_NEW]) else {
        return;
    };
    let wheel = std::fs::read(&w[0]).unwrap();
    let mut bodies = BTreeMap::new();
    let json = "application/vnd.pypi.simple.v1+json";
    let mut put = |path: &str, c: Canned| {
        bodies.insert(path.to_string(), c);
    };
    put(
        "/simple/garbage/",
        Canned::ok(json, b"{\"files\": [tru".to_vec()),
    );
    put(
        "/simple/notalist/",
        Canned::ok(json, b"{\"files\": 7}".to_vec()),
    );
    put(
        "/simple/huge/",
        Canned::ok("text/html", vec![b'<'; (64 << 20) + 1]),
    );
    // No content-length: the cap stops the read, not the header.
    let mut endless = Canned::ok("text/html", vec![b' '; (64 << 20) + 4096]);
    endless.length = None;
    put("/simple/endless/", endless);
    // Says 1,000 bytes, sends 10 and closes.
    let mut short = Canned::ok(json, b"{\"files\":[".to_vec());
    short.length = Some(1000);
    put("/simple/short/", short);
    put(
        "/simple/binary/",
        Canned::ok("application/octet-stream", vec![0xff; 100]),
    );
    put(
        "/files/truncated.whl",
        Canned::ok(
            "application/octet-stream",
            wheel[..wheel.len() / 2].to_vec(),
        ),
    );
    // A 206 for a range other than the one asked for.
    let mut wrong = Canned::ok("application/octet-stream", wheel[..100].to_vec());
    wrong.status = "206 Partial Content";
    wrong.headers.push((
        "content-range".into(),
        format!("bytes 0-99/{}", wheel.len()),
    ));
    put("/files/wrong-range.whl", wrong);
    let server = IndexServer::start(&[], Mode::Hostile(bodies));
    let c = Client::new(config(server.index_url()), None).unwrap();
    for (name, want) in [
        ("garbage", "not JSON"),
        ("notalist", "no \"files\" list"),
        ("huge", "larger than the"),
        ("endless", "larger than the"),
        ("short", "/simple/short/: "),
        ("binary", "not UTF-8"),
    ] {
        let e = c.project(name).unwrap_err().to_string();
        let url = server.url(&format!("/simple/{name}/"));
        assert!(e.contains(&url) && e.contains(want), "{name}: {e}");
    }
    let url = server.url("/files/truncated.whl");
    let file = DistFile::from_filename(
        "pandas-2.2.3-cp311-cp311-manylinux_2_17_x86_64.whl",
        &url,
        "pandas",
    );
    let e = c.wheel_facts(&file).unwrap_err().to_string();
    assert!(
        e.contains(&url) && e.contains("not a readable wheel"),
        "{e}"
    );
    // (A fresh client: the one above has learnt that this host refuses ranges.)
    let c = Client::new(config(server.index_url()), None).unwrap();
    let url = server.url("/files/wrong-range.whl");
    let file = DistFile::from_filename("pandas-2.2.3-cp311-cp311-win_amd64.whl", &url, "pandas");
    let e = c.wheel_facts(&file).unwrap_err().to_string();
    assert!(e.contains(&url) && e.contains("content-range"), "{e}");

    // A wheel cut short on a server that does ranges: the end record is missing.
    let t = tempfile::tempdir().unwrap();
    let cut = t
        .path()
        .join("pandas-2.2.3-cp311-cp311-manylinux_2_17_x86_64.whl");
    std::fs::write(&cut, &wheel[..wheel.len() - 1000]).unwrap();
    let ranged = IndexServer::start(&[cut], Mode::Ranges);
    let c = Client::new(config(ranged.index_url()), None).unwrap();
    let p = c.project("pandas").unwrap();
    let e = c.wheel_facts(&p.files[0]).unwrap_err().to_string();
    assert!(e.contains(&p.files[0].url) && e.contains("zip"), "{e}");
    // An unreachable index names its URL too.
    let dead = Client::new(config("http://127.0.0.1:9/simple".to_string()), None).unwrap();
    let e = dead.project("pandas").unwrap_err().to_string();
    assert!(e.contains("http://127.0.0.1:9/simple/pandas/"), "{e}");
}

#[test]
fn the_configured_proxy_carries_the_requests_and_no_proxy_bypasses_it() {
    let Some(w) = wheels(&[PANDAS_NEW]) else {
        return;
    };
    let server = IndexServer::start(&w, Mode::Ranges);
    // A host that does not resolve: only the proxy can reach it.
    let mut vars: BTreeMap<String, std::ffi::OsString> = BTreeMap::new();
    vars.insert("PIP_CONFIG_FILE".into(), "/dev/null".into());
    vars.insert("PIP_INDEX_URL".into(), "http://index.invalid/simple".into());
    vars.insert("HTTPS_PROXY".into(), server.url("").into());
    let cfg = IndexConfig::from_env(&vars);
    assert_eq!(cfg.proxy.as_deref(), Some(server.url("").as_str()));
    let c = Client::new(cfg.clone(), None).unwrap();
    let p = c.project("pandas").unwrap();
    assert!(
        p.files[0].url.starts_with("http://index.invalid/files/"),
        "{}",
        p.files[0].url
    );
    let facts = c.wheel_facts(&p.files[0]).unwrap();
    assert_eq!(abi_major(&facts), 2);
    let log = server.log.lock().unwrap().clone();
    assert!(
        log.iter()
            .any(|l| l.starts_with("CONNECT index.invalid:80")),
        "{log:?}"
    );

    vars.insert("NO_PROXY".into(), "localhost,.invalid".into());
    let direct = Client::new(IndexConfig::from_env(&vars), None).unwrap();
    let e = direct.project("pandas").unwrap_err().to_string();
    assert!(e.contains("http://index.invalid/simple/pandas/"), "{e}");
}

#[test]
fn extra_indexes_are_merged_after_the_primary() {
    let Some(w) = wheels(&[PANDAS_NEW, PANDAS_OLD, PURE]) else {
        return;
    };
    let primary = IndexServer::start(&w[..1], Mode::Ranges);
    let extra = IndexServer::start(&w, Mode::HtmlOnly);
    let cfg = IndexConfig {
        extra_index_urls: vec![extra.index_url()],
        ..config(primary.index_url())
    };
    let c = Client::new(cfg, None).unwrap();
    let p = c.project("pandas").unwrap();
    let names: Vec<_> = p
        .files
        .iter()
        .map(|f| (f.version.as_str(), f.url.clone()))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names[0].1.starts_with(&primary.url("/")), "{names:?}");
    assert_eq!(names[1].0, "2.1.4");
    assert!(names[1].1.starts_with(&extra.url("/")), "{names:?}");
    // Only the extra index has six; the primary's 404 is not an error.
    let six = c.project("six").unwrap();
    assert_eq!(six.files.len(), 1);
}

#[test]
fn a_pure_python_wheel_fits_every_target_and_has_no_compiled_members() {
    let Some(w) = wheels(&[PURE]) else {
        return;
    };
    let server = IndexServer::start(&w, Mode::Ranges);
    let c = Client::new(config(server.index_url()), None).unwrap();
    let p = c.project("six").unwrap();
    for (py, plat) in [
        ("3.11", "x86_64-manylinux_2_17"),
        ("3.13", "windows"),
        ("3.9", "macos"),
    ] {
        let t = Target::parse(py, plat).unwrap();
        assert!(best_wheel(&p.files, &t).is_some(), "{py} {plat}");
    }
    let f = c.wheel_facts(&p.files[0]).unwrap();
    assert_eq!((f.binaries, f.members.len()), (0, 0), "{f:#?}");
    assert!(f.numpy_member().is_none());
    assert!(f.notes.is_empty(), "{:?}", f.notes);
    assert_eq!(
        f.cost.requests, 1,
        "a small wheel is read whole by the first suffix request"
    );
    assert_eq!(f.cost.bytes, p.files[0].size.unwrap());
}

#[test]
fn the_client_is_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Client>();
    let Some(w) = wheels(&[PANDAS_NEW, PANDAS_OLD]) else {
        return;
    };
    let server = IndexServer::start(&w, Mode::Ranges);
    let c = Client::new(config(server.index_url()), None).unwrap();
    let p = c.project("pandas").unwrap();
    let mut majors: Vec<u32> = std::thread::scope(|s| {
        let hs: Vec<_> = p
            .files
            .iter()
            .map(|f| s.spawn(|| abi_major(&c.wheel_facts(f).unwrap())))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    majors.sort();
    assert_eq!(majors, [1, 2]);
    assert_eq!(c.stats().requests, server.requests());
}

#[test]
fn pypi_pandas_2_2_3_cp311_facts() {
    if support::require(support::pypi_reachable(), "PyPI").is_none() {
        return;
    }
    let env: BTreeMap<_, _> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v)))
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "PIP_NO_INDEX" | "UV_OFFLINE" | "ABI_DOCTOR_OFFLINE"
            )
        })
        .collect();
    let cfg = IndexConfig {
        index_url: "https://pypi.org/simple".to_string(),
        extra_index_urls: Vec::new(),
        ..IndexConfig::from_env(&env)
    };
    let c = Client::new(cfg, None).unwrap();
    let started = std::time::Instant::now();
    let p = c.project("pandas").unwrap();
    let page = c.stats();
    let t = Target::parse("3.11", "x86_64-manylinux_2_17").unwrap();
    let f = best_wheel(&p.files_of("2.2.3"), &t).unwrap().clone();
    let facts = c.wheel_facts(&f).unwrap();
    let s = c.stats();
    note(format!(
        "PyPI: project page {} bytes in {} request; {} facts in {} requests, {} bytes of {} ({:.1}%), {:.2}s in all; member {}",
        page.bytes,
        page.requests,
        f.filename,
        s.requests - page.requests,
        s.bytes - page.bytes,
        f.size.unwrap_or(0),
        (s.bytes - page.bytes) as f64 * 100.0 / f.size.unwrap_or(1) as f64,
        started.elapsed().as_secs_f64(),
        facts.numpy_member().map(|m| m.0.as_str()).unwrap_or("-")
    ));
    assert_eq!(abi_major(&facts), 2);
    assert!(facts.notes.is_empty(), "{:?}", facts.notes);
    assert!(s.bytes - page.bytes < f.size.unwrap() / 10);
}
