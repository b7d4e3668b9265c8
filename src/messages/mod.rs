//! The import-failure messages of NumPy's binary interface, in one vocabulary.
//!
//! Every family is one type that can render the exact text Python prints ([`Message::render`],
//! used by the predictions of [`crate::rules::predict`]) and be read back from pasted or captured
//! text ([`Message::parse`], [`find_all`], used by [`crate::explain`] and [`crate::verify`]).
//! Reading tolerates any run of whitespace where the text has a space (tracebacks and CI logs wrap
//! lines) and an optional `SomeError:` / `SomeWarning:` prefix, which belongs to the match.
//!
//! Where each text comes from (public sources):
//!
//! * [`SizeChanged`]: Cython's type import, `__Pyx_ImportType` in `Cython/Utility/ImportExport.c`
//!   (`__Pyx_ImportType_3_0_x` in Cython 3): `PyErr_Format(PyExc_ValueError, "%.200s.%.200s size
//!   changed, may indicate binary incompatibility. Expected %zd from C header, got %zd from
//!   PyObject", ...)` when the runtime type is smaller than the header struct (or differs, with
//!   `check_size error`); with `check_size warn` and a larger runtime type the same text goes to
//!   `PyErr_WarnEx(NULL, ...)`, a `RuntimeWarning`. Cython 3 accounts for variable-size types
//!   and, with `check_size error`, prints the runtime range `got %zd-%zd`.
//! * [`CompiledWithNumpy1`]: NumPy 2.x's `numpy/core/_multiarray_umath.py`, the shim that 1.x
//!   headers' `import_array()` loads: its `__getattr__` for `_ARRAY_API` / `_UFUNC_API` writes the
//!   `textwrap.dedent`ed text (plus a stack) to stderr and raises `ImportError(msg)`.
//! * [`AbiVersion`], [`ApiVersion`]: the `_import_array()` template of
//!   `numpy/_core/code_generators/generate_numpy_api.py` (`numpy/core/...` before 2.0), compiled
//!   into every module as `numpy/__multiarray_api.h`. 1.x headers: `NPY_VERSION !=
//!   PyArray_GetNDArrayCABIVersion()` gives `module compiled against ABI version 0x%x but this
//!   version of numpy is 0x%x` (NumPy <= 1.10 headers: `%x`, no `0x`), `NPY_FEATURE_VERSION >
//!   PyArray_GetNDArrayCFeatureVersion()` gives `module compiled against API version 0x%x but this
//!   version of numpy is 0x%x`, to which 1.24-1.26 headers append ` . Check the section C-API
//!   incompatibility ...`. 2.x headers: `NPY_VERSION < ...` for the ABI (same text), and `module was
//!   compiled against NumPy C-API version 0x%x (NumPy " NPY_FEATURE_VERSION_STRING ") but the
//!   running NumPy has C-API version 0x%x. Check the section ...` for the feature level. All are
//!   `RuntimeError`s.
//! * [`ArrayApiNotFound`]: the same template in 1.x headers before 1.26 (`PyErr_SetString(
//!   PyExc_AttributeError, "_ARRAY_API not found")`) and `_import_umath()` of
//!   `generate_ufunc_api.py` (`numpy/__ufunc_api.h`, `"_UFUNC_API not found"`); torch re-prints the
//!   error as a warning, `Failed to initialize NumPy: ...` (`torch/csrc/utils/tensor_numpy.cpp`).
//! * [`FailedToImport`]: the `import_array()` / `import_umath()` macros of the same headers
//!   (`PyErr_Print(); PyErr_SetString(PyExc_ImportError, "numpy.core.multiarray failed to
//!   import")`, `numpy._core.` from 2.x headers; `_import_umath()` says `numpy.core._multiarray_umath
//!   failed to import` when that module does not import), NumPy's `numpy/__init__.pxd` for Cython
//!   (`raise ImportError("numpy.core.multiarray failed to import")`), and Cython 3's automatically
//!   inserted call, `Cython/Utility/NumpyImportArray.c`, which appends `(auto-generated because you
//!   didn't call 'numpy.import_array()' after cimporting numpy; use '<void>numpy._import_array' to
//!   disable if you are certain you don't need it).`
//! * [`InitializationFailed`]: pybind11's module init, `PYBIND11_CATCH_INIT_EXCEPTIONS` in
//!   `pybind11/detail/common.h` (pybind11 >= 2.6): `raise_from(e, PyExc_ImportError,
//!   "initialization failed")`, chained to whatever the init raised (NumPy's error included).
//! * [`RequiresNewerNumpy`]: pyarrow's own version check at import (`ImportError: pyarrow requires
//!   NumPy 2.0 or newer, found 1.26.4`, pyarrow 26 with NumPy 1.26.4, scripts/realworld scenario 06).
//!
//! Which of these are failures of NumPy's binary interface is [`Family::is_numpy_abi`]: not
//! pybind11's wrapper (it wraps any init error) and not pyarrow's guard (a package's own
//! decision, which `verify` deliberately does not count as a NumPy ABI failure).

