//! The `inspect` report: one entry per compiled file (or wheel member), JSON schema version 1.
//! Its renderers: [`text`], and [`crate::report::json::write`] for JSON.

pub mod text;

use crate::binary::{BinaryFacts, CheckSize, Toolchain};
use crate::knowledge::knowledge;
use crate::rules::predict::{self, Window};
use schemars::JsonSchema;
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize, JsonSchema)]
pub struct InspectReport {
    pub schema_version: u32,
    pub binaries: Vec<BinaryEntry>,
    /// Files that could not be inspected at all, each naming the file.
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BinaryEntry {
    pub path: String,
    pub format: Option<crate::binary::Format>,
    pub arch: Option<String>,
    pub module_init: Option<String>,
    pub numpy: Option<NumpyEntry>,
    pub toolchain: Option<Toolchain>,
    pub needed: Vec<String>,
    pub problems: Vec<String>,
    /// What the text report says of the binary ([`describe`]): made here, where the facts are,
    /// so that rendering needs only the report. Not part of the JSON schema.
    #[serde(skip)]
    pub description: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct NumpyEntry {
    pub uses_c_api: bool,
    pub umath_only: bool,
    pub headers: Option<&'static str>,
    pub abi_version: Option<String>,
    pub feature_version: Option<String>,
    pub feature_version_string: Option<String>,
    pub headers_without_import: bool,
    pub type_checks: Vec<TypeCheckEntry>,
    /// PEP 440 specifier of the NumPy versions it imports under; null when unknown.
    pub compatible: Option<String>,
    /// `true` when the binary shows no dependency on NumPy's binary interface.
    pub independent: bool,
    pub evidence: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TypeCheckEntry {
    #[serde(rename = "type")]
    pub type_name: String,
    pub expected_size: u64,
    pub check_size: Option<CheckSize>,
}

impl BinaryEntry {
    pub fn from_facts(path: String, f: &BinaryFacts) -> Self {
        let np = &f.numpy;
        let w = predict::window(np);
        let compatible = w.specifier(np);
        let feature = predict::feature_version(np);
        BinaryEntry {
            path,
            format: Some(f.format),
            arch: Some(f.arch.as_str().to_string()),
            module_init: f.module_init.clone(),
            numpy: Some(NumpyEntry {
                uses_c_api: np.uses_c_api,
                umath_only: np.umath_only,
                headers: np.headers.map(|h| h.as_str()),
                abi_version: np.abi_version.map(|v| format!("{v:#x}")),
                feature_version: feature.map(|v| format!("{v:#x}")),
                feature_version_string: np.feature_version_string.clone(),
                headers_without_import: np.headers_without_import,
                type_checks: np
                    .type_checks
                    .iter()
                    .map(|c| TypeCheckEntry {
                        type_name: c.type_name.clone(),
                        expected_size: c.expected_size,
                        check_size: c.check_size,
                    })
                    .collect(),
                compatible,
                independent: w == Window::Independent,
                evidence: np.version_evidence.clone(),
            }),
            toolchain: Some(f.toolchain.clone()),
            needed: f.needed.clone(),
            problems: f.problems.clone(),
            description: describe(f),
        }
    }

    pub fn unreadable(path: String, problem: String) -> Self {
        BinaryEntry {
            path,
            format: None,
            arch: None,
            module_init: None,
            numpy: None,
            toolchain: None,
            needed: vec![],
            problems: vec![problem],
            description: vec![],
        }
    }

    /// The file could be read as a binary (its facts are in the entry).
    pub fn readable(&self) -> bool {
        self.format.is_some()
    }
}

impl InspectReport {
    pub fn new(binaries: Vec<BinaryEntry>, problems: Vec<String>) -> Self {
        InspectReport {
            schema_version: SCHEMA_VERSION,
            binaries,
            problems,
        }
    }

    /// How many of the files could be read; none means `inspect` could not do its job.
    pub fn readable(&self) -> usize {
        self.binaries.iter().filter(|b| b.readable()).count()
    }
}

/// One-paragraph, plain-language summary of what a binary was built against.
pub fn describe(f: &BinaryFacts) -> Vec<String> {
    let np = &f.numpy;
    let mut lines = Vec::new();
    let mut built = Vec::new();
    if np.uses_c_api {
        let major = predict::built_major(np)
            .map(|m| format!("NumPy {m}.x headers"))
            .unwrap_or_else(|| "NumPy headers".into());
        let gen = np
            .headers
            .filter(|h| *h != crate::binary::HeaderGeneration::V2)
            .map(|h| format!(" ({})", h.as_str()))
            .unwrap_or_default();
        built.push(format!("built against {major}{gen}"));
        match predict::feature_version(np) {
            Some(fv) => {
                let name = knowledge()
                    .first_line_with_api(fv)
                    .map(|r| format!(" (NumPy {})", r.line))
                    .unwrap_or_default();
                built.push(format!("C-API target {fv:#x}{name}"));
            }
            None => built.push("C-API target unknown".into()),
        }
        if np.umath_only {
            built.push("import_umath() only".into());
        }
    } else if !np.type_checks.is_empty() {
        let major = predict::built_major(np)
            .map(|m| format!(" {m}.x"))
            .unwrap_or_default();
        built.push(format!("NumPy{major} headers, no C-API import"));
    }
    let tc = &f.toolchain;
    if let Some(cy) = &tc.cython {
        let v = cy.version.as_deref().unwrap_or("(version not named)");
        if np.type_checks.is_empty() {
            built.push(format!("Cython {v}"));
        } else {
            let sizes: Vec<String> = np
                .type_checks
                .iter()
                .filter(|c| !is_abstract_scalar(&c.type_name))
                .map(|c| format!("{}={}", c.type_name, c.expected_size))
                .collect();
            built.push(format!("Cython {v} checks {}", sizes.join(" ")));
        }
    }
    if let Some(pb) = &tc.pybind11 {
        let what = match pb.numpy {
            crate::binary::Pybind11Numpy::NotUsed => "no numpy.h",
            crate::binary::Pybind11Numpy::Numpy1Only => {
                "numpy.h of pybind11 <= 2.11 (NumPy 1.x layouts: imports on NumPy 2 but returns wrong data)"
            }
            crate::binary::Pybind11Numpy::Numpy2Aware => "numpy.h of pybind11 >= 2.12 (NumPy 1.x and 2.x)",
        };
        built.push(format!("pybind11, {what}"));
    }
    if tc.nanobind.is_some() {
        built.push("nanobind (no NumPy ABI dependency)".into());
    }
    if let Some(f2) = &tc.f2py {
        match &f2.numpy_version {
            Some(v) => built.push(format!("f2py wrapper (NumPy {v})")),
            None => built.push("f2py wrapper".into()),
        }
    }
    if built.is_empty() {
        built.push("no NumPy C-API use found".into());
    }
    lines.push(built.join("; "));
    match predict::window(np) {
        Window::Independent => {}
        Window::Unknown => lines.push("imports under: unknown (C-API target not readable)".into()),
        Window::Empty => lines.push("imports under: no known NumPy release".into()),
        w @ Window::Range { .. } => {
            let spec = w.specifier(np).unwrap_or_default();
            if spec.is_empty() {
                lines.push("imports under every known NumPy".into());
            } else {
                lines.push(format!("imports under NumPy {spec}"));
            }
        }
    }
    lines
}

fn is_abstract_scalar(name: &str) -> bool {
    !matches!(
        name,
        "dtype" | "flatiter" | "broadcast" | "ndarray" | "ufunc"
    )
}

/// An inspect report built by hand, for the renderers' tests: a Cython member of a pandas wheel
/// built with NumPy 1.26 headers, a pybind11 2.11 module, a macOS module built with NumPy 2
/// headers (with a reading problem), a truncated file, and a wheel that is no zip archive.
#[cfg(test)]
pub(crate) mod samples {
    use super::*;
    use crate::binary::{CythonInfo, Format, Pybind11Info, Pybind11Numpy};

    fn numpy() -> NumpyEntry {
        NumpyEntry {
            uses_c_api: false,
            umath_only: false,
            headers: None,
            abi_version: None,
            feature_version: None,
            feature_version_string: None,
            headers_without_import: false,
            type_checks: vec![],
            compatible: None,
            independent: true,
            evidence: vec![],
        }
    }

    fn check(type_name: &str, expected_size: u64, check_size: CheckSize) -> TypeCheckEntry {
        TypeCheckEntry {
            type_name: type_name.into(),
            expected_size,
            check_size: Some(check_size),
        }
    }

    pub fn report() -> InspectReport {
        let wheel = "/home/ana/wheels/pandas-2.1.4-cp311-cp311-manylinux_2_17_x86_64.whl";
        InspectReport::new(
            vec![
                BinaryEntry {
                    path: format!("{wheel}!pandas/_libs/interval.cpython-311-x86_64-linux-gnu.so"),
                    format: Some(Format::Elf),
                    arch: Some("x86_64".into()),
                    module_init: Some("interval".into()),
                    numpy: Some(NumpyEntry {
                        uses_c_api: true,
                        headers: Some("1.26"),
                        abi_version: Some("0x1000009".into()),
                        feature_version: Some("0xd".into()),
                        type_checks: vec![
                            check("dtype", 96, CheckSize::Ignore),
                            check("ndarray", 80, CheckSize::Ignore),
                            check("generic", 16, CheckSize::Warn),
                            check("ufunc", 216, CheckSize::Ignore),
                        ],
                        compatible: Some(">=1.16,<2".into()),
                        independent: false,
                        evidence: vec![
                            "abi_version 0x1000009: PyErr_Format argument next to the ABI \
                             format string (x86_64)"
                                .into(),
                            "feature_version 0xd: PyErr_Format argument next to the API format \
                             string (x86_64)"
                                .into(),
                        ],
                        ..numpy()
                    }),
                    toolchain: Some(Toolchain {
                        cython: Some(CythonInfo {
                            version: Some("3.0.11".into()),
                        }),
                        ..Toolchain::default()
                    }),
                    needed: vec!["libc.so.6".into()],
                    problems: vec![],
                    description: vec![
                        "built against NumPy 1.x headers (1.26); C-API target 0xd (NumPy 1.16); \
                         Cython 3.0.11 checks dtype=96 ndarray=80 ufunc=216"
                            .into(),
                        "imports under NumPy >=1.16,<2".into(),
                    ],
                },
                BinaryEntry {
                    path: "/home/ana/src/fastgeo/build/_geo.cpython-311-x86_64-linux-gnu.so"
                        .into(),
                    format: Some(Format::Elf),
                    arch: Some("x86_64".into()),
                    module_init: Some("_geo".into()),
                    numpy: Some(numpy()),
                    toolchain: Some(Toolchain {
                        pybind11: Some(Pybind11Info {
                            internals: Some(
                                "__pybind11_internals_v4_gcc_libstdcpp_cxxabi1017__".into(),
                            ),
                            numpy: Pybind11Numpy::Numpy1Only,
                        }),
                        ..Toolchain::default()
                    }),
                    needed: vec!["libstdc++.so.6".into(), "libc.so.6".into()],
                    problems: vec![],
                    description: vec![
                        "pybind11, numpy.h of pybind11 <= 2.11 (NumPy 1.x layouts: imports on \
                         NumPy 2 but returns wrong data)"
                            .into(),
                    ],
                },
                BinaryEntry {
                    path: "/Users/ana/venv/lib/python3.12/site-packages/fastkde/_kde.cpython-312-darwin.so"
                        .into(),
                    format: Some(Format::MachO),
                    arch: Some("aarch64".into()),
                    module_init: Some("_kde".into()),
                    numpy: Some(NumpyEntry {
                        uses_c_api: true,
                        headers: Some("2.x"),
                        abi_version: Some("0x2000000".into()),
                        feature_version: Some("0x10".into()),
                        feature_version_string: Some("1.23".into()),
                        compatible: Some(">=1.23,<3".into()),
                        independent: false,
                        evidence: vec!["feature_version confirmed by \"(NumPy 1.23)\" string".into()],
                        ..numpy()
                    }),
                    toolchain: Some(Toolchain::default()),
                    needed: vec![],
                    problems: vec!["LC_CODE_SIGNATURE points past the end of the file".into()],
                    description: vec![
                        "built against NumPy 2.x headers; C-API target 0x10 (NumPy 1.23)".into(),
                        "imports under NumPy >=1.23,<3".into(),
                    ],
                },
                BinaryEntry::unreadable(
                    "/home/ana/src/fastgeo/build/_old.so".into(),
                    "/home/ana/src/fastgeo/build/_old.so: malformed ELF binary: Invalid ELF \
                     section header offset/size/alignment"
                        .into(),
                ),
            ],
            vec![
                "/home/ana/wheels/broken-1.0-py3-none-any.whl: not a wheel: invalid Zip \
                 archive: Could not find EOCD"
                    .into(),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{json, rendered};

    #[test]
    fn json_is_the_model_without_the_description() {
        let r = samples::report();
        assert_eq!(r.readable(), 3);
        let out = rendered(|w| json::write(w, &r));
        assert!(!out.contains("\"description\""));
        insta::assert_snapshot!("inspect_json", out);
    }
}
