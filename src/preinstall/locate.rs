//! Where a distribution of the set is written in its input: the line of a requirements file that
//! names it, or the `name = "..."` line of its package table in a lock file. Reports point there
//! (`--format github` annotations, SARIF regions), since the files of a finding are members of
//! wheels that are not in the repository.

use super::{Pin, PinChoice};
use crate::inventory::{normalize_name, parse_requirement};
use std::path::{Path, PathBuf};

/// The kind of input a text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A requirements or constraints file: one requirement per line.
    Requirements,
    /// A TOML lock file (pylock.toml, uv.lock, poetry.lock).
    Lock,
}

/// The 1-based line of `text` where distribution `name` is pinned, if it is written there
/// (a distribution a resolver added is not).
pub fn pin_line(text: &str, kind: InputKind, name: &str) -> Option<usize> {
    let want = normalize_name(name);
    text.lines().enumerate().find_map(|(i, line)| {
        let found = match kind {
            InputKind::Requirements => requirement_name(line),
            InputKind::Lock => lock_name(line),
        };
        (found.as_deref() == Some(want.as_str())).then_some(i + 1)
    })
}

/// The normalised name a requirements line asks for (comments, options and blank lines: none).
fn requirement_name(line: &str) -> Option<String> {
    let l = line.split(" #").next().unwrap_or(line).trim();
    if l.is_empty() || l.starts_with('#') || l.starts_with('-') {
        return None;
    }
    parse_requirement(l).ok().map(|(r, _)| r.normalized)
}

/// `name = "numpy"` at the start of a line (a package table's key; dependency entries are
/// inline tables, `{ name = "numpy" }`, and do not count).
fn lock_name(line: &str) -> Option<String> {
    let rest = line
        .trim()
        .strip_prefix("name")?
        .trim_start()
        .strip_prefix('=')?;
    let v = rest.trim();
    let v = v
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))?;
    Some(normalize_name(v))
}

/// Where one distribution of the set is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinLocation {
    pub distribution: String,
    /// The input as given (relative to the working directory, or absolute).
    pub file: PathBuf,
    pub line: Option<usize>,
}

/// The location of each pin: the first input (requirements or lock file, as given, read
/// relative to `cwd`) that names it, at that line; else its local wheel file; else the first
/// input, with no line (a distribution a resolver added).
pub fn locate(pins: &[Pin], inputs: &[(PathBuf, InputKind)], cwd: &Path) -> Vec<PinLocation> {
    let texts: Vec<(&PathBuf, InputKind, String)> = inputs
        .iter()
        .filter_map(|(p, k)| {
            let t = crate::fsread::read_text(&cwd.join(p), crate::fsread::Limit::Metadata).ok()?;
            Some((p, *k, t))
        })
        .collect();
    pins.iter()
        .filter_map(|pin| {
            let written = texts
                .iter()
                .find_map(|(p, k, t)| pin_line(t, *k, &pin.name).map(|l| ((*p).clone(), Some(l))));
            let local = match &pin.choice {
                PinChoice::Wheel(f) => f.path.as_ref().map(|p| {
                    (
                        p.strip_prefix(cwd)
                            .map_or_else(|_| p.clone(), Path::to_path_buf),
                        None,
                    )
                }),
                PinChoice::NoWheel { .. } => None,
            };
            let (file, line) = written
                .or(local)
                .or_else(|| inputs.first().map(|(p, _)| (p.clone(), None)))?;
            Some(PinLocation {
                distribution: pin.name.clone(),
                file,
                line,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_lines_by_name() {
        let t = "# pins\n-c constraints.txt\nPandas==2.0.3  # data\n\nscikit_learn>=1.0\n";
        assert_eq!(pin_line(t, InputKind::Requirements, "pandas"), Some(3));
        assert_eq!(
            pin_line(t, InputKind::Requirements, "scikit-learn"),
            Some(5)
        );
        assert_eq!(pin_line(t, InputKind::Requirements, "numpy"), None);
    }

    #[test]
    fn lock_package_tables_not_dependency_entries() {
        let t = "version = 1\n\n[[package]]\nname = \"pandas\"\nversion = \"2.0.3\"\n\
                 dependencies = [\n    { name = \"numpy\" },\n]\n\n[[package]]\nname = \"numpy\"\n";
        assert_eq!(pin_line(t, InputKind::Lock, "pandas"), Some(4));
        assert_eq!(pin_line(t, InputKind::Lock, "NumPy"), Some(11));
        assert_eq!(pin_line(t, InputKind::Lock, "six"), None);
    }
}
