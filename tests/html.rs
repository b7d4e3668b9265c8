//! `abi-doctor check --output-format html` on two real environments, loaded in headless Chromium.
//!
//! The environments are Python 3.11 venvs built with pip from PyPI, cached under
//! `${ABI_DOCTOR_CACHE:-$HOME/.cache/abi-doctor}/html/` (keyed by the package list):
//!
//! * broken: pandas 2.1.4 (built against NumPy 1.x) and scipy 1.14.1 (built against NumPy 2),
//!   then `pip install --no-deps numpy==2.0.2`;
//! * healthy: pandas 2.2.3 with numpy 2.0.2.
//!
//! For each, the test takes the JSON report (`--format json`) and the HTML report
//! (`--output-format html`), has Chromium (Debian's package, scripts/ci/install-chromium.sh) load
//! the HTML and dump its DOM, and checks the picture against what the JSON says, worked out here:
//! one bar per NumPy-using distribution with its release lines, the installed-NumPy line inside
//! exactly the bars whose window contains its release line (by the drawn coordinates too), and the
//! overlap band over exactly the lines every window contains. A screenshot of each page is saved
//! under the cache (`html/screenshots/`, not committed) and its path printed.
//!
//! Missing chromium, CPython 3.11 or (for a first build) PyPI: `support::require`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

mod support;

use regex::Regex;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PY: &str = "3.11";

fn cache_dir() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    std::env::var_os("ABI_DOCTOR_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".cache/abi-doctor"))
        .join("html")
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{cmd:?}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The cached venv `name`, built once with `pip install --only-binary=:all:` for each step in
/// order (atomically renamed into place). `None` when a prerequisite is missing.
fn venv(name: &str, steps: &[&[&str]]) -> Option<PathBuf> {
    let python = support::require(support::find_python(PY), &format!("CPython {PY}"))?;
    let dir = cache_dir().join(name);
    if dir.join("ready").exists() {
        return Some(dir);
    }
    support::require(
        support::pypi_reachable(),
        &format!("network access to PyPI (to build {} once)", dir.display()),
    )?;
    std::fs::create_dir_all(cache_dir()).unwrap();
    let tmp = cache_dir().join(format!(".{name}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    run(Command::new(&python).arg("-m").arg("venv").arg(&tmp)).unwrap();
    for step in steps {
        let r = run(Command::new(tmp.join("bin/python"))
            .args(["-m", "pip", "install", "--disable-pip-version-check"])
            .arg("--only-binary=:all:")
            .args(*step));
        if let Err(e) = r {
            let _ = std::fs::remove_dir_all(&tmp);
            panic!("building {}: {e}", dir.display());
        }
    }
    std::fs::write(tmp.join("ready"), b"").unwrap();
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp); // another test process finished first
    }
    Some(dir)
}

/// Run chromium headless on `args` with a fresh profile; stdout. Killed after two minutes.
fn chromium(chromium: &Path, args: &[String]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut s).unwrap();
        s
    });
    let start = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            assert!(st.success(), "chromium {args:?}: {st}");
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium {args:?}: no answer in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().unwrap()
}

