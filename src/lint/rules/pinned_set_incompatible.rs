//! NPL009 pinned-set-incompatible: a pinned NumPy sits beside a pin whose wheel was built for a NumPy outside the pin.
//!
//! ## What it detects
//! A requirements or constraints file, or a lock file (pylock.toml, uv.lock, poetry.lock), pins
//! NumPy exactly (`numpy==2.0.2`, or the lock's numpy version) and pins another distribution
//! exactly, and the wheel an installer would pick for that distribution was built for a NumPy
//! the pinned one is outside of. The target Python is, in this order: `python-version` in
//! `[tool.abi-doctor.lint]`, a `python_version` marker on the numpy pin that admits one Python,
//! the `requires-python` of the lock file or of the project (this machine's `python3` when it is
//! admitted, else the oldest admitted), else this machine's `python3` (read from its file name,
//! never run); the platform is this machine's. The wheel is the one the index lists (a lock's
//! own wheel entry for a lock); abi-doctor reads one compiled member that uses NumPy from it by
//! HTTP range requests and predicts its import under the pinned NumPy with the same logic as
//! `abi-doctor check`. Pure-Python wheels are skipped without reading them. The answers are
//! cached (a day; wheel facts for good, by sha256), so a second lint sends no request. Offline
//! (`ABI_DOCTOR_OFFLINE=1`, `UV_OFFLINE`, `PIP_NO_INDEX`, `lint --offline`) the rule is not
//! evaluated and the report says so in a note; an index error for one pin is a note naming it,
//! and the other pins are still checked.
//!
//! ## Why it breaks
//! Exact pins are installed as written. A wheel built against NumPy 1.x headers cannot run under
//! NumPy 2 (its ABI check refuses it), and a wheel built for a newer C-API than the pinned NumPy
//! refuses the older runtime; `pip install -r` or `uv sync` installs both and the first
//! `import` of the package fails. A resolver only sees the wheel's declared `Requires-Dist`,
//! which is missing, uncapped, or overridden (`[tool.uv] override-dependencies`,
//! `pip install --no-deps`).
//!
//! ## Example
//! ```text
//! numpy==2.0.2
//! pandas==2.1.4
//! ```
//! For CPython 3.11, pandas 2.1.4's wheel `pandas-2.1.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl`
//! was built with NumPy 1.x headers: its modules import under `numpy>=1.23,<2` only, and under
//! NumPy 2.0.2 fail with `ImportError: numpy.core.multiarray failed to import`.
//!
//! ## Fix
//! Pin a NumPy inside the window (the newest NumPy with wheels for the target Python is named),
//! or pin a release of the package whose wheel for that Python fits the pinned NumPy: up to four
//! releases after the pinned one are read from the index and the first that fits is named
//! exactly (for the example, on PyPI: `pandas==2.2.2`, the first pandas whose cp311 wheel was built
//! against NumPy 2).
//!
//! ## References
//! abi-doctor docs/numpy-abi.md#abi-version and docs/numpy-abi.md#feature-version (what a binary
//! accepts); docs/index.md#choosing-the-wheel, docs/index.md#reading-a-remote-wheel and
//! docs/index.md#cache-and-offline (how the wheel is chosen and read, what is cached).

use super::{Input, LintRule};
use crate::index::{tags as itags, Client, DistFile};
use crate::knowledge::{knowledge, Release};
use crate::lint::files::{Content, FileRead};
use crate::lint::versions::{pythons, version, Req};
use crate::lint::{LintFinding, Loc};
use crate::preinstall::{self, PinChoice};
use crate::rules::predict;
use crate::rules::Severity;
use sha2::Digest;
use std::path::{Path, PathBuf};

pub const RULE: LintRule = LintRule {
    code: "NPL009",
    name: "pinned-set-incompatible",
    severity: Severity::Error,
    source: include_str!("pinned_set_incompatible.rs"),
    check,
};

/// Releases after the pinned one read for the fix, at most.
const CANDIDATES: usize = 4;
/// How long a cached answer is used (a newer release may appear for the fix).
const CACHE_SECONDS: u64 = 24 * 3600;
/// Bumped when the cached answers' shape or meaning changes.
const CACHE_FORMAT: u32 = 1;

