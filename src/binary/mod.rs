//! Binary inspection: ELF, Mach-O and PE extension modules, read from a path (memory-mapped) or from
//! bytes (a wheel member).
//!
//! Nothing from the `object` or `iced-x86` crates appears in this module's public API: callers get
//! [`BinaryFacts`], plain data that serializes to the `inspect` JSON.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub(crate) mod aarch64;
mod analyse;
mod call;
mod names;
pub(crate) mod object_file;
pub(crate) mod strings;
pub(crate) mod x86;
mod x86_scan;

pub(crate) use analyse::{CodeFacts, TypeHit};
pub use names::NameList;

/// Container format of a compiled file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Elf,
    #[serde(rename = "macho")]
    MachO,
    Pe,
}

/// CPU architecture of a compiled file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    X86_64,
    Aarch64,
    X86,
    Other(String),
}

impl Arch {
    pub fn as_str(&self) -> &str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
            Arch::X86 => "x86",
            Arch::Other(s) => s,
        }
    }
}

/// The generation of NumPy headers that produced a module's `import_array()` code, told apart by
/// the strings the headers leave in the binary (docs/binary-evidence.md#numpy-c-api-strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HeaderGeneration {
    #[serde(rename = "<=1.10")]
    UpTo1_10,
    #[serde(rename = "1.11-1.15")]
    V1_11To1_15,
    #[serde(rename = "1.16-1.23")]
    V1_16To1_23,
    #[serde(rename = "1.24-1.25")]
    V1_24To1_25,
    #[serde(rename = "1.26")]
    V1_26,
    #[serde(rename = "2.x")]
    V2,
}

impl HeaderGeneration {
    pub fn as_str(self) -> &'static str {
        match self {
            HeaderGeneration::UpTo1_10 => "<=1.10",
            HeaderGeneration::V1_11To1_15 => "1.11-1.15",
            HeaderGeneration::V1_16To1_23 => "1.16-1.23",
            HeaderGeneration::V1_24To1_25 => "1.24-1.25",
            HeaderGeneration::V1_26 => "1.26",
            HeaderGeneration::V2 => "2.x",
        }
    }
    /// NumPy 1.x headers (ABI 0x01000009) or 2.x headers (ABI 0x02000000).
    pub fn major(self) -> u32 {
        if self == HeaderGeneration::V2 {
            2
        } else {
            1
        }
    }
    /// 1.16+ headers import `numpy.core._multiarray_umath`, which NumPy 2 replaces by a shim that
    /// raises "A module that was compiled using NumPy 1.x cannot be run in NumPy 2.x"; older headers
    /// import `numpy.core.multiarray` and hit the C ABI check instead.
    pub fn imports_multiarray_umath(self) -> bool {
        self >= HeaderGeneration::V1_16To1_23
    }
}

/// Cython's `check_size` mode for an imported extension type (Cython/Utility/ImportExport.c).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckSize {
    Error,
    Warn,
    Ignore,
}

/// One `__Pyx_ImportType(module, "numpy", "<type>", size, ...)` call found in the binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeCheck {
    /// The NumPy type name as Cython imports it: `dtype`, `ndarray`, `ufunc`, `generic`, ...
    #[serde(rename = "type")]
    pub type_name: String,
    /// `sizeof` of the C struct the module was compiled with.
    pub expected_size: u64,
    /// The check mode, when it could be read.
    pub check_size: Option<CheckSize>,
}