use std::ops::Range;
use std::sync::OnceLock;

use regex::{Captures, Regex};
use schemars::JsonSchema;
use serde::Serialize;

#[cfg(test)]
mod tests;

/// The message families, in the order of specificity `verify` uses to name a failure (a chain
/// that shows both a size check and the final `failed to import` is a size failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    SizeChanged,
    CompiledWithNumpy1,
    AbiVersion,
    ApiVersion,
    ArrayApiNotFound,
    FailedToImport,
    InitializationFailed,
    RequiresNewerNumpy,
}

impl Family {
    pub const ALL: [Family; 8] = [
        Family::SizeChanged,
        Family::CompiledWithNumpy1,
        Family::AbiVersion,
        Family::ApiVersion,
        Family::ArrayApiNotFound,
        Family::FailedToImport,
        Family::InitializationFailed,
        Family::RequiresNewerNumpy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::SizeChanged => "size_changed",
            Family::CompiledWithNumpy1 => "compiled_with_numpy1",
            Family::AbiVersion => "abi_version",
            Family::ApiVersion => "api_version",
            Family::ArrayApiNotFound => "array_api_not_found",
            Family::FailedToImport => "failed_to_import",
            Family::InitializationFailed => "initialization_failed",
            Family::RequiresNewerNumpy => "requires_newer_numpy",
        }
    }

    /// Is a message of this family a failure of NumPy's binary interface? pybind11's
    /// `initialization failed` only wraps the real error, and pyarrow's `requires NumPy 2.0` is
    /// the package's own check (recognized by `explain`, deliberately not counted by `verify`).
    /// A size check is one only when the type is NumPy's ([`Message::is_numpy_abi`]).
    pub fn is_numpy_abi(self) -> bool {
        !matches!(
            self,
            Family::InitializationFailed | Family::RequiresNewerNumpy
        )
    }
}

/// `%x` (NumPy <= 1.10 headers) or `0x%x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HexStyle {
    Prefixed,
    Bare,
}

impl HexStyle {
    fn fmt(self, v: u32) -> String {
        match self {
            HexStyle::Prefixed => format!("{v:#x}"),
            HexStyle::Bare => format!("{v:x}"),
        }
    }
}

/// Cython raises (`ValueError`) or warns (`RuntimeWarning`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SizeForm {
    ValueError,
    RuntimeWarning,
}

/// `numpy.ndarray size changed, may indicate binary incompatibility. Expected 88 from C header,
/// got 80 from PyObject`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SizeChanged {
    /// The module the type is imported from: `numpy` for NumPy's types.
    pub module: String,
    pub type_name: String,
    /// `sizeof` of the struct in the headers the extension was compiled with.
    pub expected: u64,
    /// The runtime type's `tp_basicsize`.
    pub got: u64,
    /// Cython 3, `check_size error`: the upper end of `got A-B` (basicsize + itemsize).
    pub got_upper: Option<u64>,
    pub form: SizeForm,
}

