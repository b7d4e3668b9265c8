//! Distributions with no wheel for the target: the installer would build the sdist. Which NumPy
//! would it be built against? With build isolation (pip's and uv's default) the build
//! environment gets the newest NumPy its `[build-system] requires` allows, so the sdist's
//! `pyproject.toml` is read (the sdist is a `.tar.gz`: gunzipped and walked as a tar stream, in
//! bounded memory, nothing extracted or run) and the newest matching NumPy release on the index
//! is named.

use super::fetch::Fetcher;
use super::{FileRef, Pin, Problem};
use super::{Target, WheelName};
use crate::inventory::parse_requirement;
use std::io::Read;

/// Largest sdist read for its pyproject.toml.
const MAX_SDIST: u64 = 256 << 20;
/// Largest pyproject.toml read.
const MAX_PYPROJECT: u64 = 1 << 20;

/// `<top>/pyproject.toml` of a `.tar.gz` sdist.
pub fn pyproject_of_targz(reader: impl Read, shown: &str) -> Result<Option<String>, String> {
    let mut gz = flate2::read::GzDecoder::new(reader.take(MAX_SDIST));
    let mut header = [0u8; 512];
    let mut long_name: Option<String> = None;
    loop {
        if gz.read_exact(&mut header).is_err() {
            return Ok(None);
        }
        if header.iter().all(|b| *b == 0) {
            return Ok(None);
        }
        let field = |a: usize, b: usize| {
            let s = &header[a..b];
            let end = s.iter().position(|c| *c == 0).unwrap_or(s.len());
            String::from_utf8_lossy(&s[..end]).into_owned()
        };
        let size_text = field(124, 136);
        let size = u64::from_str_radix(size_text.trim().trim_matches(char::from(0)), 8)
            .map_err(|_| format!("{shown}: not a tar archive (bad size field {size_text:?})"))?;
        let kind = header[156];
        let prefix = field(345, 500);
        let mut name = field(0, 100);
        if !prefix.is_empty() && &header[257..262] == b"ustar" {
            name = format!("{prefix}/{name}");
        }
        if let Some(n) = long_name.take() {
            name = n;
        }
        let padded = size.div_ceil(512) * 512;
        let is_target = (kind == b'0' || kind == 0)
            && name.trim_start_matches("./").split('/').count() == 2
            && name.ends_with("/pyproject.toml");
        if kind == b'L' && size <= 4096 {
            let mut buf = vec![0u8; padded as usize];
            gz.read_exact(&mut buf)
                .map_err(|e| format!("{shown}: truncated: {e}"))?;
            let end = buf.iter().position(|c| *c == 0).unwrap_or(size as usize);
            long_name = Some(String::from_utf8_lossy(&buf[..end]).into_owned());
            continue;
        }
        if is_target && size <= MAX_PYPROJECT {
            let mut buf = vec![0u8; padded as usize];
            gz.read_exact(&mut buf)
                .map_err(|e| format!("{shown}: truncated: {e}"))?;
            buf.truncate(size as usize);
            return Ok(Some(String::from_utf8_lossy(&buf).into_owned()));
        }
        std::io::copy(&mut (&mut gz).take(padded), &mut std::io::sink())
            .map_err(|e| format!("{shown}: truncated: {e}"))?;
    }
}

/// The numpy specifier of `[build-system] requires` (`Some("")`: numpy unbounded; `None`: numpy
/// not named).
pub fn build_numpy_requirement(pyproject: &str) -> Option<String> {
    let doc: toml_edit::DocumentMut = pyproject.parse().ok()?;
    let reqs = doc.get("build-system")?.get("requires")?.as_array()?;
    let found = reqs
        .iter()
        .filter_map(|r| r.as_str())
        .filter_map(|r| parse_requirement(r).ok())
        .map(|(r, _)| r)
        .find(|r| r.normalized == "numpy" || r.normalized == "oldest-supported-numpy")
        .map(|r| {
            if r.normalized == "oldest-supported-numpy" {
                "oldest-supported-numpy".to_string()
            } else {
                r.specifier
            }
        });
    found
}