/// What the binary tells about NumPy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumpyFacts {
    /// The module runs NumPy's `import_array()`/`import_umath()` (the strings are present).
    pub uses_c_api: bool,
    /// Only `import_umath()` strings were found.
    pub umath_only: bool,
    /// Header generation bucket, from the strings.
    pub headers: Option<HeaderGeneration>,
    /// NPY_ABI_VERSION (0x01000009 for 1.x headers, 0x02000000 for 2.x).
    pub abi_version: Option<u32>,
    /// NPY_FEATURE_VERSION: the oldest runtime C-API version the module accepts.
    pub feature_version: Option<u32>,
    /// The "(NumPy X.Y)" text of 2.x headers: NPY_FEATURE_VERSION_STRING.
    pub feature_version_string: Option<String>,
    /// How `abi_version`/`feature_version` were obtained ("PyErr_Format argument", "cmp after
    /// API slot 211", "(NumPy X.Y) string"), for the evidence.
    pub version_evidence: Vec<String>,
    /// Cython size checks of NumPy types, in the order Cython runs them.
    pub type_checks: Vec<TypeCheck>,
    /// Cython module compiled with NumPy headers (size checks present) but no `import_array()`
    /// strings: "NumPy headers, no C-API import".
    pub headers_without_import: bool,
    /// The module text calls `_import_array` from a function that is not reached from `PyInit_*`,
    /// when that could be determined (numba 0.59 `_dispatcher`). `None` = not determined.
    pub import_at_init: Option<bool>,
    /// Cython 3 generated the module's `import_array()` call because the source cimports numpy
    /// without calling it (`Cython/Utility/NumpyImportArray.c`): the module its message names,
    /// `numpy.core.multiarray` or `numpy._core.multiarray`. That call runs before the type-size
    /// checks (docs/import-behaviour.md#order-at-import).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cython_generated_import_array: Option<String>,
}

/// Cython, as seen in the binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema, Deserialize)]
pub struct CythonInfo {
    /// `3.0.11` from `_cython_3_0_11`; `None` when the binary does not name it.
    pub version: Option<String>,
}

/// f2py, as seen in the binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema, Deserialize)]
pub struct F2pyInfo {
    /// The NumPy version f2py embedded in the wrapper (`"... f2py version ..."`), when present.
    pub numpy_version: Option<String>,
}

/// How a pybind11 module talks to NumPy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pybind11Numpy {
    /// No `numpy.h` use found: NumPy-agnostic.
    NotUsed,
    /// pybind11 <= 2.11 `numpy.h`: hard-coded NumPy 1.x layouts; imports on NumPy 2 and misbehaves.
    Numpy1Only,
    /// pybind11 >= 2.12 `numpy.h`: works with NumPy 1.x and 2.x.
    Numpy2Aware,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema, Deserialize)]
pub struct Pybind11Info {
    /// `__pybind11_internals_v4_gcc_libstdcpp_cxxabi1017__`
    pub internals: Option<String>,
    pub numpy: Pybind11Numpy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema, Deserialize)]
pub struct NanobindInfo {
    pub internals: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema, Deserialize)]
pub struct Toolchain {
    pub cython: Option<CythonInfo>,
    pub f2py: Option<F2pyInfo>,
    pub pybind11: Option<Pybind11Info>,
    pub nanobind: Option<NanobindInfo>,
}

/// Everything inspection learned about one compiled file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinaryFacts {
    pub format: Format,
    pub arch: Arch,
    /// `PyInit_<name>` exported: this is a Python extension module, and this is its name.
    pub module_init: Option<String>,
    pub numpy: NumpyFacts,
    pub toolchain: Toolchain,
    /// Shared libraries it needs (DT_NEEDED, LC_LOAD_DYLIB, PE imports).
    pub needed: Vec<String>,
    /// A shared library's exported C functions that hold its NumPy `import_array()` code (the
    /// ABI / C-API check call lies inside the function): `arrow_init_numpy`. ELF only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numpy_init_exports: Vec<String>,
    /// A module's imported C-linkage functions (ELF undefined dynamic symbols).
    // Kept in the facts cache (NPY014 needs it on a cache hit).
    #[serde(default, skip_serializing_if = "NameList::is_empty")]
    pub imported_functions: NameList,
    /// Dotted `pkg.sub.mod` names found in its strings (Cython cimports), for cascades.
    pub referenced_modules: NameList,
    /// Non-fatal problems met while reading it.
    pub problems: Vec<String>,
}

/// Why a file could not be inspected at all.
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Not a regular file, over the size limit, or changed while it was read: the reason starts
    /// with the path.
    #[error("{reason}")]
    Read { path: String, reason: String },
    #[error("{path}: empty file")]
    Empty { path: String },
    #[error("{path}: not an ELF, Mach-O or PE binary")]
    NotBinary { path: String },
    #[error("{path}: malformed {format} binary: {reason}")]
    Malformed {
        path: String,
        format: &'static str,
        reason: String,
    },
}

