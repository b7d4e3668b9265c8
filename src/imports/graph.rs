//! The import graph of an environment: what each module imports when it is initialised.
//!
//! Python modules and packages are read as text, never run: module-level, unguarded `import` and
//! `from ... import` statements in order. Imports inside `try:` blocks are skipped (a guarded
//! import does not kill the package: h5py's `_npystrings`), as are imports inside functions and
//! classes (they run later, if ever). Extension modules contribute the dotted module names their
//! strings carry (Cython imports its cimported modules in the module's init, before the body runs).

use crate::binary::NameList;
use crate::fsread::{read_text, Limit};
use crate::inventory::SourceIndex;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

/// One import statement found at module level: the module it names and, for `from X import a, b`,
/// the imported names (each may be a submodule).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportStmt {
    pub module: String,
    pub names: Vec<String>,
}

/// Module-level, unguarded imports of a Python source file, in order. `package` is the package the
/// file belongs to (for relative imports): for `pandas/__init__.py` it is `pandas`, for
/// `pandas/core/api.py` it is `pandas.core`.
///
/// The source is first cut into logical lines the way Python's tokenizer does (brackets and
/// backslashes continue a line, strings and comments are blanked), so that a function signature
/// whose closing `):` sits in column 0, or a docstring line in column 0, does not end the
/// function's body: `sklearn/_config.py`'s `set_config(` imports `.utils._array_api` only when
/// called.
pub fn parse_imports(source: &str, package: &str) -> Vec<ImportStmt> {
    let mut sink = ImportSink {
        package,
        out: Vec::new(),
        hidden_at: None,
    };
    logical_lines(source, &mut sink);
    sink.out
}

/// What [`logical_lines`] hands its logical lines to.
trait LineSink {
    /// Will the logical line that starts at this indentation be looked at? When not, its text is
    /// not collected (the lexer still follows its strings and brackets).
    fn wants(&mut self, indent: usize) -> bool;
    /// A logical line: (indentation of its first physical line, its code).
    fn line(&mut self, indent: usize, logical: &str);
}

struct ImportSink<'p> {
    package: &'p str,
    out: Vec<ImportStmt>,
    /// Indentation of the innermost block that hides imports (def, class, try), if any.
    hidden_at: Option<usize>,
}

impl LineSink for ImportSink<'_> {
    fn wants(&mut self, indent: usize) -> bool {
        !matches!(self.hidden_at, Some(h) if indent > h)
    }
    fn line(&mut self, indent: usize, logical: &str) {
        let t = logical.trim();
        if t.is_empty() {
            return;
        }
        if let Some(h) = self.hidden_at {
            if indent > h {
                return;
            }
            self.hidden_at = None;
        }
        // Decorators, then the def/class they decorate.
        if t.starts_with('@') {
            return;
        }
        if t.starts_with("def ")
            || t.starts_with("async def ")
            || t.starts_with("class ")
            || t.starts_with("try:")
            || t.starts_with("except")
            || t.starts_with("if TYPE_CHECKING")
            || t.starts_with("if typing.TYPE_CHECKING")
        {
            // `def f(): import x` on one line hides its body too.
            self.hidden_at = Some(indent);
            return;
        }
        // Only a statement naming `import` can be one (`from x import y` names it too).
        if memchr::memmem::find(t.as_bytes(), b"import").is_some() {
            parse_statement(t, self.package, &mut self.out);
        }
    }
}

/// Bytes that end a run of plain code outside strings: a line end, a comment, a quote, a
/// bracket, a backslash.
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    let s = b"\n#'\"()[]{}\\";
    while i < s.len() {
        t[s[i] as usize] = true;
        i += 1;
    }
    t
};

