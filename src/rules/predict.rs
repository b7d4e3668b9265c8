//! Which NumPy runtimes a module imports under, and what Python prints when it does not.
//!
//! These are the prediction rules of docs/import-behaviour.md#prediction-rules, validated by real
//! imports (import matrices, Cython reproductions, docs/real-wheels.md). They run in the order the
//! failures happen at import time: Cython's type-size checks run in the module's type-import code,
//! before the module body calls `import_array()` (docs/import-behaviour.md#order-at-import), so a
//! size failure hides the C-API one.

use crate::binary::{HeaderGeneration, NumpyFacts};
use crate::knowledge::{knowledge, Release, ABI_1, ABI_2, CYTHON_TYPE_ORDER};
use crate::messages::{
    normalize, AbiVersion, ApiTable, ApiVersion, ApiWording, ArrayApiNotFound, CompiledWithNumpy1,
    CoreModule, CorePackage, FailedToImport, Family, HexStyle, InitializationFailed, Message,
    SizeChanged, SizeForm,
};

/// A predicted import failure: what Python prints before any exception, the exception raised
/// first, and the one the import finally ends with when NumPy's `import_array()` (or pybind11's
/// module init) wraps the first one.
///
/// The 1.x-on-2.x notice is printed text, not an exception: NumPy 2's shim
/// (`numpy/core/_multiarray_umath.py`, `__getattr__`) writes it to stderr, then raises
/// `ImportError(notice)`; 1.x headers before 1.26 replace that error by `AttributeError:
/// _ARRAY_API not found` (their `_import_array()` calls `PyErr_SetString`), 1.26 headers keep it.
/// `import_array()` prints that first error (`PyErr_Print`) and raises `ImportError: numpy.core.
/// multiarray failed to import`. Measured: scripts/realworld scenario 04 (scipy 1.11.4, 1.2x
/// headers: `AttributeError`) and 07 (1.26 headers: `ImportError` with the notice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Written to stderr before the first exception (NumPy 2's notice for 1.x modules).
    pub printed: Option<Message>,
    pub first: Message,
    /// `ImportError: numpy.core.multiarray failed to import`, printed after the first error.
    pub then: Option<Message>,
    /// The facts the prediction was derived from.
    pub evidence: Vec<String>,
}

impl Failure {
    /// What goes wrong at import: the family of the printed notice, else of the first message.
    pub fn kind(&self) -> Family {
        self.printed.as_ref().unwrap_or(&self.first).family()
    }

    /// The exception the user's traceback ends with: `then`, else the first one.
    pub fn last(&self) -> &Message {
        self.then.as_ref().unwrap_or(&self.first)
    }

    /// `ImportError: numpy.core.multiarray failed to import`: the traceback's last line.
    pub fn final_line(&self) -> String {
        let m = self.last();
        format!("{}: {}", m.exception(), normalize(&m.render()))
    }

    pub fn exception(&self) -> &'static str {
        self.first.exception()
    }

    /// The first message, whitespace normalized (NumPy's shim message spans lines).
    pub fn message(&self) -> String {
        normalize(&self.first.render())
    }

    /// `ValueError: numpy.dtype size changed, ...`
    pub fn line(&self) -> String {
        format!("{}: {}", self.exception(), self.message())
    }
}

/// A runtime type larger than the module's header struct: Cython warns (check_size warn) or says
/// nothing (ignore); harmless.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LargerRuntimeType {
    pub type_name: String,
    pub expected_size: u64,
    pub runtime_size: u64,
}

/// Does the module depend on NumPy's binary interface at all, as far as the binary shows?
pub fn depends_on_numpy(np: &NumpyFacts) -> bool {
    np.uses_c_api || !np.type_checks.is_empty()
}

/// The NPY_FEATURE_VERSION of the module: the disassembled immediate, else the 2.x "(NumPy X.Y)"
/// text mapped through NPY_FEATURE_VERSION_STRING.
pub fn feature_version(np: &NumpyFacts) -> Option<u32> {
    np.feature_version.or_else(|| {
        np.feature_version_string
            .as_deref()
            .and_then(|s| knowledge().feature_value(s))
    })
}