/// `A module that was compiled using NumPy 1.x cannot be run in NumPy 2.0.2 as it may crash. ...`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompiledWithNumpy1 {
    /// The running NumPy's `short_version`.
    pub running: String,
}

/// `module compiled against ABI version 0x1000009 but this version of numpy is 0x2000000`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AbiVersion {
    pub built: u32,
    pub running: u32,
    pub hex: HexStyle,
}

/// How the C-API feature-version message is worded: by the header generation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ApiWording {
    /// 1.x headers before 1.24 (`hex` Bare for <= 1.10).
    V1 { hex: HexStyle },
    /// 1.24-1.26 headers: ` . Check the section C-API incompatibility ...` appended.
    V1WithTroubleshooting,
    /// 2.x headers: `(NumPy X.Y)` is NPY_FEATURE_VERSION_STRING of the target.
    V2 { built_string: String },
}

/// The feature-version check: `module compiled against API version 0x10 but this version of
/// numpy is 0xf` (1.x headers) or `module was compiled against NumPy C-API version 0x10 (NumPy
/// 1.23) but the running NumPy has C-API version 0xf. Check the section ...` (2.x headers).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiVersion {
    pub built: u32,
    pub running: u32,
    pub wording: ApiWording,
}

/// The C-API table asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiTable {
    /// `_ARRAY_API` (`import_array()`).
    Array,
    /// `_UFUNC_API` (`import_umath()`).
    Ufunc,
}

/// `_ARRAY_API not found` / `_UFUNC_API not found`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArrayApiNotFound {
    pub which: ApiTable,
    /// Re-printed by torch as `UserWarning: Failed to initialize NumPy: _ARRAY_API not found`.
    pub torch: bool,
}

/// `numpy.core` (1.x headers) or `numpy._core` (2.x headers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CorePackage {
    Core,
    UnderscoreCore,
}

impl CorePackage {
    pub fn as_str(self) -> &'static str {
        match self {
            CorePackage::Core => "numpy.core",
            CorePackage::UnderscoreCore => "numpy._core",
        }
    }
}

/// The module named in `... failed to import`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CoreModule {
    Multiarray,
    Umath,
    MultiarrayUmath,
}

impl CoreModule {
    pub fn as_str(self) -> &'static str {
        match self {
            CoreModule::Multiarray => "multiarray",
            CoreModule::Umath => "umath",
            CoreModule::MultiarrayUmath => "_multiarray_umath",
        }
    }
}

/// `numpy.core.multiarray failed to import`: what `import_array()` raises after printing the
/// first error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FailedToImport {
    pub core: CorePackage,
    pub what: CoreModule,
    /// Cython 3's `(auto-generated because you didn't call 'numpy.import_array()' ...)`.
    pub cython3_suffix: bool,
}

/// pybind11's `ImportError: initialization failed`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InitializationFailed;

/// pyarrow's `pyarrow requires NumPy 2.0 or newer, found 1.26.4`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequiresNewerNumpy {
    pub package: String,
    pub need: String,
    pub found: String,
}

/// One message of any family.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Message {
    SizeChanged(SizeChanged),
    CompiledWithNumpy1(CompiledWithNumpy1),
    AbiVersion(AbiVersion),
    ApiVersion(ApiVersion),
    ArrayApiNotFound(ArrayApiNotFound),
    FailedToImport(FailedToImport),
    InitializationFailed(InitializationFailed),
    RequiresNewerNumpy(RequiresNewerNumpy),
}

const TROUBLESHOOTING: &str = "Check the section C-API incompatibility at the Troubleshooting \
ImportError section at https://numpy.org/devdocs/user/troubleshooting-importerror.html#c-api-incompatibility \
for indications on how to solve this problem";

const CYTHON3_SUFFIX: &str = "(auto-generated because you didn't call 'numpy.import_array()' after \
cimporting numpy; use '<void>numpy._import_array' to disable if you are certain you don't need it).";

