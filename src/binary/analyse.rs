//! Putting Steps A and B together (docs/binary-evidence.md#method) into [`BinaryFacts`].

use std::collections::HashMap;

use super::object_file::{self, Container};
use super::strings::{self, Anchor, StringFacts};
use super::{
    aarch64, x86, Arch, BinaryFacts, CheckSize, CythonInfo, F2pyInfo, Format, HeaderGeneration,
    InspectError, NanobindInfo, NumpyFacts, Pybind11Info, Pybind11Numpy, Toolchain, TypeCheck,
};
use crate::knowledge::CYTHON_TYPE_ORDER;

/// What the disassembly steps read at call sites.
#[derive(Debug, Default)]
pub(crate) struct CodeFacts {
    /// (call address, NPY_ABI_VERSION) from `PyErr_Format` next to the ABI format string.
    pub abi: Vec<(u64, u64)>,
    /// (call address, NPY_FEATURE_VERSION) next to the API / C-API format string.
    pub feature: Vec<(u64, u64)>,
    pub types: Vec<TypeHit>,
    pub problems: Vec<String>,
}

/// One `__Pyx_ImportType` call with a NumPy type name.
#[derive(Debug, Clone)]
pub(crate) struct TypeHit {
    pub call: u64,
    /// Index into [`CYTHON_TYPE_ORDER`].
    pub index: u8,
    pub size: u64,
    /// Raw `__Pyx_ImportType_CheckSize` value (Error 0, Warn 1, Ignore 2).
    pub check_size: Option<u8>,
    /// The module-name argument was seen to be `"numpy"` (else: not determinable).
    pub module_known: bool,
}

pub(crate) fn inspect(
    name: &str,
    data: &[u8],
    format: Format,
) -> Result<BinaryFacts, InspectError> {
    let c = object_file::parse(name, data, format)?;
    // A shared library that is not a module (no PyInit_) and never names "numpy" holds no NumPy
    // code and no binding toolchain: vendored libopenblas, libLLVM, libarrow. One memmem pass
    // decides that, instead of the full marker scan and disassembly (half of a `check` of a big
    // environment went to such libraries; BENCHMARKS.md).
    if c.module_init.is_none()
        && !c
            .rodata
            .iter()
            .any(|r| memchr::memmem::find(r.data, b"numpy").is_some())
    {
        return Ok(assemble(c, StringFacts::default(), CodeFacts::default()));
    }
    let s = strings::scan(&c.rodata);
    let code = disassemble(&c, &s);
    Ok(assemble(c, s, code))
}

fn disassemble(c: &Container<'_>, s: &StringFacts) -> CodeFacts {
    // Type-name anchors only matter in Cython modules: elsewhere a "ndarray" string loaded
    // next to a small immediate is no size check.
    let cython = s.cython();
    let anchors: HashMap<u64, Anchor> = s
        .anchors
        .iter()
        .filter(|(_, a)| cython || !matches!(a, Anchor::TypeName(_) | Anchor::Numpy))
        .map(|(k, v)| (*k, *v))
        .collect();
    let wanted = anchors.values().any(|a| !matches!(a, Anchor::Numpy));
    if !wanted {
        return CodeFacts::default();
    }
    match c.arch {
        Arch::X86_64 => {
            let abi = if c.format == Format::Pe {
                x86::Abi::Win64
            } else {
                x86::Abi::SysV
            };
            x86::analyse(c, &anchors, abi)
        }
        Arch::Aarch64 => aarch64::analyse(c, &anchors),
        ref other => CodeFacts {
            problems: vec![format!(
                "no disassembly for {} code: NumPy versions and Cython sizes come from strings only",
                other.as_str()
            )],
            ..CodeFacts::default()
        },
    }
}

/// Header generation from the strings table (docs/binary-evidence.md#numpy-c-api-strings).
fn header_generation(s: &StringFacts, problems: &mut Vec<String>) -> Option<HeaderGeneration> {
    if !s.uses_c_api() {
        return None;
    }
    if s.core_underscore_mu {
        return Some(HeaderGeneration::V2);
    }
    if s.core_mu {
        if s.umath_only() {
            // The refinements (Check-the-section text, "_ARRAY_API not found") live in
            // `_import_array()`; import_umath() alone is the same in 1.16-1.26.
            problems.push(
                "import_umath() only: NumPy 1.16-1.26 headers, finer generation not determinable"
                    .into(),
            );
            return None;
        }
        return Some(if !s.check_section {
            HeaderGeneration::V1_16To1_23
        } else if s.array_not_found {
            HeaderGeneration::V1_24To1_25
        } else {
            HeaderGeneration::V1_26
        });
    }
    if s.core_old {
        if s.umath_only() {
            problems.push(
                "import_umath() only: NumPy <=1.15 headers, finer generation not determinable"
                    .into(),
            );
            return None;
        }
        return Some(if s.abi_without_0x {
            HeaderGeneration::UpTo1_10
        } else {
            HeaderGeneration::V1_11To1_15
        });
    }
    problems.push("NumPy C-API strings without a recognisable multiarray module name".into());
    None
}