/// One exact pin of a file.
struct Pinned {
    name: String,
    version: String,
    loc: Loc,
    /// A lock's chosen wheel; `None` for requirements files (the index decides).
    wheel: Option<DistFile>,
    /// A lock entry with no wheel for the target.
    no_wheel: bool,
}

/// The pinned set of one file, and where the target Python comes from.
struct PinSet {
    file: String,
    numpy: Pinned,
    others: Vec<Pinned>,
    python: String,
    why_python: String,
}

/// What was found for one pin (cached).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Answer {
    format: u32,
    written: u64,
    tool: String,
    /// `None`: the pin fits (or has no NumPy-using binary).
    found: Option<Found>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Found {
    title: String,
    evidence: Vec<String>,
    fix: String,
}

pub fn check(input: &Input, out: &mut Vec<LintFinding>) {
    let sets: Vec<PinSet> = input
        .files
        .iter()
        .filter_map(|f| pin_set(input, f))
        .collect();
    if sets.is_empty() {
        return;
    }
    let net = match input.network {
        None => {
            note(
                input,
                "NPL009 not evaluated: lint was given no package index".into(),
            );
            return;
        }
        Some(n) => n,
    };
    let client = match &net.client {
        Ok(c) => c,
        Err(why) => {
            note(
                input,
                format!(
                    "NPL009 not evaluated ({why}): it reads the wheels of pinned packages from \
                     the package index; {} not checked",
                    sets.iter()
                        .map(|s| s.file.clone())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            return;
        }
    };
    for set in &sets {
        check_set(input, client, net.cache_dir.as_deref(), set, out);
    }
}

fn note(input: &Input, s: String) {
    let mut n = input.notes.borrow_mut();
    if !n.contains(&s) {
        n.push(s);
    }
}

/// `==X` (one clause, no wildcard) -> `X`.
fn exact(r: &Req) -> Option<String> {
    let s = r.specifier.trim();
    let v = s.strip_prefix("==")?;
    (!v.starts_with('=') && !v.contains(',') && !v.contains('*') && !v.is_empty())
        .then(|| v.trim().to_string())
}

/// The target Python of a file: (X.Y, why), or a note.
fn target_python(
    input: &Input,
    numpy_marker: Option<&Req>,
    requires_python: Option<(String, String)>,
) -> Option<(String, String)> {
    if let Some(v) = &input.config.python_version {
        let line = crate::knowledge::parse_line(v).map(|(a, b)| format!("{a}.{b}"))?;
        return Some((
            line,
            format!("python-version = \"{v}\" in [tool.abi-doctor.lint]"),
        ));
    }
    if let Some(r) = numpy_marker.filter(|r| r.marker.is_some()) {
        let fit: Vec<String> = pythons(None).into_iter().filter(|p| r.applies(p)).collect();
        if let [one] = fit.as_slice() {
            return Some((
                one.clone(),
                format!("the marker of `{}` ({})", r.text, super::at(r)),
            ));
        }
    }
    let host = input.network.and_then(|n| n.host_python.clone());
    if let Some((spec, place)) = requires_python {
        let admitted = pythons(Some(&spec));
        if let Some((hv, hp)) = host.as_ref().filter(|(hv, _)| admitted.contains(hv)) {
            return Some((
                hv.clone(),
                format!("this machine's {hp}, admitted by requires-python `{spec}` ({place})"),
            ));
        }
        if let Some(first) = admitted.first() {
            return Some((
                first.clone(),
                format!("the oldest Python requires-python `{spec}` admits ({place})"),
            ));
        }
    }
    host.map(|(v, p)| (v, format!("this machine's interpreter {p}")))
}

/// The root project's requires-python (a pyproject.toml in the file's directory, else the root).
fn project_requires_python(input: &Input, f: &FileRead) -> Option<(String, String)> {
    let dir = f.path.parent();
    let mut best: Option<(String, String)> = None;
    for g in input.files {
        if let Content::Pyproject(p) = &g.content {
            let Some(rp) = &p.requires_python else {
                continue;
            };
            if g.path.parent() == dir {
                return Some((rp.clone(), g.display.clone()));
            }
            if p.dir_is_root {
                best = Some((rp.clone(), g.display.clone()));
            }
        }
    }
    best
}

fn pin_set(input: &Input, f: &FileRead) -> Option<PinSet> {
    match &f.content {
        Content::Requirements(lines) => {
            let reqs: Vec<&Req> = lines.iter().filter_map(|l| l.req.as_ref()).collect();
            let np = reqs
                .iter()
                .find(|r| r.name == "numpy" && exact(r).is_some())?;
            let others: Vec<&&Req> = reqs
                .iter()
                .filter(|r| r.name != "numpy" && exact(r).is_some())
                .collect();
            if others.is_empty() {
                return None;
            }
            let Some((python, why)) =
                target_python(input, Some(np), project_requires_python(input, f))
            else {
                note(
                    input,
                    format!(
                        "NPL009 not evaluated for {}: no target Python (set python-version in \
                         [tool.abi-doctor.lint], requires-python, or put python3 on PATH)",
                        f.display
                    ),
                );
                return None;
            };
            if !np.applies(&python) {
                return None;
            }
            let pin = |r: &Req| Pinned {
                name: r.name.clone(),
                version: exact(r).unwrap_or_default(),
                loc: r.loc.clone(),
                wheel: None,
                no_wheel: false,
            };
            Some(PinSet {
                file: f.display.clone(),
                numpy: pin(np),
                others: others
                    .into_iter()
                    .filter(|r| r.applies(&python))
                    .map(|r| pin(r))
                    .collect(),
                python,
                why_python: why,
            })
        }
        Content::Lock => lock_set(input, f),
        _ => None,
    }
}

/// The `requires-python` of a lock file (pylock.toml, uv.lock; poetry.lock's
/// `[metadata] python-versions`).
fn lock_requires_python(text: &str) -> Option<String> {
    let doc: toml_edit::DocumentMut = text.parse().ok()?;
    if let Some(s) = doc.get("requires-python").and_then(|v| v.as_str()) {
        return Some(s.to_string());
    }
    let pv = doc
        .get("metadata")?
        .as_table_like()?
        .get("python-versions")?
        .as_str()?;
    // Poetry's `^3.11` / `~3.11` are not PEP 440: the lower bound is what they share.
    let pv = pv.trim();
    Some(
        match pv.strip_prefix('^').or_else(|| pv.strip_prefix('~')) {
            Some(v) => format!(">={v}"),
            None => pv.to_string(),
        },
    )
}

fn lock_set(input: &Input, f: &FileRead) -> Option<PinSet> {
    // Only a lock that pins numpy (a cheap text test before reading it for a target).
    if !f.text.contains("\"numpy\"") {
        return None;
    }
    let rp = lock_requires_python(&f.text)
        .map(|s| (s, f.display.clone()))
        .or_else(|| project_requires_python(input, f));
    let Some((python, why)) = target_python(input, None, rp) else {
        note(
            input,
            format!(
                "NPL009 not evaluated for {}: no target Python (set python-version in \
                 [tool.abi-doctor.lint], or put python3 on PATH)",
                f.display
            ),
        );
        return None;
    };
    let target = preinstall::Target::new(&python, None).ok()?;
    let read = match preinstall::lock::read_lock(Path::new(&f.display), &f.text, &target) {
        Ok(r) => r,
        Err(e) => {
            note(
                input,
                format!("NPL009 not evaluated for {}: {e}", f.display),
            );
            return None;
        }
    };
    let mut numpy = None;
    let mut others = Vec::new();
    for p in read.pins {
        let name = crate::inventory::normalize_name(&p.name);
        let loc = lock_loc(&f.text, &f.display, &p.name, &p.version);
        let (wheel, no_wheel) = match &p.choice {
            PinChoice::Wheel(w) => (
                w.url.as_ref().map(|u| {
                    let mut d = DistFile::from_filename(&w.filename, u, &name);
                    d.sha256 = w.sha256.clone();
                    d.size = w.size;
                    d
                }),
                false,
            ),
            PinChoice::NoWheel { .. } => (None, true),
        };
        let pin = Pinned {
            name: name.clone(),
            version: p.version.clone(),
            loc,
            wheel,
            no_wheel,
        };
        if name == "numpy" {
            numpy = Some(pin);
        } else {
            others.push(pin);
        }
    }
    Some(PinSet {
        file: f.display.clone(),
        numpy: numpy?,
        others,
        python,
        why_python: why,
    })
}

/// The line of a lock entry: `name = "pandas"` followed (within a few lines) by its version.
fn lock_loc(text: &str, file: &str, name: &str, version: &str) -> Loc {
    let lines: Vec<&str> = text.lines().collect();
    let norm = crate::inventory::normalize_name(name);
    let want_v = format!("version = \"{version}\"");
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        let Some(n) = t
            .strip_prefix("name = \"")
            .and_then(|r| r.strip_suffix('"'))
        else {
            continue;
        };
        if crate::inventory::normalize_name(n) != norm {
            continue;
        }
        if lines[i + 1..lines.len().min(i + 4)]
            .iter()
            .any(|x| x.trim() == want_v)
        {
            return Loc {
                file: file.to_string(),
                line: i + 1,
                column: l.len() - l.trim_start().len() + 1,
            };
        }
    }
    Loc {
        file: file.to_string(),
        line: 1,
        column: 1,
    }
}

fn is_pure(filename: &str) -> bool {
    itags::WheelName::parse(filename)
        .is_ok_and(|w| w.platform.iter().all(|p| p == "any") && w.abi.iter().all(|a| a == "none"))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn cache_file(dir: &Path, key: &str) -> PathBuf {
    let h = sha2::Sha256::digest(key.as_bytes());
    let hex: String = h.iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{hex}.json"))
}

fn read_answer(path: &Path) -> Option<Answer> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 1 << 20 {
        return None;
    }
    let a: Answer = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    (a.format == CACHE_FORMAT
        && a.tool == env!("CARGO_PKG_VERSION")
        && now().saturating_sub(a.written) < CACHE_SECONDS)
        .then_some(a)
}

fn write_answer(path: &Path, a: &Answer) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("no directory"))?;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer(&mut tmp, a)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn check_set(
    input: &Input,
    client: &Client,
    cache: Option<&Path>,
    set: &PinSet,
    out: &mut Vec<LintFinding>,
) {
    let np_v = &set.numpy.version;
    let Some(rt) = knowledge().release(np_v) else {
        note(
            input,
            format!(
                "NPL009 not evaluated for {}: numpy=={np_v} is not a NumPy release line the \
                 knowledge base has",
                set.file
            ),
        );
        return;
    };
    let target = match itags::Target::host(&set.python) {
        Ok(t) => t,
        Err(e) => {
            note(input, format!("NPL009 not evaluated for {}: {e}", set.file));
            return;
        }
    };
    let cfg = client.config();
    let indexes: Vec<&str> = cfg.indexes().collect();
    for pin in &set.others {
        if pin.no_wheel {
            continue;
        }
        if let Some(w) = &pin.wheel {
            if is_pure(&w.filename) {
                continue;
            }
        }
        let key = format!(
            "{CACHE_FORMAT}|{}|{}|{}|{}=={}|numpy=={np_v}|{}",
            indexes.join(" "),
            set.python,
            target.platform.join(","),
            pin.name,
            pin.version,
            pin.wheel
                .as_ref()
                .map(|w| format!("{} {}", w.url, w.sha256.clone().unwrap_or_default()))
                .unwrap_or_default()
        );
        let path = cache.map(|d| cache_file(d, &key));
        let answer = match path.as_deref().and_then(read_answer) {
            Some(a) => a,
            None => match evaluate(client, &target, rt, np_v, set, pin) {
                Ok(found) => {
                    let a = Answer {
                        format: CACHE_FORMAT,
                        written: now(),
                        tool: env!("CARGO_PKG_VERSION").to_string(),
                        found,
                    };
                    if let Some(p) = &path {
                        // A cache that cannot be written costs the next lint a few requests.
                        let _ = write_answer(p, &a);
                    }
                    a
                }
                Err(e) => {
                    note(
                        input,
                        format!(
                            "NPL009: {}:{}:{} {}=={} not evaluated: {e}",
                            pin.loc.file, pin.loc.line, pin.loc.column, pin.name, pin.version
                        ),
                    );
                    continue;
                }
            },
        };
        if let Some(f) = answer.found {
            let mut evidence = vec![
                format!(
                    "{}:{}:{} pins numpy=={np_v}",
                    set.numpy.loc.file, set.numpy.loc.line, set.numpy.loc.column
                ),
                format!("target: CPython {} ({})", set.python, set.why_python),
            ];
            evidence.extend(f.evidence);
            out.push(RULE.finding(&pin.loc, f.title, evidence, f.fix, None));
        }
    }
}

