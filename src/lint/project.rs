//! The Python project files: pyproject.toml (parsed with toml_edit, which keeps every value's
//! place in the file), setup.cfg (its `[options]` keys) and setup.py (read as text, never run:
//! the requirement strings of `setup_requires` and `install_requires`). [`projects`] puts the
//! files of one directory together.

use super::files::{Content, FileRead};
use super::versions::{Origin, Req};
use super::{line_col, Config, Loc};
use regex::Regex;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// What pyproject.toml says.
#[derive(Debug, Clone, Default)]
pub struct Pyproject {
    pub build_requires: Vec<Req>,
    /// `[project] dependencies`; `None` when absent or listed in `dynamic`.
    pub dependencies: Option<Vec<Req>>,
    pub requires_python: Option<String>,
    /// `[tool.abi-doctor.lint]`.
    pub config: Config,
    /// The pyproject.toml is at the root of what is linted (its configuration applies).
    pub dir_is_root: bool,
    pub target: Option<String>,
}

/// What setup.cfg or setup.py says.
#[derive(Debug, Clone, Default)]
pub struct SetupFile {
    pub setup_requires: Vec<Req>,
    pub install_requires: Vec<Req>,
    pub python_requires: Option<String>,
    pub target: Option<String>,
}

fn loc(text: &str, file: &str, offset: usize) -> Loc {
    let (line, column) = line_col(text, offset);
    Loc {
        file: file.to_string(),
        line,
        column,
    }
}

/// Parse pyproject.toml. Broken TOML is an error naming the line and column.
pub fn read_pyproject(text: &str, file: &str, dir_is_root: bool) -> Result<Pyproject, String> {
    let doc = toml_edit::Document::parse(text.to_string()).map_err(|e| {
        format!(
            "not valid TOML: {}",
            e.to_string().trim().replace('\n', " ")
        )
    })?;
    let root = doc.as_table();
    let mut out = Pyproject {
        dir_is_root,
        ..Default::default()
    };
    let strings = |item: Option<&toml_edit::Item>, origin: Origin| -> Vec<Req> {
        let Some(arr) = item.and_then(|i| i.as_array()) else {
            return Vec::new();
        };
        arr.iter()
            .filter_map(|v| {
                let s = v.as_str()?;
                let span = v.span()?;
                let mut r = Req::parse(s, origin, loc(text, file, span.start))?;
                // The contents between the quotes, when the raw text is the value itself (no
                // escapes, single-line): the only strings `--fix` splices into.
                let raw = text.get(span.clone())?;
                let inner = span.start + 1..span.end - 1;
                if raw.len() >= 2
                    && (raw.starts_with('"') || raw.starts_with('\''))
                    && !raw.starts_with("\"\"\"")
                    && !raw.starts_with("'''")
                    && text.get(inner.clone()) == Some(s)
                {
                    r.toml_span = Some(inner);
                }
                Some(r)
            })
            .collect()
    };
    let build = root.get("build-system").and_then(|b| b.as_table_like());
    out.build_requires = strings(build.and_then(|b| b.get("requires")), Origin::BuildSystem);
    if let Some(project) = root.get("project").and_then(|p| p.as_table_like()) {
        let dynamic: Vec<String> = project
            .get("dynamic")
            .and_then(|d| d.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if !dynamic.iter().any(|d| d == "dependencies") {
            out.dependencies = Some(strings(
                project.get("dependencies"),
                Origin::ProjectDependencies,
            ));
        }
        out.requires_python = project
            .get("requires-python")
            .and_then(|v| v.as_str())
            .map(str::to_string);
    }
    let tool = root.get("tool").and_then(|t| t.as_table_like());
    if let Some(lint) = tool
        .and_then(|t| t.get("abi-doctor"))
        .and_then(|t| t.as_table_like())
        .and_then(|t| t.get("lint"))
        .and_then(|t| t.as_table_like())
    {
        let list = |k: &str| -> Result<Option<Vec<String>>, String> {
            match lint.get(k) {
                None => Ok(None),
                Some(i) => i
                    .as_array()
                    .and_then(|a| a.iter().map(|v| v.as_str().map(str::to_string)).collect())
                    .map(Some)
                    .ok_or_else(|| {
                        format!("[tool.abi-doctor.lint] {k} must be a list of rule codes, like [\"NPL001\"]")
                    }),
            }
        };
        let python_version = match lint.get("python-version") {
            None => None,
            Some(i) => Some(
                i.as_str()
                    .filter(|v| crate::knowledge::parse_line(v).is_some())
                    .map(str::to_string)
                    .ok_or_else(|| {
                        "[tool.abi-doctor.lint] python-version must be a Python version string, like \"3.11\"".to_string()
                    })?,
            ),
        };
        out.config = Config {
            select: list("select")?,
            ignore: list("ignore")?.unwrap_or_default(),
            python_version,
        };
    }
    out.target = target_version(text);
    Ok(out)
}

/// `NPY_TARGET_VERSION` set to `NPY_1_22_API_VERSION` (a define in setup.py, a `-D` argument in
/// meson.build or pyproject.toml) -> "1.22".
pub fn target_version(text: &str) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| Regex::new(r"NPY_TARGET_VERSION\W{1,8}NPY_(\d+)_(\d+)_API_VERSION").ok())
        .as_ref()?;
    let c = re.captures(text)?;
    Some(format!("{}.{}", c.get(1)?.as_str(), c.get(2)?.as_str()))
}

