//! Rules: pure functions from inspected facts to findings. One file per rule (ruff's layout); the
//! doc comment of each rule module is its user documentation, printed by `abi-doctor rule CODE`.
//!
//! Rules do no I/O: `cli/check` assembles a [`Scan`] from discovery, inventory, inspection and the
//! runtime NumPy, and every rule reads only that.

pub mod c_api_too_new;
pub mod cascade;
pub mod declared_requirement;
pub mod helper_library;
pub mod helper_library_init;
pub mod hint;
pub mod knock_on;
pub mod larger_runtime_type;
pub mod numpy1_on_numpy2;
pub mod numpy_metadata_mismatch;
pub mod numpy_outside_declared;
pub mod predict;
pub mod pybind11_numpy1;
pub mod size_changed;
pub mod two_numpy_copies;
pub mod unknown_target;
pub mod unreadable;

use crate::binary::BinaryFacts;
use crate::rules::predict::Failure;
pub use crate::runtime::RuntimeNumpy;
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// What Python will print: text written to stderr before any exception (`printed`, NumPy 2's
/// notice for modules built against 1.x), the first exception and, when NumPy's `import_array()`
/// or pybind11 wraps it, the exception the import finally ends with (`then`). The user's
/// traceback ends with `then` when there is one ([`Predicted::final_line`]).
///
/// `printed` was added within schema version 1 (an added field; the others keep their meaning:
/// `exception`/`message` are the first exception, which for a 1.x module on NumPy 2 is now the
/// real `AttributeError: _ARRAY_API not found` rather than the printed notice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Predicted {
    pub printed: Option<String>,
    pub exception: String,
    pub message: String,
    pub then: Option<PredictedThen>,
}

impl Predicted {
    /// The exception and message the traceback ends with.
    pub fn last(&self) -> (&str, &str) {
        match &self.then {
            Some(t) => (&t.exception, &t.message),
            None => (&self.exception, &self.message),
        }
    }

    /// `ImportError: numpy.core.multiarray failed to import`.
    pub fn final_line(&self) -> String {
        let (e, m) = self.last();
        format!("{e}: {m}")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct PredictedThen {
    pub exception: String,
    pub message: String,
}

impl From<&Failure> for Predicted {
    fn from(f: &Failure) -> Self {
        Predicted {
            printed: f
                .printed
                .as_ref()
                .map(|m| crate::messages::normalize(&m.render())),
            exception: f.exception().to_string(),
            message: f.message(),
            then: f.then.as_ref().map(|m| PredictedThen {
                exception: m.exception().to_string(),
                message: crate::messages::normalize(&m.render()),
            }),
        }
    }
}

/// One finding. Every finding carries its evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Finding {
    pub code: &'static str,
    pub rule: &'static str,
    pub severity: Severity,
    /// One-line statement of the problem.
    pub title: String,
    pub distribution: Option<String>,
    pub distribution_version: Option<String>,
    /// Import name of the module (`pandas._libs.interval`).
    pub module: Option<String>,
    /// The file, absolute.
    pub path: Option<String>,
    /// `path` relative to the environment's prefix (`environment.prefix` of the check report),
    /// `/`-separated; null when there is no file or it lies outside the prefix. The rules leave it
    /// null; the check report fills it in.
    pub path_in_env: Option<String>,
    pub predicted: Option<Predicted>,
    pub evidence: Vec<String>,
    pub fix_hint: Option<String>,
}

impl Finding {
    /// Does this finding predict that the module's import fails? Error findings without a
    /// predicted message (NPY005: pybind11 < 2.12 on NumPy 2 imports and then misreads arrays;
    /// an unreadable file) are errors, but their module imports.
    pub fn fails_import(&self) -> bool {
        self.severity == Severity::Error && self.predicted.is_some()
    }
}

/// An installed distribution, as the rules need it.
#[derive(Debug, Clone, Default)]
pub struct Dist {
    pub name: String,
    pub version: String,
    /// The `numpy` requirement specifiers that apply to this environment (markers evaluated);
    /// `None` when the distribution declares no numpy requirement at all.
    pub numpy_requirement: Option<String>,
    /// Built from source on this machine (a non-PyPI platform tag such as `linux_x86_64`).
    pub built_locally: bool,
}

/// A compiled module of the environment.
#[derive(Debug, Clone)]
pub struct Module {
    pub path: String,
    /// Import name, when it is an extension module under a site-packages directory.
    pub module: Option<String>,
    /// Index into [`Scan::dists`].
    pub dist: Option<usize>,
    /// Shared with the facts cache (a warm run copies no facts).
    pub facts: std::sync::Arc<BinaryFacts>,
}

/// A file that could not be read, and what was wrong with it.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub path: String,
    /// The problem, without the path (it is in `path`).
    pub problem: String,
    /// Import name, when the file is a compiled file under a site directory.
    pub module: Option<String>,
    /// Index into [`Scan::dists`] of the distribution that owns it.
    pub dist: Option<usize>,
}

