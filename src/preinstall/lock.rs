//! Lock files read directly, as data: `pylock.toml` (PEP 751), `uv.lock` (uv's own format) and
//! `poetry.lock`. Each gives the pinned distributions an installer would install for the target
//! ([`Pin`]), with the wheel it would pick. Environment markers are evaluated for the target; a
//! marker abi-doctor cannot decide keeps the package (a check should not miss one).

use super::Target;
use super::{FileRef, Pin, PinChoice};
use crate::inventory::{marker_applies, normalize_name};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use toml_edit::{DocumentMut, Item, Value};

/// Which lock format a file holds: by name, then by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockKind {
    Pylock,
    Uv,
    Poetry,
}

impl LockKind {
    pub fn of(path: &Path, text: &str) -> Option<LockKind> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name == "uv.lock" {
            return Some(LockKind::Uv);
        }
        if name == "poetry.lock" {
            return Some(LockKind::Poetry);
        }
        if name == "pylock.toml" || (name.starts_with("pylock.") && name.ends_with(".toml")) {
            return Some(LockKind::Pylock);
        }
        if text.contains("lock-version") && text.contains("[[packages]]") {
            Some(LockKind::Pylock)
        } else if text.contains("[[package]]") && text.contains("source = {") {
            Some(LockKind::Uv)
        } else if text.contains("[[package]]") && text.contains("content-hash") {
            Some(LockKind::Poetry)
        } else {
            None
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LockKind::Pylock => "pylock.toml",
            LockKind::Uv => "uv.lock",
            LockKind::Poetry => "poetry.lock",
        }
    }
}

/// Why a lock file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{path}: not valid TOML: {reason}")]
    Toml { path: String, reason: String },
    #[error("{path}: not a {kind} file: {reason}")]
    Shape {
        path: String,
        kind: &'static str,
        reason: String,
    },
    #[error("{path}: not a lock file abi-doctor reads (pylock.toml, uv.lock, poetry.lock)")]
    Unknown { path: String },
}

/// What a lock file gives: the pins, one message for each entry that could not be used, and
/// how the set was chosen from the lock (which roots and groups).
#[derive(Debug, Default)]
pub struct LockRead {
    pub pins: Vec<Pin>,
    pub problems: Vec<String>,
    pub notes: Vec<String>,
}

/// The `pyproject.toml` next to a lock file, parsed, when there is one.
fn pyproject_next_to(base: &Path) -> Option<DocumentMut> {
    let text =
        crate::fsread::read_text(&base.join("pyproject.toml"), crate::fsread::Limit::Metadata)
            .ok()?;
    text.parse().ok()
}

/// `name[extra1,extra2] ...` -> the normalized extras.
fn requested_extras(req: &str) -> Vec<String> {
    let Some(open) = req.find('[') else {
        return Vec::new();
    };
    let before = &req[..open];
    if before.contains([';', '@', '=', '<', '>', '~', '!']) {
        return Vec::new();
    }
    req[open + 1..]
        .split(']')
        .next()
        .unwrap_or("")
        .split(',')
        .map(normalize_name)
        .filter(|e| !e.is_empty())
        .collect()
}

/// Read the lock file `text` (from `path`; relative paths in it are against its directory).
pub fn read_lock(path: &Path, text: &str, target: &Target) -> Result<LockRead, LockError> {
    let shown = path.display().to_string();
    let kind = LockKind::of(path, text).ok_or_else(|| LockError::Unknown {
        path: shown.clone(),
    })?;
    let doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| LockError::Toml {
            path: shown.clone(),
            reason: e.to_string().trim().replace('\n', " "),
        })?;
    let base = path.parent().unwrap_or(Path::new("."));
    match kind {
        LockKind::Pylock => pylock(&doc, &shown, base, target),
        LockKind::Uv => uv_lock(&doc, &shown, base, target),
        LockKind::Poetry => poetry_lock(&doc, &shown, base, target),
    }
}

fn shape(path: &str, kind: LockKind, reason: impl Into<String>) -> LockError {
    LockError::Shape {
        path: path.to_string(),
        kind: kind.label(),
        reason: reason.into(),
    }
}