/// NumPy major the module's C-API code was compiled for (1 or 2), from the ABI immediate, the
/// header generation, or the Cython `dtype` size (96, or 88 for <=1.9 headers, means 1.x; 32 or
/// the full 2.x struct 88 with NPY_TARGET_VERSION>=2.0 means 2.x — ambiguous 88 is resolved only
/// by the other two sources).
pub fn built_major(np: &NumpyFacts) -> Option<u32> {
    match np.abi_version {
        Some(ABI_1) => return Some(1),
        Some(ABI_2) => return Some(2),
        _ => {}
    }
    if let Some(h) = np.headers {
        return Some(h.major());
    }
    let dtype = np
        .type_checks
        .iter()
        .find(|c| c.type_name == "dtype")
        .map(|c| c.expected_size)?;
    match dtype {
        96 => Some(1),
        32 => Some(2),
        _ => None,
    }
}

fn final_import_error(np: &NumpyFacts) -> Message {
    // The `import_array()` macro of the module's own headers prints the first error and raises
    // this ImportError (numpy/__multiarray_api.h; Cython's numpy pxd raises the same text).
    Message::FailedToImport(FailedToImport {
        core: if np.headers == Some(HeaderGeneration::V2) {
            CorePackage::UnderscoreCore
        } else {
            CorePackage::Core
        },
        what: if np.umath_only {
            CoreModule::Umath
        } else {
            CoreModule::Multiarray
        },
        cython3_suffix: false,
    })
}

/// NumPy <= 1.10 headers print the versions with `%x`, later ones with `0x%x`.
fn hex_style(np: &NumpyFacts) -> HexStyle {
    if np.headers == Some(HeaderGeneration::UpTo1_10) {
        HexStyle::Bare
    } else {
        HexStyle::Prefixed
    }
}

/// Which check fails first, decided without building any message: [`predict`] renders it,
/// [`verdicts`] only asks whether there is one (every release line, for every module).
#[derive(Debug, Clone, Copy)]
enum Cause {
    /// Cython's type import: the first runtime type smaller than its header struct.
    Size {
        name: &'static str,
        expected: u64,
        got: u64,
    },
    /// 1.x headers on a 2.x runtime (`import_array()`'s ABI check).
    Numpy1OnNumpy2,
    /// NumPy's `import_array()`: the C-API feature level is above the runtime's.
    Feature { feature: u32 },
}

/// The first failure of a module under release `rt`, in import order. `None`: it imports.
fn first_cause(np: &NumpyFacts, rt: &Release) -> Option<Cause> {
    // Cython 3 inserts its own `import_array()` call when the source cimports numpy without
    // calling it, and that call runs before the type imports (Cython `Utility/NumpyImportArray.c`;
    // measured: scripts/realworld scenario 14).
    if generated_import_array(np).is_some() {
        return capi_cause(np, rt).or_else(|| size_cause(np, rt));
    }
    size_cause(np, rt).or_else(|| capi_cause(np, rt))
}

/// The module Cython 3's generated `import_array()` names, when it runs one (C-API modules only).
fn generated_import_array(np: &NumpyFacts) -> Option<&str> {
    np.cython_generated_import_array
        .as_deref()
        .filter(|_| np.uses_c_api)
}

/// Predict the first failure this module meets when imported under NumPy `rt_version` (whose
/// release-line facts are `rt`). `None`: it imports (as far as the binary interface goes).
pub fn predict(np: &NumpyFacts, rt: &Release, rt_version: &str) -> Option<Failure> {
    let mut f = match first_cause(np, rt)? {
        Cause::Size {
            name,
            expected,
            got,
        } => return Some(size_failure(rt_version, name, expected, got)),
        Cause::Numpy1OnNumpy2 => abi_failure(np, rt, rt_version),
        Cause::Feature { feature } => feature_failure(np, rt, rt_version, feature),
    };
    // Cython 3's generated import_array() raises its own ImportError, with Cython's suffix.
    if let Some(generated) = generated_import_array(np) {
        f.then = Some(Message::FailedToImport(FailedToImport {
            core: if generated.starts_with("numpy._core") {
                CorePackage::UnderscoreCore
            } else {
                CorePackage::Core
            },
            what: CoreModule::Multiarray,
            cython3_suffix: true,
        }));
        f.evidence.push(format!(
            "Cython 3 generated this module's import_array() call (its message \"{generated} \
             failed to import (auto-generated ...)\" is in the binary): it runs before the \
             type-size checks"
        ));
    }
    Some(f)
}

