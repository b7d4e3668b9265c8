//! `explain`: turn a pasted error, traceback or CI log into what happened and what to do.
//!
//! Pure: text in, [`Explanation`]s out. The numbers in a message (struct sizes, hex ABI/C-API
//! versions, the NumPy version) are mapped to NumPy releases through the knowledge base, never
//! through rules of thumb ("88/80 means built with NumPy >= 1.20" is wrong: 88 is what 1.20-1.21
//! headers, or a default 2.1-2.2 build, give).

use crate::install::{Commands, Target};
use crate::knowledge::{knowledge, parse_line, Release, ABI_1, ABI_2};
use crate::messages::{
    self, AbiVersion, ApiTable, ApiVersion, ApiWording, CorePackage, FailedToImport, Family,
    Message, RequiresNewerNumpy, SizeChanged, SizeForm,
};
use regex::Regex;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Remedy {
    pub title: String,
    pub pip: Option<String>,
    pub uv: Option<String>,
    pub conda: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Explanation {
    /// The message family (pybind11's `initialization failed` only wraps the real cause and gets
    /// no explanation of its own).
    pub kind: Family,
    /// The exception type as printed (`ValueError`, `RuntimeWarning`, `ImportError`, ...).
    #[serde(rename = "type")]
    pub exception: Option<String>,
    /// The line the explanation was read from.
    pub matched: String,
    pub numpy_type: Option<String>,
    pub expected_size: Option<u64>,
    pub runtime_size: Option<u64>,
    /// NumPy versions the extension was built against, as PEP 440 specifiers (one per range).
    pub built_against: Vec<String>,
    /// NumPy versions that can be running, as PEP 440 specifiers.
    pub running: Vec<String>,
    /// "headers" when the build is newer than the runtime, "runtime" when the runtime is newer.
    pub newer: Option<&'static str>,
    pub severity: Severity,
    /// The package named by the traceback (`pandas`), when it names one.
    pub package: Option<String>,
    /// The module or file named by the traceback.
    pub module: Option<String>,
    /// What happened, for people.
    pub summary: String,
    pub remedies: Vec<Remedy>,
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    #[allow(
        clippy::expect_used,
        reason = "literal patterns (regex! below); unit-tested"
    )]
    cell.get_or_init(|| Regex::new(pattern).expect("static regex"))
}

macro_rules! regex {
    ($p:literal) => {{
        static CELL: OnceLock<Regex> = OnceLock::new();
        re(&CELL, $p)
    }};
}

/// Explain every NumPy binary-incompatibility message found in `text`, most informative first.
/// Empty when the text holds none.
pub fn explain(text: &str) -> Vec<Explanation> {
    let (package, module) = culprit(text);
    let found = messages::find_all(text);
    let mut out = Vec::new();
    // A traceback printed twice, or NumPy's shim text on stderr and again in the ImportError:
    // the same message is explained once.
    let mut seen: Vec<&Message> = Vec::new();
    for (span, m) in &found {
        if seen.contains(&m) {
            continue;
        }
        seen.push(m);
        let matched = text[span.clone()].trim_end().to_string();
        match m {
            Message::SizeChanged(s) => out.push(size_changed(matched, s)),
            Message::CompiledWithNumpy1(c) => out.push(compiled_with_numpy1(matched, &c.running)),
            Message::AbiVersion(a) => out.push(abi_version(matched, a)),
            Message::ApiVersion(a) => out.push(api_version(matched, a)),
            Message::RequiresNewerNumpy(r) => out.push(requires_newer(matched, r)),
            _ => {}
        }
    }
    // `_ARRAY_API not found` and the final `failed to import` follow the messages above in the
    // same failure: they explain only when nothing more specific was pasted.
    // `numpy._core.multiarray failed to import` comes from 2.x headers, which never raise
    // `_ARRAY_API not found`: such a text is explained by its final line, never as a 1.x build.
    let v2_headers = found.iter().any(
        |(_, m)| matches!(m, Message::FailedToImport(f) if f.core == CorePackage::UnderscoreCore),
    );
    let fallbacks: &[Family] = if v2_headers {
        &[Family::FailedToImport]
    } else {
        &[Family::ArrayApiNotFound, Family::FailedToImport]
    };
    for &fallback in fallbacks {
        if !out.is_empty() {
            break;
        }
        let first = found.iter().find(|(_, m)| m.family() == fallback);
        match first {
            Some((span, Message::ArrayApiNotFound(a))) => {
                out.push(array_api_not_found(text[span.clone()].to_string(), a))
            }
            Some((span, Message::FailedToImport(f))) => {
                out.push(failed_to_import(text[span.clone()].to_string(), f))
            }
            _ => {}
        }
    }
    for e in &mut out {
        if e.package.is_none() {
            e.package = package.clone();
        }
        if e.module.is_none() {
            e.module = module.clone();
        }
        e.remedies = remedies(e);
    }
    // By family, errors before warnings; keep text order otherwise.
    out.sort_by_key(|e| e.kind);
    out.sort_by_key(|e| e.severity != Severity::Error);
    out
}

