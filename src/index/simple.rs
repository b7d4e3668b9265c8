//! The simple repository API's project page: PEP 691 JSON or PEP 503 HTML, into [`Project`].

use super::tags::WheelName;
use super::{DistFile, Project};

/// PEP 503 name normalisation (lower case, runs of `-`, `_`, `.` as one `-`): the inventory's.
pub use crate::inventory::normalize_name as normalize;

/// Resolve `href` against the page at `base` (RFC 3986, the cases simple indexes use: absolute,
/// scheme-relative, host-relative, and path-relative with `.`/`..` segments).
pub fn resolve_url(base: &str, href: &str) -> String {
    let href = href.trim();
    if let Some(colon) = href.find(':') {
        let scheme = &href[..colon];
        if !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
            && !href[..colon].contains('/')
        {
            return href.to_string();
        }
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    if let Some(r) = href.strip_prefix("//") {
        return format!("{scheme}://{r}");
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let base_path = rest[authority_end..].split(['?', '#']).next().unwrap_or("");
    let (path_part, suffix) = match href.find(['?', '#']) {
        Some(i) => (&href[..i], &href[i..]),
        None => (href, ""),
    };
    let joined = if path_part.starts_with('/') {
        path_part.to_string()
    } else if path_part.is_empty() {
        base_path.to_string()
    } else {
        let dir = match base_path.rfind('/') {
            Some(i) => &base_path[..=i],
            None => "/",
        };
        format!("{dir}{path_part}")
    };
    let mut segs: Vec<&str> = Vec::new();
    let parts: Vec<&str> = joined.split('/').collect();
    for (i, seg) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match *seg {
            "." => {
                if last {
                    segs.push("");
                }
            }
            ".." => {
                if segs.len() > 1 {
                    segs.pop();
                }
                if last {
                    segs.push("");
                }
            }
            s => segs.push(s),
        }
    }
    let mut path = segs.join("/");
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    format!("{scheme}://{authority}{path}{suffix}")
}

/// The version in a distribution file name: the wheel's second field, or what follows the
/// project's name in an sdist (`pandas-2.2.3.tar.gz`); `None` for other files.
pub fn version_from_filename(filename: &str, project: &str) -> Option<String> {
    if let Ok(w) = WheelName::parse(filename) {
        return Some(w.version);
    }
    let stem = [
        ".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".tbz",
    ]
    .iter()
    .find_map(|ext| filename.strip_suffix(ext))?;
    let want = normalize(project);
    // The name part may itself hold dashes: take the prefix that normalises to the project.
    for (i, _) in stem.match_indices('-') {
        if normalize(&stem[..i]) == want {
            let v = &stem[i + 1..];
            return (!v.is_empty()).then(|| v.to_string());
        }
    }
    let (_, v) = stem.rsplit_once('-')?;
    (!v.is_empty()).then(|| v.to_string())
}

impl DistFile {
    /// A file of `project` found at `url`, its version and wheel tags read from `filename`.
    pub fn from_filename(filename: &str, url: &str, project: &str) -> DistFile {
        DistFile {
            filename: filename.to_string(),
            url: url.to_string(),
            sha256: None,
            size: None,
            requires_python: None,
            yanked: false,
            core_metadata: false,
            version: version_from_filename(filename, project).unwrap_or_default(),
            wheel: WheelName::parse(filename).ok(),
        }
    }
}

/// A PEP 691 `true`/`false`/reason-string/hash-map field: is it set?
fn flag(v: Option<&serde_json::Value>) -> bool {
    match v {
        None | Some(serde_json::Value::Null) => false,
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(_)) | Some(serde_json::Value::Object(_)) => true,
        Some(_) => false,
    }
}