/// Step 1, Cython's type imports in pxd order: the first runtime type smaller than its header
/// struct (of several checks of one type, the first).
fn size_cause(np: &NumpyFacts, rt: &Release) -> Option<Cause> {
    let mut best: Option<(usize, Cause)> = None;
    for check in &np.type_checks {
        let Some(i) = CYTHON_TYPE_ORDER.iter().position(|n| *n == check.type_name) else {
            continue;
        };
        if best.as_ref().is_some_and(|(b, _)| *b <= i) {
            continue;
        }
        let name = CYTHON_TYPE_ORDER[i];
        let Some(runtime) = rt.runtime_size(name) else {
            continue;
        };
        if check.expected_size > runtime {
            best = Some((
                i,
                Cause::Size {
                    name,
                    expected: check.expected_size,
                    got: runtime,
                },
            ));
        }
    }
    best.map(|(_, c)| c)
}

fn size_failure(rt_version: &str, name: &'static str, expected: u64, got: u64) -> Failure {
    Failure {
        printed: None,
        first: Message::SizeChanged(SizeChanged {
            module: "numpy".into(),
            type_name: name.to_string(),
            expected,
            got,
            got_upper: None,
            form: SizeForm::ValueError,
        }),
        then: None,
        evidence: vec![format!(
            "Cython checks sizeof({name}) = {expected} from the NumPy headers it was built with; \
             NumPy {rt_version} has tp_basicsize {got}"
        )],
    }
}

/// 2 and 3. NumPy's `import_array()`: the ABI check, then the C-API feature level.
fn capi_cause(np: &NumpyFacts, rt: &Release) -> Option<Cause> {
    if !np.uses_c_api {
        return None;
    }
    // 2. ABI: 1.x headers test `NPY_VERSION != runtime ABI`; 2.x headers `NPY_VERSION < runtime`.
    if built_major(np) == Some(1) && rt.major() >= 2 {
        return Some(Cause::Numpy1OnNumpy2);
    }
    // 3. C-API feature level: `NPY_FEATURE_VERSION > runtime C-API version` fails.
    let feature = feature_version(np)?;
    (feature > rt.api_version).then_some(Cause::Feature { feature })
}

/// "NumPy 1.26 headers", for the evidence.
fn headers_desc(np: &NumpyFacts) -> String {
    np.headers
        .map(|h| format!("NumPy {} headers", h.as_str()))
        .unwrap_or_else(|| "NumPy headers".to_string())
}

/// 2. A 1.x-headers module on NumPy 2: the shim's notice, or the ABI check's RuntimeError.
fn abi_failure(np: &NumpyFacts, rt: &Release, rt_version: &str) -> Failure {
    let headers_desc = headers_desc(np);
    let abi = np.abi_version.unwrap_or(ABI_1);
    let then = Some(final_import_error(np));
    if np.headers.is_some_and(|h| h.imports_multiarray_umath()) {
        let notice = Message::CompiledWithNumpy1(CompiledWithNumpy1 {
            running: rt_version.to_string(),
        });
        // 1.26 headers keep the shim's ImportError for `_ARRAY_API`; earlier ones, and every
        // 1.x `_import_umath()`, replace it by their own AttributeError.
        let first = if np.headers == Some(HeaderGeneration::V1_26) && !np.umath_only {
            notice.clone()
        } else {
            Message::ArrayApiNotFound(ArrayApiNotFound {
                which: if np.umath_only {
                    ApiTable::Ufunc
                } else {
                    ApiTable::Array
                },
                torch: false,
            })
        };
        return Failure {
            printed: Some(notice),
            first,
            then,
            evidence: vec![format!(
                "built with {headers_desc} (ABI {abi:#x}), whose import_array() loads \
                 numpy.core._multiarray_umath; NumPy {rt_version} serves it as a shim that \
                 prints \"A module that was compiled using NumPy 1.x cannot be run in NumPy \
                 {rt_version}\" and refuses the module"
            )],
        };
    }
    Failure {
        printed: None,
        first: Message::AbiVersion(AbiVersion {
            built: abi,
            running: rt.abi_version,
            hex: hex_style(np),
        }),
        then,
        evidence: vec![format!(
            "built with {headers_desc}: NPY_ABI_VERSION {abi:#x}; NumPy {rt_version} has ABI {:#x}",
            rt.abi_version
        )],
    }
}