/// Everything the rules look at.
#[derive(Debug, Default)]
pub struct Scan {
    pub python_version: Option<String>,
    pub dists: Vec<Dist>,
    pub modules: Vec<Module>,
    pub numpy: Option<RuntimeNumpy>,
    /// Other NumPy copies visible on sys.path (path, version).
    pub other_numpys: Vec<(String, Option<String>)>,
    /// Files that could not be read.
    pub unreadable: Vec<Unreadable>,
    /// Modules that fail because their init imports a failing module (the scan's import graph,
    /// walked after the other rules; [`knock_on::find`]).
    pub knock_ons: Vec<knock_on::KnockOn>,
    /// The scanned environment's interpreter and, for a conda environment, its prefix: every
    /// command abi-doctor prints acts on them, never on whatever `pip` is first on `PATH`.
    pub target: Target,
    /// A check before install: the distributions are a set that would be installed, not an
    /// installed environment; texts say so ([`Scan::is_installed`], [`Scan::installed`]).
    pub before_install: bool,
}

pub use crate::install::{shell_word, Target};

impl Scan {
    /// `is installed`, or before install `would be installed`: "numpy 2.0.2 {}".
    pub fn is_installed(&self) -> &'static str {
        if self.before_install {
            "would be installed"
        } else {
            "is installed"
        }
    }

    /// `installed numpy 2.0.2`, or before install `numpy 2.0.2 in the set`.
    pub fn installed(&self, what: &str) -> String {
        if self.before_install {
            format!("{what} in the set")
        } else {
            format!("installed {what}")
        }
    }

    pub fn dist_of(&self, m: &Module) -> Option<&Dist> {
        m.dist.and_then(|i| self.dists.get(i))
    }
}

/// A rule: its code and name, its documentation, and the check that produces its findings.
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    /// The rule module's source; its `//!` doc comment is the documentation.
    pub source: &'static str,
    /// Appends the rule's findings for a scan. Pure: reads only the scan.
    pub check: fn(&Scan, &mut Vec<Finding>),
}

impl Rule {
    /// What it detects, why it breaks, an example message, the fix, references.
    pub fn doc(&self) -> String {
        doc_of(self.source)
    }

    /// The doc's first paragraph on one line: `NPY001 size-changed: a Cython module's ...`.
    pub fn title(&self) -> String {
        title_of(&self.doc())
    }
}

/// Every rule, in code order: the one table `run_all`, `abi-doctor rule` and the docs read.
pub const RULES: &[Rule] = &[
    size_changed::RULE,
    numpy1_on_numpy2::RULE,
    c_api_too_new::RULE,
    larger_runtime_type::RULE,
    pybind11_numpy1::RULE,
    declared_requirement::RULE,
    numpy_outside_declared::RULE,
    two_numpy_copies::RULE,
    unreadable::RULE,
    unknown_target::RULE,
    helper_library::RULE,
    numpy_metadata_mismatch::RULE,
    knock_on::RULE,
    helper_library_init::RULE,
];

