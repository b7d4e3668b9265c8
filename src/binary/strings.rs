//! Step A of docs/binary-evidence.md#method: one scan of the read-only data for the marker strings.
//!
//! A single `regex::bytes` alternation of literal anchors (the regex crate turns it into a SIMD
//! multi-literal search) finds candidate positions; each hit is widened to its enclosing
//! NUL-terminated string, which is classified once, and the scan resumes after that string. The
//! scan also records the *addresses* the disassembly steps react to: the "module compiled
//! against ..." format strings and every place a NUL-terminated NumPy type name or `"numpy"`
//! starts — including inside longer strings, because linkers tail-merge strings (see
//! docs/binary-evidence.md#cython-sizes: `"type"` pointed one byte into `"dtype"`).

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use regex::bytes::Regex;

use super::object_file::Range;
use crate::knowledge::CYTHON_TYPE_ORDER;

/// How far back/forward we look for the NUL bounding a hit. Longer strings (big docstrings) are
/// classified by the part inside the bound; only their exact start stays unknown.
const MAX_STRING: usize = 16 * 1024;
/// Bound on referenced module names kept per binary.
const MAX_MODULES: usize = 2048;
/// Bound on remembered addresses (anchors) per binary.
const MAX_ANCHORS: usize = 65_536;

/// What a string address means to the disassembly steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// `module compiled against ABI version ...` (first vararg = NPY_ABI_VERSION).
    AbiFormat,
    /// `module compiled against API version ...` / `module was compiled against NumPy C-API
    /// version ...` (first vararg = NPY_FEATURE_VERSION).
    ApiFormat,
    /// Index into [`CYTHON_TYPE_ORDER`].
    TypeName(u8),
    /// The NUL-terminated `"numpy"` (Cython's module-name argument).
    Numpy,
}

/// Everything Step A learns.
#[derive(Debug, Default)]
pub(crate) struct StringFacts {
    /// `_ARRAY_API is NULL pointer` (numpy `__multiarray_api.h`).
    pub array_null: bool,
    /// `_UFUNC_API is NULL pointer` (numpy `__ufunc_api.h`).
    pub ufunc_null: bool,
    /// Any of the `module (was) compiled against` format strings.
    pub compiled_against: bool,
    /// `_ARRAY_API not found`: not in 1.26 headers (docs/binary-evidence.md#numpy-c-api-strings).
    pub array_not_found: bool,
    /// `ABI version %x but` without `0x`: <= 1.10 headers.
    pub abi_without_0x: bool,
    /// `... 0x%x . Check the section C-API incompatibility`: 1.24+ headers.
    pub check_section: bool,
    /// `numpy._core._multiarray_umath`: 2.x headers.
    pub core_underscore_mu: bool,
    /// `numpy.core._multiarray_umath`: 1.16+ headers (2.x keep it as fallback).
    pub core_mu: bool,
    /// `numpy.core.multiarray` / `numpy.core.umath`: <= 1.15 headers (and pybind11 <= 2.11).
    pub core_old: bool,
    /// The exact string `_ARRAY_API` (pybind11's `numpy.h` and numpy's headers).
    pub array_api_name: bool,
    /// `numpy._core` exact (pybind11 >= 2.12).
    pub numpy_underscore_core: bool,
    /// `NumpyVersion` (pybind11 >= 2.12).
    pub numpy_version_name: bool,
    /// X.Y of `(NumPy X.Y)` in the 2.x feature-version format string.
    pub feature_string: Option<String>,
    pub cython_size_message: bool,
    pub pyx_capi: bool,
    pub cython_runtime: bool,
    /// `3.0.11` from `_cython_3_0_11`.
    pub cython_version: Option<String>,
    pub pybind11_internals: Option<String>,
    pub nanobind: bool,
    pub nanobind_key: Option<String>,
    pub f2py: bool,
    pub f2py_version: Option<String>,
    /// `numpy.core.multiarray` of Cython 3's generated `import_array()` message
    /// (`... failed to import (auto-generated because you didn't call 'numpy.import_array()' ...`).
    pub cython_generated_import_array: Option<String>,
    pub modules: BTreeSet<String>,
    /// String start address -> meaning.
    pub anchors: HashMap<u64, Anchor>,
}