/// The wheel an installer picks for `name==version` on `target`, from the index.
fn pick(
    client: &Client,
    target: &itags::Target,
    name: &str,
    version: &str,
) -> Result<Option<DistFile>, String> {
    let project = client.project(name).map_err(|e| e.to_string())?;
    let files = project.files_of(version);
    Ok(itags::best_wheel(&files, target).cloned())
}

/// What the binary facts of a member say, in words.
fn describe(np: &crate::binary::NumpyFacts) -> String {
    let mut parts = Vec::new();
    if let Some(h) = np.headers {
        parts.push(format!("NumPy {} headers", h.as_str()));
    }
    if let Some(a) = np.abi_version {
        parts.push(format!("ABI version {a:#x}"));
    }
    if let Some(fv) = np.feature_version {
        match knowledge().feature_string(fv) {
            Some(s) => parts.push(format!("C-API feature version {fv:#x} (NumPy {s})")),
            None => parts.push(format!("C-API feature version {fv:#x}")),
        }
    }
    if !np.type_checks.is_empty() {
        let sizes: Vec<String> = np
            .type_checks
            .iter()
            .map(|t| format!("{} {}", t.type_name, t.expected_size))
            .collect();
        parts.push(format!("Cython size checks: {}", sizes.join(", ")));
    }
    if parts.is_empty() {
        "uses the NumPy C-API".to_string()
    } else {
        parts.join("; ")
    }
}