impl SizeChanged {
    pub fn exception(&self) -> &'static str {
        match self.form {
            SizeForm::ValueError => "ValueError",
            SizeForm::RuntimeWarning => "RuntimeWarning",
        }
    }

    pub fn render(&self) -> String {
        let got = match self.got_upper {
            Some(upper) => format!("{}-{upper}", self.got),
            None => self.got.to_string(),
        };
        format!(
            "{}.{} size changed, may indicate binary incompatibility. Expected {} from C header, got {got} from PyObject",
            self.module, self.type_name, self.expected
        )
    }

    fn read(c: &Captures<'_>) -> Option<Self> {
        let expected: u64 = c["e"].parse().ok()?;
        let got: u64 = c["s"].parse().ok()?;
        let got_upper = match c.name("s2") {
            Some(m) => Some(m.as_str().parse().ok()?),
            None => None,
        };
        // The printed exception decides; without it, what Cython does with these sizes: it
        // raises for a smaller runtime type (and prints a range only when raising), warns for a
        // larger one.
        let form = match c.name("exc").map(|m| m.as_str()) {
            Some(x) if x.ends_with("Warning") => SizeForm::RuntimeWarning,
            Some(_) => SizeForm::ValueError,
            None if got_upper.is_some() || expected > got => SizeForm::ValueError,
            None => SizeForm::RuntimeWarning,
        };
        Some(SizeChanged {
            module: c["mod"].to_string(),
            type_name: c["ty"].to_string(),
            expected,
            got,
            got_upper,
            form,
        })
    }
}

impl CompiledWithNumpy1 {
    pub fn exception(&self) -> &'static str {
        "ImportError"
    }

    /// The text exactly as NumPy builds it, line breaks included (leading newline and trailing
    /// blank line of `textwrap.dedent` too).
    pub fn render(&self) -> String {
        format!(
            "\nA module that was compiled using NumPy 1.x cannot be run in\n\
             NumPy {} as it may crash. To support both 1.x and 2.x\n\
             versions of NumPy, modules must be compiled with NumPy 2.0.\n\
             Some module may need to rebuild instead e.g. with 'pybind11>=2.12'.\n\
             \n\
             If you are a user of the module, the easiest solution will be to\n\
             downgrade to 'numpy<2' or try to upgrade the affected module.\n\
             We expect that some modules will need time to support NumPy 2.\n\n",
            self.running
        )
    }

    fn read(c: &Captures<'_>) -> Option<Self> {
        Some(CompiledWithNumpy1 {
            running: c["v"].to_string(),
        })
    }
}

impl AbiVersion {
    pub fn exception(&self) -> &'static str {
        "RuntimeError"
    }

    pub fn render(&self) -> String {
        format!(
            "module compiled against ABI version {} but this version of numpy is {}",
            self.hex.fmt(self.built),
            self.hex.fmt(self.running)
        )
    }

    fn read(c: &Captures<'_>) -> Option<Self> {
        Some(AbiVersion {
            built: hex(&c["b"])?,
            running: hex(&c["r"])?,
            hex: hex_style(c),
        })
    }
}