/// The newest final NumPy release on the index with a wheel for `target` that `spec` allows.
fn newest_numpy(spec: &str, target: &Target, fetcher: &dyn Fetcher) -> Option<String> {
    let specs: pep440_rs::VersionSpecifiers = spec.parse().ok()?;
    let files = fetcher.files("numpy").ok()?;
    files
        .iter()
        .filter_map(|f| WheelName::parse(&f.filename).ok())
        .filter(|w| target.accepts(w))
        .filter_map(|w| w.version.parse::<pep440_rs::Version>().ok())
        .filter(|v| !v.any_prerelease() && specs.contains(v))
        .max()
        .map(|v| v.to_string())
}

fn build_numpy(sdist: &FileRef, target: &Target, fetcher: &dyn Fetcher) -> String {
    if !sdist.filename.ends_with(".tar.gz") {
        return "against which NumPy is unknown (only .tar.gz sdists are read)".to_string();
    }
    let pyproject = fetcher
        .open(sdist)
        .and_then(|r| pyproject_of_targz(r, &sdist.filename));
    match pyproject {
        Err(e) => format!("against which NumPy is unknown ({e})"),
        Ok(None) => "against which NumPy is unknown (the sdist has no pyproject.toml: a setup.py build, whose \
                     NumPy is whatever the build environment has)"
            .to_string(),
        Ok(Some(text)) => match build_numpy_requirement(&text) {
            None => "its [build-system] requires does not name numpy (it builds without NumPy's headers, \
                     or installs them itself)"
                .to_string(),
            Some(s) if s == "oldest-supported-numpy" => {
                "against oldest-supported-numpy (its build requirements say so)".to_string()
            }
            Some(spec) => match newest_numpy(&spec, target, fetcher) {
                Some(v) => format!(
                    "build isolation would build it against numpy {v}, the newest release its \
                     [build-system] requires (numpy{spec}) allows",
                    spec = if spec.is_empty() { String::new() } else { spec.clone() }
                ),
                None => format!(
                    "against a numpy its [build-system] requires allows (numpy{spec}); which \
                     release is unknown (the index could not be asked)"
                ),
            },
        },
    }
}

/// The problem to report for a pin with no wheel for the target.
pub fn no_wheel_problem(
    p: &Pin,
    sdist: Option<&FileRef>,
    other_wheels: &[String],
    target: &Target,
    fetcher: &dyn Fetcher,
) -> Problem {
    let what = format!(
        "{} {} ({}): no wheel for CPython {} on {}",
        p.name,
        p.version,
        p.from,
        target.python_version(),
        target.name
    );
    let others = if other_wheels.is_empty() {
        "the lock or resolution lists no wheel for other targets either".to_string()
    } else {
        format!("{} wheel(s) for other targets", other_wheels.len())
    };
    match sdist {
        Some(s) => Problem::warning(format!(
            "{what} ({others}); installing it builds {} from source, and {}. Its compiled \
             modules cannot be checked before that build",
            s.filename,
            build_numpy(s, target, fetcher)
        )),
        None => Problem::error(format!(
            "{what} ({others}) and no sdist; it cannot be installed"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_requirements_name_numpy() {
        let t = "[build-system]\nrequires = [\"setuptools\", \"numpy>=2.0.0rc1\", \"cython>=3\"]\n";
        assert_eq!(build_numpy_requirement(t).as_deref(), Some(">=2.0.0rc1"));
        assert_eq!(
            build_numpy_requirement("[build-system]\nrequires = [\"setuptools\"]\n"),
            None
        );
        assert_eq!(
            build_numpy_requirement("[build-system]\nrequires = [\"oldest-supported-numpy\"]\n")
                .as_deref(),
            Some("oldest-supported-numpy")
        );
    }
}