/// Does the pin's wheel import under the pinned NumPy? `Ok(None)`: yes (or no NumPy use).
fn evaluate(
    client: &Client,
    target: &itags::Target,
    rt: &'static Release,
    np_v: &str,
    set: &PinSet,
    pin: &Pinned,
) -> Result<Option<Found>, String> {
    let (file, from) = match &pin.wheel {
        Some(w) => (w.clone(), set.file.clone()),
        None => match pick(client, target, &pin.name, &pin.version)? {
            Some(w) => (w, client.config().index_url.clone()),
            // No wheel for this Python: an sdist build, which `check -r` reports.
            None => return Ok(None),
        },
    };
    if is_pure(&file.filename) {
        return Ok(None);
    }
    let facts = client.wheel_facts(&file).map_err(|e| e.to_string())?;
    let Some((member, bf)) = facts.numpy_member() else {
        return Ok(None);
    };
    let np = &bf.numpy;
    let Some(fail) = predict::predict(np, rt, np_v) else {
        return Ok(None);
    };
    let window = predict::window(np);
    let spec = window.specifier(np).unwrap_or_default();
    let shown_spec = if spec.is_empty() {
        "any NumPy".to_string()
    } else {
        format!("numpy{spec}")
    };
    let mut evidence = vec![
        format!(
            "an installer picks {} for {}=={} (from {from})",
            file.filename, pin.name, pin.version
        ),
        format!(
            "{}!{member} (read by HTTP range requests): {}",
            file.filename,
            describe(np)
        ),
        format!("its NumPy window (the prediction `abi-doctor check` makes): {shown_spec}"),
        format!("under numpy {np_v} its import fails: {}", fail.final_line()),
    ];
    // A NumPy inside the window with wheels for this Python: the newest.
    let py = format!("{}.{}", target.python.0, target.python.1);
    let numpy_fix = match &window {
        predict::Window::Range { lower, upper } => knowledge()
            .releases
            .iter()
            .filter(|r| r.key() >= lower.key() && upper.is_none_or(|u| r.key() < u.key()))
            .filter(|r| r.python.contains(&py))
            .rfind(|r| predict::predict(np, r, &r.last_patch).is_none())
            .map(|r| r.last_patch.clone()),
        _ => None,
    };
    // For a lock's entry too, the index is asked for the releases after it.
    let release_fix = newer_release(client, target, rt, np_v, pin, &mut evidence);
    let mut fixes = Vec::new();
    if let Some(v) = &numpy_fix {
        fixes.push(format!(
            "pin numpy inside the window: `numpy=={v}` (the newest NumPy in {shown_spec} with \
             wheels for CPython {py})"
        ));
    } else if !spec.is_empty() {
        fixes.push(format!("pin numpy inside {shown_spec}"));
    }
    match release_fix {
        Some((v, wheel)) => fixes.push(format!(
            "pin `{}=={v}`, whose wheel {wheel} imports under numpy {np_v}",
            pin.name
        )),
        None => fixes.push(format!(
            "pin a {} release built for NumPy {np_v} (none of the releases after {} read from \
             the index fits)",
            pin.name, pin.version
        )),
    }
    let title = format!(
        "{}=={}'s wheel for CPython {py} imports under {shown_spec} only; the pinned numpy=={np_v} \
         is outside it",
        pin.name, pin.version
    );
    Ok(Some(Found {
        title,
        evidence,
        fix: fixes.join(", or "),
    }))
}

