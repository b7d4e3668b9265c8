//! WHEEL (PEP 427): the wheel's own metadata, in the same header format as METADATA. Its `Tag:`
//! lines (PEP 425 `python-abi-platform`) say which platform the wheel was built for.

use super::metadata::parse_headers;

/// The `Tag:` values of a WHEEL file, in file order.
pub(super) fn wheel_tags(text: &str) -> Vec<String> {
    let (headers, _) = parse_headers(text);
    headers
        .into_iter()
        .filter(|h| h.key == "tag")
        .map(|h| h.value)
        .collect()
}

/// Built from source on this machine rather than downloaded as a binary wheel.
///
/// A bare `linux_*` platform tag is what a local `pip install` build produces: PyPI rejects such
/// uploads, accepting the portable `manylinux`/`musllinux` tags of PEP 513/600/656 instead. A PEP 610 source origin
/// (`source_build`: VCS, local directory, sdist archive) says the same, unless the wheel is pure
/// Python (`-any`), where building locally changes nothing binary.
pub(super) fn built_locally(tags: &[String], source_build: bool) -> bool {
    let linux_tag = tags.iter().any(|t| {
        t.rsplit('-')
            .next()
            .is_some_and(|plat| plat.split('.').any(|p| p.starts_with("linux_")))
    });
    let pure = !tags.is_empty() && tags.iter().all(|t| t.ends_with("-any"));
    linux_tag || (source_build && !pure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_local_builds() {
        let tags = wheel_tags(
            "Wheel-Version: 1.0\nGenerator: meson\nRoot-Is-Purelib: false\nTag: cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64\nTag: cp311-cp311-linux_x86_64\n",
        );
        assert_eq!(tags.len(), 2);
        assert!(built_locally(&tags, false), "linux_x86_64");
        let pypi = vec!["cp311-cp311-manylinux_2_17_x86_64".to_string()];
        assert!(!built_locally(&pypi, false));
        assert!(built_locally(&pypi, true), "installed from a source tree");
        let pure = vec!["py3-none-any".to_string()];
        assert!(!built_locally(&pure, true), "pure Python");
        assert!(built_locally(&[], true), "no WHEEL, built from source");
    }
}