/// Group consecutive release lines (indices into the knowledge base) into PEP 440 specifiers.
fn ranges(lines: &[usize]) -> Vec<String> {
    let releases = &knowledge().releases;
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let mut j = i;
        while j + 1 < lines.len() && lines[j + 1] == lines[j] + 1 {
            j += 1;
        }
        let lo = lines[i];
        let hi = lines[j];
        let lower = (lo > 0).then(|| format!(">={}", releases[lo].line));
        let upper = releases
            .get(hi + 1)
            .map(|next| format!("<{}", next.line.strip_suffix(".0").unwrap_or(&next.line)));
        let spec: Vec<String> = lower.into_iter().chain(upper).collect();
        out.push(if spec.is_empty() {
            "any".into()
        } else {
            spec.join(",")
        });
        i = j + 1;
    }
    out
}

fn idx(r: &Release) -> usize {
    knowledge()
        .releases
        .iter()
        .position(|x| x == r)
        .unwrap_or(0)
}

fn size_changed(matched: String, m: &SizeChanged) -> Explanation {
    let (module, ty, e, s) = (m.module.as_str(), m.type_name.as_str(), m.expected, m.got);
    let k = knowledge();
    // Header configurations that give E, by release line.
    let mut built = Vec::new();
    for (i, r) in k.releases.iter().enumerate() {
        if r.header_sizes
            .values()
            .any(|sizes| sizes.get(ty) == Some(&e))
        {
            built.push(i);
        }
    }
    let running: Vec<usize> = k
        .releases
        .iter()
        .enumerate()
        .filter(|(_, r)| r.runtime_size(ty) == Some(s))
        .map(|(i, _)| i)
        .collect();
    let error = m.form == SizeForm::ValueError;
    // Which side is newer follows from the release ranges, not from the sizes: NumPy 2.0 shrank
    // dtype (96 -> 88), so a bigger header can come from an older NumPy.
    let newer = match (
        built.iter().max(),
        built.iter().min(),
        running.iter().max(),
        running.iter().min(),
    ) {
        (Some(bmax), _, _, Some(rmin)) if bmax < rmin => Some("runtime"),
        (_, Some(bmin), Some(rmax), _) if bmin > rmax => Some("headers"),
        _ if e > s && ty == "dtype" && e == 96 => Some("runtime"),
        _ => None,
    };
    let built_ranges = ranges(&built);
    let running_ranges = ranges(&running);
    let describe = |lines: &[String]| {
        if lines.is_empty() {
            "an unknown NumPy".to_string()
        } else {
            format!("NumPy {}", lines.join(" or "))
        }
    };
    let summary = if module != "numpy" {
        format!("{module}.{ty} is not a NumPy type; this is another C extension's size check ({e} vs {s})")
    } else if e > s && ty == "dtype" && e == 96 && error {
        format!(
            "The extension was compiled against NumPy 1.x headers (numpy.dtype is {e} bytes there: {}), and the NumPy \
             running now has an {s}-byte dtype ({}): NumPy 2.0 shrank dtype, so this is a module built for NumPy 1.x \
             running on NumPy 2. Cython refuses a runtime type smaller than its header struct.",
            describe(&built_ranges),
            describe(&running_ranges),
        )
    } else if e > s {
        format!(
            "The extension was compiled against NumPy headers where numpy.{ty} is {e} bytes ({}), \
             but the NumPy running now has a {s}-byte {ty} ({}). The build is newer than the runtime, so Cython refuses to load it.",
            describe(&built_ranges),
            describe(&running_ranges),
        )
    } else if error {
        format!(
            "The extension's type import of numpy.{ty} demands exactly {e} bytes (check_size error), \
             and the NumPy running now ({}) has a {s}-byte {ty}. Cython refuses any size difference there.",
            describe(&running_ranges),
        )
    } else {
        format!(
            "Harmless: the running NumPy ({}) has a larger numpy.{ty} ({s} bytes) than the headers the extension was built with ({e} bytes, {}). \
             NumPy only appends fields; Cython warns, nothing breaks.",
            describe(&running_ranges),
            describe(&built_ranges)
        )
    };
    Explanation {
        kind: Family::SizeChanged,
        exception: Some(m.exception().into()),
        matched,
        numpy_type: Some(ty.to_string()),
        expected_size: Some(e),
        runtime_size: Some(s),
        built_against: built_ranges,
        running: running_ranges,
        newer,
        severity: if error {
            Severity::Error
        } else {
            Severity::Warning
        },
        package: None,
        module: None,
        summary,
        remedies: vec![],
    }
}