/// setup.cfg's `[options]` `setup_requires`, `install_requires` and `python_requires`. An INI
/// value continues on the indented lines after its key.
pub fn read_setup_cfg(text: &str, file: &str) -> SetupFile {
    let mut out = SetupFile::default();
    let mut section = String::new();
    let mut key: Option<String> = None;
    let mut offset = 0;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let indented = line.starts_with([' ', '\t']);
        if !indented {
            key = None;
            if trimmed.starts_with('[') {
                section = trimmed.trim_matches(['[', ']']).trim().to_string();
                continue;
            }
            if section != "options" {
                continue;
            }
            let Some((k, v)) = trimmed.split_once(['=', ':']) else {
                continue;
            };
            let k = k.trim().to_string();
            let v = v.trim();
            if k == "python_requires" {
                out.python_requires = Some(v.to_string());
            }
            if k == "setup_requires" || k == "install_requires" {
                key = Some(k);
                if !v.is_empty() {
                    let col = start + line.find(v).unwrap_or(0);
                    push_cfg(&mut out, key.as_deref(), v, text, file, col);
                }
            }
            continue;
        }
        if key.is_some() {
            let v = trimmed.split(" #").next().unwrap_or(trimmed).trim();
            let col = start + line.find(v).unwrap_or(0);
            push_cfg(&mut out, key.as_deref(), v, text, file, col);
        }
    }
    out.target = target_version(text);
    out
}

fn push_cfg(out: &mut SetupFile, key: Option<&str>, v: &str, text: &str, file: &str, at: usize) {
    let (origin, list) = match key {
        Some("setup_requires") => (Origin::SetupRequires, &mut out.setup_requires),
        Some("install_requires") => (Origin::InstallRequires, &mut out.install_requires),
        _ => return,
    };
    if let Some(r) = Req::parse(v, origin, loc(text, file, at)) {
        list.push(r);
    }
}

