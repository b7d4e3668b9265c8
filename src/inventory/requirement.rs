//! `Requires-Dist` (PEP 508) parsed by hand: name, extras, specifier or URL, marker. Tolerant:
//! names that PEP 508 rejects (`foo_`, `bar.`) are kept with a warning instead of failing (or
//! panicking, as pep508_rs 0.9.2 does on them).

use std::str::FromStr;

use super::Requirement;

/// PEP 503: runs of `-`, `_`, `.` become one `-`, lowercased.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if c == '-' || c == '_' || c == '.' {
            sep = true;
        } else {
            if sep {
                out.push('-');
                sep = false;
            }
            out.extend(c.to_lowercase());
        }
    }
    if sep {
        out.push('-');
    }
    out
}

/// Parse one requirement line. Ok with an optional warning (the requirement is usable but not
/// strictly valid), Err when nothing usable is there.
pub fn parse_requirement(line: &str) -> Result<(Requirement, Option<String>), String> {
    let line = line.trim();
    let mut warnings: Vec<String> = Vec::new();
    // Split off the marker: for `name @ url ; marker` the `;` must follow whitespace.
    let is_url = line
        .split(';')
        .next()
        .is_some_and(|head| head.contains('@'));
    let split_at = if is_url {
        line.char_indices()
            .find(|(i, c)| *c == ';' && line[..*i].ends_with(|p: char| p.is_whitespace()))
            .map(|(i, _)| i)
    } else {
        line.find(';')
    };
    let (req, marker) = match split_at {
        Some(i) => (&line[..i], Some(line[i + 1..].trim())),
        None => (line, None),
    };
    let marker = marker.filter(|m| !m.is_empty()).map(str::to_string);
    let req = req.trim();
    let name_len = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
        .unwrap_or(req.len());
    let name = &req[..name_len];
    if name.is_empty() {
        return Err("no distribution name".to_string());
    }
    let valid_ends = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !valid_ends {
        warnings.push(format!(
            "name {name:?} must start and end with a letter or digit"
        ));
    }
    let mut rest = req[name_len..].trim_start();
    if let Some(after) = rest.strip_prefix('[') {
        match after.find(']') {
            Some(end) => rest = after[end + 1..].trim_start(),
            None => return Err("unclosed `[` in extras".to_string()),
        }
    }
    let mut url = None;
    let mut specifier = String::new();
    if let Some(u) = rest.strip_prefix('@') {
        let u = u.trim();
        if u.is_empty() {
            return Err("`@` without a URL".to_string());
        }
        url = Some(u.to_string());
    } else {
        let mut spec = rest.trim();
        if let Some(inner) = spec.strip_prefix('(') {
            spec = inner.strip_suffix(')').unwrap_or(inner);
        }
        specifier = spec.chars().filter(|c| !c.is_whitespace()).collect();
        if !specifier.is_empty() {
            if let Err(e) = pep440_rs::VersionSpecifiers::from_str(&specifier) {
                warnings.push(format!("specifier {specifier:?}: {e}"));
            }
        }
    }
    let extra = marker.as_deref().and_then(extra_in_marker);
    let warning = (!warnings.is_empty()).then(|| warnings.join("; "));
    Ok((
        Requirement {
            name: name.to_string(),
            normalized: normalize_name(name),
            specifier,
            marker,
            extra,
            url,
        },
        warning,
    ))
}