/// 3. The module's C-API feature level is above the runtime's.
fn feature_failure(np: &NumpyFacts, rt: &Release, rt_version: &str, feature: u32) -> Failure {
    let headers_desc = headers_desc(np);
    let built = built_major(np);
    let wording = if np.headers == Some(HeaderGeneration::V2) || built == Some(2) {
        ApiWording::V2 {
            built_string: np
                .feature_version_string
                .clone()
                .or_else(|| knowledge().feature_string(feature).map(str::to_string))
                .unwrap_or_else(|| "?".into()),
        }
    } else if matches!(
        np.headers,
        Some(HeaderGeneration::V1_24To1_25 | HeaderGeneration::V1_26)
    ) {
        ApiWording::V1WithTroubleshooting
    } else {
        ApiWording::V1 { hex: hex_style(np) }
    };
    let first = knowledge()
        .first_line_with_api(feature)
        .map(|r| format!(" (NumPy >= {})", r.line))
        .unwrap_or_default();
    Failure {
        printed: None,
        first: Message::ApiVersion(ApiVersion {
            built: feature,
            running: rt.api_version,
            wording,
        }),
        then: Some(final_import_error(np)),
        evidence: vec![format!(
            "built with {headers_desc} targeting C-API {feature:#x}{first}; NumPy {rt_version} \
             has C-API {:#x}",
            rt.api_version
        )],
    }
}

/// [`predict`] for a whole module: the binding library around NumPy's code can change what the
/// import finally raises. pybind11's module init catches the error `import_array` left and
/// raises `ImportError: initialization failed` from it (`PYBIND11_CATCH_INIT_EXCEPTIONS`,
/// pybind11 >= 2.6); measured on scipy 1.11.4 `spatial._distance_pybind` under NumPy 1.19.5 and
/// 2.2.6 (scripts/realworld scenarios 04 and 05).
pub fn predict_module(
    facts: &crate::binary::BinaryFacts,
    rt: &Release,
    rt_version: &str,
) -> Option<Failure> {
    let mut f = predict(&facts.numpy, rt, rt_version)?;
    if facts.toolchain.pybind11.is_some() && f.kind() != Family::SizeChanged {
        f.then = Some(Message::InitializationFailed(InitializationFailed));
        f.evidence.push(
            "pybind11 module: its init wraps the NumPy error in ImportError: initialization failed"
                .into(),
        );
    }
    Some(f)
}

/// Runtime types larger than the module's header struct (harmless; Cython warns at most).
pub fn larger_runtime_types(np: &NumpyFacts, rt: &Release) -> Vec<LargerRuntimeType> {
    np.type_checks
        .iter()
        .filter_map(|c| {
            let runtime = rt.runtime_size(&c.type_name)?;
            (runtime > c.expected_size).then(|| LargerRuntimeType {
                type_name: c.type_name.clone(),
                expected_size: c.expected_size,
                runtime_size: runtime,
            })
        })
        .collect()
}

/// The NumPy release lines a module imports under, as far as the knowledge base reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Window {
    /// The module shows no dependency on NumPy's binary interface.
    Independent,
    /// It uses the C-API but its feature version could not be read.
    Unknown,
    /// No known release works.
    Empty,
    /// `lower` (inclusive) to `upper` (exclusive) release lines; `upper` None = every known release
    /// from `lower` on.
    Range {
        lower: &'static Release,
        upper: Option<&'static Release>,
    },
}

/// The import window of a module over the knowledge base's release lines.
pub fn window(np: &NumpyFacts) -> Window {
    if !depends_on_numpy(np) {
        return Window::Independent;
    }
    if np.uses_c_api && feature_version(np).is_none() && built_major(np) != Some(1) {
        return Window::Unknown;
    }
    let releases = &knowledge().releases;
    let Some(ok) = verdicts(np) else {
        return Window::Unknown;
    };
    window_of(&ok, releases)
}

/// Per known release line (knowledge order): does the module import under it? `None` when some
/// line cannot be decided.
pub fn verdicts(np: &NumpyFacts) -> Option<Vec<bool>> {
    knowledge()
        .releases
        .iter()
        .map(|r| predict_ok(np, r))
        .collect()
}