impl StringFacts {
    /// NumPy's own `import_array()`/`import_umath()` code is in the binary (not keyed on
    /// `_ARRAY_API` alone, which pybind11 also contains: docs/binary-evidence.md#numpy-c-api-strings).
    pub fn uses_c_api(&self) -> bool {
        self.array_null || self.ufunc_null || self.compiled_against
    }
    /// Only `import_umath()` left strings: the format strings and `_ARRAY_API is NULL pointer`
    /// belong to `_import_array()`.
    pub fn umath_only(&self) -> bool {
        self.ufunc_null && !self.array_null && !self.compiled_against
    }
    pub fn cython(&self) -> bool {
        self.cython_size_message
            || self.pyx_capi
            || self.cython_runtime
            || self.cython_version.is_some()
    }
}

const TYPE_SUFFIX_ANCHORS: usize = CYTHON_TYPE_ORDER.len();

fn anchor_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let mut parts: Vec<String> = [
            "_ARRAY_API",
            "_UFUNC_API",
            "compiled against",
            "numpy",
            "size changed, may indicate binary incompatibility",
            "__pyx_capi__",
            "cython_runtime",
            "_cython_",
            "__pybind11_internals_v",
            "__nb_internals",
            "nanobind",
            "_libstdcpp_",
            "_libcpp_",
            "_msvc_",
            "f2py",
            "NumpyVersion",
        ]
        .iter()
        .map(|s| regex::escape(s))
        .collect();
        // The type names only count as NUL-terminated strings (docstrings say "dtype" a lot).
        for name in CYTHON_TYPE_ORDER {
            parts.push(format!("{}\\x00", regex::escape(name)));
        }
        debug_assert_eq!(parts.len(), 16 + TYPE_SUFFIX_ANCHORS);
        #[allow(
            clippy::expect_used,
            reason = "regex::escape()d literals always compile; unit-tested"
        )]
        Regex::new(&format!("(?-u){}", parts.join("|"))).expect("literal alternation is valid")
    })
}

/// `memmem::find` with the searcher for a literal built once per call site (classify runs two
/// dozen searches on every string a marker hit widens to; building a searcher per search was a
/// good part of the cost).
macro_rules! find {
    ($hay:expr, $needle:expr) => {{
        static FINDER: OnceLock<memchr::memmem::Finder<'static>> = OnceLock::new();
        FINDER
            .get_or_init(|| memchr::memmem::Finder::new($needle))
            .find($hay)
    }};
}

macro_rules! contains {
    ($hay:expr, $needle:expr) => {
        find!($hay, $needle).is_some()
    };
}