fn attrs(tag: &str) -> BTreeMap<String, String> {
    let re = Regex::new(r#"([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"]*)""#).unwrap();
    re.captures_iter(tag)
        .map(|c| (c[1].to_string(), unescape(&c[2])))
        .collect()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn num(a: &BTreeMap<String, String>, k: &str) -> f64 {
    a.get(k)
        .unwrap_or_else(|| panic!("no {k} in {a:?}"))
        .parse()
        .unwrap()
}

/// (x, x + width) of every `<rect>` in `html` whose class attribute matches `class` (a regex).
fn spans(html: &str, class: &str) -> Vec<(f64, f64)> {
    let re = Regex::new(&format!(r#"<rect class="(?:{class})"[^>]*>"#)).unwrap();
    re.find_iter(html)
        .map(|m| {
            let a = attrs(m.as_str());
            (num(&a, "x"), num(&a, "x") + num(&a, "width"))
        })
        .collect()
}

fn lines_where(lines: &[String], ok: &[bool]) -> String {
    lines
        .iter()
        .zip(ok)
        .filter(|(_, b)| **b)
        .map(|(l, _)| l.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn bools(v: &Value) -> Vec<bool> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_bool().unwrap())
        .collect()
}

/// Render `env`'s reports, load the HTML in chromium, check the DOM against the JSON; returns
/// the number of failing distributions the JSON names.
fn check_scenario(chrome: &Path, name: &str, env: &Path) -> usize {
    let bin = env!("CARGO_BIN_EXE_abi-doctor");
    let json_out = Command::new(bin)
        .args(["check", "--format", "json", "--env"])
        .arg(env)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&json_out.stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: JSON report: {e}\n{}",
            String::from_utf8_lossy(&json_out.stderr)
        )
    });
    let html_out = Command::new(bin)
        .args(["check", "--output-format", "html", "--env"])
        .arg(env)
        .output()
        .unwrap();
    assert_eq!(
        html_out.status.code(),
        json_out.status.code(),
        "{name}: the HTML report exits like the JSON one"
    );
    let out_dir = cache_dir().join("screenshots");
    std::fs::create_dir_all(&out_dir).unwrap();
    let page = out_dir.join(format!("{name}.html"));
    std::fs::write(&page, &html_out.stdout).unwrap();
    let url = format!("file://{}", page.display());

    // What the JSON says, worked out here.
    let w = &report["windows"];
    let lines: Vec<String> = w["release_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    let version = report["numpy"]["version"].as_str().unwrap();
    let mm: Vec<&str> = version.split('.').take(2).collect();
    let installed = mm.join(".");
    let installed_i = lines
        .iter()
        .position(|l| *l == installed)
        .unwrap_or_else(|| panic!("{name}: NumPy {version}'s line {installed} not in {lines:?}"));
    assert_eq!(w["installed_line"], installed.as_str());
    let dists = w["distributions"].as_array().unwrap();
    assert!(!dists.is_empty(), "{name}: pandas uses NumPy");
    let mut overlap = vec![true; lines.len()];
    let mut expected: BTreeMap<String, (String, bool, usize)> = BTreeMap::new();
    for d in dists {
        let under = bools(&d["imports_under"]);
        assert_eq!(under.len(), lines.len());
        for (o, u) in overlap.iter_mut().zip(&under) {
            *o &= *u;
        }
        expected.insert(
            d["distribution"].as_str().unwrap().to_string(),
            (
                lines_where(&lines, &under),
                under[installed_i],
                d["failing_modules"].as_array().unwrap().len(),
            ),
        );
    }
    assert_eq!(bools(&w["overlap"]), overlap, "{name}: overlap in the JSON");
    // The findings agree: a distribution fails exactly when its window excludes the installed
    // line, with as many modules as it has error findings.
    let mut errors: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in report["findings"].as_array().unwrap() {
        if f["severity"] == "error" {
            errors
                .entry(f["distribution"].as_str().unwrap_or("").to_string())
                .or_default()
                .insert(f["module"].as_str().unwrap_or("").to_string());
        }
    }
    for (dist, (_, inside, failing)) in &expected {
        let n = errors.get(dist).map_or(0, BTreeSet::len);
        assert_eq!((*inside, *failing), (n == 0, n), "{name}: {dist}");
    }
    assert!(
        errors.keys().all(|d| expected.contains_key(d)),
        "{name}: every failing distribution has a bar: {errors:?}"
    );

    // What Chromium built from the HTML.
    let dom = chromium(chrome, &["--dump-dom".into(), url.clone()]);
    assert!(
        dom.contains("id=\"windows-svg\""),
        "{name}: no picture in\n{dom}"
    );
    // Tick label x per release line.
    let tick = Regex::new(r#"<text class="tick" x="([0-9.]+)"[^>]*>([0-9.]+)</text>"#).unwrap();
    let mut mid: BTreeMap<String, f64> = BTreeMap::new();
    for c in tick.captures_iter(&dom) {
        mid.insert(c[2].to_string(), c[1].parse().unwrap());
    }
    assert_eq!(mid.len(), lines.len(), "{name}: one tick per release line");
    let inst_tag = Regex::new(r#"<g id="installed"[^>]*>"#)
        .unwrap()
        .find(&dom)
        .unwrap_or_else(|| panic!("{name}: no installed-NumPy line"));
    let inst = attrs(inst_tag.as_str());
    assert_eq!(inst["data-line"], installed, "{name}");
    assert_eq!(inst["data-version"], version, "{name}");
    let x = num(&inst, "data-x");
    assert_eq!(x, mid[&installed], "{name}: the line sits on its tick");
    let line_tag = Regex::new(r#"<line class="installed"[^>]*>"#)
        .unwrap()
        .find(&dom)
        .unwrap();
    assert_eq!(num(&attrs(line_tag.as_str()), "x1"), x);

    let bar = Regex::new(r#"(?s)<g class="row dist[^"]*"[^>]*>.*?</g>"#).unwrap();
    let mut seen = BTreeMap::new();
    for m in bar.find_iter(&dom) {
        let a = attrs(&m.as_str()[..m.as_str().find('>').unwrap()]);
        let dist = a["data-dist"].clone();
        let inside = spans(m.as_str(), "bar ok|bar fail")
            .iter()
            .any(|(lo, hi)| *lo <= x && x <= *hi);
        seen.insert(
            dist,
            (a["data-lines"].clone(), inside, a["data-failing"].clone()),
        );
    }
    assert_eq!(
        seen.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "{name}: one bar per NumPy-using distribution"
    );
    for (dist, (lines_drawn, inside, failing)) in &seen {
        let (want_lines, want_inside, want_failing) = &expected[dist];
        assert_eq!(lines_drawn, want_lines, "{name}: {dist}'s window");
        assert_eq!(
            inside, want_inside,
            "{name}: installed line inside {dist}'s bar"
        );
        assert_eq!(failing, &want_failing.to_string(), "{name}: {dist}");
    }

    let band_tag = Regex::new(r#"<g id="overlap"[^>]*>"#)
        .unwrap()
        .find(&dom)
        .unwrap();
    assert_eq!(
        attrs(band_tag.as_str())["data-lines"],
        lines_where(&lines, &overlap),
        "{name}: overlap band"
    );
    let band = spans(&dom, "band");
    for (i, l) in lines.iter().enumerate() {
        let covered = band.iter().any(|(lo, hi)| *lo <= mid[l] && mid[l] <= *hi);
        assert_eq!(covered, overlap[i], "{name}: band over {l}");
    }
    if overlap.iter().all(|b| !b) {
        assert!(dom.contains("class=\"gap-label\""), "{name}: a visible gap");
    }
    // The findings table has one row per finding.
    let table = &dom[dom.find("id=\"findings-table\"").unwrap()..];
    assert_eq!(
        table.matches("<tr class=").count(),
        report["findings"].as_array().unwrap().len(),
        "{name}: findings table"
    );

    let shot = out_dir.join(format!("{name}.png"));
    let _ = std::fs::remove_file(&shot);
    chromium(
        chrome,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1100,900".into(),
            url,
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{name}: screenshot"
    );
    println!("{name}: screenshot {}", shot.display());
    eprintln!("{name}: screenshot {}", shot.display());
    errors.len()
}

#[test]
fn html_report_of_real_environments_in_chromium() {
    let Some(chrome) = support::require(support::find_chromium(), "chromium") else {
        return;
    };
    let Some(broken) = venv(
        "py311-pandas214-scipy1141-numpy202",
        &[
            &["pandas==2.1.4", "scipy==1.14.1"],
            &["--no-deps", "numpy==2.0.2"],
        ],
    ) else {
        return;
    };
    let Some(healthy) = venv(
        "py311-pandas223-numpy202",
        &[&["pandas==2.2.3", "numpy==2.0.2"]],
    ) else {
        return;
    };
    assert!(
        check_scenario(&chrome, "broken-pandas214-scipy1141-numpy202", &broken) >= 1,
        "pandas 2.1.4's binaries fail under NumPy 2.0.2"
    );
    assert_eq!(
        check_scenario(&chrome, "healthy-pandas223-numpy202", &healthy),
        0
    );
}