/// Run every rule over the scan; sorted for stable output.
pub fn run_all(scan: &Scan) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in RULES {
        (rule.check)(scan, &mut out);
    }
    sort_findings(&mut out);
    out
}

/// The findings' stable order: distribution, module, path, code.
pub fn sort_findings(out: &mut [Finding]) {
    out.sort_by(|a, b| {
        (&a.distribution, &a.module, &a.path, a.code).cmp(&(
            &b.distribution,
            &b.module,
            &b.path,
            b.code,
        ))
    });
}

/// The predicted import failure of a module under the runtime NumPy, if any.
pub(crate) fn predicted_failure(scan: &Scan, m: &Module) -> Option<Failure> {
    let rt = scan.numpy.as_ref()?;
    crate::rules::predict::predict_module(&m.facts, rt.release, &rt.version)
}

/// Per known release line: do all NumPy-dependent modules of distribution `dist` import under it?
/// Also returns how many modules took part. `None` when the distribution has no decidable module.
pub fn dist_verdicts(scan: &Scan, dist: usize) -> Option<(Vec<bool>, usize)> {
    let mut acc: Option<Vec<bool>> = None;
    let mut n = 0;
    for m in scan.modules.iter().filter(|m| m.dist == Some(dist)) {
        if !crate::rules::predict::depends_on_numpy(&m.facts.numpy) {
            continue;
        }
        let Some(v) = crate::rules::predict::verdicts(&m.facts.numpy) else {
            continue;
        };
        n += 1;
        acc = Some(match acc {
            None => v,
            Some(a) => a.iter().zip(&v).map(|(x, y)| *x && *y).collect(),
        });
    }
    acc.map(|a| (a, n))
}

/// What to do about one failing module, in one line.
pub(crate) fn fix_for_module(scan: &Scan, m: &Module) -> Option<String> {
    use crate::rules::predict::{window, Window};
    let w = window(&m.facts.numpy);
    let spec = w.specifier(&m.facts.numpy);
    let d = scan.dist_of(m);
    let rt = scan.numpy.as_ref()?;
    let mut parts = Vec::new();
    if let (Window::Range { .. }, Some(spec)) = (&w, spec) {
        if !spec.is_empty() {
            parts.push(format!(
                "install a NumPy it was built for: {}",
                first_command(
                    scan.target
                        .install(&[format!("numpy{}", bounded_numpy(&spec))])
                )
            ));
        }
    }
    let Some(dist) = d else {
        // No RECORD lists the file: there is no package name to put in a command.
        parts.push(format!(
            "no installed distribution owns {}: it was copied in by hand or by a tool that \
             keeps no record; remove it, or rebuild it against NumPy {}",
            m.path, rt.version
        ));
        return Some(parts.join("; "));
    };
    let name = dist.name.as_str();
    if dist.built_locally {
        parts.push(format!(
            "it was built from source on this machine: rebuild it against NumPy {}: {}",
            rt.version,
            first_command(scan.target.rebuild(name, &dist.version, &rt.version))
        ));
    } else {
        // Which release fits is the index's to say (wheel facts); `fix` reads it and proves it.
        let fix = match &scan.target.python {
            Some(py) => format!("`abi-doctor fix --python {}`", shell_word(py)),
            None => "`abi-doctor fix` on this environment".to_string(),
        };
        parts.push(format!(
            "or install a release of {name} built for NumPy {} ({fix} names the exact release \
             and proves it), or rebuild it: {}",
            rt.version,
            first_command(scan.target.rebuild(name, &dist.version, &rt.version))
        ));
    }
    Some(parts.join("; "))
}

/// The command printed in a finding's fix line: pip's when the environment has pip, else uv's.
pub(crate) fn first_command(c: crate::install::Commands) -> String {
    c.pip.into_iter().chain(c.uv).next().unwrap_or_default()
}