fn get_str<'a>(t: &'a dyn toml_edit::TableLike, k: &str) -> Option<&'a str> {
    t.get(k)?.as_str()
}

/// An array of strings (`extra = ["a", "b"]`), normalized as names; nothing when absent.
fn names_at(v: Option<&Item>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
        .map(normalize_name)
        .collect()
}

/// The tables of an array of tables or of an array of inline tables.
fn tables(item: Option<&Item>) -> Vec<&dyn toml_edit::TableLike> {
    match item {
        Some(Item::ArrayOfTables(a)) => a.iter().map(|t| t as &dyn toml_edit::TableLike).collect(),
        Some(Item::Value(Value::Array(a))) => a
            .iter()
            .filter_map(|v| v.as_inline_table().map(|t| t as &dyn toml_edit::TableLike))
            .collect(),
        Some(Item::Value(Value::InlineTable(t))) => vec![t as &dyn toml_edit::TableLike],
        Some(Item::Table(t)) => vec![t as &dyn toml_edit::TableLike],
        _ => Vec::new(),
    }
}

fn applies(marker: Option<&str>, target: &Target) -> bool {
    match marker.map(str::trim).filter(|m| !m.is_empty()) {
        None => true,
        Some(m) => {
            marker_applies(m, &target.python_full, &target.marker_platform()).unwrap_or(true)
        }
    }
}

fn file_name_of(url_or_path: &str) -> String {
    let s = url_or_path.split(['#', '?']).next().unwrap_or(url_or_path);
    s.rsplit('/').next().unwrap_or(s).to_string()
}

/// A file entry of pylock.toml or uv.lock: `url`/`path`, `size`, `hashes.sha256` or `hash`.
fn file_ref(t: &dyn toml_edit::TableLike, base: &Path) -> Option<FileRef> {
    let url = get_str(t, "url").map(str::to_string);
    let path = get_str(t, "path");
    let filename = get_str(t, "name")
        .or_else(|| get_str(t, "filename"))
        .map(str::to_string)
        .or_else(|| url.as_deref().map(file_name_of))
        .or_else(|| path.map(file_name_of))?;
    let sha256 = t
        .get("hashes")
        .and_then(|h| {
            h.as_inline_table()
                .map(|i| i as &dyn toml_edit::TableLike)
                .or(h.as_table().map(|i| i as &dyn toml_edit::TableLike))
        })
        .and_then(|h| get_str(h, "sha256"))
        .or_else(|| get_str(t, "hash").and_then(|h| h.strip_prefix("sha256:")))
        .map(str::to_ascii_lowercase);
    let size = t
        .get("size")
        .and_then(|s| s.as_integer())
        .and_then(|s| u64::try_from(s).ok());
    Some(FileRef {
        filename,
        url,
        path: path.map(|p| base.join(p)),
        sha256,
        size,
    })
}

/// The `wheels` and the `sdist` of a pylock.toml or uv.lock package table.
fn files_of(p: &dyn toml_edit::TableLike, base: &Path) -> (Vec<FileRef>, Option<FileRef>) {
    let wheels = tables(p.get("wheels"))
        .into_iter()
        .filter_map(|w| file_ref(w, base))
        .collect();
    let sdist = p
        .get("sdist")
        .and_then(|s| tables(Some(s)).into_iter().next())
        .and_then(|s| file_ref(s, base));
    (wheels, sdist)
}

fn choose(
    name: &str,
    version: &str,
    from: &str,
    wheels: Vec<FileRef>,
    sdist: Option<FileRef>,
    target: &Target,
) -> Pin {
    let choice = match target.best(&wheels, |f| f.filename.as_str()) {
        Some(w) => PinChoice::Wheel(w.clone()),
        None => PinChoice::NoWheel {
            sdist,
            other_wheels: wheels.iter().map(|w| w.filename.clone()).collect(),
        },
    };
    Pin {
        name: name.to_string(),
        version: version.to_string(),
        from: from.to_string(),
        choice,
    }
}