/// Scan every read-only data range.
pub(crate) fn scan(rodata: &[Range<'_>]) -> StringFacts {
    let mut f = StringFacts::default();
    for range in rodata {
        scan_range(range, &mut f);
    }
    f
}

fn scan_range(range: &Range<'_>, f: &mut StringFacts) {
    let hay = range.data;
    let re = anchor_regex();
    let mut pos = 0usize;
    while pos < hay.len() {
        let Some(m) = re.find_at(hay, pos) else {
            break;
        };
        // Enclosing string [start, end): back to the previous NUL, forward to the next one.
        let lo = m.start().saturating_sub(MAX_STRING);
        let (start, start_known) = match memchr::memrchr(0, hay.get(lo..m.start()).unwrap_or(&[])) {
            Some(i) => (lo + i + 1, true),
            None => (lo, lo == 0),
        };
        // A type-name anchor includes its NUL: the string ends there.
        let fwd_from = if hay.get(m.end().wrapping_sub(1)) == Some(&0) {
            m.end() - 1
        } else {
            m.end()
        };
        let hi = fwd_from.saturating_add(MAX_STRING).min(hay.len());
        let (end, end_known) = match memchr::memchr(0, hay.get(fwd_from..hi).unwrap_or(&[])) {
            Some(i) => (fwd_from + i, true),
            None => (hi, false),
        };
        let s = hay.get(start..end).unwrap_or(&[]);
        classify(s, start, start_known, end_known, range.addr, f);
        // `end` >= the hit's start, so the scan always advances.
        pos = end.saturating_add(1);
    }
    scan_modules(hay, f);
}

/// Classify one NUL-terminated string `s` found at offset `start` of a range at `base`.
fn classify(
    s: &[u8],
    start: usize,
    start_known: bool,
    end_known: bool,
    base: u64,
    f: &mut StringFacts,
) {
    let addr_of = |off: usize| base.wrapping_add(start as u64).wrapping_add(off as u64);
    let add_anchor = |f: &mut StringFacts, addr: u64, a: Anchor| {
        if f.anchors.len() < MAX_ANCHORS {
            f.anchors.insert(addr, a);
        }
    };

    // numpy/__multiarray_api.h, __ufunc_api.h (docs/binary-evidence.md#numpy-c-api-strings).
    if contains!(s, b"_ARRAY_API is NULL pointer") {
        f.array_null = true;
    }
    if contains!(s, b"_UFUNC_API is NULL pointer") {
        f.ufunc_null = true;
    }
    if contains!(s, b"_ARRAY_API not found") {
        f.array_not_found = true;
    }
    // Cython 3 `Utility/NumpyImportArray.c`: the message of the call it generates.
    if let Some(i) = find!(
        s,
        b" failed to import (auto-generated because you didn't call 'numpy.import_array()'"
    ) {
        let module = s.get(..i).and_then(|m| std::str::from_utf8(m).ok());
        let module = module
            .and_then(|m| {
                m.rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
                    .next()
            })
            .filter(|m| m.starts_with("numpy."))
            .unwrap_or("numpy.core.multiarray");
        f.cython_generated_import_array = Some(module.to_string());
    }
    if start_known && s == b"_ARRAY_API" {
        f.array_api_name = true;
    }
    for (i, kind) in [
        (
            find!(s, b"module compiled against ABI version"),
            Anchor::AbiFormat,
        ),
        (
            find!(s, b"module compiled against API version"),
            Anchor::ApiFormat,
        ),
        (
            find!(s, b"module was compiled against NumPy C-API version"),
            Anchor::ApiFormat,
        ),
    ] {
        if let Some(i) = i {
            f.compiled_against = true;
            // The format string starts at "module" (or the string was tail-merged there).
            add_anchor(f, addr_of(i), kind);
        }
    }
    if contains!(s, b"ABI version %x but") {
        f.abi_without_0x = true;
    }
    if contains!(s, b"0x%x . Check the section") {
        f.check_section = true;
    }
    if let Some(i) = find!(s, b"(NumPy ") {
        if contains!(s, b"compiled against NumPy C-API") {
            let rest = s.get(i + 7..).unwrap_or(&[]);
            let v: Vec<u8> = rest
                .iter()
                .copied()
                .take_while(|c| c.is_ascii_digit() || *c == b'.')
                .take(16)
                .collect();
            if rest.get(v.len()) == Some(&b')') && is_dotted_number(&v) {
                f.feature_string
                    .get_or_insert_with(|| String::from_utf8_lossy(&v).into_owned());
            }
        }
    }
    if contains!(s, b"numpy._core._multiarray_umath") {
        f.core_underscore_mu = true;
    }
    if contains!(s, b"numpy.core._multiarray_umath") {
        f.core_mu = true;
    }
    if contains!(s, b"numpy.core.multiarray") || contains!(s, b"numpy.core.umath") {
        f.core_old = true;
    }
    if start_known && s == b"numpy._core" {
        f.numpy_underscore_core = true;
    }
    if contains!(s, b"NumpyVersion") {
        f.numpy_version_name = true;
    }

    // Cython (docs/binary-evidence.md#cython-version).
    if contains!(s, b"size changed, may indicate binary incompatibility") {
        f.cython_size_message = true;
    }
    if start_known && s == b"__pyx_capi__" {
        f.pyx_capi = true;
    }
    if contains!(s, b"cython_runtime") {
        f.cython_runtime = true;
    }
    if f.cython_version.is_none() {
        if let Some(i) = find!(s, b"_cython_") {
            f.cython_version = parse_cython_abi(s.get(i + 8..).unwrap_or(&[]));
        }
    }

    // pybind11 / nanobind (docs/binary-evidence.md#pybind11, #nanobind).
    if f.pybind11_internals.is_none() {
        if let Some(i) = find!(s, b"__pybind11_internals_v") {
            let id: Vec<u8> = s[i..]
                .iter()
                .copied()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                .take(200)
                .collect();
            f.pybind11_internals = Some(String::from_utf8_lossy(&id).into_owned());
        }
    }
    if contains!(s, b"__nb_internals") {
        f.nanobind = true;
    }
    // nanobind's key is a separate string: "v15_gcc_libstdcpp_cxxabi1017" (2.x) or
    // "nanobind_system_libstdcpp_gxx_abi_1xxx_use_cxx11_abi_1_a1_v22" (3.x); see
    // docs/binary-evidence.md#nanobind.
    if f.nanobind_key.is_none() && start_known && end_known && is_nanobind_key(s) {
        f.nanobind_key = Some(String::from_utf8_lossy(s).into_owned());
    }

    // f2py: the module docstring "This module 'x' is auto-generated with f2py (version:1.23.2)."
    // (numpy/f2py/rules.py) and the `__f2py_numpy_version__` attribute name.
    if contains!(s, b"__f2py_numpy_version__") || contains!(s, b"f2py_module_methods") {
        f.f2py = true;
    }
    if let Some(i) = find!(s, b"auto-generated with f2py (version:") {
        f.f2py = true;
        let rest = s.get(i + 34..).unwrap_or(&[]);
        let v: Vec<u8> = rest
            .iter()
            .copied()
            .take_while(|c| *c != b')' && !c.is_ascii_whitespace())
            .take(40)
            .collect();
        if rest.get(v.len()) == Some(&b')') && !v.is_empty() && v[0].is_ascii_digit() {
            f.f2py_version
                .get_or_insert_with(|| String::from_utf8_lossy(&v).into_owned());
        }
    }

    // Addresses where a NUL-terminated type name or "numpy" starts: tail of this string.
    if end_known {
        for (i, name) in CYTHON_TYPE_ORDER.iter().enumerate() {
            if s.ends_with(name.as_bytes()) {
                add_anchor(f, addr_of(s.len() - name.len()), Anchor::TypeName(i as u8));
            }
        }
        if s.ends_with(b"numpy") {
            add_anchor(f, addr_of(s.len() - 5), Anchor::Numpy);
        }
    }
}

fn is_dotted_number(v: &[u8]) -> bool {
    let text = std::str::from_utf8(v).unwrap_or("");
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 2 && parts.iter().all(|p| !p.is_empty())
}

/// `3_0_11` -> `3.0.11`, `3_0_0a11` -> `3.0.0a11`; stops at the first character that cannot be
/// part of the ABI tag (Cython 3.1 appends variant suffixes after another `_`).
fn parse_cython_abi(rest: &[u8]) -> Option<String> {
    let mut parts = Vec::new();
    let mut i = 0;
    for n in 0..3 {
        let digits = rest
            .get(i..)?
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || digits > 4 {
            return None;
        }
        parts.push(String::from_utf8_lossy(&rest[i..i + digits]).into_owned());
        i += digits;
        if n < 2 {
            if rest.get(i) != Some(&b'_') {
                return None;
            }
            i += 1;
        }
    }
    let mut version = parts.join(".");
    // Pre-release tag: a1, b2, rc1.
    let tail = rest.get(i..).unwrap_or(&[]);
    for tag in [&b"rc"[..], b"a", b"b"] {
        if let Some(after) = tail.strip_prefix(tag) {
            let d = after.iter().take_while(|c| c.is_ascii_digit()).count();
            if d > 0 && d <= 4 {
                version.push_str(&String::from_utf8_lossy(&tail[..tag.len() + d]));
            }
            break;
        }
    }
    Some(version)
}

fn is_nanobind_key(s: &[u8]) -> bool {
    if s.len() > 200 || !s.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_') {
        return false;
    }
    let v_prefix = s.first() == Some(&b'v')
        && s.get(1).is_some_and(|c| c.is_ascii_digit())
        && (contains!(s, b"_libstdcpp_") || contains!(s, b"_libcpp_") || contains!(s, b"_msvc"));
    let nb_prefix = s.starts_with(b"nanobind_") && contains!(s, b"_v");
    v_prefix || nb_prefix
}