/// The window (first contiguous run of `true`) of a verdict vector.
pub fn window_of(ok: &[bool], releases: &'static [Release]) -> Window {
    if ok.is_empty() {
        return Window::Unknown;
    }
    let Some(first) = ok.iter().position(|&b| b) else {
        return Window::Empty;
    };
    let upper = ok[first..]
        .iter()
        .position(|&b| !b)
        .map(|i| &releases[first + i]);
    Window::Range {
        lower: &releases[first],
        upper,
    }
}

fn predict_ok(np: &NumpyFacts, r: &Release) -> Option<bool> {
    // A 1.x module whose feature version is unreadable is still known to fail on 2.x and on
    // runtimes smaller than its struct sizes; on 1.x runtimes its floor is unknown.
    if np.uses_c_api && feature_version(np).is_none() {
        if r.major() >= 2 {
            return Some(first_cause(np, r).is_none());
        }
        return None;
    }
    Some(first_cause(np, r).is_none())
}

impl Window {
    /// PEP 440 specifier: `>=1.23,<2`; `None` when unknown, empty or independent.
    pub fn specifier(&self, np: &NumpyFacts) -> Option<String> {
        let Window::Range { lower, upper } = self else {
            return None;
        };
        let lower_s = if std::ptr::eq(*lower, &knowledge().releases[0]) {
            None
        } else {
            Some(format!(">={}", lower.line))
        };
        let upper_s = match upper {
            Some(u) => Some(format!("<{}", short_line(&u.line))),
            // Past the newest known release: a 2.x-ABI module is rejected only by a future ABI
            // (the 2.x check is `NPY_VERSION < runtime ABI`), so the bound is the next major.
            None => built_major(np).map(|m| format!("<{}", m + 1)),
        };
        let parts: Vec<String> = lower_s.into_iter().chain(upper_s).collect();
        if parts.is_empty() {
            Some(String::new())
        } else {
            Some(parts.join(","))
        }
    }
}

/// "2.0" -> "2", "1.20" -> "1.20".
fn short_line(line: &str) -> &str {
    line.strip_suffix(".0").unwrap_or(line)
}