/// A NumPy specifier bounded on both sides: a missing floor becomes the oldest known release, a
/// missing cap the next major after the floor.
pub(crate) fn bounded_numpy(spec: &str) -> String {
    let exact = spec.contains("==") || spec.contains("~=");
    let mut out = spec.to_string();
    if !exact && !spec.contains('>') {
        let oldest = &crate::knowledge::knowledge().releases[0].line;
        out = if out.is_empty() {
            format!(">={oldest}")
        } else {
            format!(">={oldest},{out}")
        };
    }
    if !exact && !spec.contains('<') {
        let floor_major: u32 = out
            .split(">=")
            .nth(1)
            .and_then(|f| f.split('.').next())
            .and_then(|m| m.trim().parse().ok())
            .unwrap_or(1);
        out = format!("{out},<{}", floor_major + 1);
    }
    out
}

/// One error finding per module whose predicted import failure is of one of `kinds`, titled by
/// `title` (the three import-failure rules differ only in these).
pub(crate) fn failure_findings(
    scan: &Scan,
    info: &Rule,
    kinds: &[crate::messages::Family],
    title: impl Fn(&Failure) -> String,
    out: &mut Vec<Finding>,
) {
    // Only modules Python imports; shared libraries holding NumPy code are NPY011's.
    for m in scan.modules.iter().filter(|m| m.module.is_some()) {
        let Some(f) = predicted_failure(scan, m) else {
            continue;
        };
        if !kinds.contains(&f.kind()) {
            continue;
        }
        let mut finding = module_finding(scan, m, info, Severity::Error, title(&f));
        finding.predicted = Some((&f).into());
        finding.evidence = f.evidence.clone();
        if let Some(p) = &f.printed {
            finding.evidence.push(format!(
                "Python prints first: {}",
                first_sentence(&crate::messages::normalize(&p.render()))
            ));
        }
        if f.then.is_some() {
            finding.evidence.push(format!(
                "the first exception, printed above the final one: {}",
                first_exception_short(&f)
            ));
        }
        finding.fix_hint = fix_for_module(scan, m);
        out.push(finding);
    }
}

/// The text up to its first ". " (NumPy's notice is a paragraph).
fn first_sentence(s: &str) -> &str {
    s.find(". ").map_or(s, |i| &s[..i + 1])
}

/// The title of an import-failure finding: the line the user's traceback ends with, then the
/// first exception it wraps (cut before NumPy's "Check the section ..." pointer).
pub(crate) fn failure_title(f: &Failure) -> String {
    let last = f.final_line();
    if f.then.is_none() {
        return cut_pointer(&last).to_string();
    }
    format!("{last} (after {})", first_exception_short(f))
}

/// The first exception's line, without NumPy's "Check the section ..." pointer; the shim's
/// ImportError, which repeats the notice, by its first sentence.
fn first_exception_short(f: &Failure) -> String {
    match &f.first {
        crate::messages::Message::CompiledWithNumpy1(_) => {
            first_sentence(&f.line()).trim_end_matches('.').to_string()
        }
        _ => cut_pointer(&f.line()).to_string(),
    }
}

fn cut_pointer(line: &str) -> &str {
    match line
        .find(" . Check the section")
        .or_else(|| line.find(". Check the section"))
    {
        Some(i) => &line[..i],
        None => line,
    }
}

/// Build a module finding with the distribution fields filled in.
pub(crate) fn module_finding(
    scan: &Scan,
    m: &Module,
    info: &Rule,
    severity: Severity,
    title: String,
) -> Finding {
    let d = scan.dist_of(m);
    Finding {
        code: info.code,
        rule: info.name,
        severity,
        title,
        distribution: d.map(|d| d.name.clone()),
        distribution_version: d.map(|d| d.version.clone()),
        module: m.module.clone(),
        path: Some(m.path.clone()),
        path_in_env: None,
        predicted: None,
        evidence: vec![],
        fix_hint: None,
    }
}