fn pylock(
    doc: &DocumentMut,
    path: &str,
    base: &Path,
    target: &Target,
) -> Result<LockRead, LockError> {
    let k = LockKind::Pylock;
    let lv = doc
        .get("lock-version")
        .and_then(|v| v.as_str())
        .ok_or_else(|| shape(path, k, "no lock-version"))?;
    if !lv.starts_with("1.") && lv != "1" {
        return Err(shape(
            path,
            k,
            format!("lock-version {lv:?}: only 1.x is read"),
        ));
    }
    let pkgs = tables(doc.get("packages"));
    if doc.get("packages").is_some() && pkgs.is_empty() {
        return Err(shape(path, k, "packages is not an array of tables"));
    }
    let mut out = LockRead::default();
    for (i, p) in pkgs.into_iter().enumerate() {
        let Some(name) = get_str(p, "name") else {
            out.problems
                .push(format!("{path}: packages[{i}] has no name; skipped"));
            continue;
        };
        if !applies(get_str(p, "marker"), target) {
            continue;
        }
        let Some(version) = get_str(p, "version") else {
            out.problems.push(format!(
                "{path}: {name} has no version (a directory, VCS or archive source); skipped: \
                 only wheels can be checked before they are built"
            ));
            continue;
        };
        let (wheels, sdist) = files_of(p, base);
        out.pins
            .push(choose(name, version, path, wheels, sdist, target));
    }
    Ok(out)
}

/// One `dependencies` entry of uv.lock: name, the version when several are locked, marker.
struct UvDep {
    name: String,
    version: Option<String>,
    marker: Option<String>,
    extras: Vec<String>,
}

fn uv_deps(t: Option<&Item>) -> Vec<UvDep> {
    tables(t)
        .into_iter()
        .filter_map(|d| {
            Some(UvDep {
                name: normalize_name(get_str(d, "name")?),
                version: get_str(d, "version").map(str::to_string),
                marker: get_str(d, "marker").map(str::to_string),
                extras: names_at(d.get("extra")),
            })
        })
        .collect()
}