fn check_size(v: u8) -> Option<CheckSize> {
    match v {
        0 => Some(CheckSize::Error),
        1 => Some(CheckSize::Warn),
        2 => Some(CheckSize::Ignore),
        _ => None,
    }
}

fn arch_label(c: &Container<'_>) -> String {
    c.arch.as_str().to_string()
}

fn assemble(c: Container<'_>, s: StringFacts, code: CodeFacts) -> BinaryFacts {
    let mut problems = c.problems.clone();
    problems.extend(code.problems.iter().cloned());
    let arch = arch_label(&c);
    let mut np = NumpyFacts {
        uses_c_api: s.uses_c_api(),
        umath_only: s.umath_only(),
        headers: header_generation(&s, &mut problems),
        feature_version_string: s.feature_string.clone(),
        cython_generated_import_array: s.cython_generated_import_array.clone(),
        ..NumpyFacts::default()
    };

    // Register tracking can in principle carry a stale value into a call; values that cannot be a
    // NumPy ABI (0x0M0000NN, docs/numpy-abi.md#abi-version) or feature version (0x7..0x15 so far)
    // are reported as problems instead of being used.
    let plausible_abi = |v: u64| (1..=15).contains(&(v >> 24)) && v & 0x00ff_ff00 == 0;
    let plausible_feature = |v: u64| (1..=0xff).contains(&v);
    for (call, v) in &code.abi {
        if !plausible_abi(*v) {
            problems.push(format!(
                "implausible ABI immediate {v:#x} at {call:#x} ignored"
            ));
        }
    }
    for (call, v) in &code.feature {
        if !plausible_feature(*v) {
            problems.push(format!(
                "implausible feature immediate {v:#x} at {call:#x} ignored"
            ));
        }
    }
    // NPY_ABI_VERSION: one value expected; disagreeing immediates are reported, not chosen.
    let mut abis: Vec<u64> = code
        .abi
        .iter()
        .map(|x| x.1)
        .filter(|v| plausible_abi(*v))
        .collect();
    abis.sort_unstable();
    abis.dedup();
    match abis.as_slice() {
        [] => {}
        [one] => {
            np.abi_version = u32::try_from(*one).ok();
            np.version_evidence.push(format!(
                "abi_version {one:#x}: PyErr_Format argument next to the ABI format string ({arch})"
            ));
        }
        many => problems.push(format!(
            "conflicting NPY_ABI_VERSION immediates: {}",
            many.iter()
                .map(|v| format!("{v:#x}"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
    // NPY_FEATURE_VERSION: the max over the module (several translation units may differ,
    // docs/binary-evidence.md#x86-64-immediates) — the highest one is what the runtime must
    // satisfy.
    if let Some(max) = code
        .feature
        .iter()
        .map(|x| x.1)
        .filter(|v| plausible_feature(*v))
        .max()
    {
        np.feature_version = u32::try_from(max).ok();
        np.version_evidence.push(format!(
            "feature_version {max:#x}: PyErr_Format argument next to the API format string ({arch})"
        ));
    }
    if let Some(x_y) = &s.feature_string {
        let from_string = crate::knowledge::knowledge().feature_value(x_y);
        match (np.feature_version, from_string) {
            (Some(f), Some(v)) if f != v => problems.push(format!(
                "feature immediate {f:#x} disagrees with \"(NumPy {x_y})\" = {v:#x}"
            )),
            (Some(_), Some(_)) => np.version_evidence.push(format!(
                "feature_version confirmed by \"(NumPy {x_y})\" string"
            )),
            (None, Some(v)) => {
                np.feature_version = Some(v);
                np.version_evidence
                    .push(format!("feature_version {v:#x}: \"(NumPy {x_y})\" string"));
            }
            (_, None) => np.version_evidence.push(format!(
                "\"(NumPy {x_y})\" string present (value not in the knowledge base)"
            )),
        }
    }
    if np.uses_c_api && !np.umath_only && np.feature_version.is_none() && s.compiled_against {
        problems.push(
            "NumPy format strings found but their PyErr_Format arguments were not read".into(),
        );
    }

    // Cython size checks, in pxd order (docs/import-behaviour.md#cython-type-order); one entry per
    // (type, size).
    // Every extension type struct starts with PyObject_HEAD (16 bytes on 64-bit targets); a
    // smaller "size" is some other call taking a type-name string (seen: "dtype" with 0 in one
    // pandas module per wheel).
    let mut hits: Vec<TypeHit> = code
        .types
        .iter()
        .filter(|h| (16..=1 << 20).contains(&h.size))
        .cloned()
        .collect();
    hits.sort_by_key(|h| (h.index, h.size, h.call));
    let mut type_checks: Vec<TypeCheck> = Vec::new();
    let mut last: Option<(u8, u64)> = None;
    for h in &hits {
        let name = CYTHON_TYPE_ORDER
            .get(h.index as usize)
            .copied()
            .unwrap_or("?");
        if last == Some((h.index, h.size)) {
            if let Some(tc) = type_checks.last_mut() {
                if tc.check_size.is_none() {
                    tc.check_size = h.check_size.and_then(check_size);
                }
            }
            continue;
        }
        last = Some((h.index, h.size));
        type_checks.push(TypeCheck {
            type_name: name.to_string(),
            expected_size: h.size,
            check_size: h.check_size.and_then(check_size),
        });
    }
    if hits.iter().any(|h| !h.module_known) && !hits.is_empty() {
        np.version_evidence.push(
            "some Cython type checks: module-name argument not determinable, accepted by type name"
                .into(),
        );
    }
    np.type_checks = type_checks;
    np.headers_without_import = !np.uses_c_api && !np.type_checks.is_empty();

    let toolchain = Toolchain {
        cython: (s.cython() || !np.type_checks.is_empty()).then(|| CythonInfo {
            version: s.cython_version.clone(),
        }),
        f2py: s.f2py.then(|| F2pyInfo {
            numpy_version: s.f2py_version.clone(),
        }),
        pybind11: s.pybind11_internals.clone().map(|internals| Pybind11Info {
            internals: Some(internals),
            // docs/binary-evidence.md#pybind11: >= 2.12 has "numpy._core" and "NumpyVersion";
            // <= 2.11 names "numpy.core.multiarray" + "_ARRAY_API" without "numpy._core".
            numpy: if s.numpy_underscore_core && s.numpy_version_name {
                Pybind11Numpy::Numpy2Aware
            } else if s.core_old && s.array_api_name && !s.numpy_underscore_core {
                Pybind11Numpy::Numpy1Only
            } else {
                Pybind11Numpy::NotUsed
            },
        }),
        nanobind: s.nanobind.then(|| NanobindInfo {
            internals: s.nanobind_key.clone(),
        }),
    };

    BinaryFacts {
        format: c.format,
        arch: c.arch.clone(),
        module_init: c.module_init.clone(),
        numpy: np,
        toolchain,
        needed: c.needed.clone(),
        numpy_init_exports: c
            .exports
            .iter()
            .filter(|(_, addr, size)| {
                code.abi
                    .iter()
                    .chain(&code.feature)
                    .any(|(call, _)| (*addr..addr.saturating_add(*size)).contains(call))
            })
            .map(|(n, _, _)| n.clone())
            .collect(),
        imported_functions: c.imports.iter().collect(),
        referenced_modules: s.modules.iter().collect(),
        problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(bytes: &[u8]) -> StringFacts {
        strings::scan(&[object_file::Range {
            addr: 0,
            data: bytes,
        }])
    }

    #[test]
    fn generations() {
        let mut p = Vec::new();
        let g = |b: &[u8], p: &mut Vec<String>| header_generation(&facts(b), p);
        assert_eq!(
            g(
                b"\0_ARRAY_API is NULL pointer\0numpy._core._multiarray_umath\0",
                &mut p
            ),
            Some(HeaderGeneration::V2)
        );
        assert_eq!(
            g(
                b"\0_ARRAY_API is NULL pointer\0numpy.core._multiarray_umath\0",
                &mut p
            ),
            Some(HeaderGeneration::V1_16To1_23)
        );
        assert_eq!(
            g(b"\0_ARRAY_API is NULL pointer\0numpy.core._multiarray_umath\0_ARRAY_API not found\0module compiled against API version 0x%x but this version of numpy is 0x%x . Check the section\0", &mut p),
            Some(HeaderGeneration::V1_24To1_25)
        );
        assert_eq!(
            g(b"\0_ARRAY_API is NULL pointer\0numpy.core._multiarray_umath\0module compiled against API version 0x%x but this version of numpy is 0x%x . Check the section\0", &mut p),
            Some(HeaderGeneration::V1_26)
        );
        assert_eq!(
            g(
                b"\0module compiled against ABI version %x but\0numpy.core.multiarray\0",
                &mut p
            ),
            Some(HeaderGeneration::UpTo1_10)
        );
        assert_eq!(
            g(
                b"\0module compiled against ABI version 0x%x but\0numpy.core.multiarray\0",
                &mut p
            ),
            Some(HeaderGeneration::V1_11To1_15)
        );
        assert!(p.is_empty());
        assert_eq!(
            g(
                b"\0_UFUNC_API is NULL pointer\0numpy.core._multiarray_umath\0",
                &mut p
            ),
            None
        );
        assert_eq!(p.len(), 1);
        assert_eq!(g(b"\0_ARRAY_API\0numpy.core.multiarray\0", &mut p), None);
    }
}