/// Logical lines of Python source, handed to `sink` in order: (indentation of the first physical
/// line, code with string contents and comments removed, continuation lines joined with a space).
/// Physical lines end at `\n` or `\r\n`, as `str::lines` splits them. One pass over the bytes.
fn logical_lines(source: &str, sink: &mut impl LineSink) {
    let b = source.as_bytes();
    let n = b.len();
    // Does the physical line end right after position `j` (a backslash at `j - 1` is its last
    // byte)?
    let eol =
        |j: usize| j >= n || b[j] == b'\n' || (b[j] == b'\r' && j + 1 < n && b[j + 1] == b'\n');
    let mut cur = String::new();
    let mut in_progress = false;
    let mut indent = 0usize;
    let mut want = true;
    let mut depth = 0i32;
    // Inside a string: its quote (`'`, `"`, `'''` or `"""`).
    let mut quote: Option<&'static str> = None;
    let mut ls = 0usize;
    while ls < n {
        if !in_progress {
            let ws = b[ls..]
                .iter()
                .position(|&c| !matches!(c, b' ' | b'\t' | b'\x0b' | b'\x0c' | b'\r'))
                .map_or(n, |k| ls + k);
            indent = if ws < n && b[ws] >= 0x80 {
                // Perhaps Unicode white space: measure as `trim_start` does.
                let end = memchr::memchr(b'\n', &b[ls..]).map_or(n, |k| ls + k);
                let line = &source[ls..end];
                let line = line.strip_suffix('\r').filter(|_| end < n).unwrap_or(line);
                line.len() - line.trim_start().len()
            } else {
                ws - ls
            };
            want = sink.wants(indent);
        }
        let mut i = ls;
        let mut continued = false;
        // Position of the line's `\n` (or `n`).
        let nl = loop {
            if i >= n {
                break n;
            }
            if let Some(q) = quote {
                let qb = q.as_bytes();
                match memchr::memchr3(b'\\', qb[0], b'\n', &b[i..]) {
                    Some(k) => i += k,
                    None => break n,
                }
                match b[i] {
                    b'\n' => break i,
                    b'\\' if eol(i + 1) => {
                        i += 1;
                        continue;
                    }
                    b'\\' => i += 2,
                    _ if b[i..].starts_with(qb) => {
                        quote = None;
                        if want {
                            cur.push_str(q);
                        }
                        i += q.len();
                    }
                    _ => i += 1,
                }
                continue;
            }
            // A run of plain code, copied at once (it ends at an ASCII byte: a char boundary).
            let end = b[i..]
                .iter()
                .position(|&c| SPECIAL[usize::from(c)])
                .map_or(n, |k| i + k);
            if want && end > i {
                let mut run = &source[i..end];
                if end < n && b[end] == b'\n' {
                    run = run.strip_suffix('\r').unwrap_or(run);
                }
                cur.push_str(run);
            }
            i = end;
            if i >= n {
                break n;
            }
            match b[i] {
                b'\n' => break i,
                b'#' => break memchr::memchr(b'\n', &b[i..]).map_or(n, |k| i + k),
                b'\'' | b'"' => {
                    let q: &'static str = match (
                        b[i],
                        b[i..].starts_with(b"\"\"\""),
                        b[i..].starts_with(b"\'\'\'"),
                    ) {
                        (_, true, _) => "\"\"\"",
                        (_, _, true) => "\'\'\'",
                        (b'"', ..) => "\"",
                        _ => "\'",
                    };
                    if want {
                        cur.push_str(q);
                    }
                    quote = Some(q);
                    i += q.len();
                    continue;
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = (depth - 1).max(0),
                b'\\' if eol(i + 1) => {
                    continued = true;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            if want {
                cur.push(char::from(b[i]));
            }
            i += 1;
        };
        ls = nl + 1;
        // A single-quoted string cannot span lines (without a backslash): end it.
        if matches!(quote, Some("\'") | Some("\"")) && !continued {
            quote = None;
        }
        if depth > 0 || continued || quote.is_some() {
            if want {
                cur.push(' ');
            }
            in_progress = true;
            continue;
        }
        if want {
            sink.line(indent, &cur);
        }
        cur.clear();
        in_progress = false;
    }
    if in_progress && want {
        sink.line(indent, &cur);
    }
}

fn resolve_relative(module: &str, package: &str) -> Option<String> {
    let dots = module.chars().take_while(|&c| c == '.').count();
    if dots == 0 {
        return Some(module.to_string());
    }
    let mut parts: Vec<&str> = package.split('.').collect();
    for _ in 1..dots {
        parts.pop()?;
    }
    let rest = &module[dots..];
    if !rest.is_empty() {
        parts.push(rest);
    }
    (!parts.is_empty()).then(|| parts.join("."))
}

fn parse_statement(stmt: &str, package: &str, out: &mut Vec<ImportStmt>) {
    let stmt = stmt.trim().trim_end_matches(';');
    for part in stmt.split(';') {
        let part = part.trim();
        if let Some(rest) = part.strip_prefix("import ") {
            for item in rest.split(',') {
                let name = item.split_whitespace().next().unwrap_or("");
                if is_dotted(name) {
                    out.push(ImportStmt {
                        module: name.to_string(),
                        names: vec![],
                    });
                }
            }
        } else if let Some(rest) = part.strip_prefix("from ") {
            let Some((module, names)) = rest.split_once(" import ") else {
                continue;
            };
            let Some(module) = resolve_relative(module.trim(), package) else {
                continue;
            };
            let names = names
                .replace(['(', ')'], " ")
                .split(',')
                .filter_map(|n| n.split_whitespace().next().map(str::to_string))
                .filter(|n| n != "*" && is_dotted(n))
                .collect();
            out.push(ImportStmt { module, names });
        }
    }
}

fn is_dotted(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

/// What the walk may ask about a module.
pub trait ModuleGraph {
    /// Is `module` known to exist (a Python file, a package, or an extension)?
    fn exists(&self, module: &str) -> bool;
    /// Module-level imports of `module`, in order: parsed source for Python modules, dotted names
    /// from the strings for extensions. Shared: walks ask for the same module many times.
    fn imports(&self, module: &str) -> Rc<[String]>;
    /// The predicted failure of an extension module: (exception, message).
    fn failure(&self, module: &str) -> Option<(String, String)>;
    /// Is `module` predicted to fail ([`ModuleGraph::failure`] without the copy)?
    fn fails(&self, module: &str) -> bool {
        self.failure(module).is_some()
    }
}

/// Resolve `from X import a` into the modules it loads: `X`, then `X.a` where that is a module.
pub fn expand(stmts: &[ImportStmt], exists: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut sub = String::new();
    for s in stmts {
        out.push(s.module.clone());
        for n in &s.names {
            sub.clear();
            sub.push_str(&s.module);
            sub.push('.');
            sub.push_str(n);
            if exists(&sub) {
                out.push(sub.clone());
            }
        }
    }
    out
}

/// Parsed imports of Python source files kept between runs (the facts cache,
/// `crate::scan::cache`), so that an unchanged file is neither read nor parsed again.
pub trait SourceCache {
    /// The statements of `path`, read as a module of `package`, when the file is unchanged since
    /// they were stored.
    fn get(&self, path: &Path, package: &str) -> Option<Arc<[ImportStmt]>>;
    /// Remember the statements of `path` (as of when [`SourceCache::get`] last looked at it).
    fn put(&self, path: &Path, package: &str, stmts: &Arc<[ImportStmt]>);
}

/// A simple in-memory graph, for tests and for callers that precompute everything.
#[derive(Debug, Default)]
pub struct MapGraph {
    pub imports: BTreeMap<String, Vec<String>>,
    pub failures: BTreeMap<String, (String, String)>,
}

impl ModuleGraph for MapGraph {
    fn exists(&self, module: &str) -> bool {
        self.imports.contains_key(module) || self.failures.contains_key(module)
    }
    fn imports(&self, module: &str) -> Rc<[String]> {
        self.imports
            .get(module)
            .map_or_else(|| Rc::from([]), |v| Rc::from(v.as_slice()))
    }
    fn failure(&self, module: &str) -> Option<(String, String)> {
        self.failures.get(module).cloned()
    }
}

/// The module graph of an environment, read lazily from its files: Python sources from the
/// inventory's index of the site directories (first match in path order, as the import system
/// does; no `stat` per candidate name), extension modules from their inspected facts. Only the
/// modules the walk reaches are read.
pub struct EnvGraph<'a> {
    sources: &'a SourceIndex,
    /// Extension module name -> the dotted module names its binary references.
    binaries: HashMap<&'a str, &'a NameList>,
    failures: &'a BTreeMap<String, (String, String)>,
    /// Imports of each Python module already parsed: the walk starts from every top-level
    /// package, and most of them reach the same modules (numpy's, their own `__init__`).
    parsed: RefCell<HashMap<String, Rc<[String]>>>,
    cache: Option<&'a dyn SourceCache>,
}

impl<'a> EnvGraph<'a> {
    /// `sources`: the inventory's index of Python source modules; `binaries`: each extension
    /// module's name and the dotted module names its binary references (what its init imports);
    /// `failures`: module -> (exception, message) of the modules predicted to fail.
    pub fn new(
        sources: &'a SourceIndex,
        binaries: impl IntoIterator<Item = (&'a str, &'a NameList)>,
        failures: &'a BTreeMap<String, (String, String)>,
    ) -> Self {
        EnvGraph {
            sources,
            binaries: binaries.into_iter().collect(),
            failures,
            parsed: RefCell::new(HashMap::new()),
            cache: None,
        }
    }

    /// Take parsed statements from `cache` and store new ones there.
    pub fn with_cache(mut self, cache: Option<&'a dyn SourceCache>) -> Self {
        self.cache = cache;
        self
    }

    fn source_path(&self, module: &str) -> Option<(&Path, bool)> {
        self.sources.get(module)
    }
}

impl ModuleGraph for EnvGraph<'_> {
    fn exists(&self, module: &str) -> bool {
        self.binaries.contains_key(module) || self.source_path(module).is_some()
    }
    fn imports(&self, module: &str) -> Rc<[String]> {
        if let Some(known) = self.parsed.borrow().get(module) {
            return known.clone();
        }
        let got: Rc<[String]> = match self.binaries.get(module) {
            Some(refs) => refs.iter().map(String::from).collect(),
            None => Rc::from(self.parse_source(module)),
        };
        self.parsed
            .borrow_mut()
            .insert(module.to_string(), got.clone());
        got
    }
    fn failure(&self, module: &str) -> Option<(String, String)> {
        self.failures.get(module).cloned()
    }
    fn fails(&self, module: &str) -> bool {
        self.failures.contains_key(module)
    }
}

impl EnvGraph<'_> {
    fn parse_source(&self, module: &str) -> Vec<String> {
        let Some((path, is_pkg)) = self.source_path(module) else {
            return vec![];
        };
        let package = if is_pkg {
            module.to_string()
        } else {
            module
                .rsplit_once('.')
                .map(|(p, _)| p.to_string())
                .unwrap_or_default()
        };
        let stmts = match self.cache.and_then(|c| c.get(path, &package)) {
            Some(stmts) => stmts,
            None => {
                // Bounded read: larger Python files are generated data, not import lists.
                let Ok(text) = read_text(path, Limit::PythonSource) else {
                    return vec![];
                };
                let stmts: Arc<[ImportStmt]> = parse_imports(&text, &package).into();
                if let Some(c) = self.cache {
                    c.put(path, &package, &stmts);
                }
                stmts
            }
        };
        expand(&stmts, |m| self.exists(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A signature closing in column 0, a docstring line in column 0, a decorator and a string
    /// holding `#` or brackets do not end a function body (the shape of sklearn 1.3.2's
    /// `_config.set_config`; the real file is tested in tests/imports_real.rs).
    #[test]
    fn function_bodies_survive_column_zero_lines() {
        let src = r##"
import os
def set_config(
    assume_finite=None,
    array_api_dispatch=None,
):
    """Set the configuration.

Examples in column 0:
import not_an_import
    """
    if array_api_dispatch is not None:
        from .utils._array_api import _check_array_api_dispatch
@decorator(
    "x(",
)
def g():
    s = "# ("
    import also_hidden
x = {"a": (1,
  2)}
replacement_char = '�' ; s = "é\\" ; t = 'ü\'('

from .core import api
"##;
        let mods: Vec<String> = parse_imports(src, "sklearn")
            .into_iter()
            .map(|s| s.module)
            .collect();
        assert_eq!(mods, ["os", "sklearn.core"]);
    }

    #[test]
    fn parses_module_level_imports_only() {
        let src = r#"
import numpy as np, os
from pandas._libs import (
    hashtable as _hashtable,  # comment
    lib as _lib,
)
from .core.api import DataFrame
from . import sub
try:
    from ._npystrings import x
except ImportError:
    pass
def f():
    import later
class C:
    from z import y
if TYPE_CHECKING:
    import typing_only
from pandas._libs.interval import Interval
"#;
        let got = parse_imports(src, "pandas");
        let mods: Vec<&str> = got.iter().map(|s| s.module.as_str()).collect();
        assert_eq!(
            mods,
            [
                "numpy",
                "os",
                "pandas._libs",
                "pandas.core.api",
                "pandas",
                "pandas._libs.interval"
            ]
        );
        assert_eq!(got[2].names, ["hashtable", "lib"]);
        assert_eq!(got[4].names, ["sub"]);
    }

    #[test]
    fn relative_from_subpackage() {
        let got = parse_imports(
            "from ..base import X\nfrom .sibling import Y\n",
            "sklearn.utils",
        );
        assert_eq!(got[0].module, "sklearn.base");
        assert_eq!(got[1].module, "sklearn.utils.sibling");
    }
}