/// Dotted `pkg.sub.mod` strings (Cython cimports of sibling modules;
/// docs/binary-evidence.md#dotted-module-names).
fn scan_modules(hay: &[u8], f: &mut StringFacts) {
    const NOT_MODULE_SUFFIX: [&str; 14] = [
        "pyx", "pxd", "pxi", "py", "c", "h", "cpp", "hpp", "cc", "so", "pyd", "dll", "txt", "json",
    ];
    // Dotted names are NUL-terminated strings containing a '.': search for the dots (rare in
    // read-only data, unlike NUL bytes) and look at the string around each one. A regex that
    // starts with `\x00` stops its prefilter at nearly every byte of .rodata (BENCHMARKS.md).
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
    let mut resume = 0usize;
    for dot in memchr::memchr_iter(b'.', hay) {
        if f.modules.len() >= MAX_MODULES {
            break;
        }
        if dot < resume {
            continue;
        }
        // Extend over identifier characters, at most the longest name the shape allows.
        const MAX_NAME: usize = 9 * 65;
        let lo_bound = dot.saturating_sub(MAX_NAME);
        let mut start = dot;
        while start > lo_bound && hay.get(start - 1).copied().is_some_and(is_ident) {
            start -= 1;
        }
        let hi_bound = dot.saturating_add(MAX_NAME).min(hay.len());
        let mut end = dot + 1;
        while end < hi_bound && hay.get(end).copied().is_some_and(is_ident) {
            end += 1;
        }
        resume = end;
        // The whole string: a NUL (or the range start) before, a NUL after.
        if hay.get(end) != Some(&0) || (start > 0 && hay.get(start - 1) != Some(&0)) {
            continue;
        }
        let Some(text) = hay
            .get(start..end)
            .and_then(|b| std::str::from_utf8(b).ok())
        else {
            continue;
        };
        if !dotted_module_shape(text) {
            continue;
        }
        let last = text.rsplit('.').next().unwrap_or("");
        if NOT_MODULE_SUFFIX.contains(&last)
            || text.starts_with("_cython_")
            || text.starts_with("__pyx")
        {
            continue;
        }
        f.modules.insert(text.to_string());
    }
}