fn uv_lock(
    doc: &DocumentMut,
    path: &str,
    base: &Path,
    target: &Target,
) -> Result<LockRead, LockError> {
    let k = LockKind::Uv;
    doc.get("version")
        .and_then(|v| v.as_integer())
        .ok_or_else(|| shape(path, k, "no version"))?;
    let pkgs = tables(doc.get("package"));
    if pkgs.is_empty() {
        return Err(shape(path, k, "no [[package]] tables"));
    }
    let mut out = LockRead::default();
    // (normalized name, version) -> the package table.
    let mut by_key: BTreeMap<(String, String), &dyn toml_edit::TableLike> = BTreeMap::new();
    let mut versions: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut roots = Vec::new();
    for (i, p) in pkgs.iter().enumerate() {
        let (Some(name), Some(version)) = (get_str(*p, "name"), get_str(*p, "version")) else {
            // Dynamic-version workspace members have no version.
            if let Some(name) = get_str(*p, "name") {
                roots.push((normalize_name(name), String::new()));
                by_key.insert((normalize_name(name), String::new()), *p);
            } else {
                out.problems
                    .push(format!("{path}: package[{i}] has no name; skipped"));
            }
            continue;
        };
        let n = normalize_name(name);
        let source = p.get("source").and_then(|s| s.as_inline_table());
        let local = source.is_some_and(|s| {
            s.contains_key("virtual") || s.contains_key("editable") || s.contains_key("directory")
        });
        if local {
            roots.push((n.clone(), version.to_string()));
        }
        versions
            .entry(n.clone())
            .or_default()
            .push(version.to_string());
        by_key.insert((n, version.to_string()), *p);
    }
    // `uv sync` installs the project of the pyproject.toml beside the lock (a workspace's root),
    // with its default groups: `tool.uv.default-groups` (a list, or "all"), else `dev`.
    let pyproject = pyproject_next_to(base);
    let project = pyproject
        .as_ref()
        .and_then(|d| d.get("project")?.get("name")?.as_str().map(normalize_name));
    let default_groups = pyproject
        .as_ref()
        .and_then(|d| d.get("tool")?.get("uv")?.get("default-groups"));
    let groups: Option<Vec<String>> = match default_groups.and_then(Item::as_value) {
        Some(Value::String(s)) if s.value() == "all" => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .filter_map(|v| v.as_str())
                .map(normalize_name)
                .collect(),
        ),
        _ => Some(vec!["dev".to_string()]),
    };
    if let Some(p) = &project {
        if roots.iter().any(|(n, _)| n == p) {
            roots.retain(|(n, _)| n == p);
        }
    }
    let shown_roots: Vec<String> = roots.iter().map(|(n, _)| n.clone()).collect();
    if roots.is_empty() {
        roots = by_key.keys().cloned().collect();
        out.notes.push(format!(
            "{path}: no project package in the lock: every locked package is checked"
        ));
    } else {
        out.notes.push(format!(
            "{path}: the dependencies of {} with {}, as `uv sync` installs them",
            shown_roots.join(", "),
            match &groups {
                None => "all dependency groups (tool.uv.default-groups = \"all\")".to_string(),
                Some(g) if g.is_empty() => "no dependency group".to_string(),
                Some(g) => format!("the dependency groups {}", g.join(", ")),
            }
        ));
    }
    let root_set: BTreeSet<(String, String)> = roots.iter().cloned().collect();
    // Walk the graph from the project: dependencies, the default dependency groups, and the
    // optional dependencies the edges ask for.
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut todo: Vec<((String, String), Vec<String>)> =
        roots.into_iter().map(|r| (r, Vec::new())).collect();
    let mut visited_extras: BTreeSet<(String, String, String)> = BTreeSet::new();
    while let Some((key, extras)) = todo.pop() {
        let Some(p) = by_key.get(&key) else { continue };
        let first = seen.insert(key.clone());
        let mut deps = Vec::new();
        if first {
            deps.extend(uv_deps(p.get("dependencies")));
            if root_set.contains(&key) {
                if let Some(dev) = p.get("dev-dependencies").and_then(|d| d.as_table_like()) {
                    for (g, list) in dev.iter() {
                        let wanted = groups
                            .as_ref()
                            .is_none_or(|gs| gs.contains(&normalize_name(g)));
                        if wanted {
                            deps.extend(uv_deps(Some(list)));
                        }
                    }
                }
            }
        }
        if let Some(opt) = p
            .get("optional-dependencies")
            .and_then(|d| d.as_table_like())
        {
            for e in &extras {
                if visited_extras.insert((key.0.clone(), key.1.clone(), e.clone())) {
                    let found = opt
                        .iter()
                        .find(|(k, _)| normalize_name(k) == *e)
                        .map(|(_, v)| uv_deps(Some(v)))
                        .unwrap_or_default();
                    deps.extend(found);
                }
            }
        }
        for d in deps {
            if !applies(d.marker.as_deref(), target) {
                continue;
            }
            let vs = versions.get(&d.name).cloned().unwrap_or_default();
            let version = match (&d.version, vs.as_slice()) {
                (Some(v), _) => v.clone(),
                (None, [one]) => one.clone(),
                (None, []) => {
                    out.problems.push(format!(
                        "{path}: {} depends on {}, which is not locked; skipped",
                        key.0, d.name
                    ));
                    continue;
                }
                (None, many) => {
                    // Pick by the package's resolution-markers.
                    let fit = many.iter().find(|v| {
                        by_key
                            .get(&(d.name.clone(), (*v).clone()))
                            .is_some_and(|p| {
                                let ms: Vec<&str> = p
                                    .get("resolution-markers")
                                    .and_then(|m| m.as_array())
                                    .map(|a| a.iter().filter_map(|x| x.as_str()).collect())
                                    .unwrap_or_default();
                                ms.is_empty() || ms.iter().any(|m| applies(Some(m), target))
                            })
                    });
                    match fit {
                        Some(v) => v.clone(),
                        None => many[0].clone(),
                    }
                }
            };
            todo.push(((d.name, version), d.extras));
        }
    }
    for key in &seen {
        if root_set.contains(key) {
            continue;
        }
        let Some(p) = by_key.get(key) else { continue };
        let name = get_str(*p, "name").unwrap_or(&key.0);
        let (wheels, sdist) = files_of(*p, base);
        out.pins
            .push(choose(name, &key.1, path, wheels, sdist, target));
    }
    Ok(out)
}