/// Shorthand: the PEP 440 specifier of NumPy versions the module imports under.
pub fn compatible_specifier(np: &NumpyFacts) -> Option<String> {
    window(np).specifier(np)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::binary::TypeCheck;

    fn cy(sizes: &[(&str, u64)]) -> NumpyFacts {
        NumpyFacts {
            type_checks: sizes
                .iter()
                .map(|(t, s)| TypeCheck {
                    type_name: t.to_string(),
                    expected_size: *s,
                    check_size: None,
                })
                .collect(),
            ..Default::default()
        }
    }

    fn rel(v: &str) -> &'static Release {
        knowledge().release(v).unwrap()
    }

    #[test]
    fn classic_88_80() {
        // Cython + NumPy 1.20 headers on 1.19 (docs/import-behaviour.md#cython-reproductions).
        let np = cy(&[
            ("dtype", 96),
            ("flatiter", 2632),
            ("broadcast", 560),
            ("ndarray", 88),
            ("ufunc", 216),
        ]);
        let f = predict(&np, rel("1.19"), "1.19.5").unwrap();
        assert_eq!(
            f.line(),
            "ValueError: numpy.ndarray size changed, may indicate binary incompatibility. Expected 88 from C header, got 80 from PyObject"
        );
        assert!(predict(&np, rel("1.20"), "1.20.3").is_none());
        let f = predict(&np, rel("2.0"), "2.0.2").unwrap();
        assert!(
            f.message().starts_with("numpy.dtype size changed"),
            "{}",
            f.message()
        );
        assert_eq!(compatible_specifier(&np).as_deref(), Some(">=1.20,<2"));
    }

    #[test]
    fn numpy1_module_on_numpy2_uses_shim_message() {
        let np = NumpyFacts {
            uses_c_api: true,
            headers: Some(HeaderGeneration::V1_16To1_23),
            abi_version: Some(ABI_1),
            feature_version: Some(0x10),
            ..Default::default()
        };
        let f = predict(&np, rel("2.4"), "2.4.6").unwrap();
        assert_eq!(f.kind(), Family::CompiledWithNumpy1);
        // The notice is printed; 1.16-1.23 headers raise their own AttributeError over the shim's.
        assert!(normalize(&f.printed.as_ref().unwrap().render()).starts_with(
            "A module that was compiled using NumPy 1.x cannot be run in NumPy 2.4.6 as it may crash"
        ));
        assert_eq!(f.line(), "AttributeError: _ARRAY_API not found");
        assert_eq!(
            f.final_line(),
            "ImportError: numpy.core.multiarray failed to import"
        );
        // 1.26 headers leave the shim's ImportError in place (scenario 07).
        let np126 = NumpyFacts {
            headers: Some(HeaderGeneration::V1_26),
            ..np.clone()
        };
        let f = predict(&np126, rel("2.2"), "2.2.6").unwrap();
        assert_eq!(f.exception(), "ImportError");
        assert!(f
            .message()
            .starts_with("A module that was compiled using NumPy 1.x"));
        assert_eq!(f.printed.as_ref(), Some(&f.first));
        // import_umath()-only modules: _UFUNC_API, with any 1.x headers.
        let umath = NumpyFacts {
            umath_only: true,
            ..np126
        };
        let f = predict(&umath, rel("2.2"), "2.2.6").unwrap();
        assert_eq!(f.line(), "AttributeError: _UFUNC_API not found");
        assert_eq!(
            f.final_line(),
            "ImportError: numpy.core.umath failed to import"
        );
        let f = predict(&np, rel("1.22"), "1.22.4").unwrap();
        assert_eq!(f.line(), "RuntimeError: module compiled against API version 0x10 but this version of numpy is 0xf");
        assert_eq!(compatible_specifier(&np).as_deref(), Some(">=1.23,<2"));
    }

    /// Cython 3's generated import_array() runs before the type checks: a 1.x module on NumPy 2
    /// ends with Cython's ImportError, not with the dtype size error (scenario 14).
    #[test]
    fn cython3_generated_import_array_runs_first() {
        let mut np = cy(&[("dtype", 96), ("ndarray", 88)]);
        np.uses_c_api = true;
        np.headers = Some(HeaderGeneration::V1_26);
        np.abi_version = Some(ABI_1);
        np.feature_version = Some(0x10);
        let own = predict(&np, rel("2.2"), "2.2.6").unwrap();
        assert_eq!(own.kind(), Family::SizeChanged);
        np.cython_generated_import_array = Some("numpy.core.multiarray".into());
        let generated = predict(&np, rel("2.2"), "2.2.6").unwrap();
        assert_eq!(generated.kind(), Family::CompiledWithNumpy1);
        let then = normalize(&generated.then.unwrap().render());
        assert!(
            then.starts_with("numpy.core.multiarray failed to import (auto-generated because"),
            "{then}"
        );
        // On a NumPy the C-API accepts, the size checks still decide.
        let f = predict(&np, rel("1.19"), "1.19.5");
        assert!(f.is_none() || f.unwrap().kind() != Family::CompiledWithNumpy1);
    }

    #[test]
    fn old_headers_hit_abi_check() {
        let np = NumpyFacts {
            uses_c_api: true,
            headers: Some(HeaderGeneration::V1_11To1_15),
            abi_version: Some(ABI_1),
            feature_version: Some(0xc),
            ..Default::default()
        };
        let f = predict(&np, rel("2.0"), "2.0.2").unwrap();
        assert_eq!(f.line(), "RuntimeError: module compiled against ABI version 0x1000009 but this version of numpy is 0x2000000");
    }

    #[test]
    fn numpy2_module_floor_from_feature_string() {
        let np = NumpyFacts {
            uses_c_api: true,
            headers: Some(HeaderGeneration::V2),
            abi_version: Some(ABI_2),
            feature_version: Some(0x10),
            feature_version_string: Some("1.23".into()),
            ..Default::default()
        };
        let f = predict(&np, rel("1.22"), "1.22.4").unwrap();
        assert_eq!(f.exception(), "RuntimeError");
        assert!(f.message().starts_with("module was compiled against NumPy C-API version 0x10 (NumPy 1.23) but the running NumPy has C-API version 0xf."));
        assert_eq!(
            f.then.unwrap().render(),
            "numpy._core.multiarray failed to import"
        );
        assert_eq!(compatible_specifier(&np).as_deref(), Some(">=1.23,<3"));
    }

    #[test]
    fn independent_and_unknown() {
        assert_eq!(window(&NumpyFacts::default()), Window::Independent);
        let np = NumpyFacts {
            uses_c_api: true,
            headers: Some(HeaderGeneration::V2),
            ..Default::default()
        };
        assert_eq!(window(&np), Window::Unknown);
    }
}