impl ApiVersion {
    pub fn exception(&self) -> &'static str {
        "RuntimeError"
    }

    pub fn render(&self) -> String {
        let v1 = |h: HexStyle| {
            format!(
                "module compiled against API version {} but this version of numpy is {}",
                h.fmt(self.built),
                h.fmt(self.running)
            )
        };
        match &self.wording {
            ApiWording::V1 { hex } => v1(*hex),
            ApiWording::V1WithTroubleshooting => {
                format!("{} . {TROUBLESHOOTING} .", v1(HexStyle::Prefixed))
            }
            ApiWording::V2 { built_string } => format!(
                "module was compiled against NumPy C-API version {:#x} (NumPy {built_string}) but \
                 the running NumPy has C-API version {:#x}. {TROUBLESHOOTING}.",
                self.built, self.running
            ),
        }
    }

    fn read_v1(c: &Captures<'_>) -> Option<Self> {
        let wording = if c.name("t").is_some() {
            ApiWording::V1WithTroubleshooting
        } else {
            ApiWording::V1 { hex: hex_style(c) }
        };
        Some(ApiVersion {
            built: hex(&c["b"])?,
            running: hex(&c["r"])?,
            wording,
        })
    }

    fn read_v2(c: &Captures<'_>) -> Option<Self> {
        Some(ApiVersion {
            built: hex(&c["b"])?,
            running: hex(&c["r"])?,
            wording: ApiWording::V2 {
                built_string: c["s"].to_string(),
            },
        })
    }
}

impl ArrayApiNotFound {
    pub fn exception(&self) -> &'static str {
        if self.torch {
            "UserWarning"
        } else {
            "AttributeError"
        }
    }

    pub fn render(&self) -> String {
        let table = match self.which {
            ApiTable::Array => "_ARRAY_API",
            ApiTable::Ufunc => "_UFUNC_API",
        };
        if self.torch {
            format!("Failed to initialize NumPy: {table} not found")
        } else {
            format!("{table} not found")
        }
    }

    fn read(c: &Captures<'_>) -> Option<Self> {
        Some(ArrayApiNotFound {
            which: if &c["t"] == "UFUNC" {
                ApiTable::Ufunc
            } else {
                ApiTable::Array
            },
            torch: c.name("torch").is_some(),
        })
    }
}

impl FailedToImport {
    pub fn exception(&self) -> &'static str {
        "ImportError"
    }

    pub fn render(&self) -> String {
        let mut s = format!(
            "{}.{} failed to import",
            self.core.as_str(),
            self.what.as_str()
        );
        if self.cython3_suffix {
            s.push(' ');
            s.push_str(CYTHON3_SUFFIX);
        }
        s
    }

    fn read(c: &Captures<'_>) -> Option<Self> {
        Some(FailedToImport {
            core: if &c["c"] == "_core" {
                CorePackage::UnderscoreCore
            } else {
                CorePackage::Core
            },
            what: match &c["w"] {
                "umath" => CoreModule::Umath,
                "_multiarray_umath" => CoreModule::MultiarrayUmath,
                _ => CoreModule::Multiarray,
            },
            cython3_suffix: c.name("cy").is_some(),
        })
    }
}

impl InitializationFailed {
    pub fn exception(&self) -> &'static str {
        "ImportError"
    }

    pub fn render(&self) -> String {
        "initialization failed".into()
    }

    fn read(_: &Captures<'_>) -> Option<Self> {
        Some(InitializationFailed)
    }
}

impl RequiresNewerNumpy {
    pub fn exception(&self) -> &'static str {
        "ImportError"
    }

    pub fn render(&self) -> String {
        format!(
            "{} requires NumPy {} or newer, found {}",
            self.package, self.need, self.found
        )
    }

    fn read(c: &Captures<'_>) -> Option<Self> {
        Some(RequiresNewerNumpy {
            package: c["pkg"].to_string(),
            need: c["need"].to_string(),
            found: c["found"].to_string(),
        })
    }
}

/// `parse`, `find_all` and the conversion into [`Message`] for each family type.
macro_rules! family_type {
    ($ty:ident) => {
        impl $ty {
            /// The first message of this family in `text`.
            pub fn parse(text: &str) -> Option<Self> {
                Self::find_all(text).into_iter().next().map(|(_, m)| m)
            }

            /// Every message of this family in `text`, with its byte span, in text order.
            pub fn find_all(text: &str) -> Vec<(Range<usize>, Self)> {
                find_all(text)
                    .into_iter()
                    .filter_map(|(span, m)| match m {
                        Message::$ty(x) => Some((span, x)),
                        _ => None,
                    })
                    .collect()
            }
        }

        impl From<$ty> for Message {
            fn from(x: $ty) -> Message {
                Message::$ty(x)
            }
        }
    };
}