fn compiled_with_numpy1(matched: String, running: &str) -> Explanation {
    Explanation {
        kind: Family::CompiledWithNumpy1,
        exception: Some("ImportError".into()),
        matched,
        numpy_type: None,
        expected_size: None,
        runtime_size: None,
        built_against: vec!["<2".into()],
        running: vec![format!("=={running}")],
        newer: Some("runtime"),
        severity: Severity::Error,
        package: None,
        module: None,
        summary: format!(
            "An extension built against NumPy 1.x headers (1.16-1.26) is being loaded by NumPy {running}. \
             NumPy 2 changed the binary layout, so it prints this notice and refuses the module: the \
             traceback shows AttributeError: _ARRAY_API not found (1.16-1.25 headers; 1.26 headers: \
             an ImportError with this text) and ends with ImportError: numpy.core.multiarray failed \
             to import, the same failure."
        ),
        remedies: vec![],
    }
}

fn abi_version(matched: String, m: &AbiVersion) -> Explanation {
    let (built, running) = (m.built, m.running);
    let name = |v: u32| match v {
        ABI_1 => "<2".to_string(),
        ABI_2 => ">=2,<3".to_string(),
        _ => format!("ABI {v:#x} (unknown to abi-doctor)"),
    };
    let summary = if built == ABI_1 && running == ABI_2 {
        "An extension built against NumPy 1.x headers of 1.15 or older (or a NumPy-2 pre-release) is being loaded by NumPy 2.x: the ABI changed, so NumPy's import check refuses it.".to_string()
    } else {
        format!("An extension built for NumPy ABI {built:#x} is being loaded by a NumPy with ABI {running:#x}.")
    };
    Explanation {
        kind: Family::AbiVersion,
        exception: Some(m.exception().into()),
        matched,
        numpy_type: None,
        expected_size: None,
        runtime_size: None,
        built_against: vec![name(built)],
        running: vec![name(running)],
        newer: Some(if running > built {
            "runtime"
        } else {
            "headers"
        }),
        severity: Severity::Error,
        package: None,
        module: None,
        summary,
        remedies: vec![],
    }
}