/// setup.py as text: every string literal that is a requirement on numpy,
/// oldest-supported-numpy or pybind11, classified by the list it sits in: `setup_requires=[...]`
/// (or a list assigned to a name with SETUP or BUILD in it) is a build requirement,
/// `install_requires=[...]` (or a name with REQUIRE, INSTALL or RUN in it) a runtime one.
/// Comments are blanked first (their brackets would mislead the list search). Requirements
/// computed by code are not seen.
pub fn read_setup_py(text: &str, file: &str) -> SetupFile {
    static LIT: OnceLock<Option<Regex>> = OnceLock::new();
    static PYREQ: OnceLock<Option<Regex>> = OnceLock::new();
    let mut out = SetupFile {
        target: target_version(text),
        ..Default::default()
    };
    let Some(lit) = LIT
        .get_or_init(|| {
            // Names as projects write them, lowercase (the regex build has no Unicode case tables).
            Regex::new(r#"["']((?:numpy|oldest[-_.]supported[-_.]numpy|pybind11)\s*(?:[<>=!~][^"'\n]*)?(?:;[^"'\n]*)?)["']"#).ok()
        })
        .as_ref()
    else {
        return out;
    };
    let code = blank_comments(text);
    for c in lit.captures_iter(&code) {
        let Some(m) = c.get(1) else { continue };
        let Some(origin) = enclosing_list(&code[..m.start()]) else {
            continue;
        };
        if let Some(r) = Req::parse(m.as_str(), origin, loc(text, file, m.start() - 1)) {
            match origin {
                Origin::SetupRequires => out.setup_requires.push(r),
                _ => out.install_requires.push(r),
            }
        }
    }
    if let Some(re) = PYREQ
        .get_or_init(|| Regex::new(r#"python_requires\s*=\s*["']([^"']+)["']"#).ok())
        .as_ref()
    {
        out.python_requires = re
            .captures(text)
            .and_then(|c| Some(c.get(1)?.as_str().to_string()));
    }
    out
}

/// `text` with every `#` comment (outside a string) replaced by spaces, same length.
fn blank_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut escaped = false;
    for c in text.chars() {
        if c == '\n' {
            comment = false;
            quote = None;
            out.push(c);
            continue;
        }
        if comment {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            continue;
        }
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' => {
                comment = true;
                out.push(' ');
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

/// The list a literal sits in, from the text before it: the innermost unclosed `[` and the
/// name just before it (`install_requires=[`, `RUN_REQUIRES = [`).
fn enclosing_list(before: &str) -> Option<Origin> {
    let mut depth = 0i32;
    let bytes = before.as_bytes();
    let mut i = bytes.len();
    while i > 0 {
        i -= 1;
        match bytes[i] {
            b']' | b')' | b'}' => depth += 1,
            b'(' | b'{' if depth > 0 => depth -= 1,
            b'[' if depth > 0 => depth -= 1,
            b'[' => break,
            b'\n' if before.len() - i > 4000 => return None,
            _ => {}
        }
        if i == 0 {
            return None;
        }
    }
    let head = before[..i].trim_end();
    let head = head.strip_suffix(['=', ':']).unwrap_or(head).trim_end();
    let name: String = head
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let upper = name.to_ascii_uppercase();
    if upper.contains("SETUP") || upper.contains("BUILD") {
        Some(Origin::SetupRequires)
    } else if upper.contains("REQUIRE") || upper.contains("INSTALL") || upper.contains("RUN") {
        Some(Origin::InstallRequires)
    } else {
        None
    }
}

/// One project: the files of one directory put together.
#[derive(Debug, Clone, Default)]
pub struct Project {
    pub dir: PathBuf,
    pub build: Vec<Req>,
    /// The runtime requirements: `[project] dependencies` when pyproject.toml declares them
    /// statically, else setup.cfg's and setup.py's `install_requires`.
    pub runtime: Vec<Req>,
    /// The runtime requirements are declared statically in pyproject.toml, so an absent numpy
    /// really is absent (setup.py may compute its requirements in code).
    pub runtime_complete: bool,
    pub requires_python: Option<String>,
    /// `NPY_TARGET_VERSION` in the build configuration ("1.22").
    pub target: Option<String>,
}

/// The projects among the files read, one per directory holding a pyproject.toml, setup.cfg or
/// setup.py.
pub fn projects(files: &[FileRead]) -> Vec<Project> {
    let mut dirs: Vec<PathBuf> = files
        .iter()
        .filter(|f| {
            matches!(
                f.content,
                Content::Pyproject(_) | Content::SetupCfg(_) | Content::SetupPy(_)
            )
        })
        .filter_map(|f| f.path.parent().map(Path::to_path_buf))
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs.into_iter()
        .map(|dir| {
            let here = files
                .iter()
                .filter(|f| f.path.parent() == Some(dir.as_path()));
            let mut p = Project {
                dir: dir.clone(),
                ..Default::default()
            };
            let mut pyproject_deps = None;
            let mut setup_runtime = Vec::new();
            for f in here {
                match &f.content {
                    Content::Pyproject(pp) => {
                        p.build.extend(pp.build_requires.iter().cloned());
                        pyproject_deps = pp.dependencies.clone();
                        p.requires_python = p.requires_python.take().or(pp.requires_python.clone());
                        p.target = p.target.take().or(pp.target.clone());
                    }
                    Content::SetupCfg(s) | Content::SetupPy(s) => {
                        p.build.extend(s.setup_requires.iter().cloned());
                        setup_runtime.extend(s.install_requires.iter().cloned());
                        if p.requires_python.is_none() {
                            p.requires_python = s.python_requires.clone();
                        }
                        p.target = p.target.take().or(s.target.clone());
                    }
                    Content::MesonBuild(t) => p.target = p.target.take().or(t.clone()),
                    _ => {}
                }
            }
            match pyproject_deps {
                Some(d) => {
                    p.runtime = d;
                    p.runtime_complete = true;
                }
                None => p.runtime = setup_runtime,
            }
            p
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pyproject_locations_and_spans() {
        let t = "[build-system]\nrequires = [\n  \"setuptools\",\n  'oldest-supported-numpy; python_version<\"3.12\"',\n]\n[project]\ndependencies = [\"numpy>=1.22\"]\n[tool.abi-doctor.lint]\nignore = [\"NPL004\"]\n";
        let p = read_pyproject(t, "pyproject.toml", true).unwrap();
        let o = &p.build_requires[1];
        assert_eq!(o.name, "oldest-supported-numpy");
        assert_eq!((o.loc.line, o.loc.column), (4, 3));
        let span = o.toml_span.clone().unwrap();
        assert_eq!(&t[span], "oldest-supported-numpy; python_version<\"3.12\"");
        assert_eq!(p.dependencies.as_ref().unwrap()[0].loc.line, 7);
        assert_eq!(p.config.ignore, vec!["NPL004"]);
    }

    #[test]
    fn broken_toml_names_the_place() {
        let e = read_pyproject("[project\nname = 1", "pyproject.toml", true).unwrap_err();
        assert!(e.contains("TOML") && e.contains("line 1"), "{e}");
    }

    #[test]
    fn setup_py_literals_by_list() {
        let t = "RUN_REQUIRES = [\n    # (e.g. NumPy >=1.23.2 for Python 3.11).\n    \"numpy >=1.17.3\",\n]\nSETUP_REQUIRES = ['oldest-supported-numpy']\nsetup(install_requires=RUN_REQUIRES, python_requires='>=3.8')\nprint('numpy')\n";
        let s = read_setup_py(t, "setup.py");
        assert_eq!(s.install_requires.len(), 1);
        assert_eq!(s.install_requires[0].specifier, ">=1.17.3");
        assert_eq!(s.install_requires[0].loc.line, 3);
        assert_eq!(s.setup_requires[0].name, "oldest-supported-numpy");
        assert_eq!(s.python_requires.as_deref(), Some(">=3.8"));
    }

    #[test]
    fn setup_cfg_options() {
        let t = "[metadata]\nname = x\n[options]\npython_requires = >=3.9\nsetup_requires =\n    numpy==1.23.2\ninstall_requires = numpy>=1.20\n";
        let s = read_setup_cfg(t, "setup.cfg");
        assert_eq!(s.setup_requires[0].loc.line, 6);
        assert_eq!(s.setup_requires[0].loc.column, 5);
        assert_eq!(s.install_requires[0].specifier, ">=1.20");
        assert_eq!(s.python_requires.as_deref(), Some(">=3.9"));
    }

    #[test]
    fn target_version_forms() {
        assert_eq!(
            target_version("'-DNPY_TARGET_VERSION=NPY_1_22_API_VERSION'").as_deref(),
            Some("1.22")
        );
        assert_eq!(
            target_version("(\"NPY_TARGET_VERSION\", \"NPY_1_19_API_VERSION\")").as_deref(),
            Some("1.19")
        );
    }
}
