//! RECORD (PEP 376, and the binary distribution format of PEP 427): one CSV row per installed
//! file, `path,hash,size`, written by Python's `csv` module with its default (excel) dialect.
//! Paths are relative to the site directory; files installed elsewhere in the prefix (scripts,
//! headers, data) are written with `..` components.

use super::diagnostics::Diagnostic;
use crate::paths::normalize;
use serde::Serialize;
use std::path::{Component, Path, PathBuf};

/// One row of a RECORD file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordEntry {
    /// As written: relative to the site directory, `/`-separated (PEP 376).
    pub path: String,
    /// `algorithm=urlsafe-base64-digest` (PEP 376/427); None when empty, as for RECORD itself
    /// and `.pyc` files.
    pub hash: Option<String>,
    /// Size in bytes; None when empty.
    pub size: Option<u64>,
}

/// Parse one RECORD line. Quoting is that of Python's `csv` module (RFC 4180: a field may be
/// quoted, `""` is a quote inside one, text after a closing quote is kept as `csv` does). Exactly
/// three fields, as `importlib.metadata` unpacks them; the size must be a decimal number when
/// present (`importlib.metadata` calls `int()` on it).
pub fn parse_record_line(line: &str) -> Result<RecordEntry, String> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let fields = csv_fields(line)?;
    let [path, hash, size]: [String; 3] = fields
        .try_into()
        .map_err(|f: Vec<String>| format!("{} field(s), not path,hash,size", f.len()))?;
    let size = if size.is_empty() {
        None
    } else {
        Some(
            size.parse::<u64>()
                .map_err(|_| format!("size {size:?} is not a number"))?,
        )
    };
    Ok(RecordEntry {
        path,
        hash: (!hash.is_empty()).then_some(hash),
        size,
    })
}

/// Split one CSV line into fields (excel dialect: `,` delimiter, `"` quote, doubled quotes).
fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    // Nearly every line has no quote at all: split it directly.
    if !line.contains('"') {
        return Ok(line.split(',').map(str::to_string).collect());
    }
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    // At the start of a field a quote opens quoting; elsewhere it is a literal character.
    let mut at_start = true;
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            ',' => {
                fields.push(std::mem::take(&mut field));
                at_start = true;
                continue;
            }
            '"' if at_start => quoted = true,
            _ => field.push(c),
        }
        at_start = false;
    }
    if quoted {
        return Err("unterminated quoted field".to_string());
    }
    fields.push(field);
    Ok(fields)
}

/// The installed files a RECORD lists, resolved and normalized; entries that do not parse or
/// that leave the environment become diagnostics.
pub(crate) fn read_record(
    text: &str,
    site: &Path,
    record: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<PathBuf> {
    let prefix = crate::paths::prefix_from_site_dir(site).map(|(p, _)| p);
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let entry = match parse_record_line(line) {
            Ok(e) => e,
            Err(reason) => {
                diagnostics.push(Diagnostic::CorruptRecord {
                    record: record.to_path_buf(),
                    line: i + 1,
                    reason,
                });
                continue;
            }
        };
        if entry.path.is_empty() || entry.path.contains('\0') {
            continue;
        }
        if let Some(p) = resolve_installed(
            &entry.path,
            site,
            site,
            prefix.as_deref(),
            record,
            i + 1,
            diagnostics,
        ) {
            out.push(p);
        }
    }
    out
}

/// Resolve one recorded path against `base`; None (with [`Diagnostic::RecordEscapes`]) when it
/// leaves `site` and is not inside the environment prefix. Shared with egg-info's
/// installed-files.txt, whose paths are relative to the egg-info directory instead.
pub(super) fn resolve_installed(
    entry: &str,
    base: &Path,
    site: &Path,
    prefix: Option<&Path>,
    file: &Path,
    line: usize,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<PathBuf> {
    let entry_fixed = entry.replace('\\', "/");
    let joined = base.join(&entry_fixed);
    // Fast path: a plain relative entry under an already-normalized base needs no work.
    let plain = !entry_fixed.starts_with('/')
        && !entry_fixed.contains(':')
        && !entry_fixed
            .split('/')
            .any(|c| c == ".." || c == "." || c.is_empty());
    // (`read_record` passes the site itself as base: equal bytes, no component walk.)
    if plain && (base.as_os_str() == site.as_os_str() || base.starts_with(site)) {
        return Some(joined);
    }
    let resolved = normalize(&joined);
    let no_parent = !resolved.components().any(|c| c == Component::ParentDir);
    if no_parent && (resolved.starts_with(site) || prefix.is_some_and(|p| resolved.starts_with(p)))
    {
        return Some(resolved);
    }
    diagnostics.push(Diagnostic::RecordEscapes {
        record: file.to_path_buf(),
        line,
        entry: entry.to_string(),
        root: prefix.unwrap_or(site).to_path_buf(),
    });
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, hash: Option<&str>, size: Option<u64>) -> RecordEntry {
        RecordEntry {
            path: path.into(),
            hash: hash.map(str::to_string),
            size,
        }
    }

    #[test]
    fn record_lines() {
        let p = parse_record_line;
        assert_eq!(
            p("numpy/__init__.py,sha256=abc_-,123"),
            Ok(entry("numpy/__init__.py", Some("sha256=abc_-"), Some(123)))
        );
        assert_eq!(
            p("numpy-1.0.dist-info/RECORD,,"),
            Ok(entry("numpy-1.0.dist-info/RECORD", None, None))
        );
        assert_eq!(
            p("\"scipy/odd,name.py\",sha256=x,7\r"),
            Ok(entry("scipy/odd,name.py", Some("sha256=x"), Some(7)))
        );
        assert_eq!(
            p("\"a \"\"quoted\"\" name.py\",\"sha256=y\",\"8\""),
            Ok(entry("a \"quoted\" name.py", Some("sha256=y"), Some(8)))
        );
        // A quote inside an unquoted field is literal, as in Python's csv module.
        assert_eq!(p("a\"b.py,,"), Ok(entry("a\"b.py", None, None)));
        assert_eq!(
            p("\"unterminated,,"),
            Err("unterminated quoted field".into())
        );
        assert!(p("only-a-path.py").unwrap_err().contains("1 field"));
        assert!(p("a,b,c,d").unwrap_err().contains("4 field"));
        assert!(p("a.py,sha256=x,big").unwrap_err().contains("not a number"));
    }

    #[test]
    fn resolved_paths_stay_inside_the_environment() {
        let t = tempfile::tempdir().unwrap();
        let site = t.path().join("lib/python3.11/site-packages");
        let record = site.join("x-1.0.dist-info/RECORD");
        let mut d = Vec::new();
        let files = read_record(
            "x/__init__.py,,\n../../../bin/x,,\n../../../../outside,,\n/etc/passwd,,\n\nbad\n",
            &site,
            &record,
            &mut d,
        );
        assert_eq!(files, [site.join("x/__init__.py"), t.path().join("bin/x")]);
        let lines: Vec<usize> =
            d.iter()
                .map(|d| match d {
                    Diagnostic::RecordEscapes { line, .. }
                    | Diagnostic::CorruptRecord { line, .. } => *line,
                    other => panic!("{other:?}"),
                })
                .collect();
        assert_eq!(lines, [3, 4, 6]);
    }
}