/// The first release after the pinned one (stable releases, at most [`CANDIDATES`] read) whose
/// wheel for `target` imports under the pinned NumPy.
fn newer_release(
    client: &Client,
    target: &itags::Target,
    rt: &'static Release,
    np_v: &str,
    pin: &Pinned,
    evidence: &mut Vec<String>,
) -> Option<(String, String)> {
    let project = match client.project(&pin.name) {
        Ok(p) => p,
        Err(e) => {
            evidence.push(format!("releases after {} not read: {e}", pin.version));
            return None;
        }
    };
    let pinned = version(&pin.version);
    let mut tried = 0;
    for v in project.versions() {
        let pv = version(v);
        if pv <= pinned || pv.any_prerelease() {
            continue;
        }
        let files = project.files_of(v);
        let Some(w) = itags::best_wheel(&files, target) else {
            continue;
        };
        if w.yanked {
            continue;
        }
        if tried >= CANDIDATES {
            break;
        }
        tried += 1;
        let facts = match client.wheel_facts(w) {
            Ok(f) => f,
            Err(e) => {
                evidence.push(format!("{}: not read: {e}", w.filename));
                continue;
            }
        };
        let fits = match facts.numpy_member() {
            None => true,
            Some((_, bf)) => predict::predict(&bf.numpy, rt, np_v).is_none(),
        };
        if fits {
            return Some((v.to_string(), w.filename.clone()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    #[test]
    fn exact_pins_only() {
        let loc = Loc {
            file: "r.txt".into(),
            line: 1,
            column: 1,
        };
        let r = |t: &str| {
            Req::parse(
                t,
                crate::lint::versions::Origin::InstallRequires,
                loc.clone(),
            )
            .unwrap()
        };
        assert_eq!(exact(&r("numpy==2.0.2")).as_deref(), Some("2.0.2"));
        assert_eq!(exact(&r("numpy>=2.0")), None);
        assert_eq!(exact(&r("numpy==2.*")), None);
        assert_eq!(exact(&r("numpy==2.0.2,!=2.0.1")), None);
        assert!(is_pure("six-1.16.0-py2.py3-none-any.whl"));
        assert!(!is_pure(
            "pandas-2.1.4-cp311-cp311-manylinux_2_17_x86_64.whl"
        ));
    }

    #[test]
    fn without_an_index_there_is_one_note_and_no_finding() {
        let l = lint_files(&[
            (
                "pyproject.toml",
                "[tool.abi-doctor.lint]\npython-version = \"3.11\"\n",
            ),
            ("requirements.txt", "numpy==2.0.2\npandas==2.1.4\n"),
            ("constraints.txt", "numpy==2.0.2\nscipy==1.11.4\n"),
        ]);
        assert!(codes(&l, "NPL009").is_empty());
        assert_eq!(l.notes.len(), 1, "{:?}", l.notes);
        assert!(l.notes[0].contains("NPL009 not evaluated"), "{:?}", l.notes);
        // Nothing to evaluate: no note.
        let l = lint_files(&[("requirements.txt", "numpy==2.0.2\npandas>=2\n")]);
        assert!(l.notes.is_empty(), "{:?}", l.notes);
    }

    #[test]
    fn lock_entries_are_located() {
        let t = "[[package]]\nname = \"numpy\"\nversion = \"2.0.2\"\n\n[[package]]\nname = \"pandas\"\nversion = \"2.1.4\"\n";
        let l = lock_loc(t, "uv.lock", "pandas", "2.1.4");
        assert_eq!((l.line, l.column), (6, 1));
        assert_eq!(
            lock_requires_python("version = 1\nrequires-python = \"==3.11.*\"\n").as_deref(),
            Some("==3.11.*")
        );
        assert_eq!(
            lock_requires_python("[metadata]\npython-versions = \"^3.11\"\n").as_deref(),
            Some(">=3.11")
        );
    }
}