/// The distributions `poetry install` installs for the project `pyproject`: its dependencies
/// (PEP 621 `project.dependencies`, or `tool.poetry.dependencies` but `python`) and those of
/// every dependency group not marked `optional = true`, as (normalized name, extras).
fn poetry_roots(pyproject: &DocumentMut, target: &Target) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let project_deps = pyproject
        .get("project")
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.as_array());
    for req in project_deps
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
    {
        if let Ok((r, _)) = crate::inventory::parse_requirement(req) {
            if applies(r.marker.as_deref(), target) {
                out.push((r.normalized, requested_extras(req)));
            }
        }
    }
    let poetry = pyproject.get("tool").and_then(|t| t.get("poetry"));
    let mut tables_of: Vec<&dyn toml_edit::TableLike> = Vec::new();
    if let Some(d) = poetry
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.as_table_like())
    {
        tables_of.push(d);
    }
    if let Some(groups) = poetry
        .and_then(|p| p.get("group"))
        .and_then(|g| g.as_table_like())
    {
        for (_, g) in groups.iter() {
            if g.get("optional").and_then(|o| o.as_bool()) == Some(true) {
                continue;
            }
            if let Some(d) = g.get("dependencies").and_then(|d| d.as_table_like()) {
                tables_of.push(d);
            }
        }
    }
    for t in tables_of {
        for (name, spec) in t.iter() {
            if name == "python" {
                continue;
            }
            let extras = names_at(spec.get("extras"));
            if spec.get("optional").and_then(|o| o.as_bool()) == Some(true) {
                continue;
            }
            out.push((normalize_name(name), extras));
        }
    }
    out
}

/// The dependencies a poetry.lock package table names (`[package.dependencies]`, and those of
/// the `extras` asked for), each with the extras it asks for; markers evaluated for `target`.
fn poetry_deps(
    p: &dyn toml_edit::TableLike,
    extras: &[String],
    target: &Target,
) -> Vec<(String, Vec<String>)> {
    // The optional dependencies the requested extras turn on.
    let mut turned_on: BTreeSet<String> = BTreeSet::new();
    if let Some(ex) = p.get("extras").and_then(|e| e.as_table_like()) {
        for (e, list) in ex.iter() {
            if extras.contains(&normalize_name(e)) {
                for d in list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str())
                {
                    let n = d
                        .split([' ', '(', '[', ';', '<', '>', '='])
                        .next()
                        .unwrap_or(d);
                    turned_on.insert(normalize_name(n));
                }
            }
        }
    }
    let mut out = Vec::new();
    let Some(deps) = p.get("dependencies").and_then(|d| d.as_table_like()) else {
        return out;
    };
    for (name, spec) in deps.iter() {
        let n = normalize_name(name);
        // A string, one inline table, or an array of them (one per marker).
        let entries: Vec<&dyn toml_edit::TableLike> = match spec {
            Item::Value(Value::String(_)) => Vec::new(),
            other => tables(Some(other)),
        };
        if entries.is_empty() {
            out.push((n, Vec::new()));
            continue;
        }
        for e in entries {
            let optional = e.get("optional").and_then(|o| o.as_bool()) == Some(true);
            if optional && !turned_on.contains(&n) {
                continue;
            }
            if !applies(get_str(e, "markers"), target) {
                continue;
            }
            let ex = names_at(e.get("extras"));
            out.push((n.clone(), ex));
        }
    }
    out
}