family_type!(SizeChanged);
family_type!(CompiledWithNumpy1);
family_type!(AbiVersion);
family_type!(ApiVersion);
family_type!(ArrayApiNotFound);
family_type!(FailedToImport);
family_type!(InitializationFailed);
family_type!(RequiresNewerNumpy);

impl Message {
    pub fn family(&self) -> Family {
        match self {
            Message::SizeChanged(_) => Family::SizeChanged,
            Message::CompiledWithNumpy1(_) => Family::CompiledWithNumpy1,
            Message::AbiVersion(_) => Family::AbiVersion,
            Message::ApiVersion(_) => Family::ApiVersion,
            Message::ArrayApiNotFound(_) => Family::ArrayApiNotFound,
            Message::FailedToImport(_) => Family::FailedToImport,
            Message::InitializationFailed(_) => Family::InitializationFailed,
            Message::RequiresNewerNumpy(_) => Family::RequiresNewerNumpy,
        }
    }

    /// The Python exception (or warning) class the message is raised with.
    pub fn exception(&self) -> &'static str {
        match self {
            Message::SizeChanged(m) => m.exception(),
            Message::CompiledWithNumpy1(m) => m.exception(),
            Message::AbiVersion(m) => m.exception(),
            Message::ApiVersion(m) => m.exception(),
            Message::ArrayApiNotFound(m) => m.exception(),
            Message::FailedToImport(m) => m.exception(),
            Message::InitializationFailed(m) => m.exception(),
            Message::RequiresNewerNumpy(m) => m.exception(),
        }
    }

    /// The message text exactly as Python prints it after `Exception: `.
    pub fn render(&self) -> String {
        match self {
            Message::SizeChanged(m) => m.render(),
            Message::CompiledWithNumpy1(m) => m.render(),
            Message::AbiVersion(m) => m.render(),
            Message::ApiVersion(m) => m.render(),
            Message::ArrayApiNotFound(m) => m.render(),
            Message::FailedToImport(m) => m.render(),
            Message::InitializationFailed(m) => m.render(),
            Message::RequiresNewerNumpy(m) => m.render(),
        }
    }

    /// `Exception: message`, as the last line of a traceback shows it.
    pub fn line(&self) -> String {
        format!("{}: {}", self.exception(), self.render())
    }

    /// Is this a failure of NumPy's binary interface ([`Family::is_numpy_abi`]; a size check
    /// only for a type imported from `numpy`)?
    pub fn is_numpy_abi(&self) -> bool {
        match self {
            Message::SizeChanged(s) => s.module == "numpy",
            m => m.family().is_numpy_abi(),
        }
    }

    /// The first message of any family in `text`.
    pub fn parse(text: &str) -> Option<Message> {
        find_all(text).into_iter().next().map(|(_, m)| m)
    }
}