/// Parse a PEP 691 JSON project page fetched from `url`.
pub fn parse_json(text: &str, url: &str, project: &str) -> Result<Project, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let files = obj
        .get("files")
        .and_then(|f| f.as_array())
        .ok_or("no \"files\" list (not a PEP 691 project page)")?;
    let name = obj
        .get("name")
        .and_then(|n| n.as_str())
        .map(normalize)
        .unwrap_or_else(|| normalize(project));
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let Some(filename) = f.get("filename").and_then(|x| x.as_str()) else {
            continue;
        };
        let Some(href) = f.get("url").and_then(|x| x.as_str()) else {
            continue;
        };
        let mut d = DistFile::from_filename(filename, &resolve_url(url, href), &name);
        d.sha256 = f
            .get("hashes")
            .and_then(|h| h.get("sha256"))
            .and_then(|s| s.as_str())
            .map(|s| s.to_ascii_lowercase());
        d.size = f.get("size").and_then(|s| s.as_u64());
        d.requires_python = f
            .get("requires-python")
            .and_then(|s| s.as_str())
            .map(str::to_string);
        d.yanked = flag(f.get("yanked"));
        d.core_metadata = flag(f.get("core-metadata")) || flag(f.get("dist-info-metadata"));
        out.push(d);
    }
    Ok(Project { name, files: out })
}

/// Decode the HTML character references simple pages use (`&gt;`, `&amp;`, `&#62;`, `&#x3e;`).
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..end];
        let c = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .or_else(|| ent.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The attributes of one start tag's text (after the tag name), names lower-cased.
fn attributes(tag: &str) -> Vec<(String, Option<String>)> {
    let b = tag.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let name = tag[start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let value = if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let s = i + 1;
                let e = tag[s..]
                    .bytes()
                    .position(|c| c == q)
                    .map_or(b.len(), |p| s + p);
                i = (e + 1).min(b.len());
                &tag[s..e]
            } else {
                let s = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                &tag[s..i]
            };
            out.push((name, Some(unescape(value))));
        } else {
            out.push((name, None));
        }
    }
    out
}