fn poetry_lock(
    doc: &DocumentMut,
    path: &str,
    base: &Path,
    target: &Target,
) -> Result<LockRead, LockError> {
    let k = LockKind::Poetry;
    let meta = doc
        .get("metadata")
        .and_then(Item::as_table)
        .ok_or_else(|| shape(path, k, "no [metadata] table"))?;
    let pkgs = tables(doc.get("package"));
    let mut out = LockRead::default();
    // With the project's pyproject.toml beside the lock: only what `poetry install` installs,
    // walked from the project's dependencies. Without it: every package not marked optional.
    let reachable: Option<BTreeSet<String>> = match pyproject_next_to(base) {
        Some(pp) => {
            let mut by_name: BTreeMap<String, Vec<&dyn toml_edit::TableLike>> = BTreeMap::new();
            for p in &pkgs {
                if let Some(n) = get_str(*p, "name") {
                    by_name.entry(normalize_name(n)).or_default().push(*p);
                }
            }
            let mut seen: BTreeSet<(String, Vec<String>)> = BTreeSet::new();
            let mut names = BTreeSet::new();
            let mut todo = poetry_roots(&pp, target);
            while let Some((n, extras)) = todo.pop() {
                if !seen.insert((n.clone(), extras.clone())) {
                    continue;
                }
                names.insert(n.clone());
                for p in by_name.get(&n).into_iter().flatten() {
                    todo.extend(poetry_deps(*p, &extras, target));
                }
            }
            out.notes.push(format!(
                "{path}: the dependencies of the project in {} and its non-optional groups, as \
                 `poetry install` installs them",
                base.join("pyproject.toml").display()
            ));
            Some(names)
        }
        None => {
            out.notes.push(format!(
                "{path}: no pyproject.toml beside it: every package not marked optional is \
                 checked (dependency groups cannot be told apart)"
            ));
            None
        }
    };
    for (i, p) in pkgs.into_iter().enumerate() {
        let (Some(name), Some(version)) = (get_str(p, "name"), get_str(p, "version")) else {
            out.problems.push(format!(
                "{path}: package[{i}] has no name or version; skipped"
            ));
            continue;
        };
        match &reachable {
            Some(names) if !names.contains(&normalize_name(name)) => continue,
            None if p.get("optional").and_then(|o| o.as_bool()) == Some(true) => continue,
            _ => {}
        }
        // Poetry 2 writes `markers` per package: a string, or a table per group.
        let markers: Vec<String> = match p.get("markers") {
            Some(Item::Value(Value::String(s))) => vec![s.value().clone()],
            Some(m) => m
                .as_table_like()
                .map(|t| {
                    t.iter()
                        .filter_map(|(_, v)| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        if !markers.is_empty() && !markers.iter().any(|m| applies(Some(m), target)) {
            continue;
        }
        // Files: lock-version 2 has them per package; 1.x in [metadata.files].
        let mut files: Vec<FileRef> = tables(p.get("files"))
            .into_iter()
            .filter_map(|f| {
                Some(FileRef {
                    filename: get_str(f, "file")?.to_string(),
                    url: get_str(f, "url").map(str::to_string),
                    path: None,
                    sha256: get_str(f, "hash")
                        .and_then(|h| h.strip_prefix("sha256:"))
                        .map(str::to_string),
                    size: None,
                })
            })
            .collect();
        if files.is_empty() {
            if let Some(t) = meta.get("files").and_then(Item::as_table) {
                let n = normalize_name(name);
                if let Some((_, v)) = t.iter().find(|(k, _)| normalize_name(k) == n) {
                    files = tables(Some(v))
                        .into_iter()
                        .filter_map(|f| {
                            Some(FileRef {
                                filename: get_str(f, "file")?.to_string(),
                                url: None,
                                path: None,
                                sha256: get_str(f, "hash")
                                    .and_then(|h| h.strip_prefix("sha256:"))
                                    .map(str::to_string),
                                size: None,
                            })
                        })
                        .collect();
                }
            }
        }
        let (wheels, sdists): (Vec<FileRef>, Vec<FileRef>) = files
            .into_iter()
            .partition(|f| f.filename.ends_with(".whl"));
        out.pins.push(choose(
            name,
            version,
            path,
            wheels,
            sdists.into_iter().next(),
            target,
        ));
    }
    Ok(out)
}