/// `extra == "test"` or `"test" == extra` anywhere in a marker → `test` (normalized).
fn extra_in_marker(marker: &str) -> Option<String> {
    let bytes = marker.as_bytes();
    let mut from = 0;
    while let Some(pos) = marker[from..].find("extra") {
        let start = from + pos;
        let end = start + "extra".len();
        from = end;
        let before_ok = start == 0 || !is_word(bytes[start - 1]);
        let after_ok = end == bytes.len() || !is_word(bytes[end]);
        if !before_ok || !after_ok {
            continue;
        }
        // extra == "x"
        let after = marker[end..].trim_start();
        if let Some(rest) = after.strip_prefix("==") {
            if let Some(v) = quoted(rest.trim_start()) {
                return Some(normalize_name(v));
            }
        }
        // "x" == extra
        let before = marker[..start].trim_end();
        if let Some(b) = before.strip_suffix("==") {
            let b = b.trim_end();
            if let Some(q) = b.chars().last().filter(|c| *c == '"' || *c == '\'') {
                let inner = &b[..b.len() - 1];
                if let Some(open) = inner.rfind(q) {
                    return Some(normalize_name(&inner[open + 1..]));
                }
            }
        }
    }
    None
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

/// The content of a leading `"..."` or `'...'`.
fn quoted(s: &str) -> Option<&str> {
    let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &s[1..];
    rest.find(q).map(|end| &rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(line: &str) -> Requirement {
        parse_requirement(line).unwrap().0
    }

    #[test]
    fn real_requires_dist_lines() {
        // scipy 1.11.4
        let r = req("numpy<1.28.0,>=1.21.6");
        assert_eq!(
            (r.name.as_str(), r.specifier.as_str()),
            ("numpy", "<1.28.0,>=1.21.6")
        );
        assert_eq!(r.marker, None);
        // pandas 2.1.4
        let r = req("numpy<2,>=1.23.2; python_version == \"3.11\"");
        assert_eq!(r.specifier, "<2,>=1.23.2");
        assert_eq!(r.marker.as_deref(), Some("python_version == \"3.11\""));
        assert_eq!(r.extra, None);
        // scipy 1.11.4 test extra
        let r = req("pytest ; extra == 'test'");
        assert_eq!(r.specifier, "");
        assert_eq!(r.extra.as_deref(), Some("test"));
        let r = req("Sphinx!=4.1.0,>=4.0.0 ; extra == \"Doc_Extra\"");
        assert_eq!(r.normalized, "sphinx");
        assert_eq!(r.specifier, "!=4.1.0,>=4.0.0");
        assert_eq!(r.extra.as_deref(), Some("doc-extra"));
        // old-style parentheses and spaces
        let r = req("numpy (>= 1.7, < 2.0)");
        assert_eq!(r.specifier, ">=1.7,<2.0");
        // extras of the requirement itself
        let r = req("dask[array,dataframe] >=2023.1 ; 'gpu' == extra");
        assert_eq!(r.name, "dask");
        assert_eq!(r.specifier, ">=2023.1");
        assert_eq!(r.extra.as_deref(), Some("gpu"));
        // URL requirement with a marker
        let r =
            req("pkg @ https://example.org/pkg.tar.gz#sha256=ab;cd ; python_version < \"3.12\"");
        assert_eq!(
            r.url.as_deref(),
            Some("https://example.org/pkg.tar.gz#sha256=ab;cd")
        );
        assert_eq!(r.marker.as_deref(), Some("python_version < \"3.12\""));
        // no false extra match
        assert_eq!(req("x; extras == 'a'").extra, None);
    }

    #[test]
    fn names_ending_in_separator_do_not_panic() {
        // Regression: pep508_rs 0.9.2 panics on these.
        for line in [
            "foo_ >= 1",
            "foo. >=1.0",
            "_foo",
            "foo_",
            "foo- ; extra == 'x'",
        ] {
            let (r, w) = parse_requirement(line).unwrap();
            assert!(w.is_some(), "{line}: expected a warning");
            assert!(!r.name.is_empty());
        }
        let (r, _) = parse_requirement("foo_ >= 1").unwrap();
        assert_eq!((r.name.as_str(), r.specifier.as_str()), ("foo_", ">=1"));
        assert_eq!(r.normalized, "foo-");
    }

    #[test]
    fn bad_lines() {
        assert!(parse_requirement("").is_err());
        assert!(parse_requirement(">=1.0").is_err());
        assert!(parse_requirement("foo[bar").is_err());
        assert!(parse_requirement("foo @ ").is_err());
        let (r, w) = parse_requirement("foo >=> 1").unwrap();
        assert_eq!(r.specifier, ">=>1");
        assert!(w.unwrap().contains("specifier"));
        // non-ASCII garbage never panics on char boundaries
        for line in [
            "é",
            "foo é",
            "foo; extra == \"é",
            "foo; \"é\" == extra",
            "ü; extra",
        ] {
            let _ = parse_requirement(line);
        }
    }

    #[test]
    fn pep503() {
        assert_eq!(normalize_name("Foo.Bar__baz"), "foo-bar-baz");
        assert_eq!(normalize_name("scikit_learn"), "scikit-learn");
        assert_eq!(normalize_name("foo_"), "foo-");
    }
}