fn api_version(matched: String, m: &ApiVersion) -> Explanation {
    let (built, running) = (m.built, m.running);
    let string = match &m.wording {
        ApiWording::V2 { built_string } => Some(built_string.clone()),
        ApiWording::V1 { .. } | ApiWording::V1WithTroubleshooting => None,
    };
    let k = knowledge();
    let first_with = k.first_line_with_api(built);
    let runtime_lines: Vec<usize> = k
        .releases
        .iter()
        .enumerate()
        .filter(|(_, r)| r.api_version == running)
        .map(|(i, _)| i)
        .collect();
    let built_against = match (&string, first_with) {
        // 2.x headers: the value is a floor the build chose (NPY_TARGET_VERSION), not the NumPy
        // used to build.
        (Some(_), Some(r)) => vec![format!(">={}", r.line)],
        // 1.x headers: before 1.25 a build targets exactly the NumPy it was built with.
        (None, Some(r)) => {
            let lines: Vec<usize> = k
                .releases
                .iter()
                .filter(|x| x.api_version == built)
                .map(idx)
                .collect();
            if lines.is_empty() {
                vec![format!(">={}", r.line)]
            } else {
                ranges(&lines)
            }
        }
        _ => vec![],
    };
    let needs = first_with
        .map(|r| format!("NumPy >= {}", r.line))
        .unwrap_or_else(|| format!("a NumPy with C-API >= {built:#x}"));
    let running_desc = ranges(&runtime_lines);
    let summary = format!(
        "The extension targets NumPy C-API {built:#x}{} and needs {needs}, but the running NumPy has C-API {running:#x} ({}). \
         The runtime is older than the build.",
        string.as_deref().map(|s| format!(" (NumPy {s})")).unwrap_or_default(),
        if running_desc.is_empty() { "unknown release".into() } else { format!("NumPy {}", running_desc.join(" or ")) }
    );
    Explanation {
        kind: Family::ApiVersion,
        exception: Some(m.exception().into()),
        matched,
        numpy_type: None,
        expected_size: None,
        runtime_size: None,
        built_against,
        running: running_desc,
        newer: Some(if built > running {
            "headers"
        } else {
            "runtime"
        }),
        severity: Severity::Error,
        package: None,
        module: None,
        summary,
        remedies: vec![],
    }
}

fn array_api_not_found(matched: String, m: &messages::ArrayApiNotFound) -> Explanation {
    let warning = m.torch;
    let table = match m.which {
        ApiTable::Array => "_ARRAY_API",
        ApiTable::Ufunc => "_UFUNC_API",
    };
    Explanation {
        kind: Family::ArrayApiNotFound,
        exception: Some(m.exception().into()),
        matched,
        numpy_type: None,
        expected_size: None,
        runtime_size: None,
        built_against: vec!["<2".into()],
        running: vec![">=2".into()],
        newer: Some("runtime"),
        severity: if warning { Severity::Warning } else { Severity::Error },
        package: None,
        module: None,
        summary: format!(
            "An extension built against NumPy 1.x asked NumPy 2.x for its C-API table and was refused \
             (`{table} not found`). torch prints it as a warning and imports anyway; NumPy interop \
             (`tensor.numpy()`, `torch.from_numpy`) then fails."
        ),
        remedies: vec![],
    }
}

fn failed_to_import(matched: String, m: &FailedToImport) -> Explanation {
    let v2 = m.core == CorePackage::UnderscoreCore;
    let what = m.what.as_str();
    Explanation {
        kind: Family::FailedToImport,
        exception: Some("ImportError".into()),
        matched,
        numpy_type: None,
        expected_size: None,
        runtime_size: None,
        built_against: vec![if v2 { ">=2".into() } else { "<2".into() }],
        running: vec![],
        newer: None,
        severity: Severity::Error,
        package: None,
        module: None,
        summary: format!(
            "An extension built against NumPy {} headers could not load NumPy's C-API ({what}). This line only \
             wraps the real cause, printed just above it in the full output (a 'compiled using NumPy 1.x', \
             'ABI version' or 'C-API version' message); paste that too for the exact diagnosis. {}",
            if v2 { "2.x" } else { "1.x" },
            if v2 {
                "With 2.x headers the usual cause is a NumPy older than the extension's C-API target."
            } else {
                "With 1.x headers the usual cause is NumPy 2 installed, or a NumPy older than the build."
            }
        ),
        remedies: vec![],
    }
}

fn requires_newer(matched: String, m: &RequiresNewerNumpy) -> Explanation {
    let (pkg, need, found) = (m.package.as_str(), m.need.as_str(), m.found.as_str());
    Explanation {
        kind: Family::RequiresNewerNumpy,
        exception: Some(m.exception().into()),
        matched,
        numpy_type: None,
        expected_size: None,
        runtime_size: None,
        built_against: vec![format!(">={need}")],
        running: vec![format!("=={found}")],
        newer: Some("headers"),
        severity: Severity::Error,
        package: Some(pkg.to_string()),
        module: None,
        summary: format!(
            "{pkg} was built against NumPy {need} and checks for it at import; NumPy {found} is installed. \
             Its metadata may not declare this, so pip did not prevent it."
        ),
        remedies: vec![],
    }
}