/// `pkg.sub.mod`: 2 to 9 identifiers of at most 64 characters, none starting with a digit.
fn dotted_module_shape(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    (2..=9).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 64
                && !p.as_bytes()[0].is_ascii_digit()
                && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_bytes(bytes: &[u8]) -> StringFacts {
        scan(&[Range {
            addr: 0x1000,
            data: bytes,
        }])
    }

    /// The string Cython 3.0.11 left in scenario 14's `auto_import` module (and not in
    /// `own_import`, which calls import_array() itself).
    #[test]
    fn cython3_generated_import_array_message() {
        let data = b"\0numpy.core.umath failed to import\0numpy.core.multiarray failed to import (auto-generated because you didn't call 'numpy.import_array()' after cimporting numpy; use '<void>numpy._import_array' to disable if you are certain you don't need it).\0numpy.core.multiarray failed to import\0";
        let f = scan_bytes(data);
        assert_eq!(
            f.cython_generated_import_array.as_deref(),
            Some("numpy.core.multiarray")
        );
        let f = scan_bytes(
            b"\0numpy.core.umath failed to import\0numpy.core.multiarray failed to import\0",
        );
        assert_eq!(f.cython_generated_import_array, None);
    }

    #[test]
    fn numpy2_import_array_strings() {
        let data = b"\0numpy._core._multiarray_umath\0numpy.core._multiarray_umath\0_ARRAY_API\0\
_ARRAY_API is NULL pointer\0module compiled against ABI version 0x%x but this version of numpy is 0x%x\0\
module was compiled against NumPy C-API version 0x%x (NumPy 1.20) but the running NumPy has C-API version 0x%x. Check the section\0";
        let f = scan_bytes(data);
        assert!(f.uses_c_api());
        assert!(!f.umath_only());
        assert!(f.core_underscore_mu && f.core_mu);
        assert_eq!(f.feature_string.as_deref(), Some("1.20"));
        let abi = data.windows(6).position(|w| w == b"module").unwrap() as u64 + 0x1000;
        assert_eq!(f.anchors.get(&abi), Some(&Anchor::AbiFormat));
        assert_eq!(
            f.anchors
                .values()
                .filter(|a| **a == Anchor::ApiFormat)
                .count(),
            1
        );
    }

    #[test]
    fn tail_merged_type_names_resolve_by_address() {
        // "unsignedinteger" also provides "signedinteger" and "integer"; "dtype" provides
        // "type" which is no numpy type (docs/binary-evidence.md#cython-sizes).
        let data = b"\0unsignedinteger\0dtype\0numpy\0";
        let f = scan_bytes(data);
        let at = |off: u64| f.anchors.get(&(0x1000 + off)).copied();
        let idx = |n: &str| CYTHON_TYPE_ORDER.iter().position(|t| *t == n).unwrap() as u8;
        assert_eq!(at(1), Some(Anchor::TypeName(idx("unsignedinteger"))));
        assert_eq!(at(3), Some(Anchor::TypeName(idx("signedinteger"))));
        assert_eq!(at(9), Some(Anchor::TypeName(idx("integer"))));
        assert_eq!(at(17), Some(Anchor::TypeName(idx("dtype"))));
        assert_eq!(at(18), None);
        assert_eq!(at(23), Some(Anchor::Numpy));
    }

    #[test]
    fn header_generation_markers() {
        let f = scan_bytes(b"\0module compiled against ABI version %x but this version of numpy is %x\0numpy.core.multiarray\0");
        assert!(f.abi_without_0x && f.core_old && f.uses_c_api());
        let f = scan_bytes(b"\0_UFUNC_API is NULL pointer\0numpy.core._multiarray_umath\0");
        assert!(f.umath_only());
        let f = scan_bytes(b"\0_ARRAY_API\0numpy.core.multiarray\0");
        assert!(!f.uses_c_api() && f.array_api_name);
    }

    #[test]
    fn toolchain_markers() {
        let f = scan_bytes(
            b"\0_cython_3_0_11\0%.200s.%.200s size changed, may indicate binary incompatibility\0\
__pybind11_internals_v4_gcc_libstdcpp_cxxabi1017__\0numpy._core\0NumpyVersion\0\
__nb_internals_%s_%s__\0v15_gcc_libstdcpp_cxxabi1017\0\
This module '_fblas' is auto-generated with f2py (version:1.23.2).\0pandas._libs.tslibs.base\0lib.pyx\0",
        );
        assert_eq!(f.cython_version.as_deref(), Some("3.0.11"));
        assert!(f.cython());
        assert_eq!(
            f.pybind11_internals.as_deref(),
            Some("__pybind11_internals_v4_gcc_libstdcpp_cxxabi1017__")
        );
        assert!(f.numpy_underscore_core && f.numpy_version_name);
        assert!(f.nanobind);
        assert_eq!(
            f.nanobind_key.as_deref(),
            Some("v15_gcc_libstdcpp_cxxabi1017")
        );
        assert!(f.f2py);
        assert_eq!(f.f2py_version.as_deref(), Some("1.23.2"));
        assert!(f.modules.contains("pandas._libs.tslibs.base"));
        assert!(!f.modules.contains("lib.pyx"));
    }

    #[test]
    fn cython_abi_parsing() {
        assert_eq!(parse_cython_abi(b"0_29_36"), Some("0.29.36".into()));
        assert_eq!(parse_cython_abi(b"3_0_0a11\0"), Some("3.0.0a11".into()));
        assert_eq!(parse_cython_abi(b"3_1_4limited"), Some("3.1.4".into()));
        assert_eq!(parse_cython_abi(b"runtime"), None);
        assert_eq!(parse_cython_abi(b"3_"), None);
    }

    #[test]
    fn garbage_and_unterminated_input() {
        let mut data = vec![0xffu8; 100_000];
        data.extend_from_slice(b"module compiled against ABI version 0x%x");
        let f = scan_bytes(&data);
        assert!(f.compiled_against);
        let f = scan_bytes(b"dtype\0");
        assert_eq!(f.anchors.get(&0x1000), Some(&Anchor::TypeName(0)));
        let _ = scan_bytes(b"");
        let _ = scan_bytes(b"\0\0\0numpy");
    }
}