/// Parse a PEP 503 HTML project page fetched from `url`: every `<a href>`, its text the file
/// name; `#sha256=` in the href, `data-requires-python`, `data-yanked`,
/// `data-dist-info-metadata` / `data-core-metadata` (PEP 592, 658, 714). A `<base href>`
/// changes what relative links resolve against.
pub fn parse_html(text: &str, url: &str, project: &str) -> Project {
    let name = normalize(project);
    let lower = text.to_ascii_lowercase();
    let mut base = url.to_string();
    let mut files = Vec::new();
    let mut at = 0;
    while let Some(i) = lower[at..].find('<') {
        let start = at + i + 1;
        let Some(close) = lower[start..].find('>') else {
            break;
        };
        let end = start + close;
        let tag = &text[start..end];
        at = end + 1;
        let tag_name_end = tag
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(tag.len());
        let tag_name = tag[..tag_name_end].to_ascii_lowercase();
        if tag_name == "base" {
            if let Some((_, Some(h))) = attributes(&tag[tag_name_end..])
                .into_iter()
                .find(|(k, _)| k == "href")
            {
                base = resolve_url(url, &h);
            }
            continue;
        }
        if tag_name != "a" {
            continue;
        }
        let attrs = attributes(&tag[tag_name_end..]);
        let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let Some(Some(href)) = get("href") else {
            continue;
        };
        let text_end = lower[at..].find("</a").map_or(lower.len(), |p| at + p);
        let link_text = unescape(text[at..text_end].trim());
        let (href_path, fragment) = match href.split_once('#') {
            Some((p, f)) => (p.to_string(), Some(f.to_string())),
            None => (href.clone(), None),
        };
        let full = resolve_url(&base, &href_path);
        let filename = if link_text.is_empty() || link_text.contains('<') {
            full.split(['?', '#'])
                .next()
                .and_then(|p| p.rsplit('/').next())
                .unwrap_or("")
                .to_string()
        } else {
            link_text
        };
        if filename.is_empty() {
            continue;
        }
        let mut d = DistFile::from_filename(&filename, &full, &name);
        d.sha256 = fragment.and_then(|f| {
            f.split('&')
                .find_map(|kv| kv.strip_prefix("sha256=").map(|h| h.to_ascii_lowercase()))
        });
        d.requires_python = get("data-requires-python").flatten();
        d.yanked = get("data-yanked").is_some();
        d.core_metadata = ["data-core-metadata", "data-dist-info-metadata"]
            .iter()
            .any(|k| get(k).is_some_and(|v| v.as_deref() != Some("false")));
        files.push(d);
    }
    Project { name, files }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise_as_pep_503_says() {
        assert_eq!(normalize("Scikit_Learn"), "scikit-learn");
        assert_eq!(normalize("zope..interface"), "zope-interface");
        assert_eq!(normalize("a-_-b"), "a-b");
        assert_eq!(normalize("NumPy"), "numpy");
    }

    #[test]
    fn urls_resolve_against_the_page() {
        let base = "https://h.example/simple/pandas/";
        assert_eq!(
            resolve_url(base, "https://f.example/x.whl"),
            "https://f.example/x.whl"
        );
        assert_eq!(
            resolve_url(base, "//f.example/x.whl"),
            "https://f.example/x.whl"
        );
        assert_eq!(
            resolve_url(base, "/files/x.whl"),
            "https://h.example/files/x.whl"
        );
        assert_eq!(
            resolve_url(base, "../../files/x.whl#sha256=ab"),
            "https://h.example/files/x.whl#sha256=ab"
        );
        assert_eq!(
            resolve_url(base, "x.whl"),
            "https://h.example/simple/pandas/x.whl"
        );
        assert_eq!(
            resolve_url("http://127.0.0.1:9/simple/p", "x.whl?a=1"),
            "http://127.0.0.1:9/simple/x.whl?a=1"
        );
    }

    #[test]
    fn versions_come_from_wheel_and_sdist_names() {
        assert_eq!(
            version_from_filename("pandas-2.2.3-cp311-cp311-win_amd64.whl", "pandas").as_deref(),
            Some("2.2.3")
        );
        assert_eq!(
            version_from_filename("scikit-learn-1.3.0.tar.gz", "scikit_learn").as_deref(),
            Some("1.3.0")
        );
        assert_eq!(
            version_from_filename("zope.interface-6.0.zip", "zope-interface").as_deref(),
            Some("6.0")
        );
        assert_eq!(version_from_filename("README.txt", "x"), None);
    }

    #[test]
    fn html_pages_give_hashes_requires_python_and_yanked() {
        let page = r#"<!DOCTYPE html><html><head><title>Links for pandas</title></head><body>
<a href="../../files/pandas-2.2.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl#sha256=C124" data-requires-python="&gt;=3.9" data-dist-info-metadata="sha256=ff">pandas-2.2.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl</a><br/>
<A HREF='https://f.example/pandas-2.2.2.tar.gz' data-yanked="">pandas-2.2.2.tar.gz</A>
<a href="/x/pandas-1.0-py3-none-any.whl"></a>
</body></html>"#;
        let p = parse_html(page, "http://127.0.0.1:1/simple/pandas/", "Pandas");
        assert_eq!(p.name, "pandas");
        assert_eq!(p.files.len(), 3);
        let w = &p.files[0];
        assert_eq!(
            w.url,
            "http://127.0.0.1:1/files/pandas-2.2.3-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
        );
        assert_eq!(w.sha256.as_deref(), Some("c124"));
        assert_eq!(w.requires_python.as_deref(), Some(">=3.9"));
        assert_eq!(w.version, "2.2.3");
        assert!(w.core_metadata && !w.yanked);
        assert!(w.wheel.is_some());
        assert!(p.files[1].yanked);
        assert_eq!(p.files[1].version, "2.2.2");
        assert_eq!(p.files[2].filename, "pandas-1.0-py3-none-any.whl");
    }

    #[test]
    fn json_pages_parse_and_garbage_is_refused() {
        let page = r#"{"meta":{"api-version":"1.1"},"name":"Pandas","files":[
          {"filename":"pandas-2.2.3.tar.gz","url":"../../f/pandas-2.2.3.tar.gz","hashes":{"sha256":"AB"},"requires-python":">=3.9","yanked":"broken","size":10},
          {"filename":"pandas-2.2.3-cp311-cp311-win_amd64.whl","url":"https://f/p.whl","hashes":{},"core-metadata":{"sha256":"x"}}]}"#;
        let p = parse_json(page, "https://i/simple/pandas/", "pandas").unwrap();
        assert_eq!(p.files[0].url, "https://i/f/pandas-2.2.3.tar.gz");
        assert_eq!(p.files[0].sha256.as_deref(), Some("ab"));
        assert!(p.files[0].yanked);
        assert_eq!(p.files[0].size, Some(10));
        assert!(p.files[1].core_metadata);
        assert_eq!(p.files[1].sha256, None);
        assert!(parse_json("{\"files\": 3}", "u", "p").is_err());
        assert!(parse_json("<html>", "u", "p").is_err());
    }
}