/// The package and module a traceback names: the last `site-packages/<pkg>/...` frame, or a
/// `from pkg... import` line.
fn culprit(text: &str) -> (Option<String>, Option<String>) {
    let frame = regex!(r#"(?:site|dist)-packages[\\/](?P<path>[A-Za-z_][\w]*(?:[\\/][\w.-]+)*)"#);
    let mut pkg = None;
    let mut module = None;
    // Packages whose `__init__.py` is a frame: they are being imported.
    let mut packages: Vec<String> = Vec::new();
    // The source line printed under the last frame, with the module the frame runs.
    let mut last_frame: Option<(String, bool, &str)> = None;
    for c in frame.captures_iter(text) {
        let path = c["path"].replace('\\', "/");
        let top = path.split('/').next().unwrap_or("").to_string();
        if top == "numpy" || top.is_empty() {
            continue;
        }
        let is_init = path.ends_with("/__init__.py");
        let dotted = path
            .trim_end_matches(".py")
            .trim_end_matches(".pyx")
            .split('/')
            .map(|p| p.split('.').next().unwrap_or(p))
            .collect::<Vec<_>>()
            .join(".");
        let dotted = dotted.trim_end_matches(".__init__").to_string();
        if is_init {
            packages.push(dotted.clone());
        }
        let end = c.get(0).map_or(0, |m| m.end());
        // The frame's line ends; the next one is the statement being run.
        let source = text[end..]
            .split_once('\n')
            .map(|(_, rest)| rest.lines().next().unwrap_or(""))
            .unwrap_or("");
        last_frame = path
            .ends_with(".py")
            .then(|| (dotted.clone(), is_init, source));
        pkg = Some(top);
        module = Some(dotted);
    }
    // A Python module on the way is not what failed: the extension its last line imports is
    // (`scipy/sparse/_csr.py`, `from ._sparsetools import ...` -> `scipy.sparse._sparsetools`).
    if let Some((m, is_init, source)) = last_frame {
        if let Some(target) = imported_by(source, &m, is_init, &packages) {
            module = Some(target);
        }
    }
    // Cython names the module whose init failed: `File "interval.pyx", line 1, in init
    // pandas._libs.interval`.
    let init = regex!(r"in init (?P<m>[A-Za-z_][\w.]*)");
    if let Some(c) = init.captures_iter(text).last() {
        let m = c["m"].to_string();
        let top = m.split('.').next().unwrap_or("").to_string();
        if top != "numpy" {
            return (Some(top), Some(m));
        }
    }
    if pkg.is_none() {
        let from = regex!(r"(?m)^\s*from (?P<m>[A-Za-z_][\w.]*) import");
        let imp = regex!(r"(?m)^\s*import (?P<m>[A-Za-z_][\w.]*)");
        for c in from.captures_iter(text).chain(imp.captures_iter(text)) {
            let m = c["m"].to_string();
            let top = m.split('.').next().unwrap_or("").to_string();
            if top != "numpy" {
                pkg = Some(top);
                module = Some(m);
            }
        }
    }
    (pkg, module)
}

/// The module an import statement on a traceback's source line loads, run by module `m` (a
/// package's `__init__` when `is_init`): `from X import a` loads `X.a` when `X` is being imported
/// as a package (its `__init__` is a frame, or it is `m`'s own package), else `X`.
fn imported_by(source: &str, m: &str, is_init: bool, packages: &[String]) -> Option<String> {
    let package = if is_init {
        m.to_string()
    } else {
        m.rsplit_once('.').map_or("", |(p, _)| p).to_string()
    };
    let stmt = crate::imports::graph::parse_imports(source.trim(), &package)
        .into_iter()
        .next()?;
    if stmt.module.split('.').next() == Some("numpy") {
        return None;
    }
    match stmt.names.first() {
        Some(n) if stmt.module == package || packages.contains(&stmt.module) => {
            Some(format!("{}.{n}", stmt.module))
        }
        _ => Some(stmt.module),
    }
}

fn remedy(title: String, pip: Option<String>, uv: Option<String>, conda: Option<String>) -> Remedy {
    Remedy {
        title,
        pip,
        uv,
        conda,
    }
}

/// The environment the remedies act on, when `explain` has one (`--env`, or the one the
/// traceback's paths name): its interpreter, its installed versions (normalized name -> version),
/// its Python `X.Y`.
#[derive(Debug, Clone, Default)]
pub struct EnvContext {
    pub target: Target,
    pub versions: BTreeMap<String, String>,
    pub python: Option<String>,
}

impl EnvContext {
    fn version(&self, pkg: &str) -> Option<&str> {
        self.versions
            .get(&pkg.to_ascii_lowercase().replace(['_', '.'], "-"))
            .map(String::as_str)
    }
}

/// Rebuild the remedies of `found` for the environment `ctx`: its interpreter, the installed
/// version of the package for a rebuild, the running NumPy for its build.
pub fn retarget(found: &mut [Explanation], ctx: &EnvContext) {
    for e in found {
        e.remedies = remedies_for(e, Some(ctx));
    }
}

fn remedies(e: &Explanation) -> Vec<Remedy> {
    remedies_for(e, None)
}

/// `spec` bounded on both sides: a floor `>=X.Y` gets `<MAJOR+1`; `<2` gets the newest 1.x line
/// the Python takes as its floor.
fn bounded(spec: &str, python: Option<&str>) -> String {
    if spec.contains(',') || spec.starts_with("==") {
        return spec.to_string();
    }
    let releases = &knowledge().releases;
    if let Some(floor) = spec.strip_prefix(">=") {
        let major: u32 = floor
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(1);
        return format!(">={floor},<{}", major + 1);
    }
    if let Some(cap) = spec.strip_prefix('<') {
        let cap_major: u32 = cap
            .split('.')
            .next()
            .and_then(|m| m.parse().ok())
            .unwrap_or(2);
        let floor = releases
            .iter()
            .rev()
            .filter(|r| r.major() < cap_major)
            .find(|r| {
                python.is_none_or(|py| {
                    let mm: String = py.split('.').take(2).collect::<Vec<_>>().join(".");
                    r.python.is_empty() || r.python.contains(&mm)
                })
            })
            .map(|r| r.line.clone());
        if let Some(f) = floor {
            return format!(">={f},{spec}");
        }
    }
    spec.to_string()
}

/// Remedies ranked for the case: move NumPy into a bounded range; install a release of the
/// package whose wheels fit (`abi-doctor fix` names it and proves it); rebuild the installed
/// version from its sdist against the running NumPy. With an environment, every command names its
/// interpreter and exact versions ([`crate::install`]); without one, `python -m pip` and `uv pip`
/// act on the active interpreter, and a rebuild, which needs the installed version, is described
/// but not printed.
fn remedies_for(e: &Explanation, ctx: Option<&EnvContext>) -> Vec<Remedy> {
    let pkg = e.package.clone().unwrap_or_else(|| "PKG".into());
    let generic = Target {
        python: Some("python".into()),
        conda_prefix: None,
        pip_version: Some("0".into()),
    };
    let target = ctx.map_or(&generic, |c| &c.target);
    let python = ctx.and_then(|c| c.python.as_deref());
    let mut out = Vec::new();
    let cmd = |c: &Commands| {
        (
            c.pip.first().cloned(),
            c.uv.first().cloned(),
            c.conda.first().cloned(),
        )
    };
    let move_numpy = |spec: &str| {
        let spec = bounded(spec, python);
        let (pip, uv, conda) = cmd(&target.install(&[format!("numpy{spec}")]));
        remedy(
            format!("Move NumPy into the range the extension was built for: numpy{spec}"),
            pip,
            uv,
            conda,
        )
    };
    let running = ctx.and_then(|c| c.version("numpy"));
    let installed = ctx.and_then(|c| c.version(&pkg));
    let rebuild = match (installed, running) {
        (Some(v), Some(np)) => {
            let (pip, uv, _) = cmd(&target.rebuild(&pkg, v, np));
            remedy(
                format!(
                    "Rebuild {pkg} {v} from its sdist against the installed NumPy {np}: build \
                     isolation installs its build requirements, the build's NumPy is pinned \
                     with a build constraint, and the caches are bypassed"
                ),
                pip,
                uv,
                None,
            )
        }
        _ => remedy(
            format!(
                "Rebuild {pkg} from its sdist at its installed version against the NumPy you run: \
                 --force-reinstall --no-deps --no-cache-dir --no-binary {pkg} {pkg}==VERSION, the \
                 build's NumPy pinned with a build constraint; `abi-doctor explain --env ENV` \
                 prints the exact command"
            ),
            None,
            None,
            None,
        ),
    };
    let upgrade = |what: &str| {
        remedy(
            format!(
                "Install a release of {pkg} whose wheels were built {what}: `abi-doctor fix{}` \
                 names the exact release and proves it in a scratch venv",
                ctx.and(target.python.as_deref())
                    .map(|py| format!(" --python {}", crate::install::shell_word(py)))
                    .unwrap_or_default()
            ),
            None,
            None,
            None,
        )
    };
    match e.kind {
        Family::SizeChanged if e.severity == Severity::Warning => {
            out.push(remedy(
                "Nothing is broken. To silence the warning, rebuild the package against the installed NumPy".into(),
                None,
                None,
                None,
            ));
        }
        Family::SizeChanged => {
            let ty = e.numpy_type.as_deref().unwrap_or("ndarray");
            let expected = e.expected_size.unwrap_or(0);
            let k = knowledge();
            let built_major = if ty == "dtype" && expected == 96 {
                Some(1)
            } else {
                None
            };
            let first_ok = k
                .releases
                .iter()
                .find(|r| r.runtime_size(ty).is_some_and(|s| s >= expected));
            match (built_major, first_ok) {
                (Some(1), _) => {
                    out.push(move_numpy("<2"));
                    out.push(upgrade("for NumPy 2 (most releases since mid-2024)"));
                }
                (_, Some(r)) => {
                    out.push(move_numpy(&format!(">={}", r.line)));
                    out.push(upgrade("against your NumPy or an older one"));
                }
                _ => {}
            }
            out.push(rebuild);
        }
        Family::CompiledWithNumpy1 | Family::ArrayApiNotFound => {
            out.push(move_numpy("<2"));
            out.push(upgrade("for NumPy 2 (most releases since mid-2024)"));
            out.push(rebuild);
        }
        Family::AbiVersion => {
            out.push(move_numpy("<2"));
            out.push(upgrade("for NumPy 2"));
            out.push(rebuild);
        }
        Family::ApiVersion => {
            if let Some(spec) = e.built_against.first() {
                let floor = spec.split(',').next().unwrap_or(spec);
                if floor.starts_with(">=") {
                    out.push(move_numpy(floor));
                }
            }
            out.push(upgrade(
                "against an older NumPy (or with an older NPY_TARGET_VERSION)",
            ));
            out.push(rebuild);
        }
        Family::RequiresNewerNumpy => {
            if let Some(spec) = e.built_against.first() {
                out.push(move_numpy(spec));
            }
            out.push(upgrade(
                "for NumPy 1.x (a release from before its NumPy-2 build)",
            ));
        }
        Family::FailedToImport | Family::InitializationFailed => {
            out.push(remedy(
                "Find the real cause: run the import again and paste the whole output, or run abi-doctor check".into(),
                Some(match ctx.and(target.python.as_deref()) {
                    Some(py) => format!("abi-doctor check --python {}", crate::install::shell_word(py)),
                    None => "abi-doctor check".into(),
                }),
                None,
                None,
            ));
            out.push(rebuild);
        }
    }
    out
}

/// Parse `X.Y.Z` to its release line in the knowledge base (for callers that hold a version).
pub fn release_of(version: &str) -> Option<&'static Release> {
    let _ = parse_line(version)?;
    knowledge().release(version)
}

#[cfg(test)]
mod tests;