/// Cheap test on the first bytes: is this an ELF, Mach-O or PE file? Used to skip non-binaries
/// without reading them.
pub fn sniff(head: &[u8]) -> Option<Format> {
    match head {
        [0x7f, b'E', b'L', b'F', ..] => Some(Format::Elf),
        [0xcf, 0xfa, 0xed, 0xfe, ..]
        | [0xce, 0xfa, 0xed, 0xfe, ..]
        | [0xfe, 0xed, 0xfa, 0xcf, ..]
        | [0xfe, 0xed, 0xfa, 0xce, ..]
        | [0xca, 0xfe, 0xba, 0xbe, ..] => Some(Format::MachO),
        [b'M', b'Z', ..] => Some(Format::Pe),
        _ => None,
    }
}

/// Inspect a compiled file held in memory. `name` is used in messages only.
pub fn inspect_bytes(name: &str, data: &[u8]) -> Result<BinaryFacts, InspectError> {
    if data.is_empty() {
        return Err(InspectError::Empty {
            path: name.to_string(),
        });
    }
    let Some(format) = sniff(data) else {
        return Err(InspectError::NotBinary {
            path: name.to_string(),
        });
    };
    analyse::inspect(name, data, format)
}

/// Inspect a compiled file on disk: regular files only, mapped through the SIGBUS-safe reader
/// ([`crate::fsread::map`]); a file that changed while it was read is an error, not a result.
pub fn inspect_path(path: &std::path::Path) -> Result<BinaryFacts, InspectError> {
    use crate::fsread::{map::Mapped, Limit, ReadError};
    let name = path.display().to_string();
    let read_err = |e: ReadError| InspectError::Read {
        path: name.clone(),
        reason: e.to_string(),
    };
    let file = Mapped::open(path, Limit::Binary).map_err(read_err)?;
    if file.bytes().is_empty() {
        return Err(InspectError::Empty { path: name });
    }
    let facts = inspect_bytes(&name, file.bytes());
    file.check().map_err(read_err)?;
    facts
}

#[cfg(test)]
mod tests {
    //! Every committed fixture (`tests/fixtures/manifest.json`, expectations established
    //! independently of abi-doctor, see `tests/fixtures/README.md`) must be inspected exactly.
    use super::*;
    use serde_json::Value;

    fn hex_or_null(v: Option<u32>) -> Value {
        v.map(|x| Value::String(format!("{x:#x}")))
            .unwrap_or(Value::Null)
    }