/// A rule doc's first paragraph on one line.
pub fn title_of(doc: &str) -> String {
    let first = doc.split("\n\n").next().unwrap_or("");
    first.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `//!` lines of a rule file, as plain text.
pub fn doc_of(source: &str) -> String {
    source
        .lines()
        .take_while(|l| l.starts_with("//!") || l.trim().is_empty())
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::*;
    use crate::binary::{Arch, Format, NumpyFacts, Toolchain};
    use crate::knowledge::knowledge;

    pub fn facts(numpy: NumpyFacts) -> BinaryFacts {
        BinaryFacts {
            format: Format::Elf,
            arch: Arch::X86_64,
            module_init: Some("PyInit_m".into()),
            numpy,
            toolchain: Toolchain::default(),
            needed: vec![],
            numpy_init_exports: vec![],
            imported_functions: Default::default(),
            referenced_modules: Default::default(),
            problems: vec![],
        }
    }

    pub fn scan_with(numpy_version: &str, dist: Dist, facts: BinaryFacts) -> Scan {
        Scan {
            python_version: Some("3.11.7".into()),
            dists: vec![dist],
            modules: vec![Module {
                path: "/site/pkg/m.cpython-311-x86_64-linux-gnu.so".into(),
                module: Some("pkg.m".into()),
                dist: Some(0),
                facts: facts.into(),
            }],
            numpy: Some(RuntimeNumpy {
                version: numpy_version.into(),
                path: "/site/numpy".into(),
                release: knowledge().release(numpy_version).unwrap(),
                beyond_knowledge: false,
                metadata_version: None,
            }),
            ..Default::default()
        }
    }

    pub fn dist(name: &str, version: &str, req: Option<&str>) -> Dist {
        Dist {
            name: name.into(),
            version: version.into(),
            numpy_requirement: req.map(str::to_string),
            built_locally: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes are unique across both tables, and every doc has the same sections (the lint rules'
    /// table is checked here too, so that `abi-doctor rule` can find any code).
    #[test]
    fn codes_are_unique_and_documented() {
        let all: Vec<(&str, &str, String)> = RULES
            .iter()
            .map(|r| (r.code, r.name, r.doc()))
            .chain(
                crate::lint::rules::LINT_RULES
                    .iter()
                    .map(|r| (r.code, r.name, r.doc())),
            )
            .collect();
        let mut codes: Vec<_> = all.iter().map(|(c, _, _)| *c).collect();
        codes.sort();
        let n = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), n, "duplicate rule codes");
        for (code, name, doc) in &all {
            assert!(
                title_of(doc).starts_with(&format!("{code} {name}: ")),
                "{code}: the doc must open with `CODE name: ...`"
            );
            for section in [
                "## What it detects",
                "## Why it breaks",
                "## Example",
                "## Fix",
                "## References",
            ] {
                assert!(doc.contains(section), "{code} lacks {section}");
            }
        }
    }

    /// Printed commands act on the scanned interpreter and paste into a shell as one word per
    /// argument, spaces and quotes included.
    #[test]
    fn commands_name_the_scanned_interpreter() {
        let t = Target {
            python: Some("/home/ana/my envs/it's/bin/python3".into()),
            conda_prefix: None,
            pip_version: None,
        };
        assert_eq!(
            t.pip_install("\"numpy>=1.23,<2\""),
            "'/home/ana/my envs/it'\\''s/bin/python3' -m pip install \"numpy>=1.23,<2\""
        );
        assert_eq!(t.conda_install("x"), None);
        let t = Target {
            python: Some("/v/bin/python3".into()),
            conda_prefix: Some("/opt/conda/envs/a".into()),
            pip_version: None,
        };
        assert_eq!(
            t.uv_install("x"),
            "uv pip install --python /v/bin/python3 x"
        );
        assert_eq!(
            t.conda_install("x").unwrap(),
            "conda install -p /opt/conda/envs/a x"
        );
    }

    /// Codes and names are public: configuration, CI annotations and users' notes refer to them.
    /// Changing one is a breaking change, so it must show up as a snapshot change.
    #[test]
    fn the_rule_table_is_stable() {
        let table: Vec<String> = RULES.iter().map(Rule::title).collect();
        insta::assert_snapshot!(table.join("\n"));
    }
}