/// Collapse every whitespace run to one space, trim: how captured and predicted messages are
/// compared.
pub fn normalize(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Every message of every family in `text`, with its byte span (including a printed
/// `SomeError: ` prefix), in text order.
pub fn find_all(text: &str) -> Vec<(Range<usize>, Message)> {
    let mut out: Vec<(Range<usize>, Message)> = Vec::new();
    for (re, read) in patterns() {
        for c in re.captures_iter(text) {
            let (Some(whole), Some(m)) = (c.get(0), read(&c)) else {
                continue;
            };
            out.push((whole.range(), m));
        }
    }
    out.sort_by_key(|(span, _)| (span.start, span.end));
    out
}

fn hex(s: &str) -> Option<u32> {
    u32::from_str_radix(s, 16).ok()
}

fn hex_style(c: &Captures<'_>) -> HexStyle {
    if c.name("bx").is_some() {
        HexStyle::Prefixed
    } else {
        HexStyle::Bare
    }
}

type Reader = fn(&Captures<'_>) -> Option<Message>;

/// A printed exception or warning class before the message.
const PREFIX: &str = r"(?:(?P<exc>[A-Za-z_]\w*(?:Error|Warning)):\s*)?";

/// The regex of a message text: every space matches any whitespace run (wrapped lines).
fn ws(pattern: &str) -> String {
    format!("{PREFIX}{}", pattern.replace(' ', r"\s+"))
}

fn patterns() -> &'static [(Regex, Reader)] {
    static CELL: OnceLock<Vec<(Regex, Reader)>> = OnceLock::new();
    CELL.get_or_init(|| {
        let troubleshooting = r"Check the section C-API incompatibility at the Troubleshooting ImportError section at \S+ for indications on how to solve this problem\s*\.";
        let table: Vec<(String, Reader)> = vec![
            (
                ws(r"(?P<mod>[A-Za-z_][\w.]*)\.(?P<ty>\w+) size changed, may indicate binary incompatibility\.? Expected (?P<e>\d+) from C header, got (?P<s>\d+)(?:-(?P<s2>\d+))? from PyObject"),
                |c| SizeChanged::read(c).map(Message::from),
            ),
            (
                ws(r"A module that was compiled using NumPy 1\.x cannot be run in NumPy (?P<v>\d[\w.+!-]*) as it may crash\.(?: To support both 1\.x and 2\.x versions of NumPy, modules must be compiled with NumPy 2\.0\. Some module may need to rebuild instead e\.g\. with 'pybind11>=2\.12'\. If you are a user of the module, the easiest solution will be to downgrade to 'numpy<2' or try to upgrade the affected module\. We expect that some modules will need time to support NumPy 2\.)?"),
                |c| CompiledWithNumpy1::read(c).map(Message::from),
            ),
            (
                ws(r"module compiled against ABI version (?P<bx>0x)?(?P<b>[0-9a-fA-F]+) but this version of numpy is (?:0x)?(?P<r>[0-9a-fA-F]+)"),
                |c| AbiVersion::read(c).map(Message::from),
            ),
            (
                ws(&format!(r"module compiled against API version (?P<bx>0x)?(?P<b>[0-9a-fA-F]+) but this version of numpy is (?:0x)?(?P<r>[0-9a-fA-F]+)(?P<t> \. {troubleshooting})?")),
                |c| ApiVersion::read_v1(c).map(Message::from),
            ),
            (
                ws(&format!(r"module was compiled against NumPy C-API version 0x(?P<b>[0-9a-fA-F]+) \(NumPy (?P<s>[^)\s]+)\) but the running NumPy has C-API version 0x(?P<r>[0-9a-fA-F]+)(?:\.(?: {troubleshooting})?)?")),
                |c| ApiVersion::read_v2(c).map(Message::from),
            ),
            (
                ws(r"(?P<torch>Failed to initialize NumPy:\s*)?_(?P<t>ARRAY|UFUNC)_API not found"),
                |c| ArrayApiNotFound::read(c).map(Message::from),
            ),
            (
                ws(r"numpy\.(?P<c>_?core)\.(?P<w>multiarray|umath|_multiarray_umath) failed to import(?P<cy> \(auto-generated because you didn't call 'numpy\.import_array\(\)' after cimporting numpy; use '<void>numpy\._import_array' to disable if you are certain you don't need it\)\.?)?"),
                |c| FailedToImport::read(c).map(Message::from),
            ),
            (
                ws(r"\binitialization failed\b"),
                |c| InitializationFailed::read(c).map(Message::from),
            ),
            (
                ws(r"(?P<pkg>[A-Za-z_][\w-]*) requires NumPy (?P<need>\d[\d.]*) or newer, found (?P<found>\d[\w.+!-]*\w|\d)"),
                |c| RequiresNewerNumpy::read(c).map(Message::from),
            ),
        ];
        table
            .into_iter()
            .filter_map(|(p, read)| Regex::new(&p).ok().map(|re| (re, read)))
            .collect()
    })
}