    #[test]
    fn manifest_fixtures() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let text = std::fs::read_to_string(root.join("manifest.json"))
            .expect("tests/fixtures/manifest.json is committed");
        let manifest: Vec<Value> = serde_json::from_str(&text).expect("manifest parses");
        assert!(!manifest.is_empty());
        let mut failures = Vec::new();
        for fx in &manifest {
            let file = fx["file"].as_str().expect("file");
            let facts = match inspect_path(&root.join(file)) {
                Ok(f) => f,
                Err(e) => {
                    failures.push(format!("{file}: {e}"));
                    continue;
                }
            };
            let mut check = |what: &str, got: Value, want: &Value| {
                if &got != want {
                    failures.push(format!("{file}: {what}: expected {want}, got {got}"));
                }
            };
            check(
                "format",
                serde_json::to_value(facts.format).unwrap(),
                &fx["format"],
            );
            check("arch", Value::from(facts.arch.as_str()), &fx["arch"]);
            let e = &fx["expect"];
            let np = &facts.numpy;
            check("uses_c_api", Value::from(np.uses_c_api), &e["uses_c_api"]);
            check(
                "headers",
                np.headers
                    .map(|h| Value::from(h.as_str()))
                    .unwrap_or(Value::Null),
                &e["headers"],
            );
            check(
                "abi_version",
                hex_or_null(np.abi_version),
                &e["abi_version"],
            );
            check(
                "feature_version",
                hex_or_null(np.feature_version),
                &e["feature_version"],
            );
            check(
                "feature_version_string",
                np.feature_version_string
                    .clone()
                    .map(Value::from)
                    .unwrap_or(Value::Null),
                &e["feature_version_string"],
            );
            let got_types: Vec<Value> = np
                .type_checks
                .iter()
                .map(|t| serde_json::json!({"type": t.type_name, "expected_size": t.expected_size}))
                .collect();
            check("type_checks", Value::from(got_types), &e["type_checks"]);
            let cy = facts.toolchain.cython.as_ref();
            check(
                "cython",
                cy.and_then(|c| c.version.clone())
                    .map(Value::from)
                    .unwrap_or(Value::Null),
                &e["cython"],
            );
            check(
                "cython_present",
                Value::from(cy.is_some()),
                &e["cython_present"],
            );
            check(
                "pybind11",
                Value::from(match facts.toolchain.pybind11.as_ref().map(|p| p.numpy) {
                    None | Some(Pybind11Numpy::NotUsed) => "not_used",
                    Some(Pybind11Numpy::Numpy1Only) => "numpy1_only",
                    Some(Pybind11Numpy::Numpy2Aware) => "numpy2_aware",
                }),
                &e["pybind11"],
            );
            check(
                "nanobind",
                Value::from(facts.toolchain.nanobind.is_some()),
                &e["nanobind"],
            );
            // The manifest names the exported symbol; we report the module name.
            let want_init = e["module_init"]
                .as_str()
                .map(|s| Value::from(s.trim_start_matches("PyInit_")))
                .unwrap_or(Value::Null);
            check(
                "module_init",
                facts
                    .module_init
                    .clone()
                    .map(Value::from)
                    .unwrap_or(Value::Null),
                &want_init,
            );
        }
        assert!(
            failures.is_empty(),
            "{} mismatches:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn bad_inputs_are_values() {
        assert!(matches!(
            inspect_bytes("e", b""),
            Err(InspectError::Empty { .. })
        ));
        assert!(matches!(
            inspect_bytes("t", b"hello"),
            Err(InspectError::NotBinary { .. })
        ));
        let mut elf = b"\x7fELF\x02\x01\x01".to_vec();
        elf.resize(200, 0xff);
        assert!(inspect_bytes("elf", &elf).is_err());
        // Truncations of a real fixture: never a panic.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bin");
        if let Ok(data) = std::fs::read(root.join("capi_np2_4_6_x86_64.so")) {
            for cut in (0..data.len()).step_by(997) {
                let _ = inspect_bytes("cut", &data[..cut]);
            }
        }
    }

    /// `ABI_DOCTOR_REAL_DIR=/path/to/extracted/wheel cargo test --release --lib real_dir --
    /// --ignored --nocapture`: summary of every `.so`/`.pyd` below the directory, with timing.
    #[test]
    #[ignore]
    fn real_dir() {
        let Ok(dir) = std::env::var("ABI_DOCTOR_REAL_DIR") else {
            eprintln!("ABI_DOCTOR_REAL_DIR not set");
            return;
        };
        let files: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| {
                let n = e.file_name().to_string_lossy();
                n.ends_with(".so") || n.ends_with(".pyd")
            })
            .map(|e| e.into_path())
            .collect();
        let t = std::time::Instant::now();
        let results: Vec<_> = files.iter().map(|p| (p, inspect_path(p))).collect();
        let elapsed = t.elapsed();
        let mut summary = std::collections::BTreeMap::new();
        for (p, r) in &results {
            let key = match r {
                Ok(f) => {
                    let n = &f.numpy;
                    let sizes: Vec<String> = n
                        .type_checks
                        .iter()
                        .filter(|t| {
                            ["dtype", "ndarray", "broadcast", "ufunc"]
                                .contains(&t.type_name.as_str())
                        })
                        .map(|t| format!("{} {}", t.type_name, t.expected_size))
                        .collect();
                    format!(
                        "headers {:?} abi {:?} feature {:?} ({:?}) cython {:?} sizes [{}]",
                        n.headers.map(|h| h.as_str()),
                        n.abi_version.map(|v| format!("{v:#x}")),
                        n.feature_version.map(|v| format!("{v:#x}")),
                        n.feature_version_string,
                        f.toolchain.cython.as_ref().map(|c| c.version.clone()),
                        sizes.join(", ")
                    )
                }
                Err(e) => format!("error {e}"),
            };
            summary
                .entry(key)
                .or_insert_with(Vec::new)
                .push(p.display().to_string());
        }
        for (k, v) in &summary {
            println!("{:4} x {k}", v.len());
        }
        println!("{} files in {:?}", files.len(), elapsed);
    }
}
